//! `ridgegate eval --db DIR…`: accuracy on FVC-style sets (FVC protocol), DET plot, scores file,
//! and the calibration table of the matcher.

use super::datasets;
use anyhow::Context;
use clap::{Args as ClapArgs, ValueEnum};
use rayon::prelude::*;
use ridgegate_core::{FingerImage, codecs};
use ridgegate_matcher::eval::{
    Interval, Metrics, Trial, det_curve, det_svg, eer_difference_replicates, eer_replicates,
};
use ridgegate_matcher::{Candidate, Evidence, Probe, calibration};
use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Instant;

/// Which impostor comparisons to run.
#[derive(Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum Impostors {
    /// FVC protocol: first impressions of different fingers (45 per 10-finger set).
    Fvc,
    /// All cross-finger pairs (2,880 per 10×8 set).
    All,
}

/// Evaluate extraction + matching accuracy on FVC-style folders.
#[derive(ClapArgs)]
pub struct Args {
    /// Folders of `<finger>_<impression>` images (repeat for several sets).
    #[arg(long = "db", required = true)]
    dbs: Vec<PathBuf>,
    /// Resolution (default: 569 for fvc2002_db2*, else 500).
    #[arg(long)]
    dpi: Option<u16>,
    /// Impostor protocol.
    #[arg(long, value_enum, default_value = "all")]
    impostors: Impostors,
    /// Write a DET plot (SVG) of every set here.
    #[arg(long)]
    plot: Option<PathBuf>,
    /// Write every comparison as `A B score genuine|impostor` here.
    #[arg(long)]
    scores: Option<PathBuf>,
    /// Write the matcher's evidence behind every comparison here, one tab-separated row each
    /// (`set a b kind score local matched overlap_probe overlap_candidate flow_cells
    /// flow_agreement raw`, see `ridgegate_matcher::Evidence`): for diagnosing why pairs fail,
    /// e.g. genuine pairs with a low flow agreement were misaligned. Costs one more comparison
    /// per pair.
    #[arg(long)]
    evidence: Option<PathBuf>,
    /// Also measure impostor raw scores across all sets and print the calibration table (Rust source).
    #[arg(long)]
    calibrate: bool,
    /// A scores file of an earlier run (`--scores`) on the same sets: print the EER change of this
    /// run against it per set and over all sets, with a 90 % confidence interval (paired
    /// bootstrap over fingers), to tell a real improvement from noise.
    #[arg(long)]
    baseline: Option<PathBuf>,
    /// Repeat the evaluation on images shifted by 0, 1, …, N−1 pixels (that many rows and columns
    /// cropped off the top and left before extraction) and print each set's EER per shift and
    /// their mean. A block-based extractor sees a different block grid at each shift, so single
    /// EERs move by more than small changes do; judge extractor changes by the mean. Images only;
    /// not combined with --scores, --evidence, --baseline, --plot or --calibrate. Costs N evaluations.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=32))]
    shifts: u32,
}

/// Bootstrap replicates behind every confidence interval `eval` prints.
const BOOTSTRAP_REPLICATES: usize = 1000;
/// Confidence level of the intervals.
const CONFIDENCE: f64 = 0.90;
/// Fixed seed: the intervals are reproducible run to run, and replicate k draws the same fingers
/// in every set and for both systems of a comparison.
const BOOTSTRAP_SEED: u64 = 0x5EED_19795;

/// Scores of an earlier `eval --scores` run, by the comparison's `A B` paths.
fn read_baseline(path: &Path) -> anyhow::Result<HashMap<String, f64>> {
    let text = std::fs::read_to_string(path).with_context(|| format!("reading baseline {}", path.display()))?;
    let mut out = HashMap::new();
    for (k, line) in text.lines().enumerate() {
        let mut parts = line.rsplitn(3, ' ');
        let (kind, score, pair) = (parts.next(), parts.next(), parts.next());
        let (Some("genuine" | "impostor"), Some(score), Some(pair)) = (kind, score, pair) else {
            anyhow::bail!(
                "{} line {}: expected `A B score genuine|impostor` (a file written by `eval --scores`)",
                path.display(),
                k + 1
            );
        };
        let score: f64 = score
            .parse()
            .with_context(|| format!("{} line {}: score {score:?} is not a number", path.display(), k + 1))?;
        out.insert(pair.to_string(), score);
    }
    Ok(out)
}

