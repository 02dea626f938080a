r"""Beyond normal errors: logistic (Bernoulli) and Poisson regression.

Step 4 of the book assumes normal residuals. For a 0/1 outcome or a count, the
seven steps stay the same except the distribution (step 4-5) and the link
between :math:`\eta = X\beta` and the mean (step 2):

========== ============================= ==================================================
model      mean :math:`\mu_i`            log-likelihood contribution :math:`\ell_i`
========== ============================= ==================================================
logistic   :math:`\mathrm{expit}(\eta_i)` :math:`y_i\eta_i - \log(1 + e^{\eta_i})`
Poisson    :math:`e^{\eta_i}`            :math:`y_i\eta_i - e^{\eta_i} - \log(y_i!)`
========== ============================= ==================================================

Both are canonical-link GLMs, so the score is :math:`X^\top(y - \mu)` and the
Hessian of :math:`-\ell` is :math:`X^\top W X` with :math:`W = \mathrm{diag}(w_i)`,
:math:`w_i = \mu_i(1-\mu_i)` (logistic) or :math:`\mu_i` (Poisson): observed and
expected information coincide. The fit is Newton's method (IRLS) with step halving
on the exact log-likelihood, computed stably (``logaddexp``, ``expit``, ``gammaln``).
"""

from __future__ import annotations

import warnings

import numpy as np
import scipy.linalg
import scipy.optimize
import scipy.special
from numpy.typing import ArrayLike, NDArray

from ._validate import as_float_array, check_design
from .result import ConvergenceWarning, FitResult


class PerfectSeparationError(ValueError):
    """The logistic MLE does not exist: a combination of the columns of X separates y."""


# --- the two families ----------------------------------------------------------------------
def _logistic_loglik(eta, y):
    return float(np.sum(y * eta - np.logaddexp(0.0, eta)))


def _logistic_mean_weight(eta):
    mu = scipy.special.expit(eta)
    return mu, mu * (1.0 - mu)


def _poisson_loglik(eta, y, log_factorial):
    with np.errstate(over="ignore"):
        return float(np.sum(y * eta - np.exp(eta)) - log_factorial)


def _poisson_mean_weight(eta):
    with np.errstate(over="ignore"):
        mu = np.exp(eta)
    return mu, mu


# --- Newton / IRLS ---------------------------------------------------------------------------
def _newton(X, y, offset, beta, loglik, mean_weight, max_iter=100, tol=1e-10):
    """Maximize loglik(X beta + offset) by Newton steps with step halving.

    Returns beta, loglik, iterations, converged, and the largest |eta| seen.
    """
    eta = X @ beta + offset
    ll = loglik(eta)
    if not np.isfinite(ll):
        raise ValueError("the log-likelihood is not finite at the start")
    for it in range(1, max_iter + 1):
        mu, w = mean_weight(eta)
        score = X.T @ (y - mu)
        info = X.T @ (w[:, None] * X)
        try:
            step = scipy.linalg.cho_solve(scipy.linalg.cho_factor(info, check_finite=False), score)
        except (np.linalg.LinAlgError, ValueError):
            step = np.linalg.lstsq(info, score, rcond=None)[0]
        t = 1.0
        for _ in range(60):
            new_beta = beta + t * step
            new_eta = X @ new_beta + offset
            new_ll = loglik(new_eta)
            if np.isfinite(new_ll) and new_ll >= ll - 1e-12 * abs(ll):
                break
            t *= 0.5
        else:
            return beta, ll, it, False
        beta, eta, ll = new_beta, new_eta, new_ll
        if np.max(np.abs(t * step) / np.maximum(1.0, np.abs(beta))) < tol:
            return beta, ll, it, True
    return beta, ll, max_iter, False


def _covariance(X, w):
    """(X' W X)^{-1} from a QR factorization of sqrt(W) X, without forming X' W X."""
    p = X.shape[1]
    R = scipy.linalg.qr(np.sqrt(w)[:, None] * X, mode="r", check_finite=False)[0][:p]
    try:
        r_inv = scipy.linalg.solve_triangular(R, np.eye(p), check_finite=False)
    except np.linalg.LinAlgError:
        return None
    cov = r_inv @ r_inv.T
    if not np.all(np.isfinite(cov)):
        return None
    return cov


def _separation_direction(X, y):
    """Konis's linear program: a direction b with (2y - 1) * (X b) >= 0 for all rows and > 0 for some.

    Returns ``(b, complete)``, or None when no such direction exists (the logistic MLE is finite).
    ``complete`` is True when some direction makes every margin strictly positive.
    """
    s = 2.0 * y - 1.0
    A = s[:, None] * X
    scale = np.maximum(np.max(np.abs(X), axis=0), np.finfo(float).tiny)
    res = scipy.optimize.linprog(
        -A.sum(axis=0) / scale,
        A_ub=-A / scale,
        b_ub=np.zeros(len(y)),
        bounds=[(-1.0, 1.0)] * X.shape[1],
        method="highs",
    )
    if res.status != 0:
        return None
    b = res.x / scale
    margin = A @ b
    tol = 1e-9 * np.max(np.abs(A)) * X.shape[1]
    if np.max(margin) <= tol or np.min(margin) < -tol:
        return None
    # complete separation: maximize the smallest margin t over b in the box
    p = X.shape[1]
    res2 = scipy.optimize.linprog(
        np.append(np.zeros(p), -1.0),
        A_ub=np.column_stack([-A / scale, np.ones(len(y))]),
        b_ub=np.zeros(len(y)),
        bounds=[(-1.0, 1.0)] * p + [(None, 1.0)],
        method="highs",
    )
    if res2.status == 0 and -res2.fun > tol:
        return res2.x[:p] / scale, True
    return b, False


