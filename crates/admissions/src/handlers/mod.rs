//! HTTP handlers, one module per flow. Every handler checks the caller's role first, runs store
//! calls, extraction and matching on the blocking pool, and answers JSON (errors as
//! [`ApiError`]).

pub(crate) mod admin;
pub(crate) mod applicants;
pub(crate) mod confirmation;
pub(crate) mod gate;

use crate::AppState;
use crate::error::{ApiError, ApiResult};
use crate::scanner::Captured;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Json, Query, Request};
use axum::http::request::Parts;
use axum::routing::{get, post, put};
use ridgegate_capture::RetryReason;
use ridgegate_core::FingerImage;
use ridgegate_store::{ApplicantId, Role};
use serde::Deserialize;
use serde::de::DeserializeOwned;

/// Roles that work at a confirmation desk.
pub(crate) const DESK: &[Role] = &[Role::DeskOperator, Role::Supervisor];
/// Roles that may read registration records.
pub(crate) const STAFF: &[Role] = &[Role::DeskOperator, Role::Supervisor, Role::Admin];
/// Roles that may read templates and the audit log, and resolve reviews.
pub(crate) const OVERSIGHT: &[Role] = &[Role::Supervisor, Role::Admin];

pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/health", get(admin::health))
        .route("/api/me", get(admin::me))
        .route("/api/applicants", post(applicants::create))
        .route("/api/applicants/{id}", get(applicants::get_one).put(applicants::update).delete(admin::delete_applicant))
        .route("/api/applicants/{id}/photo", put(applicants::put_photo).get(applicants::get_photo))
        .route(
            "/api/applicants/{id}/confirmation",
            post(confirmation::start).get(confirmation::status).delete(confirmation::abandon),
        )
        .route("/api/applicants/{id}/confirmation/capture", post(confirmation::capture))
        .route("/api/applicants/{id}/confirmation/fingers/{finger}/restart", post(confirmation::restart_finger))
        .route("/api/applicants/{id}/confirmation/complete", post(confirmation::complete))
        .route("/api/applicants/{id}/pledge", post(confirmation::pledge))
        .route("/api/applicants/{id}/form", get(confirmation::form))
        .route("/api/applicants/{id}/templates", get(admin::templates))
        .route("/api/gate/verify", post(gate::verify))
        .route("/api/gate/rosters/{hall}", put(gate::put_roster).get(gate::get_roster))
        .route("/api/reviews", get(admin::reviews))
        .route("/api/reviews/{id}", post(admin::resolve_review))
        .route("/api/audit", get(admin::audit))
        .route("/api/scanner", get(admin::scanner_status))
        .route("/api/scanner/virtual", post(admin::scanner_virtual))
}

/// Runs blocking work (store, extraction, matching) on tokio's blocking pool.
pub(crate) async fn blocking<T: Send + 'static>(f: impl FnOnce() -> ApiResult<T> + Send + 'static) -> ApiResult<T> {
    tokio::task::spawn_blocking(f).await?
}

/// Parses an applicant ID from a path or body (400 with the rule on failure).
pub(crate) fn parse_id(s: &str) -> ApiResult<ApplicantId> {
    ApplicantId::new(s).map_err(|e| ApiError::bad_request("bad_applicant_id", e.to_string()))
}

/// JSON body extractor whose rejections are [`ApiError`]s (JSON error bodies).
pub(crate) struct JsonBody<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for JsonBody<T> {
    type Rejection = ApiError;
    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        match Json::<T>::from_request(req, state).await {
            Ok(Json(v)) => Ok(JsonBody(v)),
            Err(rej) => Err(ApiError::new(rej.status(), "bad_json", rej.body_text())),
        }
    }
}

/// Query-string extractor whose rejections are [`ApiError`]s.
pub(crate) struct QueryArgs<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for QueryArgs<T> {
    type Rejection = ApiError;
    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        match Query::<T>::from_request_parts(parts, state).await {
            Ok(Query(v)) => Ok(QueryArgs(v)),
            Err(rej) => Err(ApiError::new(rej.status(), "bad_query", rej.body_text())),
        }
    }
}

/// Raw body extractor whose rejections (e.g. 413 too large) are [`ApiError`]s.
pub(crate) struct RawBody(pub Bytes);

impl<S: Send + Sync> FromRequest<S> for RawBody {
    type Rejection = ApiError;
    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        match Bytes::from_request(req, state).await {
            Ok(b) => Ok(RawBody(b)),
            Err(rej) => Err(ApiError::new(rej.status(), "bad_body", rej.body_text())),
        }
    }
}

/// Where a fingerprint image comes from: the request body (`source=upload`, default) or the
/// service's scanner (`source=scanner`).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ImageSource {
    /// `upload` (default) or `scanner`.
    pub source: Option<String>,
    /// Resolution of an uploaded image (default: WSQ header or 500 dpi).
    pub dpi: Option<u16>,
}

/// An acquired image, or the scanner's request to try again.
pub(crate) enum Acquired {
    /// The image and the device it came from.
    Image(FingerImage, String),
    /// The scanner asked for another try.
    Retry(RetryReason),
}

/// Decodes the uploaded image or captures one from the service's scanner.
pub(crate) async fn acquire(state: &AppState, src: &ImageSource, body: Bytes) -> ApiResult<Acquired> {
    match src.source.as_deref().unwrap_or("upload") {
        "upload" => {
            if body.is_empty() {
                return Err(ApiError::bad_request(
                    "empty_body",
                    "no image in the request body: send PNG/TIFF/BMP/JPEG/PGM/WSQ bytes, or use ?source=scanner",
                ));
            }
            let dpi = src.dpi;
            blocking(move || {
                FingerImage::decode(&body, dpi)
                    .map(|img| Acquired::Image(img, "upload".into()))
                    .map_err(|e| ApiError::unprocessable("invalid_image", e.to_string()))
            })
            .await
        }
        "scanner" => {
            if !body.is_empty() {
                return Err(ApiError::bad_request("unexpected_body", "source=scanner takes no request body"));
            }
            let s = state.clone();
            blocking(move || match s.inner.scanner.capture(s.inner.config.scanner_timeout)? {
                Captured::Image(img, sel) => Ok(Acquired::Image(img, sel)),
                Captured::Retry(r) => Ok(Acquired::Retry(r)),
            })
            .await
        }
        other => Err(ApiError::bad_request("bad_source", format!("source {other:?}: use upload or scanner"))),
    }
}
