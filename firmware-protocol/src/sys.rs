//! The 16-byte system parameter block returned by ReadSysPara (big-endian words).

/// Length of the encoded block.
pub const SYS_PARAMS_LEN: usize = 16;

/// System parameters of a module. Plain data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SysParams {
    /// Status register: bit0 busy, bit1 finger matched, bit2 password verified, bit3 valid image.
    pub status: u16,
    /// System identifier (0 on known modules).
    pub system_id: u16,
    /// Template library capacity (number of pages).
    pub capacity: u16,
    /// Security level 1–5.
    pub security_level: u16,
    /// Module address.
    pub address: u32,
    /// Packet size code 0–3 → 32/64/128/256 bytes.
    pub packet_size_code: u16,
    /// Baud multiplier N: baud = 9600·N.
    pub baud_n: u16,
}

impl SysParams {
    /// Decodes the block; `None` when `b` is shorter than 16 bytes.
    pub fn decode(b: &[u8]) -> Option<Self> {
        if b.len() < SYS_PARAMS_LEN {
            return None;
        }
        let w = |i: usize| u16::from_be_bytes([b[i], b[i + 1]]);
        Some(SysParams {
            status: w(0),
            system_id: w(2),
            capacity: w(4),
            security_level: w(6),
            address: u32::from_be_bytes([b[8], b[9], b[10], b[11]]),
            packet_size_code: w(12),
            baud_n: w(14),
        })
    }
    /// Encodes the block.
    pub fn encode(&self) -> [u8; SYS_PARAMS_LEN] {
        let mut o = [0u8; SYS_PARAMS_LEN];
        o[0..2].copy_from_slice(&self.status.to_be_bytes());
        o[2..4].copy_from_slice(&self.system_id.to_be_bytes());
        o[4..6].copy_from_slice(&self.capacity.to_be_bytes());
        o[6..8].copy_from_slice(&self.security_level.to_be_bytes());
        o[8..12].copy_from_slice(&self.address.to_be_bytes());
        o[12..14].copy_from_slice(&self.packet_size_code.to_be_bytes());
        o[14..16].copy_from_slice(&self.baud_n.to_be_bytes());
        o
    }
    /// Data packet size in bytes (32/64/128/256), `None` for an invalid code.
    pub fn packet_size(&self) -> Option<usize> {
        match self.packet_size_code {
            0..=3 => Some(32usize << self.packet_size_code),
            _ => None,
        }
    }
    /// Baud rate in bit/s.
    pub fn baud(&self) -> u32 {
        9600 * u32::from(self.baud_n)
    }
}
