//! Degree-photo specification check (issue 10, /work/shared/docs/photo-spec.md §7.1).
//!
//! `check(jpeg, &PhotoRules::default())` → [`PhotoReport`]: every rule with pass/warn/fail, the
//! measured value and the expected range, plus the measured head box. Interpretation of the spec:
//! the photo is **390 px wide × 567 px high** (portrait, 33 × 48 mm at 300 dpi); head width
//! 248–283 px, head length crown-to-chin 331–390 px.
//!
//! Pipeline: container facts → decode → background colour → foreground mask → crown and head
//! outline (segmentation against the blue background) → frontal faces ([`face`], SeetaFace
//! detector whose model ships in the `rustface` crates.io package, embedded at build time) →
//! chin → head box → rules.
//! - **One face**: exactly one frontal face must be detected (0 or ≥ 2 fail with the count); a
//!   second cue, `one_head`, counts head-sized blobs in the silhouette.
//! - **Frontal pose**: the detector is frontal-only (profiles and strongly turned heads are not
//!   detected at all, so they fail `one_face`); on top, roll is measured from the eye line and yaw
//!   from the face-box centre against the head outline (tolerances in [`params`]).
//! - **Chin**: with one face, the shadow under the chin below the face box (fallback: box bottom +
//!   a fixed fraction), which hair does not shift; without a face (e.g. synthetic ellipse heads),
//!   the crown mirrored about the head-outline ellipse centre (hair biases it short, ≈ 1.7 × hair
//!   thickness) and the report says which source was used ([`face::ChinSource`]).
//!
//! Synthetic portraits (ellipse heads) have no face: with `require_face` (default) they fail
//! `one_face` and `frontal_pose` with "no frontal face found", while every geometric rule is
//! still measured and reported; `require_face: false` reports the face rules as warnings.
//!
//! Measured accuracy (tests print these): synthetic ellipse heads (no face, outline chin) width and
//! length within 0 px without hair, length −14 px per 8 px of hair; real portraits composed onto
//! blue (`tests/real_portraits.rs`) width ≤ 1 px, crown 0 px, chin ≤ 1 px from the hand-labelled
//! chin (label uncertainty ± 2 source px, i.e. up to ± 4.5 px after the 2.25× upscale), and
//! unchanged by 8–16 px of hair.
//!
//! Everything is thread-safe; cost ≈ decode + face detection (tens of ms for 390 × 567; the
//! benchmark `cargo bench -p ridgegate-photo --bench check` gives the figure).

pub mod container;
pub mod face;
pub mod measure;
pub mod params;

use container::JpegHeader;
use face::{ChinSource, Face};
use image::RgbImage;
use measure::{BackgroundStats, HeadBox};
use serde::Serialize;

/// Errors of the photo layer; each message says what happened and what to do.
#[derive(Debug, thiserror::Error)]
pub enum PhotoError {
    /// The bytes do not start with a JPEG SOI marker.
    #[error("not a JPEG file (no FFD8 start marker); upload the photo as .jpg")]
    NotJpeg,
    /// The JPEG headers are malformed or truncated.
    #[error("corrupt JPEG: {0}; re-export the photo from the camera or editor")]
    Corrupt(String),
    /// The file or frame is too large to decode safely.
    #[error("photo too large ({0}); the degree photo is 390 x 567 px and about 10 kB")]
    TooLarge(String),
    /// The pixel data could not be decoded.
    #[error("JPEG pixel data could not be decoded: {0}; re-export the photo")]
    Decode(String),
}

/// Outcome of one rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    /// Within the specification.
    Pass,
    /// Acceptable but outside the preferred range (file size only).
    Warn,
    /// Violates the specification.
    Fail,
}

/// One evaluated rule: name, verdict, measured value and expected range, both as text.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RuleResult {
    /// Stable rule identifier (e.g. `head_width`).
    pub rule: &'static str,
    /// Pass, warn or fail.
    pub verdict: Verdict,
    /// What was measured (units included).
    pub measured: String,
    /// What the rule expects (units included).
    pub expected: String,
}

