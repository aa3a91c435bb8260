//! Matcher unit tests on synthetic templates.

use super::*;
use proptest::prelude::*;
use ridgegate_core::{Minutia, Template};

use crate::testkit::{Rng, impression_with, moved_flow};

fn random_template(seed: u64, n: usize) -> Template {
    crate::testkit::random_template(seed, n, false)
}

/// Another impression: rotated, shifted, jittered, some minutiae dropped and spurious ones added.
fn impression(t: &Template, seed: u64, angle: f32, shift: (f32, f32)) -> Template {
    impression_with(t, &mut Rng(seed | 1), seed, angle, shift, false)
}

#[test]
fn both_cpu_versions_of_the_comparison_give_identical_evidence() {
    // The process runs one of them (picked by a CPU check); this compares both directly.
    let mut scratch = Scratch::default();
    for f in 0..12u64 {
        let master = random_template(f, 30 + 5 * f as usize);
        let a = Probe::new(&impression(&master, f * 5 + 1, 0.2, (6.0, -4.0)));
        let b = Candidate::new(&impression(&master, f * 5 + 2, -0.3, (-9.0, 3.0)));
        let other = Candidate::new(&random_template(f + 50, 40));
        for c in [&b, &other] {
            let swar = scratch.evidence::<false>(&a.t, &c.t);
            let popcount = scratch.evidence::<true>(&a.t, &c.t);
            assert_eq!(swar, popcount, "finger {f}");
            assert_eq!(swar, a.evidence(c), "the dispatched version is one of them");
        }
    }
}

#[test]
fn genuine_scores_far_above_impostors() {
    let mut genuine = Vec::new();
    let mut impostor = Vec::new();
    for f in 0..20u64 {
        let master = random_template(f, 40);
        let a = impression(&master, f * 7 + 1, 0.3, (10.0, -8.0));
        let b = impression(&master, f * 7 + 2, -0.2, (-12.0, 5.0));
        genuine.push(Probe::new(&a).raw_score(&Candidate::new(&b)));
        let other = impression(&random_template(f + 100, 40), f, 0.1, (0.0, 0.0));
        impostor.push(Probe::new(&a).raw_score(&Candidate::new(&other)));
    }
    let min_genuine = genuine.iter().copied().fold(f32::MAX, f32::min);
    let max_impostor = impostor.iter().copied().fold(0.0, f32::max);
    assert!(min_genuine > 2.0 * max_impostor, "genuine {genuine:?} impostor {impostor:?}");
}

#[test]
fn rotation_and_translation_do_not_matter() {
    // Rotations up to params::MAX_ROTATION (90°): a finger on a scanner is never upside down.
    let master = random_template(7, 40);
    let base = Probe::new(&master).raw_score(&Candidate::new(&master));
    for (angle, shift) in [(0.5f32, (20.0f32, 0.0f32)), (-1.2, (0.0, 25.0)), (1.5, (-15.0, -10.0))] {
        let mut moved = Template::new(master.width, master.height, master.dpi);
        let (s, c) = angle.sin_cos();
        for m in &master.minutiae {
            let (dx, dy) = (m.x as f32 - 200.0, m.y as f32 - 200.0);
            let x = c * dx + s * dy + 200.0 + shift.0;
            let y = -s * dx + c * dy + 200.0 + shift.1;
            if (0.0..399.0).contains(&x) && (0.0..399.0).contains(&y) {
                moved.minutiae.push(Minutia::new(
                    x.round() as u16,
                    y.round() as u16,
                    m.angle + angle,
                    m.kind,
                    m.quality,
                ));
            }
        }
        moved.ridge_flow = moved_flow(&master, &moved, angle, shift);
        let s2 = Probe::new(&master).raw_score(&Candidate::new(&moved));
        assert!(s2 > 0.7 * base, "angle {angle}: {s2} vs {base}");
    }
}

#[test]
fn different_dpi_is_rescaled() {
    let master = random_template(9, 40);
    let mut hi = Template::new(800, 800, 1000);
    for m in &master.minutiae {
        hi.minutiae.push(Minutia::new(m.x * 2, m.y * 2, m.angle, m.kind, m.quality));
    }
    let flow = master.ridge_flow.clone().unwrap();
    hi.ridge_flow = Some(ridgegate_core::RidgeFlow { cell: flow.cell * 2, ..flow });
    let same = Probe::new(&master).raw_score(&Candidate::new(&master));
    let scaled = Probe::new(&master).raw_score(&Candidate::new(&hi));
    assert!((same - scaled).abs() < 0.05 * same, "{same} vs {scaled}");
}

#[test]
fn ridge_flow_raises_genuine_scores_and_never_lowers_any() {
    let (mut raised, mut impostors_raised) = (0, 0.0f32);
    for f in 0..10u64 {
        let master = random_template(f, 40);
        let a = impression(&master, f * 3 + 1, 0.25, (8.0, -6.0));
        let b = impression(&master, f * 3 + 2, -0.15, (-7.0, 4.0));
        let other = impression(&random_template(f + 200, 40), f, 0.0, (0.0, 0.0));
        let without = |t: &Template| Template { ridge_flow: None, ..t.clone() };
        let raw = |x: &Template, y: &Template| Probe::new(x).raw_score(&Candidate::new(y));
        let (g_with, g_without) = (raw(&a, &b), raw(&without(&a), &without(&b)));
        let (i_with, i_without) = (raw(&a, &other), raw(&without(&a), &without(&other)));
        // The alignment comes from the minutiae: the flow can only multiply by 1..=1.5.
        assert!(g_with >= g_without && g_with <= 1.5 * g_without + 1e-6, "{g_with} {g_without}");
        assert!(i_with >= i_without && i_with <= 1.5 * i_without + 1e-6, "{i_with} {i_without}");
        let e = Probe::new(&a).evidence(&Candidate::new(&b));
        assert!(e.flow_cells > 100 && e.flow_agreement > 0.95, "{e:?}");
        raised += (g_with > 1.3 * g_without) as usize;
        impostors_raised = impostors_raised.max(i_with / i_without.max(1e-9));
    }
    assert!(raised >= 8, "agreeing ridge flow raised only {raised}/10 genuine scores by 30 %");
    assert!(impostors_raised < 1.3, "an unrelated flow raised an impostor score by {impostors_raised}");
}

#[test]
fn empty_and_tiny_templates_score_zero() {
    let empty = Template::new(300, 300, 500);
    let one = random_template(3, 1);
    let full = random_template(4, 40);
    assert_eq!(compare(&empty, &full).0, calibration::score_from_raw(0.0).0);
    assert_eq!(Probe::new(&one).raw_score(&Candidate::new(&full)), 0.0);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(32))]
    #[test]
    fn scores_are_finite_deterministic_and_non_negative(seed_a in any::<u64>(), seed_b in any::<u64>(), n in 0usize..60) {
        let a = random_template(seed_a, n);
        let b = random_template(seed_b, 40);
        let p = Probe::new(&a);
        let c = Candidate::new(&b);
        let s1 = p.compare(&c);
        let s2 = p.compare(&c);
        prop_assert_eq!(s1, s2);
        prop_assert!(s1.0.is_finite() && s1.0 >= 0.0);
    }
}
