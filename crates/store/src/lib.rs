//! # ridgegate-store
//!
//! The applicant, enrollment and audit store of RidgeGate, on [redb](https://docs.rs/redb)
//! (an embedded, crash-safe, copy-on-write B-tree database with ACID transactions).
//!
//! * [`Store`] is the interface the admissions service and the CLI use; [`RedbStore`] implements it
//!   on one database file. A distributed store can implement the same trait later.
//! * **Atomicity**: every write (an applicant's whole [`Enrollment`] with its templates and source
//!   images, a deletion, an import) is one transaction, committed whole or not at all, with
//!   immediate durability (fsync before the call returns). The audit entry of a write is committed
//!   in the same transaction.
//! * **Encryption at rest**: applicant records, templates, images, photos and gate attempts are
//!   sealed with ChaCha20-Poly1305 ([`StoreKey`]); the key comes from `RIDGEGATE_STORE_KEY` or a key
//!   file and is never written to the database. A wrong key fails at [`RedbStore::open`] with
//!   [`StoreError::WrongKey`].
//! * **Audit**: an append-only, SHA-256 hash-chained log of every read and write of biometric or
//!   personal data ([`AuditEntry`]); [`Store::verify_integrity`] detects any edit or gap.
//! * **Schema versions**: every record starts with a schema-version byte; [`schema`] migrates old
//!   versions on read and refuses newer ones with a clear error.
//!
//! Thread safety: [`RedbStore`] is `Send + Sync`; redb serialises write transactions and lets reads
//! run concurrently with a write (MVCC). Calls block on disk I/O; call them from
//! `spawn_blocking` in async code.

mod crypto;
mod error;
mod model;
mod redb_store;
pub mod schema;

pub use crypto::StoreKey;
pub use error::{Result, StoreError};
pub use model::*;
pub use redb_store::RedbStore;

use ridgegate_core::{FingerPosition, Template};

/// One template as delivered by [`Store::load_templates`].
#[derive(Debug, Clone)]
pub struct StoredTemplate {
    /// Whose.
    pub applicant: ApplicantId,
    /// Which finger.
    pub finger: FingerPosition,
    /// View index 0.. within the finger.
    pub view: u8,
    /// The template.
    pub template: Template,
}

/// Counts reported by [`Store::stats`].
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct StoreStats {
    /// Applicants registered.
    pub applicants: u64,
    /// Applicants with an enrollment.
    pub enrollments: u64,
    /// Templates across all enrollments.
    pub templates: u64,
    /// Source images kept.
    pub images: u64,
    /// Photos kept.
    pub photos: u64,
    /// Gate attempts recorded.
    pub gate_attempts: u64,
    /// Audit log entries.
    pub audit_entries: u64,
}

/// What [`Store::verify_integrity`] checked.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct IntegrityReport {
    /// Records decrypted, authenticated and decoded.
    pub records_checked: u64,
    /// Templates decoded and validated.
    pub templates_checked: u64,
    /// Audit entries whose hash chain was verified.
    pub audit_entries_checked: u64,
}

/// Counts of an export or import.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct TransferStats {
    /// Applicants transferred.
    pub applicants: u64,
    /// Records of all kinds transferred.
    pub records: u64,
}

