//! Least-squares slopes: the power law of a log–log plot and the weighted fit through the origin.
//!
//! # Formula
//! Log–log slope: ordinary least squares of ln y on ln x,
//! β = Σ(u_k − ū)(v_k − v̄)/Σ(u_k − ū)², u = ln x, v = ln y.
//! Through the origin with weights w_k: β = Σw_k x_k y_k / Σw_k x_k² (the maximum-likelihood slope of
//! y = βx when Var y_k ∝ 1/w_k).

/// Least-squares slope of ln y against ln x: the exponent p of y ∝ x^p.
///
/// Needs at least two distinct positive x and positive y; otherwise the result is NaN or infinite.
///
/// ```
/// use sgbayes::stats::regression::log_log_slope;
/// let points: Vec<(f64, f64)> = [1.0, 2.0, 4.0, 8.0].iter().map(|&x| (x, 3.0 * x * x)).collect();
/// assert!((log_log_slope(&points) - 2.0).abs() < 1e-12);
/// ```
pub fn log_log_slope(points: &[(f64, f64)]) -> f64 {
    let logs: Vec<(f64, f64)> = points.iter().map(|(x, y)| (x.ln(), y.ln())).collect();
    let n = logs.len() as f64;
    let (mx, my) = (
        logs.iter().map(|p| p.0).sum::<f64>() / n,
        logs.iter().map(|p| p.1).sum::<f64>() / n,
    );
    let sxy: f64 = logs.iter().map(|p| (p.0 - mx) * (p.1 - my)).sum();
    let sxx: f64 = logs.iter().map(|p| (p.0 - mx).powi(2)).sum();
    sxy / sxx
}

/// Least-squares slope of ln y against ln x with its textbook standard error
/// √(RSS/((K − 2) S_uu)) (u = ln x, RSS the residual sum of squares of the K points): `(β, se)`;
/// the error is NaN with fewer than three points. When the y are closed-form values rather than
/// noisy estimates, the error measures how far the log–log curve is from a straight line.
///
/// ```
/// use sgbayes::stats::regression::log_log_slope_with_error;
/// let points: Vec<(f64, f64)> = [1.0, 2.0, 4.0, 8.0].iter().map(|&x| (x, 3.0 * x * x)).collect();
/// let (slope, error) = log_log_slope_with_error(&points);
/// assert!((slope - 2.0).abs() < 1e-12 && error < 1e-12);
/// assert!(log_log_slope_with_error(&points[..2]).1.is_nan());
/// ```
pub fn log_log_slope_with_error(points: &[(f64, f64)]) -> (f64, f64) {
    let logs: Vec<(f64, f64)> = points.iter().map(|(x, y)| (x.ln(), y.ln())).collect();
    let n = logs.len() as f64;
    let mx = logs.iter().map(|p| p.0).sum::<f64>() / n;
    let my = logs.iter().map(|p| p.1).sum::<f64>() / n;
    let sxx: f64 = logs.iter().map(|p| (p.0 - mx).powi(2)).sum();
    let sxy: f64 = logs.iter().map(|p| (p.0 - mx) * (p.1 - my)).sum();
    let slope = sxy / sxx;
    let rss: f64 = logs
        .iter()
        .map(|p| (p.1 - my - slope * (p.0 - mx)).powi(2))
        .sum();
    let standard_error = if logs.len() > 2 {
        (rss / (n - 2.0) / sxx).sqrt()
    } else {
        f64::NAN
    };
    (slope, standard_error)
}

/// Weighted least-squares slope through the origin of points (x_k, y_k, w_k); `None` with fewer
/// than two points.
///
/// ```
/// use sgbayes::stats::regression::weighted_slope_through_origin;
/// let points = [(1.0, 2.0, 1.0), (2.0, 4.0, 5.0), (3.0, 6.0, 0.5)];
/// assert!((weighted_slope_through_origin(&points).unwrap() - 2.0).abs() < 1e-15);
/// assert!(weighted_slope_through_origin(&points[..1]).is_none());
/// ```
pub fn weighted_slope_through_origin(points: &[(f64, f64, f64)]) -> Option<f64> {
    let num: f64 = points.iter().map(|(x, y, w)| w * x * y).sum();
    let den: f64 = points.iter().map(|(x, _, w)| w * x * x).sum();
    (points.len() >= 2).then(|| num / den)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_log_slope_of_a_power_law_with_prefactor() {
        let points: Vec<(f64, f64)> = (1..6)
            .map(|k| {
                let x = 0.1 * k as f64;
                (x, 7.0 * x.powf(-1.5))
            })
            .collect();
        assert!((log_log_slope(&points) + 1.5).abs() < 1e-12);
    }

    #[test]
    fn weights_decide_between_inconsistent_points() {
        // Slopes 1 and 3; the heavier point wins in proportion to w x².
        let slope = weighted_slope_through_origin(&[(1.0, 1.0, 1.0), (1.0, 3.0, 3.0)]).unwrap();
        assert!((slope - 2.5).abs() < 1e-15);
    }
}