/// The full report. `passed` is true when no rule failed (warnings allowed).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PhotoReport {
    /// True when no rule has verdict Fail.
    pub passed: bool,
    /// Every rule, in a fixed order.
    pub rules: Vec<RuleResult>,
    /// Measured head box, if the head could be found.
    pub head_box: Option<HeadBox>,
    /// Header facts (size, components, densities).
    pub header: JpegHeader,
    /// Background band statistics.
    pub background: BackgroundStats,
    /// Frontal faces found by the detector, largest first (empty when none).
    pub faces: Vec<Face>,
    /// Where the chin row of `head_box` came from.
    pub chin_source: Option<ChinSource>,
    /// Pose estimate of the single detected face, if any.
    pub pose: Option<Pose>,
}

/// Head pose estimate of the single detected face (degrees).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Pose {
    /// In-plane rotation of the eye line (positive = clockwise); None when the eyes were not located.
    pub roll_deg: Option<f32>,
    /// Head turn from the face-box offset inside the head outline (positive = towards image right).
    pub yaw_deg: f32,
    /// Eye centres (x, y) in px, image-left first.
    pub eyes: Option<[(f32, f32); 2]>,
}

impl PhotoReport {
    /// Rules with verdict Fail.
    pub fn failures(&self) -> impl Iterator<Item = &RuleResult> {
        self.rules.iter().filter(|r| r.verdict == Verdict::Fail)
    }
    /// Looks a rule up by identifier.
    pub fn rule(&self, name: &str) -> Option<&RuleResult> {
        self.rules.iter().find(|r| r.rule == name)
    }
}

/// The rule set; `Default` is the Chinese degree-certificate spec. Plain data, cheap to clone.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PhotoRules {
    /// Required width in px (390).
    pub width: u32,
    /// Required height in px (567).
    pub height: u32,
    /// Required density in dpi (300), from JFIF APP0 or EXIF.
    pub dpi: f32,
    /// Accepted dpi deviation (rounding of dpcm units).
    pub dpi_tolerance: f32,
    /// File size range (bytes, inclusive) that passes; "about 10 kB".
    pub size_pass: (usize, usize),
    /// File size range that only warns; outside it fails.
    pub size_warn: (usize, usize),
    /// Head width range in px (248–283).
    pub head_width: (u32, u32),
    /// Head length crown-to-chin range in px (331–390).
    pub head_length: (u32, u32),
    /// Whether the face rules (`one_face`, `frontal_pose`) fail the photo (true, the spec) or only
    /// warn (false: for synthetic test portraits, which have no face).
    pub require_face: bool,
}

impl Default for PhotoRules {
    fn default() -> Self {
        PhotoRules {
            width: 390,
            height: 567,
            dpi: 300.0,
            dpi_tolerance: 1.0,
            size_pass: (7 * 1024, 14 * 1024),
            size_warn: (4 * 1024, 40 * 1024),
            head_width: (248, 283),
            head_length: (331, 390),
            require_face: true,
        }
    }
}

fn rule(rule: &'static str, ok: bool, measured: String, expected: String) -> RuleResult {
    RuleResult { rule, verdict: if ok { Verdict::Pass } else { Verdict::Fail }, measured, expected }
}

/// File-size verdict: pass inside `size_pass`, warn inside `size_warn`, fail otherwise.
pub fn size_verdict(len: usize, rules: &PhotoRules) -> Verdict {
    let within = |(a, b): (usize, usize)| len >= a && len <= b;
    if within(rules.size_pass) {
        Verdict::Pass
    } else if within(rules.size_warn) {
        Verdict::Warn
    } else {
        Verdict::Fail
    }
}

