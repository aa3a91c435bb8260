//! UPEK TouchChip Fingerprint Coprocessor, image mode (147e:2016 rev 2, 147e:2020 rev 1): the
//! coprocessor assembles the swipe itself and streams a 144 × 384 8-bit image in "Ciao" frames.
//!
//! Frame format (both directions): `"Ciao"`, type byte, then a 12-bit length whose high nibble
//! byte also carries a 4-bit sequence number (`byte5 = seq << 4 | len >> 8`, `byte6 = len & 0xff`),
//! payload, CRC-16/XMODEM (little-endian) over everything after `"Ciao"`. Device messages of
//! type 0x00 with command 0x28 report finger status (byte 18: 0x0c no finger, 0x00 finger,
//! 0x1e too short, 0x1d off-centre), 0x2c/0x24/0x20 carry image chunks (0x20 = last).
//! Messages longer than 64 bytes arrive as a 64-byte read plus one 1 988-byte read.
//! Command templates: libfprint `drivers/upektc_img.h` (public protocol constants).

use super::protocol::{GreyImage, ProtocolError, SessionOutcome, Step, UsbProtocol, UsbReply, UsbRequest, vendor_out};
use super::{UsbDriver, UsbId};
use crate::{Capabilities, RetryReason};

/// Driver name.
pub const NAME: &str = "upektc_img";
/// Image width.
pub const WIDTH: usize = 144;
/// Image height.
pub const HEIGHT: usize = 384;
/// Resolution of the TouchChip TCS5 strip (508 dpi nominal; 500 used for templates).
pub const DPI: u16 = 500;

/// Supported USB IDs. 147e:2016 is shared with the match-on-chip `upekts` firmware (other
/// `bcdDevice`): such a device answers this protocol with errors (typed protocol errors).
pub static USB_IDS: &[UsbId] = &[
    UsbId { vid: 0x147e, pid: 0x2016, variant: 0, model: "UPEK TouchChip Fingerprint Coprocessor (TCS5B)" },
    UsbId { vid: 0x147e, pid: 0x2020, variant: 0, model: "UPEK TouchChip Fingerprint Coprocessor" },
];

/// The driver row for [`super::USB_DRIVERS`].
pub static DRIVER: UsbDriver = UsbDriver {
    name: NAME,
    ids: USB_IDS,
    capabilities: |_| Capabilities {
        width: WIDTH as u32,
        height: HEIGHT as u32,
        dpi: DPI,
        bits_per_pixel: 8,
        finger_detection: true,
    },
    session: |_, _| Box::new(UpektcImgSession::new()),
};

const EP_IN: u8 = 0x81;
const EP_OUT: u8 = 0x02;
const SHORT_RESPONSE: usize = 64;
const MAX_RESPONSE: usize = 2052;
const IMAGE_SIZE: usize = WIDTH * HEIGHT;

// Command templates (sequence nibble and CRC are filled in when sent).
const INIT_1: &[u8] = &[
    b'C', b'i', b'a', b'o', 0x04, 0x00, 0x0d, 0x01, 0x00, 0x46, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x01, 0x00, 0x00,
    0x00, 0, 0,
];
const INIT_2: &[u8] = &[b'C', b'i', b'a', b'o', 0x07, 0x00, 0x01, 0x01, 0, 0];
const INIT_3: &[u8] = &[
    b'C', b'i', b'a', b'o', 0x04, 0x00, 0x0d, 0x01, 0x00, 0xbc, 0x02, 0x00, 0x00, 0x00, 0x00, 0x01, 0x01, 0x00, 0x00,
    0x00, 0, 0,
];
const INIT_4: &[u8] = &[b'C', b'i', b'a', b'o', 0x00, 0x00, 0x07, 0x28, 0x04, 0x00, 0x00, 0x00, 0x06, 0x04, 0, 0];
const DEINIT: &[u8] = &[b'C', b'i', b'a', b'o', 0x07, 0x00, 0x01, 0x01, 0, 0];
/// Capture command 0x28/0x0e: infinite device timeout, wait for an acceptable finger.
const INIT_CAPTURE: &[u8] = &[
    b'C', b'i', b'a', b'o', 0x00, 0x00, 0x0e, 0x28, 0x0b, 0x00, 0x00, 0x00, 0x0e, 0x02, 0xfe, 0xff, 0xff, 0xff, 0x02,
    0x00, 0x02, 0, 0,
];
const ACK_00_28: &[u8] =
    &[b'C', b'i', b'a', b'o', 0x00, 0x80, 0x08, 0x28, 0x05, 0x00, 0x00, 0x00, 0x00, 0x30, 0x01, 0, 0];
