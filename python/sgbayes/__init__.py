"""sgbayes: check stochastic-gradient samplers against the exact stationary laws of solvable models.

The Rust library, compiled into this package (no second implementation of anything)::

    import numpy as np, sgbayes

    problem = sgbayes.Problem.linear_regression(dim=3, data=200, seed=1)
    theory = problem.theory("sgld", eps=1e-3, batch=10)
    theory.stationary.covariance            # the exact discrete-time law, a numpy array
    draws = sgbayes.sample(problem, "sgld", eps=1e-3, batch=10, steps=100_000, thin=10, seed=7)
    result = sgbayes.check(draws, problem, "sgld", eps=1e-3, batch=10)
    assert result.consistent, result.summary()

Sampler names and flags are the command line's (``docs/samplers.md``), with ``-`` written ``_`` in
keyword arguments: ``friction=``, ``damping=``, ``window=``, ``preconditioner=`` (a d×d array, or
``"optimal"``) ... :mod:`sgbayes.conventions` maps other libraries' parameters to them;
:mod:`sgbayes.testing` has a pytest assertion.
"""

from __future__ import annotations

import json as _json
from typing import Any, Dict, Optional

import numpy as _np

from . import _sgbayes
from ._sgbayes import SgbayesError

__all__ = [
    "Problem",
    "Theory",
    "Law",
    "CheckResult",
    "ToleranceResult",
    "SgbayesError",
    "sample",
    "check",
    "check_tolerance",
    "theory",
    "__version__",
]

__version__: str = _sgbayes.__version__

# Fields whose values are vectors or matrices: returned as float64 numpy arrays.
_ARRAY_FIELDS = {"mean", "covariance", "precision", "long_run_covariance"}


def _wrap(value: Any, key: Optional[str] = None) -> Any:
    if isinstance(value, dict):
        return _Record(value)
    if isinstance(value, list) and key in _ARRAY_FIELDS:
        return _np.asarray(value, dtype=_np.float64)
    if isinstance(value, list):
        return [_wrap(item) for item in value]
    return value


def _plain(value: Any) -> Any:
    """A keyword argument as JSON: numpy arrays and scalars become lists and numbers."""
    if hasattr(value, "tolist") and not isinstance(value, (str, bytes)):
        return _np.asarray(value).tolist()
    return value


class _Record:
    """A JSON object of the library as attributes (``record.field``), also readable as a dict
    through :meth:`to_dict`. Vectors and matrices (means, covariances) are numpy arrays."""

    def __init__(self, fields: Dict[str, Any]):
        self._fields = fields
        for key, value in fields.items():
            setattr(self, key.replace("-", "_"), _wrap(value, key))

    def to_dict(self) -> Dict[str, Any]:
        """The record as the library's JSON object (plain lists, no numpy)."""
        return _json.loads(_json.dumps(self._fields))

    def __repr__(self) -> str:
        names = ", ".join(k for k in self._fields if not isinstance(self._fields[k], (dict, list)))
        return f"<{type(self).__name__} {names}>"


class Law(_Record):
    """A Gaussian law: ``.mean`` (d,) and ``.covariance`` (d, d), numpy arrays."""


class Theory(_Record):
    """The closed forms of one sampler configuration on one problem — the same numbers as
    ``sgbayes theory`` prints: ``.posterior``, ``.stationary`` (exact discrete time),
    ``.stationary_continuous`` (Ornstein–Uhlenbeck approximation), ``.stability_limit``,
    ``.temperature``, ``.optimal_eps``, ``.kl_stationary_to_posterior``, ..."""

    def __init__(self, fields: Dict[str, Any]):
        super().__init__(fields)
        for key, value in fields.items():
            if isinstance(value, dict) and "mean" in value and "covariance" in value:
                setattr(self, key.replace("-", "_"), Law(value))


class CheckResult(_Record):
    """The verdict of :func:`check`: ``.consistent`` (bool), ``.verdict`` ("consistent" or
    "inconsistent"), ``.p_value``, the tested functionals and, when inconsistent, the diagnosis
    (which common mistake's exact law fits the draws)."""

    def __init__(self, fields: Dict[str, Any]):
        super().__init__(fields)
        self.consistent = fields.get("verdict") == "consistent"

    def summary(self) -> str:
        """A readable, multi-line account: the verdict and its message, the tests that rejected,
        the diagnosis and the notes."""
        f = self._fields
        lines = [f"{f.get('verdict')} (p = {f.get('p_value')}, alpha = {f.get('alpha')}): {f.get('message', '')}"]
        for test in f.get("robust_tests") or []:
            if test.get("reject"):
                lines.append(
                    f"  rejected by {test.get('name')}: estimate {test.get('estimate'):.4g} against "
                    f"{test.get('null_bound'):.4g} (p = {test.get('p_value'):.3g}, alpha = {test.get('alpha'):.3g})"
                )
        diagnosis = f.get("diagnosis")
        if diagnosis:
            lines.append(f"  diagnosis: {diagnosis.get('message', diagnosis)}")
        for note in f.get("notes") or []:
            lines.append(f"  note: {note}")
        return "\n".join(lines)

    def __bool__(self) -> bool:
        return self.consistent


