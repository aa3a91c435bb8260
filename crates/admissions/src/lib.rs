//! # ridgegate-admissions
//!
//! The admissions service that confirmation desks and exam-hall gates use: one axum
//! [`Router`](axum::Router) over the encrypted store ([`ridgegate_store`]), the extractor, the
//! matcher with its 1:N [`Gallery`], the degree-photo check and a scanner (the virtual scanner on a
//! fresh machine). `ridgegate serve` runs it; [`serve`] is the whole start-up.
//!
//! * **Registration** (`/api/applicants`): create/update, eligibility by the notice's rule
//!   ([`eligibility`]), "no new enrollment needed" for earlier enrollments or a passed exam.
//! * **Photo** (`/api/applicants/{id}/photo`): the degree-photo check with reasons.
//! * **Confirmation** (`/api/applicants/{id}/confirmation…`): the 6 × 4 capture session
//!   ([`session`]), the 1:N duplicate check ([`duplicates`]), the printable review form and the
//!   integrity pledge ([`form`]).
//! * **Gate** (`/api/gate/verify`): 1:1 against the claimed applicant or a roster search of the
//!   hall, up to 3 attempts fused under [`GatePolicy`](ridgegate_matcher::fusion::GatePolicy).
//! * **Roles** ([`auth`]): bearer tokens for desk operators, gate devices, supervisors and admins;
//!   every personal or biometric access goes through the store with the caller's
//!   [`AccessContext`](ridgegate_store::AccessContext), so it is in the audit log.
//! * The desk web page (`/desk/`) and the OpenAPI document (`/api/openapi.json`) are compiled in.
//!
//! Errors are JSON `{"error", "message"}` with a 4xx status for bad input ([`error`]). Store calls,
//! extraction and matching run on the blocking pool (`spawn_blocking`). [`AppState`] is cheap to
//! clone and thread-safe.

pub mod auth;
pub mod config;
pub mod demo;
pub mod duplicates;
pub mod eligibility;
pub mod error;
pub mod form;
mod handlers;
pub mod records;
pub mod scanner;
pub mod serve;
pub mod session;
mod web;

pub use config::Config;
pub use serve::{ServeError, ServeOptions, open_state, resolve_key, serve};
pub use web::OPENAPI;

use auth::Tokens;
use records::Records;
use ridgegate_matcher::Gallery;
use ridgegate_store::{AccessContext, ApplicantId, Store};
use scanner::ScannerSlot;
use session::CaptureSession;
use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};

/// Shared state of the service. Cloning shares it (an `Arc`); `Send + Sync`.
#[derive(Clone)]
pub struct AppState {
    pub(crate) inner: Arc<Inner>,
}

pub(crate) struct Inner {
    pub(crate) config: Config,
    pub(crate) store: Arc<dyn Store>,
    pub(crate) records: Records,
    pub(crate) gallery: Gallery,
    pub(crate) tokens: Tokens,
    pub(crate) sessions: Mutex<HashMap<ApplicantId, Arc<Mutex<CaptureSession>>>>,
    pub(crate) gates: Mutex<HashMap<(String, String), handlers::gate::GateTransaction>>,
    pub(crate) scanner: ScannerSlot,
    /// Serialises "duplicate check + write enrollment + gallery insert", so two desks enrolling
    /// the same person at the same moment cannot miss each other.
    pub(crate) enroll_lock: Mutex<()>,
}

