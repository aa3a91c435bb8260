//! Prefilter features (placeholder: none yet; every candidate goes to the full matcher).

use ridgegate_core::Template;

/// Per-record prefilter features of a shard.
#[derive(Debug, Default)]
pub(crate) struct FeatureStore {}

impl FeatureStore {
    pub fn push(&mut self, _t: &Template) {}
    pub fn compact(&mut self, _new_index: &[u32]) {}
    pub fn memory_bytes(&self) -> usize {
        0
    }
}
