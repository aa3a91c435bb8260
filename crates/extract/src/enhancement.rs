//! Stage 5: contextual enhancement with oriented Gabor filters, and binarisation.

use crate::orientation::OrientationField;
use crate::params::*;
use crate::plane::{Plane, bilinear_cell};
use std::f32::consts::PI;
use std::sync::OnceLock;

const SIDE: usize = 2 * GABOR_RADIUS + 1;
const PERIODS: usize = (MAX_PERIOD as usize) - (MIN_PERIOD as usize) + 1;

/// The precomputed filter bank: [`GABOR_ORIENTATIONS`] × one kernel per whole-pixel period from
/// [`MIN_PERIOD`] to [`MAX_PERIOD`]. Each kernel is even-symmetric, zero-mean and L1-normalised.
struct Bank {
    kernels: Vec<[f32; SIDE * SIDE]>,
}

fn bank() -> &'static Bank {
    static BANK: OnceLock<Bank> = OnceLock::new();
    BANK.get_or_init(|| {
        let mut kernels = Vec::with_capacity(GABOR_ORIENTATIONS * PERIODS);
        for o in 0..GABOR_ORIENTATIONS {
            let theta = o as f32 * PI / GABOR_ORIENTATIONS as f32;
            for p in 0..PERIODS {
                kernels.push(gabor_kernel(theta, MIN_PERIOD + p as f32));
            }
        }
        Bank { kernels }
    })
}

/// An even Gabor kernel tuned to ridges running along `theta` with the given period.
fn gabor_kernel(theta: f32, period: f32) -> [f32; SIDE * SIDE] {
    let (sa, sb) = (GABOR_SIGMA_ACROSS * period, GABOR_SIGMA_ALONG * period);
    let (c, s) = (theta.cos(), theta.sin());
    let r = GABOR_RADIUS as f32;
    let mut k = [0f32; SIDE * SIDE];
    let mut env = [0f32; SIDE * SIDE];
    for (i, (kv, ev)) in k.iter_mut().zip(env.iter_mut()).enumerate() {
        let u = (i % SIDE) as f32 - r;
        let v = (i / SIDE) as f32 - r;
        let across = -u * s + v * c;
        let along = u * c + v * s;
        let e = (-(across * across) / (2.0 * sa * sa) - (along * along) / (2.0 * sb * sb)).exp();
        *ev = e;
        *kv = e * (2.0 * PI * across / period).cos();
    }
    // Remove the DC response so flat areas give 0, then normalise.
    let dc = k.iter().sum::<f32>() / env.iter().sum::<f32>();
    for (kv, ev) in k.iter_mut().zip(env.iter()) {
        *kv -= dc * ev;
    }
    let l1: f32 = k.iter().map(|v| v.abs()).sum();
    for kv in k.iter_mut() {
        *kv /= l1;
    }
    k
}

