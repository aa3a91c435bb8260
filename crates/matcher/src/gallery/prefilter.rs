//! The cheap stages of identification, over quantised local edges.
//!
//! Every minutia (at 500 dpi, the best [`PREFILTER_POINTS`] by quality) is joined to its
//! [`PREFILTER_NEIGHBOURS`] nearest neighbours. Each directed edge gets
//! * a `u16` **code**: its length and the two minutia directions relative to it, quantised
//!   (invariant to rotation and translation), and
//! * a `u8` **heading**: the edge's own direction in one of [`PREFILTER_HEADING_BINS`] bins (turns
//!   with the finger).
//!
//! A gallery template stores only these 3 bytes per edge (contiguous per shard).
//!
//! * **Stage 1, bag of edges** ([`ProbeMap::bag_score`]): the probe marks, in a byte map over all
//!   codes, the cell of each of its edges and the nearest neighbouring cell in every dimension, so
//!   a candidate edge within about half a cell of a probe edge hits. Score = fraction of the
//!   candidate's codes that hit: one byte load per edge, integer only.
//! * **Stage 2, rotation consensus** ([`ProbeMap::rotation_score`]): for each hitting edge, the
//!   heading differences to the probe edges of that cell vote for a rotation of the finger; the
//!   score is the best rotation's votes (±1 bin), over √edges. Impostor edges agree in shape but
//!   not in rotation, so this separates far better (measured on FVC: every hit ≥ 40 within the best
//!   17 of 639, against 56 for stage 1) at ~10× the cost, so it only rescores stage 1's best.
//!
//! The stages only decide which subjects the full matcher sees; they never produce a returned score.

use super::params::{
    PREFILTER_ANGLE_BINS, PREFILTER_HEADING_BINS, PREFILTER_LENGTH_BIN, PREFILTER_MAX_LENGTH, PREFILTER_MIN_LENGTH,
    PREFILTER_NEIGHBOURS, PREFILTER_POINTS,
};
use ridgegate_core::Template;
use std::f32::consts::TAU;

/// Length bins (the last one catches lengths at the upper limit).
const LENGTH_BINS: usize = (PREFILTER_MAX_LENGTH / PREFILTER_LENGTH_BIN) as usize + 1;
/// Number of distinct codes.
pub(crate) const CODES: usize = LENGTH_BINS * PREFILTER_ANGLE_BINS * PREFILTER_ANGLE_BINS;
const _: () = assert!(CODES <= u16::MAX as usize + 1, "codes must fit a u16");
/// Resolution every template is rescaled to for the prefilter.
const PREFILTER_DPI: f32 = 500.0;

/// The minutiae the prefilter uses, at 500 dpi, as columns padded to [`PREFILTER_POINTS`] (fixed
/// size: the distance loop runs over whole arrays and vectorises). Image-space directions (y down).
struct Points {
    x: [f32; PREFILTER_POINTS],
    y: [f32; PREFILTER_POINTS],
    dir: [f32; PREFILTER_POINTS],
    n: usize,
}

/// Coordinate of the padding entries: far enough from any real point that no edge reaches them.
const FAR: f32 = 1.0e6;

const _: () = assert!(PREFILTER_HEADING_BINS <= 32, "heading masks are u32");

fn wrap(a: f32) -> f32 {
    let r = a.rem_euclid(TAU);
    if r >= TAU { 0.0 } else { r }
}

/// The best [`PREFILTER_POINTS`] minutiae by quality (all of them when there are fewer, in
/// template order), rescaled to 500 dpi. No allocation unless the template has more minutiae.
fn points(t: &Template) -> Points {
    let scale = PREFILTER_DPI / t.dpi.max(1) as f32;
    let mut p = Points { x: [FAR; PREFILTER_POINTS], y: [FAR; PREFILTER_POINTS], dir: [0.0; PREFILTER_POINTS], n: 0 };
    let mut put = |m: &ridgegate_core::Minutia| {
        // ISO angles are counter-clockwise as seen (y down): the image-space direction is the negation.
        (p.x[p.n], p.y[p.n], p.dir[p.n]) = (m.x as f32 * scale, m.y as f32 * scale, wrap(-m.angle));
        p.n += 1;
    };
    if t.minutiae.len() <= PREFILTER_POINTS {
        t.minutiae.iter().for_each(put);
    } else {
        let mut m: Vec<_> = t.minutiae.iter().collect();
        // Only the choice matters; ties by position, so the choice is deterministic.
        m.sort_by(|a, b| b.quality.cmp(&a.quality).then(a.y.cmp(&b.y)).then(a.x.cmp(&b.x)));
        m[..PREFILTER_POINTS].iter().for_each(|m| put(m));
    }
    p
}

