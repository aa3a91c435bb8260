//! `ridgegate store …`: maintenance of the applicant/template store.

use anyhow::{Context, bail};
use clap::{Args as ClapArgs, Subcommand};
use indicatif::{ProgressBar, ProgressStyle};
use rayon::prelude::*;
use ridgegate_core::{FingerImage, FingerPosition};
use ridgegate_store::{AccessContext, ApplicantId, CapturedView, RedbStore, Store, StoreKey, TemplateUpdate};
use std::collections::BTreeSet;
use std::path::PathBuf;

/// Store maintenance: statistics, backup/export, import, integrity check, deletion, re-extraction.
#[derive(ClapArgs)]
pub struct Args {
    #[command(subcommand)]
    command: StoreCommand,
}

/// Where the database is and how to unlock it.
#[derive(ClapArgs)]
struct DbArgs {
    /// Path of the redb database file.
    #[arg(long)]
    db: PathBuf,
    /// File holding the 64-hex-digit store key (default: the RIDGEGATE_STORE_KEY environment variable).
    #[arg(long)]
    key_file: Option<PathBuf>,
    /// Operator ID recorded in the audit log.
    #[arg(long, default_value = "cli-admin")]
    operator: String,
}

impl DbArgs {
    fn open(&self) -> anyhow::Result<RedbStore> {
        let key = match &self.key_file {
            Some(p) => StoreKey::from_file(p).with_context(|| format!("reading key file {}", p.display()))?,
            None => StoreKey::from_env()?,
        };
        RedbStore::open(&self.db, key).with_context(|| format!("opening store {}", self.db.display()))
    }
    fn ctx(&self) -> AccessContext {
        AccessContext::cli_admin(self.operator.clone())
    }
}

#[derive(Subcommand)]
enum StoreCommand {
    /// Print record counts.
    Stats(DbArgs),
    /// Write a consistent snapshot (one applicant or all) to a file; records stay encrypted.
    Export {
        #[command(flatten)]
        db: DbArgs,
        /// Output file.
        #[arg(long)]
        out: PathBuf,
        /// Export only this applicant.
        #[arg(long)]
        applicant: Option<String>,
    },
    /// Import an export file made with the same key (all or nothing).
    Import {
        #[command(flatten)]
        db: DbArgs,
        /// Export file to read.
        #[arg(long = "in")]
        input: PathBuf,
    },
    /// Decrypt and decode every record and verify the audit hash chain.
    VerifyIntegrity(DbArgs),
    /// Delete an applicant and all their data (data-protection request); audited.
    Delete {
        #[command(flatten)]
        db: DbArgs,
        /// Applicant ID to delete.
        #[arg(long)]
        applicant: String,
        /// Confirm the deletion (required).
        #[arg(long)]
        yes: bool,
    },
    /// Print a new random store key (64 hex digits) for RIDGEGATE_STORE_KEY or --key-file.
    GenerateKey,
    /// Re-extract, from their stored source images, the templates of every enrolled view made by an
    /// older extractor version than this build's (templates are kept across years; a newer
    /// extractor's gains reach enrolled applicants only this way). One transaction per applicant,
    /// audited; a view without a source image, or whose image no longer gives minutiae, keeps its
    /// template. Run it while the service is stopped (the database file is locked by one process);
    /// restart the service afterwards to rebuild its gallery. Stopped halfway (error, interrupt),
    /// it can simply be run again: applicants already done are current and are skipped.
    Reextract {
        #[command(flatten)]
        db: DbArgs,
        /// Only count what would be re-extracted; write nothing.
        #[arg(long)]
        dry_run: bool,
    },
}

/// Runs `ridgegate store …`.
pub fn run(args: Args) -> anyhow::Result<()> {
    match args.command {
        StoreCommand::Stats(db) => {
            let s = db.open()?.stats()?;
            println!("{}", serde_json::to_string_pretty(&s)?);
        }
        StoreCommand::Export { db, out, applicant } => {
            let store = db.open()?;
            let id = applicant.map(ApplicantId::new).transpose()?;
            let mut file = std::io::BufWriter::new(
                std::fs::File::create(&out).with_context(|| format!("creating {}", out.display()))?,
            );
            let st = store.export(&db.ctx(), id.as_ref(), &mut file)?;
            println!("exported {} applicants, {} records to {}", st.applicants, st.records, out.display());
        }
        StoreCommand::Import { db, input } => {
            let store = db.open()?;
            let mut file = std::io::BufReader::new(
                std::fs::File::open(&input).with_context(|| format!("opening {}", input.display()))?,
            );
            let st = store.import(&db.ctx(), &mut file)?;
            println!("imported {} applicants, {} records", st.applicants, st.records);
        }
        StoreCommand::VerifyIntegrity(db) => {
            let rep = db.open()?.verify_integrity()?;
            println!(
                "ok: {} records, {} templates, {} audit entries verified",
                rep.records_checked, rep.templates_checked, rep.audit_entries_checked
            );
        }
        StoreCommand::Delete { db, applicant, yes } => {
            if !yes {
                bail!("deleting {applicant} removes all their data for good: repeat with --yes to confirm");
            }
            let store = db.open()?;
            store.delete_applicant(&db.ctx(), &ApplicantId::new(applicant.clone())?)?;
            println!("deleted applicant {applicant}");
        }
        StoreCommand::GenerateKey => println!("{}", StoreKey::generate().to_hex()),
        StoreCommand::Reextract { db, dry_run } => {
            let store = db.open()?;
            let r = reextract(&store, &db.ctx(), dry_run)?;
            let verb = if dry_run { "would re-extract" } else { "re-extracted" };
            println!(
                "extractor version {}: {} enrolled views of {} applicants; {} already current, {verb} {} ({} applicants), \
                 {} without a source image and {} whose image gave no template kept theirs, {} from a newer extractor left alone",
                ridgegate_extract::ALGORITHM_VERSION,
                r.views,
                r.applicants,
                r.current,
                r.reextracted,
                r.applicants_changed,
                r.without_image,
                r.failed,
                r.newer
            );
        }
    }
    Ok(())
}

