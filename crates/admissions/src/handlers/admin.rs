//! Health, identity, oversight (templates, audit log, duplicate reviews, deletion) and the scanner.

use super::{JsonBody, OVERSIGHT, QueryArgs, STAFF, blocking, parse_id};
use crate::auth::{Principal, role_name};
use crate::error::{ApiError, ApiResult};
use crate::records::ReviewRecord;
use crate::scanner::{ScannerStatus, VirtualCommand};
use crate::{AppState, lock};
use axum::Json;
use axum::extract::{Path, State};
use ridgegate_store::{ApplicantStatus, AuditEntry, Role};
use serde::{Deserialize, Serialize};

/// Health answer (no personal data; no authentication needed).
#[derive(Debug, Serialize)]
pub(crate) struct Health {
    status: &'static str,
    version: &'static str,
    gallery_templates: usize,
    open_sessions: usize,
    scanner: Option<String>,
}

pub(crate) async fn health(State(state): State<AppState>) -> Json<Health> {
    let inner = &state.inner;
    Json(Health {
        status: "ok",
        version: env!("CARGO_PKG_VERSION"),
        gallery_templates: inner.gallery.len(),
        open_sessions: lock(&inner.sessions).len(),
        scanner: inner.scanner.info().map(|i| i.selector.clone()),
    })
}

/// Who the token belongs to.
#[derive(Debug, Serialize)]
pub(crate) struct Me {
    role: &'static str,
    actor: String,
    station: String,
}

pub(crate) async fn me(p: Principal) -> Json<Me> {
    Json(Me { role: role_name(p.role), actor: p.actor, station: p.station })
}

pub(crate) async fn delete_applicant(
    State(state): State<AppState>,
    p: Principal,
    Path(id): Path<String>,
) -> ApiResult<Json<serde_json::Value>> {
    p.require(&[Role::Admin], "delete applicants")?;
    let id = parse_id(&id)?;
    blocking(move || {
        let inner = &state.inner;
        let _serial = lock(&inner.enroll_lock);
        inner.store.delete_applicant(&p.ctx(), &id)?;
        let removed = inner.gallery.remove(id.as_str());
        inner.records.delete_applicant(&id)?;
        lock(&inner.sessions).remove(&id);
        Ok(Json(serde_json::json!({"deleted": id.as_str(), "gallery_templates_removed": removed})))
    })
    .await
}

/// One stored template, exported.
#[derive(Debug, Serialize)]
pub(crate) struct TemplateOut {
    finger: String,
    view: usize,
    quality: u8,
    minutiae: usize,
    /// RidgeGate native format, base64.
    native_base64: String,
}

pub(crate) async fn templates(
    State(state): State<AppState>,
    p: Principal,
    Path(id): Path<String>,
) -> ApiResult<Json<Vec<TemplateOut>>> {
    p.require(OVERSIGHT, "read templates")?;
    let id = parse_id(&id)?;
    blocking(move || {
        let e = state
            .inner
            .store
            .enrollment(&p.ctx(), &id)?
            .ok_or_else(|| ApiError::not_found("not_enrolled", format!("applicant {id} has no enrollment")))?;
        let mut out = Vec::new();
        for f in &e.fingers {
            for (i, v) in f.views.iter().enumerate() {
                let bytes = v.template.encode().map_err(|e| ApiError::internal(format!("template encode: {e}")))?;
                out.push(TemplateOut {
                    finger: f.finger.name().into(),
                    view: i,
                    quality: v.quality,
                    minutiae: v.template.minutiae.len(),
                    native_base64: crate::base64(&bytes),
                });
            }
        }
        Ok(Json(out))
    })
    .await
}

pub(crate) async fn reviews(State(state): State<AppState>, p: Principal) -> ApiResult<Json<Vec<ReviewRecord>>> {
    p.require(OVERSIGHT, "read duplicate reviews")?;
    blocking(move || Ok(Json(state.inner.records.reviews()?))).await
}

/// A supervisor's decision on a duplicate flag.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Resolution {
    /// `distinct_persons` (the flag was wrong: the applicant is released) or
    /// `confirmed_duplicate` (kept flagged; gates refuse the applicant).
    decision: String,
    note: Option<String>,
}

pub(crate) async fn resolve_review(
    State(state): State<AppState>,
    p: Principal,
    Path(id): Path<String>,
    JsonBody(body): JsonBody<Resolution>,
) -> ApiResult<Json<ReviewRecord>> {
    p.require(&[Role::Supervisor], "resolve duplicate reviews")?;
    let id = parse_id(&id)?;
    if !matches!(body.decision.as_str(), "distinct_persons" | "confirmed_duplicate") {
        return Err(ApiError::unprocessable(
            "bad_decision",
            "decision must be distinct_persons or confirmed_duplicate",
        ));
    }
    blocking(move || {
        let inner = &state.inner;
        let ctx = p.ctx();
        let mut r = inner
            .records
            .review(&id)?
            .ok_or_else(|| ApiError::not_found("no_review", format!("applicant {id} has no duplicate review")))?;
        r.state = body.decision.clone();
        r.resolved_by = Some(p.actor.clone());
        r.note = body.note.clone();
        inner.records.put_review(&r)?;
        let mut a = inner.store.applicant(&ctx, &id)?;
        a.status = if r.state == "distinct_persons" { ApplicantStatus::Enrolled } else { ApplicantStatus::Flagged };
        inner.store.update_applicant(&ctx, &a)?;
        Ok(Json(r))
    })
    .await
}

/// Audit paging.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct AuditQuery {
    from: Option<u64>,
    limit: Option<usize>,
}

pub(crate) async fn audit(
    State(state): State<AppState>,
    p: Principal,
    QueryArgs(q): QueryArgs<AuditQuery>,
) -> ApiResult<Json<Vec<AuditEntry>>> {
    p.require(OVERSIGHT, "read the audit log")?;
    let (from, limit) = (q.from.unwrap_or(1), q.limit.unwrap_or(100).min(1000));
    blocking(move || Ok(Json(state.inner.store.audit_entries(from, limit)?))).await
}

pub(crate) async fn scanner_status(State(state): State<AppState>, p: Principal) -> ApiResult<Json<ScannerStatus>> {
    p.require(&[Role::DeskOperator, Role::Gate, Role::Supervisor, Role::Admin], "read the scanner status")?;
    Ok(Json(state.inner.scanner.status()))
}

pub(crate) async fn scanner_virtual(
    State(state): State<AppState>,
    p: Principal,
    JsonBody(cmd): JsonBody<VirtualCommand>,
) -> ApiResult<Json<ScannerStatus>> {
    p.require(STAFF, "script the virtual scanner")?;
    state.inner.scanner.apply(&cmd)?;
    Ok(Json(state.inner.scanner.status()))
}
