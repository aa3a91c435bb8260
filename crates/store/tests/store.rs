//! Behaviour of the redb store: round trips, typed errors, atomicity, encryption, audit, export.

mod common;
use common::*;
use ridgegate_core::FingerPosition;
use ridgegate_store::*;

fn open(dir: &tempfile::TempDir, key: &StoreKey) -> RedbStore {
    RedbStore::open(dir.path().join("s.redb"), key.clone()).unwrap()
}

#[test]
fn applicant_and_enrollment_round_trip() {
    let dir = tempfile::tempdir().unwrap();
    let key = StoreKey::generate();
    let s = open(&dir, &key);
    let ctx = desk();
    s.create_applicant(&ctx, &applicant("A1")).unwrap();
    let e = enrollment("A1", 1, true);
    s.put_enrollment(&ctx, &e, false).unwrap();
    drop(s);

    let s = open(&dir, &key);
    let id = ApplicantId::new("A1").unwrap();
    let mut a = s.applicant(&ctx, &id).unwrap();
    assert_eq!(a.status, ApplicantStatus::Enrolled);
    a.status = ApplicantStatus::Registered;
    assert_eq!(a, applicant("A1"));
    let back = s.enrollment(&ctx, &id).unwrap().unwrap();
    assert_eq!(back.fingers.len(), 6);
    for (f, g) in e.fingers.iter().zip(&back.fingers) {
        assert_eq!(f.finger, g.finger);
        for (v, w) in f.views.iter().zip(&g.views) {
            assert_eq!(v.template, w.template);
            assert!(w.image_png.is_empty(), "images are loaded separately");
        }
    }
    assert_eq!(s.source_image(&ctx, &id, FingerPosition::LeftIndex, 3).unwrap(), vec![0x89, b'P', b'N', b'G', 2, 3]);
    assert!(matches!(s.source_image(&ctx, &id, FingerPosition::LeftRing, 0), Err(StoreError::NotFound(_))));
    let st = s.stats().unwrap();
    assert_eq!((st.applicants, st.enrollments, st.templates, st.images), (1, 1, 24, 24));
    let loaded = s.load_templates(&AccessContext::system()).unwrap();
    assert_eq!(loaded.len(), 24);
    assert!(loaded.iter().all(|t| t.applicant == id && t.template.finger == t.finger));
}

#[test]
fn typed_errors_for_bad_input() {
    let dir = tempfile::tempdir().unwrap();
    let s = open(&dir, &StoreKey::generate());
    let ctx = desk();
    s.create_applicant(&ctx, &applicant("A1")).unwrap();
    assert!(matches!(s.create_applicant(&ctx, &applicant("A1")), Err(StoreError::DuplicateApplicant(_))));
    let unknown = ApplicantId::new("NOPE").unwrap();
    assert!(matches!(s.applicant(&ctx, &unknown), Err(StoreError::UnknownApplicant(_))));
    assert!(matches!(
        s.put_enrollment(&ctx, &enrollment("NOPE", 1, false), false),
        Err(StoreError::UnknownApplicant(_))
    ));
    let mut bad = enrollment("A1", 1, false);
    bad.fingers[1].finger = bad.fingers[0].finger;
    assert!(matches!(s.put_enrollment(&ctx, &bad, false), Err(StoreError::Invalid { field: "finger position", .. })));
    let mut unknown_finger = enrollment("A1", 1, false);
    unknown_finger.fingers[0].finger = FingerPosition::Unknown;
    assert!(matches!(s.put_enrollment(&ctx, &unknown_finger, false), Err(StoreError::Invalid { .. })));
    let mut bad_month = applicant("A2");
    bad_month.application_month = YearMonth(201913);
    assert!(matches!(s.create_applicant(&ctx, &bad_month), Err(StoreError::Invalid { .. })));
    s.put_enrollment(&ctx, &enrollment("A1", 1, false), false).unwrap();
    assert!(matches!(s.put_enrollment(&ctx, &enrollment("A1", 2, false), false), Err(StoreError::AlreadyEnrolled(..))));
    s.put_enrollment(&ctx, &enrollment("A1", 2, false), true).unwrap();
    // Failed calls wrote nothing: one applicant, one enrollment.
    let st = s.stats().unwrap();
    assert_eq!((st.applicants, st.enrollments), (1, 1));
}

#[test]
fn wrong_key_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let key = StoreKey::generate();
    drop(open(&dir, &key));
    let err = RedbStore::open(dir.path().join("s.redb"), StoreKey::generate()).unwrap_err();
    assert!(matches!(err, StoreError::WrongKey), "{err}");
    assert!(err.to_string().contains("RIDGEGATE_STORE_KEY"));
}

#[test]
fn templates_are_not_stored_in_plaintext() {
    let dir = tempfile::tempdir().unwrap();
    let s = open(&dir, &StoreKey::generate());
    let ctx = desk();
    let mut a = applicant("A1");
    a.name = "UNIQUE-NAME-MARKER".into();
    s.create_applicant(&ctx, &a).unwrap();
    s.put_enrollment(&ctx, &enrollment("A1", 1, false), false).unwrap();
    drop(s);
    let raw = std::fs::read(dir.path().join("s.redb")).unwrap();
    let hay = |needle: &[u8]| raw.windows(needle.len()).any(|w| w == needle);
    assert!(!hay(b"UNIQUE-NAME-MARKER"));
    assert!(!hay(b"RGTM"), "native template magic found in the file: templates are not encrypted");
}