/// Counts of a [`reextract`] run (views unless named otherwise).
#[derive(Debug, Default, PartialEq, Eq)]
struct Reextraction {
    applicants: usize,
    views: usize,
    current: usize,
    newer: usize,
    reextracted: usize,
    applicants_changed: usize,
    without_image: usize,
    failed: usize,
}

/// What re-extracting one stale view gave.
enum ViewOutcome {
    Update(Box<TemplateUpdate>),
    WithoutImage,
    Failed,
}

/// Re-extracts every view whose template comes from an older extractor than this build's, one
/// applicant (one transaction) at a time; views of an applicant are extracted in parallel. The
/// stale applicants are found from one audited load of all templates, so applicants whose
/// templates are current cost no image decryption. Cost: one extraction (≈ 10–15 ms) per stale view.
fn reextract(store: &dyn Store, ctx: &AccessContext, dry_run: bool) -> anyhow::Result<Reextraction> {
    let current = ridgegate_extract::ALGORITHM_VERSION;
    let mut r = Reextraction::default();
    let all = store.load_templates(ctx).context("loading the enrolled templates")?;
    let mut applicants = BTreeSet::new();
    let mut stale = BTreeSet::new();
    for t in &all {
        applicants.insert(t.applicant.clone());
        r.views += 1;
        match t.template.algorithm_version.cmp(&current) {
            std::cmp::Ordering::Equal => r.current += 1,
            std::cmp::Ordering::Greater => r.newer += 1,
            std::cmp::Ordering::Less => {
                stale.insert(t.applicant.clone());
            }
        }
    }
    r.applicants = applicants.len();
    drop(all);
    // Hours for a large store (one extraction per stale view): show progress on stderr.
    let bar = ProgressBar::new(stale.len() as u64);
    bar.set_style(ProgressStyle::with_template("{bar:40} {pos}/{len} applicants {elapsed} eta {eta}")?);
    for id in &stale {
        bar.inc(1);
        // Deleted meanwhile: nothing to do.
        let Some(e) = store.enrollment_with_images(ctx, id).with_context(|| format!("reading applicant {id}"))? else {
            continue;
        };
        let views: Vec<(FingerPosition, u8, &CapturedView)> = e
            .fingers
            .iter()
            .flat_map(|f| f.views.iter().enumerate().map(move |(i, v)| (f.finger, i as u8, v)))
            .filter(|(_, _, v)| v.template.algorithm_version < current)
            .collect();
        let outcomes: Vec<ViewOutcome> =
            views.par_iter().map(|&(finger, view, v)| reextracted_view(finger, view, v)).collect();
        let mut updates = Vec::new();
        for o in outcomes {
            match o {
                ViewOutcome::Update(u) => updates.push(*u),
                ViewOutcome::WithoutImage => r.without_image += 1,
                ViewOutcome::Failed => r.failed += 1,
            }
        }
        r.reextracted += updates.len();
        r.applicants_changed += usize::from(!updates.is_empty());
        if !dry_run && !updates.is_empty() {
            store
                .replace_templates(ctx, id, &updates, &format!("re-extracted with extractor version {current}"))
                .with_context(|| format!("writing the re-extracted templates of applicant {id}"))?;
        }
    }
    bar.finish_and_clear();
    Ok(r)
}

/// The view's template re-extracted from its source image (at the template's dpi), if it has an
/// image that still gives minutiae.
fn reextracted_view(finger: FingerPosition, view: u8, v: &CapturedView) -> ViewOutcome {
    if v.image_png.is_empty() {
        return ViewOutcome::WithoutImage;
    }
    let extraction = FingerImage::decode(&v.image_png, Some(v.template.dpi))
        .map_err(|e| e.to_string())
        .and_then(|img| ridgegate_extract::extract(&img).map_err(|e| e.to_string()));
    match extraction {
        Ok(x) if x.reason.is_none() => {
            ViewOutcome::Update(Box::new(TemplateUpdate { finger, view, old: v.template.clone(), new: x.template }))
        }
        Ok(x) => {
            tracing::warn!(%finger, view, reason = x.reason.as_deref().unwrap_or(""), "re-extraction gave no template; kept the old one");
            ViewOutcome::Failed
        }
        Err(e) => {
            tracing::warn!(%finger, view, error = %e, "source image unusable; kept the old template");
            ViewOutcome::Failed
        }
    }
}
