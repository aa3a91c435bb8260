//! A simulated EF01 module (R30x/AS608-like) answering over any byte pipe, e.g. the master side
//! of a pseudo-terminal pair, so the real host driver can be tested without hardware.
//!
//! * [`SimModule`] is the device as a state machine without I/O: [`SimModule::handle`] takes
//!   one decoded packet and returns the packets to send (and the ready byte after SoftRst). It
//!   uses the same `firmware-protocol` crate as the host driver.
//! * [`Simulator`] runs a module on a port in a thread: decoding, faults (corrupt checksum every
//!   Nth packet, slow responses, truncated answers, replies from a wrong address), stop on drop.
//! * [`SimControl`] changes faults and finger presence at run time and selects which finger the
//!   next capture shows (through the [`VirtualControl`] of the image source). Thread-safe.
//!
//! Fingers come from a [`VirtualScanner`] (synthetic or a folder), fitted to the 256×288 sensor at
//! 500 dpi (resampled by 500/dpi, centre-cropped or padded with white) and quantised to 4 bits.
//! Img2Tz runs the real extractor (`ridgegate-extract`); Match/Search/RegModel the real matcher.
//! Char files are the simulator's own 512-byte format ([`encode_char_file`]); real modules use
//! a proprietary one, so char files are not portable between the simulator and hardware.
//! Cost: Img2Tz ≈ extraction of one 256×288 image (a few ms); Search ≈ 50 µs per stored template.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::Duration;

use firmware_protocol::{
    Command, Confirmation, DEFAULT_ADDRESS, Decoder, IMAGE_HEIGHT, IMAGE_PACKED_BYTES, IMAGE_WIDTH, Instruction,
    NOTEPAD_PAGE_LEN, NOTEPAD_PAGES, Packet, PacketId, READY_BYTE, Register, SysParams, data_packets, pack_4bit,
    unpack_4bit,
};
use ridgegate_core::{FingerImage, Minutia, MinutiaKind, Template};

use super::params;
use super::transport::{Transport, TransportError};
use crate::virtual_scanner::{Step, VirtualControl, VirtualScanner};
use crate::{CancelToken, CaptureOutcome, Scanner};

/// Faults the simulator injects. Plain data; set through [`SimControl::set_faults`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Faults {
    /// No finger ever touches the sensor: GenImg/GetImageEx answer 02.
    pub no_finger: bool,
    /// The finger is dry/smudged: images are washed out, GetImageEx answers 07 and Img2Tz
    /// (real extractor) rejects them with 06/07.
    pub bad_quality: bool,
    /// Corrupt the checksum of every Nth packet sent (counting all packets since the fault was set).
    pub corrupt_every: Option<u32>,
    /// Delay before every answer (a slow module or a long search).
    pub response_delay: Duration,
    /// Send only the first half of the next answer, then stay silent (a short read).
    pub truncate_next: bool,
    /// Answer from this address instead of the module's own.
    pub reply_address: Option<u32>,
    /// Pace output to this baud rate (10 bits per byte), like a real UART; `None` = as fast as the
    /// pty goes. For demonstrations and timing checks, not needed by the tests.
    pub pace_baud: Option<u32>,
}

/// Observable counters. Plain data.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SimStats {
    /// Command packets answered.
    pub commands: u64,
    /// Packets sent (ACKs and data).
    pub packets_sent: u64,
    /// Packets sent with a corrupted checksum.
    pub corrupted: u64,
    /// Images captured by GenImg/GetImageEx.
    pub images: u64,
}

struct Shared {
    faults: Faults,
    stats: SimStats,
    sent_since_fault: u64,
}

/// Run-time control of a simulator. Cloning shares it; thread-safe; calls are cheap.
#[derive(Clone)]
pub struct SimControl {
    shared: Arc<Mutex<Shared>>,
    source: VirtualControl,
}

impl std::fmt::Debug for SimControl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SimControl").field("faults", &self.faults()).finish()
    }
}

