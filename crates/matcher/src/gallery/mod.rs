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
//!
//! ## Search and exactness
//! Searches over at most [`Cascade::exhaustive_up_to`] candidate subjects (1024 by default: exam
//! hall rosters, small galleries), and any search with [`Cascade::EXHAUSTIVE`], compare every
//! candidate view with the full matcher: the answer *is* the exhaustive ranking
//! (`tests/identify_fvc.rs`: top-10 identical for 640/640 real FVC probes). Larger searches run
//! the cascade: prefilter stage 1 over every template, stage 2 over stage 1's best, the full
//! matcher on the shortlisted subjects' lead views, then on every view of the subjects worth
//! completing (see [`Cascade`]). Every score it returns is the subject's exact score, but it is
//! **not** the exhaustive ranking: subjects the prefilter ranks low are never compared. What it
//! keeps is measured by `ridgegate bench identify --verify` (synthetic galleries, genuine
//! probes): the mate whenever the exhaustive search returns it, and every exhaustive top-10 hit
//! scoring at least the gallery's chance level + 10 (chance level `10·log10(templates)`: one
//! impostor comparison that high is expected per search). Below that level the exhaustive top-10
//! is impostors at chance scores, which the cascade mostly does not return (of the exhaustive
//! top-10 it returned 15.7 % at 10⁴ templates and 12 % at 10⁵, nearly all of that the mates).

pub mod params;
mod prefilter;
mod shard;

use crate::fusion::finger_score;
use crate::{Candidate, Probe};
use params::{
    ALL_VIEWS_PER_RESULT, EXHAUSTIVE_UP_TO, MAX_VIEWS, RESCORE_FRACTION, RESCORE_PER_SHORTLISTED, SHARDS,
    SHORTLIST_FRACTION, SHORTLIST_PER_RESULT,
};
use prefilter::ProbeMap;
use rayon::prelude::*;
use ridgegate_core::{FingerPosition, Score, Template};
use shard::Shard;
use std::sync::{RwLock, RwLockReadGuard, RwLockWriteGuard};

/// An in-memory, sharded 1:N gallery. See the [module docs](self). `Send + Sync`.
#[derive(Debug)]
pub struct Gallery {
    shards: Vec<RwLock<Shard>>,
    cascade: Cascade,
}

/// How many subjects the full matcher compares after the prefilter. Searches over at most
/// `exhaustive_up_to` candidate subjects (exam-hall rosters, small galleries) compare every
/// candidate: exactly the exhaustive answer. Larger searches compare the best
/// `max(⌈shortlist_fraction · candidates⌉, per_result · max_results)` subjects by prefilter score,
/// every view of each. Plain data.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Cascade {
    /// Searches over this many candidate subjects or fewer are exhaustive.
    pub exhaustive_up_to: usize,
    /// Fraction of the candidate subjects compared fully in larger searches.
    pub shortlist_fraction: f64,
    /// Subjects compared fully per requested result in larger searches.
    pub per_result: usize,
    /// Fraction of the candidate templates that prefilter stage 1 passes to stage 2…
    pub rescore_fraction: f64,
    /// …and at least this many per subject finally shortlisted.
    pub rescore_per_shortlisted: usize,
    /// Lead-view pass: `0` compares every view of every shortlisted subject. Otherwise the full
    /// matcher first compares only each shortlisted subject's *lead view* (its template with the
    /// best prefilter score), then every other view of the `all_views_per_result · max_results`
    /// subjects with the best lead scores and of every subject whose lead score reaches the
    /// search's chance level (`10·log10(templates prefiltered)`: one impostor comparison that
    /// high is expected in the whole search). Only those subjects, all their views compared, are
    /// ranked, so every returned score is the subject's exact score.
    pub all_views_per_result: usize,
}

impl Cascade {
    /// No prefilter: every candidate subject goes to the full matcher (the reference answer).
    pub const EXHAUSTIVE: Cascade = Cascade {
        exhaustive_up_to: usize::MAX,
        shortlist_fraction: 1.0,
        per_result: 0,
        rescore_fraction: 1.0,
        rescore_per_shortlisted: 0,
        all_views_per_result: 0,
    };

