r"""Bounded parameters on the real line: the working scale of an optimizer.

A parameter with bounds :math:`(a, b)` is optimized as an unconstrained :math:`t`:

=============== ============================== ==========================================
bounds           natural value :math:`x(t)`     for example
=============== ============================== ==========================================
(-inf, inf)      :math:`t`                      a coefficient
(a, inf)         :math:`a + e^t`                a scale (:math:`a = 0`: :math:`\sigma = e^\tau`)
(-inf, b)        :math:`b - e^t`
(a, b)           :math:`a + (b - a)\,\mathrm{expit}(t)`   a probability
=============== ============================== ==========================================

The derivatives :math:`x'(t)` and :math:`x''(t)` carry a gradient and a Hessian to the working
scale (chain rule) and a covariance back (delta method, :math:`\mathrm{cov}(x) = D\,\mathrm{cov}(t)\,D`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from .lazy import special

_FREE, _LOWER, _UPPER, _BOTH = 0, 1, 2, 3


@dataclass(frozen=True)
class BoundsTransform:
    """The map between natural parameters with ``bounds`` (a ``(lower, upper)`` pair each) and the
    working scale. Picklable; compared by value."""

    bounds: tuple[tuple[float, float], ...]

    def _kinds(self) -> tuple[NDArray, NDArray, NDArray]:
        lo = np.array([b[0] for b in self.bounds], dtype=float)
        hi = np.array([b[1] for b in self.bounds], dtype=float)
        return np.where(np.isfinite(lo), _LOWER, _FREE) + np.where(np.isfinite(hi), _UPPER - _FREE, 0), lo, hi

    @property
    def identity(self) -> bool:
        return all(not np.isfinite(lo) and not np.isfinite(hi) for lo, hi in self.bounds)

    def to_natural(self, theta: NDArray) -> NDArray:
        kind, lo, hi = self._kinds()
        t = np.asarray(theta, dtype=float)
        with np.errstate(over="ignore"):
            e = np.exp(np.where((kind == _LOWER) | (kind == _UPPER), t, 0.0))
        x = np.where(kind == _LOWER, lo + e, np.where(kind == _UPPER, hi - e, t))
        if np.any(kind == _BOTH):
            both = kind == _BOTH
            x = x.copy()
            x[both] = lo[both] + (hi[both] - lo[both]) * special.expit(t[both])
        return x

    def outside(self, x: NDArray) -> NDArray:
        """Which entries of ``x`` are not strictly inside their bounds (or not finite)."""
        _, lo, hi = self._kinds()
        x = np.asarray(x, dtype=float)
        with np.errstate(invalid="ignore"):
            return ~np.isfinite(x) | ~(x > lo) | ~(x < hi)

    def from_natural(self, x: NDArray) -> NDArray:
        """The working value of natural ``x``, strictly inside its bounds (NaN where it is not)."""
        kind, lo, hi = self._kinds()
        x = np.asarray(x, dtype=float)
        with np.errstate(divide="ignore", invalid="ignore"):
            t = np.where(kind == _LOWER, np.log(np.where(kind == _LOWER, x - lo, 1.0)), x)
            t = np.where(kind == _UPPER, np.log(np.where(kind == _UPPER, hi - x, 1.0)), t)
            if np.any(kind == _BOTH):
                both = kind == _BOTH
                t[both] = special.logit((x[both] - lo[both]) / (hi[both] - lo[both]))
        return np.where(self.outside(x), np.nan, t)

    def derivative(self, theta: NDArray) -> NDArray:
        """:math:`x'(t)`, entry by entry."""
        kind, lo, hi = self._kinds()
        t = np.asarray(theta, dtype=float)
        with np.errstate(over="ignore"):
            e = np.exp(np.where((kind == _LOWER) | (kind == _UPPER), t, 0.0))
        d = np.where(kind == _LOWER, e, np.where(kind == _UPPER, -e, 1.0))
        if np.any(kind == _BOTH):
            both = kind == _BOTH
            s = special.expit(t[both])
            d[both] = (hi[both] - lo[both]) * s * (1.0 - s)
        return d

    def second(self, theta: NDArray) -> NDArray:
        """:math:`x''(t)`, entry by entry."""
        kind, lo, hi = self._kinds()
        t = np.asarray(theta, dtype=float)
        with np.errstate(over="ignore"):
            e = np.exp(np.where((kind == _LOWER) | (kind == _UPPER), t, 0.0))
        d = np.where(kind == _LOWER, e, np.where(kind == _UPPER, -e, 0.0))
        if np.any(kind == _BOTH):
            both = kind == _BOTH
            s = special.expit(t[both])
            d[both] = (hi[both] - lo[both]) * s * (1.0 - s) * (1.0 - 2.0 * s)
        return d

    def working_value(self, j: int, value: float) -> float:
        """The working value of parameter ``j`` held at natural ``value`` (NaN if impossible)."""
        x = np.full(len(self.bounds), np.nan)
        x[j] = value
        return float(self.from_natural(x)[j])