impl SimControl {
    fn lock(&self) -> MutexGuard<'_, Shared> {
        self.shared.lock().unwrap_or_else(|p| p.into_inner())
    }
    /// Replaces the fault set (resets the corrupt-every-N counter).
    pub fn set_faults(&self, faults: Faults) {
        let mut s = self.lock();
        s.faults = faults;
        s.sent_since_fault = 0;
    }
    /// The current faults.
    pub fn faults(&self) -> Faults {
        self.lock().faults
    }
    /// Counters so far.
    pub fn stats(&self) -> SimStats {
        self.lock().stats
    }
    /// The image source's control: choose the next finger (`set_next_image`, `present_finger`).
    pub fn source(&self) -> &VirtualControl {
        &self.source
    }
}

/// The simulated module: protocol state, image buffer, two char buffers, template library.
/// Not thread-safe by itself (`Send`); [`Simulator`] owns it in its thread.
pub struct SimModule {
    address: u32,
    password: u32,
    verified: bool,
    security_level: u16,
    packet_size_code: u16,
    baud_n: u16,
    image: Option<Vec<u8>>,
    chars: [Option<Vec<u8>>; 2],
    library: Vec<Option<Vec<u8>>>,
    notepad: [[u8; NOTEPAD_PAGE_LEN]; NOTEPAD_PAGES as usize],
    led_on: bool,
    finger_down: bool,
    random: u32,
    receiving: Option<(Receive, Vec<u8>)>,
    source: VirtualScanner,
    control: SimControl,
}

/// Where a host data phase goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Receive {
    Char(usize),
    Image,
}

/// What [`SimModule::handle`] wants sent.
#[derive(Debug, Default)]
pub struct Output {
    /// Packets in order.
    pub packets: Vec<Packet>,
    /// Send [`READY_BYTE`] after the packets (SoftRst).
    pub ready_byte: bool,
}

impl SimModule {
    /// A factory-fresh module (address `FFFFFFFF`, password 0, empty library of
    /// [`params::SIM_CAPACITY`]) imaging fingers from `source`.
    pub fn new(source: VirtualScanner) -> Self {
        let control = SimControl {
            shared: Arc::new(Mutex::new(Shared {
                faults: Faults::default(),
                stats: SimStats::default(),
                sent_since_fault: 0,
            })),
            source: source.control(),
        };
        SimModule {
            address: DEFAULT_ADDRESS,
            password: 0,
            verified: false,
            security_level: 3,
            packet_size_code: 2,
            baud_n: 6,
            image: None,
            chars: [None, None],
            library: vec![None; params::SIM_CAPACITY as usize],
            notepad: [[0; NOTEPAD_PAGE_LEN]; NOTEPAD_PAGES as usize],
            led_on: false,
            finger_down: false,
            random: 0x1234_5678,
            receiving: None,
            source,
            control,
        }
    }

    /// The control handle.
    pub fn control(&self) -> SimControl {
        self.control.clone()
    }

    /// The module address.
    pub fn address(&self) -> u32 {
        self.address
    }

    /// Stored templates.
    pub fn template_count(&self) -> usize {
        self.library.iter().filter(|t| t.is_some()).count()
    }

    fn packet_size(&self) -> usize {
        32usize << self.packet_size_code.min(3)
    }

    fn ack(&self, cc: Confirmation, results: &[u8]) -> Output {
        let packets = Packet::ack(self.address, cc, results).into_iter().collect();
        Output { packets, ready_byte: false }
    }

    fn ack_with_data(&self, data: &[u8]) -> Output {
        let mut out = self.ack(Confirmation::Ok, &[]);
        out.packets.extend(data_packets(self.address, data, self.packet_size()));
        out
    }

