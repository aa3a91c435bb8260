//! Synthetic fingerprints in the spirit of SFinGe (Cappelli, Maio, Maltoni).
//!
//! * Images: [`master_fingerprint`] grows a whole-finger ridge pattern from a class-dependent
//!   orientation model with singular points (arch, tented arch, left/right loop, whorl) and a
//!   ridge-period map by iterated contextual Gabor filtering from random seeds;
//!   [`impression_with`] renders one 8-bit, 500-dpi sensor impression of it with displacement,
//!   rotation, elastic distortion, pressure/dryness, partial contact, a ridge-level perturbation,
//!   background and noise, drawn from an [`SynthModel`]: `REALISTIC` (fitted so that the
//!   matcher's genuine/impostor scores come close to the real FVC sensor sets, see
//!   `ridgegate realism`) or `CONTROLLED` (cooperative user; what [`impression`] and
//!   [`finger_impressions`] use, for functional tests). [`finger_impressions_with`] does master and
//!   impressions for one finger; everything is deterministic from `(seed, finger, impression)`,
//!   so fingers can be generated in parallel in any order.
//! * Templates: [`synthetic_templates`] produces genuine-like families of minutiae templates
//!   directly (no images), with minutiae statistics fitted to real extraction output
//!   ([`params::REAL_COUNT`] …, checked by [`MinutiaeStats`]), for 1:N benchmarks at 10^6 scale.
//!
//! File names follow the FVC convention `<finger>_<impression>.png`, 1-based: [`fvc_name`].

pub mod impression;
pub mod master;
pub mod orientation;
pub mod params;
pub mod rng;
pub mod stats;
pub mod templates;

pub use impression::{Acquisition, SynthModel};
pub use master::Master;
pub use orientation::{FingerClass, RidgeModel};
pub use stats::MinutiaeStats;
pub use templates::{
    SyntheticTemplate, TemplateModel, finger_templates, finger_templates_with, synthetic_templates,
    synthetic_templates_with,
};

use params::{DPI, MASTER_MARGIN, MAX_IMPRESSIONS, MAX_SIDE, MIN_SIDE};
use ridgegate_core::{FingerImage, ImageError};
use rng::Rng;

/// Stream tag of master draws.
const TAG_MASTER: u64 = 0x6d61_7374;
/// Stream tag of impression draws.
const TAG_IMPRESSION: u64 = 0x696d_7072;

/// Errors of the image generator.
#[derive(Debug, thiserror::Error)]
pub enum SynthError {
    /// The requested impression size is outside the supported range.
    #[error(
        "impression size {width}x{height} is outside {min}..={max} pixels per side; choose a size in range (default 300x400)"
    )]
    BadSize {
        /// Requested width.
        width: u32,
        /// Requested height.
        height: u32,
        /// Smallest side.
        min: u32,
        /// Largest side.
        max: u32,
    },
    /// Too many impressions requested for one finger.
    #[error("{got} impressions per finger requested, at most {max} are supported; generate more fingers instead")]
    TooManyImpressions {
        /// Requested count.
        got: u32,
        /// Limit.
        max: u32,
    },
    /// The rendered buffer could not be wrapped as a [`FingerImage`] (internal inconsistency).
    #[error("rendered image rejected: {0}")]
    Image(#[from] ImageError),
}

/// Geometry of generated impressions. Plain data; thread-safe.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SynthConfig {
    /// Impression width in pixels at 500 dpi.
    pub width: u32,
    /// Impression height in pixels at 500 dpi.
    pub height: u32,
}

impl Default for SynthConfig {
    fn default() -> Self {
        SynthConfig { width: params::DEFAULT_WIDTH, height: params::DEFAULT_HEIGHT }
    }
}

impl SynthConfig {
    /// Checks the size against [`params::MIN_SIDE`]..=[`params::MAX_SIDE`].
    pub fn validate(&self) -> Result<(), SynthError> {
        let ok = |s: u32| (MIN_SIDE..=MAX_SIDE).contains(&s);
        if ok(self.width) && ok(self.height) {
            Ok(())
        } else {
            Err(SynthError::BadSize { width: self.width, height: self.height, min: MIN_SIDE, max: MAX_SIDE })
        }
    }
}

/// The master fingerprint of finger `finger` (0-based) under `seed` and [`SynthModel::CONTROLLED`]
/// (see [`master_fingerprint_with`]).
pub fn master_fingerprint(config: &SynthConfig, seed: u64, finger: u64) -> Result<Master, SynthError> {
    master_fingerprint_with(config, &SynthModel::CONTROLLED, seed, finger)
}

