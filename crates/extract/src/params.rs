//! Every tunable of the extractor, in one place. Lengths are in pixels at the working
//! resolution [`WORKING_DPI`] (images are resampled to it first), angles in radians.
//! Changing any value changes extraction output: bump [`crate::ALGORITHM_VERSION`].

/// Resolution every image is resampled to before extraction (the FBI/ISO norm for live scanners).
pub const WORKING_DPI: u16 = 500;
/// Largest side accepted after resampling (8 inches at 500 dpi); bounds memory and time.
pub const MAX_WORKING_SIDE: usize = 4000;

/// Side of the square blocks on which block statistics, orientation and frequency are computed.
pub const BLOCK: usize = 8;
/// Radius in blocks of the window used for block contrast (1 = the block and its 8 neighbours).
pub const STAT_RADIUS_BLOCKS: usize = 1;
/// A block is foreground if its grey-level standard deviation exceeds this fraction of the
/// 90th-percentile block contrast of the image…
pub const SEG_RELATIVE_CONTRAST: f32 = 0.30;
/// …and at least this absolute standard deviation (grey levels), so blank images stay empty.
pub const SEG_MIN_CONTRAST: f32 = 4.0;
/// …and an orientation coherence of at least this over [`SEG_COHERENCE_RADIUS_BLOCKS`]: ridges are
/// an oriented texture, while sensor noise, dust, latent residue and the speckle of a capacitive
/// sensor's background have contrast but no dominant direction. Low-coherence areas inside the
/// finger (cores, deltas) come back through the majority vote and hole filling.
pub const SEG_MIN_COHERENCE: f32 = 0.15;
/// Radius in blocks of the coherence window for segmentation (2 = 40×40 px): wider than the
/// orientation window, so that the pixel noise of dry or faint prints averages out while
/// isotropic texture stays incoherent.
pub const SEG_COHERENCE_RADIUS_BLOCKS: usize = 2;
/// Radius (blocks) of the majority vote that smooths the foreground mask.
pub const SEG_VOTE_RADIUS: usize = 2;
/// Fraction of neighbours that must be foreground in the vote.
pub const SEG_VOTE_MAJORITY: f32 = 0.5;
/// Foreground blocks needed for a usable image (~ 48 blocks = 3,000 px² ≈ 7.7 mm²).
pub const MIN_FOREGROUND_BLOCKS: usize = 48;

/// Standard deviation (px at 500 dpi) of the Gaussian blur applied before the gradients of the
/// orientation field and segmentation coherence ([`crate::orientation::smoothed_image`]): merges
/// pores, dots and breaks into their ridges. Mean EER over 16 pixel shifts of the 8 FVC sets
/// (`ridgegate eval --shifts 16`): 2.34 % without; σ 1.0: 1.92 %, 1.25: 1.97 %, 1.5: 2.00 % (the
/// SFinGe DB4 sets, with the thinnest ridges, start to lose), 2.5: 8.03 % (ridges blurred away).
pub const ORIENT_PRESMOOTH_SIGMA: f32 = 1.0;
/// Radius in blocks of the gradient-covariance window for the block orientation (1 = 24×24 px).
pub const ORIENT_RADIUS_BLOCKS: usize = 1;
/// Radius (blocks) of the box smoothing applied twice to the doubled-angle orientation field.
pub const ORIENT_SMOOTH_RADIUS: usize = 2;

/// Radius (blocks) of the smoothing of the refined orientation field (measured on the first
/// Gabor pass, whose output is already smooth along the ridges).
pub const REFINED_ORIENT_SMOOTH_RADIUS: usize = 1;
/// Standard deviation (px at 500 dpi) of the Gaussian blur applied before the first ridge-period
/// measurement ([`crate::frequency::period_image`]): spreads dots and pores along their ridges
/// before the signature samples them sparsely. Mean EER over 16 pixel shifts of the 8 FVC sets
/// (`ridgegate eval --shifts 16`), extractor v12 measured the period on the unblurred image:
/// 1.92 %; σ 0.7: 1.66 %, 1.0: 1.40 %, 1.5: 1.29 %, 2.0: 1.26 %, 2.5: 1.26 %, 3.0: 1.35 % (ridges of
/// short periods fade); 2.0 is the middle of the plateau.
pub const PERIOD_PRESMOOTH_SIGMA: f32 = 2.0;
/// Length along the ridge normal of the signature window used to measure ridge period, px.
pub const FREQ_WINDOW_LENGTH: usize = 32;
/// Half-width along the ridge of that window, px.
pub const FREQ_WINDOW_HALF_WIDTH: usize = 6;
/// Step between samples along the ridge in that window, px.
pub const FREQ_WINDOW_STEP: usize = 2;
/// Shortest plausible ridge period at 500 dpi, px (~ 0.25 mm).
pub const MIN_PERIOD: f32 = 5.0;
/// Longest plausible ridge period at 500 dpi, px (~ 0.76 mm).
pub const MAX_PERIOD: f32 = 15.0;
/// Period assumed where none can be measured (typical adult fingertip at 500 dpi).
pub const DEFAULT_PERIOD: f32 = 9.0;
/// Radius (blocks) of the smoothing applied to the period map.
pub const FREQ_SMOOTH_RADIUS: usize = 2;

/// Number of quantised orientations in the Gabor filter bank (11.25° apart).
pub const GABOR_ORIENTATIONS: usize = 16;
/// Gabor envelope standard deviation as a fraction of the ridge period, across the ridges.
pub const GABOR_SIGMA_ACROSS: f32 = 0.45;
/// Gabor envelope standard deviation as a fraction of the ridge period, along the ridges.
pub const GABOR_SIGMA_ALONG: f32 = 0.55;
/// Kernel radius in px (kernel side = 2·radius + 1).
pub const GABOR_RADIUS: usize = 6;

