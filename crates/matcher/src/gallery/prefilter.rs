//! The cheap first stage of identification: a bag of quantised local edges per template.
//!
//! Every minutia (at 500 dpi, the best [`PREFILTER_POINTS`] by quality) is joined to its
//! [`PREFILTER_NEIGHBOURS`] nearest neighbours; each directed edge is described by its length and
//! the two minutia directions relative to it (invariant to rotation and translation) and quantised
//! into one `u16` code. A gallery template stores only its codes (2 bytes per edge, contiguous per
//! shard). The probe sets, in a bitmap over all codes, the cell of each of its edges and the
//! nearest neighbouring cell in every dimension, so a candidate edge within about half a cell of a
//! probe edge hits. A candidate's prefilter score is the fraction of its codes that hit: one bit
//! test per code, no floating point, no allocation. The bitmap (5 KB) stays in L1 cache.
//!
//! The prefilter only decides which subjects the full matcher sees; it never produces a score
//! that is returned.

use super::params::{
    PREFILTER_ANGLE_BINS, PREFILTER_LENGTH_BIN, PREFILTER_MAX_LENGTH, PREFILTER_MIN_LENGTH, PREFILTER_NEIGHBOURS,
    PREFILTER_POINTS,
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

/// An edge as continuous bin coordinates (length, from angle, to angle).
type EdgeBins = (f32, f32, f32);

fn wrap(a: f32) -> f32 {
    let r = a.rem_euclid(TAU);
    if r >= TAU { 0.0 } else { r }
}

/// The best minutiae by quality, rescaled to 500 dpi.
fn points(t: &Template) -> Vec<Point> {
    let scale = PREFILTER_DPI / t.dpi.max(1) as f32;
    let mut m: Vec<_> = t.minutiae.iter().collect();
    m.sort_by(|a, b| b.quality.cmp(&a.quality).then(a.y.cmp(&b.y)).then(a.x.cmp(&b.x)));
    m.truncate(PREFILTER_POINTS);
    // ISO angles are counter-clockwise as seen (y down): the image-space direction is the negation.
    m.iter().map(|m| Point { x: m.x as f32 * scale, y: m.y as f32 * scale, dir: wrap(-m.angle) }).collect()
}

/// Each point's edges to its nearest neighbours, as continuous bin coordinates.
fn edges(p: &[Point], mut f: impl FnMut(EdgeBins)) {
    let angle_bin = TAU / PREFILTER_ANGLE_BINS as f32;
    let (min2, max2) = (PREFILTER_MIN_LENGTH * PREFILTER_MIN_LENGTH, PREFILTER_MAX_LENGTH * PREFILTER_MAX_LENGTH);
    let mut near: Vec<(f32, u16)> = Vec::with_capacity(p.len());
    for (i, a) in p.iter().enumerate() {
        near.clear();
        for (j, b) in p.iter().enumerate() {
            let d2 = (b.x - a.x) * (b.x - a.x) + (b.y - a.y) * (b.y - a.y);
            if i != j && (min2..=max2).contains(&d2) {
                near.push((d2, j as u16));
            }
        }
        let cmp = |x: &(f32, u16), y: &(f32, u16)| x.0.total_cmp(&y.0).then(x.1.cmp(&y.1));
        if near.len() > PREFILTER_NEIGHBOURS {
            near.select_nth_unstable_by(PREFILTER_NEIGHBOURS - 1, cmp);
            near.truncate(PREFILTER_NEIGHBOURS);
        }
        for &(d2, j) in &near {
            let b = p[j as usize];
            let along = (b.y - a.y).atan2(b.x - a.x);
            f((d2.sqrt() / PREFILTER_LENGTH_BIN, wrap(a.dir - along) / angle_bin, wrap(b.dir - along) / angle_bin));
        }
    }
}

#[inline]
fn code(l: usize, f: usize, t: usize) -> u16 {
    ((l * PREFILTER_ANGLE_BINS + f % PREFILTER_ANGLE_BINS) * PREFILTER_ANGLE_BINS + t % PREFILTER_ANGLE_BINS) as u16
}

/// The codes of a gallery template (one per directed edge), appended to `out`.
pub(crate) fn template_codes(t: &Template, out: &mut Vec<u16>) {
    edges(&points(t), |(l, f, a)| {
        out.push(code((l as usize).min(LENGTH_BINS - 1), f as usize, a as usize));
    });
}

/// The probe side: a bitmap over all codes. ~5 KB; build once per identification (~20 µs).
pub(crate) struct ProbeMap {
    bits: Box<[u64]>,
}

impl ProbeMap {
    pub fn new(t: &Template) -> Self {
        let mut bits = vec![0u64; CODES.div_ceil(64)].into_boxed_slice();
        let nearest_two = |v: f32, n: usize, wraps: bool| -> [usize; 2] {
            let b = v.floor() as isize;
            let other = if v - b as f32 >= 0.5 { b + 1 } else { b - 1 };
            let fix = |x: isize| -> usize {
                if wraps { x.rem_euclid(n as isize) as usize } else { x.clamp(0, n as isize - 1) as usize }
            };
            [fix(b), fix(other)]
        };
        edges(&points(t), |(l, f, a)| {
            for li in nearest_two(l, LENGTH_BINS, false) {
                for fi in nearest_two(f, PREFILTER_ANGLE_BINS, true) {
                    for ai in nearest_two(a, PREFILTER_ANGLE_BINS, true) {
                        let c = code(li, fi, ai) as usize;
                        bits[c / 64] |= 1 << (c % 64);
                    }
                }
            }
        });
        ProbeMap { bits }
    }

    /// Prefilter score of a candidate's codes: hits · 2^16 / codes (0 for no codes).
    #[inline]
    pub fn score(&self, codes: &[u16]) -> u32 {
        if codes.is_empty() {
            return 0;
        }
        let mut hits = 0u32;
        for &c in codes {
            hits += ((self.bits[(c >> 6) as usize] >> (c & 63)) & 1) as u32;
        }
        (hits << 16) / codes.len() as u32
    }
}

/// Per-record prefilter codes of a shard: one arena, (start, len) per record.
#[derive(Debug, Default)]
pub(crate) struct FeatureStore {
    pub codes: Vec<u16>,
    pub ranges: Vec<(u32, u32)>,
}

impl FeatureStore {
    /// Appends a record's codes computed elsewhere (e.g. in parallel by a batch insert).
    pub fn push_codes(&mut self, codes: &[u16]) {
        self.ranges.push((self.codes.len() as u32, codes.len() as u32));
        self.codes.extend_from_slice(codes);
    }

    /// The codes of record `r`.
    #[inline]
    pub fn of(&self, r: usize) -> &[u16] {
        let (s, n) = self.ranges[r];
        &self.codes[s as usize..(s + n) as usize]
    }

    /// Keeps the records with `new_index[r] != DEAD`, renumbered in order.
    pub fn compact(&mut self, new_index: &[u32]) {
        let mut codes = Vec::with_capacity(self.codes.len());
        let mut ranges = Vec::with_capacity(self.ranges.len());
        for (r, &ni) in new_index.iter().enumerate() {
            if ni != super::shard::DEAD {
                let c = self.of(r);
                ranges.push((codes.len() as u32, c.len() as u32));
                codes.extend_from_slice(c);
            }
        }
        codes.shrink_to_fit();
        ranges.shrink_to_fit();
        self.codes = codes;
        self.ranges = ranges;
    }

    pub fn memory_bytes(&self) -> usize {
        self.codes.capacity() * 2 + self.ranges.capacity() * 8
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gallery::tests::{impression, master};

    #[test]
    fn codes_are_in_range_and_invariant_to_placement() {
        let m = master(3, 40);
        let mut codes = Vec::new();
        template_codes(&m, &mut codes);
        assert!(!codes.is_empty() && codes.iter().all(|&c| (c as usize) < CODES));
        // The same template always hits itself fully.
        assert_eq!(ProbeMap::new(&m).score(&codes), 1 << 16);
        // A mate hits far more than a stranger.
        let mate = impression(&m, 11);
        let stranger = impression(&master(4, 40), 12);
        let (mut cm, mut cs) = (Vec::new(), Vec::new());
        template_codes(&mate, &mut cm);
        template_codes(&stranger, &mut cs);
        let p = ProbeMap::new(&m);
        assert!(p.score(&cm) > p.score(&cs) + (1 << 13), "{} vs {}", p.score(&cm), p.score(&cs));
        assert_eq!(p.score(&[]), 0);
    }

    #[test]
    fn empty_and_degenerate_templates_are_safe() {
        let empty = Template::new(300, 300, 500);
        let mut codes = Vec::new();
        template_codes(&empty, &mut codes);
        assert!(codes.is_empty());
        assert_eq!(ProbeMap::new(&empty).score(&[0, 1, (CODES - 1) as u16]), 0);
    }
}
