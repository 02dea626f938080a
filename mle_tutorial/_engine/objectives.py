"""Picklable likelihood objects: what a fitter minimizes, and what a profile re-minimizes.

Like statsmodels' ``LikelihoodModel`` (``loglike``/``score``/``hessian``) or iminuit's
``Cost``, an :class:`Objective` bundles a negative log-likelihood with its derivatives,
analytic where given and numerical (:mod:`~mle_tutorial._engine.numdiff`) otherwise. They are
classes, not closures, so that a fit's profile (which holds one) can be pickled; a user's
function inside pickles only if it is defined at module level.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from . import numdiff


@dataclass(frozen=True, eq=False)
class Objective:
    """``function(theta, *args)``, a negative log-likelihood, with its ``gradient`` and ``hessian``.

    Calling it returns a float, or raises ``ValueError`` naming ``name`` if the function returns
    something that is not a number.
    """

    function: Callable[..., float]
    args: tuple = ()
    gradient_function: Callable[..., NDArray] | None = None
    hessian_function: Callable[..., NDArray] | None = None
    name: str = "negative_log_likelihood"

    def __call__(self, theta: NDArray) -> float:
        value = self.function(theta, *self.args)
        if isinstance(value, (str, bytes)):
            raise ValueError(f"{self.name} must return a number, got {value!r}")
        try:
            return float(value)
        except (TypeError, ValueError) as exc:
            raise ValueError(f"{self.name} must return a number, got {value!r}") from exc

    def safe(self, theta: NDArray) -> float:
        """The value, with inf for an impossible point (the optimizer then backs off)."""
        value = self(theta)
        return value if np.isfinite(value) else np.inf

    def gradient(self, theta: NDArray) -> NDArray:
        if self.gradient_function is not None:
            return np.asarray(self.gradient_function(theta, *self.args), dtype=float)
        return numdiff.gradient(self, np.asarray(theta, dtype=float))

    def hessian(self, theta: NDArray) -> NDArray:
        if self.hessian_function is not None:
            return np.asarray(self.hessian_function(theta, *self.args), dtype=float)
        grad = self.gradient if self.gradient_function is not None else None
        return numdiff.hessian(self, np.asarray(theta, dtype=float), grad)


@dataclass(frozen=True, eq=False)
class Mean:
    """The mean function of a nonlinear regression, ``model(x, beta)``, as a flat float array."""

    model: Callable
    x: NDArray

    def __call__(self, beta: NDArray) -> NDArray:
        return np.asarray(self.model(self.x, beta), dtype=float).reshape(-1)


@dataclass(frozen=True, eq=False)
class Residual:
    """``mean(beta) - y``: what nonlinear least squares drives to its smallest sum of squares."""

    mean: Callable
    y: NDArray

    def __call__(self, beta: NDArray) -> NDArray:
        return self.mean(beta) - self.y


@dataclass(frozen=True, eq=False)
class MeanJacobian:
    """:math:`\\partial f/\\partial\\beta` (n, p): ``jac(x, beta)`` if given, else numerical."""

    mean: Mean
    jac: Callable | None
    floor: NDArray
    shape: tuple[int, int] = field(default=(0, 0))

    def __call__(self, beta: NDArray) -> NDArray:
        if self.jac is not None:
            return np.asarray(self.jac(self.mean.x, beta), dtype=float).reshape(self.shape)
        return numdiff.jacobian(self.mean, beta, self.floor)