/// `atan2` to within 0.002 rad (a tenth of the finest bin), pure arithmetic: several times faster
/// than libm, identical on every platform (so probe and gallery codes always agree), and written
/// with selects only, so a loop of it vectorises. `fast_atan2(0, 0) = 0`.
#[inline(always)]
fn fast_atan2(y: f32, x: f32) -> f32 {
    use std::f32::consts::{FRAC_PI_2, FRAC_PI_4, PI};
    let (ax, ay) = (x.abs(), y.abs());
    let (lo, hi) = (ax.min(ay), ax.max(ay));
    let z = lo / hi.max(f32::MIN_POSITIVE);
    let a = FRAC_PI_4 * z - z * (z - 1.0) * (0.2447 + 0.0663 * z);
    let a = if ay > ax { FRAC_PI_2 - a } else { a };
    let a = if x < 0.0 { PI - a } else { a };
    if y < 0.0 { -a } else { a }
}

/// `a` in `[-2π, 2π)` wrapped into `[0, 2π]` with one select (no division, vectorises).
#[inline(always)]
fn wrap_near(a: f32) -> f32 {
    if a < 0.0 { a + TAU } else { a }
}

/// Most edges a template can have.
const MAX_EDGES: usize = PREFILTER_POINTS * PREFILTER_NEIGHBOURS;

/// Every edge of a template as continuous bin coordinates, one column per dimension (first `n`
/// entries valid): length bin, the two minutia directions relative to the edge, and the edge's
/// heading. Angle bins are in `[0, bins]` (the upper end wraps to 0 when quantised).
struct Edges {
    length: [f32; MAX_EDGES],
    from: [f32; MAX_EDGES],
    to: [f32; MAX_EDGES],
    heading: [f32; MAX_EDGES],
    n: usize,
}

