"""Map the parameters of other SG-MCMC libraries to sgbayes' sampler flags.

Every function returns a plain ``dict`` with the key ``"sampler"`` and the flags of that sampler,
ready to be passed as keyword arguments to :func:`sgbayes.theory`, :func:`sgbayes.sample`,
:func:`sgbayes.check` or :func:`sgbayes.testing.assert_stationary`::

    flags = sgbayes.conventions.blackjax_sgld(step_size=5e-5)
    sgbayes.testing.assert_stationary(draws, problem, batch=32, **flags)

sgbayes' conventions (``docs/samplers.md``): with ĝ(θ) = ∇R(θ) + (N/B) Σ_{i∈S} ∇ℓ_i(θ) the unbiased
minibatch estimate of ∇U (U = −log posterior),

* ``sgld``:  θ ← θ − (ε/2) ĝ(θ) + √(εT) ξ (T = 1: the posterior);
* ``sghmc``: v ← v − ε ĝ(θ) − α v + N(0, 2(α − β̂) ε I); θ ← θ + v (Chen, Fox & Guestrin 2014,
  eq. 15), optionally with the momentum re-drawn every L steps, the position updated first, and one
  minibatch per trajectory — the forms the libraries below ship;
* ``psgld-rmsprop``: θ ← θ − (ε/2) G ĝ + √ε G^{1/2} ξ, G = diag(1 ⊘ (λ + √V)).

Each mapping below was derived from the library's own update as it is in the named version's source
(quoted in the docstring), and is listed in the table of ``docs/python.md``. A mapping that needs a
flag your sgbayes does not know yet is refused by the functions that receive it, with a message
naming the flag — never silently ignored.
"""

from __future__ import annotations

import math
from typing import Any, Dict

__all__ = [
    "blackjax_sgld",
    "blackjax_sghmc",
    "blackjax_sgnht",
    "sgmcmcjax_sgld",
    "sgmcmcjax_sghmc",
    "sgmcmcjax_psgld",
    "sgmcmcjax_sgld_cv",
    "sgmcmcjax_sgld_svrg",
    "sgmcmcjax_baoab",
    "sgmcmcjax_sgnht",
    "posteriors_sgld",
    "torch_sgld",
]

Flags = Dict[str, Any]


def _positive(name: str, value: float) -> float:
    value = float(value)
    if not (math.isfinite(value) and value > 0.0):
        raise ValueError(f"{name} must be positive and finite, got {value!r}")
    return value


def _with_temperature(flags: Flags, temperature: float) -> Flags:
    temperature = _positive("temperature", temperature)
    if temperature != 1.0:
        flags["temperature"] = temperature
    return flags


def blackjax_sgld(step_size: float, temperature: float = 1.0) -> Flags:
    """blackjax ``sgld`` (1.x): ``x + h ∇log p̂(x) + √(2 T h) ξ`` with
    ``log p̂ = log prior + N · mean_batch(log lik)``.

    Matching drift and noise with sgbayes' SGLD gives **ε = 2h** and the same temperature T.
    """
    h = _positive("step_size", step_size)
    return _with_temperature({"sampler": "sgld", "eps": 2.0 * h}, temperature)


def blackjax_sghmc(
    step_size: float,
    alpha: float = 0.01,
    beta: float = 0.0,
    num_integration_steps: int = 10,
) -> Flags:
    """blackjax ``sghmc`` (1.x): per call of ``step``, the momentum is re-drawn p ~ N(0, I), then
    ``num_integration_steps`` = L times, with **one minibatch for the whole trajectory**:
    ``x ← x + h p;  p ← (1 − α h) p + h ∇log p̂(x_old) + √(h (2α − h β)) ξ`` (position first,
    the gradient taken at the position before the move); the draw is the final position.

    With v = h p this is Chen's form with **ε = h²**, friction **α_ours = α h**, gradient-noise
    estimate **β̂ = β h² / 2**, v re-drawn from N(0, ε I) every L steps, position-first order and one
    batch per trajectory. With L = 1 no gradient ever reaches the position: the chain is a random
    walk, and ``check`` says so.
    """
    h = _positive("step_size", step_size)
    alpha = _positive("alpha", alpha)
    steps = int(num_integration_steps)
    if steps < 1:
        raise ValueError(f"num_integration_steps must be at least 1, got {num_integration_steps!r}")
    return {
        "sampler": "sghmc",
        "eps": h * h,
        "friction": alpha * h,
        "noise_estimate": float(beta) * h * h / 2.0,
        "refresh_every": steps,
        "order": "position-first",
        "batch_per_trajectory": True,
    }


