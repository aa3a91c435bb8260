//! Stage 10: the coarse ridge-flow map stored in the template ([`RidgeFlow`]).

use crate::orientation::OrientationField;
use crate::params::*;
use crate::plane::Plane;
use ridgegate_core::RidgeFlow;
use ridgegate_core::ridge_flow::NO_FLOW;

/// The ridge orientation of the foreground on a grid of [`FLOW_CELL`]-px cells (at 500 dpi;
/// the cell side is converted to the original image's pixels, `scale` = working / original),
/// covering the original `width × height` image. A cell's orientation is the coherence-weighted
/// doubled-angle mean of the blocks whose centres lie in it; a cell is [`NO_FLOW`] unless at least
/// [`FLOW_MIN_FOREGROUND`] of those blocks are foreground. Cost: one pass over the blocks.
pub fn ridge_flow(field: &OrientationField, mask: &Plane<bool>, scale: f32, width: u16, height: u16) -> RidgeFlow {
    let cell = (FLOW_CELL / scale).round().clamp(1.0, 255.0) as u8;
    let (columns, rows) = (width.div_ceil(cell as u16), height.div_ceil(cell as u16));
    let mut codes = vec![NO_FLOW; columns as usize * rows as usize];
    // Accumulators per cell: Σ w·cos 2θ, Σ w·sin 2θ, foreground blocks, all blocks.
    let mut sums = vec![(0f32, 0f32, 0u32, 0u32); codes.len()];
    let side = cell as f32 * scale; // cell side in working pixels
    for by in 0..mask.h {
        for bx in 0..mask.w {
            let (cx, cy) = ((bx as f32 + 0.5) * BLOCK as f32, (by as f32 + 0.5) * BLOCK as f32);
            let (col, row) = ((cx / side) as usize, (cy / side) as usize);
            if col >= columns as usize || row >= rows as usize {
                continue;
            }
            let s = &mut sums[row * columns as usize + col];
            s.3 += 1;
            if mask.at(bx, by) {
                let (a, w) = (2.0 * field.angle.at(bx, by), field.coherence.at(bx, by) + FLOW_MIN_WEIGHT);
                s.0 += w * a.cos();
                s.1 += w * a.sin();
                s.2 += 1;
            }
        }
    }
    for (code, &(c, s, fg, all)) in codes.iter_mut().zip(&sums) {
        if all > 0 && fg as f32 >= FLOW_MIN_FOREGROUND * all as f32 && (c != 0.0 || s != 0.0) {
            *code = RidgeFlow::code_of(0.5 * s.atan2(c));
        }
    }
    RidgeFlow { cell, columns, rows, codes }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::f32::consts::PI;

    fn uniform(w: usize, h: usize, angle: f32) -> (OrientationField, Plane<bool>) {
        let mut mask = Plane::filled(w, h, true);
        for by in 0..h {
            *mask.at_mut(0, by) = false; // a background column on the left
        }
        (OrientationField { angle: Plane::filled(w, h, angle), coherence: Plane::filled(w, h, 0.8) }, mask)
    }

    #[test]
    fn a_uniform_field_gives_its_orientation_and_background_gives_no_flow() {
        // 48 × 30 blocks of 8 px = 384 × 240 px: 16 × 10 cells of 24 px (3 × 3 blocks each).
        let (field, mask) = uniform(48, 30, 0.7);
        let flow = ridge_flow(&field, &mask, 1.0, 384, 240);
        flow.validate(384, 240).unwrap();
        assert_eq!((flow.cell, flow.columns, flow.rows), (24, 16, 10));
        let expected = RidgeFlow::code_of(0.7);
        // Column 0 holds block columns 0 (background), 1 and 2: two thirds foreground.
        assert!(flow.codes.iter().all(|&c| c == expected), "{:?}", flow.codes);
        let background = |columns: usize| {
            let (field, mut mask) = uniform(48, 30, 0.7);
            for bx in 0..columns {
                for by in 0..30 {
                    *mask.at_mut(bx, by) = false;
                }
            }
            ridge_flow(&field, &mask, 1.0, 384, 240)
        };
        // Five background block columns: cell column 1 (blocks 3–5) is one third foreground.
        let flow = background(5);
        for row in 0..10 {
            assert_eq!(&flow.codes[row * 16..row * 16 + 3], &[NO_FLOW, NO_FLOW, expected]);
        }
        // Four: cell column 1 is two thirds foreground.
        let flow = background(4);
        assert_eq!(&flow.codes[..3], &[NO_FLOW, expected, expected]);
    }

    #[test]
    fn orientations_near_0_and_pi_average_correctly() {
        // Blocks alternating 5° and 175°: the mean orientation is 0°, not 90°.
        let (mut field, mask) = uniform(8, 8, 0.0);
        for (i, a) in field.angle.data.iter_mut().enumerate() {
            *a = if i % 2 == 0 { 5f32.to_radians() } else { 175f32.to_radians() };
        }
        let flow = ridge_flow(&field, &Plane::filled(8, 8, true), 1.0, 64, 64);
        // Cells of three block columns weigh 5° and 175° 2:1 or 1:2: within 4° of 0°.
        assert!(flow.codes.iter().all(|&c| c <= 4 || c >= 176), "{:?}", flow.codes);
        let _ = (mask, PI);
    }

    #[test]
    fn other_resolutions_get_cells_of_the_same_physical_size() {
        // A 1000 dpi image is worked at half size: 48 px cells in the original pixels.
        let (field, mask) = uniform(40, 30, 1.2);
        let flow = ridge_flow(&field, &mask, 0.5, 640, 480);
        flow.validate(640, 480).unwrap();
        assert_eq!((flow.cell, flow.columns, flow.rows), (48, 14, 10));
    }
}
