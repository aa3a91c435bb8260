//! Packet framing: `EF01 | address (4) | pid (1) | length (2) | payload | sum (2)`, big-endian.

/// The two start bytes of every packet.
pub const HEADER: [u8; 2] = [0xEF, 0x01];
/// Factory default module address.
pub const DEFAULT_ADDRESS: u32 = 0xFFFF_FFFF;
/// Largest payload this codec accepts (the 256-byte data packet size of the protocol).
pub const MAX_PAYLOAD: usize = 256;
/// Bytes before the payload: start (2) + address (4) + pid (1) + length (2).
const PREFIX_LEN: usize = 9;
/// Bytes of the trailing checksum.
const SUM_LEN: usize = 2;

/// Packet identifier byte (offset 6).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PacketId {
    /// 0x01: host → module command.
    Command,
    /// 0x02: data packet, more follow.
    Data,
    /// 0x07: module → host acknowledge (first payload byte is a confirmation code).
    Ack,
    /// 0x08: last data packet.
    EndData,
}

impl PacketId {
    /// Wire byte of this id.
    pub const fn to_byte(self) -> u8 {
        match self {
            PacketId::Command => 0x01,
            PacketId::Data => 0x02,
            PacketId::Ack => 0x07,
            PacketId::EndData => 0x08,
        }
    }
    /// Parses a wire byte; `None` for unknown ids.
    pub const fn from_byte(b: u8) -> Option<Self> {
        match b {
            0x01 => Some(PacketId::Command),
            0x02 => Some(PacketId::Data),
            0x07 => Some(PacketId::Ack),
            0x08 => Some(PacketId::EndData),
            _ => None,
        }
    }
}

/// Checksum of a packet: `(pid + len_hi + len_lo + Σ payload) mod 65536`, where `len = payload + 2`.
/// Cost: O(payload).
pub fn checksum(pid: PacketId, payload: &[u8]) -> u16 {
    let len = (payload.len() + SUM_LEN) as u16;
    let mut sum = u16::from(pid.to_byte()).wrapping_add(len >> 8).wrapping_add(len & 0xFF);
    for &b in payload {
        sum = sum.wrapping_add(u16::from(b));
    }
    sum
}

/// Why a packet could not be built.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EncodeError {
    /// The payload is longer than [`MAX_PAYLOAD`] bytes (value: the attempted length).
    PayloadTooLong(usize),
    /// The output buffer is too small (value: the bytes needed).
    BufferTooSmall(usize),
}

impl core::fmt::Display for EncodeError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            EncodeError::PayloadTooLong(n) => {
                write!(f, "payload of {n} bytes exceeds the {MAX_PAYLOAD}-byte packet limit; split it")
            }
            EncodeError::BufferTooSmall(n) => write!(f, "output buffer too small: {n} bytes needed"),
        }
    }
}

/// One decoded or to-be-encoded packet; payload held inline (no allocation, 265 bytes).
#[derive(Clone, PartialEq, Eq)]
pub struct Packet {
    /// Module address the packet is sent to / comes from.
    pub address: u32,
    /// Packet kind.
    pub pid: PacketId,
    len: u16,
    buf: [u8; MAX_PAYLOAD],
}

impl core::fmt::Debug for Packet {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Packet")
            .field("address", &self.address)
            .field("pid", &self.pid)
            .field("payload", &self.payload())
            .finish()
    }
}

impl Packet {
    /// Builds a packet; fails when `payload` exceeds [`MAX_PAYLOAD`].
    pub fn new(address: u32, pid: PacketId, payload: &[u8]) -> Result<Self, EncodeError> {
        if payload.len() > MAX_PAYLOAD {
            return Err(EncodeError::PayloadTooLong(payload.len()));
        }
        let mut buf = [0u8; MAX_PAYLOAD];
        buf[..payload.len()].copy_from_slice(payload);
        Ok(Packet { address, pid, len: payload.len() as u16, buf })
    }

