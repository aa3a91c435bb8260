//! ISO/IEC 19794-2 (2005, 2011) and ANSI INCITS 378 (2004, 2009 incl. Amendment 1) finger minutiae
//! records. Layouts: see `docs` in the repository's shared reference (`formats.md` §1) — summarised
//! at each function. All integers are big-endian.
//!
//! Import yields one [`Template`] per finger view. Extended data (ridge counts, cores/deltas,
//! zonal quality, vendor data) is skipped by its declared block length, bounds-checked.
//! A declared total length longer than the input is a [`TemplateError::Truncated`] error.
//! Parsing then follows the structure over all bytes given: public samples declare lengths off
//! by one or two in both directions (the FingerprintIO ANSI-2004 sample declares the ISO length,
//! 2 bytes short), so the declared length is a lower bound on the bytes present, not a parse limit.

use super::reader::{PutBe, Reader};
use crate::error::TemplateError;
use crate::finger::FingerPosition;
use crate::minutia::{Minutia, MinutiaKind, angle_to_units, units_to_angle};
use crate::template::{ALGORITHM_FOREIGN, MAX_DIMENSION, Template};

/// `FMR\0`.
pub const MAGIC: [u8; 4] = *b"FMR\0";
/// CBEFF product identifier RidgeGate writes into ANSI records: owner 0x0103 and type 0x0001.
/// The owner is not registered with IBIA; readers only require it to be non-zero.
pub const CBEFF_OWNER: u16 = 0x0103;
/// CBEFF product type written with [`CBEFF_OWNER`].
pub const CBEFF_TYPE: u16 = 0x0001;

/// Angle units per full turn: ISO uses 256 (1.40625°), ANSI 180 (2°).
const ISO_UNITS: u32 = 256;
const ANSI_UNITS: u32 = 180;

/// px/cm ↔ dpi.
fn dpi_from_ppcm(ppcm: u16) -> Result<u16, TemplateError> {
    let dpi = (ppcm as f64 * 2.54).round();
    if !(100.0..=2000.0).contains(&dpi) {
        return Err(TemplateError::invalid("resolution", format!("{ppcm} px/cm = {dpi} dpi, outside 100..=2000 dpi")));
    }
    Ok(dpi as u16)
}
fn ppcm_from_dpi(dpi: u16) -> u16 {
    (dpi as f64 / 2.54).round() as u16
}

fn finger_from_code(code: u8) -> FingerPosition {
    // Multi-finger and palm codes cannot label a minutiae view of one finger: treat as unknown.
    FingerPosition::from_code(code).unwrap_or(FingerPosition::Unknown)
}

/// Reads `n` minutiae of `size` (5 or 6) bytes.
fn read_minutiae(r: &mut Reader, n: usize, size: usize, units: u32) -> Result<Vec<Minutia>, TemplateError> {
    let mut out = Vec::with_capacity(n.min(r.remaining() / size.max(1)));
    for i in 0..n {
        let xw = r.u16()?;
        let yw = r.u16()?;
        let a = r.u8()? as u32;
        let q = if size == 6 { r.u8()? } else { 0 };
        let kind = MinutiaKind::from_code((xw >> 14) as u8)
            .ok_or_else(|| TemplateError::invalid("minutia type", format!("minutia {i}: type bits 11 are invalid")))?;
        // ANSI allows 0..=179; some public writers (e.g. the FingerprintIO sample) store larger
        // values. They are read as a·2° wrapped to one turn, as SourceAFIS does; we always write
        // in range.
        out.push(Minutia {
            x: xw & 0x3FFF,
            y: yw & 0x3FFF,
            angle: units_to_angle(a % units, units),
            kind,
            // 2011 uses 254 = not computed, 255 = failed: both mean "no quality" here.
            quality: if q > 100 { 0 } else { q },
        });
    }
    Ok(out)
}

fn write_minutiae(out: &mut Vec<u8>, t: &Template, units: u32) {
    for m in &t.minutiae {
        out.put_u16(((m.kind.code() as u16) << 14) | (m.x & 0x3FFF));
        out.put_u16(m.y & 0x3FFF);
        out.push(angle_to_units(m.angle, units) as u8);
        out.push(m.quality);
    }
}

