//! The records the store keeps. All are plain serde data; `Send + Sync`.

use crate::error::{Result, StoreError};
use ridgegate_core::{FingerPosition, Template};
use serde::{Deserialize, Serialize};

/// Longest applicant ID accepted.
pub const MAX_ID_LEN: usize = 32;
/// Most views (captures) kept per finger. The desk takes 4; re-captures may replace them.
pub const MAX_VIEWS_PER_FINGER: usize = 8;

/// An applicant ID: 1..=32 characters from `A-Z a-z 0-9 - _` (the platform's registration
/// numbers fit). Validated on construction, so any `ApplicantId` is safe as a database key and in
/// URLs.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct ApplicantId(String);

impl ApplicantId {
    /// Validates and wraps an ID.
    pub fn new(id: impl Into<String>) -> Result<Self> {
        let id = id.into();
        if id.is_empty() || id.len() > MAX_ID_LEN {
            return Err(StoreError::invalid("applicant ID", format!("{id:?} must be 1..={MAX_ID_LEN} characters")));
        }
        if !id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_') {
            return Err(StoreError::invalid("applicant ID", format!("{id:?} may contain only A-Z a-z 0-9 - _")));
        }
        Ok(ApplicantId(id))
    }
    /// The ID as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for ApplicantId {
    type Error = StoreError;
    fn try_from(s: String) -> Result<Self> {
        ApplicantId::new(s)
    }
}
impl From<ApplicantId> for String {
    fn from(id: ApplicantId) -> String {
        id.0
    }
}
impl std::fmt::Display for ApplicantId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// A calendar date (proleptic Gregorian), validated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Date {
    /// Year, 1900..=2200.
    pub year: u16,
    /// Month 1..=12.
    pub month: u8,
    /// Day 1..=31 (checked against the month).
    pub day: u8,
}

impl Date {
    /// A validated date.
    pub fn new(year: u16, month: u8, day: u8) -> Result<Self> {
        let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
        let days = match month {
            1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
            4 | 6 | 9 | 11 => 30,
            2 if leap => 29,
            2 => 28,
            _ => 0,
        };
        if !(1900..=2200).contains(&year) || day == 0 || day > days {
            return Err(StoreError::invalid("date", format!("{year:04}-{month:02}-{day:02} is not a valid date")));
        }
        Ok(Date { year, month, day })
    }
}

/// An application month `YYYYMM` such as 201909, validated (month 01..=12, year 2000..=2200).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct YearMonth(pub u32);

impl YearMonth {
    /// Validates `YYYYMM`.
    pub fn new(v: u32) -> Result<Self> {
        let (y, m) = (v / 100, v % 100);
        if !(2000..=2200).contains(&y) || !(1..=12).contains(&m) {
            return Err(StoreError::invalid("application month", format!("{v} is not YYYYMM")));
        }
        Ok(YearMonth(v))
    }
}

/// The degree facts eligibility is decided on (the admissions service owns the rule).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DegreeFacts {
    /// Date the bachelor's degree was awarded, if any.
    pub bachelor: Option<Date>,
    /// Date a master's degree was awarded, if any.
    pub master: Option<Date>,
    /// Date a doctoral degree was awarded, if any.
    pub doctor: Option<Date>,
}

/// Where an applicant stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ApplicantStatus {
    /// Registered online; not yet confirmed on site.
    Registered,
    /// Photo and fingerprints captured at a confirmation desk.
    Enrolled,
    /// Passed the national exam (no new enrollment needed in later years).
    PassedExam,
    /// Flagged for a supervisor (e.g. a possible duplicate enrollment).
    Flagged,
}

/// An applicant's registration record (personal data; encrypted at rest).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Applicant {
    /// Platform applicant ID (the store key).
    pub id: ApplicantId,
    /// Full name.
    pub name: String,
    /// National ID card number.
    pub national_id: String,
    /// Student number on the platform.
    pub student_number: String,
    /// Cohort year, e.g. 2019.
    pub cohort_year: u16,
    /// Application month, e.g. 201909.
    pub application_month: YearMonth,
    /// Degree facts for the eligibility rule.
    pub degree: DegreeFacts,
    /// Status.
    pub status: ApplicantStatus,
}

