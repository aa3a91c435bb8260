//! # ridgegate-matcher
//!
//! 1:1 fingerprint comparison with calibrated scores, multi-view/multi-attempt fusion and the
//! evaluation metrics that prove accuracy.
//!
//! ## Algorithm (bit-based Minutia Cylinder-Code with relaxation, Cappelli et al. 2010)
//! 1. **Search form** ([`Candidate::new`], [`Probe::new`]): minutiae rescaled to 500 dpi (any
//!    input dpi), the best [`params::MAX_MATCH_MINUTIAE`] by quality. Each minutia gets a
//!    *cylinder*: a bit vector describing which neighbours lie where, with which relative
//!    direction, in the minutia's own frame — invariant to rotation and translation, and local,
//!    so skin distortion far away does not disturb it. Cells outside the impression (far from the
//!    convex hull of its minutiae) are masked as invalid, so partial overlap is not penalised.
//! 2. **Local similarities**: every probe/candidate cylinder pair whose directions differ by at
//!    most [`params::MAX_ROTATION`] is compared on the cells valid in both
//!    (`1 − ‖a⊕b‖/(‖a‖+‖b‖)`, popcounts) — in full only for the
//!    [`params::PRESELECT_PER_MINUTIA`] candidates per probe minutia whose cylinder occupancy
//!    resembles it most (a cheap one-word Jaccard test), which keeps a comparison within budget.
//! 3. **Pair selection**: the most similar pairs are taken greedily, one-to-one.
//! 4. **Relaxation** (global consolidation, tolerant to distortion): each pair's similarity is
//!    repeatedly reinforced by the pairs geometrically compatible with it (same inter-minutia
//!    distance, same relative direction, same radial angle, each within a soft tolerance), so
//!    pairs belonging to one consistent alignment support each other and isolated chance
//!    resemblances fade.
//! 5. **Local score** in `[0, 1]`: the mean relaxed similarity of the
//!    [`params::MAX_SCORE_PAIRS`] most reinforced pairs (fewer for templates with few minutiae).
//! 6. **Geometric consolidation** (`consolidate`): the most reinforced pairs give a rigid
//!    alignment (a few hypotheses, least squares) — and, unless one of them already pairs
//!    [`params::ALIGN_VOTE_CONFIDENT`] of the minutiae, so does an *alignment vote* (`vote`): a
//!    Hough transform over every pair of the [`params::ALIGN_VOTE_MINUTIAE`] best minutiae of
//!    each side, which needs no cylinder similarity and so still finds the alignment of wet,
//!    dry or creased prints whose false minutiae spoil the cylinders; under the alignment that
//!    pairs the most, *every* minutia, with or without a valid
//!    cylinder, is paired one-to-one with a minutia of the other template that lands near it with
//!    a similar direction (tolerance growing with the distance from the alignment's centre, for
//!    distortion). The consolidated similarity is the paired fraction of the minutiae inside the
//!    common area (each template's hull), weighted by the pair count — robust to partial overlap,
//!    as Bozorth3 and SourceAFIS count paired minutiae. Minutiae count in that fraction by their
//!    quality ([`params::MINUTIA_WEIGHT_EXPONENT`]): unpaired minutiae in unclear areas (creases,
//!    wet patches) dilute it less; and the pair count weighs more when the paired minutiae are
//!    clearer than the common area's on average ([`params::EVIDENCE_WEIGHT_EXPONENT`]), as true
//!    correspondences are and chance pairings are not.
//! 7. **Ridge flow** (`flow`): under the same alignment, the two templates' coarse orientation
//!    maps ([`ridgegate_core::RidgeFlow`]) are compared cell by cell; agreement beyond what chance
//!    alignments of unrelated prints reach ([`params::FLOW_AGREEMENT_FLOOR`]) is evidence.
//!    Templates without a flow (imported ISO/ANSI/xyt) get none: their scores are lower, never
//!    higher, than with one (conservative).
//! 8. **Raw score** = local · ([`params::LOCAL_FLOOR`] + consolidated) · (1 +
//!    [`params::FLOW_WEIGHT`] · flow), in `[0, 2.25]`.
//! 9. **Calibration** ([`calibration`]): raw → [`Score`] = −10·log10(FMR) from a table measured on
//!    real impostor comparisons.
//!
//! Scores are deterministic. [`Probe`] and [`Candidate`] are immutable after construction and
//! `Send + Sync`: one probe can be compared against many candidates from many threads.
//! Costs: `cargo bench --bench matcher` (criterion, all 8 FVC sets) and
//! `ridgegate bench match --db …` (per-pair median and p90 on one thread). A comparison reuses
//! per-thread scratch buffers: it allocates nothing once its thread has run one.

