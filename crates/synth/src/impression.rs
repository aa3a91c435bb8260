//! Impressions of a master finger: placement, elastic distortion, contact area, pressure and
//! dryness, sensor background and noise.

use crate::master::Master;
use crate::orientation::SmoothNoise;
use crate::params as p;
use crate::params::{
    BACKGROUND_RANGE, BACKGROUND_SHADING, CONTACT_EDGE, DRYNESS_BLOTCH, INK_STEEPNESS, RIDGE_LEVEL_RANGE,
    RIDGE_PERTURBATION_CELL, SHAPE_HALF_WIDTH,
};

/// How synthetic fingers are grown and how their impressions vary: master ridge density and the
/// ranges of the random acquisition conditions. Plain data; thread-safe.
///
/// [`SynthModel::REALISTIC`] is fitted so that the matcher's genuine and impostor score
/// distributions on synthetic images come close to those of the real FVC sensor sets (see
/// `ridgegate realism`); some impressions are then hard to match, as in real life.
/// [`SynthModel::CONTROLLED`] is a cooperative user on a clean sensor (small pose changes,
/// full contact, little noise) and a dense master (≈ 75 minutiae per impression, more than real
/// fingers): impressions of a finger match with high scores, for functional tests of capture,
/// enrollment and gate flows. It is not realistic and must not be used for accuracy figures.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SynthModel {
    /// Master growth: mean distance between the random seeds, pixels (fewer seeds, fewer minutiae).
    pub seed_spacing: u32,
    /// Master growth: contextual-filtering passes (must fill the gaps between seeds).
    pub growth_iterations: usize,
    /// Rotation standard deviation and hard limit, radians.
    pub rotation: (f32, f32),
    /// Translation standard deviation and hard limit per axis, pixels.
    pub translation: (f32, f32),
    /// Largest elastic distortion amplitude, pixels.
    pub distortion_max: f32,
    /// Wavelength range of the distortion field, pixels.
    pub distortion_wavelength: (f32, f32),
    /// Ridge-thickness bias range (negative = light touch).
    pub pressure: (f32, f32),
    /// Contact area scale range relative to the fingertip outline.
    pub contact_scale: (f32, f32),
    /// Largest contact-area shift, fraction of its half-axis.
    pub contact_shift_max: f32,
    /// Largest fraction of ridge area broken by dryness.
    pub dryness_max: f32,
    /// Amplitude of the fine ridge-level perturbation field (0 = none).
    pub ridge_perturbation: f32,
    /// Sensor noise standard deviation range, grey levels.
    pub noise_sd: (f32, f32),
}

impl SynthModel {
    /// Realistic acquisition, fitted to the FVC sensor sets (the default of `ridgegate synth`,
    /// the committed test set and the template generator's pose model).
    pub const REALISTIC: SynthModel = SynthModel {
        seed_spacing: p::SEED_SPACING,
        growth_iterations: p::GROWTH_ITERATIONS,
        rotation: (p::ROTATION_SD, p::ROTATION_MAX),
        translation: (p::TRANSLATION_SD, p::TRANSLATION_MAX),
        distortion_max: p::DISTORTION_MAX,
        distortion_wavelength: p::DISTORTION_WAVELENGTH,
        pressure: p::PRESSURE_RANGE,
        contact_scale: p::CONTACT_SCALE_RANGE,
        contact_shift_max: p::CONTACT_SHIFT_MAX,
        dryness_max: p::DRYNESS_MAX,
        ridge_perturbation: p::RIDGE_PERTURBATION,
        noise_sd: p::NOISE_SD_RANGE,
    };
    /// Controlled acquisition (cooperative user, clean sensor): what [`crate::impression`] and
    /// [`crate::finger_impressions`] render, so functional tests can rely on genuine matches.
    pub const CONTROLLED: SynthModel = SynthModel {
        seed_spacing: p::CONTROLLED_SEED_SPACING,
        growth_iterations: p::CONTROLLED_GROWTH_ITERATIONS,
        rotation: p::CONTROLLED_ROTATION,
        translation: p::CONTROLLED_TRANSLATION,
        distortion_max: p::CONTROLLED_DISTORTION_MAX,
        distortion_wavelength: p::CONTROLLED_DISTORTION_WAVELENGTH,
        pressure: p::CONTROLLED_PRESSURE_RANGE,
        contact_scale: p::CONTROLLED_CONTACT_SCALE_RANGE,
        contact_shift_max: p::CONTROLLED_CONTACT_SHIFT_MAX,
        dryness_max: p::CONTROLLED_DRYNESS_MAX,
        ridge_perturbation: 0.0,
        noise_sd: p::CONTROLLED_NOISE_SD_RANGE,
    };
}
use crate::rng::Rng;