    /// Handles one packet addressed to anyone; packets for other addresses are ignored (like a
    /// real module). Cost: O(1), except image capture, Img2Tz, Search and data phases.
    pub fn handle(&mut self, packet: &Packet) -> Output {
        if packet.address != self.address {
            return Output::default();
        }
        if let Some((target, mut buf)) = self.receiving.take() {
            if matches!(packet.pid, PacketId::Data | PacketId::EndData) {
                buf.extend_from_slice(packet.payload());
                if packet.pid == PacketId::EndData {
                    match target {
                        Receive::Char(i) => self.chars[i] = Some(buf),
                        Receive::Image if buf.len() == IMAGE_PACKED_BYTES => self.image = Some(buf),
                        Receive::Image => {}
                    }
                } else if buf.len() <= params::MAX_CHAR_FILE.max(IMAGE_PACKED_BYTES) {
                    self.receiving = Some((target, buf));
                }
                return Output::default();
            }
        }
        if packet.pid != PacketId::Command {
            return Output::default();
        }
        self.control.lock().stats.commands += 1;
        let cmd = match Command::parse(packet.payload()) {
            Ok(c) => c,
            Err(_) => return self.ack(Confirmation::PacketError, &[]),
        };
        if self.password != 0 && !self.verified && !matches!(cmd, Command::VfyPwd(_) | Command::HandShake) {
            return self.ack(Confirmation::PasswordRequired, &[]);
        }
        self.execute(cmd)
    }

    fn char_index(buffer: u8) -> Option<usize> {
        match buffer {
            1 | 2 => Some(usize::from(buffer) - 1),
            _ => None,
        }
    }

