extern crate std;
use super::*;
use proptest::prelude::*;
use std::vec::Vec;

fn decode_all(bytes: &[u8]) -> Vec<Result<Packet, DecodeError>> {
    let mut d = Decoder::new();
    bytes.iter().filter_map(|&b| d.push(b)).collect()
}

#[test]
fn spec_worked_examples_encode() {
    let cases: [(Instruction, [u8; 12]); 3] = [
        (Instruction::TempleteNum, [0xEF, 0x01, 0xFF, 0xFF, 0xFF, 0xFF, 0x01, 0x00, 0x03, 0x1D, 0x00, 0x21]),
        (Instruction::GenImg, [0xEF, 0x01, 0xFF, 0xFF, 0xFF, 0xFF, 0x01, 0x00, 0x03, 0x01, 0x00, 0x05]),
        (Instruction::UpImage, [0xEF, 0x01, 0xFF, 0xFF, 0xFF, 0xFF, 0x01, 0x00, 0x03, 0x0A, 0x00, 0x0E]),
    ];
    for (ins, wire) in cases {
        let p = Packet::command(DEFAULT_ADDRESS, ins, &[]).unwrap();
        let (buf, n) = p.to_wire();
        assert_eq!(&buf[..n], &wire[..], "{ins:?}");
        let got = decode_all(&wire);
        assert_eq!(got, std::vec![Ok(p)]);
    }
}

#[test]
fn corrupted_checksum_is_reported() {
    let wire = [0xEF, 0x01, 0xFF, 0xFF, 0xFF, 0xFF, 0x01, 0x00, 0x03, 0x1D, 0x00, 0x22];
    assert_eq!(decode_all(&wire), std::vec![Err(DecodeError::BadChecksum(0x21, 0x22))]);
}

#[test]
fn bad_length_and_pid_resync() {
    let mut wire = std::vec![0x00, 0xEF, 0xEF, 0x01, 1, 2, 3, 4, 0x09, 0, 3];
    wire.extend_from_slice(&[0xEF, 0x01, 0xFF, 0xFF, 0xFF, 0xFF, 0x07, 0x01, 0x03]);
    let ok = Packet::ack(7, Confirmation::NoFinger, &[]).unwrap();
    let (b, n) = ok.to_wire();
    wire.extend_from_slice(&b[..n]);
    let got = decode_all(&wire);
    assert_eq!(got, std::vec![Err(DecodeError::BadPacketId(9)), Err(DecodeError::BadLength(0x103)), Ok(ok)]);
}

#[test]
fn codes_round_trip_and_reject_unknown() {
    for b in 0..=255u8 {
        if let Some(i) = Instruction::from_byte(b) {
            assert_eq!(i.to_byte(), b);
        }
        if let Some(c) = Confirmation::from_byte(b) {
            assert_eq!(c.to_byte(), b);
        }
    }
    assert_eq!(Instruction::from_byte(0x99), None);
    assert_eq!(Confirmation::from_byte(0x04), None);
}

#[test]
fn sys_params_round_trip() {
    let s = SysParams {
        status: 4,
        system_id: 0,
        capacity: 162,
        security_level: 3,
        address: DEFAULT_ADDRESS,
        packet_size_code: 2,
        baud_n: 6,
    };
    assert_eq!(SysParams::decode(&s.encode()), Some(s));
    assert_eq!(s.packet_size(), Some(128));
    assert_eq!(s.baud(), 57600);
    assert_eq!(SysParams::decode(&[0; 15]), None);
}

#[test]
fn image_packing_known_values() {
    let px = [0x00, 0xFF, 0x80, 0x1F];
    let mut packed = [0u8; 2];
    pack_4bit(&px, &mut packed).unwrap();
    assert_eq!(packed, [0x0F, 0x81]);
    let mut out = [0u8; 4];
    unpack_4bit(&packed, &mut out).unwrap();
    assert_eq!(out, [0, 255, 136, 17]);
    assert!(pack_4bit(&px, &mut [0u8; 3]).is_err());
    assert_eq!(IMAGE_PACKED_BYTES, 36_864);
}

#[test]
fn oversized_payload_is_refused() {
    assert_eq!(Packet::new(0, PacketId::Data, &[0; 257]), Err(EncodeError::PayloadTooLong(257)));
}

