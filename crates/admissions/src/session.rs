//! The confirmation-desk capture session: six fingers in the fixed order of
//! [`FingerPosition::CAPTURE_ORDER`] (L thumb, R thumb, L index, R index, L middle, R middle),
//! [`VIEWS_PER_FINGER`] captures each, every capture checked before it is accepted:
//!
//! 1. **quality**: image quality ≥ [`Config::quality_threshold`] and ≥ [`Config::min_minutiae`]
//!    minutiae, else a retry with the reason;
//! 2. **same finger**: a view after the first must match an earlier view of the finger
//!    (≥ [`Config::view_match_score`]);
//! 3. **distinct fingers**: it must not match any view captured for another position
//!    (< [`Config::distinct_finger_score`]).
//!
//! Each capture slot allows [`Config::max_retries`] retries. When they are used up on quality, the
//! best attempt is accepted marked `below_threshold` if it reaches [`Config::min_accept_quality`];
//! otherwise (and when a view keeps failing checks 2 or 3) the finger is restarted from its first
//! view, with the reason. This is a pure state machine (no I/O); [`CaptureSession::submit`] costs
//! one probe build plus up to 23 comparisons (≈ 1 ms). Not thread-safe by itself: the service
//! keeps each session behind a mutex.

use crate::config::{Config, VIEWS_PER_FINGER};
use ridgegate_core::{FingerPosition, Score, Template};
use ridgegate_matcher::{Candidate, Probe};
use ridgegate_store::{ApplicantId, CapturedView, Enrollment, FingerEnrollment};
use serde::Serialize;

/// One capture handed to the session: the extraction result and where it came from.
#[derive(Debug, Clone)]
pub struct CaptureInput {
    /// The extracted template (its finger label is set by the session).
    pub template: Template,
    /// Image quality 0..=100.
    pub quality: u8,
    /// Why extraction found little or nothing, if it says so.
    pub extract_reason: Option<String>,
    /// Source image as PNG (kept for re-extraction).
    pub image_png: Vec<u8>,
    /// Capture device (driver and selector, or `upload`).
    pub device: String,
    /// Operator who took it.
    pub operator: String,
    /// Capture time, ms since the Unix epoch.
    pub captured_at_ms: u64,
}

/// What happened to a capture.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// Accepted into its slot.
    Accepted,
    /// Accepted after the retries were used up, below the quality threshold (shown on the form).
    AcceptedBelowThreshold,
    /// Rejected; capture the same slot again (see `reason`).
    Retry,
    /// The finger was restarted from its first view (see `reason`).
    FingerRestarted,
}

/// The answer to one capture.
#[derive(Debug, Clone, Serialize)]
pub struct StepReport {
    /// What happened.
    pub outcome: Outcome,
    /// Finger of the slot the capture was for.
    pub finger: FingerPosition,
    /// View index 0..4 of that slot.
    pub view: usize,
    /// Image quality of the capture.
    pub quality: u8,
    /// Minutiae found.
    pub minutiae: usize,
    /// Why it was not accepted (or accepted below threshold).
    pub reason: Option<String>,
    /// Retries left for the slot now being captured.
    pub retries_left: u32,
    /// Best score against the earlier views of the same finger, if compared.
    pub view_match: Option<f32>,
    /// Best score against other fingers' views, if compared.
    pub other_finger_max: Option<f32>,
}

/// An accepted view with its cached matcher form.
#[derive(Debug, Clone)]
struct View {
    input: CaptureInput,
    candidate: Candidate,
    below_threshold: bool,
    view_match: Option<f32>,
}

#[derive(Debug, Clone, Default)]
struct FingerState {
    views: Vec<View>,
    retries: u32,
    best_failed: Option<CaptureInput>,
    attempts: u32,
    last_reason: Option<String>,
}

/// One cell of the progress grid.
#[derive(Debug, Clone, Serialize)]
pub struct ViewSummary {
    /// Image quality.
    pub quality: u8,
    /// Minutiae.
    pub minutiae: usize,
    /// Accepted after retries below the quality threshold.
    pub below_threshold: bool,
    /// Best score against earlier views of the finger (none for the first view).
    pub view_match: Option<f32>,
}