pub mod calibration;
mod consolidate;
pub mod eval;
mod flow;
pub mod fusion;
pub mod gallery;
pub mod params;
mod search;
mod vote;

pub use gallery::{Cascade, Filter, FingerHit, Gallery, GalleryError, Hit, SearchStats};

use params::*;
use ridgegate_core::{Score, Template};
use search::{
    SearchTemplate, angle_delta, angle_distance, cylinder_similarity, disc_cells, occupancy_overlap, table_index,
};
use std::sync::LazyLock;

/// Candidate-side search data of one template. Build once, compare many times. `Send + Sync`.
#[derive(Debug, Clone)]
pub struct Candidate {
    t: SearchTemplate,
}

impl Candidate {
    /// Builds the search form (rescaling to 500 dpi, one cylinder per minutia). Cost: linear in
    /// minutiae × neighbours (see the bench).
    pub fn new(template: &Template) -> Self {
        Candidate { t: SearchTemplate::for_side(template, search::Side::Candidate) }
    }
    /// Number of minutiae with a usable cylinder (those that take part in matching).
    pub fn minutia_count(&self) -> usize {
        self.t.points.len()
    }
}

/// Probe-side search data. Build once per probe and compare against any number of candidates,
/// from any number of threads. `Send + Sync`.
#[derive(Debug, Clone)]
pub struct Probe {
    t: SearchTemplate,
}

impl Probe {
    /// Builds the probe's search form (same cost as [`Candidate::new`]).
    pub fn new(template: &Template) -> Self {
        Probe { t: SearchTemplate::for_side(template, search::Side::Probe) }
    }

    /// Calibrated similarity of this probe and a candidate (see [`calibration`] for the FMR
    /// meaning). Deterministic; thread-safe; allocation-free after the thread's first call.
    pub fn compare(&self, candidate: &Candidate) -> Score {
        calibration::score_from_raw(self.raw_score(candidate))
    }

    /// The uncalibrated similarity in `[0, 2.25]`, for calibration and diagnostics.
    pub fn raw_score(&self, candidate: &Candidate) -> f32 {
        self.evidence(candidate).raw
    }

    /// The evidence behind a comparison: local (cylinder) similarity, paired minutiae, overlap and
    /// the raw score fused from them. Same cost as [`Probe::compare`]; for diagnostics.
    pub fn evidence(&self, candidate: &Candidate) -> Evidence {
        let (p, c) = (&self.t, &candidate.t);
        let (np, nc) = (p.points.len(), c.points.len());
        if np == 0 || nc == 0 {
            return Evidence::default();
        }
        SCRATCH.with_borrow_mut(|scratch| evidence_for_this_cpu(scratch, p, c))
    }
}

/// Reusable buffers of one comparison (one set per thread: comparisons allocate nothing once a
/// thread has run its first).
#[derive(Default)]
struct Scratch {
    sims: Vec<u64>,
    pairs: Vec<(f32, u16, u16)>,
    relax: RelaxScratch,
    /// Alignment seeds of the consolidation (probe point, candidate point).
    seeds: Vec<(search::Point, search::Point)>,
    consolidate: consolidate::Scratch,
}

