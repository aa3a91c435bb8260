//! Every sample record in ../shared/templates imports, re-encodes in its own format to the same
//! minutiae, converts across formats within unit tolerances; the truncated records are refused.
//! Prints a SKIP line and passes when ../shared is absent.

use ridgegate_core::TemplateError;
use ridgegate_core::codecs::{self, TemplateFormat, XytOptions};
use ridgegate_core::{Minutia, Template};
use std::path::{Path, PathBuf};

fn shared() -> Option<PathBuf> {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/templates");
    if p.is_dir() {
        Some(p)
    } else {
        println!("SKIP: {} not found; sample-template tests skipped", p.display());
        None
    }
}

fn files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(files(&p));
        } else {
            out.push(p);
        }
    }
    out.sort();
    out
}

/// Angle difference in units of `step` radians, modulo a full turn.
fn angle_steps(a: f32, b: f32, step: f32) -> f32 {
    let d = (a - b).rem_euclid(std::f32::consts::TAU);
    d.min(std::f32::consts::TAU - d) / step
}

fn assert_same(a: &[Minutia], b: &[Minutia], angle_step: f32, what: &str, kinds: bool) {
    assert_eq!(a.len(), b.len(), "{what}: minutia count");
    for (i, (m, n)) in a.iter().zip(b).enumerate() {
        assert_eq!((m.x, m.y), (n.x, n.y), "{what}: minutia {i} position");
        if kinds {
            assert_eq!(m.kind, n.kind, "{what}: minutia {i} kind");
        }
        assert!(
            angle_steps(m.angle, n.angle, angle_step) <= 1.01,
            "{what}: minutia {i} angle {} vs {}",
            m.angle,
            n.angle
        );
    }
}

#[test]
fn all_samples_import_and_round_trip() {
    let Some(root) = shared() else { return };
    let mut count = 0;
    let iso_step = std::f32::consts::TAU / 256.0;
    let ansi_step = 2f32.to_radians();
    for path in files(&root).into_iter().filter(|p| !p.to_string_lossy().contains("invalid_truncated")) {
        let bytes = std::fs::read(&path).unwrap();
        let (format, views) = codecs::import(&bytes).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        assert!(!views.is_empty());
        for v in &views {
            v.validate().unwrap();
            assert!(!v.minutiae.is_empty(), "{}: a view without minutiae", path.display());
        }
        let what = path.display().to_string();
        // Same format again (2009 Amendment 1 is written as 2009).
        let again = codecs::export(&views, format).unwrap();
        let (format2, views2) = codecs::import(&again).unwrap();
        assert_eq!(format2, format, "{what}: re-encoded record detected as another format");
        for (a, b) in views.iter().zip(&views2) {
            assert_eq!(
                (a.finger, a.width, a.height, a.dpi, a.quality),
                (b.finger, b.width, b.height, b.dpi, b.quality),
                "{what}"
            );
            assert_same(&a.minutiae, &b.minutiae, iso_step.min(ansi_step), &what, true);
        }
        // Across formats.
        for target in
            [TemplateFormat::Iso2005, TemplateFormat::Iso2011, TemplateFormat::Ansi2004, TemplateFormat::Ansi2009]
        {
            let bytes = codecs::export(&views, target).unwrap();
            let (f, back) = codecs::import(&bytes).unwrap();
            assert_eq!(f, target, "{what} as {target}");
            for (a, b) in views.iter().zip(&back) {
                assert_same(&a.minutiae, &b.minutiae, ansi_step, &format!("{what} as {target}"), true);
            }
        }
        for v in &views {
            let native =
                Template::decode(&codecs::export(std::slice::from_ref(v), TemplateFormat::Native).unwrap()).unwrap();
            assert_same(&v.minutiae, &native.minutiae, iso_step, &format!("{what} as native"), true);
            let xyt = codecs::export(std::slice::from_ref(v), TemplateFormat::Xyt).unwrap();
            let opts = XytOptions { width: Some(v.width), height: Some(v.height), dpi: Some(v.dpi) };
            let back = codecs::xyt::decode(&xyt, opts).unwrap();
            assert_same(&v.minutiae, &back.minutiae, 1f32.to_radians(), &format!("{what} as xyt"), false);
        }
        count += 1;
    }
    println!("{count} sample records imported and round-tripped");
    assert!(count >= 300, "expected the FVC2002 ISO sets and the samples, found {count}");
}

#[test]
fn truncated_records_are_refused_with_typed_errors() {
    let Some(root) = shared() else { return };
    let dir = root.join("iso19794-2-fvc2002/invalid_truncated");
    let mut n = 0;
    for path in files(&dir) {
        let err = codecs::import(&std::fs::read(&path).unwrap()).unwrap_err();
        assert!(matches!(err, TemplateError::Truncated { .. }), "{}: {err:?}", path.display());
        n += 1;
    }
    assert!(n >= 3);
}

#[test]
fn iso_annex_test_vector_decodes_exactly() {
    let Some(root) = shared() else { return };
    let bytes = std::fs::read(root.join("iso-ansi-samples/iso19794p2v2005-sample.dat")).unwrap();
    let (format, views) = codecs::import(&bytes).unwrap();
    assert_eq!(format, TemplateFormat::Iso2005);
    assert_eq!(views.len(), 2);
    let v = &views[0];
    assert_eq!((v.width, v.height, v.dpi, v.quality, v.finger.code(), v.minutiae.len()), (512, 512, 500, 90, 7, 27));
    let m = v.minutiae[0];
    assert_eq!((m.x, m.y, m.kind, m.quality), (100, 14, ridgegate_core::MinutiaKind::Ending, 90));
    assert!((m.angle.to_degrees() - 112.5).abs() < 1e-3);
    let m = v.minutiae[2];
    assert_eq!((m.x, m.y, m.kind), (55, 18, ridgegate_core::MinutiaKind::Bifurcation));
    assert!((m.angle.to_degrees() - 22.5).abs() < 1e-3);
    assert_eq!((views[1].finger.code(), views[1].quality, views[1].minutiae.len()), (2, 70, 22));
    // The NIST ANSI twin: same minutia with a 2-degree angle unit (56 units = 112 degrees).
    let ansi = std::fs::read(root.join("nist-samples/fmr.ansi2004")).unwrap();
    let (format, views) = codecs::import(&ansi).unwrap();
    assert_eq!(format, TemplateFormat::Ansi2004);
    assert!((views[0].minutiae[0].angle.to_degrees() - 112.0).abs() < 1e-3);
}
