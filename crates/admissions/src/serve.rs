//! Start-up of the service: data folder, store key, store, records, tokens, scanner, gallery,
//! listener, graceful shutdown.

use crate::auth::{TokenError, Tokens};
use crate::records::{Records, RecordsError};
use crate::scanner::ScannerSlot;
use crate::{AppState, Config};
use ridgegate_capture::virtual_scanner::VirtualScanner;
use ridgegate_store::{RedbStore, StoreError, StoreKey};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

/// How to start the service. `Default`: data folder `./data`, `127.0.0.1:8080`, the
/// virtual scanner with synthetic fingers, key from `--key-file`, `RIDGEGATE_STORE_KEY`, or the
/// data folder's `store.key` (created on first start).
#[derive(Debug, Clone)]
pub struct ServeOptions {
    /// Data folder (created if missing): `store.redb`, `admissions.redb`, `tokens.txt`, maybe `store.key`.
    pub data_dir: PathBuf,
    /// Listen address.
    pub bind: SocketAddr,
    /// Store key file (64 hex digits); overrides the environment and the data folder's key.
    pub key_file: Option<PathBuf>,
    /// Token file; default `DATA/tokens.txt` (created with one token per role if missing).
    pub tokens_file: Option<PathBuf>,
    /// Scanner selector: `virtual` (synthetic fingers), `virtual:DIR`, `virtual:synth:SEED`,
    /// `serial:…`, `usb:…`, or `none` (images are uploaded).
    pub scanner: String,
    /// Register the demo applicant ([`crate::demo::DEMO_ID`]) with a synthetic photo if absent.
    pub demo: bool,
    /// Service tunables.
    pub config: Config,
}

impl Default for ServeOptions {
    fn default() -> Self {
        ServeOptions {
            data_dir: PathBuf::from("data"),
            bind: SocketAddr::from(([127, 0, 0, 1], 8080)),
            key_file: None,
            tokens_file: None,
            scanner: "virtual".into(),
            demo: false,
            config: Config::default(),
        }
    }
}

