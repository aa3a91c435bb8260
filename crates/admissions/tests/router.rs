//! Router tests through `tower::ServiceExt::oneshot`: every flow's happy path, bad input (4xx with
//! a JSON reason, nothing stored), roles, audit.

mod common;

use axum::body::Body;
use axum::http::{Method, StatusCode};
use common::*;
use ridgegate_admissions::Config;
use serde_json::json;

fn svc() -> TestService {
    TestService::new(Scanner::None, Config::default())
}

fn assert_error(v: &serde_json::Value, code: &str) {
    assert_eq!(v["error"], code, "{v}");
    assert!(v["message"].as_str().is_some_and(|m| !m.is_empty()), "{v}");
}

#[tokio::test]
async fn health_is_open_everything_else_needs_a_token() {
    let s = svc();
    let (st, v) = s.call(Method::GET, "/api/health", None, Body::empty(), "").await;
    assert_eq!((st, v["status"].as_str()), (StatusCode::OK, Some("ok")));
    let (st, v) = s.call(Method::GET, "/api/me", None, Body::empty(), "").await;
    assert_eq!(st, StatusCode::UNAUTHORIZED);
    assert_error(&v, "unauthorized");
    let (st, _) = s.get("/api/me", "not-a-token-000000000000000000000000000000").await;
    assert_eq!(st, StatusCode::UNAUTHORIZED);
    let (st, v) = s.get("/api/me", GATE).await;
    assert_eq!((st, v["role"].as_str(), v["station"].as_str()), (StatusCode::OK, Some("gate"), Some("hall-1-door")));
    let (st, v) = s.get("/api/openapi.json", GATE).await;
    assert_eq!(st, StatusCode::OK);
    assert_eq!(v["openapi"].as_str().map(|s| &s[..2]), Some("3."));
}

#[tokio::test]
async fn registration_eligibility_and_enrollment_need() {
    let s = svc();
    let (st, v) = s.post_json("/api/applicants", DESK, &registration("2019-0001", "Zhang San")).await;
    assert_eq!(st, StatusCode::CREATED, "{v}");
    assert_eq!(v["eligibility"]["eligible"], true);
    assert_eq!(v["eligibility"]["route"], "bachelor_before_cutoff");
    assert_eq!(v["enrollment"]["required"], true);
    assert_eq!(v["status"], "registered");
    // Same ID again: conflict, nothing changed.
    let (st, v) = s.post_json("/api/applicants", DESK, &registration("2019-0001", "Li Si")).await;
    assert_eq!(st, StatusCode::CONFLICT);
    assert_error(&v, "applicant_exists");
    let (_, v) = s.get("/api/applicants/2019-0001", DESK).await;
    assert_eq!(v["name"], "Zhang San");

    // Bachelor's after the cut-off, no higher degree: registered but not eligible.
    let mut late = registration("2019-0002", "Wang Wu");
    late["bachelor_date"] = json!("2017-04-01");
    let (st, v) = s.post_json("/api/applicants", DESK, &late).await;
    assert_eq!(st, StatusCode::CREATED);
    assert_eq!(v["eligibility"]["eligible"], false);
    assert!(v["eligibility"]["reason"].as_str().unwrap().contains("after the cut-off 2017-03-31"));
    // Master's without bachelor's: eligible.
    let mut m = registration("2019-0003", "Zhao Liu");
    m["bachelor_date"] = json!(null);
    m["master_date"] = json!("2016-06-30");
    let (_, v) = s.post_json("/api/applicants", DESK, &m).await;
    assert_eq!(v["eligibility"]["route"], "master_or_doctoral");
    // Passed the national exam: no new enrollment needed, and the API says so.
    let mut passed = registration("2019-0004", "Sun Qi");
    passed["passed_national_exam"] = json!(true);
    let (_, v) = s.post_json("/api/applicants", DESK, &passed).await;
    assert_eq!(v["enrollment"]["required"], false);
    assert!(v["enrollment"]["reason"].as_str().unwrap().contains("passed the national exam"));
    let (st, v) = s.post_json("/api/applicants/2019-0004/confirmation", DESK, &json!({})).await;
    assert_eq!(st, StatusCode::CONFLICT);
    assert_error(&v, "enrollment_not_required");

    // Update keeps the ID; a different ID in the body is refused.
    let mut upd = registration("2019-0001", "Zhang San");
    upd["application_month"] = json!(202003);
    let (st, v) = s.put_json("/api/applicants/2019-0001", DESK, &upd).await;
    assert_eq!((st, v["application_month"].as_u64()), (StatusCode::OK, Some(202003)));
    let (st, v) = s.put_json("/api/applicants/2019-0003", DESK, &upd).await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY);
    assert_error(&v, "id_mismatch");
    let (st, v) = s
        .put_json("/api/applicants/NOPE", DESK, &{
            let mut r = registration("NOPE", "x");
            r["id"] = json!(null);
            r
        })
        .await;
    assert_eq!(st, StatusCode::NOT_FOUND);
    assert_error(&v, "unknown_applicant");
}

