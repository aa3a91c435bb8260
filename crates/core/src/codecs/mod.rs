//! Interchange template codecs and format auto-detection.
//!
//! | format | read | write | angle unit |
//! |---|---|---|---|
//! | RidgeGate native ([`crate::template`]) | ✓ | ✓ | 2π/65536 |
//! | ISO/IEC 19794-2:2005 | ✓ | ✓ | 1.40625° |
//! | ISO/IEC 19794-2:2011 | ✓ | ✓ | 1.40625° |
//! | ANSI INCITS 378-2004 | ✓ | ✓ | 2° |
//! | ANSI INCITS 378-2009 (+ Amendment 1) | ✓ | ✓ (2009) | 2° |
//! | NBIS xyt, M1 representation ([`xyt`]) | ✓ | ✓ | 1° |
//!
//! Interchange records can hold several finger views, so [`import`] returns one [`Template`] per
//! view and [`export`] takes a slice. Every decoder checks every declared length against the
//! actual bytes and never panics; errors are [`TemplateError`]s. Imported templates carry
//! algorithm version [`crate::template::ALGORITHM_FOREIGN`]. All functions are pure and
//! thread-safe; cost is linear in the record size.

mod iso_ansi;
mod reader;
pub mod xyt;

pub use iso_ansi::{
    CBEFF_OWNER, CBEFF_TYPE, decode_ansi2004, decode_ansi2009, decode_iso2005, decode_iso2011, encode_ansi2004,
    encode_ansi2009, encode_iso2005, encode_iso2011,
};
pub use xyt::XytOptions;

use crate::error::TemplateError;
use crate::template::Template;

/// The template formats RidgeGate reads and writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TemplateFormat {
    /// RidgeGate's own format (`RGTM`).
    Native,
    /// ISO/IEC 19794-2:2005.
    Iso2005,
    /// ISO/IEC 19794-2:2011.
    Iso2011,
    /// ANSI INCITS 378-2004.
    Ansi2004,
    /// ANSI INCITS 378-2009 (also reads Amendment 1, version "035").
    Ansi2009,
    /// NBIS xyt text (M1 representation).
    Xyt,
}

impl TemplateFormat {
    /// All formats.
    pub const ALL: [TemplateFormat; 6] =
        [Self::Native, Self::Iso2005, Self::Iso2011, Self::Ansi2004, Self::Ansi2009, Self::Xyt];

    /// Short name used by the CLI (`native`, `iso`, `iso2011`, `ansi`, `ansi2009`, `xyt`).
    pub fn name(self) -> &'static str {
        match self {
            Self::Native => "native",
            Self::Iso2005 => "iso",
            Self::Iso2011 => "iso2011",
            Self::Ansi2004 => "ansi",
            Self::Ansi2009 => "ansi2009",
            Self::Xyt => "xyt",
        }
    }

    /// Human-readable name of the standard.
    pub fn description(self) -> &'static str {
        match self {
            Self::Native => "RidgeGate native template",
            Self::Iso2005 => "ISO/IEC 19794-2:2005 finger minutiae record",
            Self::Iso2011 => "ISO/IEC 19794-2:2011 finger minutiae record",
            Self::Ansi2004 => "ANSI INCITS 378-2004 finger minutiae record",
            Self::Ansi2009 => "ANSI INCITS 378-2009 finger minutiae record",
            Self::Xyt => "NBIS xyt minutiae text (M1 representation)",
        }
    }

    /// Parses a CLI name (see [`TemplateFormat::name`]; also accepts `iso2005`, `ansi2004`, `rgt`).
    pub fn from_name(name: &str) -> Option<Self> {
        match name.to_ascii_lowercase().as_str() {
            "native" | "rgt" => Some(Self::Native),
            "iso" | "iso2005" => Some(Self::Iso2005),
            "iso2011" => Some(Self::Iso2011),
            "ansi" | "ansi2004" => Some(Self::Ansi2004),
            "ansi2009" => Some(Self::Ansi2009),
            "xyt" => Some(Self::Xyt),
            _ => None,
        }
    }

    /// Detects the format from content (never from a file name). `None` if unknown.
    pub fn detect(bytes: &[u8]) -> Option<Self> {
        if Template::is_native(bytes) {
            return Some(Self::Native);
        }
        if bytes.len() >= 8 && bytes[..4] == *b"FMR\0" {
            return match &bytes[4..8] {
                b" 20\0" | b"020\0" => {
                    Some(if iso_ansi::looks_like_ansi2004(bytes) { Self::Ansi2004 } else { Self::Iso2005 })
                }
                b"035\0" => Some(Self::Ansi2009),
                b"030\0" => Some(if decode_iso2011(bytes).is_ok() { Self::Iso2011 } else { Self::Ansi2009 }),
                _ => None,
            };
        }
        if xyt::looks_like_xyt(bytes) {
            return Some(Self::Xyt);
        }
        None
    }
}

