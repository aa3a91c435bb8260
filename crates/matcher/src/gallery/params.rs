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
