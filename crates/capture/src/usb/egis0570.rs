//! EgisTec ES603-family "0570" swipe sensors (1c7a:0570, 1c7a:0571): 7-byte `"EGIS"` commands
//! on EP 0x04, 7-byte `"SIGE"` answers on EP 0x83; after the last command of a sequence the
//! sensor returns 32 512 bytes = five 114 × 57 frames. The first frame set is the background
//! (per-pixel minimum of the middle 17 rows); later sets are background-subtracted (with a
//! 3-level noise margin) and a frame whose mean exceeds 20 holds the finger. Frames collected
//! while the finger is down are stitched ([`super::assembling`], canvas 152 px wide), enlarged
//! ×2 with pixman-exact bilinear filtering, rotated and inverted like the reference driver.
//!
//! Each command's answer is read while the next command is already being sent (as the
//! reference driver does; recorded traffic depends on that overlap). Command lists: libfprint
//! `drivers/egis0570.h` (public protocol constants).

use super::assembling::{Frame, Geometry, assemble_frames, movement_estimation};
use super::imageops::{invert, resize_bilinear};
use super::protocol::{GreyImage, ProtocolError, SessionOutcome, Step, UsbProtocol, UsbReply, UsbRequest};
use super::{UsbDriver, UsbId};
use crate::{Capabilities, RetryReason};

/// Driver name.
pub const NAME: &str = "egis0570";
/// Width of the delivered image: 114-px frames on a 152-px canvas, enlarged ×2.
pub const IMAGE_WIDTH: u32 = 304;

/// Supported USB IDs. One line per ID.
pub static USB_IDS: &[UsbId] = &[
    UsbId { vid: 0x1c7a, pid: 0x0570, variant: 0, model: "EgisTec 0570 swipe sensor" },
    UsbId { vid: 0x1c7a, pid: 0x0571, variant: 0, model: "EgisTec 0571 swipe sensor" },
];

/// The driver row for [`super::USB_DRIVERS`].
pub static DRIVER: UsbDriver = UsbDriver {
    name: NAME,
    ids: USB_IDS,
    // Swipe: height depends on the swipe (0 = variable); 500 dpi sensor enlarged ×2.
    capabilities: |_| Capabilities {
        width: IMAGE_WIDTH,
        height: 0,
        dpi: 1000,
        bits_per_pixel: 8,
        finger_detection: true,
    },
    session: |_, _| Box::new(Egis0570Session::new()),
};

const EP_OUT: u8 = 0x04;
const EP_IN: u8 = 0x83;
const PKT_SIZE: usize = 7;
/// Image transfer: 5 frames of 114 × 57 plus 22 trailing bytes.
const INPUT_SIZE: usize = 32_512;
const FRAME_WIDTH: usize = 114;
const FRAME_HEIGHT: usize = 57;
const FRAME_SIZE: usize = FRAME_WIDTH * FRAME_HEIGHT;
const FRAME_COUNT: usize = 5;
/// Rows of each frame used (the middle band).
const BAND_HEIGHT: usize = 17;
const BAND_TOP: usize = (FRAME_HEIGHT - BAND_HEIGHT) / 2;
const BAND_SIZE: usize = FRAME_WIDTH * BAND_HEIGHT;
/// Mean of a background-subtracted band above which a finger is on it.
const MIN_MEAN: usize = 20;
/// Noise margin of the background subtraction.
const MARGIN: i32 = 3;
/// Bands after which a capture ends even if the finger stays (≈ 20 s of swiping; the
/// reference has no limit, a desk scanner needs one).
const MAX_STRIPS: usize = 500;
/// Enlargement of the assembled image.
const RESIZE: usize = 2;

const fn egis(op: u8, reg: u8, val: u8) -> [u8; PKT_SIZE] {
    [0x45, 0x47, 0x49, 0x53, op, reg, val]
}

