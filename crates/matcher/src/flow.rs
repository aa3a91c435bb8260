//! Ridge-flow agreement: after the minutiae have aligned two impressions, do their ridges run the
//! same way where they overlap? The templates' coarse orientation maps ([`RidgeFlow`]) are
//! compared cell by cell under the consolidation's alignment. Minutiae of two different fingers
//! can pair by chance (dense templates pair 20+ minutiae with some impostors), but their ridge
//! flow rarely agrees over the whole common area; and two impressions of a minutia-poor finger
//! agree over the whole common area although few minutiae pair (Qi, Yang & Wang 2005; Gu, Zhou
//! & Yang 2006 fuse orientation-field and minutiae similarity for the same reasons).
//!
//! Cost: one table lookup per probe cell with an orientation (≈ 120 for a 300 × 300 px image at
//! 500 dpi), no allocation.

use crate::params::{FLOW_AGREEMENT_FLOOR, MATCH_DPI};
use ridgegate_core::RidgeFlow;
use ridgegate_core::ridge_flow::{NO_FLOW, ORIENTATION_STEPS};
use std::f32::consts::PI;
use std::sync::LazyLock;

const STEPS: usize = ORIENTATION_STEPS as usize;

/// `cos 2δ` for an orientation difference of δ = k steps, for every k in `0..3·STEPS` (the sum
/// probe code + rotation + STEPS − candidate code, so that no modulo is needed): 1 parallel,
/// −1 perpendicular.
static AGREEMENT: LazyLock<[f32; 3 * STEPS]> =
    LazyLock::new(|| std::array::from_fn(|k| (2.0 * k as f32 * PI / STEPS as f32).cos()));

/// A template's ridge flow at 500 dpi: its grid of codes, iterated on the probe side and looked
/// up on the candidate side. Building it copies the codes (one byte per cell), nothing else.
#[derive(Debug, Clone, Default)]
pub(crate) struct FlowMap {
    /// Cell side at 500 dpi, px (0 when the template has no ridge flow).
    cell: f32,
    columns: usize,
    rows: usize,
    /// Grid codes, row-major ([`NO_FLOW`] or an orientation code); empty without a flow.
    codes: Vec<u8>,
}

/// How well two ridge flows agree under an alignment.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub(crate) struct FlowAgreement {
    /// Cells valid in both (probe cells landing on a valid candidate cell).
    pub cells: u32,
    /// Mean `cos 2δ` over those cells, `[−1, 1]` (0 when no cell is common).
    pub mean: f32,
}

impl FlowAgreement {
    /// Similarity in `[0, 1]`: the mean agreement rescaled so that [`FLOW_AGREEMENT_FLOOR`]
    /// (what chance alignments of unrelated prints reach) maps to 0 and perfect agreement to 1;
    /// 0 when no cell is common.
    pub fn similarity(&self) -> f32 {
        ((self.mean - FLOW_AGREEMENT_FLOOR) / (1.0 - FLOW_AGREEMENT_FLOOR)).clamp(0.0, 1.0)
    }
}

impl FlowMap {
    /// The flow of a template at `dpi`, rescaled to [`MATCH_DPI`]; empty without a flow.
    pub fn new(flow: Option<&RidgeFlow>, dpi: u16) -> Self {
        let Some(f) = flow else { return FlowMap::default() };
        let cell = f.cell as f32 * MATCH_DPI / dpi.max(1) as f32;
        FlowMap { cell, columns: f.columns as usize, rows: f.rows as usize, codes: f.codes.clone() }
    }

