//! AuthenTec AES2501/AES2500 swipe sensors (08ff:2580, 08ff:2500): register writes as bulk OUT
//! `(reg, value)` pairs (≤ 16 per transfer, groups split at register 0), 20-byte histograms for
//! finger detection, 1 705-byte strips (192 × 16 pixels, 4 bit, column-major pairs, then a
//! histogram and a register dump). The A/D reference is re-tuned after every strip from the
//! histogram; three empty strips end the swipe; strips are stitched ([`super::assembling`], canvas
//! 288 px wide) and standardised like the reference driver.
//! Register meanings and sequences: libfprint `drivers/aes2501.{c,h}` (public protocol facts).

use super::aes3500::register_writes;
use super::assembling::{Frame, Geometry, assemble_frames, movement_estimation};
use super::imageops::invert;
use super::protocol::{GreyImage, ProtocolError, SessionOutcome, Step, UsbProtocol, UsbReply, UsbRequest};
use super::{UsbDriver, UsbId};
use crate::{Capabilities, RetryReason};

/// Driver name.
pub const NAME: &str = "aes2501";
/// Width of the delivered image (192-px strips on a 288-px canvas).
pub const IMAGE_WIDTH: u32 = 288;

/// Supported USB IDs. One line per ID.
pub static USB_IDS: &[UsbId] = &[
    UsbId { vid: 0x08ff, pid: 0x2500, variant: 0, model: "AuthenTec AES2500" },
    UsbId { vid: 0x08ff, pid: 0x2580, variant: 0, model: "AuthenTec AES2501" },
];

/// The driver row for [`super::USB_DRIVERS`].
pub static DRIVER: UsbDriver = UsbDriver {
    name: NAME,
    ids: USB_IDS,
    // Swipe: height depends on the swipe (0 = variable).
    capabilities: |_| Capabilities {
        width: IMAGE_WIDTH,
        height: 0,
        dpi: 500,
        bits_per_pixel: 4,
        finger_detection: true,
    },
    session: |_, _| Box::new(Aes2501Session::new()),
};

const EP_IN: u8 = 0x81;
const EP_OUT: u8 = 0x02;
const FINGER_DETECTION_LEN: usize = 20;
const READ_REGS_LEN: usize = 126;
const READ_REGS_RESP_LEN: usize = 159;
const STRIP_CAPTURE_LEN: usize = 1705;
const FRAME_WIDTH: usize = 192;
const FRAME_HEIGHT: usize = 16;
/// Strips per swipe at most (the reference's limit is 150; longer swipes are cut).
const MAX_FRAMES: usize = 150;
/// Register dump position of register 0xaf that says whether the sensor settled.
const SETTLED_REG_INDEX: usize = 0x5f;
const SETTLED_NOT_YET: u8 = 0x6b;
const SETTLE_ATTEMPTS: u32 = 13;
/// Histogram sum bounds for re-tuning the A/D reference high level.
const SUM_LOW_THRESH: i32 = 700;
const SUM_HIGH_THRESH: i32 = 1000;
const ADREFHI_MIN: u8 = 0x28;
const ADREFHI_MAX: u8 = 0x58;
/// Consecutive empty strips that end a swipe.
const EMPTY_STRIPS_TO_END: u32 = 3;
/// Finger-detection histogram sum above which a finger is present.
const FINGER_SUM: u32 = 20;

// Registers and values (aes2501.h).
const CTRL1: u8 = 0x80;
const CTRL2: u8 = 0x81;
const EXCITCTRL: u8 = 0x82;
const DETCTRL: u8 = 0x83;
const COLSCAN: u8 = 0x88;
const MEASDRV: u8 = 0x89;
const MEASFREQ: u8 = 0x8a;
const DEMODPHASE2: u8 = 0x8c;
const DEMODPHASE1: u8 = 0x8d;
const CHANGAIN: u8 = 0x8e;
const ADREFHI: u8 = 0x91;
const ADREFLO: u8 = 0x92;
const ENDROW: u8 = 0x94;
const STRTCOL: u8 = 0x95;
const ENDCOL: u8 = 0x96;
const DATFMT: u8 = 0x97;
const IMAGCTRL: u8 = 0x98;
const CHWORD1: u8 = 0x9b;
const CHWORD2: u8 = 0x9c;
const CHWORD3: u8 = 0x9d;
const CHWORD4: u8 = 0x9e;
const CHWORD5: u8 = 0x9f;
const TREG1: u8 = 0xa1;
const AUTOCALOFFSET: u8 = 0xa8;
const TREGC: u8 = 0xac;
const TREGD: u8 = 0xad;
const LPONT: u8 = 0xb4;
const MASTER_RESET: u8 = 0x01;
const SCAN_RESET: u8 = 0x02;
const REG_UPDATE: u8 = 0x04;
const READ_REGS: u8 = 0x02;
const SET_ONE_SHOT: u8 = 0x04;
const MEASURE_SQUARE: u8 = 0x10;
const MEASFREQ_2M: u8 = 0x05;
const COLSCAN_128_US: u8 = 0x02;
const GAIN_S2_4X_S1_16X: u8 = 0x13;
const DATFMT_BIN_IMG: u8 = 0x10;
const IMAG_TST_HISTO_NOIMG: u8 = 0x20 | 0x02 | 0x01;
const IMAG_TST_HISTO: u8 = 0x20 | 0x02;