class Problem:
    """A problem file: a model with data (Bayesian linear regression, Gaussian mean, logistic
    regression, linear teacher–student, deep linear network, two-layer network, tanh regression,
    Gaussian scale). Build one with a constructor, from JSON, or from your own arrays."""

    __slots__ = ("_inner",)

    def __init__(self, inner: Any):
        self._inner = inner

    # -- constructors -----------------------------------------------------------------------
    @classmethod
    def linear_regression(
        cls,
        dim: int,
        data: int,
        seed: int = 0,
        noise_variance: float = 1.0,
        prior_precision: float = 1.0,
    ) -> "Problem":
        """Bayesian linear regression with Gaussian features, a prior draw as the true parameter,
        noise variance σ² and prior precision λ (the command line's ``problem linear-regression``)."""
        return cls(_sgbayes.Problem.linear_regression(dim, data, seed, noise_variance, prior_precision))

    @classmethod
    def generate(cls, kind: str, seed: int = 0, **parameters: Any) -> "Problem":
        """A synthetic problem of any kind the command line's ``sgbayes problem KIND`` makes
        (``"linear-regression"``, ``"logistic-regression"``, ``"teacher-student"``, ``"two-layer"``,
        ``"deep-linear"``, ``"tanh-regression"``, ``"gaussian-scale"``, ``"gaussian-mean"``), with its flags as keyword
        arguments (``-`` written ``_``). Omitted parameters take the library's defaults — the same
        as the command line's, see :meth:`defaults`; the same parameters and seed give the same
        problem, bit for bit. An unknown parameter raises :class:`SgbayesError` listing the
        accepted names."""
        clean = {key: _plain(value) for key, value in parameters.items() if value is not None}
        return cls(_sgbayes.Problem.generate(kind, _json.dumps(clean), int(seed)))

    @staticmethod
    def defaults(kind: str) -> Dict[str, Any]:
        """The default generator parameters of ``kind`` (a dict), shared with the command line."""
        return _json.loads(_sgbayes.Problem.defaults(kind))

    @classmethod
    def logistic_regression(
        cls,
        dim: Optional[int] = None,
        data: Optional[int] = None,
        seed: int = 0,
        prior_precision: Optional[float] = None,
        feature_scale: Optional[float] = None,
        feature_correlation: Optional[float] = None,
    ) -> "Problem":
        """Bayesian logistic regression on correlated Gaussian features (Cov = s² ρ^|j−k|), labels
        drawn from the model at a prior draw (``problem logistic-regression``). ``None`` takes
        the default (``Problem.defaults("logistic-regression")``: D = 3, N = 1000, λ = 1, s = 1,
        ρ = 0.6)."""
        return cls.generate(
            "logistic-regression",
            seed,
            dim=dim,
            data=data,
            prior_precision=prior_precision,
            feature_scale=feature_scale,
            feature_correlation=feature_correlation,
        )

    @classmethod
    def teacher_student(
        cls,
        outputs: Optional[int] = None,
        inputs: Optional[int] = None,
        rank: Optional[int] = None,
        seed: int = 0,
        signal: Optional[float] = None,
        signal_ratio: Optional[float] = None,
        label_noise: Optional[float] = None,
        data: Optional[int] = None,
        noise_variance: Optional[float] = None,
        prior_precision: Optional[float] = None,
        init_scale: Optional[float] = None,
        whiten: Optional[bool] = None,
    ) -> "Problem":
        """Linear teacher–student: W ∈ R^{n×m} learned from a rank-r teacher with whitened Gaussian
        inputs and label noise (``problem teacher-student``; ``whiten=False`` is its
        ``--no-whiten``). ``None`` takes the default (``Problem.defaults("teacher-student")``)."""
        return cls.generate(
            "teacher-student",
            seed,
            outputs=outputs,
            inputs=inputs,
            rank=rank,
            signal=signal,
            signal_ratio=signal_ratio,
            label_noise=label_noise,
            data=data,
            noise_variance=noise_variance,
            prior_precision=prior_precision,
            init_scale=init_scale,
            whiten=whiten,
        )

    @classmethod
    def two_layer(
        cls,
        input_dim: Optional[int] = None,
        data: Optional[int] = None,
        width: Optional[int] = None,
        seed: int = 0,
        scaling: Optional[str] = None,
        activation: Optional[str] = None,
        readout_scale: Optional[float] = None,
        weight_scale: Optional[float] = None,
        temperature: Optional[float] = None,
        teacher: Optional[str] = None,
        label_noise: Optional[float] = None,
    ) -> "Problem":
        """Two-layer network f(x) = N^{−γ} Σ a_i φ(w_i·x) with Gaussian priors at temperature T, on
        teacher data (``problem two-layer``): ``scaling`` "standard" | "mean-field", ``activation``
        "erf" | "relu" | "linear", ``teacher`` "linear" | "single-index-erf". ``None`` takes the
        default (``Problem.defaults("two-layer")``)."""
        return cls.generate(
            "two-layer",
            seed,
            input_dim=input_dim,
            data=data,
            width=width,
            scaling=scaling,
            activation=activation,
            readout_scale=readout_scale,
            weight_scale=weight_scale,
            temperature=temperature,
            teacher=teacher,
            label_noise=label_noise,
        )

    @classmethod
    def deep_linear(
        cls,
        depth: Optional[int] = None,
        hidden_width: Optional[int] = None,
        input_dim: Optional[int] = None,
        output_dim: Optional[int] = None,
        teacher: Optional[Any] = None,
        seed: int = 0,
        label_noise: Optional[float] = None,
        data: Optional[int] = None,
        noise_variance: Optional[float] = None,
        prior_precision: Optional[float] = None,
    ) -> "Problem":
        """Deep linear network on teacher–student data with exactly whitened inputs: widths
        d_0 → hidden… → d_L, ``teacher`` the teacher's singular values (``problem deep-linear``).
        ``None`` takes the default (``Problem.defaults("deep-linear")``)."""
        return cls.generate(
            "deep-linear",
            seed,
            depth=depth,
            hidden_width=hidden_width,
            input_dim=input_dim,
            output_dim=output_dim,
            teacher=teacher,
            label_noise=label_noise,
            data=data,
            noise_variance=noise_variance,
            prior_precision=prior_precision,
        )

    @classmethod
    def tanh_regression(
        cls,
        data: Optional[int] = None,
        seed: int = 1,
        noise_sd: Optional[float] = None,
        regularisation: Optional[float] = None,
    ) -> "Problem":
        """The 7-parameter tanh regression of Adhikari et al. 2023 on their notebooks' grid
        (``problem tanh-regression``; its seed defaults to 1 there too). ``None`` takes the
        default (``Problem.defaults("tanh-regression")``)."""
        return cls.generate("tanh-regression", seed, data=data, noise_sd=noise_sd, regularisation=regularisation)

    @classmethod
    def gaussian_scale(
        cls,
        data: int,
        seed: int = 0,
        scale: Optional[float] = None,
        parametrisation: Optional[str] = None,
    ) -> "Problem":
        """Observations x_i ~ N(0, σ²) for the scale σ, parametrised by ``"scale"`` (θ = σ) or
        ``"log-scale"`` (θ = log σ, the default); no prior (``problem gaussian-scale``)."""
        return cls.generate("gaussian-scale", seed, data=data, scale=scale, parametrisation=parametrisation)

    @classmethod
    def gaussian_mean(
        cls,
        dim: int,
        data: int,
        seed: int = 0,
        noise_variance: Optional[float] = None,
        prior_precision: Optional[float] = None,
    ) -> "Problem":
        """The mean of Gaussian observations z_i ~ N(μ₀, σ² I) with prior N(0, λ⁻¹ I), μ₀ a prior
        draw: minibatch gradient noise that does not depend on θ (``problem gaussian-mean``)."""
        return cls.generate(
            "gaussian-mean",
            seed,
            dim=dim,
            data=data,
            noise_variance=noise_variance,
            prior_precision=prior_precision,
        )

    @classmethod
    def from_dataset(
        cls,
        source: str,
        model: str = "linear-regression",
        standardise: bool = True,
        intercept: bool = False,
        noise_variance: float = 1.0,
        prior_precision: float = 1.0,
    ) -> "Problem":
        """A problem on real data: ``source`` a shipped data set (``"diabetes"``, 442 × 10;
        ``"breast-cancer"``, 569 × 30, 0/1 labels) or a CSV file (header line, last column the
        target); ``model`` ``"linear-regression"`` or ``"logistic-regression"``. ``standardise``
        scales the features (and a regression's target) to unit variance, ``intercept`` appends a
        constant feature — the command line's ``--dataset/--data-file``, ``--standardise``,
        ``--intercept``."""
        return cls(
            _sgbayes.Problem.from_dataset(
                str(source), model, bool(standardise), bool(intercept), float(noise_variance), float(prior_precision)
            )
        )

    @classmethod
    def from_arrays(
        cls,
        features: Any,
        targets: Any,
        noise_variance: float = 1.0,
        prior_precision: float = 1.0,
    ) -> "Problem":
        """Bayesian linear regression on your own data: ``features`` (N, D), ``targets`` (N,)."""
        x = _np.ascontiguousarray(features, dtype=_np.float64)
        y = _np.ascontiguousarray(targets, dtype=_np.float64)
        return cls(_sgbayes.Problem.from_arrays(x, y, noise_variance, prior_precision))

    @classmethod
    def from_json(cls, text: str) -> "Problem":
        """A problem from the JSON text of a problem file."""
        return cls(_sgbayes.Problem.from_json(text))

    @classmethod
    def read(cls, path: str) -> "Problem":
        """A problem from a problem file."""
        with open(path, encoding="utf-8") as handle:
            return cls.from_json(handle.read())

    # -- views --------------------------------------------------------------------------------
    def to_json(self) -> str:
        """The problem file's JSON text (round-trips bit for bit)."""
        return self._inner.to_json()

    def write(self, path: str) -> None:
        """Writes the problem file."""
        with open(path, "w", encoding="utf-8") as handle:
            handle.write(self.to_json())

    @property
    def kind(self) -> str:
        """The model kind, e.g. ``"linear_regression"``."""
        return self._inner.kind

    @property
    def dimension(self) -> int:
        """The parameter dimension D."""
        return self._inner.dimension

    @property
    def data_size(self) -> int:
        """The number of examples N."""
        return self._inner.data_size

    @property
    def features(self) -> _np.ndarray:
        """The features (N, D) of a regression problem, a numpy array."""
        return self._inner.features()

    @property
    def targets(self) -> _np.ndarray:
        """The targets (N,) of a regression problem, a numpy array."""
        return self._inner.targets()

    def theory(self, sampler: str, eps: float, batch: int, batching: str = "with-replacement", **flags: Any) -> Theory:
        """The closed forms of ``sampler`` at step size ``eps`` and batch size ``batch``
        (see :class:`Theory`); the sampler's flags as keyword arguments."""
        return theory(self, sampler, eps, batch, batching=batching, **flags)

    def __repr__(self) -> str:
        return f"<sgbayes.Problem {self.kind}: D = {self.dimension}, N = {self.data_size}>"