/// Decodes the JPEG (bounded) after checking its header.
fn decode(bytes: &[u8], header: &JpegHeader) -> Result<RgbImage, PhotoError> {
    if header.width == 0 || header.height == 0 {
        return Err(PhotoError::Corrupt("frame has zero width or height".into()));
    }
    if header.width > params::MAX_DECODE_SIDE || header.height > params::MAX_DECODE_SIDE {
        return Err(PhotoError::TooLarge(format!("{} x {} px", header.width, header.height)));
    }
    let img = image::load_from_memory_with_format(bytes, image::ImageFormat::Jpeg)
        .map_err(|e| PhotoError::Decode(e.to_string()))?;
    Ok(img.to_rgb8())
}

/// Checks a JPEG against the rules. Cost: one decode plus O(pixels). Thread-safe (pure).
/// Errors only when the bytes are not a decodable JPEG; every spec violation is a Fail rule.
pub fn check(jpeg_bytes: &[u8], rules: &PhotoRules) -> Result<PhotoReport, PhotoError> {
    if jpeg_bytes.len() > params::MAX_FILE_BYTES {
        return Err(PhotoError::TooLarge(format!("{} bytes", jpeg_bytes.len())));
    }
    let header = container::parse_header(jpeg_bytes)?;
    let img = decode(jpeg_bytes, &header)?;
    let (w, h) = img.dimensions();
    let bg = measure::background_colour(&img);
    let mask = measure::foreground_mask(&img, bg);
    let background = measure::background_stats(&img, &mask);
    let crown = measure::crown(&mask, w, h);
    let heads = crown.map_or(0, |(y, _)| measure::head_count(&mask, w, h, y));
    let gray = image::imageops::grayscale(&img);
    let faces = face::detect_faces(&gray);
    let single = faces.as_ref().and_then(|f| (f.len() == 1).then(|| f[0]));
    let (head_box, chin_source) = match (crown, single) {
        (Some((crown, _)), Some(f)) => {
            let (chin, source) = face::chin_row(&gray, &f);
            let cx = (f.centre_x().max(0.0) as u32).min(w - 1);
            (measure::head_box_to_chin(&mask, w, crown, cx, chin), Some(source))
        }
        (Some((crown, cx)), None) => {
            let (runs, neck) = measure::head_runs(&mask, w, h, crown, cx);
            (neck.and_then(|neck| measure::head_box(&runs, crown, neck)), Some(ChinSource::Outline))
        }
        (None, _) => (None, None),
    };
    let chin_source = head_box.and(chin_source);
    let pose = single.zip(head_box).map(|(f, b)| {
        let eyes = face::eyes(&gray, &f);
        Pose { roll_deg: eyes.map(face::roll_deg), yaw_deg: face::yaw_deg(&f, b.centre_x(), b.width() as f32), eyes }
    });
    let mut out = Vec::new();
    out.push(rule(
        "dimensions",
        w == rules.width && h == rules.height,
        format!("{w} wide x {h} high px"),
        format!("{} wide x {} high px", rules.width, rules.height),
    ));
    out.push(rule(
        "colour_depth",
        header.components == 3 && header.precision == 8,
        format!("{} component(s) x {} bit", header.components, header.precision),
        "3 components x 8 bit (24-bit RGB)".into(),
    ));
    let chroma = measure::mean_chroma(&img);
    out.push(rule(
        "not_greyscale",
        chroma >= params::MIN_CHROMA,
        format!("mean chroma {chroma:.1}"),
        format!(">= {:.1}", params::MIN_CHROMA),
    ));
    let dpi = header.jfif_dpi.or(header.exif_dpi);
    let dpi_ok = dpi.is_some_and(|(x, y)| {
        (x - rules.dpi).abs() <= rules.dpi_tolerance && (y - rules.dpi).abs() <= rules.dpi_tolerance
    });
    out.push(rule(
        "density_dpi",
        dpi_ok,
        dpi.map_or("no JFIF/EXIF density".into(), |(x, y)| format!("{x:.0} x {y:.0} dpi")),
        format!("{:.0} dpi", rules.dpi),
    ));
    out.push(RuleResult {
        rule: "file_size",
        verdict: size_verdict(jpeg_bytes.len(), rules),
        measured: format!("{} bytes", jpeg_bytes.len()),
        expected: format!(
            "pass {}-{} bytes, warn {}-{} bytes",
            rules.size_pass.0, rules.size_pass.1, rules.size_warn.0, rules.size_warn.1
        ),
    });
    let [hue, sat, val] = background.hsv;
    out.push(rule(
        "background_blue",
        (params::BLUE_HUE_MIN..=params::BLUE_HUE_MAX).contains(&hue)
            && sat >= params::BLUE_MIN_SATURATION
            && val >= params::BLUE_MIN_VALUE,
        format!("hue {hue:.0} deg, saturation {sat:.2}, value {val:.2}"),
        format!(
            "hue {}-{} deg, saturation >= {}, value >= {}",
            params::BLUE_HUE_MIN,
            params::BLUE_HUE_MAX,
            params::BLUE_MIN_SATURATION,
            params::BLUE_MIN_VALUE
        ),
    ));
    out.push(rule(
        "background_uniform",
        background.max_stddev <= params::BG_MAX_STDDEV && background.border_fraction >= params::BG_MIN_BORDER_FRACTION,
        format!("stddev {:.1}, border background {:.0} %", background.max_stddev, background.border_fraction * 100.0),
        format!(
            "stddev <= {}, border background >= {:.0} %",
            params::BG_MAX_STDDEV,
            params::BG_MIN_BORDER_FRACTION * 100.0
        ),
    ));
    let missing = || "head not found (no head outline above a neck against the background)".to_string();
    let hw = head_box.map(|b| b.width());
    out.push(rule(
        "head_width",
        hw.is_some_and(|v| v >= rules.head_width.0 && v <= rules.head_width.1),
        hw.map_or_else(missing, |v| format!("{v} px")),
        format!("{}-{} px", rules.head_width.0, rules.head_width.1),
    ));
    let hl = head_box.map(|b| b.length());
    out.push(rule(
        "head_length",
        hl.is_some_and(|v| v >= rules.head_length.0 && v <= rules.head_length.1),
        hl.map_or_else(missing, |v| format!("{v} px")),
        format!("{}-{} px", rules.head_length.0, rules.head_length.1),
    ));
    out.push(rule(
        "one_head",
        heads == 1,
        format!("{heads} head(s) side by side below the crown"),
        "exactly 1 (one person, no other face in the photo)".into(),
    ));
    let offset = head_box.map(|b| (b.centre_x() - w as f32 / 2.0) / w as f32);
    out.push(rule(
        "single_centred_head",
        offset.is_some_and(|o| o.abs() <= params::CENTRE_TOLERANCE),
        offset.map_or_else(missing, |o| format!("head centre at {:.1} % of width", 50.0 + o * 100.0)),
        format!(
            "one head, centre within {:.0}-{:.0} % of width",
            50.0 - params::CENTRE_TOLERANCE * 100.0,
            50.0 + params::CENTRE_TOLERANCE * 100.0
        ),
    ));
    out.extend(face_rules(faces.as_deref(), pose, rules));
    let passed = out.iter().all(|r| r.verdict != Verdict::Fail);
    let faces = faces.unwrap_or_default();
    Ok(PhotoReport { passed, rules: out, head_box, header, background, faces, chin_source, pose })
}