/// A score as the scores file stores it (3 decimals), so that a run compared with a baseline of
/// the very same system differs by exactly nothing.
fn as_stored(v: f64) -> f64 {
    format!("{v:.3}").parse().unwrap_or(v)
}

struct Set {
    name: String,
    samples: Vec<datasets::Sample>,
    probes: Vec<Probe>,
    candidates: Vec<Candidate>,
    failed: Vec<bool>,
    extract_ms: f64,
}

/// `img` without its first `k` rows and columns (the same print on a block grid shifted by `k`).
fn shifted(img: FingerImage, k: u32) -> anyhow::Result<FingerImage> {
    if k == 0 {
        return Ok(img);
    }
    let (w, h) = (img.width(), img.height());
    anyhow::ensure!(w > k && h > k, "a {w}×{h} image cannot be shifted by {k} px");
    let pixels = img.pixels();
    let cropped = (k..h).flat_map(|y| pixels[(y * w + k) as usize..((y + 1) * w) as usize].iter().copied()).collect();
    Ok(FingerImage::new(w - k, h - k, img.dpi(), cropped)?)
}

impl Set {
    /// Calibrated score of samples `i` (probe) and `j` (candidate); `None` when either failed
    /// enrolment (FVC: a ghost template that scores 0, and no comparison is timed).
    fn score(&self, (i, j): Pair) -> Option<f64> {
        (!self.failed[i] && !self.failed[j]).then(|| self.probes[i].compare(&self.candidates[j]).0 as f64)
    }
}

fn load(db: &Path, dpi: Option<u16>, shift: u32) -> anyhow::Result<Set> {
    let dpi = datasets::dpi_for(db, dpi);
    let samples = datasets::samples(db)?;
    let results: Vec<anyhow::Result<(ridgegate_core::Template, f64)>> = samples
        .par_iter()
        .map(|s| {
            let bytes = std::fs::read(&s.path).with_context(|| format!("reading {}", s.path.display()))?;
            if codecs::TemplateFormat::detect(&bytes).is_some() {
                // A template made elsewhere: evaluate the matcher on it (no extraction time).
                anyhow::ensure!(
                    shift == 0,
                    "{} is a template: --shifts needs images (it re-extracts shifted images)",
                    s.path.display()
                );
                let (_, mut views) =
                    codecs::import(&bytes).with_context(|| format!("{} is a corrupt template", s.path.display()))?;
                let template = views.swap_remove(0);
                return Ok((template, 0.0));
            }
            let img = shifted(FingerImage::decode(&bytes, Some(dpi))?, shift)?;
            let t0 = Instant::now();
            let e = ridgegate_extract::extract(&img)?;
            Ok((e.template, t0.elapsed().as_secs_f64() * 1e3))
        })
        .collect();
    let mut probes = Vec::new();
    let mut candidates = Vec::new();
    let mut failed = Vec::new();
    let mut ms = 0.0;
    for r in results {
        let (template, t) = r?;
        ms += t;
        failed.push(template.minutiae.is_empty());
        probes.push(Probe::new(&template));
        candidates.push(Candidate::new(&template));
    }
    let name = db.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let n = samples.len() as f64;
    Ok(Set { name, samples, probes, candidates, failed, extract_ms: ms / n })
}

