//! The matcher's in-memory form of a template: minutiae rescaled to 500 dpi, each with a
//! bit-based Minutia Cylinder-Code (MCC) describing its neighbourhood in its own frame.
//! Built once per template ([`crate::Candidate::new`], [`crate::Probe::new`]).
//!
//! A cylinder of minutia `m` is a stack of [`DIRECTION_CELLS`] layers of
//! [`SPATIAL_CELLS`]² cells laid on a disc of radius [`CYLINDER_RADIUS`] centred on `m` and
//! rotated with `m`'s direction. Cell `(i, j, k)` is set when neighbours lie near the cell centre
//! with a direction, relative to `m`, near layer `k`'s angle (Gaussian contributions in space and
//! direction, thresholded). A cell is *valid* when its centre is inside the disc and near the
//! template's minutiae (convex hull grown by [`HULL_MARGIN`]): cells outside the impression carry
//! no information and are masked out of comparisons.

use crate::params::*;
use ridgegate_core::{Minutia, Template};
use std::f32::consts::{PI, TAU};
use std::sync::LazyLock;

/// 64-bit words per cylinder layer.
pub(crate) const LAYER_WORDS: usize = SPATIAL_CELLS * SPATIAL_CELLS / 64;
/// Words per cylinder: the validity mask, then one layer per direction.
pub(crate) const CYLINDER_WORDS: usize = LAYER_WORDS * (DIRECTION_CELLS + 1);
const CELLS: usize = SPATIAL_CELLS * SPATIAL_CELLS;
const CELL_SIDE: f32 = 2.0 * CYLINDER_RADIUS / SPATIAL_CELLS as f32;
const LAYER_ANGLE: f32 = TAU / DIRECTION_CELLS as f32;
/// Neighbours farther than this from the centre cannot contribute to any cell.
const NEIGHBOUR_REACH: f32 = CYLINDER_RADIUS + SPATIAL_REACH_SIGMAS * SIGMA_SPATIAL;
/// Resolution of the spatial Gaussian table, steps per px.
const GAUSS_STEPS_PER_PX: f32 = 20.0;
/// Entries of the directional contribution table over a full turn.
const DIRECTION_STEPS: usize = 720;
/// Directional contributions below this are skipped: even at the spatial peak (≈0.043) they add
/// less than a tenth of [`CELL_THRESHOLD`] to a cell.
const MIN_DIRECTION_WEIGHT: f32 = 0.02;
/// Accumulator lanes per spatial cell (one per direction layer, padded so that a neighbour's
/// contribution to a cell is two 4-wide vector multiply-adds on baseline x86-64).
const LANES: usize = 8;
const _: () = assert!(DIRECTION_CELLS <= LANES, "one accumulator lane per direction layer");

/// A minutia at 500 dpi with its direction in image space (radians, y down) and its
/// reliability weight in the consolidation's counts ([`minutia_weight`]).
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Point {
    pub x: f32,
    pub y: f32,
    pub dir: f32,
    pub weight: f32,
}

/// The consolidation's weight of a minutia of quality `quality` (1–100): `(quality / 100)`
/// raised to [`MINUTIA_WEIGHT_EXPONENT`]; quality 0 (not reported, as in many imported ISO
/// templates) weighs 1, like quality 100. Only ratios of weights within one template matter, so a
/// template whose minutiae all carry one quality scores as if unweighted.
#[inline]
pub(crate) fn minutia_weight(quality: u8) -> f32 {
    match quality {
        0 => 1.0,
        q => (f32::from(q.min(100)) / 100.0).powi(MINUTIA_WEIGHT_EXPONENT),
    }
}

/// Template in search form: the points whose cylinder is valid, and their cylinders.
#[derive(Debug, Clone)]
pub(crate) struct SearchTemplate {
    /// Minutiae with a valid cylinder.
    pub points: Vec<Point>,
    /// `CYLINDER_WORDS` words per point: validity mask, then the direction layers.
    pub cylinders: Vec<u64>,
    /// Per point: the union of its cylinder's direction layers (where any neighbour lies), for
    /// the cheap pre-selection of candidate pairs (probe side; empty in a [`Side::Candidate`] form).
    pub occupancy: Vec<Occupancy>,
    /// The points ordered by direction (ties by index): the candidate-side loop of the
    /// pre-selection runs in this order, so that its rotation test is predictable (empty in a
    /// [`Side::Probe`] form).
    pub by_direction: Vec<DirectionEntry>,
    /// Number of minutiae considered (valid cylinder or not).
    pub minutiae: usize,
    /// Every minutia considered (valid cylinder or not), sorted by x (then y, direction), for
    /// the geometric consolidation.
    pub all: Vec<Point>,
    /// The best minutiae in the alignment vote's form.
    pub vote: crate::vote::VotePoints,
    /// Convex hull of the minutiae: where the impression is.
    pub hull: Hull,
    /// The template's ridge flow at 500 dpi (empty without one).
    pub flow: crate::flow::FlowMap,
}

/// Which side of a comparison a search form serves: each side reads part of the pre-selection
/// data, so a one-sided form skips the rest.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Side {
    /// Probe side only: [`SearchTemplate::occupancy`], no [`SearchTemplate::by_direction`].
    Probe,
    /// Candidate side only: [`SearchTemplate::by_direction`], no [`SearchTemplate::occupancy`].
    Candidate,
    /// Both.
    #[cfg_attr(not(test), allow(dead_code))]
    Both,
}

/// A point in [`SearchTemplate::by_direction`] order: what the pre-selection reads of it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct DirectionEntry {
    pub dir: f32,
    /// Index in [`SearchTemplate::points`].
    pub index: u16,
    pub occupancy: Occupancy,
}

pub(crate) fn wrap(a: f32) -> f32 {
    let r = rem_tau(a);
    if r >= TAU { 0.0 } else { r }
}

