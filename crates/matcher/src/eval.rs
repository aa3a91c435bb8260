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
    /// Equal error rate as the FVC protocol computes it: the midpoint of
    /// `[eer_low, eer_high]`. With few trials the rates move in steps (one genuine pair of 280
    /// is 0.36 %, one impostor pair of 2,880 is 0.035 %), so the interval is reported as well.
    pub eer: f64,
    /// Lower end of the interval in which FMR and FNMR cross (see [`Metrics::eer`]).
    pub eer_low: f64,
    /// Upper end of that interval.
    pub eer_high: f64,
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

/// The equal error rate of a DET curve (thresholds ascending), as the FVC protocol defines it
/// (Maio, Maltoni, Cappelli, Wayman and Jain, "FVC2000: Fingerprint Verification Competition",
/// IEEE TPAMI 24(3), 2002; also `pyeer`, which `../shared/docs/evaluation.md` names): with
/// `t1` the highest threshold where FNMR ≤ FMR and `t2` the lowest where FNMR ≥ FMR, the EER
/// lies in `[FNMR(t1), FMR(t1)]` when that interval is the narrower one (smaller sum), else in
/// `[FMR(t2), FNMR(t2)]`; the EER is the interval's midpoint. Returns `(low, high)`; an empty
/// curve gives `(1, 1)`. Cost O(points).
fn eer_interval(det: &[DetPoint]) -> (f64, f64) {
    // FNMR − FMR never decreases along ascending thresholds, so t1 and t2 are found by one
    // binary search each (partition points of the two predicates).
    let t1 = det.partition_point(|p| p.fnmr <= p.fmr).checked_sub(1);
    let t2 = det.partition_point(|p| p.fnmr < p.fmr);
    match (t1.map(|k| det[k]), det.get(t2)) {
        (Some(a), Some(b)) if a.fnmr + a.fmr <= b.fnmr + b.fmr => (a.fnmr, a.fmr),
        (_, Some(b)) => (b.fmr, b.fnmr),
        (Some(a), None) => (a.fnmr, a.fmr),
        (None, None) => (1.0, 1.0),
    }
}

/// The midpoint of [`eer_interval`].
fn eer_of(det: &[DetPoint]) -> f64 {
    let (low, high) = eer_interval(det);
    (low + high) / 2.0
}

impl Metrics {
    /// Computes the operating points. Empty inputs give rates of 0/1 as the definitions imply.
    pub fn from_scores(genuine: &[f64], impostor: &[f64]) -> Metrics {
        let det = det_curve(genuine, impostor);
        let lowest_fnmr = |max_fmr: f64| det.iter().filter(|p| p.fmr <= max_fmr).map(|p| p.fnmr).fold(1.0, f64::min);
        let (eer_low, eer_high) = eer_interval(&det);
        Metrics {
            eer: (eer_low + eer_high) / 2.0,
            eer_low,
            eer_high,
            fmr100: lowest_fnmr(0.01),
            fmr1000: lowest_fnmr(0.001),
            zero_fmr: lowest_fnmr(0.0),
            genuine: genuine.len(),
            impostor: impostor.len(),
        }
    }
}

/// One comparison of an experiment, for resampling by subject: its score and the fingers whose
/// samples were compared (genuine when both are the same finger). Finger IDs are any numbers.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Trial {
    /// Similarity score (higher = more similar).
    pub score: f64,
    /// The two fingers (subjects) compared.
    pub fingers: (u32, u32),
}

/// A rate with a two-sided confidence interval (fractions, like [`Metrics`]).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Interval {
    /// The value measured on the data as it is.
    pub estimate: f64,
    /// Lower bound.
    pub low: f64,
    /// Upper bound.
    pub high: f64,
}

impl Interval {
    /// The percentile interval at `level` (e.g. 0.90) of bootstrap replicates `samples` around
    /// `estimate`. Cost O(B log B) for B replicates. An empty `samples` gives `[estimate, estimate]`.
    pub fn from_replicates(estimate: f64, samples: &[f64], level: f64) -> Interval {
        if samples.is_empty() {
            return Interval { estimate, low: estimate, high: estimate };
        }
        let mut v = samples.to_vec();
        v.sort_by(|a, b| a.total_cmp(b));
        let tail = ((1.0 - level.clamp(0.0, 1.0)) / 2.0 * (v.len() - 1) as f64).round() as usize;
        Interval { estimate, low: v[tail], high: v[v.len() - 1 - tail] }
    }
}

