//! Per-stage extraction benchmarks. Uses FVC2002 DB1 101_1 from ../shared when present (what the
//! README figures are measured on), else a synthetic print. Run: `cargo bench --bench extract`.

// criterion_group! generates an undocumented `pub fn` for the group.
#![allow(missing_docs)]

use criterion::{Criterion, criterion_group, criterion_main};
use ridgegate_core::FingerImage;
use ridgegate_extract::*;
use std::hint::black_box;
use std::path::Path;

fn input() -> (FingerImage, &'static str) {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/fingerprints/fvc2002_db1_b/101_1.tif");
    if let Ok(img) = FingerImage::load(&p, Some(500)) {
        return (img, "fvc2002_db1_b/101_1 (388x374)");
    }
    let (w, h) = (388u32, 374u32);
    let px = (0..w * h)
        .map(|i| {
            let (x, y) = ((i % w) as f32 - 194.0, (i / w) as f32 - 187.0);
            let r = (x * x + y * y * 0.8).sqrt();
            (128.0 + 90.0 * (r * std::f32::consts::TAU / 9.0).cos()) as u8
        })
        .collect();
    (FingerImage::new(w, h, 500, px).unwrap(), "synthetic 388x374 (../shared absent)")
}

fn stages(c: &mut Criterion) {
    let (image, name) = input();
    eprintln!("input: {name}");
    let mut g = c.benchmark_group("extract");
    // Single-threaded figure, comparable with other extractors.
    let pool = rayon::ThreadPoolBuilder::new().num_threads(1).build().unwrap();
    g.bench_function("whole pipeline (1 thread)", |b| b.iter(|| pool.install(|| extract(black_box(&image)).unwrap())));
    let (img, _) = resample::working_image(&image).unwrap();
    let contrast = segmentation::block_contrast(&img);
    let norm = normalization::normalized_image(&img);
    let moments = orientation::gradient_moments(&norm);
    let coherence = orientation::block_coherence(&moments, params::ORIENT_RADIUS_BLOCKS);
    let seg_coherence = orientation::block_coherence(&moments, params::SEG_COHERENCE_RADIUS_BLOCKS);
    let mask = segmentation::segmentation_mask(&contrast, &seg_coherence);
    let field = orientation::orientation_field(&moments, coherence.clone(), &mask);
    let (period, _) = frequency::ridge_period(&norm, &field, &mask);
    let enhanced = pool.install(|| {
        enhancement::enhanced_image(&norm, &field, &period, &mask, enhancement::KernelChoice::Interpolated)
    });
    let binary = enhancement::binarized_image(&enhanced, &mask);
    let clarity = enhancement::ridge_clarity(&enhanced, &mask);
    let ridges = cleanup::cleaned_ridges(&binary);
    let skel = thinning::skeleton(&ridges);
    g.bench_function("1 normalized_image", |b| b.iter(|| normalization::normalized_image(black_box(&img))));
    g.bench_function("2 gradient_moments + block_coherence", |b| {
        b.iter(|| {
            orientation::block_coherence(
                &orientation::gradient_moments(black_box(&norm)),
                params::SEG_COHERENCE_RADIUS_BLOCKS,
            )
        })
    });
    g.bench_function("2 block_contrast + segmentation_mask", |b| {
        b.iter(|| segmentation::segmentation_mask(&segmentation::block_contrast(black_box(&img)), &seg_coherence))
    });
    g.bench_function("3 orientation_field", |b| {
        b.iter(|| orientation::orientation_field(black_box(&moments), coherence.clone(), &mask))
    });
    g.bench_function("4 ridge_period", |b| b.iter(|| frequency::ridge_period(black_box(&norm), &field, &mask)));
    g.bench_function("5 enhanced_image (1 thread)", |b| {
        b.iter(|| {
            pool.install(|| {
                enhancement::enhanced_image(
                    black_box(&norm),
                    &field,
                    &period,
                    &mask,
                    enhancement::KernelChoice::Interpolated,
                )
            })
        })
    });
    g.bench_function("6 binarized_image", |b| b.iter(|| enhancement::binarized_image(black_box(&enhanced), &mask)));
    g.bench_function("7 cleaned_ridges", |b| b.iter(|| cleanup::cleaned_ridges(black_box(&binary))));
    g.bench_function("7 skeleton", |b| b.iter(|| thinning::skeleton(black_box(&ridges))));
    g.bench_function("8 minutiae", |b| b.iter(|| minutiae::minutiae(black_box(&skel), &field, &clarity, &mask)));
    g.finish();
}

criterion_group!(benches, stages);
criterion_main!(benches);