/// The random acquisition conditions of one impression. Plain data; thread-safe.
#[derive(Debug, Clone)]
pub struct Acquisition {
    /// Rotation of the finger on the sensor, radians (counter-clockwise on screen is negative).
    pub rotation: f32,
    /// Displacement of the finger on the sensor, pixels.
    pub translation: (f32, f32),
    /// Elastic distortion field (x and y components), amplitude in pixels.
    pub distortion: (SmoothNoise, SmoothNoise, f32),
    /// Ridge-thickness bias: negative = light touch (thin ridges), positive = hard press.
    pub pressure: f32,
    /// Contact area scale relative to the fingertip shape.
    pub contact_scale: f32,
    /// Partial contact: shift of the contact area, master pixels.
    pub contact_shift: (f32, f32),
    /// Fraction of ridge area broken by dryness.
    pub dryness: f32,
    /// Background grey level.
    pub background: f32,
    /// Darkest ridge grey level.
    pub ridge_level: f32,
    /// Sensor noise standard deviation, grey levels.
    pub noise_sd: f32,
    /// Amplitude of the fine ridge-level perturbation field.
    pub ridge_perturbation: f32,
}

impl Acquisition {
    /// Draws acquisition conditions for a master of the given size under `model`.
    pub fn draw(master: &Master, model: &SynthModel, rng: &mut Rng) -> Self {
        let clamp_n = |rng: &mut Rng, sd: f32, max: f32| (rng.normal() * sd).clamp(-max, max);
        let rotation = clamp_n(rng, model.rotation.0, model.rotation.1);
        let translation = (
            clamp_n(rng, model.translation.0, model.translation.1),
            clamp_n(rng, model.translation.0, model.translation.1),
        );
        let distortion = (
            SmoothNoise::new(rng, model.distortion_wavelength.0, model.distortion_wavelength.1),
            SmoothNoise::new(rng, model.distortion_wavelength.0, model.distortion_wavelength.1),
            rng.range(0.0, model.distortion_max),
        );
        let half = master.width as f32 * SHAPE_HALF_WIDTH;
        Acquisition {
            rotation,
            translation,
            distortion,
            pressure: rng.range(model.pressure.0, model.pressure.1),
            contact_scale: rng.range(model.contact_scale.0, model.contact_scale.1),
            contact_shift: (
                rng.range(-model.contact_shift_max, model.contact_shift_max) * half,
                rng.range(-model.contact_shift_max, model.contact_shift_max) * half,
            ),
            dryness: rng.range(0.0, model.dryness_max),
            background: rng.range(BACKGROUND_RANGE.0, BACKGROUND_RANGE.1),
            ridge_level: rng.range(RIDGE_LEVEL_RANGE.0, RIDGE_LEVEL_RANGE.1),
            noise_sd: rng.range(model.noise_sd.0, model.noise_sd.1),
            ridge_perturbation: model.ridge_perturbation,
        }
    }
}

/// Bilinear value noise on a square lattice: blotchy random field in `[0, 1]`.
struct ValueNoise {
    cols: usize,
    cell: f32,
    values: Vec<f32>,
}