/// Gabor-filtered image: every pixel of a foreground block (and of its neighbours, so minutiae
/// near the mask edge still see clean ridges) is filtered with the kernel picked by `kernels`:
/// its block's, or ([`KernelChoice::Interpolated`]) the one of the orientation and period
/// interpolated bilinearly at that pixel between block centres (the orientation on the doubled
/// angle). Per-pixel choice removes the seams at block edges, where the kernel jumps by a whole
/// orientation or period step: with them, the same finger shifted by 3 px binarised differently
/// and 28–35 % of its minutiae had no counterpart within 4 px on noisy prints (FVC2000 DB2/DB3,
/// FVC2002 DB3; 12 % on clean FVC2002 DB1), with interpolation 23–30 % (8 %).
/// Positive = valley, negative = ridge; background is 0. Cost: (2·GABOR_RADIUS+1)² multiply-adds
/// per pixel for each distinct kernel in its run of 8 (usually one, sometimes two); rows of
/// blocks run in parallel (rayon).
pub fn enhanced_image(
    norm: &Plane<f32>,
    field: &OrientationField,
    period: &Plane<f32>,
    mask: &Plane<bool>,
    kernels: KernelChoice,
) -> Plane<f32> {
    use rayon::prelude::*;
    let bank = bank();
    let r = GABOR_RADIUS;
    // Replicate-padded copy so the inner loop needs no bounds logic.
    let pw = norm.w + 2 * r + 2 * BLOCK;
    let ph = norm.h + 2 * r;
    let mut padded = vec![0f32; pw * ph];
    for y in 0..ph {
        for x in 0..pw {
            padded[y * pw + x] = norm.clamped(x as isize - r as isize, y as isize - r as isize);
        }
    }
    // The doubled-angle unit vector per block, interpolated per pixel below.
    let doubled_cos =
        Plane { w: field.angle.w, h: field.angle.h, data: field.angle.data.iter().map(|a| (2.0 * a).cos()).collect() };
    let doubled_sin =
        Plane { w: field.angle.w, h: field.angle.h, data: field.angle.data.iter().map(|a| (2.0 * a).sin()).collect() };
    let block_index = Plane {
        w: mask.w,
        h: mask.h,
        data: doubled_sin
            .data
            .iter()
            .zip(&doubled_cos.data)
            .zip(&period.data)
            .map(|((&s, &c), &p)| kernel_index_doubled(s.atan2(c), p))
            .collect(),
    };
    let near_foreground = |bx: usize, by: usize| -> bool {
        (by.saturating_sub(1)..=(by + 1).min(mask.h - 1))
            .any(|y| (bx.saturating_sub(1)..=(bx + 1).min(mask.w - 1)).any(|x| mask.at(x, y)))
    };
    let filter_run = |k: usize, x0: usize, y: usize| filter_run(&bank.kernels[k], &padded, pw, x0, y);
    let mut out = Plane::new(norm.w, norm.h);
    out.data.par_chunks_mut(norm.w * BLOCK).enumerate().for_each(|(by, rows)| {
        let rows_here = rows.len() / norm.w;
        let near: Vec<bool> = (0..mask.w).map(|bx| near_foreground(bx, by)).collect();
        // Column by column, then row by row, so that one kernel serves several rows in a row
        // (the bank does not fit the L1 cache).
        if kernels == KernelChoice::PerBlock {
            for bx in (0..mask.w).filter(|&bx| near[bx]) {
                let (x0, x1) = (bx * BLOCK, ((bx + 1) * BLOCK).min(norm.w));
                for dy in 0..rows_here {
                    let values = filter_run(block_index.at(bx, by), x0, by * BLOCK + dy);
                    rows[dy * norm.w + x0..dy * norm.w + x1].copy_from_slice(&values[..x1 - x0]);
                }
            }
            return;
        }
        // Runs of 8 from one block centre to the next lie in a single interpolation cell: when
        // its four corner blocks share a kernel (most cells), so does every pixel of the run, and
        // one vector pass does. Run `c` covers [8c − 4, 8c + 4): blocks c−1 and c.
        for c in 0..=mask.w {
            let left = c.checked_sub(1).is_some_and(|b| near[b]);
            let right = c < mask.w && near[c];
            let x0 = (c * BLOCK).saturating_sub(BLOCK / 2);
            let x1 = (c * BLOCK + BLOCK / 2).min(norm.w);
            if (!left && !right) || x0 >= x1 {
                continue;
            }
            for dy in 0..rows_here {
                let y = by * BLOCK + dy;
                let row = &mut rows[dy * norm.w..(dy + 1) * norm.w];
                let (_, cy0, _, cy1, _, ty) = bilinear_cell(0.0, y as f32, BLOCK, mask.w, mask.h);
                let (cx0, cx1) = (c.saturating_sub(1).min(mask.w - 1), c.min(mask.w - 1));
                let corner = block_index.at(cx0, cy0);
                let mut values = if corner == block_index.at(cx1, cy0)
                    && corner == block_index.at(cx0, cy1)
                    && corner == block_index.at(cx1, cy1)
                {
                    // Interpolating between equal kernels stays within that kernel's orientation
                    // and period bins (both are convex): no per-pixel arithmetic needed.
                    filter_run(corner, x0, y)
                } else {
                    // The run's four corner values of each map, then per pixel only its weights.
                    let corners = |p: &Plane<f32>| [p.at(cx0, cy0), p.at(cx1, cy0), p.at(cx0, cy1), p.at(cx1, cy1)];
                    let (sin4, cos4, period4) = (corners(&doubled_sin), corners(&doubled_cos), corners(period));
                    let index_at = |i: usize| {
                        let (_, _, _, _, tx, _) = bilinear_cell((x0 + i) as f32, 0.0, BLOCK, mask.w, mask.h);
                        let lerp = |v: &[f32; 4]| {
                            let top = v[0] * (1.0 - tx) + v[1] * tx;
                            let bottom = v[2] * (1.0 - tx) + v[3] * tx;
                            top * (1.0 - ty) + bottom * ty
                        };
                        kernel_index_doubled(fast_atan2(lerp(&sin4), lerp(&cos4)), lerp(&period4))
                    };
                    // Along the run the interpolated doubled-angle vector moves on a straight
                    // segment and the period linearly, so both bins change monotonically: equal
                    // kernels at both ends mean one kernel throughout.
                    let (first, last) = (index_at(0), index_at(x1 - x0 - 1));
                    let mut index = [first; BLOCK];
                    if first != last {
                        for (i, slot) in index.iter_mut().enumerate().take(x1 - x0 - 1).skip(1) {
                            *slot = index_at(i);
                        }
                        index[x1 - x0 - 1] = last;
                    }
                    let mut values = [0f32; BLOCK];
                    let mut done = [false; BLOCK];
                    for first in 0..x1 - x0 {
                        if done[first] {
                            continue;
                        }
                        let acc = filter_run(index[first], x0, y);
                        for i in first..x1 - x0 {
                            if index[i] == index[first] {
                                values[i] = acc[i];
                                done[i] = true;
                            }
                        }
                    }
                    values
                };
                // Pixels of blocks far from the foreground stay 0, as with per-block kernels.
                for (i, v) in values.iter_mut().enumerate().take(x1 - x0) {
                    if !near[((x0 + i) / BLOCK).min(mask.w - 1)] {
                        *v = 0.0;
                    }
                }
                row[x0..x1].copy_from_slice(&values[..x1 - x0]);
            }
        }
    });
    out
}

