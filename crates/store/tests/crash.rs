//! Crash safety: a writer process enrolling applicants is killed with SIGKILL at random moments,
//! over and over; after each kill the store must open, every enrollment the writer acknowledged
//! must be intact, and the audit chain must verify.
//!
//! The writer is this same test binary re-executed with `RIDGEGATE_CRASH_CHILD` set.

mod common;
use common::*;
use ridgegate_store::*;
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const ITERATIONS: usize = 100;

#[test]
fn crash_child_writer() {
    // In a normal run this test does nothing; it is the writer when the parent spawns it.
    let (Ok(path), Ok(key), Ok(start)) = (
        std::env::var("RIDGEGATE_CRASH_CHILD"),
        std::env::var("RIDGEGATE_CRASH_KEY"),
        std::env::var("RIDGEGATE_CRASH_START"),
    ) else {
        return;
    };
    let store = RedbStore::open(&path, StoreKey::from_hex(&key).unwrap()).unwrap();
    let start: u64 = start.parse().unwrap();
    let ctx = desk();
    for i in start.. {
        let id = format!("C{i:06}");
        store.create_applicant(&ctx, &applicant(&id)).unwrap();
        store.put_enrollment(&ctx, &enrollment(&id, i, true), false).unwrap();
        println!("ACK {id}");
    }
}

#[cfg(unix)]
#[test]
fn survives_sigkill_during_enrollment_bursts() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("crash.redb");
    let key = StoreKey::generate();
    drop(RedbStore::open(&path, key.clone()).unwrap());
    let exe = std::env::current_exe().unwrap();
    let mut acked: Vec<String> = Vec::new();
    let mut seed = 0x2545_F491_4F6C_DD1Du64;
    let mut next_start = 0u64;
    for iteration in 0..ITERATIONS {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        let kill_after = Duration::from_millis(20 + seed % 120);
        let mut child = Command::new(&exe)
            .args(["--exact", "crash_child_writer", "--nocapture", "--test-threads=1"])
            .env("RIDGEGATE_CRASH_CHILD", &path)
            .env("RIDGEGATE_CRASH_KEY", key.to_hex())
            .env("RIDGEGATE_CRASH_START", next_start.to_string())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let reader = std::thread::spawn(move || {
            BufReader::new(stdout)
                .lines()
                .map_while(std::result::Result::ok)
                .filter_map(|l| l.strip_prefix("ACK ").map(str::to_string))
                .collect::<Vec<_>>()
        });
        let t0 = Instant::now();
        while t0.elapsed() < kill_after {
            std::thread::sleep(Duration::from_millis(2));
        }
        child.kill().unwrap(); // SIGKILL on unix
        child.wait().unwrap();
        let new_acks = reader.join().unwrap();
        next_start += new_acks.len() as u64 + 1_000;
        acked.extend(new_acks);

        let store = RedbStore::open(&path, key.clone())
            .unwrap_or_else(|e| panic!("iteration {iteration}: store does not reopen after SIGKILL: {e}"));
        let ctx = AccessContext::system();
        // Every acknowledged enrollment is there, whole.
        for id in acked.iter().rev().take(5) {
            let id = ApplicantId::new(id.as_str()).unwrap();
            let e = store.enrollment(&ctx, &id).unwrap().unwrap_or_else(|| panic!("acknowledged {id} lost"));
            assert_eq!(e.fingers.len(), 6);
            assert!(e.fingers.iter().all(|f| f.views.len() == 4));
        }
        if iteration % 10 == 9 || iteration == ITERATIONS - 1 {
            let rep = store.verify_integrity().unwrap_or_else(|e| panic!("iteration {iteration}: {e}"));
            let ids = store.applicant_ids().unwrap();
            for id in &acked {
                assert!(ids.iter().any(|i| i.as_str() == id), "acknowledged {id} lost");
            }
            assert!(rep.templates_checked >= acked.len() as u64 * 24);
        }
    }
    eprintln!("crash test: {ITERATIONS} kills, {} acknowledged enrollments, all intact", acked.len());
    assert!(acked.len() > 10, "the writer made too little progress for the test to mean anything");
}
