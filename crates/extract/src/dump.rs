//! Intermediate results for humans ("transparency"): each stage can hand an RGB picture of its
//! output to a [`StageSink`]. Pictures are rendered only if the sink accepts the key, so the
//! default [`NoDump`] costs one virtual call per stage.

use crate::minutiae::Candidate;
use crate::plane::Plane;
use ridgegate_core::MinutiaKind;

/// An 8-bit RGB picture, row-major, 3 bytes per pixel.
#[derive(Debug, Clone)]
pub struct StageImage {
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// `width * height * 3` bytes.
    pub rgb: Vec<u8>,
}

/// Receives stage pictures. Keys, in pipeline order: `working-image`, `segmentation-mask`,
/// `normalized`, `orientation`, `enhanced`, `binarized`, `skeleton`, `minutiae`.
pub trait StageSink {
    /// Whether the sink wants the picture of `key` (if not, it is never rendered).
    fn accepts(&self, key: &str) -> bool;
    /// Receives a rendered picture.
    fn take(&mut self, key: &str, image: StageImage);
}

/// The sink that accepts nothing (the default; costs nothing).
pub struct NoDump;

impl StageSink for NoDump {
    fn accepts(&self, _key: &str) -> bool {
        false
    }
    fn take(&mut self, _key: &str, _image: StageImage) {}
}

/// Offers a picture to the sink, rendering it only if accepted.
pub fn offer(sink: &mut dyn StageSink, key: &str, render: impl FnOnce() -> StageImage) {
    if sink.accepts(key) {
        sink.take(key, render());
    }
}

fn grey(w: usize, h: usize, f: impl Fn(usize, usize) -> u8) -> StageImage {
    let mut rgb = Vec::with_capacity(w * h * 3);
    for y in 0..h {
        for x in 0..w {
            let v = f(x, y);
            rgb.extend_from_slice(&[v, v, v]);
        }
    }
    StageImage { width: w as u32, height: h as u32, rgb }
}

/// A float plane mapped linearly from `[lo, hi]` to black..white.
pub fn render_plane(p: &Plane<f32>, lo: f32, hi: f32) -> StageImage {
    grey(p.w, p.h, |x, y| (((p.at(x, y) - lo) / (hi - lo)).clamp(0.0, 1.0) * 255.0) as u8)
}

/// A binary plane: set = black.
pub fn render_binary(p: &Plane<u8>) -> StageImage {
    grey(p.w, p.h, |x, y| if p.at(x, y) != 0 { 0 } else { 255 })
}

/// The block mask over the image: background darkened.
pub fn render_mask(img: &Plane<f32>, mask: &Plane<bool>, block: usize) -> StageImage {
    grey(img.w, img.h, |x, y| {
        let v = img.at(x, y).clamp(0.0, 255.0) as u8;
        if mask.at((x / block).min(mask.w - 1), (y / block).min(mask.h - 1)) { v } else { v / 4 }
    })
}

/// Orientation: a short line per foreground block over the image.
pub fn render_orientation(img: &Plane<f32>, angle: &Plane<f32>, mask: &Plane<bool>, block: usize) -> StageImage {
    let mut out = grey(img.w, img.h, |x, y| (img.at(x, y).clamp(0.0, 255.0) as u8) / 2 + 127);
    for by in 0..mask.h {
        for bx in 0..mask.w {
            if !mask.at(bx, by) || bx % 2 == 1 || by % 2 == 1 {
                continue;
            }
            let (c, s) = (angle.at(bx, by).cos(), angle.at(bx, by).sin());
            let (cx, cy) = ((bx * block + block / 2) as f32, (by * block + block / 2) as f32);
            for t in -6..=6 {
                put(&mut out, cx + t as f32 * c, cy + t as f32 * s, [200, 0, 0]);
            }
        }
    }
    out
}

/// The template's ridge flow ([`RidgeFlow`], original-image cells; `scale` = working / original)
/// over the working image: one blue segment per cell with an orientation.
pub fn render_flow(img: &Plane<f32>, flow: &ridgegate_core::RidgeFlow, scale: f32) -> StageImage {
    let mut out = grey(img.w, img.h, |x, y| (img.at(x, y).clamp(0.0, 255.0) as u8) / 2 + 127);
    let side = flow.cell as f32 * scale;
    for (i, &code) in flow.codes.iter().enumerate() {
        let Some(a) = ridgegate_core::RidgeFlow::angle_of(code) else { continue };
        let (col, row) = (i % flow.columns as usize, i / flow.columns as usize);
        let (cx, cy) = ((col as f32 + 0.5) * side, (row as f32 + 0.5) * side);
        let reach = (0.4 * side) as i32;
        for t in -reach..=reach {
            put(&mut out, cx + t as f32 * a.cos(), cy + t as f32 * a.sin(), [0, 60, 230]);
        }
    }
    out
}

/// Minutiae over the skeleton: endings red, bifurcations blue, with a direction tick.
pub fn render_minutiae(skel: &Plane<u8>, minutiae: &[Candidate]) -> StageImage {
    let mut out = grey(skel.w, skel.h, |x, y| if skel.at(x, y) != 0 { 90 } else { 255 });
    for m in minutiae {
        let colour = if m.kind == MinutiaKind::Ending { [220, 0, 0] } else { [0, 60, 230] };
        for a in 0..24 {
            let t = a as f32 / 24.0 * std::f32::consts::TAU;
            put(&mut out, m.x as f32 + 4.0 * t.cos(), m.y as f32 + 4.0 * t.sin(), colour);
        }
        for t in 4..12 {
            put(&mut out, m.x as f32 + t as f32 * m.direction.cos(), m.y as f32 + t as f32 * m.direction.sin(), colour);
        }
    }
    out
}

fn put(img: &mut StageImage, x: f32, y: f32, c: [u8; 3]) {
    let (x, y) = (x.round() as i64, y.round() as i64);
    if x >= 0 && y >= 0 && (x as u32) < img.width && (y as u32) < img.height {
        let i = (y as usize * img.width as usize + x as usize) * 3;
        img.rgb[i..i + 3].copy_from_slice(&c);
    }
}
