//! The template-level generator's minutiae statistics against live extraction output on the real
//! FVC sensor sets in ../shared/fingerprints (skipped with `SKIP:` when they are absent).
//!
//! `crates/synth` records the fit targets (`params::REAL_*`) and checks the generator against
//! them without real data; this test checks that the targets still describe what the current
//! extractor produces, so an extractor change that moves the statistics is noticed.

use rayon::prelude::*;
use ridgegate_core::{FingerImage, Template};
use ridgegate_synth::{MinutiaeStats, TemplateModel, synthetic_templates_with};
use std::path::PathBuf;

/// The six sensor sets (the DB4 sets are SFinGe-synthetic) and their resolution.
const SENSOR_SETS: [(&str, u16); 6] = [
    ("fvc2000_db1_b", 500),
    ("fvc2000_db2_b", 500),
    ("fvc2000_db3_b", 500),
    ("fvc2002_db1_b", 500),
    ("fvc2002_db2_b", 569),
    ("fvc2002_db3_b", 500),
];

#[test]
fn template_generator_matches_real_extraction_statistics() {
    // ../shared relative to the workspace root; RIDGEGATE_SHARED overrides it (e.g. from a worktree).
    let shared = std::env::var_os("RIDGEGATE_SHARED")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared"));
    let root = shared.join("fingerprints");
    if !root.is_dir() {
        println!("SKIP: {} not found; the generator is still checked against params::REAL_*", root.display());
        return;
    }
    let mut files = Vec::new();
    for (set, dpi) in SENSOR_SETS {
        for entry in std::fs::read_dir(root.join(set)).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_some_and(|e| e == "tif") {
                files.push((path, dpi));
            }
        }
    }
    assert_eq!(files.len(), 480, "expected 6 sets × 80 images");
    let real: Vec<Template> = files
        .par_iter()
        .map(|(p, dpi)| ridgegate_extract::extract(&FingerImage::load(p, Some(*dpi)).unwrap()).unwrap().template)
        .collect();
    let r = MinutiaeStats::of(&real);
    for model in [TemplateModel::REALISTIC, TemplateModel::CONTROLLED] {
        let generated: Vec<Template> = synthetic_templates_with(model, 500, 4, 17).map(|t| t.template).collect();
        check(&r, &MinutiaeStats::of(&generated));
    }
}

/// Generated statistics `g` within tolerance of the real ones `r`.
fn check(r: &MinutiaeStats, g: &MinutiaeStats) {
    println!("real:      {r:?}\ngenerated: {g:?}");
    let close = |a: f64, b: f64, rel: f64| (a - b).abs() <= rel * b;
    assert!(
        close(g.count_mean, r.count_mean, 0.1),
        "minutiae per template: generated {} real {}",
        g.count_mean,
        r.count_mean
    );
    assert!(close(g.count_sd, r.count_sd, 0.25), "count sd: generated {} real {}", g.count_sd, r.count_sd);
    assert!(
        close(g.spacing_mean, r.spacing_mean, 0.12),
        "NN spacing: generated {} real {}",
        g.spacing_mean,
        r.spacing_mean
    );
    assert!(
        close(g.spacing_median, r.spacing_median, 0.12),
        "NN median: generated {} real {}",
        g.spacing_median,
        r.spacing_median
    );
    assert!(
        (g.ending_ratio - r.ending_ratio).abs() < 0.03,
        "ending ratio: generated {} real {}",
        g.ending_ratio,
        r.ending_ratio
    );
    assert!(
        close(g.quality_mean, r.quality_mean, 0.06),
        "quality: generated {} real {}",
        g.quality_mean,
        r.quality_mean
    );
    assert!(
        close(g.image_quality_mean, r.image_quality_mean, 0.06),
        "image quality: {} vs {}",
        g.image_quality_mean,
        r.image_quality_mean
    );
}
