//! NBIS `.xyt` text templates: one minutia per line, `x y theta [quality]`, integers separated by
//! white space.
//!
//! RidgeGate reads and writes the **M1 (ANSI INCITS 378) representation** that NBIS `mindtct -m1`
//! writes: origin at the upper-left pixel, y growing down, `theta` in whole degrees
//! counter-clockwise from the positive x axis as seen on screen — the same convention as
//! [`crate::Minutia`]. (Plain `mindtct` without `-m1` flips y; convert such files with `-m1`.)
//! The format has no header, no minutia kind (imported minutiae are [`MinutiaKind::Other`]) and no
//! image geometry: [`XytOptions`] supplies it.

use crate::error::TemplateError;
use crate::minutia::{Minutia, MinutiaKind};
use crate::template::{ALGORITHM_FOREIGN, MAX_DIMENSION, MAX_MINUTIAE, Template};

/// Image geometry for importing `.xyt` files, which carry none.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct XytOptions {
    /// Image width; `None` = largest x + 1.
    pub width: Option<u16>,
    /// Image height; `None` = largest y + 1.
    pub height: Option<u16>,
    /// Resolution; `None` = 500 dpi.
    pub dpi: Option<u16>,
}

/// True if the bytes look like an xyt file: ASCII lines of 3 or 4 integers (an empty file is not).
pub fn looks_like_xyt(bytes: &[u8]) -> bool {
    let Ok(text) = std::str::from_utf8(bytes) else {
        return false;
    };
    let mut lines = 0;
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        let fields: Vec<&str> = line.split_whitespace().collect();
        if !(3..=4).contains(&fields.len()) || fields.iter().any(|f| f.parse::<i64>().is_err()) {
            return false;
        }
        lines += 1;
    }
    lines > 0
}

/// Parses an xyt file.
pub fn decode(bytes: &[u8], opts: XytOptions) -> Result<Template, TemplateError> {
    let text =
        std::str::from_utf8(bytes).map_err(|_| TemplateError::Parse { line: 0, reason: "not UTF-8 text".into() })?;
    let mut minutiae = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line_no = i + 1;
        if line.trim().is_empty() {
            continue;
        }
        let fields: Vec<&str> = line.split_whitespace().collect();
        if !(3..=4).contains(&fields.len()) {
            return Err(TemplateError::Parse {
                line: line_no,
                reason: format!("{} fields, expected `x y theta [quality]`", fields.len()),
            });
        }
        let num = |k: usize, name: &str, max: i64| -> Result<i64, TemplateError> {
            let v: i64 = fields[k].parse().map_err(|_| TemplateError::Parse {
                line: line_no,
                reason: format!("{name} {:?} is not an integer", fields[k]),
            })?;
            if !(0..=max).contains(&v) && name != "theta" {
                return Err(TemplateError::Parse { line: line_no, reason: format!("{name} {v} outside 0..={max}") });
            }
            Ok(v)
        };
        let x = num(0, "x", MAX_DIMENSION as i64 - 1)?;
        let y = num(1, "y", MAX_DIMENSION as i64 - 1)?;
        let theta = num(2, "theta", 0)?;
        let q = if fields.len() == 4 { num(3, "quality", 100)? } else { 0 };
        if minutiae.len() == MAX_MINUTIAE {
            return Err(TemplateError::Parse { line: line_no, reason: format!("more than {MAX_MINUTIAE} minutiae") });
        }
        minutiae.push(Minutia::new(
            x as u16,
            y as u16,
            (theta.rem_euclid(360) as f32).to_radians(),
            MinutiaKind::Other,
            q as u8,
        ));
    }
    let max_x = minutiae.iter().map(|m| m.x).max().unwrap_or(0);
    let max_y = minutiae.iter().map(|m| m.y).max().unwrap_or(0);
    let mut t =
        Template::new(opts.width.unwrap_or(max_x + 1), opts.height.unwrap_or(max_y + 1), opts.dpi.unwrap_or(500));
    t.algorithm_version = ALGORITHM_FOREIGN;
    t.minutiae = minutiae;
    t.validate()?;
    Ok(t)
}

/// Writes an xyt file (theta rounded to whole degrees; kind and geometry are not representable).
pub fn encode(t: &Template) -> Result<Vec<u8>, TemplateError> {
    t.validate()?;
    let mut out = String::with_capacity(t.minutiae.len() * 16);
    for m in &t.minutiae {
        let deg = (m.angle.to_degrees().round() as i64).rem_euclid(360);
        out.push_str(&format!("{} {} {} {}\n", m.x, m.y, deg, m.quality));
    }
    Ok(out.into_bytes())
}
