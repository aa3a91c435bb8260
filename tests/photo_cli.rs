//! End-to-end: `ridgegate photo check IN.jpg [--annotate out.png] [--json]` on synthetic portraits
//! and bad input (exit codes, messages, the annotated PNG).

use image::codecs::jpeg::{JpegEncoder, PixelDensity};
use image::{Rgb, RgbImage};
use std::path::Path;
use std::process::{Command, Output};

/// A 390 × 567 portrait: ellipse head 265 × 360 px (crown at y 50), neck, shoulders, on `bg`.
fn portrait(bg: [u8; 3]) -> RgbImage {
    let (a, b, cx, top) = (132.5f32, 180.0f32, 195.0f32, 50.0f32);
    RgbImage::from_fn(390, 567, |x, y| {
        let (fx, fy) = (x as f32 + 0.5, y as f32 + 0.5);
        let head = ((fx - cx) / a).powi(2) + ((fy - top - b) / b).powi(2) <= 1.0;
        let chin = top + 2.0 * b;
        let neck = fy >= chin - 0.3 * b && fy < chin + 40.0 && (fx - cx).abs() <= 0.4 * a;
        let shoulders = fy >= chin + 25.0 && (fx - cx).abs() <= 1.5 * a + (fy - chin - 25.0);
        Rgb(if head || neck {
            [225, 180, 150]
        } else if shoulders {
            [40, 40, 50]
        } else {
            bg
        })
    })
}

fn jpeg(img: &RgbImage, quality: u8) -> Vec<u8> {
    let mut out = Vec::new();
    let mut enc = JpegEncoder::new_with_quality(&mut out, quality);
    enc.set_pixel_density(PixelDensity::dpi(300));
    enc.encode_image(img).unwrap();
    out
}

fn run(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_ridgegate")).args(args).output().unwrap()
}

/// Left x of the head box from the table output ("head box: x L..R").
fn v_left(stdout: &str) -> u32 {
    let rest = &stdout[stdout.find("head box: x ").unwrap() + 12..];
    rest[..rest.find("..").unwrap()].parse().unwrap()
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

#[test]
fn conforming_photo_passes_and_is_annotated() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("ok.jpg");
    let bytes = jpeg(&portrait([60, 140, 220]), 40);
    assert!((7 * 1024..=14 * 1024).contains(&bytes.len()), "{} bytes", bytes.len());
    std::fs::write(&input, &bytes).unwrap();
    // The synthetic head is an ellipse, not a face: with the spec's rules it fails one_face.
    let o = run(&["photo", "check", input.to_str().unwrap()]);
    let stdout = text(&o.stdout);
    assert!(!o.status.success(), "{stdout}");
    assert!(stdout.contains("FAIL  one_face") && stdout.contains("no frontal face found"), "{stdout}");
    assert!(text(&o.stderr).contains("2 rule(s) failed"), "{}", text(&o.stderr));
    // With the face rules only warning, every geometric rule passes.
    let out_png = dir.path().join("annotated.png");
    let o = run(&[
        "photo",
        "check",
        input.to_str().unwrap(),
        "--no-face-required",
        "--annotate",
        out_png.to_str().unwrap(),
    ]);
    let stdout = text(&o.stdout);
    assert!(o.status.success(), "stdout {stdout}\nstderr {}", text(&o.stderr));
    assert!(stdout.contains("WARN  one_face") && stdout.contains("chin from: Outline"), "{stdout}");
    assert!(stdout.contains("photo passes"), "{stdout}");
    assert!(stdout.contains("PASS  head_width") && stdout.contains("PASS  one_head"), "{stdout}");
    assert!(stdout.contains("head box: x ") && stdout.contains("(length "), "{stdout}");
    let annotated = image::open(&out_png).unwrap().to_rgb8();
    assert_eq!(annotated.dimensions(), (390, 567));
    // The red box's left edge at mid-head height and the yellow crown line at the image border.
    let left = v_left(&stdout);
    assert_eq!(annotated.get_pixel(left, 230).0, [255, 32, 32]);
    assert_eq!(annotated.get_pixel(2, 50).0, [255, 230, 0]);
    // JSON report.
    let o = run(&["photo", "check", input.to_str().unwrap(), "--json", "--no-face-required"]);
    assert!(o.status.success());
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["passed"], true);
    assert_eq!(v["head_box"]["crown"], 50);
    // Drawn 265 × 360: the measured box is within 2 px (JPEG quality 40).
    let hb = &v["head_box"];
    let width = hb["right"].as_i64().unwrap() + 1 - hb["left"].as_i64().unwrap();
    let length = hb["chin"].as_i64().unwrap() + 1 - hb["crown"].as_i64().unwrap();
    assert!((width - 265).abs() <= 2 && (length - 360).abs() <= 2, "{hb}");
}

#[test]
fn violating_photo_fails_with_every_reason() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("white.jpg");
    std::fs::write(&input, jpeg(&portrait([245, 245, 245]), 95)).unwrap();
    let o = run(&["photo", "check", input.to_str().unwrap(), "--no-face-required"]);
    assert!(!o.status.success());
    let (stdout, stderr) = (text(&o.stdout), text(&o.stderr));
    assert!(stdout.contains("FAIL  background_blue"), "{stdout}");
    assert!(stdout.contains("WARN  file_size"), "{stdout}");
    assert!(stderr.contains("photo fails the degree-photo spec (1 rule(s) failed"), "{stderr}");
}

#[test]
fn bad_input_gets_a_clear_error_not_a_panic() {
    let dir = tempfile::tempdir().unwrap();
    let cases: [(&str, Vec<u8>, &str); 3] = [
        ("png.jpg", b"\x89PNG\r\n\x1a\n0000".to_vec(), "not a JPEG"),
        ("truncated.jpg", jpeg(&portrait([60, 140, 220]), 40)[..300].to_vec(), "could not be decoded"),
        ("empty.jpg", Vec::new(), "not a JPEG"),
    ];
    for (name, bytes, want) in cases {
        let p = dir.path().join(name);
        std::fs::write(&p, bytes).unwrap();
        let o = run(&["photo", "check", p.to_str().unwrap()]);
        let stderr = text(&o.stderr);
        assert!(!o.status.success(), "{name}");
        assert!(stderr.contains(want) && !stderr.contains("panicked"), "{name}: {stderr}");
    }
    let o = run(&["photo", "check", Path::new("/nonexistent/x.jpg").to_str().unwrap()]);
    assert!(!o.status.success() && text(&o.stderr).contains("cannot read"));
}
