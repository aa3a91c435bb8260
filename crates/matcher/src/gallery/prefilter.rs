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
//! * **Stage 1, bag of edges** ([`ProbeMap::bag_score`]): the probe sets, in a bitmap over all codes,
//!   the cell of each of its edges and the nearest neighbouring cell in every dimension, so a
//!   candidate edge within about half a cell of a probe edge hits. Score = fraction of the
//!   candidate's codes that hit: one bit test per edge, integer only; the 5 KB bitmap stays in L1.
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

/// A minutia at 500 dpi, image-space direction (y down).
#[derive(Clone, Copy)]
struct Point {
    x: f32,
    y: f32,
    dir: f32,
}

/// An edge as continuous bin coordinates (length, from angle, to angle, heading).
type EdgeBins = (f32, f32, f32, f32);
const _: () = assert!(PREFILTER_HEADING_BINS <= 32, "heading masks are u32");

fn wrap(a: f32) -> f32 {
    let r = a.rem_euclid(TAU);
    if r >= TAU { 0.0 } else { r }
}

/// The best minutiae by quality, rescaled to 500 dpi.
fn points(t: &Template) -> Vec<Point> {
    let scale = PREFILTER_DPI / t.dpi.max(1) as f32;
    let mut m: Vec<_> = t.minutiae.iter().collect();
    if m.len() > PREFILTER_POINTS {
        // Only the choice matters (edges do not depend on point order beyond ties).
        m.sort_by(|a, b| b.quality.cmp(&a.quality).then(a.y.cmp(&b.y)).then(a.x.cmp(&b.x)));
        m.truncate(PREFILTER_POINTS);
    }
    // ISO angles are counter-clockwise as seen (y down): the image-space direction is the negation.
    m.iter().map(|m| Point { x: m.x as f32 * scale, y: m.y as f32 * scale, dir: wrap(-m.angle) }).collect()
}

/// `atan2` to within 0.002 rad (a tenth of the finest bin), pure arithmetic: several times faster
/// than libm and identical on every platform, so probe and gallery codes always agree.
#[inline]
fn fast_atan2(y: f32, x: f32) -> f32 {
    use std::f32::consts::{FRAC_PI_2, FRAC_PI_4, PI};
    let (ax, ay) = (x.abs(), y.abs());
    if ax == 0.0 && ay == 0.0 {
        return 0.0;
    }
    let (z, swapped) = if ay > ax { (ax / ay, true) } else { (ay / ax, false) };
    let mut a = FRAC_PI_4 * z - z * (z - 1.0) * (0.2447 + 0.0663 * z);
    if swapped {
        a = FRAC_PI_2 - a;
    }
    if x < 0.0 {
        a = PI - a;
    }
    if y < 0.0 { -a } else { a }
}

/// `a` in `[-2π, 4π)` wrapped into `[0, 2π)` without a division.
#[inline]
fn wrap_near(a: f32) -> f32 {
    if a < 0.0 {
        a + TAU
    } else if a >= TAU {
        a - TAU
    } else {
        a
    }
}

