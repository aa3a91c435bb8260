//! DigitalPersona U.are.U 4000/4000B/4500 and Microsoft Fingerprint Reader (v1/v2) optical
//! scanners: 384 × 290 pixels, ~700 dpi (the FVC2004 DB2 sensor). Register protocol over
//! vendor control requests, finger presence over an interrupt endpoint, one bulk image read,
//! LFSR image "encryption" keyed by a host-chosen seed, AES-128 challenge-response on the MS v2.
//!
//! Sequence (per capture session, see `docs/scanner-protocols.md` §3.2): read HWSTAT, power
//! cycle (with optional reboot and challenge-response loops), wait for the 0x56AA power-on
//! interrupt, read device info, MODE=await-finger, wait for 0x0101, start the bulk read, MODE=
//! capture, decode (send key index + seed, read key, decrypt blocks), MODE=await-finger-off,
//! wait for 0x0200, MODE=off.

use aes::Aes128;
use aes::cipher::{BlockEncrypt, KeyInit};
use std::time::Duration;

use super::protocol::{
    GreyImage, ProtocolError, SeedSource, SessionOutcome, Step, UsbProtocol, UsbReply, UsbRequest, Wait, vendor_in,
    vendor_out,
};
use super::{UsbDriver, UsbId};
use crate::{Capabilities, RetryReason};

/// Driver name (`ridgegate devices`, test names).
pub const NAME: &str = "uru4000";
/// Sensor width in pixels.
pub const WIDTH: usize = 384;
/// Sensor height in pixels.
pub const HEIGHT: usize = 290;
/// Resolution quoted for the U.are.U 4000B/4500 sensor.
pub const DPI: u16 = 700;

/// Profile: Microsoft keyboard, IntelliMouse and standalone v1 readers, DigitalPersona 4000.
pub const PROFILE_PLAIN: u8 = 0;
/// Profile: Microsoft Fingerprint Reader v2 (challenge-response authentication).
pub const PROFILE_MS_V2: u8 = 1;
/// Profile: DigitalPersona U.are.U 4000B/4500 (image delivered rotated by 180°).
pub const PROFILE_4000B: u8 = 2;

/// Supported USB IDs; `variant` is one of the `PROFILE_*` values. One line per ID.
pub static USB_IDS: &[UsbId] = &[
    UsbId { vid: 0x045e, pid: 0x00bb, variant: PROFILE_PLAIN, model: "Microsoft Keyboard with Fingerprint Reader" },
    UsbId { vid: 0x045e, pid: 0x00bc, variant: PROFILE_PLAIN, model: "Microsoft IntelliMouse with Fingerprint Reader" },
    UsbId { vid: 0x045e, pid: 0x00bd, variant: PROFILE_PLAIN, model: "Microsoft Fingerprint Reader" },
    UsbId { vid: 0x045e, pid: 0x00ca, variant: PROFILE_MS_V2, model: "Microsoft Fingerprint Reader v2" },
    UsbId { vid: 0x05ba, pid: 0x0007, variant: PROFILE_PLAIN, model: "DigitalPersona U.are.U 4000" },
    UsbId { vid: 0x05ba, pid: 0x0008, variant: PROFILE_PLAIN, model: "DigitalPersona U.are.U 4000 keyboard" },
    UsbId { vid: 0x05ba, pid: 0x000a, variant: PROFILE_4000B, model: "DigitalPersona U.are.U 4000B/4500" },
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
    session: |id, seeds| Box::new(Uru4000Session::new(id.variant, seeds)),
};

