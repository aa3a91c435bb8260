//! [`Template`]: one finger view's minutiae, and RidgeGate's own binary template format.
//!
//! # Byte layout (format version 2)
//!
//! All integers little-endian. A record for `n` minutiae is `22 + 8·n` bytes without a ridge
//! flow (502 bytes for 60 minutiae), plus `5 + c` bytes with a ridge flow of `c` cells (≈ 160
//! for a 300 × 300 px image at 500 dpi).
//!
//! | offset | size | field |
//! |---|---|---|
//! | 0 | 4 | magic `RGTM` |
//! | 4 | 1 | format version, `2` ([`FORMAT_VERSION`]; `1` is still read) |
//! | 5 | 1 | flags: bit 0 = a ridge flow follows the minutiae ([`FLAG_RIDGE_FLOW`]); other bits 0 |
//! | 6 | 2 | algorithm version of the extractor that made it (0 = imported from a foreign format) |
//! | 8 | 2 | image width in pixels (1..=16383) |
//! | 10 | 2 | image height in pixels (1..=16383) |
//! | 12 | 2 | resolution in dpi (100..=2000) |
//! | 14 | 1 | image quality 0..=100 |
//! | 15 | 1 | finger position code 0..=10 ([`FingerPosition`]) |
//! | 16 | 2 | minutia count `n` (0..=[`MAX_MINUTIAE`]) |
//! | 18 | 2n | x coordinates, `u16` each, `< width` |
//! | 18+2n | 2n | y coordinates, `u16` each, `< height` |
//! | 18+4n | 2n | angles, `u16` units of 2π/65536 (ISO direction convention, see [`Minutia`]) |
//! | 18+6n | n | kinds, ISO codes 0 other / 1 ending / 2 bifurcation |
//! | 18+7n | n | minutia qualities 0..=100 |
//! | 18+8n | 1 | *flag bit 0 only:* ridge-flow cell side in pixels ([`RidgeFlow`]) |
//! | 19+8n | 2 | *flag bit 0 only:* cells per row `w` (= ⌈width / cell⌉) |
//! | 21+8n | 2 | *flag bit 0 only:* rows of cells `h` (= ⌈height / cell⌉) |
//! | 23+8n | w·h | *flag bit 0 only:* orientation codes, row-major (0..=179 = degrees, 255 = none) |
//! | end − 4 | 4 | CRC-32 (IEEE) of every byte before it |
//!
//! Format version 1 is the same without the flag and the ridge flow (flags byte 0); it decodes
//! to a template without a ridge flow.
//!
//! Struct-of-arrays keeps each column contiguous, which compresses well and lets a gallery load
//! a column without touching the others. Decoding checks every field ([`Template::decode`]
//! never panics, whatever the bytes), so a stored template that decodes is safe to match.
//!
//! # Compatibility policy
//! The *format* version changes only when the layout changes; older format versions stay
//! readable. The *algorithm* version changes whenever extraction output changes; templates of
//! another algorithm version decode fine but should be re-extracted from the stored source
//! image before they are compared with new ones ([`Template::require_algorithm`]).

use crate::error::TemplateError;
use crate::finger::FingerPosition;
use crate::minutia::{Minutia, MinutiaKind, normalize_angle};
use crate::ridge_flow::RidgeFlow;
use serde::{Deserialize, Serialize};

/// Magic bytes at the start of every native template.
pub const MAGIC: [u8; 4] = *b"RGTM";
/// Current format version written by [`Template::encode`].
pub const FORMAT_VERSION: u8 = 2;
/// Flags bit: a [`RidgeFlow`] block follows the minutiae (format version 2).
pub const FLAG_RIDGE_FLOW: u8 = 1;
/// Largest number of minutiae a template may hold (real prints have 20–100).
pub const MAX_MINUTIAE: usize = 1024;
/// Largest image side representable (ISO's 14-bit coordinates).
pub const MAX_DIMENSION: u16 = 16383;
/// Algorithm version recorded for templates imported from ISO/ANSI/xyt files.
pub const ALGORITHM_FOREIGN: u16 = 0;

const HEADER_LEN: usize = 18;
const CRC_LEN: usize = 4;
/// Cell side, columns and rows before the codes of a ridge-flow block.
const FLOW_HEADER_LEN: usize = 5;

