//! The 1:N duplicate-enrollment check of a new applicant against everyone in the gallery.
//!
//! For each of the six fingers, the best-quality view is searched against the same finger
//! position of every enrolled subject ([`Gallery::identify`]). A subject is a duplicate candidate
//! when one finger reaches the single-finger threshold — derived from
//! [`Config::duplicate_target_fmr`] and the number of comparisons made, so the chance that *any*
//! impostor reaches it in the whole search stays at the target (union bound, with the calibration's
//! same-sensor factor: `calibration::one_sensor_threshold`) — or when two or more
//! different fingers each reach [`Config::duplicate_pair_score`]. Candidates are flagged for a
//! supervisor; nothing is merged.
//!
//! Cost: 6 searches over the gallery's templates of one finger position each (≈ N·4 comparisons
//! per finger for N enrolled applicants, spread over the rayon pool). Thread-safe.

use crate::config::Config;
use crate::records::DuplicateCandidate;
use ridgegate_core::Score;
use ridgegate_matcher::{Filter, Gallery, calibration};
use ridgegate_store::Enrollment;
use serde::Serialize;
use std::collections::BTreeMap;

/// Most candidate subjects reported per probe finger.
pub const MAX_HITS_PER_FINGER: usize = 20;

/// The result of a duplicate search.
#[derive(Debug, Clone, Serialize)]
pub struct DuplicateReport {
    /// Subjects flagged as possible duplicates, best first.
    pub candidates: Vec<DuplicateCandidate>,
    /// Single-finger threshold used.
    pub single_finger_threshold: f32,
    /// Two-finger threshold used.
    pub pair_threshold: f32,
    /// Templates in the gallery when searched.
    pub gallery_templates: usize,
    /// Comparisons the thresholds account for.
    pub comparisons: u64,
}

/// Searches `enrollment` (not yet in the gallery) against `gallery`; `exclude` is skipped
/// (the applicant's own ID).
pub fn duplicate_check(gallery: &Gallery, enrollment: &Enrollment, config: &Config) -> DuplicateReport {
    let gallery_templates = gallery.len();
    let probes = enrollment.fingers.len() as u64;
    // Each probe meets roughly the gallery's templates of its finger position; use the whole
    // gallery as a conservative count.
    let comparisons = (probes * gallery_templates as u64).max(1);
    let single = calibration::one_sensor_threshold(config.duplicate_target_fmr / comparisons as f64);
    let pair = config.duplicate_pair_score;
    let min = Score(single.0.min(pair.0));
    let own = enrollment.applicant.as_str();
    // subject -> (probe finger, matched finger, score)
    let mut found: BTreeMap<String, Vec<(String, String, f32)>> = BTreeMap::new();
    for f in &enrollment.fingers {
        let Some(best) = f.views.iter().max_by_key(|v| v.quality) else { continue };
        let positions = [f.finger];
        let filter =
            Filter { subjects: None, fingers: Some(&positions), max_results: MAX_HITS_PER_FINGER, min_score: min };
        for hit in gallery.identify(&best.template, &filter) {
            if hit.subject == own {
                continue;
            }
            let matched = hit.fingers.first().map(|h| h.finger.name().to_string()).unwrap_or_default();
            found.entry(hit.subject).or_default().push((f.finger.name().to_string(), matched, hit.score.0));
        }
    }
    let mut candidates: Vec<DuplicateCandidate> = found
        .into_iter()
        .filter(|(_, m)| {
            let strong = m.iter().any(|(_, _, s)| *s >= single.0);
            let pairs = m.iter().filter(|(_, _, s)| *s >= pair.0).count();
            strong || pairs >= 2
        })
        .map(|(applicant, matches)| {
            let best_score = matches.iter().map(|m| m.2).fold(0.0, f32::max);
            DuplicateCandidate { applicant, best_score, fmr: Score(best_score).fmr(), matches }
        })
        .collect();
    candidates.sort_by(|a, b| b.best_score.total_cmp(&a.best_score).then(a.applicant.cmp(&b.applicant)));
    DuplicateReport {
        candidates,
        single_finger_threshold: single.0,
        pair_threshold: pair.0,
        gallery_templates,
        comparisons,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ridgegate_core::{FingerPosition, Template};
    use ridgegate_store::{ApplicantId, CapturedView, FingerEnrollment};
    use ridgegate_synth::finger_templates;

    fn enrollment(id: &str, seed: u64, first: u32) -> Enrollment {
        let fingers = FingerPosition::CAPTURE_ORDER
            .iter()
            .enumerate()
            .map(|(i, &finger)| {
                let views = finger_templates(seed, i as u64, 8)
                    .into_iter()
                    .skip(first as usize)
                    .take(4)
                    .map(|s| {
                        let mut template: Template = s.template;
                        template.finger = finger;
                        CapturedView {
                            template,
                            quality: 80,
                            captured_at_ms: 0,
                            device: "t".into(),
                            operator: "o".into(),
                            image_png: vec![],
                        }
                    })
                    .collect();
                FingerEnrollment { finger, views }
            })
            .collect();
        Enrollment { applicant: ApplicantId::new(id).unwrap(), year: 2019, desk: "d".into(), fingers }
    }

    fn insert(g: &Gallery, e: &Enrollment) {
        for f in &e.fingers {
            let t: Vec<Template> = f.views.iter().map(|v| v.template.clone()).collect();
            g.insert(e.applicant.as_str(), f.finger, &t);
        }
    }

    #[test]
    fn same_person_under_a_new_id_is_flagged_and_others_are_not() {
        let g = Gallery::new();
        let config = Config::default();
        for (id, seed) in [("A", 1), ("B", 2), ("C", 3)] {
            insert(&g, &enrollment(id, seed, 0));
        }
        // Person of seed 2 enrolls again as "X", with other impressions of the same fingers.
        let dup = duplicate_check(&g, &enrollment("X", 2, 4), &config);
        assert_eq!(dup.candidates.len(), 1, "{dup:?}");
        assert_eq!(dup.candidates[0].applicant, "B");
        assert!(dup.candidates[0].matches.len() >= 2);
        // A new person is not flagged.
        let fresh = duplicate_check(&g, &enrollment("Y", 9, 0), &config);
        assert!(fresh.candidates.is_empty(), "{fresh:?}");
        // An empty gallery finds nothing.
        assert!(duplicate_check(&Gallery::new(), &enrollment("Z", 2, 0), &config).candidates.is_empty());
    }
}
