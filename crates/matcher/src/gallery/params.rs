//! Every tunable of the 1:N [`Gallery`](super::Gallery). None of them changes a score: they decide
//! how the work is laid out and how many candidates the cheap prefilter hands to the full matcher.

/// Number of shards (independent read/write locks). A subject lives in exactly one shard (hash of
/// its id), so inserts lock one shard only; identification scans the shards in parallel.
pub const SHARDS: usize = 64;

/// Largest number of views stored per subject and finger (`FingerHit::best_view` is a `u8`).
pub const MAX_VIEWS: usize = 256;

/// A shard is compacted (dead records dropped, storage rebuilt) once its dead records exceed this
/// fraction of its live ones…
pub const COMPACT_DEAD_FRACTION: f64 = 0.25;
/// …and this absolute count (small shards are not worth rebuilding).
pub const COMPACT_MIN_DEAD: usize = 256;

/// Cascade default: searches over at most this many subjects skip the prefilter and compare every
/// candidate fully (exact). Measured on the 640 FVC templates (`tests/identify_fvc.rs`): near-tie
/// genuine matches (score 20–35, an impostor within a point) sit anywhere in the prefilter order,
/// so exact rank-1/top-10 at that size needs the whole gallery; it costs ~0.1 s per 1000 subjects.
pub const EXHAUSTIVE_UP_TO: usize = 1024;
/// Cascade default: larger searches compare fully this fraction of the subjects, the best by
/// prefilter score… It sets the full stage's cost, which grows with the gallery: 0.5 % of 250k
/// subjects = 1250 lead-view comparisons per search at 10⁶ templates. On FVC with the first
/// (edge-hash) matcher, stage 2 put every hit ≥ 40 within its best 2.7 % (17 of 639); the MCC
/// matcher also scores weak matches 40–70 that the prefilter ranks low (`tests/identify_fvc.rs`;
/// on synthetic galleries these are impostors at the gallery's chance level, see
/// `ridgegate bench identify --verify`), so larger galleries can miss such hits.
pub const SHORTLIST_FRACTION: f64 = 0.005;
/// …and at least this many subjects per requested result.
pub const SHORTLIST_PER_RESULT: usize = 8;
/// Cascade default: stage 1 (bag of edges) passes this fraction of the candidate templates to
/// stage 2 (rotation consensus). On FVC every hit ≥ 40 was within stage 1's best 9 %.
pub const RESCORE_FRACTION: f64 = 0.10;
/// …and at least this many templates per subject finally shortlisted.
pub const RESCORE_PER_SHORTLISTED: usize = 8;
/// Cascade default: the full matcher compares every shortlisted subject's lead view (best
/// prefilter score) first, then every other view of this many subjects per requested result (the
/// best by lead score) and of those whose lead score reaches the search's chance level (see
/// [`Cascade::all_views_per_result`](super::Cascade)). 2 × 10 results of 4-view subjects: ~60
/// further comparisons instead of 3 per shortlisted subject. Twice the results, so that a subject
/// whose lead view is not its best view can still overtake into the top `max_results`.
pub const ALL_VIEWS_PER_RESULT: usize = 2;

/// Prefilter: minutiae used per template (best by quality).
pub const PREFILTER_POINTS: usize = 64;
/// Prefilter: nearest neighbours joined to each minutia (directed edges per minutia).
pub const PREFILTER_NEIGHBOURS: usize = 8;
/// Prefilter: shortest edge used, px at 500 dpi (shorter edges are dominated by position noise).
pub const PREFILTER_MIN_LENGTH: f32 = 12.0;
/// Prefilter: longest edge used, px at 500 dpi (longer edges are distorted by skin elasticity).
pub const PREFILTER_MAX_LENGTH: f32 = 180.0;
/// Prefilter: edge length quantisation step, px. The probe also sets the nearest neighbouring bin,
/// so the tolerance is about one step.
pub const PREFILTER_LENGTH_BIN: f32 = 6.0;
/// Prefilter: bins per full turn for the two relative minutia directions (10° each).
pub const PREFILTER_ANGLE_BINS: usize = 36;
/// Prefilter stage 2: bins per full turn for edge headings and finger rotation (11.25° each; the
/// vote takes the best rotation bin with its two neighbours). At most 32.
pub const PREFILTER_HEADING_BINS: usize = 32;
