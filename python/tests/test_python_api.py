"""The Python package against the library: same numbers as the command line, NumPy samplers judged
right and wrong, input as users have it, errors as exceptions."""

import json
import math

import numpy as np
import pytest

import sgbayes
import sgbayes.conventions
import sgbayes.testing


@pytest.fixture(scope="module")
def problem():
    return sgbayes.Problem.linear_regression(dim=2, data=100, seed=3)


def numpy_sgld(problem, eps, batch, steps, seed, noise_factor=1.0, drop_scaling=False):
    """SGLD written in NumPy: θ ← θ − (ε/2) ĝ + √ε ξ, ĝ = λθ + (N/B) Σ_S x_i (x_i·θ − y_i)/σ²
    (noise variance σ² = 1 and prior precision λ = 1: the problem's defaults)."""
    x, y = problem.features, problem.targets
    n = len(y)
    rng = np.random.default_rng(seed)
    theta = np.linalg.solve(x.T @ x + np.eye(x.shape[1]), x.T @ y)  # the posterior mean
    scale = 1.0 if drop_scaling else n / batch
    out = np.empty((steps, x.shape[1]))
    for t in range(steps):
        idx = rng.integers(0, n, size=batch)
        xb = x[idx]
        grad = theta + scale * xb.T @ (xb @ theta - y[idx])
        theta = theta - 0.5 * eps * grad + math.sqrt(eps) * noise_factor * rng.standard_normal(theta.shape)
        out[t] = theta
    return out


def test_problem_round_trip_and_arrays(problem):
    text = problem.to_json()
    again = sgbayes.Problem.from_json(text)
    assert again.to_json() == text
    assert problem.features.shape == (100, 2)
    assert problem.targets.shape == (100,)
    assert problem.features.dtype == np.float64
    assert json.loads(text)["model"] == "linear_regression"


def test_theory_has_the_laws_as_numpy(problem):
    t = problem.theory("sgld", eps=1e-3, batch=10)
    assert t.posterior.mean.shape == (2,)
    assert t.stationary.covariance.shape == (2, 2)
    # SGLD's stationary mean is exact on linear regression; its covariance is inflated.
    np.testing.assert_allclose(t.stationary.mean, t.posterior.mean, rtol=1e-9, atol=1e-12)
    assert np.trace(t.stationary.covariance) > np.trace(t.posterior.covariance)
    assert t.temperature == 1
    assert t.stability_limit > 1e-3
    assert t.kl_stationary_to_posterior > 0


def test_sample_is_reproducible_and_shaped(problem):
    a = sgbayes.sample(problem, "sgld", eps=1e-3, batch=10, steps=2000, thin=2, seed=5)
    b = sgbayes.sample(problem, "sgld", eps=1e-3, batch=10, steps=2000, thin=2, seed=5)
    assert a.shape == (1000, 2) and a.dtype == np.float64
    assert np.array_equal(a, b)


def test_our_own_sgld_is_consistent(problem):
    draws = sgbayes.sample(problem, "sgld", eps=1e-3, batch=10, steps=200_000, thin=10, seed=11)
    result = sgbayes.check(draws, problem, "sgld", eps=1e-3, batch=10)
    assert result.consistent, result.summary()
    assert result.verdict == "consistent"
    assert 0.0 <= result.p_value <= 1.0


def test_numpy_sgld_accepted_and_a_wrong_one_rejected(problem):
    good = numpy_sgld(problem, eps=1e-3, batch=10, steps=60_000, seed=1)
    sgbayes.testing.assert_stationary(good[1000:], problem, sampler="sgld", eps=1e-3, batch=10)
    wrong = numpy_sgld(problem, eps=1e-3, batch=10, steps=60_000, seed=1, noise_factor=math.sqrt(2.0))
    with pytest.raises(AssertionError):
        sgbayes.testing.assert_stationary(wrong[1000:], problem, sampler="sgld", eps=1e-3, batch=10)


def test_float32_and_lists_are_accepted(problem):
    draws = sgbayes.sample(problem, "sgld", eps=1e-3, batch=10, steps=200_000, thin=10, seed=2)
    as32 = draws.astype(np.float32)
    result = sgbayes.check(as32, problem, "sgld", eps=1e-3, batch=10)
    assert result.verdict in ("consistent", "inconsistent")
    fortran = np.asfortranarray(draws)
    assert sgbayes.check(fortran, problem, "sgld", eps=1e-3, batch=10).verdict == sgbayes.check(
        draws, problem, "sgld", eps=1e-3, batch=10
    ).verdict


