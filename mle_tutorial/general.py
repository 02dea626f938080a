r"""Any likelihood: the seven steps with your own model and your own distribution.

Steps 2 to 6 of the book compute a log-likelihood from parameters and data; step 7
hands its negative to an optimizer. :func:`fit_mle` does step 7 for any
negative log-likelihood you write, and then everything after the fit: standard
errors from the Hessian (analytic if you give one, otherwise an accurate
numerical one, see :mod:`mle_tutorial.numdiff`), a convergence check that does
not take the optimizer's word for it, intervals, tests and information criteria.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence

import numpy as np
import scipy.linalg
import scipy.optimize
from numpy.typing import ArrayLike, NDArray

from ._validate import as_float_array
from .inference import covariance_from_hessian
from .numdiff import _gradient, _hessian
from .result import ConvergenceWarning, FitResult

#: An optimizer's answer counts as converged only if a Newton step from it would
#: move no parameter by more than this, relative to ``max(1, |parameter|)``.
OPTIMALITY_TOL = 1e-6

METHODS = ("BFGS", "Newton", "Nelder-Mead")


def newton_distance(gradient: NDArray, hessian: NDArray, x: NDArray) -> float:
    """Largest relative move of a Newton step from ``x``; inf if the Hessian is not positive definite.

    A small value means ``x`` is (to that relative accuracy) a local minimum of the
    function whose gradient and Hessian are given.
    """
    try:
        step = scipy.linalg.solve(hessian, gradient, assume_a="pos")
    except (np.linalg.LinAlgError, ValueError):
        return np.inf
    if not np.all(np.isfinite(step)):
        return np.inf
    return float(np.max(np.abs(step) / np.maximum(1.0, np.abs(x))))


def optimality_message(distance: float) -> str:
    """Explain why an optimizer's answer failed :func:`newton_distance`."""
    if np.isinf(distance):
        return " But it is not a maximum of the likelihood: the Hessian there is not positive definite."
    return (
        " But it is not a maximum of the likelihood: a Newton step would still move the parameters "
        f"by {distance:.1e} (relative), more than {OPTIMALITY_TOL:.0e}."
    )