impl std::fmt::Display for TemplateFormat {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// Detects the format and decodes all views. xyt input gets default geometry ([`XytOptions`]).
pub fn import(bytes: &[u8]) -> Result<(TemplateFormat, Vec<Template>), TemplateError> {
    import_with(bytes, XytOptions::default())
}

/// Like [`import`], with the geometry to use for xyt input.
pub fn import_with(bytes: &[u8], xyt_options: XytOptions) -> Result<(TemplateFormat, Vec<Template>), TemplateError> {
    let format = TemplateFormat::detect(bytes).ok_or_else(|| unknown_format(bytes))?;
    Ok((format, decode_as(bytes, format, xyt_options)?))
}

fn unknown_format(bytes: &[u8]) -> TemplateError {
    if bytes.len() >= 8 && bytes[..4] == *b"FMR\0" {
        return TemplateError::UnsupportedVersion {
            format: "FMR record",
            version: String::from_utf8_lossy(&bytes[4..7]).into_owned(),
        };
    }
    TemplateError::UnknownFormat(bytes[..bytes.len().min(8)].to_vec())
}

/// Decodes bytes known to be in `format`.
pub fn decode_as(
    bytes: &[u8],
    format: TemplateFormat,
    xyt_options: XytOptions,
) -> Result<Vec<Template>, TemplateError> {
    match format {
        TemplateFormat::Native => Ok(vec![Template::decode(bytes)?]),
        TemplateFormat::Iso2005 => decode_iso2005(bytes),
        TemplateFormat::Iso2011 => decode_iso2011(bytes),
        TemplateFormat::Ansi2004 => decode_ansi2004(bytes),
        TemplateFormat::Ansi2009 => decode_ansi2009(bytes),
        TemplateFormat::Xyt => Ok(vec![xyt::decode(bytes, xyt_options)?]),
    }
}

/// Encodes templates in `format`. Native and xyt hold exactly one view; ISO/ANSI up to 255.
pub fn export(templates: &[Template], format: TemplateFormat) -> Result<Vec<u8>, TemplateError> {
    let single = |fmt: &'static str| -> Result<&Template, TemplateError> {
        match templates {
            [t] => Ok(t),
            _ => Err(TemplateError::Unrepresentable {
                format: fmt,
                reason: format!("holds one view, got {}", templates.len()),
            }),
        }
    };
    match format {
        TemplateFormat::Native => single("native")?.encode(),
        TemplateFormat::Iso2005 => encode_iso2005(templates),
        TemplateFormat::Iso2011 => encode_iso2011(templates),
        TemplateFormat::Ansi2004 => encode_ansi2004(templates),
        TemplateFormat::Ansi2009 => encode_ansi2009(templates),
        TemplateFormat::Xyt => xyt::encode(single("xyt")?),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::finger::FingerPosition;
    use crate::minutia::{Minutia, MinutiaKind, units_to_angle};
    use proptest::prelude::*;

    fn arb_template() -> impl Strategy<Value = Template> {
        (64u16..2000, 64u16..2000, prop::sample::select(vec![500u16, 1000, 569, 250]), 0u8..=100, 0u8..=10)
            .prop_flat_map(|(w, h, dpi, q, f)| {
                prop::collection::vec((0..w, 0..h, 0u32..180, 0u8..3, 0u8..=100), 1..80).prop_map(move |ms| {
                    let mut t = Template::new(w, h, dpi);
                    t.quality = q;
                    t.finger = FingerPosition::from_code(f).unwrap();
                    // Angles on the 2-degree grid survive every format exactly.
                    t.minutiae = ms
                        .into_iter()
                        .map(|(x, y, a, k, mq)| {
                            Minutia::new(x, y, units_to_angle(a, 180), MinutiaKind::from_code(k).unwrap(), mq)
                        })
                        .collect();
                    t
                })
            })
    }

    fn close(a: f32, b: f32) -> bool {
        let d = (a - b).rem_euclid(std::f32::consts::TAU);
        d.min(std::f32::consts::TAU - d) < 0.8f32.to_radians()
    }

    proptest! {
        #[test]
        fn every_binary_format_round_trips(t in arb_template()) {
            for format in [TemplateFormat::Native, TemplateFormat::Iso2005, TemplateFormat::Iso2011, TemplateFormat::Ansi2004, TemplateFormat::Ansi2009] {
                let bytes = export(std::slice::from_ref(&t), format).unwrap();
                let (detected, back) = import(&bytes).unwrap();
                prop_assert_eq!(detected, format);
                prop_assert_eq!(back.len(), 1);
                let b = &back[0];
                prop_assert_eq!((b.width, b.height, b.finger, b.quality), (t.width, t.height, t.finger, t.quality));
                // px/cm storage rounds the dpi by at most 2 dpi
                prop_assert!((b.dpi as i32 - t.dpi as i32).abs() <= 2, "{} vs {}", b.dpi, t.dpi);
                for (m, n) in t.minutiae.iter().zip(&b.minutiae) {
                    prop_assert_eq!((m.x, m.y, m.kind, m.quality), (n.x, n.y, n.kind, n.quality));
                    prop_assert!(close(m.angle, n.angle), "{} vs {}", m.angle, n.angle);
                }
            }
        }

        #[test]
        fn xyt_round_trips(t in arb_template()) {
            let bytes = export(std::slice::from_ref(&t), TemplateFormat::Xyt).unwrap();
            prop_assert_eq!(TemplateFormat::detect(&bytes), Some(TemplateFormat::Xyt));
            let b = xyt::decode(&bytes, XytOptions { width: Some(t.width), height: Some(t.height), dpi: Some(t.dpi) }).unwrap();
            for (m, n) in t.minutiae.iter().zip(&b.minutiae) {
                prop_assert_eq!((m.x, m.y, m.quality), (n.x, n.y, n.quality));
                prop_assert!(close(m.angle, n.angle));
            }
        }

        #[test]
        fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..400)) {
            let _ = import(&bytes);
        }

