//! Host driver for EF01 serial fingerprint modules (ZFM-20, R305, R307, AS608, R50x base set)
//! over `serialport`, and a device simulator ([`sim`]) that speaks the same protocol.
//!
//! Layers: [`exchange`] is the protocol state machine without I/O (one command → ACK → optional
//! data phase); [`transport`] is the byte pipe ([`SerialTransport`] on a real port or a pty,
//! [`MemoryTransport`] in tests); [`R30x`] adds timeouts and the flows (capture, enroll,
//! identify, library management). Every read has a timeout; a short read, a bad checksum, a
//! wrong address or a vanished port is a typed [`R30xError`], never a hang.
//!
//! Thread-safety: an [`R30x`] is `Send` (move it to a worker) and used through `&mut self`.

pub mod exchange;
pub mod params;
pub mod sim;
pub mod transport;

use std::time::{Duration, Instant};

use firmware_protocol::{
    Command, Confirmation, DEFAULT_ADDRESS, IMAGE_HEIGHT, IMAGE_PACKED_BYTES, IMAGE_WIDTH, INDEX_PAGE_LEN, Instruction,
    LedColour, LedMode, SysParams, data_packets, unpack_4bit,
};
use ridgegate_core::FingerImage;

pub use exchange::{Exchange, ProtocolError, Reply};
pub use transport::{MemoryTransport, SerialTransport, Transport, TransportError};

use crate::{CancelToken, Capabilities, CaptureError, CaptureOutcome, DeviceInfo, OpenError, RetryReason, Scanner};

/// Errors of the R30x driver.
#[derive(Debug, thiserror::Error)]
pub enum R30xError {
    /// The module sent nothing within the read timeout.
    #[error("module did not answer {command:?} within {timeout:?}; check power, wiring (TX↔RX) and baud rate")]
    Timeout {
        /// The command.
        command: Instruction,
        /// The timeout that expired.
        timeout: Duration,
    },
    /// The module stopped in the middle of a packet or data phase.
    #[error(
        "short read: {command:?} answer stopped after {received} bytes and {timeout:?} of silence; check cabling and baud rate"
    )]
    ShortRead {
        /// The command.
        command: Instruction,
        /// Bytes received before the silence.
        received: usize,
        /// The silence that ended the read.
        timeout: Duration,
    },
    /// The port disappeared.
    #[error("serial port gone: {0}; reconnect the module and reopen")]
    Unplugged(String),
    /// Operating-system I/O error.
    #[error("serial I/O error: {0}")]
    Io(std::io::Error),
    /// The answer violated the protocol.
    #[error("protocol error in {command:?}: {error}")]
    Protocol {
        /// The command.
        command: Instruction,
        /// What was wrong.
        error: ProtocolError,
    },
    /// The module refused the command with a confirmation code.
    #[error("module answered {code} to {command:?}")]
    Module {
        /// The command.
        command: Instruction,
        /// The module's confirmation code.
        code: Confirmation,
    },
    /// The operation was cancelled through its [`CancelToken`].
    #[error("cancelled")]
    Cancelled,
    /// A caller-supplied value is out of range.
    #[error("invalid argument: {0}")]
    InvalidArgument(String),
}

impl R30xError {
    fn from_transport(e: TransportError, x: &Exchange) -> Self {
        match e {
            TransportError::Timeout(timeout) if x.received() > 0 => {
                R30xError::ShortRead { command: x.command().instruction(), received: x.received(), timeout }
            }
            TransportError::Timeout(timeout) => R30xError::Timeout { command: x.command().instruction(), timeout },
            TransportError::Unplugged(m) => R30xError::Unplugged(m),
            TransportError::Io(e) => R30xError::Io(e),
        }
    }
}

impl From<R30xError> for CaptureError {
    fn from(e: R30xError) -> Self {
        match e {
            R30xError::Timeout { timeout, .. } => CaptureError::Timeout(timeout),
            R30xError::Unplugged(m) => CaptureError::Unplugged(m),
            R30xError::Io(e) => CaptureError::Io(e),
            R30xError::Cancelled => CaptureError::Cancelled,
            other => CaptureError::Protocol(other.to_string()),
        }
    }
}