const INIT_1: &[&[(u8, u8)]] = &[
    &[(CTRL1, MASTER_RESET)],
    &[
        (0xb0, 0x27),
        (CTRL1, MASTER_RESET),
        (EXCITCTRL, 0x40),
        (0xff, 0x00),
        (0xff, 0x00),
        (0xff, 0x00),
        (0xff, 0x00),
        (0xff, 0x00),
        (0xff, 0x00),
        (0xff, 0x00),
        (0xff, 0x00),
        (0xff, 0x00),
        (0xff, 0x00),
        (0xff, 0x00),
        (CTRL1, MASTER_RESET),
        (EXCITCTRL, 0x40),
        (DETCTRL, 0x00),
        (COLSCAN, COLSCAN_128_US),
        (MEASDRV, MEASURE_SQUARE),
        (MEASFREQ, MEASFREQ_2M),
        (DEMODPHASE1, 0x00),
        (DEMODPHASE2, 0x00),
        (CHANGAIN, GAIN_S2_4X_S1_16X),
        (ADREFHI, 0x44),
        (ADREFLO, 0x34),
        (STRTCOL, 0x16),
        (ENDCOL, 0x16),
        (DATFMT, DATFMT_BIN_IMG | 0x08),
        (TREG1, 0x70),
        (0xa2, 0x02),
        (0xa7, 0x00),
        (TREGC, 0x01),
        (TREGD, 0x1a),
        (CTRL1, REG_UPDATE),
        (CTRL2, SET_ONE_SHOT),
        (LPONT, 0x00),
    ],
];
const INIT_2: &[&[(u8, u8)]] = &[&[
    (CTRL1, MASTER_RESET),
    (EXCITCTRL, 0x40),
    (CTRL1, MASTER_RESET),
    (AUTOCALOFFSET, 0x41),
    (EXCITCTRL, 0x42),
    (DETCTRL, 0x53),
    (CTRL1, REG_UPDATE),
]];
const INIT_3: &[&[(u8, u8)]] = &[&[
    (0xff, 0x00),
    (CTRL1, MASTER_RESET),
    (AUTOCALOFFSET, 0x41),
    (EXCITCTRL, 0x42),
    (DETCTRL, 0x53),
    (CTRL1, REG_UPDATE),
]];
const INIT_4: &[&[(u8, u8)]] = &[&[
    (CTRL1, MASTER_RESET),
    (EXCITCTRL, 0x40),
    (0xb0, 0x27),
    (ENDROW, 0x0a),
    (CTRL1, REG_UPDATE),
    (DETCTRL, 0x45),
    (AUTOCALOFFSET, 0x41),
]];
const INIT_5: &[&[(u8, u8)]] = &[&[
    (0xb0, 0x27),
    (CTRL1, MASTER_RESET),
    (EXCITCTRL, 0x40),
    (0xff, 0x00),
    (CTRL1, MASTER_RESET),
    (EXCITCTRL, 0x40),
    (CTRL1, MASTER_RESET),
    (EXCITCTRL, 0x40),
    (CTRL1, MASTER_RESET),
    (EXCITCTRL, 0x40),
    (CTRL1, MASTER_RESET),
    (EXCITCTRL, 0x40),
    (CTRL1, MASTER_RESET),
    (EXCITCTRL, 0x40),
    (CTRL1, SCAN_RESET),
    (CTRL1, SCAN_RESET),
]];
const FINGER_DET: &[&[(u8, u8)]] = &[
    &[
        (CTRL1, MASTER_RESET),
        (EXCITCTRL, 0x40),
        (DETCTRL, 0x00),
        (COLSCAN, COLSCAN_128_US),
        (MEASDRV, MEASURE_SQUARE),
        (MEASFREQ, MEASFREQ_2M),
        (DEMODPHASE1, 0x00),
        (DEMODPHASE2, 0x00),
        (CHANGAIN, GAIN_S2_4X_S1_16X),
        (ADREFHI, 0x44),
        (ADREFLO, 0x34),
        (STRTCOL, 0x16),
        (ENDCOL, 0x16),
        (DATFMT, DATFMT_BIN_IMG | 0x08),
        (TREG1, 0x70),
        (0xa2, 0x02),
        (0xa7, 0x00),
        (TREGC, 0x01),
        (TREGD, 0x1a),
    ],
    &[(CTRL1, REG_UPDATE), (CTRL2, SET_ONE_SHOT), (LPONT, 0x00)],
];
const CAPTURE_1: &[&[(u8, u8)]] = &[
    &[(CTRL1, MASTER_RESET)],
    &[
        (EXCITCTRL, 0x40),
        (DETCTRL, 0x00),
        (COLSCAN, COLSCAN_128_US),
        (DEMODPHASE2, 0x7c),
        (MEASDRV, MEASURE_SQUARE),
        (DEMODPHASE1, 0x24),
        (CHWORD1, 0x00),
        (CHWORD2, 0x6c),
        (CHWORD3, 0x09),
        (CHWORD4, 0x54),
        (CHWORD5, 0x78),
        (0xa2, 0x02),
        (0xa7, 0x00),
        (0xb6, 0x26),
        (0xb7, 0x1a),
        (CTRL1, REG_UPDATE),
        (IMAGCTRL, IMAG_TST_HISTO_NOIMG),
        (STRTCOL, 0x10),
        (ENDCOL, 0x1f),
        (CHANGAIN, 0x00),
        (ADREFHI, 0x70),
        (ADREFLO, 0x20),
        (CTRL2, SET_ONE_SHOT),
        (LPONT, 0x00),
    ],
];
const CAPTURE_2: &[&[(u8, u8)]] = &[&[
    (IMAGCTRL, IMAG_TST_HISTO_NOIMG),
    (STRTCOL, 0x10),
    (ENDCOL, 0x1f),
    (CHANGAIN, 0x03),
    (ADREFHI, 0x70),
    (ADREFLO, 0x20),
    (CTRL2, SET_ONE_SHOT),
]];

