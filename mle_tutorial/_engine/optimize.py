r"""One Newton/IRLS loop, one optimizer wrapper and one optimality check. None of them warns:
they report, and :func:`~mle_tutorial._engine.finish.finish` decides."""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from . import lazy
from .lazy import linalg
from .objectives import Objective

#: An optimizer's answer counts as converged only if a Newton step from it would
#: move no parameter by more than this, relative to ``max(1, |parameter|)``.
OPTIMALITY_TOL = 1e-6

#: SciPy's name for each of the package's optimizer names.
SCIPY_METHODS = {"BFGS": "BFGS", "Newton": "trust-exact", "Nelder-Mead": "Nelder-Mead"}


# --- Newton / IRLS on a concave log-likelihood ---------------------------------------------------
#: Newton stops at the first point whose Newton decrement :math:`\lambda^2 = g^\top H^{-1} g` is at
#: most this. :math:`\lambda^2/2` is what the next step would add to the log-likelihood, and no
#: coefficient is more than :math:`\lambda` standard errors from where that step leads
#: (:math:`|s_j| \le \lambda\,\mathrm{se}_j`): a criterion that does not change when a column of X
#: is rescaled, unlike a step relative to :math:`\max(1, |\beta_j|)`.
DECREMENT_TOL = 1e-20

#: Below this decrement the full Newton step is taken without a line search: the log-likelihood is
#: in its quadratic region, and the gain the line search would check is below its rounding error.
FULL_STEP_DECREMENT = 1e-8

#: After a full step, a decrement that has not fallen below this fraction of the previous one (and
#: is below :data:`FULL_STEP_DECREMENT`) is at the rounding level of the score: converged as far as
#: the arithmetic allows (quadratic convergence divides it by far more; a divergence along a
#: direction where the MLE does not exist divides it by about e).
STALL_RATIO = 0.5

#: Newton converges quadratically near a maximum. When the MLE does not exist (separated outcomes,
#: a Poisson zero count sent to 0) it converges linearly instead, the decrement falling by about a
#: factor e per step along the divergent direction; this many full steps in a row, below a
#: decrement of 0.1, each falling by less than a factor 10, mark that.
LINEAR_TAIL = 8


@dataclass(frozen=True)
class NewtonResult:
    """Where :func:`newton` stopped: the point, the statistics of the last pass *at that point*
    (log-likelihood, score, information, ...), the steps taken, and the last Newton decrement."""

    beta: NDArray
    stats: dict
    n_iter: int
    converged: bool
    decrement: float
    diverging: bool = False

    @property
    def loglik(self) -> float:
        return float(self.stats["loglik"])

    @property
    def info(self) -> NDArray:
        return self.stats["info"]


class StartNotFinite(ValueError):
    """The log-likelihood is not finite where Newton starts."""


def _newton_step(info: NDArray, score: NDArray) -> NDArray:
    try:
        return linalg.cho_solve(linalg.cho_factor(info, check_finite=False), score)
    except (np.linalg.LinAlgError, ValueError):
        return np.linalg.lstsq(info, score, rcond=None)[0]


def newton(pass_fn: Callable, beta: NDArray, max_iter: int = 100) -> NewtonResult:
    """Maximize a concave log-likelihood by Newton steps with step halving, one pass per trial point.

    ``pass_fn(beta)`` returns a dict with the log-likelihood (``"loglik"``), score and information
    at ``beta``: one pass over the rows (in memory or over chunks). The iteration stops at a point
    whose Newton decrement is at most :data:`DECREMENT_TOL` (or at the rounding level, see
    :data:`STALL_RATIO`), and returns that point with the statistics computed there, so that the
    information, and hence the covariance, belongs to the estimate returned.
    """
    stats = pass_fn(beta)
    if not np.isfinite(stats["loglik"]):
        raise StartNotFinite("the log-likelihood is not finite at the start")
    previous, full, tail = np.inf, False, 0
    for it in range(max_iter + 1):
        step = _newton_step(stats["info"], stats["score"])
        decrement = float(stats["score"] @ step)
        tail = tail + 1 if full and decrement < 0.1 and decrement > 0.1 * previous else 0
        stalled = full and decrement <= FULL_STEP_DECREMENT and decrement > STALL_RATIO * previous
        if decrement <= DECREMENT_TOL or stalled:
            return NewtonResult(beta, stats, it, True, decrement, tail >= LINEAR_TAIL)
        if it == max_iter:
            break
        ll = stats["loglik"]
        t = 1.0
        for _ in range(60):
            new_beta = beta + t * step
            new = pass_fn(new_beta)
            small = decrement <= FULL_STEP_DECREMENT
            if np.isfinite(new["loglik"]) and (small or new["loglik"] >= ll - 1e-12 * abs(ll)):
                break
            t *= 0.5
        else:
            return NewtonResult(beta, stats, it, False, decrement, tail >= LINEAR_TAIL)
        previous, full = decrement, t == 1.0
        beta, stats = new_beta, new
    return NewtonResult(beta, stats, max_iter, False, decrement, tail >= LINEAR_TAIL)


# --- the optimality check -----------------------------------------------------------------------
def solve_positive(hessian: NDArray, gradient: NDArray) -> NDArray:
    """:math:`H^{-1} g` for a symmetric positive definite ``hessian``, by Cholesky, with its rows
    and columns scaled by powers of two first: parameters in very different units (a coefficient of
    size 1e-30 beside a log-scale) do not make H look ill-conditioned, and the result is the same
    bits. ``LinAlgError`` if H is not positive definite, ``ValueError`` if it is not finite."""
    if not (np.all(np.isfinite(hessian)) and np.all(np.isfinite(gradient))):
        raise ValueError("the Hessian or the gradient is not finite")
    d = np.sqrt(np.abs(np.diag(hessian)))
    if np.any(d == 0) or not np.all(np.isfinite(d)):
        raise np.linalg.LinAlgError("a zero on the diagonal of the Hessian")
    s = np.exp2(np.round(np.log2(d)))
    factor = linalg.cho_factor(hessian / np.outer(s, s), check_finite=False)
    return linalg.cho_solve(factor, gradient / s, check_finite=False) / s


def newton_distance(gradient: NDArray, hessian: NDArray, x: NDArray) -> float:
    """Largest relative move of a Newton step from ``x``; inf if the Hessian is not positive definite.

    A small value means ``x`` is (to that relative accuracy) a local minimum of the
    function whose gradient and Hessian are given.
    """
    try:
        step = solve_positive(hessian, gradient)
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
    res = lazy.optimize().minimize(
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
        return lazy.optimize().least_squares(
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
