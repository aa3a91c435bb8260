//! ELAN swipe sensors (04f3:0903/0907/0c01–0c63…, e.g. in laptop touchpads): 2-byte commands
//! on EP 0x01, short replies on EP 0x83, 16-bit LE frames on EP 0x82 (14-bit ADC, portrait
//! raw orientation). A session: firmware version, sensor size, background frame + calibration
//! (repeated until the device's calibration mean matches the background), LED on, then
//! "wait for finger" + frame reads until the finger is lifted (200 ms without a finger) or 30
//! frames; frames are background-subtracted, cropped to 50 rows, mapped to 8 bit by the
//! vendor's 3-level piecewise-linear curve and stitched ([`super::assembling`]).
//! Constants and ID table: libfprint `drivers/elan.h` (public protocol facts).

use std::time::Duration;

use super::assembling::{Frame, Geometry, assemble_frames, movement_estimation};
use super::imageops::invert;
use super::protocol::{GreyImage, ProtocolError, SessionOutcome, Step, UsbProtocol, UsbReply, UsbRequest};
use super::{UsbDriver, UsbId};
use crate::{Capabilities, RetryReason};

/// Driver name.
pub const NAME: &str = "elan";
/// Nominal resolution of the ELAN swipe sensors.
pub const DPI: u16 = 500;

/// Device quirk: default.
pub const ALL_DEV: u8 = 0;
/// Device quirk: 0907 (linear normalisation, extra activation command).
pub const DEV_0907: u8 = 1;
/// Device quirk: 0c03 (frames not rotated).
pub const DEV_0C03: u8 = 2;
/// Device quirk: 0c42 (one-byte replies carry an extra byte; forced recalibration bounds).
pub const DEV_0C42: u8 = 4;
/// Device quirk: 0c58 (more calibration attempts).
pub const DEV_0C58: u8 = 8;

macro_rules! elan_ids {
    ($($pid:expr => $variant:expr),* $(,)?) => {
        &[$(UsbId { vid: 0x04f3, pid: $pid, variant: $variant, model: "ELAN swipe fingerprint sensor" }),*]
    };
}

/// Supported USB IDs (`variant` = quirk bits). One entry per ID.
pub static USB_IDS: &[UsbId] = elan_ids![
    0x0903 => ALL_DEV, 0x0907 => DEV_0907, 0x0c01 => ALL_DEV, 0x0c02 => ALL_DEV, 0x0c03 => DEV_0C03,
    0x0c04 => ALL_DEV, 0x0c05 => ALL_DEV, 0x0c06 => ALL_DEV, 0x0c07 => ALL_DEV, 0x0c08 => ALL_DEV,
    0x0c09 => ALL_DEV, 0x0c0a => ALL_DEV, 0x0c0b => ALL_DEV, 0x0c0c => ALL_DEV, 0x0c0d => ALL_DEV,
    0x0c0e => ALL_DEV, 0x0c0f => ALL_DEV, 0x0c10 => ALL_DEV, 0x0c11 => ALL_DEV, 0x0c12 => ALL_DEV,
    0x0c13 => ALL_DEV, 0x0c14 => ALL_DEV, 0x0c15 => ALL_DEV, 0x0c16 => ALL_DEV, 0x0c17 => ALL_DEV,
    0x0c18 => ALL_DEV, 0x0c19 => ALL_DEV, 0x0c1a => ALL_DEV, 0x0c1b => ALL_DEV, 0x0c1c => ALL_DEV,
    0x0c1d => ALL_DEV, 0x0c1e => ALL_DEV, 0x0c1f => ALL_DEV, 0x0c20 => ALL_DEV, 0x0c21 => ALL_DEV,
    0x0c22 => ALL_DEV, 0x0c23 => ALL_DEV, 0x0c24 => ALL_DEV, 0x0c25 => ALL_DEV, 0x0c26 => ALL_DEV,
    0x0c27 => ALL_DEV, 0x0c28 => ALL_DEV, 0x0c29 => ALL_DEV, 0x0c2a => ALL_DEV, 0x0c2b => ALL_DEV,
    0x0c2c => ALL_DEV, 0x0c2d => ALL_DEV, 0x0c2e => ALL_DEV, 0x0c2f => ALL_DEV, 0x0c30 => ALL_DEV,
    0x0c31 => ALL_DEV, 0x0c32 => ALL_DEV, 0x0c33 => ALL_DEV, 0x0c3d => ALL_DEV, 0x0c42 => DEV_0C42,
    0x0c4b => ALL_DEV, 0x0c4d => ALL_DEV, 0x0c4f => ALL_DEV, 0x0c63 => ALL_DEV, 0x0c58 => DEV_0C58,
];