fn strip_scan(adrefhi: u8) -> Vec<u8> {
    [
        (IMAGCTRL, IMAG_TST_HISTO),
        (STRTCOL, 0x00),
        (ENDCOL, 0x2f),
        (CHANGAIN, 0x03),
        (ADREFHI, adrefhi),
        (ADREFLO, 0x20),
        (CTRL2, SET_ONE_SHOT),
    ]
    .iter()
    .flat_map(|&(r, v)| [r, v])
    .collect()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    Init1,
    ReadData1,
    Init2,
    ReadRegsCmd,
    ReadRegs,
    Init3,
    Init4,
    Init5,
    FingerDet,
    ReadFinger,
    Polled,
    Capture1,
    ReadCapture1,
    Capture2,
    ReadCapture2,
    StripCmd,
    ReadStrip,
    Done,
}

/// One AES2501 capture session. `Send`.
pub struct Aes2501Session {
    phase: Phase,
    writes: Vec<Vec<u8>>,
    next_write: usize,
    settle_tries: u32,
    adrefhi: u8,
    empty_strips: u32,
    strips: Vec<Vec<u8>>,
}

impl Default for Aes2501Session {
    fn default() -> Self {
        Self::new()
    }
}

impl Aes2501Session {
    /// A new session.
    pub fn new() -> Self {
        Aes2501Session {
            phase: Phase::Init1,
            writes: Vec::new(),
            next_write: 0,
            settle_tries: 0,
            adrefhi: ADREFHI_MAX,
            empty_strips: 0,
            strips: Vec::new(),
        }
    }

    fn err(&self, detail: impl Into<String>) -> ProtocolError {
        ProtocolError::Unexpected { driver: NAME, state: "session", detail: detail.into() }
    }

    /// Starts writing a register sequence; `phase` runs when it is written.
    fn write(&mut self, phase: Phase, writes: Vec<Vec<u8>>) -> Result<Step, ProtocolError> {
        self.phase = phase;
        self.writes = writes;
        self.next_write = 1;
        Ok(Step::Io(UsbRequest::BulkOut { endpoint: EP_OUT, data: self.writes[0].clone() }))
    }