    fn execute(&mut self, cmd: Command) -> Output {
        use Confirmation as C;
        match cmd {
            Command::GenImg | Command::GetImageEx => self.gen_img(cmd == Command::GetImageEx),
            Command::Img2Tz { buffer } => match Self::char_index(buffer) {
                None => self.ack(C::PacketError, &[]),
                Some(i) => match self.image.as_ref().map(|img| image_to_char(img)) {
                    None => self.ack(C::NoValidImage, &[]),
                    Some(Err(cc)) => self.ack(cc, &[]),
                    Some(Ok(c)) => {
                        self.chars[i] = Some(c);
                        self.ack(C::Ok, &[])
                    }
                },
            },
            Command::Match => match (&self.chars[0], &self.chars[1]) {
                (Some(a), Some(b)) => {
                    let s = compare_chars(a, b);
                    if s >= params::SIM_MATCH_THRESHOLD {
                        self.ack(C::Ok, &module_score(s).to_be_bytes())
                    } else {
                        self.ack(C::NoMatch, &[0, 0])
                    }
                }
                _ => self.ack(C::TemplateEmpty, &[]),
            },
            Command::Search { buffer, start, count } | Command::HiSpeedSearch { buffer, start, count } => {
                let Some(probe) = Self::char_index(buffer).and_then(|i| self.chars[i].clone()) else {
                    return self.ack(C::TemplateEmpty, &[]);
                };
                let end = (usize::from(start) + usize::from(count)).min(self.library.len());
                let best = (usize::from(start)..end)
                    .filter_map(|p| self.library[p].as_ref().map(|t| (p, compare_chars(&probe, t))))
                    .fold(None, |best: Option<(usize, f32)>, (p, s)| match best {
                        Some((_, bs)) if bs >= s => best,
                        _ => Some((p, s)),
                    });
                match best {
                    Some((p, s)) if s >= params::SIM_MATCH_THRESHOLD => {
                        let mut r = [0u8; 4];
                        r[..2].copy_from_slice(&(p as u16).to_be_bytes());
                        r[2..].copy_from_slice(&module_score(s).to_be_bytes());
                        self.ack(C::Ok, &r)
                    }
                    _ => self.ack(C::NotFound, &[0, 0, 0, 0]),
                }
            }
            Command::RegModel => match (&self.chars[0], &self.chars[1]) {
                (Some(a), Some(b)) => {
                    if compare_chars(a, b) >= params::SIM_MATCH_THRESHOLD {
                        let merged = a.clone();
                        self.chars[1] = Some(merged);
                        self.ack(C::Ok, &[])
                    } else {
                        self.ack(C::CombineFailed, &[])
                    }
                }
                _ => self.ack(C::CombineFailed, &[]),
            },
            Command::Store { buffer, page } => {
                let Some(i) = Self::char_index(buffer) else { return self.ack(C::PacketError, &[]) };
                match (self.chars[i].clone(), self.library.get_mut(usize::from(page))) {
                    (None, _) => self.ack(C::TemplateEmpty, &[]),
                    (_, None) => self.ack(C::BadPage, &[]),
                    (Some(c), Some(slot)) => {
                        *slot = Some(c);
                        self.ack(C::Ok, &[])
                    }
                }
            }
            Command::LoadChar { buffer, page } => {
                let Some(i) = Self::char_index(buffer) else { return self.ack(C::PacketError, &[]) };
                match self.library.get(usize::from(page)) {
                    None => self.ack(C::BadPage, &[]),
                    Some(None) => self.ack(C::BadTemplate, &[]),
                    Some(Some(t)) => {
                        self.chars[i] = Some(t.clone());
                        self.ack(C::Ok, &[])
                    }
                }
            }
            Command::UpChar { buffer } => match Self::char_index(buffer).and_then(|i| self.chars[i].clone()) {
                None => self.ack(C::UploadTemplateFailed, &[]),
                Some(c) => self.ack_with_data(&c),
            },
            Command::DownChar { buffer } => match Self::char_index(buffer) {
                None => self.ack(C::CannotReceive, &[]),
                Some(i) => {
                    self.receiving = Some((Receive::Char(i), Vec::new()));
                    self.ack(C::Ok, &[])
                }
            },
            Command::UpImage => match self.image.clone() {
                None => self.ack(C::UploadImageFailed, &[]),
                Some(img) => self.ack_with_data(&img),
            },
            Command::DownImage => {
                self.receiving = Some((Receive::Image, Vec::new()));
                self.ack(C::Ok, &[])
            }
            Command::DeletChar { page, count } => {
                let (a, b) = (usize::from(page), usize::from(page) + usize::from(count));
                if count == 0 || b > self.library.len() {
                    self.ack(C::DeleteFailed, &[])
                } else {
                    self.library[a..b].iter_mut().for_each(|s| *s = None);
                    self.ack(C::Ok, &[])
                }
            }
            Command::Empty => {
                self.library.iter_mut().for_each(|s| *s = None);
                self.ack(C::Ok, &[])
            }
            Command::SetSysPara { register, value } => match Register::from_byte(register) {
                Some(Register::Baud) if (1..=12).contains(&value) => {
                    let out = self.ack(C::Ok, &[]);
                    self.baud_n = u16::from(value);
                    out
                }
                Some(Register::SecurityLevel) if (1..=5).contains(&value) => {
                    self.security_level = u16::from(value);
                    self.ack(C::Ok, &[])
                }
                Some(Register::PacketSize) if value <= 3 => {
                    // Answer with the old settings, then apply (as the real module does).
                    let out = self.ack(C::Ok, &[]);
                    self.packet_size_code = u16::from(value);
                    out
                }
                _ => self.ack(C::BadRegister, &[]),
            },
            Command::ReadSysPara => {
                let p = SysParams {
                    status: (u16::from(self.verified) << 2) | (u16::from(self.image.is_some()) << 3),
                    system_id: 0,
                    capacity: self.library.len() as u16,
                    security_level: self.security_level,
                    address: self.address,
                    packet_size_code: self.packet_size_code,
                    baud_n: self.baud_n,
                };
                self.ack(C::Ok, &p.encode())
            }
            Command::SetPwd(p) => {
                self.password = p;
                self.verified = true;
                self.ack(C::Ok, &[])
            }
            Command::VfyPwd(p) => {
                self.verified = p == self.password;
                self.ack(if self.verified { C::Ok } else { C::WrongPassword }, &[])
            }
            Command::GetRandomCode => {
                self.random ^= self.random << 13;
                self.random ^= self.random >> 17;
                self.random ^= self.random << 5;
                self.ack(C::Ok, &self.random.to_be_bytes())
            }
            Command::SetAdder(a) => {
                let out = self.ack(C::Ok, &[]);
                self.address = a;
                out
            }
            Command::WriteNotepad { page, data } => match self.notepad.get_mut(usize::from(page)) {
                None => self.ack(C::BadNotepadPage, &[]),
                Some(slot) => {
                    *slot = data;
                    self.ack(C::Ok, &[])
                }
            },
            Command::ReadNotepad { page } => match self.notepad.get(usize::from(page)) {
                None => self.ack(C::BadNotepadPage, &[]),
                Some(d) => self.ack(C::Ok, &d.clone()),
            },
            Command::TempleteNum => self.ack(C::Ok, &(self.template_count() as u16).to_be_bytes()),
            Command::ReadIndexTable { page } => {
                let mut bitmap = [0u8; firmware_protocol::INDEX_PAGE_LEN];
                for (k, slot) in self.library.iter().enumerate() {
                    let rel = k as i64 - i64::from(page) * 256;
                    if slot.is_some() && (0..256).contains(&rel) {
                        bitmap[rel as usize / 8] |= 1 << (rel % 8);
                    }
                }
                self.ack(C::Ok, &bitmap)
            }
            Command::HandShake | Command::CheckSensor | Command::Cancel => self.ack(C::Ok, &[]),
            Command::LedOn | Command::LedOff => {
                self.led_on = cmd == Command::LedOn;
                self.ack(C::Ok, &[])
            }
            Command::AuraLedConfig { mode, .. } => {
                self.led_on = mode != firmware_protocol::LedMode::Off;
                self.ack(C::Ok, &[])
            }
            Command::GetEcho => self.ack(C::Echo, &[]),
            Command::SoftRst => {
                let mut out = self.ack(C::Ok, &[]);
                self.image = None;
                self.chars = [None, None];
                self.verified = false;
                out.ready_byte = true;
                out
            }
            Command::GetFwVer | Command::GetAlgVer => {
                let mut s = [0u8; 32];
                let text = b"RidgeGate EF01 simulator";
                s[..text.len()].copy_from_slice(text);
                self.ack(C::Ok, &s)
            }
            Command::ReadInfPage => self.ack_with_data(&[0u8; 512]),
            Command::ReadProdInfo | Command::Auto { .. } => self.ack(C::Unsupported, &[]),
        }
    }

