//! Golden-section search for the minimiser of a unimodal function of a positive scale (a step size),
//! in log space.
//!
//! # Formula
//! Kiefer (1953), "Sequential minimax search for a maximum": on [a, b] keep the interior points
//! c = b − φ(b − a), d = a + φ(b − a), φ = (√5 − 1)/2, and drop [d, b] when f(c) < f(d) (else
//! [a, c]); each step shrinks the bracket by φ and reuses one evaluation. Here the search runs over
//! u = ln ε with a fixed 100 steps (bracket ratio φ¹⁰⁰ ≈ 1.3·10⁻²¹ of the initial log-width, below
//! f64 resolution), and returns exp of the final bracket's midpoint.

use crate::error::Result;

/// The minimiser of `f` over ε ∈ [`lo`, `hi`] (0 < lo < hi), searched in log ε; `f` must be
/// unimodal there. Errors from `f` are passed on.
///
/// ```
/// use sgbayes::theory::golden_section::minimise_log_scale;
/// // (ln ε − ln 0.01)² is unimodal in log ε with its minimum at ε = 0.01.
/// let f = |eps: f64| Ok((eps.ln() - 0.01f64.ln()).powi(2));
/// let eps = minimise_log_scale(f, 1e-4, 1.0).unwrap();
/// assert!((eps / 0.01 - 1.0).abs() < 1e-7);
/// ```
pub fn minimise_log_scale(f: impl Fn(f64) -> Result<f64>, lo: f64, hi: f64) -> Result<f64> {
    let phi = (5f64.sqrt() - 1.0) / 2.0;
    let (mut a, mut b) = (lo.ln(), hi.ln());
    let mut c = b - phi * (b - a);
    let mut d = a + phi * (b - a);
    let (mut fc, mut fd) = (f(c.exp())?, f(d.exp())?);
    for _ in 0..100 {
        if fc < fd {
            b = d;
            d = c;
            fd = fc;
            c = b - phi * (b - a);
            fc = f(c.exp())?;
        } else {
            a = c;
            c = d;
            fc = fd;
            d = a + phi * (b - a);
            fd = f(d.exp())?;
        }
    }
    Ok(((a + b) / 2.0).exp())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Error;

    #[test]
    fn finds_an_interior_minimum_of_a_non_symmetric_function() {
        // ε − ln ε is minimal at ε = 1.
        let eps = minimise_log_scale(|e| Ok(e - e.ln()), 0.01, 50.0).unwrap();
        assert!((eps - 1.0).abs() < 1e-7);
    }

    #[test]
    fn a_monotone_function_ends_at_the_bracket_edge() {
        let eps = minimise_log_scale(Ok, 0.1, 10.0).unwrap();
        assert!((eps / 0.1 - 1.0).abs() < 1e-6);
    }

    #[test]
    fn errors_of_the_objective_are_passed_on() {
        let failing = |_: f64| -> Result<f64> {
            Err(Error::Invalid {
                what: "objective".into(),
                why: "test".into(),
            })
        };
        assert!(minimise_log_scale(failing, 0.1, 10.0).is_err());
    }
}