/// The `one_face` and `frontal_pose` rules; Fail when violated and `require_face`, else Warn.
fn face_rules(faces: Option<&[Face]>, pose: Option<Pose>, rules: &PhotoRules) -> [RuleResult; 2] {
    let violated = if rules.require_face { Verdict::Fail } else { Verdict::Warn };
    let verdict = |ok: bool| if ok { Verdict::Pass } else { violated };
    let one = RuleResult {
        rule: "one_face",
        verdict: verdict(faces.is_some_and(|f| f.len() == 1)),
        measured: match faces {
            None => "face detector unavailable (model could not be loaded); check the build".into(),
            Some([]) => "no frontal face found (face turned away or covered, or not a portrait)".into(),
            Some([f]) => format!("1 frontal face, box {} px, score {:.1}", f.width, f.score),
            Some(many) => format!("{} faces found: only the applicant may be in the photo", many.len()),
        },
        expected: "exactly 1 frontal face".into(),
    };
    let expected = format!("|roll| <= {} deg, |yaw| <= {} deg", params::ROLL_MAX_DEG, params::YAW_MAX_DEG);
    let pose_rule = match pose {
        None => RuleResult {
            rule: "frontal_pose",
            verdict: violated,
            measured: "not measured: needs exactly one detected frontal face and a head outline".into(),
            expected,
        },
        Some(p) => {
            let roll_ok = p.roll_deg.is_some_and(|r| r.abs() <= params::ROLL_MAX_DEG);
            let yaw_ok = p.yaw_deg.abs() <= params::YAW_MAX_DEG;
            RuleResult {
                rule: "frontal_pose",
                verdict: verdict(roll_ok && yaw_ok),
                measured: format!(
                    "roll {}, yaw {:+.1} deg",
                    p.roll_deg.map_or("not measured (eyes not located)".into(), |r| format!("{r:+.1} deg")),
                    p.yaw_deg
                ),
                expected,
            }
        }
    };
    [one, pose_rule]
}

