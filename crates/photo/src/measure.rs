//! Image measurements, one small pure function per stage: background colour → foreground mask →
//! crown → neck → head box; plus colour statistics (chroma, background hue and uniformity).

use crate::params::*;
use image::RgbImage;

/// The measured head box in image pixels (origin top-left, y down).
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct HeadBox {
    /// Leftmost head column at the widest row.
    pub left: u32,
    /// Rightmost head column (inclusive) at the widest row.
    pub right: u32,
    /// Crown: first row of the head (top of hair).
    pub crown: u32,
    /// Chin: estimated last row of the head (inclusive).
    pub chin: u32,
}

impl HeadBox {
    /// Head width in px (right − left + 1).
    pub fn width(&self) -> u32 {
        self.right + 1 - self.left
    }
    /// Head length crown to chin in px (chin − crown + 1).
    pub fn length(&self) -> u32 {
        self.chin + 1 - self.crown
    }
    /// Horizontal centre in px.
    pub fn centre_x(&self) -> f32 {
        (self.left + self.right) as f32 / 2.0
    }
}

/// Mean background colour from the two top-corner patches.
pub fn background_colour(img: &RgbImage) -> [f32; 3] {
    let p = BG_PATCH.min(img.width() / 2).min(img.height()).max(1);
    let mut sum = [0f64; 3];
    let mut n = 0f64;
    for y in 0..p {
        for x in (0..p).chain(img.width().saturating_sub(p)..img.width()) {
            let px = img.get_pixel(x, y).0;
            for c in 0..3 {
                sum[c] += px[c] as f64;
            }
            n += 1.0;
        }
    }
    let n = n.max(1.0);
    [(sum[0] / n) as f32, (sum[1] / n) as f32, (sum[2] / n) as f32]
}

fn distance(a: [u8; 3], b: [f32; 3]) -> f32 {
    let d: f32 = (0..3).map(|c| (a[c] as f32 - b[c]).powi(2)).sum();
    d.sqrt()
}

/// Foreground (not background) mask, row-major, width × height.
pub fn foreground_mask(img: &RgbImage, bg: [f32; 3]) -> Vec<bool> {
    img.pixels().map(|p| distance(p.0, bg) > FG_DISTANCE).collect()
}

/// Contiguous foreground run in row `y` containing column `cx` (or None if `cx` is background).
fn run_at(mask: &[bool], w: u32, y: u32, cx: u32) -> Option<(u32, u32)> {
    let row = &mask[(y * w) as usize..((y + 1) * w) as usize];
    if !row[cx as usize] {
        return None;
    }
    let mut l = cx;
    while l > 0 && row[(l - 1) as usize] {
        l -= 1;
    }
    let mut r = cx;
    while r + 1 < w && row[(r + 1) as usize] {
        r += 1;
    }
    Some((l, r))
}

/// Crown row and head centre column: first row with at least `CROWN_MIN_RUN` foreground pixels.
pub fn crown(mask: &[bool], w: u32, h: u32) -> Option<(u32, u32)> {
    (0..h).find_map(|y| {
        let row = &mask[(y * w) as usize..((y + 1) * w) as usize];
        let n = row.iter().filter(|&&f| f).count() as u32;
        (n >= CROWN_MIN_RUN).then(|| {
            let s: u64 = row.iter().enumerate().filter(|(_, f)| **f).map(|(x, _)| x as u64).sum();
            (y, (s / n as u64) as u32)
        })
    })
}

/// Number of separate head-sized foreground blobs side by side in the band of rows just below the
/// crown (`HEAD_BAND` rows, where only heads, not shoulders, can be): the largest count over
/// those rows of foreground runs at least `HEAD_MIN_RUN` px wide. 1 for a single portrait.
pub fn head_count(mask: &[bool], w: u32, h: u32, crown_y: u32) -> u32 {
    let mut most = 0;
    for y in crown_y.saturating_add(HEAD_BAND.0)..crown_y.saturating_add(HEAD_BAND.1).min(h) {
        let row = &mask[(y * w) as usize..((y + 1) * w) as usize];
        let (mut runs, mut len) = (0u32, 0u32);
        for &f in row.iter().chain(std::iter::once(&false)) {
            if f {
                len += 1;
            } else {
                runs += (len >= HEAD_MIN_RUN) as u32;
                len = 0;
            }
        }
        most = most.max(runs);
    }
    most
}

