//! Every tunable of the photo check, one place, one comment each.

/// Largest width or height (px) we agree to decode; bounds memory to about 48 MB of RGB.
pub const MAX_DECODE_SIDE: u32 = 4000;
/// Largest input file accepted (bytes); a degree photo is tens of kB.
pub const MAX_FILE_BYTES: usize = 8 * 1024 * 1024;
/// Side (px) of the square patches in the two top corners that define the background colour.
pub const BG_PATCH: u32 = 12;
/// Euclidean RGB distance from the background mean above which a pixel is foreground (person).
pub const FG_DISTANCE: f32 = 70.0;
/// Minimum foreground pixels in a row for that row to count as the crown.
pub const CROWN_MIN_RUN: u32 = 6;
/// A row is the neck once its head-run width drops below this fraction of the widest head row so far.
pub const NECK_FRACTION: f32 = 0.75;
/// Rows whose width is at least this fraction of the maximum form the widest plateau (ellipse centre).
pub const PLATEAU_FRACTION: f32 = 0.985;
/// Minimum mean |R−G|+|G−B| (0–510) for an image to count as colour rather than greyscale.
pub const MIN_CHROMA: f32 = 6.0;
/// Border band width (px) sampled for background colour and uniformity.
pub const BORDER_BAND: u32 = 8;
/// Blue hue window in degrees (HSV) for the background.
pub const BLUE_HUE_MIN: f32 = 185.0;
/// Upper end of the blue hue window in degrees.
pub const BLUE_HUE_MAX: f32 = 245.0;
/// Minimum HSV saturation (0–1) of a blue background.
pub const BLUE_MIN_SATURATION: f32 = 0.30;
/// Minimum HSV value (0–1) of a blue background.
pub const BLUE_MIN_VALUE: f32 = 0.30;
/// Largest per-channel standard deviation (0–255) of the background border band for "uniform".
pub const BG_MAX_STDDEV: f32 = 12.0;
/// Minimum fraction of border-band pixels (top and upper sides) that must be background.
pub const BG_MIN_BORDER_FRACTION: f32 = 0.90;
/// Rows below the crown (start, end) searched for side-by-side heads (above any shoulders).
pub const HEAD_BAND: (u32, u32) = (30, 140);
/// Narrowest foreground run (px) that counts as a head in that band.
pub const HEAD_MIN_RUN: u32 = 60;
/// Head centre must lie within this fraction of the image width from the middle (0.05 = 45–55 %).
pub const CENTRE_TOLERANCE: f32 = 0.05;
/// Annotation colour (RGB) of the head box.
pub const BOX_COLOUR: [u8; 3] = [255, 32, 32];
/// Annotation colour (RGB) of the chin/crown lines.
pub const LINE_COLOUR: [u8; 3] = [255, 230, 0];
/// Smallest face box (px) looked for: well below the ≥ 130 px face of a conforming photo (face box
/// ≈ 0.55 × head width ≥ 248 px), so a second, smaller face (another person behind) is still found.
pub const FACE_MIN_SIZE: u32 = 64;
/// SeetaFace's fixed detection window (px); the image is scaled by FACE_WINDOW / FACE_MIN_SIZE.
pub const FACE_WINDOW: u32 = 40;
/// Detector score threshold; 2.0 is the SeetaFace/rustface default operating point.
pub const FACE_SCORE_MIN: f64 = 2.0;
/// Scale factor between pyramid levels (rustface default 0.8).
pub const FACE_PYRAMID_SCALE: f32 = 0.8;
/// Sliding-window step in px (rustface recommends 4).
pub const FACE_WINDOW_STEP: u32 = 4;
/// Half-width of the column band (fraction of the face box) averaged for the chin profile.
pub const CHIN_BAND_HALF_WIDTH: f32 = 0.2;
/// Chin search window below the face box bottom, as fractions of the box size (start, end): the
/// mouth lies above the start, a collar usually below the end.
pub const CHIN_SEARCH: (f32, f32) = (-0.05, 0.2);
/// Half-window (fraction of the box size) within which the chin shadow must be the darkest row.
pub const CHIN_MIN_HALF_WINDOW: f32 = 0.03;
/// Minimum drop (grey levels) from the lit lower face to the shadow under the chin for that shadow
/// to count; weaker (flat lighting) falls back to `CHIN_BOX_OFFSET`.
pub const CHIN_SHADOW_MIN_DROP: f32 = 20.0;
/// Fallback chin: box bottom + this fraction of the box size. Mean of the two hand-labelled real
/// portraits (+0.11 and +0.03): a rough cue, ± 0.04 box sizes (≈ ± 7 px in a conforming photo).
pub const CHIN_BOX_OFFSET: f32 = 0.07;
/// Eye search band inside the face box (fractions of the box height, top to bottom).
pub const EYE_BAND: (f32, f32) = (0.25, 0.45);
/// Eye search columns for each eye, measured from the box edge (fractions of the box width).
pub const EYE_COLUMNS: (f32, f32) = (0.15, 0.45);
/// Radius (fraction of the box size) of the dark-blob window for an eye (iris + pupil + lashes;
/// the iris is ≈ 0.06 face widths across).
pub const EYE_SMOOTH: f32 = 0.03;
/// Surround window radius as a multiple of the eye window radius (skin around the eye).
pub const EYE_SURROUND: i64 = 3;
/// Largest accepted in-plane head rotation (roll, degrees) from the eye line: ICAO 9303 allows
/// ± 5°; the darkest-point eye estimate adds ≈ ± 3° (eyelash/eyebrow/glasses-frame jitter).
pub const ROLL_MAX_DEG: f32 = 8.0;
/// Largest accepted head turn (yaw, degrees) estimated from the face-box centre against the head
/// outline centre (sphere model: offset = head radius × sin yaw): ICAO's ± 5° plus ≈ 5° for
/// hairstyle asymmetry and detector box jitter.
pub const YAW_MAX_DEG: f32 = 10.0;
/// Annotation colour (RGB) of detected face boxes and eye centres.
pub const FACE_COLOUR: [u8; 3] = [0, 220, 60];
