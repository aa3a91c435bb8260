//! Fingerprint scanner abstraction: the [`Scanner`] trait, capture outcomes that keep "try again"
//! ([`CaptureOutcome::Retry`]) apart from real failures ([`CaptureError`]), a device selector
//! ([`open`]) over a static driver table ([`DRIVERS`]). Drivers (virtual scanner, serial EF01
//! modules, USB scanners) each add one module and one [`DriverEntry`] row.
//!
//! Serial EF01 modules (R30x/AS608) speak the protocol in the `firmware-protocol` crate; USB
//! drivers (issue 7) register further [`DriverEntry`] rows.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use ridgegate_core::FingerImage;

pub mod r30x;
pub mod usb;
pub mod virtual_scanner;

/// Cooperative cancellation flag shared between a capture and whoever may abort it.
/// Cloning shares the flag. Thread-safe (atomic); cost of a check is one relaxed load.
#[derive(Debug, Clone, Default)]
pub struct CancelToken(Arc<AtomicBool>);

impl CancelToken {
    /// A fresh, not-cancelled token.
    pub fn new() -> Self {
        Self::default()
    }
    /// Requests cancellation; captures observe it at their next poll.
    pub fn cancel(&self) {
        self.0.store(true, Ordering::Relaxed);
    }
    /// True once [`cancel`](Self::cancel) was called.
    pub fn is_cancelled(&self) -> bool {
        self.0.load(Ordering::Relaxed)
    }
}

/// Why a capture produced no usable image but the user should simply try again.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RetryReason {
    /// No finger was placed before the timeout.
    NoFinger,
    /// Swipe/placement too short.
    TooShort,
    /// Finger not centred on the sensor.
    CenterFinger,
    /// Lift the finger and place it again.
    RemoveFinger,
    /// The image was captured but its quality is too low.
    LowQuality,
}

impl RetryReason {
    /// A short instruction to show the user.
    pub fn hint(self) -> &'static str {
        match self {
            RetryReason::NoFinger => "place a finger on the sensor",
            RetryReason::TooShort => "placement too short, hold the finger still",
            RetryReason::CenterFinger => "centre the finger on the sensor",
            RetryReason::RemoveFinger => "lift the finger and place it again",
            RetryReason::LowQuality => "image quality too low, clean the finger and sensor and retry",
        }
    }
}

/// Result of one capture attempt that did not fail.
#[derive(Debug, Clone, PartialEq)]
pub enum CaptureOutcome {
    /// A usable image.
    Image(FingerImage),
    /// Ask the user to try again.
    Retry(RetryReason),
}

/// A real failure of the device or the link (as opposed to a [`RetryReason`]).
#[derive(Debug, thiserror::Error)]
pub enum CaptureError {
    /// The device disappeared (USB unplugged, serial port gone).
    #[error("device removed or unplugged: {0}; reconnect it and reopen")]
    Unplugged(String),
    /// The device answered something the protocol does not allow.
    #[error("protocol error: {0}; check the cable (serial: baud rate and module address), then reopen the device")]
    Protocol(String),
    /// The device did not answer in time.
    #[error("device did not answer within {0:?}; check power and cabling (serial: baud rate), then retry")]
    Timeout(Duration),
    /// The capture was cancelled through its [`CancelToken`].
    #[error("capture cancelled")]
    Cancelled,
    /// Operating-system I/O error.
    #[error("device I/O failed; check the connection and permissions")]
    Io(#[from] std::io::Error),
    /// The device cannot do what was asked.
    #[error("not supported by this device: {0}")]
    NotSupported(String),
    /// The device is in use by another capture.
    #[error("device busy; wait for the running capture to finish")]
    Busy,
    /// The device delivered pixels that do not form a valid image.
    #[error("the device delivered an invalid image")]
    BadImage(#[from] ridgegate_core::ImageError),
}

/// Identity of an opened device. Plain data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceInfo {
    /// Driver name (the [`DriverEntry::name`]).
    pub driver: &'static str,
    /// Selector that opens this device again (e.g. `serial:/dev/ttyUSB0@57600`).
    pub selector: String,
    /// Human-readable model.
    pub model: String,
}

/// What a device can deliver. Plain data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Capabilities {
    /// Image width in pixels.
    pub width: u32,
    /// Image height in pixels.
    pub height: u32,
    /// Resolution in dots per inch (R30x: 500, the usual assumption for its 256×288 sensor).
    pub dpi: u16,
    /// Bits of grey per pixel actually delivered (R30x over UART: 4).
    pub bits_per_pixel: u8,
    /// Whether the device reports finger presence before capture.
    pub finger_detection: bool,
}

