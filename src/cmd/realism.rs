//! `ridgegate realism`: how close the synthetic fingerprints come to real ones, for the README.
//!
//! Runs extraction + the matcher on the real FVC sets (split into sensor sets and the two SFinGe
//! sets FVC shipped), on a synthetic image set made by `crates/synth` in memory (or read from a
//! folder) and on the template-level generator, all with the same protocol: every genuine pair
//! and every impostor pair within a set. Prints the EER and distribution summaries per source, the
//! Kolmogorov–Smirnov distance of each synthetic score distribution to the real one, the minutiae
//! statistics the template generator is fitted to, and writes the score histograms of all sources
//! into one SVG plot.

use super::datasets;
use anyhow::{Context, bail};
use clap::Args as ClapArgs;
use indicatif::{ParallelProgressIterator, ProgressBar};
use rayon::prelude::*;
use ridgegate_core::{FingerImage, Template};
use ridgegate_matcher::eval::Metrics;
use ridgegate_matcher::{Candidate, Probe};
use ridgegate_synth::stats::quantile;
use ridgegate_synth::{
    MinutiaeStats, SynthConfig, SynthModel, TemplateModel, finger_impressions_with, synthetic_templates_with,
};
use std::path::{Path, PathBuf};

/// Compare synthetic and real fingerprints: score distributions, EER, minutiae statistics.
#[derive(ClapArgs)]
pub struct Args {
    /// Folder of the real FVC-style sets, one subfolder per set (dpi per set as in `eval`).
    #[arg(long, default_value = "../shared/fingerprints")]
    real: PathBuf,
    /// Synthetic fingers generated in memory for the image-level comparison; 0 skips images.
    #[arg(long, default_value_t = 100)]
    fingers: u64,
    /// Impressions per synthetic finger.
    #[arg(long, default_value_t = 8)]
    impressions: u32,
    /// Seed of the synthetic images and templates.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Read the synthetic images from this FVC-style folder (500 dpi) instead of generating them.
    #[arg(long)]
    synthetic: Option<PathBuf>,
    /// Fingers (× --impressions) of the template-level generator to match as well; 0 skips it.
    #[arg(long, default_value_t = 100)]
    template_fingers: u64,
    /// Templates of the template-level generator (each model) summarised for the minutiae statistics.
    #[arg(long, default_value_t = 20_000)]
    stat_templates: u64,
    /// Write the genuine/impostor score histograms of every source into this SVG file.
    #[arg(long)]
    plot: Option<PathBuf>,
}

/// Templates of one data source with their finger identities.
struct Group {
    /// Display name.
    name: String,
    /// One template per image, with its finger identity and whether extraction failed.
    items: Vec<(u64, Template, bool)>,
}

/// Genuine and impostor scores of one source.
struct Scores {
    name: String,
    templates: usize,
    fte: usize,
    genuine: Vec<f64>,
    impostor: Vec<f64>,
    /// Per set when the source pools several sets: name, EER, genuine median, impostor median,
    /// mean minutiae count.
    set_eers: Vec<(String, f64, f64, f64, f64)>,
    stats: MinutiaeStats,
}

fn extract_all(images: Vec<(u64, FingerImage)>) -> anyhow::Result<Vec<(u64, Template, bool)>> {
    images
        .into_par_iter()
        .map(|(finger, img)| {
            let e = ridgegate_extract::extract(&img)?;
            Ok((finger, e.template, e.minutia_count == 0))
        })
        .collect()
}

fn load_folder(db: &Path, dpi: u16) -> anyhow::Result<Vec<(u64, FingerImage)>> {
    datasets::samples(db)?.par_iter().map(|s| Ok((s.finger as u64, FingerImage::load(&s.path, Some(dpi))?))).collect()
}

fn generate_images(fingers: u64, impressions: u32, seed: u64) -> anyhow::Result<Vec<(u64, FingerImage)>> {
    let cfg = SynthConfig::default();
    let per_finger: Vec<Vec<(u64, FingerImage)>> = (0..fingers)
        .into_par_iter()
        .progress_with(ProgressBar::new(fingers))
        .map(|f| {
            Ok(finger_impressions_with(&cfg, &SynthModel::REALISTIC, seed, f, impressions)?
                .into_iter()
                .map(|i| (f, i))
                .collect())
        })
        .collect::<anyhow::Result<_>>()?;
    Ok(per_finger.into_iter().flatten().collect())
}