/// Each point's edges to its [`PREFILTER_NEIGHBOURS`] nearest neighbours, as continuous bin
/// coordinates. Points are visited in row order and each neighbour search walks outwards in y,
/// stopping once the vertical gap alone exceeds the current K-th distance: about a third of the
/// O(n²) distance tests, no allocation. Ties are broken by row order, deterministically.
fn edges(points: &[Point], mut f: impl FnMut(EdgeBins)) {
    const K: usize = PREFILTER_NEIGHBOURS;
    let inv_angle_bin = PREFILTER_ANGLE_BINS as f32 / TAU;
    let inv_heading_bin = PREFILTER_HEADING_BINS as f32 / TAU;
    let inv_length_bin = 1.0 / PREFILTER_LENGTH_BIN;
    let (min2, max2) = (PREFILTER_MIN_LENGTH * PREFILTER_MIN_LENGTH, PREFILTER_MAX_LENGTH * PREFILTER_MAX_LENGTH);
    let n = points.len().min(PREFILTER_POINTS);
    let mut p = [Point { x: 0.0, y: 0.0, dir: 0.0 }; PREFILTER_POINTS];
    p[..n].copy_from_slice(&points[..n]);
    let p = &mut p[..n];
    p.sort_unstable_by(|a, b| a.y.total_cmp(&b.y).then(a.x.total_cmp(&b.x)).then(a.dir.total_cmp(&b.dir)));
    for (i, a) in p.iter().enumerate() {
        // Sorted (d², j) of the nearest so far.
        let mut near = [(f32::MAX, 0u16); K];
        let mut count = 0usize;
        let consider = |j: usize, near: &mut [(f32, u16); K], count: &mut usize| {
            let b = p[j];
            let d2 = (b.x - a.x) * (b.x - a.x) + (b.y - a.y) * (b.y - a.y);
            if d2 < min2 || d2 > max2 || (*count == K && d2 >= near[K - 1].0) {
                return;
            }
            let mut k = (*count).min(K - 1);
            while k > 0 && near[k - 1].0 > d2 {
                near[k] = near[k - 1];
                k -= 1;
            }
            near[k] = (d2, j as u16);
            *count = (*count + 1).min(K);
        };
        let bound = |near: &[(f32, u16); K], count: usize| if count == K { near[K - 1].0 } else { max2 };
        for (j, q) in p.iter().enumerate().skip(i + 1) {
            let dy = q.y - a.y;
            if dy * dy > bound(&near, count) {
                break;
            }
            consider(j, &mut near, &mut count);
        }
        for (j, q) in p[..i].iter().enumerate().rev() {
            let dy = a.y - q.y;
            if dy * dy > bound(&near, count) {
                break;
            }
            consider(j, &mut near, &mut count);
        }
        for &(d2, j) in &near[..count] {
            let b = p[j as usize];
            let along = fast_atan2(b.y - a.y, b.x - a.x);
            f((
                d2.sqrt() * inv_length_bin,
                wrap_near(a.dir - along) * inv_angle_bin,
                wrap_near(b.dir - along) * inv_angle_bin,
                wrap_near(along) * inv_heading_bin,
            ));
        }
    }
}

#[inline]
fn code(l: usize, f: usize, t: usize) -> u16 {
    ((l * PREFILTER_ANGLE_BINS + f % PREFILTER_ANGLE_BINS) * PREFILTER_ANGLE_BINS + t % PREFILTER_ANGLE_BINS) as u16
}

/// The (code, heading) of every edge of a gallery template, appended to `codes` and `headings`.
pub(crate) fn template_features(t: &Template, codes: &mut Vec<u16>, headings: &mut Vec<u8>) {
    edges(&points(t), |(l, f, a, h)| {
        codes.push(code((l as usize).min(LENGTH_BINS - 1), f as usize, a as usize));
        headings.push((h as usize % PREFILTER_HEADING_BINS) as u8);
    });
}

/// The probe side of both stages: a bitmap over all codes (stage 1, 5 KB) and, per code, the
/// mask of probe edge headings in that cell (stage 2, 166 KB). Build once per identification
/// (~20 µs); read-only afterwards, shared by all threads.
pub(crate) struct ProbeMap {
    bits: Box<[u64]>,
    headings: Box<[u32]>,
}

impl ProbeMap {
    pub fn new(t: &Template) -> Self {
        let mut bits = vec![0u64; CODES.div_ceil(64)].into_boxed_slice();
        let mut headings = vec![0u32; CODES].into_boxed_slice();
        let nearest_two = |v: f32, n: usize, wraps: bool| -> [usize; 2] {
            let b = v.floor() as isize;
            let other = if v - b as f32 >= 0.5 { b + 1 } else { b - 1 };
            let fix = |x: isize| -> usize {
                if wraps { x.rem_euclid(n as isize) as usize } else { x.clamp(0, n as isize - 1) as usize }
            };
            [fix(b), fix(other)]
        };
        edges(&points(t), |(l, f, a, h)| {
            let heading = 1u32 << (h as usize % PREFILTER_HEADING_BINS);
            for li in nearest_two(l, LENGTH_BINS, false) {
                for fi in nearest_two(f, PREFILTER_ANGLE_BINS, true) {
                    for ai in nearest_two(a, PREFILTER_ANGLE_BINS, true) {
                        let c = code(li, fi, ai) as usize;
                        bits[c / 64] |= 1 << (c % 64);
                        headings[c] |= heading;
                    }
                }
            }
        });
        ProbeMap { bits, headings }
    }

    /// Stage 1: hits · 2^16 / edges (0 for no edges). ~1 ns per edge.
    #[inline]
    pub fn bag_score(&self, codes: &[u16]) -> u32 {
        if codes.is_empty() {
            return 0;
        }
        let mut hits = 0u32;
        for &c in codes {
            hits += ((self.bits[(c >> 6) as usize] >> (c & 63)) & 1) as u32;
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
            if (self.bits[(c >> 6) as usize] >> (c & 63)) & 1 == 0 {
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
    use crate::gallery::tests::{impression, master};

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
