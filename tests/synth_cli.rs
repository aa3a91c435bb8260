//! End-to-end: `ridgegate synth` writes FVC-named 500-dpi images deterministically (whatever the
//! thread count), rejects bad input with a clear message, and runs the template generator.

use std::process::{Command, Output};

fn synth(args: &[&str], threads: &str) -> Output {
    Command::new(env!("CARGO_BIN_EXE_ridgegate"))
        .arg("synth")
        .args(args)
        .env("RAYON_NUM_THREADS", threads)
        .output()
        .unwrap()
}

#[test]
fn images_are_fvc_named_and_deterministic_across_thread_counts() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (dir.path().join("a"), dir.path().join("b"));
    for (out, threads) in [(&a, "1"), (&b, "2")] {
        let o = synth(
            &[
                "--fingers",
                "2",
                "--impressions",
                "3",
                "--seed",
                "7",
                "--width",
                "160",
                "--height",
                "200",
                "--out",
                out.to_str().unwrap(),
            ],
            threads,
        );
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    }
    let mut names: Vec<String> =
        std::fs::read_dir(&a).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    names.sort();
    assert_eq!(names, ["1_1.png", "1_2.png", "1_3.png", "2_1.png", "2_2.png", "2_3.png"]);
    for n in &names {
        let (x, y) = (std::fs::read(a.join(n)).unwrap(), std::fs::read(b.join(n)).unwrap());
        assert_eq!(x, y, "{n} differs between 1 and 2 threads");
        let img = ridgegate_core::FingerImage::load(a.join(n), Some(500)).unwrap();
        assert_eq!((img.width(), img.height()), (160, 200));
    }
    assert_ne!(std::fs::read(a.join("1_1.png")).unwrap(), std::fs::read(a.join("1_2.png")).unwrap());
}

#[test]
fn bad_arguments_are_clear_errors() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().to_str().unwrap();
    for (args, want) in [
        (vec!["--fingers", "1", "--impressions", "100", "--out", out], "at most 64 are supported"),
        (vec!["--fingers", "1", "--width", "10", "--out", out], "outside 64..=2048"),
        (vec!["--fingers", "1"], "--out DIR is required"),
    ] {
        let o = synth(&args, "1");
        let stderr = String::from_utf8_lossy(&o.stderr);
        assert!(!o.status.success() && stderr.contains(want), "{args:?}: {stderr}");
    }
}

#[test]
fn template_generator_run_reports_count_and_statistics() {
    for model in ["realistic", "controlled"] {
        let o = synth(&["--templates", "--fingers", "50", "--impressions", "4", "--model", model], "2");
        let stdout = String::from_utf8_lossy(&o.stdout);
        assert!(o.status.success() && stdout.starts_with("200 templates in "), "{stdout}");
        assert!(stdout.contains("minutiae/template"), "{stdout}");
    }
}
