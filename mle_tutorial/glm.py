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
import scipy.linalg.lapack
import scipy.optimize
import scipy.special
from numpy.typing import ArrayLike, NDArray

from ._validate import as_float_array, check_design
from .result import ConvergenceWarning, FitResult


class PerfectSeparationError(ValueError):
    """The logistic MLE does not exist: a combination of the columns of X separates y."""


# --- the two families, each as one pass over the data ------------------------------------------
#: Rows per block: each block's temporaries stay in cache, so one Newton iteration reads X once.
BLOCK_ROWS = 1 << 13


def _logistic_block(eta, y):
    # one exp for both: log(1 + e^eta) = max(eta, 0) + log1p(e), expit(eta) from e = e^-|eta|
    e = np.exp(-np.abs(eta))
    softplus = np.maximum(eta, 0.0) + np.log1p(e)
    inv = 1.0 / (1.0 + e)
    mu = np.where(eta >= 0, inv, e * inv)
    return float(y @ eta - np.sum(softplus)), mu, mu * (1.0 - mu)


def _poisson_block(eta, y):
    with np.errstate(over="ignore"):
        mu = np.exp(eta)
    with np.errstate(invalid="ignore"):  # inf - inf where mu overflows: reported as not finite
        return float(y @ eta - np.sum(mu)), mu, mu


def _glm_pass(X, y, offset, beta, block_fn):
    """One pass over the rows: log-likelihood (up to a constant), score, information, max |eta|."""
    n, p = X.shape
    ll, score, info, biggest = 0.0, np.zeros(p), np.zeros((p, p)), 0.0
    for start in range(0, n, BLOCK_ROWS):
        Xb = X[start : start + BLOCK_ROWS]
        yb = y[start : start + BLOCK_ROWS]
        eta = Xb @ beta + offset[start : start + BLOCK_ROWS]
        part, mu, w = block_fn(eta, yb)
        ll += part
        score += Xb.T @ (yb - mu)
        Xw = Xb * np.sqrt(w)[:, None]
        info += Xw.T @ Xw
        biggest = max(biggest, float(eta.max()), -float(eta.min()))
    return ll, score, info, biggest


# --- Newton / IRLS ---------------------------------------------------------------------------
def _newton(pass_fn, beta, max_iter=100, tol=1e-7):
    """Maximize the log-likelihood by Newton steps with step halving, one pass per trial point.

    ``pass_fn(beta)`` returns the log-likelihood, score, information and largest |eta| at
    ``beta``: one pass over the data, in memory (:func:`_glm_pass`) or over chunks
    (:mod:`mle_tutorial.chunked`).

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


def _covariance_from_information(info, X, y, offset, beta, block_fn):
    """(X' W X)^{-1}: from the Cholesky factor of the information when it is well conditioned,
    else from a QR factorization of sqrt(W) X (one more pass, never squaring the condition)."""
    p = info.shape[0]
    try:
        factor = scipy.linalg.cho_factor(info, check_finite=False)
        rcond, status = scipy.linalg.lapack.dtrcon(factor[0], norm="1", uplo="U", diag="N")
        if status == 0 and rcond > 1e-6:
            return scipy.linalg.cho_solve(factor, np.eye(p), check_finite=False)
    except np.linalg.LinAlgError:
        pass
    _, _, w = block_fn(X @ beta + offset, y)
    return _covariance(X, w)


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


def _finish(name, X, beta, ll, it, converged, cov, profile, extra_message=""):
    n, p = X.shape
    message = f"Newton (IRLS) with step halving: {it} iteration(s){extra_message}"
    if not converged:
        warnings.warn(
            f"{name} did not converge in {it} iterations; the estimates may be inaccurate",
            ConvergenceWarning,
            stacklevel=3,
        )
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
    from .chunked import fit_glm_chunked, is_dask

    if is_dask(X) or is_dask(y) or is_dask(offset):
        return fit_glm_chunked(X, y, offset, "logistic")
    X, y = check_design(X, y, model="logistic")
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
            return None, _logistic_block(off, y)[0]
        b, ll, *_ = _newton(lambda b: _glm_pass(Xs, y, off, b, _logistic_block), start)
        return b, ll

    beta, ll, info, it, converged, biggest = _newton(
        lambda b: _glm_pass(X, y, offset, b, _logistic_block), np.zeros(p)
    )
    if not converged or biggest > 25:
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
    cov = _covariance_from_information(info, X, y, offset, beta, _logistic_block)
    profile = _glm_profile(X, y, offset, beta, fit_one)
    return _finish("fit_logistic", X, beta, ll, it, converged, cov, profile)


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
    from .chunked import fit_glm_chunked, is_dask

    if is_dask(X) or is_dask(y) or is_dask(offset):
        return fit_glm_chunked(X, y, offset, "poisson")
    X, y = check_design(X, y, model="Poisson")
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

    start = _poisson_start(X, y, offset)

    def fit_one(Xs, off, start_):
        if Xs is None:
            return None, _poisson_block(off, y)[0] - log_factorial
        b, ll, *_ = _newton(lambda b: _glm_pass(Xs, y, off, b, _poisson_block), start_)
        return b, ll - log_factorial

    beta, ll, info, it, converged, biggest = _newton(
        lambda b: _glm_pass(X, y, offset, b, _poisson_block), start
    )
    if biggest > 709.0:
        raise ValueError("the fitted Poisson mean overflows (exp of X @ beta + offset > 1e308)")
    cov = _covariance_from_information(info, X, y, offset, beta, _poisson_block)
    profile = _glm_profile(X, y, offset, beta, fit_one)
    return _finish("fit_poisson", X, beta, ll - log_factorial, it, converged, cov, profile)


def _poisson_start_stats(X, y, offset):
    """X' W X and X' W z of the first weighted least-squares step (summable over chunks)."""
    p = X.shape[1]
    A, b = np.zeros((p, p)), np.zeros(p)
    for start in range(0, X.shape[0], BLOCK_ROWS):
        Xb = X[start : start + BLOCK_ROWS]
        mu0 = y[start : start + BLOCK_ROWS] + 0.1
        z = np.log(mu0) - offset[start : start + BLOCK_ROWS] + (y[start : start + BLOCK_ROWS] - mu0) / mu0
        Xw = Xb * np.sqrt(mu0)[:, None]
        A += Xw.T @ Xw
        b += Xb.T @ (mu0 * z)
    return A, b


def _poisson_start(X, y, offset):
    """One weighted least-squares step from mu = y + 0.1, as R's glm starts (one pass)."""
    A, b = _poisson_start_stats(X, y, offset)
    try:
        return scipy.linalg.cho_solve(scipy.linalg.cho_factor(A, check_finite=False), b)
    except np.linalg.LinAlgError:
        return np.linalg.lstsq(A, b, rcond=None)[0]


def _check_rank(X):
    """Raise the same clear error as fit_linear for a rank-deficient design."""
    from .least_squares import check_full_rank

    check_full_rank(X)
