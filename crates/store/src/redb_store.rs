//! [`RedbStore`]: the [`Store`] on one redb database file.

use crate::crypto::StoreKey;
use crate::error::{Result, StoreError};
use crate::model::*;
use crate::{IntegrityReport, Store, StoreStats, StoredTemplate, TransferStats, schema};
use rayon::prelude::*;
use redb::{Database, ReadableTable, ReadableTableMetadata, TableDefinition, WriteTransaction};
use ridgegate_core::{FingerPosition, Template};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::path::Path;

const META: TableDefinition<&str, &[u8]> = TableDefinition::new("meta");
const APPLICANTS: TableDefinition<&str, &[u8]> = TableDefinition::new("applicants");
const ENROLLMENTS: TableDefinition<&str, &[u8]> = TableDefinition::new("enrollments");
const IMAGES: TableDefinition<&str, &[u8]> = TableDefinition::new("images");
const PHOTOS: TableDefinition<&str, &[u8]> = TableDefinition::new("photos");
const ATTEMPTS: TableDefinition<&str, &[u8]> = TableDefinition::new("attempts");
const AUDIT: TableDefinition<u64, &[u8]> = TableDefinition::new("audit");

/// A sealed per-applicant table: definition, name in messages, record kind in exports.
type SealedTable = (TableDefinition<'static, &'static str, &'static [u8]>, &'static str, u8);

/// Sealed per-applicant tables, in export order.
const DATA_TABLES: [SealedTable; 5] = [
    (APPLICANTS, "applicants", 1),
    (ENROLLMENTS, "enrollments", 2),
    (IMAGES, "images", 3),
    (PHOTOS, "photos", 4),
    (ATTEMPTS, "attempts", 5),
];
const EXPORT_AUDIT_KIND: u8 = 6;

const KEY_CHECK: &str = "key_check";
const KEY_CHECK_PLAIN: &[u8] = b"ridgegate store key check v1";
const EXPORT_MAGIC: &[u8; 8] = b"RGEXPORT";
const EXPORT_VERSION: u8 = 1;
/// Largest single record accepted from an export file (a source image PNG is < 4 MB).
const MAX_EXPORT_RECORD: usize = 64 << 20;

/// The persisted form of an enrollment: templates and capture metadata, without the images
/// (they live in their own table, so loading a gallery never decrypts pixels).
#[derive(Serialize, Deserialize)]
struct EnrollmentRecord {
    applicant: ApplicantId,
    year: u16,
    desk: String,
    fingers: Vec<FingerRecord>,
}

#[derive(Serialize, Deserialize)]
struct FingerRecord {
    finger: u8,
    views: Vec<ViewRecord>,
}

#[derive(Serialize, Deserialize)]
struct ViewRecord {
    template: Vec<u8>,
    quality: u8,
    captured_at_ms: u64,
    device: String,
    operator: String,
}

#[derive(Serialize)]
struct AuditHashInput<'a> {
    seq: u64,
    at_ms: u64,
    context: &'a AccessContext,
    action: AuditAction,
    applicant: &'a Option<ApplicantId>,
    detail: &'a str,
    prev_hash: &'a [u8; 32],
}

fn audit_hash(e: &AuditEntry) -> [u8; 32] {
    let input = AuditHashInput {
        seq: e.seq,
        at_ms: e.at_ms,
        context: &e.context,
        action: e.action,
        applicant: &e.applicant,
        detail: &e.detail,
        prev_hash: &e.prev_hash,
    };
    let bytes = postcard::to_stdvec(&input).expect("audit entry serialisation cannot fail");
    Sha256::digest(&bytes).into()
}

/// The redb-backed store. Open once per process and share (`Arc<RedbStore>`); `Send + Sync`.
pub struct RedbStore {
    db: Database,
    key: StoreKey,
}

impl std::fmt::Debug for RedbStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("RedbStore")
    }
}

fn image_key(id: &ApplicantId, finger: FingerPosition, view: u8) -> String {
    format!("{id}/{:02}/{view}", finger.code())
}

/// Half-open key range covering every `"{id}/…"` key (IDs cannot contain '/', and '0' follows '/').
fn prefix_range(id: &ApplicantId) -> (String, String) {
    (format!("{id}/"), format!("{id}0"))
}

