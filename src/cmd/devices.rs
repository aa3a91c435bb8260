//! `ridgegate devices`: the scanner drivers of this build, their selector syntax, and the devices
//! each driver finds attached right now (USB scanners by their ID tables, …).

use clap::Args as ClapArgs;

/// List supported scanner drivers and attached devices.
#[derive(ClapArgs)]
pub struct Args {
    /// Print attached devices only, one selector per line (for scripts).
    #[arg(long)]
    quiet: bool,
    /// Print every supported USB scanner model (the drivers' USB ID tables) instead.
    #[arg(long, conflicts_with = "quiet")]
    supported: bool,
}

/// Runs `ridgegate devices`. Never fails for "nothing attached"; prints what was found.
pub fn run(args: Args) -> anyhow::Result<()> {
    if args.supported {
        for driver in ridgegate_capture::usb::USB_DRIVERS {
            for id in driver.ids {
                println!("usb:{:04x}:{:04x}  {:<12} {}", id.vid, id.pid, driver.name, id.model);
            }
        }
        return Ok(());
    }
    // One driver's failing enumeration (e.g. a library that panics when /sys/class/tty is
    // missing) must not hide the others' devices.
    let found: Vec<_> = ridgegate_capture::DRIVERS
        .iter()
        .map(|entry| {
            let devices = std::panic::catch_unwind(entry.discover).unwrap_or_else(|_| {
                eprintln!("{}: device discovery failed; its devices are not listed", entry.name);
                Vec::new()
            });
            (entry, devices)
        })
        .collect();
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
