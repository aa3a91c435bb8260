//! Alignment vote: a generalised Hough transform over *every* probe × candidate minutia pair,
//! independent of the cylinders. Each pair whose directions differ by at most
//! [`MAX_ROTATION`] implies one rigid motion (the rotation that turns the probe minutia's
//! direction into the candidate's, and the translation that then brings the two together); the
//! pairs of the true correspondences imply nearly the same motion and pile up in one cell of a
//! (rotation × translation) grid, while chance pairs spread thinly over it (Ratha et al., "A
//! real-time matching system for large fingerprint databases", IEEE TPAMI 18(8), 1996).
//!
//! Why next to the cylinders: on wet, dry or densely creased prints half the minutiae can be
//! false, so a true minutia's cylinder differs from its mate's and the cylinder pairs the
//! relaxation reinforces most are often not true correspondences — the consolidation then aligns
//! the prints wrongly (its ridge-flow agreement shows it: genuine pairs scoring among impostors
//! mostly have agreement below 0.8). The vote needs no local similarity: only enough true pairs
//! moving alike. Its winner is one more alignment hypothesis for the consolidation, which keeps
//! whichever hypothesis pairs the most minutiae.
//!
//! Only the [`ALIGN_VOTE_MINUTIAE`] best minutiae of each template vote (the likeliest true ones;
//! the cost is their product). Translations are measured between the two sets' centroids, within
//! ±[`GRID`]/2 cells of [`ALIGN_VOTE_TRANSLATION_CELL`] (±192 px at 500 dpi: two impressions
//! whose centroids lie farther apart share too little to align).
//!
//! Cost (with its pairing pass in the consolidation: compare median +5.6 µs over all FVC pairs,
//! `ridgegate bench match`, before/after on one 2-core machine): per pair a few multiplications, no trigonometry (the cosines and sines are in
//! the search form), in a loop that vectorises; a byte increment per vote; block sums over the
//! rotation layers that received votes (three vectorised passes); a pass over the voting pairs
//! to collect the winner's. Allocation-free once the scratch buffers have grown; not run at all
//! when the cylinders' alignment is already clear ([`ALIGN_VOTE_CONFIDENT`]).

use crate::params::*;
use crate::search::{Point, SearchTemplate};
use std::f32::consts::FRAC_PI_2;

/// Translation cells per axis (a power of two: cell keys are bit fields; 32 keeps the grid of
/// one rotation layer at 1 KB).
const GRID_BITS: u32 = 5;
const GRID: i32 = 1 << GRID_BITS;
/// Rotation cells: uniform in the rotation's sine over `[−1, 1]` (the cosine is ≥ 0: |rotation|
/// ≤ 90°), one centred on no rotation, [`ALIGN_VOTE_ROTATION_CELL`] wide near it (where nearly
/// all impressions are) and wider towards ±90°; arithmetic instead of an arcsine keeps the key
/// loop vectorisable.
const SINE_CELL: f32 = ALIGN_VOTE_ROTATION_CELL;
/// Cells on each side of the one centred on no rotation.
const ROTATION_SIDE: usize = (1.0 / SINE_CELL) as usize + 1;
const ROTATION_CELLS: usize = 2 * ROTATION_SIDE + 1;

const _: () = assert!(MAX_ROTATION <= FRAC_PI_2, "the vote identifies rotations by their sine");

/// The minutiae that vote, in the form the vote reads: relative to their centroid (the vote's
/// translations are between the two centroids, which keeps its grid small), structure of arrays
/// (the key loop vectorises), with each direction's cosine and sine (no trigonometry per pair).
/// Built once per search form.
#[derive(Debug, Clone, Default)]
pub(crate) struct VotePoints {
    x: Vec<f32>,
    y: Vec<f32>,
    cos: Vec<f32>,
    sin: Vec<f32>,
    /// The minutiae themselves (for the pairs returned).
    points: Vec<Point>,
}

impl VotePoints {
    /// The vote form of `points` (the template's best minutiae).
    pub fn new(points: &[Point]) -> Self {
        let n = points.len().max(1) as f32;
        let (mx, my) = (points.iter().map(|q| q.x).sum::<f32>() / n, points.iter().map(|q| q.y).sum::<f32>() / n);
        VotePoints {
            x: points.iter().map(|q| q.x - mx).collect(),
            y: points.iter().map(|q| q.y - my).collect(),
            cos: points.iter().map(|q| q.dir.cos()).collect(),
            sin: points.iter().map(|q| q.dir.sin()).collect(),
            points: points.to_vec(),
        }
    }
}

