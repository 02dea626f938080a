r"""Any likelihood: the seven steps with your own model and your own distribution.

Steps 2 to 6 of the book compute a log-likelihood from parameters and data; step 7
hands its negative to an optimizer. :func:`fit_mle` does step 7 for any
negative log-likelihood you write, and then everything after the fit: standard
errors from the Hessian (analytic if you give one, otherwise an accurate
numerical one, see :mod:`mle_tutorial.numdiff`), a convergence check that does
not take the optimizer's word for it, intervals, tests and information criteria.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from numpy.typing import ArrayLike

from ._engine import covariance
from ._engine.checks import as_float_array, check_callable, check_names, pandas_kind, positive_int
from ._engine.finish import finish
from ._engine.objectives import Objective
from ._engine.optimize import OPTIMALITY_TOL, default_options, minimize, value_at_start
from ._engine.profiles import OptimizerProfile
from ._engine.result import FitResult
from ._engine.scores import check_observations

METHODS = ("BFGS", "Newton", "Nelder-Mead")

__all__ = ["METHODS", "OPTIMALITY_TOL", "fit_mle"]


def fit_mle(
    negative_log_likelihood: Callable[..., float],
    start: ArrayLike,
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
    r"""Maximum likelihood for any model: minimize a negative log-likelihood you write.

    .. math:: \hat\theta = \arg\min_\theta\; -\ell(\theta), \qquad
              \widehat{\mathrm{cov}}(\hat\theta) = \left[\nabla^2(-\ell)(\hat\theta)\right]^{-1}

    Parameters
    ----------
    negative_log_likelihood : callable
        ``negative_log_likelihood(theta, *args) -> float`` (a real number). Write it on an
        unconstrained scale (``log(sigma)`` rather than ``sigma``); the standard
        errors are then on that scale too.
    start : array_like, shape (k,)
        Starting parameters (step 1). A pandas Series names the parameters by its index
        (unless ``names`` is given).
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
        Passed to :func:`scipy.optimize.minimize`.
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
        If ``start`` is not a finite 1-D array, the function is not finite at ``start``
        or returns something that is not a number, ``names`` has the wrong length, or
        the ``method`` is unknown or needs a ``hessian`` that was not given; if
        ``loglik_obs`` or ``score_obs`` is not a function, or at ``start`` the contributions
        are not a finite 1-D array summing to ``-negative_log_likelihood``, or the scores do not
        have shape (n, k).
        If ``start`` is not a finite 1-D array; a callable is not callable; the function is
        not finite at ``start`` or returns something that is not a real number (an array, a
        complex number); ``gradient`` or ``hessian`` return the wrong shape, complex or
        non-finite values at ``start`` (or a Hessian that is not symmetric); ``names`` has the
        wrong length; or the ``method`` is unknown or needs a ``hessian`` that was not given.

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
    """
    check_callable(negative_log_likelihood, "negative_log_likelihood", "f(theta, *args)")
    check_callable(gradient, "gradient", "gradient(theta, *args)", optional=True)
    check_callable(hessian, "hessian", "hessian(theta, *args)", optional=True)
    if not isinstance(args, (tuple, list)):
        raise ValueError(
            f"args must be a tuple of the extra arguments, e.g. args=(X, y), got {type(args).__name__} "
            "(a single argument is args=(X,))"
        )
    if names is None and pandas_kind(start) == "series":
        names = [str(label) for label in start.index]
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
    objective = Objective(negative_log_likelihood, tuple(args), gradient, hessian)
    f0 = value_at_start(objective, start)
    scores = None
    if loglik_obs is not None or score_obs is not None:
        scores = check_observations(loglik_obs, score_obs, tuple(args), objective, start, f0)
        nobs = nobs if nobs is not None else scores.contributions(start).shape[0]
    objective.check_at(start)
    if hessian is not None:
        covariance.check_hessian(objective.hessian(start), "hessian(start)")
    found = minimize(objective, start, method, default_options(method, f0, k, options))
    failure = None
    if not found.converged:
        failure = f"fit_mle(method={method!r}) did not converge ({found.n_iter} iterations): {found.message}"
    return finish(
        params=found.theta,
        names=names,
        loglik=-found.value,
        nobs=nobs if nobs is not None else 0,
        converged=found.converged,
        n_iter=found.n_iter,
        method=method,
        message=found.message,
        cov=covariance.from_hessian(found.hessian),
        profile=OptimizerProfile(objective, found.theta),
        failure=failure,
        scores=scores,
    )
