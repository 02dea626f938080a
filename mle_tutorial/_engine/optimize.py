r"""One Newton/IRLS loop, one optimizer wrapper and one optimality check. None of them warns:
they report, and :func:`~mle_tutorial._engine.finish.finish` decides."""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import scipy.linalg
import scipy.optimize
from numpy.typing import NDArray

from .objectives import Objective

#: An optimizer's answer counts as converged only if a Newton step from it would
#: move no parameter by more than this, relative to ``max(1, |parameter|)``.
OPTIMALITY_TOL = 1e-6

#: SciPy's name for each of the package's optimizer names.
SCIPY_METHODS = {"BFGS": "BFGS", "Newton": "trust-exact", "Nelder-Mead": "Nelder-Mead"}


# --- Newton / IRLS on a concave log-likelihood ---------------------------------------------------
def newton(pass_fn: Callable, beta: NDArray, max_iter: int = 100, tol: float = 1e-7):
    """Maximize a log-likelihood by Newton steps with step halving, one pass per trial point.

    ``pass_fn(beta)`` returns the log-likelihood, score, information and largest |eta| at
    ``beta``: one pass over the rows (in memory or over chunks).

    Newton converges quadratically here (the log-likelihood is concave), so once a full step is
    smaller than ``tol`` (relative), taking it leaves an error of order ``tol**2``: the step is
    applied without another pass, and the information and log-likelihood of the previous point
    are kept (they differ by O(tol) and O(tol**2) relative).

    Returns beta, loglik (up to the family's constant), information, iterations, converged, and
    the largest |eta|.
    """
    ll, score, info, biggest = pass_fn(beta)
    if not np.isfinite(ll):
        raise ValueError("the log-likelihood is not finite at the start")
    for it in range(1, max_iter + 1):
        try:
            step = scipy.linalg.cho_solve(scipy.linalg.cho_factor(info, check_finite=False), score)
        except (np.linalg.LinAlgError, ValueError):
            step = np.linalg.lstsq(info, score, rcond=None)[0]
        if np.max(np.abs(step) / np.maximum(1.0, np.abs(beta))) < tol:
            return beta + step, ll, info, it, True, biggest
        t = 1.0
        for _ in range(60):
            new_beta = beta + t * step
            new = pass_fn(new_beta)
            if np.isfinite(new[0]) and new[0] >= ll - 1e-12 * abs(ll):
                break
            t *= 0.5
        else:
            return beta, ll, info, it, False, biggest
        beta = new_beta
        ll, score, info, biggest = new
    return beta, ll, info, max_iter, False, biggest


# --- the optimality check -----------------------------------------------------------------------
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


# --- the optimizer wrapper ----------------------------------------------------------------------
@dataclass(frozen=True)
class Minimum:
    """What :func:`minimize` found: the point, the objective and its Hessian there, and whether
    it passed the optimality check."""

    theta: NDArray
    value: float
    hessian: NDArray
    converged: bool
    message: str
    n_iter: int


def default_options(method: str, f0: float, k: int, options: dict | None) -> dict:
    """The package's tolerances for :func:`~mle_tutorial.fit_mle`, under the user's ``options``."""
    opts = dict(options or {})
    if method == "BFGS":
        opts.setdefault("gtol", 1e-8 * max(1.0, abs(f0)))
        opts.setdefault("maxiter", 2000)
    elif method == "Newton":
        opts.setdefault("gtol", 1e-10 * max(1.0, abs(f0)))
    else:
        opts.setdefault("xatol", 1e-10)
        opts.setdefault("fatol", 1e-12 * max(1.0, abs(f0)))
        opts.setdefault("maxiter", 2000 * k)
        opts.setdefault("maxfev", 4000 * k)
    return opts


def value_at_start(objective: Objective, start: NDArray) -> float:
    """The objective at the start, which must be finite."""
    f0 = objective(start)
    if not np.isfinite(f0):
        raise ValueError(
            f"{objective.name} is {f0} at start; choose a start where the likelihood is positive"
        )
    return f0


def minimize(
    objective: Objective, start: NDArray, method: str, options: dict, *, trust_failure: bool = False
) -> Minimum:
    """Minimize ``objective`` with SciPy, then check first-order optimality with a Newton step.

    Converged means the check passed, whatever the optimizer says: it may report success away
    from a maximum, or stop short at one (rounding-level steps). With ``trust_failure`` an
    optimizer that reports failure is taken at its word (the check only vetoes a success).
    """
    jac = objective.gradient if method != "Nelder-Mead" else None
    hess = objective.hessian if method == "Newton" else None
    res = scipy.optimize.minimize(
        objective.safe, start, jac=jac, hess=hess, method=SCIPY_METHODS[method], options=options
    )
    theta = np.asarray(res.x, dtype=float)
    value = objective(theta)
    if not np.isfinite(value):
        raise ValueError(f"{objective.name} is {value} at the optimizer's answer {theta}")
    message = str(res.message)
    H = objective.hessian(theta)
    distance = newton_distance(objective.gradient(theta), H, theta)
    if trust_failure:
        converged = bool(res.success) and distance <= OPTIMALITY_TOL
        if res.success and not converged:
            message += optimality_message(distance)
    else:
        converged = distance <= OPTIMALITY_TOL
        if not converged:
            message += optimality_message(distance)
        elif not res.success:
            # no number: at convergence the distance is rounding noise, different on every machine
            message += (
                f" (A Newton step from here moves the parameters by less than {OPTIMALITY_TOL:.0e}: "
                "converged.)"
            )
    return Minimum(theta, value, H, bool(converged), message, int(getattr(res, "nit", 0)))


def least_squares(residual: Callable, jacobian: Callable, beta0: NDArray, method: str, max_nfev: int):
    """:func:`scipy.optimize.least_squares` with the package's tolerances and scaling; for MINPACK's
    ``"lm"``, which cannot handle NaN, a non-finite residual becomes a huge one (step rejected)."""
    fun = _FiniteResidual(residual) if method == "lm" else residual
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # overflow at trial points far away
        return scipy.optimize.least_squares(
            fun, beta0, jac=jacobian, method=method, x_scale="jac",
            ftol=1e-15, xtol=1e-15, gtol=1e-15, max_nfev=max_nfev,
        )  # fmt: skip


#: What a residual function returns at a point where the model is not finite, for MINPACK's
#: Levenberg-Marquardt (which cannot handle NaN): a huge residual, so the step is rejected.
_HUGE = 1e100


@dataclass(frozen=True)
class _FiniteResidual:
    residual: Callable

    def __call__(self, b: NDArray) -> NDArray:
        value = self.residual(b)
        return value if np.all(np.isfinite(value)) else np.full(value.shape, _HUGE)