const ACK_08: &[u8] = &[b'C', b'i', b'a', b'o', 0x09, 0x00, 0x00, 0, 0];
const ACK_FRAME: &[u8] = &[b'C', b'i', b'a', b'o', 0x00, 0x50, 0x01, 0x30, 0, 0];

/// CRC-16/XMODEM (poly 0x1021, init 0, no reflection).
pub fn crc16(data: &[u8]) -> u16 {
    let mut crc = 0u16;
    for &b in data {
        crc ^= (b as u16) << 8;
        for _ in 0..8 {
            crc = if crc & 0x8000 != 0 { (crc << 1) ^ 0x1021 } else { crc << 1 };
        }
    }
    crc
}

/// A command frame from a template: sequence nibble in byte 5, CRC over bytes 4..len−2.
pub fn frame(template: &[u8], seq: u8) -> Vec<u8> {
    let mut cmd = template.to_vec();
    let n = cmd.len();
    cmd[5] = (cmd[5] & 0x0f) | (seq << 4);
    let crc = crc16(&cmd[4..n - 2]);
    cmd[n - 2..].copy_from_slice(&crc.to_le_bytes());
    cmd
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Start,
    /// Activation: index into the activation script; odd steps are reads.
    Activate(usize),
    SentCaptureCmd,
    ReadShort,
    ReadRest,
    SentAck,
    SentTermAck,
    ReadTerm,
    SentDeinit,
    ReadDeinit,
    Done,
}

/// One capture session: activate, capture command, status/image loop, deinit. `Send`.
pub struct UpektcImgSession {
    state: State,
    seq: u8,
    response: Vec<u8>,
    response_rest: bool,
    image: Vec<u8>,
    outcome: Option<SessionOutcome>,
}

impl Default for UpektcImgSession {
    fn default() -> Self {
        Self::new()
    }
}

impl UpektcImgSession {
    /// A new session.
    pub fn new() -> Self {
        UpektcImgSession {
            state: State::Start,
            seq: 0,
            response: vec![0; MAX_RESPONSE],
            response_rest: false,
            image: Vec::with_capacity(IMAGE_SIZE),
            outcome: None,
        }
    }

    fn err(&self, detail: impl Into<String>) -> ProtocolError {
        ProtocolError::Unexpected { driver: NAME, state: "capture", detail: detail.into() }
    }

    fn send(&mut self, next: State, template: &[u8], seq: u8) -> Result<Step, ProtocolError> {
        self.state = next;
        Ok(Step::Io(UsbRequest::BulkOut { endpoint: EP_OUT, data: frame(template, seq) }))
    }

    fn send_seq(&mut self, next: State, template: &[u8]) -> Result<Step, ProtocolError> {
        let seq = self.seq;
        self.seq = self.seq.wrapping_add(1);
        self.send(next, template, seq)
    }

    fn read_short(&mut self) -> Result<Step, ProtocolError> {
        self.state = State::ReadShort;
        Ok(Step::Io(UsbRequest::BulkInFinger { endpoint: EP_IN, len: SHORT_RESPONSE }))
    }

    fn deinit(&mut self, outcome: SessionOutcome) -> Result<Step, ProtocolError> {
        self.outcome = Some(outcome);
        self.send_seq(State::SentDeinit, DEINIT)
    }

