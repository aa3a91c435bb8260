//! `ridgegate compare A B` and `ridgegate compare --pairs FILE`.

use anyhow::{Context, bail};
use clap::Args as ClapArgs;
use ridgegate_core::codecs;
use ridgegate_core::{FingerImage, Template};
use ridgegate_matcher::{Candidate, Probe};
use std::collections::HashMap;
use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};

/// Compare two fingerprints (images or templates) and print the score and estimated FMR.
#[derive(ClapArgs)]
pub struct Args {
    /// Probe (image or template).
    a: Option<PathBuf>,
    /// Candidate (image or template).
    b: Option<PathBuf>,
    /// Batch mode: a file of lines `A B`; prints `A B score` per line.
    #[arg(long)]
    pairs: Option<PathBuf>,
    /// Resolution of image inputs (default 500).
    #[arg(long)]
    dpi: Option<u16>,
}

/// Loads a template file (any supported format; first view) or extracts one from an image.
fn load(path: &Path, dpi: Option<u16>) -> anyhow::Result<Template> {
    let bytes = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
    if codecs::TemplateFormat::detect(&bytes).is_some() {
        let (_, mut views) =
            codecs::import(&bytes).with_context(|| format!("{} is a corrupt template", path.display()))?;
        return Ok(views.swap_remove(0));
    }
    let img = FingerImage::decode(&bytes, dpi)
        .with_context(|| format!("{} is neither a template nor an image", path.display()))?;
    Ok(ridgegate_extract::extract(&img)?.template)
}

/// Runs `ridgegate compare`.
pub fn run(args: Args) -> anyhow::Result<()> {
    match (&args.a, &args.b, &args.pairs) {
        (Some(a), Some(b), None) => {
            let s = Probe::new(&load(a, args.dpi)?).compare(&Candidate::new(&load(b, args.dpi)?));
            // The table's FMR is the pool's; impostors captured on one sensor reach a score up to
            // SAME_SENSOR_FMR_FACTOR times as often (see `calibration`).
            println!(
                "score {s} (estimated FMR {:.2e}; up to {:.2e} among impostors captured on one sensor)",
                s.fmr(),
                (s.fmr() * ridgegate_matcher::calibration::SAME_SENSOR_FMR_FACTOR).min(1.0)
            );
            Ok(())
        }
        (None, None, Some(file)) => batch(file, args.dpi),
        _ => bail!("give two files (ridgegate compare A B) or --pairs FILE"),
    }
}

fn batch(file: &Path, dpi: Option<u16>) -> anyhow::Result<()> {
    let reader =
        std::io::BufReader::new(std::fs::File::open(file).with_context(|| format!("cannot open {}", file.display()))?);
    let mut cache: HashMap<String, (Probe, Candidate)> = HashMap::new();
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    for (n, line) in reader.lines().enumerate() {
        let line = line?;
        let fields: Vec<&str> = line.split_whitespace().collect();
        if fields.is_empty() {
            continue;
        }
        if fields.len() != 2 {
            bail!("{}:{}: expected `A B`, got {line:?}", file.display(), n + 1);
        }
        for f in &fields {
            if !cache.contains_key(*f) {
                let t = load(Path::new(f), dpi).with_context(|| format!("{}:{}", file.display(), n + 1))?;
                cache.insert(f.to_string(), (Probe::new(&t), Candidate::new(&t)));
            }
        }
        let s = cache[fields[0]].0.compare(&cache[fields[1]].1);
        writeln!(out, "{} {} {:.3}", fields[0], fields[1], s.0)?;
    }
    Ok(())
}