/// Connection settings. Plain data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Config {
    /// Module address (factory `FFFFFFFF`).
    pub address: u32,
    /// Password sent with VfyPwd when the module asks for it (factory 0).
    pub password: u32,
    /// Baud rate of the link (used to budget data-phase deadlines).
    pub baud: u32,
    /// Longest silence inside an exchange.
    pub read_timeout: Duration,
    /// Pause between GenImg polls while no finger is present.
    pub poll_interval: Duration,
    /// Use the R50x GetImageEx (answers 07 on poor quality) instead of GenImg.
    pub get_image_ex: bool,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            address: DEFAULT_ADDRESS,
            password: 0,
            baud: params::DEFAULT_BAUD,
            read_timeout: params::READ_TIMEOUT,
            poll_interval: params::FINGER_POLL_INTERVAL,
            get_image_ex: false,
        }
    }
}

/// Result of [`R30x::enroll`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EnrollOutcome {
    /// The template was stored at this page.
    Stored(u16),
    /// Ask the user to try again.
    Retry(RetryReason),
}

/// Result of [`R30x::identify`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IdentifyOutcome {
    /// Best library match: page and module score.
    Found {
        /// Library page.
        page: u16,
        /// Module match score (module specific; simulator: calibrated score × 10).
        score: u16,
    },
    /// The finger is not in the library.
    NotFound,
    /// Ask the user to try again.
    Retry(RetryReason),
}

/// An R30x/AS608 module on a [`Transport`].
pub struct R30x<T: Transport> {
    transport: T,
    config: Config,
    params: SysParams,
    selector: String,
}

impl<T: Transport> std::fmt::Debug for R30x<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("R30x").field("selector", &self.selector).field("params", &self.params).finish()
    }
}

impl R30x<SerialTransport> {
    /// Opens `path` at `baud` with factory address and password and connects ([`R30x::connect`]).
    pub fn open_serial(path: &str, baud: u32) -> Result<Self, R30xError> {
        check_baud(baud)?;
        let transport = SerialTransport::open(path, baud).map_err(|e| match e {
            TransportError::Unplugged(m) => R30xError::Unplugged(m),
            TransportError::Io(e) => R30xError::Io(e),
            TransportError::Timeout(t) => R30xError::Timeout { command: Instruction::ReadSysPara, timeout: t },
        })?;
        R30x::connect(transport, Config { baud, ..Config::default() }, format!("serial:{path}@{baud}"))
    }
}

/// Accepts 9600·N for N = 1..=12.
fn check_baud(baud: u32) -> Result<(), R30xError> {
    if baud % params::BAUD_UNIT == 0 && (1..=params::MAX_BAUD_N).contains(&(baud / params::BAUD_UNIT)) {
        Ok(())
    } else {
        Err(R30xError::InvalidArgument(format!(
            "baud {baud} is not 9600·N for N = 1..={} (factory 57600)",
            params::MAX_BAUD_N
        )))
    }
}

impl<T: Transport> R30x<T> {
    /// Connects over `transport`: reads the system parameters, verifying the password first when
    /// the module requires it (answer 0x21). Fails with a typed error when nothing or garbage answers.
    pub fn connect(transport: T, config: Config, selector: String) -> Result<Self, R30xError> {
        let placeholder = SysParams {
            status: 0,
            system_id: 0,
            capacity: 0,
            security_level: 0,
            address: config.address,
            packet_size_code: 2,
            baud_n: (config.baud / params::BAUD_UNIT) as u16,
        };
        let mut dev = R30x { transport, config, params: placeholder, selector };
        let _ = dev.transport.clear_input();
        match dev.read_sys_params() {
            Ok(_) => {}
            Err(R30xError::Module { code: Confirmation::PasswordRequired, .. }) => {
                dev.verify_password(config.password)?;
                dev.read_sys_params()?;
            }
            Err(e) => return Err(e),
        }
        Ok(dev)
    }

    /// The system parameters read at connect time (or by the last [`read_sys_params`](Self::read_sys_params)).
    pub fn sys_params(&self) -> SysParams {
        self.params
    }

    /// The connection settings.
    pub fn config(&self) -> Config {
        self.config
    }

    /// The underlying transport (e.g. to inspect a [`MemoryTransport`] in tests).
    pub fn transport_mut(&mut self) -> &mut T {
        &mut self.transport
    }

    /// Overall deadline of an exchange whose answer carries up to `data` bytes.
    fn budget(&self, data: usize) -> Duration {
        // Each data packet adds 11 framing bytes; budget with the smallest packet size (32).
        let wire_bytes = data + data.div_ceil(32) * 11 + 64;
        let secs = (wire_bytes as u64 * params::BITS_PER_BYTE as u64 * params::WIRE_TIME_FACTOR as u64) as f64
            / self.config.baud.max(1) as f64;
        Duration::from_secs_f64(secs) + params::EXCHANGE_SLACK
    }

