//! Template-level generator for scale benchmarks: genuine-like families of minutiae templates
//! (one master minutiae set per finger, perturbed impressions) without rendering images.

use crate::orientation::{FingerClass, RidgeModel, SmoothNoise};
use crate::params;
use crate::params::{
    DEFAULT_HEIGHT, DEFAULT_WIDTH, DISTORTION_WAVELENGTH, DPI, MASTER_MARGIN, SHAPE_BOTTOM_HALF_HEIGHT,
    SHAPE_HALF_WIDTH, SHAPE_TOP_HALF_HEIGHT, TPL_CONTACT_HALF_HEIGHT, TPL_ENDING_RATIO, TPL_FLOW_CELL,
    TPL_IMAGE_QUALITY, TPL_KIND_FLIP_PROBABILITY, TPL_MASTER_COUNT_RANGE, TPL_MIN_SPACING, TPL_PLACEMENT_ATTEMPTS,
    TPL_QUALITY, TPL_QUALITY_JITTER_SD, TPL_SPURIOUS_QUALITY,
};
use crate::rng::Rng;
use ridgegate_core::{Minutia, MinutiaKind, RidgeFlow, Template};
use std::f32::consts::{PI, TAU};

/// Stream tag of master minutiae draws.
const TAG_MASTER: u64 = 0x7470_6c5f_6d73;
/// Stream tag of impression draws.
const TAG_IMPRESSION: u64 = 0x7470_6c5f_696d;

/// How template impressions of a finger vary. Plain data; thread-safe.
///
/// Both models produce templates whose minutiae statistics (count, spacing, kind ratio, quality)
/// are fitted to real extraction output on the FVC sensor sets (`params::REAL_*`).
/// [`TemplateModel::REALISTIC`] also makes impressions of a finger differ as much as real ones do
/// (the matcher's EER on them is close to the real sets'), for accuracy-at-scale benchmarks;
/// [`TemplateModel::CONTROLLED`] (the default of [`synthetic_templates`] and [`finger_templates`])
/// is a cooperative user: impressions of a finger reliably match, for functional tests of
/// enrollment and duplicate checks.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TemplateModel {
    /// Master minutiae count (whole fingertip): mean and standard deviation.
    pub master_count: (f32, f32),
    /// Rotation standard deviation and limit, radians.
    pub rotation: (f32, f32),
    /// Translation standard deviation and limit per axis, pixels.
    pub translation: (f32, f32),
    /// Largest smooth elastic distortion, pixels.
    pub distortion_max: f32,
    /// Contact area scale range relative to the fingertip outline.
    pub contact_scale: (f32, f32),
    /// Largest contact-area shift, fraction of its half-axis.
    pub contact_shift_max: f32,
    /// Range of the per-impression probability that a true minutia is missed.
    pub drop: (f32, f32),
    /// Position jitter standard deviation, pixels.
    pub jitter_sd: f32,
    /// Angle jitter standard deviation, radians.
    pub angle_jitter_sd: f32,
    /// Mean number of spurious minutiae per impression.
    pub spurious_mean: f32,
}

impl TemplateModel {
    /// Realistic variation between impressions (fitted with `ridgegate realism`).
    pub const REALISTIC: TemplateModel = TemplateModel {
        master_count: params::TPL_REALISTIC_MASTER_COUNT,
        rotation: (params::ROTATION_SD, params::ROTATION_MAX),
        translation: (params::TRANSLATION_SD, params::TRANSLATION_MAX),
        distortion_max: params::TPL_REALISTIC_DISTORTION_MAX,
        contact_scale: params::TPL_REALISTIC_CONTACT_SCALE,
        contact_shift_max: params::CONTACT_SHIFT_MAX,
        drop: params::TPL_REALISTIC_DROP,
        jitter_sd: params::TPL_REALISTIC_JITTER_SD,
        angle_jitter_sd: params::TPL_REALISTIC_ANGLE_JITTER_SD,
        spurious_mean: params::TPL_REALISTIC_SPURIOUS_MEAN,
    };
    /// Cooperative user: small pose changes, nearly full contact, few misses.
    pub const CONTROLLED: TemplateModel = TemplateModel {
        master_count: params::TPL_CONTROLLED_MASTER_COUNT,
        rotation: params::CONTROLLED_ROTATION,
        translation: params::CONTROLLED_TRANSLATION,
        distortion_max: params::CONTROLLED_DISTORTION_MAX,
        contact_scale: params::TPL_CONTROLLED_CONTACT_SCALE,
        contact_shift_max: params::CONTROLLED_CONTACT_SHIFT_MAX,
        drop: params::TPL_CONTROLLED_DROP,
        jitter_sd: params::TPL_CONTROLLED_JITTER_SD,
        angle_jitter_sd: params::TPL_CONTROLLED_ANGLE_JITTER_SD,
        spurious_mean: params::TPL_CONTROLLED_SPURIOUS_MEAN,
    };
}

