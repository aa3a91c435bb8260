//! Writes masters and impressions of a few fingers to a directory for visual inspection:
//! `cargo run --release -p ridgegate-synth --example preview -- /tmp/synth 4 3`.

use ridgegate_synth::{SynthConfig, fvc_name, impression, master_fingerprint, master_image};
use std::time::Instant;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let dir = std::path::PathBuf::from(args.get(1).map(String::as_str).unwrap_or("/tmp/synth"));
    let fingers: u64 = args.get(2).map(|s| s.parse()).transpose()?.unwrap_or(4);
    let per: u32 = args.get(3).map(|s| s.parse()).transpose()?.unwrap_or(3);
    std::fs::create_dir_all(&dir)?;
    let cfg = SynthConfig::default();
    for f in 0..fingers {
        let t = Instant::now();
        let m = master_fingerprint(&cfg, 7, f)?;
        let tm = t.elapsed();
        std::fs::write(dir.join(format!("master_{}.png", f + 1)), master_image(&m)?.to_png())?;
        let t = Instant::now();
        for i in 0..per {
            std::fs::write(dir.join(fvc_name(f, i)), impression(&m, &cfg, 7, f, i)?.to_png())?;
        }
        println!("finger {} {:?}: master {:?}, {} impressions {:?}", f + 1, m.model.class, tm, per, t.elapsed());
    }
    Ok(())
}
