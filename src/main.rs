//! `ridgegate` command-line interface.
//!
//! Every subcommand lives in its own module under `src/cmd/`. Errors are printed as
//! `error: <message>` with the cause chain, and the process exits non-zero.

mod cmd;

use clap::{Parser, Subcommand};

/// RidgeGate: fingerprint capture, extraction, matching and the admissions service.
#[derive(Parser)]
#[command(name = "ridgegate", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    // SUBCOMMANDS (one line per subcommand; keep this marker)
    /// Benchmarks on real data (extract; more to come).
    Bench(cmd::bench::Args),
    /// Extract minutiae templates from fingerprint images.
    Extract(cmd::extract::Args),
    /// Say what files are: image size/dpi, or template format, views and minutiae.
    Info(cmd::info::Args),
    /// Convert templates between native, ISO 19794-2, ANSI 378 and xyt.
    Convert(cmd::convert::Args),
    /// Store maintenance: stats, export, import, verify-integrity, delete, generate-key.
    Store(cmd::store::Args),
}

fn run(command: Command) -> anyhow::Result<()> {
    match command {
        // DISPATCH (one line per subcommand; keep this marker)
        Command::Bench(a) => cmd::bench::run(a),
        Command::Extract(a) => cmd::extract::run(a),
        Command::Info(a) => cmd::info::run(a),
        Command::Convert(a) => cmd::convert::run(a),
        Command::Store(a) => cmd::store::run(a),
    }
}

fn main() -> std::process::ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    match run(cli.command) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
