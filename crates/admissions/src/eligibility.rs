//! The eligibility rule of the notice and the "does this applicant need a new enrollment" rule.
//! Pure functions; thread-safe.

use ridgegate_store::{Applicant, ApplicantStatus, Date, DegreeFacts};
use serde::Serialize;

/// Why an applicant is (not) eligible.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Eligibility {
    /// True when the applicant may sit the exam.
    pub eligible: bool,
    /// Which route qualifies: `bachelor_before_cutoff`, `master_or_doctoral`, or `none`.
    pub route: &'static str,
    /// Explanation for the desk and the applicant.
    pub reason: String,
}

fn fmt_date(d: Date) -> String {
    format!("{:04}-{:02}-{:02}", d.year, d.month, d.day)
}

/// Applies the rule: a bachelor's degree awarded on or before `cutoff`, or a master's or
/// doctoral degree. The notice words the second route as "no bachelor's but a master's or
/// doctoral degree"; a holder of a master's or doctoral degree whose bachelor's came after the
/// cut-off is accepted too, since the higher degree qualifies on its own.
pub fn eligibility(degree: &DegreeFacts, cutoff: Date) -> Eligibility {
    if let Some(b) = degree.bachelor.filter(|b| *b <= cutoff) {
        return Eligibility {
            eligible: true,
            route: "bachelor_before_cutoff",
            reason: format!("bachelor's degree of {} is on or before the cut-off {}", fmt_date(b), fmt_date(cutoff)),
        };
    }
    if let Some((kind, d)) = degree.doctor.map(|d| ("doctoral", d)).or(degree.master.map(|d| ("master's", d))) {
        return Eligibility {
            eligible: true,
            route: "master_or_doctoral",
            reason: format!("{kind} degree of {}", fmt_date(d)),
        };
    }
    let reason = match degree.bachelor {
        Some(b) => format!(
            "bachelor's degree of {} is after the cut-off {} and there is no master's or doctoral degree",
            fmt_date(b),
            fmt_date(cutoff)
        ),
        None => "no bachelor's, master's or doctoral degree on record".to_string(),
    };
    Eligibility { eligible: false, route: "none", reason }
}

/// Whether the applicant must be enrolled (photo + fingerprints) at a confirmation desk now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EnrollmentNeed {
    /// True when a confirmation capture session is needed.
    pub required: bool,
    /// Year of the existing enrollment, if any.
    pub enrolled_year: Option<u16>,
    /// Explanation.
    pub reason: String,
}

/// Decides whether a new enrollment is needed: not for applicants who passed the national exam,
/// nor for those enrolled with photo and fingerprints in an earlier (or this) year; templates are
/// kept by applicant ID across years.
pub fn enrollment_need(applicant: &Applicant, enrolled_year: Option<u16>, this_year: u16) -> EnrollmentNeed {
    if applicant.status == ApplicantStatus::PassedExam {
        return EnrollmentNeed {
            required: false,
            enrolled_year,
            reason: "applicant already passed the national exam: no new enrollment needed".into(),
        };
    }
    match enrolled_year {
        Some(y) if y < this_year => EnrollmentNeed {
            required: false,
            enrolled_year,
            reason: format!("enrolled with photo and fingerprints in {y}: kept across years, no new enrollment needed"),
        },
        Some(y) => {
            EnrollmentNeed { required: false, enrolled_year, reason: format!("already enrolled this year ({y})") }
        }
        None => EnrollmentNeed {
            required: true,
            enrolled_year: None,
            reason: "not enrolled yet: on-site confirmation with photo and six fingers needed".into(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ridgegate_store::{ApplicantId, YearMonth};

    fn d(y: u16, m: u8, day: u8) -> Date {
        Date::new(y, m, day).unwrap()
    }
    const CUTOFF: Date = Date { year: 2017, month: 3, day: 31 };

    #[test]
    fn bachelor_cutoff_is_inclusive() {
        let on = DegreeFacts { bachelor: Some(d(2017, 3, 31)), ..Default::default() };
        assert!(eligibility(&on, CUTOFF).eligible);
        let after = DegreeFacts { bachelor: Some(d(2017, 4, 1)), ..Default::default() };
        let e = eligibility(&after, CUTOFF);
        assert!(!e.eligible);
        assert!(e.reason.contains("after the cut-off 2017-03-31"), "{}", e.reason);
    }

    #[test]
    fn master_or_doctor_without_bachelor() {
        let m = DegreeFacts { master: Some(d(2019, 6, 30)), ..Default::default() };
        assert_eq!(eligibility(&m, CUTOFF).route, "master_or_doctoral");
        let p = DegreeFacts { doctor: Some(d(2020, 6, 30)), ..Default::default() };
        assert!(eligibility(&p, CUTOFF).eligible);
        let none = DegreeFacts::default();
        assert!(!eligibility(&none, CUTOFF).eligible);
        let later_cutoff = DegreeFacts { bachelor: Some(d(2017, 4, 1)), ..Default::default() };
        assert!(eligibility(&later_cutoff, d(2018, 3, 31)).eligible);
    }

    #[test]
    fn earlier_enrollment_or_passed_exam_needs_none() {
        let mut a = Applicant {
            id: ApplicantId::new("A1").unwrap(),
            name: "n".into(),
            national_id: "x".into(),
            student_number: "s".into(),
            cohort_year: 2019,
            application_month: YearMonth(201909),
            degree: DegreeFacts::default(),
            status: ApplicantStatus::Registered,
        };
        assert!(enrollment_need(&a, None, 2019).required);
        let e = enrollment_need(&a, Some(2018), 2019);
        assert!(!e.required && e.reason.contains("2018"));
        a.status = ApplicantStatus::PassedExam;
        assert!(!enrollment_need(&a, None, 2019).required);
    }
}