/// `x.rem_euclid(2π)`, bit for bit, without the `fmod` call for the arguments the matcher
/// produces (`[−2π, 4π)`: one conditional add or subtract, exact there by Sterbenz's lemma).
#[inline]
fn rem_tau(x: f32) -> f32 {
    if (0.0..TAU).contains(&x) {
        x
    } else if (-TAU..0.0).contains(&x) {
        // fmod returns x itself; rem_euclid then adds 2π once: the same rounding step.
        x + TAU
    } else if (TAU..2.0 * TAU).contains(&x) {
        x - TAU
    } else {
        x.rem_euclid(TAU)
    }
}

/// Signed angle difference `a − b` in `[−π, π)`.
#[inline]
pub(crate) fn angle_delta(a: f32, b: f32) -> f32 {
    let d = rem_tau(a - b + PI) - PI;
    if d >= PI { d - TAU } else { d }
}

/// `x as usize` for a table position `0 ≤ x < 2^31` (then the same value): converted through
/// `i32`, one instruction on baseline x86-64, where `f32 → usize` takes a sequence of them.
#[inline(always)]
pub(crate) fn table_index(x: f32) -> usize {
    debug_assert!((0.0..2_147_483_648.0).contains(&x), "table position {x} out of range");
    x as i32 as usize
}

/// Absolute angular difference in `[0, π]` of two angles in `[0, 2π)` (no division: hot loop).
#[inline]
pub(crate) fn angle_distance(a: f32, b: f32) -> f32 {
    let d = (a - b).abs();
    if d > PI { TAU - d } else { d }
}

/// Cell centres in the cylinder frame and whether they lie in the disc.
struct Geometry {
    /// Cell centre coordinate along one axis, by cell index.
    axis: [f32; SPATIAL_CELLS],
    /// The cells whose centre lies in the disc: (cell index, centre u, centre v).
    disc: Vec<(usize, f32, f32)>,
    /// The same cells as a bit mask.
    disc_mask: [u64; LAYER_WORDS],
    disc_cells: usize,
}

static GEOMETRY: LazyLock<Geometry> = LazyLock::new(|| {
    let half = SPATIAL_CELLS as f32 / 2.0;
    let axis: [f32; SPATIAL_CELLS] = std::array::from_fn(|i| (i as f32 + 0.5 - half) * CELL_SIDE);
    let mut disc = Vec::with_capacity(CELLS);
    let mut disc_mask = [0u64; LAYER_WORDS];
    for j in 0..SPATIAL_CELLS {
        for i in 0..SPATIAL_CELLS {
            let (u, v, cell) = (axis[i], axis[j], j * SPATIAL_CELLS + i);
            if u.hypot(v) <= CYLINDER_RADIUS {
                disc.push((cell, u, v));
                disc_mask[cell / 64] |= 1u64 << (cell % 64);
            }
        }
    }
    let disc_cells = disc.len();
    Geometry { axis, disc, disc_mask, disc_cells }
});

/// Cells of a cylinder's disc (the denominator of the validity fractions).
pub(crate) fn disc_cells() -> usize {
    GEOMETRY.disc_cells
}

/// `exp(−t²/2σS²) / (σS·√2π)` for t ≥ 0 in steps of 1/[`GAUSS_STEPS_PER_PX`] px, up to
/// [`SPATIAL_REACH_SIGMAS`]·σS.
/// A fixed-size array, so that a clamped index needs no bounds check.
static SPATIAL_GAUSS: LazyLock<[f32; GAUSS_ENTRIES]> = LazyLock::new(|| {
    let norm = 1.0 / (SIGMA_SPATIAL * (TAU).sqrt());
    std::array::from_fn(|k| {
        let t = k as f32 / GAUSS_STEPS_PER_PX;
        // The normalisation is applied once per axis as its square root (the 2-D value is
        // the product of the two axes).
        (-t * t / (2.0 * SIGMA_SPATIAL * SIGMA_SPATIAL)).exp() * norm.sqrt()
    })
});
/// Entries of [`SPATIAL_GAUSS`]: 0 to the reach and one past it.
const GAUSS_ENTRIES: usize = (SPATIAL_REACH_SIGMAS * SIGMA_SPATIAL * GAUSS_STEPS_PER_PX) as usize + 2;

/// Error function (Abramowitz & Stegun 7.1.26, |error| < 1.5e-7).
fn erf(x: f64) -> f64 {
    let s = x.signum();
    let x = x.abs();
    let t = 1.0 / (1.0 + 0.327_591_1 * x);
    let y = 1.0
        - (((((1.061_405_429 * t - 1.453_152_027) * t) + 1.421_413_741) * t - 0.284_496_736) * t + 0.254_829_592)
            * t
            * (-x * x).exp();
    s * y
}

/// Directional contribution of a neighbour whose direction relative to the centre is
/// `d = step·2π/DIRECTION_STEPS − π` to each layer: the area of a Gaussian (σD) centred on `d`
/// over the layer's angular interval, with wrap-around. Weights below [`MIN_DIRECTION_WEIGHT`]
/// are 0 (adding `s·0 = +0` leaves a cell unchanged); lanes past [`DIRECTION_CELLS`] are 0.
static DIRECTION_WEIGHTS: LazyLock<[[f32; LANES]; DIRECTION_STEPS]> = LazyLock::new(|| {
    let sd = SIGMA_DIRECTION as f64 * std::f64::consts::SQRT_2;
    std::array::from_fn(|s| {
        let d = s as f64 * std::f64::consts::TAU / DIRECTION_STEPS as f64 - std::f64::consts::PI;
        let mut w = [0f32; LANES];
        for (k, wk) in w.iter_mut().take(DIRECTION_CELLS).enumerate() {
            let centre = -std::f64::consts::PI + (k as f64 + 0.5) * LAYER_ANGLE as f64;
            let mut delta = (centre - d).rem_euclid(std::f64::consts::TAU);
            if delta > std::f64::consts::PI {
                delta -= std::f64::consts::TAU;
            }
            let half = LAYER_ANGLE as f64 / 2.0;
            let weight = (0.5 * (erf((delta + half) / sd) - erf((delta - half) / sd))) as f32;
            *wk = if weight >= MIN_DIRECTION_WEIGHT { weight } else { 0.0 };
        }
        w
    })
});