def _checked(f: Callable, name: str) -> Callable:
    def wrapped(x):
        value = f(x)
        if isinstance(value, (str, bytes)):
            raise ValueError(f"{name} must return a number, got {value!r}")
        try:
            value = float(value)
        except (TypeError, ValueError) as exc:
            raise ValueError(f"{name} must return a number, got {value!r}") from exc
        return value

    return wrapped


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
) -> FitResult:
    r"""Maximum likelihood for any model: minimize a negative log-likelihood you write.

    .. math:: \hat\theta = \arg\min_\theta\; -\ell(\theta), \qquad
              \widehat{\mathrm{cov}}(\hat\theta) = \left[\nabla^2(-\ell)(\hat\theta)\right]^{-1}

    Parameters
    ----------
    negative_log_likelihood : callable
        ``negative_log_likelihood(theta, *args) -> float``. Write it on an
        unconstrained scale (``log(sigma)`` rather than ``sigma``); the standard
        errors are then on that scale too.
    start : array_like, shape (k,)
        Starting parameters (step 1).
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
        the ``method`` is unknown or needs a ``hessian`` that was not given.

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
    start = as_float_array(start, "start", ndim=1)
    k = start.shape[0]
    if names is None:
        names = tuple(f"theta[{j}]" for j in range(k))
    names = tuple(str(name) for name in names)
    if len(names) != k:
        raise ValueError(f"names has {len(names)} entries but start has {k}")
    if nobs is not None and (isinstance(nobs, bool) or not isinstance(nobs, (int, np.integer)) or nobs < 1):
        raise ValueError(f"nobs must be a positive integer, got {nobs!r}")
    if method is None:
        method = "Newton" if (gradient is not None and hessian is not None) else "BFGS"
    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}, got {method!r}")
    if method == "Newton" and hessian is None:
        raise ValueError('method="Newton" needs a hessian')

    f = _checked(lambda t: negative_log_likelihood(t, *args), "negative_log_likelihood")
    f0 = f(start)
    if not np.isfinite(f0):
        raise ValueError(
            f"negative_log_likelihood is {f0} at start; choose a start where the likelihood is positive"
        )

    def safe_f(t):
        value = f(t)
        return value if np.isfinite(value) else np.inf  # an impossible point: the optimizer backs off

    if gradient is not None:

        def grad(t):
            return np.asarray(gradient(t, *args), dtype=float)
    else:

        def grad(t):
            return _gradient(f, np.asarray(t, dtype=float))

    def hess(t):
        if hessian is not None:
            return np.asarray(hessian(t, *args), dtype=float)
        return _hessian(f, np.asarray(t, dtype=float), grad if gradient is not None else None)

    opts = dict(options or {})
    if method == "BFGS":
        opts.setdefault("gtol", 1e-8 * max(1.0, abs(f0)))
        opts.setdefault("maxiter", 2000)
        res = scipy.optimize.minimize(safe_f, start, jac=grad, method="BFGS", options=opts)
    elif method == "Newton":
        opts.setdefault("gtol", 1e-10 * max(1.0, abs(f0)))
        res = scipy.optimize.minimize(safe_f, start, jac=grad, hess=hess, method="trust-exact", options=opts)
    else:
        opts.setdefault("xatol", 1e-10)
        opts.setdefault("fatol", 1e-12 * max(1.0, abs(f0)))
        opts.setdefault("maxiter", 2000 * k)
        opts.setdefault("maxfev", 4000 * k)
        res = scipy.optimize.minimize(safe_f, start, method="Nelder-Mead", options=opts)

    theta = np.asarray(res.x, dtype=float)
    value = f(theta)
    if not np.isfinite(value):
        raise ValueError(f"negative_log_likelihood is {value} at the optimizer's answer {theta}")
    # Converged means first-order optimality, checked with a Newton step, whatever the optimizer
    # says: it may report success away from a maximum, or stop short at one (rounding-level steps).
    message = str(res.message)
    H = hess(theta)
    distance = newton_distance(grad(theta), H, theta)
    converged = distance <= OPTIMALITY_TOL
    if not converged:
        message += optimality_message(distance)
    elif not res.success:
        message += f" (A Newton step from here moves the parameters by only {distance:.1e}: converged.)"
    if not converged:
        warnings.warn(
            f"fit_mle(method={method!r}) did not converge ({res.nit} iterations): {message}",
            ConvergenceWarning,
            stacklevel=2,
        )
    cov = covariance_from_hessian(H)
    return FitResult(
        params=theta,
        param_names=names,
        loglik=-value,
        nobs=int(nobs) if nobs is not None else 0,
        converged=converged,
        n_iter=int(getattr(res, "nit", 0)),
        method=method,
        message=message,
        cov=cov,
        profile=_numerical_profile(f, grad, theta),
    )


def _numerical_profile(f: Callable, grad: Callable, theta_hat: NDArray) -> Callable[[int, float], float]:
    """Profile log-likelihood by re-minimizing over the other parameters, always from the estimate
    (so that a profile value does not depend on which values were asked for before)."""

    def profile(j: int, value: float) -> float:
        others = np.delete(np.arange(theta_hat.size), j)
        if others.size == 0:
            return -f(np.array([value]))

        def full(free):
            t = theta_hat.copy()
            t[others] = free
            t[j] = value
            return t

        def fj(free):
            v = f(full(free))
            return v if np.isfinite(v) else np.inf

        def gj(free):
            return grad(full(free))[others]

        res = scipy.optimize.minimize(
            fj, theta_hat[others], jac=gj, method="BFGS", options={"gtol": 1e-9, "maxiter": 500}
        )
        return -float(res.fun)

    return profile
