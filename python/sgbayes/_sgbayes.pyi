"""Type stubs of the compiled module (the Rust library's front-end functions)."""

from typing import Any, Optional

import numpy as np
import numpy.typing as npt

__version__: str

class SgbayesError(ValueError):
    """Bad input or no closed form: the command line's exit-2 errors, with the same messages."""

class Problem:
    @staticmethod
    def linear_regression(dim: int, data: int, seed: int, noise_variance: float, prior_precision: float) -> Problem: ...
    @staticmethod
    def from_arrays(
        features: npt.NDArray[np.float64], targets: npt.NDArray[np.float64], noise_variance: float, prior_precision: float
    ) -> Problem: ...
    @staticmethod
    def generate(kind: str, parameters_json: str, seed: int) -> Problem: ...
    @staticmethod
    def defaults(kind: str) -> str: ...
    @staticmethod
    def from_dataset(
        source: str, model: str, standardise: bool, intercept: bool, noise_variance: float, prior_precision: float
    ) -> Problem: ...
    @staticmethod
    def from_json(text: str) -> Problem: ...
    def to_json(self) -> str: ...
    @property
    def kind(self) -> str: ...
    @property
    def dimension(self) -> int: ...
    @property
    def data_size(self) -> int: ...
    def features(self) -> npt.NDArray[np.float64]: ...
    def targets(self) -> npt.NDArray[np.float64]: ...

def theory(problem: Problem, spec_json: str) -> str: ...
def sample(
    problem: Problem,
    spec_json: str,
    steps: int,
    burn_in: int,
    thin: int,
    seed: int,
    start: Optional[npt.NDArray[np.float64]] = None,
) -> npt.NDArray[np.float64]: ...
def check(draws: Any, problem: Problem, spec_json: str, alpha: float, burn_in: int, thin: int) -> str: ...
def check_tolerance(
    draws: Any,
    problem: Problem,
    spec_json: str,
    against: str,
    mean_tolerance: float,
    variance_tolerance: float,
    alpha: float,
    burn_in: int,
    thin: int,
) -> str: ...
