//! `ridgegate store …`: maintenance of the applicant/template store.

use anyhow::{Context, bail};
use clap::{Args as ClapArgs, Subcommand};
use ridgegate_store::{AccessContext, ApplicantId, RedbStore, Store, StoreKey};
use std::path::PathBuf;

/// Store maintenance: statistics, backup/export, import, integrity check, deletion.
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
    }
    Ok(())
}