    fn activation_step(&mut self, i: usize) -> Result<Step, ProtocolError> {
        let next = State::Activate(i + 1);
        self.state = next;
        let ctrl = || vendor_out(0x0c, 0x0100, 0x0400, vec![0]);
        let read = UsbRequest::BulkIn { endpoint: EP_IN, len: SHORT_RESPONSE };
        Ok(Step::Io(match i {
            0 | 6 => ctrl(),
            2 => UsbRequest::BulkOut { endpoint: EP_OUT, data: frame(INIT_1, 0) },
            4 => UsbRequest::BulkOut { endpoint: EP_OUT, data: frame(INIT_2, 0) },
            8 => UsbRequest::BulkOut { endpoint: EP_OUT, data: frame(INIT_3, 0) },
            10 => {
                let seq = self.seq;
                self.seq = self.seq.wrapping_add(1);
                UsbRequest::BulkOut { endpoint: EP_OUT, data: frame(INIT_4, seq) }
            }
            _ => read,
        }))
    }

    /// Handles one complete device message in `self.response`.
    fn on_message(&mut self) -> Result<Step, ProtocolError> {
        let d = &self.response;
        if &d[..4] != b"Ciao" {
            return Err(self.err(format!("message without Ciao header: {:02x?}", &d[..8])));
        }
        match (d[4], d[7]) {
            (0x00, 0x28) => match d[18] {
                0x0c | 0x0d | 0x00 => self.send_seq(State::SentAck, ACK_00_28),
                code => {
                    let reason = match code {
                        0x1e => RetryReason::TooShort,
                        0x1d => RetryReason::CenterFinger,
                        _ => RetryReason::RemoveFinger,
                    };
                    self.outcome = Some(SessionOutcome::Retry(reason));
                    self.send_seq(State::SentTermAck, ACK_00_28)
                }
            },
            (0x00, kind @ (0x2c | 0x24 | 0x20)) => {
                let len = (((d[5] & 0x0f) as usize) << 8) | d[6] as usize;
                let (offset, trim) = match kind {
                    0x2c => (18, 11),
                    0x20 => (8, 5),
                    _ => (8, 1),
                };
                let n = len.checked_sub(trim).ok_or_else(|| self.err(format!("image chunk of length {len}")))?;
                if offset + n > MAX_RESPONSE || self.image.len() + n > IMAGE_SIZE {
                    return Err(ProtocolError::BadImage {
                        driver: NAME,
                        detail: format!("image chunk of {n} bytes overflows the {WIDTH}x{HEIGHT} image"),
                    });
                }
                let chunk = self.response[offset..offset + n].to_vec();
                self.image.extend_from_slice(&chunk);
                if kind != 0x20 {
                    return self.send_seq(State::SentAck, ACK_FRAME);
                }
                if self.image.len() != IMAGE_SIZE {
                    return Err(ProtocolError::BadImage {
                        driver: NAME,
                        detail: format!("image ended after {} of {IMAGE_SIZE} bytes", self.image.len()),
                    });
                }
                let pixels = std::mem::take(&mut self.image);
                self.deinit(SessionOutcome::Image(GreyImage { width: WIDTH as u32, height: HEIGHT as u32, pixels }))
            }
            (0x08, _) => self.send(State::SentAck, ACK_08, 0),
            (t, c) => Err(self.err(format!("unknown message type {t:#04x} command {c:#04x}"))),
        }
    }
}

