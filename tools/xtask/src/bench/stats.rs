//! Medians, percentiles and the paired-block ratios every comparison reports.

/// The value at percentile `p` (nearest rank, as the figures were always computed).
pub(crate) fn pct(values: &[f64], p: f64) -> f64 {
    if values.is_empty() {
        return f64::NAN;
    }
    let mut ordered = values.to_vec();
    ordered.sort_by(f64::total_cmp);
    let rank = (p / 100.0 * (ordered.len() - 1) as f64).round() as usize;
    ordered[rank.min(ordered.len() - 1)]
}

pub(crate) fn median(values: &[f64]) -> f64 {
    if values.is_empty() {
        return f64::NAN;
    }
    let mut ordered = values.to_vec();
    ordered.sort_by(f64::total_cmp);
    let mid = ordered.len() / 2;
    if ordered.len().is_multiple_of(2) {
        (ordered[mid - 1] + ordered[mid]) / 2.0
    } else {
        ordered[mid]
    }
}

/// "median (q1–q3)" of per-pair ratios.
pub(crate) fn ratio_summary(ratios: &[f64]) -> String {
    format!(
        "{:.2}x ({:.2}-{:.2}x over {} pairs)",
        median(ratios),
        pct(ratios, 25.0),
        pct(ratios, 75.0),
        ratios.len()
    )
}

/// Met or missed, for a ratio that must stay at or under `target`.
pub(crate) fn verdict(ratio: f64, target: f64) -> String {
    if ratio <= target {
        format!("<= {target:.2}x met")
    } else {
        format!("<= {target:.2}x MISSED")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn medians_and_percentiles() {
        assert_eq!(median(&[3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median(&[4.0, 1.0, 2.0, 3.0]), 2.5);
        assert_eq!(pct(&[1.0, 2.0, 3.0, 4.0, 5.0], 25.0), 2.0);
        assert_eq!(pct(&[1.0, 2.0, 3.0, 4.0, 5.0], 99.0), 5.0);
        assert!(median(&[]).is_nan());
        assert_eq!(verdict(0.05, 0.1), "<= 0.10x met");
        assert_eq!(verdict(0.3, 0.25), "<= 0.25x MISSED");
    }
}