impl RedbStore {
    /// Opens (or creates) the database at `path` with `key`. A new database gets a key-check
    /// record; an existing one must open it, else [`StoreError::WrongKey`].
    pub fn open(path: impl AsRef<Path>, key: StoreKey) -> Result<Self> {
        let db = Database::create(path.as_ref())?;
        let store = RedbStore { db, key };
        let w = store.db.begin_write()?;
        {
            let mut meta = w.open_table(META)?;
            let existing = meta.get(KEY_CHECK)?.map(|g| g.value().to_vec());
            match existing {
                Some(sealed) => {
                    if !matches!(store.key.open("meta", KEY_CHECK, &sealed), Ok(p) if p == KEY_CHECK_PLAIN) {
                        return Err(StoreError::WrongKey);
                    }
                }
                None => {
                    let sealed = store.key.seal("meta", KEY_CHECK, KEY_CHECK_PLAIN);
                    meta.insert(KEY_CHECK, sealed.as_slice())?;
                }
            }
            // Create every table so readers never meet a missing one.
            for (def, _, _) in DATA_TABLES {
                w.open_table(def)?;
            }
            w.open_table(AUDIT)?;
        }
        w.commit()?;
        Ok(store)
    }

    fn seal_record<T: Serialize>(&self, table: &str, key: &str, value: &T) -> Vec<u8> {
        self.key.seal(table, key, &schema::encode(value))
    }

    fn open_record<T: serde::de::DeserializeOwned>(&self, table: &'static str, key: &str, sealed: &[u8]) -> Result<T> {
        let plain = self.key.open(table, key, sealed)?;
        schema::decode(table, key, &plain)
    }

    fn append_audit(
        &self,
        w: &WriteTransaction,
        ctx: &AccessContext,
        action: AuditAction,
        applicant: Option<&ApplicantId>,
        detail: String,
    ) -> Result<()> {
        let mut t = w.open_table(AUDIT)?;
        let (seq, prev_hash) = match t.last()? {
            Some((k, v)) => {
                let prev: AuditEntry = postcard::from_bytes(v.value()).map_err(|e| StoreError::Corrupt {
                    table: "audit",
                    key: k.value().to_string(),
                    reason: e.to_string(),
                })?;
                (k.value() + 1, prev.hash)
            }
            None => (1, [0u8; 32]),
        };
        let mut entry = AuditEntry {
            seq,
            at_ms: now_ms(),
            context: ctx.clone(),
            action,
            applicant: applicant.cloned(),
            detail,
            prev_hash,
            hash: [0; 32],
        };
        entry.hash = audit_hash(&entry);
        let bytes = postcard::to_stdvec(&entry).expect("audit entry serialisation cannot fail");
        t.insert(seq, bytes.as_slice())?;
        Ok(())
    }

    /// Runs `f` in a write transaction with an audit entry, committing both or neither.
    fn audited_write<T>(
        &self,
        ctx: &AccessContext,
        action: AuditAction,
        applicant: Option<&ApplicantId>,
        f: impl FnOnce(&WriteTransaction) -> Result<(T, String)>,
    ) -> Result<T> {
        let w = self.db.begin_write()?;
        let (value, detail) = f(&w)?;
        self.append_audit(&w, ctx, action, applicant, detail)?;
        w.commit()?;
        Ok(value)
    }

    fn require_applicant(&self, w: &WriteTransaction, id: &ApplicantId) -> Result<()> {
        if w.open_table(APPLICANTS)?.get(id.as_str())?.is_none() {
            return Err(StoreError::UnknownApplicant(id.to_string()));
        }
        Ok(())
    }

    /// The applicant's enrollment (templates, no images) as of transaction `w`, if any.
    fn enrollment_in(&self, w: &WriteTransaction, id: &ApplicantId) -> Result<Option<Enrollment>> {
        let t = w.open_table(ENROLLMENTS)?;
        let Some(sealed) = t.get(id.as_str())? else {
            return Ok(None);
        };
        let rec: EnrollmentRecord = self.open_record("enrollments", id.as_str(), sealed.value())?;
        Ok(Some(self.enrollment_from_record(rec, id.as_str())?))
    }

