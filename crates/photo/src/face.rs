//! Frontal face detection: the SeetaFace funnel-structured cascade (`rustface`, BSD-2) with the
//! frontal model that ships inside the rustface crates.io package, embedded at build time
//! (build.rs locates it; nothing is downloaded at build or run time).

use crate::params::*;
use image::GrayImage;
use rustface::{ImageData, Model};
use std::sync::OnceLock;

/// The SeetaFace frontal model (1,209,904 bytes) from the rustface package, see build.rs.
static MODEL_BYTES: &[u8] = include_bytes!(env!("RIDGEGATE_SEETA_MODEL"));

/// Parsed once per process (a few ms), shared read-only; detectors clone it.
static MODEL: OnceLock<Option<Model>> = OnceLock::new();

/// One detected frontal face: the detector's square box in image pixels and its score.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct Face {
    /// Left edge (px, may be negative when the box leaves the frame).
    pub x: i32,
    /// Top edge (px, may be negative).
    pub y: i32,
    /// Box width (px).
    pub width: u32,
    /// Box height (px).
    pub height: u32,
    /// Cascade score (higher = more face-like); reported detections have at least `FACE_SCORE_MIN`.
    pub score: f64,
}

impl Face {
    /// Horizontal centre (px).
    pub fn centre_x(&self) -> f32 {
        self.x as f32 + self.width as f32 / 2.0
    }
    /// Bottom edge (px, exclusive).
    pub fn bottom(&self) -> f32 {
        self.y as f32 + self.height as f32
    }
}

/// Detects frontal faces of at least `FACE_MIN_SIZE` px, largest first. rustface 0.1.7 always
/// scans its pyramid from 1× (its `set_min_face_size` does not limit the pyramid), so the image is
/// first downscaled by `FACE_WINDOW / FACE_MIN_SIZE`, making the detector's 40 px window the
/// smallest face looked for; boxes are mapped back to full-resolution pixels. Cost ≈ 10–20 ms for
/// 390 × 567 in release (README has the measured figure; the first call also parses the model,
/// ≈ 50 ms). Thread-safe: each call uses its own detector over the shared model. Returns None when
/// the model cannot be parsed or the detector fails (never panics).
pub fn detect_faces(gray: &GrayImage) -> Option<Vec<Face>> {
    let scale = (FACE_WINDOW as f32 / FACE_MIN_SIZE as f32).min(1.0);
    let (w, h) = ((gray.width() as f32 * scale) as u32, (gray.height() as f32 * scale) as u32);
    if w < FACE_WINDOW || h < FACE_WINDOW {
        // Too small to hold a face of the minimum size; the detector would not run.
        return Some(Vec::new());
    }
    let small = image::imageops::resize(gray, w, h, image::imageops::FilterType::Triangle);
    let model = MODEL.get_or_init(|| rustface::read_model(MODEL_BYTES).ok()).as_ref()?;
    let mut detector = rustface::create_detector_with_model(model.clone());
    detector.set_min_face_size(FACE_WINDOW);
    detector.set_score_thresh(FACE_SCORE_MIN);
    detector.set_pyramid_scale_factor(FACE_PYRAMID_SCALE);
    detector.set_slide_window_step(FACE_WINDOW_STEP, FACE_WINDOW_STEP);
    // The detector asserts on its inputs (all valid here); any panic is contained, not propagated.
    let found = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        detector.detect(&ImageData::new(small.as_raw(), w, h))
    }))
    .ok()?;
    let up = |v: f32| (v / scale).round();
    let mut faces: Vec<Face> = found
        .iter()
        .map(|f| {
            let b = f.bbox();
            let size = up(b.width() as f32) as u32;
            Face { x: up(b.x() as f32) as i32, y: up(b.y() as f32) as i32, width: size, height: size, score: f.score() }
        })
        .collect();
    faces.sort_by_key(|f| std::cmp::Reverse(f.width));
    Some(faces)
}

/// Where the chin row of the head box came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ChinSource {
    /// The shadow under the chin, found just below the detected face box (most accurate).
    FaceShadow,
    /// Detected face box bottom plus a fixed fraction of its size (no clear chin shadow).
    FaceBox,
    /// No single face detected: mirrored crown about the head-outline ellipse centre (biased short
    /// by ≈ 1.7 × the hair thickness).
    Outline,
}

/// Mean luminance of row `y` over columns `x0..x1` (clamped to the image).
fn row_mean(gray: &GrayImage, y: u32, x0: u32, x1: u32) -> f32 {
    let x1 = x1.min(gray.width());
    if x0 >= x1 || y >= gray.height() {
        return f32::NAN;
    }
    (x0..x1).map(|x| gray.get_pixel(x, y)[0] as f32).sum::<f32>() / (x1 - x0) as f32
}

