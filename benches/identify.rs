#![allow(missing_docs)] // criterion_group! generates an undocumented function
//! 1:N identification benchmarks on a synthetic gallery (crates/synth template-level generator:
//! 25,000 fingers × 4 impressions = 100,000 templates, one subject per finger; the probe is a
//! further impression of an enrolled finger). Run: `cargo bench --bench identify`.
//!
//! * `identify/cascade_100k`: one search with the default cascade (all cores).
//! * `identify/cascade_100k_1thread`: the same on one thread: per-core throughput is
//!   100,000 templates / this time.
//! * `identify/build_20k`: `insert_batch` of 20,000 templates (prefilter features + storage).
//!
//! `ridgegate bench identify --size N` gives the same figures for any size, with latency
//! percentiles, stage breakdown and CPU time.

use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use ridgegate_core::{FingerPosition, Template};
use ridgegate_matcher::{Filter, Gallery};
use std::hint::black_box;

const SEED: u64 = 2024;
const VIEWS: u32 = 4;

fn fingers(range: std::ops::Range<u64>) -> Vec<(String, Vec<Template>)> {
    use rayon::prelude::*;
    range
        .into_par_iter()
        .map(|f| {
            let views = ridgegate_synth::finger_templates(SEED, f, VIEWS);
            (format!("SYN{f:08}"), views.into_iter().map(|t| t.template).collect())
        })
        .collect()
}

fn insert(g: &Gallery, data: &[(String, Vec<Template>)]) {
    let batch: Vec<(&str, FingerPosition, &[Template])> =
        data.iter().map(|(s, v)| (s.as_str(), FingerPosition::RightIndex, v.as_slice())).collect();
    g.insert_batch(&batch);
}

fn identify(c: &mut Criterion) {
    let data = fingers(0..25_000);
    let gallery = Gallery::new();
    insert(&gallery, &data);
    eprintln!(
        "gallery: {} synthetic templates, {} subjects, {} bytes/template",
        gallery.len(),
        gallery.subjects(),
        gallery.memory_bytes() / gallery.len()
    );
    let probe = ridgegate_synth::finger_templates(SEED, 12_345, VIEWS + 1).swap_remove(VIEWS as usize).template;
    let filter = Filter::default();
    assert_eq!(gallery.identify(&probe, &filter)[0].subject, "SYN00012345");

    let mut g = c.benchmark_group("identify");
    g.sample_size(10);
    g.throughput(Throughput::Elements(gallery.len() as u64));
    g.bench_function("cascade_100k", |b| b.iter(|| black_box(gallery.identify(black_box(&probe), &filter))));
    let one = rayon::ThreadPoolBuilder::new().num_threads(1).build().unwrap();
    g.bench_function("cascade_100k_1thread", |b| {
        b.iter(|| one.install(|| black_box(gallery.identify(black_box(&probe), &filter))))
    });
    let build = fingers(100_000..105_000);
    g.throughput(Throughput::Elements(5_000 * VIEWS as u64));
    g.bench_function("build_20k", |b| {
        b.iter_batched(Gallery::new, |fresh| insert(&fresh, &build), BatchSize::LargeInput)
    });
    g.finish();
}

criterion_group!(benches, identify);
criterion_main!(benches);
