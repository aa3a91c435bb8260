//! # ridgegate-matcher
//!
//! 1:1 fingerprint comparison with calibrated scores, multi-view/multi-attempt fusion and the
//! evaluation metrics that prove accuracy.
//!
//! ## Algorithm
//! 1. **Search form** ([`Candidate::new`]): minutiae rescaled to 500 dpi (any input dpi), the best
//!    [`params::MAX_MATCH_MINUTIAE`] by quality, each with edges to its
//!    [`params::EDGE_NEIGHBOURS`] nearest neighbours. An edge is described by its length and the
//!    two minutia directions relative to it: invariant to rotation and translation.
//! 2. **Probe index** ([`Probe::new`]): the probe's edges hashed by quantised (length, angle,
//!    angle), each inserted into every neighbouring bucket, so a candidate edge needs one lookup.
//! 3. **Root votes**: every compatible probe/candidate edge pair votes for the two minutia
//!    correspondences it implies; the [`params::MAX_ROOTS`] best-voted become alignment anchors.
//! 4. **Consolidation**: for each anchor, the probe is rotated/translated onto the candidate and
//!    minutiae are paired greedily from the anchor outwards, with a distance tolerance that grows
//!    with the distance from the anchor (skin distortion). The best alignment is refined once by a
//!    least-squares rigid fit over its pairs and paired again.
//! 5. **Raw score** = `pairs² / √(overlap_probe · overlap_candidate)`, counting only minutiae that
//!    fall inside the other impression's area (partial overlap is not penalised).
//! 6. **Calibration** ([`calibration`]): raw → [`Score`] = −10·log10(FMR) from a table measured on
//!    real impostor comparisons.
//!
//! Scores are deterministic. [`Probe`] and [`Candidate`] are immutable after construction and
//! `Send + Sync`: one probe can be compared against many candidates from many threads.
//! Cost: building a [`Candidate`] ~10 µs, a [`Probe`] ~30 µs, one comparison ~10–30 µs
//! (see `benches/matcher.rs`).

pub mod calibration;
pub mod eval;
pub mod fusion;
pub mod gallery;
pub mod params;
mod search;

pub use gallery::{Cascade, Filter, FingerHit, Gallery, GalleryError, Hit, SearchStats};

use params::*;
use ridgegate_core::{Score, Template};
use search::{SearchTemplate, angle_distance, buckets, compatible, edge_key, wrap};

/// Candidate-side search data of one template. Build once, compare many times. `Send + Sync`.
#[derive(Debug, Clone)]
pub struct Candidate {
    t: SearchTemplate,
}

impl Candidate {
    /// Builds the search form (rescaling to 500 dpi, edges, grid). Cost: O(n²) in minutiae, ~10 µs.
    pub fn new(template: &Template) -> Self {
        Candidate { t: SearchTemplate::new(template) }
    }
    /// Number of minutiae used for matching.
    pub fn minutia_count(&self) -> usize {
        self.t.points.len()
    }
}

/// Probe-side index: the probe's search form plus its edge hash table. Build once per probe and
/// compare against any number of candidates, from any number of threads. `Send + Sync`.
#[derive(Debug, Clone)]
pub struct Probe {
    t: SearchTemplate,
    /// (key, edge index) sorted by key; each edge appears under all 27 neighbouring buckets.
    index: Vec<(u32, u16)>,
}

impl Probe {
    /// Builds the probe index. Cost: ~30 µs for 40 minutiae.
    pub fn new(template: &Template) -> Self {
        let t = SearchTemplate::new(template);
        let mut index = Vec::with_capacity(t.edges.len() * 27);
        for (i, e) in t.edges.iter().enumerate() {
            let (l, f, to) = buckets(e);
            for dl in -1..=1 {
                if l + dl < 0 {
                    continue;
                }
                for df in -1..=1 {
                    for dt in -1..=1 {
                        index.push((edge_key(l + dl, f + df, to + dt), i as u16));
                    }
                }
            }
        }
        index.sort_unstable();
        index.dedup();
        Probe { t, index }
    }

    /// Calibrated similarity of this probe and a candidate (see [`calibration`] for the FMR
    /// meaning). Deterministic; thread-safe.
    pub fn compare(&self, candidate: &Candidate) -> Score {
        calibration::score_from_raw(self.raw_score(candidate))
    }

    /// The uncalibrated similarity (`pairs² / √(overlaps)`), for calibration and diagnostics.
    pub fn raw_score(&self, candidate: &Candidate) -> f32 {
        let (p, c) = (&self.t, &candidate.t);
        let (np, nc) = (p.points.len(), c.points.len());
        if np < 2 || nc < 2 {
            return 0.0;
        }
        // Root votes.
        let mut votes = vec![0u16; np * nc];
        for ce in &c.edges {
            let (l, f, t) = buckets(ce);
            let key = edge_key(l, f, t);
            let start = self.index.partition_point(|&(k, _)| k < key);
            for &(k, pi) in &self.index[start..] {
                if k != key {
                    break;
                }
                let pe = &p.edges[pi as usize];
                if compatible(pe, ce) {
                    votes[pe.from as usize * nc + ce.from as usize] += 1;
                    votes[pe.to as usize * nc + ce.to as usize] += 1;
                }
            }
        }
        let mut roots: Vec<(u16, u16, u16)> = votes
            .iter()
            .enumerate()
            .filter(|&(_, &v)| v > 0)
            .map(|(i, &v)| (v, (i / nc) as u16, (i % nc) as u16))
            .collect();
        roots.sort_unstable_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)).then(a.2.cmp(&b.2)));
        roots.truncate(MAX_ROOTS);
        // Consolidation from each root; refine the best.
        let mut best: Option<Pairing> = None;
        let mut scratch = Scratch::new(np, nc);
        for &(_, pi, ci) in &roots {
            let (pp, cp) = (p.points[pi as usize], c.points[ci as usize]);
            let align = Alignment { theta: cp.dir - pp.dir, anchor_p: (pp.x, pp.y), anchor_c: (cp.x, cp.y) };
            let pairing = pair(p, c, &align, &mut scratch);
            if best.as_ref().is_none_or(|b| pairing.raw > b.raw) {
                best = Some(pairing);
            }
        }
        let Some(best) = best else { return 0.0 };
        let refined = refit(p, c, &best).map(|a| pair(p, c, &a, &mut scratch));
        match refined {
            Some(r) if r.raw > best.raw => r.raw,
            _ => best.raw,
        }
    }
}