/// Trials prepared for fast resampling: scores sorted once, fingers numbered densely.
struct Prepared {
    /// Genuine trials ascending by score: (score, finger index).
    genuine: Vec<(f64, usize)>,
    /// Impostor trials ascending by score: (score, finger index, finger index).
    impostor: Vec<(f64, usize, usize)>,
    /// Distinct scores ascending, then one above all (the thresholds of [`det_curve`]).
    thresholds: Vec<f64>,
    fingers: usize,
}

impl Prepared {
    fn new(trials: &[Trial]) -> Prepared {
        let mut ids: Vec<u32> = trials.iter().flat_map(|t| [t.fingers.0, t.fingers.1]).collect();
        ids.sort_unstable();
        ids.dedup();
        let index = |f: u32| ids.binary_search(&f).unwrap_or(0);
        let mut genuine = Vec::new();
        let mut impostor = Vec::new();
        for t in trials {
            let (a, b) = (index(t.fingers.0), index(t.fingers.1));
            if a == b { genuine.push((t.score, a)) } else { impostor.push((t.score, a, b)) }
        }
        genuine.sort_by(|x, y| x.0.total_cmp(&y.0));
        impostor.sort_by(|x, y| x.0.total_cmp(&y.0));
        let mut thresholds: Vec<f64> = trials.iter().map(|t| t.score).collect();
        thresholds.sort_by(|a, b| a.total_cmp(b));
        thresholds.dedup();
        if let Some(&last) = thresholds.last() {
            thresholds.push(last + 1.0);
        }
        Prepared { genuine, impostor, thresholds, fingers: ids.len() }
    }

    /// EER with each finger counted `w[f]` times: a genuine trial weighs `w[f]`, an impostor
    /// trial `w[f]·w[g]` (all ones: exactly [`Metrics::from_scores`]'s EER). `det` is scratch.
    fn eer(&self, w: &[u32], det: &mut Vec<DetPoint>) -> f64 {
        let gw = |&(_, f): &(f64, usize)| w[f] as f64;
        let iw = |&(_, f, g): &(f64, usize, usize)| (w[f] * w[g]) as f64;
        let g_total: f64 = self.genuine.iter().map(gw).sum();
        let i_total: f64 = self.impostor.iter().map(iw).sum();
        let (mut g_below, mut i_below, mut gk, mut ik) = (0.0, 0.0, 0, 0);
        det.clear();
        for &t in &self.thresholds {
            while gk < self.genuine.len() && self.genuine[gk].0 < t {
                g_below += gw(&self.genuine[gk]);
                gk += 1;
            }
            while ik < self.impostor.len() && self.impostor[ik].0 < t {
                i_below += iw(&self.impostor[ik]);
                ik += 1;
            }
            let fnmr = if g_total > 0.0 { g_below / g_total } else { 0.0 };
            let fmr = if i_total > 0.0 { (i_total - i_below) / i_total } else { 0.0 };
            det.push(DetPoint { threshold: t, fmr, fnmr });
        }
        eer_of(det)
    }
}

/// Deterministic finger multiplicities of one bootstrap replicate: `n` fingers drawn with
/// replacement (SplitMix64 stream from `state`).
fn draw(state: &mut u64, n: usize, w: &mut Vec<u32>) {
    w.clear();
    w.resize(n, 0);
    for _ in 0..n {
        *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = *state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^= z >> 31;
        w[(((z >> 32) * n as u64) >> 32) as usize] += 1;
    }
}

/// Bootstrap replicates of the EER, resampling *fingers* (subjects) with replacement, as
/// ISO/IEC 19795-1 and Bolle et al.'s "subsets bootstrap" recommend: comparisons that share a
/// finger are correlated, so resampling single comparisons would understate the uncertainty.
/// Deterministic for a given `seed`; replicate k of two calls with the same seed and the same
/// finger set draws the same fingers (so replicates of several sets can be averaged, and two
/// systems compared pairwise). Cost O(resamples · trials).
pub fn eer_replicates(trials: &[Trial], resamples: usize, seed: u64) -> Vec<f64> {
    let prepared = Prepared::new(trials);
    let (mut state, mut w, mut det) = (seed, Vec::new(), Vec::new());
    (0..resamples)
        .map(|_| {
            draw(&mut state, prepared.fingers, &mut w);
            prepared.eer(&w, &mut det)
        })
        .collect()
}