const REQUEST: u8 = 0x04;
const EP_INTR: u8 = 0x81;
const EP_DATA: u8 = 0x82;
const IRQ_LENGTH: usize = 64;
const REG_HWSTAT: u16 = 0x07;
const REG_SCRAMBLE_DATA_INDEX: u16 = 0x33;
const REG_SCRAMBLE_DATA_KEY: u16 = 0x34;
const REG_MODE: u16 = 0x4e;
const REG_DEVICE_INFO: u16 = 0xf0;
const REG_RESPONSE: u16 = 0x2000;
const REG_CHALLENGE: u16 = 0x2010;
const MODE_AWAIT_FINGER_ON: u8 = 0x10;
const MODE_AWAIT_FINGER_OFF: u8 = 0x12;
const MODE_CAPTURE: u8 = 0x20;
const MODE_OFF: u8 = 0x70;
const IRQ_SCANPWR_ON: u16 = 0x56aa;
const IRQ_FINGER_ON: u16 = 0x0101;
const IRQ_FINGER_OFF: u16 = 0x0200;
const CR_LENGTH: u16 = 16;
/// AES-128 key of the MS v2 challenge-response (public, from libfprint's uru4000 driver).
const CR_KEY: [u8; 16] =
    [0x79, 0xac, 0x91, 0x79, 0x5c, 0xa1, 0x47, 0x8e, 0x98, 0xe0, 0x0f, 0x3c, 0x59, 0x8f, 0x5f, 0x4b];
/// Image transfer size requested: 64-byte header + 290 rows (the device sends fewer rows).
pub const IMAGE_TRANSFER: usize = HEADER_LEN + WIDTH * HEIGHT;
const HEADER_LEN: usize = 64;
const BLOCKS: usize = 15;
const BLOCKF_CHANGE_KEY: u8 = 0x80;
const BLOCKF_NO_KEY_UPDATE: u8 = 0x04;
const BLOCKF_ENCRYPTED: u8 = 0x02;
const BLOCKF_NOT_PRESENT: u8 = 0x01;
/// Mean squared deviation of the first two rows above which an image is taken as encrypted.
const ENC_THRESHOLD: i64 = 5000;
/// Power-on interrupt wait per attempt, attempts (libfprint: 300 ms × 3).
const SCANPWR_WAIT: Duration = Duration::from_millis(300);
const SCANPWR_ATTEMPTS: u32 = 3;
/// HWSTAT poll pause and limit for the reboot and power-up loops.
const HWSTAT_PAUSE: Duration = Duration::from_millis(10);
const HWSTAT_TRIES: u32 = 100;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Start,
    ReadHwstat,
    RebootSet,
    RebootRead,
    RebootPause,
    PowerDown,
    PowerupSet,
    PowerupRead,
    PowerupPause,
    ChallengeRead,
    ChallengeWrite,
    AwaitScanPower,
    ReadDeviceInfo,
    ModeAwaitFinger,
    AwaitFingerOn,
    StartImage,
    ModeCapture,
    AwaitImage,
    WriteKeyIndex,
    ReadKey,
    ModeAwaitFingerOff,
    AwaitFingerOff,
    ModeOff,
    Done,
}

/// One capture session of a U.are.U/MS reader as a state machine (see module docs).
/// `Send`; not shared between threads.
pub struct Uru4000Session {
    profile: u8,
    state: State,
    seeds: SeedSource,
    seed: u32,
    last_hwstat: u8,
    powerup_hwstat: u8,
    counter: u32,
    scanpwr_attempts: u32,
    frame: Option<Frame>,
    outcome: Option<SessionOutcome>,
}

/// Raw image transfer being decoded.
struct Frame {
    data: Vec<u8>,
    key_number: u8,
    num_lines: usize,
    flags: [u8; BLOCKS],
    block_lines: [u8; BLOCKS],
    block: usize,
    lines_done: usize,
}

impl Uru4000Session {
    /// A new session for a device of the given profile (`PROFILE_*`), drawing image key seeds
    /// from `seeds`.
    pub fn new(profile: u8, seeds: SeedSource) -> Self {
        Uru4000Session {
            profile,
            state: State::Start,
            seeds,
            seed: 0,
            last_hwstat: 0,
            powerup_hwstat: 0,
            counter: 0,
            scanpwr_attempts: 0,
            frame: None,
            outcome: None,
        }
    }

