//! The matcher's in-memory form of a template: rescaled minutiae with their local edges and a
//! coarse spatial grid. Built once per template ([`crate::Candidate::new`]).

use crate::params::*;
use ridgegate_core::Template;
use std::f32::consts::{PI, TAU};

/// A minutia at 500 dpi with its direction in image space (radians, y down).
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Point {
    pub x: f32,
    pub y: f32,
    pub dir: f32,
}

/// A directed edge from one minutia to a neighbour: rotation/translation invariant description.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Edge {
    pub from: u16,
    pub to: u16,
    pub length: f32,
    /// Direction of `from` relative to the edge, in `[0, 2π)`.
    pub from_angle: f32,
    /// Direction of `to` relative to the edge, in `[0, 2π)`.
    pub to_angle: f32,
}

/// Template in search form.
#[derive(Debug, Clone)]
pub(crate) struct SearchTemplate {
    pub points: Vec<Point>,
    pub edges: Vec<Edge>,
    /// Bounding box of the minutiae (x0, y0, x1, y1).
    pub bbox: (f32, f32, f32, f32),
    /// Grid: cell → minutia indices, row-major over the bbox.
    pub grid_w: usize,
    pub grid_h: usize,
    pub grid_start: Vec<u32>,
    pub grid_items: Vec<u16>,
}

pub(crate) fn wrap(a: f32) -> f32 {
    let r = a.rem_euclid(TAU);
    if r >= TAU { 0.0 } else { r }
}

/// Absolute angular difference in `[0, π]`.
pub(crate) fn angle_distance(a: f32, b: f32) -> f32 {
    let d = (a - b).rem_euclid(TAU);
    d.min(TAU - d)
}

impl SearchTemplate {
    pub fn new(t: &Template) -> Self {
        let scale = MATCH_DPI / t.dpi as f32;
        let mut minutiae = t.minutiae.clone();
        minutiae.sort_by(|a, b| b.quality.cmp(&a.quality).then(a.y.cmp(&b.y)).then(a.x.cmp(&b.x)));
        minutiae.truncate(MAX_MATCH_MINUTIAE);
        let points: Vec<Point> = minutiae
            .iter()
            // ISO angle is counter-clockwise as seen (y down): image-space direction is its negation.
            .map(|m| Point { x: m.x as f32 * scale, y: m.y as f32 * scale, dir: wrap(-m.angle) })
            .collect();
        let n = points.len();
        let mut edges = Vec::with_capacity(n * EDGE_NEIGHBOURS);
        let mut near: Vec<(f32, usize)> = Vec::with_capacity(n);
        for (i, p) in points.iter().enumerate() {
            near.clear();
            for (j, q) in points.iter().enumerate() {
                if i != j {
                    let d = ((q.x - p.x).powi(2) + (q.y - p.y).powi(2)).sqrt();
                    if (MIN_EDGE_LENGTH..=MAX_EDGE_LENGTH).contains(&d) {
                        near.push((d, j));
                    }
                }
            }
            near.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
            for &(d, j) in near.iter().take(EDGE_NEIGHBOURS) {
                let q = points[j];
                let a = (q.y - p.y).atan2(q.x - p.x);
                edges.push(Edge {
                    from: i as u16,
                    to: j as u16,
                    length: d,
                    from_angle: wrap(p.dir - a),
                    to_angle: wrap(q.dir - a),
                });
            }
        }
        let (mut x0, mut y0, mut x1, mut y1) = (f32::MAX, f32::MAX, f32::MIN, f32::MIN);
        for p in &points {
            x0 = x0.min(p.x);
            y0 = y0.min(p.y);
            x1 = x1.max(p.x);
            y1 = y1.max(p.y);
        }
        if points.is_empty() {
            (x0, y0, x1, y1) = (0.0, 0.0, 0.0, 0.0);
        }
        let grid_w = (((x1 - x0) / GRID_CELL) as usize + 1).max(1);
        let grid_h = (((y1 - y0) / GRID_CELL) as usize + 1).max(1);
        let cell = |p: &Point| -> usize {
            let cx = (((p.x - x0) / GRID_CELL) as usize).min(grid_w - 1);
            let cy = (((p.y - y0) / GRID_CELL) as usize).min(grid_h - 1);
            cy * grid_w + cx
        };
        let mut counts = vec![0u32; grid_w * grid_h + 1];
        for p in &points {
            counts[cell(p) + 1] += 1;
        }
        for i in 1..counts.len() {
            counts[i] += counts[i - 1];
        }
        let mut fill = counts.clone();
        let mut grid_items = vec![0u16; n];
        for (i, p) in points.iter().enumerate() {
            let c = cell(p);
            grid_items[fill[c] as usize] = i as u16;
            fill[c] += 1;
        }
        SearchTemplate { points, edges, bbox: (x0, y0, x1, y1), grid_w, grid_h, grid_start: counts, grid_items }
    }

