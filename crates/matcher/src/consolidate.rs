//! Geometric consolidation: align the two templates with the pairs the relaxation found most
//! consistent, then pair *every* minutia (cylinder or not) that lands near a minutia of the other
//! template with a similar direction, and count the pairs against the minutiae that lie in the
//! common area. The count normalised by the overlap is robust to partial overlap: a small common
//! area with most of its minutiae paired is strong evidence, which a mean of local similarities
//! (dominated by the many unpaired minutiae of a large template) does not show. Bozorth3 (NIST
//! NBIS) and SourceAFIS score the same way, from the number of consistently paired minutiae;
//! Jain, Hong & Bolle ("On-line fingerprint verification", IEEE TPAMI 19(4), 1997) introduced
//! the pairing tolerance that grows with the distance from the alignment's reference point, so that
//! elastic skin distortion (which accumulates with distance) does not break far pairs.
//!
//! Under the winning alignment the templates' ridge flows are compared too ([`crate::flow`]).
//!
//! Cost: per alignment hypothesis, two pairing passes over probe × candidate minutiae (a sorted
//! sweep on x keeps each pass near-linear) and a hull test per minutia; no allocation beyond two
//! small vectors per call.

use crate::flow::FlowAgreement;
use crate::params::*;
use crate::search::{Point, SearchTemplate, angle_delta};

/// A rigid transform probe → candidate: rotate by `angle` about the origin, then translate.
#[derive(Debug, Clone, Copy)]
struct Rigid {
    cos: f32,
    sin: f32,
    angle: f32,
    tx: f32,
    ty: f32,
}

impl Rigid {
    #[inline]
    fn apply(&self, p: Point) -> (f32, f32) {
        (self.cos * p.x - self.sin * p.y + self.tx, self.sin * p.x + self.cos * p.y + self.ty)
    }
    #[inline]
    fn apply_inverse(&self, x: f32, y: f32) -> (f32, f32) {
        let (dx, dy) = (x - self.tx, y - self.ty);
        (self.cos * dx + self.sin * dy, -self.sin * dx + self.cos * dy)
    }

    /// Least-squares rigid transform of the pairs (Procrustes), with each pair's direction
    /// difference counted as a pair of points [`ALIGN_DIRECTION_RADIUS`] apart, so that few or
    /// clustered pairs (whose positions fix the rotation poorly) still give a stable rotation.
    fn fit(pairs: &[(Point, Point)]) -> Rigid {
        let n = pairs.len().max(1) as f32;
        let (mut ax, mut ay, mut bx, mut by) = (0f32, 0f32, 0f32, 0f32);
        for (a, b) in pairs {
            ax += a.x;
            ay += a.y;
            bx += b.x;
            by += b.y;
        }
        let (ax, ay, bx, by) = (ax / n, ay / n, bx / n, by / n);
        let (mut sc, mut ss) = (0f32, 0f32);
        let r2 = ALIGN_DIRECTION_RADIUS * ALIGN_DIRECTION_RADIUS;
        for (a, b) in pairs {
            let (px, py, qx, qy) = (a.x - ax, a.y - ay, b.x - bx, b.y - by);
            let (s, c) = angle_delta(b.dir, a.dir).sin_cos();
            sc += px * qx + py * qy + r2 * c;
            ss += px * qy - py * qx + r2 * s;
        }
        let angle = ss.atan2(sc);
        let (sin, cos) = angle.sin_cos();
        Rigid { cos, sin, angle, tx: bx - (cos * ax - sin * ay), ty: by - (sin * ax + cos * ay) }
    }
}

/// What consolidation found: the paired minutiae and the minutiae of each template in the common
/// area (the other's hull, after alignment).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub(crate) struct Consolidation {
    /// Minutiae paired one-to-one under the best alignment.
    pub matched: u32,
    /// Probe minutiae inside the candidate's impression after alignment.
    pub overlap_probe: u32,
    /// Candidate minutiae inside the probe's impression after alignment.
    pub overlap_candidate: u32,
    /// Ridge-flow agreement under the best alignment (empty when either template has no flow).
    pub flow: FlowAgreement,
    /// Total weight ([`crate::search::minutia_weight`]) of the paired probe minutiae…
    pub matched_probe_weight: f32,
    /// …and of the paired candidate minutiae.
    pub matched_candidate_weight: f32,
    /// Total weight of the probe minutiae counted in `overlap_probe`.
    pub overlap_probe_weight: f32,
    /// Total weight of the candidate minutiae counted in `overlap_candidate`.
    pub overlap_candidate_weight: f32,
}

