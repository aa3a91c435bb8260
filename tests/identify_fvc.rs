//! The gallery's answer must be the exhaustive full matcher's answer, on real data.
//!
//! Extracts all 640 FVC images of ../shared/fingerprints (SKIP when absent), then uses every image
//! as a probe against the other 639 (each image its own subject). The reference ranking is
//! computed here, at run time, with the public 1:1 API only (`Probe::compare` against every other
//! template, best first, ties by id), so it follows whatever the matcher's scoring is today.
//!
//! 1. With the default cascade, the gallery's top-10 (subject and score) equals the reference's
//!    for every probe (hence rank-1 too).
//! 2. With the prefilter forced to hand only 10 % of the gallery to the full matcher (what larger
//!    galleries do), the rank-1 identification rate may not drop by more than [`RATE_TOLERANCE`];
//!    how many probes keep the same rank-1, the same top-10 and the same hits ≥ 40 is printed.
//!    With the first (edge-hash) matcher every hit ≥ 40 survived a 10 % shortlist; with the MCC
//!    matcher the prefilter loses weak genuine matches (40–70) for about a fifth of the probes, so
//!    beyond [`ridgegate_matcher::Cascade::exhaustive_up_to`] subjects the cascade is not exact.
//!
//! Release-optimised: run with `cargo test --profile ci --test identify_fvc -- --nocapture`
//! (`RIDGEGATE_SHARED=/path/to/shared` if ../shared is elsewhere).

use rayon::prelude::*;
use ridgegate_core::{FingerImage, Template};
use ridgegate_matcher::eval::FVC_SETS;
use ridgegate_matcher::{Candidate, Cascade, Filter, Gallery, Hit, Probe};
use std::path::{Path, PathBuf};

/// Results compared per probe.
const TOP: usize = 10;
/// Score from which the cascade must be exact whatever its shortlist (FMR 1e-4).
const STRONG: f32 = 40.0;
/// Largest drop of the rank-1 identification rate allowed with the prefilter engaged.
const RATE_TOLERANCE: f64 = 0.01;

struct Sample {
    /// `set/finger_impression`: the subject id.
    id: String,
    /// `set/finger`: samples with the same identity are mates.
    identity: String,
    template: Template,
}

fn load_all() -> Option<Vec<Sample>> {
    // RIDGEGATE_SHARED overrides the location (for worktrees that are not next to ../shared).
    let shared = std::env::var_os("RIDGEGATE_SHARED")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared"));
    let root = shared.join("fingerprints");
    if !root.is_dir() {
        println!("SKIP: {} not found; gallery equivalence test skipped", root.display());
        return None;
    }
    let jobs: Vec<(String, u32, u32, u16)> = FVC_SETS
        .iter()
        .flat_map(|&(set, dpi)| (101..=110).flat_map(move |f| (1..=8).map(move |i| (set.to_string(), f, i, dpi))))
        .collect();
    let samples = jobs
        .par_iter()
        .map(|(set, f, i, dpi)| {
            let path = root.join(set).join(format!("{f}_{i}.tif"));
            let img = FingerImage::load(&path, Some(*dpi)).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            let template = ridgegate_extract::extract(&img).unwrap().template;
            Sample { id: format!("{set}/{f}_{i}"), identity: format!("{set}/{f}"), template }
        })
        .collect();
    Some(samples)
}

/// The exhaustive answer for every probe, from the 1:1 API: (id index, score) best first.
fn reference(samples: &[Sample]) -> Vec<Vec<(usize, f32)>> {
    let candidates: Vec<Candidate> = samples.par_iter().map(|s| Candidate::new(&s.template)).collect();
    (0..samples.len())
        .into_par_iter()
        .map(|i| {
            let p = Probe::new(&samples[i].template);
            let mut row: Vec<(usize, f32)> =
                (0..samples.len()).filter(|&j| j != i).map(|j| (j, p.compare(&candidates[j]).0)).collect();
            row.sort_by(|a, b| b.1.total_cmp(&a.1).then_with(|| samples[a.0].id.cmp(&samples[b.0].id)));
            row
        })
        .collect()
}

fn as_pairs(hits: &[Hit]) -> Vec<(String, f32)> {
    hits.iter().map(|h| (h.subject.clone(), h.score.0)).collect()
}

/// Each probe's hits from `gallery`, the probe itself removed while it searches.
fn search_all(gallery: &Gallery, samples: &[Sample]) -> Vec<Vec<Hit>> {
    samples
        .iter()
        .map(|s| {
            assert_eq!(gallery.remove(&s.id), 1);
            let hits = gallery.identify(&s.template, &Filter { max_results: TOP, ..Filter::default() });
            gallery.insert(&s.id, s.template.finger, std::slice::from_ref(&s.template));
            hits
        })
        .collect()
}