    fn err(&self, detail: impl Into<String>) -> ProtocolError {
        ProtocolError::Unexpected { driver: NAME, state: self.state_name(), detail: detail.into() }
    }

    fn state_name(&self) -> &'static str {
        match self.state {
            State::Start => "start",
            State::ReadHwstat => "read-hwstat",
            State::RebootSet | State::RebootRead | State::RebootPause => "reboot-power",
            State::PowerDown => "power-down",
            State::PowerupSet | State::PowerupRead | State::PowerupPause => "power-up",
            State::ChallengeRead | State::ChallengeWrite => "challenge-response",
            State::AwaitScanPower => "await-scan-power",
            State::ReadDeviceInfo => "read-device-info",
            State::ModeAwaitFinger | State::AwaitFingerOn => "await-finger",
            State::StartImage | State::ModeCapture | State::AwaitImage => "capture",
            State::WriteKeyIndex | State::ReadKey => "image-key",
            State::ModeAwaitFingerOff | State::AwaitFingerOff => "await-finger-off",
            State::ModeOff => "power-off",
            State::Done => "done",
        }
    }

    fn go(&mut self, state: State, request: UsbRequest) -> Result<Step, ProtocolError> {
        self.state = state;
        Ok(Step::Io(request))
    }

    fn data(&self, reply: UsbReply, len: usize) -> Result<Vec<u8>, ProtocolError> {
        match reply {
            UsbReply::Data(d) if d.len() == len => Ok(d),
            UsbReply::Data(d) => Err(self.err(format!("expected {len} bytes, got {}", d.len()))),
            other => Err(self.err(format!("expected data, got {other:?}"))),
        }
    }

    fn written(&self, reply: UsbReply, len: usize) -> Result<(), ProtocolError> {
        match reply {
            UsbReply::Written(n) if n == len => Ok(()),
            other => Err(self.err(format!("expected {len} bytes written, got {other:?}"))),
        }
    }

    fn read_hwstat(&mut self, next: State) -> Result<Step, ProtocolError> {
        self.go(next, vendor_in(REQUEST, REG_HWSTAT, 0, 1))
    }

    fn write_reg(&mut self, next: State, reg: u16, data: Vec<u8>) -> Result<Step, ProtocolError> {
        self.go(next, vendor_out(REQUEST, reg, 0, data))
    }

    fn start_powerup(&mut self) -> Result<Step, ProtocolError> {
        self.counter = HWSTAT_TRIES;
        self.powerup_hwstat = self.last_hwstat & 0x0f;
        self.write_reg(State::PowerupSet, REG_HWSTAT, vec![self.powerup_hwstat])
    }

    fn finish_with(&mut self, outcome: SessionOutcome) -> Result<Step, ProtocolError> {
        self.outcome = Some(outcome);
        self.write_reg(State::ModeOff, REG_MODE, vec![MODE_OFF])
    }

    /// Sends the key index and a fresh seed for the current frame.
    fn request_key(&mut self) -> Result<Step, ProtocolError> {
        let key_number = self.frame.as_ref().map_or(0, |f| f.key_number);
        self.seed = self.seeds.next_seed();
        let mut buf = vec![key_number];
        buf.extend_from_slice(&self.seed.to_le_bytes());
        self.write_reg(State::WriteKeyIndex, REG_SCRAMBLE_DATA_INDEX, buf)
    }

    /// Decrypts blocks with `key` until done or a key change is needed.
    fn decode_with(&mut self, mut key: u32) -> Result<Step, ProtocolError> {
        let frame = self
            .frame
            .as_mut()
            .ok_or_else(|| ProtocolError::Device { driver: NAME, detail: "key received without an image".into() })?;
        while frame.block < BLOCKS && frame.lines_done < frame.num_lines {
            let flags = frame.flags[frame.block];
            let lines = frame.block_lines[frame.block] as usize;
            if lines == 0 {
                break;
            }
            if flags & BLOCKF_CHANGE_KEY != 0 {
                frame.flags[frame.block] &= !BLOCKF_CHANGE_KEY;
                frame.key_number = frame.key_number.wrapping_add(1);
                return self.request_key();
            }
            let start = HEADER_LEN + frame.lines_done * WIDTH;
            let end = (start + lines * WIDTH).min(frame.data.len());
            match flags & (BLOCKF_NO_KEY_UPDATE | BLOCKF_ENCRYPTED) {
                BLOCKF_ENCRYPTED => key = decrypt_block(&mut frame.data[start.min(end)..end], key),
                0 => key = advance_key(key, lines * WIDTH),
                _ => {}
            }
            if flags & BLOCKF_NOT_PRESENT == 0 {
                frame.lines_done += lines;
            }
            frame.block += 1;
        }
        self.after_image()
    }

    fn after_image(&mut self) -> Result<Step, ProtocolError> {
        let frame = self
            .frame
            .take()
            .ok_or_else(|| ProtocolError::Device { driver: NAME, detail: "no image to assemble".into() })?;
        let raw = assemble(&frame);
        let image = standardise(&raw, self.profile == PROFILE_4000B);
        self.outcome = Some(SessionOutcome::Image(image));
        self.write_reg(State::ModeAwaitFingerOff, REG_MODE, vec![MODE_AWAIT_FINGER_OFF])
    }
}

