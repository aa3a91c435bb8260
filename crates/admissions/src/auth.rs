//! Bearer-token authentication and role checks.
//!
//! Tokens live in a text file (`tokens.txt` in the data folder, mode 0600), one per line:
//! `ROLE ACTOR STATION TOKEN` with ROLE one of `desk`, `gate`, `supervisor`, `admin`; `#` starts a
//! comment. A fresh data folder gets one random token per role. Requests send
//! `Authorization: Bearer TOKEN`; the token's role decides what the request may do and its actor and
//! station go into the store's audit log ([`AccessContext`]).

use crate::error::ApiError;
use axum::extract::FromRequestParts;
use axum::http::StatusCode;
use axum::http::request::Parts;
use ridgegate_store::{AccessContext, Role};
use std::path::Path;
use std::sync::Arc;

/// Who is calling: role, actor and station from the token table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    /// Role of the token.
    pub role: Role,
    /// Actor (operator login or gate device ID).
    pub actor: String,
    /// Desk or gate station.
    pub station: String,
}

impl Principal {
    /// The audit context of this principal.
    pub fn ctx(&self) -> AccessContext {
        AccessContext { role: self.role, actor: self.actor.clone(), station: self.station.clone() }
    }
    /// Fails with 403 unless the principal has one of `roles`.
    pub fn require(&self, roles: &[Role], what: &str) -> Result<(), ApiError> {
        if roles.contains(&self.role) {
            Ok(())
        } else {
            Err(ApiError::new(
                StatusCode::FORBIDDEN,
                "forbidden",
                format!("role {} may not {what}; allowed: {}", role_name(self.role), names(roles)),
            ))
        }
    }
}

/// The token table's name of a role.
pub fn role_name(role: Role) -> &'static str {
    match role {
        Role::DeskOperator => "desk",
        Role::Gate => "gate",
        Role::Supervisor => "supervisor",
        Role::Admin => "admin",
        Role::System => "system",
    }
}

fn names(roles: &[Role]) -> String {
    roles.iter().map(|r| role_name(*r)).collect::<Vec<_>>().join(", ")
}

fn parse_role(s: &str) -> Option<Role> {
    match s {
        "desk" => Some(Role::DeskOperator),
        "gate" => Some(Role::Gate),
        "supervisor" => Some(Role::Supervisor),
        "admin" => Some(Role::Admin),
        _ => None,
    }
}

/// Errors reading a token file.
#[derive(Debug, thiserror::Error)]
pub enum TokenError {
    /// The file could not be read or written.
    #[error("token file {path}: {source}")]
    Io {
        /// File path.
        path: String,
        /// Cause.
        source: std::io::Error,
    },
    /// A line is malformed.
    #[error("token file {path} line {line}: {reason}; expected `ROLE ACTOR STATION TOKEN`")]
    Syntax {
        /// File path.
        path: String,
        /// 1-based line.
        line: usize,
        /// What is wrong.
        reason: String,
    },
}

/// Shortest token accepted (128 bits as hex).
pub const MIN_TOKEN_LEN: usize = 32;

/// The token table. Lookup is a constant-time comparison against every token (a handful), so
/// response time does not reveal how much of a guess was right. Cheap to clone; thread-safe.
#[derive(Debug, Clone, Default)]
pub struct Tokens {
    entries: Arc<Vec<(String, Principal)>>,
}

impl Tokens {
    /// A table from (token, principal) pairs.
    pub fn new(entries: Vec<(String, Principal)>) -> Self {
        Tokens { entries: Arc::new(entries) }
    }

    /// Parses a token file's text.
    pub fn parse(text: &str, path: &str) -> Result<Self, TokenError> {
        let mut entries = Vec::new();
        for (i, line) in text.lines().enumerate() {
            let line = line.split('#').next().unwrap_or("").trim();
            if line.is_empty() {
                continue;
            }
            let err = |reason: String| TokenError::Syntax { path: path.into(), line: i + 1, reason };
            let f: Vec<&str> = line.split_whitespace().collect();
            if f.len() != 4 {
                return Err(err(format!("{} fields", f.len())));
            }
            let role = parse_role(f[0])
                .ok_or_else(|| err(format!("unknown role {:?} (desk, gate, supervisor, admin)", f[0])))?;
            if f[3].len() < MIN_TOKEN_LEN {
                return Err(err(format!("token shorter than {MIN_TOKEN_LEN} characters")));
            }
            entries.push((f[3].to_string(), Principal { role, actor: f[1].into(), station: f[2].into() }));
        }
        Ok(Tokens::new(entries))
    }

