//! On-site confirmation: the capture session, completion with the duplicate check, the pledge
//! and the printable form.

use super::applicants::enrolled_year;
use super::{Acquired, DESK, ImageSource, JsonBody, QueryArgs, RawBody, STAFF, acquire, blocking, parse_id};
use crate::auth::Principal;
use crate::duplicates::{DuplicateReport, duplicate_check};
use crate::eligibility::{eligibility, enrollment_need};
use crate::error::{ApiError, ApiResult};
use crate::form::{FormData, PLEDGE_VERSION, render_form};
use crate::records::{PledgeRecord, ReviewRecord};
use crate::session::{CaptureInput, CaptureSession, SessionSummary, StepReport};
use crate::{AppState, lock};
use axum::Json;
use axum::extract::{Path, State};
use axum::http::header;
use axum::response::{Html, IntoResponse, Response};
use ridgegate_core::{FingerPosition, Template};
use ridgegate_store::{ApplicantId, ApplicantStatus};
use serde::{Deserialize, Serialize};
use std::sync::{Arc, Mutex};

fn session_of(state: &AppState, id: &ApplicantId) -> ApiResult<Arc<Mutex<CaptureSession>>> {
    lock(&state.inner.sessions).get(id).cloned().ok_or_else(|| {
        ApiError::not_found(
            "no_session",
            format!("no confirmation session for {id}; start one with POST …/confirmation"),
        )
    })
}

fn owned_session(state: &AppState, p: &Principal, id: &ApplicantId) -> ApiResult<Arc<Mutex<CaptureSession>>> {
    let s = session_of(state, id)?;
    let desk = lock(&s).desk().to_string();
    if desk != p.station {
        return Err(ApiError::conflict(
            "session_elsewhere",
            format!("the confirmation of {id} is running at desk {desk}; finish or abandon it there"),
        ));
    }
    Ok(s)
}

pub(crate) async fn start(
    State(state): State<AppState>,
    p: Principal,
    Path(id): Path<String>,
) -> ApiResult<Json<SessionSummary>> {
    p.require(DESK, "run confirmation sessions")?;
    let id = parse_id(&id)?;
    blocking(move || {
        let ctx = p.ctx();
        let inner = &state.inner;
        let a = inner.store.applicant(&ctx, &id)?;
        let el = eligibility(&a.degree, inner.config.bachelor_cutoff);
        if !el.eligible {
            return Err(ApiError::unprocessable(
                "not_eligible",
                format!("applicant {id} is not eligible: {}", el.reason),
            ));
        }
        let need = enrollment_need(&a, enrolled_year(&state, &ctx, &a)?, inner.config.enrollment_year);
        if !need.required {
            return Err(ApiError::conflict("enrollment_not_required", need.reason));
        }
        match inner.store.photo(&ctx, &id)? {
            Some(ph) if ph.passed => {}
            _ => {
                return Err(ApiError::conflict(
                    "photo_required",
                    format!("applicant {id} has no accepted photo; upload one (PUT …/photo) before capturing fingers"),
                ));
            }
        }
        let mut sessions = lock(&inner.sessions);
        let timeout = inner.config.session_idle_timeout;
        sessions.retain(|other, s| {
            let keep = lock(s).idle() < timeout;
            if !keep {
                tracing::warn!(applicant = %other, "confirmation session idle too long: dropped (nothing was stored)");
            }
            keep
        });
        if let Some(s) = sessions.get(&id) {
            let s = lock(s);
            if s.desk() != p.station {
                return Err(ApiError::conflict(
                    "session_elsewhere",
                    format!("the confirmation of {id} is running at desk {}", s.desk()),
                ));
            }
            return Ok(Json(s.summary()));
        }
        let s = CaptureSession::new(id.clone(), p.station.clone(), p.actor.clone(), &inner.config);
        let summary = s.summary();
        sessions.insert(id, Arc::new(Mutex::new(s)));
        tracing::info!(desk = %p.station, operator = %p.actor, "confirmation session started");
        Ok(Json(summary))
    })
    .await
}

pub(crate) async fn status(
    State(state): State<AppState>,
    p: Principal,
    Path(id): Path<String>,
) -> ApiResult<Json<SessionSummary>> {
    p.require(DESK, "read confirmation sessions")?;
    let id = parse_id(&id)?;
    let s = session_of(&state, &id)?;
    let summary = lock(&s).summary();
    Ok(Json(summary))
}