#[tokio::test]
async fn bad_registration_input_is_a_4xx_with_a_reason_and_stores_nothing() {
    let s = svc();
    let cases: Vec<(serde_json::Value, StatusCode, &str)> = vec![
        (
            {
                let mut r = registration("A1", "n");
                r["bachelor_date"] = json!("2017-02-30");
                r
            },
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_date",
        ),
        (
            {
                let mut r = registration("A1", "n");
                r["bachelor_date"] = json!("31.03.2017");
                r
            },
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_date",
        ),
        (
            {
                let mut r = registration("A1", "n");
                r["application_month"] = json!(201913);
                r
            },
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid",
        ),
        (
            {
                let mut r = registration("A1", "n");
                r["cohort_year"] = json!(1999);
                r
            },
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid",
        ),
        (
            {
                let mut r = registration("A1", "n");
                r["name"] = json!("  ");
                r
            },
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid",
        ),
        (
            {
                let mut r = registration("A1", "n");
                r["id"] = json!("a/b");
                r
            },
            StatusCode::BAD_REQUEST,
            "bad_applicant_id",
        ),
        (
            {
                let mut r = registration("A1", "n");
                r["id"] = json!(null);
                r
            },
            StatusCode::UNPROCESSABLE_ENTITY,
            "missing_id",
        ),
        (
            {
                let mut r = registration("A1", "n");
                r["shoe_size"] = json!(42);
                r
            },
            StatusCode::UNPROCESSABLE_ENTITY,
            "bad_json",
        ),
        (
            {
                let mut r = registration("A1", "n");
                r["cohort_year"] = json!("twenty");
                r
            },
            StatusCode::UNPROCESSABLE_ENTITY,
            "bad_json",
        ),
    ];
    for (body, status, code) in cases {
        let (st, v) = s.post_json("/api/applicants", DESK, &body).await;
        assert_eq!(st, status, "{body} -> {v}");
        assert_error(&v, code);
    }
    let (st, v) =
        s.call(Method::POST, "/api/applicants", Some(DESK), Body::from("{not json"), "application/json").await;
    assert_eq!(st, StatusCode::BAD_REQUEST);
    assert_error(&v, "bad_json");
    let (st, v) = s.call(Method::POST, "/api/applicants", Some(DESK), Body::from("{}"), "text/plain").await;
    assert_eq!(st, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert_error(&v, "bad_json");
    let (st, v) = s.get("/api/applicants/A1", DESK).await;
    assert_eq!(st, StatusCode::NOT_FOUND, "nothing may have been stored: {v}");
}

#[tokio::test]
async fn roles_are_enforced_and_gates_cannot_read_templates_or_enroll() {
    let s = svc();
    register_with_photo(&s, "R1", "Role Test").await;
    for (method, uri) in [
        (Method::GET, "/api/applicants/R1"),
        (Method::GET, "/api/applicants/R1/templates"),
        (Method::GET, "/api/applicants/R1/photo"),
        (Method::POST, "/api/applicants/R1/confirmation"),
        (Method::POST, "/api/applicants/R1/confirmation/capture"),
        (Method::POST, "/api/applicants/R1/confirmation/complete"),
        (Method::GET, "/api/audit"),
        (Method::GET, "/api/reviews"),
        (Method::DELETE, "/api/applicants/R1"),
    ] {
        let (st, v) = s.call(method.clone(), uri, Some(GATE), Body::empty(), "application/json").await;
        assert_eq!(st, StatusCode::FORBIDDEN, "gate {method} {uri}: {v}");
        assert_error(&v, "forbidden");
    }
    let (st, _) = s.post_json("/api/applicants", GATE, &registration("R2", "x")).await;
    assert_eq!(st, StatusCode::FORBIDDEN);
    // Desk operators read registrations but not templates or the audit log; only admins delete.
    assert_eq!(s.get("/api/applicants/R1", DESK).await.0, StatusCode::OK);
    assert_eq!(s.get("/api/applicants/R1/templates", DESK).await.0, StatusCode::FORBIDDEN);
    assert_eq!(s.get("/api/audit", DESK).await.0, StatusCode::FORBIDDEN);
    let (st, _) = s.call(Method::DELETE, "/api/applicants/R1", Some(SUPERVISOR), Body::empty(), "").await;
    assert_eq!(st, StatusCode::FORBIDDEN);
    // Not enrolled yet: templates are a 404 for the supervisor.
    let (st, v) = s.get("/api/applicants/R1/templates", SUPERVISOR).await;
    assert_eq!(st, StatusCode::NOT_FOUND);
    assert_error(&v, "not_enrolled");
    assert_eq!(s.get("/api/applicants/R1", SUPERVISOR).await.0, StatusCode::OK);
    // Every personal-data read above is in the audit log with its role and actor.
    let (st, v) = s.get("/api/audit?limit=1000", ADMIN).await;
    assert_eq!(st, StatusCode::OK);
    let entries = v.as_array().unwrap();
    assert!(entries.iter().any(|e| e["action"] == "CreateApplicant" && e["context"]["actor"] == "op-1"));
    assert!(entries.iter().any(|e| e["action"] == "WritePhoto" && e["context"]["role"] == "DeskOperator"));
    assert!(entries.iter().any(|e| e["action"] == "ReadApplicant" && e["context"]["role"] == "Supervisor"));
    assert!(!entries.iter().any(|e| e["context"]["role"] == "Gate"), "gate requests were refused before any read");
    // Admin deletes: everything gone.
    let (st, v) = s.call(Method::DELETE, "/api/applicants/R1", Some(ADMIN), Body::empty(), "").await;
    assert_eq!(st, StatusCode::OK, "{v}");
    assert_eq!(s.get("/api/applicants/R1", DESK).await.0, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn photo_check_gives_reasons_and_stores_only_conforming_photos() {
    let s = svc();
    s.post_json("/api/applicants", DESK, &registration("P1", "Photo Test")).await;
    let (st, v) = s.put_bytes("/api/applicants/P1/photo", DESK, b"GIF89a not a jpeg".to_vec()).await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY);
    assert_error(&v, "invalid_photo");
    let (st, v) = s.put_bytes("/api/applicants/P1/photo", DESK, vec![]).await;
    assert_eq!(st, StatusCode::BAD_REQUEST);
    assert_error(&v, "empty_body");
    // Wrong size: rejected with the rule, measured and expected values.
    let (st, v) = s.put_bytes("/api/applicants/P1/photo", DESK, photo_with(400, 567)).await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    assert_error(&v, "photo_rejected");
    assert_eq!(v["stored"], false);
    let f = v["failures"].as_array().unwrap();
    assert!(f.iter().any(|x| x.as_str().unwrap().starts_with("dimensions: measured 400 wide")), "{v}");
    assert_eq!(s.get("/api/applicants/P1/photo", DESK).await.0, StatusCode::NOT_FOUND);
    // Unknown applicant: 404 before any check.
    let (st, _) = s.put_bytes("/api/applicants/NOBODY/photo", DESK, photo_jpeg()).await;
    assert_eq!(st, StatusCode::NOT_FOUND);
    let jpeg = photo_jpeg();
    let (st, v) = s.put_bytes("/api/applicants/P1/photo", DESK, jpeg.clone()).await;
    assert_eq!((st, &v["passed"]), (StatusCode::OK, &json!(true)), "{v}");
    let (st, bytes, ct) = s.call_raw(Method::GET, "/api/applicants/P1/photo", Some(DESK), Body::empty(), "").await;
    assert_eq!((st, ct.as_str()), (StatusCode::OK, "image/jpeg"));
    assert_eq!(bytes, jpeg);
    let (_, v) = s.get("/api/applicants/P1", DESK).await;
    assert_eq!(v["photo"], json!({"present": true, "passed": true}));
}

#[tokio::test]
async fn confirmation_preconditions_and_capture_input_errors() {
    let s = svc();
    s.post_json("/api/applicants", DESK, &registration("C1", "Capture Test")).await;
    let (st, v) = s.post_json("/api/applicants/C1/confirmation", DESK, &json!({})).await;
    assert_eq!(st, StatusCode::CONFLICT);
    assert_error(&v, "photo_required");
    let mut late = registration("C2", "Late Degree");
    late["bachelor_date"] = json!("2018-07-01");
    s.post_json("/api/applicants", DESK, &late).await;
    let (st, v) = s.post_json("/api/applicants/C2/confirmation", DESK, &json!({})).await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY);
    assert_error(&v, "not_eligible");
    let (st, _) = s.post_bytes("/api/applicants/C1/confirmation/capture", DESK, testdata_image(1, 1)).await;
    assert_eq!(st, StatusCode::NOT_FOUND, "no session yet");

    s.put_bytes("/api/applicants/C1/photo", DESK, photo_jpeg()).await;
    let (st, v) = s.post_json("/api/applicants/C1/confirmation", DESK, &json!({})).await;
    assert_eq!(st, StatusCode::OK, "{v}");
    assert_eq!(v["next"], json!({"finger": "LeftThumb", "view": 0}));
    assert_eq!(v["fingers"].as_array().unwrap().len(), 6);
    // Another desk cannot take over the session.
    let (st, v) = s.post_json("/api/applicants/C1/confirmation", DESK2, &json!({})).await;
    assert_eq!(st, StatusCode::CONFLICT);
    assert_error(&v, "session_elsewhere");

    let cap = "/api/applicants/C1/confirmation/capture";
    let (st, v) = s.post_bytes(cap, DESK, vec![]).await;
    assert_eq!(st, StatusCode::BAD_REQUEST);
    assert_error(&v, "empty_body");
    let (st, v) = s.post_bytes(cap, DESK, b"\x89PNG garbage".to_vec()).await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY);
    assert_error(&v, "invalid_image");
    let (st, v) = s.post_bytes(&format!("{cap}?source=scanner"), DESK, vec![]).await;
    assert_eq!(st, StatusCode::CONFLICT);
    assert_error(&v, "no_scanner");
    let (st, v) = s.post_bytes(&format!("{cap}?source=camera"), DESK, testdata_image(1, 1)).await;
    assert_eq!(st, StatusCode::BAD_REQUEST);
    assert_error(&v, "bad_source");
    let (st, v) = s.post_bytes(&format!("{cap}?dpi=abc"), DESK, testdata_image(1, 1)).await;
    assert_eq!(st, StatusCode::BAD_REQUEST);
    assert_error(&v, "bad_query");
    // A blank image is a retry with the quality reason, not an error; nothing accepted.
    let (st, v) = s.post_bytes(cap, DESK, blank_png()).await;
    assert_eq!(st, StatusCode::OK, "{v}");
    assert_eq!(v["outcome"], "retry");
    assert!(v["reason"].as_str().unwrap().contains("quality 0"), "{v}");
    assert_eq!(v["session"]["fingers"][0]["retries_used"], 1);
    // A real capture is accepted into the left thumb's first view.
    let (_, v) = s.post_bytes(cap, DESK, testdata_image(1, 1)).await;
    assert_eq!(v["outcome"], "accepted", "{v}");
    assert_eq!(v["session"]["fingers"][0]["views"].as_array().unwrap().len(), 1);
    let (st, v) = s.post_json("/api/applicants/C1/confirmation/complete", DESK, &json!({})).await;
    assert_eq!(st, StatusCode::CONFLICT);
    assert_error(&v, "capture_incomplete");
    let (st, v) = s.post_json("/api/applicants/C1/confirmation/fingers/left-toe/restart", DESK, &json!({})).await;
    assert_eq!(st, StatusCode::BAD_REQUEST);
    assert_error(&v, "bad_finger");
    let (st, v) = s.post_json("/api/applicants/C1/confirmation/fingers/left-thumb/restart", DESK, &json!({})).await;
    assert_eq!((st, v["fingers"][0]["views"].as_array().unwrap().len()), (StatusCode::OK, 0));
    let (st, _) = s.call(Method::DELETE, "/api/applicants/C1/confirmation", Some(DESK), Body::empty(), "").await;
    assert_eq!(st, StatusCode::OK);
    assert_eq!(s.get("/api/applicants/C1/confirmation", DESK).await.0, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn gate_input_errors() {
    let s = svc();
    s.post_json("/api/applicants", DESK, &registration("G1", "Gate Test")).await;
    let (st, v) = s.post_bytes("/api/gate/verify", GATE, testdata_image(1, 1)).await;
    assert_eq!(st, StatusCode::BAD_REQUEST);
    assert_error(&v, "missing_subject");
    let (st, v) = s.post_bytes("/api/gate/verify?applicant=NOBODY", GATE, testdata_image(1, 1)).await;
    assert_eq!(st, StatusCode::NOT_FOUND);
    assert_error(&v, "unknown_applicant");
    let (st, v) = s.post_bytes("/api/gate/verify?applicant=G1", GATE, testdata_image(1, 1)).await;
    assert_eq!(st, StatusCode::CONFLICT);
    assert_error(&v, "not_enrolled");
    let (st, v) = s.post_bytes("/api/gate/verify?hall=h9", GATE, testdata_image(1, 1)).await;
    assert_eq!(st, StatusCode::NOT_FOUND);
    assert_error(&v, "unknown_hall");
    let (st, v) = s.post_bytes("/api/gate/verify?applicant=G1&finger=toe", GATE, testdata_image(1, 1)).await;
    assert_eq!(st, StatusCode::BAD_REQUEST);
    assert_error(&v, "bad_finger");
    let (st, v) = s.post_bytes("/api/gate/verify?applicant=G1", GATE, b"junk".to_vec()).await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY);
    assert_error(&v, "invalid_image");
    // A blank capture asks for a retry without using an attempt.
    let (st, v) = s.post_bytes("/api/gate/verify?applicant=G1", GATE, blank_png()).await;
    assert_eq!((st, v["decision"].as_str(), v["attempt"].as_u64()), (StatusCode::OK, Some("retry"), Some(0)), "{v}");
    let (st, v) = s.put_json("/api/gate/rosters/hall-1", GATE, &json!({"applicants": ["G1"]})).await;
    assert_eq!(st, StatusCode::FORBIDDEN, "{v}");
    let (st, v) = s.put_json("/api/gate/rosters/hall%201", SUPERVISOR, &json!({"applicants": ["G1"]})).await;
    assert_eq!(st, StatusCode::BAD_REQUEST, "{v}");
    let (st, v) = s.put_json("/api/gate/rosters/hall-1", SUPERVISOR, &json!({"applicants": ["G1", "bad id"]})).await;
    assert_eq!(st, StatusCode::BAD_REQUEST, "{v}");
    let (st, _) = s.put_json("/api/gate/rosters/hall-1", SUPERVISOR, &json!({"applicants": ["G1"]})).await;
    assert_eq!(st, StatusCode::OK);
    let (st, v) = s.get("/api/gate/rosters/hall-1", GATE).await;
    assert_eq!((st, v), (StatusCode::OK, json!({"applicants": ["G1"]})));
}

#[tokio::test]
async fn oversized_bodies_are_refused_with_413() {
    let s = TestService::new(Scanner::None, Config { max_upload_bytes: 1000, ..Config::default() });
    s.post_json("/api/applicants", DESK, &registration("B1", "Big Body")).await;
    let (st, v) = s.put_bytes("/api/applicants/B1/photo", DESK, vec![0xff; 5000]).await;
    assert_eq!(st, StatusCode::PAYLOAD_TOO_LARGE);
    assert_error(&v, "bad_body");
}

#[tokio::test]
async fn desk_page_and_openapi_cover_every_route() {
    let s = svc();
    let (st, html, ct) = s.call_raw(Method::GET, "/desk/", None, Body::empty(), "").await;
    assert_eq!(st, StatusCode::OK);
    assert!(ct.starts_with("text/html"));
    let html = String::from_utf8(html).unwrap();
    assert!(html.contains("desk.js") && html.contains("desk.css"));
    for asset in ["/desk/desk.js", "/desk/desk.css"] {
        let (st, body, _) = s.call_raw(Method::GET, asset, None, Body::empty(), "").await;
        assert_eq!(st, StatusCode::OK);
        assert!(body.len() > 100, "{asset} is empty");
    }
    let (st, _, _) = s.call_raw(Method::GET, "/", None, Body::empty(), "").await;
    assert!(st.is_redirection());
    // Every API route in the router is documented in the OpenAPI file.
    let doc: serde_json::Value = serde_json::from_str(ridgegate_admissions::OPENAPI).unwrap();
    let paths = doc["paths"].as_object().unwrap();
    let src = include_str!("../src/handlers/mod.rs");
    for line in src.lines().filter(|l| l.contains("\"/api/")) {
        let path = line.split('"').nth(1).unwrap();
        assert!(paths.contains_key(path), "{path} missing from openapi.json");
    }
    assert!(paths.len() >= 18);
}

#[tokio::test]
async fn idle_sessions_are_dropped_when_the_next_one_starts() {
    let s = TestService::new(
        Scanner::None,
        Config { session_idle_timeout: std::time::Duration::ZERO, ..Config::default() },
    );
    register_with_photo(&s, "I1", "Idle One").await;
    register_with_photo(&s, "I2", "Idle Two").await;
    assert_eq!(s.post_json("/api/applicants/I1/confirmation", DESK, &json!({})).await.0, StatusCode::OK);
    assert_eq!(s.get("/api/applicants/I1/confirmation", DESK).await.0, StatusCode::OK);
    assert_eq!(s.post_json("/api/applicants/I2/confirmation", DESK, &json!({})).await.0, StatusCode::OK);
    let (st, v) = s.get("/api/applicants/I1/confirmation", DESK).await;
    assert_eq!(st, StatusCode::NOT_FOUND, "{v}");
    assert_error(&v, "no_session");
}
