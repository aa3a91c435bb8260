//! Service configuration: every tunable of the admissions service with its default and meaning.
//!
//! Scores are calibrated: `score = −10·log10(FMR)`, so 40 ≈ one false match in 10,000 comparisons.
//! Plain data; cheap to clone; thread-safe.

use ridgegate_core::Score;
use ridgegate_matcher::fusion::GatePolicy;
use ridgegate_photo::PhotoRules;
use ridgegate_store::Date;
use std::time::Duration;

/// Number of captures (views) taken of each finger at the confirmation desk (fixed by the notice).
pub const VIEWS_PER_FINGER: usize = 4;

/// All tunables of the service. `Default` gives the production values described per field.
#[derive(Debug, Clone)]
pub struct Config {
    /// Eligibility cut-off: a bachelor's degree awarded on or before this date qualifies
    /// (the notice uses the end of March 2017).
    pub bachelor_cutoff: Date,
    /// Year recorded in new enrollments; enrollments from earlier years are kept and reused.
    pub enrollment_year: u16,
    /// Image quality (0..=100, see `ridgegate-extract`) a desk capture needs to be accepted
    /// without a retry.
    pub quality_threshold: u8,
    /// Minutiae a desk capture needs (fewer cannot be matched reliably).
    pub min_minutiae: usize,
    /// Retries allowed per capture slot (finger × view) before the slot gives up: the best
    /// attempt is accepted (marked below threshold) if it reaches [`Config::min_accept_quality`],
    /// otherwise the operator must restart the finger.
    pub max_retries: u32,
    /// Quality floor for accepting the best attempt after the retries are used up.
    pub min_accept_quality: u8,
    /// Score a new view must reach against at least one earlier view of the same finger
    /// (25 ≈ FMR 3e-3): the 4 views of a finger must be the same finger. This guards against
    /// operator slips, not impostors, so it is set low enough that genuine views with little
    /// overlap pass (the matcher's genuine scores spread widely; see the matcher's evaluation).
    pub view_match_score: Score,
    /// Score at or above which a capture counts as the same finger as one already captured for
    /// another position (40 = FMR 1e-4): the six fingers must be distinct.
    pub distinct_finger_score: Score,
    /// False-match probability allowed for one whole duplicate search (6 probes against the
    /// gallery); the per-comparison threshold is derived from it and the gallery size.
    pub duplicate_target_fmr: f64,
    /// A subject also counts as a duplicate when at least two different probe fingers reach this
    /// score against it (40 = FMR 1e-4 each over the calibration pool, up to 2e-4 within one
    /// sensor: see `calibration::SAME_SENSOR_FMR_FACTOR`).
    pub duplicate_pair_score: Score,
    /// Gate decision policy (transaction FMR, attempts); `views` is set per request from the
    /// number of enrolled templates compared.
    pub gate_policy: GatePolicy,
    /// Image quality a gate capture needs; below it the gate asks for a retry without using an
    /// attempt.
    pub gate_min_quality: u8,
    /// An unfinished gate transaction (attempts of one applicant at one gate) expires after this.
    pub gate_transaction_timeout: Duration,
    /// A confirmation session idle this long is dropped (nothing of it was stored) when the next
    /// session starts, so abandoned sessions do not hold images in memory.
    pub session_idle_timeout: Duration,
    /// How long a capture from the service's scanner waits for a finger.
    pub scanner_timeout: Duration,
    /// Largest accepted request body (images, photos), bytes.
    pub max_upload_bytes: usize,
    /// Degree-photo rules.
    pub photo_rules: PhotoRules,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            bachelor_cutoff: Date { year: 2017, month: 3, day: 31 },
            enrollment_year: current_year(),
            quality_threshold: 40,
            min_minutiae: 12,
            max_retries: 3,
            min_accept_quality: 25,
            view_match_score: Score(25.0),
            distinct_finger_score: Score(40.0),
            duplicate_target_fmr: 1e-3,
            duplicate_pair_score: Score(40.0),
            gate_policy: GatePolicy::default(),
            gate_min_quality: 20,
            gate_transaction_timeout: Duration::from_secs(120),
            session_idle_timeout: Duration::from_secs(2 * 3600),
            scanner_timeout: Duration::from_secs(10),
            max_upload_bytes: 4 * 1024 * 1024,
            photo_rules: PhotoRules::default(),
        }
    }
}

/// The current UTC calendar year from the system clock.
pub fn current_year() -> u16 {
    civil_from_ms(ridgegate_store::now_ms()).0
}

/// (year, month, day) of a Unix time in milliseconds, UTC (Howard Hinnant's days-to-civil).
pub fn civil_from_ms(ms: u64) -> (u16, u8, u8) {
    let z = (ms / 86_400_000) as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u8;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u8;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y as u16, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn civil_dates() {
        assert_eq!(civil_from_ms(0), (1970, 1, 1));
        // 2017-03-31T12:00:00Z
        assert_eq!(civil_from_ms(1_490_961_600_000), (2017, 3, 31));
        // 2024-02-29T00:00:00Z
        assert_eq!(civil_from_ms(1_709_164_800_000), (2024, 2, 29));
    }
}