/// The driver row for [`super::USB_DRIVERS`].
pub static DRIVER: UsbDriver = UsbDriver {
    name: NAME,
    ids: USB_IDS,
    // Swipe: the height depends on the swipe; 144-px-wide sensors give 216-px-wide images.
    capabilities: |_| Capabilities { width: 216, height: 0, dpi: DPI, bits_per_pixel: 8, finger_detection: true },
    session: |id, _| Box::new(ElanSession::new(id.variant)),
};

const EP_CMD_OUT: u8 = 0x01;
const EP_CMD_IN: u8 = 0x83;
const EP_IMG_IN: u8 = 0x82;
const CMD_GET_FW_VER: [u8; 2] = [0x40, 0x19];
const CMD_GET_SENSOR_DIM: [u8; 2] = [0x00, 0x0c];
const CMD_ACTIVATE_1: [u8; 2] = [0x40, 0x2a];
const CMD_GET_IMAGE: [u8; 2] = [0x00, 0x09];
const CMD_CALIB_STATUS: [u8; 2] = [0x40, 0x23];
const CMD_CALIB_MEAN: [u8; 2] = [0x40, 0x24];
const CMD_LED_ON: [u8; 2] = [0x40, 0x31];
const CMD_PRE_SCAN: [u8; 2] = [0x40, 0x3f];
const CMD_STOP: [u8; 2] = [0x00, 0x0b];
/// Firmware from which the sensor supports calibration.
const MIN_CALIBRATION_FW: u16 = 0x0138;
/// Largest accepted |background mean − calibration mean|.
const CALIBRATION_MAX_DELTA: u32 = 500;
/// Frames per capture: fewer is "swipe too short", more stops the capture.
const MIN_FRAMES: usize = 7;
const MAX_FRAMES: usize = 30;
/// Frames are cropped to this many rows (stitching works badly on tall frames).
const MAX_FRAME_HEIGHT: u32 = 50;
/// Frames dropped at the end (taken while the finger lifts).
const SKIP_LAST_FRAMES: usize = 2;
/// Wait for the next frame once the finger is down; a timeout means it was lifted.
const FINGER_TIMEOUT: Duration = Duration::from_millis(200);
/// Pause between calibration status polls.
const CALIBRATION_POLL: Duration = Duration::from_millis(50);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Cmd {
    FwVer,
    SensorDim,
    Activate1,
    Background,
    CalibMean,
    CalibStatus,
    CalibPause,
    LedOn,
    PreScan,
    Frame,
    Stop,
}

/// One ELAN capture session. `Send`.
pub struct ElanSession {
    dev_type: u8,
    cmd: Option<Cmd>,
    sent: bool,
    fw_ver: u16,
    frame_width: u32,
    frame_height: u32,
    raw_height: u32,
    background: Vec<u16>,
    calib_atts_left: u32,
    calib_status: u8,
    frames: Vec<Vec<u16>>,
    first_prescan: bool,
    outcome: Option<SessionOutcome>,
    done: bool,
}

impl ElanSession {
    /// A new session for a device with the given quirk bits.
    pub fn new(dev_type: u8) -> Self {
        ElanSession {
            dev_type,
            cmd: None,
            sent: false,
            fw_ver: 0,
            frame_width: 0,
            frame_height: 0,
            raw_height: 0,
            background: Vec::new(),
            calib_atts_left: if dev_type == DEV_0C58 { 30 } else { 10 },
            calib_status: 0,
            frames: Vec::new(),
            first_prescan: true,
            outcome: None,
            done: false,
        }
    }

    fn err(&self, detail: impl Into<String>) -> ProtocolError {
        ProtocolError::Unexpected { driver: NAME, state: "session", detail: detail.into() }
    }

