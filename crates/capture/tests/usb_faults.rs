//! Fault behaviour of the USB stack (runner + U.are.U protocol) on a scripted fake transport:
//! unplug mid-capture, timeouts, stalls, garbage transfers and cancellation must end in typed
//! errors or retries, never in hangs or panics. Also a full synthetic encrypted capture.

use std::sync::Arc;
use std::time::{Duration, Instant};

use proptest::prelude::*;
use ridgegate_capture::usb::fake::{Answer, CONTROL, Expect, ScriptedTransport, WhenEmpty};
use ridgegate_capture::usb::protocol::{SeedSource, SessionOutcome};
use ridgegate_capture::usb::transport::{ControlSetup, TransportError};
use ridgegate_capture::usb::{UsbScanner, uru4000};
use ridgegate_capture::{CancelToken, CaptureError, RetryReason};

const SEED: u32 = 0x51EA_2124;
const W: usize = uru4000::WIDTH;
const H: usize = uru4000::HEIGHT;

fn rd(reg: u16, len: u16) -> Expect {
    Expect::ControlIn(ControlSetup { request_type: 0xC0, request: 4, value: reg, index: 0 }, len)
}
fn wr(reg: u16, data: &[u8]) -> Expect {
    Expect::ControlOut(ControlSetup { request_type: 0x40, request: 4, value: reg, index: 0 }, data.to_vec())
}
fn irq(kind: u16) -> Answer {
    let mut p = vec![0u8; 64];
    p[..2].copy_from_slice(&kind.to_be_bytes());
    Answer::Data(p)
}

/// Scripts power-up up to (and including) MODE = await finger.
fn script_init(t: &ScriptedTransport) {
    t.push(CONTROL, rd(0x07, 1), Answer::Data(vec![0x01]));
    t.push(CONTROL, wr(0x07, &[0x81]), Answer::Written);
    t.push(CONTROL, wr(0x07, &[0x01]), Answer::Written);
    t.push(CONTROL, rd(0x07, 1), Answer::Data(vec![0x01]));
    t.push(CONTROL, rd(0xf0, 16), Answer::Data(vec![0; 16]));
    t.push(CONTROL, wr(0x4e, &[0x10]), Answer::Written);
    t.push(0x81, Expect::In(64), irq(0x56aa));
}

fn scanner(t: Arc<ScriptedTransport>) -> UsbScanner {
    let id = uru4000::USB_IDS.iter().find(|i| i.pid == 0x000a).unwrap();
    UsbScanner::new(t, &uru4000::DRIVER, id, "usb:05ba:000a".into(), SeedSource::fixed(SEED))
}

fn capture(t: Arc<ScriptedTransport>, timeout: Duration) -> Result<SessionOutcome, CaptureError> {
    scanner(t).capture_raw(timeout, &CancelToken::new())
}

/// Keystream byte for `key` (what decrypt_block XORs into the first output byte).
fn ks(key: u32) -> u8 {
    let mut probe = [0u8, 0u8];
    uru4000::decrypt_block(&mut probe, key);
    probe[0]
}

/// An encrypted 4000B image transfer of `plain` rows (289 rows in 3 encrypted blocks) for key `k`.
fn encrypted_transfer(plain: &[u8], mut k: u32) -> Vec<u8> {
    let mut data = vec![0u8; 64 + 289 * W];
    data[4..6].copy_from_slice(&289u16.to_le_bytes());
    let blocks = [100usize, 100, 89];
    let mut row = 0;
    for (i, &lines) in blocks.iter().enumerate() {
        data[16 + 2 * i] = 0x02;
        data[17 + 2 * i] = lines as u8;
        let (s, n) = (row * W, lines * W);
        let c = &mut data[64 + s..64 + s + n];
        c[0] = 0xA5;
        for j in 0..n - 1 {
            c[j + 1] = plain[s + j] ^ ks(k);
            k = uru4000::update_key(k);
        }
        k = uru4000::update_key(k);
        row += lines;
    }
    data
}

