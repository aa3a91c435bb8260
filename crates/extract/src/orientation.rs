//! Stage 3: the orientation field and its coherence.

use crate::params::*;
use crate::plane::{Plane, box_smooth, gaussian_blurred, neighbourhood_sum};

/// Ridge orientation per block and how reliable it is.
pub struct OrientationField {
    /// Ridge direction in radians in `[0, π)`, image coordinates (from +x towards +y, y down).
    pub angle: Plane<f32>,
    /// Coherence 0..1: 1 = perfectly parallel ridges, 0 = no dominant direction.
    pub coherence: Plane<f32>,
}

impl OrientationField {
    /// Ridge direction at pixel (x, y) (nearest block).
    #[inline]
    pub fn angle_at(&self, x: usize, y: usize) -> f32 {
        self.angle.at((x / BLOCK).min(self.angle.w - 1), (y / BLOCK).min(self.angle.h - 1))
    }
    /// Ridge direction at pixel (x, y), interpolated bilinearly between block centres on the
    /// doubled angle (so that 179° and 1° average to 0°, not 90°): follows the flow smoothly
    /// instead of jumping at block edges. In `[0, π)`.
    #[inline]
    pub fn angle_interpolated(&self, x: f32, y: f32) -> f32 {
        let (x0, y0, x1, y1, tx, ty) = crate::plane::bilinear_cell(x, y, BLOCK, self.angle.w, self.angle.h);
        let (mut c, mut s) = (0.0f32, 0.0f32);
        for (bx, by, wgt) in
            [(x0, y0, (1.0 - tx) * (1.0 - ty)), (x1, y0, tx * (1.0 - ty)), (x0, y1, (1.0 - tx) * ty), (x1, y1, tx * ty)]
        {
            let a = 2.0 * self.angle.at(bx, by);
            c += wgt * a.cos();
            s += wgt * a.sin();
        }
        (0.5 * s.atan2(c)).rem_euclid(std::f32::consts::PI)
    }
    /// Coherence at pixel (x, y) (nearest block).
    #[inline]
    pub fn coherence_at(&self, x: usize, y: usize) -> f32 {
        self.coherence.at((x / BLOCK).min(self.angle.w - 1), (y / BLOCK).min(self.angle.h - 1))
    }
}

/// Sobel gradient covariance summed per block cell (`Σgx²`, `Σgy²`, `Σgx·gy`): the raw material
/// of both the orientation field and the coherence used by segmentation. One pass over the pixels.
pub struct GradientMoments {
    /// Σ gx² per block.
    pub xx: Plane<f32>,
    /// Σ gy² per block.
    pub yy: Plane<f32>,
    /// Σ gx·gy per block.
    pub xy: Plane<f32>,
}

/// `norm` blurred by a Gaussian of [`ORIENT_PRESMOOTH_SIGMA`] px ([`gaussian_blurred`]): the
/// image the gradients are taken on. Sobel's 3 × 3 differences alone see the outline of every
/// pore, dot and ridge break; on dotted (dry) or broken ridges those outlines outvote the ridges
/// and turn the orientation by up to 90°. The blur merges them back into ridges while keeping
/// ridges of the shortest periods (≈ 6 px) apart. Cost: 2 × (2⌈3σ⌉ + 1) multiply-adds per pixel.
pub fn smoothed_image(norm: &Plane<f32>) -> Plane<f32> {
    gaussian_blurred(norm, ORIENT_PRESMOOTH_SIGMA)
}

/// The per-block gradient moments of `norm` on the `BLOCK` grid.
pub fn gradient_moments(norm: &Plane<f32>) -> GradientMoments {
    let (w, h) = (norm.w, norm.h);
    let (bw, bh) = (w.div_ceil(BLOCK), h.div_ceil(BLOCK));
    let mut xx = Plane::new(bw, bh);
    let mut yy = Plane::new(bw, bh);
    let mut xy = Plane::new(bw, bh);
    for y in 1..h.saturating_sub(1) {
        let (up, mid, down) =
            (&norm.data[(y - 1) * w..y * w], &norm.data[y * w..(y + 1) * w], &norm.data[(y + 1) * w..(y + 2) * w]);
        let by = y / BLOCK;
        for x in 1..w - 1 {
            let gx = (up[x + 1] + 2.0 * mid[x + 1] + down[x + 1]) - (up[x - 1] + 2.0 * mid[x - 1] + down[x - 1]);
            let gy = (down[x - 1] + 2.0 * down[x] + down[x + 1]) - (up[x - 1] + 2.0 * up[x] + up[x + 1]);
            let i = by * bw + x / BLOCK;
            xx.data[i] += gx * gx;
            yy.data[i] += gy * gy;
            xy.data[i] += gx * gy;
        }
    }
    GradientMoments { xx, yy, xy }
}