    fn bytes(cmd: Cmd) -> [u8; 2] {
        match cmd {
            Cmd::FwVer => CMD_GET_FW_VER,
            Cmd::SensorDim => CMD_GET_SENSOR_DIM,
            Cmd::Activate1 => CMD_ACTIVATE_1,
            Cmd::Background | Cmd::Frame => CMD_GET_IMAGE,
            Cmd::CalibMean => CMD_CALIB_MEAN,
            Cmd::CalibStatus | Cmd::CalibPause => CMD_CALIB_STATUS,
            Cmd::LedOn => CMD_LED_ON,
            Cmd::PreScan => CMD_PRE_SCAN,
            Cmd::Stop => CMD_STOP,
        }
    }

    /// Reply length of a command (0 = no read).
    fn reply_len(&self, cmd: Cmd) -> usize {
        let base = match cmd {
            Cmd::FwVer | Cmd::Activate1 | Cmd::CalibMean => 2,
            Cmd::SensorDim => 4,
            Cmd::CalibStatus | Cmd::CalibPause | Cmd::PreScan => 1,
            Cmd::Background | Cmd::Frame => return (self.raw_height * self.frame_width * 2) as usize,
            Cmd::LedOn | Cmd::Stop => 0,
        };
        if self.dev_type == DEV_0C42 && base == 1 { 2 } else { base }
    }

    fn run(&mut self, cmd: Cmd) -> Result<Step, ProtocolError> {
        self.cmd = Some(cmd);
        self.sent = false;
        Ok(Step::Io(UsbRequest::BulkOut { endpoint: EP_CMD_OUT, data: Self::bytes(cmd).to_vec() }))
    }

    fn stop(&mut self, outcome: SessionOutcome) -> Result<Step, ProtocolError> {
        self.outcome = Some(outcome);
        self.run(Cmd::Stop)
    }

    /// Copies the stored raw frame into sensor orientation, cropped to `frame_height` rows.
    fn crop(&self, raw: &[u8]) -> Vec<u16> {
        let (w, h, rh) = (self.frame_width, self.frame_height, self.raw_height);
        let margin = (rh - h) / 2;
        let word = |i: u32| {
            let i = i as usize * 2;
            raw.get(i..i + 2).map_or(0, |b| u16::from_le_bytes([b[0], b[1]]))
        };
        let mut out = vec![0u16; (w * h) as usize];
        for y in 0..h {
            for x in 0..w {
                let raw_idx = if self.dev_type & DEV_0C03 != 0 { x + (y + margin) * w } else { margin + y + x * rh };
                out[(x + y * w) as usize] = word(raw_idx);
            }
        }
        out
    }

    fn need_calibration(&self, mean_reply: &[u8]) -> bool {
        let calib_mean = (mean_reply[0] as u32 * 0xff + mean_reply[1] as u32) as u16 as u32;
        if self.dev_type == DEV_0C42 && !(2500..=5500).contains(&calib_mean) {
            return true;
        }
        let n = self.background.len().max(1) as u32;
        let bg_mean = self.background.iter().map(|&v| v as u32).sum::<u32>() / n;
        bg_mean.abs_diff(calib_mean) > CALIBRATION_MAX_DELTA
    }

    fn finish_capture(&mut self) -> Result<Step, ProtocolError> {
        if self.frames.len() < MIN_FRAMES {
            return self.stop(SessionOutcome::Retry(RetryReason::TooShort));
        }
        let image = assemble(&self.frames, self.frame_width, self.frame_height, self.dev_type)?;
        self.stop(SessionOutcome::Image(image))
    }

