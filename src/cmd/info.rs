//! `ridgegate info FILE...`: says what each file is (image or template) and what it holds.

use anyhow::{Context, bail};
use clap::Args as ClapArgs;
use ridgegate_core::FingerImage;
use ridgegate_core::codecs::{self, TemplateFormat};
use std::path::PathBuf;

/// Describe fingerprint images and templates.
#[derive(ClapArgs)]
pub struct Args {
    /// Files to describe (images: PNG, TIFF, BMP, JPEG, PGM, WSQ; templates: native, ISO, ANSI, xyt).
    #[arg(required = true)]
    files: Vec<PathBuf>,
    /// Resolution to assume for images whose files do not state a trustworthy one.
    #[arg(long)]
    dpi: Option<u16>,
}

/// Runs `ridgegate info`. Fails (non-zero exit) if any file is unreadable or unrecognised,
/// after describing all the others.
pub fn run(args: Args) -> anyhow::Result<()> {
    let mut failures = 0;
    for path in &args.files {
        match describe(path, args.dpi) {
            Ok(text) => println!("{}: {text}", path.display()),
            Err(e) => {
                eprintln!("{}: error: {e:#}", path.display());
                failures += 1;
            }
        }
    }
    if failures > 0 {
        bail!("{failures} of {} files could not be identified", args.files.len());
    }
    Ok(())
}

fn describe(path: &PathBuf, dpi: Option<u16>) -> anyhow::Result<String> {
    let bytes = std::fs::read(path).with_context(|| "cannot read file")?;
    if let Some(format) = TemplateFormat::detect(&bytes) {
        let (_, views) = codecs::import(&bytes).with_context(|| format!("corrupt {}", format.description()))?;
        let mut s = format!("{}, {} bytes, {} view(s)", format.description(), bytes.len(), views.len());
        for (i, t) in views.iter().enumerate() {
            s.push_str(&format!(
                "\n  view {i}: finger {} (code {}), quality {}, {} minutiae, image {}x{} px at {} dpi, algorithm version {}",
                t.finger,
                t.finger.code(),
                t.quality,
                t.minutiae.len(),
                t.width,
                t.height,
                t.dpi,
                t.algorithm_version
            ));
            match &t.ridge_flow {
                Some(f) => s.push_str(&format!(
                    ", ridge flow {}x{} cells of {} px ({} with an orientation)",
                    f.columns,
                    f.rows,
                    f.cell,
                    f.valid_cells()
                )),
                None => s.push_str(", no ridge flow"),
            }
        }
        return Ok(s);
    }
    let is_wsq = ridgegate_core::wsq::is_wsq(&bytes);
    let kind = if is_wsq { "WSQ".to_string() } else { image_format_name(&bytes) };
    let img = FingerImage::decode(&bytes, dpi).context("neither a template nor a readable image")?;
    // Only a WSQ NISTCOM comment is trusted for dpi; other headers (FVC TIFFs say 1x1) are not.
    let from_file = is_wsq && ridgegate_core::wsq::decode(&bytes).is_ok_and(|w| w.ppi.is_some());
    let dpi_source = match (dpi, from_file) {
        (Some(_), _) => "",
        (None, true) => " (from the file's NISTCOM comment)",
        (None, false) => " (assumed; pass --dpi to state it)",
    };
    Ok(format!("{kind} image, {}x{} px, 8-bit grey, {} dpi{dpi_source}", img.width(), img.height(), img.dpi()))
}

fn image_format_name(bytes: &[u8]) -> String {
    match image::guess_format(bytes) {
        Ok(f) => format!("{f:?}").to_uppercase(),
        Err(_) => "unknown".into(),
    }
}
