"""Every problem kind from Python: the same problem, bit for bit, as the command line's
``sgbayes problem KIND`` with the same flags, the same defaults, and clear errors."""

import os
import shutil
import subprocess

import numpy as np
import pytest

import sgbayes


def _binary():
    """The command-line binary to compare with: $SGBAYES_BIN (set by the CI script), else one built
    in this checkout or on the PATH."""
    given = os.environ.get("SGBAYES_BIN")
    if given:
        assert os.path.isfile(given), f"SGBAYES_BIN={given} does not exist"
        return given
    here = os.path.dirname(os.path.abspath(__file__))
    built = os.path.join(here, "..", "..", "target", "release", "sgbayes")
    return built if os.path.isfile(built) else shutil.which("sgbayes")


BINARY = _binary()
needs_binary = pytest.mark.skipif(BINARY is None, reason="no sgbayes binary: set SGBAYES_BIN")

CASES = [
    # (Python constructor call, command-line flags)
    (lambda: sgbayes.Problem.logistic_regression(), ["logistic-regression"]),
    (lambda: sgbayes.Problem.logistic_regression(dim=5, data=300, seed=3, feature_correlation=0.2),
     ["logistic-regression", "--dim", "5", "--data", "300", "--seed", "3", "--feature-correlation", "0.2"]),
    (lambda: sgbayes.Problem.teacher_student(outputs=3, inputs=4, rank=1, data=50, whiten=False, seed=2),
     ["teacher-student", "--outputs", "3", "--inputs", "4", "--rank", "1", "--data", "50", "--no-whiten", "--seed", "2"]),
    (lambda: sgbayes.Problem.two_layer(width=16, activation="relu", scaling="mean-field", teacher="linear"),
     ["two-layer", "--width", "16", "--activation", "relu", "--scaling", "mean-field", "--teacher", "linear"]),
    (lambda: sgbayes.Problem.deep_linear(depth=3, teacher=np.array([2.0, 1.0, 0.5]), label_noise=0.1, data=200),
     ["deep-linear", "--depth", "3", "--teacher", "2,1,0.5", "--label-noise", "0.1", "--data", "200"]),
    (lambda: sgbayes.Problem.tanh_regression(), ["tanh-regression"]),
    (lambda: sgbayes.Problem.gaussian_scale(data=7, parametrisation="scale", scale=2.0),
     ["gaussian-scale", "--data", "7", "--parametrisation", "scale", "--scale", "2"]),
    (lambda: sgbayes.Problem.gaussian_mean(dim=3, data=40, seed=5, noise_variance=4.0),
     ["gaussian-mean", "--dim", "3", "--data", "40", "--seed", "5", "--noise-variance", "4"]),
    (lambda: sgbayes.Problem.from_dataset("diabetes"),
     ["linear-regression", "--dataset", "diabetes", "--standardise"]),
    (lambda: sgbayes.Problem.from_dataset("breast-cancer", model="logistic-regression", intercept=True),
     ["logistic-regression", "--dataset", "breast-cancer", "--standardise", "--intercept"]),
]


@needs_binary
@pytest.mark.parametrize("make, flags", CASES, ids=[" ".join(flags[:1] + flags[1:3]) for _, flags in CASES])
def test_same_problem_as_the_command_line(make, flags):
    cli = subprocess.run([BINARY, "problem", *flags], check=True, capture_output=True, text=True).stdout
    assert make().to_json() == cli.strip()


def test_every_kind_has_a_constructor_and_its_sizes():
    problems = [make() for make, _ in CASES]
    kinds = {p.kind for p in problems}
    assert {"logistic_regression", "teacher_student", "two_layer", "deep_linear", "tanh_regression",
            "gaussian_scale", "gaussian_mean", "linear_regression"} <= kinds, kinds
    for p in problems:
        assert p.dimension >= 1 and p.data_size >= 1
        assert sgbayes.Problem.from_json(p.to_json()).to_json() == p.to_json()


def test_defaults_are_the_libraries_and_omitted_means_default():
    defaults = sgbayes.Problem.defaults("logistic-regression")
    assert defaults["dimension"] == 3 and defaults["feature_correlation"] == 0.6
    explicit = sgbayes.Problem.generate("logistic-regression", seed=0, **{"dim": 3, "data": 1000})
    assert explicit.to_json() == sgbayes.Problem.logistic_regression().to_json()
    assert sgbayes.Problem.defaults("gaussian-scale")["parametrisation"] == "log-scale"


def test_generated_problems_feed_theory():
    problem = sgbayes.Problem.teacher_student(outputs=2, inputs=3, rank=1, data=40)
    theory = problem.theory("sgd", eps=1e-2, batch=4)
    assert theory.stationary.covariance.shape == (6, 6)


def test_bad_constructor_input_is_an_sgbayes_error():
    with pytest.raises(sgbayes.SgbayesError, match="feature_scale"):
        sgbayes.Problem.generate("logistic-regression", dimm=3)
    with pytest.raises(sgbayes.SgbayesError, match="teacher-student"):
        sgbayes.Problem.generate("quadratic")
    with pytest.raises(sgbayes.SgbayesError, match="neither a shipped data set"):
        sgbayes.Problem.from_dataset("no-such-data")
    with pytest.raises(sgbayes.SgbayesError):
        sgbayes.Problem.two_layer(activation="sigmoid")
    with pytest.raises(sgbayes.SgbayesError):
        sgbayes.Problem.logistic_regression(dim=0)