    /// Wraps a payload buffer whose first `len` (≤ [`MAX_PAYLOAD`], clamped) bytes are used.
    pub(crate) fn from_buf(address: u32, pid: PacketId, buf: [u8; MAX_PAYLOAD], len: usize) -> Self {
        Packet { address, pid, len: len.min(MAX_PAYLOAD) as u16, buf }
    }

    /// The confirmation code of an acknowledge packet (`None` for other packets, an empty
    /// payload or an unknown code).
    pub fn confirmation(&self) -> Option<crate::Confirmation> {
        match (self.pid, self.payload().first()) {
            (PacketId::Ack, Some(&b)) => crate::Confirmation::from_byte(b),
            _ => None,
        }
    }

    /// Command packet: instruction code followed by its parameters.
    pub fn command(address: u32, code: crate::Instruction, params: &[u8]) -> Result<Self, EncodeError> {
        if params.len() + 1 > MAX_PAYLOAD {
            return Err(EncodeError::PayloadTooLong(params.len() + 1));
        }
        let mut buf = [0u8; MAX_PAYLOAD];
        buf[0] = code.to_byte();
        buf[1..=params.len()].copy_from_slice(params);
        Ok(Packet { address, pid: PacketId::Command, len: (params.len() + 1) as u16, buf })
    }

    /// Acknowledge packet: confirmation code followed by results.
    pub fn ack(address: u32, cc: crate::Confirmation, results: &[u8]) -> Result<Self, EncodeError> {
        if results.len() + 1 > MAX_PAYLOAD {
            return Err(EncodeError::PayloadTooLong(results.len() + 1));
        }
        let mut buf = [0u8; MAX_PAYLOAD];
        buf[0] = cc.to_byte();
        buf[1..=results.len()].copy_from_slice(results);
        Ok(Packet { address, pid: PacketId::Ack, len: (results.len() + 1) as u16, buf })
    }

    /// The payload bytes (instruction/confirmation code + parameters, or raw data).
    pub fn payload(&self) -> &[u8] {
        &self.buf[..usize::from(self.len)]
    }

    /// Bytes this packet occupies on the wire (payload + 11).
    pub fn wire_len(&self) -> usize {
        PREFIX_LEN + usize::from(self.len) + SUM_LEN
    }

    /// Serialises into `out`, returning the number of bytes written. Cost: O(payload).
    pub fn encode(&self, out: &mut [u8]) -> Result<usize, EncodeError> {
        let n = self.wire_len();
        if out.len() < n {
            return Err(EncodeError::BufferTooSmall(n));
        }
        out[..2].copy_from_slice(&HEADER);
        out[2..6].copy_from_slice(&self.address.to_be_bytes());
        out[6] = self.pid.to_byte();
        out[7..9].copy_from_slice(&(self.len + SUM_LEN as u16).to_be_bytes());
        out[PREFIX_LEN..PREFIX_LEN + usize::from(self.len)].copy_from_slice(self.payload());
        out[n - 2..n].copy_from_slice(&checksum(self.pid, self.payload()).to_be_bytes());
        Ok(n)
    }

    /// Serialises into a fixed array (`MAX_PAYLOAD + 11` bytes) and returns it with the used length.
    pub fn to_wire(&self) -> ([u8; MAX_PAYLOAD + PREFIX_LEN + SUM_LEN], usize) {
        let mut out = [0u8; MAX_PAYLOAD + PREFIX_LEN + SUM_LEN];
        // The array is always large enough, so encode cannot fail.
        let n = self.encode(&mut out).unwrap_or(0);
        (out, n)
    }
}

/// A framing error reported by the [`Decoder`]; the decoder has already resynchronised.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DecodeError {
    /// Unknown packet-id byte.
    BadPacketId(u8),
    /// LENGTH field below 2 or above `MAX_PAYLOAD + 2`.
    BadLength(u16),
    /// Checksum mismatch: (expected, received).
    BadChecksum(u16, u16),
}