/// Each point's edges to its [`PREFILTER_NEIGHBOURS`] nearest neighbours (among those between
/// [`PREFILTER_MIN_LENGTH`] and [`PREFILTER_MAX_LENGTH`] away).
///
/// Neighbours: every point keeps a sorted list of its K smallest keys, and all points (one per
/// vector lane, rounded up to [`LANES`]) take each other point `j` in turn: a key is the squared
/// distance's bits with `j` in the lowest ones (still a finite non-negative `f32`, so float order
/// = bit order = distance order; itself, out of range and padding = `+∞`), inserted with a
/// branch-free `min`/`max` chain, slot by slot over all lanes (plain `f32` compare-selects, which
/// baseline SSE2 has as `minps`/`maxps`; every pass is a simple loop the vectoriser takes). Keys
/// are unique per point, so the neighbours and their order are exactly those of the former
/// one-point-at-a-time integer selection (`tests::edges_match_the_scalar_selection` checks it
/// bitwise): equal distances go to the lower index (template order), deterministic. Measured
/// 6.8 → 3.0 µs per 46-minutia template (ci profile). Geometry: one branch-free pass over the
/// edges (vectorised). O(n²) simple operations in all, no allocation (the result, ~8 KB, lives on
/// the caller's stack).
fn edges(p: &Points) -> Edges {
    const K: usize = PREFILTER_NEIGHBOURS;
    let (min2, max2) = (PREFILTER_MIN_LENGTH * PREFILTER_MIN_LENGTH, PREFILTER_MAX_LENGTH * PREFILTER_MAX_LENGTH);
    let mut e = Edges {
        length: [0.0; MAX_EDGES],
        from: [0.0; MAX_EDGES],
        to: [0.0; MAX_EDGES],
        heading: [0.0; MAX_EDGES],
        n: 0,
    };
    // Edge endpoints' offsets and directions, gathered first.
    let (dxs, dys, dir_a, dir_b) = (&mut e.length, &mut e.heading, &mut e.from, &mut e.to);
    let (xs, ys) = (&p.x, &p.y);
    let mut n = 0;
    // Lanes = points i (all of them at once, rounded up to whole vectors; lanes past `p.n` hold
    // padding, whose keys are all out of range and which are never emitted).
    let lanes = p.n.next_multiple_of(LANES);
    let (ax, ay) = (&xs[..lanes], &ys[..lanes]);
    // near[s][i] = point i's s-th smallest key so far (+∞: none).
    let mut near = [[f32::INFINITY; PREFILTER_POINTS]; K];
    let mut key = [0.0f32; PREFILTER_POINTS];
    for j in 0..p.n {
        let (bx, by) = (xs[j], ys[j]);
        for ((k, &x), &y) in key[..lanes].iter_mut().zip(ax).zip(ay) {
            let (dx, dy) = (bx - x, by - y);
            let v = dx * dx + dy * dy;
            // Itself, too close, too far and padding are out of range (`|`, not `||`: no branch).
            let kk = f32::from_bits((v.to_bits() & !INDEX_MASK) | j as u32);
            *k = if (v < min2) | (v > max2) { f32::INFINITY } else { kk };
        }
        // Insert each lane's key into its sorted list: slot s becomes min(slot s, max(slot s-1,
        // key)) with the old slot s-1, so the slots are updated from the last one down.
        for s in (1..K).rev() {
            let (lower, upper) = near.split_at_mut(s);
            for ((slot, &below), &k) in upper[0][..lanes].iter_mut().zip(&lower[s - 1][..lanes]).zip(&key[..lanes]) {
                let m = if below > k { below } else { k };
                *slot = if *slot < m { *slot } else { m };
            }
        }
        for (slot, &k) in near[0][..lanes].iter_mut().zip(&key[..lanes]) {
            *slot = if *slot < k { *slot } else { k };
        }
    }
    for i in 0..p.n {
        for key in near.iter().map(|s| s[i]).take_while(|k| k.is_finite()) {
            let j = (key.to_bits() & INDEX_MASK) as usize;
            (dxs[n], dys[n], dir_a[n], dir_b[n]) = (xs[j] - xs[i], ys[j] - ys[i], p.dir[i], p.dir[j]);
            n += 1;
        }
    }
    e.n = n;
    geometry(&mut e);
    e
}

/// The neighbour selection runs over the points rounded up to a multiple of this (an SSE vector of
/// `f32`), so its loops have no scalar remainder; [`PREFILTER_POINTS`] is a multiple, so the
/// rounding never reads past the columns.
const LANES: usize = 4;
const _: () = assert!(PREFILTER_POINTS % LANES == 0, "the rounded lane count must fit the point columns");

/// Turns the gathered (dx, dy, direction, direction) columns of the first `e.n` edges into
/// continuous bin coordinates in place: one branch-free pass (vectorised).
fn geometry(e: &mut Edges) {
    let inv_angle_bin = PREFILTER_ANGLE_BINS as f32 / TAU;
    let inv_heading_bin = PREFILTER_HEADING_BINS as f32 / TAU;
    let inv_length_bin = 1.0 / PREFILTER_LENGTH_BIN;
    for k in 0..e.n {
        let (dx, dy) = (e.length[k], e.heading[k]);
        let along = wrap_near(fast_atan2(dy, dx));
        e.length[k] = (dx * dx + dy * dy).sqrt() * inv_length_bin;
        e.heading[k] = along * inv_heading_bin;
        e.from[k] = wrap_near(e.from[k] - along) * inv_angle_bin;
        e.to[k] = wrap_near(e.to[k] - along) * inv_angle_bin;
    }
}

/// Neighbour keys: the low mantissa bits of the squared distance are replaced by the point index
/// (distances within a relative 2⁻¹⁵ of each other count as ties, which go to the lower index).
const INDEX_MASK: u32 = 0xFF;
const _: () = assert!(PREFILTER_POINTS <= INDEX_MASK as usize + 1, "point indices must fit the key's low bits");

/// The code of an edge from its length bin and its two direction bins (each `< bins`).
#[inline(always)]
fn code(l: usize, f: usize, t: usize) -> u16 {
    ((l * PREFILTER_ANGLE_BINS + f) * PREFILTER_ANGLE_BINS + t) as u16
}

