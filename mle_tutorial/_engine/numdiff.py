r"""Richardson-extrapolated central differences (see :mod:`mle_tutorial.numdiff`).

These never check their input or output: the public functions and the fitters do.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from numpy.typing import NDArray

_EPS = np.finfo(float).eps


def _steps(x: NDArray, power: float) -> NDArray:
    return _EPS**power * np.maximum(1.0, np.abs(x))


def gradient(f: Callable[[NDArray], float], x: NDArray) -> NDArray[np.float64]:
    """Richardson central-difference gradient (may contain NaN or inf)."""
    h = _steps(x, 1 / 5)
    g = np.empty_like(x)
    for j in range(x.size):

        def d(step, j=j):
            e = np.zeros_like(x)
            e[j] = step
            return (f(x + e) - f(x - e)) / (2 * step)

        g[j] = (4 * d(h[j] / 2) - d(h[j])) / 3
    return g


def hessian(f: Callable, x: NDArray, grad: Callable | None = None) -> NDArray[np.float64]:
    """Richardson central-difference Hessian, from ``grad`` if given (may contain NaN or inf)."""
    k = x.size
    H = np.empty((k, k))
    if grad is not None:
        h = _steps(x, 1 / 5)
        for j in range(k):

            def d(step, j=j):
                e = np.zeros_like(x)
                e[j] = step
                return (np.asarray(grad(x + e)) - np.asarray(grad(x - e))) / (2 * step)

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


def jacobian(f: Callable[[NDArray], NDArray], b: NDArray, floor: NDArray) -> NDArray:
    r"""Jacobian of ``f`` at ``b`` by central differences with two Richardson extrapolations.

    Column ``j`` uses steps ``h, h/2, h/4`` with ``h = eps**(1/5) * max(|b_j|, floor_j)``:
    relative to the parameter itself, so that tiny and huge parameters are differenced
    equally well. Central differences :math:`D(h)` have error :math:`c_2h^2 + c_4h^4 + \dots`;
    :math:`(4D(h/2) - D(h))/3` cancels the :math:`h^2` term and a second extrapolation (weights
    16 and 1, over 15) the :math:`h^4` term, leaving :math:`O(h^6)`. Where the model is not
    finite at a trial point, the column falls back to a central difference with the smallest
    step, then to a one-sided difference.
    """
    f0 = f(b)
    J = np.empty((f0.size, b.size))
    for j in range(b.size):
        h = _EPS ** (1 / 5) * max(abs(b[j]), floor[j])
        central = []
        for step in (h, h / 2, h / 4):
            plus, minus = b.copy(), b.copy()
            plus[j] += step
            minus[j] -= step
            f_plus, f_minus = f(plus), f(minus)
            central.append((f_plus - f_minus) / (2 * step))
        r1 = [(4 * central[1] - central[0]) / 3, (4 * central[2] - central[1]) / 3]
        column = (16 * r1[1] - r1[0]) / 15
        if not np.all(np.isfinite(column)):
            column = central[2]
        if not np.all(np.isfinite(column)):
            column = (f_plus - f0) / step
        if not np.all(np.isfinite(column)):
            column = (f0 - f_minus) / step
        J[:, j] = np.where(np.isfinite(column), column, 0.0)
    return J