impl Consolidation {
    /// Consolidated similarity in `[0, 1]`: the fraction of the overlapping minutiae that are
    /// paired (geometric mean over the two templates; minutiae counted by their reliability
    /// weight, see [`MINUTIA_WEIGHT_EXPONENT`]), weighted by how much evidence the count is
    /// (`e / (e + CONSOLIDATION_HALF_COUNT)` with `e` = [`Consolidation::evidence_count`]: a
    /// handful of pairs can be chance).
    pub fn similarity(&self) -> f32 {
        let m = self.matched as f32;
        if m == 0.0 {
            return 0.0;
        }
        // One template's weighted paired fraction; its overlap is at least its paired minutiae
        // and at least CONSOLIDATION_MIN_OVERLAP minutiae of their mean weight.
        let fraction_of = |paired: f32, overlap: f32| {
            let floor = CONSOLIDATION_MIN_OVERLAP * paired / m;
            if paired > 0.0 { paired / overlap.max(paired).max(floor) } else { 0.0 }
        };
        let fraction = (fraction_of(self.matched_probe_weight, self.overlap_probe_weight)
            * fraction_of(self.matched_candidate_weight, self.overlap_candidate_weight))
        .sqrt();
        let evidence = self.evidence_count();
        fraction * evidence / (evidence + CONSOLIDATION_HALF_COUNT)
    }

    /// The paired count as evidence: `matched` × (how much more reliable the paired minutiae are
    /// than the common area's on average: mean weight of the paired over mean weight of the
    /// overlapping minutiae, geometric mean of the two sides) ^ [`EVIDENCE_WEIGHT_EXPONENT`].
    /// True correspondences form between clear minutiae; chance pairings take whatever lies at
    /// the right place, i.e. minutiae of average reliability. Equals `matched` when all minutiae
    /// of a side carry one quality (e.g. none reported), or when a side has no overlap weight.
    pub fn evidence_count(&self) -> f32 {
        let m = self.matched as f32;
        let reliability = |paired: f32, overlap: f32, count: u32| {
            if m > 0.0 && paired > 0.0 && overlap > 0.0 && count > 0 {
                (paired / m) / (overlap / count as f32)
            } else {
                1.0
            }
        };
        let ratio = reliability(self.matched_probe_weight, self.overlap_probe_weight, self.overlap_probe)
            * reliability(self.matched_candidate_weight, self.overlap_candidate_weight, self.overlap_candidate);
        m * ratio.sqrt().powi(EVIDENCE_WEIGHT_EXPONENT)
    }
}

/// Reusable buffers of [`consolidate`] (one per thread, see the crate's `Scratch`).
#[derive(Debug, Default)]
pub(crate) struct Scratch {
    /// Candidate pairs of one pairing pass: (relative distance key, probe index, candidate index).
    candidates: Vec<(u32, u16, u16)>,
    /// Seeds agreeing with the current hypothesis.
    agreeing: Vec<(Point, Point)>,
    /// The alignment vote's buffers.
    vote: crate::vote::Scratch,
}