/// Initialisation: sensor calibration registers, then the first image request (last packet).
const INIT_PKTS: [[u8; PKT_SIZE]; 23] = [
    egis(0x01, 0x20, 0x3f),
    egis(0x01, 0x58, 0x3f),
    egis(0x01, 0x21, 0x09),
    egis(0x01, 0x57, 0x09),
    egis(0x01, 0x22, 0x03),
    egis(0x01, 0x56, 0x03),
    egis(0x01, 0x23, 0x01),
    egis(0x01, 0x55, 0x01),
    egis(0x01, 0x24, 0x01),
    egis(0x01, 0x54, 0x01),
    egis(0x01, 0x16, 0x3e),
    egis(0x01, 0x09, 0x0b),
    egis(0x01, 0x14, 0x03),
    egis(0x01, 0x15, 0x00),
    egis(0x01, 0x02, 0x0f),
    egis(0x01, 0x10, 0x00),
    egis(0x01, 0x11, 0x38),
    egis(0x01, 0x12, 0x00),
    egis(0x01, 0x13, 0x71),
    egis(0x01, 0x03, 0x80),
    egis(0x00, 0x02, 0x80),
    egis(0x01, 0x02, 0x2f),
    egis(0x06, 0x00, 0xfe),
];
/// Each further image: these four packets, the last one returns the frames.
const REPEAT_PKTS: [[u8; PKT_SIZE]; 4] =
    [egis(0x01, 0x02, 0x0f), egis(0x00, 0x02, 0x0f), egis(0x01, 0x02, 0x2f), egis(0x06, 0x00, 0xfe)];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Start,
    /// Sent packet `i` of the current list.
    Sent(usize),
    /// Answer read for packet `i` started, packet `i + 1` about to be sent.
    AnswerStarted(usize),
    /// Packet `i + 1` being sent while packet `i`'s answer is in flight.
    SentNext(usize),
    /// Packet `i + 1` sent; collecting packet `i`'s answer.
    Answer(usize),
    ReadImage,
    Polled,
    Done,
}

/// One capture session. `Send`.
pub struct Egis0570Session {
    state: State,
    repeat: bool,
    background: Option<Vec<u8>>,
    strips: Vec<Vec<u8>>,
    capturing: bool,
}

impl Default for Egis0570Session {
    fn default() -> Self {
        Self::new()
    }
}

impl Egis0570Session {
    /// A new session.
    pub fn new() -> Self {
        Egis0570Session { state: State::Start, repeat: false, background: None, strips: Vec::new(), capturing: false }
    }

    fn pkts(&self) -> &'static [[u8; PKT_SIZE]] {
        if self.repeat { &REPEAT_PKTS } else { &INIT_PKTS }
    }

    fn err(&self, detail: impl Into<String>) -> ProtocolError {
        ProtocolError::Unexpected { driver: NAME, state: "capture", detail: detail.into() }
    }

    fn send(&mut self, i: usize) -> Result<Step, ProtocolError> {
        self.state = State::Sent(i);
        Ok(Step::Io(UsbRequest::BulkOut { endpoint: EP_OUT, data: self.pkts()[i].to_vec() }))
    }

    /// Handles one 32 512-byte frame set; returns the outcome when the capture is complete.
    fn on_frames(&mut self, mut data: Vec<u8>) -> Result<Option<SessionOutcome>, ProtocolError> {
        if data.len() != INPUT_SIZE {
            return Err(ProtocolError::BadImage {
                driver: NAME,
                detail: format!("image transfer of {} bytes, expected {INPUT_SIZE}", data.len()),
            });
        }
        let band = |k: usize| k * FRAME_SIZE + BAND_TOP * FRAME_WIDTH;
        let Some(background) = &self.background else {
            let mut bg = vec![255u8; BAND_SIZE];
            for k in 0..FRAME_COUNT {
                for (b, &v) in bg.iter_mut().zip(&data[band(k)..band(k) + BAND_SIZE]) {
                    *b = (*b).min(v);
                }
            }
            self.background = Some(bg);
            return Ok(None);
        };
        let mut finger = [false; FRAME_COUNT];
        for (k, present) in finger.iter_mut().enumerate() {
            let frame = &mut data[band(k)..band(k) + BAND_SIZE];
            let mut sum = 0usize;
            for (v, &b) in frame.iter_mut().zip(background) {
                *v = if *v as i32 - MARGIN > b as i32 { *v - b } else { 0 };
                sum += *v as usize;
            }
            *present = sum / BAND_SIZE > MIN_MEAN;
        }
        let mut end = false;
        if finger.iter().any(|&p| p) {
            if self.capturing {
                for (k, &present) in finger.iter().enumerate() {
                    if !present {
                        end = true;
                        break;
                    }
                    self.strips.push(data[band(k)..band(k) + BAND_SIZE].to_vec());
                }
            }
            // The first set with a finger switches the reference driver into capture mode.
            self.capturing = true;
        } else {
            end = true;
        }
        if (end || self.strips.len() >= MAX_STRIPS) && !self.strips.is_empty() {
            return Ok(Some(SessionOutcome::Image(assemble(&self.strips)?)));
        }
        Ok(None)
    }
}

impl Egis0570Session {
    /// What follows once packet `i` is on the wire: the frames after the last packet, else
    /// the read of its answer (kept in flight while the next packet goes out).
    fn after_sent(&mut self, i: usize) -> Result<Step, ProtocolError> {
        if i + 1 == self.pkts().len() {
            self.state = State::ReadImage;
            return Ok(Step::Io(UsbRequest::BulkIn { endpoint: EP_IN, len: INPUT_SIZE }));
        }
        self.state = State::AnswerStarted(i);
        Ok(Step::Io(UsbRequest::StartBulkIn { endpoint: EP_IN, len: PKT_SIZE }))
    }
}

