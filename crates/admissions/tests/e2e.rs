//! End-to-end through the router with the virtual scanner's synthetic fingers (seed of the
//! committed testdata): register → photo → confirm 6 × 4 (with scripted retries and a device
//! fault) → pledge → form → gate admits the genuine finger and denies another person's finger
//! after 3 fused attempts; a second registration of the same fingers is flagged as a duplicate;
//! roster search; state survives a restart; an earlier-year enrollment needs no new one.

mod common;

use axum::body::Body;
use axum::http::{Method, StatusCode};
use common::*;
use ridgegate_admissions::Config;
use serde_json::{Value, json};

async fn scanner(s: &TestService, cmd: Value) {
    let (st, v) = s.post_json("/api/scanner/virtual", DESK, &cmd).await;
    assert_eq!(st, StatusCode::OK, "{v}");
}

/// Captures all 24 slots of `id` from the virtual scanner: synthetic finger `slot` (0..6),
/// impressions `first..first+4`.
async fn capture_all(s: &TestService, id: &str, first: u32) -> Value {
    let mut last = Value::Null;
    for slot in 0..6u64 {
        for view in 0..4u32 {
            scanner(s, json!({"next_image": {"finger": slot, "impression": first + view}})).await;
            let (st, v) =
                s.post_bytes(&format!("/api/applicants/{id}/confirmation/capture?source=scanner"), DESK, vec![]).await;
            assert_eq!(st, StatusCode::OK, "{v}");
            assert_eq!(v["outcome"], "accepted", "slot {slot} view {view}: {v}");
            last = v;
        }
    }
    last
}

