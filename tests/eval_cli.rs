//! End-to-end: `ridgegate eval` prints per-set confidence intervals, and `--baseline` compares a
//! run with an earlier scores file (exactly zero change against itself; a clear error when the
//! baseline does not cover the comparisons).

use ridgegate_core::{Minutia, MinutiaKind, Template};
use std::path::Path;
use std::process::{Command, Output};

fn eval(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_ridgegate")).arg("eval").args(args).output().expect("run ridgegate")
}

/// A small FVC-style set of native templates: `fingers` random minutia patterns, each seen
/// `impressions` times with a shift, jitter and a dropped minutia or two.
fn write_set(dir: &Path, fingers: u32, impressions: u32) {
    let mut state = 0x1234_5678_9abc_def0u64;
    let mut next = move || {
        state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        (state >> 33) as u32
    };
    for f in 1..=fingers {
        let master: Vec<(i32, i32, f32)> = (0..35)
            .map(|_| (40 + (next() % 220) as i32, 40 + (next() % 280) as i32, (next() % 628) as f32 / 100.0))
            .collect();
        for i in 1..=impressions {
            let (dx, dy) = ((next() % 21) as i32 - 10, (next() % 21) as i32 - 10);
            let mut t = Template::new(300, 360, 500);
            for &(x, y, a) in &master {
                if next() % 10 == 0 {
                    continue; // missed by the extractor
                }
                let (jx, jy) = ((next() % 5) as i32 - 2, (next() % 5) as i32 - 2);
                let (x, y) = ((x + dx + jx).clamp(0, 299) as u16, (y + dy + jy).clamp(0, 359) as u16);
                t.minutiae.push(Minutia::new(x, y, a, MinutiaKind::Ending, 60));
            }
            std::fs::write(dir.join(format!("{f}_{i}.rgt")), t.encode().unwrap()).unwrap();
        }
    }
}

/// A temporary folder holding a set `mini` of [`write_set`] templates; returns (folder, set).
fn mini_set(fingers: u32, impressions: u32) -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let set = dir.path().join("mini");
    std::fs::create_dir(&set).unwrap();
    write_set(&set, fingers, impressions);
    (dir, set)
}

#[test]
fn intervals_and_baseline_comparison() {
    let (dir, set) = mini_set(6, 4);
    let scores = dir.path().join("scores.txt");
    let out = eval(&["--db", set.to_str().unwrap(), "--scores", scores.to_str().unwrap()]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}{}", String::from_utf8_lossy(&out.stderr));
    assert!(text.contains("EER% 90% CI"), "{text}");
    let row = text.lines().find(|l| l.starts_with("mini ")).expect("a row for the set");
    assert!(row.contains('–'), "{row}");

    // Against itself: exactly no change.
    let out = eval(&["--db", set.to_str().unwrap(), "--baseline", scores.to_str().unwrap()]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}{}", String::from_utf8_lossy(&out.stderr));
    let change = text.lines().rev().find(|l| l.starts_with("mini ")).expect("a change row");
    assert!(change.contains("+0.00   (+0.00 … +0.00)"), "{change}");

    // A baseline that lacks this run's comparisons, or is not a scores file: clear errors.
    let partial = dir.path().join("partial.txt");
    let all = std::fs::read_to_string(&scores).unwrap();
    std::fs::write(&partial, all.lines().skip(1).map(|l| format!("{l}\n")).collect::<String>()).unwrap();
    let out = eval(&["--db", set.to_str().unwrap(), "--baseline", partial.to_str().unwrap()]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success() && err.contains("has no score for"), "{err}");
    let junk = dir.path().join("junk.txt");
    std::fs::write(&junk, "not a scores file\n").unwrap();
    let out = eval(&["--db", set.to_str().unwrap(), "--baseline", junk.to_str().unwrap()]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success() && err.contains("line 1"), "{err}");
}

