//! Gallery unit tests on synthetic templates: bookkeeping, filters, ranking against a brute-force
//! reference computed here with the public 1:1 API, concurrency.

use super::*;
use std::sync::Arc;

use crate::testkit::{Rng, impression_with, random_template};

/// A random finger: `n` minutiae ≥ 14 px apart in a 400×400 window, random qualities.
pub(super) fn master(seed: u64, n: usize) -> Template {
    random_template(seed, n, true)
}

/// Another impression of `t`: rotated, shifted, jittered, 15 % dropped, 4 spurious.
pub(super) fn impression(t: &Template, seed: u64) -> Template {
    let mut r = Rng(seed.wrapping_mul(0x2545_F491_4F6C_DD1D) | 1);
    let angle = (r.unit() - 0.5) * 0.6;
    let shift = ((r.unit() - 0.5) * 40.0, (r.unit() - 0.5) * 40.0);
    impression_with(t, &mut r, seed, angle, shift, true)
}

fn views(seed: u64, n: u64) -> Vec<Template> {
    let m = master(seed, 40);
    (0..n).map(|i| impression(&m, seed * 31 + i)).collect()
}

const F: [FingerPosition; 3] = [FingerPosition::LeftThumb, FingerPosition::RightThumb, FingerPosition::LeftIndex];

/// Subject `s` finger `f` is master seed `s * 10 + f`.
fn gallery(subjects: u64, fingers: usize, n_views: u64) -> Gallery {
    let g = Gallery::new();
    for s in 0..subjects {
        for (fi, &f) in F.iter().enumerate().take(fingers) {
            g.insert(&format!("S{s:04}"), f, &views(s * 10 + fi as u64, n_views));
        }
    }
    g
}

