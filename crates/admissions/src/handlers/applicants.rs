//! Registration and photo: `POST /api/applicants`, `GET|PUT /api/applicants/{id}`,
//! `PUT|GET /api/applicants/{id}/photo`.

use super::{JsonBody, RawBody, STAFF, blocking, parse_id};
use crate::AppState;
use crate::auth::Principal;
use crate::eligibility::{Eligibility, EnrollmentNeed, eligibility, enrollment_need};
use crate::error::{ApiError, ApiResult};
use crate::records::{PledgeRecord, ReviewRecord};
use axum::Json;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use ridgegate_store::{AccessContext, Applicant, ApplicantId, ApplicantStatus, Date, DegreeFacts, Photo, YearMonth};
use serde::{Deserialize, Serialize};

/// Registration data as sent by the platform or a desk.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RegistrationBody {
    /// Applicant ID (in the body for POST; optional for PUT, must equal the path).
    id: Option<String>,
    name: String,
    national_id: String,
    student_number: String,
    cohort_year: u16,
    /// YYYYMM.
    application_month: u32,
    /// YYYY-MM-DD.
    bachelor_date: Option<String>,
    master_date: Option<String>,
    doctor_date: Option<String>,
    #[serde(default)]
    passed_national_exam: bool,
}

fn parse_date(field: &'static str, s: &Option<String>) -> ApiResult<Option<Date>> {
    let Some(s) = s.as_deref().map(str::trim).filter(|s| !s.is_empty()) else { return Ok(None) };
    let bad = || ApiError::unprocessable("invalid_date", format!("{field} {s:?} is not a date YYYY-MM-DD"));
    let p: Vec<&str> = s.split('-').collect();
    if p.len() != 3 {
        return Err(bad());
    }
    let (y, m, d) =
        (p[0].parse().map_err(|_| bad())?, p[1].parse().map_err(|_| bad())?, p[2].parse().map_err(|_| bad())?);
    Date::new(y, m, d).map(Some).map_err(|e| ApiError::unprocessable("invalid_date", format!("{field}: {e}")))
}

fn fmt_date(d: Option<Date>) -> Option<String> {
    d.map(|d| format!("{:04}-{:02}-{:02}", d.year, d.month, d.day))
}

impl RegistrationBody {
    fn to_applicant(&self, id: ApplicantId, status: ApplicantStatus) -> ApiResult<Applicant> {
        let application_month =
            YearMonth::new(self.application_month).map_err(|e| ApiError::unprocessable("invalid", e.to_string()))?;
        let degree = DegreeFacts {
            bachelor: parse_date("bachelor_date", &self.bachelor_date)?,
            master: parse_date("master_date", &self.master_date)?,
            doctor: parse_date("doctor_date", &self.doctor_date)?,
        };
        let a = Applicant {
            id,
            name: self.name.trim().to_string(),
            national_id: self.national_id.trim().to_string(),
            student_number: self.student_number.trim().to_string(),
            cohort_year: self.cohort_year,
            application_month,
            degree,
            status,
        };
        a.validate().map_err(|e| ApiError::unprocessable("invalid", e.to_string()))?;
        Ok(a)
    }
}

/// Stable text of a status.
pub(crate) fn status_name(s: ApplicantStatus) -> &'static str {
    match s {
        ApplicantStatus::Registered => "registered",
        ApplicantStatus::Enrolled => "enrolled",
        ApplicantStatus::PassedExam => "passed_exam",
        ApplicantStatus::Flagged => "flagged",
    }
}

/// Photo facts in an applicant view.
#[derive(Debug, Serialize)]
pub(crate) struct PhotoFacts {
    present: bool,
    passed: bool,
}

/// An applicant as the desk sees it.
#[derive(Debug, Serialize)]
pub(crate) struct ApplicantView {
    id: String,
    name: String,
    national_id: String,
    student_number: String,
    cohort_year: u16,
    application_month: u32,
    bachelor_date: Option<String>,
    master_date: Option<String>,
    doctor_date: Option<String>,
    status: &'static str,
    eligibility: Eligibility,
    enrollment: EnrollmentNeed,
    photo: PhotoFacts,
    pledge: Option<PledgeRecord>,
    duplicate_review: Option<ReviewRecord>,
}

/// Reads everything the view needs (audited store reads). Blocking.
pub(crate) fn applicant_view(state: &AppState, ctx: &AccessContext, id: &ApplicantId) -> ApiResult<ApplicantView> {
    let inner = &state.inner;
    let a = inner.store.applicant(ctx, id)?;
    let year = enrolled_year(state, ctx, &a)?;
    let photo = inner.store.photo(ctx, id)?;
    Ok(ApplicantView {
        id: a.id.to_string(),
        name: a.name.clone(),
        national_id: a.national_id.clone(),
        student_number: a.student_number.clone(),
        cohort_year: a.cohort_year,
        application_month: a.application_month.0,
        bachelor_date: fmt_date(a.degree.bachelor),
        master_date: fmt_date(a.degree.master),
        doctor_date: fmt_date(a.degree.doctor),
        status: status_name(a.status),
        eligibility: eligibility(&a.degree, inner.config.bachelor_cutoff),
        enrollment: enrollment_need(&a, year, inner.config.enrollment_year),
        photo: PhotoFacts { present: photo.is_some(), passed: photo.is_some_and(|p| p.passed) },
        pledge: inner.records.pledge(id)?,
        duplicate_review: inner.records.review(id)?,
    })
}

