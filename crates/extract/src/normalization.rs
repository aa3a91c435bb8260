//! Stage 2: local normalisation.

use crate::params::NORM_RADIUS;
use crate::plane::{Integral, Plane};

/// The image with local mean removed and local contrast equalised: `(v − mean) / std` over a
/// `(2·NORM_RADIUS)²` window, clamped to ±3. Ridges (dark) become negative, valleys positive.
pub fn normalized_image(img: &Plane<f32>) -> Plane<f32> {
    let sum = Integral::new(img.w, img.h, |i| img.data[i] as f64);
    let sq = Integral::new(img.w, img.h, |i| (img.data[i] as f64).powi(2));
    let r = NORM_RADIUS as isize;
    let mut out = Plane::new(img.w, img.h);
    for y in 0..img.h {
        for x in 0..img.w {
            let (xi, yi) = (x as isize, y as isize);
            let (s, n) = sum.sum(xi - r, yi - r, xi + r, yi + r);
            let (s2, _) = sq.sum(xi - r, yi - r, xi + r, yi + r);
            let mean = s / n;
            let std = (s2 / n - mean * mean).max(1.0).sqrt();
            *out.at_mut(x, y) = (((img.at(x, y) as f64 - mean) / std) as f32).clamp(-3.0, 3.0);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalisation_centres_and_scales() {
        let img = Plane {
            w: 40,
            h: 40,
            data: (0..1600)
                .map(|i| if (i % 40 / 3) % 2 == 0 { 50.0 } else { 150.0 })
                .collect(),
        };
        let n = normalized_image(&img);
        let mean: f32 = n.data.iter().sum::<f32>() / n.data.len() as f32;
        assert!(mean.abs() < 0.2, "{mean}");
        assert!(n.at(20, 20).abs() > 0.5);
        assert!(
            n.at(0, 5) < 0.0 && n.at(3, 5) > 0.0,
            "dark ridge negative, bright valley positive"
        );
    }
}