/// Every within-group pair: genuine when the fingers agree. Failed extractions score 0 (FVC).
fn score_group(g: &Group) -> (Vec<f64>, Vec<f64>) {
    let probes: Vec<Probe> = g.items.par_iter().map(|(_, t, _)| Probe::new(t)).collect();
    let cands: Vec<Candidate> = g.items.par_iter().map(|(_, t, _)| Candidate::new(t)).collect();
    let rows: Vec<(Vec<f64>, Vec<f64>)> = (0..g.items.len())
        .into_par_iter()
        .map(|i| {
            let (mut gen_scores, mut imp) = (Vec::new(), Vec::new());
            let (finger_i, _, failed_i) = &g.items[i];
            for ((finger_j, _, failed_j), cand) in g.items.iter().zip(&cands).skip(i + 1) {
                let s = if *failed_i || *failed_j { 0.0 } else { probes[i].compare(cand).0 as f64 };
                if finger_i == finger_j { gen_scores.push(s) } else { imp.push(s) }
            }
            (gen_scores, imp)
        })
        .collect();
    let mut out = (Vec::new(), Vec::new());
    for (a, b) in rows {
        out.0.extend(a);
        out.1.extend(b);
    }
    out
}

/// Scores of several groups pooled into one source (each group's pairs stay within the group).
fn pooled(name: &str, groups: &[Group]) -> Scores {
    let mut s = Scores {
        name: name.into(),
        templates: 0,
        fte: 0,
        genuine: Vec::new(),
        impostor: Vec::new(),
        set_eers: Vec::new(),
        stats: MinutiaeStats::of(groups.iter().flat_map(|g| g.items.iter().map(|(_, t, _)| t))),
    };
    for g in groups {
        let (gen_scores, imp) = score_group(g);
        let count = MinutiaeStats::of(g.items.iter().map(|(_, t, _)| t)).count_mean;
        let eer = Metrics::from_scores(&gen_scores, &imp).eer;
        s.set_eers.push((g.name.clone(), eer, summary(&gen_scores).0, summary(&imp).0, count));
        s.templates += g.items.len();
        s.fte += g.items.iter().filter(|i| i.2).count();
        s.genuine.extend(gen_scores);
        s.impostor.extend(imp);
    }
    s
}

/// Kolmogorov–Smirnov distance (largest CDF gap) between two samples.
fn ks(a: &[f64], b: &[f64]) -> f64 {
    let sorted = |v: &[f64]| {
        let mut v = v.to_vec();
        v.sort_by(|x, y| x.total_cmp(y));
        v
    };
    let (a, b) = (sorted(a), sorted(b));
    if a.is_empty() || b.is_empty() {
        return 1.0;
    }
    let mut d: f64 = 0.0;
    for &x in a.iter().chain(b.iter()) {
        let fa = a.partition_point(|&v| v <= x) as f64 / a.len() as f64;
        let fb = b.partition_point(|&v| v <= x) as f64 / b.len() as f64;
        d = d.max((fa - fb).abs());
    }
    d
}

fn summary(v: &[f64]) -> (f64, f64, f64) {
    let mut s = v.to_vec();
    s.sort_by(|x, y| x.total_cmp(y));
    (quantile(&s, 0.5), quantile(&s, 0.1), quantile(&s, 0.99))
}

