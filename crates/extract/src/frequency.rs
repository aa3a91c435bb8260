//! Stage 4: the ridge period (inverse frequency) map.

use crate::orientation::OrientationField;
use crate::params::*;
use crate::plane::{Plane, box_smooth, gaussian_blurred};

/// `norm` blurred by a Gaussian of [`PERIOD_PRESMOOTH_SIGMA`] px: the image the first ridge
/// period is measured on. The x-signature samples the ridge at a few points only (every
/// [`FREQ_WINDOW_STEP`] px along it); on dotted (dry) or porous ridges those samples land on
/// dots or gaps by chance, so ridges vanish from the signature or valleys fill in, and the
/// period comes out doubled or not at all. The blur spreads every dot along its ridge first (an
/// anti-aliasing filter before the sparse sampling). Cost: 2 × (2⌈3σ⌉ + 1) multiply-adds per
/// pixel.
pub fn period_image(norm: &Plane<f32>) -> Plane<f32> {
    gaussian_blurred(norm, PERIOD_PRESMOOTH_SIGMA)
}

/// Ridge period in px per block (and the fraction of foreground blocks where it could be
/// measured, a quality cue), measured from the x-signature (grey profile across the ridges in
/// an oriented window, Hong et al. 1998): mean distance between successive signature peaks.
/// Blocks where no plausible period is found take the median of the measured ones; the map is
/// then smoothed over `FREQ_SMOOTH_RADIUS` blocks. Background blocks hold the same values (they
/// are not used).
pub fn ridge_period(norm: &Plane<f32>, field: &OrientationField, mask: &Plane<bool>) -> (Plane<f32>, f32) {
    let (bw, bh) = (mask.w, mask.h);
    let mut period: Plane<f32> = Plane::filled(bw, bh, f32::NAN);
    let mut signature = vec![0f32; FREQ_WINDOW_LENGTH];
    for by in 0..bh {
        for bx in 0..bw {
            // Measured on every other block in each direction; the rest are filled from their
            // measured neighbours (the map is smooth and smoothed anyway).
            if !mask.at(bx, by) || bx % 2 == 1 || by % 2 == 1 {
                continue;
            }
            let theta = field.angle.at(bx, by);
            let (tx, ty) = (theta.cos(), theta.sin());
            let (nx, ny) = (-ty, tx);
            let cx = (bx * BLOCK + BLOCK / 2) as f32;
            let cy = (by * BLOCK + BLOCK / 2) as f32;
            for (k, s) in signature.iter_mut().enumerate() {
                let d = k as f32 - FREQ_WINDOW_LENGTH as f32 / 2.0;
                let mut acc = 0.0;
                for j in
                    (-(FREQ_WINDOW_HALF_WIDTH as isize)..=FREQ_WINDOW_HALF_WIDTH as isize).step_by(FREQ_WINDOW_STEP)
                {
                    let x = cx + d * nx + j as f32 * tx;
                    let y = cy + d * ny + j as f32 * ty;
                    acc += norm.clamped(x.round() as isize, y.round() as isize);
                }
                *s = acc;
            }
            *period.at_mut(bx, by) = signature_period(&signature).unwrap_or(f32::NAN);
        }
    }
    let mut measured: Vec<f32> = period.data.iter().copied().filter(|v| v.is_finite()).collect();
    let sampled = (0..bh)
        .step_by(2)
        .flat_map(|y| (0..bw).step_by(2).map(move |x| (x, y)))
        .filter(|&(x, y)| mask.at(x, y))
        .count();
    let valid_fraction = if sampled == 0 { 0.0 } else { measured.len() as f32 / sampled as f32 };
    let mut period = fill_from_neighbours(&period, mask);
    measured.sort_by(|a, b| a.total_cmp(b));
    let fallback = if measured.is_empty() { DEFAULT_PERIOD } else { measured[measured.len() / 2] };
    for v in period.data.iter_mut() {
        if !v.is_finite() {
            *v = fallback;
        }
    }
    (box_smooth(&period, FREQ_SMOOTH_RADIUS, Some(mask)), valid_fraction)
}

