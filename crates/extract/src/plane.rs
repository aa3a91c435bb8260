//! Small dense 2-D arrays used between stages, and integral images for box sums.

/// A dense row-major 2-D array of `T`.
#[derive(Clone, Debug, PartialEq)]
pub struct Plane<T> {
    /// Width (columns).
    pub w: usize,
    /// Height (rows).
    pub h: usize,
    /// Row-major values, `w * h`.
    pub data: Vec<T>,
}

impl<T: Copy + Default> Plane<T> {
    /// A plane filled with `T::default()`.
    pub fn new(w: usize, h: usize) -> Self {
        Plane { w, h, data: vec![T::default(); w * h] }
    }
    /// A plane filled with `v`.
    pub fn filled(w: usize, h: usize, v: T) -> Self {
        Plane { w, h, data: vec![v; w * h] }
    }
    /// Value at (x, y); panics out of bounds.
    #[inline]
    pub fn at(&self, x: usize, y: usize) -> T {
        self.data[y * self.w + x]
    }
    /// Mutable value at (x, y).
    #[inline]
    pub fn at_mut(&mut self, x: usize, y: usize) -> &mut T {
        &mut self.data[y * self.w + x]
    }
    /// Value at (x, y) with coordinates clamped into the plane.
    #[inline]
    pub fn clamped(&self, x: isize, y: isize) -> T {
        let x = x.clamp(0, self.w as isize - 1) as usize;
        let y = y.clamp(0, self.h as isize - 1) as usize;
        self.data[y * self.w + x]
    }
}

/// Bilinear interpolation weights of pixel (x, y) between the centres of the `block`-sized cells
/// of a `bw × bh` block grid: `(x0, y0, x1, y1, tx, ty)`, clamped at the grid's edges (pixels
/// outside the outermost centres take the edge cell's value). Cheap; used to read block-level
/// maps at pixel resolution without the staircase of the block grid.
#[inline]
pub fn bilinear_cell(x: f32, y: f32, block: usize, bw: usize, bh: usize) -> (usize, usize, usize, usize, f32, f32) {
    let half = block as f32 / 2.0;
    let fx = ((x + 0.5 - half) / block as f32).clamp(0.0, (bw - 1) as f32);
    let fy = ((y + 0.5 - half) / block as f32).clamp(0.0, (bh - 1) as f32);
    // Non-negative after the clamp: the cast truncates = floors (cheaper than floor()).
    let (x0, y0) = (fx as usize, fy as usize);
    (x0, y0, (x0 + 1).min(bw - 1), (y0 + 1).min(bh - 1), fx - x0 as f32, fy - y0 as f32)
}

impl Plane<f32> {
    /// Bilinear interpolation of this block-level plane at pixel (x, y) of a `block` grid.
    #[inline]
    pub fn interpolated(&self, x: f32, y: f32, block: usize) -> f32 {
        let (x0, y0, x1, y1, tx, ty) = bilinear_cell(x, y, block, self.w, self.h);
        let top = self.at(x0, y0) * (1.0 - tx) + self.at(x1, y0) * tx;
        let bottom = self.at(x0, y1) * (1.0 - tx) + self.at(x1, y1) * tx;
        top * (1.0 - ty) + bottom * ty
    }
}

/// Summed-area table over an `f64` plane: box sums in O(1).
pub struct Integral {
    w: usize,
    h: usize,
    s: Vec<f64>,
}

impl Integral {
    /// Builds the table of `values` (row-major `w × h`).
    pub fn new(w: usize, h: usize, values: impl Fn(usize) -> f64) -> Self {
        let mut s = vec![0f64; (w + 1) * (h + 1)];
        for y in 0..h {
            let mut row = 0f64;
            for x in 0..w {
                row += values(y * w + x);
                s[(y + 1) * (w + 1) + x + 1] = s[y * (w + 1) + x + 1] + row;
            }
        }
        Integral { w, h, s }
    }