    /// Runs one exchange: sends the command, reads until the answer is complete. Every read waits
    /// at most the read timeout (and never past the exchange's overall deadline).
    pub fn transact(&mut self, command: Command) -> Result<Reply, R30xError> {
        let limit = match command {
            Command::UpImage => IMAGE_PACKED_BYTES,
            Command::UpChar { .. } => params::MAX_CHAR_FILE,
            Command::ReadInfPage => params::MAX_INFO_PAGE,
            _ => 0,
        };
        let mut x = Exchange::new(self.config.address, command, limit);
        let deadline = Instant::now() + self.budget(limit);
        // Stale bytes (a late answer to an exchange that timed out) must not be taken as this answer.
        let _ = self.transport.clear_input();
        self.transport.write_all(&x.request()).map_err(|e| R30xError::from_transport(e, &x))?;
        let mut buf = [0u8; 512];
        loop {
            let now = Instant::now();
            if now >= deadline {
                return Err(R30xError::from_transport(TransportError::Timeout(self.budget(limit)), &x));
            }
            let wait = self.config.read_timeout.min(deadline - now);
            let n = self.transport.read(&mut buf, wait).map_err(|e| R30xError::from_transport(e, &x))?;
            match x.feed(&buf[..n]) {
                Ok(Some(reply)) => return Ok(reply),
                Ok(None) => {}
                Err(error) => {
                    // Drop the rest of the broken answer (e.g. the remaining packets of an image
                    // upload) so the next command starts on a quiet line.
                    self.drain(deadline);
                    return Err(R30xError::Protocol { command: command.instruction(), error });
                }
            }
        }
    }

    /// Reads and discards input until the line has been quiet for [`params::DRAIN_QUIET`] or
    /// `deadline` passes. Errors end the drain (the next exchange reports them).
    fn drain(&mut self, deadline: Instant) {
        let mut buf = [0u8; 512];
        while Instant::now() < deadline {
            if self.transport.read(&mut buf, params::DRAIN_QUIET).is_err() {
                break;
            }
        }
        let _ = self.transport.clear_input();
    }

    /// Runs an exchange and turns any confirmation other than 00 into [`R30xError::Module`].
    fn ok(&mut self, command: Command) -> Result<Reply, R30xError> {
        let reply = self.transact(command)?;
        if reply.confirmation == Confirmation::Ok {
            Ok(reply)
        } else {
            Err(R30xError::Module { command: command.instruction(), code: reply.confirmation })
        }
    }

    /// VfyPwd: unlocks a module whose password was changed.
    pub fn verify_password(&mut self, password: u32) -> Result<(), R30xError> {
        self.ok(Command::VfyPwd(password)).map(|_| ())
    }

    /// SetPwd: sets a new password (stored in flash; from then on VfyPwd is required).
    pub fn set_password(&mut self, password: u32) -> Result<(), R30xError> {
        self.ok(Command::SetPwd(password)).map(|_| ())
    }

    /// ReadSysPara: reads and remembers the 16-byte parameter block.
    pub fn read_sys_params(&mut self) -> Result<SysParams, R30xError> {
        let r = self.ok(Command::ReadSysPara)?;
        let p = SysParams::decode(&r.results).ok_or(R30xError::Protocol {
            command: Instruction::ReadSysPara,
            error: ProtocolError::BadReplyLength {
                command: Instruction::ReadSysPara,
                expected: firmware_protocol::SYS_PARAMS_LEN,
                got: r.results.len(),
            },
        })?;
        self.params = p;
        Ok(p)
    }

    /// SetSysPara: writes a register (4 baud N, 5 security level, 6 packet size code). The module
    /// answers with the old settings and applies the new ones afterwards.
    pub fn set_sys_param(&mut self, register: firmware_protocol::Register, value: u8) -> Result<(), R30xError> {
        self.ok(Command::SetSysPara { register: register as u8, value }).map(|_| ())
    }

    /// TempleteNum: number of stored templates.
    pub fn template_count(&mut self) -> Result<u16, R30xError> {
        let r = self.ok(Command::TempleteNum)?;
        Ok(u16::from_be_bytes([r.results[0], r.results[1]]))
    }

