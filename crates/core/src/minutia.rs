//! Minutiae: ridge endings and bifurcations.

use serde::{Deserialize, Serialize};
use std::f32::consts::TAU;

/// The kind of a minutia, with the ISO/IEC 19794-2 two-bit type codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[repr(u8)]
pub enum MinutiaKind {
    /// ISO type `00`: neither ending nor bifurcation (some foreign records use it).
    Other = 0,
    /// ISO type `01`: a ridge ending.
    Ending = 1,
    /// ISO type `10`: a ridge bifurcation.
    Bifurcation = 2,
}

impl MinutiaKind {
    /// The ISO two-bit code (0, 1, 2).
    pub fn code(self) -> u8 {
        self as u8
    }
    /// Kind from the ISO code; `None` for 3 (invalid) and above.
    pub fn from_code(code: u8) -> Option<Self> {
        match code {
            0 => Some(Self::Other),
            1 => Some(Self::Ending),
            2 => Some(Self::Bifurcation),
            _ => None,
        }
    }
}

/// One minutia in pixel units at the dpi of the [`crate::Template`] that holds it.
///
/// * `x`, `y` — pixel coordinates, origin at the upper-left pixel, y growing downwards.
/// * `angle` — direction in radians in `[0, 2π)`, measured **counter-clockwise from the
///   positive x axis as seen on screen** (the ISO/IEC 19794-2 convention: because y grows down,
///   the image-space vector of the direction is `(cos a, −sin a)`). The direction points from the
///   minutia along the ridge it ends (ending) or along the valley between the two branches it
///   joins (bifurcation), as ISO/IEC 19794-2 defines it; the extractor and every codec use this
///   one convention, so interchange templates and native ones agree.
/// * `quality` — 0..=100, higher is more reliable; 0 means "not reported".
///
/// Plain `Copy` data; thread-safe.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Minutia {
    /// Column in pixels.
    pub x: u16,
    /// Row in pixels (grows downwards).
    pub y: u16,
    /// Direction in radians in `[0, 2π)`, counter-clockwise from +x as seen on screen.
    pub angle: f32,
    /// Ending, bifurcation or other.
    pub kind: MinutiaKind,
    /// Reliability 0..=100 (0 = not reported).
    pub quality: u8,
}

impl Minutia {
    /// A minutia with the angle normalised into `[0, 2π)`.
    pub fn new(x: u16, y: u16, angle: f32, kind: MinutiaKind, quality: u8) -> Self {
        Minutia { x, y, angle: normalize_angle(angle), kind, quality: quality.min(100) }
    }
}

/// Wraps any finite angle in radians into `[0, 2π)`. Non-finite input gives 0.
pub fn normalize_angle(a: f32) -> f32 {
    if !a.is_finite() {
        return 0.0;
    }
    let r = a.rem_euclid(TAU);
    // rem_euclid can return exactly TAU for tiny negative inputs because of rounding.
    if r >= TAU { 0.0 } else { r }
}

/// Quantises an angle to `units` steps per full turn (e.g. 256 for ISO, 180 for ANSI), rounding
/// to the nearest step and wrapping `units` to 0.
pub fn angle_to_units(a: f32, units: u32) -> u32 {
    let u = (normalize_angle(a) as f64 / std::f64::consts::TAU * units as f64).round() as u32;
    if u >= units { 0 } else { u }
}

/// The angle in radians of `u` steps out of `units` per full turn.
pub fn units_to_angle(u: u32, units: u32) -> f32 {
    normalize_angle((u as f64 / units as f64 * std::f64::consts::TAU) as f32)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn normalisation_wraps() {
        assert_eq!(normalize_angle(0.0), 0.0);
        assert!((normalize_angle(-0.5) - (TAU - 0.5)).abs() < 1e-6);
        assert!((normalize_angle(TAU + 1.0) - 1.0).abs() < 1e-5);
        assert_eq!(normalize_angle(f32::NAN), 0.0);
        assert_eq!(angle_to_units(TAU - 1e-7, 256), 0);
        assert_eq!(angle_to_units(std::f32::consts::PI, 256), 128);
    }

    proptest! {
        #[test]
        fn normalized_is_in_range(a in -1e6f32..1e6) {
            let n = normalize_angle(a);
            prop_assert!((0.0..TAU).contains(&n));
        }

        #[test]
        fn units_round_trip(u in 0u32..256) {
            prop_assert_eq!(angle_to_units(units_to_angle(u, 256), 256), u);
        }
    }
}