    /// Reads `path`, or creates it with one fresh random token per role (mode 0600) when absent.
    /// Returns the table and whether the file was created.
    pub fn load_or_create(path: &Path) -> Result<(Self, bool), TokenError> {
        let io = |source| TokenError::Io { path: path.display().to_string(), source };
        if path.exists() {
            let text = std::fs::read_to_string(path).map_err(io)?;
            return Ok((Self::parse(&text, &path.display().to_string())?, false));
        }
        let mut text = String::from(
            "# RidgeGate service tokens: ROLE ACTOR STATION TOKEN (keep this file secret; one line per device/operator)\n",
        );
        for (role, actor, station) in [
            ("desk", "desk-operator-1", "desk-1"),
            ("gate", "gate-device-1", "hall-1"),
            ("supervisor", "supervisor-1", "office"),
            ("admin", "admin-1", "office"),
        ] {
            text.push_str(&format!("{role} {actor} {station} {}\n", random_token()));
        }
        crate::write_private(path, text.as_bytes()).map_err(io)?;
        Ok((Self::parse(&text, &path.display().to_string())?, true))
    }

    /// The principal of a token, if any.
    pub fn lookup(&self, token: &str) -> Option<&Principal> {
        let mut found = None;
        for (t, p) in self.entries.iter() {
            if constant_time_eq(t.as_bytes(), token.as_bytes()) {
                found = Some(p);
            }
        }
        found
    }

    /// The first token of a role (for tests and the start-up hint).
    pub fn token_for(&self, role: Role) -> Option<&str> {
        self.entries.iter().find(|(_, p)| p.role == role).map(|(t, _)| t.as_str())
    }
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// A fresh 256-bit random token as 64 hex digits, from the operating system's RNG (through the
/// store's key generator, which already depends on it).
pub fn random_token() -> String {
    ridgegate_store::StoreKey::generate().to_hex()
}

impl FromRequestParts<crate::AppState> for Principal {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &crate::AppState) -> Result<Self, Self::Rejection> {
        let unauthorized = |m: &str| ApiError::new(StatusCode::UNAUTHORIZED, "unauthorized", m.to_string());
        let header = parts.headers.get(axum::http::header::AUTHORIZATION).ok_or_else(|| {
            unauthorized("missing Authorization: Bearer <token> header; tokens are in the data folder's tokens.txt")
        })?;
        let value = header.to_str().map_err(|_| unauthorized("Authorization header is not ASCII"))?;
        let token =
            value.strip_prefix("Bearer ").ok_or_else(|| unauthorized("Authorization must be `Bearer <token>`"))?;
        state.inner.tokens.lookup(token.trim()).cloned().ok_or_else(|| unauthorized("unknown token"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_rejects() {
        let t = Tokens::parse("# c\ndesk op1 desk-1 0123456789abcdef0123456789abcdef\n", "t").unwrap();
        let p = t.lookup("0123456789abcdef0123456789abcdef").unwrap();
        assert_eq!((p.role, p.actor.as_str()), (Role::DeskOperator, "op1"));
        assert!(t.lookup("0123456789abcdef0123456789abcdeX").is_none());
        assert!(t.lookup("").is_none());
        assert!(Tokens::parse("root a b 0123456789abcdef0123456789abcdef", "t").is_err());
        assert!(Tokens::parse("desk a b short", "t").is_err());
        assert!(Tokens::parse("desk a 0123456789abcdef0123456789abcdef", "t").is_err());
    }

    #[test]
    fn created_file_has_every_role_and_is_private() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("tokens.txt");
        let (t, created) = Tokens::load_or_create(&path).unwrap();
        assert!(created);
        for r in [Role::DeskOperator, Role::Gate, Role::Supervisor, Role::Admin] {
            assert!(t.token_for(r).is_some());
        }
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
        }
        let (again, created) = Tokens::load_or_create(&path).unwrap();
        assert!(!created);
        assert_eq!(again.token_for(Role::Gate), t.token_for(Role::Gate));
    }
}