/// Aligns the templates on the most reinforced pairs `seeds` (probe point, candidate point; most
/// reinforced first) and counts the consistently paired minutiae. Tries the alignment implied
/// by each of the first [`ALIGN_HYPOTHESES`] seeds (refined with the seeds that agree with it),
/// then, unless one of them pairs [`ALIGN_VOTE_CONFIDENT`] of the minutiae, the alignment vote's
/// winner ([`crate::vote`]), and keeps the one that pairs the most minutiae. Allocation-free
/// once `scratch` has grown.
pub(crate) fn consolidate(
    p: &SearchTemplate,
    c: &SearchTemplate,
    seeds: &[(Point, Point)],
    scratch: &mut Scratch,
) -> Consolidation {
    // Best pair count so far and its alignment (the overlap is measured for the winner only).
    let mut best: Option<(Paired, Rigid)> = None;
    let Scratch { candidates, agreeing, vote } = scratch;
    // Seeds already part of a tried alignment (bit k: seed k): a hypothesis from one of them would
    // give (nearly) the same alignment again.
    let mut covered = 0u64;
    for (h, &(a, b)) in seeds.iter().take(ALIGN_HYPOTHESES.min(64)).enumerate() {
        if covered >> h & 1 == 1 {
            continue;
        }
        // The seed's own alignment, then the seeds that agree with it.
        let first = Rigid::fit(&[(a, b)]);
        agreeing.clear();
        agreeing.push((a, b));
        for (k, &(sa, sb)) in seeds.iter().enumerate() {
            if k == h {
                continue;
            }
            let (x, y) = first.apply(sa);
            let far = (sa.x - a.x).hypot(sa.y - a.y);
            let tol = PAIR_DISTANCE_TOLERANCE + PAIR_DISTANCE_GROWTH * far;
            if (x - sb.x).hypot(y - sb.y) <= tol
                && angle_delta(sa.dir + first.angle, sb.dir).abs() <= PAIR_ANGLE_TOLERANCE
            {
                agreeing.push((sa, sb));
                if k < 64 {
                    covered |= 1 << k;
                }
            }
        }
        if h > 0 && agreeing.len() <= 1 {
            continue; // an isolated seed: not a plausible alignment
        }
        let rigid = Rigid::fit(agreeing);
        let anchor = centroid(agreeing.iter().map(|q| q.0));
        let paired = pair_minutiae(p, c, &rigid, anchor, candidates);
        if paired.count > best.map_or(0, |b| b.0.count) {
            best = Some((paired, rigid));
        }
    }
    // The alignment vote: a hypothesis that does not depend on the cylinders, for when their
    // most reinforced pairs were not true correspondences; not needed when the seeds' alignment
    // already pairs most minutiae. It wins ties.
    let confident =
        best.is_some_and(|b| b.0.count as f32 >= ALIGN_VOTE_CONFIDENT * p.all.len().min(c.all.len()) as f32);
    if !confident && crate::vote::aligned_pairs(p, c, vote, agreeing) {
        let rigid = Rigid::fit(agreeing);
        let anchor = centroid(agreeing.iter().map(|q| q.0));
        let paired = pair_minutiae(p, c, &rigid, anchor, candidates);
        if paired.count >= best.map_or(0, |b| b.0.count) {
            best = Some((paired, rigid));
        }
    }
    match best {
        Some((paired, rigid)) => {
            let (op, oc) = overlap(p, c, &rigid);
            let flow = p.flow.agreement(&c.flow, rigid.angle, (rigid.cos, rigid.sin), (rigid.tx, rigid.ty));
            Consolidation {
                matched: paired.count,
                overlap_probe: op.count,
                overlap_candidate: oc.count,
                flow,
                matched_probe_weight: paired.probe_weight,
                matched_candidate_weight: paired.candidate_weight,
                overlap_probe_weight: op.weight,
                overlap_candidate_weight: oc.weight,
            }
        }
        None => Consolidation::default(),
    }
}

fn centroid(points: impl Iterator<Item = Point>) -> (f32, f32) {
    let (mut x, mut y, mut n) = (0f32, 0f32, 0f32);
    for q in points {
        x += q.x;
        y += q.y;
        n += 1.0;
    }
    (x / n.max(1.0), y / n.max(1.0))
}

