//! The WSQ decoder against the reference material in ../shared/wsq: the SourceAFIS sample must
//! match its reference decoding within RMSE ≤ 1 grey level; every other file decodes; broken
//! files are typed errors. Prints a SKIP line and passes when ../shared is absent.

use ridgegate_core::FingerImage;
use ridgegate_core::wsq;
use std::path::{Path, PathBuf};

fn shared() -> Option<PathBuf> {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/wsq");
    if p.is_dir() {
        Some(p)
    } else {
        println!("SKIP: {} not found; WSQ reference tests skipped", p.display());
        None
    }
}

#[test]
fn sourceafis_sample_matches_reference_decoding() {
    let Some(dir) = shared() else { return };
    let bytes = std::fs::read(dir.join("sourceafis/wsq-original.wsq")).unwrap();
    let t0 = std::time::Instant::now();
    let img = wsq::decode(&bytes).unwrap();
    let elapsed = t0.elapsed();
    let reference = FingerImage::load(dir.join("sourceafis/wsq-converted.png"), None).unwrap();
    assert_eq!((img.width, img.height), (reference.width(), reference.height()));
    let mut sum = 0f64;
    let mut max = 0i32;
    for (a, b) in img.pixels.iter().zip(reference.pixels()) {
        let d = *a as i32 - *b as i32;
        sum += (d * d) as f64;
        max = max.max(d.abs());
    }
    let rmse = (sum / img.pixels.len() as f64).sqrt();
    println!("WSQ {}x{}: RMSE {rmse:.4}, max abs error {max}, decoded in {elapsed:?}", img.width, img.height);
    assert!(rmse <= 1.0, "RMSE {rmse} > 1 grey level");
}

#[test]
fn all_reference_files_decode() {
    let Some(dir) = shared() else { return };
    let mut n = 0;
    for sub in ["libbiomeval", "libbiomeval_type4_slaps", "sourceafis"] {
        for e in std::fs::read_dir(dir.join(sub)).unwrap() {
            let p = e.unwrap().path();
            if p.extension().is_some_and(|x| x == "wsq") {
                let img = wsq::decode(&std::fs::read(&p).unwrap()).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
                assert!(img.width >= 64 && img.height >= 64, "{}", p.display());
                let mean = img.pixels.iter().map(|&v| v as f64).sum::<f64>() / img.pixels.len() as f64;
                assert!((20.0..250.0).contains(&mean), "{}: implausible mean grey {mean}", p.display());
                n += 1;
            }
        }
    }
    assert!(n >= 6);
}

#[test]
fn truncated_and_corrupted_files_are_typed_errors() {
    let Some(dir) = shared() else { return };
    let bytes = std::fs::read(dir.join("libbiomeval/img.wsq")).unwrap();
    let step = (bytes.len() / 200).max(1);
    for len in (0..bytes.len() - 2).step_by(step) {
        assert!(wsq::decode(&bytes[..len]).is_err(), "a {len}-byte prefix decoded");
    }
    let mut seed = 0x1234_5678u32;
    for _ in 0..300 {
        let mut b = bytes.clone();
        for _ in 0..4 {
            seed ^= seed << 13;
            seed ^= seed >> 17;
            seed ^= seed << 5;
            let i = seed as usize % b.len();
            b[i] ^= (seed >> 24) as u8 | 1;
        }
        let _ = wsq::decode(&b); // must not panic
    }
}