impl ValueNoise {
    fn new(width: u32, height: u32, cell: f32, rng: &mut Rng) -> Self {
        let cols = (width as f32 / cell) as usize + 2;
        let rows = (height as f32 / cell) as usize + 2;
        let values = (0..cols * rows).map(|_| rng.unit()).collect();
        ValueNoise { cols, cell, values }
    }

    fn at(&self, x: f32, y: f32) -> f32 {
        let (gx, gy) = ((x / self.cell).max(0.0), (y / self.cell).max(0.0));
        let rows = self.values.len() / self.cols;
        let (x0, y0) = ((gx as usize).min(self.cols - 2), (gy as usize).min(rows - 2));
        let (fx, fy) = ((gx - x0 as f32).min(1.0), (gy - y0 as f32).min(1.0));
        let (fx, fy) = (fx * fx * (3.0 - 2.0 * fx), fy * fy * (3.0 - 2.0 * fy));
        let v = |cx: usize, cy: usize| self.values[cy * self.cols + cx];
        let top = v(x0, y0) * (1.0 - fx) + v(x0 + 1, y0) * fx;
        let bottom = v(x0, y0 + 1) * (1.0 - fx) + v(x0 + 1, y0 + 1) * fx;
        top * (1.0 - fy) + bottom * fy
    }
}

/// Renders one `width` × `height` 8-bit impression (dark ridges on a light background) of
/// `master` under `acq`, with pixel noise from `rng`.
///
/// Cost: ~40 flops per pixel (≈ 5 ms for 300 × 400). Pure; thread-safe.
pub fn render_impression(master: &Master, acq: &Acquisition, width: u32, height: u32, rng: &mut Rng) -> Vec<u8> {
    let blotches = ValueNoise::new(width, height, DRYNESS_BLOTCH, rng);
    let edge_noise = ValueNoise::new(width, height, DRYNESS_BLOTCH * 2.0, rng);
    let shading = SmoothNoise::new(rng, 200.0, 600.0);
    let perturbation = ValueNoise::new(width, height, RIDGE_PERTURBATION_CELL, rng);
    let (mcx, mcy) = (master.width as f32 * 0.5, master.height as f32 * 0.5);
    let (icx, icy) = (width as f32 * 0.5, height as f32 * 0.5);
    let (s, c) = acq.rotation.sin_cos();
    let half_px = master.width as f32 * SHAPE_HALF_WIDTH * acq.contact_scale;
    let (dfx, dfy, amp) = &acq.distortion;
    let mut out = Vec::with_capacity((width * height) as usize);
    for y in 0..height {
        for x in 0..width {
            let (qx, qy) = (x as f32 - icx - acq.translation.0, y as f32 - icy - acq.translation.1);
            let px = mcx + c * qx - s * qy + amp * dfx.at(x as f32, y as f32);
            let py = mcy + s * qx + c * qy + amp * dfy.at(x as f32, y as f32);
            let ridge = master.sample(px, py) + acq.ridge_perturbation * (perturbation.at(x as f32, y as f32) - 0.5);
            let radius = master.shape_radius(px, py, acq.contact_scale, acq.contact_shift.0, acq.contact_shift.1)
                + 0.08 * (edge_noise.at(x as f32, y as f32) - 0.5);
            let contact = ((1.0 - radius) * half_px / CONTACT_EDGE).clamp(0.0, 1.0);
            let mut ink = 1.0 / (1.0 + (-INK_STEEPNESS * (ridge + acq.pressure)).exp());
            let dry = blotches.at(x as f32, y as f32);
            if dry < acq.dryness {
                ink *= (dry / acq.dryness).powi(2);
            }
            let bg = acq.background + BACKGROUND_SHADING * shading.at(x as f32, y as f32);
            let grey = bg - (bg - acq.ridge_level) * ink * contact + acq.noise_sd * rng.normal();
            out.push(grey.round().clamp(0.0, 255.0) as u8);
        }
    }
    out
}