    fn on_reply(&mut self, cmd: Cmd, data: Vec<u8>) -> Result<Step, ProtocolError> {
        match cmd {
            Cmd::FwVer => {
                self.fw_ver = u16::from_be_bytes([data[0], data[1]]);
                self.run(Cmd::SensorDim)
            }
            Cmd::SensorDim => {
                let (a, b) = (data[0] as u32, data[2] as u32);
                let (mut w, mut h) = if self.dev_type & DEV_0C03 != 0 { (a, b) } else { (b, a) };
                if w % 2 == 1 && h % 2 == 1 {
                    w += 1;
                    h += 1;
                }
                if w == 0 || h == 0 {
                    return Err(self.err(format!("sensor reports size {w}x{h}")));
                }
                self.frame_width = w;
                self.raw_height = h;
                self.frame_height = h.min(MAX_FRAME_HEIGHT);
                if self.dev_type & DEV_0907 != 0 { self.run(Cmd::Activate1) } else { self.run(Cmd::Background) }
            }
            Cmd::Activate1 => self.run(Cmd::Background),
            Cmd::Background => {
                self.background = self.crop(&data);
                if self.dev_type != DEV_0C42 && self.fw_ver < MIN_CALIBRATION_FW {
                    self.run(Cmd::LedOn)
                } else {
                    self.run(Cmd::CalibMean)
                }
            }
            Cmd::CalibMean => {
                if self.need_calibration(&data) {
                    self.calib_status = 0;
                    self.calibration_status()
                } else {
                    self.run(Cmd::LedOn)
                }
            }
            Cmd::CalibStatus | Cmd::CalibPause => {
                let status = data[0];
                if self.calib_status == 0x01 && status == 0x03 {
                    self.calib_status = 0x03;
                    return self.run(Cmd::Background);
                }
                if self.calib_status == 0x00 && status == 0x01 {
                    self.calib_status = 0x01;
                }
                self.cmd = Some(Cmd::CalibPause);
                self.sent = true;
                Ok(Step::Io(UsbRequest::Sleep(CALIBRATION_POLL)))
            }
            Cmd::PreScan => {
                if data.first() == Some(&0x55) {
                    self.first_prescan = false;
                    self.run(Cmd::Frame)
                } else if self.first_prescan {
                    Err(self.err(format!("wait-for-finger answered {data:02x?} instead of 0x55 (not calibrated?)")))
                } else {
                    self.finish_capture()
                }
            }
            Cmd::Frame => {
                let mut frame = self.crop(&data);
                let mut sum: u32 = 0;
                for (v, &b) in frame.iter_mut().zip(&self.background) {
                    *v = v.saturating_sub(b);
                    sum = sum.wrapping_add(*v as u32);
                }
                if sum == 0 {
                    // Frame darker than the background: the finger was on the sensor during calibration.
                    return self.stop(SessionOutcome::Retry(RetryReason::RemoveFinger));
                }
                self.frames.push(frame);
                if self.frames.len() < MAX_FRAMES { self.run(Cmd::PreScan) } else { self.finish_capture() }
            }
            Cmd::LedOn | Cmd::Stop => Err(self.err("unexpected reply to a command without reply")),
        }
    }

    fn calibration_status(&mut self) -> Result<Step, ProtocolError> {
        self.calib_atts_left -= 1;
        if self.calib_atts_left == 0 {
            return Err(ProtocolError::Device { driver: NAME, detail: "calibration failed; replug the sensor".into() });
        }
        self.run(Cmd::CalibStatus)
    }
}

impl UsbProtocol for ElanSession {
    fn next(&mut self, reply: UsbReply) -> Result<Step, ProtocolError> {
        if self.done {
            return Err(self.err("session already finished"));
        }
        let Some(cmd) = self.cmd else {
            return self.run(Cmd::FwVer);
        };
        if cmd == Cmd::CalibPause && self.sent {
            // The pause after a status read elapsed: poll again.
            return self.calibration_status();
        }
        if !self.sent {
            if reply != UsbReply::Written(2) {
                return Err(self.err(format!("command {:02x?} not sent: {reply:?}", Self::bytes(cmd))));
            }
            self.sent = true;
            let len = self.reply_len(cmd);
            if len == 0 {
                return match cmd {
                    Cmd::LedOn => self.run(Cmd::PreScan),
                    _ => {
                        self.done = true;
                        let outcome = self.outcome.take().ok_or_else(|| self.err("no outcome"))?;
                        Ok(Step::Finished(outcome))
                    }
                };
            }
            let endpoint = if matches!(cmd, Cmd::Background | Cmd::Frame) { EP_IMG_IN } else { EP_CMD_IN };
            return Ok(Step::Io(match cmd {
                Cmd::PreScan if self.first_prescan => UsbRequest::BulkInFinger { endpoint, len },
                Cmd::PreScan => UsbRequest::BulkInWithin { endpoint, len, timeout: FINGER_TIMEOUT },
                _ => UsbRequest::BulkIn { endpoint, len },
            }));
        }
        let data = match reply {
            UsbReply::Data(d) => d,
            UsbReply::TimedOut if cmd == Cmd::PreScan && self.first_prescan => {
                return self.stop(SessionOutcome::Retry(RetryReason::NoFinger));
            }
            UsbReply::TimedOut if cmd == Cmd::PreScan => return self.finish_capture(),
            other => return Err(self.err(format!("expected data, got {other:?}"))),
        };
        if cmd == Cmd::PreScan && data.is_empty() && !self.first_prescan {
            return self.finish_capture();
        }
        let want = self.reply_len(cmd);
        if data.len() != want {
            return Err(self.err(format!("reply to {:02x?}: {} bytes, expected {want}", Self::bytes(cmd), data.len())));
        }
        self.on_reply(cmd, data)
    }
}

