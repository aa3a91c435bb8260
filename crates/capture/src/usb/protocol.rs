//! The vocabulary shared by all USB protocol state machines: what a driver asks for
//! ([`UsbRequest`]), what it gets back ([`UsbReply`]), how it ends ([`SessionOutcome`]).
//! A protocol is a plain state machine ([`UsbProtocol::next`]) without I/O, so its tests run on
//! byte vectors and the same code drives libusb, a scripted fake or a umockdev replay.

use std::hash::{BuildHasher, Hasher};
use std::time::Duration;

use super::transport::ControlSetup;
use crate::{CaptureError, RetryReason};

/// How long an [`UsbRequest::AwaitInterrupt`] may wait.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Wait {
    /// A protocol-defined limit (e.g. 300 ms for a power-on notification).
    For(Duration),
    /// Waiting for the user's finger: bounded by the capture timeout and the cancel token.
    Finger,
}

/// One I/O request of a protocol state machine. Plain data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UsbRequest {
    /// Control transfer device-to-host of `len` bytes. Reply: [`UsbReply::Data`].
    ControlIn {
        /// SETUP packet.
        setup: ControlSetup,
        /// `wLength`.
        len: u16,
    },
    /// Control transfer host-to-device. Reply: [`UsbReply::Written`].
    ControlOut {
        /// SETUP packet.
        setup: ControlSetup,
        /// Data stage.
        data: Vec<u8>,
    },
    /// Blocking bulk IN. Reply: [`UsbReply::Data`].
    BulkIn {
        /// Endpoint address (0x80 bit set).
        endpoint: u8,
        /// Requested length (must equal what the device's reference driver requests when replaying).
        len: usize,
    },
    /// Bulk IN that only completes when the user presents a finger (the sensor holds the
    /// frame back until then). Bounded like [`Wait::Finger`]. Reply: [`UsbReply::Data`] or
    /// [`UsbReply::TimedOut`].
    BulkInFinger {
        /// Endpoint address (0x80 bit set).
        endpoint: u8,
        /// Requested length.
        len: usize,
    },
    /// Bulk IN with its own timeout, where running out of time is an answer (e.g. "finger
    /// lifted") rather than an error. Reply: [`UsbReply::Data`] or [`UsbReply::TimedOut`].
    BulkInWithin {
        /// Endpoint address (0x80 bit set).
        endpoint: u8,
        /// Requested length.
        len: usize,
        /// How long to wait.
        timeout: Duration,
    },
    /// Bulk OUT. Reply: [`UsbReply::Written`].
    BulkOut {
        /// Endpoint address.
        endpoint: u8,
        /// Bytes to send.
        data: Vec<u8>,
    },
    /// Submits a bulk IN that stays in flight while further requests run (e.g. the image read
    /// that must be pending before the register write that starts the capture).
    /// Reply: [`UsbReply::Submitted`]; the data comes with [`UsbRequest::AwaitBulkIn`].
    StartBulkIn {
        /// Endpoint address.
        endpoint: u8,
        /// Requested length.
        len: usize,
    },
    /// Waits for the bulk IN started by [`UsbRequest::StartBulkIn`]. Reply: [`UsbReply::Data`].
    AwaitBulkIn,
    /// Next packet of the interrupt listener ([`UsbProtocol::interrupt_endpoint`]).
    /// Reply: [`UsbReply::Data`] or [`UsbReply::TimedOut`].
    AwaitInterrupt(Wait),
    /// For drivers that poll for the finger with ordinary transfers: asks whether the finger
    /// wait is over. The first call starts the capture timeout. Reply: [`UsbReply::Slept`]
    /// (keep polling) or [`UsbReply::TimedOut`] (timeout passed or capture cancelled).
    FingerPoll,
    /// Pause (protocol-mandated settle times). Reply: [`UsbReply::Slept`].
    Sleep(Duration),
}

/// The answer to a [`UsbRequest`]. Plain data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UsbReply {
    /// First call of a session: nothing happened yet.
    Start,
    /// Bytes received.
    Data(Vec<u8>),
    /// OUT transfer done, with the number of bytes sent.
    Written(usize),
    /// Background bulk IN is in flight.
    Submitted,
    /// A [`UsbRequest::Sleep`] elapsed.
    Slept,
    /// A [`UsbRequest::AwaitInterrupt`] ran out of time (or the capture was cancelled).
    TimedOut,
}

