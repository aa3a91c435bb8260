//! # 1:N identification: the in-memory [`Gallery`]
//!
//! Enrolled subjects (applicant IDs), each with up to ten fingers, each finger with one or more
//! views (the desk captures 4). [`Gallery::identify`] compares a probe finger with the gallery and
//! returns the best subjects, ranked, with calibrated scores.
//!
//! ## Scores
//! A subject's score is that of its best finger; a finger's score is the matcher's fusion
//! ([`crate::fusion::finger_score`], the best view) over the probe's full comparisons
//! ([`crate::Probe::compare`]) with that finger's views. Scores are the calibrated
//! `−10·log10(FMR)` of [`crate::calibration`]: 40 ≈ one impostor comparison in 10⁴ scores that
//! high. [`Hit::fmr`] is that per-comparison estimate; a search over `n` comparisons has about
//! `n · fmr` expected impostors at or above the hit's score.
//!
//! ## Layout and cost
//! Subjects are hashed into [`params::SHARDS`] shards, each behind its own `RwLock`: an insert
//! locks one shard; an identification holds read locks on all shards (a consistent snapshot) and
//! scans them in parallel with rayon. Templates are stored as struct-of-arrays columns with all
//! minutiae in one arena per shard (no allocation per template).
//!
//! `Gallery` is `Send + Sync`: share it in an `Arc`; reads run concurrently with each other,
//! inserts and removals wait only for identifications that are running.

pub mod params;
mod prefilter;
mod shard;

use crate::fusion::finger_score;
use crate::{Candidate, Probe};
use params::{MAX_VIEWS, SHARDS};
use rayon::prelude::*;
use ridgegate_core::{FingerPosition, Score, Template};
use shard::Shard;
use std::sync::{RwLock, RwLockReadGuard, RwLockWriteGuard};

/// An in-memory, sharded 1:N gallery. See the [module docs](self). `Send + Sync`.
#[derive(Debug)]
pub struct Gallery {
    shards: Vec<RwLock<Shard>>,
}

/// Restrictions and limits of one identification. `Default`: everyone, every finger, 10 results,
/// no minimum score.
#[derive(Debug, Clone, Copy)]
pub struct Filter<'a> {
    /// Search only these subjects (e.g. an exam hall's roster); `None` = everyone. Unknown ids are
    /// ignored, duplicates count once.
    pub subjects: Option<&'a [&'a str]>,
    /// Compare the probe only with these finger positions; `None` = every enrolled finger.
    pub fingers: Option<&'a [FingerPosition]>,
    /// Largest number of hits returned (0 returns none).
    pub max_results: usize,
    /// Hits scoring below this are dropped.
    pub min_score: Score,
}

impl Default for Filter<'_> {
    fn default() -> Self {
        Filter { subjects: None, fingers: None, max_results: 10, min_score: Score::ZERO }
    }
}

/// One candidate subject of an identification.
#[derive(Debug, Clone, PartialEq)]
pub struct Hit {
    /// The subject id given to [`Gallery::insert`].
    pub subject: String,
    /// The subject's score: its best finger's score.
    pub score: Score,
    /// Estimated false match rate of one impostor comparison reaching `score` (`10^(−score/10)`).
    pub fmr: f64,
    /// Every finger of the subject that was compared, best first.
    pub fingers: Vec<FingerHit>,
}

/// The probe's result against one finger of a subject.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FingerHit {
    /// The enrolled finger position.
    pub finger: FingerPosition,
    /// The finger's score: the best over its views ([`crate::fusion::finger_score`]).
    pub score: Score,
    /// Index of the best view in the slice given to [`Gallery::insert`].
    pub best_view: u8,
}

/// Why [`Gallery::try_insert`] refused an insertion.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GalleryError {
    /// The subject id is empty.
    #[error("empty subject id: give every enrolled subject a non-empty id")]
    EmptySubject,
    /// More views than a finger can hold.
    #[error("{given} views for one finger, at most {MAX_VIEWS}: keep the best views")]
    TooManyViews {
        /// Views given.
        given: usize,
    },
}

impl Default for Gallery {
    fn default() -> Self {
        Self::new()
    }
}