    /// Sum and pixel count over the box `[x0, x1) × [y0, y1)` clipped to the plane.
    #[inline]
    pub fn sum(&self, x0: isize, y0: isize, x1: isize, y1: isize) -> (f64, f64) {
        let x0 = x0.clamp(0, self.w as isize) as usize;
        let x1 = x1.clamp(0, self.w as isize) as usize;
        let y0 = y0.clamp(0, self.h as isize) as usize;
        let y1 = y1.clamp(0, self.h as isize) as usize;
        if x1 <= x0 || y1 <= y0 {
            return (0.0, 0.0);
        }
        let w = self.w + 1;
        let v = self.s[y1 * w + x1] - self.s[y0 * w + x1] - self.s[y1 * w + x0] + self.s[y0 * w + x0];
        (v, ((x1 - x0) * (y1 - y0)) as f64)
    }
}

/// Sums of `f(value)` over each `BLOCK × BLOCK` cell of a pixel plane (the block grid), plus the
/// pixel count of each cell (edge cells are partial). One pass over the pixels.
pub fn cell_sums(p: &Plane<f32>, block: usize, f: impl Fn(f32) -> f32) -> (Plane<f32>, Plane<f32>) {
    let (bw, bh) = (p.w.div_ceil(block), p.h.div_ceil(block));
    let mut sums = Plane::new(bw, bh);
    let mut counts = Plane::new(bw, bh);
    for y in 0..p.h {
        let row = &p.data[y * p.w..(y + 1) * p.w];
        let by = y / block;
        for (bx, chunk) in row.chunks(block).enumerate() {
            *sums.at_mut(bx, by) += chunk.iter().map(|&v| f(v)).sum::<f32>();
            *counts.at_mut(bx, by) += chunk.len() as f32;
        }
    }
    (sums, counts)
}

/// Sum of a block-level plane over the `(2r+1)²` blocks around (bx, by), clipped.
#[inline]
pub fn neighbourhood_sum(p: &Plane<f32>, bx: usize, by: usize, r: usize) -> f32 {
    let mut s = 0.0;
    for y in by.saturating_sub(r)..=(by + r).min(p.h - 1) {
        for x in bx.saturating_sub(r)..=(bx + r).min(p.w - 1) {
            s += p.at(x, y);
        }
    }
    s
}

/// Windowed sums of a pixel plane over `[x−r, x+r] × [y−r, y+r]` clipped to the plane, by two
/// running-sum passes (O(1) per pixel), and the matching pixel counts.
// The column loops index a running-sum row and an image row in lock step; indices read clearer.
#[allow(clippy::needless_range_loop)]
pub fn box_sums(p: &Plane<f32>, r: usize, f: impl Fn(f32) -> f32) -> (Plane<f32>, Plane<f32>) {
    let (w, h) = (p.w, p.h);
    let mut horizontal = Plane::new(w, h);
    for y in 0..h {
        let row = &p.data[y * w..(y + 1) * w];
        let mut acc = 0f64;
        // Window [x−r, x+r]: add entering x+r, drop leaving x−r−1.
        for v in row.iter().take(r.min(w)) {
            acc += f(*v) as f64;
        }
        for x in 0..w {
            if x + r < w {
                acc += f(row[x + r]) as f64;
            }
            if x > r {
                acc -= f(row[x - r - 1]) as f64;
            }
            horizontal.data[y * w + x] = acc as f32;
        }
    }
    let mut out = Plane::new(w, h);
    let mut acc = vec![0f64; w];
    for y in 0..r.min(h) {
        for x in 0..w {
            acc[x] += horizontal.data[y * w + x] as f64;
        }
    }
    for y in 0..h {
        if y + r < h {
            for x in 0..w {
                acc[x] += horizontal.data[(y + r) * w + x] as f64;
            }
        }
        if y > r {
            for x in 0..w {
                acc[x] -= horizontal.data[(y - r - 1) * w + x] as f64;
            }
        }
        for x in 0..w {
            out.data[y * w + x] = acc[x] as f32;
        }
    }
    let span = |i: usize, n: usize| -> f32 { ((i + r).min(n - 1) + 1 - i.saturating_sub(r)) as f32 };
    let mut counts = Plane::new(w, h);
    for y in 0..h {
        for x in 0..w {
            counts.data[y * w + x] = span(x, w) * span(y, h);
        }
    }
    (out, counts)
}