/// The (code, heading) of every edge of a gallery template, appended to `codes` and `headings`.
/// Quantisation is one branch-free pass over the edges.
pub(crate) fn template_features(t: &Template, codes: &mut Vec<u16>, headings: &mut Vec<u8>) {
    let e = edges(&points(t));
    let mut c = [0u16; MAX_EDGES];
    let mut h = [0u8; MAX_EDGES];
    // Bin coordinates are small and non-negative: truncating through i32 (one vector instruction,
    // unlike f32 → usize) gives the same bins, so the pass vectorises.
    let wrap_bin = |v: f32, bins: usize| -> i32 {
        let b = v as i32;
        if b >= bins as i32 { b - bins as i32 } else { b }
    };
    const A: i32 = PREFILTER_ANGLE_BINS as i32;
    for k in 0..e.n {
        let l = (e.length[k] as i32).min(LENGTH_BINS as i32 - 1);
        c[k] =
            ((l * A + wrap_bin(e.from[k], PREFILTER_ANGLE_BINS)) * A + wrap_bin(e.to[k], PREFILTER_ANGLE_BINS)) as u16;
        h[k] = wrap_bin(e.heading[k], PREFILTER_HEADING_BINS) as u8;
    }
    codes.extend_from_slice(&c[..e.n]);
    headings.extend_from_slice(&h[..e.n]);
}

/// The probe side of both stages: one byte per possible `u16` code, 1 where a probe edge cell
/// is (stage 1, 64 KB: indexed by any `u16` without a bounds check, and a byte load is cheaper
/// than a bit test — measured 1.5× faster than a 5 KB bitmap), and, per code, the mask of probe
/// edge headings in that cell (stage 2, 166 KB). Build once per identification (~20 µs);
/// read-only afterwards, shared by all threads.
pub(crate) struct ProbeMap {
    hit: Box<[u8; 1 << 16]>,
    headings: Box<[u32]>,
}

impl ProbeMap {
    pub fn new(t: &Template) -> Self {
        let mut hit: Box<[u8; 1 << 16]> = vec![0u8; 1 << 16].into_boxed_slice().try_into().expect("64 KB");
        let mut headings = vec![0u32; CODES].into_boxed_slice();
        let nearest_two = |v: f32, n: usize, wraps: bool| -> [usize; 2] {
            let b = v.floor() as isize;
            let other = if v - b as f32 >= 0.5 { b + 1 } else { b - 1 };
            let fix = |x: isize| -> usize {
                if wraps { x.rem_euclid(n as isize) as usize } else { x.clamp(0, n as isize - 1) as usize }
            };
            [fix(b), fix(other)]
        };
        let e = edges(&points(t));
        for k in 0..e.n {
            let (l, f, a, h) = (e.length[k], e.from[k], e.to[k], e.heading[k]);
            let heading = 1u32 << (h as usize % PREFILTER_HEADING_BINS);
            for li in nearest_two(l, LENGTH_BINS, false) {
                for fi in nearest_two(f, PREFILTER_ANGLE_BINS, true) {
                    for ai in nearest_two(a, PREFILTER_ANGLE_BINS, true) {
                        let c = code(li, fi, ai) as usize;
                        hit[c] = 1;
                        headings[c] |= heading;
                    }
                }
            }
        }
        ProbeMap { hit, headings }
    }

    /// Stage 1: hits · 2^16 / edges (0 for no edges). ~0.3 ns per edge.
    #[inline]
    pub fn bag_score(&self, codes: &[u16]) -> u32 {
        if codes.is_empty() {
            return 0;
        }
        let mut hits = 0u32;
        for &c in codes {
            hits += self.hit[c as usize] as u32;
        }
        (hits << 16) / codes.len() as u32
    }

