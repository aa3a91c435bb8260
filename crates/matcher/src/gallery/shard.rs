//! One shard of the gallery: the subjects hashed to it and their templates, stored as
//! struct-of-arrays (one column per field, minutiae in one contiguous arena) so a scan touches
//! only the columns it needs and a template costs no allocation of its own.

use super::params::{COMPACT_DEAD_FRACTION, COMPACT_MIN_DEAD};
use super::prefilter::FeatureStore;

/// Prefilter features of one template: (codes, headings).
pub(crate) type Features = (Vec<u16>, Vec<u8>);
use ridgegate_core::{FingerPosition, Minutia, RidgeFlow, Template};
use std::collections::HashMap;

/// Marks a dead record in [`Shard::rec_subject`].
pub(crate) const DEAD: u32 = u32::MAX;

/// A subject of this shard: its id and its live records.
#[derive(Debug, Default)]
pub(crate) struct SubjectEntry {
    pub name: String,
    /// Live record indices, grouped by finger in insertion order.
    pub records: Vec<u32>,
}

/// Header fields of a stored template (everything of [`Template`] except the minutiae).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Meta {
    pub width: u16,
    pub height: u16,
    pub dpi: u16,
    pub algorithm_version: u16,
    pub quality: u8,
}

/// Where a record's ridge flow lies in [`Shard::flow_arena`] (`cell` 0: the template has none).
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct FlowRef {
    pub start: u32,
    pub cell: u8,
    pub columns: u16,
    pub rows: u16,
}

impl FlowRef {
    fn len(&self) -> usize {
        self.columns as usize * self.rows as usize
    }
}

/// Storage of one shard. Not synchronised itself: the gallery wraps it in a `RwLock`.
#[derive(Debug, Default)]
pub(crate) struct Shard {
    /// Subject id → slot in `subjects`.
    index: HashMap<String, u32>,
    /// Slot → subject; slots of removed subjects are reused via `free`.
    pub subjects: Vec<SubjectEntry>,
    free: Vec<u32>,
    /// Record → owning subject slot, or [`DEAD`].
    pub rec_subject: Vec<u32>,
    /// Record → finger position code.
    pub rec_finger: Vec<u8>,
    /// Record → view index within its subject+finger (order of the `insert` call).
    pub rec_view: Vec<u8>,
    /// Record → template header.
    pub rec_meta: Vec<Meta>,
    /// Record → (start, count) in `arena`.
    pub rec_minutiae: Vec<(u32, u32)>,
    /// All minutiae of all records, contiguous.
    pub arena: Vec<Minutia>,
    /// Record → its ridge flow in `flow_arena`.
    pub rec_flow: Vec<FlowRef>,
    /// All ridge-flow codes of all records, contiguous (one byte per cell).
    pub flow_arena: Vec<u8>,
    /// Prefilter features, one entry per record (same indices).
    pub features: FeatureStore,
    /// Number of live records.
    pub live: usize,
    /// Number of dead records still occupying storage.
    dead: usize,
}

impl Shard {
    /// The slot of `subject`, if present.
    pub fn slot(&self, subject: &str) -> Option<u32> {
        self.index.get(subject).copied()
    }

    /// Number of subjects with at least one live template.
    pub fn subject_count(&self) -> usize {
        self.index.len()
    }

    /// Rebuilds the stored [`Template`] of record `r` exactly (bit-identical minutiae and header).
    pub fn template(&self, r: u32) -> Template {
        let r = r as usize;
        let m = self.rec_meta[r];
        let (start, count) = self.rec_minutiae[r];
        Template {
            width: m.width,
            height: m.height,
            dpi: m.dpi,
            quality: m.quality,
            finger: FingerPosition::from_code(self.rec_finger[r]).unwrap_or(FingerPosition::Unknown),
            algorithm_version: m.algorithm_version,
            minutiae: self.arena[start as usize..(start + count) as usize].to_vec(),
            ridge_flow: self.flow(r),
        }
    }