/// Box-filters a block-level plane of `f32` with radius `r` (mean over the clipped window).
pub fn box_smooth(p: &Plane<f32>, r: usize, weight: Option<&Plane<bool>>) -> Plane<f32> {
    let ii = Integral::new(p.w, p.h, |i| if weight.is_none_or(|m| m.data[i]) { p.data[i] as f64 } else { 0.0 });
    let cnt = Integral::new(p.w, p.h, |i| if weight.is_none_or(|m| m.data[i]) { 1.0 } else { 0.0 });
    let mut out = Plane::new(p.w, p.h);
    let r = r as isize;
    for y in 0..p.h {
        for x in 0..p.w {
            let (xi, yi) = (x as isize, y as isize);
            let (s, _) = ii.sum(xi - r, yi - r, xi + r + 1, yi + r + 1);
            let (n, _) = cnt.sum(xi - r, yi - r, xi + r + 1, yi + r + 1);
            *out.at_mut(x, y) = if n > 0.0 { (s / n) as f32 } else { p.at(x, y) };
        }
    }
    out
}

/// The radius ⌈3σ⌉ and the 2·radius + 1 taps of a Gaussian of standard deviation `sigma`,
/// normalised to sum 1.
fn gaussian_kernel(sigma: f32) -> (usize, Vec<f32>) {
    let radius = (3.0 * sigma).ceil() as usize;
    let mut kernel: Vec<f32> =
        (0..=2 * radius).map(|i| (-((i as f32 - radius as f32).powi(2)) / (2.0 * sigma * sigma)).exp()).collect();
    let total: f32 = kernel.iter().sum();
    kernel.iter_mut().for_each(|k| *k /= total);
    (radius, kernel)
}

