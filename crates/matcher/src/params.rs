//! Every tunable of the matcher. Lengths in pixels at 500 dpi (templates are rescaled to it),
//! angles in radians. Changing a value changes scores: regenerate the calibration table.
//!
//! Default values follow Cappelli, Ferrara & Maltoni, "Minutia Cylinder-Code", IEEE TPAMI 32(12),
//! 2010 (Table 2, bit-based MCC with LSS-R consolidation) unless a comment says otherwise. None of
//! them is tuned per data set.

use std::f32::consts::PI;

/// Resolution all templates are rescaled to before comparison.
pub const MATCH_DPI: f32 = 500.0;
/// Minutiae kept per template for matching (best by quality).
pub const MAX_MATCH_MINUTIAE: usize = 100;

/// Cylinder radius R, px: a cylinder describes the neighbourhood within R of its minutia.
pub const CYLINDER_RADIUS: f32 = 70.0;
/// Spatial cells along each side of a cylinder (Ns): 8 gives 64 cells per direction layer, one
/// 64-bit word (Cappelli et al. use 16, four words per layer: about 4× the comparison cost).
pub const SPATIAL_CELLS: usize = 8;
/// Direction layers of a cylinder (Nd): the neighbour's direction relative to the centre minutia.
pub const DIRECTION_CELLS: usize = 6;
/// Standard deviation σS of the spatial Gaussian contribution of a neighbour, px.
pub const SIGMA_SPATIAL: f32 = 28.0 / 3.0;
/// A neighbour contributes to the cells whose centres lie within this many σS of it along each
/// axis (the Gaussian there is 4.4 % of its peak), and only neighbours within R plus this many σS
/// of the centre count (Cappelli et al.: 3, where it is 1.1 %). Measured against 3 on the 8 FVC
/// sets (extractor v13; `ridgegate bench match` on the sets' templates, two runs each, alternating):
/// search-form build p50 23.1–23.2 → 21.0–21.3 µs, fresh pair 68.4–68.6 → 63.5–64.0 µs; mean EER
/// 1.05 → 1.03 % (paired bootstrap −0.02 points, 90 % CI −0.08 … +0.14), 16-shift mean 1.23 →
/// 1.23 %. 2.0 (against 3, back to back, 3 runs per item): build 24.0 → 19.9 µs, fresh 71.5 →
/// 61.7 µs, mean EER 1.04 %, but FVC2002 DB2 0.35 → 0.53 %.
pub const SPATIAL_REACH_SIGMAS: f32 = 2.5;
/// Standard deviation σD of the directional Gaussian contribution, radians (40°).
pub const SIGMA_DIRECTION: f32 = 2.0 * PI / 9.0;
/// A cell is set (bit 1) when its summed contribution exceeds μΨ (the sigmoid's midpoint).
pub const CELL_THRESHOLD: f32 = 0.01;
/// Cells are valid only within this distance of the convex hull of the template's minutiae
/// (Ω, px): outside it the absence of neighbours says nothing.
pub const HULL_MARGIN: f32 = 50.0;
/// A cylinder is used only if at least this fraction of its disc cells is valid (minVC)…
pub const MIN_VALID_CELLS: f32 = 0.75;
/// …and at least this many neighbours lie within R + [`SPATIAL_REACH_SIGMAS`]·σS (minM).
pub const MIN_NEIGHBOURS: usize = 2;
/// Two cylinders are comparable only if at least this fraction of disc cells is valid in both
/// (minME).
pub const MIN_MATCHABLE_CELLS: f32 = 0.60;
/// Largest rotation between two impressions: minutiae whose directions differ more do not match
/// (δθ, 90°).
pub const MAX_ROTATION: f32 = PI / 2.0;

/// Candidate minutiae compared in full with each probe minutia: those whose cylinder occupancy
/// (where neighbours lie, any direction) resembles the probe cylinder's most. A speed measure
/// (not in Cappelli et al.): true mates rank near the top of this cheap ordering.
pub const PRESELECT_PER_MINUTIA: usize = 6;