#[test]
fn synthetic_encrypted_capture_decodes_exactly() {
    let key = 0x1357_9BDF;
    let plain: Vec<u8> = (0..289 * W).map(|i| ((i * 31 + i / W * 7) % 256) as u8).collect();
    let t = Arc::new(ScriptedTransport::new(WhenEmpty::Timeout));
    script_init(&t);
    t.push(0x81, Expect::In(64), irq(0x0101));
    t.push(0x82, Expect::In(uru4000::IMAGE_TRANSFER), Answer::Data(encrypted_transfer(&plain, key)));
    t.push(CONTROL, wr(0x4e, &[0x20]), Answer::Written);
    let mut idx = vec![0u8];
    idx.extend_from_slice(&SEED.to_le_bytes());
    t.push(CONTROL, wr(0x33, &idx), Answer::Written);
    t.push(CONTROL, rd(0x34, 4), Answer::Data((key ^ SEED).to_le_bytes().to_vec()));
    t.push(CONTROL, wr(0x4e, &[0x12]), Answer::Written);
    t.push(0x81, Expect::In(64), irq(0x0200));
    t.push(CONTROL, wr(0x4e, &[0x70]), Answer::Written);
    let out = capture(t.clone(), Duration::from_secs(5)).unwrap_or_else(|e| panic!("{e}\n{:#?}", t.log()));
    let SessionOutcome::Image(img) = out else { panic!("expected image, got {out:?}") };
    // Expected: plain rows, last byte of each block forced to 0, missing row 289 = 0, then
    // inverted and rotated by 180°.
    let mut raw = vec![0u8; W * H];
    raw[..289 * W].copy_from_slice(&plain);
    for end in [100 * W, 200 * W, 289 * W] {
        raw[end - 1] = 0;
    }
    let mut want: Vec<u8> = raw.iter().map(|v| 255 - v).collect();
    want.reverse();
    assert_eq!((img.width as usize, img.height as usize), (W, H));
    assert!(img.pixels == want, "decoded pixels differ");
    assert_eq!(t.remaining(CONTROL), 0);
}

#[test]
fn no_finger_within_timeout_is_a_retry_and_powers_off() {
    let t = Arc::new(ScriptedTransport::new(WhenEmpty::Timeout));
    script_init(&t);
    t.push(CONTROL, wr(0x4e, &[0x70]), Answer::Written);
    let started = Instant::now();
    let out = capture(t.clone(), Duration::from_millis(300)).unwrap();
    assert_eq!(out, SessionOutcome::Retry(RetryReason::NoFinger));
    assert!(started.elapsed() < Duration::from_secs(3), "took {:?}", started.elapsed());
    assert_eq!(t.remaining(CONTROL), 0, "MODE=off must be written");
}

#[test]
fn unplug_during_register_io_is_unplugged_error() {
    let t = Arc::new(ScriptedTransport::new(WhenEmpty::Unplugged));
    t.push(CONTROL, rd(0x07, 1), Answer::Data(vec![0x01]));
    t.push(CONTROL, wr(0x07, &[0x81]), Answer::Fail(TransportError::Disconnected));
    assert!(matches!(capture(t, Duration::from_secs(5)), Err(CaptureError::Unplugged(_))));
}

#[test]
fn unplug_while_waiting_for_the_finger_is_unplugged_error() {
    let t = Arc::new(ScriptedTransport::new(WhenEmpty::Timeout));
    script_init(&t);
    t.push(0x81, Expect::In(64), Answer::Fail(TransportError::Disconnected));
    let started = Instant::now();
    let r = capture(t, Duration::from_secs(30));
    assert!(matches!(r, Err(CaptureError::Unplugged(_))), "{r:?}");
    assert!(started.elapsed() < Duration::from_secs(3));
}

#[test]
fn unplug_during_image_transfer_is_unplugged_error() {
    let t = Arc::new(ScriptedTransport::new(WhenEmpty::Timeout));
    script_init(&t);
    t.push(0x81, Expect::In(64), irq(0x0101));
    t.push(0x82, Expect::In(uru4000::IMAGE_TRANSFER), Answer::Fail(TransportError::Disconnected));
    t.push(CONTROL, wr(0x4e, &[0x20]), Answer::Written);
    assert!(matches!(capture(t, Duration::from_secs(5)), Err(CaptureError::Unplugged(_))));
}