thread_local! {
    static SCRATCH: std::cell::RefCell<Scratch> = std::cell::RefCell::new(Scratch::default());
}

/// [`Scratch::evidence`] compiled three times — for baseline x86-64 (SWAR bit counts), for CPUs
/// with the POPCNT instruction (every x86-64 CPU since about 2008) and for CPUs with AVX2 as well
/// (wider vectors in the relaxation and the alignment vote) — and picked once per process by a
/// run-time CPU check (`multiversion`: afterwards one atomic load per call). All versions give
/// bit-identical scores (no fused multiply-adds, sums in the same order). `bench match` p50: the
/// popcount version compares ≈ 30 % faster than the SWAR one (11.7 → 8.2 µs), the AVX2 version
/// ≈ 3.5 % faster than the popcount one (19.6 → 18.9 µs on a slower host). Other architectures
/// get the portable version.
#[multiversion::multiversion(targets("x86_64+avx2+popcnt", "x86_64+popcnt"))]
fn evidence_for_this_cpu(scratch: &mut Scratch, p: &SearchTemplate, c: &SearchTemplate) -> Evidence {
    const HW: bool = multiversion::target::selected_target!().supports_feature_str("popcnt");
    scratch.evidence::<HW>(p, c)
}

impl Scratch {
    /// Inlined into [`evidence_for_this_cpu`]'s versions, so that its bit counts use the
    /// instructions of the selected version (`HW`: see `search::byte_counts`).
    #[inline(always)]
    fn evidence<const HW: bool>(&mut self, p: &SearchTemplate, c: &SearchTemplate) -> Evidence {
        let (np, nc) = (p.points.len(), c.points.len());
        let min_common = (MIN_MATCHABLE_CELLS * disc_cells() as f32).ceil() as u32;
        // Local similarities, as sortable keys: similarity bits (f32 ≥ 0 orders like its bits),
        // then the indices, so that sorting is total and deterministic. Per probe minutia, only
        // the PRESELECT_PER_MINUTIA candidates whose occupancy resembles it most are compared in
        // full (the full comparison costs ~5× the occupancy check).
        let sims = &mut self.sims;
        sims.clear();
        for (i, pp) in p.points.iter().enumerate() {
            let a = p.cylinder(i);
            let occ_a = &p.occupancy[i];
            // (intersection, union, candidate index): the best Jaccard indices, ties by index.
            let mut best = [(0u32, 0u32, 0u16); PRESELECT_PER_MINUTIA];
            let mut found = 0;
            // Candidates in direction order: the rotation test passes for one run of them, so
            // its branch is predictable. The ranking is a total order: the order of the loop does
            // not change the result.
            for e in &c.by_direction {
                if angle_distance(pp.dir, e.dir) > MAX_ROTATION {
                    continue;
                }
                let (inter, union) = occupancy_overlap::<HW>(occ_a, &e.occupancy);
                let union = union.max(1); // nothing occupied: index 0
                let j = e.index;
                // inter/union > i2/u2 without division (u64: no overflow), then the lower index.
                let better = |&(i2, u2, j2): &(u32, u32, u16)| {
                    let (l, r) = (inter as u64 * u2 as u64, i2 as u64 * union as u64);
                    l > r || (l == r && j < j2)
                };
                if found == PRESELECT_PER_MINUTIA && !better(&best[PRESELECT_PER_MINUTIA - 1]) {
                    continue;
                }
                let at = best[..found].iter().position(better).unwrap_or(found);
                found = (found + 1).min(PRESELECT_PER_MINUTIA);
                best.copy_within(at..found - 1, at + 1);
                best[at] = (inter, union, j);
            }
            for &(_, _, j) in &best[..found] {
                let s = cylinder_similarity::<HW>(a, c.cylinder(j as usize), min_common);
                if s > 0.0 {
                    sims.push(pair_key(s, i, j as usize));
                }
            }
        }
        // One-to-one selection of the most similar pairs (greedy, best first). Only the best few
        // are sorted: greedy selection rarely looks past 4·n_relax entries; if it does, the rest
        // is sorted too.
        let n_relax = np.min(nc).min(MAX_RELAX_PAIRS);
        let head = (4 * n_relax).min(sims.len());
        if head < sims.len() {
            sims.select_nth_unstable(head);
        }
        sims[..head].sort_unstable();
        let mut used_p = [false; MAX_MATCH_MINUTIAE];
        let mut used_c = [false; MAX_MATCH_MINUTIAE];
        let pairs = &mut self.pairs;
        pairs.clear();
        let mut k = 0;
        while pairs.len() < n_relax && k < sims.len() {
            if k == head {
                sims[head..].sort_unstable();
            }
            let (s, i, j) = unpack_key(sims[k]);
            if !used_p[i as usize] && !used_c[j as usize] {
                used_p[i as usize] = true;
                used_c[j as usize] = true;
                pairs.push((s, i, j));
            }
            k += 1;
        }
        let n_score = score_pairs(p.minutiae.min(c.minutiae));
        let (local, take) = relaxed_score(p, c, pairs, n_score, &mut self.relax);
        // The most reinforced pairs, most reinforced first, align the templates.
        self.seeds.clear();
        self.seeds.extend(self.relax.order[..take].iter().map(|&k| {
            let (_, i, j) = pairs[(k & 0xFFFF) as usize];
            (p.points[i as usize], c.points[j as usize])
        }));
        let cons = consolidate::consolidate(p, c, &self.seeds, &mut self.consolidate);
        Evidence {
            local,
            matched: cons.matched,
            overlap_probe: cons.overlap_probe,
            overlap_candidate: cons.overlap_candidate,
            flow_cells: cons.flow.cells,
            flow_agreement: cons.flow.mean,
            raw: local * (LOCAL_FLOOR + cons.similarity()) * (1.0 + FLOW_WEIGHT * cons.flow.similarity()),
        }
    }
}

