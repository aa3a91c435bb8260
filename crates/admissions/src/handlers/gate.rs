//! Exam-hall gate: `POST /api/gate/verify` (1:1 against the claimed applicant, or a roster search
//! of the hall when the ID is missing) and the hall rosters.
//!
//! A gate transaction is the sequence of attempts of one applicant (or one roster search) at one
//! gate station. 1:1 reads the applicant's templates from the store (an audited read under the
//! gate's identity; the gate never receives them) and compares the probe finger by finger, stopping
//! at the first view that reaches the threshold; a roster search uses the 1:N gallery restricted to
//! the hall's roster (flagged applicants excluded; two passing subjects are refused as ambiguous).
//! The decision is [`GatePolicy::decide`] over the attempts so far, with a per-comparison threshold
//! that keeps the whole transaction's false-accept rate at the policy's target, counting every
//! comparison an impostor could get (attempts × templates in scope, × roster size for a search).
//! Unusable captures ask for a retry without using an attempt. Every attempt that names an
//! applicant is recorded in the store (audited).

use super::{Acquired, ImageSource, JsonBody, OVERSIGHT, QueryArgs, RawBody, acquire, blocking, parse_id};
use crate::auth::Principal;
use crate::config::VIEWS_PER_FINGER;
use crate::error::{ApiError, ApiResult};
use crate::{AppState, lock};
use axum::Json;
use axum::extract::{Path, State};
use ridgegate_core::{FingerPosition, Score};
use ridgegate_matcher::Filter;
use ridgegate_matcher::fusion::{GateDecision, GatePolicy};
use ridgegate_store::{ApplicantId, GateAttempt, Role};
use serde::{Deserialize, Serialize};
use std::time::Instant;

/// Roles that may verify at a gate.
const GATE: &[Role] = &[Role::Gate, Role::Admin];

/// Attempts so far of one transaction.
#[derive(Debug, Clone)]
pub(crate) struct GateTransaction {
    scores: Vec<Score>,
    started: Instant,
}

/// Query of a verification.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct VerifyQuery {
    /// Claimed applicant ID (1:1). Absent: roster search of `hall`.
    applicant: Option<String>,
    /// Exam hall whose roster is searched when no applicant is given.
    hall: Option<String>,
    /// Finger presented, if the gate asks for a specific one (fewer comparisons, lower threshold).
    finger: Option<String>,
    /// `upload` (default) or `scanner`.
    source: Option<String>,
    /// Resolution of an uploaded image.
    dpi: Option<u16>,
}

/// The gate's answer.
#[derive(Debug, Serialize)]
pub(crate) struct GateAnswer {
    /// `admit`, `try_again` (no match yet, attempts remain), `deny` (all attempts used), or
    /// `retry` (unusable capture; no attempt used).
    pub decision: &'static str,
    /// `verify` (1:1) or `roster` (search of the hall).
    pub mode: &'static str,
    /// Claimed applicant, or the one identified by a roster search.
    pub applicant: Option<String>,
    /// Attempts used in this transaction.
    pub attempt: u32,
    /// Attempts allowed.
    pub max_attempts: u32,
    /// This attempt's score (best view of the best finger), `−10·log10 FMR`.
    pub score: f32,
    /// Estimated false match rate of one impostor comparison reaching `score`.
    pub fmr: f64,
    /// Per-comparison threshold applied.
    pub threshold: f32,
    /// Best-matching enrolled finger.
    pub finger: Option<String>,
    /// Image quality of the capture.
    pub quality: u8,
    /// Image-to-decision latency in ms (decode, extraction, matching, decision).
    pub latency_ms: f32,
    /// Explanation.
    pub reason: String,
}

fn decision_text(d: &GateDecision) -> &'static str {
    match d {
        GateDecision::Admit { .. } => "admit",
        GateDecision::TryAgain { .. } => "try_again",
        GateDecision::Deny { .. } => "deny",
    }
}

