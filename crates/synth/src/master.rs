//! Master fingerprint: the ridge pattern of a whole finger, grown by iterated contextual
//! (Gabor) filtering from random seeds, SFinGe style.

use crate::orientation::{FingerClass, RidgeModel};
use crate::params::{
    GABOR_RADIUS, GABOR_SIGMA_PER_PERIOD, GROWTH_GAIN, ORIENTATION_LEVELS, PERIOD_LEVELS, PERIOD_MAX, PERIOD_MIN,
    SHAPE_BOTTOM_HALF_HEIGHT, SHAPE_HALF_WIDTH, SHAPE_TOP_HALF_HEIGHT,
};
use crate::rng::Rng;
use std::f32::consts::PI;

/// The master ridge pattern of one synthetic finger.
///
/// `ridges` is row-major `width * height`, values in `[-1, 1]`, positive on ridges (ink) and
/// negative in valleys. Memory: 4 bytes per pixel. Plain data; `Send + Sync`.
#[derive(Debug, Clone)]
pub struct Master {
    /// Canvas width in pixels.
    pub width: u32,
    /// Canvas height in pixels.
    pub height: u32,
    /// Ridge field, row-major, in `[-1, 1]` (positive = ridge).
    pub ridges: Vec<f32>,
    /// The orientation/period model it was grown from.
    pub model: RidgeModel,
}

impl Master {
    /// Fingertip-shape radius of canvas point `(x, y)`: below 1 inside the finger, 1 on its
    /// outline, scaled by `scale` and centred at the canvas centre shifted by `(sx, sy)` pixels.
    pub fn shape_radius(&self, x: f32, y: f32, scale: f32, sx: f32, sy: f32) -> f32 {
        let (w, h) = (self.width as f32, self.height as f32);
        let dx = (x - w * 0.5 - sx) / (w * SHAPE_HALF_WIDTH * scale);
        let cy = h * SHAPE_TOP_HALF_HEIGHT + sy;
        let dy = y - cy;
        if dy < 0.0 {
            (dx * dx + (dy / (h * SHAPE_TOP_HALF_HEIGHT * scale)).powi(2)).sqrt()
        } else {
            // Squarer lower part (super-ellipse of degree 4), like the phalanx in contact.
            let ny = dy / (h * SHAPE_BOTTOM_HALF_HEIGHT * scale);
            (dx.powi(4) + ny.powi(4)).sqrt().sqrt()
        }
    }

    /// Ridge value at a real-valued point by bilinear interpolation; 0 outside the canvas.
    pub fn sample(&self, x: f32, y: f32) -> f32 {
        if !(x >= 0.0 && y >= 0.0) {
            return 0.0;
        }
        let (x0, y0) = (x as usize, y as usize);
        let (w, h) = (self.width as usize, self.height as usize);
        if x0 + 1 >= w || y0 + 1 >= h {
            return 0.0;
        }
        let (fx, fy) = (x - x0 as f32, y - y0 as f32);
        let i = y0 * w + x0;
        let r = &self.ridges;
        let top = r[i] * (1.0 - fx) + r[i + 1] * fx;
        let bottom = r[i + w] * (1.0 - fx) + r[i + w + 1] * fx;
        top * (1.0 - fy) + bottom * fy
    }
}

/// Grows the master pattern of `class` on a `width` × `height` canvas from `rng`, with seeds
/// `seed_spacing` pixels apart on average and `iterations` filtering passes.
///
/// Cost: `iterations × width × height × (2·GABOR_RADIUS+1)²` multiply-adds
/// (≈ 0.3 s single-threaded for a 400 × 500 canvas in release). Pure; thread-safe.
pub fn grow_master(
    class: FingerClass,
    width: u32,
    height: u32,
    seed_spacing: u32,
    iterations: usize,
    rng: &mut Rng,
) -> Master {
    let model = RidgeModel::new(class, width as f32, height as f32, rng);
    let kernels = kernel_bank();
    let kernel_index = kernel_index_map(&model, width, height);
    let mut field = seed_field(width, height, seed_spacing, rng);
    for _ in 0..iterations {
        field = filtered_field(&field, &kernel_index, &kernels, width, height);
    }
    Master { width, height, ridges: field, model }
}

/// Side of a Gabor kernel in pixels.
const KERNEL_SIDE: usize = (2 * GABOR_RADIUS + 1) as usize;

