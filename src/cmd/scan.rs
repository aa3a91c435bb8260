//! `ridgegate scan --device SELECTOR --out finger.png`: captures one fingerprint image from a
//! scanner (`virtual…`, `serial:…`, `usb`, `usb:VID:PID[@BUS.ADDR]`), asking again on retry
//! outcomes (no finger, too short, off-centre…) up to `--attempts` times.

use anyhow::{Context, bail};
use clap::Args as ClapArgs;
use ridgegate_capture::{CancelToken, CaptureOutcome, Scanner};
use std::path::PathBuf;
use std::time::Duration;

/// Capture one fingerprint image.
#[derive(ClapArgs)]
pub struct Args {
    /// Device selector (see `ridgegate devices`), e.g. `usb`, `usb:05ba:000a`, `virtual`.
    #[arg(long, default_value = "usb")]
    device: String,
    /// Output image (PNG, 8-bit grey).
    #[arg(long)]
    out: PathBuf,
    /// Seconds to wait for a finger per attempt.
    #[arg(long, default_value_t = 30.0)]
    timeout: f64,
    /// Attempts before giving up when the scanner asks to retry.
    #[arg(long, default_value_t = 3)]
    attempts: u32,
    /// USB only: fixed first image-key seed (hex) instead of a random one; for replaying
    /// recorded U.are.U traffic, whose key exchange depends on it.
    #[arg(long, value_parser = parse_hex_u32)]
    seed: Option<u32>,
}

fn parse_hex_u32(s: &str) -> Result<u32, String> {
    u32::from_str_radix(s.trim_start_matches("0x"), 16).map_err(|e| format!("{s:?} is not a hex u32: {e}"))
}

fn open(args: &Args) -> anyhow::Result<Box<dyn Scanner>> {
    let scheme = args.device.split(':').next().unwrap_or("");
    if let Some(seed) = args.seed {
        if scheme != "usb" {
            bail!("--seed applies to usb devices only");
        }
        let rest = args.device.strip_prefix("usb").unwrap_or("").trim_start_matches(':');
        let mut opts = ridgegate_capture::usb::parse_selector(rest)
            .map_err(|e| anyhow::anyhow!("bad device selector {:?}: {e}", args.device))?;
        opts.seed = Some(seed);
        return Ok(Box::new(ridgegate_capture::usb::open_usb(&opts)?));
    }
    Ok(ridgegate_capture::open(&args.device)?)
}

/// Runs `ridgegate scan`. Errors (device missing or failing, all attempts asked to retry,
/// unwritable output) exit non-zero with the reason.
pub fn run(args: Args) -> anyhow::Result<()> {
    if !(args.timeout > 0.0 && args.timeout.is_finite()) {
        bail!("--timeout must be a positive number of seconds");
    }
    let mut scanner = open(&args).with_context(|| format!("cannot open {}", args.device))?;
    let info = scanner.info();
    let caps = scanner.capabilities();
    eprintln!("{} ({}): place a finger on the sensor", info.model, info.selector);
    let cancel = CancelToken::new();
    for attempt in 1..=args.attempts.max(1) {
        match scanner.capture(Duration::from_secs_f64(args.timeout), &cancel)? {
            CaptureOutcome::Image(img) => {
                std::fs::write(&args.out, img.to_png())
                    .with_context(|| format!("cannot write {}", args.out.display()))?;
                println!(
                    "{}: {}x{} px, {} dpi, {} bit sensor, from {}",
                    args.out.display(),
                    img.width(),
                    img.height(),
                    img.dpi(),
                    caps.bits_per_pixel,
                    info.selector
                );
                return Ok(());
            }
            CaptureOutcome::Retry(reason) => eprintln!("attempt {attempt}/{}: {}", args.attempts, reason.hint()),
        }
    }
    bail!("no usable image after {} attempts", args.attempts)
}