impl UsbProtocol for UpektcImgSession {
    fn next(&mut self, reply: UsbReply) -> Result<Step, ProtocolError> {
        match self.state {
            State::Start => self.activation_step(0),
            State::Activate(i) => {
                match (&reply, i % 2) {
                    (UsbReply::Written(_), 1) | (UsbReply::Data(_), 0) => {}
                    _ => return Err(self.err(format!("activation step {i}: unexpected {reply:?}"))),
                }
                if i < 12 { self.activation_step(i) } else { self.send_seq(State::SentCaptureCmd, INIT_CAPTURE) }
            }
            State::SentCaptureCmd | State::SentAck => match reply {
                UsbReply::Written(_) => self.read_short(),
                other => Err(self.err(format!("expected write completion, got {other:?}"))),
            },
            State::ReadShort | State::ReadRest => {
                let data = match reply {
                    UsbReply::Data(d) => d,
                    UsbReply::TimedOut => return self.deinit(SessionOutcome::Retry(RetryReason::NoFinger)),
                    other => return Err(self.err(format!("expected data, got {other:?}"))),
                };
                if data.is_empty() {
                    return Ok(Step::Io(UsbRequest::BulkInFinger { endpoint: EP_IN, len: SHORT_RESPONSE }));
                }
                let at = if self.state == State::ReadRest { SHORT_RESPONSE } else { 0 };
                let n = data.len().min(MAX_RESPONSE - at);
                self.response[at..at + n].copy_from_slice(&data[..n]);
                if !self.response_rest {
                    if data.len() < 8 || &data[..4] != b"Ciao" {
                        return Err(self.err(format!("not a Ciao message: {:02x?}", &data[..data.len().min(8)])));
                    }
                    let size = ((((self.response[5] & 0x0f) as usize) << 8) | self.response[6] as usize) + 9;
                    if size > data.len() {
                        self.response_rest = true;
                        self.state = State::ReadRest;
                        return Ok(Step::Io(UsbRequest::BulkIn {
                            endpoint: EP_IN,
                            len: MAX_RESPONSE - SHORT_RESPONSE,
                        }));
                    }
                }
                self.response_rest = false;
                self.on_message()
            }
            State::SentTermAck => {
                self.state = State::ReadTerm;
                Ok(Step::Io(UsbRequest::BulkIn { endpoint: EP_IN, len: SHORT_RESPONSE }))
            }
            State::ReadTerm => {
                let outcome = self.outcome.take().ok_or_else(|| self.err("no outcome"))?;
                self.deinit(outcome)
            }
            State::SentDeinit => {
                self.state = State::ReadDeinit;
                Ok(Step::Io(UsbRequest::BulkIn { endpoint: EP_IN, len: SHORT_RESPONSE }))
            }
            State::ReadDeinit => {
                self.state = State::Done;
                let outcome = self.outcome.take().ok_or_else(|| self.err("no outcome"))?;
                Ok(Step::Finished(outcome))
            }
            State::Done => Err(self.err("session already finished")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_carry_sequence_and_crc_like_the_reference_templates() {
        // CRCs as printed in the reference driver's templates.
        assert_eq!(&frame(INIT_1, 0)[20..], &[0xda, 0xc1]);
        assert_eq!(&frame(INIT_4, 0)[14..], &[0xc0, 0xd6]);
        assert_eq!(&frame(ACK_08, 0)[7..], &[0x91, 0x9e]);
        assert_eq!(&frame(ACK_FRAME, 5)[8..], &[0xac, 0x5b]);
        assert_eq!(&frame(ACK_00_28, 8)[15..], &[0x6a, 0xc4]);
        assert_eq!(&frame(INIT_CAPTURE, 0)[21..], &[0x25, 0xa9]);
        assert_eq!(frame(DEINIT, 15)[5], 0xf0);
    }

    #[test]
    fn garbage_messages_are_errors() {
        let mut s = UpektcImgSession::new();
        s.state = State::ReadShort;
        assert!(s.next(UsbReply::Data(b"Nope00000000".to_vec())).is_err());
        let mut s = UpektcImgSession::new();
        s.state = State::ReadShort;
        let mut m = b"Ciao".to_vec();
        m.extend_from_slice(&[0x00, 0x00, 0x00, 0x20]); // last frame with length 0
        m.resize(64, 0);
        assert!(s.next(UsbReply::Data(m)).is_err());
    }
}
