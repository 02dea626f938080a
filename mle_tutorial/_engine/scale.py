r"""Data of any size: scaling by powers of two, exactly.

A column of :math:`X` or a response :math:`y` whose largest value is far from 1 (beyond
:math:`2^{\pm 200}`) is multiplied by a power of two that brings that value into
:math:`[\tfrac12, 1)` before anything is computed, so that :math:`X^\top X`, the residual sum of
squares and the covariance neither overflow nor underflow; the estimates are scaled back at the
end. Multiplying by a power of two is exact, and the solvers scale columns by powers of two
themselves, so the fit of the scaled data is the fit of the data, bit for bit: results are
equivariant under scaling of :math:`y` or of a column of :math:`X` by a power of two, exactly,
and by any other factor to rounding.

Data within :math:`2^{\pm 200}` are used as they are (no copy): nothing computed from them comes
near the limits of float64, so using them as they are gives the same bits as scaling them, in the
closed forms and Newton iterations whose own steps are invariant to scaling. A numerical optimizer
is not (its trust region or simplex has a shape), so fitters that use one on every fit (Student t)
scale every column and y, whatever their size: the optimizer then sees the same numbers for data
in any units.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TypeVar, cast

import numpy as np
from numpy.typing import ArrayLike, NDArray

#: Largest binary exponent (in absolute value) of a column's largest |value| that is used as it is.
SAFE_EXPONENT = 200


def column_maxima(X: NDArray, block: int = 1 << 13) -> NDArray:
    """Largest |value| of each column of a 2-D array (in cache-sized blocks: no n x p temporary)."""
    top = np.zeros(X.shape[1])
    for start in range(0, X.shape[0], block):
        part = X[start : start + block]
        top = np.maximum(top, np.maximum(part.max(axis=0), -part.min(axis=0)))
    return top


def columns_within_range(X: NDArray) -> bool:
    r"""Whether every column's sum of squares lies in [2**-400, 2**400] (one pass, no temporary):
    then no value exceeds :math:`2^{200}`, each column's largest is at least
    :math:`2^{-200}/\sqrt n`, and the data can be used as they are (see the module docstring)."""
    return sums_within_range(np.einsum("ij,ij->j", X, X))


#: 2**400: the bounds of :func:`sums_within_range`.
_SUMSQ_LIMIT = 2.0 ** (2 * SAFE_EXPONENT)
_SUMSQ_FLOOR = 1.0 / _SUMSQ_LIMIT


def sums_within_range(sumsq: NDArray) -> bool:
    r"""Whether every column's sum of squares ``sumsq`` lies in [2**-400, 2**400] (see
    :func:`columns_within_range`; the diagonal of :math:`X^\top X` holds them too). NaN is not."""
    # (Python floats: a few comparisons cost less than NumPy's reductions)
    return all(_SUMSQ_FLOOR <= v <= _SUMSQ_LIMIT for v in sumsq.tolist())


def shifts(maxima: NDArray | float, always: bool = False) -> NDArray:
    """The binary exponent of each maximum where it lies beyond :data:`SAFE_EXPONENT` (or
    ``always``), else 0: the power of two to divide by."""
    exponent = np.frexp(np.asarray(maxima, dtype=float))[1].astype(np.int64)
    return exponent if always else np.where(np.abs(exponent) > SAFE_EXPONENT, exponent, 0)


def shift_of(maximum: float, always: bool = False) -> int:
    """:func:`shifts` of one number, as an int (by :func:`math.frexp`: no array for a scalar)."""
    exponent = math.frexp(maximum)[1]
    return exponent if always or abs(exponent) > SAFE_EXPONENT else 0


_ArrayOrFloat = TypeVar("_ArrayOrFloat", NDArray, float)


def shifted(a: _ArrayOrFloat, e: NDArray | int) -> _ArrayOrFloat:
    """``a * 2**-e`` (broadcast over the last axis); ``a`` itself when ``e`` is all zero."""
    e = np.asarray(e, dtype=np.int64)
    if not np.any(e):
        return a
    return cast(_ArrayOrFloat, np.ldexp(a, -e))  # np.ldexp of a float: a NumPy float, a float


def unshift(a: ArrayLike, e: ArrayLike) -> NDArray:
    """``a * 2**e``, exactly; inf where the result is not representable."""
    with np.errstate(over="ignore", under="ignore"):
        return np.ldexp(np.asarray(a, dtype=float), np.asarray(e, dtype=np.int64))


def unshift_cov(cov: NDArray, e: NDArray) -> NDArray:
    """``cov[j, k] * 2**(e[j] + e[k])``: the covariance of parameters scaled back by ``2**e``."""
    e = np.asarray(e, dtype=np.int64)
    return unshift(cov, e[:, None] + e[None, :])


@dataclass(frozen=True)
class Unscale:
    """How a fit on scaled data maps back: parameter ``j`` is multiplied by ``2**exponents[j]``,
    and the log-likelihood gains ``loglik_shift`` (``-n e_y log 2`` when ``y`` was divided by
    ``2**e_y`` in a model with a density for ``y``)."""

    exponents: tuple[int, ...]
    loglik_shift: float = 0.0

    @property
    def identity(self) -> bool:
        return not any(self.exponents) and self.loglik_shift == 0.0


_IDENTITY: dict[int, Unscale] = {}


def identity_unscale(k: int) -> Unscale:
    """``Unscale((0,) * k)``: nothing scaled (one shared instance per ``k``: it is immutable)."""
    found = _IDENTITY.get(k)
    if found is None:
        found = _IDENTITY[k] = Unscale((0,) * k, 0.0)
    return found


def plain(*rows) -> bool:
    """Whether none of these row sources was scaled (``InMemoryRows.plain``; never said of
    Dask rows, whose shifts are read instead)."""
    for r in rows:  # (a loop, not all() of a generator: called once or twice per fit)
        if not getattr(r, "plain", False):
            return False
    return True


def normal_unscale(x_shift: NDArray, y_shift: int, n: int, extra: int = 0) -> Unscale:
    """Coefficients of ``y / 2**e_y`` on ``X[:, j] / 2**e_j`` are ``beta_j 2**(e_j - e_y)``; sigma
    scales with y; ``extra`` more parameters (degrees of freedom) do not scale."""
    if not y_shift and not x_shift.any():  # the common case, without the loops below
        return Unscale((0,) * (x_shift.shape[0] + 1 + extra), 0.0)
    exponents = (*(int(y_shift - e) for e in x_shift), int(y_shift), *(0,) * extra)
    return Unscale(exponents, float(-n * y_shift * np.log(2.0)))


@dataclass(frozen=True, eq=False)
class Scaling:
    """How a fit computed on data scaled by powers of two maps back (see
    :class:`~mle_tutorial.FitResult`): parameter ``j`` is multiplied by ``2**exponents[j]``, the
    log-likelihood gains ``loglik_shift``, and ``cov`` is the covariance on the scaled data (the
    reported one may have under- or overflowed where that one did not)."""

    exponents: tuple[int, ...]
    loglik_shift: float
    cov: NDArray | None = None

    @property
    def identity(self) -> bool:
        return not any(self.exponents) and self.loglik_shift == 0.0


def unit_columns(X: NDArray) -> tuple[NDArray, NDArray]:
    """``X`` with each column of unit length, and the lengths (0 for a zero column), computed
    without over- or underflow for columns at 1e300 or 1e-300 (first scaled by a power of two)."""
    top = np.max(np.abs(X), axis=0)
    e = np.where(top > 0, np.frexp(top)[1], 0)
    scaled = np.ldexp(X, -e)
    norms = np.linalg.norm(scaled, axis=0)
    unit = scaled / np.where(norms > 0, norms, 1.0)
    return unit, np.ldexp(norms, e)
