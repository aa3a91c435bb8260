//! `ridgegate bench …`: speed figures on real data. Each benchmark is a subcommand of
//! [`BenchCommand`]; add new ones (e.g. `identify`) as further variants.

use super::datasets;
use anyhow::Context;
use clap::{Args as ClapArgs, Subcommand};
use rayon::prelude::*;
use ridgegate_core::{FingerImage, Template, codecs};
use ridgegate_matcher::{Candidate, Probe};
use std::hint::black_box;
use std::path::PathBuf;
use std::time::Instant;

/// Benchmarks on real data.
#[derive(ClapArgs)]
pub struct Args {
    #[command(subcommand)]
    command: BenchCommand,
}

/// The benchmarks.
#[derive(Subcommand)]
pub enum BenchCommand {
    /// Extraction speed and failure-to-extract on FVC-style folders (single thread, decode excluded).
    Extract {
        /// One or more folders of `<finger>_<impression>` images.
        #[arg(long = "db", required = true)]
        dbs: Vec<PathBuf>,
        /// Resolution (default: 569 for fvc2002_db2*, else 500).
        #[arg(long)]
        dpi: Option<u16>,
    },
    /// 1:N identification on a synthetic gallery: build rate, memory, latency percentiles, throughput.
    Identify(super::identify::BenchArgs),
    /// 1:1 matcher speed per FVC-style set (single thread): search-form build, comparison with a
    /// prebuilt probe over every pair of the set, fresh pair (both search forms + comparison),
    /// repeated (fastest run) and cold (each pair once, in shuffled order), and a fresh probe
    /// against a prebuilt candidate (probe search form + comparison: a gate with an indexed roster);
    /// the comparison and the fresh probe are also timed cold.
    Match(MatchArgs),
}

/// Arguments of `ridgegate bench match`.
#[derive(ClapArgs)]
pub struct MatchArgs {
    /// One or more folders of `<finger>_<impression>` images or templates.
    #[arg(long = "db", required = true)]
    dbs: Vec<PathBuf>,
    /// Resolution (default: 569 for fvc2002_db2*, else 500).
    #[arg(long)]
    dpi: Option<u16>,
    /// Timed runs over every pair; a pair's time is its fastest run (suppresses the noise of other
    /// processes sharing the cores).
    #[arg(long, default_value_t = 5)]
    runs: usize,
}

/// Runs `ridgegate bench …`.
pub fn run(args: Args) -> anyhow::Result<()> {
    match args.command {
        BenchCommand::Extract { dbs, dpi } => bench_extract(&dbs, dpi),
        BenchCommand::Identify(a) => super::identify::bench(a),
        BenchCommand::Match(a) => bench_match(&a),
    }
}

fn bench_extract(dbs: &[PathBuf], dpi: Option<u16>) -> anyhow::Result<()> {
    // One thread: the figure is per-core latency, comparable with other extractors.
    let pool = rayon::ThreadPoolBuilder::new().num_threads(1).build().context("building a 1-thread pool")?;
    println!(
        "{:<18} {:>6} {:>5} {:>9} {:>9} {:>9} {:>8}",
        "set", "images", "FTE", "mean ms", "p50 ms", "p95 ms", "minutiae"
    );
    let mut all = Vec::new();
    let (mut total_images, mut total_fte, mut total_minutiae) = (0usize, 0usize, 0usize);
    for db in dbs {
        let dpi = datasets::dpi_for(db, dpi);
        let images: Vec<FingerImage> =
            datasets::samples(db)?.iter().map(|s| FingerImage::load(&s.path, Some(dpi))).collect::<Result<_, _>>()?;
        let mut times = Vec::with_capacity(images.len());
        let (mut fte, mut minutiae) = (0usize, 0usize);
        pool.install(|| -> anyhow::Result<()> {
            for img in &images {
                let t0 = Instant::now();
                let e = ridgegate_extract::extract(img)?;
                times.push(t0.elapsed().as_secs_f64() * 1e3);
                if e.minutia_count == 0 {
                    fte += 1;
                }
                minutiae += e.minutia_count;
            }
            Ok(())
        })?;
        let name = db.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        print_row(&name, &mut times, fte, minutiae as f64 / images.len() as f64);
        total_images += images.len();
        total_fte += fte;
        total_minutiae += minutiae;
        all.extend(times);
    }
    if dbs.len() > 1 {
        print_row("all", &mut all, total_fte, total_minutiae as f64 / total_images.max(1) as f64);
        println!("{total_images} images, FTE {total_fte}");
    }
    Ok(())
}