/// The evidence behind one comparison ([`Probe::evidence`]).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Evidence {
    /// Mean relaxed local (cylinder) similarity of the most reinforced pairs, `[0, 1]`.
    pub local: f32,
    /// Minutiae paired one-to-one after alignment (geometric consolidation).
    pub matched: u32,
    /// Probe minutiae inside the candidate's impression after alignment.
    pub overlap_probe: u32,
    /// Candidate minutiae inside the probe's impression after alignment.
    pub overlap_candidate: u32,
    /// Ridge-flow cells common to both templates under the alignment (0 when either template
    /// has no ridge flow, e.g. imported ISO templates).
    pub flow_cells: u32,
    /// Mean ridge-flow agreement `cos 2δ` over those cells, `[−1, 1]` (1 = the ridges run
    /// alike everywhere; genuine pairs reach about 0.97, chance alignments of unrelated prints
    /// rarely above 0.9).
    pub flow_agreement: f32,
    /// The fused raw score (input of the calibration table):
    /// `local · (LOCAL_FLOOR + c) · (1 + FLOW_WEIGHT · f)` with `c` the consolidated similarity in
    /// `[0, 1]` (paired fraction of the overlapping minutiae, weighted by the pair count) and `f`
    /// the ridge-flow similarity in `[0, 1]`; see [`params::LOCAL_FLOOR`],
    /// [`params::FLOW_WEIGHT`], [`params::FLOW_AGREEMENT_FLOOR`].
    pub raw: f32,
}

/// Compares two templates (builds both search forms). `a` is the probe. Use [`Probe`] and
/// [`Candidate`] to reuse work across comparisons.
pub fn compare(a: &Template, b: &Template) -> Score {
    Probe::new(a).compare(&Candidate::new(b))
}

/// Sort key of a local similarity `s ≥ 0` of probe minutia `i` and candidate minutia `j`:
/// ascending key order = descending similarity, then ascending indices.
#[inline]
fn pair_key(s: f32, i: usize, j: usize) -> u64 {
    !((s.to_bits() as u64) << 32) & !0xFFFF_FFFF | (i as u64) << 16 | j as u64
}