fn irq_type(packet: &[u8]) -> Option<u16> {
    (packet.len() >= 2).then(|| u16::from_be_bytes([packet[0], packet[1]]))
}

impl UsbProtocol for Uru4000Session {
    fn interrupt_endpoint(&self) -> Option<(u8, usize)> {
        Some((EP_INTR, IRQ_LENGTH))
    }

    fn next(&mut self, reply: UsbReply) -> Result<Step, ProtocolError> {
        match self.state {
            State::Start => self.read_hwstat(State::ReadHwstat),
            State::ReadHwstat => {
                self.last_hwstat = self.data(reply, 1)?[0];
                if self.last_hwstat & 0x84 == 0x84 {
                    self.counter = HWSTAT_TRIES;
                    self.write_reg(State::RebootSet, REG_HWSTAT, vec![self.last_hwstat & 0x0f])
                } else if self.last_hwstat & 0x80 == 0 {
                    self.write_reg(State::PowerDown, REG_HWSTAT, vec![self.last_hwstat | 0x80])
                } else {
                    self.start_powerup()
                }
            }
            State::RebootSet => {
                self.written(reply, 1)?;
                self.read_hwstat(State::RebootRead)
            }
            State::RebootRead => {
                self.last_hwstat = self.data(reply, 1)?[0];
                if self.last_hwstat & 0x01 != 0 {
                    if self.last_hwstat & 0x80 == 0 {
                        self.write_reg(State::PowerDown, REG_HWSTAT, vec![self.last_hwstat | 0x80])
                    } else {
                        self.start_powerup()
                    }
                } else {
                    self.counter -= 1;
                    if self.counter == 0 {
                        return Err(ProtocolError::Device {
                            driver: NAME,
                            detail: "could not reboot device power".into(),
                        });
                    }
                    self.go(State::RebootPause, UsbRequest::Sleep(HWSTAT_PAUSE))
                }
            }
            State::RebootPause => self.read_hwstat(State::RebootRead),
            State::PowerDown => {
                self.written(reply, 1)?;
                self.start_powerup()
            }
            State::PowerupSet => {
                self.written(reply, 1)?;
                self.read_hwstat(State::PowerupRead)
            }
            State::PowerupRead => {
                self.last_hwstat = self.data(reply, 1)?[0];
                if self.last_hwstat & 0x80 == 0 {
                    self.go(State::AwaitScanPower, UsbRequest::AwaitInterrupt(Wait::For(SCANPWR_WAIT)))
                } else {
                    self.counter -= 1;
                    if self.counter == 0 {
                        return Err(ProtocolError::Device { driver: NAME, detail: "could not power device up".into() });
                    }
                    self.go(State::PowerupPause, UsbRequest::Sleep(HWSTAT_PAUSE))
                }
            }
            State::PowerupPause => {
                if self.profile == PROFILE_MS_V2 {
                    self.go(State::ChallengeRead, vendor_in(REQUEST, REG_CHALLENGE, 0, CR_LENGTH))
                } else {
                    self.write_reg(State::PowerupSet, REG_HWSTAT, vec![self.powerup_hwstat])
                }
            }
            State::ChallengeRead => {
                let challenge = self.data(reply, CR_LENGTH as usize)?;
                let response = challenge_response(&challenge);
                self.write_reg(State::ChallengeWrite, REG_RESPONSE, response.to_vec())
            }
            State::ChallengeWrite => {
                self.written(reply, CR_LENGTH as usize)?;
                self.write_reg(State::PowerupSet, REG_HWSTAT, vec![self.powerup_hwstat])
            }
            State::AwaitScanPower => match reply {
                UsbReply::Data(p) if irq_type(&p) == Some(IRQ_SCANPWR_ON) => {
                    self.go(State::ReadDeviceInfo, vendor_in(REQUEST, REG_DEVICE_INFO, 0, 16))
                }
                UsbReply::Data(_) => {
                    self.go(State::AwaitScanPower, UsbRequest::AwaitInterrupt(Wait::For(SCANPWR_WAIT)))
                }
                UsbReply::TimedOut => {
                    self.scanpwr_attempts += 1;
                    if self.scanpwr_attempts >= SCANPWR_ATTEMPTS {
                        return Err(ProtocolError::Device {
                            driver: NAME,
                            detail: "scanner did not power up (no 0x56AA interrupt after 3 attempts); replug it".into(),
                        });
                    }
                    self.read_hwstat(State::ReadHwstat)
                }
                other => Err(self.err(format!("{other:?}"))),
            },
            State::ReadDeviceInfo => {
                self.data(reply, 16)?;
                self.write_reg(State::ModeAwaitFinger, REG_MODE, vec![MODE_AWAIT_FINGER_ON])
            }
            State::ModeAwaitFinger => {
                self.written(reply, 1)?;
                self.go(State::AwaitFingerOn, UsbRequest::AwaitInterrupt(Wait::Finger))
            }
            State::AwaitFingerOn => match reply {
                UsbReply::Data(p) if irq_type(&p) == Some(IRQ_FINGER_ON) => {
                    self.go(State::StartImage, UsbRequest::StartBulkIn { endpoint: EP_DATA, len: IMAGE_TRANSFER })
                }
                UsbReply::Data(_) => self.go(State::AwaitFingerOn, UsbRequest::AwaitInterrupt(Wait::Finger)),
                UsbReply::TimedOut => self.finish_with(SessionOutcome::Retry(RetryReason::NoFinger)),
                other => Err(self.err(format!("{other:?}"))),
            },
            State::StartImage => match reply {
                UsbReply::Submitted => self.write_reg(State::ModeCapture, REG_MODE, vec![MODE_CAPTURE]),
                other => Err(self.err(format!("{other:?}"))),
            },
            State::ModeCapture => {
                self.written(reply, 1)?;
                self.go(State::AwaitImage, UsbRequest::AwaitBulkIn)
            }
            State::AwaitImage => {
                let UsbReply::Data(data) = reply else {
                    return Err(self.err("expected image data"));
                };
                let frame = parse_frame(data)?;
                let encrypted = self.profile == PROFILE_4000B || frame_deviation(&frame) >= ENC_THRESHOLD;
                self.frame = Some(frame);
                if encrypted { self.request_key() } else { self.after_image() }
            }
            State::WriteKeyIndex => {
                self.written(reply, 5)?;
                self.go(State::ReadKey, vendor_in(REQUEST, REG_SCRAMBLE_DATA_KEY, 0, 4))
            }
            State::ReadKey => {
                let k = self.data(reply, 4)?;
                let key = u32::from_le_bytes([k[0], k[1], k[2], k[3]]) ^ self.seed;
                self.decode_with(key)
            }
            State::ModeAwaitFingerOff => {
                self.written(reply, 1)?;
                self.go(State::AwaitFingerOff, UsbRequest::AwaitInterrupt(Wait::Finger))
            }
            State::AwaitFingerOff => match reply {
                UsbReply::Data(p) if irq_type(&p) == Some(IRQ_FINGER_OFF) => {
                    self.write_reg(State::ModeOff, REG_MODE, vec![MODE_OFF])
                }
                UsbReply::Data(_) => self.go(State::AwaitFingerOff, UsbRequest::AwaitInterrupt(Wait::Finger)),
                // The image is already taken: a finger left on the sensor does not spoil it.
                UsbReply::TimedOut => self.write_reg(State::ModeOff, REG_MODE, vec![MODE_OFF]),
                other => Err(self.err(format!("{other:?}"))),
            },
            State::ModeOff => {
                self.written(reply, 1)?;
                self.state = State::Done;
                let outcome = self.outcome.take().ok_or_else(|| self.err("session ended without an outcome"))?;
                Ok(Step::Finished(outcome))
            }
            State::Done => Err(self.err("session already finished")),
        }
    }
}

