//! Typed commands: every instruction with its parameters, encoded to and decoded from a command
//! packet's payload. Host drivers build packets with [`Command::to_packet`]; device firmware and
//! simulators parse them with [`Command::parse`]. No allocation; plain data.

use crate::{Instruction, Packet};

/// The byte an R50x module sends after power-on and after [`Command::SoftRst`] ("ready").
pub const READY_BYTE: u8 = 0x55;
/// Bytes of one notepad page (WriteNotepad / ReadNotepad).
pub const NOTEPAD_PAGE_LEN: usize = 32;
/// Notepad pages (0..16).
pub const NOTEPAD_PAGES: u8 = 16;
/// Bytes of one index-table page reply (bitmap of 256 template slots).
pub const INDEX_PAGE_LEN: usize = 32;
/// Longest raw parameter block kept for the R50x auto-enroll/identify commands.
pub const MAX_RAW_PARAMS: usize = 16;

/// SetSysPara register numbers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Register {
    /// 4: baud multiplier N (baud = 9600·N).
    Baud = 4,
    /// 5: security level 1–5.
    SecurityLevel = 5,
    /// 6: data packet size code 0–3 (32/64/128/256 bytes).
    PacketSize = 6,
}

impl Register {
    /// Parses a register number.
    pub const fn from_byte(b: u8) -> Option<Self> {
        match b {
            4 => Some(Register::Baud),
            5 => Some(Register::SecurityLevel),
            6 => Some(Register::PacketSize),
            _ => None,
        }
    }
}

/// Aura LED control mode (AuraLedConfig `ctrl` byte).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LedMode {
    /// 1: breathing.
    Breathing = 1,
    /// 2: flashing.
    Flashing = 2,
    /// 3: always on.
    On = 3,
    /// 4: always off.
    Off = 4,
    /// 5: gradually on.
    FadeIn = 5,
    /// 6: gradually off.
    FadeOut = 6,
}

impl LedMode {
    /// Parses the ctrl byte.
    pub const fn from_byte(b: u8) -> Option<Self> {
        match b {
            1 => Some(LedMode::Breathing),
            2 => Some(LedMode::Flashing),
            3 => Some(LedMode::On),
            4 => Some(LedMode::Off),
            5 => Some(LedMode::FadeIn),
            6 => Some(LedMode::FadeOut),
            _ => None,
        }
    }
}

/// Aura LED colour.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LedColour {
    /// 1: red.
    Red = 1,
    /// 2: blue.
    Blue = 2,
    /// 3: purple.
    Purple = 3,
}

impl LedColour {
    /// Parses the colour byte.
    pub const fn from_byte(b: u8) -> Option<Self> {
        match b {
            1 => Some(LedColour::Red),
            2 => Some(LedColour::Blue),
            3 => Some(LedColour::Purple),
            _ => None,
        }
    }
}