    /// Stage 2: votes of the best rotation (±1 heading bin) · 2^12 / √edges (0 for no edges).
    pub fn rotation_score(&self, codes: &[u16], headings: &[u8]) -> u32 {
        const H: usize = PREFILTER_HEADING_BINS;
        if codes.is_empty() {
            return 0;
        }
        let mut votes = [0u32; H];
        for (&c, &h) in codes.iter().zip(headings) {
            if self.hit[c as usize] == 0 {
                continue;
            }
            let mut mask = self.headings[c as usize];
            while mask != 0 {
                let b = mask.trailing_zeros() as usize;
                mask &= mask - 1;
                votes[(h as usize + H - b) % H] += 1;
            }
        }
        let best = (0..H).map(|r| votes[(r + H - 1) % H] + votes[r] + votes[(r + 1) % H]).max().unwrap_or(0);
        (best as f32 * 4096.0 / (codes.len() as f32).sqrt()) as u32
    }
}

/// Per-record prefilter features of a shard: one arena per column, (start, len) per record.
#[derive(Debug, Default)]
pub(crate) struct FeatureStore {
    pub codes: Vec<u16>,
    pub headings: Vec<u8>,
    pub ranges: Vec<(u32, u32)>,
}

impl FeatureStore {
    /// Appends a record's features computed elsewhere (e.g. in parallel by a batch insert).
    pub fn push(&mut self, codes: &[u16], headings: &[u8]) {
        self.ranges.push((self.codes.len() as u32, codes.len() as u32));
        self.codes.extend_from_slice(codes);
        self.headings.extend_from_slice(headings);
    }

    /// The codes of record `r`.
    #[inline]
    pub fn codes(&self, r: usize) -> &[u16] {
        let (s, n) = self.ranges[r];
        &self.codes[s as usize..(s + n) as usize]
    }

    /// The headings of record `r`.
    #[inline]
    pub fn headings(&self, r: usize) -> &[u8] {
        let (s, n) = self.ranges[r];
        &self.headings[s as usize..(s + n) as usize]
    }

    /// Keeps the records with `new_index[r] != DEAD`, renumbered in order.
    pub fn compact(&mut self, new_index: &[u32]) {
        let mut codes = Vec::with_capacity(self.codes.len());
        let mut headings = Vec::with_capacity(self.headings.len());
        let mut ranges = Vec::with_capacity(self.ranges.len());
        for (r, &ni) in new_index.iter().enumerate() {
            if ni != super::shard::DEAD {
                ranges.push((codes.len() as u32, self.ranges[r].1));
                codes.extend_from_slice(self.codes(r));
                headings.extend_from_slice(self.headings(r));
            }
        }
        codes.shrink_to_fit();
        headings.shrink_to_fit();
        ranges.shrink_to_fit();
        (self.codes, self.headings, self.ranges) = (codes, headings, ranges);
    }