/// Paired bootstrap of the EER difference `b − a` of two systems scoring the same comparisons
/// (`a[k]` and `b[k]` are the same pair of samples; fingers taken from `a`): each replicate draws
/// one set of fingers and measures both systems on it, so the noise both share (which fingers
/// happen to be hard) cancels. A negative difference means `b` errs less. Cost O(resamples ·
/// trials). Panics if the slices differ in length.
pub fn eer_difference_replicates(a: &[Trial], b: &[f64], resamples: usize, seed: u64) -> Vec<f64> {
    assert_eq!(a.len(), b.len(), "paired bootstrap needs the same comparisons for both systems");
    let other: Vec<Trial> = a.iter().zip(b).map(|(t, &score)| Trial { score, fingers: t.fingers }).collect();
    let (pa, pb) = (Prepared::new(a), Prepared::new(&other));
    let (mut state, mut w, mut det) = (seed, Vec::new(), Vec::new());
    (0..resamples)
        .map(|_| {
            draw(&mut state, pa.fingers, &mut w);
            pb.eer(&w, &mut det) - pa.eer(&w, &mut det)
        })
        .collect()
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

    /// The FVC protocol's EER on a set's shape (280 genuine, 2,880 impostor trials) where one
    /// genuine pair scores below 11 impostors: FNMR 1/280 meets FMR stepping from 11/2880 to
    /// 10/2880. The narrower interval is [10/2880, 1/280] (sum 0.70 % against 0.74 % for
    /// [1/280, 11/2880]), so the EER is its midpoint, 0.352 %; a linear interpolation of the
    /// two curves would give 1/280 = 0.357 %.
    #[test]
    fn eer_is_the_midpoint_of_the_narrower_fvc_interval() {
        let mut g = vec![16.0];
        g.extend((0..279).map(|k| 40.0 + k as f64));
        let mut i: Vec<f64> = (0..10).map(|k| 25.0 + k as f64).collect();
        i.push(21.0);
        i.extend((0..2869).map(|k| k as f64 / 2869.0 * 15.0));
        let m = Metrics::from_scores(&g, &i);
        assert_eq!((m.eer_low, m.eer_high), (10.0 / 2880.0, 1.0 / 280.0));
        assert_eq!(m.eer, (10.0 / 2880.0 + 1.0 / 280.0) / 2.0);
        // The other branch: 11 impostors and 20 genuine pairs tie at 11. At t1 = 11 FNMR is
        // 1/280 and FMR 11/2880 (sum 0.74 %); at t2 = the next score FNMR jumps to 21/280 (7.5 %),
        // so the interval at t1 is the narrower one.
        let mut g2 = vec![10.0];
        g2.extend([11.0; 20]);
        g2.extend((0..259).map(|k| 40.0 + k as f64));
        let mut i2 = vec![11.0; 11];
        i2.extend((0..2869).map(|k| k as f64 / 2869.0));
        let m2 = Metrics::from_scores(&g2, &i2);
        assert_eq!((m2.eer_low, m2.eer_high), (1.0 / 280.0, 11.0 / 2880.0));
    }

    fn trials(genuine: &[(f64, u32)], impostor: &[(f64, u32, u32)]) -> Vec<Trial> {
        genuine
            .iter()
            .map(|&(score, f)| Trial { score, fingers: (f, f) })
            .chain(impostor.iter().map(|&(score, f, g)| Trial { score, fingers: (f, g) }))
            .collect()
    }

    /// Scores of `fingers` fingers, `per` impressions each: genuine around `g_mean`, impostor
    /// around 0, with some fingers much harder than others (as in real sets).
    fn synthetic(fingers: u32, per: u32, g_mean: f64, seed: u64) -> Vec<Trial> {
        let mut state = seed;
        let mut next = || {
            state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            (state >> 11) as f64 / (1u64 << 53) as f64
        };
        let (mut g, mut i) = (Vec::new(), Vec::new());
        for f in 0..fingers {
            let hard = if f % 4 == 0 { 0.4 } else { 1.0 };
            for _ in 0..per * (per - 1) / 2 {
                g.push((hard * g_mean + next(), f));
            }
            for h in f + 1..fingers {
                for _ in 0..4 {
                    i.push((next() * 1.5, f, h));
                }
            }
        }
        trials(&g, &i)
    }

    #[test]
    fn unit_weights_reproduce_the_eer() {
        let t = synthetic(10, 8, 1.2, 3);
        let g: Vec<f64> = t.iter().filter(|t| t.fingers.0 == t.fingers.1).map(|t| t.score).collect();
        let i: Vec<f64> = t.iter().filter(|t| t.fingers.0 != t.fingers.1).map(|t| t.score).collect();
        let p = Prepared::new(&t);
        let eer = p.eer(&vec![1; p.fingers], &mut Vec::new());
        assert_eq!(eer, Metrics::from_scores(&g, &i).eer);
        assert!(eer > 0.02 && eer < 0.5, "{eer}");
    }

    #[test]
    fn bootstrap_interval_contains_the_estimate_and_is_deterministic() {
        let t = synthetic(10, 8, 1.2, 5);
        let p = Prepared::new(&t);
        let eer = p.eer(&vec![1; p.fingers], &mut Vec::new());
        let r = eer_replicates(&t, 400, 11);
        assert_eq!(r, eer_replicates(&t, 400, 11));
        let ci = Interval::from_replicates(eer, &r, 0.9);
        assert!(ci.low <= eer && eer <= ci.high, "{ci:?}");
        assert!(ci.high - ci.low > 0.005, "hard fingers make the EER uncertain: {ci:?}");
        // More fingers, same score model: a narrower interval.
        let big = synthetic(40, 8, 1.2, 5);
        let pb = Prepared::new(&big);
        let eb = pb.eer(&vec![1; pb.fingers], &mut Vec::new());
        let cb = Interval::from_replicates(eb, &eer_replicates(&big, 400, 11), 0.9);
        assert!(cb.high - cb.low < ci.high - ci.low, "{cb:?} vs {ci:?}");
    }

    #[test]
    fn paired_difference_detects_a_better_system_and_not_an_equal_one() {
        let a = synthetic(10, 8, 1.2, 9);
        // The same comparisons, genuine scores raised: fewer errors on every finger.
        let better: Vec<f64> = a.iter().map(|t| t.score + if t.fingers.0 == t.fingers.1 { 0.3 } else { 0.0 }).collect();
        let d = eer_difference_replicates(&a, &better, 300, 1);
        let ci = Interval::from_replicates(0.0, &d, 0.9);
        assert!(ci.high < 0.0, "{ci:?}");
        let same: Vec<f64> = a.iter().map(|t| t.score).collect();
        assert!(eer_difference_replicates(&a, &same, 50, 1).iter().all(|&x| x == 0.0));
    }

    proptest::proptest! {
        /// With every finger drawn once, the resampling EER is the plain EER, ties included.
        #[test]
        fn unit_weights_equal_the_plain_eer(
            g in proptest::collection::vec((0u8..20, 0u32..5), 1..40),
            i in proptest::collection::vec((0u8..20, 0u32..5, 1u32..5), 1..80),
        ) {
            let imp: Vec<(f64, u32, u32)> = i.iter().map(|&(s, f, d)| (s as f64, f, (f + d) % 5)).collect();
            let gen_: Vec<(f64, u32)> = g.iter().map(|&(s, f)| (s as f64 + 3.0, f)).collect();
            let t = trials(&gen_, &imp);
            let p = Prepared::new(&t);
            let gs: Vec<f64> = gen_.iter().map(|x| x.0).collect();
            let is: Vec<f64> = imp.iter().map(|x| x.0).collect();
            proptest::prop_assert_eq!(p.eer(&vec![1; p.fingers], &mut Vec::new()), Metrics::from_scores(&gs, &is).eer);
        }
    }

    #[test]
    fn interval_percentiles() {
        let v: Vec<f64> = (0..101).map(|k| k as f64).collect();
        let ci = Interval::from_replicates(50.0, &v, 0.9);
        assert_eq!((ci.low, ci.high), (5.0, 95.0));
        assert_eq!(Interval::from_replicates(1.0, &[], 0.9), Interval { estimate: 1.0, low: 1.0, high: 1.0 });
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