/// Skips an extended data block (`u16` length + data). For the last view of a record, a block
/// that overruns the end by at most [`EXTENDED_SLACK`] bytes is accepted (the NIST biomdi ISO
/// sample declares one byte more than it holds: the length-semantics ambiguity of §1.6); its
/// content is not used.
fn skip_extended(r: &mut Reader, last_view: bool) -> Result<(), TemplateError> {
    let len = r.u16()? as usize;
    if last_view && len > r.remaining() && len - r.remaining() <= EXTENDED_SLACK {
        return r.skip(r.remaining());
    }
    r.skip(len)
}

/// Bytes an extended data block of the last view may overrun the record (see [`skip_extended`]).
const EXTENDED_SLACK: usize = 2;

fn finish(mut t: Template, view: usize) -> Result<Template, TemplateError> {
    t.algorithm_version = ALGORITHM_FOREIGN;
    t.validate().map_err(|e| match e {
        TemplateError::Invalid { field, reason } => {
            TemplateError::Invalid { field, reason: format!("view {view}: {reason}") }
        }
        other => other,
    })?;
    Ok(t)
}

fn check_declared_length(declared: usize, available: usize, min: usize) -> Result<(), TemplateError> {
    if declared < min {
        return Err(TemplateError::invalid("record length", format!("{declared} is less than the {min}-byte header")));
    }
    if declared > available {
        return Err(TemplateError::Truncated { offset: available, needed: declared - available, available: 0 });
    }
    Ok(())
}

fn check_templates(templates: &[Template], format: &'static str, max_views: usize) -> Result<(), TemplateError> {
    if templates.is_empty() || templates.len() > max_views {
        return Err(TemplateError::Unrepresentable {
            format,
            reason: format!("{} views; 1..={max_views} fit", templates.len()),
        });
    }
    for t in templates {
        t.validate()?;
        if t.minutiae.len() > 255 {
            return Err(TemplateError::Unrepresentable {
                format,
                reason: format!("{} minutiae; at most 255", t.minutiae.len()),
            });
        }
    }
    Ok(())
}

/// View numbers: the n-th view of the same finger gets n (0..=15).
fn view_numbers(templates: &[Template]) -> Result<Vec<u8>, TemplateError> {
    let mut counts = [0u8; 11];
    templates
        .iter()
        .map(|t| {
            let c = &mut counts[t.finger.code() as usize];
            let v = *c;
            if v > 15 {
                return Err(TemplateError::Unrepresentable {
                    format: "ISO/ANSI",
                    reason: "more than 16 views of one finger".into(),
                });
            }
            *c += 1;
            Ok(v)
        })
        .collect()
}

// ---------------------------------------------------------------------------------------------
// ISO/IEC 19794-2:2005 — header 24 bytes: magic, " 20\0", u32 length, u16 equipment, u16 width,
// u16 height, u16 x res, u16 y res (px/cm), u8 views, u8 reserved. View: finger, view|impression,
// quality, count, 6-byte minutiae, u16 extended length + data.

/// Decodes an ISO/IEC 19794-2:2005 record.
pub fn decode_iso2005(bytes: &[u8]) -> Result<Vec<Template>, TemplateError> {
    let mut r = Reader::new(bytes);
    r.skip(8)?;
    let declared = r.u32()? as usize;
    check_declared_length(declared, bytes.len(), 24)?;
    decode_2004_body(&mut r, ISO_UNITS)
}

/// Shared body of ISO 2005 and ANSI 2004 after the length/CBEFF fields.
fn decode_2004_body(r: &mut Reader, units: u32) -> Result<Vec<Template>, TemplateError> {
    let _equipment = r.u16()?;
    let width = r.u16()?;
    let height = r.u16()?;
    let xres = r.u16()?;
    let _yres = r.u16()?;
    let views = r.u8()? as usize;
    let _reserved = r.u8()?;
    let dpi = dpi_from_ppcm(xres)?;
    let mut out = Vec::with_capacity(views);
    for v in 0..views {
        let finger = finger_from_code(r.u8()?);
        let _view_impression = r.u8()?;
        let quality = r.u8()?;
        let n = r.u8()? as usize;
        let minutiae = read_minutiae(r, n, 6, units)?;
        skip_extended(r, v + 1 == views)?;
        let mut t = Template::new(width, height, dpi);
        t.finger = finger;
        t.quality = quality.min(100);
        t.minutiae = minutiae;
        out.push(finish(t, v)?);
    }
    if out.is_empty() {
        return Err(TemplateError::invalid("views", "record holds no finger view"));
    }
    Ok(out)
}

