//! `ridgegate serve`: the admissions service (registration, confirmation desk, exam gate, desk web
//! page). On a fresh machine it needs no configuration: data in `./data` (store key and
//! tokens created there, mode 0600), the virtual scanner with synthetic fingers, 127.0.0.1:8080.

use anyhow::{Context, bail};
use clap::Args as ClapArgs;
use ridgegate_admissions::{Config, ServeOptions};
use std::net::SocketAddr;
use std::path::PathBuf;

/// Run the admissions service (desk page at /desk/, API at /api/, OpenAPI at /api/openapi.json).
#[derive(ClapArgs)]
pub struct Args {
    /// Data folder: store.redb, admissions.redb, tokens.txt (and store.key when no key is given).
    #[arg(long, default_value = "data")]
    data: PathBuf,
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:8080")]
    bind: SocketAddr,
    /// Store key file (64 hex digits); default RIDGEGATE_STORE_KEY, then DATA/store.key (created if missing).
    #[arg(long)]
    key_file: Option<PathBuf>,
    /// Token file (`ROLE ACTOR STATION TOKEN` per line); default DATA/tokens.txt (created if missing).
    #[arg(long)]
    tokens: Option<PathBuf>,
    /// Scanner: virtual (synthetic fingers), virtual:DIR[@DPI], virtual:synth:SEED, serial:PATH[@BAUD], usb:VID:PID, or none.
    #[arg(long, default_value = "virtual")]
    scanner: String,
    /// Eligibility cut-off for the bachelor's degree date, YYYY-MM-DD (the notice: end of March 2017).
    #[arg(long, default_value = "2017-03-31")]
    bachelor_cutoff: String,
    /// Quality (0-100) a desk capture needs without a retry.
    #[arg(long)]
    quality_threshold: Option<u8>,
    /// Retries per capture slot before the best attempt is taken or the finger restarts.
    #[arg(long)]
    max_retries: Option<u32>,
    /// Enrollment year recorded (default: the current year).
    #[arg(long)]
    year: Option<u16>,
    /// Register a demo applicant (DEMO-0001) with a synthetic photo, to walk the desk flow.
    #[arg(long)]
    demo: bool,
}

fn parse_date(s: &str) -> anyhow::Result<ridgegate_store::Date> {
    let p: Vec<&str> = s.split('-').collect();
    if p.len() != 3 {
        bail!("--bachelor-cutoff {s:?} is not YYYY-MM-DD");
    }
    let n = |i: usize| p[i].parse::<u16>().with_context(|| format!("--bachelor-cutoff {s:?} is not YYYY-MM-DD"));
    Ok(ridgegate_store::Date::new(n(0)?, n(1)? as u8, n(2)? as u8)?)
}

/// Runs the service until Ctrl-C or SIGTERM.
pub fn run(a: Args) -> anyhow::Result<()> {
    let mut config = Config { bachelor_cutoff: parse_date(&a.bachelor_cutoff)?, ..Config::default() };
    if let Some(q) = a.quality_threshold {
        if q > 100 {
            bail!("--quality-threshold {q} is above 100");
        }
        config.quality_threshold = q;
    }
    if let Some(r) = a.max_retries {
        config.max_retries = r;
    }
    if let Some(y) = a.year {
        config.enrollment_year = y;
    }
    let opts = ServeOptions {
        data_dir: a.data,
        bind: a.bind,
        key_file: a.key_file,
        tokens_file: a.tokens,
        scanner: a.scanner,
        demo: a.demo,
        config,
    };
    ridgegate_admissions::serve(opts)?;
    Ok(())
}