pub(crate) async fn verify(
    State(state): State<AppState>,
    p: Principal,
    QueryArgs(q): QueryArgs<VerifyQuery>,
    RawBody(body): RawBody,
) -> ApiResult<Json<GateAnswer>> {
    let t_request = Instant::now();
    p.require(GATE, "verify at the gate")?;
    let applicant = q.applicant.as_deref().map(parse_id).transpose()?;
    let hall = q.hall.clone();
    if applicant.is_none() && hall.is_none() {
        return Err(ApiError::bad_request("missing_subject", "give ?applicant=ID (1:1) or ?hall=HALL (roster search)"));
    }
    let finger = q
        .finger
        .as_deref()
        .map(|f| f.parse::<FingerPosition>().map_err(|e| ApiError::bad_request("bad_finger", e.to_string())))
        .transpose()?;
    let src = ImageSource { source: q.source.clone(), dpi: q.dpi };
    let from_scanner = src.source.as_deref() == Some("scanner");
    let image = match acquire(&state, &src, body).await? {
        Acquired::Image(img, _) => img,
        Acquired::Retry(r) => {
            return Ok(Json(GateAnswer {
                decision: "retry",
                mode: if applicant.is_some() { "verify" } else { "roster" },
                applicant: applicant.map(|a| a.to_string()),
                attempt: 0,
                max_attempts: state.inner.config.gate_policy.max_attempts,
                score: 0.0,
                fmr: 1.0,
                threshold: 0.0,
                finger: None,
                quality: 0,
                latency_ms: 0.0,
                reason: format!("scanner: {}", r.hint()),
            }));
        }
    };
    // Image in hand: for an upload that is when the request arrived (decoding counts), for the
    // scanner when the capture returned.
    let t0 = if from_scanner { Instant::now() } else { t_request };
    blocking(move || decide(&state, &p, applicant, hall, finger, image, t0)).await.map(Json)
}