def test_errors_are_sgbayes_errors(problem):
    assert issubclass(sgbayes.SgbayesError, ValueError)
    with pytest.raises(sgbayes.SgbayesError, match="step size"):
        problem.theory("sgld", eps=-1.0, batch=10)
    with pytest.raises(sgbayes.SgbayesError, match="batch"):
        problem.theory("sgld", eps=1e-3, batch=0)
    with pytest.raises(sgbayes.SgbayesError):
        problem.theory("no-such-sampler", eps=1e-3, batch=10)
    with pytest.raises(sgbayes.SgbayesError, match="friction"):
        problem.theory("sgld", eps=1e-3, batch=10, friction=0.1)
    bad = np.zeros((1000, 2))
    bad[17, 1] = np.nan
    with pytest.raises(sgbayes.SgbayesError, match="row"):
        sgbayes.check(bad, problem, "sgld", eps=1e-3, batch=10)
    with pytest.raises(sgbayes.SgbayesError):
        sgbayes.check(np.zeros((1000, 3)), problem, "sgld", eps=1e-3, batch=10)
    with pytest.raises(sgbayes.SgbayesError):
        sgbayes.Problem.from_json("{not json")


def test_conventions_map_blackjax_sgld():
    flags = sgbayes.conventions.blackjax_sgld(step_size=5e-4)
    assert flags == {"sampler": "sgld", "eps": 1e-3}
    flags = sgbayes.conventions.sgmcmcjax_sgld(dt=5e-4)
    assert flags["eps"] == 1e-3
    with pytest.raises(ValueError):
        sgbayes.conventions.blackjax_sgld(step_size=0.0)


def test_conventions_feed_check(problem):
    draws = sgbayes.sample(problem, "sgld", eps=1e-3, batch=10, steps=200_000, thin=10, seed=4)
    flags = sgbayes.conventions.blackjax_sgld(step_size=5e-4)
    result = sgbayes.check(draws, problem, batch=10, **flags)
    assert result.consistent, result.summary()


def test_too_few_draws_is_an_error_saying_how_many(problem):
    draws = sgbayes.sample(problem, "sgld", eps=1e-3, batch=10, steps=300, seed=3)
    with pytest.raises(sgbayes.SgbayesError, match="draw"):
        sgbayes.check(draws, problem, "sgld", eps=1e-3, batch=10)


def test_tolerance_check_tells_posterior_from_the_samplers_law(problem):
    """SGLD at ε = 1e-3 with B = 10: its exact law's variance is far (+44 %) above the posterior's,
    so its draws are within tolerance of the law and outside tolerance of the posterior."""
    draws = sgbayes.sample(problem, "sgld", eps=1e-3, batch=10, steps=400_000, seed=11)
    near = sgbayes.check_tolerance(draws, problem, "sgld", eps=1e-3, batch=10, against="reference")
    assert near.within, near.summary()
    far = sgbayes.check_tolerance(draws, problem, "sgld", eps=1e-3, batch=10)
    assert far.verdict == "outside_tolerance", far.summary()
    with pytest.raises(AssertionError, match="variance"):
        sgbayes.testing.assert_within_tolerance(draws, problem, sampler="sgld", eps=1e-3, batch=10)
    with pytest.raises(sgbayes.SgbayesError, match="against"):
        sgbayes.check_tolerance(draws, problem, against="prior")


def test_a_diverging_chain_is_an_error_not_nan_draws(problem):
    with pytest.raises(sgbayes.SgbayesError, match="diverge"):
        sgbayes.sample(problem, "sgnht", eps=0.3, batch=10, steps=10_000, friction=1.0)


def test_sgnht_conventions_map_to_its_flags():
    flags = sgbayes.conventions.blackjax_sgnht(step_size=0.01, alpha=0.5)
    assert flags == {"sampler": "sgnht", "eps": 0.01, "friction": 0.5, "order": "position-first"}
    with pytest.raises(ValueError, match="temperature"):
        sgbayes.conventions.blackjax_sgnht(step_size=0.01, temperature=0.5)
    flags = sgbayes.conventions.sgmcmcjax_sgnht(dt=1e-4, a=0.01)
    assert flags["eps"] == pytest.approx(1e-2) and flags["friction"] == pytest.approx(1.0)


def test_sgmcmcjax_baoab_tau_is_the_square_root_of_the_temperature(problem):
    flags = sgbayes.conventions.sgmcmcjax_baoab(dt=0.01, gamma=5.0)
    assert "temperature" not in flags
    flags = sgbayes.conventions.sgmcmcjax_baoab(dt=0.01, gamma=5.0, tau=0.5)
    assert flags["temperature"] == pytest.approx(0.25)
    assert problem.theory(batch=10, **flags).temperature == pytest.approx(0.25)
    # At a small time step the exact law approaches T times the posterior (BAOAB's minibatch
    # noise is O(h/γ) relative to the thermal one: 0.52 instead of 0.25 at dt = 0.01, γ = 5).
    cold = problem.theory(batch=10, **sgbayes.conventions.sgmcmcjax_baoab(dt=1e-4, gamma=5.0, tau=0.5))
    ratio = np.trace(cold.stationary.covariance) / np.trace(cold.posterior.covariance)
    assert 0.24 < ratio < 0.26, ratio
    with pytest.raises(ValueError, match="tau"):
        sgbayes.conventions.sgmcmcjax_baoab(dt=0.01, gamma=5.0, tau=0.0)