pub(crate) async fn abandon(
    State(state): State<AppState>,
    p: Principal,
    Path(id): Path<String>,
) -> ApiResult<Json<serde_json::Value>> {
    p.require(DESK, "abandon confirmation sessions")?;
    let id = parse_id(&id)?;
    owned_session(&state, &p, &id)?;
    lock(&state.inner.sessions).remove(&id);
    Ok(Json(serde_json::json!({"abandoned": true, "applicant": id.as_str()})))
}

/// Answer to a capture.
#[derive(Debug, Serialize)]
pub(crate) struct CaptureAnswer {
    /// `accepted`, `accepted_below_threshold`, `retry`, `finger_restarted`, or `scanner_retry`
    /// (the device asked for another try before any image).
    outcome: &'static str,
    /// The session step report (absent for `scanner_retry`).
    step: Option<StepReport>,
    /// Why not accepted.
    reason: Option<String>,
    /// The grid after this capture.
    session: SessionSummary,
}

pub(crate) async fn capture(
    State(state): State<AppState>,
    p: Principal,
    Path(id): Path<String>,
    QueryArgs(src): QueryArgs<ImageSource>,
    RawBody(body): RawBody,
) -> ApiResult<Json<CaptureAnswer>> {
    p.require(DESK, "capture fingerprints")?;
    let id = parse_id(&id)?;
    let session = owned_session(&state, &p, &id)?;
    if lock(&session).next().is_none() {
        return Err(ApiError::conflict("capture_complete", "all 24 captures are done; complete the confirmation"));
    }
    let (image, device) = match acquire(&state, &src, body).await? {
        Acquired::Image(img, dev) => (img, dev),
        Acquired::Retry(r) => {
            let summary = lock(&session).summary();
            return Ok(Json(CaptureAnswer {
                outcome: "scanner_retry",
                step: None,
                reason: Some(format!("scanner: {}", r.hint())),
                session: summary,
            }));
        }
    };
    let operator = p.actor.clone();
    blocking(move || {
        let extraction =
            ridgegate_extract::extract(&image).map_err(|e| ApiError::unprocessable("invalid_image", e.to_string()))?;
        let input = CaptureInput {
            template: extraction.template,
            quality: extraction.quality,
            extract_reason: extraction.reason,
            image_png: image.to_png(),
            device,
            operator,
            captured_at_ms: ridgegate_store::now_ms(),
        };
        let mut s = lock(&session);
        let step = s.submit(input).map_err(|e| ApiError::conflict("capture_complete", e.to_string()))?;
        let outcome = match step.outcome {
            crate::session::Outcome::Accepted => "accepted",
            crate::session::Outcome::AcceptedBelowThreshold => "accepted_below_threshold",
            crate::session::Outcome::Retry => "retry",
            crate::session::Outcome::FingerRestarted => "finger_restarted",
        };
        Ok(Json(CaptureAnswer { outcome, reason: step.reason.clone(), step: Some(step), session: s.summary() }))
    })
    .await
}

pub(crate) async fn restart_finger(
    State(state): State<AppState>,
    p: Principal,
    Path((id, finger)): Path<(String, String)>,
) -> ApiResult<Json<SessionSummary>> {
    p.require(DESK, "restart fingers")?;
    let id = parse_id(&id)?;
    let finger: FingerPosition = finger
        .parse()
        .map_err(|e: ridgegate_core::finger::UnknownFinger| ApiError::bad_request("bad_finger", e.to_string()))?;
    let s = owned_session(&state, &p, &id)?;
    let mut s = lock(&s);
    s.restart_finger(finger).map_err(|e| ApiError::unprocessable("bad_finger", e.to_string()))?;
    Ok(Json(s.summary()))
}

/// Answer to completion.
#[derive(Debug, Serialize)]
pub(crate) struct CompleteAnswer {
    enrolled: bool,
    year: u16,
    flagged_for_review: bool,
    duplicate_check: DuplicateReport,
    form_url: String,
    pledge_url: String,
}

