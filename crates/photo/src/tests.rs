//! Synthetic photos: blue background, ellipse head, neck, shoulders; every rule and its boundaries.

use super::*;
use image::codecs::jpeg::{JpegEncoder, PixelDensity};
use proptest::prelude::*;

/// Synthetic portrait: head ellipse of `hw` × `hl` px (full axes), crown at `top`, centred at `cx`.
pub(crate) struct Synth {
    pub w: u32,
    pub h: u32,
    pub hw: u32,
    pub hl: u32,
    pub top: u32,
    pub cx: f32,
    pub bg: [u8; 3],
    pub grey: bool,
}

impl Default for Synth {
    fn default() -> Self {
        Synth { w: 390, h: 567, hw: 265, hl: 360, top: 50, cx: 195.0, bg: [60, 140, 220], grey: false }
    }
}

impl Synth {
    fn image(&self) -> RgbImage {
        let (a, b) = (self.hw as f32 / 2.0, self.hl as f32 / 2.0);
        let cy = self.top as f32 + b;
        let chin = self.top as f32 + self.hl as f32;
        RgbImage::from_fn(self.w, self.h, |x, y| {
            let (fx, fy) = (x as f32 + 0.5, y as f32 + 0.5);
            let head = ((fx - self.cx) / a).powi(2) + ((fy - cy) / b).powi(2) <= 1.0;
            let neck = fy >= chin - 0.3 * b && fy < chin + 40.0 && (fx - self.cx).abs() <= 0.4 * a;
            let shoulders = fy >= chin + 25.0 && (fx - self.cx).abs() <= 1.5 * a + (fy - chin - 25.0);
            let c = if head || neck {
                [225, 180, 150]
            } else if shoulders {
                [40, 40, 50]
            } else {
                self.bg
            };
            if self.grey {
                let g = ((c[0] as u32 + c[1] as u32 + c[2] as u32) / 3) as u8;
                image::Rgb([g, g, g])
            } else {
                image::Rgb(c)
            }
        })
    }

    pub fn jpeg(&self, dpi: Option<u16>) -> Vec<u8> {
        let mut out = Vec::new();
        let mut enc = JpegEncoder::new_with_quality(&mut out, 90);
        if let Some(d) = dpi {
            enc.set_pixel_density(PixelDensity::dpi(d));
        }
        if self.grey {
            let g = image::DynamicImage::ImageRgb8(self.image()).to_luma8();
            enc.encode_image(&g).unwrap();
        } else {
            enc.encode_image(&self.image()).unwrap();
        }
        out
    }
}

fn loose() -> PhotoRules {
    PhotoRules { size_pass: (0, usize::MAX), size_warn: (0, usize::MAX), ..PhotoRules::default() }
}

fn verdict(r: &PhotoReport, name: &str) -> Verdict {
    r.rule(name).unwrap().verdict
}

#[test]
fn conforming_photo_passes_every_rule() {
    let r = check(&Synth::default().jpeg(Some(300)), &loose()).unwrap();
    assert!(r.passed, "{:#?}", r.rules);
    let b = r.head_box.unwrap();
    assert!((b.width() as i32 - 265).abs() <= 2 && (b.length() as i32 - 360).abs() <= 3, "{b:?}");
}

#[test]
fn head_size_boundaries() {
    // Measurement error on this set is <= 2 px (see head_measurement_accuracy), so boundaries are
    // tested 3 px inside and outside.
    for (hw, hl, ok_w, ok_l) in [
        (251, 360, true, true),
        (245, 360, false, true),
        (280, 360, true, true),
        (286, 360, false, true),
        (265, 334, true, true),
        (265, 328, true, false),
        (265, 387, true, true),
        (265, 394, true, false),
    ] {
        let s = Synth { hw, hl, top: 40, ..Synth::default() };
        let r = check(&s.jpeg(Some(300)), &loose()).unwrap();
        assert_eq!(verdict(&r, "head_width") == Verdict::Pass, ok_w, "hw {hw} {:?}", r.head_box);
        assert_eq!(verdict(&r, "head_length") == Verdict::Pass, ok_l, "hl {hl} {:?}", r.head_box);
    }
}

/// Prints the accuracy figure quoted in the report: max |error| over a grid of sizes.
#[test]
fn head_measurement_accuracy() {
    let (mut ew, mut el, mut n) = (0i32, 0i32, 0);
    for hw in (230..=300).step_by(10) {
        for hl in (310..=410).step_by(10) {
            let s = Synth { hw, hl, top: 30, cx: 195.0 + (hw % 7) as f32, ..Synth::default() };
            let r = check(&s.jpeg(Some(300)), &loose()).unwrap();
            let b = r.head_box.expect("head found");
            ew = ew.max((b.width() as i32 - hw as i32).abs());
            el = el.max((b.length() as i32 - hl as i32).abs());
            n += 1;
        }
    }
    println!("head measurement over {n} synthetic photos: max |width error| {ew} px, max |length error| {el} px");
    assert!(ew <= 2 && el <= 2, "width err {ew}, length err {el}");
}