async fn gate(s: &TestService, query: &str, finger: u64, impression: u32) -> Value {
    scanner(s, json!({"next_image": {"finger": finger, "impression": impression}})).await;
    let (st, v) = s.post_bytes(&format!("/api/gate/verify?source=scanner&{query}"), GATE, vec![]).await;
    assert_eq!(st, StatusCode::OK, "{v}");
    v
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn register_photo_confirm_gate_duplicate_roster_restart() {
    let s = TestService::new(Scanner::Synthetic, Config::default());
    let year = s.state.config().enrollment_year;

    // Registration and photo.
    register_with_photo(&s, "E2E-A", "Chen Yi").await;
    let (st, v) = s.post_json("/api/applicants/E2E-A/confirmation", DESK, &json!({})).await;
    assert_eq!(st, StatusCode::OK, "{v}");

    // Scripted scanner behaviour on the first slot: a low-quality image (quality retry with the
    // reason), a device retry (too short), an unplug (503, a device error, not a retry).
    let cap = "/api/applicants/E2E-A/confirmation/capture?source=scanner";
    scanner(
        &s,
        json!({"script": ["low_quality", "retry:too_short", "unplug"], "next_image": {"finger": 0, "impression": 0}}),
    )
    .await;
    let (_, v) = s.post_bytes(cap, DESK, vec![]).await;
    assert_eq!(v["outcome"], "retry", "{v}");
    assert!(v["reason"].as_str().unwrap().contains("image quality"), "{v}");
    assert_eq!(v["step"]["retries_left"], 2);
    let (_, v) = s.post_bytes(cap, DESK, vec![]).await;
    assert_eq!(v["outcome"], "scanner_retry", "{v}");
    assert!(v["reason"].as_str().unwrap().contains("too short"), "{v}");
    let (st, v) = s.post_bytes(cap, DESK, vec![]).await;
    assert_eq!(st, StatusCode::SERVICE_UNAVAILABLE, "{v}");
    assert_eq!(v["error"], "scanner_error");
    scanner(&s, json!({"replug": true})).await;

    // The 24 captures in the fixed order.
    let last = capture_all(&s, "E2E-A", 0).await;
    let grid = &last["session"];
    assert_eq!(grid["complete"], true);
    let order: Vec<&str> = grid["fingers"].as_array().unwrap().iter().map(|f| f["finger"].as_str().unwrap()).collect();
    assert_eq!(order, ["LeftThumb", "RightThumb", "LeftIndex", "RightIndex", "LeftMiddle", "RightMiddle"]);
    for f in grid["fingers"].as_array().unwrap() {
        let views = f["views"].as_array().unwrap();
        assert_eq!(views.len(), 4);
        assert!(views.iter().all(|v| v["quality"].as_u64().unwrap() >= 40));
        assert!(views[1..].iter().all(|v| v["view_match"].as_f64().unwrap() >= 25.0), "{f}");
    }
    let (st, v) = s.post_json("/api/applicants/E2E-A/confirmation/complete", DESK, &json!({})).await;
    assert_eq!(st, StatusCode::OK, "{v}");
    assert_eq!((v["enrolled"].as_bool(), v["flagged_for_review"].as_bool()), (Some(true), Some(false)));
    assert_eq!(v["duplicate_check"]["gallery_templates"], 0);
    assert_eq!(s.state.gallery_len(), 24);

    // Pledge (signed with the registered name) and the two-copy form.
    let (st, v) = s
        .post_json("/api/applicants/E2E-A/pledge", DESK, &json!({"accepted": true, "signed_name": "Someone Else"}))
        .await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(v["error"], "signature_mismatch");
    let (st, v) =
        s.post_json("/api/applicants/E2E-A/pledge", DESK, &json!({"accepted": true, "signed_name": "Chen Yi"})).await;
    assert_eq!(st, StatusCode::OK, "{v}");
    let (st, html, ct) = s.call_raw(Method::GET, "/api/applicants/E2E-A/form", Some(DESK), Body::empty(), "").await;
    assert_eq!(st, StatusCode::OK);
    assert!(ct.starts_with("text/html"));
    let html = String::from_utf8(html).unwrap();
    assert_eq!(html.matches("class=\"copy\"").count(), 2);
    assert_eq!(html.matches("data:image/jpeg;base64,").count(), 2);
    assert!(
        html.contains("Chen Yi") && html.contains("left-thumb") && html.contains("Pledge accepted by <b>Chen Yi</b>")
    );
    let (_, v) = s.get("/api/applicants/E2E-A", DESK).await;
    assert_eq!(v["status"], "enrolled");
    assert_eq!(v["enrollment"]["required"], false);
    assert_eq!(v["enrollment"]["enrolled_year"], year);
    let (st, v) = s.post_json("/api/applicants/E2E-A/confirmation", DESK, &json!({})).await;
    assert_eq!((st, v["error"].as_str()), (StatusCode::CONFLICT, Some("enrollment_not_required")));

    // Gate: the genuine finger (an impression not enrolled) is admitted at the first attempt.
    let v = gate(&s, "applicant=E2E-A", 0, 6).await;
    assert_eq!(v["decision"], "admit", "{v}");
    assert_eq!(v["attempt"], 1);
    assert!(v["score"].as_f64().unwrap() >= v["threshold"].as_f64().unwrap());
    assert!(v["fmr"].as_f64().unwrap() < 1e-4 / 72.0, "{v}");
    assert_eq!(v["finger"], "left-thumb");
    assert!(v["latency_ms"].as_f64().unwrap() > 0.0);
    // Another person's finger: no match, try again, and denied after the third attempt.
    for (k, expect) in [(1, "try_again"), (2, "try_again"), (3, "deny")] {
        let v = gate(&s, "applicant=E2E-A", 8, k).await;
        assert_eq!((v["decision"].as_str(), v["attempt"].as_u64()), (Some(expect), Some(k as u64)), "{v}");
        assert!(v["score"].as_f64().unwrap() < v["threshold"].as_f64().unwrap());
    }
    // The gate asks for the left thumb; the right thumb is not it. Then the left thumb is
    // admitted at the second attempt of the same transaction.
    let v = gate(&s, "applicant=E2E-A&finger=left-thumb", 1, 5).await;
    assert_eq!(v["decision"], "try_again", "{v}");
    let v = gate(&s, "applicant=E2E-A&finger=left-thumb", 0, 7).await;
    assert_eq!((v["decision"].as_str(), v["attempt"].as_u64()), (Some("admit"), Some(2)), "{v}");
    // The gate's attempts are in the audit log, under the gate's identity.
    let (_, audit) = s.get("/api/audit?limit=1000", ADMIN).await;
    let gate_entries = audit.as_array().unwrap().iter().filter(|e| e["action"] == "GateAttempt").count();
    assert_eq!(gate_entries, 6);
    assert!(
        audit
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e["action"] == "GateAttempt")
            .all(|e| e["context"]["role"] == "Gate")
    );

    // The same person registers again under another ID: flagged for the supervisor, not merged.
    register_with_photo(&s, "E2E-B", "Chen Er").await;
    s.post_json("/api/applicants/E2E-B/confirmation", DESK, &json!({})).await;
    capture_all(&s, "E2E-B", 4).await;
    let (st, v) = s.post_json("/api/applicants/E2E-B/confirmation/complete", DESK, &json!({})).await;
    assert_eq!(st, StatusCode::OK, "{v}");
    assert_eq!(v["flagged_for_review"], true, "{v}");
    let c = &v["duplicate_check"]["candidates"];
    assert_eq!(c.as_array().unwrap().len(), 1, "{v}");
    assert_eq!(c[0]["applicant"], "E2E-A");
    assert!(c[0]["matches"].as_array().unwrap().len() >= 2, "{v}");
    assert_eq!(s.get("/api/applicants/E2E-B", DESK).await.1["status"], "flagged");
    assert_eq!(
        s.get("/api/applicants/E2E-A", DESK).await.1["status"],
        "enrolled",
        "the earlier applicant is untouched"
    );
    let (_, reviews) = s.get("/api/reviews", SUPERVISOR).await;
    assert_eq!(reviews.as_array().unwrap().len(), 1);
    let (st, v) = s.post_bytes("/api/gate/verify?applicant=E2E-B", GATE, testdata_image(1, 5)).await;
    assert_eq!((st, v["error"].as_str()), (StatusCode::CONFLICT, Some("flagged_for_review")), "{v}");
    let (st, v) = s.post_json("/api/reviews/E2E-B", DESK, &json!({"decision": "confirmed_duplicate"})).await;
    assert_eq!(st, StatusCode::FORBIDDEN, "{v}");
    let (st, v) = s
        .post_json("/api/reviews/E2E-B", SUPERVISOR, &json!({"decision": "confirmed_duplicate", "note": "same person"}))
        .await;
    assert_eq!((st, v["state"].as_str()), (StatusCode::OK, Some("confirmed_duplicate")), "{v}");

    // Roster search of the hall (no ID presented): identifies E2E-A.
    s.put_json("/api/gate/rosters/hall-1", SUPERVISOR, &json!({"applicants": ["E2E-A", "E2E-B"]})).await;
    let v = gate(&s, "hall=hall-1&finger=right-index-finger", 3, 6).await;
    assert_eq!(
        (v["decision"].as_str(), v["mode"].as_str(), v["applicant"].as_str()),
        (Some("admit"), Some("roster"), Some("E2E-A")),
        "{v}"
    );
    // Both 1:N searches (the two duplicate checks and the roster search) are audited too.
    let (_, audit) = s.get("/api/audit?limit=1000", ADMIN).await;
    let searches: Vec<&str> = audit
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["action"] == "Search")
        .map(|e| e["detail"].as_str().unwrap_or_default())
        .collect();
    assert_eq!(searches.len(), 3, "{searches:?}");
    assert!(searches[..2].iter().all(|d| d.starts_with("duplicate check")), "{searches:?}");
    assert!(searches[2].starts_with("gate roster search: hall hall-1"), "{searches:?}");

    // Restart on the same data folder: gallery reloaded, gate still admits; an enrollment of an
    // earlier year needs no new one.
    let dir = s.dir.path().to_path_buf();
    let key = s.key.clone();
    let TestService { dir: keep, state, .. } = s;
    drop(state);
    let later = Config { enrollment_year: year + 1, ..Config::default() };
    let s2 = TestService { state: TestService::open(&dir, &key, Scanner::Synthetic, later), dir: keep, key };
    assert_eq!(s2.state.gallery_len(), 48);
    let (_, v) = s2.get("/api/applicants/E2E-A", DESK).await;
    assert_eq!(v["enrollment"]["required"], false);
    assert!(
        v["enrollment"]["reason"]
            .as_str()
            .unwrap()
            .contains(&format!("enrolled with photo and fingerprints in {year}")),
        "{v}"
    );
    assert_eq!(v["pledge"]["signed_name"], "Chen Yi");
    let v = gate(&s2, "applicant=E2E-A", 2, 7).await;
    assert_eq!(v["decision"], "admit", "{v}");
}