/// Runs `ridgegate realism`.
pub fn run(args: Args) -> anyhow::Result<()> {
    if !args.real.is_dir() {
        bail!(
            "real sets folder {} not found; pass --real DIR (the FVC sets in ../shared/fingerprints)",
            args.real.display()
        );
    }
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(&args.real)
        .with_context(|| format!("cannot read {}", args.real.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    let (mut sensor, mut sfinge) = (Vec::new(), Vec::new());
    for d in &dirs {
        let dpi = datasets::dpi_for(d, None);
        let items = extract_all(load_folder(d, dpi)?)?;
        let name = d.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        eprintln!("extracted {} images of {name} at {dpi} dpi", items.len());
        // FVC2000 DB4 and FVC2002 DB4 are SFinGe-generated: keep them apart from the sensor sets.
        if name.contains("_db4") { sfinge.push(Group { name, items }) } else { sensor.push(Group { name, items }) }
    }
    if sensor.is_empty() {
        bail!("no FVC-style sets under {}", args.real.display());
    }
    let synthetic_images = match &args.synthetic {
        Some(dir) => load_folder(dir, 500)?,
        None => {
            eprintln!("generating {} fingers × {} impressions (seed {})", args.fingers, args.impressions, args.seed);
            generate_images(args.fingers, args.impressions, args.seed)?
        }
    };
    let mut sources = vec![pooled("real sensor sets", &sensor)];
    if !sfinge.is_empty() {
        sources.push(pooled("FVC SFinGe sets", &sfinge));
    }
    if !synthetic_images.is_empty() {
        let synth = Group { name: "synthetic images".into(), items: extract_all(synthetic_images)? };
        let name = match &args.synthetic {
            Some(dir) => format!("ours: images {}", dir.display()),
            None => format!("ours: images {}x{}", args.fingers, args.impressions),
        };
        sources.push(pooled(&name, &[synth]));
    }
    if args.template_fingers > 0 {
        let items =
            synthetic_templates_with(TemplateModel::REALISTIC, args.template_fingers, args.impressions, args.seed)
                .map(|t| (t.finger, t.template, false))
                .collect();
        let g = Group { name: "template generator".into(), items };
        sources.push(pooled(&format!("ours: templates {}x{}", args.template_fingers, args.impressions), &[g]));
    }
    print_scores(&sources);
    let stats_of = |model| {
        let fingers = args.stat_templates.div_ceil(8);
        MinutiaeStats::of(
            &synthetic_templates_with(model, fingers, 8, args.seed).map(|t| t.template).collect::<Vec<_>>(),
        )
    };
    print_stats(
        &sources,
        &[
            ("generator REALISTIC", stats_of(TemplateModel::REALISTIC)),
            ("generator CONTROLLED", stats_of(TemplateModel::CONTROLLED)),
        ],
    );
    if let Some(plot) = &args.plot {
        std::fs::write(plot, histogram_svg(&sources)).with_context(|| format!("cannot write {}", plot.display()))?;
        println!("score histograms written to {}", plot.display());
    }
    Ok(())
}

fn print_scores(sources: &[Scores]) {
    let real = &sources[0];
    println!(
        "\n{:<26} {:>6} {:>4} {:>7} {:>8} {:>6} {:>8} {:>8} {:>8} {:>8} {:>7} {:>7}",
        "source",
        "imgs",
        "FTE",
        "genuine",
        "impostor",
        "EER%",
        "gen p10",
        "gen p50",
        "imp p50",
        "imp p99",
        "KS gen",
        "KS imp"
    );
    for s in sources {
        let m = Metrics::from_scores(&s.genuine, &s.impostor);
        let (g50, g10, _) = summary(&s.genuine);
        let (i50, _, i99) = summary(&s.impostor);
        println!(
            "{:<26} {:>6} {:>4} {:>7} {:>8} {:>6.2} {:>8.1} {:>8.1} {:>8.1} {:>8.1} {:>7.3} {:>7.3}",
            s.name,
            s.templates,
            s.fte,
            s.genuine.len(),
            s.impostor.len(),
            100.0 * m.eer,
            g10,
            g50,
            i50,
            i99,
            ks(&s.genuine, &real.genuine),
            ks(&s.impostor, &real.impostor)
        );
        if s.set_eers.len() > 1 {
            let mean = s.set_eers.iter().map(|e| e.1).sum::<f64>() / s.set_eers.len() as f64;
            println!("    mean of per-set EERs {:.2} %", 100.0 * mean);
            for (n, e, g, i, c) in &s.set_eers {
                println!(
                    "    {n:<22} EER {:>5.2} %  genuine p50 {g:>5.1}  impostor p50 {i:>5.1}  minutiae {c:>5.1}",
                    100.0 * e
                );
            }
        }
    }
    println!(
        "(EER on the pooled scores of the source; KS = Kolmogorov-Smirnov distance to the real sensor sets' scores)"
    );
}

fn print_stats(sources: &[Scores], generators: &[(&str, MinutiaeStats)]) {
    println!(
        "\n{:<26} {:>9} {:>14} {:>12} {:>9} {:>9} {:>9} {:>14} {:>8}",
        "minutiae statistics",
        "templates",
        "count mean±sd",
        "NN mean px",
        "NN p10",
        "NN p50",
        "ending %",
        "quality mean±sd",
        "img q"
    );
    let row = |name: &str, s: &MinutiaeStats| {
        println!(
            "{:<26} {:>9} {:>8.1}±{:<5.1} {:>12.1} {:>9.1} {:>9.1} {:>9.1} {:>8.1}±{:<5.1} {:>8.1}",
            name,
            s.templates,
            s.count_mean,
            s.count_sd,
            s.spacing_mean,
            s.spacing_p10,
            s.spacing_median,
            100.0 * s.ending_ratio,
            s.quality_mean,
            s.quality_sd,
            s.image_quality_mean
        );
    };
    for s in sources {
        row(&s.name, &s.stats);
    }
    for (name, s) in generators {
        row(name, s);
    }
    println!("(NN = distance to the nearest other minutia of the same template, px at 500 dpi)");
}

/// Fractions of `v` per score bin of width `BIN` from 0 to `MAX_SCORE` (last bin takes the rest).
fn histogram(v: &[f64]) -> Vec<f64> {
    let bins = (MAX_SCORE / BIN) as usize;
    let mut h = vec![0.0; bins];
    for &s in v {
        h[((s.max(0.0) / BIN) as usize).min(bins - 1)] += 1.0;
    }
    let n = v.len().max(1) as f64;
    h.iter_mut().for_each(|x| *x /= n);
    h
}

/// Histogram bin width in score points.
const BIN: f64 = 5.0;
/// Largest score drawn (higher scores go into the last bin).
const MAX_SCORE: f64 = 300.0;

/// SVG: fraction of comparisons per score bin, log scale (1e-4..1), solid = genuine, dashed = impostor.
fn histogram_svg(sources: &[Scores]) -> String {
    let (w, h, m) = (820.0, 520.0, 60.0);
    let colours = ["#000000", "#7f8c8d", "#c0392b", "#2471a3"];
    let x = |s: f64| m + s / MAX_SCORE * (w - 2.0 * m - 180.0);
    let y = |f: f64| h - m - (f.max(1e-4).log10() + 4.0) / 4.0 * (h - 2.0 * m);
    let mut svg = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{w}\" height=\"{h}\" font-family=\"sans-serif\" font-size=\"12\">\n<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n"
    );
    svg += &format!(
        "<text x=\"{}\" y=\"24\" text-anchor=\"middle\" font-size=\"14\">Genuine (solid) and impostor (dashed) score distributions</text>\n",
        w / 2.0
    );
    for d in 0..=4 {
        let f = 10f64.powi(-d);
        svg += &format!("<line x1=\"{m}\" y1=\"{0}\" x2=\"{1}\" y2=\"{0}\" stroke=\"#ddd\"/>\n", y(f), x(MAX_SCORE));
        svg += &format!("<text x=\"{}\" y=\"{}\" text-anchor=\"end\">1e-{d}</text>\n", m - 6.0, y(f) + 4.0);
    }
    for s in (0..=MAX_SCORE as u32).step_by(50) {
        let sx = x(s as f64);
        svg += &format!("<line x1=\"{sx}\" y1=\"{m}\" x2=\"{sx}\" y2=\"{}\" stroke=\"#ddd\"/>\n", h - m);
        svg += &format!("<text x=\"{sx}\" y=\"{}\" text-anchor=\"middle\">{s}</text>\n", h - m + 16.0);
    }
    svg += &format!(
        "<text x=\"{}\" y=\"{}\" text-anchor=\"middle\">score (−10·log10 FMR), bins of {BIN}</text>\n",
        x(MAX_SCORE / 2.0),
        h - 18.0
    );
    svg += &format!(
        "<text x=\"16\" y=\"{0}\" transform=\"rotate(-90 16 {0})\" text-anchor=\"middle\">fraction of comparisons</text>\n",
        h / 2.0
    );
    for (k, s) in sources.iter().enumerate() {
        let colour = colours[k % colours.len()];
        let eer = Metrics::from_scores(&s.genuine, &s.impostor).eer;
        for (v, dash) in [(&s.genuine, ""), (&s.impostor, " stroke-dasharray=\"5,3\"")] {
            let pts: Vec<String> = histogram(v)
                .iter()
                .enumerate()
                .map(|(i, &f)| format!("{:.1},{:.1}", x((i as f64 + 0.5) * BIN), y(f)))
                .collect();
            svg += &format!(
                "<polyline fill=\"none\" stroke=\"{colour}\" stroke-width=\"1.6\"{dash} points=\"{}\"/>\n",
                pts.join(" ")
            );
        }
        let ly = m + 18.0 * k as f64;
        svg += &format!(
            "<text x=\"{}\" y=\"{}\" fill=\"{colour}\">{} (EER {:.2} %)</text>\n",
            x(MAX_SCORE) + 10.0,
            ly + 4.0,
            s.name,
            100.0 * eer
        );
    }
    svg += "</svg>\n";
    svg
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ks_distance() {
        assert_eq!(ks(&[1.0, 2.0, 3.0], &[1.0, 2.0, 3.0]), 0.0);
        assert_eq!(ks(&[1.0, 2.0], &[5.0, 6.0]), 1.0);
        assert!((ks(&[1.0, 2.0, 3.0, 4.0], &[3.0, 4.0, 5.0, 6.0]) - 0.5).abs() < 1e-12);
    }

    #[test]
    fn histogram_fractions_sum_to_one() {
        let h = histogram(&[0.0, 1.0, 7.0, 500.0, -2.0]);
        assert!((h.iter().sum::<f64>() - 1.0).abs() < 1e-12);
        assert_eq!(h[0], 0.6);
        assert_eq!(*h.last().unwrap(), 0.2);
    }
}