impl Gallery {
    /// An empty gallery (allocates only the shard table).
    pub fn new() -> Self {
        Gallery { shards: (0..SHARDS).map(|_| RwLock::new(Shard::default())).collect() }
    }

    /// Stores `templates` as the views of `subject`'s `finger`, replacing any views of that finger
    /// stored before (an empty slice removes the finger). Locks one shard; waits for running
    /// identifications. Views beyond [`params::MAX_VIEWS`] are not stored (use
    /// [`Gallery::try_insert`] to be told).
    pub fn insert(&self, subject: &str, finger: FingerPosition, templates: &[Template]) {
        let templates = &templates[..templates.len().min(MAX_VIEWS)];
        self.write(subject).replace(subject, finger, templates);
    }

    /// Like [`Gallery::insert`], but refuses an empty subject id or too many views, and returns the
    /// number of views it replaced.
    pub fn try_insert(
        &self,
        subject: &str,
        finger: FingerPosition,
        templates: &[Template],
    ) -> Result<usize, GalleryError> {
        if subject.is_empty() {
            return Err(GalleryError::EmptySubject);
        }
        if templates.len() > MAX_VIEWS {
            return Err(GalleryError::TooManyViews { given: templates.len() });
        }
        Ok(self.write(subject).replace(subject, finger, templates))
    }

    /// Removes every template of `subject`; returns how many there were (0 if unknown).
    pub fn remove(&self, subject: &str) -> usize {
        self.write(subject).remove(subject)
    }

    /// Number of templates (views) stored.
    pub fn len(&self) -> usize {
        self.shards.iter().map(|s| read(s).live).sum()
    }

    /// True when no template is stored.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Number of subjects with at least one template.
    pub fn subjects(&self) -> usize {
        self.shards.iter().map(|s| read(s).subject_count()).sum()
    }

    /// Heap bytes held by the gallery (all columns, arenas, indexes, ids), by capacity.
    pub fn memory_bytes(&self) -> usize {
        std::mem::size_of::<Self>()
            + self.shards.len() * std::mem::size_of::<RwLock<Shard>>()
            + self.shards.iter().map(|s| read(s).memory_bytes()).sum::<usize>()
    }

    /// Compares `probe` with the gallery and returns up to `filter.max_results` subjects scoring at
    /// least `filter.min_score`, best first (ties by subject id). Thread-safe; uses the rayon pool.
    pub fn identify(&self, probe: &Template, filter: &Filter<'_>) -> Vec<Hit> {
        if filter.max_results == 0 {
            return Vec::new();
        }
        let guards: Vec<RwLockReadGuard<'_, Shard>> = self.shards.iter().map(read).collect();
        let mask = finger_mask(filter.fingers);
        let candidates = candidate_subjects(&guards, filter.subjects, mask);
        let probe_index = Probe::new(probe);
        let scored = full_scores(&guards, &probe_index, &candidates, mask);
        rank(&guards, scored, filter)
    }

    fn write(&self, subject: &str) -> RwLockWriteGuard<'_, Shard> {
        // A panic while holding the lock cannot leave a shard half-updated in a way that breaks
        // reads (records are appended before they are linked), so poisoning is ignored.
        self.shards[shard_of(subject)].write().unwrap_or_else(|e| e.into_inner())
    }
}

fn read(s: &RwLock<Shard>) -> RwLockReadGuard<'_, Shard> {
    s.read().unwrap_or_else(|e| e.into_inner())
}