/// Convex hull of the minutiae as half-planes: `(nx, ny, c)` with `nx·x + ny·y − c` the signed
/// distance outside the edge's line. Points when the hull is degenerate.
#[derive(Debug, Clone)]
pub(crate) enum Hull {
    Edges(Vec<(f32, f32, f32)>),
    Points(Vec<(f32, f32)>),
}

impl Hull {
    fn new(points: &[Point]) -> Hull {
        let mut p: Vec<(f32, f32)> = points.iter().map(|q| (q.x, q.y)).collect();
        p.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.total_cmp(&b.1)));
        p.dedup();
        if p.len() < 3 {
            return Hull::Points(p);
        }
        let cross = |o: (f32, f32), a: (f32, f32), b: (f32, f32)| (a.0 - o.0) * (b.1 - o.1) - (a.1 - o.1) * (b.0 - o.0);
        // Andrew's monotone chain.
        let mut h: Vec<(f32, f32)> = Vec::with_capacity(2 * p.len());
        for &q in p.iter().chain(p.iter().rev().skip(1)) {
            while h.len() >= 2 && cross(h[h.len() - 2], h[h.len() - 1], q) <= 0.0 {
                h.pop();
            }
            h.push(q);
        }
        h.pop();
        if h.len() < 3 {
            return Hull::Points(p);
        }
        // Counter-clockwise in (x, y) axes: the outward normal of edge a→b is (ey, −ex).
        let edges = (0..h.len())
            .map(|k| {
                let (a, b) = (h[k], h[(k + 1) % h.len()]);
                let (ex, ey) = (b.0 - a.0, b.1 - a.1);
                let len = ex.hypot(ey).max(1e-6);
                let (nx, ny) = (ey / len, -ex / len);
                (nx, ny, nx * a.0 + ny * a.1)
            })
            .collect();
        Hull::Edges(edges)
    }

    /// Whether every point within `radius` of (x, y) lies within `margin` of the hull (then the
    /// per-cell test can be skipped: exact for polygon hulls, conservative otherwise).
    #[inline]
    fn disc_near(&self, x: f32, y: f32, radius: f32, margin: f32) -> bool {
        match self {
            Hull::Edges(e) => e.iter().all(|&(nx, ny, c)| nx * x + ny * y - c + radius <= margin),
            Hull::Points(_) => false,
        }
    }

    /// Whether (x, y) lies within `margin` of the hull (mitred corners for polygon hulls).
    #[inline]
    pub(crate) fn near(&self, x: f32, y: f32, margin: f32) -> bool {
        match self {
            Hull::Edges(e) => e.iter().all(|&(nx, ny, c)| nx * x + ny * y - c <= margin),
            Hull::Points(p) => p.iter().any(|&(px, py)| (px - x).powi(2) + (py - y).powi(2) <= margin * margin),
        }
    }

    /// The test [`Hull::near`] reduces to for points within `radius` of (x, y): polygon edges
    /// that every such point is inside of by more than [`HULL_SLACK`] are dropped (they pass for
    /// all of them, float rounding included), so the result is the same at a fraction of the cost.
    fn edges_near(&self, x: f32, y: f32, radius: f32, margin: f32) -> HullTest<'_> {
        match self {
            Hull::Edges(e) => {
                let mut edges = [(0f32, 0f32, 0f32); MAX_TESTED_EDGES];
                let mut n = 0;
                for &(nx, ny, c) in e {
                    if nx * x + ny * y - c + radius > margin - HULL_SLACK {
                        if n == MAX_TESTED_EDGES {
                            return HullTest::Full(self);
                        }
                        edges[n] = (nx, ny, c);
                        n += 1;
                    }
                }
                HullTest::Edges(edges, n)
            }
            Hull::Points(_) => HullTest::Full(self),
        }
    }
}

/// Margin, px, by which a point must pass a hull edge for the edge to be skipped per cell: far
/// above the float rounding of the edge test (~1e-4 px at image coordinates).
const HULL_SLACK: f32 = 0.01;
/// Most hull edges tested per cell (more, and the whole hull is tested).
const MAX_TESTED_EDGES: usize = 16;

/// The validity test of the cells of one cylinder: [`Hull::near`], or the part of it that can fail.
enum HullTest<'a> {
    /// The edges (first `n` entries) that some cell may lie beyond.
    Edges([(f32, f32, f32); MAX_TESTED_EDGES], usize),
    /// The full test.
    Full(&'a Hull),
}

impl HullTest<'_> {
    /// Whether (x, y) lies within `margin` of the hull. Tests every kept edge (no early exit: a
    /// few edges, and the branch would depend on the data).
    #[inline]
    fn passes(&self, x: f32, y: f32, margin: f32) -> bool {
        match self {
            HullTest::Edges(e, n) => {
                e[..*n].iter().fold(true, |inside, &(nx, ny, c)| inside & (nx * x + ny * y - c <= margin))
            }
            HullTest::Full(h) => h.near(x, y, margin),
        }
    }
}

impl SearchTemplate {
    /// Rescales, selects the best minutiae and builds their cylinders, with the pre-selection
    /// data of both sides. Cost O(n·k·cells) for n minutiae with k neighbours each.
    #[cfg(test)]
    pub fn new(t: &Template) -> Self {
        Self::for_side(t, Side::Both)
    }