fn decide(
    state: &AppState,
    p: &Principal,
    applicant: Option<ApplicantId>,
    hall: Option<String>,
    finger: Option<FingerPosition>,
    image: ridgegate_core::FingerImage,
    t0: Instant,
) -> ApiResult<GateAnswer> {
    let inner = &state.inner;
    let config = &inner.config;
    let mode = if applicant.is_some() { "verify" } else { "roster" };
    let extraction =
        ridgegate_extract::extract(&image).map_err(|e| ApiError::unprocessable("invalid_image", e.to_string()))?;
    let fingers_filter: Option<Vec<FingerPosition>> = finger.map(|f| vec![f]);
    let mut answer = GateAnswer {
        decision: "retry",
        mode,
        applicant: applicant.as_ref().map(|a| a.to_string()),
        attempt: 0,
        max_attempts: config.gate_policy.max_attempts,
        score: 0.0,
        fmr: 1.0,
        threshold: 0.0,
        finger: None,
        quality: extraction.quality,
        latency_ms: 0.0,
        reason: String::new(),
    };
    if let Some(id) = &applicant {
        if let Some(r) = inner.records.review(id)?.filter(|r| r.state != "distinct_persons") {
            return Err(ApiError::conflict(
                "flagged_for_review",
                format!(
                    "applicant {id} is flagged as a possible duplicate enrollment ({}): refer to the supervisor",
                    r.state
                ),
            ));
        }
    }
    if extraction.quality < config.gate_min_quality || extraction.template.minutiae.len() < config.min_minutiae {
        answer.reason = format!(
            "capture unusable (quality {}, {} minutiae; need {} and {}): place the finger flat and centred; no attempt used",
            extraction.quality,
            extraction.template.minutiae.len(),
            config.gate_min_quality,
            config.min_minutiae
        );
        answer.latency_ms = t0.elapsed().as_secs_f32() * 1000.0;
        if let Some(id) = &applicant {
            record(state, p, id, 0.0, ridgegate_store::GateDecision::Retry, answer.latency_ms)?;
        }
        return Ok(answer);
    }

    // Scores: 1:1 against the claimed applicant's stored templates (an audited read), or a
    // gallery search of the hall's roster.
    let (score, best_finger, best_subject, views, second) = match (&applicant, &hall) {
        (Some(id), _) => {
            let (score, finger, views) = verify_one(state, p, id, finger, &extraction.template, config)?;
            (score, finger, Some(id.to_string()), views, None)
        }
        (None, Some(h)) => {
            let roster: Vec<String> = inner
                .records
                .roster(h)?
                .ok_or_else(|| {
                    ApiError::not_found(
                        "unknown_hall",
                        format!("no roster for hall {h:?}; upload it with PUT /api/gate/rosters/{h}"),
                    )
                })?
                .into_iter()
                // Applicants flagged as possible duplicates are never identified by a search.
                .filter(|a| !matches!(inner.records.review(a), Ok(Some(r)) if r.state != "distinct_persons"))
                .map(|a| a.to_string())
                .collect();
            let refs: Vec<&str> = roster.iter().map(String::as_str).collect();
            let filter = Filter {
                subjects: Some(&refs),
                fingers: fingers_filter.as_deref(),
                max_results: 2,
                min_score: Score::ZERO,
            };
            let hits = inner.gallery.identify(&extraction.template, &filter);
            inner.store.record_search(
                &p.ctx(),
                None,
                &format!("gate roster search: hall {h}, {} subjects", refs.len()),
            )?;
            let best = hits.first();
            let fingers_per_subject = fingers_filter.as_ref().map_or(FingerPosition::CAPTURE_ORDER.len(), Vec::len);
            let views = (fingers_per_subject * VIEWS_PER_FINGER * roster.len().max(1)) as u32;
            (
                best.map_or(Score::ZERO, |h| h.score),
                best.and_then(|h| h.fingers.first()).map(|f| f.finger),
                best.map(|h| h.subject.clone()),
                views,
                hits.get(1).map(|h| (h.subject.clone(), h.score)),
            )
        }
        (None, None) => unreachable!("checked by the handler"),
    };
    let policy = GatePolicy { views, ..config.gate_policy };

    let key = (
        p.station.clone(),
        applicant.as_ref().map_or_else(|| format!("roster:{}", hall.clone().unwrap_or_default()), |a| a.to_string()),
    );
    // A roster search whose two best subjects both pass cannot tell who it is: refer to an officer.
    let threshold = policy.threshold();
    if let Some((other, other_score)) = second.filter(|(_, sc)| mode == "roster" && sc.0 >= threshold.0) {
        lock(&inner.gates).remove(&key);
        answer.decision = "deny";
        answer.score = score.0;
        answer.fmr = score.fmr();
        answer.threshold = threshold.0;
        answer.latency_ms = t0.elapsed().as_secs_f32() * 1000.0;
        answer.reason = format!(
            "ambiguous: {} and {other} both match (scores {:.1}, {:.1}): refer to an officer",
            best_subject.unwrap_or_default(),
            score.0,
            other_score.0
        );
        return Ok(answer);
    }
    let (decision, attempts) = {
        let mut gates = lock(&inner.gates);
        gates.retain(|_, t| t.started.elapsed() < config.gate_transaction_timeout);
        let txn =
            gates.entry(key.clone()).or_insert_with(|| GateTransaction { scores: Vec::new(), started: Instant::now() });
        txn.scores.push(score);
        let d = policy.decide(&txn.scores);
        let n = txn.scores.len() as u32;
        if !matches!(d, GateDecision::TryAgain { .. }) {
            gates.remove(&key);
        }
        (d, n)
    };
    answer.latency_ms = t0.elapsed().as_secs_f32() * 1000.0;
    answer.decision = decision_text(&decision);
    answer.attempt = attempts;
    answer.score = score.0;
    answer.fmr = score.fmr();
    answer.threshold = policy.threshold().0;
    answer.finger = best_finger.map(|f| f.name().to_string());
    let admitted = matches!(decision, GateDecision::Admit { .. });
    if mode == "roster" {
        answer.applicant = if admitted { best_subject.clone() } else { None };
    }
    answer.reason = match decision {
        GateDecision::Admit { .. } => format!("match: score {:.1} ≥ threshold {:.1}", score.0, answer.threshold),
        GateDecision::TryAgain { attempts } => format!(
            "no match (score {:.1} < {:.1}); present the finger again ({} of {} attempts used)",
            score.0, answer.threshold, attempts, policy.max_attempts
        ),
        GateDecision::Deny { best } => format!(
            "no match in {} attempts (best score {:.1} < {:.1}): refer to an officer for a photo and ID check",
            policy.max_attempts, best.0, answer.threshold
        ),
    };
    let stored = if admitted { ridgegate_store::GateDecision::Admit } else { ridgegate_store::GateDecision::Deny };
    match (&applicant, mode, admitted) {
        (Some(id), _, _) => record(state, p, id, score.0, stored, answer.latency_ms)?,
        (None, "roster", true) => {
            let id = parse_id(answer.applicant.as_deref().unwrap_or_default())?;
            record(state, p, &id, score.0, stored, answer.latency_ms)?
        }
        _ => {
            tracing::info!(gate = %p.station, hall = ?hall, score = score.0, decision = answer.decision, "roster search without identification")
        }
    }
    Ok(answer)
}

