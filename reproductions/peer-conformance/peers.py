#!/usr/bin/env python3
"""Run the SG-MCMC samplers of blackjax, SGMCMCJax and jax-sgmc on problems exported by `sgbayes problem`.

Run once per library, inside a virtual environment holding that library (run.sh makes them):

    python peers.py --library blackjax  --problems DIR --out DIR [--only SUBSTRING]
    python peers.py --library sgmcmcjax --problems DIR --out DIR [--only SUBSTRING]
    python peers.py --library jax-sgmc  --problems DIR --out DIR [--only SUBSTRING]

For every case it writes OUT/draws/<case>.npy (float64, [draws, D], exactly the positions the
library returned, after the case's subsampling to trajectory / cycle / epoch ends) and
OUT/runs/<case>.json: the library's parameters, the sgbayes sampler and flags they map to (derived
from the library's update in the installed version's source; the derivations are in README.md),
the seed, the wall time and the number of non-finite draws. A case whose library call fails is
recorded with the error, never silently dropped.

Models (the problem file's numbers): linear regression, log-likelihood of one example
−(y − x·θ)²/(2σ²), log-prior −λ|θ|²/2; the libraries estimate ∇log p by
∇log prior + N · mean over a minibatch of B indices drawn with replacement. Every chain starts at
the posterior mean and runs in float64 (jax_enable_x64), so neither burn-in nor float32 rounding
is what the check sees.
"""
import argparse
import json
import os
import platform
import sys
import time

import numpy as np

SEED = 20261205


# ----------------------------------------------------------------------------- problems
def load_problem(path):
    with open(path) as f:
        p = json.load(f)
    X = np.asarray(p["features"], dtype=np.float64)
    y = np.asarray(p["targets"], dtype=np.float64)
    s2 = float(p["noise_variance"])
    lam = float(p["prior_precision"])
    prec = lam * np.eye(X.shape[1]) + X.T @ X / s2
    mean = np.linalg.solve(prec, X.T @ y / s2)
    return dict(X=X, y=y, s2=s2, lam=lam, prec=prec, mean=mean,
                eig_max=float(np.linalg.eigvalsh(prec)[-1]), path=os.path.abspath(path))


def jax_model(prob):
    import jax.numpy as jnp

    s2, lam = prob["s2"], prob["lam"]

    def loglik(theta, x, y):  # one example
        r = y - jnp.dot(x, theta)
        return -0.5 * r * r / s2

    def logprior(theta):
        return -0.5 * lam * jnp.dot(theta, theta)

    return loglik, logprior


# ----------------------------------------------------------------------------- blackjax
def bj_minibatches(prob, key, n, batch):
    """n minibatches of `batch` indices drawn uniformly with replacement (the user's job in blackjax)."""
    import jax

    return jax.random.randint(key, (n, batch), 0, prob["X"].shape[0])


def bj_grad(prob):
    import blackjax

    loglik, logprior = jax_model(prob)
    return blackjax.sgmcmc.grad_estimator(logprior, lambda th, b: loglik(th, b[0], b[1]),
                                          prob["X"].shape[0])


def bj_run(prob, step, init_state, get_position, n, batch, seed):
    """Scan `step(key, state, minibatch)` n times; the draws are get_position(state) after each call."""
    import jax
    import jax.numpy as jnp

    X, y = jnp.asarray(prob["X"]), jnp.asarray(prob["y"])
    kb, ks = jax.random.split(jax.random.PRNGKey(seed))
    idx = bj_minibatches(prob, kb, n, batch)
    keys = jax.random.split(ks, n)

    def body(state, inp):
        k, i = inp
        state = step(k, state, (X[i], y[i]))
        return state, get_position(state)

    run = jax.jit(lambda s0: jax.lax.scan(body, s0, (keys, idx))[1])
    return np.asarray(run(init_state))


def blackjax_sgld(prob, c):
    import blackjax
    import jax.numpy as jnp

    alg = blackjax.sgld(bj_grad(prob))
    h, T = c["peer"]["step_size"], c["peer"].get("temperature", 1.0)
    return bj_run(prob, lambda k, s, mb: alg.step(k, s, mb, h, T), jnp.asarray(prob["mean"]),
                  lambda s: s, c["steps"], c["batch"], c["seed"])