fn print_row(name: &str, times: &mut [f64], fte: usize, mean_minutiae: f64) {
    times.sort_by(|a, b| a.total_cmp(b));
    let mean = times.iter().sum::<f64>() / times.len() as f64;
    let p = |q: f64| times[((times.len() as f64 - 1.0) * q).round() as usize];
    println!(
        "{name:<18} {:>6} {fte:>5} {mean:>9.2} {:>9.2} {:>9.2} {mean_minutiae:>8.1}",
        times.len(),
        p(0.5),
        p(0.95)
    );
}

/// A template from an image (extracted) or a template file (imported), as `ridgegate eval` reads
/// them.
fn load_template(sample: &datasets::Sample, dpi: u16) -> anyhow::Result<Template> {
    let bytes = std::fs::read(&sample.path).with_context(|| format!("reading {}", sample.path.display()))?;
    if codecs::TemplateFormat::detect(&bytes).is_some() {
        let (_, mut views) =
            codecs::import(&bytes).with_context(|| format!("{} is a corrupt template", sample.path.display()))?;
        return Ok(views.swap_remove(0));
    }
    Ok(ridgegate_extract::extract(&FingerImage::decode(&bytes, Some(dpi))?)?.template)
}

/// Fastest of `runs` timings of `f`, µs.
fn best_of(runs: usize, mut f: impl FnMut()) -> f64 {
    (0..runs.max(1))
        .map(|_| {
            let t0 = Instant::now();
            f();
            t0.elapsed().as_secs_f64() * 1e6
        })
        .fold(f64::INFINITY, f64::min)
}

fn bench_match(args: &MatchArgs) -> anyhow::Result<()> {
    // Templates are made in parallel (not timed); all timing runs on one thread.
    println!(
        "{:<18} {:>5} {:>6} {:>9} {:>9} {:>9} {:>9} {:>9} {:>9} {:>9} {:>9} {:>9} {:>11} {:>12} {:>14}",
        "set",
        "pairs",
        "minut",
        "build p50",
        "build p90",
        "cmp p50",
        "cmp p90",
        "cmp mean",
        "gen p50",
        "fresh p50",
        "fresh p90",
        "cold p50",
        "probe+cmp p50",
        "cold cmp p50",
        "cold probe p50"
    );
    let mut all = MatchTimes::default();
    let mut minutiae_sum = 0.0;
    for db in &args.dbs {
        let dpi = datasets::dpi_for(db, args.dpi);
        let samples = datasets::samples(db)?;
        let templates: Vec<Template> =
            samples.par_iter().map(|s| load_template(s, dpi)).collect::<anyhow::Result<_>>()?;
        let mut times = MatchTimes::default();
        let probes: Vec<Probe> = templates.iter().map(Probe::new).collect();
        let candidates: Vec<Candidate> = templates.iter().map(Candidate::new).collect();
        for t in &templates {
            times.build.push(best_of(args.runs, || {
                black_box(Candidate::new(black_box(t)));
            }));
        }
        // Every unordered pair once, as `ridgegate eval` compares them (impostors = all).
        for i in 0..templates.len() {
            for j in i + 1..templates.len() {
                let (p, c) = (&probes[i], &candidates[j]);
                let us = best_of(args.runs, || {
                    black_box(black_box(p).compare(black_box(c)));
                });
                times.compare.push(us);
                if samples[i].finger == samples[j].finger {
                    times.genuine.push(us);
                }
                times.fresh.push(best_of(args.runs, || {
                    black_box(ridgegate_matcher::compare(black_box(&templates[i]), black_box(&templates[j])));
                }));
                times.probe_fresh.push(best_of(args.runs, || {
                    black_box(Probe::new(black_box(&templates[i])).compare(black_box(c)));
                }));
            }
        }
        // Cold fresh pairs: every pair once, in a shuffled order, so that neither the branch
        // predictors nor the caches have just seen the templates (as at a gate, where each
        // comparison is new); the repeated figures above are the best case.
        // One pass per operation, so that no operation warms the next one's pair.
        let order = shuffled_pairs(templates.len());
        times.cold = once_per_pair(&order, |i, j| {
            black_box(ridgegate_matcher::compare(black_box(&templates[i]), black_box(&templates[j])));
        });
        times.cold_compare = once_per_pair(&order, |i, j| {
            black_box(black_box(&probes[i]).compare(black_box(&candidates[j])));
        });
        times.cold_probe_fresh = once_per_pair(&order, |i, j| {
            black_box(Probe::new(black_box(&templates[i])).compare(black_box(&candidates[j])));
        });
        let minutiae = templates.iter().map(|t| t.minutiae.len()).sum::<usize>() as f64 / templates.len().max(1) as f64;
        minutiae_sum += minutiae;
        let name = db.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        times.print(&name, minutiae);
        all.append(times);
    }
    if args.dbs.len() > 1 {
        all.print("all", minutiae_sum / args.dbs.len() as f64);
    }
    println!(
        "µs per operation, single thread, fastest of {} runs per item (cold: one run per pair, shuffled order, \
         one pass per operation); p50/p90 over items",
        args.runs
    );
    Ok(())
}