#[test]
fn control_timeout_is_timeout_error() {
    let t = Arc::new(ScriptedTransport::new(WhenEmpty::Timeout));
    t.push(CONTROL, rd(0x07, 1), Answer::Fail(TransportError::Timeout(Duration::from_secs(5))));
    assert!(matches!(capture(t, Duration::from_secs(5)), Err(CaptureError::Timeout(_))));
}

#[test]
fn missing_power_on_interrupt_gives_up_after_three_attempts() {
    let t = Arc::new(ScriptedTransport::new(WhenEmpty::Timeout));
    for _ in 0..3 {
        t.push(CONTROL, rd(0x07, 1), Answer::Data(vec![0x01]));
        t.push(CONTROL, wr(0x07, &[0x81]), Answer::Written);
        t.push(CONTROL, wr(0x07, &[0x01]), Answer::Written);
        t.push(CONTROL, rd(0x07, 1), Answer::Data(vec![0x01]));
    }
    let started = Instant::now();
    let r = capture(t, Duration::from_secs(5));
    assert!(matches!(&r, Err(CaptureError::Protocol(m)) if m.contains("power")), "{r:?}");
    assert!(started.elapsed() < Duration::from_secs(3));
}

#[test]
fn stalled_register_read_is_protocol_error() {
    let t = Arc::new(ScriptedTransport::new(WhenEmpty::Timeout));
    t.push(CONTROL, rd(0x07, 1), Answer::Fail(TransportError::Stall(0x80)));
    assert!(matches!(capture(t, Duration::from_secs(5)), Err(CaptureError::Protocol(_))));
}

#[test]
fn short_register_read_is_protocol_error() {
    let t = Arc::new(ScriptedTransport::new(WhenEmpty::Timeout));
    t.push(CONTROL, rd(0x07, 1), Answer::Data(vec![]));
    assert!(matches!(capture(t, Duration::from_secs(5)), Err(CaptureError::Protocol(_))));
}

#[test]
fn cancel_during_finger_wait_is_cancelled_error() {
    let t = Arc::new(ScriptedTransport::new(WhenEmpty::Timeout));
    script_init(&t);
    t.push(CONTROL, wr(0x4e, &[0x70]), Answer::Written);
    let cancel = CancelToken::new();
    let c2 = cancel.clone();
    std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(100));
        c2.cancel();
    });
    let started = Instant::now();
    let r = scanner(t).capture_raw(Duration::from_secs(60), &cancel);
    assert!(matches!(r, Err(CaptureError::Cancelled)), "{r:?}");
    assert!(started.elapsed() < Duration::from_secs(3));
}

#[test]
fn garbage_interrupts_are_ignored_until_the_finger_timeout() {
    let t = Arc::new(ScriptedTransport::new(WhenEmpty::Timeout));
    script_init(&t);
    for k in [0x1234u16, 0xffff, 0x0000] {
        t.push(0x81, Expect::In(64), irq(k));
    }
    t.push(0x81, Expect::In(64), Answer::Data(vec![0x01])); // 1-byte runt packet
    t.push(CONTROL, wr(0x4e, &[0x70]), Answer::Written);
    assert_eq!(capture(t, Duration::from_millis(300)).unwrap(), SessionOutcome::Retry(RetryReason::NoFinger));
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    /// Any bytes as image transfer: a typed error or an image, never a panic or a hang.
    #[test]
    fn garbage_image_transfers_never_panic(garbage in proptest::collection::vec(any::<u8>(), 0..4096), lines in 0u16..400) {
        let mut data = garbage;
        if data.len() >= 6 {
            data[4..6].copy_from_slice(&lines.to_le_bytes());
        }
        let t = Arc::new(ScriptedTransport::new(WhenEmpty::Timeout));
        script_init(&t);
        t.push(0x81, Expect::In(64), irq(0x0101));
        t.push(0x82, Expect::In(uru4000::IMAGE_TRANSFER), Answer::Data(data));
        t.push(CONTROL, wr(0x4e, &[0x20]), Answer::Written);
        t.push(CONTROL, Expect::Any, Answer::Written);
        t.push(CONTROL, Expect::Any, Answer::Data(vec![1, 2, 3, 4]));
        match capture(t, Duration::from_millis(200)) {
            Ok(SessionOutcome::Image(img)) => prop_assert_eq!(img.pixels.len(), W * H),
            Ok(other) => prop_assert!(false, "unexpected outcome {:?}", other),
            Err(CaptureError::Protocol(_)) | Err(CaptureError::Timeout(_)) => {}
            Err(e) => prop_assert!(false, "unexpected error kind {e}"),
        }
    }
}

