//! `ridgegate identify PROBE --gallery DIR|FILE [--top K] [--threshold S]` (1:N search) and the
//! `ridgegate bench identify --size N` benchmark on synthetic galleries.

use anyhow::{Context, bail};
use clap::Args as ClapArgs;
use rayon::prelude::*;
use ridgegate_core::{FingerImage, FingerPosition, Score, Template, codecs};
use ridgegate_matcher::{Cascade, Filter, Gallery, SearchStats};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Instant;

/// Search a gallery for a probe fingerprint and print the best candidates, NBIS style:
/// one `score candidate` line per hit, best first.
#[derive(ClapArgs)]
pub struct Args {
    /// Probe (image or template file; the first view of a multi-view template).
    probe: PathBuf,
    /// Gallery: a folder of images/templates (one subject per file, named by the file stem), or a
    /// list file of `PATH` or `SUBJECT PATH` lines (several lines per subject = several views).
    #[arg(long)]
    gallery: PathBuf,
    /// Number of candidates to print.
    #[arg(long, default_value_t = 10)]
    top: usize,
    /// Minimum score printed (calibrated: 40 ≈ FMR 1e-4).
    #[arg(long, default_value_t = 0.0)]
    threshold: f32,
    /// Resolution of image inputs (default 500).
    #[arg(long)]
    dpi: Option<u16>,
    /// Group FVC-style files `<finger>_<impression>` as views of subject `<finger>`.
    #[arg(long)]
    fvc_subjects: bool,
    /// Also print the estimated FMR, the best finger and the best view of each hit.
    #[arg(long)]
    detail: bool,
}

/// Extensions read from a gallery folder.
const GALLERY_EXTENSIONS: [&str; 12] =
    ["rgt", "ist", "iso", "ansi", "xyt", "min", "tif", "tiff", "png", "bmp", "pgm", "wsq"];

/// Loads the views of a template file (any supported format) or extracts one from an image.
fn load_views(path: &Path, dpi: Option<u16>) -> anyhow::Result<Vec<Template>> {
    let bytes = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
    if codecs::TemplateFormat::detect(&bytes).is_some() {
        let (_, views) = codecs::import(&bytes).with_context(|| format!("{} is a corrupt template", path.display()))?;
        if views.is_empty() {
            bail!("{} holds no finger view", path.display());
        }
        return Ok(views);
    }
    let img = FingerImage::decode(&bytes, dpi)
        .with_context(|| format!("{} is neither a template nor an image", path.display()))?;
    let e = ridgegate_extract::extract(&img).with_context(|| format!("extracting {}", path.display()))?;
    Ok(vec![e.template])
}

/// (subject, path) pairs of the gallery argument.
fn gallery_entries(gallery: &Path, fvc_subjects: bool) -> anyhow::Result<Vec<(String, PathBuf)>> {
    let subject_of = |path: &Path| -> String {
        let stem = path.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
        match stem.split_once('_') {
            Some((finger, _)) if fvc_subjects => finger.to_string(),
            _ => stem,
        }
    };
    if gallery.is_dir() {
        let mut out = Vec::new();
        for entry in std::fs::read_dir(gallery).with_context(|| format!("cannot read {}", gallery.display()))? {
            let path = entry?.path();
            let ext = path.extension().map(|e| e.to_string_lossy().to_ascii_lowercase()).unwrap_or_default();
            if path.is_file() && GALLERY_EXTENSIONS.contains(&ext.as_str()) {
                out.push((subject_of(&path), path));
            }
        }
        out.sort();
        if out.is_empty() {
            bail!("{} holds no image or template files", gallery.display());
        }
        return Ok(out);
    }
    let text = std::fs::read(gallery).with_context(|| format!("cannot read gallery {}", gallery.display()))?;
    if codecs::TemplateFormat::detect(&text).is_some() {
        return Ok(vec![(subject_of(gallery), gallery.to_path_buf())]);
    }
    let text = String::from_utf8(text)
        .map_err(|_| anyhow::anyhow!("{} is neither a folder, a template nor a text list", gallery.display()))?;
    let base = gallery.parent().unwrap_or(Path::new("."));
    let mut out = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let fields: Vec<&str> = line.split_whitespace().collect();
        let (subject, path) = match fields.as_slice() {
            [p] => (None, base.join(p)),
            [s, p] => (Some(s.to_string()), base.join(p)),
            _ => bail!("{}:{}: expected `PATH` or `SUBJECT PATH`, got {line:?}", gallery.display(), n + 1),
        };
        out.push((subject.unwrap_or_else(|| subject_of(&path)), path));
    }
    if out.is_empty() {
        bail!("{} lists no gallery files", gallery.display());
    }
    Ok(out)
}

