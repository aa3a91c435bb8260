//! `ridgegate bench …`: speed figures on real data. Each benchmark is a subcommand of
//! [`BenchCommand`]; add new ones (e.g. `identify`) as further variants.

use super::datasets;
use anyhow::Context;
use clap::{Args as ClapArgs, Subcommand};
use ridgegate_core::FingerImage;
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
}

/// Runs `ridgegate bench …`.
pub fn run(args: Args) -> anyhow::Result<()> {
    match args.command {
        BenchCommand::Extract { dbs, dpi } => bench_extract(&dbs, dpi),
        BenchCommand::Identify(a) => super::identify::bench(a),
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
