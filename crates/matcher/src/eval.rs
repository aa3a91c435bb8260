//! Accuracy metrics from genuine and impostor scores (ISO/IEC 19795-1, FVC protocol).
//!
//! Scores are "higher = more similar"; a comparison is accepted when `score ≥ threshold`.

/// The eight FVC sample sets of the evaluation protocol (`../shared/docs/evaluation.md`), as folder
/// name and resolution in dpi: all 500 dpi except FVC2002 DB2 (569 dpi). FVC2000 DB1/DB2 and FVC2002
/// DB1/DB2 share volunteers (same finger numbers are the same fingers).
pub const FVC_SETS: [(&str, u16); 8] = [
    ("fvc2000_db1_b", 500),
    ("fvc2000_db2_b", 500),
    ("fvc2000_db3_b", 500),
    ("fvc2000_db4_b", 500),
    ("fvc2002_db1_b", 500),
    ("fvc2002_db2_b", 569),
    ("fvc2002_db3_b", 500),
    ("fvc2002_db4_b", 500),
];

/// Operating points of one experiment. Rates are fractions (0.01 = 1 %).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Metrics {
    /// Equal error rate: where FMR and FNMR cross (mean of the two at the crossing).
    pub eer: f64,
    /// Lowest FNMR with FMR ≤ 1 %.
    pub fmr100: f64,
    /// Lowest FNMR with FMR ≤ 0.1 %.
    pub fmr1000: f64,
    /// Lowest FNMR with FMR = 0.
    pub zero_fmr: f64,
    /// Number of genuine comparisons.
    pub genuine: usize,
    /// Number of impostor comparisons.
    pub impostor: usize,
}

/// One point of a DET curve: (FMR, FNMR) at a threshold.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DetPoint {
    /// Decision threshold.
    pub threshold: f64,
    /// False match rate at the threshold.
    pub fmr: f64,
    /// False non-match rate at the threshold.
    pub fnmr: f64,
}

/// The DET curve: one point per distinct score (thresholds ascending). Cost O((G+I) log(G+I)).
pub fn det_curve(genuine: &[f64], impostor: &[f64]) -> Vec<DetPoint> {
    let mut g: Vec<f64> = genuine.to_vec();
    let mut i: Vec<f64> = impostor.to_vec();
    g.sort_by(|a, b| a.total_cmp(b));
    i.sort_by(|a, b| a.total_cmp(b));
    let mut thresholds: Vec<f64> = g.iter().chain(i.iter()).copied().collect();
    thresholds.sort_by(|a, b| a.total_cmp(b));
    thresholds.dedup();
    if let Some(&last) = thresholds.last() {
        thresholds.push(last + 1.0); // a threshold above everything: FMR 0, FNMR 1
    }
    thresholds
        .into_iter()
        .map(|t| {
            let fnmr = g.partition_point(|&s| s < t) as f64 / g.len().max(1) as f64;
            let fmr = (i.len() - i.partition_point(|&s| s < t)) as f64 / i.len().max(1) as f64;
            DetPoint { threshold: t, fmr, fnmr }
        })
        .collect()
}

impl Metrics {
    /// Computes the operating points. Empty inputs give rates of 0/1 as the definitions imply.
    pub fn from_scores(genuine: &[f64], impostor: &[f64]) -> Metrics {
        let det = det_curve(genuine, impostor);
        let lowest_fnmr = |max_fmr: f64| det.iter().filter(|p| p.fmr <= max_fmr).map(|p| p.fnmr).fold(1.0, f64::min);
        // EER: the first threshold where FNMR ≥ FMR; average with the previous point's crossing.
        let mut eer = 1.0;
        for w in det.windows(2) {
            let (a, b) = (w[0], w[1]);
            if a.fnmr <= a.fmr && b.fnmr >= b.fmr {
                // Interpolate the crossing of the two straight segments.
                let da = a.fmr - a.fnmr;
                let db = b.fnmr - b.fmr;
                let t = if da + db > 0.0 { da / (da + db) } else { 0.5 };
                eer = a.fmr + (b.fmr - a.fmr) * t;
                break;
            }
        }
        if det.len() == 1 {
            eer = (det[0].fmr + det[0].fnmr) / 2.0;
        }
        Metrics {
            eer,
            fmr100: lowest_fnmr(0.01),
            fmr1000: lowest_fnmr(0.001),
            zero_fmr: lowest_fnmr(0.0),
            genuine: genuine.len(),
            impostor: impostor.len(),
        }
    }
}