    /// Number of subjects compared fully out of `candidates`, for `max_results` results.
    pub fn shortlist(&self, candidates: usize, max_results: usize) -> usize {
        if candidates <= self.exhaustive_up_to {
            return candidates;
        }
        let by_fraction = (self.shortlist_fraction.clamp(0.0, 1.0) * candidates as f64).ceil() as usize;
        by_fraction.max(self.per_result.saturating_mul(max_results)).clamp(1, candidates)
    }

    /// Number of templates stage 1 passes to stage 2, out of `templates`, for `shortlist` subjects.
    pub fn rescore(&self, templates: usize, shortlist: usize) -> usize {
        let by_fraction = (self.rescore_fraction.clamp(0.0, 1.0) * templates as f64).ceil() as usize;
        by_fraction.max(self.rescore_per_shortlisted.saturating_mul(shortlist)).min(templates)
    }
}

impl Default for Cascade {
    /// [`params::EXHAUSTIVE_UP_TO`], [`params::SHORTLIST_FRACTION`], [`params::SHORTLIST_PER_RESULT`].
    fn default() -> Self {
        Cascade {
            exhaustive_up_to: EXHAUSTIVE_UP_TO,
            shortlist_fraction: SHORTLIST_FRACTION,
            per_result: SHORTLIST_PER_RESULT,
            rescore_fraction: RESCORE_FRACTION,
            rescore_per_shortlisted: RESCORE_PER_SHORTLISTED,
            all_views_per_result: ALL_VIEWS_PER_RESULT,
        }
    }
}

