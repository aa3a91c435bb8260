//! Stage 1: block statistics and the foreground (segmentation) mask.

use crate::params::*;
use crate::plane::{Integral, Plane, cell_sums, neighbourhood_sum};

/// Per-block contrast: grey-level standard deviation over the block and its neighbours within
/// [`STAT_RADIUS_BLOCKS`] (a 24×24 px window), on the block grid.
pub fn block_contrast(img: &Plane<f32>) -> Plane<f32> {
    let (sum, count) = cell_sums(img, BLOCK, |v| v);
    let (sq, _) = cell_sums(img, BLOCK, |v| v * v);
    let mut out = Plane::new(sum.w, sum.h);
    for by in 0..sum.h {
        for bx in 0..sum.w {
            let n = neighbourhood_sum(&count, bx, by, STAT_RADIUS_BLOCKS);
            let mean = neighbourhood_sum(&sum, bx, by, STAT_RADIUS_BLOCKS) / n;
            let var = neighbourhood_sum(&sq, bx, by, STAT_RADIUS_BLOCKS) / n - mean * mean;
            *out.at_mut(bx, by) = var.max(0.0).sqrt();
        }
    }
    out
}

/// The foreground mask on the block grid: blocks with enough contrast (relative to the image's
/// 90th-percentile block and in absolute terms) *and* an oriented texture (coherence at least
/// [`SEG_MIN_COHERENCE`]: ridges are oriented, sensor noise, dust and latent smudge are not), smoothed
/// by a majority vote, holes filled (so low-coherence cores and deltas inside the finger stay in).
/// `coherence` is on the same block grid ([`crate::orientation::block_coherence`]).
pub fn segmentation_mask(contrast: &Plane<f32>, coherence: &Plane<f32>) -> Plane<bool> {
    let mut sorted: Vec<f32> = contrast.data.clone();
    sorted.sort_by(|a, b| a.total_cmp(b));
    let p90 = sorted[(sorted.len() * 9 / 10).min(sorted.len() - 1)];
    let threshold = (p90 * SEG_RELATIVE_CONTRAST).max(SEG_MIN_CONTRAST);
    let data = contrast.data.iter().zip(&coherence.data).map(|(&c, &k)| c > threshold && k >= SEG_MIN_COHERENCE);
    let raw = Plane { w: contrast.w, h: contrast.h, data: data.collect() };
    let voted = majority_vote(&raw);
    fill_holes(&voted)
}

fn majority_vote(m: &Plane<bool>) -> Plane<bool> {
    let ii = Integral::new(m.w, m.h, |i| m.data[i] as u8 as f64);
    let r = SEG_VOTE_RADIUS as isize;
    let mut out = Plane::new(m.w, m.h);
    for y in 0..m.h {
        for x in 0..m.w {
            let (s, n) = ii.sum(x as isize - r, y as isize - r, x as isize + r + 1, y as isize + r + 1);
            *out.at_mut(x, y) = s > n * SEG_VOTE_MAJORITY as f64;
        }
    }
    out
}

/// Background regions not connected to the image border are holes in the finger: fill them.
fn fill_holes(m: &Plane<bool>) -> Plane<bool> {
    let mut outside = Plane::filled(m.w, m.h, false);
    let mut stack: Vec<(usize, usize)> = Vec::new();
    for x in 0..m.w {
        stack.push((x, 0));
        stack.push((x, m.h - 1));
    }
    for y in 0..m.h {
        stack.push((0, y));
        stack.push((m.w - 1, y));
    }
    while let Some((x, y)) = stack.pop() {
        if m.at(x, y) || outside.at(x, y) {
            continue;
        }
        *outside.at_mut(x, y) = true;
        if x > 0 {
            stack.push((x - 1, y));
        }
        if y > 0 {
            stack.push((x, y - 1));
        }
        if x + 1 < m.w {
            stack.push((x + 1, y));
        }
        if y + 1 < m.h {
            stack.push((x, y + 1));
        }
    }
    Plane { w: m.w, h: m.h, data: outside.data.iter().map(|&o| !o).collect() }
}

