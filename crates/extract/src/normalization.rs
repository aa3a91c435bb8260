//! Stage 2: local normalisation.

use crate::params::{BLOCK, STAT_RADIUS_BLOCKS};
use crate::plane::{Plane, cell_sums, neighbourhood_sum};

/// The image with local mean removed and local contrast equalised: `(v − mean) / std`, clamped to
/// ±3, where mean and standard deviation are measured per block over the block and its neighbours
/// (a 24×24 px window) and interpolated bilinearly between block centres. Ridges (dark) become
/// negative, valleys positive. Cost: one pass for the block sums, one for the pixels.
pub fn normalized_image(img: &Plane<f32>) -> Plane<f32> {
    let (sum, count) = cell_sums(img, BLOCK, |v| v);
    let (sq, _) = cell_sums(img, BLOCK, |v| v * v);
    let (bw, bh) = (sum.w, sum.h);
    let mut mean = Plane::new(bw, bh);
    let mut inv_std = Plane::new(bw, bh);
    for by in 0..bh {
        for bx in 0..bw {
            let n = neighbourhood_sum(&count, bx, by, STAT_RADIUS_BLOCKS);
            let m = neighbourhood_sum(&sum, bx, by, STAT_RADIUS_BLOCKS) / n;
            let var = neighbourhood_sum(&sq, bx, by, STAT_RADIUS_BLOCKS) / n - m * m;
            *mean.at_mut(bx, by) = m;
            *inv_std.at_mut(bx, by) = 1.0 / var.max(1.0).sqrt();
        }
    }
    let mut out = Plane::new(img.w, img.h);
    let half = BLOCK as f32 / 2.0;
    for y in 0..img.h {
        // Block-centre coordinates of this row, clamped at the edges.
        let fy = ((y as f32 + 0.5 - half) / BLOCK as f32).clamp(0.0, (bh - 1) as f32);
        let y0 = fy.floor() as usize;
        let y1 = (y0 + 1).min(bh - 1);
        let ty = fy - y0 as f32;
        for x in 0..img.w {
            let fx = ((x as f32 + 0.5 - half) / BLOCK as f32).clamp(0.0, (bw - 1) as f32);
            let x0 = fx.floor() as usize;
            let x1 = (x0 + 1).min(bw - 1);
            let tx = fx - x0 as f32;
            let lerp = |p: &Plane<f32>| {
                let top = p.at(x0, y0) * (1.0 - tx) + p.at(x1, y0) * tx;
                let bottom = p.at(x0, y1) * (1.0 - tx) + p.at(x1, y1) * tx;
                top * (1.0 - ty) + bottom * ty
            };
            out.data[y * img.w + x] = ((img.data[y * img.w + x] - lerp(&mean)) * lerp(&inv_std)).clamp(-3.0, 3.0);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalisation_centres_and_scales() {
        let img =
            Plane { w: 40, h: 40, data: (0..1600).map(|i| if (i % 40 / 3) % 2 == 0 { 50.0 } else { 150.0 }).collect() };
        let n = normalized_image(&img);
        let mean: f32 = n.data.iter().sum::<f32>() / n.data.len() as f32;
        assert!(mean.abs() < 0.2, "{mean}");
        assert!(n.at(20, 20).abs() > 0.5);
        assert!(n.at(0, 5) < 0.0 && n.at(3, 5) > 0.0, "dark ridge negative, bright valley positive");
    }
}