/// Runs `ridgegate eval`.
pub fn run(args: Args) -> anyhow::Result<()> {
    if args.shifts > 1 {
        return run_shifts(&args);
    }
    let mut scores_out = create(args.scores.as_deref())?;
    let mut evidence_out = create(args.evidence.as_deref())?;
    if let Some(w) = evidence_out.as_mut() {
        writeln!(
            w,
            "set\ta\tb\tkind\tscore\tlocal\tmatched\toverlap_probe\toverlap_candidate\tflow_cells\tflow_agreement\traw"
        )?;
    }
    let baseline = args.baseline.as_deref().map(read_baseline).transpose()?;
    println!(
        "{:<16} {:>5} {:>4} {:>6} {:>7} {:>7} {:>8} {:>8} {:>8} {:>9} {:>9}  {:>13}",
        "set",
        "imgs",
        "FTE",
        "gen",
        "imp",
        "EER%",
        "FMR100%",
        "FMR1000%",
        "ZeroFMR%",
        "extr ms",
        "cmp µs",
        "EER% 90% CI"
    );
    let mut curves = Vec::new();
    let mut sets = Vec::new();
    let mut eers = Vec::new();
    let mut crossings = Vec::new();
    // Per set: bootstrap replicates of the EER, and of the change against the baseline.
    let mut eer_reps: Vec<Vec<f64>> = Vec::new();
    let mut changes: Vec<(String, f64, Vec<f64>)> = Vec::new();
    for db in &args.dbs {
        let set = load(db, args.dpi, 0)?;
        let (genuine_pairs, impostor_pairs) = comparison_pairs(&set, args.impostors);
        // Each comparison is timed inside its worker thread (prebuilt probe and candidate, as in
        // 1:N), so the mean does not grow with idle or oversubscribed threads.
        let score = |&pair: &Pair| -> (f64, Option<f64>) {
            let t0 = Instant::now();
            let s = set.score(pair);
            (s.unwrap_or(0.0), s.map(|_| t0.elapsed().as_secs_f64() * 1e6))
        };
        let (genuine, genuine_us): (Vec<f64>, Vec<Option<f64>>) = genuine_pairs.par_iter().map(score).unzip();
        let (impostor, impostor_us): (Vec<f64>, Vec<Option<f64>>) = impostor_pairs.par_iter().map(score).unzip();
        let times: Vec<f64> = genuine_us.iter().chain(&impostor_us).flatten().copied().collect();
        let per_cmp_us = times.iter().sum::<f64>() / times.len().max(1) as f64;
        let m = Metrics::from_scores(&genuine, &impostor);
        let fte = set.failed.iter().filter(|&&f| f).count();
        let pairs: Vec<(usize, usize)> = genuine_pairs.iter().chain(&impostor_pairs).copied().collect();
        let trials: Vec<Trial> = pairs
            .iter()
            .zip(genuine.iter().chain(&impostor))
            .map(|(&(i, j), &score)| Trial { score, fingers: (set.samples[i].finger, set.samples[j].finger) })
            .collect();
        let reps = eer_replicates(&trials, BOOTSTRAP_REPLICATES, BOOTSTRAP_SEED);
        let ci = Interval::from_replicates(m.eer, &reps, CONFIDENCE);
        eer_reps.push(reps);
        if let (Some(base), Some(path)) = (&baseline, &args.baseline) {
            let mut before = Vec::with_capacity(trials.len());
            for (&(i, j), t) in pairs.iter().zip(&trials) {
                let key = format!("{} {}", set.samples[i].path.display(), set.samples[j].path.display());
                let Some(&score) = base.get(&key) else {
                    anyhow::bail!(
                        "baseline {} has no score for {key}: write it with `eval --scores` on the same --db folders",
                        path.display()
                    );
                };
                before.push(Trial { score, fingers: t.fingers });
            }
            let after: Vec<f64> = trials.iter().map(|t| as_stored(t.score)).collect();
            let before_m = Metrics::from_scores(
                &before[..genuine.len()].iter().map(|t| t.score).collect::<Vec<_>>(),
                &before[genuine.len()..].iter().map(|t| t.score).collect::<Vec<_>>(),
            );
            let after_m = Metrics::from_scores(&after[..genuine.len()], &after[genuine.len()..]);
            let reps = eer_difference_replicates(&before, &after, BOOTSTRAP_REPLICATES, BOOTSTRAP_SEED);
            changes.push((set.name.clone(), after_m.eer - before_m.eer, reps));
        }
        println!(
            "{:<16} {:>5} {:>4} {:>6} {:>7} {:>7.2} {:>8.2} {:>8.2} {:>8.2} {:>9.2} {:>9.1}  {:>6.2}–{:<6.2}",
            set.name,
            set.samples.len(),
            fte,
            m.genuine,
            m.impostor,
            100.0 * m.eer,
            100.0 * m.fmr100,
            100.0 * m.fmr1000,
            100.0 * m.zero_fmr,
            set.extract_ms,
            per_cmp_us,
            100.0 * ci.low,
            100.0 * ci.high
        );
        eers.push(m.eer);
        crossings.push(format!("{} {:.2}–{:.2}", set.name, 100.0 * m.eer_low, 100.0 * m.eer_high));
        let kinds = [(&genuine_pairs, &genuine, "genuine"), (&impostor_pairs, &impostor, "impostor")];
        if let Some(out) = scores_out.as_mut() {
            for (pairs, vals, kind) in kinds {
                for (&(i, j), v) in pairs.iter().zip(vals.iter()) {
                    writeln!(out, "{} {} {v:.3} {kind}", set.samples[i].path.display(), set.samples[j].path.display())?;
                }
            }
        }
        if let Some(out) = evidence_out.as_mut() {
            for (pairs, vals, kind) in kinds {
                let rows: Vec<String> = pairs
                    .par_iter()
                    .zip(vals.par_iter())
                    .map(|(&(i, j), v)| {
                        // A failed enrolment (ghost template) has no evidence: all zero.
                        let e = if set.failed[i] || set.failed[j] {
                            Evidence::default()
                        } else {
                            set.probes[i].evidence(&set.candidates[j])
                        };
                        format!(
                            "{}\t{}\t{}\t{kind}\t{v:.3}\t{:.5}\t{}\t{}\t{}\t{}\t{:.4}\t{:.6}",
                            set.name,
                            set.samples[i].path.display(),
                            set.samples[j].path.display(),
                            e.local,
                            e.matched,
                            e.overlap_probe,
                            e.overlap_candidate,
                            e.flow_cells,
                            e.flow_agreement,
                            e.raw
                        )
                    })
                    .collect();
                for r in rows {
                    writeln!(out, "{r}")?;
                }
            }
        }
        curves.push((set.name.clone(), det_curve(&genuine, &impostor)));
        sets.push(set);
    }
    println!(
        "EER as the FVC protocol computes it: the midpoint of the interval where FMR and FNMR cross (%): {}",
        crossings.join(", ")
    );
    if eers.len() > 1 {
        println!("mean EER over {} sets: {:.2} %", eers.len(), 100.0 * eers.iter().sum::<f64>() / eers.len() as f64);
        let ci = Interval::from_replicates(mean(&eers), &mean_replicates(&eer_reps), CONFIDENCE);
        println!(
            "mean EER {:.0} % CI: {:.2}–{:.2} % (bootstrap over fingers, {BOOTSTRAP_REPLICATES} replicates)",
            100.0 * CONFIDENCE,
            100.0 * ci.low,
            100.0 * ci.high
        );
    }
    if let Some(path) = &args.baseline {
        println!(
            "\nEER change against {} (this run − baseline, percentage points; {:.0} % CI, paired bootstrap over fingers):",
            path.display(),
            100.0 * CONFIDENCE
        );
        let row = |name: &str, ci: Interval| {
            println!("{name:<16} {:>+7.2}   ({:+.2} … {:+.2})", 100.0 * ci.estimate, 100.0 * ci.low, 100.0 * ci.high);
        };
        for (name, change, reps) in &changes {
            row(name, Interval::from_replicates(*change, reps, CONFIDENCE));
        }
        if changes.len() > 1 {
            let delta: Vec<f64> = changes.iter().map(|c| c.1).collect();
            let reps: Vec<Vec<f64>> = changes.iter().map(|c| c.2.clone()).collect();
            row("mean", Interval::from_replicates(mean(&delta), &mean_replicates(&reps), CONFIDENCE));
        }
    }
    if let Some(plot) = &args.plot {
        let named: Vec<(&str, Vec<_>)> = curves.iter().map(|(n, c)| (n.as_str(), c.clone())).collect();
        std::fs::write(plot, det_svg(&named)).with_context(|| format!("writing {}", plot.display()))?;
        println!("DET plot written to {}", plot.display());
    }
    if args.calibrate {
        print_calibration(&sets);
    }
    Ok(())
}