/// Pairs all minutiae one-to-one under `rigid`, closest first: a probe minutia pairs with a
/// candidate minutia within the distance tolerance (growing with the probe minutia's distance from
/// `anchor`, where the alignment is most exact) and the angle tolerance.
fn pair_minutiae(
    p: &SearchTemplate,
    c: &SearchTemplate,
    rigid: &Rigid,
    anchor: (f32, f32),
    scratch: &mut Vec<(u32, u16, u16)>,
) -> Paired {
    scratch.clear();
    let cs = &c.all;
    for (i, &q) in p.all.iter().enumerate() {
        let (x, y) = rigid.apply(q);
        let far = (q.x - anchor.0).hypot(q.y - anchor.1);
        let tol = PAIR_DISTANCE_TOLERANCE + PAIR_DISTANCE_GROWTH * far;
        let dir = q.dir + rigid.angle;
        // Candidate minutiae are sorted by x: visit only those within tol on x.
        let start = cs.partition_point(|m| m.x < x - tol);
        for (j, m) in cs[start..].iter().enumerate() {
            if m.x > x + tol {
                break;
            }
            let d2 = (m.x - x) * (m.x - x) + (m.y - y) * (m.y - y);
            if d2 <= tol * tol && angle_delta(dir, m.dir).abs() <= PAIR_ANGLE_TOLERANCE {
                // Relative distance (in tolerances) as the sort key: far pairs with a larger
                // tolerance are not unduly penalised.
                let key = (d2.sqrt() / tol * 65_535.0) as u32;
                scratch.push((key, i as u16, (start + j) as u16));
            }
        }
    }
    scratch.sort_unstable();
    let mut used_p = [false; MAX_MATCH_MINUTIAE];
    let mut used_c = [false; MAX_MATCH_MINUTIAE];
    let mut paired = Paired { count: 0, probe_weight: 0.0, candidate_weight: 0.0 };
    for &(_, i, j) in scratch.iter() {
        if !used_p[i as usize] && !used_c[j as usize] {
            used_p[i as usize] = true;
            used_c[j as usize] = true;
            paired.count += 1;
            paired.probe_weight += p.all[i as usize].weight;
            paired.candidate_weight += cs[j as usize].weight;
        }
    }
    paired
}

/// What [`pair_minutiae`] found: the number of one-to-one pairs and the total weight of their
/// minutiae on each side.
#[derive(Debug, Clone, Copy)]
struct Paired {
    count: u32,
    probe_weight: f32,
    candidate_weight: f32,
}

/// Minutiae of one template in the common area: their number and total weight.
#[derive(Debug, Clone, Copy)]
struct Counted {
    count: u32,
    weight: f32,
}

