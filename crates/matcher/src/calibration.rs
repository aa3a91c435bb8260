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
//! extrapolation of the top 1 % of impostor scores — an estimate, not a measurement. Past the
//! table's last knot the extrapolation bends smoothly towards [`MAX_SCORE`] without reaching it,
//! so strong genuine matches keep their order (1:N ranking) instead of tying at the cap.
//!
//! **One sensor's impostors match more often than the pool's.** The pool is mostly cross-set pairs
//! (different sensors, resolutions and image sizes), which score lower than impostor pairs captured
//! on one sensor, the situation of a desk and gate fleet. On the within-set pairs alone (23,040,
//! extractor v13) the FMR at a given score is 1.3–1.7× the table's from score 10 to 35 (1–2.4 score
//! points): a score of 35 means FMR ≈ 3e-4 over the pool and up to ≈ 6e-4 within one sensor. Decisions
//! that promise a false-accept rate (the gate, the desk's duplicate search) take their threshold
//! from [`one_sensor_threshold`], which divides it by [`SAME_SENSOR_FMR_FACTOR`]; `eval --calibrate`
//! re-measures the ratio with the table.
//!
//! Regenerate after any change to extraction or matching:
//! `cargo run --release -- eval --db ../shared/fingerprints/<each set> --calibrate` (all 8 sets),
//! and paste the printed table below.

use ridgegate_core::Score;

/// Bound of the calibrated score (FMR 1e-30, as [`Score::from_fmr`]): the extrapolation approaches
/// it and never reaches it.
pub const MAX_SCORE: f32 = 300.0;

/// How much more often impostors captured on one sensor reach a score than the table says: an upper
/// bound of the ratio (within-set FMR) / (table FMR), measured by `eval --calibrate` over the
/// table's knots with at least 10 within-set impostors above them (extractor v13, neighbour reach
/// 2.5σS: 1.06 at score 2.5, 1.3–1.4 at 10–15, 1.5–1.7 at 17.5–35, largest 1.72 at score 25; with
/// the reach at 3σS the largest was 1.92, at score 35 with 13 pairs above it), rounded up to 2
/// (3 dB). A decision that promises an FMR on one sensor's impostors uses
/// `FMR / SAME_SENSOR_FMR_FACTOR` as its table FMR.
pub const SAME_SENSOR_FMR_FACTOR: f64 = 2.0;

/// The score threshold at which impostors captured on one sensor match with probability at most
/// `fmr`: the table's score for `fmr / SAME_SENSOR_FMR_FACTOR`. What a decision that promises a
/// false-match rate (a gate transaction, a duplicate search) compares scores with. Cheap; pure.
pub fn one_sensor_threshold(fmr: f64) -> Score {
    Score::from_fmr(fmr / SAME_SENSOR_FMR_FACTOR)
}

/// (raw score, calibrated score) knots, raw ascending. Calibration from 189440 impostor comparisons (8 sets).
const TABLE: &[(f32, f32)] = &[
    (0.0, 0.0),
    (0.00732, 2.50),
    (0.00819, 5.00),
    (0.00905, 7.50),
    (0.00996, 10.00),
    (0.01092, 12.50),
    (0.01196, 15.00),
    (0.01308, 17.50),
    (0.01427, 20.00),
    (0.01554, 22.50),
    (0.01690, 25.00),
    (0.01833, 27.50),
    (0.01968, 30.00),
    (0.02121, 32.50),
    (0.02282, 35.00),
    (0.02451, 37.50),
    (0.02671, 40.00),
    (0.02833, 42.50),
    (0.03047, 45.00),
    (0.03114, 47.50),
    (0.03277, 50.00),
    // extrapolated: 1727.033 score points per raw unit beyond the data
    (0.03856, 62.77),
    (0.04435, 72.77),
    (0.05593, 92.77),
];

/// Maps a raw score through the table (piecewise linear). Beyond the last knot the last segment's
/// slope continues, bent towards [`MAX_SCORE`]: `s1 + room·x/(1 + x)` with `x = slope·Δraw/room`
/// and `room = MAX_SCORE − s1` — same value and slope at the knot, strictly increasing (a
/// hyperbola, not an exponential, so the f32 score still resolves raw steps of 1e-3 at the top of
/// the matcher's range `[0, 2.25]`), always below [`MAX_SCORE`]. Monotone; never negative.
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
    let (slope, room) = ((s1 - s0) as f64 / (r1 - r0) as f64, (MAX_SCORE - s1) as f64);
    let x = slope * (raw - r1) as f64 / room;
    let bent = s1 as f64 + room * x / (1.0 + x);
    Score(bent as f32)
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

    #[test]
    fn strong_matches_keep_their_order_below_the_cap() {
        // Raw scores reach 2.25 (local similarity 1 × (LOCAL_FLOOR + 1) × (1 + FLOW_WEIGHT)):
        // every step of 1e-3 must still raise the score, and the cap is never reached.
        let start = TABLE[TABLE.len() - 1].0;
        let mut last = score_from_raw(start).0;
        assert!((last - TABLE[TABLE.len() - 1].1).abs() < 1e-3);
        let mut raw = start;
        let top = (1.0 + crate::params::LOCAL_FLOOR) * (1.0 + crate::params::FLOW_WEIGHT);
        assert_eq!(top, 2.25);
        while raw < top {
            raw += 1e-3;
            let s = score_from_raw(raw).0;
            assert!(s > last && s < MAX_SCORE, "raw {raw}: {s} after {last}");
            last = s;
        }
    }
}
