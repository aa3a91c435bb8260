//! USB fingerprint scanners (issue 7): a transport trait ([`transport::UsbTransport`]) with a
//! libusb implementation ([`rusb_transport::RusbTransport`]) and a scripted fake
//! ([`fake::ScriptedTransport`]); per-driver protocol state machines without I/O
//! ([`protocol::UsbProtocol`]); a runner that executes them ([`runner::run_session`]); one static
//! USB ID table per driver (supporting a new ID = one line in that table).
//!
//! Selector syntax: `usb` (first supported scanner found), `usb:VID:PID` (hex, e.g.
//! `usb:05ba:000a`), optionally `@BUS.ADDR` to pick one of several identical scanners.
//!
//! Drivers: [`uru4000`] (DigitalPersona U.are.U 4000/4000B/4500, Microsoft readers v1/v2),
//! [`aes3500`] (AuthenTec AES3500), [`upektc_img`] (UPEK TouchChip coprocessor), [`elan`] (ELAN
//! swipe sensors), [`egis0570`] (EgisTec 0570/0571). Swipe drivers stitch frames with
//! [`assembling`]; image post-processing that must match the reference stack bit for bit lives
//! in [`imageops`].
//!
//! Proof of the drivers: `crates/capture/tests/usb_replay.rs` replays real devices' recorded
//! traffic through this exact code under `umockdev-run` and compares with the reference images
//! pixel for pixel (7 recordings); `tests/usb_faults.rs` drives the same code through unplug,
//! timeout, stall, cancellation and garbage scenarios on a scripted fake transport.

pub mod aes2501;
pub mod aes3500;
pub mod assembling;
pub mod egis0570;
pub mod elan;
pub mod fake;
pub mod imageops;
pub mod params;
pub mod protocol;
pub mod runner;
pub mod rusb_transport;
pub mod transport;
pub mod upektc_img;
pub mod uru4000;

use std::sync::Arc;
use std::time::Duration;

use ridgegate_core::FingerImage;

use crate::{CancelToken, Capabilities, CaptureError, CaptureOutcome, DeviceInfo, OpenError, Scanner};
use protocol::{SeedSource, SessionOutcome, UsbProtocol};
use rusb_transport::{RusbTransport, UsbAddress};
use transport::UsbTransport;

/// One supported USB ID. Plain data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UsbId {
    /// Vendor ID.
    pub vid: u16,
    /// Product ID.
    pub pid: u16,
    /// Driver-specific variant (device profile) index.
    pub variant: u8,
    /// Marketing name.
    pub model: &'static str,
}

/// A USB driver: its ID table, its geometry and a factory for capture sessions.
pub struct UsbDriver {
    /// Driver name (e.g. `uru4000`).
    pub name: &'static str,
    /// Supported USB IDs.
    pub ids: &'static [UsbId],
    /// Image geometry for a given ID.
    pub capabilities: fn(&UsbId) -> Capabilities,
    /// A fresh protocol state machine for one capture session.
    pub session: fn(&UsbId, SeedSource) -> Box<dyn UsbProtocol>,
}

/// All USB drivers compiled in. Discovery matches attached devices against their ID tables.
pub static USB_DRIVERS: &[&UsbDriver] = &[
    &uru4000::DRIVER,
    &aes3500::DRIVER,
    &upektc_img::DRIVER,
    &elan::DRIVER,
    &egis0570::DRIVER,
    &aes2501::DRIVER,
    // USB_DRIVERS (one line per driver; keep this marker)
];

/// Finds the driver and table row for a USB ID.
pub fn lookup(vid: u16, pid: u16) -> Option<(&'static UsbDriver, &'static UsbId)> {
    USB_DRIVERS.iter().find_map(|d| d.ids.iter().find(|id| id.vid == vid && id.pid == pid).map(|id| (*d, id)))
}

/// Options of [`open_usb`].
#[derive(Debug, Clone, Default)]
pub struct UsbOptions {
    /// Vendor/product ID to open; `None` = the first supported scanner.
    pub id: Option<(u16, u16)>,
    /// Bus number and address, to choose between identical scanners.
    pub location: Option<(u8, u8)>,
    /// Fixed first key seed (replay tests); `None` = from OS entropy.
    pub seed: Option<u32>,
}

/// A supported scanner that is attached. Plain data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttachedScanner {
    /// Bus location and IDs.
    pub address: UsbAddress,
    /// Driver name.
    pub driver: &'static str,
    /// Model from the ID table.
    pub model: &'static str,
}

impl AttachedScanner {
    /// Selector that opens exactly this device.
    pub fn selector(&self) -> String {
        format!("usb:{:04x}:{:04x}@{}.{}", self.address.vid, self.address.pid, self.address.bus, self.address.address)
    }
}

/// Lists attached scanners that some USB driver supports. Cost: one bus enumeration.
pub fn attached() -> Result<Vec<AttachedScanner>, CaptureError> {
    Ok(rusb_transport::list_devices()?
        .into_iter()
        .filter_map(|a| {
            lookup(a.vid, a.pid).map(|(d, id)| AttachedScanner { address: a, driver: d.name, model: id.model })
        })
        .collect())
}

/// [`crate::DriverEntry::discover`] for the `usb` scheme: attached scanners as [`DeviceInfo`]s
/// (empty when USB cannot be enumerated).
pub fn discover() -> Vec<DeviceInfo> {
    attached()
        .unwrap_or_default()
        .into_iter()
        .map(|s| DeviceInfo { driver: "usb", selector: s.selector(), model: format!("{} ({})", s.model, s.driver) })
        .collect()
}

