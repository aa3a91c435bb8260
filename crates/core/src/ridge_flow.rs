//! [`RidgeFlow`]: a coarse map of the ridge orientation of one impression, kept in the template
//! next to the minutiae.
//!
//! Minutiae say where ridges end or fork; between them a template says nothing. Two impressions
//! of different fingers can share many chance-placed minutiae yet have ridges flowing in
//! different directions in the same place, and a minutia-poor impression (10–20 minutiae) leaves
//! a matcher little to go on. The orientation field fills that gap at small cost: one byte per
//! cell of 24 × 24 px at 500 dpi (≈ 160 bytes for a 300 × 300 px image). Combining global
//! orientation with minutiae is classic (Qi, Yang & Wang, "Fingerprint matching combining the
//! global orientation field with minutia", Pattern Recognition Letters 26, 2005; Gu, Zhou & Yang,
//! IEEE TIFS 1(1), 2006).
//!
//! Plain data, `Send + Sync`; [`RidgeFlow::validate`] checks every field.

use crate::error::TemplateError;
use serde::{Deserialize, Serialize};
use std::f32::consts::PI;

/// Orientation steps per half turn: a cell's code `a < ORIENTATION_STEPS` means the ridges run at
/// `a · π / ORIENTATION_STEPS` radians (1°: below the error of any orientation estimate).
pub const ORIENTATION_STEPS: u8 = 180;
/// Cell code for "no ridge flow here" (background, or no reliable orientation).
pub const NO_FLOW: u8 = 255;
/// Largest number of cells a flow map may hold; bounds decoding. The extractor's largest image
/// (4,000 px on a side at 500 dpi, 24 px cells) needs under 28,000.
pub const MAX_FLOW_CELLS: usize = 65_535;

/// The ridge orientation of an impression on a grid of square cells.
///
/// Cell `(col, row)` covers pixels `[col·cell, (col+1)·cell) × [row·cell, (row+1)·cell)` of the
/// template's image (its dpi); its code is the ridge direction in image coordinates (x right,
/// y down, angle from +x towards +y, modulo π) in steps of π / [`ORIENTATION_STEPS`], or
/// [`NO_FLOW`]. Memory: one byte per cell.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RidgeFlow {
    /// Side of a cell in image pixels (1..=255).
    pub cell: u8,
    /// Cells per row.
    pub columns: u16,
    /// Rows of cells.
    pub rows: u16,
    /// `columns · rows` codes, row-major.
    pub codes: Vec<u8>,
}

impl RidgeFlow {
    /// The code of an orientation in radians (any value; taken modulo π).
    pub fn code_of(angle: f32) -> u8 {
        let steps = ORIENTATION_STEPS as f32;
        let a = (angle.rem_euclid(PI) / PI * steps).round() as u32;
        (a % ORIENTATION_STEPS as u32) as u8
    }

    /// The orientation in radians `[0, π)` of a code, `None` for [`NO_FLOW`].
    pub fn angle_of(code: u8) -> Option<f32> {
        (code < ORIENTATION_STEPS).then(|| code as f32 * PI / ORIENTATION_STEPS as f32)
    }

    /// A flow covering a `width × height` image with `cell`-px cells (`cell ≥ 1`), each cell's
    /// code taken from `angle(x, y)` at the cell's centre (radians, any value; `None` = no flow
    /// there). For generators and tests; the extractor averages measured orientations instead.
    pub fn from_fn(width: u16, height: u16, cell: u8, angle: impl Fn(f32, f32) -> Option<f32>) -> RidgeFlow {
        let cell = cell.max(1);
        let (columns, rows) = (width.div_ceil(cell as u16), height.div_ceil(cell as u16));
        let side = cell as f32;
        let codes = (0..rows as usize)
            .flat_map(|row| (0..columns as usize).map(move |col| (col, row)))
            .map(|(col, row)| {
                angle((col as f32 + 0.5) * side, (row as f32 + 0.5) * side).map_or(NO_FLOW, Self::code_of)
            })
            .collect();
        RidgeFlow { cell, columns, rows, codes }
    }

    /// The orientation in radians `[0, π)` of the cell holding pixel `(x, y)`; `None` outside the
    /// grid or where the cell has no flow. O(1).
    pub fn angle_at(&self, x: f32, y: f32) -> Option<f32> {
        if x < 0.0 || y < 0.0 || self.cell == 0 {
            return None;
        }
        let (col, row) = ((x / self.cell as f32) as usize, (y / self.cell as f32) as usize);
        if col >= self.columns as usize || row >= self.rows as usize {
            return None;
        }
        Self::angle_of(*self.codes.get(row * self.columns as usize + col)?)
    }