    /// GenImg/GetImageEx: a cooperative user lifts the finger after each successful capture, so
    /// the next poll sees no finger once (this lets the enroll flow's "wait for removal" pass).
    fn gen_img(&mut self, ex: bool) -> Output {
        let faults = self.control.faults();
        if faults.no_finger {
            return self.ack(Confirmation::NoFinger, &[]);
        }
        if self.finger_down {
            self.finger_down = false;
            return self.ack(Confirmation::NoFinger, &[]);
        }
        if faults.bad_quality {
            self.control.source().push(Step::LowQualityImage);
        }
        // Zero timeout: a module answers GenImg at once; a finger held off the sensor through
        // the source's control (`set_finger_present(false)`) reads as "no finger".
        let shot = self.source.capture(Duration::ZERO, &CancelToken::new());
        let img = match shot {
            Ok(CaptureOutcome::Image(img)) => img,
            Ok(CaptureOutcome::Retry(_)) => return self.ack(Confirmation::NoFinger, &[]),
            Err(_) => return self.ack(Confirmation::CaptureFailed, &[]),
        };
        self.image = Some(fit_to_sensor(&img));
        self.finger_down = true;
        self.control.lock().stats.images += 1;
        if ex && faults.bad_quality {
            return self.ack(Confirmation::TooFewFeatures, &[]);
        }
        self.ack(Confirmation::Ok, &[])
    }
}