/// One row of the progress grid.
#[derive(Debug, Clone, Serialize)]
pub struct FingerSummary {
    /// Finger position name.
    pub finger: FingerPosition,
    /// ISO code.
    pub code: u8,
    /// Accepted views, in order.
    pub views: Vec<ViewSummary>,
    /// Captures attempted for this finger (accepted or not).
    pub attempts: u32,
    /// Retries used on the slot being captured.
    pub retries_used: u32,
    /// The last rejection reason, if the slot is being retried.
    pub last_reason: Option<String>,
    /// `done`, `current` or `pending`.
    pub state: &'static str,
}

/// The session as the desk sees it.
#[derive(Debug, Clone, Serialize)]
pub struct SessionSummary {
    /// Whose session.
    pub applicant: ApplicantId,
    /// Desk station.
    pub desk: String,
    /// Operator who started it.
    pub operator: String,
    /// Rows in capture order.
    pub fingers: Vec<FingerSummary>,
    /// Next slot to capture, `None` when all 24 are done.
    pub next: Option<NextSlot>,
    /// Views required per finger.
    pub views_per_finger: usize,
    /// Retries allowed per slot.
    pub max_retries: u32,
    /// Quality threshold.
    pub quality_threshold: u8,
    /// True when all slots are filled.
    pub complete: bool,
}

/// The slot to capture next.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct NextSlot {
    /// Finger.
    pub finger: FingerPosition,
    /// View index 0..4.
    pub view: usize,
}

/// A capture session; see the module docs.
#[derive(Debug, Clone)]
pub struct CaptureSession {
    applicant: ApplicantId,
    desk: String,
    operator: String,
    fingers: Vec<FingerState>,
    quality_threshold: u8,
    min_minutiae: usize,
    max_retries: u32,
    min_accept_quality: u8,
    view_match_score: Score,
    distinct_finger_score: Score,
    last_activity: std::time::Instant,
}

/// Errors of the session.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SessionError {
    /// Every slot is filled; complete the session.
    #[error("all {} captures are done; complete the confirmation", 6 * VIEWS_PER_FINGER)]
    Complete,
    /// Not every slot is filled yet.
    #[error("capture incomplete: {0} of {total} captures done", total = 6 * VIEWS_PER_FINGER)]
    Incomplete(usize),
    /// The finger is not one of the six captured.
    #[error("{0} is not captured at the desk; the six fingers are thumbs, index and middle fingers")]
    NotCaptured(FingerPosition),
}

impl CaptureSession {
    /// A new session with the thresholds of `config`.
    pub fn new(applicant: ApplicantId, desk: String, operator: String, config: &Config) -> Self {
        CaptureSession {
            applicant,
            desk,
            operator,
            fingers: vec![FingerState::default(); FingerPosition::CAPTURE_ORDER.len()],
            quality_threshold: config.quality_threshold,
            min_minutiae: config.min_minutiae,
            max_retries: config.max_retries,
            min_accept_quality: config.min_accept_quality,
            view_match_score: config.view_match_score,
            distinct_finger_score: config.distinct_finger_score,
            last_activity: std::time::Instant::now(),
        }
    }

    /// Time since the session was started or last received a capture or restart.
    pub fn idle(&self) -> std::time::Duration {
        self.last_activity.elapsed()
    }

    /// The desk station that owns the session.
    pub fn desk(&self) -> &str {
        &self.desk
    }

    /// The next slot to capture.
    pub fn next(&self) -> Option<NextSlot> {
        self.fingers
            .iter()
            .enumerate()
            .find(|(_, f)| f.views.len() < VIEWS_PER_FINGER)
            .map(|(i, f)| NextSlot { finger: FingerPosition::CAPTURE_ORDER[i], view: f.views.len() })
    }

    /// Accepted captures so far (0..=24).
    pub fn done(&self) -> usize {
        self.fingers.iter().map(|f| f.views.len()).sum()
    }