/// Decodes the photo and draws the head box (red), crown/chin lines (yellow), the detected face
/// boxes and eye centres (green) on it.
/// Cost: one decode plus O(box perimeter). Thread-safe. Save the result as PNG.
pub fn annotate(jpeg_bytes: &[u8], report: &PhotoReport) -> Result<RgbImage, PhotoError> {
    let header = container::parse_header(jpeg_bytes)?;
    let mut img = decode(jpeg_bytes, &header)?;
    if let Some(b) = report.head_box {
        let (w, h) = img.dimensions();
        let mut put = |x: u32, y: u32, c: [u8; 3]| {
            if x < w && y < h {
                img.put_pixel(x, y, image::Rgb(c));
            }
        };
        for t in 0..2 {
            for x in 0..w {
                put(x, b.crown + t, params::LINE_COLOUR);
                put(x, b.chin.saturating_sub(t), params::LINE_COLOUR);
            }
            for x in b.left..=b.right {
                put(x, b.crown + t, params::BOX_COLOUR);
                put(x, b.chin.saturating_sub(t), params::BOX_COLOUR);
            }
            for y in b.crown..=b.chin {
                put(b.left + t, y, params::BOX_COLOUR);
                put(b.right.saturating_sub(t), y, params::BOX_COLOUR);
            }
        }
    }
    let (w, h) = img.dimensions();
    let mut put = |x: i64, y: i64, c: [u8; 3]| {
        if x >= 0 && y >= 0 && x < w as i64 && y < h as i64 {
            img.put_pixel(x as u32, y as u32, image::Rgb(c));
        }
    };
    for f in &report.faces {
        let (x0, y0, s) = (f.x as i64, f.y as i64, f.width as i64);
        for k in 0..s {
            for (x, y) in [(x0 + k, y0), (x0 + k, y0 + s - 1), (x0, y0 + k), (x0 + s - 1, y0 + k)] {
                put(x, y, params::FACE_COLOUR);
            }
        }
    }
    for (x, y) in report.pose.and_then(|p| p.eyes).into_iter().flatten() {
        for d in -4..=4 {
            put(x as i64 + d, y as i64, params::FACE_COLOUR);
            put(x as i64, y as i64 + d, params::FACE_COLOUR);
        }
    }
    Ok(img)
}

#[cfg(test)]
mod tests;
