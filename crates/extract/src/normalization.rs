//! Stage 2: local normalisation.

use crate::params::NORM_RADIUS;
use crate::plane::{Plane, box_sums};

/// The image with local mean removed and local contrast equalised: `(v − mean) / std` over a
/// `(2·NORM_RADIUS+1)²` window, clamped to ±3. Ridges (dark) become negative, valleys positive.
pub fn normalized_image(img: &Plane<f32>) -> Plane<f32> {
    let (sum, n) = box_sums(img, NORM_RADIUS, |v| v);
    let (sq, _) = box_sums(img, NORM_RADIUS, |v| v * v);
    let mut out = Plane::new(img.w, img.h);
    for i in 0..img.data.len() {
        let mean = sum.data[i] / n.data[i];
        let std = (sq.data[i] / n.data[i] - mean * mean).max(1.0).sqrt();
        out.data[i] = ((img.data[i] - mean) / std).clamp(-3.0, 3.0);
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