    fn flow(&self, r: usize) -> Option<RidgeFlow> {
        let f = self.rec_flow[r];
        (f.cell != 0).then(|| RidgeFlow {
            cell: f.cell,
            columns: f.columns,
            rows: f.rows,
            codes: self.flow_arena[f.start as usize..f.start as usize + f.len()].to_vec(),
        })
    }

    /// Replaces the views of `subject`'s `finger` by `templates` (at most `MAX_VIEWS`, checked by
    /// the caller). An empty slice just removes that finger. Returns the number of records removed.
    /// `features[i]` are the prefilter (codes, headings) of `templates[i]`.
    pub fn replace(
        &mut self,
        subject: &str,
        finger: FingerPosition,
        templates: &[Template],
        features: &[Features],
    ) -> usize {
        let code = finger.code();
        let slot = match self.index.get(subject) {
            Some(&s) => s,
            None if templates.is_empty() => return 0,
            None => {
                let s = match self.free.pop() {
                    Some(s) => {
                        self.subjects[s as usize].name = subject.to_string();
                        s
                    }
                    None => {
                        self.subjects.push(SubjectEntry { name: subject.to_string(), records: Vec::new() });
                        (self.subjects.len() - 1) as u32
                    }
                };
                self.index.insert(subject.to_string(), s);
                s
            }
        };
        // Kill the old views of this finger.
        let mut removed = 0;
        let mut kept = std::mem::take(&mut self.subjects[slot as usize].records);
        kept.retain(|&r| {
            if self.rec_finger[r as usize] == code {
                self.rec_subject[r as usize] = DEAD;
                removed += 1;
                false
            } else {
                true
            }
        });
        self.live -= removed;
        self.dead += removed;
        for (view, (t, f)) in templates.iter().zip(features).enumerate() {
            kept.push(self.push_record(slot, code, view as u8, t, f));
        }
        self.live += templates.len();
        let empty = kept.is_empty();
        self.subjects[slot as usize].records = kept;
        if empty {
            self.drop_slot(slot);
        }
        self.maybe_compact();
        removed
    }

    /// Reserves exactly enough room for `subjects` new subjects with `records` templates holding
    /// `minutiae` minutiae, `codes` prefilter codes and `flow` ridge-flow cells (batch builds: no
    /// growth slack).
    pub fn reserve_exact(&mut self, subjects: usize, records: usize, minutiae: usize, codes: usize, flow: usize) {
        self.index.reserve(subjects);
        self.subjects.reserve_exact(subjects);
        self.rec_subject.reserve_exact(records);
        self.rec_finger.reserve_exact(records);
        self.rec_view.reserve_exact(records);
        self.rec_meta.reserve_exact(records);
        self.rec_minutiae.reserve_exact(records);
        self.arena.reserve_exact(minutiae);
        self.rec_flow.reserve_exact(records);
        self.flow_arena.reserve_exact(flow);
        self.features.ranges.reserve_exact(records);
        self.features.codes.reserve_exact(codes);
        self.features.headings.reserve_exact(codes);
    }

    /// Removes a subject entirely; returns its number of templates.
    pub fn remove(&mut self, subject: &str) -> usize {
        let Some(slot) = self.index.get(subject).copied() else { return 0 };
        let records = std::mem::take(&mut self.subjects[slot as usize].records);
        for &r in &records {
            self.rec_subject[r as usize] = DEAD;
        }
        self.live -= records.len();
        self.dead += records.len();
        self.drop_slot(slot);
        self.maybe_compact();
        records.len()
    }

    fn drop_slot(&mut self, slot: u32) {
        let name = std::mem::take(&mut self.subjects[slot as usize].name);
        self.index.remove(&name);
        self.free.push(slot);
    }