def blackjax_sgld_cv(prob, c):
    import blackjax
    import jax.numpy as jnp

    grad = bj_grad(prob)
    data = (jnp.asarray(prob["X"]), jnp.asarray(prob["y"]))
    cv = blackjax.sgmcmc.gradients.control_variates(grad, jnp.asarray(prob["mean"]), data)
    alg = blackjax.sgld(cv)
    h = c["peer"]["step_size"]
    return bj_run(prob, lambda k, s, mb: alg.step(k, s, mb, h), jnp.asarray(prob["mean"]),
                  lambda s: s, c["steps"], c["batch"], c["seed"])


def blackjax_sghmc(prob, c):
    import blackjax
    import jax.numpy as jnp

    p = c["peer"]
    alg = blackjax.sghmc(bj_grad(prob), num_integration_steps=p["num_integration_steps"],
                         alpha=p["alpha"])
    h = p["step_size"]
    # One call of `step` = one trajectory (momentum re-drawn, one minibatch for all its steps).
    return bj_run(prob, lambda k, s, mb: alg.step(k, s, mb, h), jnp.asarray(prob["mean"]),
                  lambda s: s, c["steps"], c["batch"], c["seed"])


def blackjax_sgnht(prob, c):
    import blackjax
    import jax
    import jax.numpy as jnp

    p = c["peer"]
    alg = blackjax.sgnht(bj_grad(prob), alpha=p["alpha"])
    state0 = alg.init(jnp.asarray(prob["mean"]), jax.random.PRNGKey(c["seed"] + 1))
    h = p["step_size"]
    return bj_run(prob, lambda k, s, mb: alg.step(k, s, mb, h), state0,
                  lambda s: s.position, c["steps"], c["batch"], c["seed"])


def blackjax_csgld(prob, c):
    import blackjax
    import jax.numpy as jnp

    loglik, logprior = jax_model(prob)
    N = prob["X"].shape[0]
    ll = lambda th, b: loglik(th, b[0], b[1])  # noqa: E731
    logd = blackjax.sgmcmc.gradients.logdensity_estimator(logprior, ll, N)
    p = c["peer"]
    alg = blackjax.csgld(logd, bj_grad(prob), zeta=p["zeta"])
    state0 = alg.init(jnp.asarray(prob["mean"]))
    h, hs = p["step_size_diff"], p["step_size_stoch"]
    return bj_run(prob, lambda k, s, mb: alg.step(k, s, mb, h, hs), state0,
                  lambda s: s.position, c["steps"], c["batch"], c["seed"])


# ----------------------------------------------------------------------------- SGMCMCJax
def sg_run(builder, prob, c, *args, **kwargs):
    import jax
    import jax.numpy as jnp

    loglik, logprior = jax_model(prob)
    data = (jnp.asarray(prob["X"]), jnp.asarray(prob["y"]))
    sampler = builder(*args[:1], *c.get("pre_args", ()), loglik, logprior, data, c["batch"],
                      *args[1:], pbar=False, **kwargs)
    return np.asarray(sampler(jax.random.PRNGKey(c["seed"]), c["steps"], jnp.asarray(prob["mean"])))


def sgmcmcjax_sgld(prob, c):
    from sgmcmcjax.samplers import build_sgld_sampler

    return sg_run(build_sgld_sampler, prob, c, c["peer"]["dt"])


