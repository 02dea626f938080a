r"""Accurate numerical derivatives, for likelihoods that come without analytic ones.

Central differences with step :math:`h` have error :math:`O(h^2)`; combining two
steps by **Richardson extrapolation**,

.. math:: D = \frac{4 D(h/2) - D(h)}{3},

cancels the :math:`h^2` term and leaves :math:`O(h^4)`, so a larger step (less
rounding error) gives a more accurate answer. Steps are relative to
:math:`\max(1, |x_j|)`. Standard errors from these Hessians agree with analytic
ones to about 7 significant digits on smooth likelihoods (a crude one-sided
difference gives about 2).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from numpy.typing import NDArray

from ._validate import as_float_array

_EPS = np.finfo(float).eps


def _checked_point(f, x):
    x = as_float_array(x, "x", ndim=1)
    value = f(x)
    if not np.isfinite(value):
        raise ValueError(f"f is {value} at x; derivatives need a point where f is finite")
    return x


def _finite(result, what):
    if not np.all(np.isfinite(result)):
        raise ValueError(
            f"the {what} is not finite: f is NaN or infinite within a step of x (near a boundary "
            "of the parameter space?)"
        )
    return result


def _steps(x: NDArray, power: float) -> NDArray:
    return _EPS**power * np.maximum(1.0, np.abs(x))


def _gradient(f: Callable[[NDArray], float], x: NDArray) -> NDArray[np.float64]:
    """Unchecked Richardson central-difference gradient (may contain NaN or inf)."""
    h = _steps(x, 1 / 5)
    g = np.empty_like(x)
    for j in range(x.size):

        def d(step, j=j):
            e = np.zeros_like(x)
            e[j] = step
            return (f(x + e) - f(x - e)) / (2 * step)

        g[j] = (4 * d(h[j] / 2) - d(h[j])) / 3
    return g


def numerical_gradient(f: Callable[[NDArray], float], x: NDArray) -> NDArray[np.float64]:
    """Gradient of ``f`` at ``x`` by Richardson-extrapolated central differences.

    Examples
    --------
    >>> import numpy as np
    >>> numerical_gradient(lambda t: np.sum(t**3), np.array([1.0, 2.0])).round(8)
    array([ 3., 12.])
    """
    x = _checked_point(f, x)
    g = _gradient(f, x)
    return _finite(g, "numerical gradient")


def numerical_hessian(
    f: Callable[[NDArray], float], x: NDArray, gradient: Callable[[NDArray], NDArray] | None = None
) -> NDArray[np.float64]:
    """Hessian of ``f`` at ``x``: from the analytic ``gradient`` if given, else from ``f`` alone.

    Both use central differences with Richardson extrapolation; the result is symmetrized.

    Examples
    --------
    >>> import numpy as np
    >>> f = lambda t: t[0] ** 2 * t[1] + np.exp(t[1])
    >>> numerical_hessian(f, np.array([1.0, 0.0])).round(6)
    array([[0., 2.],
           [2., 1.]])
    """
    x = _checked_point(f, x)
    return _finite(_hessian(f, x, gradient), "numerical Hessian")


def _hessian(f, x, gradient=None):
    """Unchecked Richardson central-difference Hessian (may contain NaN or inf)."""
    k = x.size
    H = np.empty((k, k))
    if gradient is not None:
        h = _steps(x, 1 / 5)
        for j in range(k):

            def d(step, j=j):
                e = np.zeros_like(x)
                e[j] = step
                return (np.asarray(gradient(x + e)) - np.asarray(gradient(x - e))) / (2 * step)

            H[:, j] = (4 * d(h[j] / 2) - d(h[j])) / 3
        return 0.5 * (H + H.T)
    h = _steps(x, 1 / 6)
    f0 = f(x)

    def second(i, j, si, sj):
        ei, ej = np.zeros_like(x), np.zeros_like(x)
        ei[i], ej[j] = si, sj
        if i == j:
            return (f(x + ei) - 2 * f0 + f(x - ei)) / (si * si)
        return (f(x + ei + ej) - f(x + ei - ej) - f(x - ei + ej) + f(x - ei - ej)) / (4 * si * sj)

    for i in range(k):
        for j in range(i, k):
            coarse = second(i, j, h[i], h[j])
            fine = second(i, j, h[i] / 2, h[j] / 2)
            H[i, j] = H[j, i] = (4 * fine - coarse) / 3
    return H