    fn enrollment_from_record(&self, rec: EnrollmentRecord, key: &str) -> Result<Enrollment> {
        let mut fingers = Vec::with_capacity(rec.fingers.len());
        for f in rec.fingers {
            let finger = FingerPosition::from_code(f.finger).ok_or_else(|| StoreError::Corrupt {
                table: "enrollments",
                key: key.into(),
                reason: format!("finger code {}", f.finger),
            })?;
            let mut views = Vec::with_capacity(f.views.len());
            for v in f.views {
                let template = Template::decode(&v.template).map_err(|e| StoreError::Corrupt {
                    table: "enrollments",
                    key: key.into(),
                    reason: format!("template: {e}"),
                })?;
                views.push(CapturedView {
                    template,
                    quality: v.quality,
                    captured_at_ms: v.captured_at_ms,
                    device: v.device,
                    operator: v.operator,
                    image_png: Vec::new(),
                });
            }
            fingers.push(FingerEnrollment { finger, views });
        }
        Ok(Enrollment { applicant: rec.applicant, year: rec.year, desk: rec.desk, fingers })
    }

    fn verify_audit_chain(&self, r: &redb::ReadTransaction) -> Result<u64> {
        let t = r.open_table(AUDIT)?;
        let mut expected_seq = 1u64;
        let mut prev = [0u8; 32];
        for item in t.iter()? {
            let (k, v) = item?;
            let seq = k.value();
            let e: AuditEntry = postcard::from_bytes(v.value())
                .map_err(|err| StoreError::AuditChain { seq, reason: format!("undecodable: {err}") })?;
            if seq != expected_seq || e.seq != seq {
                return Err(StoreError::AuditChain { seq, reason: format!("expected entry {expected_seq}") });
            }
            if e.prev_hash != prev {
                return Err(StoreError::AuditChain { seq, reason: "previous-hash link broken".into() });
            }
            if audit_hash(&e) != e.hash {
                return Err(StoreError::AuditChain { seq, reason: "entry hash does not match its content".into() });
            }
            prev = e.hash;
            expected_seq += 1;
        }
        Ok(expected_seq - 1)
    }
}

fn read_u32(input: &mut dyn std::io::Read) -> Result<Option<u32>> {
    let mut b = [0u8; 4];
    let mut got = 0;
    while got < 4 {
        let n = input.read(&mut b[got..])?;
        if n == 0 {
            return if got == 0 { Ok(None) } else { Err(StoreError::BadExport("truncated length".into())) };
        }
        got += n;
    }
    Ok(Some(u32::from_le_bytes(b)))
}

fn read_exact_vec(input: &mut dyn std::io::Read, len: usize) -> Result<Vec<u8>> {
    if len > MAX_EXPORT_RECORD {
        return Err(StoreError::BadExport(format!("record of {len} bytes exceeds {MAX_EXPORT_RECORD}")));
    }
    let mut v = vec![0u8; len];
    input.read_exact(&mut v).map_err(|_| StoreError::BadExport("truncated record".into()))?;
    Ok(v)
}

fn write_export_record(out: &mut dyn std::io::Write, kind: u8, key: &[u8], value: &[u8]) -> Result<()> {
    out.write_all(&[kind])?;
    out.write_all(&(key.len() as u32).to_le_bytes())?;
    out.write_all(key)?;
    out.write_all(&(value.len() as u32).to_le_bytes())?;
    out.write_all(value)?;
    Ok(())
}

impl Store for RedbStore {
    fn create_applicant(&self, ctx: &AccessContext, a: &Applicant) -> Result<()> {
        a.validate()?;
        self.audited_write(ctx, AuditAction::CreateApplicant, Some(&a.id), |w| {
            let mut t = w.open_table(APPLICANTS)?;
            if t.get(a.id.as_str())?.is_some() {
                return Err(StoreError::DuplicateApplicant(a.id.to_string()));
            }
            t.insert(a.id.as_str(), self.seal_record("applicants", a.id.as_str(), a).as_slice())?;
            Ok(((), String::new()))
        })
    }