/// A master minutia in float canvas coordinates (canvas = impression + margin on every side).
#[derive(Debug, Clone, Copy)]
struct MasterMinutia {
    x: f32,
    y: f32,
    /// Direction in image coordinates (y down), radians.
    dir: f32,
    kind: MinutiaKind,
    quality: f32,
}

/// The master of synthetic finger `finger` under `seed`: a class orientation model and minutiae
/// spread over the fingertip with a minimum spacing, directions along the ridge flow.
fn master_minutiae(tm: &TemplateModel, seed: u64, finger: u64) -> (RidgeModel, Vec<MasterMinutia>) {
    let mut rng = Rng::derive(seed, &[TAG_MASTER, finger]);
    let (w, h) = ((DEFAULT_WIDTH + 2 * MASTER_MARGIN) as f32, (DEFAULT_HEIGHT + 2 * MASTER_MARGIN) as f32);
    let class = FingerClass::draw(&mut rng);
    let model = RidgeModel::new(class, w, h, &mut rng);
    let count = (tm.master_count.0 + tm.master_count.1 * rng.normal())
        .round()
        .clamp(TPL_MASTER_COUNT_RANGE.0 as f32, TPL_MASTER_COUNT_RANGE.1 as f32) as usize;
    let mut out: Vec<MasterMinutia> = Vec::with_capacity(count);
    let min2 = TPL_MIN_SPACING * TPL_MIN_SPACING;
    for _ in 0..count {
        for _ in 0..TPL_PLACEMENT_ATTEMPTS {
            let (x, y) = (rng.range(0.0, w), rng.range(0.0, h));
            if !inside_fingertip(x, y, w, h) {
                continue;
            }
            if out.iter().any(|m| (m.x - x).powi(2) + (m.y - y).powi(2) < min2) {
                continue;
            }
            let flow = model.orientation_at(x, y) + if rng.chance(0.5) { PI } else { 0.0 };
            let kind = if rng.chance(TPL_ENDING_RATIO) { MinutiaKind::Ending } else { MinutiaKind::Bifurcation };
            let quality = TPL_QUALITY.0 + TPL_QUALITY.1 * rng.normal();
            out.push(MasterMinutia { x, y, dir: flow, kind, quality });
            break;
        }
    }
    (model, out)
}

/// Whether canvas point `(x, y)` lies inside the fingertip outline (same shape as the images).
fn inside_fingertip(x: f32, y: f32, w: f32, h: f32) -> bool {
    let dx = (x - w * 0.5) / (w * SHAPE_HALF_WIDTH);
    let dy = y - h * SHAPE_TOP_HALF_HEIGHT;
    if dy < 0.0 {
        dx * dx + (dy / (h * SHAPE_TOP_HALF_HEIGHT)).powi(2) < 1.0
    } else {
        dx.powi(4) + (dy / (h * SHAPE_BOTTOM_HALF_HEIGHT)).powi(4) < 1.0
    }
}