def _spec(sampler: str, eps: float, batch: int, batching: str, flags: Dict[str, Any]) -> str:
    """The sampler configuration as the library reads it (JSON: name, ε, B, batching, flags)."""
    clean: Dict[str, Any] = {}
    for key, value in flags.items():
        if isinstance(value, _np.ndarray):
            value = value.tolist()
        elif hasattr(value, "tolist") and not isinstance(value, (str, bytes)):
            value = _np.asarray(value).tolist()
        clean[key.replace("-", "_")] = value
    return _json.dumps(
        {"sampler": sampler, "eps": float(eps), "batch": int(batch), "batching": batching, "flags": clean}
    )


def theory(problem: Problem, sampler: str, eps: float, batch: int, batching: str = "with-replacement", **flags: Any) -> Theory:
    """The closed forms of a sampler configuration on ``problem`` (see :class:`Theory`)."""
    text = _sgbayes.theory(problem._inner, _spec(sampler, eps, batch, batching, flags))
    return Theory(_json.loads(text))


def sample(
    problem: Problem,
    sampler: str,
    eps: float,
    batch: int,
    steps: int,
    burn_in: int = 0,
    thin: int = 1,
    seed: int = 0,
    batching: str = "with-replacement",
    start: Any = None,
    **flags: Any,
) -> _np.ndarray:
    """Runs sgbayes' reference implementation of ``sampler``: ``steps`` kept steps after
    ``burn_in``, every ``thin``-th kept, seeded ChaCha8 streams (same seed, same bits). Returns the
    draws, a float64 array [draws, D]. ``start`` defaults to the command line's start (the
    posterior mean on Gaussian problems)."""
    start_array = None if start is None else _np.ascontiguousarray(start, dtype=_np.float64)
    return _sgbayes.sample(
        problem._inner,
        _spec(sampler, eps, batch, batching, flags),
        int(steps),
        int(burn_in),
        int(thin),
        int(seed),
        start_array,
    )