    pub fn memory_bytes(&self) -> usize {
        self.codes.capacity() * 2 + self.headings.capacity() + self.ranges.capacity() * 8
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The previous one-point-at-a-time selection with integer keys (kept as the reference the
    /// vectorised [`edges`] must reproduce exactly).
    ///
    /// Each point's edges to its [`PREFILTER_NEIGHBOURS`] nearest neighbours (among those between
    /// [`PREFILTER_MIN_LENGTH`] and [`PREFILTER_MAX_LENGTH`] away).
    ///
    /// Neighbours: per point, one pass over all [`PREFILTER_POINTS`] slots turns squared distances
    /// into integer keys (the distance's bits with the point index in the lowest ones; out of range
    /// or padding = `i32::MAX`; vectorised), and a second pass keeps the K smallest keys, inserting
    /// every key with a branch-free `min`/`max` chain over a fixed array of K (no early skip: the
    /// skip's mispredictions cost more than the chain — 7 against 8.7 µs per template measured).
    /// Equal distances go to the lower index (template order), so the result is deterministic.
    /// Geometry: one branch-free pass over all edges (vectorised). O(n²) simple operations in all, no
    /// allocation (the result, ~8 KB, lives on the caller's stack).
    pub(super) fn edges_scalar(p: &Points) -> Edges {
        const K: usize = PREFILTER_NEIGHBOURS;
        const P: usize = PREFILTER_POINTS;
        let (min2, max2) = (PREFILTER_MIN_LENGTH * PREFILTER_MIN_LENGTH, PREFILTER_MAX_LENGTH * PREFILTER_MAX_LENGTH);
        // Edge endpoints' offsets and directions, gathered first.
        let mut e = Edges {
            length: [0.0; MAX_EDGES],
            from: [0.0; MAX_EDGES],
            to: [0.0; MAX_EDGES],
            heading: [0.0; MAX_EDGES],
            n: 0,
        };
        let (dxs, dys, dir_a, dir_b) = (&mut e.length, &mut e.heading, &mut e.from, &mut e.to);
        let mut keys = [i32::MAX; P];
        let (xs, ys) = (&p.x, &p.y);
        let mut n = 0;
        for i in 0..p.n {
            let (ax, ay) = (xs[i], ys[i]);
            for j in 0..P {
                let (dx, dy) = (xs[j] - ax, ys[j] - ay);
                let v = dx * dx + dy * dy;
                // Non-negative f32s order like their bits; the low mantissa bits make room for the index.
                // Itself, too close, too far and padding are out of range.
                let k = (v.to_bits() & !INDEX_MASK) as i32 | j as i32;
                keys[j] = if v < min2 || v > max2 { i32::MAX } else { k };
            }
            // near[k] = the k-th smallest key so far (i32::MAX: none).
            let mut near = [i32::MAX; K];
            for &x in &keys[..p.n] {
                let mut prev = i32::MIN;
                for slot in near.iter_mut() {
                    let old = *slot;
                    *slot = old.min(prev.max(x));
                    prev = old;
                }
            }
            for &key in near.iter().take_while(|&&k| k != i32::MAX) {
                let j = (key as u32 & INDEX_MASK) as usize;
                (dxs[n], dys[n], dir_a[n], dir_b[n]) = (xs[j] - ax, ys[j] - ay, p.dir[i], p.dir[j]);
                n += 1;
            }
        }
        e.n = n;
        let inv_angle_bin = PREFILTER_ANGLE_BINS as f32 / TAU;
        let inv_heading_bin = PREFILTER_HEADING_BINS as f32 / TAU;
        let inv_length_bin = 1.0 / PREFILTER_LENGTH_BIN;
        for k in 0..MAX_EDGES {
            let (dx, dy) = (e.length[k], e.heading[k]);
            let along = wrap_near(fast_atan2(dy, dx));
            e.length[k] = (dx * dx + dy * dy).sqrt() * inv_length_bin;
            e.heading[k] = along * inv_heading_bin;
            e.from[k] = wrap_near(e.from[k] - along) * inv_angle_bin;
            e.to[k] = wrap_near(e.to[k] - along) * inv_angle_bin;
        }
        e
    }
    use crate::gallery::tests::{impression, master};

    /// Bitwise equality of every valid edge of the vectorised and the reference selection.
    fn assert_same_edges(t: &Template) {
        let p = points(t);
        let (a, b) = (edges(&p), edges_scalar(&p));
        assert_eq!(a.n, b.n, "edge count, {} minutiae", t.minutiae.len());
        for (name, x, y) in [
            ("length", &a.length, &b.length),
            ("from", &a.from, &b.from),
            ("to", &a.to, &b.to),
            ("heading", &a.heading, &b.heading),
        ] {
            let bits = |v: &[f32; MAX_EDGES]| v[..a.n].iter().map(|f| f.to_bits()).collect::<Vec<_>>();
            assert_eq!(bits(x), bits(y), "{name}, {} minutiae", t.minutiae.len());
        }
        // And the stored bytes: the old quantisation (through usize) of the reference edges.
        let wrap_bin = |v: f32, bins: usize| -> usize {
            let b = v as usize;
            if b >= bins { b - bins } else { b }
        };
        let (mut codes, mut headings) = (Vec::new(), Vec::new());
        template_features(t, &mut codes, &mut headings);
        let old: (Vec<u16>, Vec<u8>) = (0..b.n)
            .map(|k| {
                let l = (b.length[k] as usize).min(LENGTH_BINS - 1);
                let c = code(l, wrap_bin(b.from[k], PREFILTER_ANGLE_BINS), wrap_bin(b.to[k], PREFILTER_ANGLE_BINS));
                (c, wrap_bin(b.heading[k], PREFILTER_HEADING_BINS) as u8)
            })
            .unzip();
        assert_eq!((codes, headings), old, "stored features, {} minutiae", t.minutiae.len());
    }

    #[test]
    fn edges_match_the_scalar_selection() {
        use crate::gallery::tests::{impression, master};
        // 3000 templates from 0 to 99 minutiae (beyond PREFILTER_POINTS the quality choice runs),
        // masters and their impressions (jittered, dropped, spurious minutiae), several resolutions.
        for seed in 0..1000u64 {
            let m = master(seed, (seed % 100) as usize);
            assert_same_edges(&m);
            for v in 0..2 {
                let mut t = impression(&m, seed * 7 + v);
                t.dpi = [500, 250, 569, 1000][(seed % 4) as usize];
                assert_same_edges(&t);
            }
        }
    }

    proptest::proptest! {
        /// Crowded templates: many duplicate positions, equal distances and points near the edge
        /// length limits, where a selection that broke ties differently would show.
        #[test]
        fn edges_match_the_scalar_selection_on_crowded_points(
            pts in proptest::collection::vec((0u16..120, 0u16..120, 0f32..TAU, 0u8..=100), 0..90),
            dpi in proptest::sample::select(vec![250u16, 500, 569, 1000]),
        ) {
            let mut t = Template::new(300, 300, dpi);
            t.minutiae = pts
                .iter()
                .map(|&(x, y, angle, quality)| ridgegate_core::Minutia {
                    x,
                    y,
                    angle,
                    kind: ridgegate_core::MinutiaKind::Ending,
                    quality,
                })
                .collect();
            assert_same_edges(&t);
        }
    }

    #[test]
    fn codes_are_in_range_and_invariant_to_placement() {
        let features = |t: &Template| {
            let (mut c, mut h) = (Vec::new(), Vec::new());
            template_features(t, &mut c, &mut h);
            (c, h)
        };
        let m = master(3, 40);
        let (codes, headings) = features(&m);
        assert!(!codes.is_empty() && codes.iter().all(|&c| (c as usize) < CODES));
        assert!(headings.len() == codes.len() && headings.iter().all(|&h| (h as usize) < PREFILTER_HEADING_BINS));
        // The same template always hits itself fully, all edges agreeing on one rotation.
        let p = ProbeMap::new(&m);
        assert_eq!(p.bag_score(&codes), 1 << 16);
        assert!(p.rotation_score(&codes, &headings) as f32 >= 4096.0 * (codes.len() as f32).sqrt() * 0.99);
        // A mate scores far more than a stranger in both stages.
        let (cm, hm) = features(&impression(&m, 11));
        let (cs, hs) = features(&impression(&master(4, 40), 12));
        assert!(p.bag_score(&cm) > p.bag_score(&cs) + (1 << 13), "{} vs {}", p.bag_score(&cm), p.bag_score(&cs));
        let (rm, rs) = (p.rotation_score(&cm, &hm), p.rotation_score(&cs, &hs));
        assert!(rm > 2 * rs, "{rm} vs {rs}");
        assert_eq!(p.bag_score(&[]), 0);
        assert_eq!(p.rotation_score(&[], &[]), 0);
    }

    #[test]
    fn fast_atan2_is_close_to_libm() {
        for i in 0..3600 {
            let a = i as f32 * TAU / 3600.0 - std::f32::consts::PI;
            for r in [0.5f32, 10.0, 170.0] {
                let (y, x) = (r * a.sin(), r * a.cos());
                let d = (fast_atan2(y, x) - y.atan2(x)).abs();
                assert!(d.min(TAU - d) < 0.002, "{a}: {} vs {}", fast_atan2(y, x), y.atan2(x));
            }
        }
        assert_eq!(fast_atan2(0.0, 0.0), 0.0);
    }

    #[test]
    fn empty_and_degenerate_templates_are_safe() {
        let empty = Template::new(300, 300, 500);
        let (mut codes, mut headings) = (Vec::new(), Vec::new());
        template_features(&empty, &mut codes, &mut headings);
        assert!(codes.is_empty() && headings.is_empty());
        let p = ProbeMap::new(&empty);
        assert_eq!(p.bag_score(&[0, 1, (CODES - 1) as u16]), 0);
        assert_eq!(p.rotation_score(&[0, 1, (CODES - 1) as u16], &[0, 5, 31]), 0);
    }
}