/// How [`enhanced_image`] picks the Gabor kernel of a pixel.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KernelChoice {
    /// The kernel of the pixel's block (cheapest; seams at block edges). Enough for a pass whose
    /// output is only measured per block again (the first pass, for the refined field and period).
    PerBlock,
    /// The kernel of the orientation and period interpolated at the pixel (no seams).
    Interpolated,
}

/// Eight outputs of kernel `k` at once, from column `x0` of output row `y` (`padded` is the
/// replicate-padded input, `pw` wide): each tap scales a contiguous run of 8 inputs, which the
/// compiler turns into vector multiply-adds (fixed-size rows, so no bounds checks inside).
#[inline(always)]
fn filter_run(k: &[f32; SIDE * SIDE], padded: &[f32], pw: usize, x0: usize, y: usize) -> [f32; BLOCK] {
    let mut acc = [0f32; BLOCK];
    for ky in 0..SIDE {
        let row: &[f32; SIDE + BLOCK] = padded[(y + ky) * pw + x0..][..SIDE + BLOCK].try_into().expect("padded row");
        let kr: &[f32; SIDE] = k[ky * SIDE..][..SIDE].try_into().expect("kernel row");
        for (kx, &kv) in kr.iter().enumerate() {
            for (i, a) in acc.iter_mut().enumerate() {
                *a += kv * row[kx + i];
            }
        }
    }
    acc
}