/// Impression `impression` of a master: rigid placement, smooth elastic distortion, a partial
/// elliptical contact area, jitter, misses, kind swaps and spurious minutiae, cropped to the
/// default impression window. Mirrors the image-level impression model ([`crate::impression`]).
fn impression_template(
    model: &TemplateModel,
    (ridges, master): &(RidgeModel, Vec<MasterMinutia>),
    seed: u64,
    finger: u64,
    impression: u64,
) -> Template {
    let mut rng = Rng::derive(seed, &[TAG_IMPRESSION, finger, impression]);
    let (w, h) = (DEFAULT_WIDTH as f32, DEFAULT_HEIGHT as f32);
    let (mw, mh) = (w + 2.0 * MASTER_MARGIN as f32, h + 2.0 * MASTER_MARGIN as f32);
    let rot = (rng.normal() * model.rotation.0).clamp(-model.rotation.1, model.rotation.1);
    let tx = (rng.normal() * model.translation.0).clamp(-model.translation.1, model.translation.1);
    let ty = (rng.normal() * model.translation.0).clamp(-model.translation.1, model.translation.1);
    let distortion = (
        SmoothNoise::new(&mut rng, DISTORTION_WAVELENGTH.0, DISTORTION_WAVELENGTH.1),
        SmoothNoise::new(&mut rng, DISTORTION_WAVELENGTH.0, DISTORTION_WAVELENGTH.1),
        rng.range(0.0, model.distortion_max),
    );
    // Contact ellipse in impression coordinates: the fingertip outline scaled by the pressure.
    let scale = rng.range(model.contact_scale.0, model.contact_scale.1);
    let (ax, ay) = (mw * SHAPE_HALF_WIDTH * scale, mh * TPL_CONTACT_HALF_HEIGHT * scale);
    let ccx = w * 0.5 + tx + rng.range(-model.contact_shift_max, model.contact_shift_max) * ax;
    let ccy = h * 0.5 + ty + rng.range(-model.contact_shift_max, model.contact_shift_max) * ay;
    let in_contact = |x: f32, y: f32| ((x - ccx) / ax).powi(2) + ((y - ccy) / ay).powi(2) < 1.0;
    let (s, c) = rot.sin_cos();
    let mut tpl = Template::new(DEFAULT_WIDTH as u16, DEFAULT_HEIGHT as u16, DPI);
    tpl.quality = rng.range(TPL_IMAGE_QUALITY.0, TPL_IMAGE_QUALITY.1) as u8;
    let push = |x: f32, y: f32, dir: f32, kind: MinutiaKind, q: f32, tpl: &mut Template| {
        if x >= 0.0 && y >= 0.0 && x < w && y < h && in_contact(x, y) {
            // Image-space direction (y down) → ISO angle (counter-clockwise as seen on screen).
            let iso = (-dir).rem_euclid(TAU);
            let q = q.round().clamp(1.0, 100.0) as u8;
            tpl.minutiae.push(Minutia::new(x as u16, y as u16, iso, kind, q));
        }
    };
    let drop = rng.range(model.drop.0, model.drop.1);
    for m in master {
        if rng.chance(drop) {
            continue;
        }
        // Inverse of the image mapping: master point → impression point, then the skin distortion.
        let (dx, dy) = (m.x - mw * 0.5, m.y - mh * 0.5);
        let x0 = c * dx + s * dy + w * 0.5 + tx;
        let y0 = -s * dx + c * dy + h * 0.5 + ty;
        let x = x0 + distortion.2 * distortion.0.at(x0, y0) + model.jitter_sd * rng.normal();
        let y = y0 + distortion.2 * distortion.1.at(x0, y0) + model.jitter_sd * rng.normal();
        let dir = m.dir - rot + model.angle_jitter_sd * rng.normal();
        let kind = if rng.chance(TPL_KIND_FLIP_PROBABILITY) {
            match m.kind {
                MinutiaKind::Ending => MinutiaKind::Bifurcation,
                _ => MinutiaKind::Ending,
            }
        } else {
            m.kind
        };
        let q = m.quality + TPL_QUALITY_JITTER_SD * rng.normal();
        push(x, y, dir, kind, q, &mut tpl);
    }
    for _ in 0..rng.poisson(model.spurious_mean) {
        let kind = if rng.chance(TPL_ENDING_RATIO) { MinutiaKind::Ending } else { MinutiaKind::Bifurcation };
        let q = TPL_SPURIOUS_QUALITY.0 + TPL_SPURIOUS_QUALITY.1 * rng.normal();
        push(ccx + rng.range(-ax, ax), ccy + rng.range(-ay, ay), rng.range(0.0, TAU), kind, q, &mut tpl);
    }
    // The ridge flow of the contact area: the master's orientation at the cell centre's pre-image
    // (distortion, a few px, ignored), turned with the impression. No random draws: the minutiae
    // stay those of earlier versions.
    let flow = RidgeFlow::from_fn(tpl.width, tpl.height, TPL_FLOW_CELL, |x, y| {
        let (dx, dy) = (x - w * 0.5 - tx, y - h * 0.5 - ty);
        let (mx, my) = (c * dx - s * dy + mw * 0.5, s * dx + c * dy + mh * 0.5);
        (in_contact(x, y) && inside_fingertip(mx, my, mw, mh)).then(|| ridges.orientation_at(mx, my) - rot)
    });
    tpl.ridge_flow = Some(flow);
    tpl
}