    /// [`SearchTemplate::new`] with only the pre-selection data that `side` reads.
    pub fn for_side(t: &Template, side: Side) -> Self {
        let scale = MATCH_DPI / t.dpi.max(1) as f32;
        let all: Vec<Point> = match_order(&t.minutiae)
            .into_iter()
            .take(MAX_MATCH_MINUTIAE)
            .map(|i| &t.minutiae[i])
            // ISO angle is counter-clockwise as seen (y down): image-space direction is its negation.
            .map(|m| Point {
                x: m.x as f32 * scale,
                y: m.y as f32 * scale,
                dir: wrap(-m.angle),
                weight: minutia_weight(m.quality),
            })
            .collect();
        let hull = Hull::new(&all);
        let geometry = &*GEOMETRY;
        let mut points = Vec::with_capacity(all.len());
        let mut occupancy = Vec::with_capacity(all.len());
        let mut cylinders = Vec::with_capacity(all.len() * CYLINDER_WORDS);
        build_cylinders_for_this_cpu(&all, &hull, geometry, &mut points, &mut occupancy, &mut cylinders);
        let mut by_direction = Vec::new();
        if side != Side::Probe {
            by_direction.extend(points.iter().zip(&occupancy).enumerate().map(|(i, (p, &occupancy))| DirectionEntry {
                dir: p.dir,
                index: i as u16,
                occupancy,
            }));
            by_direction.sort_unstable_by(|a, b| a.dir.total_cmp(&b.dir).then(a.index.cmp(&b.index)));
        }
        if side == Side::Candidate {
            occupancy = Vec::new();
        }
        let minutiae = all.len();
        // `all` is best quality first until it is sorted by position.
        let vote = crate::vote::VotePoints::new(&all[..all.len().min(ALIGN_VOTE_MINUTIAE)]);
        let mut all = all;
        // Unstable: points that compare equal are identical.
        all.sort_unstable_by(|a, b| a.x.total_cmp(&b.x).then(a.y.total_cmp(&b.y)).then(a.dir.total_cmp(&b.dir)));
        let flow = crate::flow::FlowMap::new(t.ridge_flow.as_ref(), t.dpi);
        SearchTemplate { points, cylinders, occupancy, by_direction, minutiae, all, vote, hull, flow }
    }

    /// The words of cylinder `i`.
    #[inline]
    pub fn cylinder(&self, i: usize) -> &[u64] {
        &self.cylinders[i * CYLINDER_WORDS..(i + 1) * CYLINDER_WORDS]
    }
}

/// Builds the cylinder of every point of `all` ([`build_cylinder`]) and appends each valid one's
/// point, words and occupancy. Compiled twice — for baseline x86-64 and for CPUs with AVX2, whose
/// 8-wide float vectors add a neighbour's contribution to all direction layers of a cell in one
/// instruction — and picked once per process by a run-time CPU check (`multiversion`). Both
/// versions give bit-identical cylinders: Rust never contracts `a + s·w` into a fused
/// multiply-add, and the sums run in the same order (tested against the scalar reference).
/// Measured with `ridgegate bench match` on the 8 FVC sets: search-form build p50 28.5 → 26.8 µs.
#[multiversion::multiversion(targets("x86_64+avx2"))]
fn build_cylinders_for_this_cpu(
    all: &[Point],
    hull: &Hull,
    geometry: &Geometry,
    points: &mut Vec<Point>,
    occupancy: &mut Vec<Occupancy>,
    cylinders: &mut Vec<u64>,
) {
    let mut values = [[0f32; LANES]; CELLS];
    let mut words = [0u64; CYLINDER_WORDS];
    for (c, m) in all.iter().enumerate() {
        if build_cylinder(c, all, hull, geometry, &mut values, &mut words) {
            points.push(*m);
            cylinders.extend_from_slice(&words);
            let mut union = [0u64; LAYER_WORDS];
            for k in 1..=DIRECTION_CELLS {
                for (w, u) in union.iter_mut().enumerate() {
                    *u |= words[k * LAYER_WORDS + w];
                }
            }
            let mut valid = [0u64; LAYER_WORDS];
            valid.copy_from_slice(&words[..LAYER_WORDS]);
            occupancy.push(Occupancy { valid, occupied: union });
        }
    }
}

/// Indices of `minutiae`, best quality first, then by y and x, ties in template order (the
/// order in which a search form keeps them). One integer key per minutia (quality, y, x, index)
/// sorted unstably: the stable order without a comparison closure or the stable sort's buffer.
fn match_order(minutiae: &[Minutia]) -> Vec<usize> {
    const INDEX_BITS: u32 = 24;
    if minutiae.len() > 1 << INDEX_BITS {
        // Beyond any real template (the index would not fit its field).
        return match_order_by_comparison(minutiae);
    }
    let mut keys: Vec<u64> = minutiae
        .iter()
        .enumerate()
        .map(|(i, m)| {
            u64::from(u8::MAX - m.quality) << 56 | u64::from(m.y) << 40 | u64::from(m.x) << INDEX_BITS | i as u64
        })
        .collect();
    keys.sort_unstable();
    keys.into_iter().map(|k| (k & ((1 << INDEX_BITS) - 1)) as usize).collect()
}

/// [`match_order`] by a stable comparison sort.
fn match_order_by_comparison(minutiae: &[Minutia]) -> Vec<usize> {
    let mut order: Vec<usize> = (0..minutiae.len()).collect();
    order.sort_by(|&a, &b| {
        let (a, b) = (&minutiae[a], &minutiae[b]);
        b.quality.cmp(&a.quality).then(a.y.cmp(&b.y)).then(a.x.cmp(&b.x))
    });
    order
}