/// The master fingerprint of finger `finger` (0-based) under `seed` and `model`; the class is drawn
/// with natural frequencies. The canvas is the impression size plus [`params::MASTER_MARGIN`] on
/// every side.
///
/// Cost: ≈ 0.3 s single-threaded in release for the default size (dominated by the Gabor growth),
/// 4 bytes per canvas pixel. Pure; thread-safe.
pub fn master_fingerprint_with(
    config: &SynthConfig,
    model: &SynthModel,
    seed: u64,
    finger: u64,
) -> Result<Master, SynthError> {
    config.validate()?;
    let mut rng = Rng::derive(seed, &[TAG_MASTER, finger]);
    let class = FingerClass::draw(&mut rng);
    let (w, h) = (config.width + 2 * MASTER_MARGIN, config.height + 2 * MASTER_MARGIN);
    Ok(master::grow_master(class, w, h, model.seed_spacing, model.growth_iterations, &mut rng))
}

/// Impression `index` (0-based) of `master`, which must be finger `finger` under `seed`, under
/// [`SynthModel::CONTROLLED`] (cooperative user, clean sensor: genuine impressions match).
/// For realistic impressions use [`impression_with`] and [`SynthModel::REALISTIC`].
///
/// Cost: ≈ 5 ms for 300 × 400. Pure; thread-safe.
pub fn impression(
    master: &Master,
    config: &SynthConfig,
    seed: u64,
    finger: u64,
    index: u32,
) -> Result<FingerImage, SynthError> {
    impression_with(master, config, &SynthModel::CONTROLLED, seed, finger, index)
}

/// Impression `index` (0-based) of `master` (finger `finger` under `seed`, grown with
/// [`master_fingerprint_with`] and the same `model`) under `model`.
///
/// Cost: ≈ 5 ms for 300 × 400. Pure; thread-safe.
pub fn impression_with(
    master: &Master,
    config: &SynthConfig,
    model: &SynthModel,
    seed: u64,
    finger: u64,
    index: u32,
) -> Result<FingerImage, SynthError> {
    config.validate()?;
    let mut rng = Rng::derive(seed, &[TAG_IMPRESSION, finger, index as u64]);
    let acq = Acquisition::draw(master, model, &mut rng);
    let pixels = impression::render_impression(master, &acq, config.width, config.height, &mut rng);
    Ok(FingerImage::new(config.width, config.height, DPI, pixels)?)
}

/// All `count` impressions of finger `finger` (0-based) under `seed`, under
/// [`SynthModel::CONTROLLED`] (see [`finger_impressions_with`] for another model).
///
/// Cost: one master plus `count` impressions. Pure; thread-safe.
pub fn finger_impressions(
    config: &SynthConfig,
    seed: u64,
    finger: u64,
    count: u32,
) -> Result<Vec<FingerImage>, SynthError> {
    finger_impressions_with(config, &SynthModel::CONTROLLED, seed, finger, count)
}

/// All `count` impressions of finger `finger` (0-based) under `seed` and `model`.
///
/// Cost: one master (≈ 0.3 s) plus `count` impressions. Pure; thread-safe.
pub fn finger_impressions_with(
    config: &SynthConfig,
    model: &SynthModel,
    seed: u64,
    finger: u64,
    count: u32,
) -> Result<Vec<FingerImage>, SynthError> {
    if count > MAX_IMPRESSIONS {
        return Err(SynthError::TooManyImpressions { got: count, max: MAX_IMPRESSIONS });
    }
    let master = master_fingerprint_with(config, model, seed, finger)?;
    (0..count).map(|i| impression_with(&master, config, model, seed, finger, i)).collect()
}

/// A master pattern as an image (ridges dark), for inspection. Cost: one pass; pure.
pub fn master_image(master: &Master) -> Result<FingerImage, SynthError> {
    let pixels = master.ridges.iter().map(|v| (127.5 - 127.5 * v).round() as u8).collect();
    Ok(FingerImage::new(master.width, master.height, DPI, pixels)?)
}

/// FVC-style file name of 0-based `finger` and `impression`: `"<finger+1>_<impression+1>.png"`.
pub fn fvc_name(finger: u64, impression: u32) -> String {
    format!("{}_{}.png", finger + 1, impression + 1)
}