    /// ReadIndexTable: the used pages of index page `page` (0–3; 256 slots each), ascending.
    pub fn used_pages(&mut self, page: u8) -> Result<Vec<u16>, R30xError> {
        let r = self.ok(Command::ReadIndexTable { page })?;
        let mut out = Vec::new();
        for (i, &byte) in r.results.iter().enumerate().take(INDEX_PAGE_LEN) {
            for bit in 0..8 {
                if byte & (1 << bit) != 0 {
                    out.push(u16::from(page) * 256 + (i * 8 + bit) as u16);
                }
            }
        }
        Ok(out)
    }

    /// GenImg (or GetImageEx): one capture attempt into the module's image buffer.
    /// Returns the confirmation (00 ok, 02 no finger, 03/07 poor capture) without judging it.
    pub fn gen_img(&mut self) -> Result<Confirmation, R30xError> {
        let cmd = if self.config.get_image_ex { Command::GetImageEx } else { Command::GenImg };
        Ok(self.transact(cmd)?.confirmation)
    }

    /// Polls GenImg until a finger is imaged, the timeout passes (→ `Some(NoFinger)`), a poor
    /// capture is reported (→ `Some(LowQuality)`) or `cancel` fires. `None` = image ready.
    pub fn wait_for_image(
        &mut self,
        timeout: Duration,
        cancel: &CancelToken,
    ) -> Result<Option<RetryReason>, R30xError> {
        let cmd = if self.config.get_image_ex { Command::GetImageEx } else { Command::GenImg };
        self.poll(cmd, timeout, cancel, RetryReason::NoFinger, |code| match code {
            Confirmation::Ok => Poll::Done(None),
            Confirmation::NoFinger => Poll::Again,
            Confirmation::CaptureFailed | Confirmation::TooFewFeatures | Confirmation::ImageMessy => {
                Poll::Done(Some(RetryReason::LowQuality))
            }
            code => Poll::Fail(R30xError::Module { command: Instruction::GenImg, code }),
        })
    }

    /// Polls GenImg until the finger is lifted (answer 02), up to `timeout` (→ `Some(RemoveFinger)`).
    pub fn wait_for_removal(
        &mut self,
        timeout: Duration,
        cancel: &CancelToken,
    ) -> Result<Option<RetryReason>, R30xError> {
        self.poll(Command::GenImg, timeout, cancel, RetryReason::RemoveFinger, |code| match code {
            Confirmation::NoFinger => Poll::Done(None),
            _ => Poll::Again,
        })
    }

    /// The poll loop shared by [`Self::wait_for_image`] and [`Self::wait_for_removal`]: sends
    /// `command` every `poll_interval` and lets `step` judge each answer, until it is done, the
    /// timeout passes (→ `Ok(Some(timed_out))`) or `cancel` fires (→ `Err(Cancelled)`).
    fn poll(
        &mut self,
        command: Command,
        timeout: Duration,
        cancel: &CancelToken,
        timed_out: RetryReason,
        mut step: impl FnMut(Confirmation) -> Poll,
    ) -> Result<Option<RetryReason>, R30xError> {
        let deadline = Instant::now() + timeout;
        loop {
            if cancel.is_cancelled() {
                return Err(R30xError::Cancelled);
            }
            match step(self.transact(command)?.confirmation) {
                Poll::Done(outcome) => return Ok(outcome),
                Poll::Fail(e) => return Err(e),
                Poll::Again => {}
            }
            if Instant::now() + self.config.poll_interval >= deadline {
                return Ok(Some(timed_out));
            }
            std::thread::sleep(self.config.poll_interval);
        }
    }

    /// UpImage: uploads the image buffer (36 864 bytes of 4-bit pixels in data packets) and
    /// expands it to a 256×288 8-bit image. Cost: ≈ 7 s at 57600 baud, 3.5 s at 115200.
    pub fn upload_image(&mut self) -> Result<FingerImage, R30xError> {
        let r = self.ok(Command::UpImage)?;
        if r.data.len() != IMAGE_PACKED_BYTES {
            return Err(R30xError::Protocol {
                command: Instruction::UpImage,
                error: ProtocolError::BadReplyLength {
                    command: Instruction::UpImage,
                    expected: IMAGE_PACKED_BYTES,
                    got: r.data.len(),
                },
            });
        }
        let mut pixels = vec![0u8; IMAGE_WIDTH * IMAGE_HEIGHT];
        unpack_4bit(&r.data, &mut pixels).map_err(|e| R30xError::InvalidArgument(format!("image unpacking: {e}")))?;
        FingerImage::new(IMAGE_WIDTH as u32, IMAGE_HEIGHT as u32, params::SENSOR_DPI, pixels)
            .map_err(|e| R30xError::InvalidArgument(format!("image from module: {e}")))
    }