def _as_draws(draws: Any) -> _np.ndarray:
    """Anything numpy can turn into an array: float32/float64 numpy, JAX arrays, torch CPU
    tensors, lists. Shape [draws, D] or [chains, draws, D]."""
    if hasattr(draws, "detach") and hasattr(draws, "cpu"):  # torch tensors
        draws = draws.detach().cpu().numpy()
    array = _np.asarray(draws)
    if array.dtype.kind not in "fiu":
        raise SgbayesError(f"draws must be numbers, got an array of dtype {array.dtype}")
    if array.dtype != _np.float32:
        array = array.astype(_np.float64, copy=False)
    return _np.ascontiguousarray(array)


def check(
    draws: Any,
    problem: Problem,
    sampler: str,
    eps: float,
    batch: int,
    batching: str = "with-replacement",
    alpha: float = 1e-3,
    burn_in: int = 0,
    thin: int = 1,
    **flags: Any,
) -> CheckResult:
    """Tests whether ``draws`` (one chain [draws, D] in order, or [chains, draws, D]) are
    consistent with the exact stationary law of the declared sampler configuration, at
    family-wise level ``alpha``. See :class:`CheckResult`. Raises :class:`SgbayesError` on bad
    input and when no verdict is possible (too few effective draws: the message says how many)."""
    array = _as_draws(draws)
    text = _sgbayes.check(
        array,
        problem._inner,
        _spec(sampler, eps, batch, batching, flags),
        float(alpha),
        int(burn_in),
        int(thin),
    )
    return CheckResult(_json.loads(text))


