//! The USB transport trait: the only place where USB I/O happens. Protocol state machines
//! ([`super::protocol`]) never touch it; the [`super::runner`] executes their requests on it.
//! Implementations: [`super::rusb_transport::RusbTransport`] (libusb) and
//! [`super::fake::ScriptedTransport`] (tests).

use std::time::Duration;

use crate::CaptureError;

/// The 8-byte SETUP packet of a control transfer without `wLength` (which follows from the
/// buffer). Plain data.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ControlSetup {
    /// `bmRequestType` (direction | type | recipient), e.g. 0xC0 = vendor device-to-host.
    pub request_type: u8,
    /// `bRequest`.
    pub request: u8,
    /// `wValue` (register number for the register-style vendor protocols).
    pub value: u16,
    /// `wIndex`.
    pub index: u16,
}

/// Failure of one USB transfer. Plain data; converts into [`CaptureError`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TransportError {
    /// The transfer did not complete within its timeout (the transfer was cancelled).
    #[error("USB transfer timed out after {0:?}")]
    Timeout(Duration),
    /// The device is gone (unplugged, reset or powered off).
    #[error("USB device disconnected")]
    Disconnected,
    /// The endpoint answered STALL (the device rejected the request).
    #[error("USB endpoint {0:#04x} stalled")]
    Stall(u8),
    /// The device sent more bytes than were requested.
    #[error("USB endpoint {0:#04x} sent more data than requested")]
    Overflow(u8),
    /// The device could not be found when opening it.
    #[error("no USB device {0}")]
    NotFound(String),
    /// The OS denied access to the device node.
    #[error("access to USB device denied ({0}); run as root or add a udev rule granting access")]
    Access(String),
    /// Any other libusb/OS error.
    #[error("USB I/O error: {0}")]
    Io(String),
}

impl From<TransportError> for CaptureError {
    fn from(e: TransportError) -> Self {
        match e {
            TransportError::Timeout(d) => CaptureError::Timeout(d),
            TransportError::Disconnected => CaptureError::Unplugged("USB device disconnected".into()),
            TransportError::NotFound(what) => CaptureError::Unplugged(format!("no USB device {what}")),
            TransportError::Stall(_) | TransportError::Overflow(_) => CaptureError::Protocol(e.to_string()),
            TransportError::Access(_) | TransportError::Io(_) => CaptureError::Io(std::io::Error::other(e.to_string())),
        }
    }
}

/// Synchronous USB transfers on one claimed interface of one device.
///
/// Every call blocks until the transfer completes, fails or times out. Implementations must be
/// `Send + Sync`: the runner issues an interrupt-IN and a bulk-IN from helper threads while the
/// protocol's control transfers run on the calling thread (libusb supports this). Cost: one USB
/// round trip per call.
pub trait UsbTransport: Send + Sync {
    /// Control transfer device-to-host; returns the bytes received (at most `len`).
    fn control_in(&self, setup: ControlSetup, len: u16, timeout: Duration) -> Result<Vec<u8>, TransportError>;
    /// Control transfer host-to-device; returns the number of bytes sent.
    fn control_out(&self, setup: ControlSetup, data: &[u8], timeout: Duration) -> Result<usize, TransportError>;
    /// Bulk IN of up to `len` bytes on `endpoint` (0x80 bit set); a short read is not an error.
    fn bulk_in(&self, endpoint: u8, len: usize, timeout: Duration) -> Result<Vec<u8>, TransportError>;
    /// Bulk OUT of `data` on `endpoint`; returns the number of bytes sent.
    fn bulk_out(&self, endpoint: u8, data: &[u8], timeout: Duration) -> Result<usize, TransportError>;
    /// Interrupt IN of up to `len` bytes on `endpoint`.
    fn interrupt_in(&self, endpoint: u8, len: usize, timeout: Duration) -> Result<Vec<u8>, TransportError>;
}
