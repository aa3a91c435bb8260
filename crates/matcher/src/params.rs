//! Every tunable of the matcher. Lengths in pixels at 500 dpi (templates are rescaled to it),
//! angles in radians. Changing a value changes scores: regenerate the calibration table.

use std::f32::consts::PI;

/// Resolution all templates are rescaled to before comparison.
pub const MATCH_DPI: f32 = 500.0;
/// Minutiae kept per template for matching (best by quality).
pub const MAX_MATCH_MINUTIAE: usize = 100;
/// Nearest neighbours per minutia that form its local edges.
pub const EDGE_NEIGHBOURS: usize = 8;
/// Edges shorter than this are too sensitive to position noise.
pub const MIN_EDGE_LENGTH: f32 = 12.0;
/// Edges longer than this are distorted too much by skin elasticity.
pub const MAX_EDGE_LENGTH: f32 = 180.0;
/// Edge length tolerance between a probe and a candidate edge (also the hash bucket size).
pub const EDGE_LENGTH_TOLERANCE: f32 = 10.0;
/// Edge angle tolerance (also the hash bucket size): 15°.
pub const EDGE_ANGLE_TOLERANCE: f32 = PI / 12.0;
/// Root pairs (most-voted minutia correspondences) tried as alignment anchors.
pub const MAX_ROOTS: usize = 12;
/// Pairing distance tolerance at the root, px…
pub const PAIR_DISTANCE_BASE: f32 = 10.0;
/// …growing with the distance from the root (skin distortion), px per px.
pub const PAIR_DISTANCE_SLOPE: f32 = 0.07;
/// Largest pairing distance tolerance, px.
pub const PAIR_DISTANCE_MAX: f32 = 26.0;
/// Pairing direction tolerance: 30°.
pub const PAIR_ANGLE_TOLERANCE: f32 = PI / 6.0;
/// Margin around a template's minutiae inside which the other template's minutiae count as
/// overlapping (could have been seen by both impressions), px.
pub const OVERLAP_MARGIN: f32 = 12.0;
/// Overlap counts below this are raised to it, so tiny overlaps cannot give high ratios by chance.
pub const MIN_OVERLAP_COUNT: f32 = 12.0;
/// Side of the grid cells used to find pairing partners quickly, px.
pub const GRID_CELL: f32 = 32.0;