/// The store interface. Object-safe, synchronous, thread-safe (`Send + Sync`).
///
/// Every method that touches personal or biometric data takes an [`AccessContext`] and writes an
/// audit entry; role checks (which role may call what) belong to the service layer, the store
/// records who did it.
pub trait Store: Send + Sync {
    /// Creates an applicant. Fails with [`StoreError::DuplicateApplicant`] if the ID exists.
    fn create_applicant(&self, ctx: &AccessContext, applicant: &Applicant) -> Result<()>;
    /// Replaces an existing applicant's registration data. [`StoreError::UnknownApplicant`] if absent.
    fn update_applicant(&self, ctx: &AccessContext, applicant: &Applicant) -> Result<()>;
    /// Reads an applicant. [`StoreError::UnknownApplicant`] if absent.
    fn applicant(&self, ctx: &AccessContext, id: &ApplicantId) -> Result<Applicant>;
    /// Lists applicant IDs in key order (no personal data is decrypted; not audited).
    fn applicant_ids(&self) -> Result<Vec<ApplicantId>>;
    /// Writes an applicant's enrollment atomically: templates, capture metadata and source images.
    /// Fails with [`StoreError::AlreadyEnrolled`] if one exists and `replace` is false; the applicant
    /// must exist. The applicant's status becomes [`ApplicantStatus::Enrolled`] in the same transaction.
    fn put_enrollment(&self, ctx: &AccessContext, enrollment: &Enrollment, replace: bool) -> Result<()>;
    /// Reads an enrollment with its templates; source images are left empty (see [`Store::source_image`]).
    fn enrollment(&self, ctx: &AccessContext, id: &ApplicantId) -> Result<Option<Enrollment>>;
    /// Reads an enrollment with its templates *and* the source images of its views (empty for a
    /// view stored without one), in one transaction with one audit entry ([`AuditAction::ReadImages`]):
    /// what re-extraction needs. Costs the decryption of every image (≈ 24 × 100 kB).
    fn enrollment_with_images(&self, ctx: &AccessContext, id: &ApplicantId) -> Result<Option<Enrollment>>;
    /// Replaces the templates of some of an applicant's enrolled views, atomically, with one audit
    /// entry ([`AuditAction::ReplaceTemplates`], `detail` appended to it): source images, capture
    /// metadata, the other views and the applicant's status stay as they are. Every update's `old`
    /// must equal the stored template, else nothing is written and the error is
    /// [`StoreError::Invalid`] ("changed since it was read": re-read and retry); an update naming a
    /// view that does not exist, or whose `new` template does not validate, is rejected the same
    /// way. [`StoreError::NotFound`] if the applicant has no enrollment.
    fn replace_templates(
        &self,
        ctx: &AccessContext,
        id: &ApplicantId,
        updates: &[TemplateUpdate],
        detail: &str,
    ) -> Result<()>;
    /// Reads one source image (PNG bytes) of a view.
    fn source_image(&self, ctx: &AccessContext, id: &ApplicantId, finger: FingerPosition, view: u8) -> Result<Vec<u8>>;
    /// Stores (replaces) the applicant's photo.
    fn put_photo(&self, ctx: &AccessContext, id: &ApplicantId, photo: &Photo) -> Result<()>;
    /// Reads the applicant's photo, if any.
    fn photo(&self, ctx: &AccessContext, id: &ApplicantId) -> Result<Option<Photo>>;
    /// Appends a gate verification attempt.
    fn record_gate_attempt(&self, ctx: &AccessContext, attempt: &GateAttempt) -> Result<()>;
    /// The applicant's gate attempts, oldest first.
    fn gate_attempts(&self, ctx: &AccessContext, id: &ApplicantId) -> Result<Vec<GateAttempt>>;
    /// Loads every enrolled template (for building a gallery at start-up), one audit entry in all.
    /// Decryption and decoding run in parallel; cost ≈ a few µs per template.
    fn load_templates(&self, ctx: &AccessContext) -> Result<Vec<StoredTemplate>>;
    /// Records a 1:N search made over templates already in memory (a `Gallery` built from
    /// [`Store::load_templates`]): the search reads everyone's biometric data, so it is audited
    /// like a read. `applicant` is the probe's owner when known; `detail` names the search and its
    /// size (never biometric data). One fsync'd write transaction.
    fn record_search(&self, ctx: &AccessContext, applicant: Option<&ApplicantId>, detail: &str) -> Result<()>;
    /// Deletes an applicant and all their data (data-protection request), with an audit entry.
    fn delete_applicant(&self, ctx: &AccessContext, id: &ApplicantId) -> Result<()>;
    /// Writes a consistent snapshot of one applicant (or all, with `None`) to `out`. The records stay
    /// sealed with the store key; the audit log is included in a whole-store export.
    fn export(
        &self,
        ctx: &AccessContext,
        id: Option<&ApplicantId>,
        out: &mut dyn std::io::Write,
    ) -> Result<TransferStats>;
    /// Imports an export file made with the same key, all or nothing. Existing applicants are
    /// a [`StoreError::DuplicateApplicant`] error; audit entries are restored only into an empty log.
    fn import(&self, ctx: &AccessContext, input: &mut dyn std::io::Read) -> Result<TransferStats>;
    /// Record counts.
    fn stats(&self) -> Result<StoreStats>;
    /// Decrypts and decodes every record and verifies the audit hash chain.
    fn verify_integrity(&self) -> Result<IntegrityReport>;
    /// Audit entries with `seq >= from`, at most `limit`.
    fn audit_entries(&self, from: u64, limit: usize) -> Result<Vec<AuditEntry>>;
}
