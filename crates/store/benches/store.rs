//! Store benchmarks: put an enrollment, read it back, load all templates for a gallery.
//! Run: `cargo bench -p ridgegate-store --bench store`.

// criterion_group! generates an undocumented `pub fn` for the group.
#![allow(missing_docs)]

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use ridgegate_core::{FingerPosition, Minutia, MinutiaKind, Template};
use ridgegate_store::*;

fn template(seed: u64, finger: FingerPosition) -> Template {
    // xorshift: deterministic pseudo-random minutiae, 40 per template (a typical plain impression).
    let mut s = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let mut next = move || {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        s
    };
    let mut t = Template::new(300, 400, 500);
    t.finger = finger;
    t.quality = 60;
    for _ in 0..40 {
        let r = next();
        t.minutiae.push(Minutia::new(
            (r % 300) as u16,
            ((r >> 16) % 400) as u16,
            ((r >> 32) % 6283) as f32 / 1000.0,
            if r >> 60 & 1 == 0 { MinutiaKind::Ending } else { MinutiaKind::Bifurcation },
            ((r >> 40) % 101) as u8,
        ));
    }
    t
}

fn applicant(i: u64) -> Applicant {
    Applicant {
        id: ApplicantId::new(format!("A{i:08}")).unwrap(),
        name: format!("Applicant {i}"),
        national_id: format!("11010119900101{i:04}"),
        student_number: format!("S{i}"),
        cohort_year: 2019,
        application_month: YearMonth::new(201909).unwrap(),
        degree: DegreeFacts::default(),
        status: ApplicantStatus::Registered,
    }
}

fn enrollment(i: u64) -> Enrollment {
    Enrollment {
        applicant: applicant(i).id,
        year: 2019,
        desk: "desk-1".into(),
        fingers: FingerPosition::CAPTURE_ORDER
            .iter()
            .enumerate()
            .map(|(f, &finger)| FingerEnrollment {
                finger,
                views: (0..4)
                    .map(|v| CapturedView {
                        template: template(i * 100 + f as u64 * 10 + v, finger),
                        quality: 60,
                        captured_at_ms: 0,
                        device: "virtual".into(),
                        operator: "op".into(),
                        image_png: Vec::new(),
                    })
                    .collect(),
            })
            .collect(),
    }
}

fn benches(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let store = RedbStore::open(dir.path().join("bench.redb"), StoreKey::generate()).unwrap();
    let ctx = AccessContext::system();
    let mut next = 0u64;
    c.bench_function("put_enrollment (6 fingers x 4 views, durable commit)", |b| {
        b.iter(|| {
            next += 1;
            store.create_applicant(&ctx, &applicant(1_000_000 + next)).unwrap();
            store.put_enrollment(&ctx, &enrollment(1_000_000 + next), false).unwrap();
        })
    });
    let id = applicant(1_000_001).id;
    c.bench_function("get enrollment (24 templates)", |b| b.iter(|| store.enrollment(&ctx, &id).unwrap()));

    // Load-all: 100k+ templates (4,200 applicants x 24).
    let dir2 = tempfile::tempdir().unwrap();
    let big = RedbStore::open(dir2.path().join("big.redb"), StoreKey::generate()).unwrap();
    let applicants = 4_200u64;
    for i in 0..applicants {
        big.create_applicant(&ctx, &applicant(i)).unwrap();
        big.put_enrollment(&ctx, &enrollment(i), false).unwrap();
    }
    let mut g = c.benchmark_group("load_templates");
    g.sample_size(10);
    g.throughput(Throughput::Elements(applicants * 24));
    g.bench_with_input(BenchmarkId::from_parameter(applicants * 24), &big, |b, s| {
        b.iter(|| s.load_templates(&ctx).unwrap().len())
    });
    g.finish();
}

criterion_group!(store_benches, benches);
criterion_main!(store_benches);