/// Kernel of the bank for a doubled ridge angle (radians, any range) and a period (px).
fn kernel_index_doubled(doubled: f32, period: f32) -> usize {
    // Truncating casts of non-negative values instead of round(): the library call is not
    // inlined on baseline x86-64 and this runs per pixel.
    let steps = doubled * (GABOR_ORIENTATIONS as f32 / std::f32::consts::TAU);
    let o = ((steps + GABOR_ORIENTATIONS as f32 + 0.5).max(0.0) as usize) % GABOR_ORIENTATIONS;
    let p = ((period - MIN_PERIOD + 0.5).max(0.0) as usize).min(PERIODS - 1);
    o * PERIODS + p
}

/// `atan2(y, x)` to within 2e-4 rad (a polynomial on the octant), several times faster than the
/// library call; used once per pixel to pick a Gabor kernel, where 2e-4 rad is far below the
/// step between kernels (0.39 rad of doubled angle).
#[inline]
fn fast_atan2(y: f32, x: f32) -> f32 {
    use std::f32::consts::{FRAC_PI_2, PI};
    let (ax, ay) = (x.abs(), y.abs());
    let a = ax.min(ay) / ax.max(ay).max(f32::MIN_POSITIVE);
    let s = a * a;
    let mut r = ((-0.046_496_473 * s + 0.159_314_22) * s - 0.327_622_77) * s * a + a;
    if ay > ax {
        r = FRAC_PI_2 - r;
    }
    if x < 0.0 {
        r = PI - r;
    }
    if y < 0.0 { -r } else { r }
}

/// Local ridge clarity per block: the mean Gabor response magnitude over the block and its
/// neighbours within `STAT_RADIUS_BLOCKS`, relative to the median over the foreground blocks
/// (1 = as clear as this print typically is). The filter input is contrast-normalised, so the
/// response measures how well the local texture fits clean parallel ridges of the estimated
/// orientation and period: low in smudged, dotty, scarred or wrongly oriented areas, where
/// skeleton minutiae are mostly artefacts. Read at a minutia by bilinear interpolation between
/// block centres ([`Plane::interpolated`]), so it does not jump with the block grid.
/// Cost: one pass over the pixels.
pub fn ridge_clarity(enhanced: &Plane<f32>, mask: &Plane<bool>) -> Plane<f32> {
    let (sums, counts) = crate::plane::cell_sums(enhanced, BLOCK, f32::abs);
    let mut clarity = Plane::new(mask.w, mask.h);
    for by in 0..mask.h {
        for bx in 0..mask.w {
            let n = crate::plane::neighbourhood_sum(&counts, bx, by, STAT_RADIUS_BLOCKS);
            *clarity.at_mut(bx, by) = crate::plane::neighbourhood_sum(&sums, bx, by, STAT_RADIUS_BLOCKS) / n.max(1.0);
        }
    }
    let mut fg: Vec<f32> = (0..mask.data.len()).filter(|&i| mask.data[i]).map(|i| clarity.data[i]).collect();
    if fg.is_empty() {
        return clarity;
    }
    fg.sort_by(|a, b| a.total_cmp(b));
    let median = fg[fg.len() / 2].max(1e-6);
    for v in clarity.data.iter_mut() {
        *v /= median;
    }
    clarity
}