/// An 8-bit grey image as a driver produced it, already standardised (0 = black ridge, upright).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GreyImage {
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// Row-major pixels, `width * height` bytes.
    pub pixels: Vec<u8>,
}

/// How a capture session ended when nothing failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SessionOutcome {
    /// A decoded image.
    Image(GreyImage),
    /// The user has to try again.
    Retry(RetryReason),
}

/// What the state machine wants next.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// Perform this request and call [`UsbProtocol::next`] with its reply.
    Io(UsbRequest),
    /// The session is over.
    Finished(SessionOutcome),
}

/// The device's answers break the protocol (wrong length, unknown header, garbage).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProtocolError {
    /// A reply of the wrong kind or size arrived for the current state.
    #[error("{driver}: unexpected reply in state {state}: {detail}")]
    Unexpected {
        /// Driver name.
        driver: &'static str,
        /// State the machine was in.
        state: &'static str,
        /// What was wrong.
        detail: String,
    },
    /// The device never reached a required state (power-up, calibration…).
    #[error("{driver}: {detail}")]
    Device {
        /// Driver name.
        driver: &'static str,
        /// What failed.
        detail: String,
    },
    /// Image data that cannot be decoded.
    #[error("{driver}: bad image data: {detail}")]
    BadImage {
        /// Driver name.
        driver: &'static str,
        /// What was wrong.
        detail: String,
    },
}

impl From<ProtocolError> for CaptureError {
    fn from(e: ProtocolError) -> Self {
        CaptureError::Protocol(e.to_string())
    }
}

/// A USB scanner protocol as a state machine without I/O. One value = one capture session
/// (activate, wait for finger, capture, deactivate). `Send` so a session can move to a worker.
pub trait UsbProtocol: Send {
    /// Interrupt endpoint and packet length that must be kept in flight during the whole session
    /// (the runner starts a listener thread before the first request), or `None`.
    fn interrupt_endpoint(&self) -> Option<(u8, usize)> {
        None
    }
    /// Feeds the reply to the previous request (first call: [`UsbReply::Start`]) and returns
    /// the next request or the outcome. Pure computation; cost depends on the step (image
    /// decoding is the expensive one, a few ms).
    fn next(&mut self, reply: UsbReply) -> Result<Step, ProtocolError>;
}

/// Source of the 32-bit random values some protocols send to the device (U.are.U 4000B image
/// key seeds). Injectable so replay tests reproduce a recording's exact OUT bytes.
/// xorshift32 after the first value; not cryptographic (the device protocol is not either).
/// Plain data, `Send + Sync`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SeedSource {
    next: u32,
}

impl SeedSource {
    /// Yields `first` first, then a deterministic sequence derived from it.
    pub fn fixed(first: u32) -> Self {
        SeedSource { next: first }
    }
    /// Seeds from the process's hash-map randomness (OS entropy, different per process).
    pub fn from_entropy() -> Self {
        let mut h = std::collections::hash_map::RandomState::new().build_hasher();
        h.write_u64(0x5EED);
        let v = h.finish();
        SeedSource { next: (v ^ (v >> 32)) as u32 | 1 }
    }
    /// Next value.
    pub fn next_seed(&mut self) -> u32 {
        let out = self.next;
        let mut x = if out == 0 { 0x9E37_79B9 } else { out };
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        self.next = x;
        out
    }
}

/// Vendor control request to the device (bmRequestType 0x40), as most register protocols use.
pub fn vendor_out(request: u8, value: u16, index: u16, data: Vec<u8>) -> UsbRequest {
    UsbRequest::ControlOut { setup: ControlSetup { request_type: 0x40, request, value, index }, data }
}

/// Vendor control request from the device (bmRequestType 0xC0).
pub fn vendor_in(request: u8, value: u16, index: u16, len: u16) -> UsbRequest {
    UsbRequest::ControlIn { setup: ControlSetup { request_type: 0xC0, request, value, index }, len }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fixed_seed_yields_the_injected_value_first() {
        let mut s = SeedSource::fixed(0x51EA_2124);
        assert_eq!(s.next_seed(), 0x51EA_2124);
        let second = s.next_seed();
        assert_ne!(second, 0x51EA_2124);
        assert_eq!(SeedSource::fixed(0x51EA_2124).next_seed(), 0x51EA_2124);
    }

    #[test]
    fn zero_seed_does_not_stick() {
        let mut s = SeedSource::fixed(0);
        assert_eq!(s.next_seed(), 0);
        assert_ne!(s.next_seed(), 0);
    }
}