/// µs of one run of `f` per pair of `order`, in that order.
fn once_per_pair(order: &[(usize, usize)], mut f: impl FnMut(usize, usize)) -> Vec<f64> {
    order
        .iter()
        .map(|&(i, j)| {
            let t0 = Instant::now();
            f(i, j);
            t0.elapsed().as_secs_f64() * 1e6
        })
        .collect()
}

/// Every unordered pair `(i, j)`, `i < j < n`, once, in a fixed pseudo-random order (Fisher–Yates
/// with a xorshift generator: the same order on every run).
fn shuffled_pairs(n: usize) -> Vec<(usize, usize)> {
    let mut pairs: Vec<(usize, usize)> = (0..n).flat_map(|i| (i + 1..n).map(move |j| (i, j))).collect();
    let mut state = 0x9E37_79B9_7F4A_7C15u64;
    for k in (1..pairs.len()).rev() {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        pairs.swap(k, (state % (k as u64 + 1)) as usize);
    }
    pairs
}

/// Per-item timings of `ridgegate bench match`, µs.
#[derive(Default)]
struct MatchTimes {
    /// Search-form build per template.
    build: Vec<f64>,
    /// Comparison with prebuilt search forms, every pair.
    compare: Vec<f64>,
    /// The genuine pairs among them.
    genuine: Vec<f64>,
    /// Fresh pair: both search forms and the comparison.
    fresh: Vec<f64>,
    /// Fresh probe against a prebuilt candidate: the probe's search form and the comparison (a
    /// gate whose roster was indexed at start-up).
    probe_fresh: Vec<f64>,
    /// Fresh pair timed once per pair, pairs in shuffled order.
    cold: Vec<f64>,
    /// Comparison with prebuilt search forms, timed once per pair in the same order.
    cold_compare: Vec<f64>,
    /// Fresh probe against a prebuilt candidate, timed once per pair in the same order.
    cold_probe_fresh: Vec<f64>,
}

impl MatchTimes {
    fn append(&mut self, mut other: MatchTimes) {
        self.build.append(&mut other.build);
        self.compare.append(&mut other.compare);
        self.genuine.append(&mut other.genuine);
        self.fresh.append(&mut other.fresh);
        self.probe_fresh.append(&mut other.probe_fresh);
        self.cold.append(&mut other.cold);
        self.cold_compare.append(&mut other.cold_compare);
        self.cold_probe_fresh.append(&mut other.cold_probe_fresh);
    }

    fn print(&mut self, name: &str, minutiae: f64) {
        let q = |v: &mut Vec<f64>, q: f64| {
            v.sort_by(|a, b| a.total_cmp(b));
            if v.is_empty() { f64::NAN } else { v[((v.len() as f64 - 1.0) * q).round() as usize] }
        };
        let mean = self.compare.iter().sum::<f64>() / self.compare.len().max(1) as f64;
        println!(
            "{name:<18} {:>5} {minutiae:>6.1} {:>9.1} {:>9.1} {:>9.1} {:>9.1} {mean:>9.1} {:>9.1} {:>9.1} {:>9.1} {:>9.1} {:>11.1} {:>12.1} {:>14.1}",
            self.compare.len(),
            q(&mut self.build, 0.5),
            q(&mut self.build, 0.9),
            q(&mut self.compare, 0.5),
            q(&mut self.compare, 0.9),
            q(&mut self.genuine, 0.5),
            q(&mut self.fresh, 0.5),
            q(&mut self.fresh, 0.9),
            q(&mut self.cold, 0.5),
            q(&mut self.probe_fresh, 0.5),
            q(&mut self.cold_compare, 0.5),
            q(&mut self.cold_probe_fresh, 0.5),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shuffled_pairs_lists_every_pair_once_in_a_fixed_mixed_order() {
        let pairs = shuffled_pairs(20);
        let mut sorted = pairs.clone();
        sorted.sort_unstable();
        let expected: Vec<(usize, usize)> = (0..20).flat_map(|i| (i + 1..20).map(move |j| (i, j))).collect();
        assert_eq!(sorted, expected);
        assert_ne!(pairs, expected, "not shuffled");
        assert_eq!(pairs, shuffled_pairs(20), "not deterministic");
        assert!(shuffled_pairs(1).is_empty() && shuffled_pairs(0).is_empty());
    }
}
