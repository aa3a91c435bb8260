//! Bounded loopback load test of the gate: 20 gate stations verify concurrently against a running
//! service over real HTTP on 127.0.0.1. Two phases, 200 requests each:
//!
//! * **paced**: each gate presents one person every 500 ms (40 verifications/s in all, a busy
//!   exam-hall entrance), the latency a person at the gate sees;
//! * **saturated**: each gate sends its next request as soon as the previous answer arrives (no
//!   think time), the worst case on this machine.
//!
//! Reports p50/p90/p99/max of the image→decision latency measured by the service and of the
//! client's round trip. The assertion is correctness only (0 errors, every genuine presentation
//! admitted); speed is reported, not asserted (run with `-- --nocapture` to see it).

use ridgegate_admissions::auth::{Principal, Tokens};
use ridgegate_admissions::records::Records;
use ridgegate_admissions::scanner::ScannerSlot;
use ridgegate_admissions::{AppState, Config, router};
use ridgegate_core::{FingerImage, FingerPosition};
use ridgegate_store::{
    AccessContext, Applicant, ApplicantId, ApplicantStatus, CapturedView, DegreeFacts, Enrollment, FingerEnrollment,
    RedbStore, Role, Store, StoreKey, YearMonth,
};
use std::io::{Read, Write};
use std::sync::Arc;
use std::time::{Duration, Instant};

const GATES: usize = 20;
const PER_GATE: usize = 10;
const PACE: Duration = Duration::from_millis(500);

fn gate_token(i: usize) -> String {
    format!("gate{i:02}{}", "0".repeat(58))
}

/// Images of the virtual scanner's synthetic fingers (default, controlled model; testdata seed):
/// `[finger][impression]`, 6 fingers × 5 impressions.
fn synthetic_fingers() -> Vec<Vec<FingerImage>> {
    use rayon::prelude::*;
    (0..6u64)
        .into_par_iter()
        .map(|f| {
            ridgegate_synth::finger_impressions(
                &ridgegate_synth::SynthConfig::default(),
                ridgegate_synth::TESTDATA_SEED,
                f,
                5,
            )
            .unwrap()
        })
        .collect()
}

/// Enrolls one applicant with synthetic fingers 0..6, impressions 0..4.
fn enroll(store: &RedbStore, images: &[Vec<FingerImage>]) {
    let ctx = AccessContext::cli_admin("load-test");
    let id = ApplicantId::new("LOAD-1").unwrap();
    store
        .create_applicant(
            &ctx,
            &Applicant {
                id: id.clone(),
                name: "Load Test".into(),
                national_id: "110101199001011234".into(),
                student_number: "S1".into(),
                cohort_year: 2019,
                application_month: YearMonth(201909),
                degree: DegreeFacts::default(),
                status: ApplicantStatus::Registered,
            },
        )
        .unwrap();
    let fingers = FingerPosition::CAPTURE_ORDER
        .iter()
        .enumerate()
        .map(|(i, &finger)| FingerEnrollment {
            finger,
            views: (0..4)
                .map(|k| {
                    let img = &images[i][k];
                    let mut e = ridgegate_extract::extract(img).unwrap();
                    e.template.finger = finger;
                    CapturedView {
                        template: e.template,
                        quality: e.quality,
                        captured_at_ms: 0,
                        device: "load-test".into(),
                        operator: "load-test".into(),
                        image_png: img.to_png(),
                    }
                })
                .collect(),
        })
        .collect();
    store.put_enrollment(&ctx, &Enrollment { applicant: id, year: 2019, desk: "d".into(), fingers }, false).unwrap();
}