/// Head runs through the centre column from the crown down to the first row narrower than
/// `NECK_FRACTION` of the widest so far (the lower head narrowing to the neck), plus the row where
/// the chin can lie at the latest: where shoulders start (run wider than the head) or the run or the
/// image ends. Returns (head runs, Some(latest chin row)) or (runs, None) when the head never narrows.
pub fn head_runs(mask: &[bool], w: u32, h: u32, crown_y: u32, cx: u32) -> (Vec<(u32, u32)>, Option<u32>) {
    let mut runs = Vec::new();
    let mut widest = 0u32;
    let mut narrowed = false;
    for y in crown_y..h {
        let Some((l, r)) = run_at(mask, w, y, cx) else {
            return (runs, narrowed.then_some(y.saturating_sub(1)));
        };
        let width = r + 1 - l;
        if !narrowed && widest > 0 && (width as f32) < NECK_FRACTION * widest as f32 {
            narrowed = true;
        }
        if narrowed {
            if width > widest {
                return (runs, Some(y.saturating_sub(1)));
            }
            continue;
        }
        widest = widest.max(width);
        runs.push((l, r));
    }
    (runs, narrowed.then_some(h - 1))
}

/// Head box from the runs: width at the widest row; the chin mirrors the crown about the centre of
/// the head outline, taken as an ellipse: its centre is the vertex of a least-squares parabola
/// fitted to the squared run widths (w² is quadratic in y for an ellipse), which uses every row
/// from the crown to the neck and so is not thrown by JPEG ringing on a few; if the fit is not
/// concave, the centre of the widest plateau is used. Capped at `latest_chin`. Known bias: hair
/// widens the upper outline and moves the fitted centre up, so the length comes out short by
/// about 1.7× the hair thickness (measured in `head_measurement_accuracy_report`).
pub fn head_box(runs: &[(u32, u32)], crown_y: u32, latest_chin: u32) -> Option<HeadBox> {
    let widths: Vec<u32> = runs.iter().map(|&(l, r)| r + 1 - l).collect();
    let max = *widths.iter().max()?;
    let plateau: Vec<usize> =
        (0..widths.len()).filter(|&i| widths[i] as f32 >= PLATEAU_FRACTION * max as f32).collect();
    // Centre of the outline in rows from the crown row's top edge (a row's centre is +0.5).
    let plateau_mid = (plateau[0] + plateau[plateau.len() - 1]) as f64 / 2.0 + 0.5;
    let mid =
        ellipse_centre_row(&widths).filter(|c| (0.0..widths.len() as f64 * 1.5).contains(c)).unwrap_or(plateau_mid);
    let widest = runs[plateau[plateau.len() / 2]];
    // The outline ends 2·mid below the crown's top edge; the chin is the last row inside it.
    let chin = (crown_y as f64 + 2.0 * mid - 1.0).round().max(0.0) as u32;
    Some(HeadBox { left: widest.0, right: widest.1, crown: crown_y, chin: chin.min(latest_chin).max(crown_y) })
}

/// Row offset (from the first run) of the vertex of the least-squares parabola through the squared
/// widths, rows 0.5 px centred; None when there are too few rows or the parabola is not concave.
fn ellipse_centre_row(widths: &[u32]) -> Option<f64> {
    if widths.len() < 8 {
        return None;
    }
    // Normal equations of w² ≈ a + b·t + c·t² with t = row + 0.5 scaled to ~1 for conditioning.
    let scale = widths.len() as f64;
    let mut m = [[0f64; 3]; 3];
    let mut v = [0f64; 3];
    for (i, &w) in widths.iter().enumerate() {
        let t = (i as f64 + 0.5) / scale;
        let p = [1.0, t, t * t];
        let y = (w as f64).powi(2);
        for r in 0..3 {
            for c in 0..3 {
                m[r][c] += p[r] * p[c];
            }
            v[r] += p[r] * y;
        }
    }
    let [_, b, c] = solve3(m, v)?;
    (c < 0.0).then(|| -b / (2.0 * c) * scale)
}

