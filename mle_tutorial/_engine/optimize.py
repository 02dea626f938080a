r"""One Newton/IRLS loop, one optimizer wrapper and one optimality check. None of them warns:
they report, and :func:`~mle_tutorial.fitting.finish` decides."""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from . import lazy
from .lazy import lapack, linalg
from .objectives import ObjectiveLike, start_phase

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


#: Newton solves its steps :math:`(X^\top W X)s = g` by Cholesky, and where it is about to stop it
#: checks that the information is well conditioned: its column-scaled Cholesky factor must have a
#: reciprocal condition number above this (the information's own, above its square, 1e-12).
#: Forming :math:`X^\top W X` squares the condition number of :math:`\sqrt W X`, and beyond this
#: its rounding error swamps the small eigenvalues, so that the step, and the decrement that decides
#: convergence, are wrong in the ill-determined directions (an uncentred covariate, nearly collinear
#: columns). From then on the steps come from the R factor of a QR of :math:`\sqrt W X` (the pass's
#: ``r_factor``; relative error about eps times the condition number of :math:`\sqrt W X`, not its
#: square). The same bound as :func:`~mle_tutorial._engine.covariance.from_information`.
CHOLESKY_RCOND = 1e-6


def _cholesky(info: NDArray) -> NDArray | None:
    """The upper Cholesky factor of ``info`` (LAPACK's ``potrf``, as :func:`scipy.linalg.cho_factor`
    computes it, without its checks: Newton calls it once per step), or None if ``info`` is not
    positive definite."""
    factor, status = lapack.dpotrf(info, 0, 0)  # (lower=0, clean=0, by position)
    return factor if status == 0 else None


def ill_conditioned(info: NDArray, rcond: float = CHOLESKY_RCOND) -> bool:
    """Whether a positive (semi)definite ``info`` is too ill conditioned for the normal equations:
    its Cholesky factorization fails, or LAPACK's estimate of the reciprocal condition number
    (1-norm) of the factor, with the columns scaled to unit length (so that units do not count),
    is at most ``rcond`` (:data:`CHOLESKY_RCOND`)."""
    # (the few diagonal entries read as Python floats: cheaper than NumPy's reductions; NaN fails)
    if not all(0.0 < v < math.inf for v in np.diagonal(info).tolist()):
        return True
    upper = _cholesky(info)
    if upper is None:
        return True
    d = np.sqrt(np.diagonal(info))
    estimate, status = lapack.dtrcon(upper / d, "1", "U", "N")  # (norm, uplo, diag: the upper triangle)
    return not (status == 0 and estimate > rcond)


def _newton_step(info: NDArray, score: NDArray, R: NDArray | None = None) -> NDArray:
    r"""The Newton step :math:`I^{-1}g`: with ``R`` (the R factor of :math:`\sqrt W X`) from
    :math:`R^\top R s = g`, else by Cholesky of the information (LAPACK's ``potrf`` and ``potrs``,
    the bits of :func:`scipy.linalg.cho_solve`; least squares if it is not positive definite)."""
    if R is not None:
        p = score.shape[0]
        if R.shape[0] >= p and np.all(np.isfinite(R[:p])) and np.all(np.diag(R)[:p] != 0):
            inner = linalg.solve_triangular(R[:p], score, trans="T", check_finite=False)
            step = linalg.solve_triangular(R[:p], inner, check_finite=False)
            if np.all(np.isfinite(step)):
                return step
    upper = _cholesky(info)
    if upper is not None:
        step, status = lapack.dpotrs(upper, score)  # (lower=0 by default)
        if status == 0:
            return step
    return np.linalg.lstsq(info, score, rcond=None)[0]