    fn push_record(&mut self, slot: u32, finger: u8, view: u8, t: &Template, features: &Features) -> u32 {
        let r = self.rec_subject.len() as u32;
        self.rec_subject.push(slot);
        self.rec_finger.push(finger);
        self.rec_view.push(view);
        self.rec_meta.push(Meta {
            width: t.width,
            height: t.height,
            dpi: t.dpi,
            algorithm_version: t.algorithm_version,
            quality: t.quality,
        });
        self.rec_minutiae.push((self.arena.len() as u32, t.minutiae.len() as u32));
        self.arena.extend_from_slice(&t.minutiae);
        self.rec_flow.push(match &t.ridge_flow {
            Some(f) => {
                let start = self.flow_arena.len() as u32;
                self.flow_arena.extend_from_slice(&f.codes);
                FlowRef { start, cell: f.cell, columns: f.columns, rows: f.rows }
            }
            None => FlowRef::default(),
        });
        self.features.push(&features.0, &features.1);
        r
    }

    /// Drops dead records once they are a sizeable part of the storage. O(shard size).
    fn maybe_compact(&mut self) {
        if self.dead < COMPACT_MIN_DEAD || (self.dead as f64) < COMPACT_DEAD_FRACTION * self.live as f64 {
            return;
        }
        let n = self.rec_subject.len();
        let mut new_index = vec![DEAD; n];
        let mut arena = Vec::with_capacity(self.arena.len());
        let mut flow_arena = Vec::with_capacity(self.flow_arena.len());
        let mut w = 0usize;
        for (r, ni) in new_index.iter_mut().enumerate() {
            if self.rec_subject[r] == DEAD {
                continue;
            }
            *ni = w as u32;
            let (start, count) = self.rec_minutiae[r];
            self.rec_minutiae[w] = (arena.len() as u32, count);
            arena.extend_from_slice(&self.arena[start as usize..(start + count) as usize]);
            let f = self.rec_flow[r];
            self.rec_flow[w] = FlowRef { start: flow_arena.len() as u32, ..f };
            flow_arena.extend_from_slice(&self.flow_arena[f.start as usize..f.start as usize + f.len()]);
            self.rec_subject[w] = self.rec_subject[r];
            self.rec_finger[w] = self.rec_finger[r];
            self.rec_view[w] = self.rec_view[r];
            self.rec_meta[w] = self.rec_meta[r];
            w += 1;
        }
        self.features.compact(&new_index);
        self.rec_subject.truncate(w);
        self.rec_finger.truncate(w);
        self.rec_view.truncate(w);
        self.rec_meta.truncate(w);
        self.rec_minutiae.truncate(w);
        self.rec_flow.truncate(w);
        self.rec_subject.shrink_to_fit();
        self.rec_finger.shrink_to_fit();
        self.rec_view.shrink_to_fit();
        self.rec_meta.shrink_to_fit();
        self.rec_minutiae.shrink_to_fit();
        self.rec_flow.shrink_to_fit();
        arena.shrink_to_fit();
        self.arena = arena;
        flow_arena.shrink_to_fit();
        self.flow_arena = flow_arena;
        for s in &mut self.subjects {
            for r in &mut s.records {
                *r = new_index[*r as usize];
            }
        }
        self.dead = 0;
    }

    /// Heap bytes held by this shard (capacities, not lengths).
    pub fn memory_bytes(&self) -> usize {
        use std::mem::size_of;
        let strings: usize = self.subjects.iter().map(|s| s.name.capacity() + s.records.capacity() * 4).sum();
        // HashMap: key String header + value + one control byte per bucket, plus the key's heap copy.
        let index = self.index.capacity() * (size_of::<String>() + size_of::<u32>() + 1)
            + self.index.keys().map(|k| k.capacity()).sum::<usize>();
        strings
            + index
            + self.subjects.capacity() * size_of::<SubjectEntry>()
            + self.free.capacity() * 4
            + self.rec_subject.capacity() * 4
            + self.rec_finger.capacity()
            + self.rec_view.capacity()
            + self.rec_meta.capacity() * size_of::<Meta>()
            + self.rec_minutiae.capacity() * size_of::<(u32, u32)>()
            + self.arena.capacity() * size_of::<Minutia>()
            + self.rec_flow.capacity() * size_of::<FlowRef>()
            + self.flow_arena.capacity()
            + self.features.memory_bytes()
    }
}
