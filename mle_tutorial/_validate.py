"""Input checks shared by every public function.

Every check raises :class:`ValueError` with a message that names the argument
and says what is wrong, so that bad input never turns into a silent wrong
answer deep inside numpy.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray


def as_float_array(value: ArrayLike, name: str, ndim: int | None = None) -> NDArray[np.float64]:
    """Return ``value`` as a finite float64 array, or raise a clear ``ValueError``."""
    try:
        arr = np.asarray(value)
    except Exception as exc:  # ragged lists and the like
        raise ValueError(f"{name} could not be read as an array: {exc}") from exc
    if arr.dtype == object or arr.dtype.kind not in "biuf":
        raise ValueError(f"{name} must be numeric (integers or floats), got an array of dtype {arr.dtype}")
    arr = arr.astype(np.float64, copy=False)
    if ndim is not None and arr.ndim != ndim:
        what = {0: "a scalar", 1: "a 1-D array", 2: "a 2-D array"}[ndim]
        raise ValueError(f"{name} must be {what}, got an array with shape {arr.shape}")
    if arr.size == 0:
        raise ValueError(f"{name} is empty")
    # one pass and no n x p temporary: a sum is finite if every entry is (an overflowing sum of
    # huge finite values is the rare false alarm, and the exact count below clears it)
    with np.errstate(over="ignore", invalid="ignore"):
        total = arr.sum()
    if not np.isfinite(total):
        bad = int(np.size(arr) - np.count_nonzero(np.isfinite(arr)))
        if bad:
            raise ValueError(f"{name} contains {bad} NaN or infinite value(s)")
    return arr


def as_positive(value: ArrayLike, name: str) -> float:
    """Return ``value`` as a float that is finite and > 0, or raise ``ValueError``."""
    arr = as_float_array(value, name, ndim=0)
    if not arr > 0:
        raise ValueError(f"{name} must be > 0, got {float(arr)}")
    return float(arr)


def check_design(
    X: ArrayLike, y: ArrayLike, model: str | None = None
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Validate a design matrix ``X`` (n, p) and response ``y`` (n,) for a regression.

    ``model`` names a model without sigma (e.g. "logistic") for the n <= p message; by default
    the model is the normal linear one, whose parameters are p coefficients and sigma.
    """
    X = as_float_array(X, "X", ndim=2)
    y = as_float_array(y, "y", ndim=1)
    n, p = X.shape
    if y.shape[0] != n:
        raise ValueError(f"X has {n} rows but y has {y.shape[0]} values; they must match")
    if n <= p and model is not None:
        raise ValueError(
            f"X has {n} rows but the {model} model has {p} coefficients; it needs more rows than coefficients"
        )
    if n <= p:
        raise ValueError(
            f"X has {n} rows but the model has {p + 1} parameters ({p} coefficients and sigma); "
            "it needs more rows than coefficients"
        )
    return X, y


def check_beta(beta: ArrayLike, p: int, name: str = "beta") -> NDArray[np.float64]:
    """Validate a coefficient vector of length ``p``."""
    beta = as_float_array(beta, name, ndim=1)
    if beta.shape[0] != p:
        raise ValueError(f"{name} has {beta.shape[0]} values but X has {p} columns")
    return beta
