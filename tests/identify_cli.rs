//! `ridgegate identify` and `ridgegate bench identify` end to end, on synthetic templates written
//! by our own generator (crates/synth).

use ridgegate_synth::finger_templates;
use std::process::{Command, Output};

fn ridgegate(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_ridgegate")).args(args).output().expect("run ridgegate")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

#[test]
fn identify_finds_the_mate_first_in_a_folder_and_a_list() {
    let dir = tempfile::tempdir().unwrap();
    let gallery = dir.path().join("gallery");
    std::fs::create_dir(&gallery).unwrap();
    // 30 fingers × 2 impressions, FVC-style names `<finger>_<impression>.rgt`.
    for f in 0..30u64 {
        for t in finger_templates(7, f, 2) {
            let name = format!("{}_{}.rgt", 101 + f, t.impression + 1);
            std::fs::write(gallery.join(name), t.template.encode().unwrap()).unwrap();
        }
    }
    let probe = dir.path().join("probe.rgt");
    std::fs::write(&probe, finger_templates(7, 12, 3)[2].template.encode().unwrap()).unwrap();
    let p = probe.to_str().unwrap();

    let out = ridgegate(&["identify", p, "--gallery", gallery.to_str().unwrap(), "--top", "3"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let lines: Vec<String> = stdout(&out).lines().map(str::to_string).collect();
    assert_eq!(lines.len(), 3, "{lines:?}");
    let first: Vec<&str> = lines[0].split_whitespace().collect();
    assert!(first[1] == "113_1" || first[1] == "113_2", "{lines:?}");
    let scores: Vec<f32> = lines.iter().map(|l| l.split_whitespace().next().unwrap().parse().unwrap()).collect();
    assert!(scores.windows(2).all(|w| w[0] >= w[1]), "{scores:?}");

    // Views grouped per finger, a threshold between the mate and the rest, details.
    let threshold = format!("{}", (scores[0] + scores[2]) / 2.0);
    let out = ridgegate(&[
        "identify",
        p,
        "--gallery",
        gallery.to_str().unwrap(),
        "--fvc-subjects",
        "--threshold",
        &threshold,
        "--detail",
    ]);
    assert!(out.status.success());
    let text = stdout(&out);
    assert!(text.lines().next().unwrap().contains(" 113 fmr="), "{text}");
    assert!(text.lines().all(|l| l.split_whitespace().next().unwrap().parse::<f32>().unwrap() >= scores[2]));

    // A list file of `SUBJECT PATH` lines.
    let list = dir.path().join("list.txt");
    let mut body = String::from("# subject path\n");
    for f in [3u64, 12, 20] {
        body.push_str(&format!("person{f} gallery/{}_1.rgt\n", 101 + f));
    }
    std::fs::write(&list, body).unwrap();
    let out = ridgegate(&["identify", p, "--gallery", list.to_str().unwrap()]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let text = stdout(&out);
    assert_eq!(text.lines().count(), 3);
    assert!(text.lines().next().unwrap().ends_with(" person12"), "{text}");
}

#[test]
fn identify_bad_input_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("nope");
    let probe = dir.path().join("p.rgt");
    std::fs::write(&probe, finger_templates(1, 1, 1)[0].template.encode().unwrap()).unwrap();
    let p = probe.to_str().unwrap();
    for (args, needle) in [
        (vec!["identify", p, "--gallery", missing.to_str().unwrap()], "cannot read"),
        (vec!["identify", p, "--gallery", dir.path().to_str().unwrap(), "--top", "0"], "--top"),
        (vec!["identify", p, "--gallery", dir.path().to_str().unwrap(), "--threshold=-1"], "--threshold"),
    ] {
        let out = ridgegate(&args);
        assert!(!out.status.success(), "{args:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(needle), "{args:?}: {err}");
    }
    let bad = dir.path().join("bad.txt");
    std::fs::write(&bad, "a b c\n").unwrap();
    let out = ridgegate(&["identify", p, "--gallery", bad.to_str().unwrap()]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("SUBJECT PATH"));
}

#[test]
fn bench_identify_reports_its_figures() {
    let out = ridgegate(&["bench", "identify", "--size", "2000", "--probes", "4", "--verify", "2"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let text = stdout(&out);
    for needle in [
        "data: synthetic",
        "templates/s",
        "bytes/template",
        "latency mean",
        "p99",
        "full comparisons/s",
        "rank-1 equal",
        "recall of the exhaustive top-10",
    ] {
        assert!(text.contains(needle), "missing {needle:?} in:\n{text}");
    }
}
