//! Record schema versions and migration.
//!
//! Every stored record is `version (1 byte) ‖ postcard payload`. [`CURRENT`] is what this build
//! writes. On read, [`decode`] accepts every version from 1 to [`CURRENT`], migrating older payloads
//! to the current types, and refuses newer versions with [`StoreError::UnsupportedSchema`] (a newer
//! RidgeGate wrote them). When a record type changes: bump [`CURRENT`], keep the old type as
//! `vN::Type`, and add the conversion to `migrate`.
//!
//! History: version 1 — the initial schema (this release).

use crate::error::{Result, StoreError};
use serde::{Serialize, de::DeserializeOwned};

/// Schema version written by this build.
pub const CURRENT: u8 = 1;

/// Encodes a record with the current schema version.
pub fn encode<T: Serialize>(value: &T) -> Vec<u8> {
    let mut out = vec![CURRENT];
    out.extend(postcard::to_stdvec(value).expect("postcard serialisation of store records cannot fail"));
    out
}

/// Decodes a record of any supported version.
pub fn decode<T: DeserializeOwned>(table: &'static str, key: &str, bytes: &[u8]) -> Result<T> {
    let (&version, payload) = bytes.split_first().ok_or_else(|| StoreError::Corrupt {
        table,
        key: key.into(),
        reason: "empty record".into(),
    })?;
    match version {
        // Version 1 is the current layout: no conversion needed.
        1 => postcard::from_bytes(payload).map_err(|e| StoreError::Corrupt {
            table,
            key: key.into(),
            reason: format!("schema v1 payload: {e}"),
        }),
        0 => Err(StoreError::Corrupt { table, key: key.into(), reason: "schema version 0 does not exist".into() }),
        v => Err(StoreError::UnsupportedSchema { table, key: key.into(), version: v, supported: CURRENT }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(serde::Serialize, serde::Deserialize, Debug, PartialEq)]
    struct R {
        a: u32,
        b: String,
    }

    #[test]
    fn hand_made_v1_record_decodes() {
        // version byte 1, then postcard: varint 300 = [0xAC, 0x02], string "hi" = [2, b'h', b'i']
        let bytes = [1u8, 0xAC, 0x02, 2, b'h', b'i'];
        assert_eq!(decode::<R>("t", "k", &bytes).unwrap(), R { a: 300, b: "hi".into() });
        assert_eq!(encode(&R { a: 300, b: "hi".into() }), bytes);
    }

    #[test]
    fn newer_and_broken_versions_are_refused() {
        assert!(matches!(decode::<R>("t", "k", &[2, 0]), Err(StoreError::UnsupportedSchema { version: 2, .. })));
        assert!(matches!(decode::<R>("t", "k", &[]), Err(StoreError::Corrupt { .. })));
        assert!(matches!(decode::<R>("t", "k", &[1, 0xFF]), Err(StoreError::Corrupt { .. })));
    }
}