    fn update_applicant(&self, ctx: &AccessContext, a: &Applicant) -> Result<()> {
        a.validate()?;
        self.audited_write(ctx, AuditAction::UpdateApplicant, Some(&a.id), |w| {
            self.require_applicant(w, &a.id)?;
            let mut t = w.open_table(APPLICANTS)?;
            t.insert(a.id.as_str(), self.seal_record("applicants", a.id.as_str(), a).as_slice())?;
            Ok(((), String::new()))
        })
    }

    fn applicant(&self, ctx: &AccessContext, id: &ApplicantId) -> Result<Applicant> {
        self.audited_write(ctx, AuditAction::ReadApplicant, Some(id), |w| {
            let t = w.open_table(APPLICANTS)?;
            let sealed = t.get(id.as_str())?.ok_or_else(|| StoreError::UnknownApplicant(id.to_string()))?;
            Ok((self.open_record("applicants", id.as_str(), sealed.value())?, String::new()))
        })
    }

    fn applicant_ids(&self) -> Result<Vec<ApplicantId>> {
        let r = self.db.begin_read()?;
        let t = r.open_table(APPLICANTS)?;
        let mut ids = Vec::new();
        for item in t.iter()? {
            let (k, _) = item?;
            ids.push(ApplicantId::new(k.value())?);
        }
        Ok(ids)
    }

    fn put_enrollment(&self, ctx: &AccessContext, e: &Enrollment, replace: bool) -> Result<()> {
        e.validate()?;
        let id = &e.applicant;
        let views: usize = e.fingers.iter().map(|f| f.views.len()).sum();
        self.audited_write(ctx, AuditAction::WriteEnrollment, Some(id), |w| {
            let mut applicants = w.open_table(APPLICANTS)?;
            let sealed = applicants
                .get(id.as_str())?
                .map(|g| g.value().to_vec())
                .ok_or_else(|| StoreError::UnknownApplicant(id.to_string()))?;
            let mut applicant: Applicant = self.open_record("applicants", id.as_str(), &sealed)?;
            let mut enrollments = w.open_table(ENROLLMENTS)?;
            let mut images = w.open_table(IMAGES)?;
            if let Some(old) = enrollments.get(id.as_str())?.map(|g| g.value().to_vec()) {
                if !replace {
                    let old: EnrollmentRecord = self.open_record("enrollments", id.as_str(), &old)?;
                    return Err(StoreError::AlreadyEnrolled(
                        id.to_string(),
                        format!("in {} at {}", old.year, old.desk),
                    ));
                }
                let (lo, hi) = prefix_range(id);
                let stale: Vec<String> = images
                    .range(lo.as_str()..hi.as_str())?
                    .map(|r| r.map(|(k, _)| k.value().to_string()))
                    .collect::<std::result::Result<_, _>>()?;
                for k in stale {
                    images.remove(k.as_str())?;
                }
            }
            let mut rec =
                EnrollmentRecord { applicant: id.clone(), year: e.year, desk: e.desk.clone(), fingers: Vec::new() };
            for f in &e.fingers {
                let mut fr = FingerRecord { finger: f.finger.code(), views: Vec::new() };
                for (i, v) in f.views.iter().enumerate() {
                    let mut template = v.template.clone();
                    template.finger = f.finger;
                    fr.views.push(ViewRecord {
                        template: template.encode().map_err(|err| StoreError::invalid("template", err.to_string()))?,
                        quality: v.quality,
                        captured_at_ms: v.captured_at_ms,
                        device: v.device.clone(),
                        operator: v.operator.clone(),
                    });
                    if !v.image_png.is_empty() {
                        let k = image_key(id, f.finger, i as u8);
                        images.insert(k.as_str(), self.key.seal("images", &k, &v.image_png).as_slice())?;
                    }
                }
                rec.fingers.push(fr);
            }
            enrollments.insert(id.as_str(), self.seal_record("enrollments", id.as_str(), &rec).as_slice())?;
            applicant.status = ApplicantStatus::Enrolled;
            applicants.insert(id.as_str(), self.seal_record("applicants", id.as_str(), &applicant).as_slice())?;
            Ok(((), format!("{} fingers, {views} views, replace={replace}", e.fingers.len())))
        })
    }

