//! # ridgegate-extract
//!
//! Fingerprint image → minutiae [`Template`] plus an image quality score.
//!
//! [`extract`] runs a classical contextual-filtering pipeline (Hong, Wan & Jain 1998, with
//! SourceAFIS-style false-minutiae filters). Each stage is a small pure function in its own
//! module, named after what it produces; all tunables are in [`params`]:
//!
//! 1. [`resample::working_image`] — the image at 500 dpi;
//! 2. [`normalization::normalized_image`] — local mean/contrast equalised;
//! 3. [`segmentation::block_contrast`] + [`orientation::block_coherence`] (of
//!    [`orientation::gradient_moments`] of [`orientation::smoothed_image`], the normalised image
//!    blurred so that pores and dots do not outvote the ridges) → [`segmentation::segmentation_mask`]
//!    — foreground blocks;
//! 4. [`orientation::orientation_field`] — ridge direction and coherence per 8×8 block;
//! 5. [`frequency::ridge_period`] — ridge period per block, measured on
//!    [`frequency::period_image`] (the normalised image blurred so that dotted ridges stay whole
//!    under the signature's sparse samples);
//! 6. [`enhancement::enhanced_image`] twice — oriented Gabor filtering, the orientation
//!    ([`orientation::refined_field`]) and ridge period re-measured on the first pass for the
//!    second, whose kernels are chosen per pixel from the interpolated orientation and period —
//!    → [`enhancement::binarized_image`];
//! 7. [`cleanup::cleaned_ridges`] → [`thinning::skeleton`] — small valley holes filled, then the
//!    one-pixel ridge skeleton;
//! 8. [`minutiae::minutiae`] — endings/bifurcations, directions, false-minutiae removal, best N;
//! 9. [`quality::quality_factors`] — image quality 0–100;
//! 10. [`flow::ridge_flow`] — the coarse ridge-orientation map stored in the template next to the
//!     minutiae ([`ridgegate_core::RidgeFlow`], one byte per 24 × 24 px cell at 500 dpi), which the matcher
//!     compares under its minutiae alignment.
//!
//! Coordinates in the template are in the *original* image's pixel grid and dpi. Angles follow
//! [`ridgegate_core::Minutia`] (ISO convention). [`extract`] is pure and thread-safe; rows of the
//! Gabor stage run on rayon's pool. [`extract_with`] additionally hands stage pictures to a
//! [`dump::StageSink`] (the CLI's `--dump DIR`).

pub mod cleanup;
pub mod dump;
pub mod enhancement;
pub mod flow;
pub mod frequency;
pub mod minutiae;
pub mod normalization;
pub mod orientation;
pub mod params;
pub mod plane;
pub mod quality;
pub mod resample;
pub mod segmentation;
pub mod thinning;

use dump::{NoDump, StageSink, offer};
use enhancement::KernelChoice;
use ridgegate_core::{FingerImage, Minutia, Template};
use std::f32::consts::TAU;

/// Version of the extraction algorithm, stored in every template it makes. Bumped whenever the
/// output changes; templates of another version should be re-extracted from stored images.
pub const ALGORITHM_VERSION: u16 = 13;

/// The result of one extraction.
#[derive(Debug, Clone)]
pub struct Extraction {
    /// The minutiae, in the original image's geometry (`template.quality` = [`Extraction::quality`]).
    pub template: Template,
    /// Image quality 0..=100 (see [`quality::QualityFactors::score`]); enrollment asks for a
    /// recapture below its threshold.
    pub quality: u8,
    /// Number of minutiae in the template.
    pub minutia_count: usize,
    /// The factors behind the quality score.
    pub factors: quality::QualityFactors,
    /// Why the template is empty or weak, when it is (e.g. no fingerprint area found).
    pub reason: Option<String>,
}

/// Extraction failures that are not a matter of quality (those give a quality-0 [`Extraction`]).
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ExtractError {
    /// The image is physically larger than any finger scanner produces.
    #[error(
        "image of {width}x{height} px at {dpi} dpi is larger than 8 inches on a side at 500 dpi: not a single-finger image"
    )]
    TooLarge {
        /// Width in pixels.
        width: u32,
        /// Height in pixels.
        height: u32,
        /// Stated resolution.
        dpi: u16,
    },
}

/// Extracts a template from an image. See the crate docs for the stages.
/// Cost: a few ms for a 300×400 image at 500 dpi on one core.
pub fn extract(image: &FingerImage) -> Result<Extraction, ExtractError> {
    extract_with(image, &mut NoDump)
}

