//! One command/answer exchange as a state machine without I/O: [`Exchange::request`] gives the
//! bytes to send, [`Exchange::feed`] takes received bytes in any chunking and ends with a
//! [`Reply`] (ACK, plus the data phase for UpImage/UpChar/ReadInfPage) or a [`ProtocolError`].
//! The driver adds the I/O and the timeouts; tests drive it with byte vectors.

use firmware_protocol::{Command, Confirmation, DecodeError, Decoder, PacketId};

/// A protocol violation by the module (or line noise): the exchange is lost.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProtocolError {
    /// A packet failed framing (bad checksum, packet id or length).
    #[error("corrupted packet: {0}")]
    Framing(DecodeErrorDisplay),
    /// A packet came from another module address.
    #[error("packet from address {got:08X}, expected {expected:08X}; check the module address setting")]
    WrongAddress {
        /// Our module address.
        expected: u32,
        /// Address in the packet.
        got: u32,
    },
    /// A packet of the wrong kind for this point of the exchange.
    #[error("unexpected {got:?} packet while waiting for {expected}")]
    UnexpectedPacket {
        /// What was awaited.
        expected: &'static str,
        /// What came.
        got: PacketId,
    },
    /// The ACK carries a confirmation code the protocol does not define.
    #[error("unknown confirmation code 0x{0:02X}")]
    UnknownConfirmation(u8),
    /// The ACK is empty (no confirmation code).
    #[error("acknowledge packet without a confirmation code")]
    EmptyAck,
    /// A successful ACK has the wrong number of result bytes for its command.
    #[error("{command:?} answered {got} result bytes, expected {expected}")]
    BadReplyLength {
        /// The command.
        command: firmware_protocol::Instruction,
        /// Expected result bytes.
        expected: usize,
        /// Received result bytes.
        got: usize,
    },
    /// The data phase exceeded the size the command can produce.
    #[error("data phase exceeded {limit} bytes; wrong packet size or a runaway module")]
    DataOverflow {
        /// The limit.
        limit: usize,
    },
}

/// [`DecodeError`] with a `Display` for error messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DecodeErrorDisplay(pub DecodeError);

impl std::fmt::Display for DecodeErrorDisplay {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Display::fmt(&self.0, f)
    }
}

/// The module's complete answer. Plain data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    /// Confirmation code of the ACK.
    pub confirmation: Confirmation,
    /// Result bytes after the confirmation code.
    pub results: Vec<u8>,
    /// Concatenated data packets (only for commands with a module data phase and cc 00).
    pub data: Vec<u8>,
    /// Bytes that arrived after the answer in the same read (e.g. the ready byte after SoftRst).
    pub trailing: Vec<u8>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    Ack,
    Data,
    Done,
}

/// State of one exchange. Cost: fixed decoder (≈ 300 bytes) + the data received.
#[derive(Debug, Clone)]
pub struct Exchange {
    command: Command,
    address: u32,
    decoder: Decoder,
    phase: Phase,
    reply: Option<Reply>,
    data_limit: usize,
    received: usize,
}

impl Exchange {
    /// A new exchange of `command` with the module at `address`; the data phase (if any) may
    /// carry at most `data_limit` bytes.
    pub fn new(address: u32, command: Command, data_limit: usize) -> Self {
        Exchange { command, address, decoder: Decoder::new(), phase: Phase::Ack, reply: None, data_limit, received: 0 }
    }

    /// The command of this exchange.
    pub fn command(&self) -> Command {
        self.command
    }

    /// Wire bytes of the request.
    pub fn request(&self) -> Vec<u8> {
        let (buf, n) = self.command.to_packet(self.address).to_wire();
        buf[..n].to_vec()
    }

    /// Bytes received so far (for short-read reports).
    pub fn received(&self) -> usize {
        self.received
    }

    /// Whether the decoder holds part of a packet (a timeout now is a short read).
    pub fn mid_packet(&self) -> bool {
        !self.decoder.is_idle()
    }