/// Compares two templates (builds both search forms; ~50 µs). Not symmetric in general:
/// `a` is the probe. Use [`Probe`] and [`Candidate`] to reuse work across comparisons.
pub fn compare(a: &Template, b: &Template) -> Score {
    Probe::new(a).compare(&Candidate::new(b))
}

/// A rigid alignment: rotate by `theta` about `anchor_p`, move `anchor_p` onto `anchor_c`.
struct Alignment {
    theta: f32,
    anchor_p: (f32, f32),
    anchor_c: (f32, f32),
}

struct Pairing {
    raw: f32,
    pairs: Vec<(u16, u16)>,
}

struct Scratch {
    used: Vec<bool>,
    order: Vec<(f32, u16)>,
}

impl Scratch {
    fn new(np: usize, nc: usize) -> Self {
        Scratch { used: vec![false; nc], order: Vec::with_capacity(np) }
    }
}

/// Greedy pairing under an alignment, from the anchor outwards.
fn pair(p: &SearchTemplate, c: &SearchTemplate, a: &Alignment, s: &mut Scratch) -> Pairing {
    let (sin, cos) = a.theta.sin_cos();
    let (ax, ay) = a.anchor_p;
    let (bx, by) = a.anchor_c;
    s.used.iter_mut().for_each(|u| *u = false);
    s.order.clear();
    s.order.extend(p.points.iter().enumerate().map(|(i, q)| ((q.x - ax).powi(2) + (q.y - ay).powi(2), i as u16)));
    s.order.sort_unstable_by(|x, y| x.0.total_cmp(&y.0).then(x.1.cmp(&y.1)));
    let mut pairs = Vec::new();
    let mut overlap_p = 0usize;
    for &(d2, i) in &s.order {
        let q = p.points[i as usize];
        let (dx, dy) = (q.x - ax, q.y - ay);
        let (tx, ty) = (cos * dx - sin * dy + bx, sin * dx + cos * dy + by);
        if c.covers(tx, ty) {
            overlap_p += 1;
        }
        let td = wrap(q.dir + a.theta);
        let tol = (PAIR_DISTANCE_BASE + PAIR_DISTANCE_SLOPE * d2.sqrt()).min(PAIR_DISTANCE_MAX);
        let mut best: Option<(f32, usize)> = None;
        c.near(tx, ty, tol, |j| {
            if s.used[j] {
                return;
            }
            let r = c.points[j];
            let dist2 = (r.x - tx).powi(2) + (r.y - ty).powi(2);
            let da = angle_distance(td, r.dir);
            if dist2 <= tol * tol && da <= PAIR_ANGLE_TOLERANCE {
                let cost = dist2.sqrt() / tol + da / PAIR_ANGLE_TOLERANCE;
                if best.is_none_or(|(b, _)| cost < b) {
                    best = Some((cost, j));
                }
            }
        });
        if let Some((_, j)) = best {
            s.used[j] = true;
            pairs.push((i, j as u16));
        }
    }
    // Candidate minutiae inside the probe's area (inverse transform).
    let overlap_c = c
        .points
        .iter()
        .filter(|r| {
            let (dx, dy) = (r.x - bx, r.y - by);
            p.covers(cos * dx + sin * dy + ax, -sin * dx + cos * dy + ay)
        })
        .count();
    let n = pairs.len() as f32;
    let denom = ((overlap_p as f32).max(MIN_OVERLAP_COUNT) * (overlap_c as f32).max(MIN_OVERLAP_COUNT)).sqrt();
    Pairing { raw: n * n / denom, pairs }
}

/// Least-squares rigid fit over the pairs of a pairing (needs ≥ 3 pairs).
fn refit(p: &SearchTemplate, c: &SearchTemplate, best: &Pairing) -> Option<Alignment> {
    if best.pairs.len() < 3 {
        return None;
    }
    let n = best.pairs.len() as f32;
    let (mut px, mut py, mut cx, mut cy) = (0.0, 0.0, 0.0, 0.0);
    for &(i, j) in &best.pairs {
        px += p.points[i as usize].x;
        py += p.points[i as usize].y;
        cx += c.points[j as usize].x;
        cy += c.points[j as usize].y;
    }
    let (px, py, cx, cy) = (px / n, py / n, cx / n, cy / n);
    let (mut dot, mut cross) = (0.0, 0.0);
    for &(i, j) in &best.pairs {
        let (ax, ay) = (p.points[i as usize].x - px, p.points[i as usize].y - py);
        let (bx, by) = (c.points[j as usize].x - cx, c.points[j as usize].y - cy);
        dot += ax * bx + ay * by;
        cross += ax * by - ay * bx;
    }
    Some(Alignment { theta: cross.atan2(dot), anchor_p: (px, py), anchor_c: (cx, cy) })
}

#[cfg(test)]
mod tests;