    fn read(&mut self, phase: Phase, len: usize) -> Result<Step, ProtocolError> {
        self.phase = phase;
        self.writes.clear();
        Ok(Step::Io(UsbRequest::BulkIn { endpoint: EP_IN, len }))
    }

    fn data(&self, reply: UsbReply, len: usize) -> Result<Vec<u8>, ProtocolError> {
        match reply {
            UsbReply::Data(d) if d.len() == len => Ok(d),
            other => Err(self.err(format!("expected {len} bytes, got {other:?}"))),
        }
    }

    fn finger_detection(&mut self) -> Result<Step, ProtocolError> {
        self.write(Phase::FingerDet, register_writes(FINGER_DET))
    }

    /// Handles one strip; returns the outcome when the swipe is over.
    fn on_strip(&mut self, data: &[u8]) -> Result<Option<SessionOutcome>, ProtocolError> {
        let dump = 1 + 192 * 8 + 1 + 16 * 2 + 1 + 8;
        if data[dump] != CTRL1 {
            return Err(self.err("strip without register dump"));
        }
        let threshold = data[dump + (DATFMT - CTRL1) as usize * 2 + 1] & 0x0f;
        let histo = 1 + 192 * 8;
        if data[histo] != 0xde {
            return Err(self.err("strip without histogram"));
        }
        let sum: i32 = (threshold as usize..16)
            .map(|i| u16::from_le_bytes([data[histo + 1 + 2 * i], data[histo + 2 + 2 * i]]) as i32)
            .sum();
        if sum < SUM_LOW_THRESH {
            self.adrefhi = self.adrefhi.wrapping_sub(8).max(ADREFHI_MIN);
        } else if sum > SUM_HIGH_THRESH {
            self.adrefhi = self.adrefhi.wrapping_add(8).min(ADREFHI_MAX);
        }
        if sum == 0 {
            self.empty_strips += 1;
            if self.empty_strips == EMPTY_STRIPS_TO_END {
                if self.strips.is_empty() {
                    return Ok(Some(SessionOutcome::Retry(RetryReason::TooShort)));
                }
                return Ok(Some(SessionOutcome::Image(assemble(&self.strips)?)));
            }
        } else {
            self.empty_strips = 0;
            self.strips.push(data[1..1 + 192 * 8].to_vec());
            if self.strips.len() >= MAX_FRAMES {
                return Ok(Some(SessionOutcome::Image(assemble(&self.strips)?)));
            }
        }
        Ok(None)
    }
}

