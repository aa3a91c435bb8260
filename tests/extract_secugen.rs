//! Extraction agreement with an independent commercial extractor (SKIP when ../shared is absent):
//! our minutiae on FVC2002 DB1–DB4 B against SecuGen's ISO 19794-2 templates of the same images
//! (`../shared/templates/iso19794-2-fvc2002/<set>/<finger>_<impression>.iso`).
//!
//! This measures the extractor without the matcher in the loop, so a change that makes minutiae
//! worse is caught even when matcher scores happen not to move on 280 genuine pairs per set.
//!
//! **SecuGen's frame.** Every SecuGen template declares a 300×400 px image at 500 dpi whatever the
//! size of the FVC image (388×374, 296×560, 300×300, 288×384): SecuGen extracted from the image
//! *resized* to 300×400 (anisotropically). A search over per-axis scale and offset confirms it:
//! positions agree best near x·300/W, y·400/H without offset, while under any plain shift or crop
//! fewer than 20 % of the minutiae agree. Our minutiae are mapped into that frame — positions scaled, directions transformed by
//! the same scaling — before comparing. (Without the mapping about a third of SecuGen's FVC2002
//! DB1 minutiae seem to have one of ours near them; with it, about 87 %.)
//!
//! Agreement: a SecuGen minutia is *found* when one of ours lies within [`TOLERANCE_PX`] px (in
//! SecuGen's frame) and [`TOLERANCE_DEG`]° of direction (type ignored: an ending and a bifurcation
//! are the same ridge event seen under different pressure). Recall = found / SecuGen's; precision
//! = ours near one of SecuGen's / ours. Neither extractor is ground truth: the bounds below are
//! regression floors a few points under what the current extractor measures (printed by the test), not
//! targets — raise them when the extractor improves.

use rayon::prelude::*;
use ridgegate_core::codecs::decode_iso2005;
use ridgegate_core::{FingerImage, Minutia};
use std::f32::consts::TAU;
use std::path::PathBuf;

/// Position tolerance in SecuGen's frame, px (≈ one ridge period).
const TOLERANCE_PX: f32 = 10.0;
/// Direction tolerance, degrees.
const TOLERANCE_DEG: f32 = 40.0;

/// (set, dpi, least recall, least precision). Extractor v7 measures 0.87/0.80, 0.87/0.83, 0.73/0.64,
/// 0.88/0.87 (v5: 0.87/0.78, 0.87/0.81, 0.71/0.57, 0.89/0.86). FVC2002 DB3 (small capacitive
/// sensor, many dry and dotted prints) is the hardest.
const SETS: [(&str, u16, f64, f64); 4] = [
    ("fvc2002_db1_b", 500, 0.82, 0.75),
    ("fvc2002_db2_b", 569, 0.82, 0.78),
    ("fvc2002_db3_b", 500, 0.68, 0.58),
    ("fvc2002_db4_b", 500, 0.83, 0.82),
];

fn shared() -> Option<PathBuf> {
    // ../shared relative to the workspace root; RIDGEGATE_SHARED overrides it (e.g. from a worktree).
    let p = std::env::var_os("RIDGEGATE_SHARED")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared"));
    let ok = p.join("fingerprints").is_dir() && p.join("templates/iso19794-2-fvc2002").is_dir();
    if !ok {
        println!("SKIP: {} has no FVC images or SecuGen templates; agreement test skipped", p.display());
    }
    ok.then_some(p)
}

/// `m` (in an image of `w`×`h` px) mapped into a frame of `fw`×`fh` px by scaling each axis.
fn to_frame(m: &Minutia, w: f32, h: f32, fw: f32, fh: f32) -> (f32, f32, f32) {
    let (sx, sy) = (fw / w, fh / h);
    // ISO angle: counter-clockwise as seen, y down; scale the on-screen direction vector.
    let angle = (sy * m.angle.sin()).atan2(sx * m.angle.cos()).rem_euclid(TAU);
    ((m.x as f32 + 0.5) * sx - 0.5, (m.y as f32 + 0.5) * sy - 0.5, angle)
}

