r"""Profile log-likelihoods, as picklable objects.

A profile is called as ``profile(j, value)``: the largest log-likelihood with parameter ``j``
held at ``value`` and the others re-maximized. One class per kind of estimate:

* :class:`NormalProfile`: the normal linear model, in closed form (sigma profiled out);
* :class:`GLMProfile`: a GLM, refitted by Newton with the held column moved into the offset;
* :class:`OptimizerProfile`: any likelihood, re-minimized numerically from the estimate;
* :class:`LeastSquaresProfile`: nonlinear regression, the RSS re-minimized over the others;
* :class:`~mle_tutorial._engine.em.MixtureProfile` (in :mod:`~mle_tutorial._engine.em`, beside the
  mixture likelihood): a weight, mean or sigma of a normal mixture held, the others re-maximized.

They compare by value (:func:`same`), which :class:`~mle_tutorial.FitResult` equality uses.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from . import lazy
from .families import Family, glm_stats
from .irls import check_and_start, exact_loglik, fit_glm
from .lstsq import solve
from .objectives import Objective, Residual
from .optimize import least_squares
from .rows import is_dask
from .scale import unshift

_LOG_2PI = np.log(2.0 * np.pi)


def same(a, b) -> bool:
    """Value equality that works through arrays (NaN equal to NaN), dataclasses, tuples and dicts;
    Dask arrays are equal when their graphs are (the same ``name``)."""
    if a is b:
        return True
    if type(a) is not type(b):
        return False
    if isinstance(a, np.ndarray):
        return a.shape == b.shape and np.array_equal(a, b, equal_nan=a.dtype.kind in "fc")
    if is_dask(a):
        return a.name == b.name
    if dataclasses.is_dataclass(a):
        return all(same(getattr(a, f.name), getattr(b, f.name)) for f in dataclasses.fields(a) if f.compare)
    if isinstance(a, (tuple, list)):
        return len(a) == len(b) and all(same(u, v) for u, v in zip(a, b, strict=True))
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    if hasattr(a, "__dict__") and not callable(a):  # a row source
        return same(vars(a), vars(b))
    return bool(a == b)


def normal_max_loglik(n: int, *, sigma: float | None = None, rss: float | None = None) -> float:
    r"""The normal log-likelihood at its maximum over beta for a given sigma-hat:
    :math:`-\frac n2(\log 2\pi + 2\log\hat\sigma + 1)`, or from the RSS,
    :math:`-\frac n2(\log(2\pi\,\mathrm{RSS}/n) + 1)`; ``inf`` for an exact fit (sigma-hat = 0)."""
    if sigma is not None:
        return np.inf if sigma == 0 else float(-0.5 * n * (_LOG_2PI + 2.0 * np.log(sigma) + 1.0))
    return np.inf if rss == 0 else float(-0.5 * n * (np.log(2.0 * np.pi * rss / n) + 1.0))


def sigma_profile(n: int, rss: float, value: float) -> float:
    """Profile log-likelihood of sigma in a normal model: beta-hat does not depend on sigma, so
    it is the log-likelihood at (beta-hat, value); -inf for value <= 0."""
    if not value > 0:
        return -np.inf
    return float(-n * np.log(value) - 0.5 * n * np.log(2 * np.pi) - rss / (2 * value**2))


# --- the normal linear model: closed form -------------------------------------------------------
@dataclass(eq=False)
class Projections:
    r"""Held :math:`\beta_j = b`, the best RSS is :math:`\mathrm{RSS} + \lVert v\rVert^2 (b - b_j)^2`,
    with ``u`` and ``v`` the residuals of ``y`` and ``X[:, j]`` on the other columns and
    :math:`b_j = u^\top v / v^\top v`, computed (exactly) when first needed."""

    X: NDArray
    y: NDArray
    cache: dict = field(default_factory=dict, compare=False, repr=False)

    def rss_at(self, rss: float, j: int, value: float) -> float:
        if j not in self.cache:
            others = np.delete(self.X, j, axis=1)
            if others.shape[1] == 0:
                u, v = self.y, self.X[:, j]
            else:
                u = solve(others, self.y).residuals
                v = solve(others, self.X[:, j]).residuals
            vv = math.fsum(v * v)
            self.cache[j] = (math.fsum(u * v) / vv, vv)
        b_j, vv = self.cache[j]
        return rss + vv * (value - b_j) ** 2


@dataclass(eq=False)
class Sums:
    r"""The same from the estimate and :math:`(X^\top X)^{-1}` alone (a fit over row chunks):
    :math:`\mathrm{RSS} + (b - \hat\beta_j)^2 / [(X^\top X)^{-1}]_{jj}`."""

    beta: NDArray
    xtx_inv: NDArray

    def rss_at(self, rss: float, j: int, value: float) -> float:
        return rss + (value - self.beta[j]) ** 2 / self.xtx_inv[j, j]


@dataclass(eq=False)
class NormalProfile:
    """Profile of the normal linear model: sigma profiled out as sqrt(RSS / n); held at ``s``,
    sigma gives the log-likelihood at (beta-hat, s)."""

    n: int
    p: int
    rss: float
    coefficients: Projections | Sums

    def __call__(self, j: int, value: float) -> float:
        if j == self.p:
            return sigma_profile(self.n, self.rss, value)
        rss_b = self.coefficients.rss_at(self.rss, j, value)
        return normal_max_loglik(self.n, sigma=np.sqrt(rss_b / self.n))


# --- GLMs: refit with the held column in the offset -----------------------------------------------
@dataclass(eq=False)
class GLMProfile:
    """Hold ``beta[j]`` at a value and refit the others by Newton. In memory each refit starts
    from the last one for the same ``j`` (first from the estimate); over chunks it is a fresh fit
    (its own checks and start)."""

    rows: object
    family: Family
    beta_hat: NDArray
    warm: dict = field(default_factory=dict, compare=False, repr=False)

    def __call__(self, j: int, value: float) -> float:
        rows = self.rows.hold_column(j, value)
        if rows.p == 0:  # nothing left to re-maximize: the log-likelihood at beta[j] = value
            if rows.in_memory:  # all rows at once (a Dask chunk is summed block by block, as in a fit)
                ll = self.family.block(rows.offset, rows.y)[0]
            else:
                ll = rows.reduce(glm_stats, beta=np.zeros(0), family=self.family)["loglik"]
            return float(ll)
        if rows.in_memory:
            start = self.warm.get(j, np.delete(self.beta_hat, j))
        else:
            start = check_and_start(rows, self.family)
        fit = fit_glm(rows, self.family, start)
        if rows.in_memory and np.isfinite(fit.loglik):
            self.warm[j] = fit.beta
        return exact_loglik(rows, self.family, fit)


# --- any likelihood: re-minimize numerically --------------------------------------------------------
@dataclass(eq=False)
class OptimizerProfile:
    """Re-minimize ``objective`` over the other parameters, always from the estimate (so that a
    profile value does not depend on which values were asked for before: root-finding needs
    that). With ``natural_from=m``, parameters ``m, m+1, ...`` are fitted on the log scale but
    held on their natural scale (-inf for a value <= 0). ``method`` is ``"BFGS"`` (gradient) or
    ``"trust-exact"`` (gradient and Hessian)."""

    objective: Objective
    theta_hat: NDArray
    method: str = "BFGS"
    maxiter: int = 500
    natural_from: int | None = None

    def __call__(self, j: int, value: float) -> float:
        if self.natural_from is not None and j >= self.natural_from:
            if not value > 0:
                return -np.inf
            value = float(np.log(value))
        others = np.delete(np.arange(self.theta_hat.size), j)
        if others.size == 0:
            return -self.objective(np.array([value]))
        full = _Full(self.theta_hat, others, j, value)
        hess = _Part(self.objective.hessian, full, np.ix_(others, others))
        res = lazy.optimize().minimize(
            _Then(self.objective.safe, full),
            self.theta_hat[others],
            jac=_Part(self.objective.gradient, full, others),
            hess=hess if self.method == "trust-exact" else None,
            method=self.method,
            options={"gtol": 1e-9, "maxiter": self.maxiter},
        )
        return -float(res.fun)


@dataclass(frozen=True)
class _Full:
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
class _Then:
    """``outer(inner(x))``."""

    outer: Callable
    inner: Callable

    def __call__(self, x):
        return self.outer(self.inner(x))


@dataclass(frozen=True)
class _Part:
    function: Callable
    full: Callable
    index: object

    def __call__(self, free: NDArray) -> NDArray:
        return self.function(self.full(free))[self.index]


# --- a fit on scaled data -----------------------------------------------------------------------
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


# --- nonlinear regression: re-minimize the RSS --------------------------------------------------
@dataclass(eq=False)
class LeastSquaresProfile:
    """Re-minimize the RSS over the other coefficients (trust-region reflective), always starting
    from the estimate: a nonlinear RSS can have other local minima, and a warm start from a
    previous, distant value could carry a bad one into every later evaluation. Sigma: as in the
    linear model, beta-hat does not depend on it."""

    mean: Callable
    mean_jacobian: Callable
    y: NDArray
    beta_hat: NDArray
    rss_hat: float
    max_nfev: int

    def __call__(self, j: int, value: float) -> float:
        n, p = self.y.shape[0], self.beta_hat.shape[0]
        if j == p:
            return sigma_profile(n, self.rss_hat, value)
        others = np.delete(np.arange(p), j)
        full = _Full(self.beta_hat, others, j, value)
        if others.size == 0:
            r = self.y - self.mean(full(np.empty(0)))
            rss = float(np.sum(r * r))
        else:
            residual = Residual(_Then(self.mean, full), self.y)
            jacobian = _Part(self.mean_jacobian, full, (slice(None), others))
            res = least_squares(residual, jacobian, self.beta_hat[others], "trf", self.max_nfev)
            rss = float(np.sum(res.fun * res.fun))
        if not (np.isfinite(rss) and rss > 0):
            return -np.inf
        return normal_max_loglik(n, rss=rss)