#[test]
fn delete_removes_everything_and_is_audited() {
    let dir = tempfile::tempdir().unwrap();
    let s = open(&dir, &StoreKey::generate());
    let ctx = desk();
    for id in ["A1", "A10", "A1-x"] {
        s.create_applicant(&ctx, &applicant(id)).unwrap();
        s.put_enrollment(&ctx, &enrollment(id, 3, true), false).unwrap();
    }
    let id = ApplicantId::new("A1").unwrap();
    s.record_gate_attempt(
        &AccessContext { role: Role::Gate, actor: "gate-3".into(), station: "hall-2".into() },
        &GateAttempt {
            applicant: id.clone(),
            gate: "gate-3".into(),
            at_ms: 1,
            score: 55.0,
            decision: GateDecision::Admit,
            latency_ms: 12.0,
        },
    )
    .unwrap();
    s.delete_applicant(&AccessContext::cli_admin("root"), &id).unwrap();
    assert!(matches!(s.applicant(&ctx, &id), Err(StoreError::UnknownApplicant(_))));
    let st = s.stats().unwrap();
    assert_eq!(
        (st.applicants, st.enrollments, st.images, st.gate_attempts),
        (2, 2, 48, 0),
        "neighbours A10, A1-x untouched"
    );
    let last = s.audit_entries(0, 10_000).unwrap().pop().unwrap();
    assert_eq!(last.action, AuditAction::DeleteApplicant);
    assert_eq!(last.applicant, Some(id));
    s.verify_integrity().unwrap();
}

#[test]
fn every_biometric_access_is_audited_in_a_verifiable_chain() {
    let dir = tempfile::tempdir().unwrap();
    let s = open(&dir, &StoreKey::generate());
    let ctx = desk();
    s.create_applicant(&ctx, &applicant("A1")).unwrap();
    s.put_enrollment(&ctx, &enrollment("A1", 1, false), false).unwrap();
    let id = ApplicantId::new("A1").unwrap();
    s.enrollment(&ctx, &id).unwrap();
    s.record_search(&ctx, Some(&id), "duplicate check: 24 templates").unwrap();
    let entries = s.audit_entries(1, 100).unwrap();
    let actions: Vec<AuditAction> = entries.iter().map(|e| e.action).collect();
    assert_eq!(
        actions,
        vec![
            AuditAction::CreateApplicant,
            AuditAction::WriteEnrollment,
            AuditAction::ReadTemplates,
            AuditAction::Search
        ]
    );
    assert_eq!(entries[3].detail, "duplicate check: 24 templates");
    assert_eq!(entries[3].applicant.as_ref(), Some(&id));
    let rep = s.verify_integrity().unwrap();
    assert_eq!(rep.audit_entries_checked, 4);
    assert_eq!(rep.templates_checked, 24);
}

#[test]
fn export_import_round_trip_and_refusals() {
    let dir = tempfile::tempdir().unwrap();
    let key = StoreKey::generate();
    let s = open(&dir, &key);
    let ctx = desk();
    for id in ["A1", "A2"] {
        s.create_applicant(&ctx, &applicant(id)).unwrap();
        s.put_enrollment(&ctx, &enrollment(id, 5, true), false).unwrap();
    }
    let admin = AccessContext::cli_admin("root");
    let mut whole = Vec::new();
    let st = s.export(&admin, None, &mut whole).unwrap();
    assert_eq!(st.applicants, 2);
    let mut one = Vec::new();
    assert_eq!(s.export(&admin, Some(&ApplicantId::new("A2").unwrap()), &mut one).unwrap().applicants, 1);

    // Restore the whole store into a fresh database with the same key.
    let dir2 = tempfile::tempdir().unwrap();
    let t = RedbStore::open(dir2.path().join("t.redb"), key.clone()).unwrap();
    t.import(&admin, &mut whole.as_slice()).unwrap();
    assert_eq!(t.stats().unwrap().templates, 48);
    let a1 = ApplicantId::new("A1").unwrap();
    assert_eq!(t.enrollment(&ctx, &a1).unwrap(), s.enrollment(&ctx, &a1).unwrap());
    t.verify_integrity().unwrap();
    // Importing again: duplicates are refused and nothing changes.
    let before = t.stats().unwrap();
    assert!(matches!(t.import(&admin, &mut one.as_slice()), Err(StoreError::DuplicateApplicant(_))));
    assert_eq!(t.stats().unwrap().applicants, before.applicants);
    // Another key cannot import it; truncated files are refused.
    let dir3 = tempfile::tempdir().unwrap();
    let u = RedbStore::open(dir3.path().join("u.redb"), StoreKey::generate()).unwrap();
    assert!(matches!(u.import(&admin, &mut one.as_slice()), Err(StoreError::Corrupt { .. })));
    assert!(matches!(u.import(&admin, &mut &b"garbage!!"[..]), Err(StoreError::BadExport(_))));
    assert_eq!(u.stats().unwrap().applicants, 0);
    let dir4 = tempfile::tempdir().unwrap();
    let v = RedbStore::open(dir4.path().join("v.redb"), key.clone()).unwrap();
    assert!(matches!(v.import(&admin, &mut &one[..one.len() - 3]), Err(StoreError::BadExport(_))));
    assert_eq!(v.stats().unwrap().applicants, 0, "a truncated import writes nothing");
}