proptest! {
    #[test]
    fn round_trip_in_any_chunking(addr: u32, pid_i in 0usize..4, payload in proptest::collection::vec(any::<u8>(), 0..=256), cut in 0usize..300) {
        let pid = [PacketId::Command, PacketId::Data, PacketId::Ack, PacketId::EndData][pid_i];
        let p = Packet::new(addr, pid, &payload).unwrap();
        let (buf, n) = p.to_wire();
        let cut = cut.min(n);
        let mut d = Decoder::new();
        let mut got = Vec::new();
        for chunk in [&buf[..cut], &buf[cut..n]] {
            for &b in chunk { if let Some(r) = d.push(b) { got.push(r); } }
        }
        prop_assert_eq!(got, std::vec![Ok(p)]);
        prop_assert!(d.is_idle());
    }

    #[test]
    fn decoder_never_panics_on_arbitrary_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..4096)) {
        // Fixed-size decoder: memory is bounded by construction (no allocation in the crate).
        let mut d = Decoder::new();
        for &b in &bytes { let _ = d.push(b); }
        prop_assert!(core::mem::size_of::<Decoder>() < 300);
    }

    #[test]
    fn pack_unpack_keeps_high_nibble(px in proptest::collection::vec(any::<u8>(), 0..512)) {
        let px = &px[..px.len() / 2 * 2];
        let mut packed = std::vec![0u8; px.len() / 2];
        pack_4bit(px, &mut packed).unwrap();
        let mut out = std::vec![0u8; px.len()];
        unpack_4bit(&packed, &mut out).unwrap();
        for (a, b) in px.iter().zip(&out) { prop_assert_eq!(a >> 4, b >> 4); }
    }
}

fn wire(p: &Packet) -> Vec<u8> {
    let (b, n) = p.to_wire();
    b[..n].to_vec()
}

#[test]
fn typed_commands_match_spec_bytes() {
    // VfyPwd(0): sum = 01 + 00 + 07 + 13 = 0x1B.
    assert_eq!(
        wire(&Command::VfyPwd(0).to_packet(DEFAULT_ADDRESS)),
        [0xEF, 0x01, 0xFF, 0xFF, 0xFF, 0xFF, 0x01, 0x00, 0x07, 0x13, 0, 0, 0, 0, 0x00, 0x1B]
    );
    // Search(buffer 1, start 0, 162 pages): LENGTH 8, sum = 1 + 8 + 4 + 1 + 0xA2 = 0xB0.
    assert_eq!(
        wire(&Command::Search { buffer: 1, start: 0, count: 162 }.to_packet(DEFAULT_ADDRESS)),
        [0xEF, 0x01, 0xFF, 0xFF, 0xFF, 0xFF, 0x01, 0x00, 0x08, 0x04, 0x01, 0x00, 0x00, 0x00, 0xA2, 0x00, 0xB0]
    );
    // R50x handshake, soft reset, GetImageEx and Aura LED (breathing, speed 0x80, blue, 3 cycles):
    // sum = 01 + 00 + 07 + 35 + 01 + 80 + 02 + 03 = 0xC3.
    assert_eq!(&wire(&Command::HandShake.to_packet(DEFAULT_ADDRESS))[9..], [0x40, 0x00, 0x44]);
    assert_eq!(&wire(&Command::SoftRst.to_packet(DEFAULT_ADDRESS))[9..], [0x3D, 0x00, 0x41]);
    assert_eq!(&wire(&Command::GetImageEx.to_packet(DEFAULT_ADDRESS))[9..], [0x28, 0x00, 0x2C]);
    let led = Command::AuraLedConfig { mode: LedMode::Breathing, speed: 0x80, colour: LedColour::Blue, cycles: 3 };
    assert_eq!(&wire(&led.to_packet(DEFAULT_ADDRESS))[7..], [0x00, 0x07, 0x35, 0x01, 0x80, 0x02, 0x03, 0x00, 0xC3]);
    assert_eq!(READY_BYTE, 0x55);
}