/// Minutiae of each template inside the other's impression (its minutiae's convex hull grown by
/// [`OVERLAP_MARGIN`]) after alignment: their number and total weight.
fn overlap(p: &SearchTemplate, c: &SearchTemplate, rigid: &Rigid) -> (Counted, Counted) {
    let mut op = Counted { count: 0, weight: 0.0 };
    for &q in &p.all {
        let (x, y) = rigid.apply(q);
        if c.hull.near(x, y, OVERLAP_MARGIN) {
            op.count += 1;
            op.weight += q.weight;
        }
    }
    let mut oc = Counted { count: 0, weight: 0.0 };
    for m in &c.all {
        let (x, y) = rigid.apply_inverse(m.x, m.y);
        if p.hull.near(x, y, OVERLAP_MARGIN) {
            oc.count += 1;
            oc.weight += m.weight;
        }
    }
    (op, oc)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testkit::random_template;
    use ridgegate_core::{Minutia, Template};

    fn moved(t: &Template, angle: f32, shift: (f32, f32)) -> Template {
        let mut out = Template::new(t.width, t.height, t.dpi);
        let (s, c) = angle.sin_cos();
        for m in &t.minutiae {
            let (dx, dy) = (m.x as f32 - 200.0, m.y as f32 - 200.0);
            let (x, y) = (c * dx + s * dy + 200.0 + shift.0, -s * dx + c * dy + 200.0 + shift.1);
            if (0.0..399.0).contains(&x) && (0.0..399.0).contains(&y) {
                out.minutiae.push(Minutia::new(x.round() as u16, y.round() as u16, m.angle + angle, m.kind, m.quality));
            }
        }
        out
    }

    /// Seeds: the true correspondences (same minutia before and after the move), as the
    /// relaxation would deliver them.
    fn true_seeds(a: &SearchTemplate, b: &SearchTemplate, angle: f32, shift: (f32, f32)) -> Vec<(Point, Point)> {
        let (s, c) = angle.sin_cos();
        let mut out = Vec::new();
        for &p in &a.all {
            let (dx, dy) = (p.x - 200.0, p.y - 200.0);
            let (x, y) = (c * dx + s * dy + 200.0 + shift.0, -s * dx + c * dy + 200.0 + shift.1);
            if let Some(&q) = b.all.iter().find(|q| (q.x - x).hypot(q.y - y) < 1.5) {
                out.push((p, q));
            }
        }
        out.truncate(8);
        out
    }

    #[test]
    fn fit_recovers_a_rigid_transform() {
        let t = SearchTemplate::new(&random_template(11, 40, false));
        let angle = 0.4f32;
        let (s, c) = angle.sin_cos();
        // Image rotation by −angle (y down) in the math convention used by `Rigid`.
        let pairs: Vec<(Point, Point)> = t
            .all
            .iter()
            .map(|&p| {
                let q = Point {
                    x: c * p.x + s * p.y + 7.0,
                    y: -s * p.x + c * p.y - 3.0,
                    dir: p.dir - angle,
                    weight: p.weight,
                };
                (p, q)
            })
            .collect();
        let r = Rigid::fit(&pairs);
        assert!((angle_delta(r.angle, -angle)).abs() < 1e-3, "{}", r.angle);
        for &(p, q) in &pairs {
            let (x, y) = r.apply(p);
            assert!((x - q.x).hypot(y - q.y) < 0.05);
            let (u, v) = r.apply_inverse(q.x, q.y);
            assert!((u - p.x).hypot(v - p.y) < 0.05);
        }
    }

    #[test]
    fn same_finger_pairs_most_overlapping_minutiae_other_finger_few() {
        let master = random_template(21, 45, false);
        let (angle, shift) = (0.3f32, (25.0f32, -10.0f32));
        let a = SearchTemplate::new(&master);
        let b = SearchTemplate::new(&moved(&master, angle, shift));
        let seeds = true_seeds(&a, &b, angle, shift);
        assert!(seeds.len() >= 4);
        let mut scratch = Scratch::default();
        let same = consolidate(&a, &b, &seeds, &mut scratch);
        // Moved off the window loses some minutiae; those inside the overlap all pair.
        assert!(same.matched as f32 >= 0.9 * same.overlap_probe.min(same.overlap_candidate) as f32, "{same:?}");
        assert!(same.similarity() > 0.5, "{same:?}");
        // Another finger aligned with those seeds' positions: few chance pairs.
        let other = SearchTemplate::new(&random_template(99, 45, false));
        let fake: Vec<(Point, Point)> = seeds.iter().zip(&other.all).map(|(&(p, _), &q)| (p, q)).collect();
        let diff = consolidate(&a, &other, &fake, &mut scratch);
        assert!(diff.similarity() < 0.5 * same.similarity(), "{diff:?} vs {same:?}");
    }

    #[test]
    fn unclear_unpaired_minutiae_dilute_the_paired_fraction_less() {
        // The candidate is the probe moved, plus spurious minutiae in the common area (what a
        // crease or a wet patch gives). Pairing does not depend on quality; the similarity does:
        // spurious minutiae of low quality (an unclear area) lower it less than the same minutiae
        // at the quality of the true ones.
        let master = random_template(21, 40, false);
        let (angle, shift) = (0.3f32, (25.0f32, -10.0f32));
        let a = SearchTemplate::new(&master);
        let with_spurious = |quality: u8| {
            let mut t = moved(&master, angle, shift);
            let spurious = random_template(77, 20, false).minutiae.into_iter().map(|m| Minutia { quality, ..m });
            t.minutiae.extend(spurious);
            SearchTemplate::new(&t)
        };
        let mut scratch = Scratch::default();
        let mut run = |c: &SearchTemplate| consolidate(&a, c, &true_seeds(&a, c, angle, shift), &mut scratch);
        let (clear, unclear) = (run(&with_spurious(60)), run(&with_spurious(15)));
        assert_eq!((clear.matched, clear.overlap_candidate), (unclear.matched, unclear.overlap_candidate));
        assert!(clear.overlap_candidate >= clear.matched + 10, "spurious minutiae in the common area: {clear:?}");
        assert!(unclear.similarity() > 1.1 * clear.similarity(), "{unclear:?} vs {clear:?}");
    }

    #[test]
    fn pairs_of_clearer_than_average_minutiae_are_stronger_evidence() {
        // 10 pairs in a common area of 20 minutiae per side, total weight 10 per side.
        let with = |paired_weight: f32| Consolidation {
            matched: 10,
            overlap_probe: 20,
            overlap_candidate: 20,
            matched_probe_weight: paired_weight,
            matched_candidate_weight: paired_weight,
            overlap_probe_weight: 10.0,
            overlap_candidate_weight: 10.0,
            ..Consolidation::default()
        };
        // Paired minutiae as reliable as the average: the plain count.
        assert!((with(5.0).evidence_count() - 10.0).abs() < 1e-5);
        // Clearer (mean weight 0.8 against 0.5): more evidence; less clear: less.
        let (clear, average, unclear) = (with(8.0), with(5.0), with(3.0));
        assert!(clear.evidence_count() > 10.5 && unclear.evidence_count() < 9.5);
        assert!(clear.similarity() > average.similarity() && average.similarity() > unclear.similarity());
        // No overlap weight (nothing measured): the plain count, never a division by zero.
        let empty = Consolidation { overlap_probe_weight: 0.0, overlap_candidate_weight: 0.0, ..with(5.0) };
        assert_eq!(empty.evidence_count(), 10.0);
    }

    #[test]
    fn one_quality_for_all_minutiae_scores_as_unweighted() {
        // Only ratios of weights matter: any single quality (0 = not reported, as imported ISO
        // templates often have) gives the unweighted similarity.
        let master = random_template(8, 45, false);
        let (angle, shift) = (-0.2f32, (-15.0f32, 20.0f32));
        let other = moved(&master, angle, shift);
        let with_quality = |t: &Template, quality: u8| {
            let mut t = t.clone();
            t.minutiae.iter_mut().for_each(|m| m.quality = quality);
            SearchTemplate::new(&t)
        };
        let unweighted = |r: &Consolidation| {
            let m = r.matched as f32;
            let np = (r.overlap_probe.max(r.matched) as f32).max(CONSOLIDATION_MIN_OVERLAP);
            let nc = (r.overlap_candidate.max(r.matched) as f32).max(CONSOLIDATION_MIN_OVERLAP);
            m / (np * nc).sqrt() * m / (m + CONSOLIDATION_HALF_COUNT)
        };
        for (qa, qb) in [(60, 60), (0, 90), (100, 7)] {
            let (a, b) = (with_quality(&master, qa), with_quality(&other, qb));
            let r = consolidate(&a, &b, &true_seeds(&a, &b, angle, shift), &mut Scratch::default());
            assert!(r.matched >= 10, "{r:?}");
            assert!((r.similarity() - unweighted(&r)).abs() < 1e-5, "qualities {qa}/{qb}: {r:?}");
        }
    }

    #[test]
    fn partial_overlap_is_normalised_by_the_common_area() {
        // The candidate is the left half of the probe's finger: its minutiae all pair, and the
        // similarity stays high although half of the probe's minutiae have no counterpart.
        let master = random_template(5, 50, false);
        let mut half = Template::new(master.width, master.height, master.dpi);
        half.minutiae = master.minutiae.iter().copied().filter(|m| m.x < 200).collect();
        let a = SearchTemplate::new(&master);
        let b = SearchTemplate::new(&half);
        let seeds = true_seeds(&a, &b, 0.0, (0.0, 0.0));
        let r = consolidate(&a, &b, &seeds, &mut Scratch::default());
        assert_eq!(r.matched as usize, b.all.len());
        assert!(r.overlap_probe < a.all.len() as u32, "{r:?}");
        assert!(r.similarity() > 0.6, "{r:?}");
    }

    #[test]
    fn wrong_seeds_are_overruled_by_the_alignment_vote() {
        // The cylinders' most reinforced pairs can all be chance resemblances (noisy prints):
        // the vote, which needs no local similarity, still finds the true alignment.
        let master = random_template(31, 40, false);
        let (angle, shift) = (-0.35f32, (18.0f32, 22.0f32));
        let a = SearchTemplate::new(&master);
        let b = SearchTemplate::new(&moved(&master, angle, shift));
        let right = consolidate(&a, &b, &true_seeds(&a, &b, angle, shift), &mut Scratch::default());
        // Seeds pairing each minutia with an unrelated one of the other template.
        let wrong: Vec<(Point, Point)> = a.all.iter().zip(b.all.iter().rev()).map(|(&p, &q)| (p, q)).take(8).collect();
        let rescued = consolidate(&a, &b, &wrong, &mut Scratch::default());
        assert_eq!(rescued.matched, right.matched, "{rescued:?} vs {right:?}");
        assert!(right.matched >= 30, "{right:?}");
    }

    #[test]
    fn no_alignment_no_pairs() {
        // Two minutiae per side: no seeds, and too few votes for the alignment vote.
        let a = SearchTemplate::new(&random_template(1, 2, false));
        let r = consolidate(&a, &a, &[], &mut Scratch::default());
        assert_eq!(r, Consolidation::default());
        assert_eq!(r.similarity(), 0.0);
    }
}