def blackjax_sgnht(step_size: float, alpha: float = 0.01, temperature: float = 1.0) -> Flags:
    """blackjax ``sgnht`` (1.x): ``x ← x + h p;  p ← (1 − ξ h) p + h ∇log p̂ + √(2 α h T) ξ;
    ξ ← ξ + h (|p|²/d − T)`` with ξ initialised at α (Ding et al. 2014, position first).

    **ε = h**, thermostat initial value and diffusion **A = α** (``friction``), position-first
    order. SGNHT has no exact stationary law: judge it with :func:`sgbayes.check_tolerance`.
    A temperature other than 1 has no sgbayes counterpart (``ValueError``).
    """
    h = _positive("step_size", step_size)
    if _positive("temperature", temperature) != 1.0:
        raise ValueError("sgbayes' sgnht has no temperature: only temperature = 1 maps")
    return {"sampler": "sgnht", "eps": h, "friction": _positive("alpha", alpha), "order": "position-first"}


def sgmcmcjax_sgnht(dt: float, a: float = 0.01) -> Flags:
    """SGMCMCJax ``build_sgnht_sampler`` (0.2.x): Ding et al.'s Algorithm 1 written in u = h p with
    dt = h² (velocity first). **ε = √dt**, **friction A = a/√dt**."""
    h = math.sqrt(_positive("dt", dt))
    return {"sampler": "sgnht", "eps": h, "friction": _positive("a", a) / h}


def sgmcmcjax_sgld(dt: float) -> Flags:
    """SGMCMCJax ``build_sgld_sampler`` (0.2.x): ``x + dt g + √(2 dt) ξ``, g = ∇(log prior +
    N · mean_batch(log lik)), indices drawn with replacement. **ε = 2 dt**.
    """
    return {"sampler": "sgld", "eps": 2.0 * _positive("dt", dt), "batching": "with-replacement"}


def sgmcmcjax_sghmc(dt: float, L: int, alpha: float = 0.01, beta: float = 0.0) -> Flags:
    """SGMCMCJax ``build_sghmc_sampler`` (0.2.x, Chen et al. 2014 appendix G form): before each
    trajectory v ~ N(0, dt I); then L times ``x ← x + v;  v ← v + dt g − α v + √(2(α − β) dt) ξ``
    (position first, a fresh minibatch each step); the draw is the final position.

    **ε = dt**, friction **α**, gradient-noise estimate **β̂ = β**, v re-drawn every L steps,
    position-first order, a fresh batch every step.
    """
    steps = int(L)
    if steps < 1:
        raise ValueError(f"L must be at least 1, got {L!r}")
    return {
        "sampler": "sghmc",
        "eps": _positive("dt", dt),
        "friction": _positive("alpha", alpha),
        "noise_estimate": float(beta),
        "refresh_every": steps,
        "order": "position-first",
        "batching": "with-replacement",
    }


def sgmcmcjax_sgld_cv(dt: float, centering_value: Any) -> Flags:
    """SGMCMCJax ``build_sgldCV_sampler`` (0.2.x): the SGLD step with the control-variate estimate
    ``g = ∇log p(c) + ∇log p̂_S(x) − ∇log p̂_S(c)`` (full data at the centering value c).
    **ε = 2 dt**, ``anchor`` = c (a flat list of the d parameters), batches with replacement.
    """
    anchor = [float(v) for v in centering_value]
    return {
        "sampler": "sgld-cv",
        "eps": 2.0 * _positive("dt", dt),
        "anchor": anchor,
        "batching": "with-replacement",
    }


def sgmcmcjax_sgld_svrg(dt: float, update_rate: int) -> Flags:
    """SGMCMCJax ``build_sgld_SVRG_sampler`` (0.2.x): the SGLD-CV step with the centering value
    moved to the current position (full gradient there) after kernel calls i ≡ 0 mod K.
    **ε = 2 dt**, ``epoch_length`` = K; the sgbayes draws are the epoch ends, SGMCMCJax's
    ``samples[K::K]``.
    """
    epoch = int(update_rate)
    if epoch < 1:
        raise ValueError(f"update_rate must be at least 1, got {update_rate!r}")
    return {
        "sampler": "svrg-ld",
        "eps": 2.0 * _positive("dt", dt),
        "epoch_length": epoch,
        "batching": "with-replacement",
    }


