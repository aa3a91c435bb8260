//! End-to-end: `ridgegate simulate r30x` on a pty, `ridgegate scan --device serial:PATH`,
//! `ridgegate scan --device virtual[:DIR]` and `ridgegate devices`.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_ridgegate"))
}

fn tmp(name: &str) -> PathBuf {
    std::env::temp_dir().join(format!("ridgegate-serial-cli-{}-{name}", std::process::id()))
}

/// Starts the simulator and returns it with the pty path it printed.
fn simulator(extra: &[&str]) -> (Child, String) {
    let mut child = bin()
        .args(["simulate", "r30x", "--duration", "60"])
        .args(extra)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
    let path = line.trim().to_string();
    assert!(path.starts_with("/dev/"), "simulator printed {line:?}");
    (child, path)
}

fn png_size(path: &PathBuf) -> (u32, u32) {
    let img = ridgegate_core::FingerImage::load(path, None).unwrap();
    (img.width(), img.height())
}

#[test]
fn scan_from_the_simulated_serial_module_at_both_baud_rates() {
    let (mut sim, path) = simulator(&[]);
    for baud in ["57600", "115200"] {
        let out = tmp(&format!("serial-{baud}.png"));
        let st =
            bin().args(["scan", "--device", &format!("serial:{path}@{baud}"), "--out"]).arg(&out).status().unwrap();
        assert!(st.success());
        assert_eq!(png_size(&out), (256, 288));
        let _ = std::fs::remove_file(out);
    }
    sim.kill().unwrap();
    let _ = sim.wait();
}

#[test]
fn scan_retries_then_fails_cleanly_when_no_finger_comes() {
    let (mut sim, path) = simulator(&["--no-finger"]);
    let out = tmp("nofinger.png");
    let o = bin()
        .args(["scan", "--device", &format!("serial:{path}"), "--timeout", "0.2", "--attempts", "2", "--out"])
        .arg(&out)
        .output()
        .unwrap();
    assert!(!o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("place a finger on the sensor") && err.contains("no usable image after 2 attempts"), "{err}");
    assert!(!out.exists());
    sim.kill().unwrap();
    let _ = sim.wait();
}

#[test]
fn scan_virtual_and_bad_selectors() {
    let out = tmp("virtual.png");
    assert!(bin().args(["scan", "--device", "virtual:synth:5", "--out"]).arg(&out).status().unwrap().success());
    assert_eq!(png_size(&out), (300, 400));
    let _ = std::fs::remove_file(&out);
    for bad in ["nonsense", "serial:/dev/does-not-exist", "serial:/dev/ttyS0@1234", "virtual:/no/such/dir"] {
        let o = bin().args(["scan", "--device", bad, "--out"]).arg(&out).output().unwrap();
        assert!(!o.status.success(), "{bad}");
        assert!(String::from_utf8_lossy(&o.stderr).starts_with("error: "), "{bad}");
    }
}

#[test]
fn devices_lists_every_driver() {
    let o = bin().arg("devices").output().unwrap();
    assert!(o.status.success());
    let text = String::from_utf8_lossy(&o.stdout);
    for d in ridgegate_capture::DRIVERS {
        assert!(text.contains(&format!("{}: ", d.name)), "{} missing from:\n{text}", d.name);
    }
    assert!(text.contains("  virtual  "), "{text}");
    let o = bin().args(["devices", "--quiet"]).output().unwrap();
    assert!(String::from_utf8_lossy(&o.stdout).lines().any(|l| l == "virtual"));
}

#[test]
fn simulator_serves_a_folder_of_real_images() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/fingerprints/fvc2002_db1_b");
    if !dir.is_dir() {
        println!("SKIP: {} not present", dir.display());
        return;
    }
    let (mut sim, path) = simulator(&["--images", dir.to_str().unwrap(), "--dpi", "500"]);
    let out = tmp("fvc.png");
    assert!(bin().args(["scan", "--device", &format!("serial:{path}"), "--out"]).arg(&out).status().unwrap().success());
    assert_eq!(png_size(&out), (256, 288));
    let _ = std::fs::remove_file(out);
    sim.kill().unwrap();
    let _ = sim.wait();
}
