//! Shared helpers of the admissions tests: a service on a temporary data folder, requests through
//! `tower::ServiceExt::oneshot`, a conforming degree photo, synthetic fingerprint images.
#![allow(dead_code)]

use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use ridgegate_admissions::auth::{Principal, Tokens};
use ridgegate_admissions::records::Records;
use ridgegate_admissions::scanner::ScannerSlot;
use ridgegate_admissions::{AppState, Config, router};
use ridgegate_capture::virtual_scanner::{VirtualScanner, VirtualSource};
use ridgegate_store::{RedbStore, Role, StoreKey};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use tower::ServiceExt;

pub const DESK: &str = "desk0000000000000000000000000000000000000000000000000000000000001";
pub const DESK2: &str = "desk0000000000000000000000000000000000000000000000000000000000002";
pub const GATE: &str = "gate0000000000000000000000000000000000000000000000000000000000001";
pub const SUPERVISOR: &str = "supv0000000000000000000000000000000000000000000000000000000000001";
pub const ADMIN: &str = "admn0000000000000000000000000000000000000000000000000000000000001";

pub fn tokens() -> Tokens {
    let p = |role, actor: &str, station: &str| Principal { role, actor: actor.into(), station: station.into() };
    Tokens::new(vec![
        (DESK.into(), p(Role::DeskOperator, "op-1", "desk-1")),
        (DESK2.into(), p(Role::DeskOperator, "op-2", "desk-2")),
        (GATE.into(), p(Role::Gate, "gate-dev-1", "hall-1-door")),
        (SUPERVISOR.into(), p(Role::Supervisor, "sup-1", "office")),
        (ADMIN.into(), p(Role::Admin, "adm-1", "office")),
    ])
}

/// A service on a temporary folder. Keep `dir` alive as long as the state.
pub struct TestService {
    pub dir: tempfile::TempDir,
    pub state: AppState,
    pub key: StoreKey,
}

pub enum Scanner {
    None,
    /// Synthetic fingers of the committed testdata seed (fingers 0..10, 8 impressions each).
    Synthetic,
}

impl TestService {
    pub fn new(scanner: Scanner, config: Config) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let key = StoreKey::generate();
        let state = Self::open(dir.path(), &key, scanner, config);
        TestService { dir, state, key }
    }

    pub fn open(dir: &Path, key: &StoreKey, scanner: Scanner, mut config: Config) -> AppState {
        // The test portraits are synthetic ellipse heads without a face: the photo check reports
        // its face rules (one_face, frontal_pose) as warnings here; every other rule still applies.
        config.photo_rules.require_face = false;
        let store = RedbStore::open(dir.join("store.redb"), key.clone()).unwrap();
        let records = Records::open(&dir.join("admissions.redb"), key.clone()).unwrap();
        let slot = match scanner {
            Scanner::None => ScannerSlot::none(),
            Scanner::Synthetic => {
                let dev = VirtualScanner::new(VirtualSource::synthetic(ridgegate_synth::TESTDATA_SEED)).unwrap();
                let control = dev.control();
                ScannerSlot::new(Box::new(dev), Some(control))
            }
        };
        AppState::new(config, Arc::new(store), records, tokens(), slot).unwrap()
    }

    /// A request through the router; returns status, JSON body (or `Value::String` for non-JSON).
    pub async fn call(
        &self,
        method: Method,
        uri: &str,
        token: Option<&str>,
        body: Body,
        content_type: &str,
    ) -> (StatusCode, Value) {
        let (status, bytes, ct) = self.call_raw(method, uri, token, body, content_type).await;
        let v = if ct.starts_with("application/json") {
            serde_json::from_slice(&bytes)
                .unwrap_or_else(|e| panic!("{uri}: bad JSON {e}: {:?}", String::from_utf8_lossy(&bytes)))
        } else {
            Value::String(String::from_utf8_lossy(&bytes).into_owned())
        };
        (status, v)
    }

    pub async fn call_raw(
        &self,
        method: Method,
        uri: &str,
        token: Option<&str>,
        body: Body,
        content_type: &str,
    ) -> (StatusCode, Vec<u8>, String) {
        let mut req = Request::builder().method(method).uri(uri).header("content-type", content_type);
        if let Some(t) = token {
            req = req.header("authorization", format!("Bearer {t}"));
        }
        let resp = router(self.state.clone()).oneshot(req.body(body).unwrap()).await.unwrap();
        let status = resp.status();
        let ct = resp.headers().get("content-type").map(|v| v.to_str().unwrap().to_string()).unwrap_or_default();
        let bytes = axum::body::to_bytes(resp.into_body(), usize::MAX).await.unwrap().to_vec();
        (status, bytes, ct)
    }

    pub async fn get(&self, uri: &str, token: &str) -> (StatusCode, Value) {
        self.call(Method::GET, uri, Some(token), Body::empty(), "application/json").await
    }
    pub async fn post_json(&self, uri: &str, token: &str, v: &Value) -> (StatusCode, Value) {
        self.call(Method::POST, uri, Some(token), Body::from(v.to_string()), "application/json").await
    }
    pub async fn put_json(&self, uri: &str, token: &str, v: &Value) -> (StatusCode, Value) {
        self.call(Method::PUT, uri, Some(token), Body::from(v.to_string()), "application/json").await
    }
    pub async fn post_bytes(&self, uri: &str, token: &str, b: Vec<u8>) -> (StatusCode, Value) {
        self.call(Method::POST, uri, Some(token), Body::from(b), "application/octet-stream").await
    }
    pub async fn put_bytes(&self, uri: &str, token: &str, b: Vec<u8>) -> (StatusCode, Value) {
        self.call(Method::PUT, uri, Some(token), Body::from(b), "image/jpeg").await
    }
}

/// Registration JSON of an eligible applicant.
pub fn registration(id: &str, name: &str) -> Value {
    serde_json::json!({
        "id": id, "name": name, "national_id": format!("11010119900101{:04}", id.len()), "student_number": format!("S-{id}"),
        "cohort_year": 2019, "application_month": 201909, "bachelor_date": "2012-07-01"
    })
}

/// A degree photo meeting the specification (the demo module's synthetic portrait).
pub fn photo_jpeg() -> Vec<u8> {
    ridgegate_admissions::demo::synthetic_photo()
}

pub fn photo_with(w: u32, h: u32) -> Vec<u8> {
    ridgegate_admissions::demo::synthetic_photo_sized(w, h)
}

/// The committed synthetic testdata image `<finger>_<impression>.png` (1-based, 6 × 5).
pub fn testdata_image(finger: u32, impression: u32) -> Vec<u8> {
    let p =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(format!("../../testdata/synthetic/{finger}_{impression}.png"));
    std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

/// A blank (no fingerprint) 300 × 400 PNG.
pub fn blank_png() -> Vec<u8> {
    ridgegate_core::FingerImage::new(300, 400, 500, vec![235; 120_000]).unwrap().to_png()
}

/// Registers `id`, uploads the photo; asserts success.
pub async fn register_with_photo(s: &TestService, id: &str, name: &str) {
    let (st, v) = s.post_json("/api/applicants", DESK, &registration(id, name)).await;
    assert_eq!(st, StatusCode::CREATED, "{v}");
    let (st, v) = s.put_bytes(&format!("/api/applicants/{id}/photo"), DESK, photo_jpeg()).await;
    assert_eq!(st, StatusCode::OK, "{v}");
}
