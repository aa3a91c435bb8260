//! Encryption at rest: ChaCha20-Poly1305 with a random 96-bit nonce per record.
//!
//! Every sealed record is `nonce (12) ‖ ciphertext ‖ tag (16)`. The associated data is the
//! record's table name and key, so a ciphertext moved to another record fails authentication
//! instead of being read as the other applicant's data. The key never enters the database: a
//! key-check record (a known constant sealed with the key) lets [`crate::RedbStore::open`]
//! tell a wrong key from corruption.

use crate::error::{Result, StoreError};
use chacha20poly1305::aead::{Aead, AeadCore, KeyInit, OsRng, Payload};
use chacha20poly1305::{ChaCha20Poly1305, Key, Nonce};

const NONCE_LEN: usize = 12;
const TAG_LEN: usize = 16;

/// A 256-bit store key. Cloning copies the key; it is zeroed on a best-effort basis on drop.
/// `Send + Sync`; sealing and opening are thread-safe.
#[derive(Clone)]
pub struct StoreKey {
    cipher: ChaCha20Poly1305,
    bytes: [u8; 32],
}

impl std::fmt::Debug for StoreKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("StoreKey(<redacted>)")
    }
}

impl Drop for StoreKey {
    fn drop(&mut self) {
        self.bytes = [0; 32];
    }
}

impl StoreKey {
    /// Environment variable read by [`StoreKey::from_env`].
    pub const ENV: &'static str = "RIDGEGATE_STORE_KEY";

    /// A key from 32 raw bytes.
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        StoreKey { cipher: ChaCha20Poly1305::new(Key::from_slice(&bytes)), bytes }
    }

    /// A fresh random key from the operating system's RNG.
    pub fn generate() -> Self {
        let key = ChaCha20Poly1305::generate_key(&mut OsRng);
        let mut bytes = [0u8; 32];
        bytes.copy_from_slice(&key);
        Self::from_bytes(bytes)
    }

    /// Parses 64 hex digits (surrounding whitespace ignored).
    pub fn from_hex(text: &str) -> Result<Self> {
        let t = text.trim();
        if t.len() != 64 {
            return Err(StoreError::BadKey(format!("{} characters", t.len())));
        }
        let mut bytes = [0u8; 32];
        for (i, b) in bytes.iter_mut().enumerate() {
            *b = u8::from_str_radix(&t[2 * i..2 * i + 2], 16)
                .map_err(|_| StoreError::BadKey("not hexadecimal".into()))?;
        }
        Ok(Self::from_bytes(bytes))
    }

    /// The key as 64 lowercase hex digits (for `generate-key`; handle with care).
    pub fn to_hex(&self) -> String {
        self.bytes.iter().map(|b| format!("{b:02x}")).collect()
    }

    /// Reads the key from [`StoreKey::ENV`].
    pub fn from_env() -> Result<Self> {
        let v = std::env::var(Self::ENV)
            .map_err(|_| StoreError::BadKey(format!("environment variable {} is not set", Self::ENV)))?;
        Self::from_hex(&v)
    }

    /// Reads the key from a file holding 64 hex digits.
    pub fn from_file(path: &std::path::Path) -> Result<Self> {
        let text = std::fs::read_to_string(path)?;
        Self::from_hex(&text)
    }

    /// Encrypts `plain` for the record `(table, key)`. Cost: one ChaCha20-Poly1305 pass (~1 GB/s).
    pub fn seal(&self, table: &str, key: &str, plain: &[u8]) -> Vec<u8> {
        let nonce = ChaCha20Poly1305::generate_nonce(&mut OsRng);
        let aad = aad(table, key);
        let ct = self
            .cipher
            .encrypt(&nonce, Payload { msg: plain, aad: &aad })
            .expect("ChaCha20-Poly1305 encryption has no failure mode for in-memory buffers");
        let mut out = Vec::with_capacity(NONCE_LEN + ct.len());
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&ct);
        out
    }

    /// Decrypts a record sealed by [`StoreKey::seal`] for the same `(table, key)`.
    pub fn open(&self, table: &'static str, key: &str, sealed: &[u8]) -> Result<Vec<u8>> {
        if sealed.len() < NONCE_LEN + TAG_LEN {
            return Err(StoreError::Corrupt { table, key: key.into(), reason: "sealed record too short".into() });
        }
        let (nonce, ct) = sealed.split_at(NONCE_LEN);
        self.cipher.decrypt(Nonce::from_slice(nonce), Payload { msg: ct, aad: &aad(table, key) }).map_err(|_| {
            StoreError::Corrupt {
                table,
                key: key.into(),
                reason: "authentication failed (record modified, moved, or sealed with another key)".into(),
            }
        })
    }
}

fn aad(table: &str, key: &str) -> Vec<u8> {
    let mut v = Vec::with_capacity(table.len() + key.len() + 1);
    v.extend_from_slice(table.as_bytes());
    v.push(0);
    v.extend_from_slice(key.as_bytes());
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seal_open_round_trip_and_binding() {
        let k = StoreKey::generate();
        let s = k.seal("t", "a", b"secret");
        assert_eq!(k.open("t", "a", &s).unwrap(), b"secret");
        assert!(k.open("t", "b", &s).is_err(), "record moved to another key must fail");
        assert!(StoreKey::generate().open("t", "a", &s).is_err(), "another key must fail");
        let mut bad = s.clone();
        bad[14] ^= 1;
        assert!(k.open("t", "a", &bad).is_err());
        assert!(k.open("t", "a", &s[..10]).is_err());
    }

    #[test]
    fn hex_round_trip() {
        let k = StoreKey::generate();
        let h = k.to_hex();
        assert_eq!(StoreKey::from_hex(&h).unwrap().to_hex(), h);
        assert!(StoreKey::from_hex("abc").is_err());
        assert!(StoreKey::from_hex(&"zz".repeat(32)).is_err());
    }
}
