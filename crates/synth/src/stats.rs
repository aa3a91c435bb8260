//! Minutiae statistics of a set of templates (count, spacing, kind ratio, quality), used to fit the
//! template-level generator to real extraction output and to check the fit.

use ridgegate_core::{MinutiaKind, Template};

/// Summary statistics of the minutiae of many templates. Distances are in pixels at 500 dpi
/// (templates at other resolutions are rescaled). Plain data; thread-safe.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct MinutiaeStats {
    /// Number of templates summarised.
    pub templates: usize,
    /// Mean minutiae per template.
    pub count_mean: f64,
    /// Standard deviation of minutiae per template.
    pub count_sd: f64,
    /// Mean distance from a minutia to its nearest neighbour in the same template, px at 500 dpi.
    pub spacing_mean: f64,
    /// 10th percentile of that nearest-neighbour distance, px at 500 dpi.
    pub spacing_p10: f64,
    /// Median of that nearest-neighbour distance, px at 500 dpi.
    pub spacing_median: f64,
    /// Fraction of minutiae that are ridge endings (the rest: bifurcations and other).
    pub ending_ratio: f64,
    /// Mean minutia quality (0..=100).
    pub quality_mean: f64,
    /// Standard deviation of minutia quality.
    pub quality_sd: f64,
    /// Mean template (image) quality (0..=100).
    pub image_quality_mean: f64,
}

/// Mean and standard deviation of a sample (0, 0 when empty).
fn mean_sd(v: &[f64]) -> (f64, f64) {
    if v.is_empty() {
        return (0.0, 0.0);
    }
    let n = v.len() as f64;
    let m = v.iter().sum::<f64>() / n;
    (m, (v.iter().map(|x| (x - m).powi(2)).sum::<f64>() / n).sqrt())
}

/// The `q`-quantile (0..=1) of a sorted sample (0 when empty).
pub fn quantile(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    sorted[((sorted.len() - 1) as f64 * q.clamp(0.0, 1.0)).round() as usize]
}

impl MinutiaeStats {
    /// Summarises `templates`. Cost: O(Σ n²) for the nearest-neighbour distances (≈ 2,500
    /// distance evaluations for a 50-minutiae template). Pure.
    pub fn of<'a>(templates: impl IntoIterator<Item = &'a Template>) -> MinutiaeStats {
        let (mut counts, mut spacing, mut quality, mut image_quality) =
            (Vec::new(), Vec::new(), Vec::new(), Vec::new());
        let (mut endings, mut total) = (0usize, 0usize);
        for t in templates {
            let scale = 500.0 / t.dpi.max(1) as f64;
            counts.push(t.minutiae.len() as f64);
            image_quality.push(t.quality as f64);
            for (i, a) in t.minutiae.iter().enumerate() {
                total += 1;
                endings += (a.kind == MinutiaKind::Ending) as usize;
                quality.push(a.quality as f64);
                let nearest = t
                    .minutiae
                    .iter()
                    .enumerate()
                    .filter(|&(j, _)| j != i)
                    .map(|(_, b)| (a.x as f64 - b.x as f64).hypot(a.y as f64 - b.y as f64))
                    .fold(f64::INFINITY, f64::min);
                if nearest.is_finite() {
                    spacing.push(nearest * scale);
                }
            }
        }
        spacing.sort_by(|a, b| a.total_cmp(b));
        let (count_mean, count_sd) = mean_sd(&counts);
        let (quality_mean, quality_sd) = mean_sd(&quality);
        MinutiaeStats {
            templates: counts.len(),
            count_mean,
            count_sd,
            spacing_mean: mean_sd(&spacing).0,
            spacing_p10: quantile(&spacing, 0.1),
            spacing_median: quantile(&spacing, 0.5),
            ending_ratio: endings as f64 / total.max(1) as f64,
            quality_mean,
            quality_sd,
            image_quality_mean: mean_sd(&image_quality).0,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ridgegate_core::Minutia;

    #[test]
    fn stats_of_a_known_template() {
        let mut t = Template::new(300, 400, 500);
        t.quality = 50;
        t.minutiae.push(Minutia::new(10, 10, 0.0, MinutiaKind::Ending, 40));
        t.minutiae.push(Minutia::new(20, 10, 0.0, MinutiaKind::Bifurcation, 60));
        t.minutiae.push(Minutia::new(20, 40, 0.0, MinutiaKind::Ending, 80));
        let s = MinutiaeStats::of([&t]);
        assert_eq!(s.templates, 1);
        assert_eq!(s.count_mean, 3.0);
        assert!((s.ending_ratio - 2.0 / 3.0).abs() < 1e-9);
        assert!((s.quality_mean - 60.0).abs() < 1e-9);
        // Nearest neighbours: 10, 10, 30.
        assert!((s.spacing_mean - 50.0 / 3.0).abs() < 1e-9);
        assert_eq!(s.spacing_median, 10.0);
        // Another resolution is rescaled to 500 dpi.
        t.dpi = 1000;
        assert!((MinutiaeStats::of([&t]).spacing_mean - 25.0 / 3.0).abs() < 1e-9);
    }
}
