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

import numpy as np
import scipy.optimize
from numpy.typing import ArrayLike

from ._engine import covariance
from ._engine.families import LOGISTIC, POISSON, Family
from ._engine.finish import finish
from ._engine.irls import check_and_start, fit_glm, glm_rows
from ._engine.profiles import GLMProfile
from ._engine.result import FitResult
from ._engine.scores import GLMScores


class PerfectSeparationError(ValueError):
    """The logistic MLE does not exist: a combination of the columns of X separates y."""


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
    >>> x = np.array([0.5, 1.0, 1.5, 2.0, 2.5, 3.0, 3.5, 4.0])
    >>> X = np.column_stack([np.ones(8), x])
    >>> y = np.array([0, 0, 1, 0, 1, 0, 1, 1])
    >>> fit_logistic(X, y).params.round(4)
    array([-2.6734,  1.1882])
    """
    return _fit(X, y, offset, LOGISTIC)


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
    return _fit(X, y, offset, POISSON)


def _fit(X, y, offset, family: Family) -> FitResult:
    """Either GLM, in memory or over Dask row chunks: checks and start, Newton, covariance."""
    rows = glm_rows(X, y, offset, family)
    start = check_and_start(rows, family)
    beta, ll, info, it, converged, biggest = fit_glm(rows, family, start.beta)
    extra = "" if rows.in_memory else f" over {rows.description}"
    if family == POISSON and biggest > 709.0:
        raise ValueError("the fitted Poisson mean overflows (exp of X @ beta + offset > 1e308)")
    if family == LOGISTIC and (not converged or biggest > 25):
        if rows.in_memory:
            _raise_if_separated(rows.X, rows.y)
        elif not converged and biggest > 25:
            extra += (
                "; the outcomes may be perfectly separated (check a subsample in memory with fit_logistic)"
            )
    failure = None
    if not converged:
        failure = f"fit_{family.name} did not converge in {it} iterations; the estimates may be inaccurate"
    return finish(
        params=beta.copy(),
        names=tuple(f"beta[{j}]" for j in range(rows.p)),
        loglik=ll - start.constant,
        nobs=rows.n,
        converged=converged,
        n_iter=it,
        method="Newton",
        message=f"Newton (IRLS) with step halving: {it} iteration(s){extra}",
        cov=covariance.from_information(info, rows, family, beta),
        profile=GLMProfile(rows, family, beta, start.constant),
        beta=beta.copy(),
        failure=failure,
        scores=GLMScores(rows, family),
    )


def _raise_if_separated(X, y) -> None:
    found = _separation_direction(X, y)
    if found is None:
        return
    direction, complete = found
    margin = (2 * y - 1) * (X @ direction)
    k = int(np.sum(margin > 1e-9 * np.max(np.abs(margin))))
    kind = "complete" if complete else "quasi-complete"
    raise PerfectSeparationError(
        f"y is perfectly separated by X ({kind} separation: the linear combination "
        f"X @ {np.round(direction / np.max(np.abs(direction)), 4).tolist()} predicts {k} of the "
        f"{len(y)} outcomes exactly). The likelihood keeps increasing as the coefficients go to "
        "infinity, so there is no maximum likelihood estimate. Remove or merge the separating "
        "predictors, or use a penalized (e.g. Firth) fit."
    )


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