    /// Checks a capture for the next slot and accepts it or says why not (see the module docs).
    pub fn submit(&mut self, input: CaptureInput) -> Result<StepReport, SessionError> {
        let slot = self.next().ok_or(SessionError::Complete)?;
        self.last_activity = std::time::Instant::now();
        let fi = FingerPosition::CAPTURE_ORDER.iter().position(|&p| p == slot.finger).unwrap_or(0);
        let mut input = input;
        input.template.finger = slot.finger;
        input.template.quality = input.quality;
        let minutiae = input.template.minutiae.len();
        self.fingers[fi].attempts += 1;
        let mut report = StepReport {
            outcome: Outcome::Accepted,
            finger: slot.finger,
            view: slot.view,
            quality: input.quality,
            minutiae,
            reason: None,
            retries_left: 0,
            view_match: None,
            other_finger_max: None,
        };

        // 1. Quality.
        let mut below_threshold = false;
        if let Some(reason) = self.quality_problem(&input) {
            let f = &mut self.fingers[fi];
            if f.best_failed.as_ref().is_none_or(|b| input.quality > b.quality) {
                f.best_failed = Some(input.clone());
            }
            if f.retries < self.max_retries {
                return Ok(self.retry(fi, report, reason));
            }
            let best = f.best_failed.take().expect("set above");
            if best.quality >= self.min_accept_quality && best.template.minutiae.len() >= self.min_minutiae {
                report.quality = best.quality;
                report.minutiae = best.template.minutiae.len();
                report.reason = Some(format!(
                    "{reason}; retries used up, best attempt (quality {}) accepted below the threshold {}",
                    best.quality, self.quality_threshold
                ));
                input = best;
                below_threshold = true;
            } else {
                let why = format!(
                    "{reason}; no attempt reached quality {} in {} retries: {} restarted from its first view (clean the finger and the sensor, press flat)",
                    self.min_accept_quality, self.max_retries, slot.finger
                );
                return Ok(self.restart(fi, report, why));
            }
        }

        // 2. Same finger, 3. distinct from the other fingers.
        let probe = Probe::new(&input.template);
        let f = &self.fingers[fi];
        if !f.views.is_empty() {
            let best = f.views.iter().map(|v| probe.compare(&v.candidate).0).fold(0.0f32, f32::max);
            report.view_match = Some(best);
            if best < self.view_match_score.0 {
                let why = format!(
                    "does not match the earlier captures of {} (best score {best:.1}, need {:.1}): place the same finger again",
                    slot.finger, self.view_match_score.0
                );
                return Ok(self.check_failed(fi, report, why));
            }
        }
        let mut other: Option<(f32, FingerPosition)> = None;
        for (oi, of) in self.fingers.iter().enumerate() {
            if oi == fi {
                continue;
            }
            for v in &of.views {
                let s = probe.compare(&v.candidate).0;
                if other.is_none_or(|(b, _)| s > b) {
                    other = Some((s, FingerPosition::CAPTURE_ORDER[oi]));
                }
            }
        }
        report.other_finger_max = other.map(|(s, _)| s);
        if let Some((s, pos)) = other.filter(|(s, _)| *s >= self.distinct_finger_score.0) {
            let why = format!(
                "matches the finger captured as {pos} (score {s:.1}): place the {} (if {pos} was captured with the wrong finger, restart {pos})",
                slot.finger
            );
            return Ok(self.check_failed(fi, report, why));
        }

        let f = &mut self.fingers[fi];
        let candidate = Candidate::new(&input.template);
        f.views.push(View { input, candidate, below_threshold, view_match: report.view_match });
        f.retries = 0;
        f.best_failed = None;
        f.last_reason = None;
        report.outcome = if below_threshold { Outcome::AcceptedBelowThreshold } else { Outcome::Accepted };
        report.retries_left = self.max_retries;
        Ok(report)
    }

    fn quality_problem(&self, input: &CaptureInput) -> Option<String> {
        let n = input.template.minutiae.len();
        if input.quality < self.quality_threshold {
            let detail = input.extract_reason.as_deref().map(|r| format!(" ({r})")).unwrap_or_default();
            Some(format!(
                "image quality {} is below {}{detail}: clean the finger and the sensor, press flat and centred",
                input.quality, self.quality_threshold
            ))
        } else if n < self.min_minutiae {
            Some(format!("only {n} minutiae found (need {}): press the finger flat and centred", self.min_minutiae))
        } else {
            None
        }
    }

    fn retry(&mut self, fi: usize, mut report: StepReport, reason: String) -> StepReport {
        let f = &mut self.fingers[fi];
        f.retries += 1;
        f.last_reason = Some(reason.clone());
        report.outcome = Outcome::Retry;
        report.reason = Some(reason);
        report.retries_left = self.max_retries - f.retries;
        report
    }