/// A command with its parameters. Buffer ids are 1/2 on R30x (1–6 on R503); page ids are
/// template slots 0..capacity.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Command {
    /// Capture an image into the image buffer.
    GenImg,
    /// Extract features of the image buffer into char buffer `buffer`.
    Img2Tz {
        /// Char buffer id.
        buffer: u8,
    },
    /// 1:1 match of char buffers 1 and 2.
    Match,
    /// Search the library for char buffer `buffer` in pages `start..start+count`.
    Search {
        /// Char buffer id.
        buffer: u8,
        /// First page.
        start: u16,
        /// Number of pages.
        count: u16,
    },
    /// Merge char buffers 1 and 2 into a template.
    RegModel,
    /// Store char buffer `buffer` at `page`.
    Store {
        /// Char buffer id.
        buffer: u8,
        /// Library page.
        page: u16,
    },
    /// Load library `page` into char buffer `buffer`.
    LoadChar {
        /// Char buffer id.
        buffer: u8,
        /// Library page.
        page: u16,
    },
    /// Upload char buffer `buffer` to the host (data packets follow the ACK).
    UpChar {
        /// Char buffer id.
        buffer: u8,
    },
    /// Download a char file into buffer `buffer` (host sends data packets after the ACK).
    DownChar {
        /// Char buffer id.
        buffer: u8,
    },
    /// Upload the image buffer (4-bit packed data packets follow the ACK).
    UpImage,
    /// Download an image into the image buffer.
    DownImage,
    /// Delete `count` templates starting at `page`.
    DeletChar {
        /// First page.
        page: u16,
        /// Number of pages.
        count: u16,
    },
    /// Empty the library.
    Empty,
    /// Write system register `register` (raw number; see [`Register`]).
    SetSysPara {
        /// Register number.
        register: u8,
        /// New value.
        value: u8,
    },
    /// Read the 16-byte system parameter block.
    ReadSysPara,
    /// Set the password.
    SetPwd(u32),
    /// Verify the password.
    VfyPwd(u32),
    /// Ask for a random number.
    GetRandomCode,
    /// Set the module address.
    SetAdder(u32),
    /// Read the information page (R50x; data packets follow).
    ReadInfPage,
    /// Write a 32-byte notepad page.
    WriteNotepad {
        /// Page 0..16.
        page: u8,
        /// Contents.
        data: [u8; NOTEPAD_PAGE_LEN],
    },
    /// Read a 32-byte notepad page.
    ReadNotepad {
        /// Page 0..16.
        page: u8,
    },
    /// High-speed search (same parameters as [`Command::Search`]).
    HiSpeedSearch {
        /// Char buffer id.
        buffer: u8,
        /// First page.
        start: u16,
        /// Number of pages.
        count: u16,
    },
    /// Number of stored templates.
    TempleteNum,
    /// Read one page (0–3) of the index table (bitmap of used slots).
    ReadIndexTable {
        /// Index page.
        page: u8,
    },
    /// R50x: capture like GenImg, but answer 07 on poor quality.
    GetImageEx,
    /// R50x: cancel auto enroll/identify.
    Cancel,
    /// R50x AutoEnroll / AutoIdentify: parameters kept raw (layouts differ between models).
    Auto {
        /// [`Instruction::AutoEnroll`] or [`Instruction::AutoIdentify`].
        instruction: Instruction,
        /// Parameter bytes (first `len` used).
        params: [u8; MAX_RAW_PARAMS],
        /// Number of parameter bytes.
        len: u8,
    },
    /// R50x Aura LED: mode, speed (0–255, lower = faster), colour, cycles (0 = infinite).
    AuraLedConfig {
        /// Mode.
        mode: LedMode,
        /// Speed.
        speed: u8,
        /// Colour.
        colour: LedColour,
        /// Number of cycles for breathing/flashing.
        cycles: u8,
    },
    /// R50x sensor self check.
    CheckSensor,
    /// R50x algorithm version (32-byte string).
    GetAlgVer,
    /// R50x firmware version (32-byte string).
    GetFwVer,
    /// R50x product information.
    ReadProdInfo,
    /// Soft reset; the module then sends [`READY_BYTE`].
    SoftRst,
    /// R50x handshake: answer 00 when alive.
    HandShake,
    /// Older ZFM: LED on.
    LedOn,
    /// Older ZFM: LED off.
    LedOff,
    /// Echo check (some modules answer cc 0x55).
    GetEcho,
}

/// Why a command payload could not be parsed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CommandError {
    /// The payload is empty (no instruction byte).
    Empty,
    /// Unknown instruction byte.
    UnknownInstruction(u8),
    /// Wrong parameter length for the instruction: (instruction byte, expected, got).
    BadLength(u8, usize, usize),
    /// A parameter value is outside its domain (e.g. LED mode 9): (instruction byte).
    BadParameter(u8),
}

impl core::fmt::Display for CommandError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            CommandError::Empty => write!(f, "empty command packet"),
            CommandError::UnknownInstruction(b) => write!(f, "unknown instruction 0x{b:02X}"),
            CommandError::BadLength(b, e, g) => {
                write!(f, "instruction 0x{b:02X} takes {e} parameter bytes, got {g}")
            }
            CommandError::BadParameter(b) => write!(f, "parameter of instruction 0x{b:02X} out of range"),
        }
    }
}