def _check_offset(offset, n):
    if offset is None:
        return np.zeros(n)
    offset = as_float_array(offset, "offset", ndim=1)
    if offset.shape[0] != n:
        raise ValueError(f"offset has {offset.shape[0]} values but X has {n} rows")
    return offset


def _names(p):
    return tuple(f"beta[{j}]" for j in range(p))


def _glm_profile(X, y, offset, beta_hat, fit_one):
    """Profile log-likelihood: hold beta[j] at a value and refit the others (an offset)."""
    warm: dict[int, NDArray] = {}

    def profile(j: int, value: float) -> float:
        others = np.delete(X, j, axis=1)
        off = offset + value * X[:, j]
        if others.shape[1] == 0:
            return fit_one(None, off, None)[1]
        start = warm.get(j, np.delete(beta_hat, j))
        b, ll = fit_one(others, off, start)
        if np.isfinite(ll):
            warm[j] = b
        return ll

    return profile


def _finish(name, X, beta, ll, it, converged, w, profile, extra_message=""):
    n, p = X.shape
    message = f"Newton (IRLS) with step halving: {it} iteration(s){extra_message}"
    if not converged:
        warnings.warn(
            f"{name} did not converge in {it} iterations; the estimates may be inaccurate",
            ConvergenceWarning,
            stacklevel=3,
        )
    cov = _covariance(X, w)
    if cov is None:
        from .inference import covariance_from_hessian  # warns and gives NaN

        cov = covariance_from_hessian(np.full((p, p), np.nan) if p else np.zeros((0, 0)))
    return FitResult(
        params=beta.copy(),
        param_names=_names(p),
        loglik=float(ll),
        nobs=n,
        converged=converged,
        n_iter=it,
        method="Newton",
        message=message,
        beta=beta.copy(),
        sigma=None,
        cov=cov,
        profile=profile,
    )


# --- public fitters ----------------------------------------------------------------------------
def fit_logistic(X: ArrayLike, y: ArrayLike, *, offset: ArrayLike | None = None) -> FitResult:
    r"""Logistic regression by maximum likelihood: :math:`P(y_i = 1) = \mathrm{expit}(x_i^\top\beta)`.

    .. math:: \ell(\beta) = \sum_{i=1}^n \left[y_i\eta_i - \log(1 + e^{\eta_i})\right], \qquad
              \eta = X\beta + \text{offset}

    Parameters
    ----------
    X : array_like, shape (n, p)
        Full design matrix (include a column of ones for an intercept).
    y : array_like, shape (n,)
        Outcomes, each 0 or 1 (booleans are fine).
    offset : array_like, shape (n,), optional
        Known term added to :math:`\eta`.

    Returns
    -------
    FitResult
        ``params`` (= ``beta``), ``stderr`` and ``cov`` from
        :math:`(X^\top W X)^{-1}`, ``loglik``, ``aic``, ``bic``, ``conf_int``
        (Wald or profile), ``summary()``.

    Raises
    ------
    ValueError
        Bad ``X``/``y``/``offset`` (shapes, NaN or inf, non-numeric, ``y`` not 0/1,
        ``n <= p``, a rank-deficient ``X``), or ``y`` all 0 or all 1.
    PerfectSeparationError
        If a combination of the columns of ``X`` separates the 0s from the 1s
        (complete or quasi-complete separation): then the likelihood keeps
        increasing as coefficients go to infinity and there is no MLE.

    Examples
    --------
    >>> import numpy as np
    >>> X = np.column_stack([np.ones(8), [0.5, 1.0, 1.5, 2.0, 2.5, 3.0, 3.5, 4.0]])
    >>> y = np.array([0, 0, 1, 0, 1, 0, 1, 1])
    >>> fit_logistic(X, y).params.round(4)
    array([-2.6734,  1.1882])
    """
    X, y = _check_glm(X, y, "logistic")
    bad = np.flatnonzero((y != 0) & (y != 1))
    if bad.size:
        raise ValueError(f"y must contain only 0 and 1 for logistic regression; y[{bad[0]}] = {y[bad[0]]:g}")
    if np.all(y == y[0]):
        raise ValueError(
            f"y is all {int(y[0])}: the probability of a 1 is estimated as {int(y[0])}, "
            "on the boundary, so there is no finite MLE"
        )
    n, p = X.shape
    offset = _check_offset(offset, n)
    _check_rank(X)

    def fit_one(Xs, off, start):
        if Xs is None:
            return None, _logistic_loglik(off, y)
        b, ll, _, _ = _newton(Xs, y, off, start, lambda e: _logistic_loglik(e, y), _logistic_mean_weight)
        return b, ll

    beta, ll, it, converged = _newton(
        X, y, offset, np.zeros(p), lambda e: _logistic_loglik(e, y), _logistic_mean_weight
    )
    eta = X @ beta + offset
    if not converged or np.max(np.abs(eta)) > 25:
        found = _separation_direction(X, y)
        if found is not None:
            direction, complete = found
            margin = (2 * y - 1) * (X @ direction)
            k = int(np.sum(margin > 1e-9 * np.max(np.abs(margin))))
            kind = "complete" if complete else "quasi-complete"
            raise PerfectSeparationError(
                f"y is perfectly separated by X ({kind} separation: the linear combination "
                f"X @ {np.round(direction / np.max(np.abs(direction)), 4).tolist()} predicts {k} of the "
                f"{n} outcomes exactly). The likelihood keeps increasing as the coefficients go to "
                "infinity, so there is no maximum likelihood estimate. Remove or merge the separating "
                "predictors, or use a penalized (e.g. Firth) fit."
            )
    _, w = _logistic_mean_weight(eta)
    profile = _glm_profile(X, y, offset, beta, fit_one)
    return _finish("fit_logistic", X, beta, ll, it, converged, w, profile)


