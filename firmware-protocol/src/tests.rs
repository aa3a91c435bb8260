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