/// Pairs kept for the global score (nP) grow from this minimum…
pub const MIN_SCORE_PAIRS: usize = 4;
/// …to this maximum…
pub const MAX_SCORE_PAIRS: usize = 12;
/// …along a sigmoid of the smaller minutia count, centred here (μP)…
pub const SCORE_PAIRS_MID: f32 = 20.0;
/// …with this slope (τP).
pub const SCORE_PAIRS_SLOPE: f32 = 0.4;
/// Most pairs entering the relaxation (nR is the smaller cylinder count, capped here).
pub const MAX_RELAX_PAIRS: usize = 60;
/// Relaxation iterations (nrel).
pub const RELAX_ITERATIONS: usize = 5;
/// Weight of a pair's own similarity in each relaxation step (wR).
pub const RELAX_SELF_WEIGHT: f32 = 0.5;
/// Compatibility of two pairs, distance term: midpoint (px) and slope of the decreasing sigmoid
/// on the difference of the two inter-minutia distances (μρ1, τρ1).
pub const RELAX_DISTANCE_MID: f32 = 5.0;
/// See [`RELAX_DISTANCE_MID`].
pub const RELAX_DISTANCE_SLOPE: f32 = -8.0 / 5.0;
/// Compatibility, direction-difference term (μρ2, τρ2).
pub const RELAX_DIRECTION_MID: f32 = PI / 12.0;
/// See [`RELAX_DIRECTION_MID`].
pub const RELAX_DIRECTION_SLOPE: f32 = -30.0;
/// Compatibility, radial-angle term (μρ3, τρ3).
pub const RELAX_RADIAL_MID: f32 = PI / 12.0;
/// See [`RELAX_RADIAL_MID`].
pub const RELAX_RADIAL_SLOPE: f32 = -30.0;