/// Builds the cylinder of `all[c]` into `words`; false if the cylinder is invalid. `values` is
/// scratch space (one accumulator per cell and layer, cell-major) that must be all zero on entry
/// and is left all zero. Cost: one distance test per minutia, then per neighbour within
/// [`NEIGHBOUR_REACH`] two vector multiply-adds per cell within the reach
/// ([`SPATIAL_REACH_SIGMAS`]·σS) of it (≤ 9 cells). The
/// neighbour search, angle wrap and thresholding have no data-dependent branches: on inputs the
/// branch predictor has not seen (every fresh comparison) they mispredicted often.
#[inline(always)]
fn build_cylinder(
    c: usize,
    all: &[Point],
    hull: &Hull,
    g: &Geometry,
    values: &mut [[f32; LANES]],
    words: &mut [u64; CYLINDER_WORDS],
) -> bool {
    debug_assert!(values.iter().all(|v| *v == [0.0; LANES]), "scratch accumulators not cleared");
    let m = all[c];
    // The neighbours within reach, in index order (the order of the sums below, so that every
    // accumulator gets the same float additions in the same order as before), branch-free.
    let mut near = [0u16; MAX_MATCH_MINUTIAE];
    let mut neighbours = 0usize;
    for (t, q) in all.iter().enumerate().take(MAX_MATCH_MINUTIAE) {
        let (dx, dy) = (q.x - m.x, q.y - m.y);
        near[neighbours] = t as u16;
        // Coordinates are finite (pixel positions × scale): `<=` is the negation of `>`.
        neighbours += usize::from((dx * dx + dy * dy <= NEIGHBOUR_REACH * NEIGHBOUR_REACH) & (t != c));
    }
    if neighbours < MIN_NEIGHBOURS {
        return false;
    }
    let (sin, cos) = m.dir.sin_cos();
    // Validity mask.
    words.iter_mut().for_each(|w| *w = 0);
    let valid = if hull.disc_near(m.x, m.y, CYLINDER_RADIUS, HULL_MARGIN) {
        // The whole disc is near the hull (typical away from the impression's border).
        words[..LAYER_WORDS].copy_from_slice(&g.disc_mask);
        g.disc_cells
    } else {
        // Only the hull edges that some cell of the disc could lie beyond are tested per cell.
        let near = hull.edges_near(m.x, m.y, CYLINDER_RADIUS, HULL_MARGIN);
        let mut valid = 0usize;
        for &(cell, u, v) in &g.disc {
            let (x, y) = (m.x + cos * u - sin * v, m.y + sin * u + cos * v);
            let inside = near.passes(x, y, HULL_MARGIN);
            words[cell / 64] |= u64::from(inside) << (cell % 64);
            valid += usize::from(inside);
        }
        valid
    };
    if (valid as f32) < MIN_VALID_CELLS * g.disc_cells as f32 {
        return false;
    }
    // Contributions: each neighbour adds (spatial Gaussian) × (directional weight per layer) to
    // the cells whose centre lies within the reach of it along each axis.
    let gauss = &*SPATIAL_GAUSS;
    let gauss_at = |t: f32| gauss[table_index(t.abs() * GAUSS_STEPS_PER_PX).min(gauss.len() - 1)];
    let dirw = &*DIRECTION_WEIGHTS;
    for &t in &near[..neighbours] {
        let q = all[t as usize];
        let (dx, dy) = (q.x - m.x, q.y - m.y);
        let (u, v) = (cos * dx + sin * dy, -sin * dx + cos * dy);
        let (Some((i0, i1)), Some((j0, j1))) = (cell_span(u), cell_span(v)) else { continue };
        let d = unit_angle_delta(q.dir, m.dir);
        let step = table_index((d + PI) / TAU * DIRECTION_STEPS as f32).min(DIRECTION_STEPS - 1);
        let w = &dirw[step];
        let mut gx = [0f32; SPATIAL_CELLS];
        for (gx, &centre) in gx[i0..=i1].iter_mut().zip(&g.axis[i0..=i1]) {
            *gx = gauss_at(u - centre);
        }
        for j in j0..=j1 {
            let gy = gauss_at(v - g.axis[j]);
            let row = &mut values[j * SPATIAL_CELLS..(j + 1) * SPATIAL_CELLS];
            for i in i0..=i1 {
                add_scaled(&mut row[i], gx[i] * gy, w);
            }
        }
    }
    // Thresholding, 8 cells at a time: per lane (layer), the cells above the threshold as 8
    // bits, gathered with vector compares and ORs (no branches), then copied into the layers.
    // The accumulators are cleared on the way.
    let (mask, layers) = words.split_at_mut(LAYER_WORDS);
    for (group, cells) in values.chunks_exact_mut(8).enumerate() {
        let mut lanes = [0u32; LANES];
        for (b, acc) in cells.iter_mut().enumerate() {
            let bit = 1u32 << b;
            for (lane, &value) in lanes.iter_mut().zip(acc.iter()) {
                *lane |= if value > CELL_THRESHOLD { bit } else { 0 };
            }
            *acc = [0.0; LANES];
        }
        let (word, shift) = (group * 8 / 64, group * 8 % 64);
        for (k, &bits) in lanes.iter().take(DIRECTION_CELLS).enumerate() {
            layers[k * LAYER_WORDS + word] |= (bits as u64) << shift;
        }
    }
    for k in 0..DIRECTION_CELLS {
        for (layer, &valid) in layers[k * LAYER_WORDS..(k + 1) * LAYER_WORDS].iter_mut().zip(mask.iter()) {
            *layer &= valid;
        }
    }
    true
}

const _: () = assert!(CELLS % 8 == 0, "thresholding handles 8 cells at a time");

/// [`angle_delta`] for two angles in `[0, 2π)` (minutia directions), bit for bit, with selects
/// instead of branches: `a − b + π` lies in `[−2π, 2π)`, where [`rem_tau`] is one conditional
/// add or subtract.
#[inline(always)]
fn unit_angle_delta(a: f32, b: f32) -> f32 {
    debug_assert!((0.0..TAU).contains(&a) && (0.0..TAU).contains(&b), "angles {a}, {b} not wrapped");
    let x = a - b + PI;
    let r = if x < 0.0 { x + TAU } else { x };
    let r = if r >= TAU { x - TAU } else { r };
    let d = r - PI;
    if d >= PI { d - TAU } else { d }
}

/// `acc += s·w`, lane by lane (vectorises: no lane depends on another).
#[inline(always)]
fn add_scaled(acc: &mut [f32; LANES], s: f32, w: &[f32; LANES]) {
    let (a, w) = (*acc, *w);
    *acc = std::array::from_fn(|k| a[k] + s * w[k]);
}