def fit_poisson(X: ArrayLike, y: ArrayLike, *, offset: ArrayLike | None = None) -> FitResult:
    r"""Poisson regression by maximum likelihood: :math:`y_i \sim \mathrm{Poisson}(e^{x_i^\top\beta + o_i})`.

    .. math:: \ell(\beta) = \sum_{i=1}^n \left[y_i\eta_i - e^{\eta_i} - \log(y_i!)\right], \qquad
              \eta = X\beta + \text{offset}

    Parameters
    ----------
    X : array_like, shape (n, p)
        Full design matrix (include a column of ones for an intercept).
    y : array_like, shape (n,)
        Counts: non-negative integers (floats with integer values are fine).
    offset : array_like, shape (n,), optional
        Known term added to :math:`\eta`, e.g. ``log(exposure)`` for rates.

    Returns
    -------
    FitResult
        As :func:`fit_logistic`.

    Raises
    ------
    ValueError
        Bad ``X``/``y``/``offset``, negative or non-integer counts, all counts 0
        (the MLE of the rate is 0, on the boundary), ``n <= p``, a rank-deficient ``X``,
        or a mean that overflows.

    Examples
    --------
    >>> import numpy as np
    >>> X = np.column_stack([np.ones(6), [0.0, 0.0, 1.0, 1.0, 2.0, 2.0]])
    >>> fit_poisson(X, [1, 2, 2, 4, 6, 9]).params.round(4)
    array([0.3325, 0.8341])
    """
    X, y = _check_glm(X, y, "Poisson")
    bad = np.flatnonzero((y < 0) | (y != np.round(y)))
    if bad.size:
        raise ValueError(
            f"y must contain non-negative integer counts for Poisson regression; y[{bad[0]}] = {y[bad[0]]:g}"
        )
    if not np.any(y > 0):
        raise ValueError("y is all 0: the estimated rate is 0, on the boundary, so there is no finite MLE")
    offset = _check_offset(offset, X.shape[0])
    _check_rank(X)
    log_factorial = float(np.sum(scipy.special.gammaln(y + 1.0)))

    def loglik(eta):
        return _poisson_loglik(eta, y, log_factorial)

    # start as R's glm does: one weighted least-squares step from mu = y + 0.1
    mu0 = y + 0.1
    z = np.log(mu0) - offset + (y - mu0) / mu0
    sw = np.sqrt(mu0)
    start = scipy.linalg.lstsq(sw[:, None] * X, sw * z, check_finite=False)[0]

    def fit_one(Xs, off, start_):
        if Xs is None:
            return None, loglik(off)
        b, ll, _, _ = _newton(Xs, y, off, start_, loglik, _poisson_mean_weight)
        return b, ll

    beta, ll, it, converged = _newton(X, y, offset, start, loglik, _poisson_mean_weight)
    mu, w = _poisson_mean_weight(X @ beta + offset)
    if not np.all(np.isfinite(mu)):
        raise ValueError("the fitted Poisson mean overflows (exp of X @ beta + offset > 1e308)")
    profile = _glm_profile(X, y, offset, beta, fit_one)
    return _finish("fit_poisson", X, beta, ll, it, converged, w, profile)


def _check_glm(X, y, what):
    X = as_float_array(X, "X", ndim=2)
    y = as_float_array(y, "y", ndim=1)
    n, p = X.shape
    if y.shape[0] != n:
        raise ValueError(f"X has {n} rows but y has {y.shape[0]} values; they must match")
    if n <= p:
        raise ValueError(
            f"X has {n} rows but the {what} model has {p} coefficients; it needs more rows than coefficients"
        )
    return check_design(X, y)


def _check_rank(X):
    """Raise the same clear error as fit_linear for a rank-deficient design."""
    from .least_squares import check_full_rank

    check_full_rank(X)