pub(crate) async fn complete(
    State(state): State<AppState>,
    p: Principal,
    Path(id): Path<String>,
) -> ApiResult<Json<CompleteAnswer>> {
    p.require(DESK, "complete confirmations")?;
    let id = parse_id(&id)?;
    let session = owned_session(&state, &p, &id)?;
    blocking(move || {
        let inner = &state.inner;
        let ctx = p.ctx();
        let _serial = lock(&inner.enroll_lock);
        let year = inner.config.enrollment_year;
        let enrollment =
            lock(&session).enrollment(year).map_err(|e| ApiError::conflict("capture_incomplete", e.to_string()))?;
        let report = duplicate_check(&inner.gallery, &enrollment, &inner.config);
        inner.store.record_search(
            &ctx,
            Some(&enrollment.applicant),
            &format!(
                "duplicate check: {} gallery templates, {} candidates",
                report.gallery_templates,
                report.candidates.len()
            ),
        )?;
        let flagged = !report.candidates.is_empty();
        if flagged {
            // The review record comes first: if the enrollment write fails, an open review of an
            // unenrolled applicant is harmless; the reverse would lose the flag.
            inner.records.put_review(&ReviewRecord {
                applicant: id.clone(),
                candidates: report.candidates.clone(),
                flagged_at_ms: ridgegate_store::now_ms(),
                desk: p.station.clone(),
                state: "open".into(),
                resolved_by: None,
                note: None,
            })?;
        }
        inner.store.put_enrollment(&ctx, &enrollment, false)?;
        if flagged {
            let mut a = inner.store.applicant(&ctx, &id)?;
            a.status = ApplicantStatus::Flagged;
            inner.store.update_applicant(&ctx, &a)?;
            tracing::warn!(applicant = %id, candidates = report.candidates.len(), "possible duplicate enrollment flagged for supervisor");
        }
        for f in &enrollment.fingers {
            let t: Vec<Template> = f.views.iter().map(|v| v.template.clone()).collect();
            inner.gallery.insert(id.as_str(), f.finger, &t);
        }
        lock(&inner.sessions).remove(&id);
        Ok(Json(CompleteAnswer {
            enrolled: true,
            year,
            flagged_for_review: flagged,
            duplicate_check: report,
            form_url: format!("/api/applicants/{id}/form"),
            pledge_url: format!("/api/applicants/{id}/pledge"),
        }))
    })
    .await
}

/// The pledge as accepted at the desk.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct PledgeBody {
    accepted: bool,
    signed_name: String,
}

pub(crate) async fn pledge(
    State(state): State<AppState>,
    p: Principal,
    Path(id): Path<String>,
    JsonBody(body): JsonBody<PledgeBody>,
) -> ApiResult<Json<PledgeRecord>> {
    p.require(DESK, "record pledges")?;
    let id = parse_id(&id)?;
    if !body.accepted {
        return Err(ApiError::unprocessable(
            "pledge_not_accepted",
            "the applicant must accept the pledge (accepted: true)",
        ));
    }
    blocking(move || {
        let a = state.inner.store.applicant(&p.ctx(), &id)?;
        if body.signed_name.trim() != a.name.trim() {
            return Err(ApiError::unprocessable(
                "signature_mismatch",
                "the signed name differs from the registered name; the applicant signs with the registered name",
            ));
        }
        let rec = PledgeRecord {
            applicant: id,
            pledge_version: PLEDGE_VERSION,
            signed_name: body.signed_name.trim().to_string(),
            accepted_at_ms: ridgegate_store::now_ms(),
            desk: p.station.clone(),
            operator: p.actor.clone(),
        };
        state.inner.records.put_pledge(&rec)?;
        Ok(Json(rec))
    })
    .await
}

pub(crate) async fn form(State(state): State<AppState>, p: Principal, Path(id): Path<String>) -> ApiResult<Response> {
    p.require(STAFF, "print review forms")?;
    let id = parse_id(&id)?;
    blocking(move || {
        let ctx = p.ctx();
        let inner = &state.inner;
        let a = inner.store.applicant(&ctx, &id)?;
        let enrollment =
            if a.status == ApplicantStatus::Registered { None } else { inner.store.enrollment(&ctx, &id)? };
        let photo = inner.store.photo(&ctx, &id)?;
        let el = eligibility(&a.degree, inner.config.bachelor_cutoff);
        let need = enrollment_need(&a, enrollment.as_ref().map(|e| e.year), inner.config.enrollment_year);
        let review = inner.records.review(&id)?;
        let pledge = inner.records.pledge(&id)?;
        let html = render_form(&FormData {
            applicant: &a,
            eligibility: &el,
            need: &need,
            enrollment: enrollment.as_ref(),
            photo_jpeg: photo.as_ref().map(|p| p.jpeg.as_slice()),
            review: review.as_ref(),
            pledge: pledge.as_ref(),
            printed_at_ms: ridgegate_store::now_ms(),
        });
        Ok(([(header::CACHE_CONTROL, "no-store")], Html(html)).into_response())
    })
    .await
}
