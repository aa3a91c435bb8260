//! `ridgegate convert IN OUT [--to FORMAT]`: template format conversion.

use anyhow::{Context, anyhow, bail};
use clap::Args as ClapArgs;
use ridgegate_core::codecs::{self, TemplateFormat, XytOptions};
use std::path::{Path, PathBuf};

/// Convert a template between native, ISO 19794-2, ANSI 378 and xyt formats.
///
/// Multi-view ISO/ANSI records converted to a single-view format (native, xyt) are written as
/// one file per view: OUT with `_<view>` before the extension.
#[derive(ClapArgs)]
pub struct Args {
    /// Input template (format detected from content).
    input: PathBuf,
    /// Output file.
    output: PathBuf,
    /// Output format: native, iso, iso2011, ansi, ansi2009, xyt. Default: from OUT's extension
    /// (.rgt native, .iso/.ist iso, .ansi ansi, .xyt xyt).
    #[arg(long)]
    to: Option<String>,
    /// Image width for xyt input (default: largest x + 1).
    #[arg(long)]
    width: Option<u16>,
    /// Image height for xyt input (default: largest y + 1).
    #[arg(long)]
    height: Option<u16>,
    /// Resolution for xyt input (default 500).
    #[arg(long)]
    dpi: Option<u16>,
}

fn format_from_extension(path: &Path) -> Option<TemplateFormat> {
    match path.extension()?.to_str()?.to_ascii_lowercase().as_str() {
        "rgt" => Some(TemplateFormat::Native),
        "iso" | "ist" => Some(TemplateFormat::Iso2005),
        "ansi" => Some(TemplateFormat::Ansi2004),
        "xyt" => Some(TemplateFormat::Xyt),
        _ => None,
    }
}

/// Runs `ridgegate convert`.
pub fn run(args: Args) -> anyhow::Result<()> {
    let to = match &args.to {
        Some(name) => TemplateFormat::from_name(name)
            .ok_or_else(|| anyhow!("unknown format {name:?}: use native, iso, iso2011, ansi, ansi2009 or xyt"))?,
        None => format_from_extension(&args.output).ok_or_else(|| {
            anyhow!(
                "cannot tell the output format from {:?}: pass --to native|iso|iso2011|ansi|ansi2009|xyt",
                args.output
            )
        })?,
    };
    let bytes = std::fs::read(&args.input).with_context(|| format!("cannot read {}", args.input.display()))?;
    let opts = XytOptions { width: args.width, height: args.height, dpi: args.dpi };
    let (from, views) = codecs::import_with(&bytes, opts)
        .with_context(|| format!("{} is not a valid template", args.input.display()))?;
    if to != TemplateFormat::Native && views.iter().any(|v| v.ridge_flow.is_some()) {
        // Standard formats have no place for it; the matcher then scores without ridge-flow evidence.
        eprintln!(
            "note: {to} cannot hold the ridge flow of native templates: it is dropped (scores of the converted \
             template lose the ridge-flow evidence; keep the native file for matching)"
        );
    }
    let single_view = matches!(to, TemplateFormat::Native | TemplateFormat::Xyt);
    if single_view && views.len() > 1 {
        for (i, v) in views.iter().enumerate() {
            let out = numbered(&args.output, i);
            write(&out, &codecs::export(std::slice::from_ref(v), to)?)?;
            println!("{} ({from}, view {i}) -> {} ({to})", args.input.display(), out.display());
        }
    } else {
        if views.is_empty() {
            bail!("{} holds no finger view", args.input.display());
        }
        write(&args.output, &codecs::export(&views, to)?)?;
        println!("{} ({from}, {} view(s)) -> {} ({to})", args.input.display(), views.len(), args.output.display());
    }
    Ok(())
}

fn numbered(path: &Path, i: usize) -> PathBuf {
    let stem = path.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
    let name = match path.extension() {
        Some(ext) => format!("{stem}_{i}.{}", ext.to_string_lossy()),
        None => format!("{stem}_{i}"),
    };
    path.with_file_name(name)
}

fn write(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    std::fs::write(path, bytes).with_context(|| format!("cannot write {}", path.display()))
}
