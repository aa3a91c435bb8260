//! Raw similarity → calibrated [`Score`] (= −10·log10 FMR).
//!
//! The table maps the matcher's raw score to the false match rate measured on real impostor
//! comparisons: every cross-finger pair within and across the 8 FVC sample sets in
//! `../shared/fingerprints` (FVC2002 DB1 × DB2 and FVC2000 DB1 × DB2 excluded: they share
//! volunteers — same finger IDs across the two sets score like genuine pairs), extracted with
//! this build's extractor. Knots are placed every quarter decade of FMR: a score of 30 means
//! that 1 impostor comparison in 1,000 scored at least that much.
//!
//! **Reach of the measurement.** With N ≈ 196,000 impostor comparisons the lowest FMR measured is
//! 1/N ≈ 5e-6 (score ≈ 53); by the rule of 3 a claim of FMR ≤ 1e-4 (score 40) is supported,
//! ≤ 1e-5 (score 50) only marginally. Scores above the last measured knot are a log-linear
//! extrapolation of the top 1 % of impostor scores — an estimate, not a measurement.
//!
//! Regenerate after any change to extraction or matching:
//! `cargo run --release -- eval --db ../shared/fingerprints/<each set> --calibrate` (all 8 sets),
//! and paste the printed table below.

use ridgegate_core::Score;

/// Highest calibrated score (FMR 1e-30, as [`Score::from_fmr`]): the extrapolation stops here.
pub const MAX_SCORE: f32 = 300.0;

/// (raw score, calibrated score) knots, raw ascending. Calibration from 189440 impostor comparisons (8 sets).
const TABLE: &[(f32, f32)] = &[
    (0.0, 0.0),
    (0.00744, 2.50),
    (0.00814, 5.00),
    (0.00878, 7.50),
    (0.00941, 10.00),
    (0.01008, 12.50),
    (0.01078, 15.00),
    (0.01155, 17.50),
    (0.01236, 20.00),
    (0.01325, 22.50),
    (0.01434, 25.00),
    (0.01543, 27.50),
    (0.01663, 30.00),
    (0.01795, 32.50),
    (0.01934, 35.00),
    (0.02135, 37.50),
    (0.02292, 40.00),
    (0.02481, 42.50),
    (0.02726, 45.00),
    (0.02866, 47.50),
    (0.03287, 50.00),
    // extrapolated: 2012.217 score points per raw unit beyond the data
    (0.03784, 62.77),
    (0.04280, 72.77),
    (0.05274, 92.77),
];

/// Maps a raw score through the table (piecewise linear; beyond the last knot, extrapolated with
/// the last segment's slope, up to [`MAX_SCORE`]). Monotone non-decreasing; never negative.
pub fn score_from_raw(raw: f32) -> Score {
    if !raw.is_finite() || raw <= TABLE[0].0 {
        return Score(TABLE[0].1);
    }
    for w in TABLE.windows(2) {
        let ((r0, s0), (r1, s1)) = (w[0], w[1]);
        if raw <= r1 {
            return Score(s0 + (s1 - s0) * (raw - r0) / (r1 - r0));
        }
    }
    let n = TABLE.len();
    let ((r0, s0), (r1, s1)) = (TABLE[n - 2], TABLE[n - 1]);
    Score((s1 + (s1 - s0) / (r1 - r0) * (raw - r1)).min(MAX_SCORE))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_is_monotone_and_map_is_monotone() {
        for w in TABLE.windows(2) {
            assert!(w[1].0 > w[0].0 && w[1].1 >= w[0].1, "{:?}", w);
        }
        let mut last = -1.0;
        for i in 0..2000 {
            let s = score_from_raw(i as f32 * 0.1).0;
            assert!(s >= last && s >= 0.0);
            last = s;
        }
        assert_eq!(score_from_raw(f32::NAN).0, 0.0);
    }
}