impl Applicant {
    /// Checks the fields the store relies on (lengths, ranges).
    pub fn validate(&self) -> Result<()> {
        for (field, v, max) in [
            ("name", &self.name, 128usize),
            ("national ID number", &self.national_id, 32),
            ("student number", &self.student_number, 32),
        ] {
            if v.trim().is_empty() || v.len() > max {
                return Err(StoreError::invalid(field, format!("must be 1..={max} bytes")));
            }
        }
        if !(2000..=2200).contains(&self.cohort_year) {
            return Err(StoreError::invalid("cohort year", format!("{} not in 2000..=2200", self.cohort_year)));
        }
        YearMonth::new(self.application_month.0)?;
        Ok(())
    }
}

/// One captured view (impression) of a finger.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CapturedView {
    /// The extracted template.
    pub template: Template,
    /// Image quality 0..=100 at capture.
    pub quality: u8,
    /// Capture time, milliseconds since the Unix epoch (UTC).
    pub captured_at_ms: u64,
    /// Device that captured it (driver and serial/path).
    pub device: String,
    /// Operator who captured it.
    pub operator: String,
    /// The source image, lossless PNG, so templates can be re-extracted when the algorithm changes.
    pub image_png: Vec<u8>,
}

/// One view's template to be replaced by [`crate::Store::replace_templates`]: the template read
/// before (`old`, checked against the stored one so that a re-enrollment made meanwhile is never
/// overwritten) and its replacement (`new`, e.g. re-extracted from the view's source image by a newer
/// extractor).
#[derive(Debug, Clone, PartialEq)]
pub struct TemplateUpdate {
    /// Finger of the view.
    pub finger: FingerPosition,
    /// View index 0.. within the finger.
    pub view: u8,
    /// The template as read (must still be the stored one).
    pub old: Template,
    /// The replacement; validated and labelled with `finger` on write.
    pub new: Template,
}

/// The views of one finger.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FingerEnrollment {
    /// Finger position (must be a real finger, not `Unknown`).
    pub finger: FingerPosition,
    /// 1..=[`MAX_VIEWS_PER_FINGER`] views.
    pub views: Vec<CapturedView>,
}

/// An applicant's complete enrollment; written atomically.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Enrollment {
    /// Whose.
    pub applicant: ApplicantId,
    /// Year of the confirmation it was made in (kept across years).
    pub year: u16,
    /// Desk that made it.
    pub desk: String,
    /// Fingers, at most one entry per position.
    pub fingers: Vec<FingerEnrollment>,
}

impl Enrollment {
    /// Checks finger positions (known, distinct), view counts and that each view's template is
    /// valid and labelled with its finger.
    pub fn validate(&self) -> Result<()> {
        if self.fingers.is_empty() {
            return Err(StoreError::invalid("enrollment", "no fingers"));
        }
        let mut seen = std::collections::HashSet::new();
        for f in &self.fingers {
            if f.finger == FingerPosition::Unknown {
                return Err(StoreError::invalid(
                    "finger position",
                    "unknown finger position (code 0) cannot be enrolled",
                ));
            }
            if !seen.insert(f.finger) {
                return Err(StoreError::invalid("finger position", format!("{} appears twice", f.finger)));
            }
            if f.views.is_empty() || f.views.len() > MAX_VIEWS_PER_FINGER {
                return Err(StoreError::invalid(
                    "views",
                    format!("{}: {} views, need 1..={MAX_VIEWS_PER_FINGER}", f.finger, f.views.len()),
                ));
            }
            for (i, v) in f.views.iter().enumerate() {
                v.template
                    .validate()
                    .map_err(|e| StoreError::invalid("template", format!("{} view {i}: {e}", f.finger)))?;
                if v.template.finger != f.finger && v.template.finger != FingerPosition::Unknown {
                    return Err(StoreError::invalid(
                        "finger position",
                        format!("view {i} of {} holds a template labelled {}", f.finger, v.template.finger),
                    ));
                }
            }
        }
        Ok(())
    }
}

/// The applicant's degree photo and the result of the photo check.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Photo {
    /// JPEG bytes as uploaded.
    pub jpeg: Vec<u8>,
    /// Whether the photo passed the specification check.
    pub passed: bool,
    /// The check report (JSON text from `ridgegate-photo`).
    pub check_report: String,
    /// Upload time, ms since the Unix epoch.
    pub uploaded_at_ms: u64,
}

