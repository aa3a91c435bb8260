//! `ridgegate extract` through the real binary: outputs, dumps, and bad input.

use std::process::{Command, Output};

fn ridgegate(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_ridgegate")).args(args).output().expect("run ridgegate")
}

fn text(o: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr))
}

fn write_png(path: &std::path::Path, w: u32, h: u32, f: impl Fn(u32, u32) -> u8) {
    let px = (0..w * h).map(|i| f(i % w, i / w)).collect();
    let img = ridgegate_core::FingerImage::new(w, h, 500, px).unwrap();
    std::fs::write(path, img.to_png()).unwrap();
}

/// A square PNG of concentric ridges (period 9 px) filling a disc of `0.43 · side` radius.
fn write_ring_png(path: &std::path::Path, side: u32) {
    let (c, radius) = (side as f32 / 2.0, 0.43 * side as f32);
    write_png(path, side, side, |x, y| {
        let r = (x as f32 - c).hypot(y as f32 - c);
        if r < radius { (128.0 + 90.0 * (r * std::f32::consts::TAU / 9.0).cos()) as u8 } else { 235 }
    });
}

#[test]
fn extracts_a_synthetic_print_with_dumps_and_formats() {
    let dir = tempfile::tempdir().unwrap();
    let img = dir.path().join("ring.png");
    write_ring_png(&img, 300);
    let out = dir.path().join("out");
    let dump = dir.path().join("dump");
    let o = ridgegate(&[
        "extract",
        img.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--format",
        "iso",
        "--dump",
        dump.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", text(&o));
    let o2 = ridgegate(&["info", out.join("ring.ist").to_str().unwrap()]);
    assert!(text(&o2).contains("ISO/IEC 19794-2:2005"), "{}", text(&o2));
    let dumped = std::fs::read_dir(&dump).unwrap().count();
    assert_eq!(dumped, 11, "one PNG per stage");
}

#[test]
fn an_existing_template_is_not_replaced_without_force() {
    let dir = tempfile::tempdir().unwrap();
    let img = dir.path().join("ring.png");
    write_ring_png(&img, 240);
    let existing = dir.path().join("ring.xyt");
    std::fs::write(&existing, b"precious").unwrap();
    // Default output folder is next to the image, where a template of that name already is.
    let o = ridgegate(&["extract", img.to_str().unwrap(), "--format", "xyt"]);
    assert!(!o.status.success(), "{}", text(&o));
    assert!(text(&o).contains("already exists") && text(&o).contains("--force"), "{}", text(&o));
    assert_eq!(std::fs::read(&existing).unwrap(), b"precious", "the existing file is untouched");

    let o = ridgegate(&["extract", img.to_str().unwrap(), "--format", "xyt", "--force"]);
    assert!(o.status.success(), "{}", text(&o));
    assert_ne!(std::fs::read(&existing).unwrap(), b"precious", "--force replaces it");
}

#[test]
fn bad_input_is_reported_with_non_zero_exit() {
    let dir = tempfile::tempdir().unwrap();
    let corrupt = dir.path().join("corrupt.png");
    std::fs::write(&corrupt, b"\x89PNG\r\n\x1a\nthis is not really a png").unwrap();
    let o = ridgegate(&["extract", corrupt.to_str().unwrap(), "--out", dir.path().to_str().unwrap()]);
    assert!(!o.status.success());
    assert!(text(&o).contains("corrupt.png: error"), "{}", text(&o));

    let blank = dir.path().join("blank.png");
    write_png(&blank, 200, 200, |_, _| 200);
    let o = ridgegate(&["extract", blank.to_str().unwrap(), "--out", dir.path().to_str().unwrap()]);
    assert!(o.status.success(), "a blank image is a quality-0 result, not an error: {}", text(&o));
    assert!(text(&o).contains("quality 0") && text(&o).contains("no fingerprint area"), "{}", text(&o));

    let o = ridgegate(&["extract", blank.to_str().unwrap(), "--format", "jpeg2000"]);
    assert!(!o.status.success() && text(&o).contains("unknown format"), "{}", text(&o));
}