def newton(pass_fn: Callable, beta: NDArray, max_iter: int = 100, tol: float = DECREMENT_TOL) -> NewtonResult:
    r"""Maximize a concave log-likelihood by Newton steps with step halving, one pass per trial point.

    ``pass_fn(beta)`` returns a dict with the log-likelihood (``"loglik"``), score and information
    at ``beta``: one pass over the rows (in memory or over chunks). Where the information is ill
    conditioned, ``pass_fn.r_factor(beta)`` (if the pass has one) gives the R factor of a QR of
    :math:`\sqrt W X` for an accurate step (see :data:`CHOLESKY_RCOND`), so that the step, and
    the decrement that says the iteration has converged, hold wherever it stops. The iteration
    stops at a point whose Newton decrement is at most ``tol`` (:data:`DECREMENT_TOL`; or at the
    rounding level, see :data:`STALL_RATIO`), after at most ``max_iter`` steps, and returns that
    point with the statistics computed there, so that the information, and hence the covariance,
    belongs to the estimate returned. Where no step moves the point (the log-likelihood cannot
    tell a step from the point itself), it stops there: converged if what the step would gain,
    half the decrement, is within the rounding error of the log-likelihood
    (``pass_fn.rounding(beta)``, if the pass has one), else not.
    """
    stats = pass_fn(beta)
    if not math.isfinite(stats["loglik"]):
        raise StartNotFinite("the log-likelihood is not finite at the start")
    previous, full, tail = np.inf, False, 0
    r_factor = getattr(pass_fn, "r_factor", None)
    rounding = getattr(pass_fn, "rounding", None)
    # steps from the R factor, once the information is found too ill conditioned (checked where Newton
    # would stop, so that a well-conditioned fit pays for one check); then the log-likelihood may be
    # noisy beyond FULL_STEP_DECREMENT (an uncentred covariate: eta cancels digits), and a step whose
    # gain is below twice its rounding error is taken without comparing (comparisons are noise)
    by_qr, quadratic = False, FULL_STEP_DECREMENT
    it = 0
    while True:
        step = _newton_step(stats["info"], stats["score"], r_factor(beta) if by_qr and r_factor else None)
        decrement = float(stats["score"] @ step)
        if by_qr and rounding is not None:  # the rounding error here (it grows with |beta|)
            quadratic = max(FULL_STEP_DECREMENT, 2.0 * rounding(beta))
        tail = tail + 1 if full and decrement < 0.1 and decrement > 0.1 * previous else 0
        stalled = full and decrement <= quadratic and decrement > STALL_RATIO * previous
        if (decrement <= tol or stalled) and _switch_to_qr(r_factor, by_qr, stats):
            by_qr, previous, full = True, np.inf, False
            continue
        if decrement <= tol or stalled:
            # a coefficient with no information (every weight 0: the fitted means saturate) but a
            # score: the step is 0 for want of curvature, not because this is the maximum
            # (the few entries read as Python floats: cheaper than NumPy's elementwise tests)
            pairs = zip(np.diagonal(stats["info"]).tolist(), stats["score"].tolist(), strict=True)
            blind = any(d == 0.0 and g != 0.0 for d, g in pairs)
            return NewtonResult(beta, stats, it, not blind, decrement, tail >= LINEAR_TAIL)
        if it == max_iter:
            break
        ll = stats["loglik"]
        t = 1.0
        for _ in range(60):
            new_beta = beta + step if t == 1.0 else beta + t * step  # (1.0 * step is step: the same bits)
            unmoved = _same(new_beta, beta)
            if unmoved:
                break  # the step no longer moves any coefficient
            new = pass_fn(new_beta)
            small = decrement <= quadratic
            if math.isfinite(new["loglik"]) and (small or new["loglik"] >= ll - 1e-12 * abs(ll)):
                break
            t *= 0.5
        if unmoved or t < 2.0**-59:
            # no step moves the point, or none is better
            if _switch_to_qr(r_factor, by_qr, stats):
                by_qr, previous, full = True, np.inf, False
                continue
            # at the limit of the arithmetic if what the step would gain is below the rounding error
            # of the log-likelihood, else a failure
            at_limit = rounding is not None and 0.5 * decrement <= rounding(beta)
            return NewtonResult(beta, stats, it, at_limit, decrement, tail >= LINEAR_TAIL)
        previous, full = decrement, t == 1.0
        beta, stats = new_beta, new
        it += 1
    return NewtonResult(beta, stats, max_iter, False, decrement, tail >= LINEAR_TAIL)


def _same(a: NDArray, b: NDArray) -> bool:
    """``np.array_equal(a, b)`` of two vectors of one length, on Python floats (cheaper for a
    few entries; NaN is not equal to itself either way, and -0.0 equals 0.0)."""
    return a.tolist() == b.tolist()


def _switch_to_qr(r_factor: Callable | None, by_qr: bool, stats: dict) -> bool:
    """Whether Newton, about to stop, must first take its steps from the R factor: it has one, does
    not yet, and the information is too ill conditioned to trust (:func:`ill_conditioned`)."""
    return r_factor is not None and not by_qr and ill_conditioned(stats["info"])


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
    exhausted: bool = False


#: What ``options=`` may hold besides ``max_iter`` and ``tol``, for each optimizer method (SciPy's own
#: option names, passed through).
SCIPY_OPTIONS = {
    "BFGS": frozenset({"gtol", "norm", "eps", "maxiter", "disp", "return_all", "finite_diff_rel_step",
                       "xrtol", "c1", "c2", "hess_inv0"}),
    "Newton": frozenset({"initial_trust_radius", "max_trust_radius", "eta", "gtol", "maxiter", "disp",
                         "return_all"}),
    "Nelder-Mead": frozenset({"maxiter", "maxfev", "disp", "return_all", "initial_simplex", "xatol",
                              "fatol", "adaptive"}),
}  # fmt: skip

