//! `ridgegate extract IMG... [--dpi N] [--out DIR] [--format F] [--dump DIR] [--force]`.
//!
//! An existing template file is never replaced unless `--force` is given: a template may be the
//! only copy of an enrolment, and the default output folder (next to each image) may hold
//! reference data that must stay untouched.

use anyhow::{Context, bail};
use clap::Args as ClapArgs;
use indicatif::{ParallelProgressIterator, ProgressBar, ProgressStyle};
use rayon::prelude::*;
use ridgegate_core::FingerImage;
use ridgegate_core::codecs::{self, TemplateFormat};
use ridgegate_extract::dump::{StageImage, StageSink};
use std::path::{Path, PathBuf};

/// Extract minutiae templates from fingerprint images (batch: many files, in parallel).
#[derive(ClapArgs)]
pub struct Args {
    /// Images (PNG, TIFF, BMP, JPEG, PGM, WSQ).
    #[arg(required = true)]
    images: Vec<PathBuf>,
    /// Scanner resolution in dpi (default 500; FVC2002 DB2 is 569).
    #[arg(long)]
    dpi: Option<u16>,
    /// Output folder for templates (default: next to each image).
    #[arg(long)]
    out: Option<PathBuf>,
    /// Replace template files that already exist (default: refuse, and report the image as failed).
    #[arg(long)]
    force: bool,
    /// Template format: native (.rgt), iso (.ist), iso2011, ansi, ansi2009, xyt.
    #[arg(long, default_value = "native")]
    format: String,
    /// Write a PNG per pipeline stage for each image into this folder (for inspection).
    #[arg(long)]
    dump: Option<PathBuf>,
}

/// Writes every accepted stage picture as `<stem>-<nn>-<key>.png`.
struct PngDump {
    dir: PathBuf,
    stem: String,
    count: usize,
    error: Option<anyhow::Error>,
}

impl StageSink for PngDump {
    fn accepts(&self, _key: &str) -> bool {
        self.error.is_none()
    }
    fn take(&mut self, key: &str, img: StageImage) {
        self.count += 1;
        let path = self.dir.join(format!("{}-{:02}-{key}.png", self.stem, self.count));
        let result = image::RgbImage::from_raw(img.width, img.height, img.rgb)
            .context("stage picture has an inconsistent size")
            .and_then(|i| i.save(&path).with_context(|| format!("writing {}", path.display())));
        if let Err(e) = result {
            self.error = Some(e);
        }
    }
}

fn extension(format: TemplateFormat) -> &'static str {
    match format {
        TemplateFormat::Native => "rgt",
        TemplateFormat::Iso2005 | TemplateFormat::Iso2011 => "ist",
        TemplateFormat::Ansi2004 | TemplateFormat::Ansi2009 => "ansi",
        TemplateFormat::Xyt => "xyt",
    }
}

/// Runs `ridgegate extract`.
pub fn run(args: Args) -> anyhow::Result<()> {
    let format = TemplateFormat::from_name(&args.format).with_context(|| {
        format!("unknown format {:?}: use native, iso, iso2011, ansi, ansi2009 or xyt", args.format)
    })?;
    for dir in [&args.out, &args.dump].into_iter().flatten() {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    let bar = ProgressBar::new(args.images.len() as u64);
    bar.set_style(ProgressStyle::with_template("{bar:40} {pos}/{len} {elapsed} {msg}").expect("valid template"));
    if args.images.len() < 2 {
        bar.set_draw_target(indicatif::ProgressDrawTarget::hidden());
    }
    let results: Vec<(PathBuf, anyhow::Result<String>)> =
        args.images.par_iter().progress_with(bar).map(|path| (path.clone(), one(path, &args, format))).collect();
    let mut failures = 0;
    for (path, r) in &results {
        match r {
            Ok(line) => println!("{}: {line}", path.display()),
            Err(e) => {
                eprintln!("{}: error: {e:#}", path.display());
                failures += 1;
            }
        }
    }
    if failures > 0 {
        bail!("{failures} of {} images failed", results.len());
    }
    Ok(())
}

/// Writes `bytes` to `out`; without `force` an existing file is an error and stays untouched
/// (the file is created exclusively, so a file appearing meanwhile is not replaced either).
fn write_template(out: &Path, bytes: &[u8], force: bool) -> anyhow::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true);
    if force {
        options.create(true).truncate(true);
    } else {
        options.create_new(true);
    }
    let mut file = match options.open(out) {
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => bail!(
            "{} already exists: not replaced (pass --force to replace it, or --out DIR to write elsewhere)",
            out.display()
        ),
        other => other.with_context(|| format!("creating {}", out.display()))?,
    };
    file.write_all(bytes).with_context(|| format!("writing {}", out.display()))
}

fn one(path: &Path, args: &Args, format: TemplateFormat) -> anyhow::Result<String> {
    let image = FingerImage::load(path, args.dpi)?;
    let stem = path.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_else(|| "image".into());
    let extraction = match &args.dump {
        Some(dir) => {
            let mut sink = PngDump { dir: dir.clone(), stem: stem.clone(), count: 0, error: None };
            let e = ridgegate_extract::extract_with(&image, &mut sink)?;
            if let Some(err) = sink.error {
                return Err(err);
            }
            e
        }
        None => ridgegate_extract::extract(&image)?,
    };
    let bytes = codecs::export(std::slice::from_ref(&extraction.template), format)?;
    let dir = args.out.clone().unwrap_or_else(|| path.parent().map(Path::to_path_buf).unwrap_or_default());
    let out = dir.join(format!("{stem}.{}", extension(format)));
    write_template(&out, &bytes, args.force)?;
    let mut line =
        format!("{} minutiae, quality {} -> {}", extraction.minutia_count, extraction.quality, out.display());
    if let Some(reason) = &extraction.reason {
        line.push_str(&format!(" ({reason})"));
    }
    Ok(line)
}