    fn enrollment(&self, ctx: &AccessContext, id: &ApplicantId) -> Result<Option<Enrollment>> {
        self.audited_write(ctx, AuditAction::ReadTemplates, Some(id), |w| {
            Ok(match self.enrollment_in(w, id)? {
                Some(e) => (Some(e), String::new()),
                None => (None, "none".into()),
            })
        })
    }

    fn enrollment_with_images(&self, ctx: &AccessContext, id: &ApplicantId) -> Result<Option<Enrollment>> {
        self.audited_write(ctx, AuditAction::ReadImages, Some(id), |w| {
            let Some(mut e) = self.enrollment_in(w, id)? else {
                return Ok((None, "no enrollment".into()));
            };
            let images = w.open_table(IMAGES)?;
            let mut read = 0usize;
            for f in &mut e.fingers {
                for (i, v) in f.views.iter_mut().enumerate() {
                    let k = image_key(id, f.finger, i as u8);
                    if let Some(sealed) = images.get(k.as_str())? {
                        v.image_png = self.key.open("images", &k, sealed.value())?;
                        read += 1;
                    }
                }
            }
            Ok((Some(e), format!("enrollment with {read} images")))
        })
    }

    fn replace_templates(
        &self,
        ctx: &AccessContext,
        id: &ApplicantId,
        updates: &[TemplateUpdate],
        detail: &str,
    ) -> Result<()> {
        self.audited_write(ctx, AuditAction::ReplaceTemplates, Some(id), |w| {
            let mut enrollments = w.open_table(ENROLLMENTS)?;
            let sealed = enrollments
                .get(id.as_str())?
                .map(|g| g.value().to_vec())
                .ok_or_else(|| StoreError::NotFound(format!("enrollment of {id}")))?;
            let mut rec: EnrollmentRecord = self.open_record("enrollments", id.as_str(), &sealed)?;
            for u in updates {
                let view = rec
                    .fingers
                    .iter_mut()
                    .find(|f| f.finger == u.finger.code())
                    .and_then(|f| f.views.get_mut(usize::from(u.view)))
                    .ok_or_else(|| {
                        StoreError::invalid("view", format!("{} view {} is not enrolled", u.finger, u.view))
                    })?;
                let stored = Template::decode(&view.template).map_err(|e| StoreError::Corrupt {
                    table: "enrollments",
                    key: id.to_string(),
                    reason: format!("template: {e}"),
                })?;
                if stored != u.old {
                    return Err(StoreError::invalid(
                        "template",
                        format!("{} view {} changed since it was read (re-enrolled?): read it again", u.finger, u.view),
                    ));
                }
                let mut template = u.new.clone();
                template.finger = u.finger;
                template
                    .validate()
                    .map_err(|e| StoreError::invalid("template", format!("{} view {}: {e}", u.finger, u.view)))?;
                view.template = template
                    .encode()
                    .map_err(|e| StoreError::invalid("template", format!("{} view {}: {e}", u.finger, u.view)))?;
            }
            enrollments.insert(id.as_str(), self.seal_record("enrollments", id.as_str(), &rec).as_slice())?;
            Ok(((), format!("{} views: {detail}", updates.len())))
        })
    }

    fn source_image(&self, ctx: &AccessContext, id: &ApplicantId, finger: FingerPosition, view: u8) -> Result<Vec<u8>> {
        let k = image_key(id, finger, view);
        self.audited_write(ctx, AuditAction::ReadImages, Some(id), |w| {
            let t = w.open_table(IMAGES)?;
            let sealed = t.get(k.as_str())?.ok_or_else(|| StoreError::NotFound(format!("image {k}")))?;
            Ok((self.key.open("images", &k, sealed.value())?, format!("{finger} view {view}")))
        })
    }

    fn put_photo(&self, ctx: &AccessContext, id: &ApplicantId, photo: &Photo) -> Result<()> {
        self.audited_write(ctx, AuditAction::WritePhoto, Some(id), |w| {
            self.require_applicant(w, id)?;
            let mut t = w.open_table(PHOTOS)?;
            t.insert(id.as_str(), self.seal_record("photos", id.as_str(), photo).as_slice())?;
            Ok(((), format!("{} bytes, passed={}", photo.jpeg.len(), photo.passed)))
        })
    }