#[test]
fn tampering_with_the_file_is_detected() {
    let dir = tempfile::tempdir().unwrap();
    let key = StoreKey::generate();
    let s = open(&dir, &key);
    let ctx = desk();
    s.create_applicant(&ctx, &applicant("A1")).unwrap();
    s.put_enrollment(&ctx, &enrollment("A1", 1, false), false).unwrap();
    let mut blob = Vec::new();
    s.export(&AccessContext::cli_admin("x"), None, &mut blob).unwrap();
    drop(s);
    // Flip one byte inside the sealed enrollment record of the export, then import it elsewhere.
    let pos = blob.len() / 2;
    blob[pos] ^= 0x01;
    let dir2 = tempfile::tempdir().unwrap();
    let t = RedbStore::open(dir2.path().join("t.redb"), key).unwrap();
    assert!(t.import(&AccessContext::cli_admin("x"), &mut blob.as_slice()).is_err());
    assert_eq!(t.stats().unwrap().applicants, 0, "a failed import writes nothing");
}

#[test]
fn templates_are_replaced_in_place_and_only_if_unchanged() {
    let dir = tempfile::tempdir().unwrap();
    let key = StoreKey::generate();
    let s = open(&dir, &key);
    let ctx = desk();
    s.create_applicant(&ctx, &applicant("A1")).unwrap();
    let e = enrollment("A1", 1, true);
    s.put_enrollment(&ctx, &e, false).unwrap();
    let id = ApplicantId::new("A1").unwrap();

    // One read gives templates and images.
    let read = s.enrollment_with_images(&ctx, &id).unwrap().unwrap();
    assert_eq!(read, e, "templates, metadata and images as written");
    assert!(s.enrollment_with_images(&ctx, &ApplicantId::new("A2").unwrap()).unwrap().is_none());

    let finger = FingerPosition::LeftIndex;
    let old = read.fingers.iter().find(|f| f.finger == finger).unwrap().views[2].template.clone();
    let mut new = template(99, FingerPosition::Unknown, 12);
    new.algorithm_version = old.algorithm_version + 1;
    let update = TemplateUpdate { finger, view: 2, old: old.clone(), new: new.clone() };

    // A stale `old`, a view that does not exist and an invalid template change nothing.
    let mut stale = update.clone();
    stale.old = template(5, finger, 30);
    let mut missing = update.clone();
    missing.view = 4;
    let mut invalid = update.clone();
    invalid.new.width = 0;
    for bad in [stale, missing, invalid] {
        let err = s.replace_templates(&ctx, &id, &[update.clone(), bad], "test").unwrap_err();
        assert!(matches!(err, StoreError::Invalid { .. }), "{err}");
    }
    assert_eq!(s.enrollment_with_images(&ctx, &id).unwrap().unwrap(), e, "nothing written");
    assert!(matches!(
        s.replace_templates(&ctx, &ApplicantId::new("A2").unwrap(), std::slice::from_ref(&update), "test"),
        Err(StoreError::NotFound(_))
    ));

    let audit_before = s.stats().unwrap().audit_entries;
    s.replace_templates(&ctx, &id, &[update], "re-extracted").unwrap();
    drop(s);
    let s = open(&dir, &key);
    let after = s.enrollment_with_images(&ctx, &id).unwrap().unwrap();
    for (f, g) in e.fingers.iter().zip(&after.fingers) {
        for (i, (v, w)) in f.views.iter().zip(&g.views).enumerate() {
            if f.finger == finger && i == 2 {
                let mut want = new.clone();
                want.finger = finger;
                assert_eq!(w.template, want, "replaced and labelled with its finger");
                assert_eq!((&w.image_png, w.quality, w.captured_at_ms), (&v.image_png, v.quality, v.captured_at_ms));
            } else {
                assert_eq!(w, v, "every other view untouched");
            }
        }
    }
    assert_eq!(s.applicant(&ctx, &id).unwrap().status, ApplicantStatus::Enrolled);
    let entries = s.audit_entries(0, 10_000).unwrap();
    let replaced: Vec<_> = entries.iter().filter(|a| a.action == AuditAction::ReplaceTemplates).collect();
    assert_eq!(replaced.len(), 1, "one audit entry per replacement; failed ones leave none");
    assert!(replaced[0].detail.contains("1 views: re-extracted"), "{}", replaced[0].detail);
    assert!(s.stats().unwrap().audit_entries > audit_before);
    s.verify_integrity().unwrap();
}
