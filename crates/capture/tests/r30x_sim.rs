//! The real R30x host driver against the simulator over a pseudo-terminal pair: image upload at
//! 57600 and 115200 baud, enroll and search with the real extractor/matcher, and every fault.

use std::time::{Duration, Instant};

use firmware_protocol::{IMAGE_PACKED_BYTES, unpack_4bit};
use ridgegate_capture::r30x::sim::{Faults, SimControl, SimModule, Simulator, fit_to_sensor};
use ridgegate_capture::r30x::{
    Config, EnrollOutcome, IdentifyOutcome, ProtocolError, R30x, R30xError, SerialTransport, Transport,
};
use ridgegate_capture::virtual_scanner::{VirtualScanner, VirtualSource};
use ridgegate_capture::{CancelToken, CaptureOutcome, RetryReason, Scanner};
use ridgegate_synth::SynthConfig;

const T: Duration = Duration::from_secs(10);

/// A simulator serving synthetic fingers (seed 11, 4 fingers × 4 impressions, 300×400).
fn simulator() -> (Simulator, String, SimControl) {
    let src = VirtualSource::Synthetic { seed: 11, fingers: 4, impressions: 4, size: SynthConfig::default() };
    let module = SimModule::new(VirtualScanner::new(src).unwrap());
    let (sim, path) = Simulator::spawn_pty(module).unwrap();
    let control = sim.control();
    (sim, path, control)
}

fn connect(path: &str, baud: u32, read_timeout: Duration) -> R30x<SerialTransport> {
    let t = SerialTransport::open(path, baud).unwrap();
    let config = Config { baud, read_timeout, poll_interval: Duration::from_millis(1), ..Config::default() };
    R30x::connect(t, config, format!("serial:{path}@{baud}")).unwrap()
}

/// The 8-bit image the simulator holds after imaging `img` (fitted, 4-bit, expanded).
fn expected_sensor_image(finger: u64, impression: u32) -> Vec<u8> {
    let img = ridgegate_synth::finger_impressions(&SynthConfig::default(), 11, finger, impression + 1).unwrap();
    let packed = fit_to_sensor(&img[impression as usize]);
    let mut px = vec![0u8; packed.len() * 2];
    unpack_4bit(&packed, &mut px).unwrap();
    px
}

fn full_upload_at(baud: u32) {
    let (sim, path, control) = simulator();
    let mut dev = connect(&path, baud, Duration::from_secs(3));
    assert_eq!(dev.sys_params().capacity, 162);
    assert_eq!(dev.sys_params().packet_size(), Some(128));
    control.source().set_next_image(2, 1).unwrap();
    let before = control.stats().packets_sent;
    let img = match dev.capture(T, &CancelToken::new()).unwrap() {
        CaptureOutcome::Image(i) => i,
        other => panic!("expected an image, got {other:?}"),
    };
    // GenImg ACK + UpImage ACK + 288 data packets of 128 bytes.
    assert_eq!(control.stats().packets_sent - before, 2 + 288);
    assert_eq!((img.width(), img.height(), img.dpi()), (256, 288, 500));
    assert_eq!(img.pixels().len() / 2, IMAGE_PACKED_BYTES);
    assert_eq!(img.pixels(), &expected_sensor_image(2, 1)[..], "pixels differ from the simulated sensor");
    sim.stop().unwrap();
}

#[test]
fn full_image_upload_at_57600() {
    full_upload_at(57_600);
}

#[test]
fn full_image_upload_at_115200() {
    full_upload_at(115_200);
}

