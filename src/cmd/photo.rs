//! `ridgegate photo check IN.jpg [--annotate out.png] [--json] [--no-face-required]`: degree-photo specification check.
//! Exit code 0 when the photo passes (warnings allowed), 1 when it fails or cannot be read.

use anyhow::{Context, bail};
use clap::{Args as ClapArgs, Subcommand};
use ridgegate_photo::{PhotoRules, Verdict, annotate, check};
use std::path::PathBuf;

/// Degree-photo tools.
#[derive(ClapArgs)]
pub struct Args {
    #[command(subcommand)]
    command: PhotoCommand,
}

#[derive(Subcommand)]
enum PhotoCommand {
    /// Check a JPEG against the degree-photo spec (390 w x 567 h, 300 dpi, blue background, head size).
    Check(CheckArgs),
}

#[derive(ClapArgs)]
struct CheckArgs {
    /// The photo (JPEG).
    input: PathBuf,
    /// Write the photo with the measured head box drawn on it (PNG).
    #[arg(long)]
    annotate: Option<PathBuf>,
    /// Print the full report as JSON instead of a table.
    #[arg(long)]
    json: bool,
    /// Report the face rules (one_face, frontal_pose) as warnings instead of failures: for
    /// synthetic test portraits, which have no face. Never for applicants' photos.
    #[arg(long)]
    no_face_required: bool,
}

/// Runs `ridgegate photo ...`. Fails (exit 1) when the photo violates any rule or cannot be read.
pub fn run(args: Args) -> anyhow::Result<()> {
    match args.command {
        PhotoCommand::Check(a) => run_check(a),
    }
}

fn run_check(a: CheckArgs) -> anyhow::Result<()> {
    let bytes = std::fs::read(&a.input).with_context(|| format!("cannot read {}", a.input.display()))?;
    let rules = PhotoRules { require_face: !a.no_face_required, ..PhotoRules::default() };
    let report = check(&bytes, &rules).with_context(|| format!("{}", a.input.display()))?;
    if a.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        for r in &report.rules {
            let v = match r.verdict {
                Verdict::Pass => "PASS",
                Verdict::Warn => "WARN",
                Verdict::Fail => "FAIL",
            };
            println!("{v}  {:<20} measured {:<40} expected {}", r.rule, r.measured, r.expected);
        }
        if let Some(b) = report.head_box {
            println!(
                "head box: x {}..{} (width {} px), crown y {} .. chin y {} (length {} px)",
                b.left,
                b.right,
                b.width(),
                b.crown,
                b.chin,
                b.length()
            );
        }
        for f in &report.faces {
            println!("face: x {} y {} size {} px, score {:.1}", f.x, f.y, f.width, f.score);
        }
        if let Some(c) = report.chin_source {
            println!("chin from: {c:?}");
        }
    }
    if let Some(out) = &a.annotate {
        let img = annotate(&bytes, &report)?;
        img.save_with_format(out, image::ImageFormat::Png)
            .with_context(|| format!("cannot write {}", out.display()))?;
    }
    if !report.passed {
        let n = report.failures().count();
        bail!("{}: photo fails the degree-photo spec ({n} rule(s) failed, listed above)", a.input.display());
    }
    if !a.json {
        // Keep --json output a single JSON document.
        println!("{}: photo passes", a.input.display());
    }
    Ok(())
}