    /// DownImage: sends a 256×288 image (packed to 4 bits) into the module's image buffer, e.g.
    /// to let the module extract features from an image captured elsewhere.
    pub fn download_image(&mut self, image: &FingerImage) -> Result<(), R30xError> {
        if (image.width() as usize, image.height() as usize) != (IMAGE_WIDTH, IMAGE_HEIGHT) {
            return Err(R30xError::InvalidArgument(format!(
                "image is {}x{}, the module takes {IMAGE_WIDTH}x{IMAGE_HEIGHT}",
                image.width(),
                image.height()
            )));
        }
        let mut packed = vec![0u8; IMAGE_PACKED_BYTES];
        firmware_protocol::pack_4bit(image.pixels(), &mut packed)
            .map_err(|e| R30xError::InvalidArgument(format!("image packing: {e}")))?;
        self.send_data(Command::DownImage, &packed)
    }

    /// Sends `command`, and after its ACK (cc 00) `data` in packets of the module's packet size.
    fn send_data(&mut self, command: Command, data: &[u8]) -> Result<(), R30xError> {
        self.ok(command)?;
        let size = self.params.packet_size().unwrap_or(128);
        let x = Exchange::new(self.config.address, command, 0);
        for p in data_packets(self.config.address, data, size) {
            let (b, n) = p.to_wire();
            self.transport.write_all(&b[..n]).map_err(|e| R30xError::from_transport(e, &x))?;
        }
        Ok(())
    }

    /// SoftRst (R50x): resets the module and waits up to the read timeout for its ready byte 0x55.
    pub fn soft_reset(&mut self) -> Result<(), R30xError> {
        let reply = self.ok(Command::SoftRst)?;
        let mut b = [0u8; 1];
        if let Some(&first) = reply.trailing.first() {
            b[0] = first;
        } else {
            let x = Exchange::new(self.config.address, Command::SoftRst, 0);
            self.transport.read(&mut b, self.config.read_timeout).map_err(|e| R30xError::from_transport(e, &x))?;
        }
        if b[0] == firmware_protocol::READY_BYTE {
            Ok(())
        } else {
            Err(R30xError::Protocol { command: Instruction::SoftRst, error: ProtocolError::UnknownConfirmation(b[0]) })
        }
    }

    /// Img2Tz: extracts features of the image buffer into char buffer `buffer`.
    /// `Ok(Some(LowQuality))` when the module finds the image too messy (06) or too poor (07).
    pub fn image_to_char(&mut self, buffer: u8) -> Result<Option<RetryReason>, R30xError> {
        match self.transact(Command::Img2Tz { buffer })?.confirmation {
            Confirmation::Ok => Ok(None),
            Confirmation::ImageMessy | Confirmation::TooFewFeatures | Confirmation::NoValidImage => {
                Ok(Some(RetryReason::LowQuality))
            }
            code => Err(R30xError::Module { command: Instruction::Img2Tz, code }),
        }
    }

    /// RegModel: merges char buffers 1 and 2; `Ok(false)` when they are of different fingers (0A).
    pub fn register_model(&mut self) -> Result<bool, R30xError> {
        match self.transact(Command::RegModel)?.confirmation {
            Confirmation::Ok => Ok(true),
            Confirmation::CombineFailed => Ok(false),
            code => Err(R30xError::Module { command: Instruction::RegModel, code }),
        }
    }

    /// Store: writes char buffer `buffer` to library page `page`.
    pub fn store(&mut self, buffer: u8, page: u16) -> Result<(), R30xError> {
        self.ok(Command::Store { buffer, page }).map(|_| ())
    }

    /// LoadChar: loads library page `page` into char buffer `buffer`.
    pub fn load(&mut self, buffer: u8, page: u16) -> Result<(), R30xError> {
        self.ok(Command::LoadChar { buffer, page }).map(|_| ())
    }

    /// DeletChar: deletes `count` templates from `page` on.
    pub fn delete(&mut self, page: u16, count: u16) -> Result<(), R30xError> {
        self.ok(Command::DeletChar { page, count }).map(|_| ())
    }

