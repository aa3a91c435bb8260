//! Every tunable of the generator, one constant each, with what it means.

/// Resolution of every generated image and template, dots per inch.
pub const DPI: u16 = 500;
/// Default impression width in pixels (≈ 15 mm at 500 dpi).
pub const DEFAULT_WIDTH: u32 = 300;
/// Default impression height in pixels (≈ 20 mm at 500 dpi).
pub const DEFAULT_HEIGHT: u32 = 400;
/// Smallest impression side accepted, pixels (enough room for a few ridges).
pub const MIN_SIDE: u32 = 64;
/// Largest impression side accepted, pixels (bounds memory: 2048² floats ≈ 16 MB).
pub const MAX_SIDE: u32 = 2048;
/// Largest number of impressions per finger accepted (bounds per-finger memory).
pub const MAX_IMPRESSIONS: u32 = 64;
/// Master canvas margin added around the impression on every side, pixels, so that displaced
/// and rotated impressions still land on grown ridges.
pub const MASTER_MARGIN: u32 = 64;

/// Mean ridge period (ridge + valley) in pixels at 500 dpi.
pub const PERIOD_MEAN: f32 = 9.5;
/// Per-finger spread (uniform ±) of the mean ridge period, pixels.
pub const PERIOD_FINGER_SPREAD: f32 = 1.5;
/// Amplitude of the smooth within-finger period variation, pixels.
pub const PERIOD_LOCAL_AMPLITUDE: f32 = 1.0;
/// Smallest period of the Gabor kernel bank, pixels.
pub const PERIOD_MIN: f32 = 7.0;
/// Largest period of the Gabor kernel bank, pixels.
pub const PERIOD_MAX: f32 = 13.0;
/// Number of period levels in the kernel bank.
pub const PERIOD_LEVELS: usize = 10;
/// Number of orientation levels in the kernel bank (over π).
pub const ORIENTATION_LEVELS: usize = 24;
/// Gabor kernel radius in pixels (kernel side = 2r+1).
pub const GABOR_RADIUS: i32 = 5;
/// Gaussian envelope sigma of the Gabor kernel as a fraction of the ridge period.
pub const GABOR_SIGMA_PER_PERIOD: f32 = 0.42;
/// Gain applied after each filtering pass before clamping to [-1, 1] (drives the pattern to a
/// binary-like steady state).
pub const GROWTH_GAIN: f32 = 2.5;
/// Realistic model: number of contextual-filtering passes used to grow ridges from the seeds.
pub const GROWTH_ITERATIONS: usize = 22;
/// Realistic model: mean distance between random seed impulses, pixels (sets the minutiae density).
pub const SEED_SPACING: u32 = 48;

/// Core position: largest horizontal offset from the canvas centre, fraction of the width.
pub const CORE_JITTER_X: f32 = 0.08;
/// Core position: vertical range, fractions of the canvas height.
pub const CORE_Y_RANGE: (f32, f32) = (0.32, 0.52);
/// Per-finger scale of the core–delta geometry: uniform in 1 ± this.
pub const GEOMETRY_SPREAD: f32 = 0.25;
/// Amplitude of the smooth random orientation perturbation added to the class model, radians.
pub const ORIENTATION_NOISE: f32 = 0.35;

/// Fingertip shape: half-width as a fraction of master width.
pub const SHAPE_HALF_WIDTH: f32 = 0.43;
/// Fingertip shape: top (rounded) half-height as a fraction of master height.
pub const SHAPE_TOP_HALF_HEIGHT: f32 = 0.42;
/// Fingertip shape: bottom half-height as a fraction of master height.
pub const SHAPE_BOTTOM_HALF_HEIGHT: f32 = 0.62;