/// Doubled-angle gradient vector `(Σgx² − Σgy², 2Σgx·gy)` and gradient energy of a block summed
/// over its neighbours within `radius` blocks.
fn windowed(m: &GradientMoments, bx: usize, by: usize, radius: usize) -> (f32, f32, f32) {
    let sxx = neighbourhood_sum(&m.xx, bx, by, radius);
    let syy = neighbourhood_sum(&m.yy, bx, by, radius);
    let sxy = neighbourhood_sum(&m.xy, bx, by, radius);
    (sxx - syy, 2.0 * sxy, sxx + syy)
}

/// Coherence per block, 0..1: `|Σ doubled vector| / Σ |gradient|²` over the block and its
/// neighbours within `radius` blocks (1 = perfectly parallel ridges, ~0 = isotropic texture such
/// as sensor noise or smudge; a larger window averages pixel noise out of the estimate).
pub fn block_coherence(m: &GradientMoments, radius: usize) -> Plane<f32> {
    let mut coherence = Plane::new(m.xx.w, m.xx.h);
    for by in 0..m.xx.h {
        for bx in 0..m.xx.w {
            let (a, b, energy) = windowed(m, bx, by, radius);
            *coherence.at_mut(bx, by) = if energy > 1e-6 { (a * a + b * b).sqrt() / energy } else { 0.0 };
        }
    }
    coherence
}

/// Gradient-based orientation: the block gradient covariance summed over the block and its
/// neighbours within `ORIENT_RADIUS_BLOCKS`, the doubled-angle vectors smoothed twice over
/// `ORIENT_SMOOTH_RADIUS` blocks (foreground only), ridge direction perpendicular to the mean
/// gradient. `coherence` is [`block_coherence`] with radius `ORIENT_RADIUS_BLOCKS` (before smoothing).
pub fn orientation_field(m: &GradientMoments, coherence: Plane<f32>, mask: &Plane<bool>) -> OrientationField {
    orientation_field_with(m, coherence, mask, ORIENT_SMOOTH_RADIUS)
}

/// [`orientation_field`] with another smoothing radius (blocks); `coherence` is passed through.
pub fn orientation_field_with(
    m: &GradientMoments,
    coherence: Plane<f32>,
    mask: &Plane<bool>,
    smooth_radius: usize,
) -> OrientationField {
    let (bw, bh) = (mask.w, mask.h);
    let mut vx = Plane::new(bw, bh);
    let mut vy = Plane::new(bw, bh);
    for by in 0..bh {
        for bx in 0..bw {
            let (a, b, _) = windowed(m, bx, by, ORIENT_RADIUS_BLOCKS);
            *vx.at_mut(bx, by) = a;
            *vy.at_mut(bx, by) = b;
        }
    }
    let weight = if mask.data.iter().any(|&m| m) { Some(mask) } else { None };
    let vx = box_smooth(&box_smooth(&vx, smooth_radius, weight), smooth_radius, weight);
    let vy = box_smooth(&box_smooth(&vy, smooth_radius, weight), smooth_radius, weight);
    let mut angle = Plane::new(bw, bh);
    for i in 0..bw * bh {
        let gradient = 0.5 * vy.data[i].atan2(vx.data[i]);
        angle.data[i] = (gradient + std::f32::consts::FRAC_PI_2).rem_euclid(std::f32::consts::PI);
    }
    OrientationField { angle, coherence }
}

/// The orientation field re-measured on the first Gabor pass (iterative contextual filtering,
/// cf. Turroni, Cappelli & Maltoni, "Fingerprint enhancement using contextual iterative
/// filtering", ICB 2012): the filtered image keeps the ridges and drops pores, dots, scratches
/// and the sensor's grain, so its gradients give the ridge direction where the raw image's are
/// dominated by noise (faint, dry or dotted prints), and the second Gabor pass follows the
/// ridges better. The filtered ridges are already smooth along the flow, so the doubled-angle
/// field is smoothed over [`REFINED_ORIENT_SMOOTH_RADIUS`] blocks only (keeps cores and deltas
/// sharp). The coherence stays the first field's: it measures the *image*, whereas the filtered
/// image is coherent by construction. Cost: one gradient pass over the pixels.
pub fn refined_field(enhanced: &Plane<f32>, field: OrientationField, mask: &Plane<bool>) -> OrientationField {
    orientation_field_with(&gradient_moments(enhanced), field.coherence, mask, REFINED_ORIENT_SMOOTH_RADIUS)
}

