"""Test your own SGLD with pytest and sgbayes — copy this file next to your sampler.

    pip install ./python pytest     # from the sgbayes repository root
    pytest examples/python/test_my_sampler.py

`my_sgld` below stands for your implementation (NumPy here; JAX arrays and torch CPU tensors are
accepted as draws too). sgbayes computes the *exact* stationary law of SGLD at your step size and
batch size — minibatch noise included — so a correct sampler passes at any step size below the
stability limit, and a missing factor of 2 or a wrong N/B scaling fails.
"""

import math

import numpy as np
import pytest

import sgbayes
import sgbayes.testing

EPS, BATCH = 1e-3, 10


def my_sgld(features, targets, eps, batch, steps, seed, noise_scale=1.0):
    """SGLD on Bayesian linear regression (noise variance 1, prior precision 1):
    θ ← θ − (ε/2) ĝ(θ) + √ε ξ with ĝ(θ) = θ + (N/B) Σ_{i∈S} x_i (x_i·θ − y_i)."""
    n, d = features.shape
    rng = np.random.default_rng(seed)
    theta = np.zeros(d)
    draws = np.empty((steps, d))
    for t in range(steps):
        idx = rng.integers(0, n, size=batch)
        x, y = features[idx], targets[idx]
        grad = theta + (n / batch) * x.T @ (x @ theta - y)
        theta = theta - 0.5 * eps * grad + noise_scale * math.sqrt(eps) * rng.standard_normal(d)
        draws[t] = theta
    return draws


@pytest.fixture(scope="module")
def problem():
    return sgbayes.Problem.linear_regression(dim=3, data=200, seed=1)


def test_my_sgld_is_stationary(problem):
    draws = my_sgld(problem.features, problem.targets, EPS, BATCH, steps=60_000, seed=0)
    sgbayes.testing.assert_stationary(
        draws, problem, sampler="sgld", eps=EPS, batch=BATCH, burn_in=2_000
    )


def test_a_wrong_noise_scale_is_caught(problem):
    draws = my_sgld(problem.features, problem.targets, EPS, BATCH, steps=60_000, seed=0, noise_scale=math.sqrt(2))
    with pytest.raises(AssertionError, match="inconsistent"):
        sgbayes.testing.assert_stationary(
            draws, problem, sampler="sgld", eps=EPS, batch=BATCH, burn_in=2_000
        )
