//! Pixel operations the reference driver stack (libfprint) applies to raw sensor frames, so our
//! drivers produce identical standardised images: integer up-scaling with pixman's bilinear
//! filter (16.16 fixed point, 7-bit weights, truncation, transparent = 0 outside the frame),
//! flips and inversion. Pure functions; cost O(output pixels).

/// Bits of a bilinear interpolation weight (pixman's `BILINEAR_INTERPOLATION_BITS`).
const WEIGHT_BITS: u32 = 7;

/// Up-scales `src` (`w × h`, row-major) by the integer `factor` in both directions with
/// bilinear filtering exactly as pixman does (pixel centres at +0.5, samples outside = 0).
pub fn resize_bilinear(src: &[u8], w: usize, h: usize, factor: usize) -> Vec<u8> {
    let (nw, nh) = (w * factor, h * factor);
    let mut out = vec![0u8; nw * nh];
    if src.len() < w * h || factor == 0 {
        return out;
    }
    // pixman_transform_scale with a reverse matrix of 1/factor in 16.16 fixed point.
    let inv = ((1i64 << 16) + factor as i64 / 2) / factor as i64;
    let axis = |d: usize| -> (i64, u32) {
        let centre = ((d as i64) << 16) + (1 << 15);
        let s = ((centre * inv) >> 16) - (1 << 15);
        let i = s >> 16;
        let weight = ((s >> (16 - WEIGHT_BITS)) & ((1 << WEIGHT_BITS) - 1)) as u32;
        (i, weight << (8 - WEIGHT_BITS))
    };
    let px = |x: i64, y: i64| -> u32 {
        if x < 0 || y < 0 || x >= w as i64 || y >= h as i64 { 0 } else { src[y as usize * w + x as usize] as u32 }
    };
    let xs: Vec<(i64, u32)> = (0..nw).map(axis).collect();
    for y in 0..nh {
        let (y0, dy) = axis(y);
        for (x, &(x0, dx)) in xs.iter().enumerate() {
            let v = px(x0, y0) * (256 - dx) * (256 - dy)
                + px(x0 + 1, y0) * dx * (256 - dy)
                + px(x0, y0 + 1) * (256 - dx) * dy
                + px(x0 + 1, y0 + 1) * dx * dy;
            out[y * nw + x] = (v >> 16) as u8;
        }
    }
    out
}

/// Mirrors each row (left ↔ right) in place.
pub fn flip_horizontal(px: &mut [u8], w: usize) {
    if w > 0 {
        px.chunks_exact_mut(w).for_each(|row| row.reverse());
    }
}

/// Mirrors the rows (top ↔ bottom) in place.
pub fn flip_vertical(px: &mut [u8], w: usize) {
    if w == 0 {
        return;
    }
    let h = px.len() / w;
    for y in 0..h / 2 {
        let (top, bottom) = px.split_at_mut((h - 1 - y) * w);
        top[y * w..(y + 1) * w].swap_with_slice(&mut bottom[..w]);
    }
}

/// Inverts grey values (255 − v) in place.
pub fn invert(px: &mut [u8]) {
    px.iter_mut().for_each(|v| *v = 255 - *v);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uniform_interior_stays_uniform_and_edges_fade_to_zero() {
        let src = vec![200u8; 16];
        let out = resize_bilinear(&src, 4, 4, 2);
        assert_eq!(out.len(), 64);
        assert_eq!(out[3 * 8 + 3], 200);
        assert!(out[0] < out[9]);
    }

    #[test]
    fn flips_are_involutions() {
        let orig: Vec<u8> = (0..12).collect();
        let mut p = orig.clone();
        flip_horizontal(&mut p, 4);
        assert_eq!(&p[..4], &[3, 2, 1, 0]);
        flip_horizontal(&mut p, 4);
        flip_vertical(&mut p, 4);
        assert_eq!(&p[..4], &[8, 9, 10, 11]);
        flip_vertical(&mut p, 4);
        assert_eq!(p, orig);
    }
}
