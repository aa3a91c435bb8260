//! The service's own records, next to the store: integrity pledges, duplicate-enrollment reviews
//! and exam-hall rosters, in a small redb database (`admissions.redb` in the data folder).
//!
//! Pledges and reviews name applicants and are sealed with the store key (ChaCha20-Poly1305,
//! bound to table and key, as in the store); rosters hold only applicant IDs. Every write is one
//! fsync'd transaction. Calls block on disk I/O: call them from `spawn_blocking`. `Send + Sync`.

use redb::{Database, ReadableTable, TableDefinition};
use ridgegate_store::{ApplicantId, StoreKey};
use serde::{Deserialize, Serialize, de::DeserializeOwned};
use std::path::Path;

const PLEDGES: TableDefinition<&str, &[u8]> = TableDefinition::new("pledges");
const REVIEWS: TableDefinition<&str, &[u8]> = TableDefinition::new("duplicate_reviews");
const ROSTERS: TableDefinition<&str, &[u8]> = TableDefinition::new("rosters");

/// Errors of the records database.
#[derive(Debug, thiserror::Error)]
pub enum RecordsError {
    /// redb failed.
    #[error("records database: {0}")]
    Database(String),
    /// A record failed authentication or decoding.
    #[error("records database: corrupt record {0}: {1}")]
    Corrupt(String, String),
}

macro_rules! db_err {
    ($($t:ty),*) => {$(
        impl From<$t> for RecordsError {
            fn from(e: $t) -> Self {
                RecordsError::Database(e.to_string())
            }
        }
    )*};
}
db_err!(redb::DatabaseError, redb::TransactionError, redb::TableError, redb::StorageError, redb::CommitError);

impl From<RecordsError> for crate::error::ApiError {
    fn from(e: RecordsError) -> Self {
        crate::error::ApiError::internal(e.to_string())
    }
}

/// The integrity pledge an applicant accepted at the desk.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PledgeRecord {
    /// Whose pledge.
    pub applicant: ApplicantId,
    /// Version of the pledge text shown ([`crate::form::PLEDGE_VERSION`]).
    pub pledge_version: u32,
    /// The name the applicant typed as signature (must equal the registered name).
    pub signed_name: String,
    /// When, ms since the Unix epoch.
    pub accepted_at_ms: u64,
    /// Desk station.
    pub desk: String,
    /// Operator who witnessed it.
    pub operator: String,
}

/// One subject a duplicate search matched.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DuplicateCandidate {
    /// The earlier enrolled applicant.
    pub applicant: String,
    /// Best finger score against them.
    pub best_score: f32,
    /// Estimated per-comparison FMR of that score.
    pub fmr: f64,
    /// Probe fingers (of the new applicant) that matched, with the matched finger of the other.
    pub matches: Vec<(String, String, f32)>,
}

/// A duplicate-enrollment flag waiting for (or resolved by) a supervisor.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReviewRecord {
    /// The newly enrolled applicant that matched someone.
    pub applicant: ApplicantId,
    /// Who they matched.
    pub candidates: Vec<DuplicateCandidate>,
    /// When flagged, ms since the Unix epoch.
    pub flagged_at_ms: u64,
    /// Desk that enrolled.
    pub desk: String,
    /// `open`, `distinct_persons` or `confirmed_duplicate`.
    pub state: String,
    /// Supervisor who resolved it.
    pub resolved_by: Option<String>,
    /// Supervisor's note.
    pub note: Option<String>,
}

/// The records database. See the module docs.
pub struct Records {
    db: Database,
    key: StoreKey,
}

impl std::fmt::Debug for Records {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Records")
    }
}

impl Records {
    /// Opens or creates the database at `path`; records are sealed with `key`.
    pub fn open(path: &Path, key: StoreKey) -> Result<Self, RecordsError> {
        let db = Database::create(path)?;
        let w = db.begin_write()?;
        for t in [PLEDGES, REVIEWS, ROSTERS] {
            w.open_table(t)?;
        }
        w.commit()?;
        Ok(Records { db, key })
    }

    fn put<T: Serialize>(
        &self,
        table: TableDefinition<&str, &[u8]>,
        name: &str,
        key: &str,
        value: &T,
        seal: bool,
    ) -> Result<(), RecordsError> {
        let json = serde_json::to_vec(value).map_err(|e| RecordsError::Corrupt(key.into(), e.to_string()))?;
        let bytes = if seal { self.key.seal(name, key, &json) } else { json };
        let w = self.db.begin_write()?;
        w.open_table(table)?.insert(key, bytes.as_slice())?;
        w.commit()?;
        Ok(())
    }

