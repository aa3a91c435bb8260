//! Stage 6: the one-pixel-wide ridge skeleton.

use crate::plane::Plane;

/// Neighbour bits in clockwise order starting north: N, NE, E, SE, S, SW, W, NW.
const OFFSETS: [(isize, isize); 8] = [(0, -1), (1, -1), (1, 0), (1, 1), (0, 1), (-1, 1), (-1, 0), (-1, -1)];

/// The 8-neighbourhood of (x, y) as a bit mask (bit i = OFFSETS[i] is set). Out of bounds is 0.
#[inline]
pub fn neighbours(img: &Plane<u8>, x: usize, y: usize) -> u8 {
    let mut m = 0u8;
    for (i, (dx, dy)) in OFFSETS.iter().enumerate() {
        let (nx, ny) = (x as isize + dx, y as isize + dy);
        if nx >= 0 && ny >= 0 && (nx as usize) < img.w && (ny as usize) < img.h && img.at(nx as usize, ny as usize) != 0
        {
            m |= 1 << i;
        }
    }
    m
}

/// Offset of neighbour bit `i`.
pub fn offset(i: usize) -> (isize, isize) {
    OFFSETS[i]
}

/// Number of 0→1 transitions around the neighbourhood (the Zhang–Suen "A").
#[inline]
fn transitions(m: u8) -> u32 {
    (0..8).filter(|&i| m & (1 << i) == 0 && m & (1 << ((i + 1) % 8)) != 0).count() as u32
}

/// Crossing number of a neighbourhood: 1 = ridge ending, 2 = ridge continues, 3+ = bifurcation.
#[inline]
pub fn crossing_number(m: u8) -> u32 {
    transitions(m)
}

/// Zhang–Suen deletion tables for the two sub-iterations, indexed by the neighbourhood mask.
// `m` is the neighbourhood mask itself (an input of the rules), not only an index.
#[allow(clippy::needless_range_loop)]
fn deletion_tables() -> [[bool; 256]; 2] {
    let mut t = [[false; 256]; 2];
    for m in 0..256usize {
        let b = (m as u8).count_ones();
        let a = transitions(m as u8);
        let p = |i: usize| m & (1 << i) != 0;
        let (n, e, s, w) = (p(0), p(2), p(4), p(6));
        let base = (2..=6).contains(&b) && a == 1;
        t[0][m] = base && !(n && e && s) && !(e && s && w);
        t[1][m] = base && !(n && e && w) && !(n && s && w);
    }
    t
}

/// Thins a binary ridge map to a one-pixel-wide, 8-connected skeleton (Zhang–Suen, then removal of
/// the staircase pixels it leaves on diagonals, so the crossing number is exact).
pub fn skeleton(binary: &Plane<u8>) -> Plane<u8> {
    let tables = deletion_tables();
    // Work on a copy with a one-pixel zero frame: neighbourhoods need no bounds checks.
    let (pw, ph) = (binary.w + 2, binary.h + 2);
    let mut img = vec![0u8; pw * ph];
    for y in 0..binary.h {
        img[(y + 1) * pw + 1..(y + 1) * pw + 1 + binary.w]
            .copy_from_slice(&binary.data[y * binary.w..(y + 1) * binary.w]);
    }
    let step: [isize; 8] =
        [-(pw as isize), -(pw as isize) + 1, 1, pw as isize + 1, pw as isize, pw as isize - 1, -1, -(pw as isize) - 1];
    let hood = |img: &[u8], i: usize| -> u8 {
        let mut m = 0u8;
        for (b, d) in step.iter().enumerate() {
            m |= ((img[(i as isize + d) as usize] != 0) as u8) << b;
        }
        m
    };
    let mut candidates: Vec<usize> = (0..img.len()).filter(|&i| img[i] != 0).collect();
    let mut to_delete = Vec::new();
    loop {
        let mut changed = false;
        for table in &tables {
            to_delete.clear();
            to_delete.extend(candidates.iter().copied().filter(|&i| img[i] != 0 && table[hood(&img, i) as usize]));
            for &i in &to_delete {
                img[i] = 0;
            }
            changed |= !to_delete.is_empty();
        }
        if !changed {
            break;
        }
        candidates.retain(|&i| img[i] != 0);
    }
    // Staircase removal: a pixel forming an L-corner with two 4-neighbours is redundant.
    for &i in &candidates {
        if img[i] == 0 {
            continue;
        }
        let m = hood(&img, i);
        let p = |b: usize| m & (1 << b) != 0;
        let corner = (p(0) && p(2) && !p(4) && !p(5) && !p(6))
            || (p(2) && p(4) && !p(6) && !p(7) && !p(0))
            || (p(4) && p(6) && !p(0) && !p(1) && !p(2))
            || (p(6) && p(0) && !p(2) && !p(3) && !p(4));
        if corner {
            img[i] = 0;
        }
    }
    let mut out = Plane::new(binary.w, binary.h);
    for y in 0..binary.h {
        out.data[y * binary.w..(y + 1) * binary.w].copy_from_slice(&img[(y + 1) * pw + 1..(y + 1) * pw + 1 + binary.w]);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thick_bar_thins_to_a_line_with_two_ends() {
        let mut b = Plane::new(40, 20);
        for y in 7..13 {
            for x in 5..35 {
                *b.at_mut(x, y) = 1;
            }
        }
        let s = skeleton(&b);
        let pixels: Vec<(usize, usize)> =
            (0..20).flat_map(|y| (0..40).map(move |x| (x, y))).filter(|&(x, y)| s.at(x, y) != 0).collect();
        assert!(pixels.len() >= 20, "{}", pixels.len());
        let ends = pixels.iter().filter(|&&(x, y)| crossing_number(neighbours(&s, x, y)) == 1).count();
        let branches = pixels.iter().filter(|&&(x, y)| crossing_number(neighbours(&s, x, y)) >= 3).count();
        assert_eq!((ends, branches), (2, 0));
        // One pixel wide: no pixel has more than 2 neighbours on a straight bar.
        assert!(pixels.iter().all(|&(x, y)| neighbours(&s, x, y).count_ones() <= 2));
    }

    #[test]
    fn y_shape_has_one_bifurcation() {
        let mut b = Plane::new(50, 50);
        let mut draw = |x0: f32, y0: f32, x1: f32, y1: f32| {
            for t in 0..200 {
                let t = t as f32 / 199.0;
                let (x, y) = (x0 + (x1 - x0) * t, y0 + (y1 - y0) * t);
                for dy in -1..=1 {
                    for dx in -1..=1 {
                        *b.at_mut((x as isize + dx) as usize, (y as isize + dy) as usize) = 1;
                    }
                }
            }
        };
        draw(25.0, 45.0, 25.0, 25.0);
        draw(25.0, 25.0, 10.0, 5.0);
        draw(25.0, 25.0, 40.0, 5.0);
        let s = skeleton(&b);
        let pts: Vec<(usize, usize)> =
            (0..50).flat_map(|y| (0..50).map(move |x| (x, y))).filter(|&(x, y)| s.at(x, y) != 0).collect();
        let ends = pts.iter().filter(|&&(x, y)| crossing_number(neighbours(&s, x, y)) == 1).count();
        let forks = pts.iter().filter(|&&(x, y)| crossing_number(neighbours(&s, x, y)) == 3).count();
        assert_eq!(ends, 3);
        assert!((1..=2).contains(&forks), "{forks}");
    }
}