    /// Number of cells with a ridge orientation.
    pub fn valid_cells(&self) -> usize {
        self.codes.iter().filter(|&&c| c != NO_FLOW).count()
    }

    /// Checks the fields against each other and against an image of `width × height` px: cell
    /// size ≥ 1, the grid exactly covers the image, codes are orientations or [`NO_FLOW`].
    pub fn validate(&self, width: u16, height: u16) -> Result<(), TemplateError> {
        if self.cell == 0 {
            return Err(TemplateError::invalid("ridge flow", "cell size 0".to_string()));
        }
        let (cols, rows) = (width.div_ceil(self.cell as u16), height.div_ceil(self.cell as u16));
        if (self.columns, self.rows) != (cols, rows) {
            return Err(TemplateError::invalid(
                "ridge flow",
                format!(
                    "grid {}x{} of {} px cells does not cover a {width}x{height} image ({cols}x{rows} expected)",
                    self.columns, self.rows, self.cell
                ),
            ));
        }
        let n = cols as usize * rows as usize;
        if n > MAX_FLOW_CELLS {
            return Err(TemplateError::invalid("ridge flow", format!("{n} cells, at most {MAX_FLOW_CELLS}")));
        }
        if self.codes.len() != n {
            return Err(TemplateError::invalid("ridge flow", format!("{} codes for {n} cells", self.codes.len())));
        }
        if let Some(i) = self.codes.iter().position(|&c| c >= ORIENTATION_STEPS && c != NO_FLOW) {
            return Err(TemplateError::invalid(
                "ridge flow",
                format!("cell {i}: code {} is not an orientation", self.codes[i]),
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn codes_round_trip_within_half_a_step() {
        for k in 0..1000 {
            let a = k as f32 * PI / 1000.0;
            let back = RidgeFlow::angle_of(RidgeFlow::code_of(a)).unwrap();
            let d = (back - a).rem_euclid(PI);
            assert!(d.min(PI - d) <= PI / ORIENTATION_STEPS as f32 / 2.0 + 1e-5, "{a} → {back}");
        }
        // Orientations are modulo π.
        assert_eq!(RidgeFlow::code_of(0.3), RidgeFlow::code_of(0.3 + PI));
        assert_eq!(RidgeFlow::code_of(PI - 1e-4), 0);
        assert_eq!(RidgeFlow::angle_of(NO_FLOW), None);
    }

    #[test]
    fn validation_names_the_problem() {
        let good = RidgeFlow { cell: 16, columns: 3, rows: 2, codes: vec![0, 90, NO_FLOW, 179, 5, 6] };
        good.validate(40, 20).unwrap();
        assert!(good.validate(50, 20).unwrap_err().to_string().contains("does not cover"));
        let bad = RidgeFlow { codes: vec![0, 90, 200, 179, 5, 6], ..good.clone() };
        assert!(bad.validate(40, 20).unwrap_err().to_string().contains("code 200"));
        let short = RidgeFlow { codes: vec![0; 5], ..good.clone() };
        assert!(short.validate(40, 20).is_err());
        let zero = RidgeFlow { cell: 0, ..good };
        assert!(zero.validate(40, 20).is_err());
    }

    #[test]
    fn from_fn_samples_cell_centres_and_covers_the_image() {
        let f = RidgeFlow::from_fn(50, 30, 24, |x, y| (x < 30.0).then_some(y / 100.0));
        f.validate(50, 30).unwrap();
        assert_eq!((f.columns, f.rows), (3, 2));
        // Centres (12, 12), (36, 12), (60, 12), (12, 36), …
        let c = RidgeFlow::code_of;
        assert_eq!(f.codes, vec![c(0.12), NO_FLOW, NO_FLOW, c(0.36), NO_FLOW, NO_FLOW]);
        // Lookups by pixel: the cell's orientation, none outside the grid or where there is none.
        assert_eq!(f.angle_at(23.9, 30.0), RidgeFlow::angle_of(c(0.36)));
        assert_eq!(f.angle_at(30.0, 5.0), None);
        assert_eq!(f.angle_at(-1.0, 5.0), None);
        assert_eq!(f.angle_at(5.0, 48.0), None);
    }

    proptest! {
        #[test]
        fn every_code_is_valid_or_no_flow(a in -10f32..10.0) {
            prop_assert!(RidgeFlow::code_of(a) < ORIENTATION_STEPS);
        }
    }
}
