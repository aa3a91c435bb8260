//! Image quality score 0–100 (higher is better), in the spirit of NFIQ 2: it combines the
//! evidence that the image holds a usable print.

use crate::params::*;
use crate::plane::Plane;

/// The inputs of the score, each already in 0..1, kept for reporting.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct QualityFactors {
    /// Foreground area relative to a full plain impression ([`QUALITY_FULL_AREA`]).
    pub area: f32,
    /// Mean orientation coherence over the foreground (ridge clarity).
    pub coherence: f32,
    /// Fraction of foreground blocks with a measurable, plausible ridge period.
    pub frequency_validity: f32,
    /// Minutiae found relative to [`QUALITY_FULL_MINUTIAE`].
    pub minutiae: f32,
}

impl QualityFactors {
    /// Weighted score 0..=100: coherence 35 %, area 25 %, minutiae 25 %, frequency validity 15 %.
    pub fn score(&self) -> u8 {
        let s = 0.35 * self.coherence + 0.25 * self.area + 0.25 * self.minutiae + 0.15 * self.frequency_validity;
        (100.0 * s).round().clamp(0.0, 100.0) as u8
    }
}

/// Computes the factors from the stage outputs.
pub fn quality_factors(
    mask: &Plane<bool>,
    coherence: &Plane<f32>,
    frequency_validity: f32,
    minutiae: usize,
) -> QualityFactors {
    let fg: Vec<usize> = (0..mask.data.len()).filter(|&i| mask.data[i]).collect();
    let area = (fg.len() * BLOCK * BLOCK) as f32 / QUALITY_FULL_AREA;
    let mean_coherence =
        if fg.is_empty() { 0.0 } else { fg.iter().map(|&i| coherence.data[i]).sum::<f32>() / fg.len() as f32 };
    QualityFactors {
        area: area.clamp(0.0, 1.0),
        coherence: mean_coherence.clamp(0.0, 1.0),
        frequency_validity: frequency_validity.clamp(0.0, 1.0),
        minutiae: (minutiae as f32 / QUALITY_FULL_MINUTIAE).clamp(0.0, 1.0),
    }
}