#[inline]
fn unpack_key(k: u64) -> (f32, u16, u16) {
    (f32::from_bits(!(k >> 32) as u32), (k >> 16 & 0xFFFF) as u16, (k & 0xFFFF) as u16)
}

/// nP: pairs averaged into the score, growing with the smaller minutia count.
fn score_pairs(n: usize) -> usize {
    let z = sigmoid(n as f32, SCORE_PAIRS_MID, SCORE_PAIRS_SLOPE);
    MIN_SCORE_PAIRS + (z * (MAX_SCORE_PAIRS - MIN_SCORE_PAIRS) as f32).round() as usize
}

/// `1 / (1 + e^(−slope·(v − mid)))`.
fn sigmoid(v: f32, mid: f32, slope: f32) -> f32 {
    1.0 / (1.0 + (-slope * (v - mid)).exp())
}

/// Lookup tables of the three compatibility sigmoids (built once; deterministic).
struct RelaxTables {
    /// ρ1 over the distance difference, [`DIST_STEPS_PER_PX`] steps per px.
    distance: Vec<f32>,
    /// ρ2 over the direction difference in `[0, π]`.
    direction: Vec<f32>,
    /// ρ3 over the cosine of the radial-angle difference in `[−1, 1]`.
    radial_cos: Vec<f32>,
}

const DIST_STEPS_PER_PX: f32 = 8.0;
/// Compatibilities below this are treated as 0 (they would change a relaxed similarity by less
/// than 1e-4 of its value per neighbour).
const MIN_COMPATIBILITY: f32 = 1e-4;
const DIST_TABLE: usize = 512;
const ANGLE_TABLE: usize = 512;
const COS_TABLE: usize = 4096;

static RELAX: LazyLock<RelaxTables> = LazyLock::new(|| RelaxTables {
    distance: (0..DIST_TABLE)
        .map(|k| sigmoid(k as f32 / DIST_STEPS_PER_PX, RELAX_DISTANCE_MID, RELAX_DISTANCE_SLOPE))
        .collect(),
    direction: (0..=ANGLE_TABLE)
        .map(|k| {
            let a = k as f32 * std::f32::consts::PI / ANGLE_TABLE as f32;
            sigmoid(a, RELAX_DIRECTION_MID, RELAX_DIRECTION_SLOPE)
        })
        .collect(),
    radial_cos: (0..=COS_TABLE)
        .map(|k| {
            let c = (k as f32 / COS_TABLE as f32 * 2.0 - 1.0).clamp(-1.0, 1.0);
            sigmoid(c.acos(), RELAX_RADIAL_MID, RELAX_RADIAL_SLOPE)
        })
        .collect(),
});

/// Buffers of [`relaxed_score`].
#[derive(Default)]
struct RelaxScratch {
    /// Per pair: rotation (probe direction − candidate direction), its cosine and sine.
    rot: Vec<(f32, f32, f32)>,
    /// Compatible pairs of pairs: (t, k, ρ(t, k), ρ(k, t)).
    links: Vec<(u16, u16, f32, f32)>,
    lambda: Vec<f32>,
    next: Vec<f32>,
    order: Vec<u64>,
}