    /// Empty: deletes the whole library.
    pub fn empty(&mut self) -> Result<(), R30xError> {
        self.ok(Command::Empty).map(|_| ())
    }

    /// Search (or HiSpeedSearch with `fast`): char buffer `buffer` against pages
    /// `start..start+count`. `None` when not found (09).
    pub fn search(&mut self, buffer: u8, start: u16, count: u16, fast: bool) -> Result<Option<(u16, u16)>, R30xError> {
        let cmd = if fast {
            Command::HiSpeedSearch { buffer, start, count }
        } else {
            Command::Search { buffer, start, count }
        };
        let r = self.transact(cmd)?;
        match r.confirmation {
            Confirmation::Ok => Ok(Some((
                u16::from_be_bytes([r.results[0], r.results[1]]),
                u16::from_be_bytes([r.results[2], r.results[3]]),
            ))),
            Confirmation::NotFound => Ok(None),
            code => Err(R30xError::Module { command: cmd.instruction(), code }),
        }
    }

    /// Match: compares char buffers 1 and 2; the score, or `None` when they do not match (08).
    pub fn match_buffers(&mut self) -> Result<Option<u16>, R30xError> {
        let r = self.transact(Command::Match)?;
        match r.confirmation {
            Confirmation::Ok => Ok(Some(u16::from_be_bytes([r.results[0], r.results[1]]))),
            Confirmation::NoMatch => Ok(None),
            code => Err(R30xError::Module { command: Instruction::Match, code }),
        }
    }

    /// UpChar: uploads char buffer `buffer` (the template, module specific format).
    pub fn upload_char(&mut self, buffer: u8) -> Result<Vec<u8>, R30xError> {
        Ok(self.ok(Command::UpChar { buffer })?.data)
    }

    /// DownChar: downloads `data` into char buffer `buffer`, in packets of the module's packet size.
    pub fn download_char(&mut self, buffer: u8, data: &[u8]) -> Result<(), R30xError> {
        if data.is_empty() || data.len() > params::MAX_CHAR_FILE {
            return Err(R30xError::InvalidArgument(format!(
                "char file of {} bytes; expected 1..={}",
                data.len(),
                params::MAX_CHAR_FILE
            )));
        }
        self.send_data(Command::DownChar { buffer }, data)
    }

    /// Older ZFM LED on/off (0x50/0x51); R50x modules use [`aura_led`](Self::aura_led).
    pub fn led(&mut self, on: bool) -> Result<(), R30xError> {
        self.ok(if on { Command::LedOn } else { Command::LedOff }).map(|_| ())
    }

    /// R50x Aura LED control.
    pub fn aura_led(&mut self, mode: LedMode, speed: u8, colour: LedColour, cycles: u8) -> Result<(), R30xError> {
        self.ok(Command::AuraLedConfig { mode, speed, colour, cycles }).map(|_| ())
    }

    /// R50x HandShake: `Ok(())` when the module is alive.
    pub fn handshake(&mut self) -> Result<(), R30xError> {
        self.ok(Command::HandShake).map(|_| ())
    }

    /// Enrollment flow (spec §1.7): finger → Img2Tz(1) → lift → finger → Img2Tz(2) → RegModel →
    /// Store(1, page). `timeout` applies to each wait for the finger.
    pub fn enroll(&mut self, page: u16, timeout: Duration, cancel: &CancelToken) -> Result<EnrollOutcome, R30xError> {
        if self.params.capacity != 0 && page >= self.params.capacity {
            return Err(R30xError::InvalidArgument(format!(
                "page {page} beyond the library capacity {}",
                self.params.capacity
            )));
        }
        for buffer in [1u8, 2] {
            if buffer == 2 {
                if let Some(r) = self.wait_for_removal(timeout, cancel)? {
                    return Ok(EnrollOutcome::Retry(r));
                }
            }
            if let Some(r) = self.wait_for_image(timeout, cancel)? {
                return Ok(EnrollOutcome::Retry(r));
            }
            if let Some(r) = self.image_to_char(buffer)? {
                return Ok(EnrollOutcome::Retry(r));
            }
        }
        if !self.register_model()? {
            return Ok(EnrollOutcome::Retry(RetryReason::RemoveFinger));
        }
        self.store(1, page)?;
        Ok(EnrollOutcome::Stored(page))
    }

