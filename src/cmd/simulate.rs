//! `ridgegate simulate r30x [--images DIR]`: runs a simulated EF01 fingerprint module on a
//! pseudo-terminal and prints the device path on stdout's first line; any serial client (or
//! `ridgegate scan --device serial:PATH`) can then talk to it as to a real R30x/AS608.

use std::io::Write;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context;
use clap::{Args as ClapArgs, ValueEnum};
use ridgegate_capture::r30x::sim::{Faults, SimModule, Simulator};
use ridgegate_capture::virtual_scanner::{VirtualScanner, VirtualSource};

/// Which device to simulate.
#[derive(Clone, Copy, ValueEnum)]
pub enum Model {
    /// ZFM-20 / R305 / R307 / AS608 (EF01 protocol, 256×288 sensor).
    R30x,
}

/// Run a simulated scanner on a pseudo-terminal.
#[derive(ClapArgs)]
pub struct Args {
    /// Device to simulate.
    model: Model,
    /// Serve fingers from this folder (images are resampled to 256×288 at 500 dpi); default: synthetic fingers.
    #[arg(long)]
    images: Option<PathBuf>,
    /// Resolution of the folder's images (FVC2002 DB1: 500, DB2: 569, …).
    #[arg(long)]
    dpi: Option<u16>,
    /// Seed of the synthetic fingers.
    #[arg(long, default_value_t = ridgegate_capture::virtual_scanner::DEFAULT_SEED)]
    seed: u64,
    /// Fault: no finger ever arrives (GenImg answers 02).
    #[arg(long)]
    no_finger: bool,
    /// Fault: smudged finger (washed-out images; GetImageEx 07, Img2Tz rejects them).
    #[arg(long)]
    bad_quality: bool,
    /// Fault: corrupt the checksum of every Nth packet sent.
    #[arg(long)]
    corrupt_every: Option<u32>,
    /// Fault: delay every answer by this many milliseconds.
    #[arg(long, default_value_t = 0)]
    delay_ms: u64,
    /// Pace the module's output to this baud rate like a real UART (a pty is otherwise instant).
    #[arg(long)]
    pace_baud: Option<u32>,
    /// Stop after this many seconds (default: run until killed).
    #[arg(long)]
    duration: Option<f64>,
}

/// Runs `ridgegate simulate`.
pub fn run(args: Args) -> anyhow::Result<()> {
    let Model::R30x = args.model;
    let source = match &args.images {
        Some(dir) => VirtualSource::Folder { dir: dir.clone(), dpi: args.dpi },
        None => VirtualSource::synthetic(args.seed),
    };
    let scanner = VirtualScanner::new(source).context("cannot open the image source")?;
    let (sim, path) = Simulator::spawn_pty(SimModule::new(scanner)).context("cannot start the simulator")?;
    sim.control().set_faults(Faults {
        no_finger: args.no_finger,
        bad_quality: args.bad_quality,
        corrupt_every: args.corrupt_every,
        response_delay: Duration::from_millis(args.delay_ms),
        pace_baud: args.pace_baud,
        ..Faults::default()
    });
    println!("{path}");
    std::io::stdout().flush()?;
    eprintln!(
        "simulated R30x module (address FFFFFFFF, password 0) on {path}; try: ridgegate scan --device serial:{path}"
    );
    match args.duration {
        Some(s) if s.is_finite() && s >= 0.0 => {
            std::thread::sleep(Duration::from_secs_f64(s));
            let stats = sim.control().stats();
            sim.stop().context("simulator failed")?;
            eprintln!("served {} commands, {} images, {} packets", stats.commands, stats.images, stats.packets_sent);
            Ok(())
        }
        Some(_) => anyhow::bail!("--duration must be a non-negative number of seconds"),
        None => sim.wait().context("simulator failed"),
    }
}