/// Common geometry of all views, required by the 2005/2004 header.
fn common_geometry(templates: &[Template], format: &'static str) -> Result<(u16, u16, u16), TemplateError> {
    let t0 = &templates[0];
    if templates.iter().any(|t| (t.width, t.height, t.dpi) != (t0.width, t0.height, t0.dpi)) {
        return Err(TemplateError::Unrepresentable { format, reason: "views differ in image size or dpi".into() });
    }
    Ok((t0.width, t0.height, t0.dpi))
}

fn encode_2004_body(
    out: &mut Vec<u8>,
    templates: &[Template],
    units: u32,
    format: &'static str,
) -> Result<(), TemplateError> {
    let (w, h, dpi) = common_geometry(templates, format)?;
    let views = view_numbers(templates)?;
    out.put_u16(0); // capture equipment: unknown
    out.put_u16(w);
    out.put_u16(h);
    out.put_u16(ppcm_from_dpi(dpi));
    out.put_u16(ppcm_from_dpi(dpi));
    out.push(templates.len() as u8);
    out.push(0);
    for (t, v) in templates.iter().zip(views) {
        out.push(t.finger.code());
        out.push(v << 4); // impression type 0: live-scan plain
        out.push(t.quality);
        out.push(t.minutiae.len() as u8);
        write_minutiae(out, t, units);
        out.put_u16(0); // no extended data
    }
    Ok(())
}

/// Encodes an ISO/IEC 19794-2:2005 record (all views must share image size and dpi).
pub fn encode_iso2005(templates: &[Template]) -> Result<Vec<u8>, TemplateError> {
    check_templates(templates, "ISO 19794-2:2005", 255)?;
    let mut out = Vec::new();
    out.extend_from_slice(&MAGIC);
    out.extend_from_slice(b" 20\0");
    out.put_u32(0);
    encode_2004_body(&mut out, templates, ISO_UNITS, "ISO 19794-2:2005")?;
    let len = out.len() as u32;
    out[8..12].copy_from_slice(&len.to_be_bytes());
    Ok(out)
}

// ---------------------------------------------------------------------------------------------
// ANSI INCITS 378-2004 — like ISO 2005 but u16 length (0 → u32 follows), then a 4-byte CBEFF
// product ID; angles in 2° units.

/// Decodes an ANSI INCITS 378-2004 record.
pub fn decode_ansi2004(bytes: &[u8]) -> Result<Vec<Template>, TemplateError> {
    let mut r = Reader::new(bytes);
    r.skip(8)?;
    let short = r.u16()? as usize;
    let (declared, header, length_field) = if short == 0 { (r.u32()? as usize, 30, 6) } else { (short, 26, 2) };
    check_declared_length(declared, bytes.len(), header)?;
    let mut r = Reader::new(bytes);
    r.skip(8 + length_field)?;
    let _cbeff = r.u32()?;
    decode_2004_body(&mut r, ANSI_UNITS)
}

/// Encodes an ANSI INCITS 378-2004 record.
pub fn encode_ansi2004(templates: &[Template]) -> Result<Vec<u8>, TemplateError> {
    check_templates(templates, "ANSI 378-2004", 255)?;
    let mut body = Vec::new();
    body.put_u16(CBEFF_OWNER);
    body.put_u16(CBEFF_TYPE);
    encode_2004_body(&mut body, templates, ANSI_UNITS, "ANSI 378-2004")?;
    let mut out = Vec::new();
    out.extend_from_slice(&MAGIC);
    out.extend_from_slice(b" 20\0");
    let short_total = 8 + 2 + body.len();
    if short_total <= 0xFFFF {
        out.put_u16(short_total as u16);
    } else {
        out.put_u16(0);
        out.put_u32((short_total + 4) as u32);
    }
    out.extend(body);
    Ok(out)
}

// ---------------------------------------------------------------------------------------------
// ISO/IEC 19794-2:2011 — general header 15 bytes; per representation: u32 length, 9-byte date,
// technology, vendor, type, quality blocks, [certifications], finger, representation number,
// x/y sampling rate (px/cm), impression type, width, height, minutia size/ending type, count,
// minutiae (5 or 6 bytes), u16 extended length + data.