/// Decision of a gate verification attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum GateDecision {
    /// Admitted.
    Admit,
    /// Denied (no match).
    Deny,
    /// The capture was unusable; the applicant was asked to retry.
    Retry,
}

/// One gate verification attempt.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GateAttempt {
    /// Who claimed to present.
    pub applicant: ApplicantId,
    /// Gate station ID.
    pub gate: String,
    /// Time, ms since the Unix epoch.
    pub at_ms: u64,
    /// Calibrated score (−10·log10 FMR).
    pub score: f32,
    /// Decision.
    pub decision: GateDecision,
    /// Image-to-decision latency in milliseconds.
    pub latency_ms: f32,
}

/// A role allowed to act on the store; recorded in the audit log.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Role {
    /// Confirmation-desk operator.
    DeskOperator,
    /// Exam-gate device.
    Gate,
    /// Supervisor (duplicate review).
    Supervisor,
    /// Administrator (export, deletion).
    Admin,
    /// The system itself (start-up loading, migrations).
    System,
}

/// Who performs an operation and where: every biometric read or write is audited with it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessContext {
    /// Role of the actor.
    pub role: Role,
    /// Actor ID (operator login, gate device ID).
    pub actor: String,
    /// Station: desk or gate ID, or `cli`.
    pub station: String,
}

impl AccessContext {
    /// Context for command-line maintenance by an administrator.
    pub fn cli_admin(actor: impl Into<String>) -> Self {
        AccessContext { role: Role::Admin, actor: actor.into(), station: "cli".into() }
    }
    /// Context for the system itself.
    pub fn system() -> Self {
        AccessContext { role: Role::System, actor: "system".into(), station: "local".into() }
    }
}

/// What an audited operation did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum AuditAction {
    /// Applicant record created.
    CreateApplicant,
    /// Applicant record updated.
    UpdateApplicant,
    /// Applicant record read.
    ReadApplicant,
    /// Enrollment written.
    WriteEnrollment,
    /// Enrollment templates read.
    ReadTemplates,
    /// Source images read.
    ReadImages,
    /// Photo written.
    WritePhoto,
    /// Photo read.
    ReadPhoto,
    /// Gate attempt recorded.
    GateAttempt,
    /// All templates loaded (gallery start-up).
    LoadAllTemplates,
    /// Export of one applicant or the whole store.
    Export,
    /// Import of an export file.
    Import,
    /// Applicant and all their data deleted.
    DeleteApplicant,
    /// A 1:N search over in-memory templates (duplicate check, gate roster search); the detail
    /// says which search and how many templates it compared. Appended last: older logs decode.
    Search,
    /// Templates of enrolled views replaced by re-extraction from their stored source images (the
    /// detail says how many views and for which algorithm version). Appended last: older logs decode.
    ReplaceTemplates,
}

/// One entry of the append-only, hash-chained audit log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEntry {
    /// Sequence number, 1, 2, 3, … without gaps.
    pub seq: u64,
    /// Time, ms since the Unix epoch.
    pub at_ms: u64,
    /// Who and where.
    pub context: AccessContext,
    /// What.
    pub action: AuditAction,
    /// Whose data, if one applicant's.
    pub applicant: Option<ApplicantId>,
    /// Free-text detail (counts, finger positions; never biometric data).
    pub detail: String,
    /// SHA-256 of the previous entry (zeros for the first).
    pub prev_hash: [u8; 32],
    /// SHA-256 over `prev_hash` and this entry's other fields.
    pub hash: [u8; 32],
}

/// Milliseconds since the Unix epoch, now.
pub fn now_ms() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_millis() as u64).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_validated() {
        assert!(ApplicantId::new("2019-000123_a").is_ok());
        assert!(ApplicantId::new("").is_err());
        assert!(ApplicantId::new("a/b").is_err());
        assert!(ApplicantId::new("x".repeat(33)).is_err());
    }

    #[test]
    fn dates_and_months_are_validated() {
        assert!(Date::new(2016, 2, 29).is_ok());
        assert!(Date::new(2017, 2, 29).is_err());
        assert!(Date::new(2017, 13, 1).is_err());
        assert!(YearMonth::new(201909).is_ok());
        assert!(YearMonth::new(201913).is_err());
        assert!(YearMonth::new(1909).is_err());
    }
}
