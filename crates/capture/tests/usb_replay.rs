//! Pixel-exact replay tests: each test runs the real rusb driver code under Debian's
//! `umockdev-run`, which replays a real scanner's recorded USB traffic (../shared/usb-recordings,
//! recorded by libfprint's maintainers), and compares the decoded image with the image the
//! reference driver produced from the same traffic (`capture.png`).
//!
//! The test binary re-executes itself under `umockdev-run` (env `RIDGEGATE_REPLAY` names the
//! case inside). Without ../shared or without umockdev the tests print `SKIP:` and pass.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use ridgegate_capture::CancelToken;
use ridgegate_capture::usb::protocol::SessionOutcome;
use ridgegate_capture::usb::{UsbOptions, open_usb};
use ridgegate_core::FingerImage;

const CASE_ENV: &str = "RIDGEGATE_REPLAY";

/// `../shared/usb-recordings` beside the workspace root (override: env `RIDGEGATE_SHARED`).
fn recordings() -> Option<PathBuf> {
    let shared = std::env::var_os("RIDGEGATE_SHARED")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared"));
    let dir = shared.join("usb-recordings");
    dir.is_dir().then_some(dir)
}

fn umockdev_run() -> Option<PathBuf> {
    std::env::var_os("PATH")?.to_str()?.split(':').map(|d| Path::new(d).join("umockdev-run")).find(|p| p.is_file())
}

/// Outer half: starts this test again under umockdev-run with the recording loaded.
/// Inner half (inside umockdev): captures through rusb and compares with capture.png.
fn replay(test_name: &str, case: &str, vid: u16, pid: u16, seed: Option<u32>) {
    if std::env::var(CASE_ENV).as_deref() == Ok(case) {
        inner(case, vid, pid, seed);
        return;
    }
    let Some(rec) = recordings() else {
        println!("SKIP: {case}: ../shared/usb-recordings not found");
        return;
    };
    let Some(umockdev) = umockdev_run() else {
        println!("SKIP: {case}: umockdev-run not installed (apt-get install umockdev)");
        return;
    };
    let dir = rec.join(case);
    let device = dir.join("device");
    let mut cmd = Command::new(umockdev);
    cmd.arg("-d").arg(&device);
    let pcap = dir.join("capture.pcapng");
    if pcap.is_file() {
        let first = std::fs::read_to_string(&device).expect("device description readable");
        let sys = first.lines().next().and_then(|l| l.strip_prefix("P: ")).expect("device starts with P: line");
        cmd.arg("-p").arg(format!("/sys{sys}={}", pcap.display()));
    } else {
        let ioctl = dir.join("capture.ioctl");
        let text = std::fs::read_to_string(&ioctl).expect("capture.ioctl readable");
        let dev = text.lines().next().and_then(|l| l.strip_prefix("@DEV ")).expect("ioctl starts with @DEV");
        cmd.arg("-i").arg(format!("{dev}={}", ioctl.display()));
    }
    let exe = std::env::current_exe().expect("test binary path");
    cmd.arg("--").arg(exe).args(["--exact", test_name, "--nocapture", "--test-threads=1"]).env(CASE_ENV, case);
    let out = cmd.output().expect("umockdev-run starts");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    println!("{stdout}");
    assert!(out.status.success(), "replay of {case} failed: {}\n{stdout}\n{stderr}", out.status);
    assert!(stdout.contains(&format!("REPLAY-OK {case}")), "inner test did not run for {case}:\n{stdout}\n{stderr}");
}

/// Writes the decoded image to `$RIDGEGATE_REPLAY_DUMP` (debugging aid for mismatches).
fn dump(img: &ridgegate_capture::usb::protocol::GreyImage) {
    if let Ok(path) = std::env::var("RIDGEGATE_REPLAY_DUMP")
        && let Ok(out) = FingerImage::new(img.width, img.height, 500, img.pixels.clone())
    {
        let _ = std::fs::write(path, out.to_png());
    }
}

fn inner(case: &str, vid: u16, pid: u16, seed: Option<u32>) {
    let started = std::time::Instant::now();
    let opts = UsbOptions { id: Some((vid, pid)), location: None, seed };
    let mut scanner = open_usb(&opts).unwrap_or_else(|e| panic!("{case}: open failed: {e}"));
    let outcome = scanner
        .capture_raw(Duration::from_secs(10), &CancelToken::new())
        .unwrap_or_else(|e| panic!("{case}: capture failed: {e}"));
    let SessionOutcome::Image(img) = outcome else {
        panic!("{case}: expected an image, got {outcome:?}");
    };
    let reference = recordings().unwrap().join(case).join("capture.png");
    let want = FingerImage::load(&reference, None).expect("reference PNG decodes");
    if (img.width, img.height) != (want.width(), want.height()) {
        dump(&img);
    }
    assert_eq!((img.width, img.height), (want.width(), want.height()), "{case}: image size");
    let differ = img.pixels.iter().zip(want.pixels()).filter(|(a, b)| a != b).count();
    let max_diff = img.pixels.iter().zip(want.pixels()).map(|(&a, &b)| a.abs_diff(b)).max().unwrap_or(0);
    println!(
        "{case}: {differ} of {} pixels differ (max |diff| {max_diff}), {}x{}, {:.2} s",
        img.pixels.len(),
        img.width,
        img.height,
        started.elapsed().as_secs_f64()
    );
    if differ != 0 {
        dump(&img);
    }
    assert_eq!(differ, 0, "{case}: decoded image differs from capture.png");
    println!("REPLAY-OK {case}");
}

#[test]
fn usb_replay_uru4000_4500() {
    replay("usb_replay_uru4000_4500", "uru4000-4500", 0x05ba, 0x000a, Some(0x51EA_2124));
}

#[test]
fn usb_replay_uru4000_msv2() {
    replay("usb_replay_uru4000_msv2", "uru4000-msv2", 0x045e, 0x00ca, Some(0x51EA_2124));
}

#[test]
fn usb_replay_aes3500() {
    replay("usb_replay_aes3500", "aes3500", 0x08ff, 0x5731, None);
}

#[test]
fn usb_replay_upektc_img() {
    replay("usb_replay_upektc_img", "upektc_img", 0x147e, 0x2016, None);
}

#[test]
fn usb_replay_elan() {
    replay("usb_replay_elan", "elan", 0x04f3, 0x0c26, None);
}

#[test]
fn usb_replay_egis0570() {
    replay("usb_replay_egis0570", "egis0570", 0x1c7a, 0x0570, None);
}

#[test]
fn usb_replay_elan_cobo() {
    replay("usb_replay_elan_cobo", "elan-cobo", 0x04f3, 0x0c26, None);
}

#[test]
fn usb_replay_aes2501() {
    replay("usb_replay_aes2501", "aes2501", 0x08ff, 0x2580, None);
}