    fn check_failed(&mut self, fi: usize, report: StepReport, reason: String) -> StepReport {
        if self.fingers[fi].retries < self.max_retries {
            self.retry(fi, report, reason)
        } else {
            let why = format!(
                "{reason}; retries used up: {} restarted from its first view",
                FingerPosition::CAPTURE_ORDER[fi]
            );
            self.restart(fi, report, why)
        }
    }

    fn restart(&mut self, fi: usize, mut report: StepReport, reason: String) -> StepReport {
        let attempts = self.fingers[fi].attempts;
        self.fingers[fi] = FingerState { attempts, last_reason: Some(reason.clone()), ..Default::default() };
        report.outcome = Outcome::FingerRestarted;
        report.reason = Some(reason);
        report.retries_left = self.max_retries;
        report
    }

    /// Clears a finger's views so it is captured again from its first view (operator's choice,
    /// e.g. after a wrong finger was captured).
    pub fn restart_finger(&mut self, finger: FingerPosition) -> Result<(), SessionError> {
        let fi =
            FingerPosition::CAPTURE_ORDER.iter().position(|&p| p == finger).ok_or(SessionError::NotCaptured(finger))?;
        let attempts = self.fingers[fi].attempts;
        self.last_activity = std::time::Instant::now();
        self.fingers[fi] = FingerState {
            attempts,
            last_reason: Some(format!("{finger} restarted by the operator")),
            ..Default::default()
        };
        Ok(())
    }

    /// The progress grid.
    pub fn summary(&self) -> SessionSummary {
        let next = self.next();
        let fingers = self
            .fingers
            .iter()
            .enumerate()
            .map(|(i, f)| {
                let finger = FingerPosition::CAPTURE_ORDER[i];
                let state = if f.views.len() == VIEWS_PER_FINGER {
                    "done"
                } else if next.is_some_and(|n| n.finger == finger) {
                    "current"
                } else {
                    "pending"
                };
                FingerSummary {
                    finger,
                    code: finger.code(),
                    views: f
                        .views
                        .iter()
                        .map(|v| ViewSummary {
                            quality: v.input.quality,
                            minutiae: v.input.template.minutiae.len(),
                            below_threshold: v.below_threshold,
                            view_match: v.view_match,
                        })
                        .collect(),
                    attempts: f.attempts,
                    retries_used: f.retries,
                    last_reason: f.last_reason.clone(),
                    state,
                }
            })
            .collect();
        SessionSummary {
            applicant: self.applicant.clone(),
            desk: self.desk.clone(),
            operator: self.operator.clone(),
            fingers,
            next,
            views_per_finger: VIEWS_PER_FINGER,
            max_retries: self.max_retries,
            quality_threshold: self.quality_threshold,
            complete: next.is_none(),
        }
    }