/// One template produced by [`synthetic_templates`], with the identity it belongs to.
#[derive(Debug, Clone)]
pub struct SyntheticTemplate {
    /// Finger index (0-based); templates with the same finger are genuine pairs.
    pub finger: u64,
    /// Impression index within the finger (0-based).
    pub impression: u32,
    /// The minutiae template (500 dpi, 300 × 400 px window).
    pub template: Template,
}

/// Lazily generates `fingers × impressions_per_finger` synthetic templates, finger-major.
///
/// Each finger gets a master minutiae set (class-model ridge flow, whole fingertip, ≥ 10 px apart);
/// each impression places it with a random pose, a smooth elastic distortion, a partial elliptical
/// contact area, position/angle jitter, a per-impression miss rate, kind swaps and spurious
/// minutiae, cropped to the 300 × 400 window. [`TemplateModel::REALISTIC`] (≈ 126 ± 42 master
/// minutiae, rotation σ ≈ 10°, translation σ 32 px, distortion ≤ 8 px, jitter σ 1 px / 0.05 rad,
/// misses 3–55 %) and [`TemplateModel::CONTROLLED`] (small pose changes, 10–20 % misses). The
/// constants are fitted so that count, nearest-neighbour spacing, ending ratio and quality match
/// real extraction output on the FVC sensor sets (`params::REAL_*`; test
/// `statistics_fit_real_extraction_output`, end-to-end check `tests/synth_realism.rs`), and the
/// matcher's genuine/impostor scores on them give an EER close to the real sets' (see
/// `ridgegate realism`). Deterministic from `seed`: finger `f`, impression `i` is the same whatever
/// else is generated, so the work can be split across threads by finger range with
/// [`finger_templates`].
///
/// Cost: ≈ 18 µs of CPU per template including its share of the finger master (10^6 templates in
/// ≈ 18 s CPU, measured with `ridgegate synth --templates --fingers 125000 --impressions 8`, ci
/// profile; split finger ranges across threads for wall-clock speed); the iterator holds one master
/// at a time. The iterator is `Send`.
pub fn synthetic_templates(
    fingers: u64,
    impressions_per_finger: u32,
    seed: u64,
) -> impl Iterator<Item = SyntheticTemplate> + Send {
    synthetic_templates_with(TemplateModel::CONTROLLED, fingers, impressions_per_finger, seed)
}

/// [`synthetic_templates`] under another [`TemplateModel`] (e.g. [`TemplateModel::REALISTIC`]).
pub fn synthetic_templates_with(
    model: TemplateModel,
    fingers: u64,
    impressions_per_finger: u32,
    seed: u64,
) -> impl Iterator<Item = SyntheticTemplate> + Send {
    (0..fingers).flat_map(move |finger| finger_templates_with(&model, seed, finger, impressions_per_finger))
}

/// The `impressions` templates of one synthetic finger under [`TemplateModel::CONTROLLED`] (see
/// [`synthetic_templates`]). Pure; thread-safe.
pub fn finger_templates(seed: u64, finger: u64, impressions: u32) -> Vec<SyntheticTemplate> {
    finger_templates_with(&TemplateModel::CONTROLLED, seed, finger, impressions)
}