#[test]
fn enroll_search_match_and_library_management() {
    let (sim, path, control) = simulator();
    let mut dev = connect(&path, 57_600, Duration::from_secs(3));
    let cancel = CancelToken::new();
    // Enroll finger 0 at page 3 and finger 1 at page 7 (impressions 0 and 1 each).
    control.source().present_finger(Some(0)).unwrap();
    assert_eq!(dev.enroll(3, T, &cancel).unwrap(), EnrollOutcome::Stored(3));
    control.source().present_finger(Some(1)).unwrap();
    assert_eq!(dev.enroll(7, T, &cancel).unwrap(), EnrollOutcome::Stored(7));
    assert_eq!(dev.template_count().unwrap(), 2);
    assert_eq!(dev.used_pages(0).unwrap(), vec![3, 7]);
    // Genuine: a third impression of finger 0 is found at page 3.
    control.source().set_next_image(0, 2).unwrap();
    match dev.identify(T, &cancel).unwrap() {
        IdentifyOutcome::Found { page, score } => {
            assert_eq!(page, 3);
            assert!(score >= 300, "score {score}");
        }
        other => panic!("genuine finger not found: {other:?}"),
    }
    // Impostor: finger 3 was never enrolled.
    control.source().set_next_image(3, 0).unwrap();
    assert_eq!(dev.identify(T, &cancel).unwrap(), IdentifyOutcome::NotFound);
    // Enrolling with two different fingers fails at RegModel: the user must retry.
    control.source().present_finger(None).unwrap();
    control.source().set_next_image(2, 0).unwrap();
    let c2 = control.clone();
    // The second image of this enrollment: finger 3 (set after the first capture is consumed).
    let before = control.stats().images;
    let h = std::thread::spawn(move || {
        while c2.stats().images == before {
            std::thread::sleep(Duration::from_millis(1));
        }
        c2.source().set_next_image(3, 1).unwrap();
    });
    assert_eq!(dev.enroll(9, T, &cancel).unwrap(), EnrollOutcome::Retry(RetryReason::RemoveFinger));
    h.join().unwrap();
    // Template export/import: UpChar of page 3, DownChar into buffer 2, Match against a live finger 0.
    dev.load(1, 3).unwrap();
    let char_file = dev.upload_char(1).unwrap();
    assert_eq!(char_file.len(), 512);
    dev.download_char(2, &char_file).unwrap();
    control.source().set_next_image(0, 3).unwrap();
    assert_eq!(dev.wait_for_image(T, &cancel).unwrap(), None);
    assert_eq!(dev.image_to_char(1).unwrap(), None);
    assert!(dev.match_buffers().unwrap().is_some(), "live finger 0 must match its downloaded template");
    // DownImage of a captured image, then Img2Tz on it and Match against the template: the module
    // extracts from what the host sent.
    control.source().set_next_image(0, 1).unwrap();
    let img = match dev.capture(T, &cancel).unwrap() {
        CaptureOutcome::Image(i) => i,
        other => panic!("{other:?}"),
    };
    dev.download_image(&img).unwrap();
    assert_eq!(dev.image_to_char(1).unwrap(), None);
    assert!(dev.match_buffers().unwrap().is_some(), "downloaded image of finger 0 must match");
    // Soft reset answers with the ready byte; the module then still works.
    dev.soft_reset().unwrap();
    assert_eq!(dev.template_count().unwrap(), 2);
    // Delete, LED, handshake, empty.
    dev.delete(7, 1).unwrap();
    assert_eq!(dev.used_pages(0).unwrap(), vec![3]);
    dev.led(true).unwrap();
    dev.aura_led(firmware_protocol::LedMode::Breathing, 100, firmware_protocol::LedColour::Blue, 0).unwrap();
    dev.handshake().unwrap();
    dev.empty().unwrap();
    assert_eq!(dev.template_count().unwrap(), 0);
    assert!(matches!(dev.load(1, 500), Err(R30xError::Module { code: firmware_protocol::Confirmation::BadPage, .. })));
    sim.stop().unwrap();
}

#[test]
fn fault_no_finger_gives_retry_after_the_timeout() {
    let (sim, path, control) = simulator();
    let mut dev = connect(&path, 57_600, Duration::from_secs(3));
    control.set_faults(Faults { no_finger: true, ..Faults::default() });
    let started = Instant::now();
    let out = dev.capture(Duration::from_millis(300), &CancelToken::new()).unwrap();
    assert_eq!(out, CaptureOutcome::Retry(RetryReason::NoFinger));
    assert!(started.elapsed() >= Duration::from_millis(250) && started.elapsed() < Duration::from_secs(3));
    // Finger held off the sensor through the image source's control: the same retry.
    control.set_faults(Faults::default());
    control.source().set_finger_present(false);
    assert_eq!(
        dev.capture(Duration::from_millis(200), &CancelToken::new()).unwrap(),
        CaptureOutcome::Retry(RetryReason::NoFinger)
    );
    control.source().set_finger_present(true);
    assert!(matches!(dev.capture(T, &CancelToken::new()).unwrap(), CaptureOutcome::Image(_)));
    control.set_faults(Faults { no_finger: true, ..Faults::default() });
    // Cancellation ends the wait early.
    let cancel = CancelToken::new();
    let c = cancel.clone();
    let h = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(50));
        c.cancel();
    });
    assert!(matches!(dev.capture(T, &cancel), Err(ridgegate_capture::CaptureError::Cancelled)));
    h.join().unwrap();
    sim.stop().unwrap();
}