fn near(a: (f32, f32, f32), b: (f32, f32, f32)) -> bool {
    let (dx, dy) = (a.0 - b.0, a.1 - b.1);
    let d = (a.2 - b.2).rem_euclid(TAU);
    dx * dx + dy * dy <= TOLERANCE_PX * TOLERANCE_PX && d.min(TAU - d) <= TOLERANCE_DEG.to_radians()
}

#[test]
fn minutiae_agree_with_secugen_on_fvc2002() {
    let Some(root) = shared() else { return };
    let mut failures = Vec::new();
    for (set, dpi, least_recall, least_precision) in SETS {
        let counts: Vec<(usize, usize, usize, usize)> = (0..80)
            .into_par_iter()
            .map(|i| {
                let name = format!("{}_{}", 101 + i / 8, 1 + i % 8);
                let img_path = root.join("fingerprints").join(set).join(format!("{name}.tif"));
                let iso_path = root.join("templates/iso19794-2-fvc2002").join(set).join(format!("{name}.iso"));
                let img = FingerImage::load(&img_path, Some(dpi)).unwrap();
                let bytes = std::fs::read(&iso_path).unwrap();
                let theirs = decode_iso2005(&bytes).unwrap().remove(0);
                let ours = ridgegate_extract::extract(&img).unwrap().template;
                let (w, h) = (img.width() as f32, img.height() as f32);
                let (fw, fh) = (theirs.width as f32, theirs.height as f32);
                let ours: Vec<_> = ours.minutiae.iter().map(|m| to_frame(m, w, h, fw, fh)).collect();
                let theirs: Vec<_> = theirs.minutiae.iter().map(|m| to_frame(m, fw, fh, fw, fh)).collect();
                let found = theirs.iter().filter(|&&t| ours.iter().any(|&o| near(t, o))).count();
                let backed = ours.iter().filter(|&&o| theirs.iter().any(|&t| near(t, o))).count();
                (theirs.len(), found, ours.len(), backed)
            })
            .collect();
        let sum = |f: fn(&(usize, usize, usize, usize)) -> usize| counts.iter().map(f).sum::<usize>() as f64;
        let (theirs, found, ours, backed) = (sum(|c| c.0), sum(|c| c.1), sum(|c| c.2), sum(|c| c.3));
        let (recall, precision) = (found / theirs, backed / ours);
        println!(
            "{set}: SecuGen {:.1} minutiae/image, ours {:.1}; recall {recall:.3} (floor {least_recall}), precision {precision:.3} (floor {least_precision})",
            theirs / 80.0,
            ours / 80.0
        );
        if recall < least_recall || precision < least_precision {
            failures.push(format!("{set}: recall {recall:.3} precision {precision:.3}"));
        }
    }
    assert!(failures.is_empty(), "agreement with SecuGen below its floor: {failures:?}");
}

#[test]
fn frame_mapping_scales_positions_and_directions() {
    let m = Minutia::new(100, 50, std::f32::consts::FRAC_PI_4, ridgegate_core::MinutiaKind::Ending, 50);
    // Doubling the width: x doubles, a 45° direction flattens to atan(1/2).
    let (x, y, a) = to_frame(&m, 200.0, 100.0, 400.0, 100.0);
    assert!((x - 200.5).abs() < 1e-4 && (y - 50.0).abs() < 1e-4, "{x} {y}");
    assert!((a - 0.5f32.atan()).abs() < 1e-5, "{a}");
    // The identity frame changes nothing but the half-pixel convention.
    let (x, y, a) = to_frame(&m, 200.0, 100.0, 200.0, 100.0);
    assert!((x - 100.0).abs() < 1e-4 && (y - 50.0).abs() < 1e-4 && (a - m.angle).abs() < 1e-6);
    assert!(near((0.0, 0.0, 0.1), (6.0, 8.0, TAU - 0.5)));
    assert!(!near((0.0, 0.0, 0.1), (6.0, 8.1, 0.1)));
}