/// Indices of two samples of a set.
type Pair = (usize, usize);

/// Genuine and impostor comparison pairs of a set under the chosen impostor protocol.
fn comparison_pairs(set: &Set, impostors: Impostors) -> (Vec<Pair>, Vec<Pair>) {
    let n = set.samples.len();
    let (mut genuine, mut impostor) = (Vec::new(), Vec::new());
    for i in 0..n {
        for j in i + 1..n {
            let (a, b) = (&set.samples[i], &set.samples[j]);
            if a.finger == b.finger {
                genuine.push((i, j));
            } else if impostors == Impostors::All || (a.impression == 1 && b.impression == 1) {
                impostor.push((i, j));
            }
        }
    }
    (genuine, impostor)
}

/// A buffered writer for an optional output file (`--scores`, `--evidence`).
fn create(path: Option<&Path>) -> anyhow::Result<Option<std::io::BufWriter<std::fs::File>>> {
    path.map(|p| {
        std::fs::File::create(p).map(std::io::BufWriter::new).with_context(|| format!("creating {}", p.display()))
    })
    .transpose()
}

/// `eval --shifts N`: EER per set at every image shift, and the means.
fn run_shifts(args: &Args) -> anyhow::Result<()> {
    if args.scores.is_some()
        || args.baseline.is_some()
        || args.plot.is_some()
        || args.calibrate
        || args.evidence.is_some()
    {
        anyhow::bail!(
            "--shifts prints EERs only: run --scores, --evidence, --baseline, --plot or --calibrate without it"
        );
    }
    let header: String = (0..args.shifts).map(|k| format!(" {:>6}", format!("+{k}px"))).collect();
    println!("EER % per image shift (rows and columns cropped off the top left before extraction)");
    println!("{:<16}{header} {:>7} {:>13}", "set", "mean", "range");
    let mut per_shift_means = vec![0.0; args.shifts as usize];
    for db in &args.dbs {
        let mut eers = Vec::new();
        for k in 0..args.shifts {
            let set = load(db, args.dpi, k)?;
            let (genuine_pairs, impostor_pairs) = comparison_pairs(&set, args.impostors);
            let score = |&pair: &Pair| set.score(pair).unwrap_or(0.0);
            let genuine: Vec<f64> = genuine_pairs.par_iter().map(score).collect();
            let impostor: Vec<f64> = impostor_pairs.par_iter().map(score).collect();
            eers.push(100.0 * Metrics::from_scores(&genuine, &impostor).eer);
        }
        for (acc, e) in per_shift_means.iter_mut().zip(&eers) {
            *acc += e / args.dbs.len() as f64;
        }
        let name = db.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        let cells: String = eers.iter().map(|e| format!(" {e:>6.2}")).collect();
        let (lo, hi) = eers.iter().fold((f64::MAX, f64::MIN), |(lo, hi), &e| (lo.min(e), hi.max(e)));
        println!("{name:<16}{cells} {:>7.2} {:>13}", mean(&eers), format!("{lo:.2}–{hi:.2}"));
    }
    if args.dbs.len() > 1 {
        let cells: String = per_shift_means.iter().map(|e| format!(" {e:>6.2}")).collect();
        println!("{:<16}{cells} {:>7.2}", "mean of sets", mean(&per_shift_means));
    }
    Ok(())
}