#[test]
fn plain_ack_is_twelve_bytes_and_reply_lengths_match_spec() {
    let ack = Packet::ack(DEFAULT_ADDRESS, Confirmation::NoFinger, &[]).unwrap();
    assert_eq!(wire(&ack), [0xEF, 0x01, 0xFF, 0xFF, 0xFF, 0xFF, 0x07, 0x00, 0x03, 0x02, 0x00, 0x0C]);
    assert_eq!(ack.confirmation(), Some(Confirmation::NoFinger));
    // ReadSysPara reply: LENGTH 0x0013, 28-byte packet.
    let sys = Packet::ack(DEFAULT_ADDRESS, Confirmation::Ok, &[0; SYS_PARAMS_LEN]).unwrap();
    assert_eq!(wire(&sys).len(), 28);
    assert_eq!(&wire(&sys)[7..9], [0x00, 0x13]);
    // Search reply: LENGTH 0x0007.
    let n = Command::Search { buffer: 1, start: 0, count: 1 }.reply_len().unwrap();
    assert_eq!(n + 1 + 2, 7);
    assert_eq!(Confirmation::WrongPassword.meaning(), "wrong password");
    assert_eq!(std::format!("{}", Confirmation::NoFinger), "0x02 no finger on the sensor");
}

#[test]
fn image_splits_into_288_packets_of_128_bytes() {
    let data = std::vec![0x5Au8; IMAGE_PACKED_BYTES];
    let packets: Vec<Packet> = data_packets(DEFAULT_ADDRESS, &data, 128).collect();
    assert_eq!(packets.len(), 288);
    assert!(packets[..287].iter().all(|p| p.pid == PacketId::Data && p.payload().len() == 128));
    assert_eq!(packets[287].pid, PacketId::EndData);
    assert_eq!(packets.iter().map(|p| p.wire_len()).sum::<usize>(), 288 * 139);
    let empty: Vec<Packet> = data_packets(1, &[], 32).collect();
    assert_eq!(empty.len(), 1);
    assert_eq!(empty[0].pid, PacketId::EndData);
}

#[test]
fn command_parse_rejects_bad_input() {
    assert_eq!(Command::parse(&[]), Err(CommandError::Empty));
    assert_eq!(Command::parse(&[0x99]), Err(CommandError::UnknownInstruction(0x99)));
    assert_eq!(Command::parse(&[0x02]), Err(CommandError::BadLength(0x02, 1, 0)));
    assert_eq!(Command::parse(&[0x35, 9, 0, 1, 0]), Err(CommandError::BadParameter(0x35)));
}

proptest! {
    #[test]
    fn command_parse_never_panics_and_reencodes_exactly(payload in proptest::collection::vec(any::<u8>(), 0..40)) {
        if let Ok(c) = Command::parse(&payload) {
            let p = c.to_packet(DEFAULT_ADDRESS);
            prop_assert_eq!(p.payload(), &payload[..]);
            prop_assert_eq!(p.pid, PacketId::Command);
        }
    }

    #[test]
    fn data_packets_reassemble(data in proptest::collection::vec(any::<u8>(), 0..2000), size in 1usize..300) {
        let mut out = Vec::new();
        let mut n = 0;
        let total = data_packets(3, &data, size).count();
        for (i, p) in data_packets(3, &data, size).enumerate() {
            prop_assert_eq!(p.pid == PacketId::EndData, i + 1 == total);
            out.extend_from_slice(p.payload());
            n += 1;
        }
        prop_assert_eq!(out, data);
        prop_assert!(n >= 1);
    }

    #[test]
    fn decoder_recovers_after_garbage(garbage in proptest::collection::vec(any::<u8>(), 0..600), cc in 0u8..0x30) {
        // Arbitrary garbage, then a few idle bytes (a real line gap), then a valid packet: the
        // packet must come out once whatever half-packet the garbage left in the decoder.
        let ok = Packet::new(DEFAULT_ADDRESS, PacketId::Ack, &[cc]).unwrap();
        let mut d = Decoder::new();
        for &b in &garbage { let _ = d.push(b); }
        d.reset();
        let mut got = Vec::new();
        for b in wire(&ok) { if let Some(r) = d.push(b) { got.push(r); } }
        prop_assert_eq!(got, std::vec![Ok(ok)]);
    }
}