/// Parameters of the committed `testdata/synthetic` set: seed.
pub const TESTDATA_SEED: u64 = 2026;
/// Parameters of the committed `testdata/synthetic` set: fingers.
pub const TESTDATA_FINGERS: u64 = 6;
/// Parameters of the committed `testdata/synthetic` set: impressions per finger.
pub const TESTDATA_IMPRESSIONS: u32 = 5;

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    fn testdata() -> PathBuf {
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../testdata/synthetic")
    }

    /// The committed set equals what the generator makes; `REGENERATE=1` rewrites the whole set.
    #[test]
    fn committed_testdata_matches_generator() {
        let dir = testdata();
        let cfg = SynthConfig::default();
        if std::env::var("REGENERATE").as_deref() == Ok("1") {
            std::fs::create_dir_all(&dir).unwrap();
            for f in 0..TESTDATA_FINGERS {
                let model = SynthModel::REALISTIC;
                for (i, img) in finger_impressions_with(&cfg, &model, TESTDATA_SEED, f, TESTDATA_IMPRESSIONS)
                    .unwrap()
                    .iter()
                    .enumerate()
                {
                    std::fs::write(dir.join(fvc_name(f, i as u32)), img.to_png()).unwrap();
                }
            }
        }
        let finger = 2;
        let master = master_fingerprint_with(&cfg, &SynthModel::REALISTIC, TESTDATA_SEED, finger).unwrap();
        for index in [0, TESTDATA_IMPRESSIONS - 1] {
            let generated =
                impression_with(&master, &cfg, &SynthModel::REALISTIC, TESTDATA_SEED, finger, index).unwrap();
            let path = dir.join(fvc_name(finger, index));
            let committed = FingerImage::load(&path, Some(500))
                .unwrap_or_else(|e| panic!("{}: {e}; run with REGENERATE=1", path.display()));
            assert_eq!((committed.width(), committed.height()), (cfg.width, cfg.height));
            let differing = committed.pixels().iter().zip(generated.pixels()).filter(|(a, b)| a != b).count();
            assert_eq!(differing, 0, "{} differs from the generator in {differing} pixels", path.display());
        }
    }

    #[test]
    fn impressions_look_like_fingerprints() {
        look_like_fingerprints(&SynthConfig::default(), &SynthModel::CONTROLLED);
        look_like_fingerprints(&SynthConfig::default(), &SynthModel::REALISTIC);
    }

    fn look_like_fingerprints(cfg: &SynthConfig, model: &SynthModel) {
        let imgs = finger_impressions_with(cfg, model, 1, 0, 2).unwrap();
        for img in &imgs {
            let px = img.pixels();
            let mean = px.iter().map(|&p| p as f32).sum::<f32>() / px.len() as f32;
            let dark = px.iter().filter(|&&p| p < 100).count() as f32 / px.len() as f32;
            assert!((90.0..230.0).contains(&mean), "mean {mean}");
            assert!((0.05..0.6).contains(&dark), "dark fraction {dark}");
            // Light background in a corner (outside the contact area; noise averaged out).
            let patch_mean = |x0: u32, y0: u32| {
                (0..8)
                    .flat_map(|dy| (0..8).map(move |dx| (dx, dy)))
                    .map(|(dx, dy)| img.at(x0 + dx, y0 + dy) as f32)
                    .sum::<f32>()
                    / 64.0
            };
            let (w, h) = (cfg.width - 8, cfg.height - 8);
            let lightest =
                [(0, 0), (w, 0), (0, h), (w, h)].map(|(x, y)| patch_mean(x, y)).into_iter().fold(0.0, f32::max);
            assert!(lightest > 150.0, "lightest corner {lightest}");
        }
        assert_ne!(imgs[0], imgs[1]);
        assert_eq!(imgs, finger_impressions_with(cfg, model, 1, 0, 2).unwrap());
    }

    #[test]
    fn bad_input_is_a_typed_error() {
        let cfg = SynthConfig { width: 10, height: 400 };
        assert!(matches!(master_fingerprint(&cfg, 0, 0), Err(SynthError::BadSize { .. })));
        assert!(matches!(
            finger_impressions(&SynthConfig::default(), 0, 0, 1000),
            Err(SynthError::TooManyImpressions { .. })
        ));
    }

    #[test]
    fn fvc_names_are_one_based() {
        assert_eq!(fvc_name(0, 0), "1_1.png");
        assert_eq!(fvc_name(9, 7), "10_8.png");
    }
}