/// AES-128-ECB of the 16-byte challenge with the fixed MS v2 key.
pub fn challenge_response(challenge: &[u8]) -> [u8; 16] {
    let cipher = Aes128::new(&CR_KEY.into());
    let mut block = [0u8; 16];
    let n = challenge.len().min(16);
    block[..n].copy_from_slice(&challenge[..n]);
    let mut b = block.into();
    cipher.encrypt_block(&mut b);
    b.into()
}

/// Parses the 64-byte header of an image transfer; checks the line count against the length.
fn parse_frame(mut data: Vec<u8>) -> Result<Frame, ProtocolError> {
    let bad = |detail: String| ProtocolError::BadImage { driver: NAME, detail };
    if data.len() < HEADER_LEN {
        return Err(bad(format!("image transfer of {} bytes is shorter than its 64-byte header", data.len())));
    }
    let num_lines = u16::from_le_bytes([data[4], data[5]]) as usize;
    if num_lines >= HEIGHT || data.len() < num_lines * WIDTH + HEADER_LEN {
        return Err(bad(format!("header announces {num_lines} lines but {} bytes arrived", data.len())));
    }
    let mut flags = [0u8; BLOCKS];
    let mut block_lines = [0u8; BLOCKS];
    for i in 0..BLOCKS {
        flags[i] = data[16 + 2 * i];
        block_lines[i] = data[17 + 2 * i];
    }
    let key_number = data[6];
    data.resize(IMAGE_TRANSFER, 0);
    Ok(Frame { data, key_number, num_lines, flags, block_lines, block: 0, lines_done: 0 })
}