/// The `impressions` templates of one synthetic finger under `model`. Pure; thread-safe.
pub fn finger_templates_with(
    model: &TemplateModel,
    seed: u64,
    finger: u64,
    impressions: u32,
) -> Vec<SyntheticTemplate> {
    let master = master_minutiae(model, seed, finger);
    (0..impressions)
        .map(|i| SyntheticTemplate {
            finger,
            impression: i,
            template: impression_template(model, &master, seed, finger, i as u64),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::{ProptestConfig, any, prop_assert, proptest};

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(32))]
        #[test]
        fn templates_are_valid(seed in any::<u64>(), finger in 0u64..1_000_000) {
            for t in finger_templates(seed, finger, 3) {
                prop_assert!(t.template.validate().is_ok());
            }
        }
    }

    /// The generator reproduces the minutiae statistics of real extraction output
    /// (`params::REAL_*`, measured on the FVC sensor sets) within a few per cent.
    #[test]
    fn statistics_fit_real_extraction_output() {
        for model in [TemplateModel::CONTROLLED, TemplateModel::REALISTIC] {
            let all: Vec<_> = synthetic_templates_with(model, 500, 4, 5).map(|t| t.template).collect();
            assert_eq!(all.len(), 2000);
            check_fit(&crate::MinutiaeStats::of(&all));
        }
    }

    fn check_fit(s: &crate::MinutiaeStats) {
        use crate::params::{
            REAL_COUNT, REAL_ENDING_RATIO, REAL_IMAGE_QUALITY, REAL_QUALITY, REAL_SPACING_MEAN, REAL_SPACING_MEDIAN,
        };
        let close = |got: f64, want: f64, rel: f64| (got - want).abs() <= rel * want;
        assert!(close(s.count_mean, REAL_COUNT.0, 0.08), "count mean {} vs {}", s.count_mean, REAL_COUNT.0);
        assert!(close(s.count_sd, REAL_COUNT.1, 0.2), "count sd {} vs {}", s.count_sd, REAL_COUNT.1);
        assert!(close(s.spacing_mean, REAL_SPACING_MEAN, 0.1), "spacing {} vs {}", s.spacing_mean, REAL_SPACING_MEAN);
        assert!(close(s.spacing_median, REAL_SPACING_MEDIAN, 0.1), "median spacing {}", s.spacing_median);
        assert!((s.ending_ratio - REAL_ENDING_RATIO).abs() < 0.02, "ending ratio {}", s.ending_ratio);
        assert!(close(s.quality_mean, REAL_QUALITY.0, 0.05), "quality {}", s.quality_mean);
        assert!(close(s.quality_sd, REAL_QUALITY.1, 0.15), "quality sd {}", s.quality_sd);
        assert!(close(s.image_quality_mean, REAL_IMAGE_QUALITY, 0.05), "image quality {}", s.image_quality_mean);
    }

    /// The ridge flow runs along the minutiae (they are placed along the master's flow): true
    /// minutiae lie in a flow cell whose orientation is their direction's, modulo π.
    #[test]
    fn ridge_flow_runs_along_the_minutiae() {
        let (mut along, mut total) = (0, 0);
        for t in synthetic_templates_with(TemplateModel::REALISTIC, 40, 3, 11) {
            let f = t.template.ridge_flow.as_ref().expect("every synthetic template has a ridge flow");
            f.validate(t.template.width, t.template.height).unwrap();
            for m in &t.template.minutiae {
                let Some(flow) = f.angle_at(m.x as f32, m.y as f32) else { continue };
                let d = (flow + m.angle).rem_euclid(PI); // image direction = −ISO angle
                total += 1;
                along += (d.min(PI - d) < 20f32.to_radians()) as usize;
            }
        }
        // Spurious minutiae (random directions) and cells averaging across a core make the rest.
        assert!(total > 1000 && along as f32 > 0.8 * total as f32, "{along}/{total} along the flow");
    }

    #[test]
    fn deterministic_and_identity_structured() {
        let a: Vec<_> = synthetic_templates(3, 2, 9).collect();
        let b: Vec<_> = synthetic_templates(3, 2, 9).collect();
        assert_eq!(a.len(), 6);
        for (x, y) in a.iter().zip(&b) {
            assert_eq!(x.template, y.template);
        }
        assert_eq!(a[2].finger, 1);
        assert_eq!(a[2].template, finger_templates(9, 1, 2)[0].template);
        assert_ne!(a[0].template, a[2].template);
    }
}