/// Maps a background-subtracted 14-bit frame to 8 bit with the vendor's 3-level curve
/// (35 % of pixels → 0..99, 30 % → 99..155, 35 % → 155..255).
fn normalise_thirds(raw: &[u16]) -> Vec<u8> {
    let mut sorted = raw.to_vec();
    sorted.sort_unstable_by_key(|&v| v as i16);
    let n = sorted.len();
    let (l0, l1, l2, l3) =
        (sorted[0] as i32, sorted[n * 3 / 10] as i32, sorted[n * 65 / 100] as i32, sorted[n - 1] as i32);
    raw.iter()
        .map(|&p| {
            let p = p as i32;
            let v = if l0 <= p && p < l1 {
                (p - l0) * 99 / (l1 - l0)
            } else if l1 <= p && p < l2 {
                99 + (p - l1) * 56 / (l2 - l1)
            } else if l3 > l2 {
                155 + (p - l2) * 100 / (l3 - l2)
            } else {
                155
            };
            v as u16 as u8
        })
        .collect()
}

/// Linear min–max mapping (0907).
fn normalise_linear(raw: &[u16]) -> Vec<u8> {
    let min = raw.iter().copied().min().unwrap_or(0) as i32;
    let max = raw.iter().copied().max().unwrap_or(0) as i32;
    raw.iter().map(|&p| if max > min { ((p as i32 - min) * 0xff / (max - min)) as u16 as u8 } else { 0 }).collect()
}

/// Normalises, stitches and standardises the captured frames (oldest first).
fn assemble(frames: &[Vec<u16>], w: u32, h: u32, dev_type: u8) -> Result<GreyImage, ProtocolError> {
    let keep = frames.len().saturating_sub(SKIP_LAST_FRAMES);
    let mut stripes: Vec<Frame> = frames[..keep]
        .iter()
        .map(|f| Frame {
            pixels: if dev_type & DEV_0907 != 0 { normalise_linear(f) } else { normalise_thirds(f) },
            delta_x: 0,
            delta_y: 0,
        })
        .collect();
    let g = Geometry { frame_width: w, frame_height: h, image_width: w * 3 / 2 };
    movement_estimation(&g, &mut stripes);
    let a = assemble_frames(&g, &mut stripes)
        .ok_or_else(|| ProtocolError::BadImage { driver: NAME, detail: "frames cannot be assembled".into() })?;
    let mut pixels = a.pixels;
    if !a.reverse {
        pixels.reverse();
    }
    invert(&mut pixels);
    Ok(GreyImage { width: a.width, height: a.height, pixels })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thirds_curve_hits_its_anchor_levels() {
        let raw: Vec<u16> = (0..100).map(|v| v * 10).collect();
        let out = normalise_thirds(&raw);
        assert_eq!(out[0], 0);
        assert_eq!(out[30], 99);
        assert_eq!(out[65], 155);
        assert_eq!(out[99], 255);
    }

    #[test]
    fn flat_frames_do_not_divide_by_zero() {
        assert!(normalise_thirds(&[7; 50]).iter().all(|&v| v == 155 || v == 0));
        assert!(normalise_linear(&[7; 50]).iter().all(|&v| v == 0));
    }

    #[test]
    fn short_replies_are_errors() {
        let mut s = ElanSession::new(ALL_DEV);
        s.next(UsbReply::Start).unwrap();
        s.next(UsbReply::Written(2)).unwrap();
        assert!(s.next(UsbReply::Data(vec![1])).is_err());
    }
}