/// Parses the part of a selector after `usb:`: empty, `VID:PID`, optionally `@BUS.ADDR`.
pub fn parse_selector(rest: &str) -> Result<UsbOptions, String> {
    let mut opts = UsbOptions::default();
    if rest.is_empty() {
        return Ok(opts);
    }
    let (ids, loc) = match rest.split_once('@') {
        Some((i, l)) => (i, Some(l)),
        None => (rest, None),
    };
    let (v, p) = ids.split_once(':').ok_or("expected VID:PID in hex, e.g. usb:05ba:000a")?;
    let hex = |s: &str| u16::from_str_radix(s, 16).map_err(|_| format!("{s:?} is not a 16-bit hex number"));
    opts.id = Some((hex(v)?, hex(p)?));
    if let Some(l) = loc {
        let (b, a) = l.split_once('.').ok_or("expected @BUS.ADDR, e.g. @1.50")?;
        let dec = |s: &str| s.parse::<u8>().map_err(|_| format!("{s:?} is not a bus/address number"));
        opts.location = Some((dec(b)?, dec(a)?));
    }
    Ok(opts)
}

/// Opens a USB scanner. Errors: no such/unsupported device, access denied, interface busy.
pub fn open_usb(opts: &UsbOptions) -> Result<UsbScanner, OpenError> {
    if let Some((vid, pid)) = opts.id
        && lookup(vid, pid).is_none()
    {
        return Err(OpenError::Device(CaptureError::NotSupported(format!(
            "USB device {vid:04x}:{pid:04x} is not in any driver's ID table (see `ridgegate devices`)"
        ))));
    }
    let candidates = attached()?;
    let found = candidates
        .into_iter()
        .find(|s| {
            opts.id.is_none_or(|(v, p)| s.address.vid == v && s.address.pid == p)
                && opts.location.is_none_or(|(b, a)| s.address.bus == b && s.address.address == a)
        })
        .ok_or_else(|| {
            OpenError::Device(CaptureError::Unplugged(match opts.id {
                Some((v, p)) => format!("no USB scanner {v:04x}:{p:04x} attached"),
                None => "no supported USB scanner attached".into(),
            }))
        })?;
    let transport = RusbTransport::open(found.address).map_err(CaptureError::from)?;
    let (driver, id) = lookup(found.address.vid, found.address.pid)
        .ok_or_else(|| OpenError::Device(CaptureError::NotSupported("device vanished from the table".into())))?;
    let seeds = opts.seed.map_or_else(SeedSource::from_entropy, SeedSource::fixed);
    Ok(UsbScanner::new(Arc::new(transport), driver, id, found.selector(), seeds))
}

/// [`crate::DriverEntry::open`] for the `usb` scheme.
pub fn open_selector(rest: &str) -> Result<Box<dyn Scanner>, OpenError> {
    let opts = parse_selector(rest).map_err(|e| OpenError::BadSelector(format!("usb:{rest}"), e))?;
    Ok(Box::new(open_usb(&opts)?))
}

/// A USB scanner: a transport plus the driver that speaks to it. Each [`Scanner::capture`] runs
/// one full session (power up, wait for finger, capture, power down). `Send`, one capture at a
/// time.
pub struct UsbScanner {
    transport: Arc<dyn UsbTransport>,
    driver: &'static UsbDriver,
    id: &'static UsbId,
    selector: String,
    seeds: SeedSource,
}

impl UsbScanner {
    /// Wraps an opened transport (any implementation: libusb, fake) with a driver.
    pub fn new(
        transport: Arc<dyn UsbTransport>,
        driver: &'static UsbDriver,
        id: &'static UsbId,
        selector: String,
        seeds: SeedSource,
    ) -> Self {
        UsbScanner { transport, driver, id, selector, seeds }
    }

    /// Runs one session and returns the driver's image as produced (before dpi is attached).
    pub fn capture_raw(&mut self, timeout: Duration, cancel: &CancelToken) -> Result<SessionOutcome, CaptureError> {
        let seeds = SeedSource::fixed(self.seeds.next_seed());
        let mut session = (self.driver.session)(self.id, seeds);
        runner::run_session(self.transport.as_ref(), session.as_mut(), timeout, cancel)
    }
}

impl Scanner for UsbScanner {
    fn info(&self) -> DeviceInfo {
        DeviceInfo {
            driver: "usb",
            selector: self.selector.clone(),
            model: format!("{} ({})", self.id.model, self.driver.name),
        }
    }

    fn capabilities(&self) -> Capabilities {
        (self.driver.capabilities)(self.id)
    }

    fn capture(&mut self, timeout: Duration, cancel: &CancelToken) -> Result<CaptureOutcome, CaptureError> {
        match self.capture_raw(timeout, cancel)? {
            SessionOutcome::Retry(r) => Ok(CaptureOutcome::Retry(r)),
            SessionOutcome::Image(img) => {
                let dpi = self.capabilities().dpi;
                Ok(CaptureOutcome::Image(FingerImage::new(img.width, img.height, dpi, img.pixels)?))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn selectors_parse() {
        assert_eq!(parse_selector("").unwrap().id, None);
        let o = parse_selector("05ba:000a@1.50").unwrap();
        assert_eq!(o.id, Some((0x05ba, 0x000a)));
        assert_eq!(o.location, Some((1, 50)));
        assert!(parse_selector("05ba").is_err());
        assert!(parse_selector("zz:000a").is_err());
        assert!(parse_selector("05ba:000a@x").is_err());
    }

    #[test]
    fn id_tables_have_no_duplicates() {
        let mut seen = std::collections::HashSet::new();
        for d in USB_DRIVERS {
            for id in d.ids {
                assert!(seen.insert((id.vid, id.pid)), "{:04x}:{:04x} listed twice", id.vid, id.pid);
            }
        }
        assert!(lookup(0x05ba, 0x000a).is_some());
    }
}
