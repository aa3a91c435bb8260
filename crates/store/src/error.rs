//! Errors of the store layer.

use thiserror::Error;

/// Why a store operation failed. Nothing is written when an operation returns an error
/// (every write is one redb transaction that is committed only on success).
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum StoreError {
    /// The database file could not be opened, read or written.
    #[error("database error: {0}")]
    Database(String),
    /// The key does not decrypt this store's key-check record.
    #[error("wrong store key: this database was encrypted with another key (check RIDGEGATE_STORE_KEY or --key-file)")]
    WrongKey,
    /// The key material is malformed.
    #[error(
        "invalid store key: {0} (expected 32 bytes as 64 hex digits; make one with `ridgegate store generate-key`)"
    )]
    BadKey(String),
    /// A record failed authentication or decoding: the file was modified or damaged.
    #[error("corrupt record {table}/{key}: {reason}")]
    Corrupt {
        /// Table name.
        table: &'static str,
        /// Record key.
        key: String,
        /// What failed.
        reason: String,
    },
    /// A record has a schema version this build cannot read.
    #[error("record {table}/{key} has schema version {version}; this build reads up to {supported}: upgrade RidgeGate")]
    UnsupportedSchema {
        /// Table name.
        table: &'static str,
        /// Record key.
        key: String,
        /// Version found.
        version: u8,
        /// Newest version supported.
        supported: u8,
    },
    /// An applicant with this ID already exists.
    #[error("applicant {0} already exists")]
    DuplicateApplicant(String),
    /// No applicant with this ID.
    #[error("unknown applicant {0}")]
    UnknownApplicant(String),
    /// The applicant already has an enrollment; enrollments are kept across years and not redone.
    #[error("applicant {0} is already enrolled (enrolled {1}); use replace to re-enroll deliberately")]
    AlreadyEnrolled(String, String),
    /// Input data violates a rule of the data model.
    #[error("invalid {field}: {reason}")]
    Invalid {
        /// Which field.
        field: &'static str,
        /// What is wrong.
        reason: String,
    },
    /// The requested item does not exist.
    #[error("not found: {0}")]
    NotFound(String),
    /// The audit log's hash chain is broken.
    #[error("audit log tampered or damaged at entry {seq}: {reason}")]
    AuditChain {
        /// First bad sequence number.
        seq: u64,
        /// What is wrong.
        reason: String,
    },
    /// An export file is malformed.
    #[error("bad export file: {0}")]
    BadExport(String),
    /// File I/O outside the database (export/import streams, key files).
    #[error("file I/O failed (export/import stream or key file)")]
    Io(#[from] std::io::Error),
}

impl StoreError {
    pub(crate) fn invalid(field: &'static str, reason: impl Into<String>) -> Self {
        StoreError::Invalid { field, reason: reason.into() }
    }
}

macro_rules! db_err {
    ($($t:ty),*) => {$(
        impl From<$t> for StoreError {
            fn from(e: $t) -> Self {
                StoreError::Database(e.to_string())
            }
        }
    )*};
}
db_err!(
    redb::Error,
    redb::DatabaseError,
    redb::TransactionError,
    redb::TableError,
    redb::StorageError,
    redb::CommitError
);

/// Result alias of the store layer.
pub type Result<T> = std::result::Result<T, StoreError>;