    /// Identification flow: finger → Img2Tz(1) → Search over the whole library.
    pub fn identify(&mut self, timeout: Duration, cancel: &CancelToken) -> Result<IdentifyOutcome, R30xError> {
        if let Some(r) = self.wait_for_image(timeout, cancel)? {
            return Ok(IdentifyOutcome::Retry(r));
        }
        if let Some(r) = self.image_to_char(1)? {
            return Ok(IdentifyOutcome::Retry(r));
        }
        let capacity = self.params.capacity.max(1);
        Ok(match self.search(1, 0, capacity, false)? {
            Some((page, score)) => IdentifyOutcome::Found { page, score },
            None => IdentifyOutcome::NotFound,
        })
    }
}

impl<T: Transport> Scanner for R30x<T> {
    fn info(&self) -> DeviceInfo {
        DeviceInfo {
            driver: "serial",
            selector: self.selector.clone(),
            model: format!(
                "EF01 module (R30x/AS608 family), address {:08X}, library {} templates, {} baud",
                self.params.address, self.params.capacity, self.config.baud
            ),
        }
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities {
            width: IMAGE_WIDTH as u32,
            height: IMAGE_HEIGHT as u32,
            dpi: params::SENSOR_DPI,
            bits_per_pixel: 4,
            finger_detection: true,
        }
    }

    fn capture(&mut self, timeout: Duration, cancel: &CancelToken) -> Result<CaptureOutcome, CaptureError> {
        if let Some(r) = self.wait_for_image(timeout, cancel)? {
            return Ok(CaptureOutcome::Retry(r));
        }
        Ok(CaptureOutcome::Image(self.upload_image()?))
    }
}

/// Parses the part of a selector after `serial:`: `PATH[@BAUD]` (default 57600).
pub fn parse_selector(rest: &str) -> Result<(String, u32), OpenError> {
    let bad = |m: String| OpenError::BadSelector(format!("serial:{rest}"), m);
    if rest.is_empty() {
        return Err(bad("expected serial:PATH[@BAUD], e.g. serial:/dev/ttyUSB0@57600".into()));
    }
    let (path, baud) = match rest.rsplit_once('@') {
        Some((p, b)) => (p, b.parse::<u32>().map_err(|_| bad(format!("baud {b:?} is not a number")))?),
        None => (rest, params::DEFAULT_BAUD),
    };
    check_baud(baud).map_err(|e| bad(e.to_string()))?;
    Ok((path.to_string(), baud))
}

/// [`crate::DriverEntry::open`] of the `serial` driver.
pub fn open_driver(rest: &str) -> Result<Box<dyn Scanner>, OpenError> {
    let (path, baud) = parse_selector(rest)?;
    Ok(Box::new(R30x::open_serial(&path, baud).map_err(CaptureError::from)?))
}

/// [`crate::DriverEntry::discover`] of the `serial` driver: serial ports the OS lists (not
/// probed: talking to unknown devices could disturb them). Cost: a /sys listing.
pub fn discover() -> Vec<DeviceInfo> {
    // serialport's enumeration without libudev walks /sys/class/tty and panics where it is
    // missing (containers); no listing then, rather than a crash.
    if cfg!(target_os = "linux") && !std::path::Path::new("/sys/class/tty").is_dir() {
        return Vec::new();
    }
    std::panic::catch_unwind(serialport::available_ports)
        .unwrap_or_else(|_| Ok(Vec::new()))
        .unwrap_or_default()
        .into_iter()
        .map(|p| DeviceInfo {
            driver: "serial",
            selector: format!("serial:{}@{}", p.port_name, params::DEFAULT_BAUD),
            model: format!("serial port ({:?}); EF01 module not probed", p.port_type),
        })
        .collect()
}

/// How [`R30x::poll`] goes on after one answer.
enum Poll {
    /// Stop with this outcome (`None` = the awaited state was reached).
    Done(Option<RetryReason>),
    /// Not yet: poll again after the interval.
    Again,
    /// Stop with this error.
    Fail(R30xError),
}

#[cfg(test)]
mod tests {
    use super::*;
    use firmware_protocol::Packet;

    fn wire(p: &Packet) -> Vec<u8> {
        let (b, n) = p.to_wire();
        b[..n].to_vec()
    }

    fn sys_reply() -> Vec<u8> {
        let p = SysParams {
            status: 0,
            system_id: 0,
            capacity: 162,
            security_level: 3,
            address: DEFAULT_ADDRESS,
            packet_size_code: 2,
            baud_n: 6,
        };
        wire(&Packet::ack(DEFAULT_ADDRESS, Confirmation::Ok, &p.encode()).unwrap())
    }