/// Fits an image to the 256×288 sensor at 500 dpi and packs it to 4 bits (36 864 bytes):
/// bilinear resampling by `500 / dpi`, then a centred crop, or padding with white.
pub fn fit_to_sensor(img: &FingerImage) -> Vec<u8> {
    let scale = f32::from(params::SENSOR_DPI) / f32::from(img.dpi());
    let (sw, sh) = (img.width() as f32 * scale, img.height() as f32 * scale);
    let (ox, oy) = ((sw - IMAGE_WIDTH as f32) / 2.0, (sh - IMAGE_HEIGHT as f32) / 2.0);
    let mut px = vec![255u8; IMAGE_WIDTH * IMAGE_HEIGHT];
    for y in 0..IMAGE_HEIGHT {
        for x in 0..IMAGE_WIDTH {
            // Source coordinates of the sensor pixel centre.
            let sx = (x as f32 + ox + 0.5) / scale - 0.5;
            let sy = (y as f32 + oy + 0.5) / scale - 0.5;
            if sx < 0.0 || sy < 0.0 || sx > (img.width() - 1) as f32 || sy > (img.height() - 1) as f32 {
                continue;
            }
            let (x0, y0) = (sx.floor() as u32, sy.floor() as u32);
            let (x1, y1) = ((x0 + 1).min(img.width() - 1), (y0 + 1).min(img.height() - 1));
            let (fx, fy) = (sx - x0 as f32, sy - y0 as f32);
            let p = |x, y| f32::from(img.at(x, y));
            let v = p(x0, y0) * (1.0 - fx) * (1.0 - fy)
                + p(x1, y0) * fx * (1.0 - fy)
                + p(x0, y1) * (1.0 - fx) * fy
                + p(x1, y1) * fx * fy;
            px[y * IMAGE_WIDTH + x] = v.round().clamp(0.0, 255.0) as u8;
        }
    }
    let mut packed = vec![0u8; IMAGE_PACKED_BYTES];
    // Both lengths are fixed by the sensor geometry, so packing cannot fail.
    let _ = pack_4bit(&px, &mut packed);
    packed
}

/// Img2Tz: the real extractor on the (4-bit) image buffer; 06 for an unusable image, 07 for too
/// few minutiae.
fn image_to_char(packed: &[u8]) -> Result<Vec<u8>, Confirmation> {
    let mut px = vec![0u8; IMAGE_WIDTH * IMAGE_HEIGHT];
    unpack_4bit(packed, &mut px).map_err(|_| Confirmation::NoValidImage)?;
    let img = FingerImage::new(IMAGE_WIDTH as u32, IMAGE_HEIGHT as u32, params::SENSOR_DPI, px)
        .map_err(|_| Confirmation::NoValidImage)?;
    let ex = ridgegate_extract::extract(&img).map_err(|_| Confirmation::ImageMessy)?;
    if ex.quality < params::SIM_MIN_QUALITY {
        return Err(Confirmation::ImageMessy);
    }
    if ex.minutia_count < params::SIM_MIN_MINUTIAE {
        return Err(Confirmation::TooFewFeatures);
    }
    Ok(encode_char_file(&ex.template))
}

/// The simulator's char file: `"RG"`, minutia count (1 byte), then per minutia x (2), y (2),
/// angle (1 byte, 256 steps per turn) and kind|quality (1 byte: kind in the top 2 bits,
/// quality/100·63 below), zero padded to [`params::SIM_CHAR_FILE_LEN`]. Keeps the
/// [`params::SIM_MAX_MINUTIAE`] best-quality minutiae.
pub fn encode_char_file(t: &Template) -> Vec<u8> {
    let mut m: Vec<&Minutia> = t.minutiae.iter().collect();
    m.sort_by_key(|n| std::cmp::Reverse(n.quality));
    m.truncate(params::SIM_MAX_MINUTIAE);
    let mut out = vec![0u8; params::SIM_CHAR_FILE_LEN];
    out[0] = b'R';
    out[1] = b'G';
    out[2] = m.len() as u8;
    for (i, n) in m.iter().enumerate() {
        let o = 3 + i * 6;
        out[o..o + 2].copy_from_slice(&n.x.to_be_bytes());
        out[o + 2..o + 4].copy_from_slice(&n.y.to_be_bytes());
        out[o + 4] = ((n.angle / std::f32::consts::TAU * 256.0).round() as u32 % 256) as u8;
        let kind = match n.kind {
            MinutiaKind::Ending => 1u8,
            MinutiaKind::Bifurcation => 2,
            _ => 0,
        };
        out[o + 5] = (kind << 6) | ((u32::from(n.quality) * 63 / 100) as u8);
    }
    out
}