    /// Feeds received bytes. `Ok(Some(reply))` when the exchange is complete (bytes after that
    /// are ignored), `Ok(None)` while more are needed, `Err` on the first protocol violation.
    pub fn feed(&mut self, bytes: &[u8]) -> Result<Option<Reply>, ProtocolError> {
        for (i, &b) in bytes.iter().enumerate() {
            if self.phase == Phase::Done {
                if let Some(r) = self.reply.as_mut() {
                    r.trailing.extend_from_slice(&bytes[i..]);
                }
                break;
            }
            self.received += 1;
            let packet = match self.decoder.push(b) {
                None => continue,
                Some(Err(e)) => return Err(ProtocolError::Framing(DecodeErrorDisplay(e))),
                Some(Ok(p)) => p,
            };
            if packet.address != self.address {
                return Err(ProtocolError::WrongAddress { expected: self.address, got: packet.address });
            }
            match self.phase {
                Phase::Ack => {
                    if packet.pid != PacketId::Ack {
                        return Err(ProtocolError::UnexpectedPacket { expected: "an acknowledge", got: packet.pid });
                    }
                    let (&cc, results) = packet.payload().split_first().ok_or(ProtocolError::EmptyAck)?;
                    let confirmation = Confirmation::from_byte(cc).ok_or(ProtocolError::UnknownConfirmation(cc))?;
                    if confirmation == Confirmation::Ok {
                        if let Some(expected) = self.command.reply_len() {
                            if results.len() != expected {
                                return Err(ProtocolError::BadReplyLength {
                                    command: self.command.instruction(),
                                    expected,
                                    got: results.len(),
                                });
                            }
                        }
                    }
                    let more = confirmation == Confirmation::Ok && self.command.module_sends_data();
                    self.reply =
                        Some(Reply { confirmation, results: results.to_vec(), data: Vec::new(), trailing: Vec::new() });
                    self.phase = if more { Phase::Data } else { Phase::Done };
                }
                Phase::Data => {
                    if !matches!(packet.pid, PacketId::Data | PacketId::EndData) {
                        return Err(ProtocolError::UnexpectedPacket { expected: "a data packet", got: packet.pid });
                    }
                    let reply = self.reply.as_mut().ok_or(ProtocolError::EmptyAck)?;
                    if reply.data.len() + packet.payload().len() > self.data_limit {
                        return Err(ProtocolError::DataOverflow { limit: self.data_limit });
                    }
                    reply.data.extend_from_slice(packet.payload());
                    if packet.pid == PacketId::EndData {
                        self.phase = Phase::Done;
                    }
                }
                Phase::Done => {}
            }
        }
        Ok(if self.phase == Phase::Done { self.reply.take() } else { None })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use firmware_protocol::{DEFAULT_ADDRESS, Packet, data_packets};

    fn wire(p: &Packet) -> Vec<u8> {
        let (b, n) = p.to_wire();
        b[..n].to_vec()
    }

    #[test]
    fn ack_in_any_chunking() {
        let ack = wire(&Packet::ack(DEFAULT_ADDRESS, Confirmation::Ok, &[0x00, 0x05]).unwrap());
        for cut in 0..ack.len() {
            let mut x = Exchange::new(DEFAULT_ADDRESS, Command::TempleteNum, 0);
            assert_eq!(x.feed(&ack[..cut]).unwrap(), None);
            let r = x.feed(&ack[cut..]).unwrap().unwrap();
            assert_eq!((r.confirmation, r.results), (Confirmation::Ok, vec![0, 5]));
        }
    }

    #[test]
    fn image_data_phase_collects_all_packets() {
        let data: Vec<u8> = (0..36_864u32).map(|i| (i % 251) as u8).collect();
        let mut bytes = wire(&Packet::ack(DEFAULT_ADDRESS, Confirmation::Ok, &[]).unwrap());
        for p in data_packets(DEFAULT_ADDRESS, &data, 128) {
            bytes.extend(wire(&p));
        }
        let mut x = Exchange::new(DEFAULT_ADDRESS, Command::UpImage, 36_864);
        let mut out = None;
        for chunk in bytes.chunks(97) {
            if let Some(r) = x.feed(chunk).unwrap() {
                out = Some(r);
            }
        }
        assert_eq!(out.unwrap().data, data);
        // Refused upload: no data phase.
        let mut x = Exchange::new(DEFAULT_ADDRESS, Command::UpImage, 36_864);
        let nak = wire(&Packet::ack(DEFAULT_ADDRESS, Confirmation::UploadImageFailed, &[]).unwrap());
        assert_eq!(x.feed(&nak).unwrap().unwrap().confirmation, Confirmation::UploadImageFailed);
    }

    #[test]
    fn violations_are_typed() {
        let mut bad = wire(&Packet::ack(DEFAULT_ADDRESS, Confirmation::Ok, &[]).unwrap());
        let last = bad.len() - 1;
        bad[last] ^= 1;
        let e = Exchange::new(DEFAULT_ADDRESS, Command::GenImg, 0).feed(&bad).unwrap_err();
        assert!(matches!(e, ProtocolError::Framing(DecodeErrorDisplay(DecodeError::BadChecksum(..)))));
        let other = wire(&Packet::ack(0x1234_5678, Confirmation::Ok, &[]).unwrap());
        let e = Exchange::new(DEFAULT_ADDRESS, Command::GenImg, 0).feed(&other).unwrap_err();
        assert_eq!(e, ProtocolError::WrongAddress { expected: DEFAULT_ADDRESS, got: 0x1234_5678 });
        let data = wire(&Packet::new(DEFAULT_ADDRESS, PacketId::Data, &[1]).unwrap());
        let e = Exchange::new(DEFAULT_ADDRESS, Command::GenImg, 0).feed(&data).unwrap_err();
        assert!(matches!(e, ProtocolError::UnexpectedPacket { .. }));
        let unknown = wire(&Packet::new(DEFAULT_ADDRESS, PacketId::Ack, &[0x04]).unwrap());
        let e = Exchange::new(DEFAULT_ADDRESS, Command::GenImg, 0).feed(&unknown).unwrap_err();
        assert_eq!(e, ProtocolError::UnknownConfirmation(4));
        let short = wire(&Packet::ack(DEFAULT_ADDRESS, Confirmation::Ok, &[1]).unwrap());
        let e = Exchange::new(DEFAULT_ADDRESS, Command::TempleteNum, 0).feed(&short).unwrap_err();
        assert!(matches!(e, ProtocolError::BadReplyLength { expected: 2, got: 1, .. }));
        let mut x = Exchange::new(DEFAULT_ADDRESS, Command::UpChar { buffer: 1 }, 4);
        let mut bytes = wire(&Packet::ack(DEFAULT_ADDRESS, Confirmation::Ok, &[]).unwrap());
        bytes.extend(wire(&Packet::new(DEFAULT_ADDRESS, PacketId::Data, &[0; 8]).unwrap()));
        assert_eq!(x.feed(&bytes).unwrap_err(), ProtocolError::DataOverflow { limit: 4 });
    }

    #[test]
    fn partial_packet_is_visible_for_short_read_reports() {
        let ack = wire(&Packet::ack(DEFAULT_ADDRESS, Confirmation::Ok, &[]).unwrap());
        let mut x = Exchange::new(DEFAULT_ADDRESS, Command::GenImg, 0);
        x.feed(&ack[..5]).unwrap();
        assert!(x.mid_packet());
        assert_eq!(x.received(), 5);
    }
}
