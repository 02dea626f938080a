r"""Profile log-likelihoods that do not depend on the model, as picklable objects.

A profile is called as ``profile(j, value)``: the largest log-likelihood with parameter ``j``
held at ``value`` and the others re-maximized. Each model gives its own (a closed form where it
has one: see ``Likelihood.profile``); two work for any:

* :class:`OptimizerProfile`: re-minimize a negative log-likelihood numerically from the estimate;
* :class:`ScaledProfile`: the profile of a fit computed on data scaled by powers of two.

They compare by value, as :class:`~mle_tutorial.FitResult` equality does.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from . import lazy
from .objectives import ObjectiveLike
from .scale import unshift
from .transforms import BoundsTransform


@dataclass(eq=False)
class OptimizerProfile:
    """Re-minimize ``objective`` over the other parameters, always from the estimate (so that a
    profile value does not depend on which values were asked for before: root-finding needs
    that). With a ``transform`` (see :mod:`~mle_tutorial._engine.transforms`) the parameters are
    fitted on its working scale but held on their natural scale (-inf for an impossible value).
    ``method`` is ``"BFGS"`` (gradient) or ``"trust-exact"`` (gradient and Hessian)."""

    objective: ObjectiveLike
    theta_hat: NDArray
    method: str = "BFGS"
    maxiter: int = 500
    transform: BoundsTransform | None = None

    def __call__(self, j: int, value: float) -> float:
        if self.transform is not None:
            value = self.transform.working_value(j, value)
            if not np.isfinite(value):
                return -np.inf
        others = np.delete(np.arange(self.theta_hat.size), j)
        if others.size == 0:
            return -self.objective(np.array([value]))
        full = Full(self.theta_hat, others, j, value)
        hess = Part(self.objective.hessian, full, np.ix_(others, others))
        res = lazy.optimize().minimize(
            Then(self.objective.safe, full),
            self.theta_hat[others],
            jac=Part(self.objective.gradient, full, others),
            hess=hess if self.method == "trust-exact" else None,
            method=self.method,
            options={"gtol": 1e-9, "maxiter": self.maxiter},
        )
        return -float(res.fun)


@dataclass(frozen=True)
class Full:
    """The full parameter vector from the free ones, with parameter ``j`` held at ``value``."""

    theta_hat: NDArray
    others: NDArray
    j: int
    value: float

    def __call__(self, free: NDArray) -> NDArray:
        t = self.theta_hat.copy()
        t[self.others] = free
        t[self.j] = self.value
        return t


@dataclass(frozen=True)
class Then:
    """``outer(inner(x))``."""

    outer: Callable
    inner: Callable

    def __call__(self, x):
        return self.outer(self.inner(x))


@dataclass(frozen=True)
class Part:
    """``function(full(free))[index]``: a derivative restricted to the free parameters."""

    function: Callable
    full: Callable
    index: object

    def __call__(self, free: NDArray) -> NDArray:
        return self.function(self.full(free))[self.index]


@dataclass(eq=False)
class ScaledProfile:
    """The profile of a fit computed on data scaled by powers of two (see
    :mod:`~mle_tutorial._engine.scale`), on the scale of the data: parameter ``j`` is held at
    ``value / 2**exponents[j]`` in ``inner``, whose log-likelihood gains ``loglik_shift``."""

    inner: Callable
    exponents: tuple[int, ...]
    loglik_shift: float

    def __call__(self, j: int, value: float) -> float:
        return float(self.inner(j, float(unshift(value, -self.exponents[j])))) + self.loglik_shift