/// The exhaustive answer, computed with the 1:1 API only.
fn brute_force(g: &Gallery, probe: &Template, filter: &Filter<'_>) -> Vec<(String, f32)> {
    let p = Probe::new(probe);
    let mask = finger_mask(filter.fingers);
    let mut out = Vec::new();
    for sh in &g.shards {
        let sh = read(sh);
        for s in sh.subjects.iter().filter(|s| !s.records.is_empty()) {
            if filter.subjects.is_some_and(|l| !l.contains(&s.name.as_str())) {
                continue;
            }
            let scores: Vec<Score> = s
                .records
                .iter()
                .filter(|&&r| mask & (1 << sh.rec_finger[r as usize]) != 0)
                .map(|&r| p.compare(&Candidate::new(&sh.template(r))))
                .collect();
            if scores.is_empty() {
                continue;
            }
            let best = finger_score(scores);
            if best.0 >= filter.min_score.0 {
                out.push((s.name.clone(), best.0));
            }
        }
    }
    out.sort_by(|a, b| b.1.total_cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    out.truncate(filter.max_results);
    out
}

fn counts(s: &SearchStats) -> [usize; 4] {
    [s.prefiltered, s.rescored, s.shortlisted, s.compared]
}

fn names(hits: &[Hit]) -> Vec<(String, f32)> {
    hits.iter().map(|h| (h.subject.clone(), h.score.0)).collect()
}

#[test]
fn bookkeeping_insert_replace_remove() {
    let g = gallery(5, 2, 3);
    assert_eq!((g.len(), g.subjects()), (30, 5));
    assert!(!g.is_empty());
    // Replacing a finger keeps the count of the others.
    g.insert("S0001", F[0], &views(999, 2));
    assert_eq!(g.len(), 29);
    assert_eq!(g.try_insert("S0001", F[0], &views(998, 4)), Ok(2));
    assert_eq!(g.len(), 31);
    // An empty slice removes the finger; removing the last finger removes the subject.
    g.insert("S0002", F[0], &[]);
    g.insert("S0002", F[1], &[]);
    assert_eq!((g.len(), g.subjects()), (25, 4));
    assert_eq!(g.remove("S0003"), 6);
    assert_eq!(g.remove("S0003"), 0);
    assert_eq!(g.remove("nobody"), 0);
    assert_eq!((g.len(), g.subjects()), (19, 3));
    assert_eq!(g.try_insert("", F[0], &views(1, 1)), Err(GalleryError::EmptySubject));
    let many = vec![Template::new(300, 300, 500); MAX_VIEWS + 1];
    assert_eq!(g.try_insert("X", F[0], &many), Err(GalleryError::TooManyViews { given: MAX_VIEWS + 1 }));
    for s in ["S0000", "S0001", "S0004"] {
        g.remove(s);
    }
    assert!(g.is_empty());
    assert_eq!(g.subjects(), 0);
    assert!(g.identify(&views(1, 1)[0], &Filter::default()).is_empty());
}

#[test]
fn stored_templates_round_trip_exactly() {
    let g = Gallery::new();
    let v = views(5, 3);
    g.insert("A", F[1], &v);
    let sh = read(&g.shards[shard_of("A")]);
    let slot = sh.slot("A").unwrap();
    for (i, &r) in sh.subjects[slot as usize].records.iter().enumerate() {
        let mut expected = v[i].clone();
        expected.finger = F[1];
        assert_eq!(sh.template(r), expected);
    }
}

#[test]
fn mate_ranks_first_with_finger_detail() {
    let g = gallery(40, 3, 4);
    let probe = impression(&master(17 * 10 + 1, 40), 4242);
    let hits = g.identify(&probe, &Filter::default());
    assert_eq!(hits.len(), 10);
    assert_eq!(hits[0].subject, "S0017");
    assert_eq!(hits[0].fingers[0].finger, F[1]);
    assert_eq!(hits[0].fingers.len(), 3);
    assert!(hits[0].score.0 > hits[1].score.0 + 10.0, "{hits:?}");
    assert!((hits[0].fmr - hits[0].score.fmr()).abs() < 1e-15);
    assert!(hits.windows(2).all(|w| w[0].score.0 >= w[1].score.0));
    assert_eq!(names(&hits), brute_force(&g, &probe, &Filter::default()));
}

#[test]
fn filters_restrict_and_limit() {
    let g = gallery(30, 3, 2);
    let probe = impression(&master(12 * 10 + 2, 40), 77);
    // Fingers: the mate's finger excluded → the mate is not found by that finger.
    let only = [F[0], F[1]];
    let f = Filter { fingers: Some(&only), ..Filter::default() };
    let hits = g.identify(&probe, &f);
    assert!(hits.iter().all(|h| h.fingers.iter().all(|fh| only.contains(&fh.finger))));
    assert_eq!(names(&hits), brute_force(&g, &probe, &f));
    // Subjects: a roster, with a duplicate and an unknown id.
    let roster = ["S0012", "S0003", "S0012", "ghost", "S0029"];
    let f = Filter { subjects: Some(&roster), max_results: 50, ..Filter::default() };
    let hits = g.identify(&probe, &f);
    assert_eq!(hits.len(), 3);
    assert_eq!(hits[0].subject, "S0012");
    assert_eq!(names(&hits), brute_force(&g, &probe, &f));
    // Minimum score (between the mate and the best impostor) and result limit.
    let all = g.identify(&probe, &Filter { max_results: 2, ..Filter::default() });
    let f = Filter { min_score: Score((all[0].score.0 + all[1].score.0) / 2.0), max_results: 50, ..Filter::default() };
    let hits = g.identify(&probe, &f);
    assert_eq!(hits.iter().map(|h| h.subject.as_str()).collect::<Vec<_>>(), vec!["S0012"]);
    let f = Filter { max_results: 0, ..Filter::default() };
    assert!(g.identify(&probe, &f).is_empty());
    let f = Filter { max_results: 1000, ..Filter::default() };
    assert_eq!(g.identify(&probe, &f).len(), 30);
}

#[test]
fn compaction_keeps_results() {
    let g = gallery(12, 1, 2);
    let probe = impression(&master(5 * 10, 40), 5);
    let before = names(&g.identify(&probe, &Filter::default()));
    // Churn far past the compaction threshold on every shard.
    for round in 0..60 {
        for s in 0..12u64 {
            g.insert(&format!("S{s:04}"), F[0], &views(s * 10, 2));
            g.insert(&format!("T{round}_{s}"), F[0], &views(5000 + s, 1));
            g.remove(&format!("T{round}_{s}"));
        }
    }
    assert_eq!((g.len(), g.subjects()), (24, 12));
    assert_eq!(names(&g.identify(&probe, &Filter::default())), before);
}

#[test]
fn reads_run_while_inserting() {
    let g = Arc::new(gallery(20, 1, 2));
    let probe = impression(&master(3 * 10, 40), 9);
    let writer = {
        let g = Arc::clone(&g);
        std::thread::spawn(move || {
            for s in 100..160u64 {
                g.insert(&format!("S{s:04}"), F[0], &views(s * 10, 2));
            }
        })
    };
    for _ in 0..20 {
        let hits = g.identify(&probe, &Filter::default());
        assert_eq!(hits[0].subject, "S0003");
    }
    writer.join().unwrap();
    assert_eq!(g.subjects(), 80);
}

#[test]
fn gallery_is_send_and_sync() {
    fn check<T: Send + Sync>() {}
    check::<Gallery>();
}

#[test]
fn cascade_keeps_strong_hits_and_counts_its_work() {
    // 200 subjects × 2 fingers × 2 views; the full matcher sees only 10 % of the subjects.
    let cascade = Cascade {
        exhaustive_up_to: 50,
        shortlist_fraction: 0.1,
        per_result: 1,
        rescore_fraction: 0.25,
        rescore_per_shortlisted: 2,
        all_views_per_result: 0,
    };
    let g = Gallery::with_cascade(cascade);
    let exhaustive = Gallery::with_cascade(Cascade::EXHAUSTIVE);
    for s in 0..200u64 {
        for (fi, &f) in F.iter().enumerate().take(2) {
            let v = views(s * 10 + fi as u64, 2);
            g.insert(&format!("S{s:04}"), f, &v);
            exhaustive.insert(&format!("S{s:04}"), f, &v);
        }
    }
    for s in [3u64, 77, 150, 199] {
        let probe = impression(&master(s * 10 + 1, 40), 900 + s);
        let (hits, stats) = g.identify_with_stats(&probe, &Filter::default());
        let (full, full_stats) = exhaustive.identify_with_stats(&probe, &Filter::default());
        assert_eq!(counts(&stats), [800, 200, 20, 80]);
        assert_eq!(counts(&full_stats), [0, 0, 200, 800]);
        assert_eq!(names(&full), brute_force(&exhaustive, &probe, &Filter::default()));
        // The same gallery searched with the exhaustive policy gives the reference answer too.
        let (again, again_stats) = g.identify_with_cascade(&probe, &Filter::default(), &Cascade::EXHAUSTIVE);
        assert_eq!((again, counts(&again_stats)), (full.clone(), counts(&full_stats)));
        // Same rank-1 (the mate), same score; every cascade hit is an exhaustive result.
        assert_eq!(hits[0], full[0]);
        assert_eq!(hits[0].subject, format!("S{s:04}"));
        let full_all = exhaustive.identify(&probe, &Filter { max_results: 1000, ..Filter::default() });
        for h in &hits {
            assert!(full_all.contains(h), "{h:?}");
        }
    }
    // A roster larger than the shortlist goes through the prefilter too.
    let roster: Vec<String> = (0..100).map(|s| format!("S{s:04}")).collect();
    let roster: Vec<&str> = roster.iter().map(String::as_str).collect();
    let probe = impression(&master(42 * 10, 40), 4);
    let f = Filter { subjects: Some(&roster), fingers: Some(&F[..1]), ..Filter::default() };
    let (hits, stats) = g.identify_with_stats(&probe, &f);
    assert_eq!(counts(&stats), [200, 50, 10, 20]);
    assert_eq!(hits[0].subject, "S0042");
    assert_eq!(hits[0], exhaustive.identify(&probe, &f)[0]);
}

#[test]
fn batch_insert_equals_sequential_inserts() {
    let seq = Gallery::new();
    let data: Vec<(String, FingerPosition, Vec<Template>)> =
        (0..60u64).map(|i| (format!("S{:04}", i % 25), F[(i % 3) as usize], views(i, 1 + i % 3))).collect();
    for (s, f, v) in &data {
        seq.insert(s, *f, v);
    }
    let batch = Gallery::new();
    let entries: Vec<(&str, FingerPosition, &[Template])> =
        data.iter().map(|(s, f, v)| (s.as_str(), *f, v.as_slice())).collect();
    batch.insert_batch(&entries);
    assert_eq!((batch.len(), batch.subjects()), (seq.len(), seq.subjects()));
    let probe = impression(&master(7, 40), 3);
    let f = Filter { max_results: 100, ..Filter::default() };
    assert_eq!(batch.identify(&probe, &f), seq.identify(&probe, &f));
}

#[test]
fn memory_per_template_is_small() {
    let g = gallery(100, 2, 4);
    let per = g.memory_bytes() as f64 / g.len() as f64;
    // 40-minutia templates: 12 B per minutia + 2 B per prefilter edge + columns and ids, plus a
    // 289-cell ridge flow (400 × 400 px at 24 px cells, one byte each).
    assert!(per < 2048.0 + 289.0 + 16.0, "{per} bytes per template");
}

#[test]
fn lead_view_pass_returns_exact_scores_and_compares_less() {
    // 150 subjects × 2 fingers × 4 views; 20 % shortlisted, then lead views first.
    let lead = Cascade {
        exhaustive_up_to: 50,
        shortlist_fraction: 0.2,
        per_result: 1,
        rescore_fraction: 0.5,
        rescore_per_shortlisted: 2,
        all_views_per_result: 2,
    };
    let g = Gallery::with_cascade(lead);
    for s in 0..150u64 {
        for (fi, &f) in F.iter().enumerate().take(2) {
            g.insert(&format!("S{s:04}"), f, &views(s * 10 + fi as u64, 4));
        }
    }
    let every_view = Cascade { all_views_per_result: 0, ..lead };
    for s in [8u64, 64, 149] {
        let probe = impression(&master(s * 10, 40), 300 + s);
        let filter = Filter { max_results: 5, ..Filter::default() };
        let (hits, stats) = g.identify_with_stats(&probe, &filter);
        let (all, all_stats) = g.identify_with_cascade(&probe, &filter, &every_view);
        let (exact, _) = g.identify_with_cascade(&probe, &filter, &Cascade::EXHAUSTIVE);
        assert_eq!(stats.shortlisted, 30);
        assert_eq!(all_stats.compared, 30 * 8);
        assert_eq!(all_stats.completed, 30);
        // Leads (30), then the other 7 views of at least the 2 × 5 best subjects.
        assert!(stats.completed >= 10 && stats.completed < 30, "{stats:?}");
        assert_eq!(stats.compared, 30 + 7 * stats.completed);
        // The mate first, as exhaustively; every returned score is the subject's exact score.
        assert_eq!((&hits[0], &all[0]), (&exact[0], &exact[0]));
        assert_eq!(hits[0].subject, format!("S{s:04}"));
        let exact_all =
            g.identify_with_cascade(&probe, &Filter { max_results: 1000, ..filter }, &Cascade::EXHAUSTIVE).0;
        for h in &hits {
            assert!(exact_all.contains(h), "{h:?}");
        }
        assert_eq!(hits.len(), 5);
    }
}
