//! `ridgegate devices`: the scanner drivers of this build, their selector syntax, and the devices
//! each driver finds attached right now (USB scanners by their ID tables, …).

use clap::Args as ClapArgs;

/// List supported scanner drivers and attached devices.
#[derive(ClapArgs)]
pub struct Args {
    /// Print attached devices only, one selector per line (for scripts).
    #[arg(long)]
    quiet: bool,
}

/// Runs `ridgegate devices`. Never fails for "nothing attached"; prints what was found.
pub fn run(args: Args) -> anyhow::Result<()> {
    let found = ridgegate_capture::discover_all();
    if args.quiet {
        for (_, devices) in &found {
            for d in devices {
                println!("{}", d.selector);
            }
        }
        return Ok(());
    }
    let mut total = 0;
    for (entry, devices) in &found {
        println!("{}: {}", entry.name, entry.description);
        for d in devices {
            println!("  {}  {}", d.selector, d.model);
        }
        total += devices.len();
    }
    println!("{total} device(s) attached; open one with `ridgegate scan --device SELECTOR --out finger.png`");
    Ok(())
}