/// Distance in px from (x, y) to the nearest background block or the image edge, searching
/// `BORDER_SEARCH_BLOCKS` blocks around (farther counts as that far). Computed per minutia
/// candidate only, so it costs nothing per pixel.
pub fn border_distance(mask: &Plane<bool>, w: usize, h: usize, x: usize, y: usize) -> f32 {
    let (xf, yf) = (x as f32 + 0.5, y as f32 + 0.5);
    let mut best = xf.min(yf).min(w as f32 - xf).min(h as f32 - yf);
    let (bx, by) = ((x / BLOCK) as isize, (y / BLOCK) as isize);
    let r = BORDER_SEARCH_BLOCKS as isize;
    for ny in by - r..=by + r {
        for nx in bx - r..=bx + r {
            if nx < 0 || ny < 0 || nx >= mask.w as isize || ny >= mask.h as isize || mask.at(nx as usize, ny as usize) {
                continue;
            }
            // Distance from the point to the background block's rectangle.
            let (x0, y0) = ((nx as usize * BLOCK) as f32, (ny as usize * BLOCK) as f32);
            let dx = (x0 - xf).max(0.0).max(xf - (x0 + BLOCK as f32));
            let dy = (y0 - yf).max(0.0).max(yf - (y0 + BLOCK as f32));
            best = best.min((dx * dx + dy * dy).sqrt());
        }
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn contrasted_centre_is_foreground_and_flat_border_is_not() {
        // 96x96 image: flat grey, with a 48x48 centre of vertical stripes (period 8).
        let mut img = Plane::filled(96, 96, 128.0f32);
        for y in 24..72 {
            for x in 24..72 {
                *img.at_mut(x, y) = if (x / 4) % 2 == 0 { 40.0 } else { 220.0 };
            }
        }
        let m = segmentation_mask(&block_contrast(&img), &Plane::filled(12, 12, 1.0));
        assert!(m.at(6, 6), "centre block must be foreground");
        assert!(!m.at(0, 0) && !m.at(11, 11), "flat corners must be background");
    }

    #[test]
    fn contrasted_but_isotropic_texture_is_not_foreground() {
        // Stripes on the left half, salt-and-pepper noise of the same contrast on the right.
        let mut img = Plane::filled(128, 96, 128.0f32);
        let mut s = 0x9e37_79b9u32;
        for y in 0..96 {
            for x in 0..128 {
                s ^= s << 13;
                s ^= s >> 17;
                s ^= s << 5;
                let stripe = (x / 4) % 2 == 0;
                let noise = s % 2 == 0;
                *img.at_mut(x, y) = if (x < 64 && stripe) || (x >= 64 && noise) { 40.0 } else { 220.0 };
            }
        }
        let norm = crate::normalization::normalized_image(&img);
        let moments = crate::orientation::gradient_moments(&norm);
        let coherence = crate::orientation::block_coherence(&moments, SEG_COHERENCE_RADIUS_BLOCKS);
        let m = segmentation_mask(&block_contrast(&img), &coherence);
        assert!(m.at(3, 6), "striped side is foreground");
        assert!(!m.at(13, 6), "noisy side is background");
    }

    #[test]
    fn blank_image_has_no_foreground() {
        let img = Plane::filled(64, 64, 200.0f32);
        assert!(segmentation_mask(&block_contrast(&img), &Plane::filled(8, 8, 1.0)).data.iter().all(|&v| !v));
    }

    #[test]
    fn border_distance_grows_inwards() {
        let mut m = Plane::filled(10, 10, false);
        for y in 2..8 {
            for x in 2..8 {
                *m.at_mut(x, y) = true;
            }
        }
        assert_eq!(border_distance(&m, 80, 80, 0, 0), 0.0, "inside a background block");
        assert!((border_distance(&m, 80, 80, 40, 40) - 23.5).abs() < 0.01);
        assert!((border_distance(&m, 80, 80, 20, 40) - 4.5).abs() < 0.01);
    }
}
