r"""Richardson-extrapolated central differences (see :mod:`mle_tutorial.numdiff`).

These never check their input or output: the public functions and the fitters do.

The step in coordinate :math:`j` is :math:`h_j = c\,s_j` (:math:`c = \epsilon^{1/5}` for first
derivatives, :math:`\epsilon^{1/6}` for second ones). The scale :math:`s_j` is
:math:`\max(1, |x_j|)`, right for a function that varies on the scale of its argument or of 1;
where :math:`0 < |x_j| < 1` and the estimate at that scale looks poor (the two central
differences that Richardson combines disagree, or their rounding error is large, by more than
:data:`ERROR_LIMIT` of the result), the scale :math:`|x_j|` is tried too, and kept if its
relative error estimate is smaller and below :data:`SWITCH_LIMIT`. So ``1e200 * t * t`` at
``t = 1e-200`` gets a step of about ``1e-203`` (and the gradient 2), while ``exp(t)`` at
``t = 1e-8`` keeps a step of about ``7e-4`` (a step of ``7e-12`` would leave 5 digits).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from numpy.typing import NDArray

_EPS = np.finfo(float).eps

#: An error estimate above this fraction of the estimate makes the relative step worth trying...
ERROR_LIMIT = 1e-6
#: ... and the relative step is taken if its own error estimate is smaller and below this fraction.
SWITCH_LIMIT = 1e-3


def _size(values) -> float:
    return float(np.max(np.abs(values)))


def _unit(x: NDArray, j: int, step: float) -> NDArray:
    e = np.zeros_like(x)
    e[j] = step
    return e


def _richardson(d: Callable, x: NDArray, j: int, c: float):
    """``(4 D(h/2) - D(h)) / 3`` for coordinate ``j``, with ``d(j, h) -> (D(h), rounding error of
    D(h))``, at the step scale chosen as in the module docstring. Returns the estimate and the
    scale."""

    def at(scale):
        coarse, noise_coarse = d(j, c * scale)
        fine, noise_fine = d(j, c * scale / 2)
        with np.errstate(invalid="ignore", over="ignore", divide="ignore"):
            estimate = (4 * fine - coarse) / 3
            error = _size(fine - coarse) / 3 + (4 * noise_fine + noise_coarse) / 3
            relative = error / _size(estimate)
        return estimate, relative if np.isfinite(relative) else np.inf

    scale = max(1.0, abs(x[j]))
    estimate, error = at(scale)
    if 0.0 < abs(x[j]) < 1.0 and not error <= ERROR_LIMIT:
        other, other_error = at(abs(x[j]))
        if other_error < min(error, SWITCH_LIMIT):
            return other, abs(x[j])
    return estimate, scale


def gradient(f: Callable[[NDArray], float], x: NDArray) -> NDArray[np.float64]:
    """Richardson central-difference gradient (may contain NaN or inf)."""

    def d(j, step):
        e = _unit(x, j, step)
        plus, minus = f(x + e), f(x - e)
        return (plus - minus) / (2 * step), _EPS * (abs(plus) + abs(minus)) / (2 * step)

    with np.errstate(invalid="ignore", over="ignore"):
        return np.array([_richardson(d, x, j, _EPS ** (1 / 5))[0] for j in range(x.size)], dtype=float)


def hessian(f: Callable, x: NDArray, grad: Callable | None = None) -> NDArray[np.float64]:
    """Richardson central-difference Hessian, from ``grad`` if given (may contain NaN or inf)."""
    k = x.size
    H = np.empty((k, k))
    if grad is not None:

        def d(j, step):
            e = _unit(x, j, step)
            plus, minus = np.asarray(grad(x + e)), np.asarray(grad(x - e))
            return (plus - minus) / (2 * step), _EPS * (_size(plus) + _size(minus)) / (2 * step)

        with np.errstate(invalid="ignore", over="ignore"):
            for j in range(k):
                H[:, j] = _richardson(d, x, j, _EPS ** (1 / 5))[0]
            return 0.5 * (H + H.T)
    c = _EPS ** (1 / 6)
    f0 = f(x)

    def second(i, j, si, sj):
        ei, ej = _unit(x, i, si), _unit(x, j, sj)
        if i == j:
            plus, minus = f(x + ei), f(x - ei)
            noise = _EPS * (abs(plus) + 2 * abs(f0) + abs(minus)) / (si * si)
            return (plus - 2 * f0 + minus) / (si * si), noise
        value = (f(x + ei + ej) - f(x + ei - ej) - f(x - ei + ej) + f(x - ei - ej)) / (4 * si * sj)
        return value, 0.0

    h = np.empty(k)
    with np.errstate(invalid="ignore", over="ignore"):
        for i in range(k):
            H[i, i], scale = _richardson(lambda j, step: second(j, j, step, step), x, i, c)
            h[i] = c * scale
        for i in range(k):
            for j in range(i + 1, k):
                coarse = second(i, j, h[i], h[j])[0]
                fine = second(i, j, h[i] / 2, h[j] / 2)[0]
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