/// Solves a 3×3 linear system by Cramer's rule; None when singular.
fn solve3(m: [[f64; 3]; 3], v: [f64; 3]) -> Option<[f64; 3]> {
    let det = |a: [[f64; 3]; 3]| {
        a[0][0] * (a[1][1] * a[2][2] - a[1][2] * a[2][1]) - a[0][1] * (a[1][0] * a[2][2] - a[1][2] * a[2][0])
            + a[0][2] * (a[1][0] * a[2][1] - a[1][1] * a[2][0])
    };
    let d = det(m);
    if d.abs() < 1e-12 {
        return None;
    }
    let mut out = [0.0; 3];
    for (k, o) in out.iter_mut().enumerate() {
        let mut a = m;
        for r in 0..3 {
            a[r][k] = v[r];
        }
        *o = det(a) / d;
    }
    Some(out)
}

/// Mean |R−G|+|G−B| over the image (0 for greyscale).
pub fn mean_chroma(img: &RgbImage) -> f32 {
    let n = (img.width() as f64 * img.height() as f64).max(1.0);
    let s: f64 =
        img.pixels().map(|p| ((p[0] as i32 - p[1] as i32).abs() + (p[1] as i32 - p[2] as i32).abs()) as f64).sum();
    (s / n) as f32
}

/// Background statistics over the border band (top rows and the upper half of both sides).
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct BackgroundStats {
    /// Mean colour of the band pixels classified as background (RGB 0–255).
    pub mean: [f32; 3],
    /// Hue in degrees, saturation and value (0–1) of the mean.
    pub hsv: [f32; 3],
    /// Largest per-channel standard deviation of the background band pixels (0–255).
    pub max_stddev: f32,
    /// Fraction (0–1) of band pixels that are background.
    pub border_fraction: f32,
}

/// Measures the border band against the mask.
pub fn background_stats(img: &RgbImage, mask: &[bool]) -> BackgroundStats {
    let (w, h) = img.dimensions();
    let band = BORDER_BAND.min(w / 2).min(h / 2);
    let mut sum = [0f64; 3];
    let mut sq = [0f64; 3];
    let (mut n, mut total) = (0f64, 0f64);
    for y in 0..h / 2 {
        for x in 0..w {
            if y >= band && x >= band && x + band < w {
                continue;
            }
            total += 1.0;
            if mask[(y * w + x) as usize] {
                continue;
            }
            let p = img.get_pixel(x, y).0;
            for c in 0..3 {
                sum[c] += p[c] as f64;
                sq[c] += (p[c] as f64).powi(2);
            }
            n += 1.0;
        }
    }
    let nn = n.max(1.0);
    let mean = [0, 1, 2].map(|c| (sum[c] / nn) as f32);
    let max_stddev = (0..3).map(|c| ((sq[c] / nn - (sum[c] / nn).powi(2)).max(0.0)).sqrt() as f32).fold(0.0, f32::max);
    BackgroundStats { mean, hsv: hsv(mean), max_stddev, border_fraction: (n / total.max(1.0)) as f32 }
}

/// HSV of an RGB colour: hue degrees 0–360, saturation and value 0–1.
pub fn hsv(c: [f32; 3]) -> [f32; 3] {
    let [r, g, b] = c.map(|v| v / 255.0);
    let max = r.max(g).max(b);
    let min = r.min(g).min(b);
    let d = max - min;
    let hue = if d <= f32::EPSILON {
        0.0
    } else if max == r {
        60.0 * ((g - b) / d).rem_euclid(6.0)
    } else if max == g {
        60.0 * ((b - r) / d + 2.0)
    } else {
        60.0 * ((r - g) / d + 4.0)
    };
    [hue, if max > 0.0 { d / max } else { 0.0 }, max]
}

/// Head box when the chin row is known (from the face): crown as found, chin as given, width the
/// widest foreground run through column `cx` (the face centre) from the crown to the chin.
/// None when `cx` is background on every such row. Cost O(head rows × width); pure.
pub fn head_box_to_chin(mask: &[bool], w: u32, crown_y: u32, cx: u32, chin: u32) -> Option<HeadBox> {
    let chin = chin.max(crown_y).min((mask.len() as u32 / w.max(1)).saturating_sub(1));
    let (left, right) =
        (crown_y..=chin).filter_map(|y| run_at(mask, w, y, cx)).max_by_key(|&(l, r)| (r + 1 - l, u32::MAX - l))?;
    Some(HeadBox { left, right, crown: crown_y, chin })
}
