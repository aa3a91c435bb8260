//! AuthenTec AES3500 (08ff:5731): 128 × 128 capacitive press sensor. Register writes are bulk
//! OUT transfers of (register, value) pairs; after the init sequence one bulk IN of 8 329 bytes
//! completes when a finger is on the sensor: 8 frames of 1 header byte + 128 columns × 16 rows
//! of 4-bit pixels (two vertically adjacent pixels per byte, low nibble first).
//! Standardisation (as the reference driver): bilinear ×2 up-scale to 256 × 256, rotate 180°,
//! invert.

use super::imageops::{flip_horizontal, flip_vertical, invert, resize_bilinear};
use super::protocol::{GreyImage, ProtocolError, SessionOutcome, Step, UsbProtocol, UsbReply, UsbRequest};
use super::{UsbDriver, UsbId};
use crate::{Capabilities, RetryReason};

/// Driver name.
pub const NAME: &str = "aes3500";
/// Sensor side in pixels.
pub const SENSOR_SIDE: usize = 128;
/// Up-scaling factor applied to the sensor frame (as libfprint, so NBIS-style extractors see
/// ridges at a usable period).
pub const ENLARGE: usize = 2;
/// Resolution of the delivered (enlarged) image: 500 dpi sensor × 2.
pub const DPI: u16 = 1000;

/// Supported USB IDs. One line per ID.
pub static USB_IDS: &[UsbId] = &[UsbId { vid: 0x08ff, pid: 0x5731, variant: 0, model: "AuthenTec AES3500" }];

/// The driver row for [`super::USB_DRIVERS`].
pub static DRIVER: UsbDriver = UsbDriver {
    name: NAME,
    ids: USB_IDS,
    capabilities: |_| Capabilities {
        width: (SENSOR_SIDE * ENLARGE) as u32,
        height: (SENSOR_SIDE * ENLARGE) as u32,
        dpi: DPI,
        bits_per_pixel: 4,
        finger_detection: true,
    },
    session: |_, _| Box::new(Aes3500Session::new()),
};

const EP_IN: u8 = 0x81;
const EP_OUT: u8 = 0x02;
/// Image transfer length (0x2089): 8 × 1 025 bytes of frames plus trailing bytes.
pub const DATA_BUFLEN: usize = 0x2089;
const FRAME_HEIGHT: usize = 16;
const FRAME_NUMBER: usize = SENSOR_SIDE / FRAME_HEIGHT;
const FRAME_SIZE: usize = SENSOR_SIDE * FRAME_HEIGHT / 2;
/// Most register pairs one bulk OUT carries.
const MAX_PAIRS: usize = 16;

/// Init sequence: groups are separate bulk OUT transfers (a group longer than 16 pairs is split).
/// Register meanings from the AES3500/AES4000 reference driver's comments.
const INIT_GROUPS: &[&[(u8, u8)]] = &[
    &[(0x80, 0x01)], // master reset
    &[(0x80, 0x00)],
    &[(0x81, 0x00), (0x80, 0x00)],
    &[(0x80, 0x02)], // scan reset
    &[(0x80, 0x00)],
    &[(0x80, 0x04)], // disable register buffering
    &[(0x80, 0x00)],
    &[(0x81, 0x00)],
    &[
        (0x80, 0x00),
        (0x81, 0x00),
        (0x82, 0x04), // excitation bias: 2 MHz drive ring, 4 V, 16.5 mA
        (0x83, 0x13), // continuous drive-ring finger detection, 62.5 ms debounce
        (0x84, 0x07), // calibration resistance 12 kΩ
        (0x85, 0x3d), // calibration capacitance
        (0x86, 0x03), // detect drive voltage
        (0x87, 0x01), // detection frequency 125 kHz
        (0x88, 0x02), // column scan period
        (0x89, 0x02), // measure drive
        (0x8a, 0x33), // measure frequency, sense amplifier bias
        (0x8b, 0x33), // matrix pattern
        (0x8c, 0x0f), // demodulation phase 1
        (0x8d, 0x04), // demodulation phase 2
        (0x8e, 0x23), // sensor gain
        (0x8f, 0x07), // image parameters
        (0x90, 0x00), // carrier offset null
        (0x91, 0x1c), // A/D reference high
        (0x92, 0x08), // A/D reference low
        (0x93, 0x00), // start row 0
        (0x94, 0x07), // end row
        (0x95, 0x00), // start column 0
        (0x96, 0x1f), // end column
        (0x97, 0x04), // data format and thresholds
        (0x98, 0x28), // image data control
        (0x99, 0x00), // general purpose outputs off
        (0x9a, 0x0b), // initial scan state
        (0x9b, 0x00), // challenge word bits
        (0x9c, 0x00),
        (0x9d, 0x09),
        (0x9e, 0x53),
        (0x9f, 0x6b),
    ],
    &[(0x80, 0x00), (0x81, 0x00)],
    &[(0x81, 0x04)],
    &[(0x81, 0x00)],
];

