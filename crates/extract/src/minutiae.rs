//! Stages 7–8: minutiae on the skeleton, their directions, and false-minutiae removal.

use crate::orientation::OrientationField;
use crate::params::*;
use crate::plane::Plane;
use crate::segmentation::border_distance;
use crate::thinning::{crossing_number, neighbours, offset};
use ridgegate_core::MinutiaKind;
use std::f32::consts::{PI, TAU};

/// A minutia candidate in working-image pixels.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Candidate {
    /// Column.
    pub x: usize,
    /// Row.
    pub y: usize,
    /// Direction, image coordinates (radians from +x towards +y, y down), in `[0, 2π)`.
    pub direction: f32,
    /// Ending or bifurcation.
    pub kind: MinutiaKind,
    /// Reliability 1..=100: √(orientation coherence) × clarity × distance from the border ×
    /// [`crowding`] (the matcher weighs minutiae by it, see `ridgegate_matcher`).
    pub quality: u8,
}

/// Where a walk along the skeleton stopped.
struct Trace {
    end: (usize, usize),
    length: usize,
    /// Index of the minutia reached, if the walk ended on one.
    reached: Option<usize>,
}

/// Branch starts of a skeleton pixel: one neighbour per run of set neighbours (4-neighbour first).
fn branch_starts(m: u8) -> Vec<usize> {
    let mut starts = Vec::new();
    for i in 0..8 {
        let prev = (i + 7) % 8;
        if m & (1 << i) != 0 && m & (1 << prev) == 0 {
            // A run starts at i; prefer its first 4-neighbour (even index).
            let mut j = i;
            let mut pick = i;
            while m & (1 << j) != 0 {
                if j % 2 == 0 {
                    pick = j;
                    break;
                }
                j = (j + 1) % 8;
                if j == i {
                    break;
                }
            }
            starts.push(pick);
        }
    }
    if starts.is_empty() && m != 0 {
        starts.push(m.trailing_zeros() as usize);
    }
    starts
}

/// Walks from `start` through its neighbour `first` for at most `max` steps.
fn trace(skel: &Plane<u8>, ids: &Plane<u32>, start: (usize, usize), first: usize, max: usize) -> Trace {
    let (dx, dy) = offset(first);
    let mut prev = start;
    let mut cur = ((start.0 as isize + dx) as usize, (start.1 as isize + dy) as usize);
    let mut length = 1;
    loop {
        let id = ids.at(cur.0, cur.1);
        if id != u32::MAX {
            return Trace { end: cur, length, reached: Some(id as usize) };
        }
        if length >= max {
            return Trace { end: cur, length, reached: None };
        }
        let m = neighbours(skel, cur.0, cur.1);
        // Next: a set neighbour that is neither the previous pixel nor adjacent to it (so the
        // walk does not cut back), 4-neighbours first.
        let mut next = None;
        for &i in &[0usize, 2, 4, 6, 1, 3, 5, 7] {
            if m & (1 << i) == 0 {
                continue;
            }
            let (ox, oy) = offset(i);
            let cand = ((cur.0 as isize + ox) as usize, (cur.1 as isize + oy) as usize);
            let near_prev =
                (cand.0 as isize - prev.0 as isize).abs() <= 1 && (cand.1 as isize - prev.1 as isize).abs() <= 1;
            if cand != prev && !near_prev {
                next = Some(cand);
                break;
            }
        }
        match next {
            Some(n) => {
                prev = cur;
                cur = n;
                length += 1;
            }
            None => {
                return Trace { end: cur, length, reached: None };
            }
        }
    }
}

fn angle_of(from: (usize, usize), to: (usize, usize)) -> f32 {
    let (dx, dy) = (to.0 as f32 - from.0 as f32, to.1 as f32 - from.1 as f32);
    dy.atan2(dx).rem_euclid(TAU)
}

/// The quality factor of a minutia with `neighbours` other surviving minutiae within
/// [`CROWD_RADIUS`]: 1 when alone, falling as `1 / (1 + CROWD_PENALTY × neighbours)`. Real
/// minutiae are sparse; spurious ones from wet, creased or scarred areas come in groups.
fn crowding(neighbours: usize) -> f32 {
    1.0 / (1.0 + CROWD_PENALTY * neighbours as f32)
}

fn angle_distance(a: f32, b: f32) -> f32 {
    let d = (a - b).rem_euclid(TAU);
    d.min(TAU - d)
}