/// What one identification cost. Plain data.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SearchStats {
    /// Wall time of the prefilter stages (probe features, stage 1, stage 2, shortlist).
    pub prefilter_time: std::time::Duration,
    /// Wall time of the full-matcher stage (probe index, comparisons, fusion, ranking).
    pub full_time: std::time::Duration,
    /// Templates scored by prefilter stage 1, the bag of edges (0 when the search was exhaustive).
    pub prefiltered: usize,
    /// Templates rescored by prefilter stage 2, rotation consensus.
    pub rescored: usize,
    /// Subjects handed to the full matcher.
    pub shortlisted: usize,
    /// Shortlisted subjects whose every view (in the finger filter) was compared and which were
    /// ranked (all of them unless the cascade's lead-view pass is on).
    pub completed: usize,
    /// Full 1:1 comparisons ([`crate::Probe::compare`]) made.
    pub compared: usize,
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
    /// An empty gallery with the default [`Cascade`] (allocates only the shard table).
    pub fn new() -> Self {
        Self::with_cascade(Cascade::default())
    }

    /// An empty gallery whose identifications shortlist by `cascade` (e.g. [`Cascade::EXHAUSTIVE`]).
    pub fn with_cascade(cascade: Cascade) -> Self {
        Gallery { shards: (0..SHARDS).map(|_| RwLock::new(Shard::default())).collect(), cascade }
    }

    /// The shortlisting policy of this gallery.
    pub fn cascade(&self) -> Cascade {
        self.cascade
    }

    /// Stores `templates` as the views of `subject`'s `finger`, replacing any views of that finger
    /// stored before (an empty slice removes the finger). Locks one shard; waits for running
    /// identifications. Views beyond [`params::MAX_VIEWS`] are not stored (use
    /// [`Gallery::try_insert`] to be told).
    pub fn insert(&self, subject: &str, finger: FingerPosition, templates: &[Template]) {
        let templates = &templates[..templates.len().min(MAX_VIEWS)];
        let features = features_of(templates);
        self.write(subject).replace(subject, finger, templates, &features);
    }

    /// Inserts many `(subject, finger, views)` entries at once, as if by [`Gallery::insert`] in
    /// order (a later entry for the same subject and finger replaces an earlier one). Prefilter
    /// features are computed in parallel and each shard is locked once: the way to build a
    /// gallery from the store at start-up. Cost: ≈ 6.4 µs CPU per template (~46 minutiae; about
    /// 4 µs of it the prefilter features), i.e. ≈ 156k templates per CPU-second, ≈ 290k/s on two
    /// free cores (release, `ridgegate bench identify --size 100000`).
    pub fn insert_batch(&self, entries: &[(&str, FingerPosition, &[Template])]) {
        let prepared: Vec<(usize, Vec<shard::Features>)> = entries
            .par_iter()
            .with_min_len(64)
            .map(|(subject, _, templates)| {
                (shard_of(subject), features_of(&templates[..templates.len().min(MAX_VIEWS)]))
            })
            .collect();
        let mut by_shard: Vec<Vec<usize>> = vec![Vec::new(); SHARDS];
        for (i, (k, _)) in prepared.iter().enumerate() {
            by_shard[*k].push(i);
        }
        by_shard.par_iter().enumerate().filter(|(_, items)| !items.is_empty()).for_each(|(k, items)| {
            let mut shard = self.shards[k].write().unwrap_or_else(|e| e.into_inner());
            let (mut records, mut minutiae, mut codes, mut flow) = (0, 0, 0, 0);
            for &i in items {
                let views = || entries[i].2.iter().take(MAX_VIEWS);
                records += prepared[i].1.len();
                minutiae += views().map(|t| t.minutiae.len()).sum::<usize>();
                codes += prepared[i].1.iter().map(|f| f.0.len()).sum::<usize>();
                flow += views().filter_map(|t| t.ridge_flow.as_ref()).map(|f| f.codes.len()).sum::<usize>();
            }
            shard.reserve_exact(items.len(), records, minutiae, codes, flow);
            for &i in items {
                let (subject, finger, templates) = entries[i];
                let templates = &templates[..templates.len().min(MAX_VIEWS)];
                shard.replace(subject, finger, templates, &prepared[i].1);
            }
        });
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
        let features = features_of(templates);
        Ok(self.write(subject).replace(subject, finger, templates, &features))
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
    ///
    /// Cost: a prefilter scan of every candidate template (~0.2–0.5 µs each, see
    /// `benches/identify.rs`), stage 2 on a tenth of them, then full comparisons (~50–100 µs each
    /// including the candidate's search form) with the shortlisted subjects' lead views and every
    /// view of a few (see [`Cascade`]); all stages run on the rayon pool. Searches within
    /// [`Cascade::exhaustive_up_to`] subjects compare every view instead (exact).
    pub fn identify(&self, probe: &Template, filter: &Filter<'_>) -> Vec<Hit> {
        self.identify_with_stats(probe, filter).0
    }

    /// [`Gallery::identify`], also returning what the search cost.
    pub fn identify_with_stats(&self, probe: &Template, filter: &Filter<'_>) -> (Vec<Hit>, SearchStats) {
        self.identify_with_cascade(probe, filter, &self.cascade)
    }

    /// [`Gallery::identify_with_stats`] with another shortlisting policy for this one search, e.g.
    /// [`Cascade::EXHAUSTIVE`] for the reference answer that the cascade is measured against.
    pub fn identify_with_cascade(
        &self,
        probe: &Template,
        filter: &Filter<'_>,
        cascade: &Cascade,
    ) -> (Vec<Hit>, SearchStats) {
        if filter.max_results == 0 {
            return (Vec::new(), SearchStats::default());
        }
        let guards: Vec<RwLockReadGuard<'_, Shard>> = self.shards.iter().map(read).collect();
        let mask = finger_mask(filter.fingers);
        let mut stats = SearchStats::default();
        let t0 = std::time::Instant::now();
        let shortlist = shortlist(cascade, &guards, probe, filter, mask, &mut stats);
        stats.shortlisted = shortlist.len();
        let t1 = std::time::Instant::now();
        let probe_index = Probe::new(probe);
        let leads: Vec<(SubjectRef, u32)> = shortlist.iter().filter_map(|&(s, lead)| Some((s, lead?))).collect();
        let scored = if cascade.all_views_per_result == 0 || leads.len() < shortlist.len() {
            let subjects: Vec<SubjectRef> = shortlist.iter().map(|&(s, _)| s).collect();
            let scored = full_scores(&guards, &probe_index, &all_views(&guards, &subjects, mask, &[]));
            stats.compared = scored.len();
            scored
        } else {
            // Lead views first, then every other view of the subjects worth completing.
            let mut lead_scores = full_scores(&guards, &probe_index, &leads);
            lead_scores.sort_unstable_by(|a, b| b.3.0.total_cmp(&a.3.0).then(a.0.cmp(&b.0)));
            let chance = 10.0 * (stats.prefiltered.max(1) as f32).log10();
            let best = cascade.all_views_per_result.saturating_mul(filter.max_results);
            let complete: Vec<Scored> = lead_scores
                .iter()
                .enumerate()
                .filter(|&(i, row)| i < best || row.3.0 >= chance)
                .map(|(_, row)| *row)
                .collect();
            let subjects: Vec<SubjectRef> = complete.iter().map(|row| row.0).collect();
            let rest = all_views(&guards, &subjects, mask, &leads);
            let mut scored = full_scores(&guards, &probe_index, &rest);
            stats.compared = leads.len() + scored.len();
            scored.extend(complete);
            scored
        };
        let mut ranked: Vec<SubjectRef> = scored.iter().map(|row| row.0).collect();
        ranked.sort_unstable();
        ranked.dedup();
        stats.completed = ranked.len();
        let hits = rank(&guards, scored, filter);
        (stats.prefilter_time, stats.full_time) = (t1 - t0, t1.elapsed());
        (hits, stats)
    }

    fn write(&self, subject: &str) -> RwLockWriteGuard<'_, Shard> {
        // A panic while holding the lock cannot leave a shard half-updated in a way that breaks
        // reads (records are appended before they are linked), so poisoning is ignored.
        self.shards[shard_of(subject)].write().unwrap_or_else(|e| e.into_inner())
    }
}

