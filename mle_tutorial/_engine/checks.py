"""Input checks shared by every public function, and the messages they raise.

Every check raises :class:`ValueError` with a message that names the argument
and says what is wrong, so that bad input never turns into a silent wrong
answer deep inside numpy.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import ArrayLike, NDArray


def as_float_array(value: ArrayLike, name: str, ndim: int | None = None) -> NDArray[np.float64]:
    """Return ``value`` as a finite float64 array, or raise a clear ``ValueError``."""
    try:
        arr = np.asarray(value)
    except Exception as exc:  # ragged lists and the like
        raise ValueError(f"{name} could not be read as an array: {exc}") from exc
    check_numeric(arr, name)
    arr = arr.astype(np.float64, copy=False)
    if ndim is not None and arr.ndim != ndim:
        what = {0: "a scalar", 1: "a 1-D array", 2: "a 2-D array"}[ndim]
        raise ValueError(f"{name} must be {what}, got an array with shape {arr.shape}")
    if arr.size == 0:
        raise ValueError(f"{name} is empty")
    bad = count_not_finite(arr)
    if bad:
        raise ValueError(f"{name} contains {bad} NaN or infinite value(s)")
    return arr


def check_numeric(arr, name: str) -> None:
    """Raise unless ``arr`` (a numpy or Dask array) holds integers or floats."""
    if arr.dtype == object or arr.dtype.kind not in "biuf":
        raise ValueError(f"{name} must be numeric (integers or floats), got an array of dtype {arr.dtype}")


def count_not_finite(arr: NDArray) -> int:
    """How many entries are NaN or infinite, in one pass and with no n x p temporary when none is.

    A sum is finite if every entry is (an overflowing sum of huge finite values is the rare false
    alarm, and the exact count clears it).
    """
    with np.errstate(over="ignore", invalid="ignore"):
        total = arr.sum()
    if np.isfinite(total):
        return 0
    return int(np.size(arr) - np.count_nonzero(np.isfinite(arr)))


def as_positive(value: ArrayLike, name: str) -> float:
    """Return ``value`` as a float that is finite and > 0, or raise ``ValueError``."""
    arr = as_float_array(value, name, ndim=0)
    if not arr > 0:
        raise ValueError(f"{name} must be > 0, got {float(arr)}")
    return float(arr)


def positive_int(value: object, name: str) -> int:
    """Return ``value`` as an int >= 1 (booleans refused), or raise ``ValueError``."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"{name} must be a positive integer, got {value!r}")
    return int(value)


def check_lengths(n: int, m: int) -> None:
    """X's rows and y's values must match."""
    if m != n:
        raise ValueError(f"X has {n} rows but y has {m} values; they must match")


def check_rows(n: int, p: int, model: str | None = None) -> None:
    """Raise unless there are more rows than coefficients.

    ``model=None`` is the normal linear model (p coefficients and sigma); ``model="logistic"``
    names a model without sigma; ``model=""`` is such a model left unnamed.
    """
    if n > p:
        return
    if model is None:
        raise ValueError(
            f"X has {n} rows but the model has {p + 1} parameters ({p} coefficients and sigma); "
            "it needs more rows than coefficients"
        )
    what = f"the {model} model" if model else "the model"
    raise ValueError(f"X has {n} rows but {what} has {p} coefficients; it needs more rows than coefficients")


def check_design(
    X: ArrayLike, y: ArrayLike, model: str | None = None
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Validate a design matrix ``X`` (n, p) and response ``y`` (n,) for a regression (see
    :func:`check_rows` for ``model``)."""
    X = as_float_array(X, "X", ndim=2)
    y = as_float_array(y, "y", ndim=1)
    n, p = X.shape
    check_lengths(n, y.shape[0])
    check_rows(n, p, model)
    return X, y


def check_beta(beta: ArrayLike, p: int, name: str = "beta") -> NDArray[np.float64]:
    """Validate a coefficient vector of length ``p``."""
    beta = as_float_array(beta, name, ndim=1)
    if beta.shape[0] != p:
        raise ValueError(f"{name} has {beta.shape[0]} values but X has {p} columns")
    return beta


def check_offset(offset: ArrayLike | None, n: int) -> NDArray[np.float64]:
    """A known term added to the linear predictor; zeros if None."""
    if offset is None:
        return np.zeros(n)
    offset = as_float_array(offset, "offset", ndim=1)
    if offset.shape[0] != n:
        raise ValueError(f"offset has {offset.shape[0]} values but X has {n} rows")
    return offset


def check_names(names: Sequence[str] | None, k: int, default: str) -> tuple[str, ...]:
    """One name per parameter (``default[j]`` if None), as strings."""
    if names is None:
        return tuple(f"{default}[{j}]" for j in range(k))
    names = tuple(str(name) for name in names)
    if len(names) != k:
        raise ValueError(f"names has {len(names)} entries but start has {k}")
    return names


def exact_fit_error(by: str) -> ValueError:
    """The error for residuals at the rounding level of y, where the likelihood has no maximum.

    The message does not print sigma-hat: at the rounding level its value is noise, different on
    every machine."""
    return ValueError(
        f"y is fitted exactly by {by} (the residuals are at the rounding level of y): "
        "the likelihood is unbounded as sigma -> 0, so there is no MLE"
    )