/// Binary ridge map: 1 where the enhanced image is negative (ridge) inside the foreground.
pub fn binarized_image(enhanced: &Plane<f32>, mask: &Plane<bool>) -> Plane<u8> {
    let mut out = Plane::new(enhanced.w, enhanced.h);
    for y in 0..enhanced.h {
        for x in 0..enhanced.w {
            let fg = mask.at((x / BLOCK).min(mask.w - 1), (y / BLOCK).min(mask.h - 1));
            *out.at_mut(x, y) = (fg && enhanced.at(x, y) < 0.0) as u8;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kernels_are_zero_mean_and_normalised() {
        let k = gabor_kernel(0.7, 9.0);
        assert!(k.iter().sum::<f32>().abs() < 1e-4);
        assert!((k.iter().map(|v| v.abs()).sum::<f32>() - 1.0).abs() < 1e-4);
    }

    #[test]
    fn kernel_index_wraps_orientation() {
        assert_eq!(kernel_index_doubled(0.0, 9.0), kernel_index_doubled(2.0 * PI - 1e-4, 9.0));
        assert_eq!(kernel_index_doubled(-1e-4, 9.0), kernel_index_doubled(1e-4, 9.0));
        assert_eq!(kernel_index_doubled(0.0, 2.0), 0);
        assert_eq!(kernel_index_doubled(0.0, 40.0), PERIODS - 1);
        // A quarter turn of the doubled angle = 45° of ridge = a quarter of the bank.
        assert_eq!(kernel_index_doubled(PI / 2.0, 5.0), GABOR_ORIENTATIONS / 4 * PERIODS);
    }

    #[test]
    fn fast_atan2_matches_the_library() {
        for i in 0..720 {
            let a = (i as f32 - 360.0).to_radians() * 0.5;
            for r in [1e-3f32, 1.0, 250.0] {
                let (y, x) = (r * a.sin(), r * a.cos());
                assert!((fast_atan2(y, x) - y.atan2(x)).abs() < 3e-4, "{a}");
            }
        }
        assert_eq!(fast_atan2(0.0, 0.0), 0.0);
    }

    /// Concentric ridges (period 9 px) whose orientation turns through every kernel of the bank.
    fn rings(w: usize, h: usize, dx: usize, dy: usize) -> Plane<f32> {
        let mut p = Plane::new(w, h);
        for y in 0..h {
            for x in 0..w {
                let (u, v) = ((x + dx) as f32 - 80.0, (y + dy) as f32 - 80.0);
                *p.at_mut(x, y) = (2.0 * PI * (u * u + v * v).sqrt() / 9.0).cos();
            }
        }
        p
    }

    /// Fraction of pixels whose ridge/valley label differs between the image and the same image
    /// shifted by (3, 3) px, over the common inner area, with kernels chosen `how`.
    fn shift_disagreement(how: KernelChoice) -> f32 {
        use crate::orientation::{block_coherence, gradient_moments, orientation_field};
        let run = |d: usize| {
            let img = rings(160 - d, 160 - d, d, d);
            let mask = Plane::filled(img.w.div_ceil(BLOCK), img.h.div_ceil(BLOCK), true);
            let m = gradient_moments(&img);
            let field = orientation_field(&m, block_coherence(&m, ORIENT_RADIUS_BLOCKS), &mask);
            let period = Plane::filled(mask.w, mask.h, 9.0);
            enhanced_image(&img, &field, &period, &mask, how)
        };
        let (a, b) = (run(0), run(3));
        let (mut differ, mut n) = (0, 0);
        for y in 24..130 {
            for x in 24..130 {
                // Away from the centre, where the orientation is undefined.
                if ((x as f32 - 80.0).powi(2) + (y as f32 - 80.0).powi(2)) < 400.0 {
                    continue;
                }
                n += 1;
                differ += ((a.at(x, y) < 0.0) != (b.at(x - 3, y - 3) < 0.0)) as usize;
            }
        }
        differ as f32 / n as f32
    }

    /// The block grid's seams: a shifted image filtered with per-block kernels binarises
    /// differently in places; with interpolated kernels much less so.
    #[test]
    fn interpolated_kernels_follow_a_shifted_image() {
        let (per_block, interpolated) =
            (shift_disagreement(KernelChoice::PerBlock), shift_disagreement(KernelChoice::Interpolated));
        assert!(
            per_block > 0.0 && interpolated < 0.6 * per_block,
            "interpolated {interpolated}, per block {per_block}"
        );
    }
}
