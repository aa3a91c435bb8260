//! Stage 0: the image at the working resolution.

use crate::params::{MAX_WORKING_SIDE, WORKING_DPI};
use crate::plane::Plane;
use ridgegate_core::FingerImage;

/// The greyscale image at [`WORKING_DPI`] as `f32` (0..255), and the scale factor applied
/// (`working = original · scale`). Bilinear interpolation; identity when already at 500 dpi.
/// Returns `None` if the result would exceed [`MAX_WORKING_SIDE`].
pub fn working_image(img: &FingerImage) -> Option<(Plane<f32>, f32)> {
    let scale = WORKING_DPI as f32 / img.dpi() as f32;
    let (w0, h0) = (img.width() as usize, img.height() as usize);
    let src = img.pixels();
    if img.dpi() == WORKING_DPI {
        return Some((Plane { w: w0, h: h0, data: src.iter().map(|&v| v as f32).collect() }, 1.0));
    }
    let w = ((w0 as f32) * scale).round().max(1.0) as usize;
    let h = ((h0 as f32) * scale).round().max(1.0) as usize;
    if w > MAX_WORKING_SIDE || h > MAX_WORKING_SIDE {
        return None;
    }
    let mut out = Plane::new(w, h);
    for y in 0..h {
        let sy = ((y as f32 + 0.5) / scale - 0.5).clamp(0.0, (h0 - 1) as f32);
        let y0 = sy.floor() as usize;
        let y1 = (y0 + 1).min(h0 - 1);
        let fy = sy - y0 as f32;
        for x in 0..w {
            let sx = ((x as f32 + 0.5) / scale - 0.5).clamp(0.0, (w0 - 1) as f32);
            let x0 = sx.floor() as usize;
            let x1 = (x0 + 1).min(w0 - 1);
            let fx = sx - x0 as f32;
            let p = |xx: usize, yy: usize| src[yy * w0 + xx] as f32;
            let top = p(x0, y0) * (1.0 - fx) + p(x1, y0) * fx;
            let bottom = p(x0, y1) * (1.0 - fx) + p(x1, y1) * fx;
            *out.at_mut(x, y) = top * (1.0 - fy) + bottom * fy;
        }
    }
    Some((out, scale))
}