impl UsbProtocol for Egis0570Session {
    fn next(&mut self, reply: UsbReply) -> Result<Step, ProtocolError> {
        match self.state {
            State::Start => self.send(0),
            State::Sent(i) => {
                if reply != UsbReply::Written(PKT_SIZE) {
                    return Err(self.err(format!("command {i} not sent: {reply:?}")));
                }
                self.after_sent(i)
            }
            State::AnswerStarted(i) => {
                if reply != UsbReply::Submitted {
                    return Err(self.err(format!("answer read not started: {reply:?}")));
                }
                self.state = State::SentNext(i);
                Ok(Step::Io(UsbRequest::BulkOut { endpoint: EP_OUT, data: self.pkts()[i + 1].to_vec() }))
            }
            State::SentNext(i) => {
                if reply != UsbReply::Written(PKT_SIZE) {
                    return Err(self.err(format!("command {} not sent: {reply:?}", i + 1)));
                }
                self.state = State::Answer(i);
                Ok(Step::Io(UsbRequest::AwaitBulkIn))
            }
            State::Answer(i) => match reply {
                UsbReply::Data(a) if a.len() == PKT_SIZE && a.starts_with(b"SIGE") => self.after_sent(i + 1),
                other => Err(self.err(format!("answer to command {i} is not a SIGE packet: {other:02x?}"))),
            },
            State::ReadImage => {
                let UsbReply::Data(data) = reply else {
                    return Err(self.err(format!("expected frames, got {reply:?}")));
                };
                self.repeat = true;
                if let Some(outcome) = self.on_frames(data)? {
                    self.state = State::Done;
                    return Ok(Step::Finished(outcome));
                }
                if self.capturing {
                    return self.send(0);
                }
                self.state = State::Polled;
                Ok(Step::Io(UsbRequest::FingerPoll))
            }
            State::Polled => match reply {
                UsbReply::Slept => self.send(0),
                UsbReply::TimedOut => {
                    self.state = State::Done;
                    Ok(Step::Finished(SessionOutcome::Retry(RetryReason::NoFinger)))
                }
                other => Err(self.err(format!("{other:?}"))),
            },
            State::Done => Err(self.err("session already finished")),
        }
    }
}

/// Stitches the collected bands, enlarges ×2 and standardises orientation and polarity.
fn assemble(strips: &[Vec<u8>]) -> Result<GreyImage, ProtocolError> {
    let g = Geometry {
        frame_width: FRAME_WIDTH as u32,
        frame_height: BAND_HEIGHT as u32,
        image_width: (FRAME_WIDTH * 4 / 3) as u32,
    };
    let mut frames: Vec<Frame> = strips.iter().map(|s| Frame { pixels: s.clone(), delta_x: 0, delta_y: 0 }).collect();
    movement_estimation(&g, &mut frames);
    let a = assemble_frames(&g, &mut frames)
        .ok_or_else(|| ProtocolError::BadImage { driver: NAME, detail: "no frames to assemble".into() })?;
    let (w, h) = (a.width as usize * RESIZE, a.height as usize * RESIZE);
    let mut px = resize_bilinear(&a.pixels, a.width as usize, a.height as usize, RESIZE);
    if !a.reverse {
        px.reverse();
    }
    invert(&mut px);
    Ok(GreyImage { width: w as u32, height: h as u32, pixels: px })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_overlap_the_next_command() {
        let mut s = Egis0570Session::new();
        assert_eq!(
            s.next(UsbReply::Start).unwrap(),
            Step::Io(UsbRequest::BulkOut { endpoint: EP_OUT, data: INIT_PKTS[0].to_vec() })
        );
        assert_eq!(
            s.next(UsbReply::Written(7)).unwrap(),
            Step::Io(UsbRequest::StartBulkIn { endpoint: EP_IN, len: 7 })
        );
        assert_eq!(
            s.next(UsbReply::Submitted).unwrap(),
            Step::Io(UsbRequest::BulkOut { endpoint: EP_OUT, data: INIT_PKTS[1].to_vec() })
        );
        assert_eq!(s.next(UsbReply::Written(7)).unwrap(), Step::Io(UsbRequest::AwaitBulkIn));
        assert_eq!(
            s.next(UsbReply::Data(b"SIGE\x20\x3f\x01".to_vec())).unwrap(),
            Step::Io(UsbRequest::StartBulkIn { endpoint: EP_IN, len: 7 })
        );
    }

    #[test]
    fn short_frame_sets_are_errors() {
        let mut s = Egis0570Session::new();
        assert!(s.on_frames(vec![0; 100]).is_err());
    }
}