/// Decodes [`encode_char_file`]'s format; `None` for anything else.
pub fn decode_char_file(b: &[u8]) -> Option<Template> {
    if b.len() < 3 || &b[..2] != b"RG" || 3 + usize::from(b[2]) * 6 > b.len() {
        return None;
    }
    let mut t = Template::new(IMAGE_WIDTH as u16, IMAGE_HEIGHT as u16, params::SENSOR_DPI);
    for i in 0..usize::from(b[2]) {
        let o = 3 + i * 6;
        let kind = match b[o + 5] >> 6 {
            1 => MinutiaKind::Ending,
            2 => MinutiaKind::Bifurcation,
            _ => MinutiaKind::Other,
        };
        t.minutiae.push(Minutia::new(
            u16::from_be_bytes([b[o], b[o + 1]]),
            u16::from_be_bytes([b[o + 2], b[o + 3]]),
            f32::from(b[o + 4]) / 256.0 * std::f32::consts::TAU,
            kind,
            ((u32::from(b[o + 5] & 0x3F) * 100) / 63) as u8,
        ));
    }
    Some(t)
}

/// Calibrated score of two char files (0 when either is not a simulator char file).
fn compare_chars(a: &[u8], b: &[u8]) -> f32 {
    match (decode_char_file(a), decode_char_file(b)) {
        (Some(a), Some(b)) => ridgegate_matcher::compare(&a, &b).value(),
        _ => 0.0,
    }
}

/// The module's u16 score: calibrated score × 10.
fn module_score(s: f32) -> u16 {
    (s * 10.0).round().clamp(0.0, f32::from(u16::MAX)) as u16
}

/// A [`SimModule`] answering on a transport in a background thread until dropped or stopped.
pub struct Simulator {
    control: SimControl,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<Result<(), TransportError>>>,
}

impl Simulator {
    /// Starts `module` on `transport` (e.g. a pty master). The thread polls for input every
    /// 50 ms to notice [`stop`](Self::stop).
    pub fn spawn<T: Transport + 'static>(module: SimModule, transport: T) -> Self {
        let control = module.control();
        let stop = Arc::new(AtomicBool::new(false));
        let flag = Arc::clone(&stop);
        let thread = std::thread::spawn(move || serve(module, transport, &flag));
        Simulator { control, stop, thread: Some(thread) }
    }

    /// The control handle.
    pub fn control(&self) -> SimControl {
        self.control.clone()
    }

    /// Stops the thread and returns how it ended (an unplugged port is a normal end).
    pub fn stop(mut self) -> Result<(), TransportError> {
        self.shutdown()
    }

    /// Waits for the thread to end by itself (the port closed); for the CLI.
    pub fn wait(mut self) -> Result<(), TransportError> {
        match self.thread.take() {
            Some(t) => t.join().unwrap_or(Ok(())),
            None => Ok(()),
        }
    }

    fn shutdown(&mut self) -> Result<(), TransportError> {
        self.stop.store(true, Ordering::Relaxed);
        match self.thread.take() {
            Some(t) => t.join().unwrap_or(Ok(())),
            None => Ok(()),
        }
    }
}

impl Drop for Simulator {
    fn drop(&mut self) {
        let _ = self.shutdown();
    }
}

/// The master side of a pseudo-terminal pair, keeping the slave open so the pty stays usable
/// while clients open and close its path.
struct PtyMaster {
    port: super::SerialTransport,
    _slave: serialport::TTYPort,
}

impl Transport for PtyMaster {
    fn write_all(&mut self, bytes: &[u8]) -> Result<(), TransportError> {
        self.port.write_all(bytes)
    }
    fn read(&mut self, buf: &mut [u8], timeout: Duration) -> Result<usize, TransportError> {
        self.port.read(buf, timeout)
    }
    fn clear_input(&mut self) -> Result<(), TransportError> {
        self.port.clear_input()
    }
    fn name(&self) -> String {
        "pty master".into()
    }
}