    fn photo(&self, ctx: &AccessContext, id: &ApplicantId) -> Result<Option<Photo>> {
        self.audited_write(ctx, AuditAction::ReadPhoto, Some(id), |w| {
            let t = w.open_table(PHOTOS)?;
            let Some(sealed) = t.get(id.as_str())? else {
                return Ok((None, "none".into()));
            };
            Ok((Some(self.open_record("photos", id.as_str(), sealed.value())?), String::new()))
        })
    }

    fn record_gate_attempt(&self, ctx: &AccessContext, a: &GateAttempt) -> Result<()> {
        let id = &a.applicant;
        self.audited_write(ctx, AuditAction::GateAttempt, Some(id), |w| {
            self.require_applicant(w, id)?;
            let mut t = w.open_table(ATTEMPTS)?;
            let (lo, hi) = prefix_range(id);
            let next = match t.range(lo.as_str()..hi.as_str())?.next_back() {
                Some(r) => {
                    let (k, _) = r?;
                    k.value().rsplit('/').next().and_then(|s| s.parse::<u64>().ok()).unwrap_or(0) + 1
                }
                None => 1,
            };
            let k = format!("{id}/{next:010}");
            t.insert(k.as_str(), self.seal_record("attempts", &k, a).as_slice())?;
            Ok(((), format!("{:?} score {:.1} at {}", a.decision, a.score, a.gate)))
        })
    }

    fn gate_attempts(&self, ctx: &AccessContext, id: &ApplicantId) -> Result<Vec<GateAttempt>> {
        self.audited_write(ctx, AuditAction::ReadApplicant, Some(id), |w| {
            let t = w.open_table(ATTEMPTS)?;
            let (lo, hi) = prefix_range(id);
            let mut out = Vec::new();
            for item in t.range(lo.as_str()..hi.as_str())? {
                let (k, v) = item?;
                out.push(self.open_record("attempts", k.value(), v.value())?);
            }
            Ok((out, "gate attempts".into()))
        })
    }

    fn load_templates(&self, ctx: &AccessContext) -> Result<Vec<StoredTemplate>> {
        let sealed: Vec<(String, Vec<u8>)> = {
            let r = self.db.begin_read()?;
            let t = r.open_table(ENROLLMENTS)?;
            t.iter()?
                .map(|item| item.map(|(k, v)| (k.value().to_string(), v.value().to_vec())))
                .collect::<std::result::Result<_, _>>()?
        };
        let per_applicant: Vec<Vec<StoredTemplate>> = sealed
            .par_iter()
            .map(|(k, v)| {
                let rec: EnrollmentRecord = self.open_record("enrollments", k, v)?;
                let e = self.enrollment_from_record(rec, k)?;
                Ok(e.fingers
                    .into_iter()
                    .flat_map(|f| {
                        let applicant = e.applicant.clone();
                        f.views.into_iter().enumerate().map(move |(i, view)| StoredTemplate {
                            applicant: applicant.clone(),
                            finger: f.finger,
                            view: i as u8,
                            template: view.template,
                        })
                    })
                    .collect())
            })
            .collect::<Result<_>>()?;
        let all: Vec<StoredTemplate> = per_applicant.into_iter().flatten().collect();
        let n = all.len();
        self.audited_write(ctx, AuditAction::LoadAllTemplates, None, |_| Ok(((), format!("{n} templates"))))?;
        Ok(all)
    }

    fn record_search(&self, ctx: &AccessContext, applicant: Option<&ApplicantId>, detail: &str) -> Result<()> {
        self.audited_write(ctx, AuditAction::Search, applicant, |_| Ok(((), detail.to_string())))
    }

    fn delete_applicant(&self, ctx: &AccessContext, id: &ApplicantId) -> Result<()> {
        self.audited_write(ctx, AuditAction::DeleteApplicant, Some(id), |w| {
            self.require_applicant(w, id)?;
            let mut removed = 0usize;
            for (def, _, _) in DATA_TABLES {
                let mut t = w.open_table(def)?;
                if t.remove(id.as_str())?.is_some() {
                    removed += 1;
                }
                let (lo, hi) = prefix_range(id);
                let keys: Vec<String> = t
                    .range(lo.as_str()..hi.as_str())?
                    .map(|r| r.map(|(k, _)| k.value().to_string()))
                    .collect::<std::result::Result<_, _>>()?;
                for k in keys {
                    t.remove(k.as_str())?;
                    removed += 1;
                }
            }
            Ok(((), format!("{removed} records deleted")))
        })
    }