/// Decodes an ISO/IEC 19794-2:2011 record.
pub fn decode_iso2011(bytes: &[u8]) -> Result<Vec<Template>, TemplateError> {
    let mut r = Reader::new(bytes);
    r.skip(8)?;
    let declared = r.u32()? as usize;
    check_declared_length(declared, bytes.len(), 15)?;
    let reps = r.u16()? as usize;
    let certified = r.u8()?;
    if certified > 1 {
        return Err(TemplateError::invalid("certification flag", format!("{certified} is not 0 or 1")));
    }
    let mut out = Vec::new();
    for v in 0..reps {
        let start = r.pos();
        let rep_len = r.u32()? as usize;
        if rep_len < 39 {
            return Err(TemplateError::invalid("representation length", format!("{rep_len} < 39")));
        }
        r.skip(9)?; // capture date and time
        r.skip(1 + 2 + 2)?; // technology, vendor, device type
        let qblocks = r.u8()? as usize;
        let mut quality = 0u8;
        for i in 0..qblocks {
            let q = r.u8()?;
            r.skip(4)?;
            if i == 0 && q <= 100 {
                quality = q;
            }
        }
        if certified == 1 {
            let certs = r.u8()? as usize;
            r.skip(3 * certs)?;
        }
        let finger = finger_from_code(r.u8()?);
        let _rep_number = r.u8()?;
        let xres = r.u16()?;
        let _yres = r.u16()?;
        let _impression = r.u8()?;
        let width = r.u16()?;
        let height = r.u16()?;
        let field = r.u8()?;
        let size = (field >> 4) as usize;
        if size != 5 && size != 6 {
            return Err(TemplateError::invalid("minutia field length", format!("{size} is not 5 or 6")));
        }
        let n = r.u8()? as usize;
        let minutiae = read_minutiae(&mut r, n, size, ISO_UNITS)?;
        skip_extended(&mut r, v + 1 == reps)?;
        if r.pos() - start != rep_len {
            return Err(TemplateError::invalid(
                "representation length",
                format!("declared {rep_len}, content is {} bytes", r.pos() - start),
            ));
        }
        let mut t = Template::new(width, height, dpi_from_ppcm(xres)?);
        t.finger = finger;
        t.quality = quality;
        t.minutiae = minutiae;
        out.push(finish(t, v)?);
    }
    if out.is_empty() {
        return Err(TemplateError::invalid("representations", "record holds none"));
    }
    Ok(out)
}

/// Encodes an ISO/IEC 19794-2:2011 record (6-byte minutiae, one quality block per view when
/// quality is known, capture date left zero).
pub fn encode_iso2011(templates: &[Template]) -> Result<Vec<u8>, TemplateError> {
    check_templates(templates, "ISO 19794-2:2011", 255)?;
    let views = view_numbers(templates)?;
    let mut out = Vec::new();
    out.extend_from_slice(&MAGIC);
    out.extend_from_slice(b"030\0");
    out.put_u32(0);
    out.put_u16(templates.len() as u16);
    out.push(0);
    for (t, v) in templates.iter().zip(views) {
        let mut rep = Vec::new();
        rep.put_u32(0);
        rep.extend_from_slice(&[0u8; 9]);
        rep.push(0);
        rep.put_u16(0);
        rep.put_u16(0);
        if t.quality > 0 {
            rep.push(1);
            rep.push(t.quality);
            rep.put_u16(0);
            rep.put_u16(0);
        } else {
            rep.push(0);
        }
        rep.push(t.finger.code());
        rep.push(v);
        rep.put_u16(ppcm_from_dpi(t.dpi));
        rep.put_u16(ppcm_from_dpi(t.dpi));
        rep.push(0);
        rep.put_u16(t.width);
        rep.put_u16(t.height);
        rep.push(0x60);
        rep.push(t.minutiae.len() as u8);
        write_minutiae(&mut rep, t, ISO_UNITS);
        rep.put_u16(0);
        let len = rep.len() as u32;
        rep[0..4].copy_from_slice(&len.to_be_bytes());
        out.extend(rep);
    }
    let len = out.len() as u32;
    out[8..12].copy_from_slice(&len.to_be_bytes());
    Ok(out)
}

// ---------------------------------------------------------------------------------------------
// ANSI INCITS 378-2009 ("030\0", Amendment 1 "035\0") — u32 length, CBEFF, then either the
// 2009 form (u8 certification flags, u16 device ID) or the NIST 2007-draft form (u16 equipment),
// u8 views, u8 reserved. View: finger, view, impression, quality, u32 quality algorithm,
// width, height, x res, y res, count, 6-byte minutiae (2° units), u16 extended length + data.

