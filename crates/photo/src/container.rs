//! Bounded, panic-free JPEG marker walk: frame size, components, precision, JFIF and EXIF density.

use crate::PhotoError;

/// What the JPEG headers say, before any pixel is decoded.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct JpegHeader {
    /// Frame width in px (SOF).
    pub width: u32,
    /// Frame height in px (SOF).
    pub height: u32,
    /// Colour components: 1 = greyscale, 3 = YCbCr/RGB, 4 = CMYK.
    pub components: u8,
    /// Bits per sample (8 for 24-bit colour).
    pub precision: u8,
    /// Horizontal and vertical density in dots per inch from JFIF APP0, if the unit is dpi or dpcm.
    pub jfif_dpi: Option<(f32, f32)>,
    /// X and Y resolution in dpi from EXIF IFD0, if present.
    pub exif_dpi: Option<(f32, f32)>,
}

fn be16(b: &[u8], i: usize) -> Option<u16> {
    Some(u16::from_be_bytes([*b.get(i)?, *b.get(i + 1)?]))
}

/// Walks the markers up to the first SOF. Cost O(number of header bytes); thread-safe (pure).
/// Errors: not a JPEG, truncated headers, no frame header.
pub fn parse_header(bytes: &[u8]) -> Result<JpegHeader, PhotoError> {
    if bytes.len() < 4 || bytes[0] != 0xFF || bytes[1] != 0xD8 {
        return Err(PhotoError::NotJpeg);
    }
    let mut i = 2usize;
    let mut jfif = None;
    let mut exif = None;
    while i + 4 <= bytes.len() {
        if bytes[i] != 0xFF {
            return Err(PhotoError::Corrupt(format!("expected a marker at byte {i}")));
        }
        let marker = bytes[i + 1];
        if marker == 0xFF {
            i += 1;
            continue;
        }
        let len = be16(bytes, i + 2).ok_or_else(|| PhotoError::Corrupt("truncated marker".into()))? as usize;
        if len < 2 || i + 2 + len > bytes.len() {
            return Err(PhotoError::Corrupt(format!("segment 0x{marker:02X} at byte {i} runs past the end")));
        }
        let seg = &bytes[i + 4..i + 2 + len];
        match marker {
            0xE0 if seg.starts_with(b"JFIF\0") && seg.len() >= 12 => {
                let unit = seg[7];
                let (x, y) = (be16(seg, 8).unwrap_or(0) as f32, be16(seg, 10).unwrap_or(0) as f32);
                jfif = match unit {
                    1 => Some((x, y)),
                    2 => Some((x * 2.54, y * 2.54)),
                    _ => None,
                };
            }
            0xE1 if seg.starts_with(b"Exif\0\0") => exif = parse_exif_dpi(&seg[6..]),
            0xC0..=0xCF if marker != 0xC4 && marker != 0xC8 && marker != 0xCC => {
                if seg.len() < 6 {
                    return Err(PhotoError::Corrupt("frame header too short".into()));
                }
                return Ok(JpegHeader {
                    precision: seg[0],
                    height: be16(seg, 1).unwrap_or(0) as u32,
                    width: be16(seg, 3).unwrap_or(0) as u32,
                    components: seg[5],
                    jfif_dpi: jfif,
                    exif_dpi: exif,
                });
            }
            0xDA | 0xD9 => break,
            _ => {}
        }
        i += 2 + len;
    }
    Err(PhotoError::Corrupt("no frame header (SOF) before the image data".into()))
}

/// Reads XResolution/YResolution/ResolutionUnit from a TIFF block; None on anything malformed.
fn parse_exif_dpi(t: &[u8]) -> Option<(f32, f32)> {
    let le = match t.get(0..2)? {
        b"II" => true,
        b"MM" => false,
        _ => return None,
    };
    let r16 = |i: usize| -> Option<u16> {
        let b = [*t.get(i)?, *t.get(i + 1)?];
        Some(if le { u16::from_le_bytes(b) } else { u16::from_be_bytes(b) })
    };
    let r32 = |i: usize| -> Option<u32> {
        let b = [*t.get(i)?, *t.get(i + 1)?, *t.get(i + 2)?, *t.get(i + 3)?];
        Some(if le { u32::from_le_bytes(b) } else { u32::from_be_bytes(b) })
    };
    let ifd = r32(4)? as usize;
    let n = r16(ifd)? as usize;
    let (mut x, mut y, mut unit) = (None, None, 2u16);
    for k in 0..n.min(256) {
        let e = ifd.checked_add(2 + 12 * k)?;
        let tag = r16(e)?;
        let rational = |e: usize| -> Option<f32> {
            let off = r32(e + 8)? as usize;
            let (num, den) = (r32(off)?, r32(off.checked_add(4)?)?);
            (den != 0).then(|| num as f32 / den as f32)
        };
        match tag {
            0x011A => x = rational(e),
            0x011B => y = rational(e),
            0x0128 => unit = r16(e + 8)?,
            _ => {}
        }
    }
    let scale = match unit {
        2 => 1.0,
        3 => 2.54,
        _ => return None,
    };
    Some((x? * scale, y? * scale))
}
