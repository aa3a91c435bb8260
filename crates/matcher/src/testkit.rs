//! Synthetic templates shared by the matcher's and the gallery's unit tests (compiled for tests
//! only): a deterministic xorshift generator, random fingers and distorted impressions of them.

use ridgegate_core::{Minutia, MinutiaKind, RidgeFlow, Template};

/// Side of the synthetic ridge-flow cells, px.
const FLOW_CELL: u8 = 24;

/// Deterministic xorshift64 generator (never seed it with 0).
pub(crate) struct Rng(pub u64);

impl Rng {
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    /// Uniform in `[0, 1)` at a resolution of 1e-6.
    pub fn unit(&mut self) -> f32 {
        (self.next() % 1_000_000) as f32 / 1_000_000.0
    }
}

/// A random finger: `n` minutiae ≥ 14 px apart in a 400×400 window at 500 dpi, and a smooth
/// random ridge flow over a disc of radius 190 px. Minutia quality is random in 20..100 when
/// `random_quality`, else 60.
pub(crate) fn random_template(seed: u64, n: usize, random_quality: bool) -> Template {
    let mut r = Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1);
    let mut t = Template::new(400, 400, 500);
    while t.minutiae.len() < n {
        let (x, y) = (40.0 + 320.0 * r.unit(), 40.0 + 320.0 * r.unit());
        if t.minutiae.iter().any(|m| (m.x as f32 - x).hypot(m.y as f32 - y) < 14.0) {
            continue;
        }
        let kind = if r.next() % 2 == 0 { MinutiaKind::Ending } else { MinutiaKind::Bifurcation };
        let quality = if random_quality { 20 + (r.next() % 80) as u8 } else { 60 };
        t.minutiae.push(Minutia::new(x as u16, y as u16, r.unit() * std::f32::consts::TAU, kind, quality));
    }
    let (a, b, c) = (r.unit() * 3.0, r.unit() * 0.01, r.unit() * 0.01);
    t.ridge_flow =
        Some(flow_of(&t, |x, y| ((x - 200.0).hypot(y - 200.0) < 190.0).then(|| a + (b * x).sin() + (c * y).cos())));
    t
}

/// A ridge flow for `t`'s image: `angle(x, y)` (image radians, `None` = no flow) at each cell centre.
fn flow_of(t: &Template, angle: impl Fn(f32, f32) -> Option<f32>) -> RidgeFlow {
    RidgeFlow::from_fn(t.width, t.height, FLOW_CELL, angle)
}

/// Another impression of `t`: rotated by `angle` about (200, 200), shifted, jittered (±2 px,
/// ±0.1 rad), 15 % of minutiae dropped and 4 spurious ones added (made like `random_template`
/// with the same `random_quality`). Draws from `r`.
pub(crate) fn impression_with(
    t: &Template,
    r: &mut Rng,
    seed: u64,
    angle: f32,
    shift: (f32, f32),
    random_quality: bool,
) -> Template {
    let mut out = Template::new(t.width, t.height, t.dpi);
    let (s, c) = angle.sin_cos();
    for m in &t.minutiae {
        if r.unit() < 0.15 {
            continue;
        }
        let (dx, dy) = (m.x as f32 - 200.0, m.y as f32 - 200.0);
        // Image coordinates (y down): a counter-clockwise-as-seen rotation by `angle`.
        let x = c * dx + s * dy + 200.0 + shift.0 + (r.unit() - 0.5) * 4.0;
        let y = -s * dx + c * dy + 200.0 + shift.1 + (r.unit() - 0.5) * 4.0;
        if !(0.0..399.0).contains(&x) || !(0.0..399.0).contains(&y) {
            continue;
        }
        out.minutiae.push(Minutia::new(
            x as u16,
            y as u16,
            m.angle + angle + (r.unit() - 0.5) * 0.2,
            m.kind,
            m.quality,
        ));
    }
    for k in 0..4 {
        out.minutiae.push(random_template(seed.wrapping_add(1000 + k), 1, random_quality).minutiae[0]);
    }
    out.ridge_flow = moved_flow(t, &out, angle, shift);
    out
}

/// `t`'s ridge flow seen in `out`'s image after the motion of [`impression_with`] (rotation by
/// `angle` about (200, 200), then `shift`): image orientations turn by −angle.
pub(crate) fn moved_flow(t: &Template, out: &Template, angle: f32, shift: (f32, f32)) -> Option<RidgeFlow> {
    let master = t.ridge_flow.as_ref()?;
    let (s, c) = angle.sin_cos();
    Some(flow_of(out, |x, y| {
        let (dx, dy) = (x - 200.0 - shift.0, y - 200.0 - shift.1);
        master.angle_at(c * dx - s * dy + 200.0, s * dx + c * dy + 200.0).map(|a| a - angle)
    }))
}
