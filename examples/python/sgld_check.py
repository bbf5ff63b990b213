"""Check an SGLD written in another language (Python/numpy) with `sgbayes check`.

Usage (from the project root, after `cargo build --release`):
    python3 examples/python/sgld_check.py target/release/sgbayes

It exports a problem with `sgbayes problem`, runs an independent numpy SGLD (Welling & Teh 2011,
theta <- theta - (eps/2) g_hat + sqrt(eps) xi, minibatches with replacement), writes the draws as a
float64 .npy and asks `sgbayes check` for a verdict. A correct implementation must be accepted
(exit 0); two deliberately wrong ones (noise sqrt(2 eps); the N/B factor dropped) must be rejected
(exit 1). Exits non-zero if any verdict is not the expected one.
"""
import json
import os
import subprocess
import sys
import tempfile

import numpy as np

BIN = sys.argv[1]
tmp = tempfile.mkdtemp(prefix="sgbayes-python-")
problem_path = os.path.join(tmp, "problem.json")
with open(problem_path, "w") as f:
    f.write(subprocess.run([BIN, "problem", "linear-regression", "--dim", "3", "--data", "200", "--seed", "11"],
                           check=True, capture_output=True, text=True).stdout)
problem = json.load(open(problem_path))
X = np.asarray(problem["features"])
y = np.asarray(problem["targets"])
s2 = problem["noise_variance"]
lam = problem["prior_precision"]
N, D = X.shape
B, eps = 10, 2e-4


def sgld(noise_factor=1.0, rescale=True, steps=400_000, burn_in=20_000, seed=5):
    rng = np.random.default_rng(seed)
    precision = lam * np.eye(D) + X.T @ X / s2
    theta = np.linalg.solve(precision, X.T @ y / s2)
    idx_all = rng.integers(0, N, size=(steps + burn_in, B))
    noise_all = rng.standard_normal((steps + burn_in, D))
    draws = np.empty((steps, D))
    scale = N / B if rescale else 1.0
    for t in range(steps + burn_in):
        idx = idx_all[t]
        Xb = X[idx]
        grad = lam * theta + scale * Xb.T @ (Xb @ theta - y[idx]) / s2
        theta = theta - 0.5 * eps * grad + noise_factor * np.sqrt(eps) * noise_all[t]
        if t >= burn_in:
            draws[t - burn_in] = theta
    return draws


def verdict(draws, name):
    path = os.path.join(tmp, name + ".npy")
    np.save(path, draws)
    r = subprocess.run([BIN, "check", "--problem", problem_path, "--sampler", "sgld", "--eps", str(eps),
                        "--batch", str(B), "--batching", "with-replacement", "--draws", path, "--alpha", "1e-4"],
                       capture_output=True, text=True)
    summary = json.loads(r.stdout)["p_value"] if r.returncode in (0, 1) else r.stderr.strip()
    print(f"{name}: exit {r.returncode} (p = {summary})")
    return r.returncode


failures = 0
failures += verdict(sgld(), "correct") != 0
failures += verdict(sgld(noise_factor=np.sqrt(2.0)), "noise_sqrt_2eps") != 1
# Without N/B the chain also mixes ~N/B times slower, so it needs a longer run for a verdict.
failures += verdict(sgld(rescale=False, steps=1_200_000), "no_N_over_B") != 1
print(f"{3 - failures} passed, {failures} failed")
sys.exit(1 if failures else 0)
