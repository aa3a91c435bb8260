//! The printable qualification review form (two copies: one for the applicant, one for the
//! archive) with the photo and the capture summary, and the integrity pledge text.
//!
//! [`render_form`] is pure: it takes the records and returns a self-contained HTML page (the photo
//! embedded as a data URI, print CSS with a page break between the copies). All text from records
//! is HTML-escaped. Cost: O(size of the photo).

use crate::eligibility::{Eligibility, EnrollmentNeed};
use crate::records::{PledgeRecord, ReviewRecord};
use ridgegate_store::{Applicant, Enrollment};

/// Version of [`PLEDGE_TEXT`]; recorded with every accepted pledge.
pub const PLEDGE_VERSION: u32 = 1;

/// The integrity pledge the applicant accepts at the desk.
pub const PLEDGE_TEXT: &str = "I confirm that the personal information, degree facts and photo I provided are true and \
my own; that the fingerprints captured today are my own; that I will sit the examination in person, will not \
arrange for anyone to sit it for me nor sit it for anyone else, and will observe the examination rules. I accept \
that false information or impersonation cancels my registration and results and is reported to the authorities.";

/// Escapes text for HTML element content and attribute values.
pub fn escape(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' => o.push_str("&quot;"),
            '\'' => o.push_str("&#39;"),
            _ => o.push(c),
        }
    }
    o
}

fn date(d: Option<ridgegate_store::Date>) -> String {
    d.map_or("—".into(), |d| format!("{:04}-{:02}-{:02}", d.year, d.month, d.day))
}

/// Everything the form shows.
pub struct FormData<'a> {
    /// Registration record.
    pub applicant: &'a Applicant,
    /// Eligibility decision.
    pub eligibility: &'a Eligibility,
    /// Enrollment need (earlier enrollment, passed exam).
    pub need: &'a EnrollmentNeed,
    /// The enrollment (templates' metadata; images not needed).
    pub enrollment: Option<&'a Enrollment>,
    /// Photo JPEG, if any.
    pub photo_jpeg: Option<&'a [u8]>,
    /// Duplicate review, if flagged.
    pub review: Option<&'a ReviewRecord>,
    /// Recorded pledge, if any.
    pub pledge: Option<&'a PledgeRecord>,
    /// Printing time, ms since the Unix epoch.
    pub printed_at_ms: u64,
}

fn ymd_hm(ms: u64) -> String {
    let (y, m, d) = crate::config::civil_from_ms(ms);
    let secs = (ms / 1000) % 86_400;
    format!("{y:04}-{m:02}-{d:02} {:02}:{:02} UTC", secs / 3600, secs / 60 % 60)
}