/// Reusable buffers of [`aligned_pairs`] (one per thread).
#[derive(Debug, Default)]
pub(crate) struct Scratch {
    /// Votes per (rotation, y, x) cell.
    votes: Vec<u8>,
    /// Every voting pair: (cell key, probe index, candidate index).
    voters: Vec<(u32, u16, u16)>,
    /// One probe minutia's cell key per candidate minutia ([`NO_VOTE`] outside the grid).
    keys: Vec<u32>,
}

/// Key of a pair that does not vote.
const NO_VOTE: u32 = u32::MAX;

/// The minutia pairs of the strongest rigid motion: `out` receives (probe point, candidate
/// point) of every pair that voted within the winning 2 × 2 × 2 block of cells. Returns false
/// (and leaves `out` empty) when no block gets [`ALIGN_VOTE_MIN`] votes.
pub(crate) fn aligned_pairs(
    p: &SearchTemplate,
    c: &SearchTemplate,
    scratch: &mut Scratch,
    out: &mut Vec<(Point, Point)>,
) -> bool {
    out.clear();
    let Scratch { votes, voters, keys } = scratch;
    let size = ROTATION_CELLS << (2 * GRID_BITS);
    if votes.len() < size {
        votes.resize(size, 0);
    }
    voters.clear();
    let inv_cell = 1.0 / ALIGN_VOTE_TRANSLATION_CELL;
    let half = (GRID / 2) as f32;
    let sine_scale = 1.0 / SINE_CELL;
    let (pv, cv) = (&p.vote, &c.vote);
    let n = cv.points.len();
    keys.clear();
    keys.resize(n, NO_VOTE);
    let (cx, cy, cc, cs, keys) = (&cv.x[..n], &cv.y[..n], &cv.cos[..n], &cv.sin[..n], &mut keys[..n]);
    // Lowest and highest key voted for: the rotation layers in between are all that the block
    // sums below need to visit.
    let (mut lowest, mut highest) = (u32::MAX, 0u32);
    let grid = &mut votes[..size];
    for i in 0..pv.points.len() {
        let (ax, ay, ca, sa) = (pv.x[i], pv.y[i], pv.cos[i], pv.sin[i]);
        // Branch-free over the candidate minutiae (vectorises): the pair's rotation b.dir − a.dir
        // by the difference identities, the translation it implies, its cell.
        for j in 0..n {
            let cos = cc[j] * ca + cs[j] * sa;
            let sin = cs[j] * ca - cc[j] * sa;
            let gx = (cx[j] - (cos * ax - sin * ay)) * inv_cell + half;
            let gy = (cy[j] - (sin * ax + cos * ay)) * inv_cell + half;
            let gr = sin * sine_scale + ROTATION_SIDE as f32;
            let inside = cos >= 0.0 && gx >= -0.5 && gx < GRID as f32 - 0.5 && gy >= -0.5 && gy < GRID as f32 - 0.5;
            let key = cell(gr) << (2 * GRID_BITS) | cell(gy) << GRID_BITS | cell(gx);
            keys[j] = if inside { key } else { NO_VOTE };
        }
        for (j, &key) in keys.iter().enumerate() {
            if key == NO_VOTE {
                continue;
            }
            let v = &mut grid[key as usize];
            *v = v.saturating_add(1);
            lowest = lowest.min(key);
            highest = highest.max(key);
            voters.push((key, i as u16, j as u16));
        }
    }
    if voters.is_empty() {
        return false;
    }
    // Every 2 × 2 × 2 block's votes, at its lowest corner: separable sums along x, y and the
    // rotation, in place (each pass reads cells it has not yet overwritten); byte additions over
    // the dense grid vectorise, and saturation is harmless (a block holds far fewer than 255
    // votes of pairs that move alike). Cells on the grid's far edges sum fewer cells.
    let (row, layer) = (GRID as usize, (GRID * GRID) as usize);
    let first = lowest as usize / layer * layer;
    let grid = &mut grid[first..(highest as usize / layer + 1) * layer];
    for r in grid.chunks_exact_mut(row) {
        let mut next = [0u8; GRID as usize];
        next[..row - 1].copy_from_slice(&r[1..]);
        for (a, b) in r.iter_mut().zip(next) {
            *a = a.saturating_add(b);
        }
    }
    for l in grid.chunks_exact_mut(layer) {
        for y in 0..row - 1 {
            let (lo, hi) = l[y * row..(y + 2) * row].split_at_mut(row);
            for (a, b) in lo.iter_mut().zip(hi.iter()) {
                *a = a.saturating_add(*b);
            }
        }
    }
    for k in 0..grid.len() / layer - 1 {
        let (lo, hi) = grid[k * layer..(k + 2) * layer].split_at_mut(layer);
        for (a, b) in lo.iter_mut().zip(hi.iter()) {
            *a = a.saturating_add(*b);
        }
    }
    // The strongest block; ties: the lowest corner (deterministic).
    let top = grid.iter().copied().max().unwrap_or(0);
    // First the row holding it (`contains` on bytes is a vectorised search), then the cell.
    let at = grid.chunks_exact(row).position(|r| r.contains(&top)).unwrap_or(0) * row;
    let corner = (first + at + grid[at..].iter().position(|&v| v == top).unwrap_or(0)) as u32;
    grid.fill(0);
    if (top as u32) < ALIGN_VOTE_MIN {
        return false;
    }
    let (r0, y0, x0) = unkey(corner);
    for &(k, i, j) in voters.iter() {
        let (r, y, x) = unkey(k);
        if (r - r0) as u32 <= 1 && (y - y0) as u32 <= 1 && (x - x0) as u32 <= 1 {
            out.push((pv.points[i as usize], cv.points[j as usize]));
        }
    }
    true
}