    /// Agreement of `self` (probe) moved by the rigid motion `(x, y) ↦ (cos·x − sin·y + tx,
    /// sin·x + cos·y + ty)` (rotation by `angle` radians, probe → candidate coordinates at
    /// 500 dpi) with `other` (candidate): every probe cell with an orientation whose centre lands
    /// on a candidate cell with one counts. Allocation-free.
    pub fn agreement(
        &self,
        other: &FlowMap,
        angle: f32,
        (cos, sin): (f32, f32),
        (tx, ty): (f32, f32),
    ) -> FlowAgreement {
        if self.codes.is_empty() || other.codes.is_empty() {
            return FlowAgreement::default();
        }
        let rot = (angle.rem_euclid(PI) / PI * STEPS as f32).round() as usize % STEPS;
        let table = &*AGREEMENT;
        let inv = 1.0 / other.cell;
        let (mut n, mut sum) = (0u32, 0f32);
        for (row, line) in self.codes.chunks_exact(self.columns).enumerate() {
            let y = (row as f32 + 0.5) * self.cell;
            for (col, &code) in line.iter().enumerate() {
                if code == NO_FLOW {
                    continue;
                }
                let x = (col as f32 + 0.5) * self.cell;
                let (u, v) = (cos * x - sin * y + tx, sin * x + cos * y + ty);
                if u < 0.0 || v < 0.0 {
                    continue;
                }
                let (c, r) = ((u * inv) as usize, (v * inv) as usize);
                if c >= other.columns || r >= other.rows {
                    continue;
                }
                let theirs = other.codes[r * other.columns + c];
                if theirs == NO_FLOW {
                    continue;
                }
                n += 1;
                sum += table[code as usize + rot + STEPS - theirs as usize];
            }
        }
        FlowAgreement { cells: n, mean: if n > 0 { sum / n as f32 } else { 0.0 } }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn flow(codes: impl Fn(usize, usize) -> u8) -> RidgeFlow {
        let (columns, rows) = (20u16, 20u16);
        let codes = (0..400).map(|i| codes(i % 20, i / 20)).collect();
        RidgeFlow { cell: 16, columns, rows, codes }
    }

    #[test]
    fn identical_flows_agree_fully_and_perpendicular_ones_not_at_all() {
        let a = FlowMap::new(Some(&flow(|x, y| ((x * 7 + y * 3) % 180) as u8)), 500);
        let same = a.agreement(&a, 0.0, (1.0, 0.0), (0.0, 0.0));
        assert_eq!(same.cells, 400);
        assert!((same.mean - 1.0).abs() < 1e-5);
        let b = FlowMap::new(Some(&flow(|x, y| ((x * 7 + y * 3 + 90) % 180) as u8)), 500);
        let perpendicular = a.agreement(&b, 0.0, (1.0, 0.0), (0.0, 0.0));
        assert!((perpendicular.mean + 1.0).abs() < 1e-5);
        assert_eq!(perpendicular.similarity(), 0.0);
    }

    #[test]
    fn a_rotated_impression_agrees_under_the_rotation() {
        // A uniform flow at 30°, and the same finger rotated by 40° (flow at 70°).
        let a = FlowMap::new(Some(&flow(|_, _| 30)), 500);
        let b = FlowMap::new(Some(&flow(|_, _| 70)), 500);
        let angle = 40f32.to_radians();
        let (s, c) = angle.sin_cos();
        // About the grid's centre (160, 160).
        let centre = 160.0;
        let t = (centre - (c * centre - s * centre), centre - (s * centre + c * centre));
        let r = a.agreement(&b, angle, (c, s), t);
        assert!(r.cells > 250, "{r:?}");
        assert!(r.mean > 0.99, "{r:?}");
        assert!(a.agreement(&b, 0.0, (c, s), t).mean < 0.2);
    }

    #[test]
    fn cells_outside_the_other_grid_or_without_flow_do_not_count() {
        let a = FlowMap::new(Some(&flow(|_, _| 10)), 500);
        let b = FlowMap::new(Some(&flow(|x, _| if x < 10 { NO_FLOW } else { 10 })), 500);
        assert_eq!(a.agreement(&b, 0.0, (1.0, 0.0), (0.0, 0.0)).cells, 200);
        assert_eq!(a.agreement(&b, 0.0, (1.0, 0.0), (1000.0, 0.0)).cells, 0);
        assert_eq!(a.agreement(&FlowMap::new(None, 500), 0.0, (1.0, 0.0), (0.0, 0.0)), FlowAgreement::default());
    }

    #[test]
    fn other_resolutions_are_rescaled() {
        // 1000 dpi, 32 px cells: 16 px at 500 dpi. The probe's only cell (centre (8, 8) at
        // 500 dpi) lands on the candidate's cell 0 (0..16) unmoved, on cell 1 moved by 10 px.
        let f = RidgeFlow { cell: 32, columns: 2, rows: 1, codes: vec![5, NO_FLOW] };
        let m = FlowMap::new(Some(&f), 1000);
        let other = FlowMap::new(Some(&RidgeFlow { cell: 16, columns: 2, rows: 1, codes: vec![5, 95] }), 500);
        let here = m.agreement(&other, 0.0, (1.0, 0.0), (0.0, 0.0));
        assert_eq!((here.cells, here.mean), (1, 1.0));
        let moved = m.agreement(&other, 0.0, (1.0, 0.0), (10.0, 0.0));
        assert_eq!(moved.cells, 1);
        assert!((moved.mean + 1.0).abs() < 1e-6);
    }
}