/// Runs `ridgegate identify`.
pub fn run(args: Args) -> anyhow::Result<()> {
    if args.top == 0 {
        bail!("--top must be at least 1");
    }
    if !args.threshold.is_finite() || args.threshold < 0.0 {
        bail!("--threshold must be a score ≥ 0 (40 ≈ FMR 1e-4), got {}", args.threshold);
    }
    let probe = load_views(&args.probe, args.dpi)?.swap_remove(0);
    let entries = gallery_entries(&args.gallery, args.fvc_subjects)?;
    let loaded: Vec<(String, Vec<Template>)> =
        entries.par_iter().map(|(s, p)| Ok((s.clone(), load_views(p, args.dpi)?))).collect::<anyhow::Result<_>>()?;
    // subject → finger → views, in file order.
    let mut subjects: BTreeMap<String, BTreeMap<FingerPosition, Vec<Template>>> = BTreeMap::new();
    for (s, views) in loaded {
        for v in views {
            subjects.entry(s.clone()).or_default().entry(v.finger).or_default().push(v);
        }
    }
    let gallery = Gallery::new();
    let batch: Vec<(&str, FingerPosition, &[Template])> = subjects
        .iter()
        .flat_map(|(s, fingers)| fingers.iter().map(move |(f, v)| (s.as_str(), *f, v.as_slice())))
        .collect();
    gallery.insert_batch(&batch);
    let filter = Filter { max_results: args.top, min_score: Score(args.threshold), ..Filter::default() };
    for hit in gallery.identify(&probe, &filter) {
        if args.detail {
            let best = &hit.fingers[0];
            println!(
                "{:.2} {} fmr={:.2e} finger={} view={}",
                hit.score.0, hit.subject, hit.fmr, best.finger, best.best_view
            );
        } else {
            println!("{:.2} {}", hit.score.0, hit.subject);
        }
    }
    Ok(())
}

/// Options of `ridgegate bench identify`.
#[derive(ClapArgs, Debug, Clone)]
pub struct BenchArgs {
    /// Gallery size in templates (synthetic, from the crates/synth template generator).
    #[arg(long, default_value_t = 100_000)]
    size: usize,
    /// Views (impressions) enrolled per synthetic finger; each finger is one subject.
    #[arg(long, default_value_t = 4)]
    views: u32,
    /// Number of probe searches timed (genuine: a fresh impression of an enrolled finger).
    #[arg(long, default_value_t = 50)]
    probes: usize,
    /// Worker threads (default: all cores).
    #[arg(long)]
    threads: Option<usize>,
    /// Generator seed.
    #[arg(long, default_value_t = 2024)]
    seed: u64,
    /// Also run this many probes exhaustively (every template through the full matcher) and report
    /// whether the cascade's rank-1 and top-10 agree. Slow: ~N × 30 µs per probe.
    #[arg(long, default_value_t = 0)]
    verify: usize,
    /// Benchmark the exhaustive search instead of the cascade.
    #[arg(long)]
    exhaustive: bool,
}

/// Runs `ridgegate bench identify`.
pub fn bench(args: BenchArgs) -> anyhow::Result<()> {
    if args.size == 0 || args.views == 0 || args.probes == 0 {
        bail!("--size, --views and --probes must be at least 1");
    }
    let threads = args.threads.unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
    let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().context("building the thread pool")?;
    pool.install(|| bench_in_pool(&args, threads))
}