/// Mean squared deviation of the sum of the first two transmitted rows (encryption detector).
fn frame_deviation(frame: &Frame) -> i64 {
    let mut rows = Vec::with_capacity(2);
    let mut r = 0usize;
    'blocks: for i in 0..BLOCKS {
        if frame.flags[i] & BLOCKF_NOT_PRESENT != 0 {
            continue;
        }
        for _ in 0..frame.block_lines[i] {
            rows.push(r);
            r += 1;
            if rows.len() == 2 {
                break 'blocks;
            }
        }
    }
    if rows.len() < 2 {
        return 0;
    }
    let row = |k: usize| &frame.data[HEADER_LEN + rows[k] * WIDTH..HEADER_LEN + (rows[k] + 1) * WIDTH];
    let (a, b) = (row(0), row(1));
    let mean = a.iter().zip(b).map(|(&x, &y)| x as i64 + y as i64).sum::<i64>() / WIDTH as i64;
    a.iter().zip(b).map(|(&x, &y)| (x as i64 + y as i64 - mean).pow(2)).sum::<i64>() / WIDTH as i64
}

/// One step of the 32-bit LFSR (taps mask 0x9248144D, new bit into bit 31).
pub fn update_key(key: u32) -> u32 {
    let bit = (key & 0x9248_144d).count_ones() & 1;
    (bit << 31) | (key >> 1)
}