/// Start-up failures; each says what to do.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    /// The data folder could not be created or a file in it written.
    #[error("data folder {path}: {source}")]
    DataDir {
        /// Path.
        path: String,
        /// Cause.
        source: std::io::Error,
    },
    /// Key problems, store open failures (wrong key, corrupt file).
    #[error("store: {0}")]
    Store(#[from] StoreError),
    /// Records database.
    #[error(transparent)]
    Records(#[from] RecordsError),
    /// Token file.
    #[error(transparent)]
    Tokens(#[from] TokenError),
    /// The scanner could not be opened.
    #[error("scanner {selector:?}: {message}; use --scanner none to run with uploads only")]
    Scanner {
        /// Selector.
        selector: String,
        /// Cause.
        message: String,
    },
    /// Binding or serving failed.
    #[error("listen on {addr}: {source}")]
    Listen {
        /// Address.
        addr: SocketAddr,
        /// Cause.
        source: std::io::Error,
    },
}

/// Resolves the store key: `--key-file`, then `RIDGEGATE_STORE_KEY`, then `DATA/store.key`, else a
/// new key written to `DATA/store.key` (0600). Returns the key and where it came from.
pub fn resolve_key(opts: &ServeOptions) -> Result<(StoreKey, String), ServeError> {
    if let Some(p) = &opts.key_file {
        return Ok((StoreKey::from_file(p)?, format!("key file {}", p.display())));
    }
    if std::env::var_os(StoreKey::ENV).is_some() {
        return Ok((StoreKey::from_env()?, format!("environment variable {}", StoreKey::ENV)));
    }
    let path = opts.data_dir.join("store.key");
    if path.exists() {
        return Ok((StoreKey::from_file(&path)?, format!("key file {}", path.display())));
    }
    if opts.data_dir.join("store.redb").exists() {
        return Err(ServeError::Store(StoreError::BadKey(format!(
            "{} exists but no key was given and {} is missing: pass --key-file or set {}",
            opts.data_dir.join("store.redb").display(),
            path.display(),
            StoreKey::ENV
        ))));
    }
    let key = StoreKey::generate();
    crate::write_private(&path, format!("{}\n", key.to_hex()).as_bytes())
        .map_err(|source| ServeError::DataDir { path: path.display().to_string(), source })?;
    notice(&format!(
        "no store key configured: created a new one in {} (mode 0600). Back it up: without it the store cannot be read. \
         In production pass --key-file or {}.",
        path.display(),
        StoreKey::ENV
    ));
    Ok((key, format!("new key file {}", path.display())))
}

/// Opens everything `serve` needs and builds the state (loads the gallery).
pub fn open_state(opts: &ServeOptions) -> Result<AppState, ServeError> {
    std::fs::create_dir_all(&opts.data_dir)
        .map_err(|source| ServeError::DataDir { path: opts.data_dir.display().to_string(), source })?;
    // Owner-only: the folder holds the key (when generated), the tokens and the encrypted store.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&opts.data_dir, std::fs::Permissions::from_mode(0o700))
            .map_err(|source| ServeError::DataDir { path: opts.data_dir.display().to_string(), source })?;
    }
    let (key, key_source) = resolve_key(opts)?;
    let db = opts.data_dir.join("store.redb");
    let store = RedbStore::open(&db, key.clone())?;
    let records = Records::open(&opts.data_dir.join("admissions.redb"), key)?;
    notice(&format!("store {} opened with the {key_source}", db.display()));
    let tokens_path = opts.tokens_file.clone().unwrap_or_else(|| opts.data_dir.join("tokens.txt"));
    let (tokens, created) = Tokens::load_or_create(&tokens_path)?;
    if created {
        notice(&format!(
            "created {} (mode 0600) with one bearer token per role (desk, gate, supervisor, admin); log in to the desk page with the desk token",
            tokens_path.display()
        ));
    } else {
        tracing::info!("tokens from {}", tokens_path.display());
    }
    if opts.demo && crate::demo::seed(&store, &opts.config.photo_rules)? {
        notice(&format!(
            "demo applicant {} registered with a synthetic photo: look it up on the desk page",
            crate::demo::DEMO_ID
        ));
    }
    let scanner = open_scanner(&opts.scanner)?;
    let state = AppState::new(opts.config.clone(), Arc::new(store), records, tokens, scanner)?;
    notice(&format!("gallery loaded: {} templates", state.gallery_len()));
    Ok(state)
}

fn open_scanner(selector: &str) -> Result<ScannerSlot, ServeError> {
    let err = |e: &dyn std::fmt::Display| ServeError::Scanner { selector: selector.into(), message: e.to_string() };
    if selector == "none" {
        return Ok(ScannerSlot::none());
    }
    if selector == "virtual" || selector.starts_with("virtual:") {
        let rest = selector.strip_prefix("virtual").unwrap_or("").trim_start_matches(':');
        let dev = VirtualScanner::open_selector(rest).map_err(|e| err(&e))?;
        let control = dev.control();
        notice(&format!("scanner: virtual ({selector}); script it with POST /api/scanner/virtual"));
        return Ok(ScannerSlot::new(Box::new(dev), Some(control)));
    }
    let dev = ridgegate_capture::open(selector).map_err(|e| err(&e))?;
    tracing::info!("scanner: {selector}");
    Ok(ScannerSlot::new(dev, None))
}

/// Runs the service until Ctrl-C / SIGTERM (graceful: running requests finish). Creates its own
/// multi-threaded tokio runtime; blocks the calling thread.
pub fn serve(opts: ServeOptions) -> Result<(), ServeError> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|source| ServeError::Listen { addr: opts.bind, source })?;
    runtime.block_on(async move {
        let state = tokio::task::block_in_place(|| open_state(&opts))?;
        if !opts.bind.ip().is_loopback() {
            tracing::warn!("listening on {} (not loopback): put TLS in front; tokens travel in headers", opts.bind);
        }
        let listener = tokio::net::TcpListener::bind(opts.bind)
            .await
            .map_err(|source| ServeError::Listen { addr: opts.bind, source })?;
        let addr = listener.local_addr().map_err(|source| ServeError::Listen { addr: opts.bind, source })?;
        notice(&format!(
            "listening on http://{addr}/ (desk page http://{addr}/desk/, API description http://{addr}/api/openapi.json)"
        ));
        axum::serve(listener, crate::router(state))
            .with_graceful_shutdown(shutdown_signal())
            .await
            .map_err(|source| ServeError::Listen { addr, source })?;
        tracing::info!("shut down");
        Ok(())
    })
}

/// Start-up facts an operator must see whatever the log filter: printed to stderr and logged.
fn notice(msg: &str) {
    eprintln!("ridgegate serve: {msg}");
    tracing::info!("{msg}");
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
}
