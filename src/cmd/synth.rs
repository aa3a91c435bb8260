//! `ridgegate synth`: synthetic fingerprint impressions (SFinGe-style) or, with `--templates`,
//! a timing run of the template-level generator used by the 1:N benchmarks.

use anyhow::{Context, bail};
use clap::{Args as ClapArgs, ValueEnum};
use indicatif::{ParallelProgressIterator, ProgressBar, ProgressStyle};
use rayon::prelude::*;
use ridgegate_synth::{
    SynthConfig, SynthModel, TemplateModel, finger_impressions_with, finger_templates_with, fvc_name,
};
use std::path::PathBuf;
use std::time::Instant;

/// How impressions vary (see `ridgegate_synth::SynthModel`).
#[derive(Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum Model {
    /// Fitted to the real FVC sensor sets: some impressions are hard to match, as in real life.
    Realistic,
    /// Cooperative user on a clean sensor: every impression of a finger matches.
    Controlled,
}

/// Generate synthetic fingerprint images (FVC naming `<finger>_<impression>.png`, 500 dpi).
#[derive(ClapArgs)]
pub struct Args {
    /// Number of distinct fingers.
    #[arg(long, default_value_t = 10)]
    fingers: u64,
    /// Impressions per finger (at most 64).
    #[arg(long, default_value_t = 8)]
    impressions: u32,
    /// Seed; the same seed gives the same images on every run and thread count.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Output directory (created if missing). Required unless --templates.
    #[arg(long)]
    out: Option<PathBuf>,
    /// Image width in pixels.
    #[arg(long, default_value_t = 300)]
    width: u32,
    /// Image height in pixels.
    #[arg(long, default_value_t = 400)]
    height: u32,
    /// Impression model.
    #[arg(long, value_enum, default_value = "realistic")]
    model: Model,
    /// Instead of images, generate fingers × impressions minutiae templates in memory and report
    /// the rate and minutiae statistics (nothing is written).
    #[arg(long)]
    templates: bool,
}

/// Runs `ridgegate synth`.
pub fn run(args: Args) -> anyhow::Result<()> {
    if args.templates {
        return run_templates(&args);
    }
    let Some(out) = &args.out else { bail!("--out DIR is required to write images") };
    let config = SynthConfig { width: args.width, height: args.height };
    let model = match args.model {
        Model::Realistic => SynthModel::REALISTIC,
        Model::Controlled => SynthModel::CONTROLLED,
    };
    config.validate()?;
    std::fs::create_dir_all(out).with_context(|| format!("cannot create {}", out.display()))?;
    let bar = ProgressBar::new(args.fingers);
    bar.set_style(ProgressStyle::with_template("{bar:40} {pos}/{len} fingers {elapsed} eta {eta}")?);
    let start = Instant::now();
    (0..args.fingers).into_par_iter().progress_with(bar).try_for_each(|finger| {
        let images = finger_impressions_with(&config, &model, args.seed, finger, args.impressions)?;
        for (i, img) in images.iter().enumerate() {
            let path = out.join(fvc_name(finger, i as u32));
            std::fs::write(&path, img.to_png()).with_context(|| format!("cannot write {}", path.display()))?;
        }
        anyhow::Ok(())
    })?;
    let secs = start.elapsed().as_secs_f64();
    println!(
        "{} images ({} fingers × {}) in {} in {secs:.1} s ({:.3} s/finger wall, {} threads)",
        args.fingers * args.impressions as u64,
        args.fingers,
        args.impressions,
        out.display(),
        secs / args.fingers.max(1) as f64,
        rayon::current_num_threads()
    );
    Ok(())
}

fn run_templates(args: &Args) -> anyhow::Result<()> {
    let model = match args.model {
        Model::Realistic => TemplateModel::REALISTIC,
        Model::Controlled => TemplateModel::CONTROLLED,
    };
    let start = Instant::now();
    // Fingers are independent: rayon across fingers, each finger's templates summed in place.
    let (n, minutiae, endings) = (0..args.fingers)
        .into_par_iter()
        .map(|f| {
            let mut acc = (0u64, 0u64, 0u64);
            for t in finger_templates_with(&model, args.seed, f, args.impressions) {
                let m = &t.template.minutiae;
                acc.0 += 1;
                acc.1 += m.len() as u64;
                acc.2 += m.iter().filter(|m| m.kind == ridgegate_core::MinutiaKind::Ending).count() as u64;
            }
            acc
        })
        .reduce(|| (0, 0, 0), |a, b| (a.0 + b.0, a.1 + b.1, a.2 + b.2));
    let secs = start.elapsed().as_secs_f64();
    println!(
        "{n} templates in {secs:.2} s ({:.0}/s, {} threads); {:.1} minutiae/template, {:.0} % endings",
        n as f64 / secs.max(1e-9),
        rayon::current_num_threads(),
        minutiae as f64 / n.max(1) as f64,
        100.0 * endings as f64 / minutiae.max(1) as f64
    );
    Ok(())
}