impl Command {
    /// The instruction code of this command.
    pub const fn instruction(&self) -> Instruction {
        use Instruction as I;
        match self {
            Command::GenImg => I::GenImg,
            Command::Img2Tz { .. } => I::Img2Tz,
            Command::Match => I::Match,
            Command::Search { .. } => I::Search,
            Command::RegModel => I::RegModel,
            Command::Store { .. } => I::Store,
            Command::LoadChar { .. } => I::LoadChar,
            Command::UpChar { .. } => I::UpChar,
            Command::DownChar { .. } => I::DownChar,
            Command::UpImage => I::UpImage,
            Command::DownImage => I::DownImage,
            Command::DeletChar { .. } => I::DeletChar,
            Command::Empty => I::Empty,
            Command::SetSysPara { .. } => I::SetSysPara,
            Command::ReadSysPara => I::ReadSysPara,
            Command::SetPwd(_) => I::SetPwd,
            Command::VfyPwd(_) => I::VfyPwd,
            Command::GetRandomCode => I::GetRandomCode,
            Command::SetAdder(_) => I::SetAdder,
            Command::ReadInfPage => I::ReadInfPage,
            Command::WriteNotepad { .. } => I::WriteNotepad,
            Command::ReadNotepad { .. } => I::ReadNotepad,
            Command::HiSpeedSearch { .. } => I::HiSpeedSearch,
            Command::TempleteNum => I::TempleteNum,
            Command::ReadIndexTable { .. } => I::ReadIndexTable,
            Command::GetImageEx => I::GetImageEx,
            Command::Cancel => I::Cancel,
            Command::Auto { instruction, .. } => *instruction,
            Command::AuraLedConfig { .. } => I::AuraLedConfig,
            Command::CheckSensor => I::CheckSensor,
            Command::GetAlgVer => I::GetAlgVer,
            Command::GetFwVer => I::GetFwVer,
            Command::ReadProdInfo => I::ReadProdInfo,
            Command::SoftRst => I::SoftRst,
            Command::HandShake => I::HandShake,
            Command::LedOn => I::LedOn,
            Command::LedOff => I::LedOff,
            Command::GetEcho => I::GetEcho,
        }
    }

    /// Writes the parameter bytes (after the instruction code) into `out`; returns their count.
    /// `out` must hold at least 33 bytes (the longest parameter block, WriteNotepad).
    fn params(&self, out: &mut [u8; 33]) -> usize {
        let put16 = |o: &mut [u8], v: u16| o.copy_from_slice(&v.to_be_bytes());
        match *self {
            Command::Img2Tz { buffer } | Command::UpChar { buffer } | Command::DownChar { buffer } => {
                out[0] = buffer;
                1
            }
            Command::Search { buffer, start, count } | Command::HiSpeedSearch { buffer, start, count } => {
                out[0] = buffer;
                put16(&mut out[1..3], start);
                put16(&mut out[3..5], count);
                5
            }
            Command::Store { buffer, page } | Command::LoadChar { buffer, page } => {
                out[0] = buffer;
                put16(&mut out[1..3], page);
                3
            }
            Command::DeletChar { page, count } => {
                put16(&mut out[0..2], page);
                put16(&mut out[2..4], count);
                4
            }
            Command::SetSysPara { register, value } => {
                out[0] = register;
                out[1] = value;
                2
            }
            Command::SetPwd(v) | Command::VfyPwd(v) | Command::SetAdder(v) => {
                out[..4].copy_from_slice(&v.to_be_bytes());
                4
            }
            Command::WriteNotepad { page, data } => {
                out[0] = page;
                out[1..33].copy_from_slice(&data);
                33
            }
            Command::ReadNotepad { page } | Command::ReadIndexTable { page } => {
                out[0] = page;
                1
            }
            Command::Auto { params, len, .. } => {
                let n = usize::from(len).min(MAX_RAW_PARAMS);
                out[..n].copy_from_slice(&params[..n]);
                n
            }
            Command::AuraLedConfig { mode, speed, colour, cycles } => {
                out[..4].copy_from_slice(&[mode as u8, speed, colour as u8, cycles]);
                4
            }
            _ => 0,
        }
    }

