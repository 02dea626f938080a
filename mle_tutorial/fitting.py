r"""The one fit driver: from a model to a :class:`~mle_tutorial.FitResult`.

Every fitter ends here. A fit is an :class:`Estimate` (the record of what a method found: the
parameters, the log-likelihood, the covariance, how it stopped, and what to warn about);
:func:`finish` gives its warnings (the only place a fit warns) and builds the result, with the
model itself, so that the inference layer can reach the data and the derivatives through the
model's contract (``mle_tutorial.Likelihood``).

For a model of your own, :func:`fit_likelihood` is the whole driver: the model's negative
log-likelihood on an unconstrained working scale (each bounded parameter mapped to the real
line, see :mod:`~mle_tutorial._engine.transforms`), maximized by
:func:`~mle_tutorial._engine.optimize.maximize` (an optimizer, the optimality check and, with an
analytic Hessian, the one Newton polish), the covariance from the Hessian by the delta method,
and a profile that re-maximizes numerically.

This module knows models only by their contract (duck typing), so that it sits below the model
classes.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np
from numpy.typing import NDArray

from ._engine import covariance, numdiff
from ._engine.checks import as_float_array
from ._engine.objectives import CallbackError, call_user, real_array, start_phase
from ._engine.optimize import maximize
from ._engine.profiles import OptimizerProfile, ScaledProfile
from ._engine.report import sentence, warn
from ._engine.scale import Scaling, Unscale, unshift, unshift_cov
from ._engine.transforms import BoundsTransform
from .result import ConvergenceWarning, ExactFitWarning, FitResult, HessianWarning

#: The space of an unrestricted parameter (a coefficient), of a positive one (a scale, degrees of
#: freedom, a shape) and of a probability, for a model's ``bounds``.
FREE = (-np.inf, np.inf)
POSITIVE = (0.0, np.inf)
UNIT = (0.0, 1.0)

#: The optimizer methods of :func:`fit_likelihood` (and :func:`~mle_tutorial.fit_mle`).
METHODS = ("BFGS", "Newton", "Nelder-Mead")


def exact_fit_message(by: str) -> str:
    """The :class:`ExactFitWarning` of a model that fits y exactly. It does not print sigma-hat:
    at the rounding level its value is noise, different on every machine."""
    return (
        f"y is fitted exactly by {by} (the residuals are at the rounding level of y): sigma-hat is 0 "
        "and the likelihood is unbounded (loglik = inf), so sigma has no MLE and the standard errors "
        "are NaN; the coefficients are the exact solution."
    )


@dataclass
class Estimate:
    """What a fitting method found, before :func:`finish` turns it into a result.

    ``params``, ``loglik``, ``cov``, ``beta``, ``sigma`` and ``profile`` may be those of a fit to
    data scaled by powers of two; ``unscale`` maps them back (exactly: see
    :mod:`~mle_tutorial._engine.scale`). ``problem`` (a singular Hessian) is given as a
    :class:`HessianWarning`, ``failure`` as a :class:`ConvergenceWarning` (before the
    HessianWarning, unless ``singular_first``), ``exact_fit`` as an :class:`ExactFitWarning`
    (the standard errors are then NaN). ``names``, ``bounds`` and ``nobs`` default to the
    model's.
    """

    params: NDArray
    loglik: float
    converged: bool
    n_iter: int
    method: str
    message: str
    cov: NDArray
    problem: str | None = None
    profile: Callable[[int, float], float] | None = None
    beta: NDArray | None = None
    sigma: float | None = None
    failure: str | None = None
    exact_fit: str | None = None
    singular_first: bool = False
    unscale: Unscale | None = None
    names: Sequence[str] | None = None
    bounds: Sequence[tuple[float, float]] | None = None
    nobs: int | None = None
    constraints: int | None = field(default=None)


def finish(model, est: Estimate) -> FitResult:
    """The :class:`FitResult` of ``model`` from ``est``, after its warnings."""
    covariance_, problem = est.cov, est.problem
    if est.exact_fit is not None:
        covariance_, problem = np.full_like(covariance_, np.nan), None
    if est.failure is not None or problem is not None or est.exact_fit is not None:
        queued = [(est.failure, ConvergenceWarning), (problem, HessianWarning)]
        for text, category in [
            *(reversed(queued) if est.singular_first else queued),
            (est.exact_fit, ExactFitWarning),
        ]:
            if text is not None:
                warn(sentence(text), category)
    params = np.asarray(est.params, dtype=float)
    variances = covariance_.diagonal()
    # (the few variances read as Python floats: cheaper than NumPy's reduction; NaN is not >= 0)
    if all(v >= 0.0 for v in variances.tolist()):
        stderr = np.sqrt(variances)
    else:  # NaN (a singular Hessian, an exact fit) or a negative variance: NaN standard errors
        with np.errstate(invalid="ignore"):
            stderr = np.sqrt(variances)
    loglik, beta, sigma, profile, scaling = est.loglik, est.beta, est.sigma, est.profile, None
    unscale = est.unscale
    names = model.param_names if est.names is None else est.names
    if unscale is not None and not unscale.identity:
        scaling = Scaling(tuple(int(v) for v in unscale.exponents), unscale.loglik_shift, covariance_)
        e = np.asarray(unscale.exponents)
        check_representable(params, e, tuple(names))
        params, stderr, covariance_ = unshift(params, e), unshift(stderr, e), unshift_cov(covariance_, e)
        loglik = loglik + unscale.loglik_shift
        p = 0 if beta is None else len(beta)
        beta = None if beta is None else unshift(beta, e[:p])
        sigma = None if sigma is None else float(unshift(sigma, e[p]))
        profile = None if profile is None else ScaledProfile(profile, unscale.exponents, unscale.loglik_shift)
    bounds = model.bounds if est.bounds is None else est.bounds
    return FitResult._built(
        params=params,
        param_names=tuple(names),
        loglik=float(loglik),
        nobs=int(model.nobs if est.nobs is None else est.nobs),
        converged=bool(est.converged),
        n_iter=int(est.n_iter),
        method=est.method,
        message=est.message,
        beta=beta,
        sigma=sigma,
        cov=covariance_,
        profile=profile,
        bounds=None if bounds is None else float_bounds(bounds),
        cov_type="model",
        constraints=int(model.constraints if est.constraints is None else est.constraints),
        stderr=stderr,
        model=model,
        scaling=scaling,
    )


_BOUNDS: dict = {}


def float_bounds(bounds) -> tuple[tuple[float, float], ...]:
    """``bounds`` as a tuple of (float, float) pairs; the common ones (a model's tuple of ``FREE``
    and ``POSITIVE``) converted once and remembered."""
    try:
        found = _BOUNDS.get(bounds)
    except TypeError:  # not hashable (a list): converted every time
        found = None
    if found is None:
        found = tuple((float(lo), float(hi)) for lo, hi in bounds)
        if isinstance(bounds, tuple) and len(_BOUNDS) < 256:
            _BOUNDS[bounds] = found
    return found


def check_representable(params: NDArray, e: NDArray, names: Sequence[str]) -> None:
    """Raise if an estimate computed on data scaled by powers of two (``params``, exponents ``e``)
    is beyond the range of float64 on the data's own scale (a column of X near 1e-320 has a
    coefficient near 1e320): a ValueError naming the parameter, never an inf in the result."""
    finite = np.isfinite(params)
    back = unshift(params, e)
    bad = np.flatnonzero(finite & ~np.isfinite(back))
    if bad.size:
        j = int(bad[0])
        exponent = int(np.frexp(params[j])[1] + e[j])
        raise ValueError(
            f"the estimate of {names[j]} is about 2**{exponent}, beyond the largest float64 (2**1024, "
            "1.8e308), so it cannot be returned: a column of X (or y) is so far from 1 that its coefficient "
            "overflows; rescale the data (e.g. multiply the column by a power of ten) and scale the "
            "coefficient back by hand"
        )


# --- a model of your own: its negative log-likelihood on the working scale ------------------------
class _Contract(Protocol):
    """What :class:`LikelihoodObjective` uses of a model, for the type checker: a
    ``mle_tutorial.Likelihood`` has it all. Outputs are read by ``real_array``, so any object."""

    @property
    def has_score(self) -> bool: ...

    @property
    def has_hessian(self) -> bool: ...

    def loglik(self, params: NDArray) -> object: ...

    def score(self, params: NDArray) -> object: ...

    def hessian(self, params: NDArray) -> object: ...


@dataclass(frozen=True, eq=False)
class LikelihoodObjective:
    r""":math:`-\ell(x(t))` of a model on the working scale :math:`t` of its bounds, with its
    gradient and Hessian by the chain rule from the model's score and Hessian where it gives them
    (:math:`\nabla_t = D\,\nabla_x`, :math:`\nabla^2_t = D\,\nabla^2_x D + \mathrm{diag}(\nabla_x
    \ell\cdot x'')`, :math:`D = \mathrm{diag}(x')`), else by Richardson-extrapolated differences on
    the working scale (where no step can leave the parameter space). Picklable, as profiles are.
    A method of the model that raises, or returns what it must not, is a
    :class:`~mle_tutorial._engine.objectives.CallbackError` naming it."""

    model: _Contract
    transform: BoundsTransform
    name: str = "the model's negative log-likelihood"

    def _method(self, method: str, x: NDArray, shape: tuple[int, ...]) -> NDArray:
        call = f"{type(self.model).__name__}.{method}(params)"
        value = call_user(getattr(self.model, method), x, (), call, "params")
        try:
            return real_array(value, method, shape)
        except ValueError as exc:
            text = str(exc)
            raise CallbackError(
                call, text[len(method) + 1 :] if text.startswith(method) else text, x, param="params"
            ) from None

    def __call__(self, theta: NDArray) -> float:
        return -float(self._method("loglik", self.transform.to_natural(theta), ()))

    @property
    def analytic_hessian(self) -> bool:
        """Whether the model gives its Hessian (then the fit ends with the Newton polish)."""
        return bool(self.model.has_hessian)

    def safe(self, theta: NDArray) -> float:
        """The value, with inf for an impossible point (the optimizer then backs off)."""
        value = self(theta)
        return value if np.isfinite(value) else np.inf

    def gradient(self, theta: NDArray) -> NDArray:
        theta = np.asarray(theta, dtype=float)
        if not self.model.has_score:
            return numdiff.gradient(self, theta)
        x = self.transform.to_natural(theta)
        g = self._method("score", x, (theta.size,))
        return -(g * self.transform.derivative(theta))

    def hessian(self, theta: NDArray) -> NDArray:
        theta = np.asarray(theta, dtype=float)
        k = theta.size
        if not self.model.has_hessian:
            return numdiff.hessian(self, theta, self.gradient if self.model.has_score else None)
        x = self.transform.to_natural(theta)
        H = self._method("hessian", x, (k, k))
        d = self.transform.derivative(theta)
        out = H * np.outer(d, d)
        second = self.transform.second(theta)
        if np.any(second != 0):
            out = out + np.diag(self._method("score", x, (k,)) * second)
        return -out


def checked_start(model, start, caller: str) -> NDArray:
    """The model's start (``start``, else ``model.start()``), a finite vector with one value per
    parameter, strictly inside the parameter space."""
    if start is None:
        try:
            start = model.start()
        except NotImplementedError as exc:
            raise ValueError(
                f"{caller} needs a start: pass start=[...] or give {type(model).__name__} a start() "
                "method that returns one"
            ) from exc
    start = as_float_array(start, "start", ndim=1)
    names = model.param_names
    if len(names) != start.size:
        raise ValueError(
            f"start has {start.size} values but {type(model).__name__} has {len(names)} parameters "
            f"{tuple(names)}"
        )
    transform = BoundsTransform(tuple(model.bounds))
    outside = np.flatnonzero(transform.outside(start))
    if outside.size:
        j = int(outside[0])
        raise ValueError(
            f"start[{j}] = {start[j]:g} ({names[j]}) is outside the parameter space "
            f"({model.bounds[j][0]:g}, {model.bounds[j][1]:g}); choose a start inside it"
        )
    return start


def check_contributions(model, start: NDArray) -> int:
    """Call the model at ``start``: its contributions must be n finite numbers that sum to its
    log-likelihood. Returns n."""
    call = f"{type(model).__name__}.loglik_obs(params)"
    value = start_phase(call_user, model.loglik_obs, start, (), call, "params")
    try:
        contributions = np.asarray(value)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"loglik_obs(start) must return an array of numbers: {exc}") from exc
    if contributions.dtype.kind == "c":
        raise ValueError("loglik_obs(start) returned complex values; a log-likelihood is real")
    if contributions.dtype == object or contributions.dtype.kind not in "biuf" or contributions.ndim != 1:
        raise ValueError(
            f"loglik_obs(start) must return a 1-D array of numbers, one per observation, got shape "
            f"{contributions.shape} and dtype {contributions.dtype}"
        )
    if contributions.size < 2 or not np.all(np.isfinite(contributions)):
        raise ValueError("loglik_obs(start) must return n >= 2 finite log-likelihood contributions")
    total = float(np.sum(contributions))
    value = -start_phase(LikelihoodObjective(model, BoundsTransform((FREE,) * start.size)), start)
    if not abs(total - value) <= 1e-8 * max(1.0, abs(value)):
        raise ValueError(
            f"loglik_obs(start) sums to {total:.10g}, but loglik(start) is {value:.10g}: the "
            "contributions must sum to the log-likelihood"
        )
    return int(contributions.size)


def fit_likelihood(model, start=None, *, method: str | None = None, options: dict | None = None) -> FitResult:
    """Fit a model of the contract (``mle_tutorial.Likelihood``) by maximum likelihood: the
    default of ``Likelihood.fit`` and of :func:`~mle_tutorial.fit_mle` given a model."""
    caller = f"fit_mle({type(model).__name__})"
    start = checked_start(model, start, caller)
    nobs = check_contributions(model, start)
    if method is None:
        method = "Newton" if model.has_hessian else "BFGS"
    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}, got {method!r}")
    if method == "Newton" and not model.has_hessian:
        raise ValueError(f'method="Newton" needs an analytic hessian(params) in {type(model).__name__}')
    transform = BoundsTransform(tuple(model.bounds))
    objective = LikelihoodObjective(model, transform)
    theta0 = transform.from_natural(start)
    found = maximize(objective, theta0, method, options, caller)
    failure = None
    if not found.converged:
        failure = f"{caller} did not converge ({found.n_iter} iterations): {found.message}"
    params = transform.to_natural(found.theta)
    jacobian = None if transform.identity else np.diag(transform.derivative(found.theta))
    cov, problem = covariance.from_hessian(found.hessian, jacobian)
    profile = OptimizerProfile(
        objective,
        found.theta,
        method="trust-exact" if model.has_hessian else "BFGS",
        transform=None if transform.identity else transform,
    )
    est = Estimate(
        params=params,
        loglik=-found.value,
        converged=found.converged,
        n_iter=found.n_iter,
        method=method,
        message=found.message,
        cov=cov,
        problem=problem,
        profile=profile,
        failure=failure,
        nobs=nobs,
    )
    return finish(model, est)