impl core::fmt::Display for DecodeError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            DecodeError::BadPacketId(b) => write!(f, "unknown packet id 0x{b:02X}; line noise or wrong protocol"),
            DecodeError::BadLength(l) => write!(f, "packet length field {l} out of range 2..=258"),
            DecodeError::BadChecksum(e, g) => {
                write!(f, "checksum mismatch (computed 0x{e:04X}, received 0x{g:04X}); check baud rate and wiring")
            }
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Start0,
    Start1,
    Fixed,
    Body,
}

/// Incremental packet decoder: a state machine fed one byte at a time, fixed memory (≈ 280 bytes).
///
/// Bytes before a valid `EF 01` start are skipped. Not thread-safe to share, but `Send`.
#[derive(Clone)]
pub struct Decoder {
    state: State,
    fixed: [u8; 7],
    fixed_len: usize,
    body: [u8; MAX_PAYLOAD + SUM_LEN],
    body_len: usize,
    body_need: usize,
}

impl core::fmt::Debug for Decoder {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Decoder").field("state", &self.state).field("body_len", &self.body_len).finish()
    }
}

impl Default for Decoder {
    fn default() -> Self {
        Self::new()
    }
}

impl Decoder {
    /// A decoder waiting for a start sequence.
    pub const fn new() -> Self {
        Decoder {
            state: State::Start0,
            fixed: [0; 7],
            fixed_len: 0,
            body: [0; MAX_PAYLOAD + SUM_LEN],
            body_len: 0,
            body_need: 0,
        }
    }

    /// Forgets any partial packet.
    pub fn reset(&mut self) {
        *self = Self::new();
    }

    /// True when no partial packet is buffered.
    pub fn is_idle(&self) -> bool {
        self.state == State::Start0
    }

    /// Feeds one byte. Returns `Some(Ok(packet))` when a packet completes, `Some(Err(_))` on a framing
    /// error (the decoder resets itself), `None` while more bytes are needed. Cost: O(1), except
    /// O(payload) on completion.
    pub fn push(&mut self, byte: u8) -> Option<Result<Packet, DecodeError>> {
        match self.state {
            State::Start0 => {
                if byte == HEADER[0] {
                    self.state = State::Start1;
                }
                None
            }
            State::Start1 => {
                self.state = match byte {
                    b if b == HEADER[1] => {
                        self.fixed_len = 0;
                        State::Fixed
                    }
                    b if b == HEADER[0] => State::Start1,
                    _ => State::Start0,
                };
                None
            }
            State::Fixed => {
                self.fixed[self.fixed_len] = byte;
                self.fixed_len += 1;
                if self.fixed_len < self.fixed.len() {
                    return None;
                }
                let pid_byte = self.fixed[4];
                if PacketId::from_byte(pid_byte).is_none() {
                    self.reset();
                    return Some(Err(DecodeError::BadPacketId(pid_byte)));
                }
                let len = u16::from_be_bytes([self.fixed[5], self.fixed[6]]);
                if usize::from(len) < SUM_LEN || usize::from(len) > MAX_PAYLOAD + SUM_LEN {
                    self.reset();
                    return Some(Err(DecodeError::BadLength(len)));
                }
                self.body_need = usize::from(len);
                self.body_len = 0;
                self.state = State::Body;
                None
            }
            State::Body => {
                self.body[self.body_len] = byte;
                self.body_len += 1;
                if self.body_len < self.body_need {
                    return None;
                }
                Some(self.finish())
            }
        }
    }

    fn finish(&mut self) -> Result<Packet, DecodeError> {
        let address = u32::from_be_bytes([self.fixed[0], self.fixed[1], self.fixed[2], self.fixed[3]]);
        let pid_byte = self.fixed[4];
        let n = self.body_need - SUM_LEN;
        let got = u16::from_be_bytes([self.body[n], self.body[n + 1]]);
        let result = match PacketId::from_byte(pid_byte) {
            None => Err(DecodeError::BadPacketId(pid_byte)),
            Some(pid) => {
                let want = checksum(pid, &self.body[..n]);
                if want == got {
                    Packet::new(address, pid, &self.body[..n]).map_err(|_| DecodeError::BadLength(n as u16))
                } else {
                    Err(DecodeError::BadChecksum(want, got))
                }
            }
        };
        self.reset();
        result
    }
}