fn bench_in_pool(args: &BenchArgs, threads: usize) -> anyhow::Result<()> {
    let fingers = args.size.div_ceil(args.views as usize) as u64;
    let n = fingers as usize * args.views as usize;
    println!(
        "data: synthetic minutiae templates from crates/synth (template-level generator, seed {}): \
         {fingers} fingers x {} impressions = {n} templates, one subject per finger; probes are a further \
         impression of an enrolled finger (genuine searches)",
        args.seed, args.views
    );
    let cascade = if args.exhaustive { Cascade::EXHAUSTIVE } else { Cascade::default() };
    let gallery = Gallery::with_cascade(cascade);
    // Generate and insert in chunks (bounded memory); only insert_batch is timed for the build rate.
    let (mut gen_secs, mut build_secs, mut minutiae) = (0.0, 0.0, 0usize);
    const CHUNK: u64 = 25_000;
    for start in (0..fingers).step_by(CHUNK as usize) {
        let t0 = Instant::now();
        let chunk: Vec<(String, Vec<Template>)> = (start..(start + CHUNK).min(fingers))
            .into_par_iter()
            .map(|f| {
                let views = ridgegate_synth::finger_templates(args.seed, f, args.views);
                (subject_name(f), views.into_iter().map(|t| t.template).collect())
            })
            .collect();
        gen_secs += t0.elapsed().as_secs_f64();
        minutiae += chunk.iter().flat_map(|(_, v)| v).map(|t| t.minutiae.len()).sum::<usize>();
        let batch: Vec<(&str, FingerPosition, &[Template])> =
            chunk.iter().map(|(s, v)| (s.as_str(), FingerPosition::RightIndex, v.as_slice())).collect();
        let t0 = Instant::now();
        gallery.insert_batch(&batch);
        build_secs += t0.elapsed().as_secs_f64();
    }
    println!("generated in {gen_secs:.1} s ({:.1} minutiae/template)", minutiae as f64 / n as f64);
    println!(
        "build: insert_batch {n} templates in {build_secs:.2} s = {:.0} templates/s ({threads} threads)",
        n as f64 / build_secs
    );
    let mem = gallery.memory_bytes();
    println!("memory: {:.1} MB = {:.0} bytes/template (memory_bytes())", mem as f64 / 1e6, mem as f64 / n as f64);

    // Probes: impression `views` of evenly spread enrolled fingers.
    let probes: Vec<(String, Template)> = (0..args.probes as u64)
        .map(|i| {
            let f = (i * fingers / args.probes as u64).min(fingers - 1);
            let t = ridgegate_synth::finger_templates(args.seed, f, args.views + 1).swap_remove(args.views as usize);
            (subject_name(f), t.template)
        })
        .collect();
    let filter = Filter::default();
    // One warm-up search (page faults, pool start-up).
    gallery.identify(&probes[0].1, &filter);
    let mut latencies = Vec::with_capacity(probes.len());
    let mut total = SearchStats::default();
    let mut correct = 0usize;
    let mut missed = Vec::new();
    let cpu0 = process_cpu_seconds();
    for (mate, probe) in &probes {
        let t0 = Instant::now();
        let (hits, stats) = gallery.identify_with_stats(probe, &filter);
        latencies.push(t0.elapsed().as_secs_f64());
        if hits.first().is_some_and(|h| &h.subject == mate) {
            correct += 1;
        } else {
            missed.push(latencies.len() - 1);
        }
        total.prefiltered += stats.prefiltered;
        total.rescored += stats.rescored;
        total.shortlisted += stats.shortlisted;
        total.compared += stats.compared;
        total.prefilter_time += stats.prefilter_time;
        total.full_time += stats.full_time;
    }
    let cpu = process_cpu_seconds().zip(cpu0).map(|(b, a)| b - a);
    let p = probes.len() as f64;
    let busy: f64 = latencies.iter().sum();
    latencies.sort_by(|a, b| a.total_cmp(b));
    let q = |x: f64| latencies[((latencies.len() - 1) as f64 * x).round() as usize] * 1e3;
    println!(
        "identify ({} probes, {threads} threads, {}): latency mean {:.1} ms, p50 {:.1} ms, p95 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
        probes.len(),
        if args.exhaustive { "exhaustive" } else { "cascade" },
        busy / p * 1e3,
        q(0.5),
        q(0.95),
        q(0.99),
        q(1.0)
    );
    println!(
        "  per identify: {:.0} templates prefiltered (stage 1), {:.0} rescored (stage 2), {:.0} subjects shortlisted, \
         {:.0} full comparisons",
        total.prefiltered as f64 / p,
        total.rescored as f64 / p,
        total.shortlisted as f64 / p,
        total.compared as f64 / p
    );
    let per_core = |count: usize| count as f64 / busy / threads as f64;
    println!(
        "  throughput per core: {:.0} gallery templates searched/s (= N / latency / threads), of which \
         {:.0} prefilter scans/s and {:.0} full comparisons/s",
        per_core(n * probes.len()),
        per_core(total.prefiltered),
        per_core(total.compared)
    );
    println!(
        "  wall time per identify: prefilter stages {:.1} ms, full matcher {:.1} ms",
        total.prefilter_time.as_secs_f64() / p * 1e3,
        total.full_time.as_secs_f64() / p * 1e3
    );
    if let Some(cpu) = cpu {
        println!(
            "  CPU time per identify: {:.1} ms (all threads) = {:.0} gallery templates searched per CPU-second",
            cpu / p * 1e3,
            n as f64 * p / cpu
        );
    }
    println!("  rank-1 correct: {correct}/{} genuine probes", probes.len());

    if args.verify > 0 && !args.exhaustive {
        let k = args.verify.min(probes.len());
        let reference = Gallery::with_cascade(Cascade::EXHAUSTIVE);
        for start in (0..fingers).step_by(CHUNK as usize) {
            let chunk: Vec<(String, Vec<Template>)> = (start..(start + CHUNK).min(fingers))
                .into_par_iter()
                .map(|f| {
                    let v = ridgegate_synth::finger_templates(args.seed, f, args.views);
                    (subject_name(f), v.into_iter().map(|t| t.template).collect())
                })
                .collect();
            let batch: Vec<(&str, FingerPosition, &[Template])> =
                chunk.iter().map(|(s, v)| (s.as_str(), FingerPosition::RightIndex, v.as_slice())).collect();
            reference.insert_batch(&batch);
        }
        // The probes the cascade got wrong first (did the exhaustive search get them right?), then others.
        let order: Vec<usize> =
            missed.iter().copied().chain((0..probes.len()).filter(|i| !missed.contains(i))).collect();
        let (mut same1, mut same10, mut strong) = (0, 0, 0);
        let t0 = Instant::now();
        for &i in order.iter().take(k) {
            let a = gallery.identify(&probes[i].1, &filter);
            let b = reference.identify(&probes[i].1, &filter);
            same1 += (a.first() == b.first()) as usize;
            same10 += (a == b) as usize;
            let above = |h: &[ridgegate_matcher::Hit]| -> Vec<(String, f32)> {
                h.iter().filter(|h| h.score.0 >= 40.0).map(|h| (h.subject.clone(), h.score.0)).collect()
            };
            if above(&a) == above(&b) {
                strong += 1;
            } else {
                println!(
                    "verify: probe of {}: hits >= 40 differ: cascade {:?}, exhaustive {:?}",
                    probes[i].0,
                    above(&a),
                    above(&b)
                );
            }
            if missed.contains(&i) {
                println!(
                    "verify: probe of {} missed at rank 1 by the cascade; exhaustive rank 1 is {} ({:.1}), cascade {} ({:.1})",
                    probes[i].0,
                    b.first().map_or("-", |h| h.subject.as_str()),
                    b.first().map_or(0.0, |h| h.score.0),
                    a.first().map_or("-", |h| h.subject.as_str()),
                    a.first().map_or(0.0, |h| h.score.0),
                );
            }
        }
        println!(
            "verify: cascade vs exhaustive on {k} probes ({} missed ones first): rank-1 equal {same1}/{k}, \
             hits >= 40 identical {strong}/{k}, top-10 identical {same10}/{k} (exhaustive searches took {:.1} s each)",
            missed.len().min(k),
            t0.elapsed().as_secs_f64() / k as f64
        );
    }
    Ok(())
}

/// User + system CPU time of this process in seconds (Linux `/proc/self/stat`, 100 ticks/s);
/// `None` elsewhere. Unlike wall time, it is not inflated by other processes on a busy machine.
fn process_cpu_seconds() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // Fields after the parenthesised command name; utime and stime are fields 14 and 15.
    let rest = stat.rsplit_once(')')?.1;
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks: f64 = fields.get(11)?.parse::<f64>().ok()? + fields.get(12)?.parse::<f64>().ok()?;
    Some(ticks / 100.0)
}

fn subject_name(finger: u64) -> String {
    format!("SYN{finger:08}")
}
