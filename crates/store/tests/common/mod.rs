//! Test fixtures shared by the store's integration tests.
#![allow(dead_code)]

use ridgegate_core::{FingerPosition, Minutia, MinutiaKind, Template};
use ridgegate_store::*;

/// A deterministic pseudo-random template.
pub fn template(seed: u64, finger: FingerPosition, n: usize) -> Template {
    let mut s = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let mut next = move || {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        s
    };
    let mut t = Template::new(300, 400, 500);
    t.finger = finger;
    t.quality = 55;
    for _ in 0..n {
        let r = next();
        t.minutiae.push(Minutia::new(
            (r % 300) as u16,
            ((r >> 16) % 400) as u16,
            ((r >> 32) % 6283) as f32 / 1000.0,
            if r >> 60 & 1 == 0 { MinutiaKind::Ending } else { MinutiaKind::Bifurcation },
            ((r >> 40) % 101) as u8,
        ));
    }
    // Normalise angles through one encode/decode so comparisons after a store round trip are exact.
    Template::decode(&t.encode().unwrap()).unwrap()
}

/// A valid applicant record.
pub fn applicant(id: &str) -> Applicant {
    Applicant {
        id: ApplicantId::new(id).unwrap(),
        name: format!("Name of {id}"),
        national_id: "110101199001011234".into(),
        student_number: format!("S-{id}"),
        cohort_year: 2019,
        application_month: YearMonth::new(201909).unwrap(),
        degree: DegreeFacts { bachelor: Some(Date::new(2015, 7, 1).unwrap()), ..Default::default() },
        status: ApplicantStatus::Registered,
    }
}

/// A full 6-finger x 4-view enrollment.
pub fn enrollment(id: &str, seed: u64, with_images: bool) -> Enrollment {
    Enrollment {
        applicant: ApplicantId::new(id).unwrap(),
        year: 2019,
        desk: "desk-7".into(),
        fingers: FingerPosition::CAPTURE_ORDER
            .iter()
            .enumerate()
            .map(|(f, &finger)| FingerEnrollment {
                finger,
                views: (0..4)
                    .map(|v| CapturedView {
                        template: template(seed * 1000 + f as u64 * 10 + v, finger, 30),
                        quality: 70,
                        captured_at_ms: 1_560_000_000_000 + v,
                        device: "virtual:0".into(),
                        operator: "op-1".into(),
                        image_png: if with_images {
                            vec![0x89, b'P', b'N', b'G', f as u8, v as u8]
                        } else {
                            Vec::new()
                        },
                    })
                    .collect(),
            })
            .collect(),
    }
}

/// A desk operator context.
pub fn desk() -> AccessContext {
    AccessContext { role: Role::DeskOperator, actor: "op-1".into(), station: "desk-7".into() }
}