/// Relaxation over the selected pairs: the mean relaxed similarity of the `n_score` most
/// reinforced ones, and how many pairs that is (`take`); `scratch.order[..take]` then holds those
/// pairs' keys (pair index in the low 16 bits), most reinforced first.
fn relaxed_score(
    p: &SearchTemplate,
    c: &SearchTemplate,
    pairs: &[(f32, u16, u16)],
    n_score: usize,
    scratch: &mut RelaxScratch,
) -> (f32, usize) {
    let n = pairs.len();
    if n == 0 {
        return (0.0, 0);
    }
    let tables = &*RELAX;
    let RelaxScratch { rot, links, lambda, next, order } = scratch;
    rot.clear();
    rot.extend(pairs.iter().map(|&(_, i, j)| {
        let r = angle_delta(p.points[i as usize].dir, c.points[j as usize].dir);
        let (s, co) = r.sin_cos();
        (r, co, s)
    }));
    // Compatibility ρ(t, k) = ρ1·ρ2·ρ3 (ρ3 seen from t, so not symmetric), kept sparse: most pairs
    // of pairs are incompatible, and the cheap direction and distance terms rule them out before
    // the radial term is computed.
    links.clear();
    for t in 0..n {
        let (_, it, jt) = pairs[t];
        let (a0, b0) = (p.points[it as usize], c.points[jt as usize]);
        for k in t + 1..n {
            let d2 = angle_delta(rot[t].0, rot[k].0).abs();
            let r2 = tables.direction[table_index(d2 / std::f32::consts::PI * ANGLE_TABLE as f32).min(ANGLE_TABLE)];
            if r2 < MIN_COMPATIBILITY {
                continue;
            }
            let (_, ik, jk) = pairs[k];
            let (a1, b1) = (p.points[ik as usize], c.points[jk as usize]);
            let (ax, ay) = (a1.x - a0.x, a1.y - a0.y);
            let (bx, by) = (b1.x - b0.x, b1.y - b0.y);
            let (la, lb) = ((ax * ax + ay * ay).sqrt(), (bx * bx + by * by).sqrt());
            let d1 = table_index((la - lb).abs() * DIST_STEPS_PER_PX);
            let base = tables.distance[d1.min(DIST_TABLE - 1)] * r2;
            if base < MIN_COMPATIBILITY {
                continue;
            }
            // cos of (rotation − (α_probe − β_candidate)) for each end: w = conj(vA)·vB.
            let l = la * lb;
            let (dot, crs) = (ax * bx + ay * by, ax * by - ay * bx);
            let radial = |co: f32, s: f32| -> f32 {
                let cosine = if l > 1e-3 { (co * dot - s * crs) / l } else { 1.0 };
                let idx = table_index((cosine.clamp(-1.0, 1.0) + 1.0) * 0.5 * COS_TABLE as f32);
                tables.radial_cos[idx.min(COS_TABLE)]
            };
            let (tk, kt) = (base * radial(rot[t].1, rot[t].2), base * radial(rot[k].1, rot[k].2));
            if tk >= MIN_COMPATIBILITY || kt >= MIN_COMPATIBILITY {
                links.push((t as u16, k as u16, tk, kt));
            }
        }
    }
    lambda.clear();
    lambda.extend(pairs.iter().map(|p| p.0));
    next.clear();
    next.resize(n, 0.0);
    let neighbour_weight = if n > 1 { (1.0 - RELAX_SELF_WEIGHT) / (n - 1) as f32 } else { 0.0 };
    for _ in 0..RELAX_ITERATIONS {
        for (x, l) in next.iter_mut().zip(lambda.iter()) {
            *x = RELAX_SELF_WEIGHT * l;
        }
        for &(t, k, tk, kt) in links.iter() {
            next[t as usize] += neighbour_weight * tk * lambda[k as usize];
            next[k as usize] += neighbour_weight * kt * lambda[t as usize];
        }
        std::mem::swap(lambda, next);
    }
    // The pairs whose similarity the relaxation preserved best.
    // Ascending keys: descending efficiency (λ_final / λ_initial, ≥ 0), then the pair index.
    order.clear();
    order.extend((0..n).map(|t| (!((lambda[t] / pairs[t].0).max(0.0).to_bits()) as u64) << 32 | t as u64));
    let take = n_score.min(n);
    if take < n {
        order.select_nth_unstable(take);
    }
    let sum: f32 = order[..take].iter().map(|&k| lambda[(k & 0xFFFF) as usize]).sum();
    order[..take].sort_unstable();
    (sum / n_score.max(1) as f32, take)
}

#[cfg(test)]
mod testkit;
#[cfg(test)]
mod tests;