/// Impression rotation: standard deviation, radians (≈ 10°).
pub const ROTATION_SD: f32 = 0.17;
/// Impression rotation: hard limit, radians (≈ 29°).
pub const ROTATION_MAX: f32 = 0.5;
/// Impression translation: standard deviation per axis, pixels.
pub const TRANSLATION_SD: f32 = 32.0;
/// Impression translation: hard limit per axis, pixels.
pub const TRANSLATION_MAX: f32 = 60.0;
/// Elastic distortion: largest displacement amplitude, pixels.
pub const DISTORTION_MAX: f32 = 18.0;
/// Elastic distortion: wavelength range of the smooth displacement field, pixels.
pub const DISTORTION_WAVELENGTH: (f32, f32) = (120.0, 320.0);
/// Pressure: range of the ridge-thickness bias (negative = light touch, thin ridges).
pub const PRESSURE_RANGE: (f32, f32) = (-0.8, 0.7);
/// Contact ellipse scale range relative to the fingertip shape (light to hard press).
pub const CONTACT_SCALE_RANGE: (f32, f32) = (0.45, 0.92);
/// Partial contact: largest shift of the contact ellipse, as a fraction of its half-axis.
pub const CONTACT_SHIFT_MAX: f32 = 0.4;
/// Contact border softness, pixels.
pub const CONTACT_EDGE: f32 = 10.0;
/// Dryness: largest fraction of ridge area broken into blotches.
pub const DRYNESS_MAX: f32 = 0.45;
/// Dryness blotch size (wavelength of the blotch noise), pixels.
pub const DRYNESS_BLOTCH: f32 = 12.0;
/// Ridge-level perturbation: amplitude of the fine random field added to the ridge pattern of
/// each impression (breaks and merges ridges locally, like skin condition and sensor contact).
pub const RIDGE_PERTURBATION: f32 = 2.5;
/// Ridge-level perturbation: lattice cell of that field, pixels (about one ridge period).
pub const RIDGE_PERTURBATION_CELL: f32 = 10.0;
/// Controlled model: mean distance between master growth seeds, pixels (dense minutiae).
pub const CONTROLLED_SEED_SPACING: u32 = 14;
/// Controlled model: master growth passes.
pub const CONTROLLED_GROWTH_ITERATIONS: usize = 14;
/// Controlled impressions (cooperative user, clean sensor): rotation standard deviation and limit, radians.
pub const CONTROLLED_ROTATION: (f32, f32) = (0.12, 0.35);
/// Controlled impressions: translation standard deviation and limit per axis, pixels.
pub const CONTROLLED_TRANSLATION: (f32, f32) = (10.0, 36.0);
/// Controlled impressions: largest elastic distortion, pixels.
pub const CONTROLLED_DISTORTION_MAX: f32 = 4.0;
/// Controlled impressions: distortion wavelength range, pixels.
pub const CONTROLLED_DISTORTION_WAVELENGTH: (f32, f32) = (180.0, 420.0);
/// Controlled impressions: pressure (ridge-thickness bias) range.
pub const CONTROLLED_PRESSURE_RANGE: (f32, f32) = (-0.35, 0.35);
/// Controlled impressions: contact scale range.
pub const CONTROLLED_CONTACT_SCALE_RANGE: (f32, f32) = (0.78, 1.0);
/// Controlled impressions: largest contact shift, fraction of the half-axis.
pub const CONTROLLED_CONTACT_SHIFT_MAX: f32 = 0.1;
/// Controlled impressions: largest dryness fraction.
pub const CONTROLLED_DRYNESS_MAX: f32 = 0.2;
/// Controlled impressions: sensor noise standard deviation range, grey levels.
pub const CONTROLLED_NOISE_SD_RANGE: (f32, f32) = (1.0, 4.0);
/// Steepness of the ridge profile when mapping the field to ink.
pub const INK_STEEPNESS: f32 = 3.0;
/// Background grey level range (light sensor background).
pub const BACKGROUND_RANGE: (f32, f32) = (205.0, 235.0);
/// Darkest ridge grey level range.
pub const RIDGE_LEVEL_RANGE: (f32, f32) = (20.0, 70.0);
/// Sensor noise standard deviation range, grey levels.
pub const NOISE_SD_RANGE: (f32, f32) = (6.0, 22.0);
/// Amplitude of the smooth background illumination variation, grey levels.
pub const BACKGROUND_SHADING: f32 = 10.0;

