#![allow(missing_docs)] // criterion_group! generates an undocumented function
//! Cost of one degree-photo check (decode, segmentation, face detection, chin, pose, rules) on a
//! 390 × 567 JPEG: `cargo bench -p ridgegate-photo --bench check`. The synthetic portrait has no
//! face (the detector scans the whole pyramid and finds nothing); the real one is skimage's
//! astronaut.png (Debian python3-skimage) resized onto the canvas, benchmarked when installed.

use criterion::{Criterion, criterion_group, criterion_main};
use image::codecs::jpeg::{JpegEncoder, PixelDensity};
use image::{Rgb, RgbImage};
use ridgegate_photo::{PhotoRules, check};

const ASTRONAUT: &str = "/usr/lib/python3/dist-packages/skimage/data/astronaut.png";

fn jpeg(img: &RgbImage) -> Vec<u8> {
    let mut out = Vec::new();
    let mut enc = JpegEncoder::new_with_quality(&mut out, 60);
    enc.set_pixel_density(PixelDensity::dpi(300));
    enc.encode_image(img).unwrap();
    out
}

/// Ellipse head 265 × 360 px with neck and shoulders on blue, like the unit tests' synthetic photo.
fn synthetic() -> RgbImage {
    let (a, b, cx, top) = (132.5f32, 180.0f32, 195.0f32, 50.0f32);
    RgbImage::from_fn(390, 567, |x, y| {
        let (fx, fy) = (x as f32 + 0.5, y as f32 + 0.5);
        let head = ((fx - cx) / a).powi(2) + ((fy - top - b) / b).powi(2) <= 1.0;
        let shoulders = fy >= top + 2.0 * b + 25.0 && (fx - cx).abs() <= 1.5 * a + (fy - top - 2.0 * b - 25.0);
        Rgb(if head {
            [225, 180, 150]
        } else if shoulders {
            [40, 40, 50]
        } else {
            [60, 140, 220]
        })
    })
}

fn bench(c: &mut Criterion) {
    let rules = PhotoRules::default();
    let synth = jpeg(&synthetic());
    c.bench_function("photo_check_synthetic_390x567", |b| b.iter(|| check(&synth, &rules).unwrap()));
    match image::open(ASTRONAUT) {
        Ok(img) => {
            let real = jpeg(&image::imageops::resize(&img.to_rgb8(), 390, 567, image::imageops::FilterType::Triangle));
            c.bench_function("photo_check_real_390x567", |b| b.iter(|| check(&real, &rules).unwrap()));
        }
        Err(_) => println!("SKIP: {ASTRONAUT} not installed (apt-get install python3-skimage)"),
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