/// The cells (first, last index along one axis) whose centre lies within the reach
/// ([`SPATIAL_REACH_SIGMAS`]·σS) of coordinate `u`
/// (cylinder frame), or `None` when none does. `ceil`/`floor` by truncation: baseline x86-64
/// has no rounding instruction and the library calls cost more than the rest of a neighbour.
#[inline]
fn cell_span(u: f32) -> Option<(usize, usize)> {
    const REACH: f32 = SPATIAL_REACH_SIGMAS * SIGMA_SPATIAL;
    // A multiplication instead of a division (several times its latency); the spans differ from
    // the divided form's only for a cell centre within float rounding of the reach, whose
    // contribution (the Gaussian there, 4 % of its peak) is then added or not. Scores on the FVC
    // sets were identical (measured with the reach at 3σS).
    const INVERSE_SIDE: f32 = 1.0 / CELL_SIDE;
    let half = SPATIAL_CELLS as f32 / 2.0;
    let lo = (u - REACH) * INVERSE_SIDE + half - 0.5;
    let hi = (u + REACH) * INVERSE_SIDE + half - 0.5;
    // |lo|, |hi| ≪ 2^23: truncation is exact, ceil = trunc + (trunc < x), floor = trunc − (trunc > x).
    let (tl, th) = (lo as i32, hi as i32);
    let first = (tl + ((tl as f32) < lo) as i32).max(0);
    let last = (th - ((th as f32) > hi) as i32).min(SPATIAL_CELLS as i32 - 1);
    if last < 0 { None } else { Some((first as usize, last as usize)) }
}

const _: () = assert!(DIRECTION_CELLS * LAYER_WORDS <= 31, "byte counters would overflow");

/// Set bits of each byte of `v`, as bytes, when `HW` is false (SWAR: baseline x86-64 has no
/// popcount instruction; partial counts of several words are added before [`sum_bytes`]); the
/// plain count when `HW` is true (code compiled for a CPU with a popcount instruction: see
/// `lib.rs`, which selects the form at run time). Both give the same totals after [`sum_bytes`].
#[inline(always)]
fn byte_counts<const HW: bool>(v: u64) -> u64 {
    if HW {
        return v.count_ones() as u64;
    }
    let v = v - ((v >> 1) & 0x5555_5555_5555_5555);
    let v = (v & 0x3333_3333_3333_3333) + ((v >> 2) & 0x3333_3333_3333_3333);
    (v + (v >> 4)) & 0x0F0F_0F0F_0F0F_0F0F
}

/// Total of partial counts from [`byte_counts`]: the sum of the bytes of `v` (each ≤ 255 and the
/// total < 2^16 here) for the SWAR form, `v` itself for the popcount form.
#[inline(always)]
fn sum_bytes<const HW: bool>(v: u64) -> u32 {
    if HW {
        return v as u32;
    }
    let v = (v & 0x00FF_00FF_00FF_00FF) + ((v >> 8) & 0x00FF_00FF_00FF_00FF);
    (v.wrapping_mul(0x0001_0001_0001_0001) >> 48) as u32
}

/// A cylinder's valid cells and the cells where any neighbour lies (any direction): a compact
/// summary for the pre-selection of candidate pairs.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Occupancy {
    pub valid: [u64; LAYER_WORDS],
    pub occupied: [u64; LAYER_WORDS],
}

/// Cheap resemblance of two cylinders for pre-selection: (intersection, union) of their occupied
/// cells among the cells valid in both; the Jaccard index is `intersection / union`. `HW`: see
/// [`byte_counts`].
#[inline(always)]
pub(crate) fn occupancy_overlap<const HW: bool>(a: &Occupancy, b: &Occupancy) -> (u32, u32) {
    let (mut inter, mut union) = (0u64, 0u64);
    for w in 0..LAYER_WORDS {
        let m = a.valid[w] & b.valid[w];
        inter += byte_counts::<HW>(a.occupied[w] & b.occupied[w] & m);
        union += byte_counts::<HW>((a.occupied[w] | b.occupied[w]) & m);
    }
    (sum_bytes::<HW>(inter), sum_bytes::<HW>(union))
}

/// Local similarity of two cylinders in `[0, 1]` (0: not comparable or nothing in common):
/// `1 − ‖a⊕b‖ / (‖a‖ + ‖b‖)` over the cells valid in both, with ‖·‖ the Euclidean norm of the
/// bit vector (√popcount). `HW`: see [`byte_counts`].
#[inline(always)]
pub(crate) fn cylinder_similarity<const HW: bool>(a: &[u64], b: &[u64], min_common: u32) -> f32 {
    let mut mask = [0u64; LAYER_WORDS];
    let mut common = 0u32;
    for w in 0..LAYER_WORDS {
        mask[w] = a[w] & b[w];
        common += mask[w].count_ones();
    }
    if common < min_common {
        return 0.0;
    }
    // Popcounts (SWAR on baseline x86-64): per-byte counts of several words are summed before
    // the final horizontal add (≤ 8·31 fits in a byte).
    let (mut x, mut na, mut nb) = (0u64, 0u64, 0u64);
    for k in 1..=DIRECTION_CELLS {
        for w in 0..LAYER_WORDS {
            let (p, q) = (a[k * LAYER_WORDS + w] & mask[w], b[k * LAYER_WORDS + w] & mask[w]);
            x += byte_counts::<HW>(p ^ q);
            na += byte_counts::<HW>(p);
            nb += byte_counts::<HW>(q);
        }
    }
    let (x, na, nb) = (sum_bytes::<HW>(x), sum_bytes::<HW>(na), sum_bytes::<HW>(nb));
    let root = &*SQRT;
    let denom = root[na as usize] + root[nb as usize];
    if denom == 0.0 { 0.0 } else { 1.0 - root[x as usize] / denom }
}

/// Bits of the direction layers of one cylinder.
const LAYER_BITS: usize = DIRECTION_CELLS * LAYER_WORDS * 64;