def sgmcmcjax_baoab(dt: float, gamma: float, tau: float = 1.0) -> Flags:
    """SGMCMCJax ``build_baoab_sampler`` (0.2.x, after upstream commit cb90097: the released 0.2.13
    never moves the positions): B A O A B with time step dt, friction gamma, one minibatch gradient
    per step. **ε = dt²**, ``friction`` = gamma. Its refresh ``v ← c v + tau √(1 − c²) ξ``
    multiplies the noise by tau itself, so the invariant velocity variance is tau² and the
    positions target posterior^(1/tau²): **temperature T = tau²** (not tau).
    """
    temperature = _positive("tau", tau) ** 2
    return _with_temperature(
        {
            "sampler": "baoab",
            "eps": _positive("dt", dt) ** 2,
            "friction": _positive("gamma", gamma),
            "batching": "with-replacement",
        },
        temperature,
    )


def sgmcmcjax_psgld(dt: float, alpha: float = 0.99, eps: float = 1e-5) -> Flags:
    """SGMCMCJax ``build_psgld_sampler`` (0.2.x): ``V ← αV + (1 − α) g²;  G = 1/(√V + eps);
    x ← x + (dt/2) G g + √(dt G) ξ`` where g is the **whole** estimate ∇(log prior + N·mean(log lik))
    (prior and N scaling inside the RMS average).

    Note the trap: unlike its SGLD (ε = 2 dt), here **ε = dt**; decay **α**, regulariser **eps**,
    and the RMS average of the full estimate (``rms_of="full-estimate"``).
    """
    return {
        "sampler": "psgld-rmsprop",
        "eps": _positive("dt", dt),
        "rmsprop_decay": float(alpha),
        "rmsprop_regularizer": _positive("eps", eps),
        "rms_of": "full-estimate",
        "batching": "with-replacement",
    }


def posteriors_sgld(
    lr: float,
    data_size: int,
    temperature: float | None = None,
    log_posterior: str = "mean",
) -> Flags:
    """posteriors (PyTorch) ``sgmcmc.sgld``: ``θ ← θ + lr ∇log_post + √(2 T lr) ξ`` (β = 0).

    With the per-datum **averaged** log posterior the library recommends (``log_posterior="mean"``,
    ∇log_post = −∇U/N, default T = 1/N): **ε = 2 lr / N** and target temperature **T·N**. With a
    **summed** log posterior (``"sum"``, default T = 1): **ε = 2 lr**, temperature **T**.
    """
    lr = _positive("lr", lr)
    n = int(data_size)
    if n < 1:
        raise ValueError(f"data_size must be at least 1, got {data_size!r}")
    if log_posterior == "mean":
        scale = float(n)
        t = 1.0 / n if temperature is None else float(temperature)
    elif log_posterior == "sum":
        scale = 1.0
        t = 1.0 if temperature is None else float(temperature)
    else:
        raise ValueError(f'log_posterior must be "mean" or "sum", got {log_posterior!r}')
    return _with_temperature({"sampler": "sgld", "eps": 2.0 * lr / scale}, t * scale)


def torch_sgld(lr: float, data_size: int, temperature: float = 1.0, loss: str = "sum") -> Flags:
    """torch-sgld ``SGLD`` optimiser (momentum 0): ``θ ← θ − lr ∇loss − √(2 lr T) ξ`` (descent on
    the user's loss).

    If ``loss`` is U itself (``"sum"``): **ε = 2 lr**, temperature T. If it is a batch **mean**
    (U/N, PyTorch's default reduction): **ε = 2 lr / N** and temperature **T·N** — the posterior is
    tempered by N unless T = 1/N.
    """
    lr = _positive("lr", lr)
    n = int(data_size)
    if n < 1:
        raise ValueError(f"data_size must be at least 1, got {data_size!r}")
    if loss == "sum":
        scale = 1.0
    elif loss == "mean":
        scale = float(n)
    else:
        raise ValueError(f'loss must be "sum" or "mean", got {loss!r}')
    return _with_temperature({"sampler": "sgld", "eps": 2.0 * lr / scale}, float(temperature) * scale)
