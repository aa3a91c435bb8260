//! Stage 1: block statistics and the foreground (segmentation) mask.

use crate::params::*;
use crate::plane::{Integral, Plane};

/// Per-block contrast (grey-level standard deviation over a 16×16 window) on the block grid.
pub fn block_contrast(img: &Plane<f32>) -> Plane<f32> {
    let (bw, bh) = (img.w.div_ceil(BLOCK), img.h.div_ceil(BLOCK));
    let sum = Integral::new(img.w, img.h, |i| img.data[i] as f64);
    let sq = Integral::new(img.w, img.h, |i| (img.data[i] as f64).powi(2));
    let mut out = Plane::new(bw, bh);
    let r = STAT_RADIUS as isize;
    for by in 0..bh {
        for bx in 0..bw {
            let cx = (bx * BLOCK + BLOCK / 2) as isize;
            let cy = (by * BLOCK + BLOCK / 2) as isize;
            let (s, n) = sum.sum(cx - r, cy - r, cx + r, cy + r);
            let (s2, _) = sq.sum(cx - r, cy - r, cx + r, cy + r);
            let mean = s / n;
            *out.at_mut(bx, by) = ((s2 / n - mean * mean).max(0.0)).sqrt() as f32;
        }
    }
    out
}

/// The foreground mask on the block grid: blocks with enough contrast (relative to the image's
/// 90th-percentile block and in absolute terms), smoothed by a majority vote, holes filled.
pub fn segmentation_mask(contrast: &Plane<f32>) -> Plane<bool> {
    let mut sorted: Vec<f32> = contrast.data.clone();
    sorted.sort_by(|a, b| a.total_cmp(b));
    let p90 = sorted[(sorted.len() * 9 / 10).min(sorted.len() - 1)];
    let threshold = (p90 * SEG_RELATIVE_CONTRAST).max(SEG_MIN_CONTRAST);
    let raw = Plane {
        w: contrast.w,
        h: contrast.h,
        data: contrast.data.iter().map(|&c| c > threshold).collect(),
    };
    let voted = majority_vote(&raw);
    fill_holes(&voted)
}

fn majority_vote(m: &Plane<bool>) -> Plane<bool> {
    let ii = Integral::new(m.w, m.h, |i| m.data[i] as u8 as f64);
    let r = SEG_VOTE_RADIUS as isize;
    let mut out = Plane::new(m.w, m.h);
    for y in 0..m.h {
        for x in 0..m.w {
            let (s, n) = ii.sum(
                x as isize - r,
                y as isize - r,
                x as isize + r + 1,
                y as isize + r + 1,
            );
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
    Plane {
        w: m.w,
        h: m.h,
        data: outside.data.iter().map(|&o| !o).collect(),
    }
}

/// Distance in px from each pixel to the nearest background pixel (or image edge), by a
/// two-pass chamfer (3-4) transform of the pixel-level mask. Used by the border filter.
pub fn border_distance(mask: &Plane<bool>, w: usize, h: usize) -> Plane<f32> {
    let inside =
        |x: usize, y: usize| mask.at((x / BLOCK).min(mask.w - 1), (y / BLOCK).min(mask.h - 1));
    let big = 1e9f32;
    let mut d = Plane::filled(w, h, big);
    for y in 0..h {
        for x in 0..w {
            if !inside(x, y) {
                *d.at_mut(x, y) = 0.0;
            }
        }
    }
    let get = |d: &Plane<f32>, x: isize, y: isize| -> f32 {
        if x < 0 || y < 0 || x >= w as isize || y >= h as isize {
            0.0
        } else {
            d.at(x as usize, y as usize)
        }
    };
    for y in 0..h as isize {
        for x in 0..w as isize {
            let v = d.at(x as usize, y as usize);
            let m = v
                .min(get(&d, x - 1, y) + 3.0)
                .min(get(&d, x, y - 1) + 3.0)
                .min(get(&d, x - 1, y - 1) + 4.0)
                .min(get(&d, x + 1, y - 1) + 4.0);
            *d.at_mut(x as usize, y as usize) = m;
        }
    }
    for y in (0..h as isize).rev() {
        for x in (0..w as isize).rev() {
            let v = d.at(x as usize, y as usize);
            let m = v
                .min(get(&d, x + 1, y) + 3.0)
                .min(get(&d, x, y + 1) + 3.0)
                .min(get(&d, x + 1, y + 1) + 4.0)
                .min(get(&d, x - 1, y + 1) + 4.0);
            *d.at_mut(x as usize, y as usize) = m;
        }
    }
    for v in d.data.iter_mut() {
        *v /= 3.0;
    }
    d
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
        let m = segmentation_mask(&block_contrast(&img));
        assert!(m.at(6, 6), "centre block must be foreground");
        assert!(
            !m.at(0, 0) && !m.at(11, 11),
            "flat corners must be background"
        );
    }

    #[test]
    fn blank_image_has_no_foreground() {
        let img = Plane::filled(64, 64, 200.0f32);
        assert!(
            segmentation_mask(&block_contrast(&img))
                .data
                .iter()
                .all(|&v| !v)
        );
    }

    #[test]
    fn border_distance_grows_inwards() {
        let mut m = Plane::filled(10, 10, false);
        for y in 2..8 {
            for x in 2..8 {
                *m.at_mut(x, y) = true;
            }
        }
        let d = border_distance(&m, 80, 80);
        assert_eq!(d.at(0, 0), 0.0);
        assert!((d.at(40, 40) - 24.0).abs() < 1.5, "{}", d.at(40, 40));
    }
}
