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
