//! Stage 6b: morphological clean-up of the binary ridge map before thinning.

use crate::params::MIN_VALLEY_AREA;
use crate::plane::Plane;

/// The binary ridge map with small valley components filled: pores, and the short pieces of a
/// thin valley broken by ink, sweat or pressure, which thin to chains of tiny loops, i.e. pairs of
/// false bifurcations. A valley component is a 4-connected set of 0-pixels (the complement of the
/// skeleton's 8-connectivity) smaller than [`MIN_VALLEY_AREA`]; components touching the image edge
/// are kept whatever their size (they may continue outside). Small *ridge* fragments are not
/// erased here: the skeleton filters (short ridges, spurs) handle them with direction context,
/// and erasing them by area cost accuracy (measured: 8-set mean EER 4.25 % → 4.50 % at 48 px).
/// Cost: one linear flood-fill pass and one visited buffer. Pure, thread-safe.
pub fn cleaned_ridges(binary: &Plane<u8>) -> Plane<u8> {
    let mut out = binary.clone();
    remove_small_components(&mut out, 0, MIN_VALLEY_AREA, false);
    out
}

/// Flips every component of `value` pixels smaller than `min_area` (and not touching the edge)
/// to the other value. `eight` selects 8-connectivity (else 4).
fn remove_small_components(p: &mut Plane<u8>, value: u8, min_area: usize, eight: bool) {
    let (w, h) = (p.w, p.h);
    let mut seen = vec![false; w * h];
    let mut stack: Vec<usize> = Vec::new();
    let mut component: Vec<usize> = Vec::new();
    const FOUR: [(isize, isize); 4] = [(1, 0), (-1, 0), (0, 1), (0, -1)];
    const EIGHT: [(isize, isize); 8] = [(1, 0), (-1, 0), (0, 1), (0, -1), (1, 1), (1, -1), (-1, 1), (-1, -1)];
    let steps: &[(isize, isize)] = if eight { &EIGHT } else { &FOUR };
    for start in 0..w * h {
        if seen[start] || p.data[start] != value {
            continue;
        }
        component.clear();
        stack.push(start);
        seen[start] = true;
        let mut touches_edge = false;
        // Flood fill; stop collecting once the component is known to be large (it stays).
        while let Some(i) = stack.pop() {
            if component.len() < min_area {
                component.push(i);
            }
            let (x, y) = ((i % w) as isize, (i / w) as isize);
            if x == 0 || y == 0 || x as usize == w - 1 || y as usize == h - 1 {
                touches_edge = true;
            }
            for &(dx, dy) in steps {
                let (nx, ny) = (x + dx, y + dy);
                if nx < 0 || ny < 0 || nx as usize >= w || ny as usize >= h {
                    continue;
                }
                let j = ny as usize * w + nx as usize;
                if !seen[j] && p.data[j] == value {
                    seen[j] = true;
                    stack.push(j);
                }
            }
        }
        if !touches_edge && component.len() < min_area {
            for &i in &component {
                p.data[i] = 1 - value;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pores_are_filled_but_ridges_and_valleys_stay() {
        let mut b = Plane::filled(60, 40, 0u8);
        // A long ridge (rows 10..15) with a 2x2 pore, a long valley below it, another ridge.
        for y in 10..15 {
            for x in 5..55 {
                *b.at_mut(x, y) = 1;
            }
        }
        for y in 20..25 {
            for x in 5..55 {
                *b.at_mut(x, y) = 1;
            }
        }
        for y in 12..14 {
            for x in 20..22 {
                *b.at_mut(x, y) = 0;
            }
        }
        let c = cleaned_ridges(&b);
        assert_eq!(c.at(20, 12), 1, "pore filled");
        assert_eq!(c.at(30, 12), 1, "ridge kept");
        assert_eq!(c.at(30, 18), 0, "valley kept");
        assert_eq!(c.at(30, 22), 1, "second ridge kept");
    }

    #[test]
    fn large_components_are_kept() {
        let mut b = Plane::filled(40, 40, 1u8);
        for y in 10..30 {
            for x in 10..30 {
                *b.at_mut(x, y) = 0;
            }
        }
        assert_eq!(cleaned_ridges(&b), b);
    }
}