/// POSTs `body` to `path` over a fresh loopback connection; returns (status, JSON body).
fn post(addr: std::net::SocketAddr, path: &str, token: &str, body: &[u8]) -> Result<(u16, serde_json::Value), String> {
    let mut s = std::net::TcpStream::connect(addr).map_err(|e| e.to_string())?;
    s.set_read_timeout(Some(Duration::from_secs(30))).map_err(|e| e.to_string())?;
    let head = format!(
        "POST {path} HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {token}\r\nContent-Type: image/png\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    s.write_all(head.as_bytes()).map_err(|e| e.to_string())?;
    s.write_all(body).map_err(|e| e.to_string())?;
    let mut resp = Vec::new();
    s.read_to_end(&mut resp).map_err(|e| e.to_string())?;
    let text = String::from_utf8_lossy(&resp);
    let status = text.split(' ').nth(1).and_then(|s| s.parse().ok()).ok_or("no status line")?;
    let json = text.split("\r\n\r\n").nth(1).ok_or("no body")?;
    Ok((status, serde_json::from_str(json).map_err(|e| format!("{e}: {json}"))?))
}

fn pct(sorted: &[f64], p: f64) -> f64 {
    sorted[((sorted.len() as f64 * p).ceil() as usize).clamp(1, sorted.len()) - 1]
}

struct Phase {
    server_ms: Vec<f64>,
    client_ms: Vec<f64>,
    errors: Vec<String>,
    wall: Duration,
}

/// One phase: a client thread per gate (blocking I/O keeps the clients off the server's runtime).
fn run_phase(addr: std::net::SocketAddr, probes: Arc<Vec<Vec<u8>>>, gates: usize, pace: Option<Duration>) -> Phase {
    let start = Instant::now();
    let threads: Vec<_> = (0..gates)
        .map(|g| {
            let probes = probes.clone();
            std::thread::spawn(move || {
                let token = gate_token(g);
                let mut out = Vec::new();
                // Gates start spread over one pace interval, as people arrive independently.
                if let Some(p) = pace {
                    std::thread::sleep(p * g as u32 / gates as u32);
                }
                for k in 0..PER_GATE {
                    let t = Instant::now();
                    let probe = &probes[(g + k) % probes.len()];
                    let r = post(addr, "/api/gate/verify?applicant=LOAD-1", &token, probe);
                    let client = t.elapsed().as_secs_f64() * 1000.0;
                    out.push(match r {
                        Ok((200, v)) if v["decision"] == "admit" => Ok((v["latency_ms"].as_f64().unwrap(), client)),
                        Ok((st, v)) => Err(format!("gate {g} request {k}: HTTP {st} {v}")),
                        Err(e) => Err(format!("gate {g} request {k}: {e}")),
                    });
                    if let Some(p) = pace {
                        std::thread::sleep(p.saturating_sub(t.elapsed()));
                    }
                }
                out
            })
        })
        .collect();
    let mut phase = Phase { server_ms: vec![], client_ms: vec![], errors: vec![], wall: Duration::ZERO };
    for t in threads {
        for r in t.join().unwrap() {
            match r {
                Ok((s, c)) => {
                    phase.server_ms.push(s);
                    phase.client_ms.push(c);
                }
                Err(e) => phase.errors.push(e),
            }
        }
    }
    phase.wall = start.elapsed();
    phase.server_ms.sort_by(f64::total_cmp);
    phase.client_ms.sort_by(f64::total_cmp);
    phase
}

fn report(name: &str, gates: usize, p: &Phase) {
    let n = p.server_ms.len();
    if n == 0 {
        println!("{name}: no successful requests");
        return;
    }
    println!(
        "gate load [{name}] {gates} gate(s) x {PER_GATE}: {n} ok, {} errors, {:.1} verifications/s | image->decision ms p50 {:.1} p90 {:.1} p99 {:.1} max {:.1} | client round trip ms p50 {:.1} p99 {:.1}",
        p.errors.len(),
        n as f64 / p.wall.as_secs_f64(),
        pct(&p.server_ms, 0.5),
        pct(&p.server_ms, 0.9),
        pct(&p.server_ms, 0.99),
        p.server_ms[n - 1],
        pct(&p.client_ms, 0.5),
        pct(&p.client_ms, 0.99),
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn twenty_gates_verify_concurrently_over_loopback() {
    let dir = tempfile::tempdir().unwrap();
    let key = StoreKey::generate();
    let store = RedbStore::open(dir.path().join("store.redb"), key.clone()).unwrap();
    let images = synthetic_fingers();
    enroll(&store, &images);
    let records = Records::open(&dir.path().join("admissions.redb"), key).unwrap();
    let tokens = Tokens::new(
        (0..GATES)
            .map(|g| {
                (
                    gate_token(g),
                    Principal { role: Role::Gate, actor: format!("gate-{g}"), station: format!("door-{g}") },
                )
            })
            .collect(),
    );
    let state = AppState::new(Config::default(), Arc::new(store), records, tokens, ScannerSlot::none()).unwrap();
    assert_eq!(state.gallery_len(), 24);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, router(state)).await.unwrap() });

    // Genuine presentations: the fifth impression (not enrolled) of each finger, as PNG uploads.
    let probes = Arc::new(images.iter().map(|f| f[4].to_png()).collect::<Vec<_>>());
    let p = probes.clone();
    let single = tokio::task::spawn_blocking(move || run_phase(addr, p, 1, None)).await.unwrap();
    report("one gate alone: service time", 1, &single);
    let p = probes.clone();
    let paced = tokio::task::spawn_blocking(move || run_phase(addr, p, GATES, Some(PACE))).await.unwrap();
    report("paced, 1 person per gate per 500 ms", GATES, &paced);
    let saturated = tokio::task::spawn_blocking(move || run_phase(addr, probes, GATES, None)).await.unwrap();
    report("saturated, no think time", GATES, &saturated);
    for (p, n) in [(&single, 1), (&paced, GATES), (&saturated, GATES)] {
        assert!(p.errors.is_empty(), "{:#?}", p.errors);
        assert_eq!(p.server_ms.len(), n * PER_GATE);
    }
}