    fn fast() -> Config {
        Config { read_timeout: Duration::from_millis(20), poll_interval: Duration::ZERO, ..Config::default() }
    }

    fn device(replies: Vec<Option<Vec<u8>>>) -> Result<R30x<MemoryTransport>, R30xError> {
        let mut t = MemoryTransport::default();
        t.incoming.extend(replies);
        R30x::connect(t, fast(), "memory".into())
    }

    #[test]
    fn connect_verifies_password_when_asked() {
        let need = wire(&Packet::ack(DEFAULT_ADDRESS, Confirmation::PasswordRequired, &[]).unwrap());
        let ok = wire(&Packet::ack(DEFAULT_ADDRESS, Confirmation::Ok, &[]).unwrap());
        let mut d = device(vec![Some(need), Some(ok), Some(sys_reply())]).unwrap();
        assert_eq!(d.sys_params().capacity, 162);
        let sent = &d.transport_mut().written;
        // ReadSysPara, VfyPwd(0), ReadSysPara.
        assert_eq!(sent[9], 0x0F);
        assert_eq!(sent[12 + 9], 0x13);
        assert_eq!(sent[12 + 16 + 9], 0x0F);
    }

    #[test]
    fn silence_short_read_garbage_and_unplug_are_typed_errors() {
        assert!(matches!(device(vec![]), Err(R30xError::Timeout { command: Instruction::ReadSysPara, .. })));
        let half = sys_reply()[..10].to_vec();
        assert!(matches!(device(vec![Some(half)]), Err(R30xError::ShortRead { received: 10, .. })));
        let mut bad = sys_reply();
        bad[20] ^= 0xFF;
        assert!(matches!(device(vec![Some(bad)]), Err(R30xError::Protocol { .. })));
        assert!(matches!(device(vec![None]), Err(R30xError::Unplugged(_))));
    }

    #[test]
    fn capture_polls_until_finger_then_uploads() {
        let no = wire(&Packet::ack(DEFAULT_ADDRESS, Confirmation::NoFinger, &[]).unwrap());
        let ok = wire(&Packet::ack(DEFAULT_ADDRESS, Confirmation::Ok, &[]).unwrap());
        let packed: Vec<u8> = (0..IMAGE_PACKED_BYTES).map(|i| (i % 256) as u8).collect();
        let mut upload = ok.clone();
        for p in data_packets(DEFAULT_ADDRESS, &packed, 128) {
            upload.extend(wire(&p));
        }
        let mut d = device(vec![Some(sys_reply()), Some(no.clone()), Some(no), Some(ok), Some(upload)]).unwrap();
        let img = match d.capture(Duration::from_secs(5), &CancelToken::new()).unwrap() {
            CaptureOutcome::Image(i) => i,
            other => panic!("{other:?}"),
        };
        assert_eq!((img.width(), img.height()), (256, 288));
        assert_eq!(&img.pixels()[..4], &[0, 0, 0, 17]);
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(256))]
        /// Whatever a broken or hostile device sends, every call ends in a value or a typed error.
        #[test]
        fn garbage_from_the_device_never_panics(
            chunks in proptest::collection::vec(
                proptest::option::weighted(0.95, proptest::collection::vec(proptest::prelude::any::<u8>(), 0..300)),
                0..12,
            ),
            with_valid_start in proptest::prelude::any::<bool>(),
        ) {
            let mut t = MemoryTransport::default();
            if with_valid_start {
                t.incoming.push_back(Some(sys_reply()));
            }
            t.incoming.extend(chunks);
            if let Ok(mut d) = R30x::connect(t, fast(), "memory".into()) {
                let _ = d.template_count();
                let _ = d.capture(Duration::from_millis(5), &CancelToken::new());
                let _ = d.upload_char(1);
                let _ = d.search(1, 0, 10, false);
                let _ = d.soft_reset();
            }
        }
    }

    #[test]
    fn selector_parsing() {
        assert_eq!(parse_selector("/dev/ttyUSB0").unwrap(), ("/dev/ttyUSB0".into(), 57_600));
        assert_eq!(parse_selector("/dev/ttyS1@115200").unwrap(), ("/dev/ttyS1".into(), 115_200));
        assert!(parse_selector("/dev/ttyS1@1234").is_err());
        assert!(parse_selector("/dev/ttyS1@fast").is_err());
        assert!(parse_selector("").is_err());
    }
}