#[test]
fn fault_bad_quality_is_a_retry_not_an_error() {
    let (sim, path, control) = simulator();
    let mut dev = connect(&path, 57_600, Duration::from_secs(3));
    control.set_faults(Faults { bad_quality: true, ..Faults::default() });
    // GenImg succeeds on a smudged finger; the module's feature extraction rejects it.
    assert_eq!(dev.enroll(0, T, &CancelToken::new()).unwrap(), EnrollOutcome::Retry(RetryReason::LowQuality));
    // R50x GetImageEx reports the poor image at capture time.
    drop(dev);
    let t = SerialTransport::open(&path, 57_600).unwrap();
    let config = Config { get_image_ex: true, poll_interval: Duration::from_millis(1), ..Config::default() };
    let mut ex = R30x::connect(t, config, "ex".into()).unwrap();
    assert_eq!(ex.capture(T, &CancelToken::new()).unwrap(), CaptureOutcome::Retry(RetryReason::LowQuality));
    sim.stop().unwrap();
}

#[test]
fn fault_corrupted_checksum_every_nth_packet() {
    let (sim, path, control) = simulator();
    let mut dev = connect(&path, 115_200, Duration::from_secs(3));
    // Every 3rd packet corrupted: the 3rd TempleteNum answer fails with a checksum error, the
    // exchanges around it succeed.
    control.set_faults(Faults { corrupt_every: Some(3), ..Faults::default() });
    assert_eq!(dev.template_count().unwrap(), 0);
    assert_eq!(dev.template_count().unwrap(), 0);
    match dev.template_count() {
        Err(R30xError::Protocol { error: ProtocolError::Framing(_), .. }) => {}
        other => panic!("expected a checksum error, got {other:?}"),
    }
    assert_eq!(dev.template_count().unwrap(), 0);
    // During an image upload (every 100th packet): the capture fails as a protocol error.
    control.set_faults(Faults { corrupt_every: Some(100), ..Faults::default() });
    match dev.capture(T, &CancelToken::new()) {
        Err(ridgegate_capture::CaptureError::Protocol(m)) => assert!(m.contains("checksum"), "{m}"),
        other => panic!("expected a protocol error, got {other:?}"),
    }
    assert!(control.stats().corrupted >= 2);
    // The link recovers once the fault is gone.
    control.set_faults(Faults::default());
    assert!(matches!(dev.capture(T, &CancelToken::new()).unwrap(), CaptureOutcome::Image(_)));
    sim.stop().unwrap();
}

#[test]
fn fault_slow_responses_time_out_or_pass_with_enough_patience() {
    let (sim, path, control) = simulator();
    let mut dev = connect(&path, 57_600, Duration::from_millis(100));
    control.set_faults(Faults { response_delay: Duration::from_millis(250), ..Faults::default() });
    let started = Instant::now();
    match dev.template_count() {
        Err(R30xError::Timeout { timeout, .. }) => assert_eq!(timeout, Duration::from_millis(100)),
        other => panic!("expected a timeout, got {other:?}"),
    }
    assert!(started.elapsed() < Duration::from_secs(1));
    std::thread::sleep(Duration::from_millis(300)); // let the late answer arrive; connect clears it
    drop(dev);
    let mut patient = connect(&path, 57_600, Duration::from_secs(1));
    assert_eq!(patient.template_count().unwrap(), 0);
    sim.stop().unwrap();
}

#[test]
fn fault_short_read_and_wrong_address_are_typed() {
    let (sim, path, control) = simulator();
    let mut dev = connect(&path, 57_600, Duration::from_millis(150));
    control.set_faults(Faults { truncate_next: true, ..Faults::default() });
    match dev.template_count() {
        Err(R30xError::ShortRead { received, .. }) => assert_eq!(received, 7),
        other => panic!("expected a short read, got {other:?}"),
    }
    control.set_faults(Faults { reply_address: Some(0x0BAD_0BAD), ..Faults::default() });
    match dev.template_count() {
        Err(R30xError::Protocol { error: ProtocolError::WrongAddress { got, .. }, .. }) => {
            assert_eq!(got, 0x0BAD_0BAD)
        }
        other => panic!("expected a wrong-address error, got {other:?}"),
    }
    control.set_faults(Faults::default());
    assert_eq!(dev.template_count().unwrap(), 0);
    sim.stop().unwrap();
}

#[test]
fn unplugged_port_is_an_error_not_a_hang() {
    let (sim, path, _control) = simulator();
    let mut dev = connect(&path, 57_600, Duration::from_secs(2));
    sim.stop().unwrap();
    let started = Instant::now();
    match dev.template_count() {
        Err(R30xError::Unplugged(_)) => {}
        other => panic!("expected unplugged, got {other:?}"),
    }
    assert!(started.elapsed() < Duration::from_secs(2));
    match dev.capture(T, &CancelToken::new()) {
        Err(ridgegate_capture::CaptureError::Unplugged(_)) => {}
        other => panic!("expected unplugged, got {other:?}"),
    }
    // Opening a port that does not exist is a typed error too.
    assert!(SerialTransport::open("/dev/does-not-exist", 57_600).is_err());
    let _ = dev.transport_mut().name();
}
