r"""Accurate numerical derivatives, for likelihoods that come without analytic ones.

Central differences with step :math:`h` have error :math:`O(h^2)`; combining two
steps by **Richardson extrapolation**,

.. math:: D = \frac{4 D(h/2) - D(h)}{3},

cancels the :math:`h^2` term and leaves :math:`O(h^4)`, so a larger step (less
rounding error) gives a more accurate answer. Steps are relative to
:math:`\max(1, |x_j|)`, or to :math:`|x_j|` itself where :math:`0 < |x_j| < 1` and the
difference at the larger step is lost in rounding (a function that varies on the scale of a tiny
:math:`x_j`, such as ``1e200 * t**2`` at ``t = 1e-200``). Standard errors from these Hessians agree
with analytic ones to about 7 significant digits on smooth likelihoods (a crude one-sided
difference gives about 2).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from numpy.typing import NDArray

from ._engine import numdiff
from ._engine.checks import as_float_array, check_callable
from ._engine.objectives import Objective


def _checked(f, x, gradient=None):
    """``f`` as an :class:`Objective` (a real number or a ValueError naming ``f``) and ``x``."""
    check_callable(f, "f", "f(x)")
    check_callable(gradient, "gradient", "gradient(x)", optional=True)
    x = as_float_array(x, "x", ndim=1)
    objective = Objective(f, (), gradient, None, name="f")
    value = objective(x)
    if not np.isfinite(value):
        raise ValueError(f"f is {value} at x; derivatives need a point where f is finite")
    if gradient is not None:
        objective.check_at(x)
    return objective, x


def _finite(result, what):
    if not np.all(np.isfinite(result)):
        raise ValueError(
            f"the {what} is not finite: f is NaN or infinite within a step of x (near a boundary "
            "of the parameter space?)"
        )
    return result


def numerical_gradient(f: Callable[[NDArray], float], x: NDArray) -> NDArray[np.float64]:
    r"""Gradient of ``f`` at ``x`` by Richardson-extrapolated central differences.

    .. math:: \frac{\partial f}{\partial x_j} \approx \frac{4D_j(h/2) - D_j(h)}{3}, \qquad
              D_j(h) = \frac{f(x + he_j) - f(x - he_j)}{2h},

    with :math:`h = \epsilon^{1/5}\max(1, |x_j|)` (and :math:`|x_j|` in place of 1 where that
    estimate is poor for a small :math:`x_j`: see the module ``mle_tutorial._engine.numdiff``).

    Parameters
    ----------
    f : callable
        ``f(x) -> float``, a real number.
    x : array_like, shape (k,)
        Where to differentiate; finite, with ``f(x)`` finite.

    Returns
    -------
    ndarray, shape (k,)

    Raises
    ------
    ValueError
        If ``f`` is not callable or returns something that is not a real number, ``x`` is not a
        finite 1-D array, or ``f`` is not finite at ``x`` or within a step of it.

    Examples
    --------
    >>> import numpy as np
    >>> cube_sum = lambda t: np.sum(t**3)
    >>> numerical_gradient(cube_sum, np.array([1.0, 2.0])).round(8)
    array([ 3., 12.])
    """
    objective, x = _checked(f, x)
    return _finite(numdiff.gradient(objective, x), "numerical gradient")


def numerical_hessian(
    f: Callable[[NDArray], float], x: NDArray, gradient: Callable[[NDArray], NDArray] | None = None
) -> NDArray[np.float64]:
    r"""Hessian of ``f`` at ``x``: from the analytic ``gradient`` if given, else from ``f`` alone.

    Both use central differences with Richardson extrapolation (differences of the gradient, or
    second differences of ``f`` with steps :math:`\epsilon^{1/6}\max(1, |x_j|)`); the result is
    symmetrized.

    Parameters
    ----------
    f : callable
        ``f(x) -> float``, a real number.
    x : array_like, shape (k,)
        Where to differentiate; finite, with ``f(x)`` finite.
    gradient : callable, optional
        ``gradient(x) -> array (k,)``, the analytic gradient of ``f``.

    Returns
    -------
    ndarray, shape (k, k)

    Raises
    ------
    ValueError
        As :func:`numerical_gradient`; also if ``gradient`` is not callable or returns the wrong
        shape or non-finite values at ``x``.

    Examples
    --------
    >>> import numpy as np
    >>> f = lambda t: t[0] ** 2 * t[1] + np.exp(t[1])
    >>> numerical_hessian(f, np.array([1.0, 0.0])).round(6)
    array([[0., 2.],
           [2., 1.]])
    """
    objective, x = _checked(f, x, gradient)
    grad = objective.gradient if gradient is not None else None
    return _finite(numdiff.hessian(objective, x, grad), "numerical Hessian")