/// Template generator, realistic model: master minutiae count (whole fingertip) mean and sd.
pub const TPL_REALISTIC_MASTER_COUNT: (f32, f32) = (128.0, 33.0);
/// Template generator, realistic model: contact scale range (relative to the fingertip outline).
pub const TPL_REALISTIC_CONTACT_SCALE: (f32, f32) = (0.45, 0.92);
/// Template generator, realistic model: largest smooth elastic distortion, pixels (below the
/// images' value: extraction of a distorted image already loses the most distorted minutiae).
pub const TPL_REALISTIC_DISTORTION_MAX: f32 = 8.0;
/// Template generator, realistic model: range of the per-impression miss probability.
pub const TPL_REALISTIC_DROP: (f32, f32) = (0.03, 0.55);
/// Template generator, realistic model: position jitter standard deviation, pixels.
pub const TPL_REALISTIC_JITTER_SD: f32 = 1.0;
/// Template generator, realistic model: angle jitter standard deviation, radians.
pub const TPL_REALISTIC_ANGLE_JITTER_SD: f32 = 0.05;
/// Template generator, realistic model: mean number of spurious minutiae per impression.
pub const TPL_REALISTIC_SPURIOUS_MEAN: f32 = 8.0;
/// Template generator, controlled model: master minutiae count mean and sd.
pub const TPL_CONTROLLED_MASTER_COUNT: (f32, f32) = (101.0, 40.0);
/// Template generator, controlled model: contact scale range (steady, about the realistic model's
/// average, so the minutiae density stays the real one).
pub const TPL_CONTROLLED_CONTACT_SCALE: (f32, f32) = (0.62, 0.74);
/// Template generator, controlled model: range of the per-impression miss probability.
pub const TPL_CONTROLLED_DROP: (f32, f32) = (0.1, 0.2);
/// Template generator, controlled model: position jitter standard deviation, pixels.
pub const TPL_CONTROLLED_JITTER_SD: f32 = 2.5;
/// Template generator, controlled model: angle jitter standard deviation, radians.
pub const TPL_CONTROLLED_ANGLE_JITTER_SD: f32 = 0.12;
/// Template generator, controlled model: mean number of spurious minutiae per impression.
pub const TPL_CONTROLLED_SPURIOUS_MEAN: f32 = 6.0;
/// Template generator: hard limits of the master count.
pub const TPL_MASTER_COUNT_RANGE: (u32, u32) = (30, 260);
/// Template generator: minimum distance between master minutiae, pixels.
pub const TPL_MIN_SPACING: f32 = 8.5;
/// Template generator: fraction of ridge endings (the rest are bifurcations).
pub const TPL_ENDING_RATIO: f32 = 0.59;
/// Template generator: master minutia quality mean and standard deviation (0..=100).
pub const TPL_QUALITY: (f32, f32) = (56.0, 22.0);
/// Template generator: probability that the kind of a minutia is swapped (ending↔bifurcation).
pub const TPL_KIND_FLIP_PROBABILITY: f32 = 0.1;
/// Template generator: quality mean and standard deviation of spurious minutiae.
pub const TPL_SPURIOUS_QUALITY: (f32, f32) = (43.0, 17.0);
/// Template generator: per-impression quality jitter standard deviation.
pub const TPL_QUALITY_JITTER_SD: f32 = 8.0;
/// Template generator: bounded attempts per master minutia in dart throwing (bounds work).
pub const TPL_PLACEMENT_ATTEMPTS: u32 = 30;
/// Template generator: image quality range written into templates.
pub const TPL_IMAGE_QUALITY: (f32, f32) = (67.0, 100.0);
/// Template generator: side of the ridge-flow cells written into templates, px at 500 dpi (the
/// extractor's cell, `ridgegate_extract::params::FLOW_CELL`).
pub const TPL_FLOW_CELL: u8 = 24;
/// Template generator: contact ellipse half-height as a fraction of the master canvas height.
pub const TPL_CONTACT_HALF_HEIGHT: f32 = 0.5;

/// Fit targets of the template generator: minutiae statistics of real extraction output on the six
/// sensor sets of ../shared/fingerprints (480 images; FVC2000/2002 DB1–DB3, excluding the SFinGe
/// DB4 sets), measured by `tests/synth_realism.rs` (it prints them) on extractor
/// ALGORITHM_VERSION 13 (version 7 measured 44.4 ± 20.4 minutiae; the generator's master counts,
/// ending ratio and qualities were re-fitted to version 13): minutiae per template, mean and
/// standard deviation.
pub const REAL_COUNT: (f64, f64) = (39.9, 17.0);
/// Fit target: mean distance to the nearest other minutia of the same template, px at 500 dpi.
pub const REAL_SPACING_MEAN: f64 = 23.4;
/// Fit target: median nearest-neighbour distance, px at 500 dpi.
pub const REAL_SPACING_MEDIAN: f64 = 21.0;
/// Fit target: fraction of ridge endings.
pub const REAL_ENDING_RATIO: f64 = 0.575;
/// Fit target: minutia quality mean and standard deviation (quality lowered for minutiae in
/// crowds since version 11).
pub const REAL_QUALITY: (f64, f64) = (54.5, 22.9);
/// Fit target: mean template (image) quality.
pub const REAL_IMAGE_QUALITY: f64 = 83.3;