/// An SVG DET plot (FNMR vs FMR, both on log axes from 1e-4 to 1) of one or more named curves.
pub fn det_svg(curves: &[(&str, Vec<DetPoint>)]) -> String {
    let (w, h, m) = (640.0, 480.0, 60.0);
    let colours = ["#c0392b", "#2471a3", "#229954", "#af7ac5", "#d68910", "#17a589", "#566573", "#000000"];
    let lx = |v: f64| m + (v.max(1e-4).log10() + 4.0) / 4.0 * (w - 2.0 * m);
    let ly = |v: f64| h - m - (v.max(1e-4).log10() + 4.0) / 4.0 * (h - 2.0 * m);
    let mut s = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{w}\" height=\"{h}\" font-family=\"sans-serif\" font-size=\"12\">\n<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n"
    );
    for d in 0..=4 {
        let v = 10f64.powi(-d);
        s += &format!("<line x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" stroke=\"#ddd\"/>\n", lx(v), m, lx(v), h - m);
        s += &format!("<line x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" stroke=\"#ddd\"/>\n", m, ly(v), w - m, ly(v));
        s += &format!("<text x=\"{}\" y=\"{}\" text-anchor=\"middle\">1e-{d}</text>\n", lx(v), h - m + 16.0);
        s += &format!("<text x=\"{}\" y=\"{}\" text-anchor=\"end\">1e-{d}</text>\n", m - 6.0, ly(v) + 4.0);
    }
    s += &format!("<text x=\"{}\" y=\"{}\" text-anchor=\"middle\">FMR</text>\n", w / 2.0, h - 18.0);
    s += &format!(
        "<text x=\"16\" y=\"{}\" transform=\"rotate(-90 16 {})\" text-anchor=\"middle\">FNMR</text>\n",
        h / 2.0,
        h / 2.0
    );
    for (k, (name, pts)) in curves.iter().enumerate() {
        let colour = colours[k % colours.len()];
        let path: Vec<String> = pts.iter().map(|p| format!("{:.1},{:.1}", lx(p.fmr), ly(p.fnmr))).collect();
        s += &format!(
            "<polyline fill=\"none\" stroke=\"{colour}\" stroke-width=\"1.5\" points=\"{}\"/>\n",
            path.join(" ")
        );
        s += &format!(
            "<text x=\"{}\" y=\"{}\" fill=\"{colour}\">{name}</text>\n",
            w - m - 150.0,
            m + 16.0 * (k as f64 + 1.0)
        );
    }
    s + "</svg>\n"
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn perfect_separation_has_zero_errors() {
        let m = Metrics::from_scores(&[10.0, 11.0, 12.0], &[1.0, 2.0, 3.0]);
        assert_eq!((m.eer, m.fmr100, m.fmr1000, m.zero_fmr), (0.0, 0.0, 0.0, 0.0));
    }

    #[test]
    fn overlapping_scores_give_the_expected_eer() {
        // Genuine 0..100, impostor 50..150 (uniform, step 1): lines cross at 25 %.
        let g: Vec<f64> = (0..100).map(|v| v as f64 + 50.0).collect();
        let i: Vec<f64> = (0..100).map(|v| v as f64).collect();
        let m = Metrics::from_scores(&g, &i);
        assert!((m.eer - 0.25).abs() < 0.02, "{}", m.eer);
        assert!(m.zero_fmr > 0.45 && m.zero_fmr <= 0.51, "{}", m.zero_fmr);
    }

    #[test]
    fn det_is_monotone() {
        let det = det_curve(&[3.0, 5.0, 7.0, 9.0], &[1.0, 4.0, 6.0]);
        for w in det.windows(2) {
            assert!(w[1].fmr <= w[0].fmr && w[1].fnmr >= w[0].fnmr);
        }
        assert_eq!(det.last().unwrap().fmr, 0.0);
        assert!(det_svg(&[("x", det)]).contains("<polyline"));
    }
}