/// [`extract`], handing a picture of each stage to `sink` (rendered only for accepted keys).
pub fn extract_with(image: &FingerImage, sink: &mut dyn StageSink) -> Result<Extraction, ExtractError> {
    use params::BLOCK;
    let (img, scale) = resample::working_image(image).ok_or(ExtractError::TooLarge {
        width: image.width(),
        height: image.height(),
        dpi: image.dpi(),
    })?;
    offer(sink, "working-image", || dump::render_plane(&img, 0.0, 255.0));
    let contrast = segmentation::block_contrast(&img);
    let norm = normalization::normalized_image(&img);
    let moments = orientation::gradient_moments(&orientation::smoothed_image(&norm));
    let coherence = orientation::block_coherence(&moments, params::ORIENT_RADIUS_BLOCKS);
    let seg_coherence = orientation::block_coherence(&moments, params::SEG_COHERENCE_RADIUS_BLOCKS);
    let mask = segmentation::segmentation_mask(&contrast, &seg_coherence);
    offer(sink, "segmentation-mask", || dump::render_mask(&img, &mask, BLOCK));
    let foreground = mask.data.iter().filter(|&&m| m).count();
    if foreground < params::MIN_FOREGROUND_BLOCKS {
        let factors = quality::quality_factors(&mask, &plane::Plane::new(mask.w, mask.h), 0.0, 0);
        return Ok(empty(
            image,
            factors,
            format!(
                "no fingerprint area found ({foreground} foreground blocks, need {})",
                params::MIN_FOREGROUND_BLOCKS
            ),
        ));
    }
    offer(sink, "normalized", || dump::render_plane(&norm, -2.5, 2.5));
    let field = orientation::orientation_field(&moments, coherence, &mask);
    offer(sink, "orientation", || dump::render_orientation(&img, &field.angle, &mask, BLOCK));
    let (period, frequency_validity) = frequency::ridge_period(&frequency::period_image(&norm), &field, &mask);
    let first_pass = enhancement::enhanced_image(&norm, &field, &period, &mask, KernelChoice::PerBlock);
    let field = orientation::refined_field(&first_pass, field, &mask);
    offer(sink, "orientation-refined", || dump::render_orientation(&img, &field.angle, &mask, BLOCK));
    // The ridge period re-measured on the first pass too: its signatures are free of pores and
    // dots. The frequency validity (a quality factor) stays the raw image's.
    let (period, _) = frequency::ridge_period(&first_pass, &field, &mask);
    let enhanced = enhancement::enhanced_image(&norm, &field, &period, &mask, KernelChoice::Interpolated);
    offer(sink, "enhanced", || dump::render_plane(&enhanced, -0.6, 0.6));
    let binary = enhancement::binarized_image(&enhanced, &mask);
    offer(sink, "binarized", || dump::render_binary(&binary));
    let ridges = cleanup::cleaned_ridges(&binary);
    offer(sink, "cleaned", || dump::render_binary(&ridges));
    let skel = thinning::skeleton(&ridges);
    offer(sink, "skeleton", || dump::render_binary(&skel));
    let clarity = enhancement::ridge_clarity(&enhanced, &mask);
    let found = minutiae::minutiae(&skel, &field, &clarity, &mask);
    offer(sink, "minutiae", || dump::render_minutiae(&skel, &found));
    // Image quality counts only reliable minutiae (clear ridge flow): matching also uses the others.
    let reliable = found.iter().filter(|m| field.coherence_at(m.x, m.y) >= params::QUALITY_MIN_COHERENCE).count();
    let factors = quality::quality_factors(&mask, &field.coherence, frequency_validity, reliable);
    let quality = factors.score();

    let mut template = Template::new(image.width() as u16, image.height() as u16, image.dpi());
    template.algorithm_version = ALGORITHM_VERSION;
    template.quality = quality;
    template.minutiae = found
        .iter()
        .map(|c| {
            let x = ((c.x as f32 + 0.5) / scale - 0.5).round().clamp(0.0, image.width() as f32 - 1.0) as u16;
            let y = ((c.y as f32 + 0.5) / scale - 0.5).round().clamp(0.0, image.height() as f32 - 1.0) as u16;
            // Image-space direction (y down) → ISO angle (counter-clockwise as seen).
            Minutia::new(x, y, (-c.direction).rem_euclid(TAU), c.kind, c.quality)
        })
        .collect();
    let ridge_flow = flow::ridge_flow(&field, &mask, scale, template.width, template.height);
    offer(sink, "ridge-flow", || dump::render_flow(&img, &ridge_flow, scale));
    template.ridge_flow = Some(ridge_flow);
    let reason = (found.is_empty()).then(|| "no reliable minutiae found".to_string());
    Ok(Extraction { minutia_count: template.minutiae.len(), template, quality, factors, reason })
}