/// Valley components (background between ridges) smaller than this many px are filled before
/// thinning: pores and the short pieces of a thin valley broken by ink or pressure, which would
/// thin to small loops, i.e. pairs of false bifurcations (~ 0.12 mm², half a ridge period squared
/// at the typical 9 px period; real enclosures/lakes are two periods long or more).
pub const MIN_VALLEY_AREA: usize = 40;

/// Blocks searched around a minutia for the nearest background block (5 = 40 px).
pub const BORDER_SEARCH_BLOCKS: usize = 5;
/// Minutiae closer than this to the foreground border are dropped (px).
pub const BORDER_MARGIN: f32 = 14.0;
/// Distance traced along the skeleton to measure a minutia's direction (px).
pub const DIRECTION_TRACE: usize = 10;
/// An ending whose ridge reaches a bifurcation within this length is a spur (both removed).
/// Shorter than a ridge period: longer removal erased real ending/bifurcation pairs (measured
/// through the matcher: 8-set mean EER 6.3 % at 12 px, 5.6 % at 8 px).
pub const SPUR_LENGTH: usize = 8;
/// A ridge with two endings closer than this along the skeleton is a fragment (both removed).
pub const SHORT_RIDGE_LENGTH: usize = 12;
/// Two bifurcations joined by a ridge shorter than this form a bridge (both removed).
pub const BRIDGE_LENGTH: usize = 10;
/// A bifurcation two of whose branches reach the same bifurcation within this length (each)
/// encloses a hole or a lake in a ridge (both removed): typical of wide ridges binarised with a
/// pale core, about two ridge periods.
pub const HOLE_LENGTH: usize = 24;
/// Two endings closer than this (straight line), facing each other, are a broken ridge.
pub const GAP_DISTANCE: f32 = 12.0;
/// …and must point against each other within this angle (radians) to count as a gap.
pub const GAP_ANGLE_TOLERANCE: f32 = 0.6;
/// Radius of a minutia cloud (px): a minutia with more than [`CLUSTER_MAX`] neighbours within it
/// lies in a damaged area and is removed.
pub const CLUSTER_RADIUS: f32 = 12.0;
/// Neighbours tolerated within [`CLUSTER_RADIUS`].
pub const CLUSTER_MAX: usize = 2;
/// Minutiae in blocks whose orientation coherence is below this are unreliable and dropped. Kept
/// low: coherence is naturally low around cores and deltas, where minutiae are most distinctive
/// (dropping them at 0.25 cost ~1 point of 8-set mean EER).
pub const MIN_COHERENCE: f32 = 0.05;
/// Minutiae where the local ridge clarity ([`crate::enhancement::ridge_clarity`], 1 = the print's
/// median) is below this are dropped: the Gabor filter found little ridge structure there.
pub const MIN_CLARITY: f32 = 0.4;
/// Most minutiae kept per template (best by quality).
pub const MAX_MINUTIAE: usize = 100;
/// Radius (px at 500 dpi, about two and a half ridge periods) within which other surviving
/// minutiae count as a minutia's crowd: real minutiae are sparse, while the survivors of damaged,
/// wet or creased areas come in groups.
pub const CROWD_RADIUS: f32 = 24.0;
/// A minutia's quality is divided by `1 + CROWD_PENALTY × (neighbours within CROWD_RADIUS)`.
/// Measured on the 8 FVC sets as the mean EER over 16 pixel shifts (`ridgegate eval --shifts 16`):
/// 2.57 % without; 2.47 % at 24 or 32 px × 0.1 (chosen), 2.52 % at 20 px × 0.15, 2.54 % at
/// 16 px × 0.1. Over 8 shifts, radii 16–32 px and penalties 0.1–0.4 all gave 2.37–2.44 % (2.50 %
/// without); counting removed detections too, or a Gaussian-weighted count, did no better.
pub const CROWD_PENALTY: f32 = 0.1;

/// Image quality: foreground area (px at 500 dpi) that counts as a full-size contact.
pub const QUALITY_FULL_AREA: f32 = 60_000.0;
/// Image quality: only minutiae where the orientation coherence reaches this count as evidence
/// (the matcher also uses minutiae down to [`MIN_COHERENCE`], but a smudged image must not look
/// good because noise made many of them).
pub const QUALITY_MIN_COHERENCE: f32 = 0.25;
/// Image quality: minutia count that counts as full evidence.
pub const QUALITY_FULL_MINUTIAE: f32 = 35.0;

/// Side of a ridge-flow cell stored in the template, px at 500 dpi (three blocks, ≈ 1.2 mm or
/// 2.5 ridge periods): one byte per 576 px² (≈ 220 bytes for a 300 × 400 px image), which keeps a
/// 1:N gallery within 2 KB per template. Measured through the matcher (`eval --shifts 4`, mean
/// EER of the 8 FVC sets): 16 px 2.85 %, 24 px 2.87 %, 32 px 2.89 % — the flow is smooth, finer
/// cells add bytes, not evidence.
pub const FLOW_CELL: f32 = 24.0;
/// A flow cell carries an orientation only if at least this fraction of its blocks is foreground.
pub const FLOW_MIN_FOREGROUND: f32 = 0.5;
/// Weight of a block in its cell's orientation mean is its coherence plus this, so that cells of
/// incoherent blocks (cores, deltas) still average to an orientation.
pub const FLOW_MIN_WEIGHT: f32 = 0.05;
