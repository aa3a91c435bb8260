//! End-to-end extraction on real FVC images from ../shared (SKIP when absent):
//! every image of FVC2002 DB1 B yields a template (FTE 0), and two images match their golden
//! minutiae lists in testdata/golden/extract (our own output, as xyt text — no FVC pixels are
//! committed). Regenerate the golden files after an intended algorithm change with
//! `REGENERATE=1 cargo test --profile ci --test extract_fvc` and bump ALGORITHM_VERSION.

use ridgegate_core::FingerImage;
use ridgegate_core::codecs::{TemplateFormat, export};
use std::path::{Path, PathBuf};

fn fvc(set: &str) -> Option<PathBuf> {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/fingerprints").join(set);
    if p.is_dir() {
        Some(p)
    } else {
        println!("SKIP: {} not found; FVC extraction tests skipped", p.display());
        None
    }
}

#[test]
fn every_image_of_fvc2002_db1_extracts() {
    let Some(dir) = fvc("fvc2002_db1_b") else { return };
    let mut counts = Vec::new();
    for finger in 101..=110 {
        for impression in 1..=8 {
            let path = dir.join(format!("{finger}_{impression}.tif"));
            let img = FingerImage::load(&path, Some(500)).unwrap();
            let e = ridgegate_extract::extract(&img).unwrap();
            assert!(e.minutia_count > 0, "{}: failure to extract ({:?})", path.display(), e.reason);
            e.template.validate().unwrap();
            counts.push(e.minutia_count);
        }
    }
    assert_eq!(counts.len(), 80);
    let mean = counts.iter().sum::<usize>() as f64 / counts.len() as f64;
    println!("FVC2002 DB1 B: 80 images, FTE 0, mean {mean:.1} minutiae");
    assert!((15.0..=80.0).contains(&mean), "implausible mean minutia count {mean}");
}

#[test]
fn golden_minutiae_for_two_images() {
    for (set, name, dpi) in [("fvc2002_db1_b", "101_1", 500), ("fvc2002_db2_b", "105_3", 569)] {
        let Some(dir) = fvc(set) else { return };
        let img = FingerImage::load(dir.join(format!("{name}.tif")), Some(dpi)).unwrap();
        let e = ridgegate_extract::extract(&img).unwrap();
        let xyt = String::from_utf8(export(std::slice::from_ref(&e.template), TemplateFormat::Xyt).unwrap()).unwrap();
        let golden = Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("testdata/golden/extract/{set}-{name}.xyt"));
        if std::env::var_os("REGENERATE").is_some() {
            std::fs::write(&golden, &xyt).unwrap();
            println!("regenerated {}", golden.display());
            continue;
        }
        let expected = std::fs::read_to_string(&golden)
            .unwrap_or_else(|e| panic!("{}: {e} (run with REGENERATE=1 to create it)", golden.display()));
        assert_eq!(
            xyt, expected,
            "{set}/{name}: minutiae changed; if intended, REGENERATE=1 and bump ALGORITHM_VERSION"
        );
    }
}
