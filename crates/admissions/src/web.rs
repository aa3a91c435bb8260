//! Static assets compiled into the binary: the desk web page (no build step) and the OpenAPI
//! document.

use crate::AppState;
use axum::Router;
use axum::http::header;
use axum::response::{IntoResponse, Redirect};
use axum::routing::get;

/// The OpenAPI 3.0 document of the API.
pub const OPENAPI: &str = include_str!("../web/openapi.json");
const DESK_HTML: &str = include_str!("../web/desk.html");
const DESK_JS: &str = include_str!("../web/desk.js");
const DESK_CSS: &str = include_str!("../web/desk.css");

pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/", get(|| async { Redirect::to("/desk/") }))
        .route("/desk", get(|| async { Redirect::to("/desk/") }))
        .route(
            "/desk/",
            get(|| async { ([(header::CONTENT_TYPE, "text/html; charset=utf-8")], DESK_HTML).into_response() }),
        )
        .route(
            "/desk/desk.js",
            get(|| async { ([(header::CONTENT_TYPE, "text/javascript; charset=utf-8")], DESK_JS).into_response() }),
        )
        .route(
            "/desk/desk.css",
            get(|| async { ([(header::CONTENT_TYPE, "text/css; charset=utf-8")], DESK_CSS).into_response() }),
        )
        .route(
            "/api/openapi.json",
            get(|| async { ([(header::CONTENT_TYPE, "application/json")], OPENAPI).into_response() }),
        )
}