/// The minutiae of one finger view (one impression), with the geometry of the image they were
/// found in.
///
/// Coordinates are pixels at `dpi`. Memory: ~16 bytes per minutia plus a small header. Plain data;
/// `Send + Sync`. Matching works on a derived search structure (see `ridgegate-matcher`), not on
/// this persisted form.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Template {
    /// Width of the source image in pixels.
    pub width: u16,
    /// Height of the source image in pixels.
    pub height: u16,
    /// Resolution of the source image in dots per inch.
    pub dpi: u16,
    /// Image quality 0..=100 (higher is better; 0 = unusable or not reported).
    pub quality: u8,
    /// Which finger this view is of.
    pub finger: FingerPosition,
    /// Version of the extractor algorithm that produced it ([`ALGORITHM_FOREIGN`] when imported).
    pub algorithm_version: u16,
    /// The minutiae.
    pub minutiae: Vec<Minutia>,
    /// The coarse ridge orientation map of the impression, when the extractor made one
    /// (`None` for imported ISO/ANSI/xyt templates and format-1 records).
    #[serde(default)]
    pub ridge_flow: Option<RidgeFlow>,
}

impl Template {
    /// An empty template for an image of the given geometry.
    pub fn new(width: u16, height: u16, dpi: u16) -> Self {
        Template {
            width,
            height,
            dpi,
            quality: 0,
            finger: FingerPosition::Unknown,
            algorithm_version: ALGORITHM_FOREIGN,
            minutiae: Vec::new(),
            ridge_flow: None,
        }
    }

    /// Checks every field against the ranges of the format: dimensions, dpi, quality, minutia
    /// count, coordinates inside the image, finite angles in `[0, 2π)`, qualities ≤ 100.
    pub fn validate(&self) -> Result<(), TemplateError> {
        if self.width == 0 || self.width > MAX_DIMENSION {
            return Err(TemplateError::invalid("width", format!("{} not in 1..={MAX_DIMENSION}", self.width)));
        }
        if self.height == 0 || self.height > MAX_DIMENSION {
            return Err(TemplateError::invalid("height", format!("{} not in 1..={MAX_DIMENSION}", self.height)));
        }
        if !crate::image::DPI_RANGE.contains(&(self.dpi as u32)) {
            return Err(TemplateError::invalid("dpi", format!("{} not in 100..=2000", self.dpi)));
        }
        if self.quality > 100 {
            return Err(TemplateError::invalid("quality", format!("{} > 100", self.quality)));
        }
        if self.minutiae.len() > MAX_MINUTIAE {
            return Err(TemplateError::invalid(
                "minutiae",
                format!("{} minutiae, at most {MAX_MINUTIAE}", self.minutiae.len()),
            ));
        }
        for (i, m) in self.minutiae.iter().enumerate() {
            if m.x >= self.width || m.y >= self.height {
                return Err(TemplateError::invalid(
                    "minutia position",
                    format!("minutia {i} at ({}, {}) outside {}x{}", m.x, m.y, self.width, self.height),
                ));
            }
            if !m.angle.is_finite() || !(0.0..std::f32::consts::TAU).contains(&m.angle) {
                return Err(TemplateError::invalid("minutia angle", format!("minutia {i}: {} rad", m.angle)));
            }
            if m.quality > 100 {
                return Err(TemplateError::invalid("minutia quality", format!("minutia {i}: {}", m.quality)));
            }
        }
        if let Some(flow) = &self.ridge_flow {
            flow.validate(self.width, self.height)?;
        }
        Ok(())
    }

    /// Fails with [`TemplateError::AlgorithmMismatch`] unless made by algorithm version `expected`.
    pub fn require_algorithm(&self, expected: u16) -> Result<(), TemplateError> {
        if self.algorithm_version == expected {
            Ok(())
        } else {
            Err(TemplateError::AlgorithmMismatch { found: self.algorithm_version, expected })
        }
    }

    /// Size in bytes of [`Template::encode`]'s output.
    pub fn encoded_len(&self) -> usize {
        let flow = self.ridge_flow.as_ref().map_or(0, |f| FLOW_HEADER_LEN + f.codes.len());
        HEADER_LEN + 8 * self.minutiae.len() + flow + CRC_LEN
    }

