//! Class-dependent ridge orientation model (Sherlock–Monro zero-pole model with singular
//! points) plus the ridge-period map.

use crate::params::{
    CORE_JITTER_X, CORE_Y_RANGE, GEOMETRY_SPREAD, ORIENTATION_NOISE, PERIOD_FINGER_SPREAD, PERIOD_LOCAL_AMPLITUDE,
    PERIOD_MEAN,
};
use crate::rng::Rng;
use std::f32::consts::PI;

/// Henry pattern class of a synthetic finger.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FingerClass {
    /// Plain arch: no singular points.
    Arch,
    /// Tented arch: a core right above a delta.
    TentedArch,
    /// Left loop: ridges enter and leave on the left, delta on the right.
    LeftLoop,
    /// Right loop: mirror of the left loop.
    RightLoop,
    /// Whorl: two cores and two deltas.
    Whorl,
}

impl FingerClass {
    /// Natural class frequencies (Wilson et al., NIST), used when a class is drawn at random:
    /// arch 3.7 %, tented arch 2.9 %, left loop 33.8 %, right loop 31.7 %, whorl 27.9 %.
    pub const FREQUENCIES: [(FingerClass, f32); 5] = [
        (FingerClass::Arch, 0.037),
        (FingerClass::TentedArch, 0.029),
        (FingerClass::LeftLoop, 0.338),
        (FingerClass::RightLoop, 0.317),
        (FingerClass::Whorl, 0.279),
    ];

    /// Draws a class with the natural frequencies.
    pub fn draw(rng: &mut Rng) -> FingerClass {
        let u = rng.unit();
        let mut acc = 0.0;
        for (class, p) in Self::FREQUENCIES {
            acc += p;
            if u < acc {
                return class;
            }
        }
        FingerClass::Whorl
    }
}

/// A few low-frequency random sinusoids: a smooth random field with values in about [-1, 1].
/// Cheap (4 sines per evaluation); plain data, thread-safe.
#[derive(Debug, Clone)]
pub struct SmoothNoise {
    waves: [(f32, f32, f32); 4],
}

impl SmoothNoise {
    /// Random field whose wavelengths lie in `[min_wavelength, max_wavelength]` pixels.
    pub fn new(rng: &mut Rng, min_wavelength: f32, max_wavelength: f32) -> Self {
        let mut waves = [(0.0, 0.0, 0.0); 4];
        for w in &mut waves {
            let dir = rng.range(0.0, 2.0 * PI);
            let k = 2.0 * PI / rng.range(min_wavelength, max_wavelength);
            *w = (k * dir.cos(), k * dir.sin(), rng.range(0.0, 2.0 * PI));
        }
        SmoothNoise { waves }
    }

    /// Field value at `(x, y)`, in `[-1, 1]`.
    pub fn at(&self, x: f32, y: f32) -> f32 {
        self.waves.iter().map(|&(kx, ky, ph)| (kx * x + ky * y + ph).sin()).sum::<f32>() * 0.25
    }
}

/// The orientation and period model of one master finger on a canvas of a given size.
/// Evaluation is a handful of `atan2`s; plain data, thread-safe.
#[derive(Debug, Clone)]
pub struct RidgeModel {
    /// Pattern class.
    pub class: FingerClass,
    /// Core positions in canvas pixels.
    pub cores: Vec<(f32, f32)>,
    /// Delta positions in canvas pixels.
    pub deltas: Vec<(f32, f32)>,
    width: f32,
    height: f32,
    arch_amplitude: f32,
    noise: SmoothNoise,
    period_base: f32,
    period_noise: SmoothNoise,
}