/// FNV-1a of the subject id, reduced to a shard index. Stable across runs and platforms.
fn shard_of(subject: &str) -> usize {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in subject.bytes() {
        h ^= b as u64;
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    (h % SHARDS as u64) as usize
}

/// Bit `code` set for every allowed finger position.
fn finger_mask(fingers: Option<&[FingerPosition]>) -> u16 {
    match fingers {
        None => u16::MAX,
        Some(list) => list.iter().fold(0u16, |m, f| m | 1 << f.code()),
    }
}

/// A subject to compare fully: (shard, slot).
type SubjectRef = (u16, u32);

/// Subjects that have at least one record in `mask`, restricted to `subjects` if given.
fn candidate_subjects(guards: &[RwLockReadGuard<'_, Shard>], subjects: Option<&[&str]>, mask: u16) -> Vec<SubjectRef> {
    let has_finger = |sh: &Shard, slot: u32| {
        sh.subjects[slot as usize].records.iter().any(|&r| mask & (1 << sh.rec_finger[r as usize]) != 0)
    };
    match subjects {
        Some(list) => {
            let mut out: Vec<SubjectRef> = list
                .iter()
                .filter_map(|s| {
                    let k = shard_of(s);
                    let slot = guards[k].slot(s)?;
                    has_finger(&guards[k], slot).then_some((k as u16, slot))
                })
                .collect();
            out.sort_unstable();
            out.dedup();
            out
        }
        None => guards
            .iter()
            .enumerate()
            .flat_map(|(k, sh)| {
                sh.subjects
                    .iter()
                    .enumerate()
                    .filter(|(_, s)| !s.records.is_empty())
                    .map(move |(slot, _)| (k as u16, slot as u32))
            })
            .filter(|&(k, slot)| has_finger(&guards[k as usize], slot))
            .collect(),
    }
}

/// One full comparison's result: (subject, finger code, view, score).
type Scored = (SubjectRef, u8, u8, Score);

/// Full matcher over every record (in `mask`) of the given subjects, in parallel.
fn full_scores(
    guards: &[RwLockReadGuard<'_, Shard>],
    probe: &Probe,
    subjects: &[SubjectRef],
    mask: u16,
) -> Vec<Scored> {
    let tasks: Vec<(SubjectRef, u32)> = subjects
        .iter()
        .flat_map(|&(k, slot)| {
            let sh = &guards[k as usize];
            sh.subjects[slot as usize]
                .records
                .iter()
                .filter(move |&&r| mask & (1 << sh.rec_finger[r as usize]) != 0)
                .map(move |&r| ((k, slot), r))
        })
        .collect();
    tasks
        .par_iter()
        .with_min_len(8)
        .map(|&((k, slot), r)| {
            let sh = &guards[k as usize];
            let score = probe.compare(&Candidate::new(&sh.template(r)));
            ((k, slot), sh.rec_finger[r as usize], sh.rec_view[r as usize], score)
        })
        .collect()
}

/// Groups full scores into subject hits (finger = fused views, subject = best finger), applies the
/// minimum score and the result limit, best first, ties by subject id.
fn rank(guards: &[RwLockReadGuard<'_, Shard>], mut scored: Vec<Scored>, filter: &Filter<'_>) -> Vec<Hit> {
    scored.sort_unstable_by_key(|&(s, f, v, _)| (s, f, v));
    let mut hits: Vec<(&str, Score, Vec<FingerHit>)> = Vec::new();
    for subject_rows in scored.chunk_by(|a, b| a.0 == b.0) {
        let mut fingers: Vec<FingerHit> = subject_rows
            .chunk_by(|a, b| a.1 == b.1)
            .map(|views| {
                let score = finger_score(views.iter().map(|v| v.3));
                // First view reaching the fused score (views are in insertion order).
                let best_view = views.iter().find(|v| v.3 == score).map_or(views[0].2, |v| v.2);
                let finger = FingerPosition::from_code(views[0].1).unwrap_or(FingerPosition::Unknown);
                FingerHit { finger, score, best_view }
            })
            .collect();
        fingers.sort_by(|a, b| b.score.0.total_cmp(&a.score.0).then(a.finger.cmp(&b.finger)));
        let score = fingers[0].score;
        if score.0 < filter.min_score.0 {
            continue;
        }
        let (k, slot) = subject_rows[0].0;
        hits.push((guards[k as usize].subjects[slot as usize].name.as_str(), score, fingers));
    }
    hits.sort_by(|a, b| b.1.0.total_cmp(&a.1.0).then_with(|| a.0.cmp(b.0)));
    hits.truncate(filter.max_results);
    hits.into_iter()
        .map(|(subject, score, fingers)| Hit { subject: subject.to_string(), score, fmr: score.fmr(), fingers })
        .collect()
}

#[cfg(test)]
mod tests;