fn advance_key(mut key: u32, steps: usize) -> u32 {
    for _ in 0..steps {
        key = update_key(key);
    }
    key
}

/// Decrypts one block in place: byte i = byte i+1 XOR keystream byte; the last byte becomes 0.
/// Returns the key after the block. Cost: O(len).
pub fn decrypt_block(data: &mut [u8], mut key: u32) -> u32 {
    let n = data.len();
    if n == 0 {
        return key;
    }
    for i in 0..n - 1 {
        let xorbyte = (((key >> 4) & 1)
            | ((key >> 8) & 1) << 1
            | ((key >> 11) & 1) << 2
            | ((key >> 14) & 1) << 3
            | ((key >> 18) & 1) << 4
            | ((key >> 21) & 1) << 5
            | ((key >> 24) & 1) << 6
            | ((key >> 29) & 1) << 7) as u8;
        key = update_key(key);
        data[i] = data[i + 1] ^ xorbyte;
    }
    data[n - 1] = 0;
    update_key(key)
}

/// Copies the blocks in table order into a 384 × 290 raw frame (sensor orientation, inverted).
fn assemble(frame: &Frame) -> Vec<u8> {
    let mut out = vec![0u8; WIDTH * HEIGHT];
    let (mut to, mut r) = (0usize, 0usize);
    for i in 0..BLOCKS {
        if r >= frame.num_lines {
            break;
        }
        let lines = frame.block_lines[i] as usize;
        if lines == 0 {
            break;
        }
        let n = (lines * WIDTH).min(out.len() - to);
        let src = HEADER_LEN + r * WIDTH;
        let avail = frame.data.len().saturating_sub(src).min(n);
        out[to..to + avail].copy_from_slice(&frame.data[src..src + avail]);
        if frame.flags[i] & BLOCKF_NOT_PRESENT == 0 {
            r += lines;
        }
        to += n;
        if to >= out.len() {
            break;
        }
    }
    out
}