impl Simulator {
    /// Creates a pseudo-terminal pair (`TTYPort::pair()`), runs `module` on its master side and
    /// returns the simulator with the slave's path (e.g. `/dev/pts/3`), which any serial client
    /// opens like a real port. Stopping the simulator closes the pty: clients then see an unplug.
    pub fn spawn_pty(module: SimModule) -> Result<(Simulator, String), TransportError> {
        let (master, slave) = serialport::TTYPort::pair()
            .map_err(|e| TransportError::Io(std::io::Error::other(format!("cannot create a pty pair: {e}"))))?;
        let path = serialport::SerialPort::name(&slave)
            .ok_or_else(|| TransportError::Io(std::io::Error::other("pty slave has no path")))?;
        let port = super::SerialTransport::from_port(Box::new(master));
        Ok((Simulator::spawn(module, PtyMaster { port, _slave: slave }), path))
    }
}

/// The serve loop: decode, handle, send with faults.
fn serve<T: Transport>(mut module: SimModule, mut port: T, stop: &AtomicBool) -> Result<(), TransportError> {
    let mut decoder = Decoder::new();
    let mut buf = [0u8; 1024];
    while !stop.load(Ordering::Relaxed) {
        let n = match port.read(&mut buf, Duration::from_millis(50)) {
            Ok(n) => n,
            Err(TransportError::Timeout(_)) => continue,
            Err(TransportError::Unplugged(_)) => return Ok(()),
            Err(e) => return Err(e),
        };
        for &b in &buf[..n] {
            let Some(Ok(packet)) = decoder.push(b) else { continue };
            let out = module.handle(&packet);
            if out.packets.is_empty() && !out.ready_byte {
                continue;
            }
            let control = module.control();
            let faults = control.faults();
            if !faults.response_delay.is_zero() {
                std::thread::sleep(faults.response_delay);
            }
            let mut bytes = Vec::new();
            for mut p in out.packets {
                if let Some(a) = faults.reply_address {
                    p.address = a;
                }
                let (w, len) = p.to_wire();
                let mut w = w[..len].to_vec();
                let mut s = control.lock();
                s.stats.packets_sent += 1;
                s.sent_since_fault += 1;
                if let Some(nth) = faults.corrupt_every.filter(|&n| n > 0) {
                    if s.sent_since_fault % u64::from(nth) == 0 {
                        w[len - 1] ^= 0x5A;
                        s.stats.corrupted += 1;
                    }
                }
                bytes.extend_from_slice(&w);
            }
            if out.ready_byte {
                bytes.push(READY_BYTE);
            }
            if faults.truncate_next {
                bytes.truncate(bytes.len() / 2);
                let mut s = control.lock();
                s.faults.truncate_next = false;
            }
            match write_paced(&mut port, &bytes, faults.pace_baud) {
                // Nobody is reading (the host gave up mid-answer): the rest of this answer is lost,
                // as on a real line; keep serving.
                Ok(()) | Err(TransportError::Timeout(_)) => {}
                Err(TransportError::Unplugged(_)) => return Ok(()),
                Err(e) => return Err(e),
            }
        }
    }
    Ok(())
}

/// Writes `bytes`, in slices of [`PACE_CHUNK`] bytes each followed by their wire time at `baud`.
fn write_paced<T: Transport>(port: &mut T, bytes: &[u8], baud: Option<u32>) -> Result<(), TransportError> {
    let Some(baud) = baud.filter(|&b| b > 0) else { return port.write_all(bytes) };
    for chunk in bytes.chunks(PACE_CHUNK) {
        port.write_all(chunk)?;
        let bits = (chunk.len() as u64) * u64::from(params::BITS_PER_BYTE);
        std::thread::sleep(Duration::from_micros(bits * 1_000_000 / u64::from(baud)));
    }
    Ok(())
}

/// Bytes written between two pacing sleeps (≈ 11 ms at 57600 baud).
const PACE_CHUNK: usize = 64;

/// Which instruction a packet carries (for logs).
pub fn describe(packet: &Packet) -> String {
    match packet.payload().first().and_then(|&b| Instruction::from_byte(b)) {
        Some(i) if packet.pid == PacketId::Command => format!("{i:?}"),
        _ => format!("{:?} packet", packet.pid),
    }
}