#[test]
fn shifts_evaluate_every_image_shift_and_refuse_templates_and_other_outputs() {
    let dir = tempfile::tempdir().unwrap();
    let config = ridgegate_synth::SynthConfig::default();
    for finger in 0..3u64 {
        let images = ridgegate_synth::finger_impressions(&config, 7, finger, 2).unwrap();
        for (i, img) in images.iter().enumerate() {
            std::fs::write(dir.path().join(ridgegate_synth::fvc_name(finger, i as u32)), img.to_png()).unwrap();
        }
    }
    let db = dir.path().to_str().unwrap();
    let o = eval(&["--db", db, "--shifts", "3"]);
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(o.status.success(), "{out}{}", String::from_utf8_lossy(&o.stderr));
    assert!(out.contains("+0px") && out.contains("+2px") && !out.contains("+3px"), "{out}");
    let row = out.lines().last().unwrap();
    let cells: Vec<f64> = row.split_whitespace().skip(1).take(4).map(|c| c.parse().unwrap()).collect();
    assert_eq!(cells.len(), 4, "three shifts and their mean: {row}");
    assert!((cells[3] - (cells[0] + cells[1] + cells[2]) / 3.0).abs() < 0.01, "mean of the shifts: {row}");

    let o = eval(&["--db", db, "--shifts", "2", "--scores", dir.path().join("s.txt").to_str().unwrap()]);
    assert!(!o.status.success() && String::from_utf8_lossy(&o.stderr).contains("--shifts prints EERs only"));

    let templates = tempfile::tempdir().unwrap();
    write_set(templates.path(), 2, 2);
    let o = eval(&["--db", templates.path().to_str().unwrap(), "--shifts", "2"]);
    assert!(!o.status.success() && String::from_utf8_lossy(&o.stderr).contains("--shifts needs images"));
}

#[test]
fn evidence_file_has_one_row_per_comparison_with_the_scores_evidence() {
    let (dir, set) = mini_set(5, 4);
    let evidence = dir.path().join("evidence.tsv");
    let out = eval(&["--db", set.to_str().unwrap(), "--evidence", evidence.to_str().unwrap()]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let text = std::fs::read_to_string(&evidence).unwrap();
    let mut lines = text.lines();
    assert_eq!(
        lines.next().unwrap(),
        "set\ta\tb\tkind\tscore\tlocal\tmatched\toverlap_probe\toverlap_candidate\tflow_cells\tflow_agreement\traw"
    );
    let rows: Vec<Vec<&str>> = lines.map(|l| l.split('\t').collect()).collect();
    // Impostors = all: every unordered pair of the 20 templates once.
    assert_eq!(rows.len(), 20 * 19 / 2);
    let (mut genuine_matched, mut impostor_matched) = (Vec::new(), Vec::new());
    for r in &rows {
        assert_eq!(r.len(), 12, "{r:?}");
        assert_eq!(r[0], "mini");
        let (score, raw): (f32, f32) = (r[4].parse().unwrap(), r[11].parse().unwrap());
        let calibrated = ridgegate_matcher::calibration::score_from_raw(raw).0;
        assert!((score - calibrated).abs() < 0.01 * calibrated.max(1.0), "score {score} vs raw {raw} → {calibrated}");
        let matched: u32 = r[6].parse().unwrap();
        match r[3] {
            "genuine" => genuine_matched.push(matched),
            "impostor" => impostor_matched.push(matched),
            other => panic!("kind {other}"),
        }
    }
    assert_eq!(genuine_matched.len(), 5 * 6);
    let mean = |v: &[u32]| v.iter().sum::<u32>() as f32 / v.len() as f32;
    assert!(mean(&genuine_matched) > 3.0 * mean(&impostor_matched), "{genuine_matched:?} vs {impostor_matched:?}");

    let o = eval(&["--db", set.to_str().unwrap(), "--shifts", "2", "--evidence", evidence.to_str().unwrap()]);
    assert!(!o.status.success() && String::from_utf8_lossy(&o.stderr).contains("--shifts prints EERs only"));
}
