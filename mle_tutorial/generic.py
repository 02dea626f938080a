r"""Any likelihood: the seven steps with your own model and your own distribution.

Steps 2 to 6 of the book compute a log-likelihood from parameters and data; step 7
hands its negative to an optimizer. :func:`fit_mle` does step 7 for any
negative log-likelihood you write, or for any model you write as a
:class:`~mle_tutorial.Likelihood`, and then everything after the fit: standard
errors from the Hessian (analytic if you give one, otherwise an accurate
numerical one, see :mod:`mle_tutorial.numdiff`), a convergence check that does
not take the optimizer's word for it, intervals, tests and information criteria.
A function becomes a :class:`FunctionLikelihood`, the model of the fit.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, cast

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ._engine import covariance, numdiff
from ._engine.checks import as_float_array, check_callable, check_names, pandas_kind, positive_int
from ._engine.objectives import CallbackError, Objective, call_user, start_phase
from ._engine.optimize import OPTIMALITY_TOL, maximize, value_at_start
from ._engine.profiles import OptimizerProfile
from .fitting import METHODS, Estimate, finish
from .model import Likelihood
from .result import FitResult

__all__ = ["METHODS", "OPTIMALITY_TOL", "CallbackError", "FunctionLikelihood", "fit_mle"]


class FunctionLikelihood(Likelihood):
    """The model of ``fit_mle(negative_log_likelihood, start)``: your function (an
    :class:`~mle_tutorial._engine.objectives.Objective`, with your ``gradient`` and ``hessian``
    where given) and, where given, the per-observation contributions ``loglik_obs`` and their
    scores ``score_obs``. The package cannot know its family or data: ``name`` and ``data_key``
    are None, so :func:`~mle_tutorial.likelihood_ratio_test` leaves those checks to you."""

    name = None

    def __init__(self, objective: Objective, names: Sequence[str], nobs: int, *, loglik_obs=None,
                 score_obs=None, start=None, method: str = "BFGS", options: dict | None = None):  # fmt: skip
        self.objective = objective
        self.names = tuple(names)
        self.n = int(nobs)
        self.loglik_obs_function = loglik_obs
        self.score_obs_function = score_obs
        self.start_values = start
        self.method = method
        self.options = options

    @property
    def param_names(self) -> tuple[str, ...]:
        return self.names

    @property
    def bounds(self):
        return ((-np.inf, np.inf),) * len(self.names)

    @property
    def nobs(self) -> int:
        return self.n

    @property
    def has_scores(self) -> bool:
        return self.loglik_obs_function is not None

    @property
    def has_score(self) -> bool:
        return self.objective.gradient_function is not None

    @property
    def has_hessian(self) -> bool:
        return self.objective.hessian_function is not None

    def contributions(self, theta: NDArray) -> NDArray:
        if self.loglik_obs_function is None:
            raise ValueError("fit_mle was given no loglik_obs, so there are no per-observation contributions")
        value = call_user(self.loglik_obs_function, theta, self.objective.args, "loglik_obs(theta)")
        return _observations(value, "loglik_obs(theta)", theta, (self.n,) if self.n else None)

    def loglik_obs(self, params):
        return self.contributions(np.asarray(params, dtype=float))

    def loglik(self, params) -> float:
        return -self.objective(np.asarray(params, dtype=float))

    def score_obs(self, params):
        theta = np.asarray(params, dtype=float)
        if self.score_obs_function is not None:
            value = call_user(self.score_obs_function, theta, self.objective.args, "score_obs(theta)")
            n = self.n or np.size(self.contributions(theta))
            return _observations(value, "score_obs(theta)", theta, (n, theta.size))
        floor = np.maximum(np.abs(theta), 1.0)
        return numdiff.jacobian(self.contributions, theta, floor)

    def score(self, params):
        return -self.objective.gradient(np.asarray(params, dtype=float))

    def hessian(self, params):
        return -self.objective.hessian(np.asarray(params, dtype=float))

    def information(self, params):
        """The observed information (the Hessian of your negative log-likelihood)."""
        return self.objective.hessian(np.asarray(params, dtype=float))

    def start(self):
        if self.start_values is None:
            raise NotImplementedError("this fit_mle model keeps no start")
        return self.start_values

    def fit(self, start=None, *, method: str | None = None, options: dict | None = None) -> FitResult:
        start = self.start() if start is None else as_float_array(start, "start", ndim=1)
        return _fit_function(
            self,
            start,
            self.method if method is None else method,
            self.options if options is None else options,
        )


def fit_mle(
    negative_log_likelihood: Callable[..., float] | Likelihood,
    start: ArrayLike | None = None,
    *,
    gradient: Callable[..., ArrayLike] | None = None,
    hessian: Callable[..., ArrayLike] | None = None,
    method: str | None = None,
    args: Sequence = (),
    names: Sequence[str] | None = None,
    nobs: int | None = None,
    options: dict | None = None,
    loglik_obs: Callable[..., ArrayLike] | None = None,
    score_obs: Callable[..., ArrayLike] | None = None,
) -> FitResult:
    r"""Maximum likelihood for any model: minimize a negative log-likelihood you write, or fit a
    :class:`~mle_tutorial.Likelihood` you write.

    .. math:: \hat\theta = \arg\min_\theta\; -\ell(\theta), \qquad
              \widehat{\mathrm{cov}}(\hat\theta) = \left[\nabla^2(-\ell)(\hat\theta)\right]^{-1}

    Given a :class:`~mle_tutorial.Likelihood` ``model``, ``fit_mle(model)`` is ``model.fit()``:
    for a model of your own, its negative log-likelihood on the unconstrained scale of its
    ``bounds`` (each bounded parameter mapped to the real line), maximized by BFGS, or by
    SciPy's trust-region Newton method where the model gives ``hessian``; standard errors on
    the natural scale by the delta method; a profile that re-maximizes the others; and the
    result's ``model`` is the model, so that robust errors, the three tests and the bootstrap
    work through it. Only ``start``, ``method`` and ``options`` apply then.

    Every fit that gives an analytic Hessian ends, as the package's own fitters do, with at most
    six Newton steps from the optimizer's answer (each kept only if it does not lower the
    likelihood beyond rounding), so that the last digits do not depend on where the optimizer
    stopped; then the convergence check.

    Parameters
    ----------
    negative_log_likelihood : callable or Likelihood
        ``negative_log_likelihood(theta, *args) -> float`` (a real number). Write it on an
        unconstrained scale (``log(sigma)`` rather than ``sigma``); the standard
        errors are then on that scale too. Or a :class:`~mle_tutorial.Likelihood`.
    start : array_like, shape (k,)
        Starting parameters (step 1); optional for a Likelihood with a ``start()``. A pandas
        Series names the parameters by its index (unless ``names`` is given).
    gradient : callable, optional
        ``gradient(theta, *args) -> array (k,)``, the analytic gradient. Without it,
        BFGS uses central differences with Richardson extrapolation.
    hessian : callable, optional
        ``hessian(theta, *args) -> array (k, k)``. Used for the standard errors
        (and by ``method="Newton"``); without it the Hessian is computed
        numerically (from ``gradient`` if given).
    method : {"BFGS", "Newton", "Nelder-Mead"}, optional
        Default ``"Newton"`` (SciPy's ``trust-exact``) when ``gradient`` and
        ``hessian`` are both given, else ``"BFGS"``.
    args : sequence
        Extra arguments passed to the three callables (for example ``(X, y)``).
    names : sequence of str, optional
        A name for each parameter; default ``theta[0]``, ``theta[1]``, ...
    nobs : int, optional
        Number of observations, for the BIC (NaN without it).
    options : dict, optional
        ``max_iter`` (the optimizer's iterations) and ``tol`` (its gradient tolerance, relative
        to ``max(1, |negative_log_likelihood(start)|)``; for Nelder-Mead the size of the simplex),
        and SciPy's own options for the method. An unknown key is an error.
    loglik_obs : callable, optional
        ``loglik_obs(theta, *args) -> array (n,)``: the log-likelihood contribution of each
        observation, which sum to ``-negative_log_likelihood(theta, *args)``. With it the result
        has per-observation scores (its Jacobian, by Richardson-extrapolated differences) and so
        :meth:`~mle_tutorial.FitResult.robust`; ``nobs`` defaults to ``n``.
    score_obs : callable, optional
        ``score_obs(theta, *args) -> array (n, k)``: the analytic per-observation scores (the
        gradient of each contribution); used instead of differencing ``loglik_obs``.

    Returns
    -------
    FitResult
        ``params`` (on your scale), ``stderr``, ``cov``, ``loglik``, ``aic``, ``bic``,
        ``conf_int`` (Wald or profile: the profile re-maximizes the others
        numerically), ``summary()``, ``converged``.

    Raises
    ------
    ValueError
        If ``start`` is not a finite 1-D array (or, for a Likelihood, is outside its bounds); a
        callable is not callable; the function is not finite at ``start`` or returns something
        that is not a real number (an array, even of one element, a complex number);
        ``gradient`` or ``hessian`` return the wrong shape, complex or non-finite values at
        ``start`` (or a Hessian that is not symmetric); ``loglik_obs`` or ``score_obs`` is not a
        function, or at ``start`` the contributions are not a finite 1-D array summing to
        ``-negative_log_likelihood``, or the scores do not have shape (n, k); ``names`` has
        the wrong length; the ``method`` is unknown or needs a ``hessian`` that was not given;
        ``options`` has an unknown key; or a Likelihood comes with arguments that only a
        function takes. A function of yours (or a method of your Likelihood) that raises, or
        returns what it must not (complex values, an array where a number is due, another
        length of ``loglik_obs``), at start, during the fit or in ``robust()``: a ``ValueError``
        that names the call, says when and at which ``theta``, and what it raised or returned
        (the exception it raised is its ``__cause__``).

    Warns
    -----
    ConvergenceWarning
        If the optimizer stops early, or reports success at a point that is not a
        maximum (checked with a Newton step). The result has ``converged=False``.
    HessianWarning
        If the Hessian at the estimate is not positive definite (standard errors NaN).

    Examples
    --------
    The mean and log standard deviation of a normal sample:

    >>> import numpy as np
    >>> from mle_tutorial import normal_logpdf
    >>> x = np.array([4.9, 5.3, 5.1, 4.6, 5.6])
    >>> nll = lambda t: -np.sum(normal_logpdf(x, t[0], np.exp(t[1])))
    >>> fit = fit_mle(nll, [0.0, 0.0], names=["mu", "log_sigma"], nobs=5)
    >>> fit.params.round(4), fit.stderr.round(4)
    (array([ 5.1   , -1.0771]), array([0.1523, 0.3162]))

    A model of your own: see :class:`~mle_tutorial.Likelihood`.
    """
    if isinstance(negative_log_likelihood, Likelihood):
        given = {
            "gradient": gradient, "hessian": hessian, "names": names, "nobs": nobs,
            "loglik_obs": loglik_obs, "score_obs": score_obs,
        }  # fmt: skip
        extra = [name for name, value in given.items() if value is not None] + (["args"] if args else [])
        if extra:
            raise ValueError(
                f"fit_mle(model) takes start, method and options only; {extra} belong to a negative "
                "log-likelihood function (a Likelihood gives its own derivatives, names and data)"
            )
        return negative_log_likelihood.fit(start, method=method, options=options)
    check_callable(negative_log_likelihood, "negative_log_likelihood", "f(theta, *args)")
    check_callable(gradient, "gradient", "gradient(theta, *args)", optional=True)
    check_callable(hessian, "hessian", "hessian(theta, *args)", optional=True)
    if start is None:
        raise ValueError("fit_mle needs start=, the parameters to start from (step 1)")
    if not isinstance(args, (tuple, list)):
        raise ValueError(
            f"args must be a tuple of the extra arguments, e.g. args=(X, y), got {type(args).__name__} "
            "(a single argument is args=(X,))"
        )
    if names is None and pandas_kind(start) == "series":
        names = [str(label) for label in cast(Any, start).index]  # a Series (pandas is untyped to mypy)
    start = as_float_array(start, "start", ndim=1)
    k = start.shape[0]
    names = check_names(names, k, "theta")
    if nobs is not None:
        nobs = positive_int(nobs, "nobs")
    if method is None:
        method = "Newton" if (gradient is not None and hessian is not None) else "BFGS"
    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}, got {method!r}")
    if method == "Newton" and hessian is None:
        raise ValueError('method="Newton" needs a hessian')
    objective = Objective(negative_log_likelihood, tuple(args), gradient, hessian, user=True)
    f0 = value_at_start(objective, start)
    if loglik_obs is not None or score_obs is not None:
        n = _check_observations(loglik_obs, score_obs, tuple(args), start, f0)
        nobs = nobs if nobs is not None else n
    model = FunctionLikelihood(
        objective, names, 0 if nobs is None else nobs, loglik_obs=loglik_obs, score_obs=score_obs,
        start=start, method=method, options=options,
    )  # fmt: skip
    objective.check_at(start)
    if hessian is not None:
        covariance.check_hessian(start_phase(objective.hessian, start), "hessian(start)")
    return _fit_function(model, start, method, options)


def _fit_function(model: FunctionLikelihood, start: NDArray, method: str, options: dict | None) -> FitResult:
    """Minimize the function (the one driver: optimizer, check, and with a Hessian the polish)."""
    found = maximize(model.objective, start, method, options, f"fit_mle(method={method!r})")
    failure = None
    if not found.converged:
        failure = f"fit_mle(method={method!r}) did not converge ({found.n_iter} iterations): {found.message}"
    cov, problem = covariance.from_hessian(found.hessian)
    est = Estimate(
        params=found.theta,
        loglik=-found.value,
        converged=found.converged,
        n_iter=found.n_iter,
        method=method,
        message=found.message,
        cov=cov,
        problem=problem,
        profile=OptimizerProfile(model.objective, found.theta),
        failure=failure,
    )
    return finish(model, est)


def _check_observations(loglik_obs, score_obs, args: tuple, start: NDArray, f0: float) -> int:
    """Check ``loglik_obs`` (and ``score_obs``) at ``start``: n finite contributions that sum to
    minus the negative log-likelihood, and scores of shape (n, k). Returns n."""
    if loglik_obs is None:
        raise ValueError("score_obs needs loglik_obs too (the per-observation log-likelihood contributions)")
    for name, fn in (("loglik_obs", loglik_obs), ("score_obs", score_obs)):
        if fn is not None and not callable(fn):
            raise ValueError(f"{name} must be a function f(theta, *args), got {type(fn).__name__}")
    value = start_phase(call_user, loglik_obs, start, args, "loglik_obs(theta)")
    contributions = start_phase(_observations, value, "loglik_obs(theta)", start, None)
    if contributions.size < 2 or not np.all(np.isfinite(contributions)):
        raise ValueError("loglik_obs(start) must return n >= 2 finite log-likelihood contributions")
    total = float(np.sum(contributions))
    if not abs(total + f0) <= 1e-8 * max(1.0, abs(f0)):
        raise ValueError(
            f"loglik_obs(start) sums to {total:.10g}, but negative_log_likelihood(start) is {f0:.10g}: "
            "the contributions must sum to minus the negative log-likelihood"
        )
    if score_obs is not None:
        value = start_phase(call_user, score_obs, start, args, "score_obs(theta)")
        start_phase(_observations, value, "score_obs(theta)", start, (contributions.size, start.size))
    return int(contributions.size)


def _observations(value: object, call: str, theta: NDArray, shape: tuple[int, ...] | None) -> NDArray:
    """What ``loglik_obs`` (``shape`` (n,), or None: any 1-D length) or ``score_obs`` ((n, k))
    returned, as a real float array of that shape; else a CallbackError saying what it returned."""
    try:
        arr = np.asarray(value)
    except Exception as exc:
        raise CallbackError(call, f"returned {type(value).__name__}, not an array of numbers", theta) from exc
    if arr.dtype.kind == "c":
        raise CallbackError(call, "returned complex values; log-likelihoods and their scores are real", theta)
    if arr.dtype == object or arr.dtype.kind not in "biuf":
        raise CallbackError(call, f"must return numbers, got an array of dtype {arr.dtype}", theta)
    if shape is None:
        if arr.ndim != 1:
            raise CallbackError(
                call,
                f"returned shape {arr.shape}; it must return a 1-D array, one value per observation",
                theta,
            )
        return arr.astype(np.float64, copy=False)
    if arr.shape != shape and not (len(shape) == 1 and arr.size == shape[0] and arr.ndim <= 1):
        what = f"n = {shape[0]} values, one per observation" if len(shape) == 1 else f"shape (n, k) = {shape}"
        raise CallbackError(call, f"returned shape {arr.shape}; it must return {what}", theta)
    return arr.astype(np.float64, copy=False).reshape(shape)