fn empty(image: &FingerImage, factors: quality::QualityFactors, reason: String) -> Extraction {
    let mut template = Template::new(image.width() as u16, image.height() as u16, image.dpi());
    template.algorithm_version = ALGORITHM_VERSION;
    Extraction { template, quality: 0, minutia_count: 0, factors, reason: Some(reason) }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::f32::consts::PI;

    /// A synthetic whorl-like print: concentric ridges (period 9 px) in an elliptic contact area.
    fn synthetic_print(w: u32, h: u32) -> FingerImage {
        let (cx, cy) = (w as f32 / 2.0, h as f32 / 2.0);
        let mut px = Vec::with_capacity((w * h) as usize);
        for y in 0..h {
            for x in 0..w {
                let (dx, dy) = (x as f32 - cx, y as f32 - cy);
                let inside = (dx / (0.42 * w as f32)).powi(2) + (dy / (0.45 * h as f32)).powi(2) < 1.0;
                let r = (dx * dx + dy * dy * 0.8).sqrt() + 6.0 * (dx * 0.05).sin();
                let v = if inside { 128.0 + 90.0 * (2.0 * PI * r / 9.0).cos() } else { 235.0 };
                px.push(v.clamp(0.0, 255.0) as u8);
            }
        }
        FingerImage::new(w, h, 500, px).unwrap()
    }

    #[test]
    fn synthetic_print_gives_a_usable_template() {
        let e = extract(&synthetic_print(300, 360)).unwrap();
        assert!(e.quality >= 40, "quality {}", e.quality);
        assert!(e.reason.is_none());
        e.template.validate().unwrap();
        assert_eq!(e.template.algorithm_version, ALGORITHM_VERSION);
        assert_eq!((e.template.width, e.template.height, e.template.dpi), (300, 360, 500));
    }

    #[test]
    fn blank_and_noise_images_give_quality_zero_with_a_reason() {
        let blank = FingerImage::new(200, 200, 500, vec![200; 40_000]).unwrap();
        let e = extract(&blank).unwrap();
        assert_eq!((e.quality, e.minutia_count), (0, 0));
        assert!(e.reason.unwrap().contains("no fingerprint area"));
        // Low-amplitude noise: not a fingerprint either.
        let mut s = 12345u32;
        let noise: Vec<u8> = (0..40_000)
            .map(|_| {
                s ^= s << 13;
                s ^= s >> 17;
                s ^= s << 5;
                (180 + (s % 3)) as u8
            })
            .collect();
        let e = extract(&FingerImage::new(200, 200, 500, noise).unwrap()).unwrap();
        assert_eq!(e.minutia_count, 0);
    }

    #[test]
    fn coordinates_are_mapped_back_to_the_original_resolution() {
        // The same synthetic print stated at 1000 dpi is resampled to half size internally.
        let img = synthetic_print(600, 720).with_dpi(1000).unwrap();
        let e = extract(&img).unwrap();
        assert_eq!((e.template.width, e.template.height, e.template.dpi), (600, 720, 1000));
        assert!(e.template.minutiae.iter().all(|m| m.x < 600 && m.y < 720));
        e.template.validate().unwrap();
    }

    #[test]
    fn physically_huge_images_are_refused() {
        let img = FingerImage::new(3000, 3000, 200, vec![128; 9_000_000]).unwrap();
        assert!(matches!(extract(&img), Err(ExtractError::TooLarge { .. })));
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(24))]
        #[test]
        fn arbitrary_images_never_panic(w in 64u32..160, h in 64u32..160, seed in any::<u64>(), dpi in 250u16..1000) {
            let mut s = seed | 1;
            let px: Vec<u8> = (0..w * h).map(|_| { s ^= s << 13; s ^= s >> 7; s ^= s << 17; (s >> 24) as u8 }).collect();
            let img = FingerImage::new(w, h, dpi, px).unwrap();
            let e = extract(&img).unwrap();
            prop_assert!(e.template.validate().is_ok());
            prop_assert!(e.quality <= 100);
        }
    }
}