/// `(k as f32).sqrt()` for every bit count of a cylinder's layers (the same correctly rounded
/// values, without a square root in the hot loop).
static SQRT: LazyLock<[f32; LAYER_BITS + 1]> = LazyLock::new(|| std::array::from_fn(|k| (k as f32).sqrt()));

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// The straightforward forms the fast paths replace.
    fn angle_delta_reference(a: f32, b: f32) -> f32 {
        let d = (a - b + PI).rem_euclid(TAU) - PI;
        if d >= PI { d - TAU } else { d }
    }

    /// The straightforward form [`build_cylinder`] must equal bit for bit (the build before the
    /// branch-free rewrite): the cylinder of `all[c]` into `words`, false if it is invalid.
    fn build_cylinder_reference(
        c: usize,
        all: &[Point],
        hull: &Hull,
        g: &Geometry,
        values: &mut [[f32; LANES]],
        words: &mut [u64; CYLINDER_WORDS],
    ) -> bool {
        let m = all[c];
        let (sin, cos) = m.dir.sin_cos();
        // Validity mask.
        words.iter_mut().for_each(|w| *w = 0);
        let valid = if hull.disc_near(m.x, m.y, CYLINDER_RADIUS, HULL_MARGIN) {
            // The whole disc is near the hull (typical away from the impression's border).
            words[..LAYER_WORDS].copy_from_slice(&g.disc_mask);
            g.disc_cells
        } else {
            // Only the hull edges that some cell of the disc could lie beyond are tested per cell.
            let near = hull.edges_near(m.x, m.y, CYLINDER_RADIUS, HULL_MARGIN);
            let mut valid = 0usize;
            for &(cell, u, v) in &g.disc {
                let (x, y) = (m.x + cos * u - sin * v, m.y + sin * u + cos * v);
                if near.passes(x, y, HULL_MARGIN) {
                    words[cell / 64] |= 1u64 << (cell % 64);
                    valid += 1;
                }
            }
            valid
        };
        if (valid as f32) < MIN_VALID_CELLS * g.disc_cells as f32 {
            return false;
        }
        // Contributions: each neighbour adds (spatial Gaussian) × (directional weight per layer) to
        // the cells whose centre lies within the reach of it along each axis.
        values.iter_mut().for_each(|v| *v = [0.0; LANES]);
        let gauss = &*SPATIAL_GAUSS;
        let gauss_at = |t: f32| gauss[table_index(t.abs() * GAUSS_STEPS_PER_PX).min(gauss.len() - 1)];
        let dirw = &*DIRECTION_WEIGHTS;
        let mut neighbours = 0usize;
        for (t, q) in all.iter().enumerate() {
            if t == c {
                continue;
            }
            let (dx, dy) = (q.x - m.x, q.y - m.y);
            if dx * dx + dy * dy > NEIGHBOUR_REACH * NEIGHBOUR_REACH {
                continue;
            }
            neighbours += 1;
            let (u, v) = (cos * dx + sin * dy, -sin * dx + cos * dy);
            let d = angle_delta(q.dir, m.dir);
            let step = table_index((d + PI) / TAU * DIRECTION_STEPS as f32).min(DIRECTION_STEPS - 1);
            let w = &dirw[step];
            let (Some((i0, i1)), Some((j0, j1))) = (cell_span(u), cell_span(v)) else { continue };
            let mut gx = [0f32; SPATIAL_CELLS];
            for (gx, &centre) in gx[i0..=i1].iter_mut().zip(&g.axis[i0..=i1]) {
                *gx = gauss_at(u - centre);
            }
            for j in j0..=j1 {
                let gy = gauss_at(v - g.axis[j]);
                let row = &mut values[j * SPATIAL_CELLS..(j + 1) * SPATIAL_CELLS];
                for i in i0..=i1 {
                    add_scaled(&mut row[i], gx[i] * gy, w);
                }
            }
        }
        if neighbours < MIN_NEIGHBOURS {
            return false;
        }
        let (mask, layers) = words.split_at_mut(LAYER_WORDS);
        for (cell, acc) in values.iter().enumerate() {
            let bit = 1u64 << (cell % 64);
            if mask[cell / 64] & bit != 0 {
                for (k, &value) in acc.iter().take(DIRECTION_CELLS).enumerate() {
                    if value > CELL_THRESHOLD {
                        layers[k * LAYER_WORDS + cell / 64] |= bit;
                    }
                }
            }
        }
        true
    }

    fn cell_span_reference(u: f32) -> Option<(usize, usize)> {
        let (reach, half) = (SPATIAL_REACH_SIGMAS * SIGMA_SPATIAL, SPATIAL_CELLS as f32 / 2.0);
        let i0 = ((u - reach) * (1.0 / CELL_SIDE) + half - 0.5).ceil().max(0.0) as usize;
        let i1 = ((u + reach) * (1.0 / CELL_SIDE) + half - 0.5).floor().min(SPATIAL_CELLS as f32 - 1.0);
        if i1 < 0.0 { None } else { Some((i0, i1 as usize)) }
    }

    #[test]
    fn one_sided_forms_hold_what_their_side_reads() {
        for seed in 1..20 {
            let t = crate::testkit::random_template(seed, 10 + 5 * seed as usize, true);
            let both = SearchTemplate::new(&t);
            let probe = SearchTemplate::for_side(&t, Side::Probe);
            let candidate = SearchTemplate::for_side(&t, Side::Candidate);
            assert!(!both.points.is_empty(), "seed {seed}: no valid cylinder");
            for one in [&probe, &candidate] {
                assert_eq!(one.points, both.points);
                assert_eq!(one.cylinders, both.cylinders);
                assert_eq!((&one.all, one.minutiae), (&both.all, both.minutiae));
            }
            assert_eq!(probe.occupancy, both.occupancy);
            assert!(probe.by_direction.is_empty());
            assert_eq!(candidate.by_direction, both.by_direction);
            assert!(candidate.occupancy.is_empty());
        }
    }

    #[test]
    fn angle_delta_matches_rem_euclid_at_the_edges() {
        let edges = [0.0, -0.0, PI, -PI, TAU, -TAU, 2.0 * TAU, 3.0 * PI, f32::EPSILON, TAU.next_down(), -PI.next_up()];
        for &a in &edges {
            for &b in &edges {
                assert_eq!(angle_delta(a, b).to_bits(), angle_delta_reference(a, b).to_bits(), "{a} {b}");
            }
        }
    }

    proptest! {
        #[test]
        fn swar_and_popcount_bit_counts_agree(
            a in proptest::collection::vec(any::<u64>(), CYLINDER_WORDS),
            b in proptest::collection::vec(any::<u64>(), CYLINDER_WORDS),
            min_common in 0u32..40,
        ) {
            // Sparse masks too, so that the min_common cut-off is crossed both ways.
            let sparse: Vec<u64> = a.iter().zip(&b).map(|(x, y)| x & y).collect();
            for (a, b) in [(&a, &b), (&sparse, &b), (&a, &sparse)] {
                prop_assert_eq!(
                    cylinder_similarity::<false>(a, b, min_common).to_bits(),
                    cylinder_similarity::<true>(a, b, min_common).to_bits()
                );
            }
            let occ = |v: &[u64]| Occupancy {
                valid: std::array::from_fn(|w| v[w]),
                occupied: std::array::from_fn(|w| v[LAYER_WORDS + w]),
            };
            let (oa, ob) = (occ(&a), occ(&b));
            prop_assert_eq!(occupancy_overlap::<false>(&oa, &ob), occupancy_overlap::<true>(&oa, &ob));
        }

        #[test]
        fn angle_delta_is_bit_identical_to_rem_euclid(a in -20.0f32..20.0, b in -20.0f32..20.0) {
            prop_assert_eq!(angle_delta(a, b).to_bits(), angle_delta_reference(a, b).to_bits());
        }

        #[test]
        fn wrapped_angle_delta_is_bit_identical(a in 0.0f32..TAU, b in 0.0f32..TAU) {
            let (a, b) = (wrap(a), wrap(b));
            prop_assert_eq!(angle_delta(a, b).to_bits(), angle_delta_reference(a, b).to_bits());
            let (r, s) = (angle_delta(a, b), angle_delta(b, a));
            prop_assert_eq!(angle_delta(r, s).to_bits(), angle_delta_reference(r, s).to_bits());
        }

        #[test]
        fn cell_span_equals_ceil_floor(u in -300.0f32..300.0) {
            prop_assert_eq!(cell_span(u), cell_span_reference(u));
        }

        /// Many ties in (quality, y, x): the template order must decide, as the stable sort did.
        #[test]
        fn match_order_is_the_stable_order(
            raw in proptest::collection::vec((0u8..4, 0u16..6, 0u16..6, 0.0f32..TAU), 0..200),
        ) {
            let minutiae: Vec<Minutia> = raw
                .iter()
                .map(|&(q, y, x, a)| Minutia::new(x, y, a, ridgegate_core::MinutiaKind::Ending, q * 30))
                .collect();
            prop_assert_eq!(match_order(&minutiae), match_order_by_comparison(&minutiae));
        }

        #[test]
        fn unit_angle_delta_is_bit_identical(a in 0.0f32..TAU, b in 0.0f32..TAU) {
            let (a, b) = (wrap(a), wrap(b));
            prop_assert_eq!(unit_angle_delta(a, b).to_bits(), angle_delta(a, b).to_bits());
            prop_assert_eq!(unit_angle_delta(a, b).to_bits(), angle_delta_reference(a, b).to_bits());
        }

        /// The branch-free cylinder build gives the reference's bits and validity, for sparse and
        /// dense, clustered and spread-out minutiae (border cylinders included), with the scratch
        /// accumulators reused across cylinders as `SearchTemplate::new` does.
        #[test]
        fn cylinders_are_bit_identical_to_the_reference(
            pts in proptest::collection::vec((0.0f32..1.0, 0.0f32..1.0, 0.0f32..TAU), 1..MAX_MATCH_MINUTIAE),
            extent in 40.0f32..500.0,
        ) {
            let all: Vec<Point> =
                pts.iter().map(|&(x, y, dir)| Point { x: x * extent, y: y * extent, dir: wrap(dir), weight: 1.0 }).collect();
            let hull = Hull::new(&all);
            let g = &*GEOMETRY;
            let mut values = vec![[0f32; LANES]; CELLS];
            let mut reference_values = vec![[0f32; LANES]; CELLS];
            let (mut words, mut reference_words) = ([0u64; CYLINDER_WORDS], [0u64; CYLINDER_WORDS]);
            for c in 0..all.len() {
                let valid = build_cylinder(c, &all, &hull, g, &mut values, &mut words);
                let expected = build_cylinder_reference(c, &all, &hull, g, &mut reference_values, &mut reference_words);
                prop_assert_eq!(valid, expected, "validity of cylinder {}", c);
                if valid {
                    prop_assert_eq!(words, reference_words, "cylinder {}", c);
                }
                prop_assert!(values.iter().all(|v| *v == [0.0; LANES]), "scratch left dirty");
            }
        }

        #[test]
        fn hull_edge_subset_gives_the_full_test(
            pts in proptest::collection::vec((0.0f32..400.0, 0.0f32..400.0), 3..40),
            centre in 0usize..40,
            offsets in proptest::collection::vec((-70.0f32..70.0, -70.0f32..70.0), 1..60),
        ) {
            let points: Vec<Point> = pts.iter().map(|&(x, y)| Point { x, y, dir: 0.0, weight: 1.0 }).collect();
            let hull = Hull::new(&points);
            let m = points[centre % points.len()];
            let test = hull.edges_near(m.x, m.y, CYLINDER_RADIUS, HULL_MARGIN);
            for &(du, dv) in offsets.iter().filter(|(u, v)| u.hypot(*v) <= CYLINDER_RADIUS) {
                let (x, y) = (m.x + du, m.y + dv);
                prop_assert_eq!(test.passes(x, y, HULL_MARGIN), hull.near(x, y, HULL_MARGIN));
            }
        }
    }
}