/// Minutiae from the skeleton: crossing number 1 (ending) or 3 (bifurcation) inside the
/// foreground, with directions from skeleton traces aligned to the orientation field, then the
/// false-minutiae filters (border, low coherence, spurs, short ridges, bridges, gaps, clusters),
/// per-minutia quality (lowered for minutiae in crowds, see [`crowding`]), and the best
/// [`MAX_MINUTIAE`] by quality.
pub fn minutiae(
    skel: &Plane<u8>,
    field: &OrientationField,
    clarity: &Plane<f32>,
    mask: &Plane<bool>,
) -> Vec<Candidate> {
    let clarity_at = |x: usize, y: usize| clarity.interpolated(x as f32, y as f32, BLOCK);
    let coherence_at = |x: usize, y: usize| field.coherence.interpolated(x as f32, y as f32, BLOCK);
    let border_at = |x: usize, y: usize| border_distance(mask, skel.w, skel.h, x, y);
    // 1. Raw detection.
    let mut raw: Vec<(usize, usize, MinutiaKind)> = Vec::new();
    for y in 1..skel.h.saturating_sub(1) {
        for x in 1..skel.w.saturating_sub(1) {
            if skel.at(x, y) == 0 || !mask.at((x / BLOCK).min(mask.w - 1), (y / BLOCK).min(mask.h - 1)) {
                continue;
            }
            match crossing_number(neighbours(skel, x, y)) {
                1 => raw.push((x, y, MinutiaKind::Ending)),
                3 => raw.push((x, y, MinutiaKind::Bifurcation)),
                _ => {}
            }
        }
    }
    let mut ids = Plane::filled(skel.w, skel.h, u32::MAX);
    for (i, &(x, y, _)) in raw.iter().enumerate() {
        *ids.at_mut(x, y) = i as u32;
    }
    let mut removed = vec![false; raw.len()];

    // 2. Directions and topological filters.
    let mut direction = vec![0f32; raw.len()];
    let longest = SPUR_LENGTH.max(SHORT_RIDGE_LENGTH).max(BRIDGE_LENGTH).max(DIRECTION_TRACE).max(HOLE_LENGTH);
    for (i, &(x, y, kind)) in raw.iter().enumerate() {
        let starts = branch_starts(neighbours(skel, x, y));
        let traces: Vec<Trace> = starts.iter().map(|&s| trace(skel, &ids, (x, y), s, longest)).collect();
        // Holes: two branches of a bifurcation meeting again at the same bifurcation.
        if kind == MinutiaKind::Bifurcation {
            for (a, ta) in traces.iter().enumerate() {
                for tb in &traces[a + 1..] {
                    if let (Some(j), Some(k)) = (ta.reached, tb.reached) {
                        if j == k && j != i && ta.length <= HOLE_LENGTH && tb.length <= HOLE_LENGTH {
                            removed[i] = true;
                            removed[j] = true;
                        }
                    }
                }
            }
        }
        for t in &traces {
            if let Some(j) = t.reached {
                let other = raw[j].2;
                let hit = match (kind, other) {
                    (MinutiaKind::Ending, MinutiaKind::Bifurcation)
                    | (MinutiaKind::Bifurcation, MinutiaKind::Ending) => t.length <= SPUR_LENGTH,
                    (MinutiaKind::Ending, MinutiaKind::Ending) => t.length <= SHORT_RIDGE_LENGTH,
                    _ => t.length <= BRIDGE_LENGTH,
                };
                if hit && j != i {
                    removed[i] = true;
                    removed[j] = true;
                }
            }
        }
        // Direction from short traces (not past other minutiae).
        let short: Vec<f32> = starts
            .iter()
            .map(|&s| {
                let t = trace(skel, &ids, (x, y), s, DIRECTION_TRACE);
                angle_of((x, y), t.end)
            })
            .collect();
        let traced = match (kind, short.len()) {
            (MinutiaKind::Ending, n) if n >= 1 => short[0],
            (MinutiaKind::Bifurcation, 3) => {
                // The stem is the branch opposite the closest pair; the minutia points away from it.
                let pairs = [(0, 1, 2), (0, 2, 1), (1, 2, 0)];
                let &(_, _, stem) = pairs
                    .iter()
                    .min_by(|a, b| {
                        angle_distance(short[a.0], short[a.1]).total_cmp(&angle_distance(short[b.0], short[b.1]))
                    })
                    .expect("three pairs");
                (short[stem] + PI).rem_euclid(TAU)
            }
            _ => {
                removed[i] = true;
                0.0
            }
        };
        // Align the (more precise) orientation field to the traced sense when it agrees.
        let theta = field.angle_interpolated(x as f32, y as f32);
        let aligned =
            if angle_distance(theta, traced) <= angle_distance(theta + PI, traced) { theta } else { theta + PI };
        direction[i] = if angle_distance(aligned, traced) < PI / 4.0 { aligned.rem_euclid(TAU) } else { traced };
    }

    // 3. Geometric filters.
    for (i, &(x, y, _)) in raw.iter().enumerate() {
        if border_at(x, y) < BORDER_MARGIN || coherence_at(x, y) < MIN_COHERENCE || clarity_at(x, y) < MIN_CLARITY {
            removed[i] = true;
        }
    }
    let near = |i: usize, j: usize, r: f32| -> bool {
        let (dx, dy) = (raw[i].0 as f32 - raw[j].0 as f32, raw[i].1 as f32 - raw[j].1 as f32);
        dx * dx + dy * dy <= r * r
    };
    // Broken ridges: two endings close together pointing at each other.
    for i in 0..raw.len() {
        for j in i + 1..raw.len() {
            if raw[i].2 != MinutiaKind::Ending || raw[j].2 != MinutiaKind::Ending || !near(i, j, GAP_DISTANCE) {
                continue;
            }
            let facing = angle_distance(direction[i], direction[j] + PI) < GAP_ANGLE_TOLERANCE;
            let line = angle_of((raw[i].0, raw[i].1), (raw[j].0, raw[j].1));
            // i's ridge body lies behind it: the gap is in front (opposite its direction).
            if facing && angle_distance(line, direction[i] + PI) < GAP_ANGLE_TOLERANCE * 1.5 {
                removed[i] = true;
                removed[j] = true;
            }
        }
    }
    let survivors: Vec<usize> = (0..raw.len()).filter(|&i| !removed[i]).collect();
    let mut keep = Vec::new();
    for &i in &survivors {
        let crowd = survivors.iter().filter(|&&j| j != i && near(i, j, CLUSTER_RADIUS)).count();
        if crowd <= CLUSTER_MAX {
            keep.push(i);
        }
    }

    // 4. Quality and selection.
    let mut out: Vec<Candidate> = keep
        .iter()
        .copied()
        .map(|i| {
            let (x, y, kind) = raw[i];
            let coherence = coherence_at(x, y).clamp(0.0, 1.0);
            let inside = (border_at(x, y) / (3.0 * BORDER_MARGIN)).clamp(0.3, 1.0);
            let clear = clarity_at(x, y).min(1.0);
            let crowd = keep.iter().filter(|&&j| j != i && near(i, j, CROWD_RADIUS)).count();
            let quality = (100.0 * coherence.sqrt() * inside * clear * crowding(crowd)).round().clamp(1.0, 100.0) as u8;
            Candidate { x, y, direction: direction[i], kind, quality }
        })
        .collect();
    out.sort_by(|a, b| b.quality.cmp(&a.quality).then(a.y.cmp(&b.y)).then(a.x.cmp(&b.x)));
    out.truncate(MAX_MINUTIAE);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn branch_starts_one_per_run() {
        // N and NE set: one run; S alone: another run.
        assert_eq!(branch_starts(0b0001_0011), vec![0, 4]);
        assert_eq!(branch_starts(0).len(), 0);
    }

    /// A straight ridge with a lake (two branches rejoining after ~16 px): the two bifurcations
    /// that delimit the lake are removed; without the hole rule they would be kept (they are
    /// farther apart along the skeleton than a bridge).
    #[test]
    fn minutiae_in_a_crowd_are_less_reliable_than_a_lone_one() {
        // Three parallel ridges ending side by side (10 px apart) and one ridge ending alone, all
        // in clear, coherent foreground far from the border.
        let (w, h) = (240, 240);
        let mut skel = Plane::filled(w, h, 0u8);
        for y in [60, 70, 80, 180] {
            for x in 0..=100 {
                *skel.at_mut(x, y) = 1;
            }
        }
        let field = OrientationField {
            angle: Plane::filled(w / BLOCK, h / BLOCK, 0.0),
            coherence: Plane::filled(w / BLOCK, h / BLOCK, 1.0),
        };
        let mask = Plane::filled(w / BLOCK, h / BLOCK, true);
        let found = minutiae(&skel, &field, &Plane::filled(w / BLOCK, h / BLOCK, 1.0), &mask);
        let quality_at = |y: usize| found.iter().find(|m| m.y == y).map(|m| m.quality);
        assert_eq!(found.len(), 4, "{found:?}");
        assert_eq!(quality_at(180), Some(100));
        let crowded = (100.0 * crowding(2)).round() as u8;
        assert!(crowded < 90);
        for y in [60, 70, 80] {
            assert_eq!(quality_at(y), Some(crowded), "{found:?}");
        }
    }

    #[test]
    fn crowding_falls_with_the_neighbours() {
        assert_eq!(crowding(0), 1.0);
        assert!((1..8).all(|n| crowding(n) < crowding(n - 1) && crowding(n) > 0.0));
    }

    #[test]
    fn ridge_lakes_are_not_minutiae() {
        let (w, h) = (160, 160);
        let mut skel = Plane::filled(w, h, 0u8);
        let mut set = |x: usize, y: usize| *skel.at_mut(x, y) = 1;
        for x in (10..=70).chain(86..=150) {
            set(x, 80);
        }
        for (dx, dy) in [(71, 1), (72, 2), (84, 2), (85, 1)] {
            set(dx, 80 - dy);
            set(dx, 80 + dy);
        }
        for x in 73..=83 {
            set(x, 77);
            set(x, 83);
        }
        let field = OrientationField {
            angle: Plane::filled(w / BLOCK, h / BLOCK, 0.0),
            coherence: Plane::filled(w / BLOCK, h / BLOCK, 1.0),
        };
        let mask = Plane::filled(w / BLOCK, h / BLOCK, true);
        let found = minutiae(&skel, &field, &Plane::filled(w / BLOCK, h / BLOCK, 1.0), &mask);
        assert!(found.iter().all(|m| !(60..=96).contains(&m.x)), "{found:?}");
    }

    #[test]
    fn angle_helpers() {
        assert!((angle_of((0, 0), (0, 5)) - PI / 2.0).abs() < 1e-6);
        assert!((angle_distance(0.1, TAU - 0.1) - 0.2).abs() < 1e-5);
    }
}