    fn decode<T: DeserializeOwned>(
        &self,
        name: &'static str,
        key: &str,
        bytes: &[u8],
        seal: bool,
    ) -> Result<T, RecordsError> {
        let plain = if seal {
            self.key
                .open(name, key, bytes)
                .map_err(|e| RecordsError::Corrupt(format!("{name}/{key}"), e.to_string()))?
        } else {
            bytes.to_vec()
        };
        serde_json::from_slice(&plain).map_err(|e| RecordsError::Corrupt(format!("{name}/{key}"), e.to_string()))
    }

    fn get<T: DeserializeOwned>(
        &self,
        table: TableDefinition<&str, &[u8]>,
        name: &'static str,
        key: &str,
        seal: bool,
    ) -> Result<Option<T>, RecordsError> {
        let r = self.db.begin_read()?;
        let t = r.open_table(table)?;
        let v = t.get(key)?.map(|g| g.value().to_vec());
        v.map(|b| self.decode(name, key, &b, seal)).transpose()
    }

    fn all<T: DeserializeOwned>(
        &self,
        table: TableDefinition<&str, &[u8]>,
        name: &'static str,
        seal: bool,
    ) -> Result<Vec<T>, RecordsError> {
        let r = self.db.begin_read()?;
        let t = r.open_table(table)?;
        let mut out = Vec::new();
        for item in t.iter()? {
            let (k, v) = item?;
            out.push(self.decode(name, k.value(), v.value(), seal)?);
        }
        Ok(out)
    }

    /// Records (replaces) an applicant's pledge.
    pub fn put_pledge(&self, p: &PledgeRecord) -> Result<(), RecordsError> {
        self.put(PLEDGES, "pledges", p.applicant.as_str(), p, true)
    }
    /// The applicant's pledge, if recorded.
    pub fn pledge(&self, id: &ApplicantId) -> Result<Option<PledgeRecord>, RecordsError> {
        self.get(PLEDGES, "pledges", id.as_str(), true)
    }
    /// Records (replaces) a duplicate review.
    pub fn put_review(&self, r: &ReviewRecord) -> Result<(), RecordsError> {
        self.put(REVIEWS, "duplicate_reviews", r.applicant.as_str(), r, true)
    }
    /// The applicant's duplicate review, if any.
    pub fn review(&self, id: &ApplicantId) -> Result<Option<ReviewRecord>, RecordsError> {
        self.get(REVIEWS, "duplicate_reviews", id.as_str(), true)
    }
    /// Every duplicate review, by applicant ID.
    pub fn reviews(&self) -> Result<Vec<ReviewRecord>, RecordsError> {
        self.all(REVIEWS, "duplicate_reviews", true)
    }
    /// Replaces a hall's roster.
    pub fn put_roster(&self, hall: &str, applicants: &[ApplicantId]) -> Result<(), RecordsError> {
        self.put(ROSTERS, "rosters", hall, &applicants, false)
    }
    /// A hall's roster.
    pub fn roster(&self, hall: &str) -> Result<Option<Vec<ApplicantId>>, RecordsError> {
        self.get(ROSTERS, "rosters", hall, false)
    }
    /// Removes an applicant's pledge and review (data-protection deletion).
    pub fn delete_applicant(&self, id: &ApplicantId) -> Result<(), RecordsError> {
        let w = self.db.begin_write()?;
        w.open_table(PLEDGES)?.remove(id.as_str())?;
        w.open_table(REVIEWS)?.remove(id.as_str())?;
        w.commit()?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_round_trip_and_are_sealed() {
        let dir = tempfile::tempdir().unwrap();
        let key = StoreKey::generate();
        let r = Records::open(&dir.path().join("a.redb"), key.clone()).unwrap();
        let id = ApplicantId::new("A1").unwrap();
        let p = PledgeRecord {
            applicant: id.clone(),
            pledge_version: 1,
            signed_name: "Zhang San".into(),
            accepted_at_ms: 5,
            desk: "d".into(),
            operator: "o".into(),
        };
        r.put_pledge(&p).unwrap();
        assert_eq!(r.pledge(&id).unwrap(), Some(p));
        r.put_roster("hall-1", std::slice::from_ref(&id)).unwrap();
        assert_eq!(r.roster("hall-1").unwrap(), Some(vec![id.clone()]));
        assert_eq!(r.roster("hall-2").unwrap(), None);
        drop(r);
        let raw = std::fs::read(dir.path().join("a.redb")).unwrap();
        assert!(!raw.windows(9).any(|w| w == b"Zhang San"), "pledge stored in clear text");
        // Another key cannot read it.
        let other = Records::open(&dir.path().join("a.redb"), StoreKey::generate()).unwrap();
        assert!(other.pledge(&id).is_err());
        drop(other);
        r_delete(&dir.path().join("a.redb"), key, &id);
    }

    fn r_delete(path: &Path, key: StoreKey, id: &ApplicantId) {
        let r = Records::open(path, key).unwrap();
        r.delete_applicant(id).unwrap();
        assert_eq!(r.pledge(id).unwrap(), None);
    }
}