/// `x` rounded to the nearest integer (ties to even), for `x` in `[−0.5, 2²²)` (other values
/// give unspecified bits): adding 1.5 · 2²³ moves `x` into the binade where floats are the
/// integers, so the rounded value is the mantissa's offset from the constant's. Unlike an `as`
/// conversion (saturating: a branch per value) it vectorises.
#[inline(always)]
fn cell(x: f32) -> u32 {
    const MAGIC: f32 = 12_582_912.0; // 1.5 · 2²³
    (x + MAGIC).to_bits().wrapping_sub(MAGIC.to_bits())
}

/// (rotation cell, y cell, x cell) of a cell key.
#[inline]
fn unkey(k: u32) -> (i32, i32, i32) {
    let m = (1u32 << GRID_BITS) - 1;
    ((k >> (2 * GRID_BITS)) as i32, (k >> GRID_BITS & m) as i32, (k & m) as i32)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testkit::{Rng, impression_with, random_template};
    use proptest::prelude::*;
    use ridgegate_core::Template;

    #[test]
    fn cell_rounds_to_the_nearest_integer() {
        for (x, want) in
            [(-0.5f32, 0u32), (-0.49, 0), (-0.01, 0), (0.0, 0), (0.49, 0), (0.51, 1), (1.5, 2), (2.5, 2), (31.49, 31)]
        {
            assert_eq!(cell(x), want, "{x}");
        }
        for k in 0..4000 {
            let x = k as f32 * 0.01 - 0.49;
            assert_eq!(cell(x), x.round_ties_even() as u32, "{x}");
        }
    }

    /// Where `impression_with` puts a master minutia at (x, y): rotation by `angle` about
    /// (200, 200), then `shift`.
    fn moved(x: f32, y: f32, angle: f32, shift: (f32, f32)) -> (f32, f32) {
        let (s, c) = angle.sin_cos();
        let (dx, dy) = (x - 200.0, y - 200.0);
        (c * dx + s * dy + 200.0 + shift.0, -s * dx + c * dy + 200.0 + shift.1)
    }

    /// Fraction of `pairs` that are true correspondences (the candidate point is where the motion
    /// takes the probe point, within the impression's jitter).
    fn share_of_true_pairs(pairs: &[(Point, Point)], angle: f32, shift: (f32, f32)) -> f32 {
        let ok = pairs
            .iter()
            .filter(|(a, b)| {
                let (x, y) = moved(a.x, a.y, angle, shift);
                (x - b.x).hypot(y - b.y) < 4.0
            })
            .count();
        ok as f32 / pairs.len().max(1) as f32
    }

    fn vote(a: &Template, b: &Template) -> Vec<(Point, Point)> {
        let (p, c) = (SearchTemplate::new(a), SearchTemplate::new(b));
        let mut out = Vec::new();
        aligned_pairs(&p, &c, &mut Scratch::default(), &mut out);
        out
    }

    proptest! {
        /// Another impression (jittered, 15 % dropped, spurious minutiae added) turned by up to
        /// ±60° and moved by up to ±80 px: the winning block is that motion's.
        #[test]
        fn the_vote_finds_the_motion_of_another_impression(
            seed in 0u64..1000, angle in -1.05f32..1.05, sx in -80f32..80.0, sy in -80f32..80.0,
        ) {
            let master = random_template(seed, 40, true);
            let other = impression_with(&master, &mut Rng(seed ^ 0xA5A5), seed, angle, (sx, sy), true);
            let pairs = vote(&master, &other);
            prop_assert!(pairs.len() >= 8, "{} pairs", pairs.len());
            prop_assert!(share_of_true_pairs(&pairs, angle, (sx, sy)) >= 0.8, "{}", share_of_true_pairs(&pairs, angle, (sx, sy)));
        }
    }

    #[test]
    fn the_vote_survives_many_false_minutiae() {
        // Wet or creased prints: 40 % of each impression's minutiae are false. The cylinders of
        // the true ones change (their neighbourhoods are full of false minutiae); the true pairs
        // still move alike.
        for seed in 0..40u64 {
            let master = random_template(seed, 36, true);
            let (angle, shift) = (0.3 - seed as f32 * 0.015, (20.0, -15.0));
            let mut other = impression_with(&master, &mut Rng(seed + 7), seed, angle, shift, true);
            let mut noisy = master.clone();
            for k in 0..24 {
                noisy.minutiae.extend(random_template(seed * 100 + k, 1, true).minutiae);
                other.minutiae.extend(random_template(seed * 100 + 50 + k, 1, true).minutiae);
            }
            let pairs = vote(&noisy, &other);
            assert!(
                share_of_true_pairs(&pairs, angle, shift) >= 0.7,
                "seed {seed}: {}",
                share_of_true_pairs(&pairs, angle, shift)
            );
        }
    }

    #[test]
    fn unrelated_prints_give_a_small_block() {
        let mut genuine = Vec::new();
        let mut chance = Vec::new();
        for seed in 0..30u64 {
            let master = random_template(seed, 40, true);
            let other = impression_with(&master, &mut Rng(seed), seed, 0.2, (10.0, 5.0), true);
            genuine.push(vote(&master, &other).len());
            chance.push(vote(&master, &random_template(seed + 500, 40, true)).len());
        }
        genuine.sort_unstable();
        chance.sort_unstable();
        // Every unrelated block is below the median genuine one, and typically far below.
        assert!(chance[29] < genuine[15], "chance {chance:?} genuine {genuine:?}");
        assert!(2 * chance[15] < genuine[15], "chance {chance:?} genuine {genuine:?}");
    }

    #[test]
    fn the_scratch_is_left_clean_and_results_are_repeatable() {
        let a = random_template(3, 45, true);
        let b = impression_with(&a, &mut Rng(9), 3, -0.4, (-30.0, 12.0), true);
        let (p, c) = (SearchTemplate::new(&a), SearchTemplate::new(&b));
        let mut scratch = Scratch::default();
        let (mut first, mut again) = (Vec::new(), Vec::new());
        assert!(aligned_pairs(&p, &c, &mut scratch, &mut first));
        assert!(scratch.votes.iter().all(|&v| v == 0), "votes left in the grid");
        // An unrelated comparison in between must not change the next result.
        aligned_pairs(&p, &SearchTemplate::new(&random_template(77, 30, true)), &mut scratch, &mut again);
        aligned_pairs(&p, &c, &mut scratch, &mut again);
        assert_eq!(first, again);
    }

    #[test]
    fn too_few_minutiae_give_no_alignment() {
        let a = random_template(1, 2, true);
        let mut out =
            vec![(Point { x: 0.0, y: 0.0, dir: 0.0, weight: 1.0 }, Point { x: 0.0, y: 0.0, dir: 0.0, weight: 1.0 })];
        let (p, c) = (SearchTemplate::new(&a), SearchTemplate::new(&random_template(2, 2, true)));
        assert!(!aligned_pairs(&p, &c, &mut Scratch::default(), &mut out));
        assert!(out.is_empty());
    }
}