fn mean(v: &[f64]) -> f64 {
    v.iter().sum::<f64>() / v.len().max(1) as f64
}

/// Replicate k of the mean over sets = the mean of every set's replicate k. Every set uses the same
/// seed, so replicate k draws the same finger positions everywhere: different sets hold different
/// fingers (independent draws in effect), and sets that share volunteers (FVC2000 DB1/DB2, FVC2002
/// DB1/DB2: same finger IDs) draw the same volunteers, as they should.
fn mean_replicates(per_set: &[Vec<f64>]) -> Vec<f64> {
    let n = per_set.iter().map(Vec::len).min().unwrap_or(0);
    (0..n).map(|k| mean(&per_set.iter().map(|r| r[k]).collect::<Vec<_>>())).collect()
}

/// Impostor raw scores over every cross-finger pair within and across sets, turned into
/// (raw, −10·log10 FMR) knots. Pairs of sets that share volunteers are left out: FVC2002 DB1 × DB2
/// (documented by SourceAFIS's maintainer) and FVC2000 DB1 × DB2 (found here: same finger IDs
/// across the two sets score like genuine pairs — all 153 cross-set pairs above raw 0.06 were
/// same-ID pairs of these two sets).
fn print_calibration(sets: &[Set]) {
    let mut jobs = Vec::new();
    for (a, sa) in sets.iter().enumerate() {
        for (b, sb) in sets.iter().enumerate().skip(a) {
            let shared = |x: &str, y: &str| {
                (x.starts_with("fvc2002_db1") && y.starts_with("fvc2002_db2"))
                    || (x.starts_with("fvc2000_db1") && y.starts_with("fvc2000_db2"))
            };
            if shared(&sa.name, &sb.name) || shared(&sb.name, &sa.name) {
                continue;
            }
            jobs.push((a, b));
        }
    }
    // (raw score, both images from one set, i.e. one sensor)
    let mut raw: Vec<(f32, bool)> = jobs
        .par_iter()
        .flat_map_iter(|&(a, b)| {
            let (sa, sb) = (&sets[a], &sets[b]);
            let mut v = Vec::new();
            for i in 0..sa.samples.len() {
                let start = if a == b { i + 1 } else { 0 };
                for j in start..sb.samples.len() {
                    if a == b && sa.samples[i].finger == sb.samples[j].finger {
                        continue;
                    }
                    v.push((sa.probes[i].raw_score(&sb.candidates[j]), a == b));
                }
            }
            v
        })
        .collect();
    raw.sort_by(|a, b| b.0.total_cmp(&a.0)); // descending
    let within: Vec<f32> = raw.iter().filter(|r| r.1).map(|r| r.0).collect();
    let raw: Vec<f32> = raw.into_iter().map(|r| r.0).collect();
    let n = raw.len();
    let mut knots = Vec::new();
    println!("\n// Calibration from {n} impostor comparisons ({} sets).", sets.len());
    println!("const TABLE: &[(f32, f32)] = &[");
    println!("    (0.0, 0.0),");
    let mut last_raw = 0.0f32;
    let mut k = 1;
    loop {
        let fmr = 10f64.powf(-(k as f64) / 4.0);
        let idx = (fmr * n as f64).floor() as usize;
        if idx == 0 {
            break;
        }
        let r = raw[idx - 1];
        if r > last_raw {
            println!("    ({r:.5}, {:.2}),", -10.0 * fmr.log10());
            knots.push((r, fmr));
            last_raw = r;
        }
        k += 1;
    }
    // Tail: log-linear fit of the top 1 % of impostor scores, extrapolated beyond 1/n.
    let top = (n / 100).max(10).min(n);
    let (mut sx, mut sy, mut sxx, mut sxy) = (0.0, 0.0, 0.0, 0.0);
    for (i, &r) in raw.iter().take(top).enumerate() {
        let y = -10.0 * ((i + 1) as f64 / n as f64).log10();
        let x = r as f64;
        sx += x;
        sy += y;
        sxx += x * x;
        sxy += x * y;
    }
    let t = top as f64;
    let slope = (t * sxy - sx * sy) / (t * sxx - sx * sx);
    println!("    // extrapolated: {slope:.3} score points per raw unit beyond the data");
    let base_score = -10.0 * (1.0 / n as f64).log10();
    for extra in [10.0, 20.0, 40.0] {
        println!("    ({:.5}, {:.2}),", last_raw as f64 + extra / slope, base_score + extra);
    }
    println!("];");
    print_same_sensor_ratio(&knots, &within);
}