/// 1:1: compares the probe with the applicant's stored views (of `finger` if given), finger by
/// finger in capture order, and stops at the first view reaching the policy threshold (the
/// decision cannot change after that; the threshold counts every view in scope). Returns the best
/// score, its finger and the number of views in scope. Reading the templates is audited.
fn verify_one(
    state: &AppState,
    p: &Principal,
    id: &ApplicantId,
    finger: Option<FingerPosition>,
    probe: &ridgegate_core::Template,
    config: &crate::Config,
) -> ApiResult<(Score, Option<FingerPosition>, u32)> {
    let not_enrolled = || {
        ApiError::conflict(
            "not_enrolled",
            format!(
                "applicant {id} has no enrolled fingerprints{}",
                finger.map(|f| format!(" for {f}")).unwrap_or_default()
            ),
        )
    };
    let Some(enrollment) = state.inner.store.enrollment(&p.ctx(), id)? else {
        // Unknown applicant (404) or known but not enrolled (409).
        state.inner.store.applicant(&p.ctx(), id)?;
        return Err(not_enrolled());
    };
    let fingers: Vec<_> = enrollment.fingers.iter().filter(|f| finger.is_none_or(|want| f.finger == want)).collect();
    let views: usize = fingers.iter().map(|f| f.views.len()).sum();
    if views == 0 {
        return Err(not_enrolled());
    }
    let threshold = GatePolicy { views: views as u32, ..config.gate_policy }.threshold();
    let probe = ridgegate_matcher::Probe::new(probe);
    let mut best = (Score::ZERO, None);
    'fingers: for f in fingers {
        for v in &f.views {
            let s = probe.compare(&ridgegate_matcher::Candidate::new(&v.template));
            if s.0 > best.0.0 {
                best = (s, Some(f.finger));
            }
            if s.0 >= threshold.0 {
                break 'fingers;
            }
        }
    }
    Ok((best.0, best.1, views as u32))
}

fn record(
    state: &AppState,
    p: &Principal,
    id: &ApplicantId,
    score: f32,
    decision: ridgegate_store::GateDecision,
    latency_ms: f32,
) -> ApiResult<()> {
    let attempt = GateAttempt {
        applicant: id.clone(),
        gate: p.station.clone(),
        at_ms: ridgegate_store::now_ms(),
        score,
        decision,
        latency_ms,
    };
    state.inner.store.record_gate_attempt(&p.ctx(), &attempt)?;
    Ok(())
}

/// A hall roster.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Roster {
    applicants: Vec<String>,
}

fn check_hall(hall: &str) -> ApiResult<()> {
    if hall.is_empty() || hall.len() > 64 || !hall.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    {
        return Err(ApiError::bad_request("bad_hall", "hall IDs are 1..=64 characters from A-Z a-z 0-9 - _"));
    }
    Ok(())
}

pub(crate) async fn put_roster(
    State(state): State<AppState>,
    p: Principal,
    Path(hall): Path<String>,
    JsonBody(body): JsonBody<Roster>,
) -> ApiResult<Json<Roster>> {
    p.require(OVERSIGHT, "set hall rosters")?;
    check_hall(&hall)?;
    let ids: Vec<ApplicantId> = body.applicants.iter().map(|s| parse_id(s)).collect::<ApiResult<_>>()?;
    blocking(move || {
        state.inner.records.put_roster(&hall, &ids)?;
        Ok(Json(Roster { applicants: ids.iter().map(|i| i.to_string()).collect() }))
    })
    .await
}

pub(crate) async fn get_roster(
    State(state): State<AppState>,
    p: Principal,
    Path(hall): Path<String>,
) -> ApiResult<Json<Roster>> {
    p.require(&[Role::Gate, Role::Supervisor, Role::Admin], "read hall rosters")?;
    check_hall(&hall)?;
    blocking(move || match state.inner.records.roster(&hall)? {
        Some(ids) => Ok(Json(Roster { applicants: ids.iter().map(|i| i.to_string()).collect() })),
        None => Err(ApiError::not_found("unknown_hall", format!("no roster for hall {hall:?}"))),
    })
    .await
}