    /// Encodes in the native format (see the module docs). Validates first, so an invalid
    /// in-memory template is never written. Angles are quantised to 2π/65536.
    pub fn encode(&self) -> Result<Vec<u8>, TemplateError> {
        self.validate()?;
        let n = self.minutiae.len();
        let mut out = Vec::with_capacity(self.encoded_len());
        out.extend_from_slice(&MAGIC);
        out.push(FORMAT_VERSION);
        out.push(if self.ridge_flow.is_some() { FLAG_RIDGE_FLOW } else { 0 });
        out.extend_from_slice(&self.algorithm_version.to_le_bytes());
        out.extend_from_slice(&self.width.to_le_bytes());
        out.extend_from_slice(&self.height.to_le_bytes());
        out.extend_from_slice(&self.dpi.to_le_bytes());
        out.push(self.quality);
        out.push(self.finger.code());
        out.extend_from_slice(&(n as u16).to_le_bytes());
        for m in &self.minutiae {
            out.extend_from_slice(&m.x.to_le_bytes());
        }
        for m in &self.minutiae {
            out.extend_from_slice(&m.y.to_le_bytes());
        }
        for m in &self.minutiae {
            out.extend_from_slice(&angle_to_u16(m.angle).to_le_bytes());
        }
        out.extend(self.minutiae.iter().map(|m| m.kind.code()));
        out.extend(self.minutiae.iter().map(|m| m.quality));
        if let Some(f) = &self.ridge_flow {
            out.push(f.cell);
            out.extend_from_slice(&f.columns.to_le_bytes());
            out.extend_from_slice(&f.rows.to_le_bytes());
            out.extend_from_slice(&f.codes);
        }
        let crc = crc32fast::hash(&out);
        out.extend_from_slice(&crc.to_le_bytes());
        debug_assert_eq!(out.len(), self.encoded_len());
        Ok(out)
    }

    /// True if `bytes` starts with the native magic.
    pub fn is_native(bytes: &[u8]) -> bool {
        bytes.len() >= 4 && bytes[..4] == MAGIC
    }

    /// Decodes and validates a native template. Never panics; every malformed input is a
    /// [`TemplateError`] (truncation, trailing bytes, checksum, out-of-range fields).
    /// Cost: O(n) with one allocation of the minutia vector.
    pub fn decode(bytes: &[u8]) -> Result<Template, TemplateError> {
        let need = |offset: usize, needed: usize| -> Result<(), TemplateError> {
            if bytes.len() < offset + needed {
                Err(TemplateError::Truncated { offset, needed, available: bytes.len().saturating_sub(offset) })
            } else {
                Ok(())
            }
        };
        need(0, 4)?;
        if bytes[..4] != MAGIC {
            return Err(TemplateError::UnknownFormat(bytes[..4].to_vec()));
        }
        need(0, HEADER_LEN)?;
        let version = bytes[4];
        if version != 1 && version != FORMAT_VERSION {
            return Err(TemplateError::UnsupportedVersion { format: "RidgeGate native", version: version.to_string() });
        }
        let flags = bytes[5];
        let known = if version == 1 { 0 } else { FLAG_RIDGE_FLOW };
        if flags & !known != 0 {
            return Err(TemplateError::invalid(
                "flags",
                format!("flags {flags:#04x} of format version {version}: reserved bits must be 0"),
            ));
        }
        let u16_at = |o: usize| u16::from_le_bytes([bytes[o], bytes[o + 1]]);
        let n = u16_at(16) as usize;
        if n > MAX_MINUTIAE {
            return Err(TemplateError::invalid("minutiae", format!("count {n} exceeds {MAX_MINUTIAE}")));
        }
        let minutiae_end = HEADER_LEN + 8 * n;
        let body_end = if flags & FLAG_RIDGE_FLOW != 0 {
            need(minutiae_end, FLOW_HEADER_LEN)?;
            let cells = u16_at(minutiae_end + 1) as usize * u16_at(minutiae_end + 3) as usize;
            minutiae_end + FLOW_HEADER_LEN + cells
        } else {
            minutiae_end
        };
        need(0, body_end + CRC_LEN)?;
        if bytes.len() != body_end + CRC_LEN {
            return Err(TemplateError::invalid(
                "length",
                format!("{} bytes, expected {} for {n} minutiae", bytes.len(), body_end + CRC_LEN),
            ));
        }
        let stored =
            u32::from_le_bytes([bytes[body_end], bytes[body_end + 1], bytes[body_end + 2], bytes[body_end + 3]]);
        let computed = crc32fast::hash(&bytes[..body_end]);
        if stored != computed {
            return Err(TemplateError::Checksum { stored, computed });
        }
        let finger_code = bytes[15];
        let finger = FingerPosition::from_code(finger_code)
            .ok_or_else(|| TemplateError::invalid("finger", format!("code {finger_code} not in 0..=10")))?;
        let (xs, ys, angles) = (HEADER_LEN, HEADER_LEN + 2 * n, HEADER_LEN + 4 * n);
        let (kinds, quals) = (HEADER_LEN + 6 * n, HEADER_LEN + 7 * n);
        let mut minutiae = Vec::with_capacity(n);
        for i in 0..n {
            let kind = MinutiaKind::from_code(bytes[kinds + i]).ok_or_else(|| {
                TemplateError::invalid("minutia kind", format!("minutia {i}: code {}", bytes[kinds + i]))
            })?;
            minutiae.push(Minutia {
                x: u16_at(xs + 2 * i),
                y: u16_at(ys + 2 * i),
                angle: u16_to_angle(u16_at(angles + 2 * i)),
                kind,
                quality: bytes[quals + i],
            });
        }
        let t = Template {
            width: u16_at(8),
            height: u16_at(10),
            dpi: u16_at(12),
            quality: bytes[14],
            finger,
            algorithm_version: u16_at(6),
            minutiae,
            ridge_flow: (flags & FLAG_RIDGE_FLOW != 0).then(|| RidgeFlow {
                cell: bytes[minutiae_end],
                columns: u16_at(minutiae_end + 1),
                rows: u16_at(minutiae_end + 3),
                codes: bytes[minutiae_end + FLOW_HEADER_LEN..body_end].to_vec(),
            }),
        };
        t.validate()?;
        Ok(t)
    }
}