impl AppState {
    /// Builds the state and loads every enrolled template into the gallery (one audited
    /// `load_templates` call as the system). Cost: the store's decoding plus ≈ 7 µs CPU per template for
    /// the gallery (`Gallery::insert_batch`, parallel on the rayon pool).
    pub fn new(
        config: Config,
        store: Arc<dyn Store>,
        records: Records,
        tokens: Tokens,
        scanner: ScannerSlot,
    ) -> Result<Self, ridgegate_store::StoreError> {
        let gallery = Gallery::new();
        let templates = store.load_templates(&AccessContext::system())?;
        let older =
            templates.iter().filter(|t| t.template.algorithm_version < ridgegate_extract::ALGORITHM_VERSION).count();
        if older > 0 {
            // They still compare correctly (same format), but without the newer extractor's gains.
            tracing::warn!(
                older,
                total = templates.len(),
                version = ridgegate_extract::ALGORITHM_VERSION,
                "enrolled templates come from an older extractor: run `ridgegate store reextract --db …` while the service is stopped"
            );
        }
        // Ordered by (applicant, finger): the gallery's layout is the same on every start-up.
        let mut grouped: BTreeMap<(String, ridgegate_core::FingerPosition), Vec<(u8, ridgegate_core::Template)>> =
            BTreeMap::new();
        for t in templates {
            grouped.entry((t.applicant.to_string(), t.finger)).or_default().push((t.view, t.template));
        }
        // Templates are moved, never cloned; `insert_batch` computes the prefilter features on all
        // cores and locks each gallery shard once (one (subject, finger) per entry, so the same
        // result as inserting them one by one).
        let entries: Vec<(String, ridgegate_core::FingerPosition, Vec<ridgegate_core::Template>)> = grouped
            .into_iter()
            .map(|((subject, finger), mut views)| {
                views.sort_by_key(|(v, _)| *v);
                (subject, finger, views.into_iter().map(|(_, t)| t).collect())
            })
            .collect();
        let batch: Vec<_> = entries.iter().map(|(s, f, v)| (s.as_str(), *f, v.as_slice())).collect();
        gallery.insert_batch(&batch);
        Ok(AppState {
            inner: Arc::new(Inner {
                config,
                store,
                records,
                gallery,
                tokens,
                sessions: Mutex::new(HashMap::new()),
                gates: Mutex::new(HashMap::new()),
                scanner,
                enroll_lock: Mutex::new(()),
            }),
        })
    }

    /// The service configuration.
    pub fn config(&self) -> &Config {
        &self.inner.config
    }

    /// Templates in the 1:N gallery.
    pub fn gallery_len(&self) -> usize {
        self.inner.gallery.len()
    }

    /// The token table.
    pub fn tokens(&self) -> &Tokens {
        &self.inner.tokens
    }
}

/// The service's routes (API, OpenAPI document, desk page) over `state`.
pub fn router(state: AppState) -> axum::Router {
    let limit = state.inner.config.max_upload_bytes;
    handlers::routes().merge(web::routes()).layer(axum::extract::DefaultBodyLimit::max(limit)).with_state(state)
}

/// Locks a mutex, ignoring poisoning (state behind our mutexes stays consistent when a holder
/// panics: updates are single assignments).
pub(crate) fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// Writes a file readable only by its owner (0600 on Unix), creating or truncating it.
pub fn write_private(path: &std::path::Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let mut f = opts.open(path)?;
    f.write_all(bytes)?;
    f.sync_all()
}

/// Standard base64 (RFC 4648, with padding), for data URIs and template export.
pub fn base64(bytes: &[u8]) -> String {
    const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for c in bytes.chunks(3) {
        let n = (c[0] as u32) << 16 | (*c.get(1).unwrap_or(&0) as u32) << 8 | *c.get(2).unwrap_or(&0) as u32;
        out.push(A[(n >> 18) as usize & 63] as char);
        out.push(A[(n >> 12) as usize & 63] as char);
        out.push(if c.len() > 1 { A[(n >> 6) as usize & 63] as char } else { '=' });
        out.push(if c.len() > 2 { A[n as usize & 63] as char } else { '=' });
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn base64_matches_rfc4648_vectors() {
        for (i, o) in [("", ""), ("f", "Zg=="), ("fo", "Zm8="), ("foo", "Zm9v"), ("foobar", "Zm9vYmFy")] {
            assert_eq!(super::base64(i.as_bytes()), o);
        }
    }
}