impl UsbProtocol for Aes2501Session {
    fn next(&mut self, reply: UsbReply) -> Result<Step, ProtocolError> {
        if self.phase == Phase::Init1 && self.writes.is_empty() {
            return self.write(Phase::Init1, register_writes(INIT_1));
        }
        // Continue a register sequence until all its transfers are written.
        if !self.writes.is_empty() && self.next_write <= self.writes.len() {
            let want = self.writes[self.next_write - 1].len();
            if reply != UsbReply::Written(want) {
                return Err(self.err(format!("register write not completed: {reply:?}")));
            }
            if self.next_write < self.writes.len() {
                self.next_write += 1;
                return Ok(Step::Io(UsbRequest::BulkOut {
                    endpoint: EP_OUT,
                    data: self.writes[self.next_write - 1].clone(),
                }));
            }
            self.writes.clear();
            return match self.phase {
                Phase::Init1 => self.read(Phase::ReadData1, FINGER_DETECTION_LEN),
                Phase::Init2 | Phase::Init3 => self.write(Phase::ReadRegsCmd, vec![vec![CTRL2, READ_REGS]]),
                Phase::ReadRegsCmd => self.read(Phase::ReadRegs, READ_REGS_LEN),
                Phase::Init4 => self.write(Phase::Init5, register_writes(INIT_5)),
                Phase::Init5 => self.finger_detection(),
                Phase::FingerDet => self.read(Phase::ReadFinger, FINGER_DETECTION_LEN),
                Phase::Capture1 => self.read(Phase::ReadCapture1, READ_REGS_RESP_LEN),
                Phase::Capture2 => self.read(Phase::ReadCapture2, READ_REGS_RESP_LEN),
                Phase::StripCmd => self.read(Phase::ReadStrip, STRIP_CAPTURE_LEN),
                other => Err(self.err(format!("write completed in phase {other:?}"))),
            };
        }
        match self.phase {
            Phase::ReadData1 => {
                self.data(reply, FINGER_DETECTION_LEN)?;
                self.write(Phase::Init2, register_writes(INIT_2))
            }
            Phase::ReadRegs => {
                let regs = self.data(reply, READ_REGS_LEN)?;
                self.settle_tries += 1;
                if regs[SETTLED_REG_INDEX] != SETTLED_NOT_YET || self.settle_tries == SETTLE_ATTEMPTS {
                    self.write(Phase::Init4, register_writes(INIT_4))
                } else {
                    self.write(Phase::Init3, register_writes(INIT_3))
                }
            }
            Phase::ReadFinger => {
                let d = self.data(reply, FINGER_DETECTION_LEN)?;
                let sum: u32 = d[1..9].iter().map(|&b| (b & 0x0f) as u32 + (b >> 4) as u32).sum();
                if sum > FINGER_SUM {
                    self.adrefhi = ADREFHI_MAX;
                    self.empty_strips = 0;
                    self.write(Phase::Capture1, register_writes(CAPTURE_1))
                } else {
                    self.phase = Phase::Polled;
                    Ok(Step::Io(UsbRequest::FingerPoll))
                }
            }
            Phase::Polled => match reply {
                UsbReply::Slept => self.finger_detection(),
                UsbReply::TimedOut => {
                    self.phase = Phase::Done;
                    Ok(Step::Finished(SessionOutcome::Retry(RetryReason::NoFinger)))
                }
                other => Err(self.err(format!("{other:?}"))),
            },
            Phase::ReadCapture1 => {
                self.data(reply, READ_REGS_RESP_LEN)?;
                self.write(Phase::Capture2, register_writes(CAPTURE_2))
            }
            Phase::ReadCapture2 => {
                self.data(reply, READ_REGS_RESP_LEN)?;
                let cmd = strip_scan(self.adrefhi);
                self.write(Phase::StripCmd, vec![cmd])
            }
            Phase::ReadStrip => {
                let d = self.data(reply, STRIP_CAPTURE_LEN)?;
                if let Some(outcome) = self.on_strip(&d)? {
                    self.phase = Phase::Done;
                    return Ok(Step::Finished(outcome));
                }
                let cmd = strip_scan(self.adrefhi);
                self.write(Phase::StripCmd, vec![cmd])
            }
            other => Err(self.err(format!("unexpected reply {reply:?} in phase {other:?}"))),
        }
    }
}

/// Expands the 4-bit strips (two vertically adjacent pixels per byte, column-major), stitches,
/// and standardises orientation and polarity.
fn assemble(strips: &[Vec<u8>]) -> Result<GreyImage, ProtocolError> {
    let half = FRAME_HEIGHT / 2;
    let mut frames: Vec<Frame> = strips
        .iter()
        .map(|s| {
            let mut px = vec![0u8; FRAME_WIDTH * FRAME_HEIGHT];
            for y in 0..FRAME_HEIGHT {
                for x in 0..FRAME_WIDTH {
                    let b = s[x * half + y / 2];
                    px[x + y * FRAME_WIDTH] = if y % 2 == 1 { b >> 4 } else { b & 0x0f } * 17;
                }
            }
            Frame { pixels: px, delta_x: 0, delta_y: 0 }
        })
        .collect();
    let g = Geometry { frame_width: FRAME_WIDTH as u32, frame_height: FRAME_HEIGHT as u32, image_width: IMAGE_WIDTH };
    movement_estimation(&g, &mut frames);
    let a = assemble_frames(&g, &mut frames)
        .ok_or_else(|| ProtocolError::BadImage { driver: NAME, detail: "no strips to assemble".into() })?;
    let mut px = a.pixels;
    if !a.reverse {
        px.reverse();
    }
    invert(&mut px);
    Ok(GreyImage { width: a.width, height: a.height, pixels: px })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn register_sequences_split_like_the_recorded_transfers() {
        let w: Vec<usize> = register_writes(INIT_1).iter().map(Vec::len).collect();
        assert_eq!(w, vec![2, 32, 32, 8]);
        let w: Vec<usize> = register_writes(FINGER_DET).iter().map(Vec::len).collect();
        assert_eq!(w, vec![32, 6, 6]);
        assert_eq!(strip_scan(ADREFHI_MAX).len(), 14);
    }

    #[test]
    fn garbage_strips_are_errors() {
        let mut s = Aes2501Session::new();
        assert!(s.on_strip(&vec![0u8; STRIP_CAPTURE_LEN]).is_err());
    }
}
