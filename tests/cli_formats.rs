//! End-to-end tests of `ridgegate info` and `ridgegate convert` through the real binary.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn ridgegate(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_ridgegate")).args(args).output().expect("run ridgegate")
}

fn shared() -> Option<PathBuf> {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared");
    if p.join("templates").is_dir() {
        Some(p)
    } else {
        println!("SKIP: ../shared not found; CLI format tests on sample files skipped");
        None
    }
}

fn text(o: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr))
}

#[test]
fn info_and_convert_on_generated_files() {
    let dir = tempfile::tempdir().unwrap();
    let xyt = dir.path().join("a.xyt");
    std::fs::write(&xyt, "10 20 90 50\n30 40 180 60\n").unwrap();
    let iso = dir.path().join("a.iso");
    let o = ridgegate(&["convert", xyt.to_str().unwrap(), iso.to_str().unwrap(), "--width", "300", "--height", "400"]);
    assert!(o.status.success(), "{}", text(&o));
    let o = ridgegate(&["info", iso.to_str().unwrap()]);
    assert!(o.status.success(), "{}", text(&o));
    assert!(
        text(&o).contains("ISO/IEC 19794-2:2005") && text(&o).contains("2 minutiae") && text(&o).contains("300x400"),
        "{}",
        text(&o)
    );
    let back = dir.path().join("b.xyt");
    assert!(ridgegate(&["convert", iso.to_str().unwrap(), back.to_str().unwrap()]).status.success());
    assert_eq!(std::fs::read_to_string(&back).unwrap(), "10 20 90 50\n30 40 180 60\n");
    let png = dir.path().join("f.png");
    let px: Vec<u8> = (0..200 * 150).map(|i| (i % 256) as u8).collect();
    std::fs::write(&png, ridgegate_core::FingerImage::new(200, 150, 500, px).unwrap().to_png()).unwrap();
    let o = ridgegate(&["info", png.to_str().unwrap(), "--dpi", "1000"]);
    assert!(text(&o).contains("200x150 px") && text(&o).contains("1000 dpi"), "{}", text(&o));
}

#[test]
fn bad_input_gives_a_message_and_non_zero_exit() {
    let dir = tempfile::tempdir().unwrap();
    let junk = dir.path().join("junk.bin");
    std::fs::write(&junk, b"definitely not a fingerprint").unwrap();
    let o = ridgegate(&["info", junk.to_str().unwrap()]);
    assert!(!o.status.success());
    assert!(text(&o).contains("neither a template nor a readable image"), "{}", text(&o));
    let o = ridgegate(&["info", dir.path().join("missing.iso").to_str().unwrap()]);
    assert!(!o.status.success());
    let o = ridgegate(&["convert", junk.to_str().unwrap(), dir.path().join("o.iso").to_str().unwrap()]);
    assert!(!o.status.success() && text(&o).contains("not a valid template"), "{}", text(&o));
    let o = ridgegate(&["convert", junk.to_str().unwrap(), dir.path().join("o.bin").to_str().unwrap()]);
    assert!(!o.status.success() && text(&o).contains("--to"), "{}", text(&o));
}

#[test]
fn info_and_convert_on_shared_samples() {
    let Some(shared) = shared() else { return };
    let dir = tempfile::tempdir().unwrap();
    let samples = shared.join("templates/iso-ansi-samples");
    for entry in std::fs::read_dir(&samples).unwrap() {
        let path = entry.unwrap().path();
        let o = ridgegate(&["info", path.to_str().unwrap()]);
        assert!(o.status.success(), "{}: {}", path.display(), text(&o));
        assert!(text(&o).contains("2 view(s)"), "{}", text(&o));
        for to in ["iso", "iso2011", "ansi", "ansi2009"] {
            let out = dir.path().join(format!("out.{to}"));
            let o = ridgegate(&["convert", path.to_str().unwrap(), out.to_str().unwrap(), "--to", to]);
            assert!(o.status.success(), "{}", text(&o));
            assert!(ridgegate(&["info", out.to_str().unwrap()]).status.success());
        }
    }
    let truncated = shared.join("templates/iso19794-2-fvc2002/invalid_truncated/101_1_truncate_1_byte.iso");
    let o = ridgegate(&["info", truncated.to_str().unwrap()]);
    assert!(!o.status.success() && text(&o).contains("truncated"), "{}", text(&o));
}