#: The keys every iterative fitter's ``options=`` takes.
COMMON_OPTIONS = frozenset({"max_iter", "tol"})


def check_options(options: dict | None, allowed: frozenset | set, where: str) -> dict:
    """``options`` as a dict with only ``allowed`` keys; ``max_iter`` a positive integer and ``tol`` a
    positive number. An unknown key is an error that lists the known ones (a misspelt option must
    not be silently ignored)."""
    if options is None:
        return {}
    if not isinstance(options, dict):
        raise ValueError(
            f"options must be a dict such as {{'max_iter': 500, 'tol': 1e-10}}, got {type(options).__name__}"
        )
    unknown = sorted(str(k) for k in options if k not in allowed)
    if unknown:
        raise ValueError(f"options has unknown key(s) {unknown} for {where}; it takes {sorted(allowed)}")
    out = dict(options)
    if "max_iter" in out:
        value = out["max_iter"]
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
            raise ValueError(f"options['max_iter'] must be a positive integer, got {value!r}")
        out["max_iter"] = int(value)
    if "tol" in out:
        try:
            tol = float(out["tol"])
        except (TypeError, ValueError):
            tol = np.nan
        if not (np.isfinite(tol) and tol > 0):
            raise ValueError(f"options['tol'] must be a positive number, got {out['tol']!r}")
        out["tol"] = tol
    return out


def scipy_options(method: str, options: dict | None, defaults: dict, tol_scale: float, where: str) -> dict:
    """The options of :func:`scipy.optimize.minimize` for ``method``: the fitter's ``defaults``, then
    the user's ``options``: ``max_iter`` is SciPy's ``maxiter``, ``tol`` its gradient tolerance
    ``gtol = tol * tol_scale`` (BFGS, Newton) or, for Nelder-Mead, ``xatol = tol`` and
    ``fatol = tol * tol_scale``; SciPy's own names pass through."""
    user = check_options(options, COMMON_OPTIONS | SCIPY_OPTIONS[method], where)
    if "max_iter" in user and "maxiter" in user:
        raise ValueError("options has both max_iter and maxiter (the same thing); give one")
    opts = dict(defaults)
    if "max_iter" in user:
        opts["maxiter"] = user.pop("max_iter")
    if "tol" in user:
        tol = user.pop("tol")
        if method == "Nelder-Mead":
            opts["xatol"], opts["fatol"] = tol, tol * tol_scale
        else:
            opts["gtol"] = tol * tol_scale
    opts.update(user)
    return opts


def default_options(method: str, f0: float, k: int, options: dict | None, where: str = "fit_mle") -> dict:
    """The package's tolerances for an optimizer on a negative log-likelihood whose value at the
    start is ``f0`` (gradient tolerances relative to ``max(1, |f0|)``), under the user's
    ``options``."""
    scale = max(1.0, abs(f0))
    if method == "BFGS":
        defaults = {"gtol": 1e-8 * scale, "maxiter": 2000}
    elif method == "Newton":
        defaults = {"gtol": 1e-10 * scale}
    else:
        defaults = {"xatol": 1e-10, "fatol": 1e-12 * scale, "maxiter": 2000 * k, "maxfev": 4000 * k}
    return scipy_options(method, options, defaults, scale, where)


def value_at_start(objective: ObjectiveLike, start: NDArray) -> float:
    """The objective at the start, which must be finite (a user's function that fails there says
    so: :class:`~mle_tutorial._engine.objectives.CallbackError` at start)."""
    f0 = start_phase(objective, start)
    if not np.isfinite(f0):
        raise ValueError(
            f"{objective.name} is {f0} at start; choose a start where the likelihood is positive"
        )
    return f0