/// Foreground blocks without a measurement take the mean of measured blocks within 2 blocks.
fn fill_from_neighbours(p: &Plane<f32>, mask: &Plane<bool>) -> Plane<f32> {
    let mut out = p.clone();
    for y in 0..p.h {
        for x in 0..p.w {
            if p.at(x, y).is_finite() || !mask.at(x, y) {
                continue;
            }
            let (mut s, mut n) = (0.0, 0.0);
            for ny in y.saturating_sub(2)..=(y + 2).min(p.h - 1) {
                for nx in x.saturating_sub(2)..=(x + 2).min(p.w - 1) {
                    let v = p.at(nx, ny);
                    if v.is_finite() {
                        s += v;
                        n += 1.0;
                    }
                }
            }
            if n > 0.0 {
                *out.at_mut(x, y) = s / n;
            }
        }
    }
    out
}

/// Mean peak spacing of a signature, if at least two peaks are found and the spacing is plausible.
fn signature_period(s: &[f32]) -> Option<f32> {
    let mut peaks = Vec::new();
    for k in 1..s.len() - 1 {
        if s[k] > s[k - 1] && s[k] >= s[k + 1] {
            peaks.push(k);
        }
    }
    if peaks.len() < 2 {
        return None;
    }
    let p = (peaks[peaks.len() - 1] - peaks[0]) as f32 / (peaks.len() - 1) as f32;
    (MIN_PERIOD..=MAX_PERIOD).contains(&p).then_some(p)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::orientation::{block_coherence, gradient_moments, orientation_field};
    use std::f32::consts::PI;

    #[test]
    fn measures_known_periods() {
        for period in [6.0f32, 8.0, 10.0, 12.0] {
            for deg in [0.0f32, 40.0, 90.0] {
                let theta = deg.to_radians();
                let (nx, ny) = (-theta.sin(), theta.cos());
                let mut p = Plane::new(128, 128);
                for y in 0..128 {
                    for x in 0..128 {
                        *p.at_mut(x, y) = (2.0 * PI * (x as f32 * nx + y as f32 * ny) / period).cos();
                    }
                }
                let mask = Plane::filled(16, 16, true);
                let m = gradient_moments(&p);
                let f = orientation_field(&m, block_coherence(&m, crate::params::ORIENT_RADIUS_BLOCKS), &mask);
                let (map, valid) = ridge_period(&p, &f, &mask);
                let got = map.at(8, 8);
                assert!(valid > 0.7, "valid fraction {valid} (blocks at the image edge see clamped samples)");
                assert!((got - period).abs() < 0.75, "period {period} at {deg}°: got {got}");
            }
        }
    }

    /// Horizontal ridges (period 9 px, 4 px thick) of single-pixel dots every 4 px, each ridge's
    /// dots offset by one more pixel than the last (a dry print's dotted ridges): the fraction of
    /// blocks where a period could be measured, and the period at the centre, on the image as
    /// given or blurred.
    fn dotted_ridge_period(smooth: bool) -> (f32, f32) {
        let (w, h) = (128, 128);
        let mut img: Plane<f32> = Plane::new(w, h);
        for y in 0..h {
            for x in 0..w {
                let dot = y % 9 < 4 && (x + y / 9) % 4 == 0;
                *img.at_mut(x, y) = if dot { -1.0 } else { 1.0 };
            }
        }
        let img = if smooth { period_image(&img) } else { img };
        let (bw, bh) = (w / BLOCK, h / BLOCK);
        let mask = Plane::filled(bw, bh, true);
        // The true field (ridges along x), so that only the period measurement is under test.
        let field = OrientationField { angle: Plane::filled(bw, bh, 0.0), coherence: Plane::filled(bw, bh, 1.0) };
        let (map, valid) = ridge_period(&img, &field, &mask);
        (valid, map.at(bw / 2, bh / 2))
    }

    #[test]
    fn dotted_ridges_have_their_period_after_the_blur() {
        // The signature samples every other pixel along the ridge: it misses every other ridge's
        // dots, sees period 18 (beyond MAX_PERIOD) and measures nothing.
        let (valid, _) = dotted_ridge_period(false);
        assert!(valid < 0.2, "raw: period measured in {valid} of the blocks");
        // Blurred, each dot spreads over its neighbours: every ridge is seen.
        let (valid, period) = dotted_ridge_period(true);
        assert!(valid > 0.9, "blurred: period measured in {valid} of the blocks");
        assert!((period - 9.0).abs() < 0.75, "blurred: period {period}");
    }
}