/// Standard orientation and polarity: invert (the sensor reports ridges bright) and, for the
/// 4000B/4500, rotate by 180°.
fn standardise(raw: &[u8], rotate: bool) -> GreyImage {
    let mut pixels: Vec<u8> = raw.iter().map(|&v| 255 - v).collect();
    if rotate {
        pixels.reverse();
    }
    GreyImage { width: WIDTH as u32, height: HEIGHT as u32, pixels }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reference_update_key(key: u32) -> u32 {
        let mut bit = key & 0x9248_144d;
        bit ^= bit << 16;
        bit ^= bit << 8;
        bit ^= bit << 4;
        bit ^= bit << 2;
        bit ^= bit << 1;
        (bit & 0x8000_0000) | (key >> 1)
    }

    #[test]
    fn lfsr_matches_the_shift_xor_formulation() {
        let mut k = 0x1234_5678u32;
        for _ in 0..10_000 {
            assert_eq!(update_key(k), reference_update_key(k));
            k = k.wrapping_mul(2_654_435_761).wrapping_add(1);
        }
    }

    #[test]
    fn decrypt_then_reencrypt_round_trips() {
        // Encrypt: c[i+1] = p[i] ^ ks[i]; decrypt must recover p (last byte is defined as 0).
        let plain: Vec<u8> = (0..WIDTH).map(|i| (i * 7 % 251) as u8).collect();
        let key = 0xDEAD_BEEF;
        let mut k = key;
        let mut cipher = vec![0u8; WIDTH];
        for i in 0..WIDTH - 1 {
            let mut probe = [0u8, 0u8];
            let _ = decrypt_block(&mut probe, k); // keystream byte for this key = probe[0]
            cipher[i + 1] = plain[i] ^ probe[0];
            k = update_key(k);
        }
        let mut data = cipher.clone();
        decrypt_block(&mut data, key);
        assert_eq!(&data[..WIDTH - 1], &plain[..WIDTH - 1]);
        assert_eq!(data[WIDTH - 1], 0);
    }

    #[test]
    fn aes_challenge_response_matches_fips197_structure() {
        // Deterministic and key-dependent: the same challenge gives the same response.
        let c = [0u8; 16];
        assert_eq!(challenge_response(&c), challenge_response(&c));
        assert_ne!(challenge_response(&c), c);
    }

    #[test]
    fn short_or_lying_image_headers_are_typed_errors() {
        assert!(matches!(parse_frame(vec![0; 10]), Err(ProtocolError::BadImage { .. })));
        let mut d = vec![0u8; HEADER_LEN + 10 * WIDTH];
        d[4] = 200; // claims 200 lines, carries 10
        assert!(matches!(parse_frame(d), Err(ProtocolError::BadImage { .. })));
    }

    fn run_until_io(s: &mut Uru4000Session, reply: UsbReply) -> UsbRequest {
        match s.next(reply).unwrap() {
            Step::Io(r) => r,
            Step::Finished(o) => panic!("finished early: {o:?}"),
        }
    }

    #[test]
    fn init_sequence_matches_the_recorded_4500_order() {
        let mut s = Uru4000Session::new(PROFILE_4000B, SeedSource::fixed(0x51EA_2124));
        assert_eq!(run_until_io(&mut s, UsbReply::Start), vendor_in(REQUEST, REG_HWSTAT, 0, 1));
        assert_eq!(run_until_io(&mut s, UsbReply::Data(vec![0x01])), vendor_out(REQUEST, REG_HWSTAT, 0, vec![0x81]));
        assert_eq!(run_until_io(&mut s, UsbReply::Written(1)), vendor_out(REQUEST, REG_HWSTAT, 0, vec![0x01]));
        assert_eq!(run_until_io(&mut s, UsbReply::Written(1)), vendor_in(REQUEST, REG_HWSTAT, 0, 1));
        assert_eq!(
            run_until_io(&mut s, UsbReply::Data(vec![0x01])),
            UsbRequest::AwaitInterrupt(Wait::For(SCANPWR_WAIT))
        );
        let mut irq = vec![0u8; 64];
        irq[0] = 0x56;
        irq[1] = 0xaa;
        assert_eq!(run_until_io(&mut s, UsbReply::Data(irq)), vendor_in(REQUEST, REG_DEVICE_INFO, 0, 16));
    }

    #[test]
    fn finger_timeout_powers_off_and_asks_to_retry() {
        let mut s = Uru4000Session::new(PROFILE_4000B, SeedSource::fixed(1));
        s.state = State::AwaitFingerOn;
        assert_eq!(run_until_io(&mut s, UsbReply::TimedOut), vendor_out(REQUEST, REG_MODE, 0, vec![MODE_OFF]));
        assert_eq!(s.next(UsbReply::Written(1)).unwrap(), Step::Finished(SessionOutcome::Retry(RetryReason::NoFinger)));
    }

    #[test]
    fn wrong_reply_kinds_are_errors_not_panics() {
        let mut s = Uru4000Session::new(PROFILE_4000B, SeedSource::fixed(1));
        run_until_io(&mut s, UsbReply::Start);
        assert!(s.next(UsbReply::Data(vec![])).is_err());
        let mut s = Uru4000Session::new(PROFILE_4000B, SeedSource::fixed(1));
        run_until_io(&mut s, UsbReply::Start);
        assert!(s.next(UsbReply::Written(1)).is_err());
    }
}