    /// The enrollment to store once every slot is filled.
    pub fn enrollment(&self, year: u16) -> Result<Enrollment, SessionError> {
        if self.next().is_some() {
            return Err(SessionError::Incomplete(self.done()));
        }
        let fingers = self
            .fingers
            .iter()
            .enumerate()
            .map(|(i, f)| FingerEnrollment {
                finger: FingerPosition::CAPTURE_ORDER[i],
                views: f
                    .views
                    .iter()
                    .map(|v| CapturedView {
                        template: v.input.template.clone(),
                        quality: v.input.quality,
                        captured_at_ms: v.input.captured_at_ms,
                        device: v.input.device.clone(),
                        operator: v.input.operator.clone(),
                        image_png: v.input.image_png.clone(),
                    })
                    .collect(),
            })
            .collect();
        Ok(Enrollment { applicant: self.applicant.clone(), year, desk: self.desk.clone(), fingers })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ridgegate_synth::finger_templates;

    fn input(t: &Template, quality: u8) -> CaptureInput {
        CaptureInput {
            template: t.clone(),
            quality,
            extract_reason: None,
            image_png: vec![1, 2, 3],
            device: "test".into(),
            operator: "op".into(),
            captured_at_ms: 1,
        }
    }

    fn session(max_retries: u32) -> CaptureSession {
        let config = Config { max_retries, ..Config::default() };
        CaptureSession::new(ApplicantId::new("A1").unwrap(), "desk-1".into(), "op".into(), &config)
    }

    /// Six synthetic fingers, 6 template impressions each.
    fn fingers() -> Vec<Vec<Template>> {
        (0..6).map(|f| finger_templates(77, f, 6).into_iter().map(|s| s.template).collect()).collect()
    }

    #[test]
    fn full_session_in_capture_order_gives_an_enrollment() {
        let fs = fingers();
        let mut s = session(3);
        for (i, f) in fs.iter().enumerate() {
            for (v, t) in f.iter().take(VIEWS_PER_FINGER).enumerate() {
                let next = s.next().unwrap();
                assert_eq!((next.finger, next.view), (FingerPosition::CAPTURE_ORDER[i], v));
                let r = s.submit(input(t, 80)).unwrap();
                assert_eq!(r.outcome, Outcome::Accepted, "{r:?}");
            }
        }
        assert!(s.summary().complete);
        assert_eq!(s.submit(input(&fs[0][0], 80)).unwrap_err(), SessionError::Complete);
        let e = s.enrollment(2019).unwrap();
        e.validate().unwrap();
        let codes: Vec<u8> = e.fingers.iter().map(|f| f.finger.code()).collect();
        assert_eq!(codes, vec![6, 1, 7, 2, 8, 3]);
        assert!(e.fingers.iter().all(|f| f.views.len() == 4 && f.views.iter().all(|v| v.template.finger == f.finger)));
    }

    #[test]
    fn low_quality_retries_then_accepts_best_or_restarts() {
        let fs = fingers();
        let mut s = session(2);
        let r = s.submit(input(&fs[0][0], 10)).unwrap();
        assert_eq!((r.outcome, r.retries_left), (Outcome::Retry, 1));
        assert!(r.reason.unwrap().contains("below 40"));
        let r = s.submit(input(&fs[0][0], 30)).unwrap();
        assert_eq!((r.outcome, r.retries_left), (Outcome::Retry, 0));
        // Retries used up: the best attempt (30 >= 25) is accepted below threshold.
        let r = s.submit(input(&fs[0][0], 12)).unwrap();
        assert_eq!((r.outcome, r.quality), (Outcome::AcceptedBelowThreshold, 30));
        assert!(s.summary().fingers[0].views[0].below_threshold);
        // Next slot: nothing usable at all -> the finger restarts.
        for _ in 0..2 {
            assert_eq!(s.submit(input(&fs[0][1], 5)).unwrap().outcome, Outcome::Retry);
        }
        let r = s.submit(input(&fs[0][1], 5)).unwrap();
        assert_eq!(r.outcome, Outcome::FingerRestarted);
        assert_eq!(s.done(), 0);
    }

    #[test]
    fn a_different_finger_within_a_finger_is_rejected() {
        let fs = fingers();
        let mut s = session(1);
        assert_eq!(s.submit(input(&fs[0][0], 80)).unwrap().outcome, Outcome::Accepted);
        let r = s.submit(input(&fs[3][0], 80)).unwrap();
        assert_eq!(r.outcome, Outcome::Retry);
        assert!(r.reason.unwrap().contains("does not match the earlier captures"));
        assert!(r.view_match.unwrap() < 40.0);
        let r = s.submit(input(&fs[3][1], 80)).unwrap();
        assert_eq!(r.outcome, Outcome::FingerRestarted);
        assert_eq!(s.next().unwrap().view, 0);
    }

    #[test]
    fn the_same_finger_for_two_positions_is_rejected() {
        let fs = fingers();
        let mut s = session(3);
        for t in fs[0].iter().take(VIEWS_PER_FINGER) {
            assert_eq!(s.submit(input(t, 80)).unwrap().outcome, Outcome::Accepted);
        }
        // Right thumb slot, but the left thumb is presented again (the same impression as its
        // second view: a certain match, independent of the matcher's genuine-score spread).
        let r = s.submit(input(&fs[0][1], 80)).unwrap();
        assert_eq!(r.outcome, Outcome::Retry);
        let reason = r.reason.unwrap();
        assert!(reason.contains("matches the finger captured as left-thumb"), "{reason}");
        assert!(r.other_finger_max.unwrap() >= 40.0);
        // The operator can restart the left thumb; other positions are refused.
        s.restart_finger(FingerPosition::LeftThumb).unwrap();
        assert_eq!(s.done(), 0);
        assert!(s.restart_finger(FingerPosition::LeftRing).is_err());
        assert!(matches!(s.enrollment(2019), Err(SessionError::Incomplete(0))));
    }
}
