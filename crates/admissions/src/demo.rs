//! Demo data for a fresh machine (`ridgegate serve --demo`): a registered, eligible applicant with
//! a conforming synthetic degree photo, so a newcomer can walk the desk flow with the virtual
//! scanner without any real personal data. Nothing here runs unless asked for.

use image::codecs::jpeg::{JpegEncoder, PixelDensity};
use ridgegate_store::{
    AccessContext, Applicant, ApplicantId, ApplicantStatus, Date, DegreeFacts, Photo, Store, StoreError, YearMonth,
};

/// ID of the demo applicant.
pub const DEMO_ID: &str = "DEMO-0001";

/// A synthetic portrait that meets the geometric degree-photo specification: 390 × 567 px, 300 dpi,
/// blue uniform background, a centred head of 265 × 360 px, JPEG quality lowered until the file is
/// at most 14 kB. It has no face (ellipse head): the face rules only pass on real portraits.
/// Deterministic; cost ≈ a few ms.
pub fn synthetic_photo() -> Vec<u8> {
    synthetic_photo_sized(390, 567)
}

/// [`synthetic_photo`] on another canvas size (tests use it to make non-conforming photos).
pub fn synthetic_photo_sized(w: u32, h: u32) -> Vec<u8> {
    let (hw, hl, top, cx) = (265.0f32, 360.0f32, 50.0f32, w as f32 / 2.0);
    let (a, b) = (hw / 2.0, hl / 2.0);
    let cy = top + b;
    let chin = top + hl;
    let img = image::RgbImage::from_fn(w, h, |x, y| {
        let (fx, fy) = (x as f32 + 0.5, y as f32 + 0.5);
        let head = ((fx - cx) / a).powi(2) + ((fy - cy) / b).powi(2) <= 1.0;
        let neck = fy >= chin - 0.3 * b && fy < chin + 40.0 && (fx - cx).abs() <= 0.4 * a;
        let shoulders = fy >= chin + 25.0 && (fx - cx).abs() <= 1.5 * a + (fy - chin - 25.0);
        // Mild texture on skin and clothes so the JPEG has a realistic size.
        let t = (((x * 7 + y * 13) % 17) as i16) - 8;
        let c: [i16; 3] = if head || neck {
            [225, 180, 150]
        } else if shoulders {
            [40, 40, 50]
        } else {
            [60, 140, 220]
        };
        let v = |c: i16| (c + if head || shoulders { t } else { 0 }).clamp(0, 255) as u8;
        image::Rgb([v(c[0]), v(c[1]), v(c[2])])
    });
    let mut best = Vec::new();
    for q in [90u8, 80, 70, 60, 50, 40] {
        let mut out = Vec::new();
        let mut enc = JpegEncoder::new_with_quality(&mut out, q);
        enc.set_pixel_density(PixelDensity::dpi(300));
        if enc.encode_image(&img).is_err() {
            continue;
        }
        best = out;
        if best.len() <= 14 * 1024 {
            break;
        }
    }
    best
}

/// Registers the demo applicant with the synthetic photo, unless it exists. Returns whether it
/// was created. Audited as the system. The synthetic portrait has no face, so it is checked with
/// the face rules (one_face, frontal_pose) as warnings; every other rule of `rules` applies.
pub fn seed(store: &dyn Store, rules: &ridgegate_photo::PhotoRules) -> Result<bool, StoreError> {
    let rules = &ridgegate_photo::PhotoRules { require_face: false, ..rules.clone() };
    let ctx = AccessContext::system();
    let id = ApplicantId::new(DEMO_ID)?;
    match store.applicant(&ctx, &id) {
        Ok(_) => return Ok(false),
        Err(StoreError::UnknownApplicant(_)) => {}
        Err(e) => return Err(e),
    }
    let applicant = Applicant {
        id: id.clone(),
        name: "Demo Applicant".into(),
        national_id: "000000000000000000".into(),
        student_number: "DEMO-STUDENT-1".into(),
        cohort_year: 2019,
        application_month: YearMonth::new(201909)?,
        degree: DegreeFacts { bachelor: Some(Date::new(2012, 7, 1)?), master: None, doctor: None },
        status: ApplicantStatus::Registered,
    };
    store.create_applicant(&ctx, &applicant)?;
    let jpeg = synthetic_photo();
    let report =
        ridgegate_photo::check(&jpeg, rules).map_err(|e| StoreError::Io(std::io::Error::other(e.to_string())))?;
    let photo = Photo {
        passed: report.passed,
        check_report: serde_json::to_string(&report).unwrap_or_default(),
        jpeg,
        uploaded_at_ms: ridgegate_store::now_ms(),
    };
    store.put_photo(&ctx, &id, &photo)?;
    Ok(true)
}

#[cfg(test)]
mod tests {
    #[test]
    fn synthetic_photo_meets_the_specification() {
        let jpeg = super::synthetic_photo();
        // No face in an ellipse head: only the face rules fail under the full rules.
        let strict = ridgegate_photo::check(&jpeg, &ridgegate_photo::PhotoRules::default()).unwrap();
        let failed: Vec<&str> = strict.failures().map(|f| f.rule).collect();
        assert_eq!(failed, ["one_face", "frontal_pose"]);
        let rules = ridgegate_photo::PhotoRules { require_face: false, ..Default::default() };
        let r = ridgegate_photo::check(&jpeg, &rules).unwrap();
        assert!(r.passed, "{:#?}", r.failures().collect::<Vec<_>>());
        let wide = ridgegate_photo::check(&super::synthetic_photo_sized(400, 567), &Default::default()).unwrap();
        assert!(!wide.passed);
    }
}