    /// The command packet addressed to `address`. Cost: O(1); no allocation; infallible (the
    /// longest parameter block, 33 bytes, is far below [`crate::MAX_PAYLOAD`]).
    pub fn to_packet(&self, address: u32) -> Packet {
        let mut p = [0u8; 33];
        let n = self.params(&mut p);
        let mut buf = [0u8; crate::MAX_PAYLOAD];
        buf[0] = self.instruction().to_byte();
        buf[1..=n].copy_from_slice(&p[..n]);
        Packet::from_buf(address, crate::PacketId::Command, buf, n + 1)
    }

    /// Parses a command packet's payload (instruction byte + parameters). Strict: the parameter
    /// length must be exactly the instruction's. Cost: O(1); never panics.
    pub fn parse(payload: &[u8]) -> Result<Command, CommandError> {
        let (&code, p) = payload.split_first().ok_or(CommandError::Empty)?;
        let ins = Instruction::from_byte(code).ok_or(CommandError::UnknownInstruction(code))?;
        let need = |n: usize| if p.len() == n { Ok(()) } else { Err(CommandError::BadLength(code, n, p.len())) };
        let u16_at = |i: usize| u16::from_be_bytes([p[i], p[i + 1]]);
        let u32_at = |i: usize| u32::from_be_bytes([p[i], p[i + 1], p[i + 2], p[i + 3]]);
        use Instruction as I;
        Ok(match ins {
            I::GenImg => need(0).map(|_| Command::GenImg)?,
            I::Img2Tz => need(1).map(|_| Command::Img2Tz { buffer: p[0] })?,
            I::Match => need(0).map(|_| Command::Match)?,
            I::Search => need(5).map(|_| Command::Search { buffer: p[0], start: u16_at(1), count: u16_at(3) })?,
            I::HiSpeedSearch => {
                need(5).map(|_| Command::HiSpeedSearch { buffer: p[0], start: u16_at(1), count: u16_at(3) })?
            }
            I::RegModel => need(0).map(|_| Command::RegModel)?,
            I::Store => need(3).map(|_| Command::Store { buffer: p[0], page: u16_at(1) })?,
            I::LoadChar => need(3).map(|_| Command::LoadChar { buffer: p[0], page: u16_at(1) })?,
            I::UpChar => need(1).map(|_| Command::UpChar { buffer: p[0] })?,
            I::DownChar => need(1).map(|_| Command::DownChar { buffer: p[0] })?,
            I::UpImage => need(0).map(|_| Command::UpImage)?,
            I::DownImage => need(0).map(|_| Command::DownImage)?,
            I::DeletChar => need(4).map(|_| Command::DeletChar { page: u16_at(0), count: u16_at(2) })?,
            I::Empty => need(0).map(|_| Command::Empty)?,
            I::SetSysPara => need(2).map(|_| Command::SetSysPara { register: p[0], value: p[1] })?,
            I::ReadSysPara => need(0).map(|_| Command::ReadSysPara)?,
            I::SetPwd => need(4).map(|_| Command::SetPwd(u32_at(0)))?,
            I::VfyPwd => need(4).map(|_| Command::VfyPwd(u32_at(0)))?,
            I::GetRandomCode => need(0).map(|_| Command::GetRandomCode)?,
            I::SetAdder => need(4).map(|_| Command::SetAdder(u32_at(0)))?,
            I::ReadInfPage => need(0).map(|_| Command::ReadInfPage)?,
            I::WriteNotepad => {
                need(33)?;
                let mut data = [0u8; NOTEPAD_PAGE_LEN];
                data.copy_from_slice(&p[1..33]);
                Command::WriteNotepad { page: p[0], data }
            }
            I::ReadNotepad => need(1).map(|_| Command::ReadNotepad { page: p[0] })?,
            I::TempleteNum => need(0).map(|_| Command::TempleteNum)?,
            I::ReadIndexTable => need(1).map(|_| Command::ReadIndexTable { page: p[0] })?,
            I::GetImageEx => need(0).map(|_| Command::GetImageEx)?,
            I::Cancel => need(0).map(|_| Command::Cancel)?,
            I::AutoEnroll | I::AutoIdentify => {
                if p.len() > MAX_RAW_PARAMS {
                    return Err(CommandError::BadLength(code, MAX_RAW_PARAMS, p.len()));
                }
                let mut params = [0u8; MAX_RAW_PARAMS];
                params[..p.len()].copy_from_slice(p);
                Command::Auto { instruction: ins, params, len: p.len() as u8 }
            }
            I::AuraLedConfig => {
                need(4)?;
                let mode = LedMode::from_byte(p[0]).ok_or(CommandError::BadParameter(code))?;
                let colour = LedColour::from_byte(p[2]).ok_or(CommandError::BadParameter(code))?;
                Command::AuraLedConfig { mode, speed: p[1], colour, cycles: p[3] }
            }
            I::CheckSensor => need(0).map(|_| Command::CheckSensor)?,
            I::GetAlgVer => need(0).map(|_| Command::GetAlgVer)?,
            I::GetFwVer => need(0).map(|_| Command::GetFwVer)?,
            I::ReadProdInfo => need(0).map(|_| Command::ReadProdInfo)?,
            I::SoftRst => need(0).map(|_| Command::SoftRst)?,
            I::HandShake => need(0).map(|_| Command::HandShake)?,
            I::LedOn => need(0).map(|_| Command::LedOn)?,
            I::LedOff => need(0).map(|_| Command::LedOff)?,
            I::GetEcho => need(0).map(|_| Command::GetEcho)?,
        })
    }