fn copy(data: &FormData<'_>, title: &str) -> String {
    let a = data.applicant;
    let e = escape;
    let photo = match data.photo_jpeg {
        Some(j) => {
            format!(r#"<img class="photo" alt="applicant photo" src="data:image/jpeg;base64,{}">"#, crate::base64(j))
        }
        None => r#"<div class="photo missing">no photo on record</div>"#.to_string(),
    };
    let mut rows = String::new();
    match data.enrollment {
        Some(en) => {
            for f in &en.fingers {
                let q: Vec<String> = f.views.iter().map(|v| v.quality.to_string()).collect();
                let min = f.views.iter().map(|v| v.quality).min().unwrap_or(0);
                rows.push_str(&format!(
                    "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{min}</td></tr>",
                    e(f.finger.name()),
                    f.finger.code(),
                    f.views.len(),
                    e(&q.join(" / "))
                ));
            }
            rows = format!(
                "<p>Enrolled {} at desk {} ({} fingers, {} captures).</p><table class=\"grid\"><tr><th>finger</th><th>ISO code</th><th>captures</th><th>quality per capture</th><th>lowest</th></tr>{rows}</table>",
                en.year,
                e(&en.desk),
                en.fingers.len(),
                en.fingers.iter().map(|f| f.views.len()).sum::<usize>()
            );
        }
        None => rows = format!("<p>No fingerprint enrollment: {}</p>", e(&data.need.reason)),
    }
    let dup = match data.review {
        Some(r) => format!(
            "<p class=\"flag\">Duplicate check: FLAGGED for supervisor review ({}) — matched {}.</p>",
            e(&r.state),
            e(&r.candidates
                .iter()
                .map(|c| format!("{} (score {:.1})", c.applicant, c.best_score))
                .collect::<Vec<_>>()
                .join(", "))
        ),
        None if data.enrollment.is_some() => "<p>Duplicate check: no match among enrolled applicants.</p>".into(),
        None => String::new(),
    };
    let pledge = match data.pledge {
        Some(p) => format!(
            "<p>Pledge accepted by <b>{}</b> on {} (desk {}, witnessed by {}).</p>",
            e(&p.signed_name),
            ymd_hm(p.accepted_at_ms),
            e(&p.desk),
            e(&p.operator)
        ),
        None => "<p>Pledge: not yet recorded.</p>".into(),
    };
    format!(
        r#"<section class="copy">
<h1>Qualification review form <small>({title})</small></h1>
<div class="head">{photo}
<table class="facts">
<tr><th>Applicant ID</th><td>{id}</td></tr>
<tr><th>Name</th><td>{name}</td></tr>
<tr><th>National ID number</th><td>{nid}</td></tr>
<tr><th>Student number</th><td>{sn}</td></tr>
<tr><th>Cohort year</th><td>{cohort}</td></tr>
<tr><th>Application month</th><td>{month}</td></tr>
<tr><th>Bachelor's degree</th><td>{b}</td></tr>
<tr><th>Master's / doctoral degree</th><td>{m} / {d}</td></tr>
<tr><th>Eligibility</th><td>{elig}: {why}</td></tr>
</table></div>
<h2>Fingerprint capture</h2>
{rows}
{dup}
<h2>Integrity pledge</h2>
<p class="pledge">{pledge_text}</p>
{pledge}
<p class="sign">Applicant signature: ______________________ &nbsp; Desk operator: ______________________ &nbsp; Date: ____________</p>
<p class="printed">Printed {printed}</p>
</section>"#,
        id = e(a.id.as_str()),
        name = e(&a.name),
        nid = e(&a.national_id),
        sn = e(&a.student_number),
        cohort = a.cohort_year,
        month = a.application_month.0,
        b = date(a.degree.bachelor),
        m = date(a.degree.master),
        d = date(a.degree.doctor),
        elig = if data.eligibility.eligible { "eligible" } else { "NOT eligible" },
        why = e(&data.eligibility.reason),
        pledge_text = e(PLEDGE_TEXT),
        printed = ymd_hm(data.printed_at_ms),
    )
}

/// Renders the two-copy form as one HTML page.
pub fn render_form(data: &FormData<'_>) -> String {
    format!(
        r#"<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Qualification review form {id}</title>
<style>
body {{ font-family: sans-serif; margin: 1.5em; color: #000; }}
.copy {{ border: 1px solid #444; padding: 1em; margin-bottom: 2em; }}
.copy + .copy {{ page-break-before: always; break-before: page; }}
h1 {{ font-size: 1.3em; margin: 0 0 .5em; }} h2 {{ font-size: 1.05em; margin: 1em 0 .3em; }}
.head {{ display: flex; gap: 1.5em; }}
.photo {{ width: 33mm; height: 48mm; object-fit: cover; border: 1px solid #888; }}
.photo.missing {{ display: flex; align-items: center; justify-content: center; font-size: .8em; }}
table {{ border-collapse: collapse; }} th, td {{ text-align: left; padding: 2px 8px; border-bottom: 1px solid #ccc; }}
.flag {{ font-weight: bold; color: #a00; }} .pledge {{ font-size: .9em; }} .printed {{ font-size: .8em; color: #555; }}
@media print {{ body {{ margin: 0; }} .copy {{ border: none; }} }}
</style></head><body>
{c1}
{c2}
</body></html>"#,
        id = escape(data.applicant.id.as_str()),
        c1 = copy(data, "applicant copy"),
        c2 = copy(data, "archive copy"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use ridgegate_store::{ApplicantId, ApplicantStatus, DegreeFacts, YearMonth};

    #[test]
    fn form_has_two_copies_and_escapes_text() {
        let a = Applicant {
            id: ApplicantId::new("A1").unwrap(),
            name: "<script>alert(1)</script>".into(),
            national_id: "110101199001011234".into(),
            student_number: "S1".into(),
            cohort_year: 2019,
            application_month: YearMonth(201909),
            degree: DegreeFacts::default(),
            status: ApplicantStatus::Registered,
        };
        let el = Eligibility { eligible: true, route: "x", reason: "ok".into() };
        let need = EnrollmentNeed { required: true, enrolled_year: None, reason: "not enrolled".into() };
        let html = render_form(&FormData {
            applicant: &a,
            eligibility: &el,
            need: &need,
            enrollment: None,
            photo_jpeg: Some(b"\xff\xd8jpeg"),
            review: None,
            pledge: None,
            printed_at_ms: 0,
        });
        assert_eq!(html.matches("<section class=\"copy\">").count(), 2);
        assert!(html.contains("applicant copy") && html.contains("archive copy"));
        assert!(!html.contains("<script>alert"));
        assert!(html.contains("&lt;script&gt;"));
        assert!(html.contains("data:image/jpeg;base64,/9hqcGVn"));
    }
}