/// The year of the applicant's enrollment, if enrolled (reads the enrollment only when the
/// status says there may be one; audited). Blocking.
pub(crate) fn enrolled_year(state: &AppState, ctx: &AccessContext, a: &Applicant) -> ApiResult<Option<u16>> {
    if a.status == ApplicantStatus::Registered {
        return Ok(None);
    }
    Ok(state.inner.store.enrollment(ctx, &a.id)?.map(|e| e.year))
}

pub(crate) async fn create(
    State(state): State<AppState>,
    p: Principal,
    JsonBody(body): JsonBody<RegistrationBody>,
) -> ApiResult<Response> {
    p.require(STAFF, "register applicants")?;
    let id =
        parse_id(body.id.as_deref().ok_or_else(|| ApiError::unprocessable("missing_id", "field `id` is required"))?)?;
    let status = if body.passed_national_exam { ApplicantStatus::PassedExam } else { ApplicantStatus::Registered };
    let applicant = body.to_applicant(id.clone(), status)?;
    let view = blocking(move || {
        let ctx = p.ctx();
        state.inner.store.create_applicant(&ctx, &applicant)?;
        applicant_view(&state, &ctx, &id)
    })
    .await?;
    Ok((StatusCode::CREATED, Json(view)).into_response())
}

pub(crate) async fn update(
    State(state): State<AppState>,
    p: Principal,
    Path(id): Path<String>,
    JsonBody(body): JsonBody<RegistrationBody>,
) -> ApiResult<Json<ApplicantView>> {
    p.require(STAFF, "update registrations")?;
    let id = parse_id(&id)?;
    if body.id.as_deref().is_some_and(|b| b != id.as_str()) {
        return Err(ApiError::unprocessable(
            "id_mismatch",
            "the body's id differs from the path; IDs cannot be changed",
        ));
    }
    blocking(move || {
        let ctx = p.ctx();
        let old = state.inner.store.applicant(&ctx, &id)?;
        let status = match (body.passed_national_exam, old.status) {
            (true, _) => ApplicantStatus::PassedExam,
            (false, ApplicantStatus::PassedExam) => match state.inner.store.enrollment(&ctx, &id)? {
                Some(_) => ApplicantStatus::Enrolled,
                None => ApplicantStatus::Registered,
            },
            (false, s) => s,
        };
        let applicant = body.to_applicant(id.clone(), status)?;
        state.inner.store.update_applicant(&ctx, &applicant)?;
        applicant_view(&state, &ctx, &id).map(Json)
    })
    .await
}

pub(crate) async fn get_one(
    State(state): State<AppState>,
    p: Principal,
    Path(id): Path<String>,
) -> ApiResult<Json<ApplicantView>> {
    p.require(STAFF, "read registrations")?;
    let id = parse_id(&id)?;
    blocking(move || applicant_view(&state, &p.ctx(), &id).map(Json)).await
}

/// Photo upload answer.
#[derive(Debug, Serialize)]
pub(crate) struct PhotoAnswer {
    /// `photo_rejected` when the check failed (the error code of a 422).
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<&'static str>,
    /// Summary of the failures.
    #[serde(skip_serializing_if = "Option::is_none")]
    message: Option<String>,
    passed: bool,
    stored: bool,
    failures: Vec<String>,
    report: serde_json::Value,
}

pub(crate) async fn put_photo(
    State(state): State<AppState>,
    p: Principal,
    Path(id): Path<String>,
    RawBody(body): RawBody,
) -> ApiResult<Response> {
    p.require(STAFF, "upload photos")?;
    let id = parse_id(&id)?;
    if body.is_empty() {
        return Err(ApiError::bad_request("empty_body", "send the JPEG photo as the request body"));
    }
    blocking(move || {
        let ctx = p.ctx();
        // The applicant must exist before anything is checked or stored.
        state.inner.store.applicant(&ctx, &id)?;
        let report = ridgegate_photo::check(&body, &state.inner.config.photo_rules)
            .map_err(|e| ApiError::unprocessable("invalid_photo", e.to_string()))?;
        let failures: Vec<String> = report
            .failures()
            .map(|r| format!("{}: measured {}, expected {}", r.rule, r.measured, r.expected))
            .collect();
        let json = serde_json::to_value(&report).map_err(|e| ApiError::internal(e.to_string()))?;
        if !report.passed {
            let message = format!("photo does not meet the specification, not stored: {}", failures.join("; "));
            let answer = PhotoAnswer {
                error: Some("photo_rejected"),
                message: Some(message),
                passed: false,
                stored: false,
                failures,
                report: json,
            };
            return Ok((StatusCode::UNPROCESSABLE_ENTITY, Json(answer)).into_response());
        }
        let photo = Photo {
            jpeg: body.to_vec(),
            passed: true,
            check_report: json.to_string(),
            uploaded_at_ms: ridgegate_store::now_ms(),
        };
        state.inner.store.put_photo(&ctx, &id, &photo)?;
        let answer = PhotoAnswer { error: None, message: None, passed: true, stored: true, failures, report: json };
        Ok(Json(answer).into_response())
    })
    .await
}

pub(crate) async fn get_photo(
    State(state): State<AppState>,
    p: Principal,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    p.require(STAFF, "read photos")?;
    let id = parse_id(&id)?;
    blocking(move || match state.inner.store.photo(&p.ctx(), &id)? {
        Some(photo) => Ok(([(header::CONTENT_TYPE, "image/jpeg")], photo.jpeg).into_response()),
        None => Err(ApiError::not_found("no_photo", format!("applicant {id} has no photo; upload one with PUT"))),
    })
    .await
}
