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
    /// Cascade: fraction of the subjects compared fully (default: the gallery's default cascade).
    #[arg(long)]
    shortlist_fraction: Option<f64>,
    /// Cascade: fraction of the templates prefilter stage 1 passes to stage 2 (default: the
    /// gallery's default cascade).
    #[arg(long)]
    rescore_fraction: Option<f64>,
    /// Cascade: subjects per result completed after the lead-view pass (0 = every view of every
    /// shortlisted subject; default: the gallery's default cascade).
    #[arg(long)]
    all_views_per_result: Option<usize>,
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
    let mut cascade = if args.exhaustive { Cascade::EXHAUSTIVE } else { Cascade::default() };
    if !args.exhaustive {
        cascade.shortlist_fraction = args.shortlist_fraction.unwrap_or(cascade.shortlist_fraction);
        cascade.rescore_fraction = args.rescore_fraction.unwrap_or(cascade.rescore_fraction);
        cascade.all_views_per_result = args.all_views_per_result.unwrap_or(cascade.all_views_per_result);
    }
    println!("cascade: {cascade:?}");
    let gallery = Gallery::with_cascade(cascade);
    // Generate and insert in chunks (bounded memory); only insert_batch is timed for the build rate.
    let (mut gen_secs, mut build_secs, mut build_cpu, mut minutiae) = (0.0, 0.0, 0.0, 0usize);
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
        let (t0, cpu0) = (Instant::now(), process_cpu_seconds());
        gallery.insert_batch(&batch);
        build_secs += t0.elapsed().as_secs_f64();
        build_cpu += process_cpu_seconds().zip(cpu0).map_or(0.0, |(b, a)| b - a);
    }
    println!("generated in {gen_secs:.1} s ({:.1} minutiae/template)", minutiae as f64 / n as f64);
    println!(
        "build: insert_batch {n} templates in {build_secs:.2} s = {:.0} templates/s ({threads} threads); \
         CPU {build_cpu:.2} s = {:.0} templates per CPU-second",
        n as f64 / build_secs,
        n as f64 / build_cpu.max(1e-9)
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
        total.completed += stats.completed;
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
         {:.0} completed (every view compared), {:.0} full comparisons",
        total.prefiltered as f64 / p,
        total.rescored as f64 / p,
        total.shortlisted as f64 / p,
        total.completed as f64 / p,
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
        verify(args, &gallery, &probes, &missed, n);
    }
    Ok(())
}

/// Runs `args.verify` probes (those the cascade missed at rank 1 first) through the exhaustive
/// search as well and prints how much of the exhaustive answer the cascade returns.
fn verify(args: &BenchArgs, gallery: &Gallery, probes: &[(String, Template)], missed: &[usize], n: usize) {
    let k = args.verify.min(probes.len());
    let filter = Filter::default();
    // Score at which one impostor comparison is expected in the whole gallery (score = −10·log10 FMR):
    // hits above it are unlikely to be chance.
    let chance = 10.0 * (n as f32).log10();
    let bands = [40.0f32, chance, chance + 10.0];
    let order: Vec<usize> = missed.iter().copied().chain((0..probes.len()).filter(|i| !missed.contains(i))).collect();
    let (mut same1, mut same10, mut found10, mut want10) = (0, 0, 0, 0);
    let (mut found, mut want) = ([0usize; 3], [0usize; 3]);
    let (mut mate_cascade, mut mate_exhaustive) = (0, 0);
    let t0 = Instant::now();
    for &i in order.iter().take(k) {
        let (mate, probe) = (&probes[i].0, &probes[i].1);
        let a = gallery.identify(probe, &filter);
        let (b, _) = gallery.identify_with_cascade(probe, &filter, &Cascade::EXHAUSTIVE);
        same1 += (a.first() == b.first()) as usize;
        same10 += (a == b) as usize;
        // A hit "is returned" when the cascade returns that subject with that score.
        let returned = |h: &ridgegate_matcher::Hit| a.iter().any(|x| x.subject == h.subject && x.score == h.score);
        found10 += b.iter().filter(|h| returned(h)).count();
        want10 += b.len();
        for (band, s) in bands.iter().enumerate() {
            let strong: Vec<_> = b.iter().filter(|h| h.score.0 >= *s).collect();
            want[band] += strong.len();
            found[band] += strong.iter().filter(|h| returned(h)).count();
        }
        mate_cascade += a.iter().any(|h| &h.subject == mate) as usize;
        mate_exhaustive += b.iter().any(|h| &h.subject == mate) as usize;
        let lost: Vec<(String, f32)> =
            b.iter().filter(|h| h.score.0 >= 40.0 && !returned(h)).map(|h| (h.subject.clone(), h.score.0)).collect();
        if !lost.is_empty() {
            println!("verify: probe of {mate}: exhaustive hits >= 40 the cascade did not return: {lost:?}");
        }
    }
    let pct = |a: usize, b: usize| if b == 0 { 100.0 } else { 100.0 * a as f64 / b as f64 };
    println!(
        "verify ({k} probes, {} missed at rank 1 first; exhaustive searches took {:.1} s each):",
        missed.len().min(k),
        t0.elapsed().as_secs_f64() / k as f64
    );
    println!("  rank-1 equal (subject and score): {same1}/{k}; top-10 identical: {same10}/{k}");
    println!(
        "  recall of the exhaustive top-10: {found10}/{want10} = {:.1} % (mate in top-10: cascade {mate_cascade}/{k}, \
         exhaustive {mate_exhaustive}/{k})",
        pct(found10, want10)
    );
    for (band, s) in bands.iter().enumerate() {
        let what = match band {
            0 => "FMR 1e-4".to_string(),
            1 => format!("chance level: 1 impostor expected among {n} templates"),
            _ => "chance level + 10".to_string(),
        };
        println!(
            "  recall of exhaustive top-10 hits >= {s:.1} ({what}): {}/{} = {:.1} %",
            found[band],
            want[band],
            pct(found[band], want[band])
        );
    }
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