class ToleranceResult(_Record):
    """The verdict of :func:`check_tolerance`: ``.within`` (bool), ``.verdict``
    ("within_tolerance", "outside_tolerance" or "cannot_tell"), ``.message``, ``.functionals``
    (each whitened mean and variance with its interval), ``.draws_needed``."""

    def __init__(self, fields: Dict[str, Any]):
        super().__init__(fields)
        self.within = fields.get("verdict") == "within_tolerance"

    def summary(self) -> str:
        """The verdict and its message, and the functionals whose interval is not inside its
        tolerance."""
        f = self._fields
        lines = [f"{f.get('verdict')} (alpha = {f.get('alpha')}): {f.get('message', '')}"]
        for functional in f.get("functionals") or []:
            if not functional.get("within"):
                low, high = functional.get("interval", [float("nan"), float("nan")])
                lines.append(
                    f"  {functional.get('name')}: {functional.get('estimate'):.4g}, interval "
                    f"[{low:.4g}, {high:.4g}] against ±{functional.get('tolerance'):.4g}"
                )
        return "\n".join(lines)

    def __bool__(self) -> bool:
        return self.within


def check_tolerance(
    draws: Any,
    problem: Problem,
    sampler: str = "sgld",
    eps: float = 1e-3,
    batch: int = 1,
    against: str = "posterior",
    mean_tolerance: float = 0.1,
    variance_tolerance: float = 0.1,
    batching: str = "with-replacement",
    alpha: float = 1e-3,
    burn_in: int = 0,
    thin: int = 1,
    **flags: Any,
) -> ToleranceResult:
    """The posterior-with-tolerance check (``sgbayes check --mode tolerance``), for samplers
    without an exact stationary law (``sgnht``, ``psgld-rmsprop``, anything at a tiny step): an
    equivalence test that every whitened mean lies within ``mean_tolerance`` target standard
    deviations and every whitened variance within ``variance_tolerance`` (relative) of the
    posterior (``against="posterior"``, the default; the sampler configuration is then unused) or
    of the sampler's exact or reference law (``against="reference"``). Each claim is at level
    ``alpha``; "cannot tell" means too few effective draws or intervals straddling a tolerance
    (``.draws_needed`` says how many would decide)."""
    array = _as_draws(draws)
    text = _sgbayes.check_tolerance(
        array,
        problem._inner,
        _spec(sampler, eps, batch, batching, flags),
        against,
        float(mean_tolerance),
        float(variance_tolerance),
        float(alpha),
        int(burn_in),
        int(thin),
    )
    return ToleranceResult(_json.loads(text))


from . import conventions, testing  # noqa: E402  (they import the names above)