/// The subjects the full matcher compares: every candidate if the cascade allows, otherwise
/// stage 1 (bag of edges) over every candidate template, stage 2 (rotation consensus) over
/// stage 1's best, and the best subjects by stage 2.
fn shortlist(
    cascade: &Cascade,
    guards: &[RwLockReadGuard<'_, Shard>],
    probe: &Template,
    filter: &Filter<'_>,
    mask: u16,
    stats: &mut SearchStats,
) -> Vec<(SubjectRef, Option<u32>)> {
    let in_mask = |sh: &Shard, r: u32| mask & (1 << sh.rec_finger[r as usize]) != 0;
    let (stage1, keep) = match filter.subjects {
        Some(_) => {
            let listed = candidate_subjects(guards, filter.subjects, mask);
            let keep = cascade.shortlist(listed.len(), filter.max_results);
            if keep >= listed.len() {
                return listed.into_iter().map(|s| (s, None)).collect();
            }
            let map = ProbeMap::new(probe);
            let records: Vec<RecordRef> = listed
                .iter()
                .flat_map(|&(k, slot)| {
                    let sh = &guards[k as usize];
                    sh.subjects[slot as usize].records.iter().filter(move |&&r| in_mask(sh, r)).map(move |&r| (k, r))
                })
                .collect();
            let rescore = cascade.rescore(records.len(), keep);
            let mut scored: Vec<(u32, RecordRef)> = records
                .iter()
                .map(|&(k, r)| (map.bag_score(guards[k as usize].features.codes(r as usize)), (k, r)))
                .collect();
            stats.prefiltered = scored.len();
            best_of(&mut scored, rescore);
            ((map, scored), keep)
        }
        None => {
            let total: usize = guards.iter().map(|g| g.subject_count()).sum();
            let keep = cascade.shortlist(total, filter.max_results);
            if keep >= total {
                return candidate_subjects(guards, None, mask).into_iter().map(|s| (s, None)).collect();
            }
            let templates: usize = guards.iter().map(|g| g.live).sum();
            let rescore = cascade.rescore(templates, keep);
            let map = ProbeMap::new(probe);
            let per_shard: Vec<(usize, Vec<(u32, RecordRef)>)> =
                guards.par_iter().enumerate().map(|(k, sh)| scan_shard(k, sh, &map, mask, rescore)).collect();
            stats.prefiltered = per_shard.iter().map(|(n, _)| n).sum::<usize>();
            let mut scored: Vec<(u32, RecordRef)> = per_shard.into_iter().flat_map(|(_, v)| v).collect();
            best_of(&mut scored, rescore);
            ((map, scored), keep)
        }
    };
    let (map, records) = stage1;
    stats.rescored = records.len();
    // Stage 2 on stage 1's best; a subject's score is its best template's.
    // (score, (subject, record)); the record is the subject's lead view.
    let mut by_subject: Vec<(u32, (SubjectRef, u32))> = records
        .par_iter()
        .with_min_len(64)
        .map(|&(_, (k, r))| {
            let sh = &guards[k as usize];
            let score = map.rotation_score(sh.features.codes(r as usize), sh.features.headings(r as usize));
            (score, ((k, sh.rec_subject[r as usize]), r))
        })
        .collect();
    by_subject.sort_unstable_by(|a, b| a.1.0.cmp(&b.1.0).then(b.0.cmp(&a.0)).then(a.1.1.cmp(&b.1.1)));
    by_subject.dedup_by_key(|e| e.1.0);
    best_of(&mut by_subject, keep);
    by_subject.into_iter().map(|(_, (s, r))| (s, Some(r))).collect()
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

/// Prefilter features of each template (computed outside any lock).
fn features_of(templates: &[Template]) -> Vec<shard::Features> {
    templates
        .iter()
        .map(|t| {
            let (mut codes, mut headings) = (Vec::new(), Vec::new());
            prefilter::template_features(t, &mut codes, &mut headings);
            (codes, headings)
        })
        .collect()
}

/// A stored template: (shard, record).
type RecordRef = (u16, u32);

/// Keeps the `keep` best (highest score; ties by reference, so deterministic), unordered.
fn best_of<T: Ord + Copy>(v: &mut Vec<(u32, T)>, keep: usize) {
    if v.len() > keep && keep > 0 {
        v.select_nth_unstable_by(keep - 1, |a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    }
    v.truncate(keep);
}

/// Prefilter stage 1 over one shard: the `keep` best templates (fingers in `mask`) by bag score,
/// and how many templates were scored. The hot loop reads the subject, finger and range columns
/// and the codes arena sequentially; one allocation per shard.
fn scan_shard(k: usize, sh: &Shard, map: &ProbeMap, mask: u16, keep: usize) -> (usize, Vec<(u32, RecordRef)>) {
    let mut out: Vec<(u32, RecordRef)> = Vec::with_capacity(sh.live);
    for r in 0..sh.rec_subject.len() {
        if sh.rec_subject[r] == shard::DEAD || mask & (1 << sh.rec_finger[r]) == 0 {
            continue;
        }
        out.push((map.bag_score(sh.features.codes(r)), (k as u16, r as u32)));
    }
    let scanned = out.len();
    best_of(&mut out, keep);
    (scanned, out)
}

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

/// Every record (in `mask`) of the given subjects, except the `done` (subject, record) pairs.
fn all_views(
    guards: &[RwLockReadGuard<'_, Shard>],
    subjects: &[SubjectRef],
    mask: u16,
    done: &[(SubjectRef, u32)],
) -> Vec<(SubjectRef, u32)> {
    let mut done = done.to_vec();
    done.sort_unstable();
    subjects
        .iter()
        .flat_map(|&(k, slot)| {
            let sh = &guards[k as usize];
            sh.subjects[slot as usize]
                .records
                .iter()
                .filter(move |&&r| mask & (1 << sh.rec_finger[r as usize]) != 0)
                .map(move |&r| ((k, slot), r))
        })
        .filter(|task| done.binary_search(task).is_err())
        .collect()
}

/// Full matcher over the given (subject, record) pairs, in parallel.
fn full_scores(guards: &[RwLockReadGuard<'_, Shard>], probe: &Probe, tasks: &[(SubjectRef, u32)]) -> Vec<Scored> {
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
