"""pytest helpers: assert that draws come from a sampler's exact stationary law.

::

    import sgbayes, sgbayes.testing

    def test_my_sgld():
        problem = sgbayes.Problem.linear_regression(dim=3, data=200, seed=1)
        draws = my_sgld(problem.features, problem.targets, eps=1e-3, batch=10, steps=200_000)
        sgbayes.testing.assert_stationary(draws, problem, sampler="sgld", eps=1e-3, batch=10)
"""

from __future__ import annotations

from typing import Any

from . import check as _check
from . import check_tolerance as _check_tolerance

__all__ = ["assert_stationary", "assert_within_tolerance"]


def assert_stationary(draws: Any, problem: Any, *, sampler: str, eps: float, batch: int, **kwargs: Any):
    """Raise ``AssertionError`` unless ``draws`` are consistent with the exact stationary law of
    ``sampler`` at step size ``eps`` and batch size ``batch`` on ``problem``.

    Takes the keyword arguments of :func:`sgbayes.check` (``batching``, ``alpha``, ``burn_in``,
    ``thin``, the sampler's flags). Bad input (non-finite draws, wrong shapes, a configuration
    without an exact law) raises :class:`sgbayes.SgbayesError`; too few effective draws for any
    verdict raises it too, with the number needed. Returns the :class:`sgbayes.CheckResult` when
    the draws are consistent.
    """
    result = _check(draws, problem, sampler=sampler, eps=eps, batch=batch, **kwargs)
    if not result.consistent:
        raise AssertionError(result.summary())
    return result


def assert_within_tolerance(draws: Any, problem: Any, **kwargs: Any):
    """Raise ``AssertionError`` unless the draws' whitened means and variances are shown to lie
    within tolerance of the posterior (or, with ``against="reference"``, of the sampler's law):
    for samplers without an exact law. Takes the keyword arguments of
    :func:`sgbayes.check_tolerance`; "cannot tell" fails too, with the number of draws needed.
    Returns the :class:`sgbayes.ToleranceResult` when within tolerance."""
    result = _check_tolerance(draws, problem, **kwargs)
    if not result.within:
        raise AssertionError(result.summary())
    return result