    /// Indices of minutiae in grid cells overlapping the disc (x, y, r).
    #[inline]
    pub fn near(&self, x: f32, y: f32, r: f32, mut f: impl FnMut(usize)) {
        let (x0, y0, _, _) = self.bbox;
        let cx0 = (((x - r - x0) / GRID_CELL).floor().max(0.0)) as usize;
        let cy0 = (((y - r - y0) / GRID_CELL).floor().max(0.0)) as usize;
        let cx1 = (((x + r - x0) / GRID_CELL).floor()).min(self.grid_w as f32 - 1.0);
        let cy1 = (((y + r - y0) / GRID_CELL).floor()).min(self.grid_h as f32 - 1.0);
        if cx1 < 0.0 || cy1 < 0.0 {
            return;
        }
        for cy in cy0..=cy1 as usize {
            for cx in cx0..=cx1 as usize {
                let c = cy * self.grid_w + cx;
                for &i in &self.grid_items[self.grid_start[c] as usize..self.grid_start[c + 1] as usize] {
                    f(i as usize);
                }
            }
        }
    }

    /// True if (x, y) lies within the minutiae bounding box grown by [`OVERLAP_MARGIN`].
    #[inline]
    pub fn covers(&self, x: f32, y: f32) -> bool {
        let (x0, y0, x1, y1) = self.bbox;
        !self.points.is_empty()
            && x >= x0 - OVERLAP_MARGIN
            && x <= x1 + OVERLAP_MARGIN
            && y >= y0 - OVERLAP_MARGIN
            && y <= y1 + OVERLAP_MARGIN
    }
}

/// Hash key of an edge's quantised (length, from angle, to angle).
#[inline]
pub(crate) fn edge_key(length_bucket: i32, from_bucket: i32, to_bucket: i32) -> u32 {
    let nb = angle_buckets();
    let fb = from_bucket.rem_euclid(nb) as u32;
    let tb = to_bucket.rem_euclid(nb) as u32;
    (length_bucket.max(0) as u32) * (nb as u32 * nb as u32) + fb * nb as u32 + tb
}

#[inline]
pub(crate) fn angle_buckets() -> i32 {
    (TAU / EDGE_ANGLE_TOLERANCE).round() as i32
}

#[inline]
pub(crate) fn buckets(e: &Edge) -> (i32, i32, i32) {
    (
        (e.length / EDGE_LENGTH_TOLERANCE) as i32,
        (e.from_angle / EDGE_ANGLE_TOLERANCE) as i32,
        (e.to_angle / EDGE_ANGLE_TOLERANCE) as i32,
    )
}

/// Whether two edges agree within the tolerances.
#[inline]
pub(crate) fn compatible(a: &Edge, b: &Edge) -> bool {
    (a.length - b.length).abs() <= EDGE_LENGTH_TOLERANCE
        && angle_distance(a.from_angle, b.from_angle) <= EDGE_ANGLE_TOLERANCE
        && angle_distance(a.to_angle, b.to_angle) <= EDGE_ANGLE_TOLERANCE
}

#[allow(dead_code)]
pub(crate) const HALF_TURN: f32 = PI;
