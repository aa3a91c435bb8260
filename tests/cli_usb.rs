//! End-to-end CLI tests of the USB scanner path: `ridgegate devices` and `ridgegate scan` run as
//! processes under `umockdev-run`, replaying a real U.are.U 4500's recorded traffic
//! (../shared/usb-recordings/uru4000-4500); the written PNG must equal the reference image.
//! Without ../shared or umockdev they print `SKIP:` and pass. The bad-selector test needs neither.

use std::path::{Path, PathBuf};
use std::process::Command;

use ridgegate_core::FingerImage;

fn recording() -> Option<PathBuf> {
    let shared = std::env::var_os("RIDGEGATE_SHARED")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared"));
    let dir = shared.join("usb-recordings/uru4000-4500");
    dir.is_dir().then_some(dir)
}

fn umockdev_run() -> Option<PathBuf> {
    std::env::var_os("PATH")?.to_str()?.split(':').map(|d| Path::new(d).join("umockdev-run")).find(|p| p.is_file())
}

fn under_replay(args: &[&str]) -> Option<std::process::Output> {
    let (Some(dir), Some(umockdev)) = (recording(), umockdev_run()) else {
        println!("SKIP: umockdev-run or ../shared/usb-recordings missing");
        return None;
    };
    let device = dir.join("device");
    let text = std::fs::read_to_string(&device).unwrap();
    let sys = text.lines().next().and_then(|l| l.strip_prefix("P: ")).unwrap().to_string();
    let out = Command::new(umockdev)
        .arg("-d")
        .arg(&device)
        .arg("-p")
        .arg(format!("/sys{sys}={}", dir.join("capture.pcapng").display()))
        .arg("--")
        .arg(env!("CARGO_BIN_EXE_ridgegate"))
        .args(args)
        .output()
        .unwrap();
    Some(out)
}

#[test]
fn devices_lists_the_replayed_scanner() {
    let Some(out) = under_replay(&["devices", "--quiet"]) else { return };
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}\n{}", String::from_utf8_lossy(&out.stderr));
    assert!(stdout.lines().any(|l| l.starts_with("usb:05ba:000a@")), "{stdout}");
}

#[test]
fn scan_writes_the_reference_image_pixel_for_pixel() {
    let tmp = tempfile::tempdir().unwrap();
    let png = tmp.path().join("finger.png");
    let Some(out) =
        under_replay(&["scan", "--device", "usb:05ba:000a", "--seed", "51EA2124", "--out", png.to_str().unwrap()])
    else {
        return;
    };
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let got = FingerImage::load(&png, None).unwrap();
    let want = FingerImage::load(recording().unwrap().join("capture.png"), None).unwrap();
    assert_eq!((got.width(), got.height()), (want.width(), want.height()));
    let differ = got.pixels().iter().zip(want.pixels()).filter(|(a, b)| a != b).count();
    assert_eq!(differ, 0, "{differ} pixels differ from capture.png");
}

#[test]
fn scan_rejects_unsupported_usb_ids_with_a_clear_error() {
    let out = Command::new(env!("CARGO_BIN_EXE_ridgegate"))
        .args(["scan", "--device", "usb:ffff:0001", "--out", "/nonexistent/x.png"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("ffff:0001") && stderr.contains("not in any driver's ID table"), "{stderr}");
    let out = Command::new(env!("CARGO_BIN_EXE_ridgegate"))
        .args(["scan", "--device", "usb:05ba", "--out", "/nonexistent/x.png"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("VID:PID"));
}

#[test]
fn devices_supported_lists_every_usb_id_table() {
    let out = Command::new(env!("CARGO_BIN_EXE_ridgegate")).args(["devices", "--supported"]).output().unwrap();
    assert!(out.status.success());
    let stdout = String::from_utf8_lossy(&out.stdout);
    for needle in ["usb:05ba:000a", "usb:045e:00ca", "usb:08ff:5731", "usb:147e:2016", "usb:04f3:0c26", "usb:1c7a:0570"]
    {
        assert!(stdout.contains(needle), "{needle} missing:\n{stdout}");
    }
}