#[test]
fn dimensions_rule_reads_width_then_height() {
    let s = Synth { w: 567, h: 390, hl: 300, top: 20, cx: 283.0, ..Synth::default() };
    let r = check(&s.jpeg(Some(300)), &loose()).unwrap();
    assert_eq!(verdict(&r, "dimensions"), Verdict::Fail);
    assert_eq!(r.rule("dimensions").unwrap().measured, "567 wide x 390 high px");
}

#[test]
fn density_rule() {
    for (dpi, ok) in [(Some(300), true), (Some(72), false), (None, false)] {
        let r = check(&Synth::default().jpeg(dpi), &loose()).unwrap();
        assert_eq!(verdict(&r, "density_dpi") == Verdict::Pass, ok, "{dpi:?}");
    }
}

#[test]
fn greyscale_fails_depth_and_colour() {
    let r = check(&Synth { grey: true, ..Synth::default() }.jpeg(Some(300)), &loose()).unwrap();
    assert_eq!(verdict(&r, "colour_depth"), Verdict::Fail);
    assert_eq!(verdict(&r, "not_greyscale"), Verdict::Fail);
    assert_eq!(verdict(&r, "background_blue"), Verdict::Fail);
    assert!(!r.passed);
}

#[test]
fn background_colour_rules() {
    let white = check(&Synth { bg: [245, 245, 245], ..Synth::default() }.jpeg(Some(300)), &loose()).unwrap();
    assert_eq!(verdict(&white, "background_blue"), Verdict::Fail);
    let red = check(&Synth { bg: [200, 30, 30], ..Synth::default() }.jpeg(Some(300)), &loose()).unwrap();
    assert_eq!(verdict(&red, "background_blue"), Verdict::Fail);
}

#[test]
fn off_centre_head_fails() {
    let r = check(&Synth { cx: 240.0, hw: 250, ..Synth::default() }.jpeg(Some(300)), &loose()).unwrap();
    assert_eq!(verdict(&r, "single_centred_head"), Verdict::Fail);
}

#[test]
fn file_size_pass_warn_fail() {
    let rules = PhotoRules::default();
    assert_eq!(size_verdict(10 * 1024, &rules), Verdict::Pass);
    assert_eq!(size_verdict(rules.size_pass.0, &rules), Verdict::Pass);
    assert_eq!(size_verdict(rules.size_pass.0 - 1, &rules), Verdict::Warn);
    assert_eq!(size_verdict(rules.size_warn.1, &rules), Verdict::Warn);
    assert_eq!(size_verdict(rules.size_warn.1 + 1, &rules), Verdict::Fail);
    assert_eq!(size_verdict(100, &rules), Verdict::Fail);
}

#[test]
fn no_head_is_reported_not_panicked() {
    let r = check(&Synth { hw: 0, hl: 0, top: 600, ..Synth::default() }.jpeg(Some(300)), &loose()).unwrap();
    assert_eq!(verdict(&r, "head_width"), Verdict::Fail);
    assert!(r.rule("head_width").unwrap().measured.contains("not found"));
}

#[test]
fn report_serialises_and_annotation_draws_box() {
    let jpeg = Synth::default().jpeg(Some(300));
    let r = check(&jpeg, &loose()).unwrap();
    let json = serde_json::to_string(&r).unwrap();
    assert!(json.contains("\"head_width\"") && json.contains("\"pass\""));
    let img = annotate(&jpeg, &r).unwrap();
    let b = r.head_box.unwrap();
    assert_eq!(img.get_pixel(b.left, (b.crown + b.chin) / 2).0, params::BOX_COLOUR);
}

#[test]
fn bad_inputs_are_typed_errors() {
    assert!(matches!(check(b"", &PhotoRules::default()), Err(PhotoError::NotJpeg)));
    assert!(matches!(check(b"\x89PNG....", &PhotoRules::default()), Err(PhotoError::NotJpeg)));
    let jpeg = Synth::default().jpeg(Some(300));
    assert!(check(&jpeg[..40], &PhotoRules::default()).is_err());
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]
    #[test]
    fn arbitrary_bytes_never_panic(mut bytes in proptest::collection::vec(any::<u8>(), 0..600), jpeg in any::<bool>()) {
        if jpeg && bytes.len() >= 2 { bytes[0] = 0xFF; bytes[1] = 0xD8; }
        let _ = check(&bytes, &PhotoRules::default());
    }

    #[test]
    fn mutated_jpeg_never_panics(pos in 0usize..4000, val in any::<u8>(), cut in 0usize..8000) {
        let mut jpeg = Synth { w: 60, h: 80, hw: 30, hl: 40, top: 5, cx: 30.0, ..Synth::default() }.jpeg(Some(300));
        if pos < jpeg.len() { jpeg[pos] = val; }
        jpeg.truncate(cut.max(2));
        let _ = check(&jpeg, &PhotoRules::default());
    }
}