/// Answers every transfer with seeded random garbage: random lengths and bytes (sometimes a
/// plausible header), random stalls, timeouts and disconnects.
struct FuzzTransport {
    state: std::sync::Mutex<u64>,
}

impl FuzzTransport {
    fn new(seed: u64) -> Self {
        FuzzTransport { state: std::sync::Mutex::new(seed | 1) }
    }
    fn next(&self) -> u64 {
        let mut s = self.state.lock().unwrap();
        *s ^= *s << 13;
        *s ^= *s >> 7;
        *s ^= *s << 17;
        *s
    }
    fn failure(&self) -> Option<TransportError> {
        match self.next() % 400 {
            0 => Some(TransportError::Disconnected),
            1 => Some(TransportError::Stall(0x81)),
            2 => Some(TransportError::Timeout(Duration::from_millis(1))),
            3 => Some(TransportError::Io("EPROTO".into())),
            _ => None,
        }
    }
    fn bytes(&self, max: usize) -> Vec<u8> {
        // Mostly well-formed lengths so sessions get deep into their state machines.
        let n = match self.next() % 20 {
            0 => 0,
            1 => (self.next() as usize) % (max + 1),
            _ => max,
        };
        let mut v: Vec<u8> = (0..n).map(|_| self.next() as u8).collect();
        if v.len() >= 4 && self.next() % 3 == 0 {
            v[..4].copy_from_slice(b"Ciao");
        }
        v
    }
}

impl ridgegate_capture::usb::transport::UsbTransport for FuzzTransport {
    fn control_in(&self, _: ControlSetup, len: u16, _: Duration) -> Result<Vec<u8>, TransportError> {
        self.failure().map_or_else(|| Ok(self.bytes(len as usize)), Err)
    }
    fn control_out(&self, _: ControlSetup, data: &[u8], _: Duration) -> Result<usize, TransportError> {
        self.failure().map_or(Ok(data.len()), Err)
    }
    fn bulk_in(&self, _: u8, len: usize, _: Duration) -> Result<Vec<u8>, TransportError> {
        self.failure().map_or_else(|| Ok(self.bytes(len)), Err)
    }
    fn bulk_out(&self, _: u8, data: &[u8], _: Duration) -> Result<usize, TransportError> {
        self.failure().map_or(Ok(data.len()), Err)
    }
    fn interrupt_in(&self, _: u8, len: usize, _: Duration) -> Result<Vec<u8>, TransportError> {
        std::thread::sleep(Duration::from_millis(1));
        self.failure().map_or_else(|| Ok(self.bytes(len)), Err)
    }
}

/// Every driver, fed garbage by a misbehaving device, ends in an image, a retry or a typed
/// error within bounded time: no panic, no hang.
#[test]
fn every_driver_survives_a_garbage_spewing_device() {
    for driver in ridgegate_capture::usb::USB_DRIVERS {
        for seed in 1..=12u64 {
            let t = Arc::new(FuzzTransport::new(seed * 7919 + driver.name.len() as u64));
            let mut s = UsbScanner::new(t, driver, &driver.ids[0], "usb:fuzz".into(), SeedSource::fixed(1));
            let started = Instant::now();
            let r = s.capture_raw(Duration::from_millis(300), &CancelToken::new());
            assert!(
                started.elapsed() < Duration::from_secs(20),
                "{} seed {seed}: took {:?}",
                driver.name,
                started.elapsed()
            );
            if let Ok(SessionOutcome::Image(img)) = &r {
                assert_eq!(img.pixels.len(), (img.width * img.height) as usize, "{}", driver.name);
            }
        }
    }
}