/// Chin row from a detected face: the darkest row of the shadow under the chin in the luminance
/// profile of the face's central columns, searched in `CHIN_SEARCH` below the box bottom; the row
/// must be the minimum within ± `CHIN_MIN_HALF_WINDOW` box sizes and at least
/// `CHIN_SHADOW_MIN_DROP` darker than the lit face above it. Falls back to box bottom +
/// `CHIN_BOX_OFFSET` box sizes. Cost O(box size²); pure.
pub fn chin_row(gray: &GrayImage, face: &Face) -> (u32, ChinSource) {
    let s = face.width as f32;
    let fallback = (face.bottom() + CHIN_BOX_OFFSET * s).max(0.0) as u32;
    let cx = face.centre_x();
    let x0 = (cx - CHIN_BAND_HALF_WIDTH * s).max(0.0) as u32;
    let x1 = (cx + CHIN_BAND_HALF_WIDTH * s).max(0.0) as u32;
    let y0 = (face.bottom() + CHIN_SEARCH.0 * s).max(0.0) as u32;
    let y1 = ((face.bottom() + CHIN_SEARCH.1 * s).max(0.0) as u32).min(gray.height());
    let r = (CHIN_MIN_HALF_WINDOW * s).round().max(1.0) as u32;
    let profile: Vec<f32> = (y0..(y1 + r).min(gray.height())).map(|y| row_mean(gray, y, x0, x1)).collect();
    let mut lit = f32::MIN;
    for (i, &m) in profile.iter().enumerate().take(y1.saturating_sub(y0) as usize) {
        lit = lit.max(m);
        let lo = i.saturating_sub(r as usize);
        let hi = (i + r as usize + 1).min(profile.len());
        let local_min = profile[lo..hi].iter().all(|&v| v >= m);
        if local_min && lit - m >= CHIN_SHADOW_MIN_DROP {
            return (y0 + i as u32, ChinSource::FaceShadow);
        }
    }
    (fallback.min(gray.height().saturating_sub(1)), ChinSource::FaceBox)
}

/// Eye centres (x, y) in image px: in each eye region (`EYE_BAND` rows, `EYE_COLUMNS` from each
/// box edge) the point where a small dark blob stands out most from its surround (mean of a
/// 3·r box minus mean of an r box, r = `EYE_SMOOTH` box sizes): pupil and iris against skin, which
/// uniformly dark hair does not produce. Left = image left. Cost O(box size²) with an integral
/// image; pure. None when the regions leave the image.
pub fn eyes(gray: &GrayImage, face: &Face) -> Option<[(f32, f32); 2]> {
    let s = face.width as f32;
    let (w, h) = gray.dimensions();
    let r = (EYE_SMOOTH * s).round().max(1.0) as i64;
    let outer = EYE_SURROUND * r;
    let (x0, y0) = (face.x as i64 - outer, (face.y as f32 + EYE_BAND.0 * s) as i64 - outer);
    let (x1, y1) = (face.x as i64 + face.width as i64 + outer, (face.y as f32 + EYE_BAND.1 * s) as i64 + outer);
    if x0 < 0 || y0 < 0 || x1 > w as i64 || y1 > h as i64 {
        return None;
    }
    // Integral image over the search region (plus margins), (iw + 1) × (ih + 1).
    let (iw, ih) = ((x1 - x0) as usize, (y1 - y0) as usize);
    let mut ii = vec![0u64; (iw + 1) * (ih + 1)];
    for y in 0..ih {
        let mut row = 0u64;
        for x in 0..iw {
            row += gray.get_pixel((x0 + x as i64) as u32, (y0 + y as i64) as u32)[0] as u64;
            ii[(y + 1) * (iw + 1) + x + 1] = ii[y * (iw + 1) + x + 1] + row;
        }
    }
    // Mean over the box of radius `k` centred at region coordinates (x, y).
    let mean = |x: i64, y: i64, k: i64| -> f32 {
        let (a, b) = ((x - k) as usize, (y - k) as usize);
        let (c, d) = ((x + k + 1) as usize, (y + k + 1) as usize);
        let sum = ii[d * (iw + 1) + c] + ii[b * (iw + 1) + a] - ii[b * (iw + 1) + c] - ii[d * (iw + 1) + a];
        sum as f32 / ((2 * k + 1) * (2 * k + 1)) as f32
    };
    let best_in = |xa: f32, xb: f32| -> (f32, f32) {
        let mut best = (f32::MIN, 0.0, 0.0);
        for y in outer..ih as i64 - outer {
            for x in (xa as i64 - x0).max(outer)..(xb as i64 - x0).min(iw as i64 - outer) {
                let contrast = mean(x, y, outer) - mean(x, y, r);
                if contrast > best.0 {
                    best = (contrast, (x0 + x) as f32 + 0.5, (y0 + y) as f32 + 0.5);
                }
            }
        }
        (best.1, best.2)
    };
    let fx = face.x as f32;
    let left = best_in(fx + EYE_COLUMNS.0 * s, fx + EYE_COLUMNS.1 * s);
    let right = best_in(fx + (1.0 - EYE_COLUMNS.1) * s, fx + (1.0 - EYE_COLUMNS.0) * s);
    Some([left, right])
}

/// Roll (in-plane rotation, degrees, positive = clockwise in the image) of the eye line.
pub fn roll_deg(eyes: [(f32, f32); 2]) -> f32 {
    let [(xl, yl), (xr, yr)] = eyes;
    (yr - yl).atan2(xr - xl).to_degrees()
}

/// Yaw (head turn, degrees, positive = face towards image right) from the face-box centre against
/// the head outline's centre, head taken as a sphere of the outline's width: offset = r · sin yaw.
pub fn yaw_deg(face: &Face, head_centre_x: f32, head_width: f32) -> f32 {
    let r = (head_width / 2.0).max(1.0);
    ((face.centre_x() - head_centre_x) / r).clamp(-1.0, 1.0).asin().to_degrees()
}
