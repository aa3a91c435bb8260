//! Stage 5: contextual enhancement with oriented Gabor filters, and binarisation.

use crate::orientation::OrientationField;
use crate::params::*;
use crate::plane::Plane;
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

fn kernel_index(theta: f32, period: f32) -> usize {
    let o = ((theta / PI * GABOR_ORIENTATIONS as f32).round() as usize) % GABOR_ORIENTATIONS;
    let p = ((period.round() - MIN_PERIOD).max(0.0) as usize).min(PERIODS - 1);
    o * PERIODS + p
}

/// Gabor-filtered image: each foreground block (and its neighbours, so minutiae near the mask
/// edge still see clean ridges) is filtered with the kernel of its orientation and period.
/// Positive = valley, negative = ridge; background is 0. Cost: (2·GABOR_RADIUS+1)² multiply-adds
/// per foreground pixel; rows of blocks run in parallel (rayon).
pub fn enhanced_image(
    norm: &Plane<f32>,
    field: &OrientationField,
    period: &Plane<f32>,
    mask: &Plane<bool>,
) -> Plane<f32> {
    use rayon::prelude::*;
    let bank = bank();
    let r = GABOR_RADIUS;
    // Replicate-padded copy so the inner loop needs no bounds logic.
    let pw = norm.w + 2 * r + BLOCK;
    let ph = norm.h + 2 * r;
    let mut padded = vec![0f32; pw * ph];
    for y in 0..ph {
        for x in 0..pw {
            padded[y * pw + x] = norm.clamped(x as isize - r as isize, y as isize - r as isize);
        }
    }
    let near_foreground = |bx: usize, by: usize| -> bool {
        (by.saturating_sub(1)..=(by + 1).min(mask.h - 1))
            .any(|y| (bx.saturating_sub(1)..=(bx + 1).min(mask.w - 1)).any(|x| mask.at(x, y)))
    };
    let mut out = Plane::new(norm.w, norm.h);
    out.data.par_chunks_mut(norm.w * BLOCK).enumerate().for_each(|(by, rows)| {
        let rows_here = rows.len() / norm.w;
        for bx in 0..mask.w {
            if !near_foreground(bx, by) {
                continue;
            }
            let k = &bank.kernels[kernel_index(field.angle.at(bx, by), period.at(bx, by))];
            let x0 = bx * BLOCK;
            let x1 = (x0 + BLOCK).min(norm.w);
            let n = x1 - x0;
            for dy in 0..rows_here {
                let y = by * BLOCK + dy;
                // Eight outputs at once: each kernel tap scales a contiguous run of 8 inputs,
                // which the compiler turns into vector multiply-adds.
                let mut acc = [0f32; BLOCK];
                for ky in 0..SIDE {
                    let base = (y + ky) * pw + x0;
                    let kr = &k[ky * SIDE..ky * SIDE + SIDE];
                    for (kx, &kv) in kr.iter().enumerate() {
                        let src = &padded[base + kx..base + kx + BLOCK];
                        for (a, &v) in acc.iter_mut().zip(src) {
                            *a += kv * v;
                        }
                    }
                }
                rows[dy * norm.w + x0..dy * norm.w + x1].copy_from_slice(&acc[..n]);
            }
        }
    });
    out
}

/// Local ridge clarity per block: the mean Gabor response magnitude over the block and its
/// neighbours within `STAT_RADIUS_BLOCKS`, relative to the median over the foreground blocks
/// (1 = as clear as this print typically is). The filter input is contrast-normalised, so the
/// response measures how well the local texture fits clean parallel ridges of the estimated
/// orientation and period: low in smudged, dotty, scarred or wrongly oriented areas, where
/// skeleton minutiae are mostly artefacts. Cost: one pass over the pixels.
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
        assert_eq!(kernel_index(0.0, 9.0), kernel_index(PI - 1e-4, 9.0));
        assert_eq!(kernel_index(0.0, 2.0), 0);
        assert_eq!(kernel_index(0.0, 40.0), PERIODS - 1);
    }
}
