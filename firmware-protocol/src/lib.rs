//! `no_std` codec for the "EF01" packet protocol spoken by ZFM-20, R305, R307, AS608 and R50x
//! UART fingerprint modules. See `PROTOCOL.md` next to this crate for the wire format.
//!
//! The crate does no I/O and never allocates: packets are held in fixed 265-byte buffers, the
//! incremental [`Decoder`] accepts bytes in any chunking and holds at most one packet. It is usable
//! by host drivers and by device firmware alike. All types are plain data (`Send + Sync`).
#![no_std]

mod codes;
mod command;
mod image;
mod packet;
mod sys;

pub use codes::{Confirmation, Instruction};
pub use command::{
    Command, CommandError, DataPackets, INDEX_PAGE_LEN, LedColour, LedMode, MAX_RAW_PARAMS, NOTEPAD_PAGE_LEN,
    NOTEPAD_PAGES, READY_BYTE, Register, data_packets,
};
pub use image::{IMAGE_HEIGHT, IMAGE_PACKED_BYTES, IMAGE_WIDTH, PackError, pack_4bit, unpack_4bit};
pub use packet::{DEFAULT_ADDRESS, DecodeError, Decoder, EncodeError, HEADER, MAX_PAYLOAD, Packet, PacketId, checksum};
pub use sys::{SYS_PARAMS_LEN, SysParams};

#[cfg(test)]
mod tests;