fn angle_to_u16(a: f32) -> u16 {
    crate::minutia::angle_to_units(a, 65536) as u16
}

fn u16_to_angle(u: u16) -> f32 {
    normalize_angle(crate::minutia::units_to_angle(u as u32, 65536))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn sample(n: usize) -> Template {
        let mut t = Template::new(300, 400, 500);
        t.quality = 77;
        t.finger = FingerPosition::LeftIndex;
        t.algorithm_version = 3;
        for i in 0..n {
            let kind = if i % 2 == 0 { MinutiaKind::Ending } else { MinutiaKind::Bifurcation };
            t.minutiae.push(Minutia::new((i * 5) as u16, (i * 6) as u16, i as f32 * 0.1, kind, (i % 101) as u8));
        }
        t
    }

    #[test]
    fn sixty_minutiae_fit_in_512_bytes() {
        let bytes = sample(60).encode().unwrap();
        assert!(bytes.len() <= 512, "{} bytes", bytes.len());
        assert_eq!(bytes.len(), 502);
    }

    #[test]
    fn round_trip_is_exact_after_one_quantisation() {
        let once = Template::decode(&sample(60).encode().unwrap()).unwrap();
        let twice = Template::decode(&once.encode().unwrap()).unwrap();
        assert_eq!(once, twice);
        for (a, b) in sample(60).minutiae.iter().zip(&once.minutiae) {
            assert_eq!((a.x, a.y, a.kind, a.quality), (b.x, b.y, b.kind, b.quality));
            assert!((a.angle - b.angle).abs() < 1e-4);
        }
    }

    #[test]
    fn every_truncation_is_an_error() {
        let bytes = sample(10).encode().unwrap();
        for len in 0..bytes.len() {
            assert!(Template::decode(&bytes[..len]).is_err(), "prefix of {len} bytes accepted");
        }
    }

    #[test]
    fn corruption_is_detected() {
        let bytes = sample(10).encode().unwrap();
        let mut bad = bytes.clone();
        bad[20] ^= 0x40;
        assert!(matches!(Template::decode(&bad), Err(TemplateError::Checksum { .. })));
        let mut extra = bytes.clone();
        extra.push(0);
        assert!(Template::decode(&extra).is_err());
    }

    fn with_flow(mut t: Template) -> Template {
        let (columns, rows) = (t.width.div_ceil(16), t.height.div_ceil(16));
        let codes =
            (0..columns as usize * rows as usize).map(|i| if i % 7 == 0 { 255 } else { (i % 180) as u8 }).collect();
        t.ridge_flow = Some(RidgeFlow { cell: 16, columns, rows, codes });
        t
    }

    /// `bytes` relabelled as format version 1 (same layout without a ridge flow), CRC fixed.
    fn as_version_1(bytes: &[u8]) -> Vec<u8> {
        let mut v1 = bytes[..bytes.len() - CRC_LEN].to_vec();
        v1[4] = 1;
        let crc = crc32fast::hash(&v1);
        v1.extend_from_slice(&crc.to_le_bytes());
        v1
    }

    #[test]
    fn a_ridge_flow_round_trips_and_costs_one_byte_per_cell() {
        let t = with_flow(sample(60));
        let bytes = t.encode().unwrap();
        // 19 × 25 cells of 16 px for 300 × 400 px.
        assert_eq!(bytes.len(), 502 + 5 + 19 * 25);
        assert_eq!(bytes[5], FLAG_RIDGE_FLOW);
        let back = Template::decode(&bytes).unwrap();
        assert_eq!(back.ridge_flow, t.ridge_flow);
        for len in 0..bytes.len() {
            assert!(Template::decode(&bytes[..len]).is_err(), "prefix of {len} bytes accepted");
        }
    }

    #[test]
    fn format_version_1_records_still_decode_without_a_ridge_flow() {
        let t = Template::decode(&sample(12).encode().unwrap()).unwrap(); // angles quantised
        let v1 = as_version_1(&t.encode().unwrap());
        assert_eq!(Template::decode(&v1).unwrap(), t);
        // Version 1 knows no flags: a ridge-flow flag there is an error, not a silent guess.
        let flagged = as_version_1(&with_flow(sample(12)).encode().unwrap());
        assert!(matches!(Template::decode(&flagged), Err(TemplateError::Invalid { field: "flags", .. })));
    }

    #[test]
    fn a_corrupt_ridge_flow_is_refused_by_validation() {
        let mut t = with_flow(sample(5));
        t.ridge_flow.as_mut().unwrap().codes[3] = 200;
        assert!(matches!(t.encode(), Err(TemplateError::Invalid { field: "ridge flow", .. })));
        let mut t = with_flow(sample(5));
        t.ridge_flow.as_mut().unwrap().columns += 1;
        assert!(t.encode().is_err());
    }

    #[test]
    fn invalid_in_memory_template_is_not_encoded() {
        let mut t = sample(3);
        t.minutiae[1].x = 300;
        assert!(matches!(t.encode(), Err(TemplateError::Invalid { field: "minutia position", .. })));
    }

    #[test]
    fn algorithm_version_is_checked_on_request() {
        let t = sample(1);
        assert!(t.require_algorithm(3).is_ok());
        assert!(matches!(t.require_algorithm(4), Err(TemplateError::AlgorithmMismatch { found: 3, expected: 4 })));
    }

    proptest! {
        #[test]
        fn decode_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..600)) {
            let _ = Template::decode(&bytes);
        }

        #[test]
        fn decode_with_valid_magic_never_panics(tail in proptest::collection::vec(any::<u8>(), 0..600)) {
            let mut bytes = MAGIC.to_vec();
            bytes.push(FORMAT_VERSION);
            bytes.extend(tail);
            let _ = Template::decode(&bytes);
        }

        #[test]
        fn arbitrary_valid_templates_round_trip(
            w in 1u16..2000, h in 1u16..2000, dpi in 100u16..=2000, q in 0u8..=100,
            raw in proptest::collection::vec((any::<u16>(), any::<u16>(), 0u16..=u16::MAX, 0u8..3, 0u8..=100), 0..120),
            flow in proptest::option::of((8u8..=64, any::<u64>()))
        ) {
            let mut t = Template::new(w, h, dpi);
            if let Some((cell, seed)) = flow {
                let (columns, rows) = (w.div_ceil(cell as u16), h.div_ceil(cell as u16));
                let codes = (0..columns as u64 * rows as u64)
                    .map(|i| { let v = (seed ^ i.wrapping_mul(0x9E37_79B9_7F4A_7C15)) % 181; if v == 180 { 255 } else { v as u8 } })
                    .collect();
                t.ridge_flow = Some(RidgeFlow { cell, columns, rows, codes });
            }
            t.quality = q;
            for (x, y, a, k, mq) in raw {
                t.minutiae.push(Minutia {
                    x: x % w, y: y % h, angle: u16_to_angle(a),
                    kind: MinutiaKind::from_code(k).unwrap(), quality: mq,
                });
            }
            let back = Template::decode(&t.encode().unwrap()).unwrap();
            prop_assert_eq!(back, t);
        }
    }
}