/// Decodes an ANSI INCITS 378-2009 record, with either header variant found in public samples.
pub fn decode_ansi2009(bytes: &[u8]) -> Result<Vec<Template>, TemplateError> {
    decode_ansi2009_variant(bytes, true).or_else(|first| decode_ansi2009_variant(bytes, false).map_err(|_| first))
}

fn decode_ansi2009_variant(bytes: &[u8], certification_byte: bool) -> Result<Vec<Template>, TemplateError> {
    let mut r = Reader::new(bytes);
    r.skip(8)?;
    let declared = r.u32()? as usize;
    let header = if certification_byte { 21 } else { 20 };
    check_declared_length(declared, bytes.len(), header)?;
    let owner = r.u16()?;
    let _cbeff_type = r.u16()?;
    if owner == 0 {
        return Err(TemplateError::invalid("CBEFF owner", "must not be 0"));
    }
    if certification_byte {
        r.skip(1)?;
    }
    let _device = r.u16()?;
    let views = r.u8()? as usize;
    let _reserved = r.u8()?;
    let mut out = Vec::with_capacity(views);
    for v in 0..views {
        let finger = finger_from_code(r.u8()?);
        let _view = r.u8()?;
        let _impression = r.u8()?;
        let quality = r.u8()?;
        let _quality_algorithm = r.u32()?;
        let width = r.u16()?;
        let height = r.u16()?;
        let xres = r.u16()?;
        let _yres = r.u16()?;
        let n = r.u8()? as usize;
        let minutiae = read_minutiae(&mut r, n, 6, ANSI_UNITS)?;
        skip_extended(&mut r, v + 1 == views)?;
        let mut t = Template::new(width, height, dpi_from_ppcm(xres)?);
        t.finger = finger;
        t.quality = if quality > 100 { 0 } else { quality };
        t.minutiae = minutiae;
        out.push(finish(t, v)?);
    }
    if out.is_empty() {
        return Err(TemplateError::invalid("views", "record holds no finger view"));
    }
    // The two header variants differ by one byte: the right one ends where the record says.
    if r.pos().abs_diff(declared) > 1 {
        return Err(TemplateError::invalid(
            "record length",
            format!("declared {declared} bytes, content ends at {}", r.pos()),
        ));
    }
    Ok(out)
}

/// Encodes an ANSI INCITS 378-2009 record (the 21-byte header form with a certification byte).
pub fn encode_ansi2009(templates: &[Template]) -> Result<Vec<u8>, TemplateError> {
    check_templates(templates, "ANSI 378-2009", 255)?;
    let views = view_numbers(templates)?;
    let mut out = Vec::new();
    out.extend_from_slice(&MAGIC);
    out.extend_from_slice(b"030\0");
    out.put_u32(0);
    out.put_u16(CBEFF_OWNER);
    out.put_u16(CBEFF_TYPE);
    out.push(0);
    out.put_u16(0);
    out.push(templates.len() as u8);
    out.push(0);
    for (t, v) in templates.iter().zip(views) {
        out.push(t.finger.code());
        out.push(v);
        out.push(0);
        out.push(t.quality);
        out.put_u32(0);
        out.put_u16(t.width);
        out.put_u16(t.height);
        out.put_u16(ppcm_from_dpi(t.dpi));
        out.put_u16(ppcm_from_dpi(t.dpi));
        out.push(t.minutiae.len() as u8);
        write_minutiae(&mut out, t, ANSI_UNITS);
        out.put_u16(0);
    }
    let len = out.len() as u32;
    out[8..12].copy_from_slice(&len.to_be_bytes());
    Ok(out)
}

/// True for `FMR\0`-records of the " 20\0"/"020\0" generation that are ANSI 378-2004 rather than
/// ISO 19794-2:2005, by the length-field heuristic: the u16 at offset 8 is the ANSI length
/// (≥ 26) or, for ISO, the high half of a u32 length (0 for any record under 64 KiB).
pub(crate) fn looks_like_ansi2004(bytes: &[u8]) -> bool {
    if bytes.len() < 12 {
        return false;
    }
    let w = u16::from_be_bytes([bytes[8], bytes[9]]);
    if w >= 26 {
        return true;
    }
    if w > 0 {
        return false;
    }
    u16::from_be_bytes([bytes[10], bytes[11]]) < 24
}

/// Largest image side a minutiae record may declare.
pub(crate) const _MAX: u16 = MAX_DIMENSION;