impl RidgeModel {
    /// A random model of `class` on a `width` × `height` canvas.
    pub fn new(class: FingerClass, width: f32, height: f32, rng: &mut Rng) -> Self {
        let cx = width * 0.5 + rng.range(-CORE_JITTER_X, CORE_JITTER_X) * width;
        let cy = height * rng.range(CORE_Y_RANGE.0, CORE_Y_RANGE.1);
        let j = |rng: &mut Rng| rng.range(-0.03, 0.03) * width;
        // Per-finger scale of the core–delta geometry (finger size, pattern spread).
        let g = rng.range(1.0 - GEOMETRY_SPREAD, 1.0 + GEOMETRY_SPREAD);
        let (width_g, height_g) = (width * g, height * g);
        let (cores, deltas) = match class {
            FingerClass::Arch => (vec![], vec![]),
            FingerClass::TentedArch => {
                (vec![(cx + j(rng), cy)], vec![(cx + j(rng), cy + height_g * rng.range(0.16, 0.24))])
            }
            FingerClass::LeftLoop => (
                vec![(cx - 0.04 * width_g + j(rng), cy)],
                vec![(cx + width_g * rng.range(0.2, 0.3), cy + height_g * rng.range(0.22, 0.32))],
            ),
            FingerClass::RightLoop => (
                vec![(cx + 0.04 * width_g + j(rng), cy)],
                vec![(cx - width_g * rng.range(0.2, 0.3), cy + height_g * rng.range(0.22, 0.32))],
            ),
            FingerClass::Whorl => {
                let d = rng.range(0.03, 0.07) * height_g;
                (
                    vec![(cx - j(rng).abs(), cy - d), (cx + j(rng).abs(), cy + d)],
                    vec![
                        (cx - width_g * rng.range(0.24, 0.32), cy + height_g * rng.range(0.24, 0.32)),
                        (cx + width_g * rng.range(0.24, 0.32), cy + height_g * rng.range(0.24, 0.32)),
                    ],
                )
            }
        };
        let noise = SmoothNoise::new(rng, 150.0, 400.0);
        let period_base = PERIOD_MEAN + rng.range(-PERIOD_FINGER_SPREAD, PERIOD_FINGER_SPREAD);
        let period_noise = SmoothNoise::new(rng, 120.0, 300.0);
        RidgeModel {
            class,
            cores,
            deltas,
            width,
            height,
            arch_amplitude: rng.range(0.5, 1.0),
            noise,
            period_base,
            period_noise,
        }
    }

    /// Ridge orientation at `(x, y)` in radians in `[0, π)`: the ridge runs along
    /// `(cos θ, sin θ)` in image coordinates (y down).
    pub fn orientation_at(&self, x: f32, y: f32) -> f32 {
        let mut theta = if self.cores.is_empty() {
            // Plain arch: ridges are level at the top and bottom and bulge upwards mid-finger.
            let s = self.width * 0.35;
            let dx = x - self.width * 0.5;
            let vy = (y - self.height * 0.55) / (self.height * 0.45);
            let amp = self.arch_amplitude * (-vy * vy).exp();
            let slope = amp * 2.0 * dx / s * (-(dx * dx) / (s * s)).exp();
            slope.atan()
        } else {
            // Zero-pole model in a y-up frame (cores +½, deltas −½), then mirrored into the
            // image's y-down frame.
            let mut up = 0.0;
            for &(px, py) in &self.cores {
                up += 0.5 * (py - y).atan2(x - px);
            }
            for &(px, py) in &self.deltas {
                up -= 0.5 * (py - y).atan2(x - px);
            }
            -up
        };
        theta += ORIENTATION_NOISE * self.noise.at(x, y);
        theta.rem_euclid(PI)
    }

    /// Ridge period (ridge-to-ridge distance) at `(x, y)` in pixels at 500 dpi.
    pub fn period_at(&self, x: f32, y: f32) -> f32 {
        self.period_base + PERIOD_LOCAL_AMPLITUDE * self.period_noise.at(x, y)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::{any, prop_assert, proptest};

    proptest! {
        #[test]
        fn orientation_and_period_in_range(seed in any::<u64>(), x in 0.0f32..400.0, y in 0.0f32..500.0) {
            let mut rng = Rng::new(seed);
            let class = FingerClass::draw(&mut rng);
            let m = RidgeModel::new(class, 400.0, 500.0, &mut rng);
            let t = m.orientation_at(x, y);
            prop_assert!((0.0..PI).contains(&t));
            let p = m.period_at(x, y);
            // Within the Gabor kernel bank, so the growth can follow it.
            prop_assert!((crate::params::PERIOD_MIN..=crate::params::PERIOD_MAX).contains(&p));
        }
    }

    #[test]
    fn class_counts_of_singular_points() {
        let mut rng = Rng::new(3);
        for (class, cores, deltas) in [
            (FingerClass::Arch, 0, 0),
            (FingerClass::TentedArch, 1, 1),
            (FingerClass::LeftLoop, 1, 1),
            (FingerClass::RightLoop, 1, 1),
            (FingerClass::Whorl, 2, 2),
        ] {
            let m = RidgeModel::new(class, 400.0, 500.0, &mut rng);
            assert_eq!((m.cores.len(), m.deltas.len()), (cores, deltas));
        }
    }
}
