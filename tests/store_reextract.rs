//! `ridgegate store reextract`: templates of an older extractor version are re-extracted from the
//! stored source images, one transaction per applicant; views without an image or whose image
//! gives no template keep theirs; `--dry-run` writes nothing; a second run finds nothing to do.
//! Uses the committed synthetic images (testdata/synthetic), so it needs no ../shared.

use ridgegate_core::{FingerImage, FingerPosition, Template};
use ridgegate_store::*;
use std::path::{Path, PathBuf};
use std::process::Command;

fn synthetic(name: &str) -> FingerImage {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("testdata/synthetic").join(name);
    FingerImage::load(&p, None).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

/// A template as an older extractor might have made it: fewer minutiae, older version.
fn older(t: &Template) -> Template {
    let mut t = t.clone();
    t.algorithm_version = ridgegate_extract::ALGORITHM_VERSION - 1;
    t.minutiae.truncate(t.minutiae.len() / 2);
    t
}

fn view(template: Template, image: Option<&FingerImage>) -> CapturedView {
    CapturedView {
        template,
        quality: 70,
        captured_at_ms: 1_560_000_000_000,
        device: "virtual:0".into(),
        operator: "op-1".into(),
        image_png: image.map(FingerImage::to_png).unwrap_or_default(),
    }
}

fn run(db: &Path, key: &Path, extra: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_ridgegate"))
        .args(["store", "reextract", "--db"])
        .arg(db)
        .arg("--key-file")
        .arg(key)
        .args(extra)
        .output()
        .expect("run ridgegate");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(out.status.success(), "{stdout}{}", String::from_utf8_lossy(&out.stderr));
    stdout
}

#[test]
fn older_templates_are_re_extracted_from_their_source_images() {
    let dir = tempfile::tempdir().unwrap();
    let (db, key_file) = (dir.path().join("s.redb"), dir.path().join("key"));
    let key = StoreKey::generate();
    std::fs::write(&key_file, key.to_hex()).unwrap();

    let images = [synthetic("1_1.png"), synthetic("1_2.png"), synthetic("2_1.png")];
    let fresh: Vec<Template> = images.iter().map(|i| ridgegate_extract::extract(i).unwrap().template).collect();
    let blank = FingerImage::new(300, 400, 500, vec![200; 120_000]).unwrap();
    let ctx = AccessContext::cli_admin("test");
    let id = ApplicantId::new("A1").unwrap();
    let (thumb, index) = (FingerPosition::LeftThumb, FingerPosition::RightThumb);
    let enrollment = Enrollment {
        applicant: id.clone(),
        year: 2019,
        desk: "desk-7".into(),
        fingers: vec![
            FingerEnrollment {
                finger: thumb,
                // Stale, stale, current.
                views: vec![
                    view(older(&fresh[0]), Some(&images[0])),
                    view(older(&fresh[1]), Some(&images[1])),
                    view(fresh[0].clone(), Some(&images[0])),
                ],
            },
            FingerEnrollment {
                finger: index,
                // Stale with an image; stale without one; stale whose image is blank.
                views: vec![
                    view(older(&fresh[2]), Some(&images[2])),
                    view(older(&fresh[2]), None),
                    view(older(&fresh[2]), Some(&blank)),
                ],
            },
        ],
    };
    {
        let store = RedbStore::open(&db, key.clone()).unwrap();
        let mut a = Applicant {
            id: id.clone(),
            name: "Name".into(),
            national_id: "110101199001011234".into(),
            student_number: "S-1".into(),
            cohort_year: 2019,
            application_month: YearMonth::new(201909).unwrap(),
            degree: DegreeFacts::default(),
            status: ApplicantStatus::Registered,
        };
        store.create_applicant(&ctx, &a).unwrap();
        a.id = ApplicantId::new("A2").unwrap();
        store.create_applicant(&ctx, &a).unwrap(); // registered, never enrolled
        store.put_enrollment(&ctx, &enrollment, false).unwrap();
    }
    let stored = || {
        let store = RedbStore::open(&db, key.clone()).unwrap();
        store.enrollment_with_images(&ctx, &id).unwrap().unwrap()
    };
    let before = stored();

    let dry = run(&db, &key_file, &["--dry-run"]);
    assert!(
        dry.contains("6 enrolled views of 1 applicants; 1 already current, would re-extract 3 (1 applicants)"),
        "{dry}"
    );
    assert!(dry.contains("1 without a source image and 1 whose image gave no template"), "{dry}");
    assert_eq!(stored(), before, "a dry run writes nothing");

    let done = run(&db, &key_file, &[]);
    assert!(done.contains("re-extracted 3 (1 applicants)"), "{done}");
    let after = stored();
    // As stored: labelled with the finger, angles quantised by the template format.
    let label = |t: &Template, f: FingerPosition| {
        Template::decode(&Template { finger: f, ..t.clone() }.encode().unwrap()).unwrap()
    };
    let expect = [
        (thumb, 0, label(&fresh[0], thumb)),
        (thumb, 1, label(&fresh[1], thumb)),
        (thumb, 2, label(&fresh[0], thumb)),
        (index, 0, label(&fresh[2], index)),
        (index, 1, label(&older(&fresh[2]), index)),
        (index, 2, label(&older(&fresh[2]), index)),
    ];
    for (finger, i, want) in expect {
        let (a, b) = (
            &after.fingers.iter().find(|f| f.finger == finger).unwrap().views[i],
            &before.fingers.iter().find(|f| f.finger == finger).unwrap().views[i],
        );
        assert_eq!(a.template, want, "{finger} view {i}");
        assert_eq!(a.image_png, b.image_png, "{finger} view {i}: source image kept");
    }

    let again = run(&db, &key_file, &[]);
    assert!(again.contains("4 already current, re-extracted 0 (0 applicants)"), "{again}");
    let store = RedbStore::open(&db, key).unwrap();
    store.verify_integrity().unwrap();
    let audit = store.audit_entries(0, 10_000).unwrap();
    assert_eq!(audit.iter().filter(|e| e.action == AuditAction::ReplaceTemplates).count(), 1);
}
