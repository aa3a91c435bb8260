#![allow(missing_docs)] // criterion_group! generates an undocumented function
//! Matcher speed on real data of every kind: the 8 FVC sets in ../shared (small and large
//! templates, 500 and 569 dpi), or synthetic templates when ../shared is absent.
//! Run: `cargo bench --bench matcher`.
//!
//! * `matcher/compare prebuilt, genuine|impostor pair`: one comparison with prebuilt search forms
//!   (FVC2002 DB1 101_1 vs 101_2, 101_1 vs 102_1), as before.
//! * `matcher/compare prebuilt/<set>`: every pair of the set once (3,160: genuine + all
//!   impostors); time per element = mean comparison.
//! * `matcher/fresh pair/<set>`: [`compare`] (both search forms + comparison) over every 16th pair;
//!   time per element = mean fresh pair.
//! * `matcher/fresh probe/<set>`: the probe's search form + comparison with a prebuilt candidate
//!   (a gate's indexed roster, a gallery) over the same pairs; time per element = mean.
//! * `matcher/Candidate::new/<set>`: the search form of every template; per element = mean build.
//!
//! Criterion gives means over many pairs; `ridgegate bench match --db …` gives the per-pair
//! distribution (median, p90) of the same operations on one thread.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use rayon::prelude::*;
use ridgegate_core::{FingerImage, Minutia, MinutiaKind, Template};
use ridgegate_matcher::eval::FVC_SETS;
use ridgegate_matcher::{Candidate, Probe, compare};
use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::time::Duration;

fn shared() -> PathBuf {
    // ../shared next to the workspace, or wherever RIDGEGATE_SHARED points.
    std::env::var_os("RIDGEGATE_SHARED")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared"))
}

/// Templates of one FVC set (finger-major, 8 impressions each), None if it is not there.
fn fvc_set(dir: &Path, dpi: u16) -> Option<Vec<Template>> {
    let paths: Vec<PathBuf> =
        (101..=110).flat_map(|f| (1..=8).map(move |i| dir.join(format!("{f}_{i}.tif")))).collect();
    let out: Vec<Option<Template>> = paths
        .par_iter()
        .map(|p| {
            let img = FingerImage::load(p, Some(dpi)).ok()?;
            Some(ridgegate_extract::extract(&img).expect("FVC image extracts").template)
        })
        .collect();
    out.into_iter().collect()
}

/// 80 random 45-minutia templates (xorshift, deterministic).
fn synthetic() -> Vec<Template> {
    let mut s = 0x9E37_79B9_7F4A_7C15u64;
    let mut next = move || {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        (s % 1_000_000) as f32 / 1_000_000.0
    };
    (0..80)
        .map(|_| {
            let mut t = Template::new(388, 374, 500);
            for _ in 0..45 {
                let (x, y, a) = (30.0 + 320.0 * next(), 30.0 + 310.0 * next(), next() * std::f32::consts::TAU);
                t.minutiae.push(Minutia::new(x as u16, y as u16, a, MinutiaKind::Ending, 60));
            }
            t
        })
        .collect()
}

/// (set name, templates) for every set present, or one synthetic set.
fn sets() -> Vec<(String, Vec<Template>)> {
    let root = shared().join("fingerprints");
    let found: Vec<(String, Vec<Template>)> = FVC_SETS
        .iter()
        .filter_map(|&(name, dpi)| fvc_set(&root.join(name), dpi).map(|t| (name.to_string(), t)))
        .collect();
    if found.is_empty() { vec![("synthetic (../shared absent)".to_string(), synthetic())] } else { found }
}

fn matcher(c: &mut Criterion) {
    let sets = sets();
    for (name, t) in &sets {
        let mean = t.iter().map(|t| t.minutiae.len()).sum::<usize>() as f64 / t.len() as f64;
        eprintln!("input: {name}, {} templates, {mean:.1} minutiae on average", t.len());
    }
    let mut g = c.benchmark_group("matcher");
    g.warm_up_time(Duration::from_secs(1)).measurement_time(Duration::from_secs(3));

    // The historical single pairs (FVC2002 DB1 when present, else the first set).
    let (_, t) = sets.iter().find(|(n, _)| n == "fvc2002_db1_b").unwrap_or(&sets[0]);
    let (p0, c1, c8) = (Probe::new(&t[0]), Candidate::new(&t[1]), Candidate::new(&t[8]));
    g.bench_function("compare prebuilt, genuine pair (101_1 vs 101_2)", |b| {
        b.iter(|| black_box(&p0).compare(black_box(&c1)))
    });
    g.bench_function("compare prebuilt, impostor pair (101_1 vs 102_1)", |b| {
        b.iter(|| black_box(&p0).compare(black_box(&c8)))
    });
    g.bench_function("fresh pair (101_1 vs 101_2)", |b| b.iter(|| compare(black_box(&t[0]), black_box(&t[1]))));
    g.bench_function("fresh probe vs prebuilt candidate (101_1 vs 101_2)", |b| {
        b.iter(|| Probe::new(black_box(&t[0])).compare(black_box(&c1)))
    });

    for (name, t) in &sets {
        let probes: Vec<Probe> = t.iter().map(Probe::new).collect();
        let cands: Vec<Candidate> = t.iter().map(Candidate::new).collect();
        // Every unordered pair once, as `ridgegate eval` compares them.
        let pairs: Vec<(usize, usize)> = (0..t.len()).flat_map(|i| (i + 1..t.len()).map(move |j| (i, j))).collect();
        g.throughput(Throughput::Elements(pairs.len() as u64));
        g.bench_function(format!("compare prebuilt/{name}"), |b| {
            b.iter(|| pairs.iter().map(|&(i, j)| probes[i].compare(black_box(&cands[j])).0).sum::<f32>())
        });
        let sample: Vec<(usize, usize)> = pairs.iter().copied().step_by(16).collect();
        g.throughput(Throughput::Elements(sample.len() as u64));
        g.bench_function(format!("fresh pair/{name}"), |b| {
            b.iter(|| sample.iter().map(|&(i, j)| compare(black_box(&t[i]), black_box(&t[j])).0).sum::<f32>())
        });
        g.bench_function(format!("fresh probe/{name}"), |b| {
            b.iter(|| sample.iter().map(|&(i, j)| Probe::new(black_box(&t[i])).compare(&cands[j]).0).sum::<f32>())
        });
        g.throughput(Throughput::Elements(t.len() as u64));
        g.bench_function(format!("Candidate::new/{name}"), |b| {
            b.iter(|| t.iter().map(|t| Candidate::new(black_box(t)).minutia_count()).sum::<usize>())
        });
    }
    g.finish();
}

criterion_group!(benches, matcher);
criterion_main!(benches);