/// Bulk OUT payloads of a register-write sequence (`reg, value` bytes, ≤ 16 pairs each).
pub fn register_writes(groups: &[&[(u8, u8)]]) -> Vec<Vec<u8>> {
    groups
        .iter()
        .flat_map(|g| g.chunks(MAX_PAIRS))
        .map(|chunk| chunk.iter().flat_map(|&(r, v)| [r, v]).collect())
        .collect()
}

/// One AES3500 capture session. `Send`.
pub struct Aes3500Session {
    writes: Vec<Vec<u8>>,
    next_write: usize,
    done: bool,
}

impl Aes3500Session {
    /// A new session (init writes, then the finger-gated image read).
    pub fn new() -> Self {
        Aes3500Session { writes: register_writes(INIT_GROUPS), next_write: 0, done: false }
    }
}

impl Default for Aes3500Session {
    fn default() -> Self {
        Self::new()
    }
}

fn unexpected(state: &'static str, detail: String) -> ProtocolError {
    ProtocolError::Unexpected { driver: NAME, state, detail }
}

impl UsbProtocol for Aes3500Session {
    fn next(&mut self, reply: UsbReply) -> Result<Step, ProtocolError> {
        if self.done {
            return Err(unexpected("done", "session already finished".into()));
        }
        if self.next_write > 0 && self.next_write <= self.writes.len() {
            let want = self.writes[self.next_write - 1].len();
            if reply != UsbReply::Written(want) {
                return Err(unexpected("init", format!("expected {want} bytes written, got {reply:?}")));
            }
        }
        if self.next_write < self.writes.len() {
            let data = self.writes[self.next_write].clone();
            self.next_write += 1;
            return Ok(Step::Io(UsbRequest::BulkOut { endpoint: EP_OUT, data }));
        }
        if self.next_write == self.writes.len() {
            self.next_write += 1;
            return Ok(Step::Io(UsbRequest::BulkInFinger { endpoint: EP_IN, len: DATA_BUFLEN }));
        }
        self.done = true;
        match reply {
            UsbReply::TimedOut => Ok(Step::Finished(SessionOutcome::Retry(RetryReason::NoFinger))),
            UsbReply::Data(d) => Ok(Step::Finished(SessionOutcome::Image(decode_image(&d)?))),
            other => Err(unexpected("capture", format!("expected image data, got {other:?}"))),
        }
    }
}

/// Decodes the 8 329-byte image transfer into the standardised 256 × 256 image.
pub fn decode_image(data: &[u8]) -> Result<GreyImage, ProtocolError> {
    if data.len() != DATA_BUFLEN {
        return Err(ProtocolError::BadImage {
            driver: NAME,
            detail: format!("image transfer of {} bytes, expected {DATA_BUFLEN}", data.len()),
        });
    }
    let w = SENSOR_SIDE;
    let mut raw = vec![0u8; w * w];
    for (i, frame) in data.chunks_exact(FRAME_SIZE + 1).take(FRAME_NUMBER).enumerate() {
        let out = &mut raw[i * w * FRAME_HEIGHT..(i + 1) * w * FRAME_HEIGHT];
        let mut bytes = frame[1..].iter();
        for column in 0..w {
            for row in (0..FRAME_HEIGHT).step_by(2) {
                let b = bytes.next().copied().unwrap_or(0);
                out[w * row + column] = (b & 0x0f) * 17;
                out[w * (row + 1) + column] = (b >> 4) * 17;
            }
        }
    }
    let side = w * ENLARGE;
    let mut px = resize_bilinear(&raw, w, w, ENLARGE);
    flip_horizontal(&mut px, side);
    flip_vertical(&mut px, side);
    invert(&mut px);
    Ok(GreyImage { width: side as u32, height: side as u32, pixels: px })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn init_writes_match_the_recorded_transfers() {
        let w = register_writes(INIT_GROUPS);
        assert_eq!(w.len(), 13);
        assert_eq!(w[2], vec![0x81, 0x00, 0x80, 0x00]);
        assert_eq!(w[8].len(), 32);
        assert_eq!(&w[9][..4], &[0x90, 0x00, 0x91, 0x1c]);
        assert_eq!(w[12], vec![0x81, 0x00]);
    }

    #[test]
    fn session_runs_writes_then_finger_gated_read() {
        let mut s = Aes3500Session::new();
        let mut reply = UsbReply::Start;
        for _ in 0..13 {
            match s.next(reply).unwrap() {
                Step::Io(UsbRequest::BulkOut { data, .. }) => reply = UsbReply::Written(data.len()),
                other => panic!("{other:?}"),
            }
        }
        assert_eq!(s.next(reply).unwrap(), Step::Io(UsbRequest::BulkInFinger { endpoint: EP_IN, len: DATA_BUFLEN }));
        let img = s.next(UsbReply::Data(vec![0; DATA_BUFLEN])).unwrap();
        let Step::Finished(SessionOutcome::Image(img)) = img else { panic!() };
        assert_eq!((img.width, img.height), (256, 256));
        assert!(img.pixels.iter().all(|&v| v == 255));
    }

    #[test]
    fn wrong_length_image_is_an_error() {
        assert!(decode_image(&[0; 100]).is_err());
    }
}