def minimize(
    objective: ObjectiveLike, start: NDArray, method: str, options: dict, *, trust_failure: bool = False
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
    n_iter = int(getattr(res, "nit", 0))
    exhausted = n_iter >= options.get("maxiter", np.inf) or int(getattr(res, "nfev", 0)) >= options.get(
        "maxfev", np.inf
    )
    return Minimum(theta, value, H, bool(converged), message, n_iter, bool(exhausted))


#: At most this many Newton steps polish an optimizer's answer (:func:`polish`)...
POLISH_STEPS = 6

#: ... and none once a step would move no parameter by more than this, relative to
#: ``max(1, |parameter|)``: the arithmetic's own level.
POLISH_SIZE = 1e-15


def polish(objective: ObjectiveLike, found: Minimum) -> tuple[NDArray, bool, str]:
    r"""Newton steps from an optimizer's answer, then the package's convergence test there: the one
    polish rule of every fitter that runs an optimizer with an analytic Hessian.

    An optimizer stops on its own tolerances, which are not the package's test (a Newton step
    moving no parameter by more than :data:`OPTIMALITY_TOL`, relative): ``trust-exact`` can stop
    a little short of it (its gradient tolerance scales with the objective at the start), or at the
    maximum itself with "A bad approximation caused failure to predict improvement" when the
    improvement it predicts is below the rounding level. So, unless the optimizer ran out of
    iterations (then its answer is judged as it is), at most :data:`POLISH_STEPS` Newton steps are
    taken, each while it would move some parameter by :data:`POLISH_SIZE` or more (relative to
    ``max(1, |parameter|)``) and does not raise the objective by more than its rounding error; in
    the quadratic region (a Newton decrement :math:`g^\top H^{-1} g` below
    :data:`FULL_STEP_DECREMENT`) the change is below the rounding level of the objective and cannot
    tell better from worse, so there the step is trusted. Where the
    optimizer stopped (which depends on the rounding of the machine) thus does not decide the last
    digits. Returns ``(theta, converged, message)``."""
    theta, value, message = found.theta, found.value, found.message
    gradient, hessian = objective.gradient(theta), found.hessian
    for _ in range(0 if found.exhausted else POLISH_STEPS):
        try:
            step = solve_positive(hessian, gradient)
        except (np.linalg.LinAlgError, ValueError):
            break
        decrement = float(gradient @ step)
        size = float(np.max(np.abs(step) / np.maximum(1.0, np.abs(theta))))
        if not (np.all(np.isfinite(step)) and decrement > 0.0 and size >= POLISH_SIZE):
            break
        candidate = theta - step
        new_value = objective(candidate)
        if not np.isfinite(new_value):
            break
        if not (
            new_value <= value + 4 * np.finfo(float).eps * abs(value) or decrement <= FULL_STEP_DECREMENT
        ):
            break
        theta, value = candidate, new_value
        gradient, hessian = objective.gradient(theta), objective.hessian(theta)
    distance = newton_distance(gradient, hessian, theta)
    converged = distance <= OPTIMALITY_TOL
    if converged and not found.converged:
        message += (
            " Newton steps from there reached the maximum: a further step would move the parameters "
            f"by less than {OPTIMALITY_TOL:.0e} (relative)."
        )
    elif not converged and found.converged:
        message += optimality_message(distance)
    return theta, converged, message


def least_squares(
    residual: Callable, jacobian: Callable, beta0: NDArray, method: str, max_nfev: int, tol: float = 1e-15
):
    """:func:`scipy.optimize.least_squares` with the package's tolerances and scaling; for MINPACK's
    ``"lm"``, which cannot handle NaN, a non-finite residual becomes a huge one (step rejected)."""
    fun = _FiniteResidual(residual) if method == "lm" else residual
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # overflow at trial points far away
        return lazy.optimize().least_squares(
            fun, beta0, jac=jacobian, method=method, x_scale="jac",
            ftol=tol, xtol=tol, gtol=tol, max_nfev=max_nfev,
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


@dataclass(frozen=True)
class Maximum:
    """Where :func:`maximize` ended: the point on the working scale, the objective (the negative
    log-likelihood) and its Hessian there, whether the package's convergence test passed, the
    account of how it stopped, and the optimizer's iterations."""

    theta: NDArray
    value: float
    hessian: NDArray
    converged: bool
    message: str
    n_iter: int


def maximize(
    objective: ObjectiveLike,
    start: NDArray,
    method: str,
    options: dict | None,
    where: str,
    *,
    defaults: dict | None = None,
    tol_scale: float | None = None,
    trust_failure: bool = False,
    polished: bool | None = None,
) -> Maximum:
    """The one way the package runs an optimizer on a likelihood: SciPy's ``method`` from ``start``
    (the package's tolerances, or the fitter's ``defaults``, under the user's ``options``), the
    optimality check, and wherever the objective has an analytic Hessian the :func:`polish`
    (``polished=False``: never, where a fitter shows an optimizer's own answer)."""
    f0 = value_at_start(objective, start)
    if defaults is None:
        opts = default_options(method, f0, start.size, options, where)
    else:
        opts = scipy_options(
            method, options, defaults, max(1.0, abs(f0)) if tol_scale is None else tol_scale, where
        )
    found = minimize(objective, start, method, opts, trust_failure=trust_failure)
    if polished is None:
        polished = bool(getattr(objective, "analytic_hessian", False))
    if not polished:
        return Maximum(found.theta, found.value, found.hessian, found.converged, found.message, found.n_iter)
    theta, converged, message = polish(objective, found)
    if theta is found.theta:
        value, hessian = found.value, found.hessian
    else:
        value, hessian = objective(theta), objective.hessian(theta)
    return Maximum(theta, value, hessian, converged, message, found.n_iter)
