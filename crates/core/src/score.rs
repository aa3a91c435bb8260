//! The calibrated score scale shared by the matcher, the gallery, the CLI and the service.
//!
//! A RidgeGate similarity score is defined by the false match rate it corresponds to:
//!
//! `score = −10 · log10(FMR)`
//!
//! | score | estimated FMR | meaning |
//! |---|---|---|
//! | 10 | 1e-1 | one impostor in 10 passes |
//! | 20 | 1e-2 | |
//! | 30 | 1e-3 | |
//! | 40 | 1e-4 | typical verification threshold |
//! | 50 | 1e-5 | near the exam gate's per-comparison threshold (53.8 by default: see the matcher's `fusion`) |
//! | 60 | 1e-6 | |
//!
//! The matcher maps its raw similarity through a calibration table measured on impostor
//! comparisons (`ridgegate-matcher`'s calibration module documents where the table comes
//! from and how far the measurement reaches: beyond ~1/(number of impostor pairs) the FMR is an
//! extrapolation). The table's FMR is that of a pool of sensors: impostors captured on one sensor
//! reach a given score up to about twice as often (the matcher's
//! `calibration::SAME_SENSOR_FMR_FACTOR`, which the gate's threshold allows for).

use serde::{Deserialize, Serialize};

/// A calibrated similarity score, `−10·log10(FMR)`; higher means more similar. Always finite and ≥ 0.
/// Plain `Copy` data; thread-safe.
#[derive(Debug, Clone, Copy, PartialEq, PartialOrd, Default, Serialize, Deserialize)]
pub struct Score(pub f32);

impl Score {
    /// The lowest score: no evidence of a match (FMR = 1).
    pub const ZERO: Score = Score(0.0);

    /// The score corresponding to a false match rate `fmr` in `(0, 1]`; values outside are clamped
    /// (FMR ≥ 1 gives 0, FMR ≤ 1e-30 gives 300).
    pub fn from_fmr(fmr: f64) -> Score {
        let fmr = fmr.clamp(1e-30, 1.0);
        Score((-10.0 * fmr.log10()) as f32)
    }

    /// The estimated false match rate this score corresponds to (`10^(−score/10)`).
    pub fn fmr(self) -> f64 {
        10f64.powf(-(self.0.max(0.0) as f64) / 10.0)
    }

    /// The raw value.
    pub fn value(self) -> f32 {
        self.0
    }
}

impl std::fmt::Display for Score {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:.1}", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forty_is_one_in_ten_thousand() {
        assert!((Score(40.0).fmr() - 1e-4).abs() < 1e-12);
        assert!((Score::from_fmr(1e-5).value() - 50.0).abs() < 1e-4);
        assert_eq!(Score::from_fmr(2.0).value(), 0.0);
        assert_eq!(Score(-3.0).fmr(), 1.0);
    }
}