/// (rank-1 rate, top-10 rate): fraction of probes whose first / any of the first 10 results is a mate.
fn identification_rates(samples: &[Sample], results: &[Vec<String>]) -> (f64, f64) {
    let mate = |i: usize, id: &str| samples.iter().any(|s| s.id == id && s.identity == samples[i].identity);
    let n = samples.len() as f64;
    let r1 = results.iter().enumerate().filter(|(i, r)| r.first().is_some_and(|id| mate(*i, id))).count();
    let r10 = results.iter().enumerate().filter(|(i, r)| r.iter().take(TOP).any(|id| mate(*i, id))).count();
    (r1 as f64 / n, r10 as f64 / n)
}

#[test]
fn gallery_ranks_like_the_exhaustive_matcher_on_fvc() {
    let Some(samples) = load_all() else { return };
    assert_eq!(samples.len(), 640);
    let reference = reference(&samples);
    let expected: Vec<Vec<(String, f32)>> =
        reference.iter().map(|row| row.iter().take(TOP).map(|&(j, s)| (samples[j].id.clone(), s)).collect()).collect();

    let build = |cascade: Cascade| {
        let g = Gallery::with_cascade(cascade);
        for s in &samples {
            g.insert(&s.id, s.template.finger, std::slice::from_ref(&s.template));
        }
        assert_eq!((g.len(), g.subjects()), (640, 640));
        g
    };

    // 1. Default cascade: identical top-10 for every probe.
    let default_hits = search_all(&build(Cascade::default()), &samples);
    let mut mismatches = Vec::new();
    for (i, hits) in default_hits.iter().enumerate() {
        if as_pairs(hits) != expected[i] {
            mismatches.push(format!("{}: gallery {:?}\n   reference {:?}", samples[i].id, as_pairs(hits), expected[i]));
        }
    }
    assert!(mismatches.is_empty(), "{} probes differ:\n{}", mismatches.len(), mismatches.join("\n"));
    let ref_ids: Vec<Vec<String>> = expected.iter().map(|r| r.iter().map(|(id, _)| id.clone()).collect()).collect();
    let (r1, r10) = identification_rates(&samples, &ref_ids);
    println!(
        "default cascade: top-{TOP} identical to the exhaustive matcher for 640/640 probes \
         (rank-1 identification {:.1} %, top-{TOP} {:.1} %)",
        100.0 * r1,
        100.0 * r10
    );

    // 2. Prefilter engaged: only 10 % of the subjects reach the full matcher.
    let forced = Cascade { exhaustive_up_to: 0, shortlist_fraction: 0.10, per_result: 0, ..Cascade::default() };
    let cascade_hits = search_all(&build(forced), &samples);
    let (mut same_rank1, mut same_top) = (0, 0);
    let mut lost = Vec::new();
    for (i, hits) in cascade_hits.iter().enumerate() {
        let got = as_pairs(hits);
        same_rank1 += (got.first() == expected[i].first()) as usize;
        same_top += (got == expected[i]) as usize;
        let strong_expected: Vec<_> = expected[i].iter().filter(|(_, s)| *s >= STRONG).collect();
        let strong_got: Vec<_> = got.iter().filter(|(_, s)| *s >= STRONG).collect();
        if strong_expected != strong_got {
            lost.push(format!("{}: cascade {strong_got:?} reference {strong_expected:?}", samples[i].id));
        }
    }
    let got_ids: Vec<Vec<String>> =
        cascade_hits.iter().map(|r| r.iter().map(|h| h.subject.clone()).collect()).collect();
    let (c1, c10) = identification_rates(&samples, &got_ids);
    println!(
        "10 % shortlist: rank-1 equal {same_rank1}/640, top-{TOP} identical {same_top}/640, hits >= {STRONG} \
         identical {}/640; rank-1 identification {:.1} % (exhaustive {:.1} %), top-{TOP} {:.1} % (exhaustive {:.1} %)",
        640 - lost.len(),
        100.0 * c1,
        100.0 * r1,
        100.0 * c10,
        100.0 * r10
    );
    for example in lost.iter().take(3) {
        println!("  lost hit >= {STRONG}: {example}");
    }
    assert!(
        c1 >= r1 - RATE_TOLERANCE,
        "the prefilter costs rank-1 identification: {:.1} % against {:.1} % exhaustive",
        100.0 * c1,
        100.0 * r1
    );

    // For the record (no assertion): tighter shortlists.
    for fraction in [0.05, 0.025] {
        let c = Cascade { exhaustive_up_to: 0, shortlist_fraction: fraction, per_result: 0, ..Cascade::default() };
        let hits = search_all(&build(c), &samples);
        let strong_kept = hits
            .iter()
            .enumerate()
            .filter(|(i, h)| {
                let got: Vec<_> = as_pairs(h).into_iter().filter(|(_, s)| *s >= STRONG).collect();
                let want: Vec<_> = expected[*i].iter().filter(|(_, s)| *s >= STRONG).cloned().collect();
                got == want
            })
            .count();
        let same1 = hits.iter().enumerate().filter(|(i, h)| as_pairs(h).first() == expected[*i].first()).count();
        println!(
            "{:.1} % shortlist: rank-1 equal {same1}/640, hits >= {STRONG} identical {strong_kept}/640",
            100.0 * fraction
        );
    }
}