/// `p` blurred by a Gaussian of standard deviation `sigma` px (> 0): separable, kernel cut at
/// ⌈3σ⌉, normalised to sum 1, edges clamped (a flat image stays flat; an empty plane stays
/// empty). Pure. Cost: 2 × (2⌈3σ⌉ + 1) multiply-adds per pixel and two planes of `p`'s size.
pub fn gaussian_blurred(p: &Plane<f32>, sigma: f32) -> Plane<f32> {
    debug_assert!(sigma > 0.0, "blur σ {sigma} must be positive");
    if p.w == 0 || p.h == 0 {
        return Plane::new(p.w, p.h);
    }
    let (radius, kernel) = gaussian_kernel(sigma);
    let (w, h) = (p.w, p.h);
    // Tap `k` of output `i` reads input `i + k − radius`, clamped to `0..n`.
    let tap = |i: usize, k: usize, n: usize| (i + k).saturating_sub(radius).min(n - 1);
    let mut rows: Plane<f32> = Plane::new(w, h);
    for y in 0..h {
        let (src, dst) = (&p.data[y * w..(y + 1) * w], &mut rows.data[y * w..(y + 1) * w]);
        for (x, out) in dst.iter_mut().enumerate() {
            *out = if x >= radius && x + radius < w {
                // Away from the edges the taps are one contiguous window (same sum, same order).
                kernel.iter().zip(&src[x - radius..=x + radius]).map(|(&c, &v)| c * v).sum()
            } else {
                kernel.iter().enumerate().map(|(k, &c)| c * src[tap(x, k, w)]).sum()
            };
        }
    }
    let mut out: Plane<f32> = Plane::new(w, h);
    for y in 0..h {
        let dst = &mut out.data[y * w..(y + 1) * w];
        for (k, &c) in kernel.iter().enumerate() {
            let src = &rows.data[tap(y, k, h) * w..(tap(y, k, h) + 1) * w];
            for (o, &v) in dst.iter_mut().zip(src) {
                *o += c * v;
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gaussian_blur_spreads_an_impulse_symmetrically_and_keeps_its_mass() {
        for sigma in [1.0f32, 2.0] {
            let mut p: Plane<f32> = Plane::new(31, 31);
            *p.at_mut(15, 15) = 1.0;
            let b = gaussian_blurred(&p, sigma);
            assert!((b.data.iter().sum::<f32>() - 1.0).abs() < 1e-5, "σ {sigma}: mass");
            assert_eq!(b.at(15 - 2, 15), b.at(15 + 2, 15), "σ {sigma}: symmetric");
            assert_eq!(b.at(15, 15 - 1), b.at(15 + 1, 15), "σ {sigma}: isotropic");
            // Second moment along x = σ² (the kernel is cut at 3σ: within 3 %).
            let var: f32 = (0..31).map(|x| (x as f32 - 15.0).powi(2) * (0..31).map(|y| b.at(x, y)).sum::<f32>()).sum();
            assert!((var / (sigma * sigma) - 1.0).abs() < 0.03, "σ {sigma}: variance {var}");
        }
    }

    /// [`gaussian_blurred`] with every tap clamped (the form before the contiguous interior window).
    fn gaussian_blurred_reference(p: &Plane<f32>, sigma: f32) -> Plane<f32> {
        let (radius, kernel) = gaussian_kernel(sigma);
        let (w, h) = (p.w, p.h);
        let tap = |i: usize, k: usize, n: usize| (i + k).saturating_sub(radius).min(n - 1);
        let mut rows: Plane<f32> = Plane::new(w, h);
        for y in 0..h {
            for x in 0..w {
                rows.data[y * w + x] = kernel.iter().enumerate().map(|(k, &c)| c * p.data[y * w + tap(x, k, w)]).sum();
            }
        }
        let mut out: Plane<f32> = Plane::new(w, h);
        for y in 0..h {
            for (k, &c) in kernel.iter().enumerate() {
                for x in 0..w {
                    out.data[y * w + x] += c * rows.data[tap(y, k, h) * w + x];
                }
            }
        }
        out
    }

    proptest::proptest! {
        #[test]
        fn gaussian_blur_is_bit_identical_to_the_clamped_reference(
            w in 0usize..40, h in 0usize..20, sigma in proptest::sample::select(vec![0.7f32, 1.0, 2.0]), seed in 0u32..1000,
        ) {
            let mut state = seed.wrapping_mul(2_654_435_761).max(1);
            let data = (0..w * h).map(|_| { state ^= state << 13; state ^= state >> 17; state ^= state << 5; (state % 1000) as f32 / 7.0 }).collect();
            let p = Plane { w, h, data };
            let (got, want) = (gaussian_blurred(&p, sigma), gaussian_blurred_reference(&p, sigma));
            proptest::prop_assert!(got.data.iter().zip(&want.data).all(|(a, b)| a.to_bits() == b.to_bits()));
        }
    }

    #[test]
    fn integral_box_sums() {
        let ii = Integral::new(4, 3, |i| i as f64);
        // values 0..12 row-major; box x 1..3, y 0..2 = 1+2+5+6
        assert_eq!(ii.sum(1, 0, 3, 2), (14.0, 4.0));
        assert_eq!(ii.sum(-5, -5, 10, 10), ((0..12).sum::<usize>() as f64, 12.0));
        assert_eq!(ii.sum(2, 2, 2, 3), (0.0, 0.0));
    }

    #[test]
    fn box_sums_match_brute_force() {
        let p = Plane { w: 13, h: 9, data: (0..117).map(|i| ((i * 37) % 11) as f32).collect() };
        let (s, n) = box_sums(&p, 3, |v| v);
        for y in 0..9usize {
            for x in 0..13usize {
                let mut b = 0.0;
                let mut c = 0.0;
                for yy in y.saturating_sub(3)..=(y + 3).min(8) {
                    for xx in x.saturating_sub(3)..=(x + 3).min(12) {
                        b += p.at(xx, yy);
                        c += 1.0;
                    }
                }
                assert!((s.at(x, y) - b).abs() < 1e-3, "({x},{y}) {} vs {b}", s.at(x, y));
                assert_eq!(n.at(x, y), c);
            }
        }
    }

    #[test]
    fn cell_sums_cover_partial_cells() {
        let p = Plane::filled(10, 9, 1.0f32);
        let (s, n) = cell_sums(&p, 8, |v| v);
        assert_eq!((s.w, s.h), (2, 2));
        assert_eq!((s.at(0, 0), s.at(1, 0), s.at(0, 1), s.at(1, 1)), (64.0, 16.0, 8.0, 2.0));
        assert_eq!(n.data, s.data);
        assert_eq!(neighbourhood_sum(&s, 0, 0, 1), 90.0);
    }

    #[test]
    fn box_smooth_of_constant_is_constant() {
        let p = Plane::filled(7, 5, 3.0f32);
        assert!(box_smooth(&p, 2, None).data.iter().all(|&v| (v - 3.0).abs() < 1e-6));
    }
}