    fn export(
        &self,
        ctx: &AccessContext,
        id: Option<&ApplicantId>,
        out: &mut dyn std::io::Write,
    ) -> Result<TransferStats> {
        let r = self.db.begin_read()?;
        if let Some(id) = id {
            if r.open_table(APPLICANTS)?.get(id.as_str())?.is_none() {
                return Err(StoreError::UnknownApplicant(id.to_string()));
            }
        }
        out.write_all(EXPORT_MAGIC)?;
        out.write_all(&[EXPORT_VERSION])?;
        let mut stats = TransferStats::default();
        for (def, _, kind) in DATA_TABLES {
            let t = r.open_table(def)?;
            let mut emit = |k: &str, v: &[u8]| -> Result<()> {
                write_export_record(out, kind, k.as_bytes(), v)?;
                stats.records += 1;
                if kind == 1 {
                    stats.applicants += 1;
                }
                Ok(())
            };
            match id {
                Some(id) => {
                    if let Some(v) = t.get(id.as_str())? {
                        emit(id.as_str(), v.value())?;
                    }
                    let (lo, hi) = prefix_range(id);
                    for item in t.range(lo.as_str()..hi.as_str())? {
                        let (k, v) = item?;
                        emit(k.value(), v.value())?;
                    }
                }
                None => {
                    for item in t.iter()? {
                        let (k, v) = item?;
                        emit(k.value(), v.value())?;
                    }
                }
            }
        }
        if id.is_none() {
            let t = r.open_table(AUDIT)?;
            for item in t.iter()? {
                let (k, v) = item?;
                write_export_record(out, EXPORT_AUDIT_KIND, &k.value().to_le_bytes(), v.value())?;
                stats.records += 1;
            }
        }
        out.flush()?;
        drop(r);
        let what = id.map(|i| i.to_string()).unwrap_or_else(|| "whole store".into());
        self.audited_write(ctx, AuditAction::Export, id, |_| Ok(((), format!("{what}: {} records", stats.records))))?;
        Ok(stats)
    }

    fn import(&self, ctx: &AccessContext, input: &mut dyn std::io::Read) -> Result<TransferStats> {
        let mut head = [0u8; 9];
        input.read_exact(&mut head).map_err(|_| StoreError::BadExport("missing header".into()))?;
        if &head[..8] != EXPORT_MAGIC || head[8] != EXPORT_VERSION {
            return Err(StoreError::BadExport("not a RidgeGate export file (magic/version)".into()));
        }
        let w = self.db.begin_write()?;
        let mut stats = TransferStats::default();
        let audit_was_empty = w.open_table(AUDIT)?.is_empty()?;
        let mut audit_restored = 0u64;
        loop {
            let mut kind = [0u8; 1];
            if input.read(&mut kind)? == 0 {
                break;
            }
            let klen = read_u32(input)?.ok_or_else(|| StoreError::BadExport("truncated record".into()))? as usize;
            let key = read_exact_vec(input, klen)?;
            let vlen = read_u32(input)?.ok_or_else(|| StoreError::BadExport("truncated record".into()))? as usize;
            let value = read_exact_vec(input, vlen)?;
            if kind[0] == EXPORT_AUDIT_KIND {
                let seq = u64::from_le_bytes(
                    key.as_slice().try_into().map_err(|_| StoreError::BadExport("audit key".into()))?,
                );
                if audit_was_empty {
                    w.open_table(AUDIT)?.insert(seq, value.as_slice())?;
                    audit_restored += 1;
                }
                stats.records += 1;
                continue;
            }
            let (def, name, _) = DATA_TABLES
                .iter()
                .copied()
                .find(|(_, _, k)| *k == kind[0])
                .ok_or_else(|| StoreError::BadExport(format!("unknown record kind {}", kind[0])))?;
            let key = String::from_utf8(key).map_err(|_| StoreError::BadExport("key is not UTF-8".into()))?;
            // Authenticate with our key before accepting anything.
            self.key.open(name, &key, &value)?;
            let mut t = w.open_table(def)?;
            if kind[0] == 1 {
                if t.get(key.as_str())?.is_some() {
                    return Err(StoreError::DuplicateApplicant(key));
                }
                stats.applicants += 1;
            }
            t.insert(key.as_str(), value.as_slice())?;
            stats.records += 1;
        }
        if audit_restored > 0 {
            // The restored chain must verify, or the import is refused as a whole.
            let chain_ok = {
                let t = w.open_table(AUDIT)?;
                let mut prev = [0u8; 32];
                let mut ok = true;
                for (i, item) in t.iter()?.enumerate() {
                    let (k, v) = item?;
                    match postcard::from_bytes::<AuditEntry>(v.value()) {
                        Ok(e)
                            if e.seq == k.value()
                                && e.seq == i as u64 + 1
                                && e.prev_hash == prev
                                && audit_hash(&e) == e.hash =>
                        {
                            prev = e.hash
                        }
                        _ => {
                            ok = false;
                            break;
                        }
                    }
                }
                ok
            };
            if !chain_ok {
                return Err(StoreError::BadExport("audit log in the export does not verify".into()));
            }
        }
        self.append_audit(
            &w,
            ctx,
            AuditAction::Import,
            None,
            format!("{} records, {audit_restored} audit entries restored", stats.records),
        )?;
        w.commit()?;
        Ok(stats)
    }