    /// Whether the module follows its ACK (when cc = 00) with data packets to the host.
    pub const fn module_sends_data(&self) -> bool {
        matches!(self, Command::UpChar { .. } | Command::UpImage | Command::ReadInfPage)
    }

    /// Whether the host follows the module's ACK (when cc = 00) with data packets.
    pub const fn host_sends_data(&self) -> bool {
        matches!(self, Command::DownChar { .. } | Command::DownImage)
    }

    /// Number of result bytes after the confirmation code in a successful ACK, when fixed
    /// (`None`: variable, e.g. version strings).
    pub const fn reply_len(&self) -> Option<usize> {
        match self {
            Command::Match => Some(2),
            Command::Search { .. } | Command::HiSpeedSearch { .. } => Some(4),
            Command::ReadSysPara => Some(crate::SYS_PARAMS_LEN),
            Command::GetRandomCode => Some(4),
            Command::TempleteNum => Some(2),
            Command::ReadIndexTable { .. } => Some(INDEX_PAGE_LEN),
            Command::ReadNotepad { .. } => Some(NOTEPAD_PAGE_LEN),
            Command::GetAlgVer | Command::GetFwVer | Command::ReadProdInfo | Command::Auto { .. } => None,
            _ => Some(0),
        }
    }
}

/// Splits `data` into data packets of `packet_size` bytes: all [`crate::PacketId::Data`] except
/// the last, [`crate::PacketId::EndData`]. Empty data yields one empty end packet. An iterator
/// without allocation; `packet_size` is clamped to 1..=[`crate::MAX_PAYLOAD`].
pub fn data_packets(address: u32, data: &[u8], packet_size: usize) -> DataPackets<'_> {
    DataPackets { address, data, size: packet_size.clamp(1, crate::MAX_PAYLOAD), done: false }
}

/// Iterator returned by [`data_packets`].
#[derive(Debug, Clone)]
pub struct DataPackets<'a> {
    address: u32,
    data: &'a [u8],
    size: usize,
    done: bool,
}

impl Iterator for DataPackets<'_> {
    type Item = Packet;
    fn next(&mut self) -> Option<Packet> {
        if self.done {
            return None;
        }
        let n = self.data.len().min(self.size);
        let (chunk, rest) = self.data.split_at(n);
        self.data = rest;
        let last = rest.is_empty();
        self.done = last;
        let pid = if last { crate::PacketId::EndData } else { crate::PacketId::Data };
        let mut buf = [0u8; crate::MAX_PAYLOAD];
        buf[..n].copy_from_slice(chunk);
        Some(Packet::from_buf(self.address, pid, buf, n))
    }
}