        #[test]
        fn arbitrary_bytes_after_fmr_headers_never_panic(
            version in prop::sample::select(vec![*b" 20\0", *b"030\0", *b"035\0", *b"020\0"]),
            tail in prop::collection::vec(any::<u8>(), 0..400),
        ) {
            let mut bytes = b"FMR\0".to_vec();
            bytes.extend_from_slice(&version);
            bytes.extend(tail);
            let _ = import(&bytes);
            for f in TemplateFormat::ALL {
                let _ = decode_as(&bytes, f, XytOptions::default());
            }
        }
    }

    #[test]
    fn multi_view_records_keep_views_and_refuse_single_view_formats() {
        let mut a = Template::new(300, 400, 500);
        a.finger = FingerPosition::LeftThumb;
        a.minutiae.push(Minutia::new(10, 20, 1.0, MinutiaKind::Ending, 50));
        let mut b = a.clone();
        b.finger = FingerPosition::RightThumb;
        let bytes = export(&[a.clone(), b.clone(), a.clone()], TemplateFormat::Iso2005).unwrap();
        let (_, views) = import(&bytes).unwrap();
        assert_eq!(views.iter().map(|v| v.finger).collect::<Vec<_>>(), vec![a.finger, b.finger, a.finger]);
        assert!(matches!(export(&[a.clone(), b], TemplateFormat::Native), Err(TemplateError::Unrepresentable { .. })));
        assert!(matches!(export(&[], TemplateFormat::Iso2005), Err(TemplateError::Unrepresentable { .. })));
    }

    #[test]
    fn unknown_inputs_are_typed_errors() {
        assert!(matches!(import(b""), Err(TemplateError::UnknownFormat(_))));
        assert!(matches!(import(b"FMR\0 99\0xxxxxxxx"), Err(TemplateError::UnsupportedVersion { .. })));
        assert!(matches!(import(b"1 2 3\n4 5\n"), Err(TemplateError::UnknownFormat(_))));
        assert!(matches!(
            xyt::decode(b"1 2 3\n4 5\n", XytOptions::default()),
            Err(TemplateError::Parse { line: 2, .. })
        ));
    }
}