def sgmcmcjax_sgld_cyclical(prob, c):
    from sgmcmcjax.diffusions import cyclical_schedule
    from sgmcmcjax.samplers import build_sgld_sampler

    p = c["peer"]
    sched = cyclical_schedule(p["alpha_0"], p["M"], p["K"])
    draws = sg_run(build_sgld_sampler, prob, dict(c, steps=p["K"]), sched)
    # The cycle length is ⌈K/M⌉ steps and step i uses the phase mod(i − 1, ⌈K/M⌉): the state
    # after step i ends a whole cycle when i ≡ 0 mod ⌈K/M⌉.
    cycle = -(-p["K"] // p["M"])
    return draws[cycle::cycle]


def sgmcmcjax_sgld_cv(prob, c):
    import jax.numpy as jnp
    from sgmcmcjax.samplers import build_sgldCV_sampler

    return sg_run(build_sgldCV_sampler, prob, c, c["peer"]["dt"], jnp.asarray(prob["mean"]))


def sgmcmcjax_sgld_svrg(prob, c):
    from sgmcmcjax.samplers import build_sgld_SVRG_sampler

    K = c["peer"]["update_rate"]
    draws = sg_run(build_sgld_SVRG_sampler, prob, c, c["peer"]["dt"], K)
    # The anchor is reset to the position after call i for i ≡ 0 mod K: those are the epoch ends.
    return draws[K::K]


def sgmcmcjax_psgld(prob, c):
    from sgmcmcjax.samplers import build_psgld_sampler

    p = c["peer"]
    return sg_run(build_psgld_sampler, prob, c, p["dt"], p["alpha"], p["eps"])


def sgmcmcjax_sghmc(prob, c):
    from sgmcmcjax.samplers import build_sghmc_sampler

    p = c["peer"]
    c = dict(c, pre_args=(p["L"],))
    # One sample = the position at the end of a trajectory of L steps.
    return sg_run(build_sghmc_sampler, prob, c, p["dt"], p["alpha"])


def sgmcmcjax_sgnht(prob, c):
    from sgmcmcjax.samplers import build_sgnht_sampler

    return sg_run(build_sgnht_sampler, prob, c, c["peer"]["dt"], c["peer"]["a"])


def sgmcmcjax_baoab(prob, c):
    from sgmcmcjax.samplers import build_baoab_sampler

    p = c["peer"]
    return sg_run(build_baoab_sampler, prob, c, p["dt"], p["gamma"], p.get("tau", 1.0))


def sgmcmcjax_baoab_assembled(prob, c):
    """SGMCMCJax 0.2.13's own `baoab` diffusion and Langevin kernel, joined with both halves of the
    splitting (the release's build_baoab_kernel unpacks the pair into one name, so only the closing
    half-kick runs and the positions never move)."""
    import jax
    import jax.numpy as jnp
    from sgmcmcjax.diffusions import baoab
    from sgmcmcjax.gradient_estimation import build_gradient_estimation_fn
    from sgmcmcjax.kernels import _build_langevin_kernel
    from sgmcmcjax.samplers import _build_compiled_sampler
    from sgmcmcjax.util import build_grad_log_post

    loglik, logprior = jax_model(prob)
    data = (jnp.asarray(prob["X"]), jnp.asarray(prob["y"]))
    p = c["peer"]
    grad_log_post = build_grad_log_post(loglik, logprior, data)
    estimate, init_gradient = build_gradient_estimation_fn(grad_log_post, data, c["batch"])
    init_diff, halves, get_params_diff = baoab(p["dt"], p["gamma"], p.get("tau", 1.0))
    init_fn, kernel, get_params = _build_langevin_kernel(init_diff, halves, get_params_diff,
                                                         estimate, init_gradient)
    sampler = _build_compiled_sampler(init_fn, kernel, get_params, pbar=False)
    return np.asarray(sampler(jax.random.PRNGKey(c["seed"]), c["steps"], jnp.asarray(prob["mean"])))


def sgmcmcjax_badodab(prob, c):
    from sgmcmcjax.samplers import build_badodab_sampler

    return sg_run(build_badodab_sampler, prob, c, c["peer"]["dt"], c["peer"]["a"])


# ----------------------------------------------------------------------------- jax-sgmc
def jaxsgmc_potential(prob):
    from jax_sgmc import potential
    from jax_sgmc.data.numpy_loader import NumpyDataLoader

    loglik, logprior = jax_model(prob)
    pot = potential.minibatch_potential(logprior, lambda th, obs: loglik(th, obs["x"], obs["y"]),
                                        strategy="vmap")
    return pot, NumpyDataLoader(x=prob["X"], y=prob["y"])


def jaxsgmc_sgld_alias(prob, c):
    """`alias.sgld` as documented, with first_step_size = last_step_size (a constant step)."""
    import jax.numpy as jnp
    from jax_sgmc import alias

    pot, loader = jaxsgmc_potential(prob)
    p = c["peer"]
    run = alias.sgld(pot, loader, cache_size=512, batch_size=c["batch"],
                     first_step_size=p["first_step_size"], last_step_size=p["last_step_size"],
                     burn_in=0, accepted_samples=c["steps"], progress_bar=False)
    return np.asarray(run(jnp.asarray(prob["mean"]), iterations=c["steps"])[0]["samples"]["variables"])


def jaxsgmc_sgld_constant(prob, c):
    """The library's Langevin integrator, solver and scheduler as `alias.sgld` joins them, with a
    constant step (polynomial_step_size with gamma = 0) and every step kept (no random thinning)."""
    import jax
    import jax.numpy as jnp
    from jax_sgmc import data, integrator, io, scheduler, solver

    pot, loader = jaxsgmc_potential(prob)
    batches = data.random_reference_data(loader, 512, c["batch"])
    sgmc = solver.sgmc(integrator.langevin_diffusion(pot, batches))
    sched = scheduler.init_scheduler(
        step_size=scheduler.polynomial_step_size(a=c["peer"]["step_size"], b=1.0, gamma=0.0),
        burn_in=scheduler.initial_burn_in(0), progress_bar=False)
    mcmc = solver.mcmc(sgmc, sched, strategy="map", saving=io.save(io.MemoryCollector()))
    state = sgmc[0](jnp.asarray(prob["mean"]), key=jax.random.PRNGKey(c["seed"]),
                    batch_kwargs={"seed": c["seed"]})
    return np.asarray(mcmc(state, iterations=c["steps"])[0]["samples"]["variables"])


# ----------------------------------------------------------------------------- cases
def cases(problems):
    """Every case: the library's call, and the sgbayes sampler + flags it maps to.

    Mappings (ε is sgbayes' step: SGLD θ ← θ − (ε/2)ĝ + √(εT) ξ, SGHMC Chen's v-form):
      blackjax sgld(h, T)                      → sgld ε = 2h, temperature T
      blackjax sghmc(h, alpha, L)              → sghmc ε = h², friction αh, refresh every L,
                                                 position first, one batch per trajectory
      blackjax sgnht(h, alpha)                 → sgnht ε = h, friction (thermostat start) α,
                                                 position first
      SGMCMCJax sgld(dt)                       → sgld ε = 2dt
      SGMCMCJax sgldCV(dt, centre)             → sgld-cv ε = 2dt, anchor = centre
      SGMCMCJax sgld_SVRG(dt, K)               → svrg-ld ε = 2dt, epoch length K
      SGMCMCJax psgld(dt, alpha, eps)          → psgld-rmsprop ε = dt (not 2dt), decay alpha,
                                                 regulariser eps, RMS of the full estimate
      SGMCMCJax sghmc(dt, L, alpha)            → sghmc ε = dt, friction α, refresh every L,
                                                 position first, fresh batches
      SGMCMCJax sgnht(dt, a)                   → sgnht ε = √dt, friction a/√dt (its v = p h form
                                                 of Ding et al.'s Algorithm 1, velocity first)
      SGMCMCJax baoab(dt, gamma, tau)          → baoab ε = dt², friction γ, temperature tau²
      SGMCMCJax cyclical_schedule(α0, M, K)    → sgld ε = 2α0, schedule cyclical, cycle K/M
    """
    lr, gm = problems["lr"], problems["gm"]
    out = []

    def add(name, library, sampler, problem, batch, steps, peer, flags, run, note="", burn_in=0.1,
            planned=True):
        out.append(dict(name=name, library=library, sampler=sampler, problem=problem, batch=batch,
                        steps=steps, peer=peer, flags=flags, run=run, note=note,
                        burn_in=burn_in, planned=planned, seed=SEED + len(out)))

    # --- blackjax -----------------------------------------------------------------------------
    h = 0.0025
    add("blackjax-sgld", "blackjax", "sgld", "lr", 10, 200_000, {"step_size": h},
        {"sampler": "sgld", "eps": 2 * h}, blackjax_sgld)
    add("blackjax-sgld-cold", "blackjax", "sgld (T = 0.5)", "lr", 10, 200_000,
        {"step_size": h, "temperature": 0.5},
        {"sampler": "sgld", "eps": 2 * h, "temperature": 0.5}, blackjax_sgld)
    add("blackjax-sgld-cv", "blackjax", "sgld + control_variates", "lr", 10, 200_000,
        {"step_size": h, "centering_position": "posterior mode"},
        {"sampler": "sgld-cv", "eps": 2 * h, "anchor": "mode"}, blackjax_sgld_cv)
    # SGHMC on the Gaussian-mean model (the law of one batch per trajectory is exact there).
    eps_g = 2.4e-3   # ε λ_max = 0.05: half the position-first limit α = 0.1 (λ_max = N + 1 = 21)
    hg = float(np.sqrt(eps_g))
    for L, tag in ((10, "L10"), (1, "L1")):
        add(f"blackjax-sghmc-{tag}", "blackjax", f"sghmc (L = {L}{', the default' if L == 10 else ''})",
            "gm", 3, 100_000 if L == 10 else 20_000,
            {"step_size": hg, "alpha": 0.1 / hg, "num_integration_steps": L},
            {"sampler": "sghmc", "eps": eps_g, "friction": 0.1, "refresh_every": L,
             "order": "position-first", "batch_per_trajectory": L > 1},
            blackjax_sghmc,
            note="" if L > 1 else "with L = 1 one batch per trajectory is fresh batches; "
            "no gradient reaches the position")
    # The same blackjax draws checked against fresh batches: what the reused batch costs.
    add("blackjax-sghmc-L10-as-fresh", "blackjax", "sghmc (L = 10) checked as fresh batches", "gm", 3,
        100_000, {"step_size": hg, "alpha": 0.1 / hg, "num_integration_steps": 10},
        {"sampler": "sghmc", "eps": eps_g, "friction": 0.1, "refresh_every": 10,
         "order": "position-first"}, blackjax_sghmc,
        note="deliberately wrong mapping (no --batch-per-trajectory): measures the reused batch's bias")
    # blackjax's default alpha = 0.01 at a step inside SGLD's range: past the position-first limit.
    hd = 0.03
    add("blackjax-sghmc-default-alpha", "blackjax", "sghmc (alpha = 0.01, L = 10: the defaults)",
        "gm", 3, 20_000, {"step_size": hd, "alpha": 0.01, "num_integration_steps": 10},
        {"sampler": "sghmc", "eps": hd * hd, "friction": 0.01 * hd, "refresh_every": 10,
         "order": "position-first", "batch_per_trajectory": True}, blackjax_sghmc,
        note="h λ_max = 0.63 > alpha = 0.01: past the per-step limit, the refreshed trajectory is stable")
    hn = 0.01
    add("blackjax-sgnht", "blackjax", "sgnht", "lr", 10, 200_000, {"step_size": hn, "alpha": 0.1},
        {"sampler": "sgnht", "eps": hn, "friction": 0.1, "order": "position-first"}, blackjax_sgnht)
    hn2 = 0.03   # h²λ_max = 0.12, but position first needs the thermostat ξ > h λ_max = 4.1
    add("blackjax-sgnht-blowup", "blackjax", "sgnht (step_size 0.03, alpha 0.01)", "lr", 10, 20_000,
        {"step_size": hn2, "alpha": 0.01},
        {"sampler": "sgnht", "eps": hn2, "friction": 0.01, "order": "position-first"}, blackjax_sgnht)
    add("blackjax-csgld-zeta0", "blackjax", "csgld (zeta = 0)", "lr", 10, 200_000,
        {"step_size_diff": h, "step_size_stoch": 0.01, "zeta": 0.0},
        {"sampler": "sgld", "eps": 2 * h}, blackjax_csgld,
        note="zeta = 0 is SGLD; NaN once the energy histogram entry below the chain's underflows")
    add("blackjax-csgld", "blackjax", "csgld (zeta = 1, defaults)", "lr", 10, 200_000,
        {"step_size_diff": h, "step_size_stoch": 0.01, "zeta": 1.0},
        {"sampler": "sgld", "eps": 2 * h}, blackjax_csgld,
        note="zeta > 0 targets a flattened density by design: the draws need importance weights, "
             "so inconsistency with SGLD's law is expected")

    # --- SGMCMCJax ----------------------------------------------------------------------------
    dt = 0.0025
    add("sgmcmcjax-sgld", "sgmcmcjax", "sgld", "lr", 10, 200_000, {"dt": dt},
        {"sampler": "sgld", "eps": 2 * dt}, sgmcmcjax_sgld)
    add("sgmcmcjax-sgld-cv", "sgmcmcjax", "sgldCV", "lr", 10, 200_000,
        {"dt": dt, "centering_value": "posterior mode"},
        {"sampler": "sgld-cv", "eps": 2 * dt, "anchor": "mode"}, sgmcmcjax_sgld_cv)
    add("sgmcmcjax-sgld-svrg", "sgmcmcjax", "sgld_SVRG", "lr", 10, 400_000,
        {"dt": dt, "update_rate": 10},
        {"sampler": "svrg-ld", "eps": 2 * dt, "epoch_length": 10}, sgmcmcjax_sgld_svrg)
    add("sgmcmcjax-psgld", "sgmcmcjax", "psgld", "lr", 10, 400_000,
        {"dt": 2e-4, "alpha": 0.999, "eps": 1e-5},
        {"sampler": "psgld-rmsprop", "eps": 2e-4, "rmsprop_decay": 0.999,
         "rmsprop_regularizer": 1e-5, "rms_of": "full-estimate"}, sgmcmcjax_psgld)
    add("sgmcmcjax-psgld-default", "sgmcmcjax", "psgld (alpha = 0.99, the default)", "lr", 10, 400_000,
        {"dt": 2e-4, "alpha": 0.99, "eps": 1e-5},
        {"sampler": "psgld-rmsprop", "eps": 2e-4, "rmsprop_decay": 0.99,
         "rmsprop_regularizer": 1e-5, "rms_of": "full-estimate"}, sgmcmcjax_psgld)
    add("sgmcmcjax-sgld-cyclical", "sgmcmcjax", "sgld + cyclical_schedule", "lr", 10, 1_000_000,
        {"alpha_0": dt, "M": 100_000, "K": 1_000_000},
        {"sampler": "sgld", "eps": 2 * dt, "schedule": "cyclical", "cycle_length": 10},
        sgmcmcjax_sgld_cyclical, note="draws at the cycle ends (every K-th state)")
    for L, steps in ((10, 100_000), (1, 20_000)):
        add(f"sgmcmcjax-sghmc-L{L}", "sgmcmcjax", f"sghmc (L = {L})", "lr", 10, steps,
            {"dt": 3e-4, "L": L, "alpha": 0.1},
            {"sampler": "sghmc", "eps": 3e-4, "friction": 0.1, "refresh_every": L,
             "order": "position-first"}, sgmcmcjax_sghmc)
    add("sgmcmcjax-sghmc-unstable", "sgmcmcjax", "sghmc (dt = 1e-3, L = 50)", "lr", 10, 2_000,
        {"dt": 1e-3, "L": 50, "alpha": 0.1},
        {"sampler": "sghmc", "eps": 1e-3, "friction": 0.1, "refresh_every": 50,
         "order": "position-first"}, sgmcmcjax_sghmc, note="ε λ_max = 0.136 > α = 0.1")
    # Ding et al.'s Algorithm 2 (v = p h) with dt = h², a = A h: Algorithm 1 with h = √dt, A = a/√dt.
    add("sgmcmcjax-sgnht", "sgmcmcjax", "sgnht (a = 0.01, the default)", "lr", 10, 200_000,
        {"dt": 1e-4, "a": 0.01},
        {"sampler": "sgnht", "eps": 0.01, "friction": 1.0}, sgmcmcjax_sgnht)
    add("sgmcmcjax-baoab", "sgmcmcjax", "baoab", "lr", 10, 200_000, {"dt": 0.01, "gamma": 10.0},
        {"sampler": "baoab", "eps": 1e-4, "friction": 10.0}, sgmcmcjax_baoab,
        note="the release's build_baoab_kernel passes the closing half-kick twice: positions never move")
    add("sgmcmcjax-baoab-assembled", "sgmcmcjax", "baoab (kernel assembled from its own parts)", "lr",
        10, 200_000, {"dt": 0.01, "gamma": 10.0},
        {"sampler": "baoab", "eps": 1e-4, "friction": 10.0}, sgmcmcjax_baoab_assembled,
        note="the library's own baoab diffusion and Langevin kernel, both halves of the splitting")
    add("sgmcmcjax-baoab-tau", "sgmcmcjax", "baoab (assembled, tau = 0.7)", "lr",
        10, 200_000, {"dt": 0.01, "gamma": 10.0, "tau": 0.7},
        {"sampler": "baoab", "eps": 1e-4, "friction": 10.0, "temperature": 0.49},
        sgmcmcjax_baoab_assembled,
        note="its tau multiplies the refresh noise: temperature T = tau² = 0.49")
    add("sgmcmcjax-badodab", "sgmcmcjax", "badodab", "lr", 10, 200_000, {"dt": 0.05, "a": 0.1},
        {"sampler": "badodab", "eps": 0.0025, "friction": 0.1}, sgmcmcjax_badodab,
        note="adaptive-thermostat splitting (Leimkuhler & Shang 2016)", planned=False)

    # --- jax-sgmc -----------------------------------------------------------------------------
    # Langevin step x − h∇U + √(2Th) ξ, U = −log prior − N · mean_batch(log lik), batches drawn
    # with replacement (the loader's default): ε = 2h.
    add("jax-sgmc-sgld", "jax-sgmc", "langevin_diffusion, constant step", "lr", 10, 200_000,
        {"step_size": h}, {"sampler": "sgld", "eps": 2 * h}, jaxsgmc_sgld_constant,
        note="the library's integrator, scheduler and solver with a constant step")
    add("jax-sgmc-sgld-alias", "jax-sgmc", "alias.sgld (first_step_size = last_step_size)", "lr", 10,
        20_000, {"first_step_size": h, "last_step_size": h}, {"sampler": "sgld", "eps": 2 * h},
        jaxsgmc_sgld_alias, note="its polynomial schedule through first = last divides by zero")
    return out


# ----------------------------------------------------------------------------- main
def versions(library):
    import jax

    v = {"python": platform.python_version(), "numpy": np.__version__, "jax": jax.__version__}
    try:
        import jaxlib

        v["jaxlib"] = jaxlib.__version__
    except Exception:  # noqa: BLE001
        pass
    from importlib.metadata import version

    v[library] = version(library)
    return v


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--library", choices=["blackjax", "sgmcmcjax", "jax-sgmc"], required=True)
    ap.add_argument("--problems", required=True, help="directory holding lr.json and gm.json")
    ap.add_argument("--out", required=True)
    ap.add_argument("--only", default="", help="run only the cases whose name contains this")
    ap.add_argument("--list", action="store_true", help="print the case names and exit")
    a = ap.parse_args(argv)

    import jax

    jax.config.update("jax_enable_x64", True)
    jax.config.update("jax_platform_name", "cpu")

    problems = {k: load_problem(os.path.join(a.problems, f"{k}.json")) for k in ("lr", "gm")}
    todo = [c for c in cases(problems) if c["library"] == a.library and a.only in c["name"]]
    if a.list:
        print("\n".join(c["name"] for c in todo))
        return 0
    os.makedirs(os.path.join(a.out, "draws"), exist_ok=True)
    os.makedirs(os.path.join(a.out, "runs"), exist_ok=True)
    ver = versions(a.library)
    for c in todo:
        prob = problems[c["problem"]]
        rec = {k: c[k] for k in ("name", "library", "sampler", "problem", "batch", "steps", "peer",
                                 "flags", "note", "burn_in", "planned", "seed")}
        rec.update(version=ver[a.library], versions=ver, problem_file=prob["path"],
                   eig_max=prob["eig_max"])
        t0 = time.perf_counter()
        try:
            draws = np.asarray(c["run"](prob, c), dtype=np.float64).reshape(-1, prob["X"].shape[1])
            path = os.path.join(a.out, "draws", f"{c['name']}.npy")
            np.save(path, draws)
            bad = ~np.all(np.isfinite(draws), axis=1)
            rec.update(draws=path, n_draws=int(draws.shape[0]), non_finite=int(bad.sum()),
                       first_non_finite=int(np.argmax(bad)) if bad.any() else None,
                       distinct_rows=int(np.unique(draws, axis=0).shape[0]))
        except Exception as e:  # noqa: BLE001
            rec["error"] = f"{type(e).__name__}: {e}"[:500]
        rec["seconds"] = round(time.perf_counter() - t0, 2)
        with open(os.path.join(a.out, "runs", f"{c['name']}.json"), "w") as f:
            json.dump(rec, f, indent=1)
        print(f"{c['name']}: {rec.get('error') or str(rec['n_draws']) + ' draws'} "
              f"({rec['seconds']} s)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