/// A fingerprint capture device. Implementations are `Send` (movable to a worker thread) but not
/// required to be `Sync`: one capture at a time, through `&mut self`.
pub trait Scanner: Send {
    /// Identity of the device. Cheap.
    fn info(&self) -> DeviceInfo;
    /// Image geometry and features. Cheap.
    fn capabilities(&self) -> Capabilities;
    /// Waits up to `timeout` for a finger and captures one image. Blocks; polls `cancel`.
    /// `Ok(Retry(_))` means "ask the user again"; `Err` means the device or link failed.
    fn capture(&mut self, timeout: Duration, cancel: &CancelToken) -> Result<CaptureOutcome, CaptureError>;
}

/// Errors of [`open`].
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    /// The selector names no known driver.
    #[error("unknown device selector {0:?}; expected virtual, virtual:DIR, serial:PATH[@BAUD] or usb:VID:PID")]
    UnknownSelector(String),
    /// The selector is recognised but malformed.
    #[error("bad device selector {0:?}: {1}")]
    BadSelector(String, String),
    /// The driver is known but not available in this build.
    #[error("driver {0} is not available in this build")]
    Unavailable(&'static str),
    /// Opening the device failed.
    #[error(transparent)]
    Device(#[from] CaptureError),
}

/// One row of the static driver table: a selector scheme and its factory.
pub struct DriverEntry {
    /// Scheme before the first `:` (e.g. `virtual`, `serial`, `usb`).
    pub name: &'static str,
    /// One-line description for `ridgegate devices`.
    pub description: &'static str,
    /// Opens a device from the part of the selector after `scheme:` (empty when absent).
    pub open: fn(&str) -> Result<Box<dyn Scanner>, OpenError>,
    /// Lists devices of this driver that are present now, without opening or talking to them
    /// (cost: a directory or bus listing). Drivers that cannot enumerate return an empty list.
    pub discover: fn() -> Vec<DeviceInfo>,
}

/// All drivers compiled into this build, in selector-matching order.
pub static DRIVERS: &[DriverEntry] = &[
    // DRIVERS (one row per driver; keep this marker)
    DriverEntry {
        name: "virtual",
        description: "virtual scanner: synthetic fingers (virtual, virtual:synth:SEED) or a folder (virtual:DIR[@DPI])",
        open: virtual_scanner::open_driver,
        discover: virtual_scanner::discover,
    },
    DriverEntry {
        name: "usb",
        description: "USB scanners (U.are.U 4000B/4500, MS Fingerprint Reader, ...): usb, usb:VID:PID[@BUS.ADDR]",
        open: usb::open_selector,
        discover: usb::discover,
    },
    DriverEntry {
        name: "serial",
        description: "EF01 UART modules (ZFM-20, R305, R307, AS608, R50x): serial:PATH[@BAUD], default 57600",
        open: r30x::open_driver,
        discover: r30x::discover,
    },
];

/// Every driver's [`DriverEntry::discover`] result, in table order, with the driver's row.
/// Cost: one listing per driver.
pub fn discover_all() -> Vec<(&'static DriverEntry, Vec<DeviceInfo>)> {
    DRIVERS.iter().map(|d| (d, (d.discover)())).collect()
}

/// Opens a device from a selector such as `virtual`, `virtual:DIR`. Cost: whatever the driver's
/// open costs (a folder listing for `virtual:DIR`).
pub fn open(selector: &str) -> Result<Box<dyn Scanner>, OpenError> {
    let (scheme, rest) = selector.split_once(':').unwrap_or((selector, ""));
    DRIVERS
        .iter()
        .find(|d| d.name == scheme)
        .ok_or_else(|| OpenError::UnknownSelector(selector.to_string()))
        .and_then(|d| (d.open)(rest))
}