/// The ratio of one sensor's impostor FMR (pairs within a set, `within` descending) to the
/// table's FMR at each knot with at least 10 within-set impostors above it: the measurement behind
/// [`calibration::SAME_SENSOR_FMR_FACTOR`], printed as a comment after the table.
fn print_same_sensor_ratio(knots: &[(f32, f64)], within: &[f32]) {
    const MIN_ABOVE: usize = 10;
    let ratios: Vec<(f64, f64)> = knots
        .iter()
        .filter_map(|&(r, fmr)| {
            let above = within.partition_point(|&w| w >= r);
            (above >= MIN_ABOVE).then(|| (-10.0 * fmr.log10(), above as f64 / within.len() as f64 / fmr))
        })
        .collect();
    let Some(&(at, max)) = ratios.iter().max_by(|a, b| a.1.total_cmp(&b.1)) else {
        println!("// one sensor: too few within-set impostor comparisons to compare with the table");
        return;
    };
    let list: Vec<String> = ratios.iter().map(|(s, q)| format!("{s:.1}: {q:.2}")).collect();
    println!(
        "// one sensor ({} within-set impostor comparisons): FMR / table FMR at the knots with ≥ {MIN_ABOVE} above \
         (score: ratio) {}; largest {max:.2} at score {at:.1}; SAME_SENSOR_FMR_FACTOR is {} (must be ≥ the largest)",
        within.len(),
        list.join(", "),
        calibration::SAME_SENSOR_FMR_FACTOR
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shifted_crops_the_top_left_rows_and_columns() {
        let (w, h) = (70u32, 66u32);
        let img = FingerImage::new(w, h, 569, (0..w * h).map(|i| (i % w + 3 * (i / w)) as u8).collect()).unwrap();
        let s = shifted(img.clone(), 2).unwrap();
        assert_eq!((s.width(), s.height(), s.dpi()), (w - 2, h - 2, 569));
        for (x, y) in [(0, 0), (5, 1), (w - 3, h - 3)] {
            assert_eq!(s.at(x, y), img.at(x + 2, y + 2), "pixel ({x}, {y})");
        }
        assert_eq!(shifted(img.clone(), 0).unwrap().pixels(), img.pixels());
        assert!(shifted(img, 3).is_err(), "67×63 is below the smallest image (64×64)");
    }
}
