//! Matcher speed: one comparison with a prebuilt probe, a fresh pair (both search forms built),
//! and building a search form. Uses FVC2002 DB1 templates extracted from ../shared when present,
//! else synthetic templates. Run: `cargo bench --bench matcher`.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use ridgegate_core::{FingerImage, Minutia, MinutiaKind, Template};
use ridgegate_matcher::{Candidate, Probe, compare};
use std::hint::black_box;
use std::path::Path;

/// Templates of one FVC set (finger-major, 8 impressions each), or synthetic ones.
fn templates() -> (Vec<Template>, &'static str) {
    // ../shared next to the workspace, or wherever RIDGEGATE_SHARED points.
    let shared = std::env::var_os("RIDGEGATE_SHARED")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared"));
    let dir = shared.join("fingerprints/fvc2002_db1_b");
    let mut out = Vec::new();
    for finger in 101..=110 {
        for imp in 1..=8 {
            let Ok(img) = FingerImage::load(&dir.join(format!("{finger}_{imp}.tif")), Some(500)) else { break };
            out.push(ridgegate_extract::extract(&img).expect("FVC image extracts").template);
        }
    }
    if out.len() == 80 {
        return (out, "fvc2002_db1_b (80 templates)");
    }
    // Synthetic fallback: 80 random 45-minutia templates (xorshift, deterministic).
    let mut s = 0x9E37_79B9_7F4A_7C15u64;
    let mut next = move || {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        (s % 1_000_000) as f32 / 1_000_000.0
    };
    let out = (0..80)
        .map(|_| {
            let mut t = Template::new(388, 374, 500);
            for _ in 0..45 {
                let (x, y, a) = (30.0 + 320.0 * next(), 30.0 + 310.0 * next(), next() * std::f32::consts::TAU);
                t.minutiae.push(Minutia::new(x as u16, y as u16, a, MinutiaKind::Ending, 60));
            }
            t
        })
        .collect();
    (out, "synthetic (../shared absent)")
}

fn matcher(c: &mut Criterion) {
    let (t, name) = templates();
    eprintln!("input: {name}");
    let probes: Vec<Probe> = t.iter().map(Probe::new).collect();
    let cands: Vec<Candidate> = t.iter().map(Candidate::new).collect();
    let mut g = c.benchmark_group("matcher");
    g.bench_function("compare prebuilt, genuine pair (101_1 vs 101_2)", |b| {
        b.iter(|| black_box(&probes[0]).compare(black_box(&cands[1])))
    });
    g.bench_function("compare prebuilt, impostor pair (101_1 vs 102_1)", |b| {
        b.iter(|| black_box(&probes[0]).compare(black_box(&cands[8])))
    });
    // Every probe against every other template: the per-element time is the mean comparison.
    g.throughput(Throughput::Elements((t.len() * (t.len() - 1)) as u64));
    g.bench_function("compare prebuilt, all 80x79 pairs (time per element = per comparison)", |b| {
        b.iter(|| {
            let mut acc = 0.0f32;
            for (i, p) in probes.iter().enumerate() {
                for (j, c) in cands.iter().enumerate() {
                    if i != j {
                        acc += p.compare(c).0;
                    }
                }
            }
            acc
        })
    });
    g.throughput(Throughput::Elements(1));
    g.bench_function("fresh pair: Probe::new + Candidate::new + compare", |b| {
        b.iter(|| compare(black_box(&t[0]), black_box(&t[1])))
    });
    g.bench_function("Candidate::new", |b| b.iter(|| Candidate::new(black_box(&t[0]))));
    g.bench_function("Probe::new", |b| b.iter(|| Probe::new(black_box(&t[0]))));
    g.finish();
}

criterion_group!(benches, matcher);
criterion_main!(benches);