/// Zero-mean even Gabor kernels for every (period level, orientation level), each
/// `KERNEL_SIDE²` values, normalised so that the positive weights sum to 1.
fn kernel_bank() -> Vec<Vec<f32>> {
    let mut bank = Vec::with_capacity(PERIOD_LEVELS * ORIENTATION_LEVELS);
    for p in 0..PERIOD_LEVELS {
        let period = period_of_level(p);
        let sigma = GABOR_SIGMA_PER_PERIOD * period;
        for o in 0..ORIENTATION_LEVELS {
            let theta = o as f32 * PI / ORIENTATION_LEVELS as f32;
            let (s, c) = theta.sin_cos();
            let mut k = Vec::with_capacity(KERNEL_SIDE * KERNEL_SIDE);
            for dy in -GABOR_RADIUS..=GABOR_RADIUS {
                for dx in -GABOR_RADIUS..=GABOR_RADIUS {
                    let (x, y) = (dx as f32, dy as f32);
                    // Distance across the ridges (along the normal of the ridge direction).
                    let n = -x * s + y * c;
                    let env = (-(x * x + y * y) / (2.0 * sigma * sigma)).exp();
                    k.push(env * (2.0 * PI * n / period).cos());
                }
            }
            let mean = k.iter().sum::<f32>() / k.len() as f32;
            k.iter_mut().for_each(|v| *v -= mean);
            let pos: f32 = k.iter().filter(|v| **v > 0.0).sum();
            k.iter_mut().for_each(|v| *v /= pos);
            bank.push(k);
        }
    }
    bank
}

/// Ridge period of kernel-bank level `level`, pixels.
fn period_of_level(level: usize) -> f32 {
    PERIOD_MIN + (PERIOD_MAX - PERIOD_MIN) * level as f32 / (PERIOD_LEVELS - 1) as f32
}

/// For every canvas pixel, the index of the kernel matching the local orientation and period.
fn kernel_index_map(model: &RidgeModel, width: u32, height: u32) -> Vec<u16> {
    let mut map = Vec::with_capacity((width * height) as usize);
    for y in 0..height {
        for x in 0..width {
            let (fx, fy) = (x as f32, y as f32);
            let o =
                (model.orientation_at(fx, fy) / PI * ORIENTATION_LEVELS as f32).round() as usize % ORIENTATION_LEVELS;
            let p = ((model.period_at(fx, fy) - PERIOD_MIN) / (PERIOD_MAX - PERIOD_MIN) * (PERIOD_LEVELS - 1) as f32)
                .round()
                .clamp(0.0, (PERIOD_LEVELS - 1) as f32) as usize;
            map.push((p * ORIENTATION_LEVELS + o) as u16);
        }
    }
    map
}

/// Initial field: sparse random ±1 impulses, on average one per `spacing²` pixels.
fn seed_field(width: u32, height: u32, spacing: u32, rng: &mut Rng) -> Vec<f32> {
    let mut field = vec![0.0; (width * height) as usize];
    let count = (width * height) / (spacing * spacing).max(1);
    for _ in 0..count {
        let i = rng.below(width * height) as usize;
        field[i] = if rng.chance(0.5) { 1.0 } else { -1.0 };
    }
    field
}

/// One growth pass: every pixel filtered with its own contextual kernel, amplified and clamped.
fn filtered_field(field: &[f32], kernel_index: &[u16], kernels: &[Vec<f32>], width: u32, height: u32) -> Vec<f32> {
    let r = GABOR_RADIUS as usize;
    let (w, h) = (width as usize, height as usize);
    let pw = w + 2 * r;
    let mut padded = vec![0.0f32; pw * (h + 2 * r)];
    for y in 0..h {
        padded[(y + r) * pw + r..(y + r) * pw + r + w].copy_from_slice(&field[y * w..(y + 1) * w]);
    }
    let mut out = vec![0.0f32; w * h];
    for y in 0..h {
        for x in 0..w {
            let k = &kernels[kernel_index[y * w + x] as usize];
            let mut acc = 0.0f32;
            for ky in 0..KERNEL_SIDE {
                let row = &padded[(y + ky) * pw + x..(y + ky) * pw + x + KERNEL_SIDE];
                let krow = &k[ky * KERNEL_SIDE..(ky + 1) * KERNEL_SIDE];
                acc += row.iter().zip(krow).map(|(a, b)| a * b).sum::<f32>();
            }
            out[y * w + x] = (acc * GROWTH_GAIN).clamp(-1.0, 1.0);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kernels_are_zero_mean() {
        for k in kernel_bank() {
            assert!(k.iter().sum::<f32>().abs() < 1e-3);
        }
    }

    #[test]
    fn grown_master_fills_canvas_with_ridges() {
        let mut rng = Rng::new(11);
        let m = grow_master(FingerClass::LeftLoop, 120, 120, 14, 14, &mut rng);
        let saturated = m.ridges.iter().filter(|v| v.abs() > 0.5).count();
        assert!(saturated * 10 > m.ridges.len() * 7, "ridges did not grow: {saturated}");
        let ridge = m.ridges.iter().filter(|v| **v > 0.0).count() as f32 / m.ridges.len() as f32;
        assert!((0.3..0.7).contains(&ridge), "ridge fraction {ridge}");
    }
}