#[cfg(test)]
mod tests {
    /// Horizontal ridges (period 9 px, 4 px thick) made of dots 2 px long with 2 px gaps, as on
    /// a dry print: `(Σgx², Σgy²)` over the whole image.
    fn dotted_ridge_energy(smooth: bool) -> (f32, f32) {
        let (w, h) = (96, 96);
        let mut img: Plane<f32> = Plane::new(w, h);
        for y in 0..h {
            for x in 0..w {
                let dot = y % 9 < 4 && x % 4 < 2;
                *img.at_mut(x, y) = if dot { -1.0 } else { 1.0 };
            }
        }
        let img = if smooth { smoothed_image(&img) } else { img };
        let m = gradient_moments(&img);
        (m.xx.data.iter().sum(), m.yy.data.iter().sum())
    }

    #[test]
    fn dotted_ridges_keep_their_orientation_after_the_blur() {
        // Raw Sobel gradients see the dots' vertical edges most: ridges would run vertically.
        let (xx, yy) = dotted_ridge_energy(false);
        assert!(xx > yy, "raw: Σgx² {xx} Σgy² {yy}");
        // Blurred, the dots merge into horizontal ridges: the gradients point across them.
        let (xx, yy) = dotted_ridge_energy(true);
        assert!(yy > 1.5 * xx, "smoothed: Σgx² {xx} Σgy² {yy}");
    }

    #[test]
    fn the_blur_keeps_a_flat_image_flat_and_its_size() {
        let flat = Plane::filled(37, 23, 0.75f32);
        let out = smoothed_image(&flat);
        assert_eq!((out.w, out.h), (37, 23));
        assert!(out.data.iter().all(|v| (v - 0.75).abs() < 1e-5));
    }

    use super::*;
    use std::f32::consts::PI;

    fn stripes(theta: f32, period: f32) -> Plane<f32> {
        // Ridges running along direction theta (image coords): intensity varies along the normal.
        let (nx, ny) = (-theta.sin(), theta.cos());
        let mut p = Plane::new(96, 96);
        for y in 0..96 {
            for x in 0..96 {
                let t = x as f32 * nx + y as f32 * ny;
                *p.at_mut(x, y) = (2.0 * PI * t / period).cos();
            }
        }
        p
    }

    fn angle_diff(a: f32, b: f32) -> f32 {
        let d = (a - b).rem_euclid(PI);
        d.min(PI - d)
    }

    #[test]
    fn recovers_known_orientations() {
        let mask = Plane::filled(12, 12, true);
        for deg in [0.0f32, 30.0, 45.0, 90.0, 135.0, 170.0] {
            let theta = deg.to_radians();
            let m = gradient_moments(&stripes(theta, 9.0));
            let f = orientation_field(&m, block_coherence(&m, ORIENT_RADIUS_BLOCKS), &mask);
            let got = f.angle.at(6, 6);
            assert!(angle_diff(got, theta) < 2f32.to_radians(), "{deg}°: got {}°", got.to_degrees());
            assert!(f.coherence.at(6, 6) > 0.9);
        }
    }

    /// Stripes under heavy speckle (dark dots as on a dry or dotted print): the field re-measured
    /// on the first Gabor pass is closer to the true direction than the raw one.
    #[test]
    fn refined_field_sees_through_speckle() {
        let theta = 35f32.to_radians();
        let mut img = stripes(theta, 9.0);
        let mut s = 0x2545_f491u32;
        for v in img.data.iter_mut() {
            s ^= s << 13;
            s ^= s >> 17;
            s ^= s << 5;
            if s % 4 == 0 {
                *v = -3.0;
            }
        }
        let mask = Plane::filled(12, 12, true);
        let m = gradient_moments(&img);
        let raw = orientation_field(&m, block_coherence(&m, ORIENT_RADIUS_BLOCKS), &mask);
        let period = Plane::filled(12, 12, 9.0);
        let first =
            crate::enhancement::enhanced_image(&img, &raw, &period, &mask, crate::enhancement::KernelChoice::PerBlock);
        let raw_angle = raw.angle.clone();
        let refined = refined_field(&first, raw, &mask);
        let error = |a: &Plane<f32>| {
            let inner: Vec<f32> =
                (3..9).flat_map(|y| (3..9).map(move |x| (x, y))).map(|(x, y)| angle_diff(a.at(x, y), theta)).collect();
            inner.iter().sum::<f32>() / inner.len() as f32
        };
        let (before, after) = (error(&raw_angle), error(&refined.angle));
        println!("mean error raw {:.2}° refined {:.2}°", before.to_degrees(), after.to_degrees());
        assert!(after < 1.5f32.to_radians(), "refined error {}°", after.to_degrees());
        assert!(after < 0.5 * before, "raw {}° refined {}°", before.to_degrees(), after.to_degrees());
    }
}