/// Alignment for the geometric consolidation: a pair's direction difference counts in the
/// rotation fit like two points this far apart (px), so that clustered pairs still fix the
/// rotation. About one cylinder radius: directions and positions weigh alike over a cylinder.
pub const ALIGN_DIRECTION_RADIUS: f32 = 70.0;
/// Alignment hypotheses tried: one per most reinforced pair (SourceAFIS tries several root pairs
/// for the same reason: the best local pair is not always a true one).
pub const ALIGN_HYPOTHESES: usize = 3;
/// Alignment vote (`vote`): rotation cell, radians (10°: two extractions' direction error
/// spreads a true correspondence's vote over about one cell; the winning block spans two).
pub const ALIGN_VOTE_ROTATION_CELL: f32 = PI / 18.0;
/// Alignment vote: translation cell, px (of the order of a ridge period, ≈ 9 px at 500 dpi, plus
/// the ≈ 6 px that half a rotation cell moves a minutia 70 px from the centroid; the winning
/// block spans two cells).
pub const ALIGN_VOTE_TRANSLATION_CELL: f32 = 12.0;
/// Alignment vote: minutiae of each template that vote, best quality first (the vote costs
/// their product; the best minutiae are the likeliest true ones).
pub const ALIGN_VOTE_MINUTIAE: usize = 40;
/// The alignment vote is skipped when the seeds' best alignment already pairs this fraction of
/// the smaller template's minutiae (a clear genuine alignment the vote could only repeat;
/// measured: no EER changes on the FVC sets at 0.4–0.6, and a gate's comparisons are mostly
/// such pairs).
pub const ALIGN_VOTE_CONFIDENT: f32 = 0.5;
/// Alignment vote: fewest votes in the winning block for it to be tried as a hypothesis (fewer
/// pairs fix no alignment).
pub const ALIGN_VOTE_MIN: u32 = 3;
/// Pairing tolerance after alignment at the alignment's reference point, px: about one ridge
/// period at 500 dpi (minutia location error of two extractions plus the fit's residual), and
/// below the typical nearest-neighbour distance of minutiae (≈ 20 px), so that a minutia rarely
/// has two candidates.
pub const PAIR_DISTANCE_TOLERANCE: f32 = 8.0;
/// Growth of the pairing tolerance with the distance from the reference point (px per px): skin
/// distortion accumulates with distance (Jain, Hong & Bolle 1997: tolerance box growing with
/// radius; Cappelli, Maio & Maltoni 2001 distortion model: a few percent of the distance).
pub const PAIR_DISTANCE_GROWTH: f32 = 0.05;
/// Largest direction difference of two paired minutiae after alignment (20°: about twice the
/// direction error of an extractor, SourceAFIS uses 10° on each end of its edges).
pub const PAIR_ANGLE_TOLERANCE: f32 = PI / 9.0;
/// A minutia counts as in the common area when within this distance of the other template's
/// hull (px): minutiae lie up to about one ridge period inside the imaged area's border.
pub const OVERLAP_MARGIN: f32 = 10.0;
/// The consolidation counts a minutia (paired or in the common area) with the weight
/// `(quality / 100)^MINUTIA_WEIGHT_EXPONENT`, so that unpaired minutiae in unclear areas (creases,
/// wet or dry patches: low ridge-flow coherence and ridge clarity, the extractor's quality
/// factors) dilute the paired fraction less than clear ones: quality as a reliability weight.
/// Measured on the FVC sets, `eval --shifts 8`, mean EER over the 8 shifts: unweighted 2.63 %, exponent 1: 2.56, 2: 2.53, 3: 2.50, 4: 2.48, 6: 2.49
/// %; 3 is the start of that plateau (its differences are below the shift-to-shift noise).
pub const MINUTIA_WEIGHT_EXPONENT: i32 = 3;
/// The consolidation's evidence count is the paired count × (mean weight of the paired minutiae
/// / mean weight of the common area's minutiae, geometric mean of the two sides) to this power:
/// pairs of clear minutiae are stronger evidence than chance pairings of average ones. Measured
/// with extractor v11 on the FVC sets, mean EER over 16 pixel shifts (`eval --shifts 16`):
/// 0 (plain count): 2.47 %, 1: 2.40, 2: 2.34, 3: 2.33, 4: 2.34; 2 is the start of that plateau.
pub const EVIDENCE_WEIGHT_EXPONENT: i32 = 2;
/// Overlap counts below this are raised to it: a tiny common area cannot give full confidence.
pub const CONSOLIDATION_MIN_OVERLAP: f32 = 8.0;
/// Paired-minutiae count at which the count weighs half: a few pairs can arise by chance
/// (12 matching minutiae is the forensic tradition's usual threshold).
pub const CONSOLIDATION_HALF_COUNT: f32 = 12.0;
/// Fusion of the two similarities: raw = local · (LOCAL_FLOOR + consolidated). The local
/// (cylinder) similarity keeps this share of its weight when consolidation pairs nothing
/// (alignment failed, e.g. heavy distortion), and is boosted up to 1.5× when the aligned
/// minutiae agree: neither measure alone vetoes the other. Half is the neutral choice.
pub const LOCAL_FLOOR: f32 = 0.5;

/// Ridge-flow agreement (mean `cos 2δ` of the orientations in the common area, see `flow`) that
/// counts as no evidence. Unrelated prints of the same pattern class, aligned by chance minutia
/// pairings, still run roughly alike (their flows are smooth, with the same loops and whorls):
/// on the FVC sets 10 % of impostor comparisons exceed 0.77–0.90, while genuine ones have a
/// median of 0.97 (δ ≈ 10°, the error of two orientation estimates). Agreement between this
/// and 1 maps linearly to a ridge-flow similarity in `[0, 1]`.
pub const FLOW_AGREEMENT_FLOOR: f32 = 0.8;
/// Weight of the ridge-flow similarity: raw = minutiae evidence · (1 + FLOW_WEIGHT · flow), so
/// that agreeing ridge flow raises the minutiae evidence by up to half, like the consolidation
/// does the local similarity ([`LOCAL_FLOOR`]): supporting evidence, never a veto, and never a
/// match on ridge flow alone.
pub const FLOW_WEIGHT: f32 = 0.5;