    fn stats(&self) -> Result<StoreStats> {
        let r = self.db.begin_read()?;
        let mut s = StoreStats {
            applicants: r.open_table(APPLICANTS)?.len()?,
            enrollments: r.open_table(ENROLLMENTS)?.len()?,
            images: r.open_table(IMAGES)?.len()?,
            photos: r.open_table(PHOTOS)?.len()?,
            gate_attempts: r.open_table(ATTEMPTS)?.len()?,
            audit_entries: r.open_table(AUDIT)?.len()?,
            templates: 0,
        };
        let t = r.open_table(ENROLLMENTS)?;
        for item in t.iter()? {
            let (k, v) = item?;
            let rec: EnrollmentRecord = self.open_record("enrollments", k.value(), v.value())?;
            s.templates += rec.fingers.iter().map(|f| f.views.len() as u64).sum::<u64>();
        }
        Ok(s)
    }

    fn verify_integrity(&self) -> Result<IntegrityReport> {
        let r = self.db.begin_read()?;
        let mut report = IntegrityReport::default();
        for (def, name, kind) in DATA_TABLES {
            let t = r.open_table(def)?;
            for item in t.iter()? {
                let (k, v) = item?;
                let key = k.value();
                match kind {
                    1 => {
                        let a: Applicant = self.open_record(name, key, v.value())?;
                        a.validate()?;
                    }
                    2 => {
                        let rec: EnrollmentRecord = self.open_record(name, key, v.value())?;
                        let e = self.enrollment_from_record(rec, key)?;
                        report.templates_checked += e.fingers.iter().map(|f| f.views.len() as u64).sum::<u64>();
                    }
                    3 => {
                        self.key.open(name, key, v.value())?;
                    }
                    4 => {
                        let _: Photo = self.open_record(name, key, v.value())?;
                    }
                    _ => {
                        let _: GateAttempt = self.open_record(name, key, v.value())?;
                    }
                }
                report.records_checked += 1;
            }
        }
        report.audit_entries_checked = self.verify_audit_chain(&r)?;
        Ok(report)
    }

    fn audit_entries(&self, from: u64, limit: usize) -> Result<Vec<AuditEntry>> {
        let r = self.db.begin_read()?;
        let t = r.open_table(AUDIT)?;
        let mut out = Vec::new();
        for item in t.range(from..)?.take(limit) {
            let (k, v) = item?;
            out.push(postcard::from_bytes(v.value()).map_err(|e| StoreError::Corrupt {
                table: "audit",
                key: k.value().to_string(),
                reason: e.to_string(),
            })?);
        }
        Ok(out)
    }
}
