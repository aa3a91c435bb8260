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
    /// List scanner drivers and attached scanners (USB by ID table, virtual, serial).
    Devices(cmd::devices::Args),
    /// Capture one fingerprint image from a scanner: `scan --device usb[:VID:PID] --out f.png`.
    Scan(cmd::scan::Args),
    /// Run the admissions service: desk page, registration/confirmation/gate API (127.0.0.1:8080).
    Serve(cmd::serve::Args),
    /// Run a simulated scanner on a pseudo-terminal: `simulate r30x [--images DIR]`.
    Simulate(cmd::simulate::Args),
    /// 1:N search: `identify PROBE --gallery DIR|FILE [--top K] [--threshold S]`, NBIS-style output.
    Identify(cmd::identify::Args),
    /// Degree-photo specification check: `photo check IN.jpg [--annotate out.png] [--json]`.
    Photo(cmd::photo::Args),
    /// Compare two fingerprints (or --pairs FILE) and print calibrated scores.
    Compare(cmd::compare::Args),
    /// Accuracy evaluation on FVC-style sets (EER, FMR100, FMR1000, ZeroFMR, DET plot).
    Eval(cmd::eval::Args),
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
    /// Synthetic fingerprint images (SFinGe-style) or a template-generator timing run.
    Synth(cmd::synth::Args),
    /// Realism check: synthetic vs real score distributions, EER and minutiae statistics.
    Realism(cmd::realism::Args),
}

fn run(command: Command) -> anyhow::Result<()> {
    match command {
        // DISPATCH (one line per subcommand; keep this marker)
        Command::Devices(a) => cmd::devices::run(a),
        Command::Scan(a) => cmd::scan::run(a),
        Command::Serve(a) => cmd::serve::run(a),
        Command::Simulate(a) => cmd::simulate::run(a),
        Command::Identify(a) => cmd::identify::run(a),
        Command::Photo(a) => cmd::photo::run(a),
        Command::Compare(a) => cmd::compare::run(a),
        Command::Eval(a) => cmd::eval::run(a),
        Command::Bench(a) => cmd::bench::run(a),
        Command::Extract(a) => cmd::extract::run(a),
        Command::Info(a) => cmd::info::run(a),
        Command::Convert(a) => cmd::convert::run(a),
        Command::Store(a) => cmd::store::run(a),
        Command::Synth(a) => cmd::synth::run(a),
        Command::Realism(a) => cmd::realism::run(a),
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
