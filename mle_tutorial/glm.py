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

from collections.abc import Sequence

import numpy as np
from numpy.typing import ArrayLike

from ._engine import covariance, lazy
from ._engine.checks import coefficient_names
from ._engine.families import LOGISTIC, POISSON, Family
from ._engine.finish import finish
from ._engine.irls import check_and_start, exact_loglik, fit_glm, glm_data
from ._engine.optimize import StartNotFinite
from ._engine.profiles import GLMProfile
from ._engine.result import FitResult
from ._engine.scale import Unscale, unshift
from ._engine.scores import GLMScores

#: A zero count whose fitted mean is below exp(-this) times the largest fitted mean makes the fit
#: check whether the Poisson MLE exists (a divergence drives such means to 0).
POISSON_GAP = 30.0


class PerfectSeparationError(ValueError):
    """The MLE does not exist: a combination of the columns of X separates the outcomes, so the
    likelihood keeps increasing as coefficients go to infinity.

    Logistic regression: the combination separates the 0s from the 1s. Poisson regression: it is 0
    for every positive count and negative for some zero counts, whose fitted means then go to 0
    (Santos Silva and Tenreyro, 2010)."""


def fit_logistic(
    X: ArrayLike, y: ArrayLike, *, offset: ArrayLike | None = None, names: Sequence[str] | None = None
) -> FitResult:
    r"""Logistic regression by maximum likelihood: :math:`P(y_i = 1) = \mathrm{expit}(x_i^\top\beta)`.

    .. math:: \ell(\beta) = \sum_{i=1}^n \left[y_i\eta_i - \log(1 + e^{\eta_i})\right], \qquad
              \eta = X\beta + \text{offset}

    Parameters
    ----------
    X : array_like or DataFrame, shape (n, p)
        Full design matrix (include a column of ones for an intercept). A DataFrame's columns
        name the coefficients.
    y : array_like or Series, shape (n,)
        Outcomes, each 0 or 1 (booleans are fine). pandas objects are matched by index label
        (see the README's "Bad input"); next to a NumPy array, by position.
    offset : array_like, shape (n,), optional
        Known term added to :math:`\eta`.
    names : sequence of str, optional
        A name for each coefficient (default: the columns of a DataFrame ``X``, else ``beta[j]``).

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
    return _fit(X, y, offset, LOGISTIC, names)


def fit_poisson(
    X: ArrayLike, y: ArrayLike, *, offset: ArrayLike | None = None, names: Sequence[str] | None = None
) -> FitResult:
    r"""Poisson regression by maximum likelihood: :math:`y_i \sim \mathrm{Poisson}(e^{x_i^\top\beta + o_i})`.

    .. math:: \ell(\beta) = \sum_{i=1}^n \left[y_i\eta_i - e^{\eta_i} - \log(y_i!)\right], \qquad
              \eta = X\beta + \text{offset}

    Parameters
    ----------
    X : array_like or DataFrame, shape (n, p)
        Full design matrix (include a column of ones for an intercept). A DataFrame's columns
        name the coefficients.
    y : array_like or Series, shape (n,)
        Counts: non-negative integers (floats with integer values are fine).
    offset : array_like, shape (n,), optional
        Known term added to :math:`\eta`, e.g. ``log(exposure)`` for rates.
    names : sequence of str, optional
        A name for each coefficient (default: the columns of a DataFrame ``X``, else ``beta[j]``).

    Returns
    -------
    FitResult
        As :func:`fit_logistic`. The log-likelihood includes :math:`-\sum\log y_i!` and is summed
        term by term in Loader's saddle-point form, as R's ``dpois`` computes it, so that it keeps
        its digits for counts up to 1e15 and beyond.

    Raises
    ------
    ValueError
        Bad ``X``/``y``/``offset``, negative or non-integer counts, all counts 0
        (the MLE of the rate is 0, on the boundary), ``n <= p``, a rank-deficient ``X``,
        or a mean that overflows (naming the offset when it is the cause).
    PerfectSeparationError
        If the MLE does not exist: a combination ``X @ b`` is 0 for every positive count and
        negative for some zero counts (for example a group whose counts are all 0), so the
        likelihood keeps increasing along ``b`` and coefficients diverge (Santos Silva and
        Tenreyro, 2010). The message names ``b``. Over Dask chunks this cannot be checked: the
        fit gives a :class:`ConvergenceWarning` saying so instead.

    Examples
    --------
    >>> import numpy as np
    >>> X = np.column_stack([np.ones(6), [0.0, 0.0, 1.0, 1.0, 2.0, 2.0]])
    >>> fit_poisson(X, [1, 2, 2, 4, 6, 9]).params.round(4)
    array([0.3325, 0.8341])
    """
    return _fit(X, y, offset, POISSON, names)


def _fit(X, y, offset, family: Family, names) -> FitResult:
    """Either GLM, in memory or over Dask row chunks: checks and start, Newton, covariance."""
    data = glm_data(X, y, offset, family)
    rows = data.rows
    names = coefficient_names(names, data.columns, rows.p)
    start = check_and_start(rows, family)
    try:
        fit = fit_glm(rows, family, start)
    except StartNotFinite as exc:  # a Poisson mean that overflows
        raise ValueError(_overflow_message(rows, offset, "at the start")) from exc
    beta, stats, converged = fit.beta, fit.stats, fit.converged
    extra = "" if rows.in_memory else f" over {rows.description}"
    e = -rows.x_shift  # beta_j of the data is the coefficient of the scaled column j times 2**-e_j
    if family == POISSON and stats["max_eta"] > 709.0:
        raise ValueError(_overflow_message(rows, offset, "at the estimate"))
    slow = not converged or fit.diverging  # a divergence along a direction where the MLE does not exist
    if family == LOGISTIC and (slow or stats["max_eta"] > 25):
        if rows.in_memory:
            _raise_if_separated(rows.X, rows.y, e)
        elif slow and stats["max_eta"] > 25:
            converged = False
            extra += (
                "; the outcomes may be perfectly separated (check a subsample in memory with fit_logistic)"
            )
    gap = -stats["max_neg_eta0"] < stats["max_eta_hi"] - POISSON_GAP
    if family == POISSON and (slow or gap):
        if rows.in_memory:
            _raise_if_no_poisson_mle(rows.X, rows.y, e)
        elif slow and gap:
            converged = False
            extra += (
                "; fitted means of some zero counts are tending to 0, so the MLE may not exist "
                "(check a subsample in memory with fit_poisson)"
            )
    failure = None
    if not converged:
        failure = (
            f"fit_{family.name} did not converge in {fit.n_iter} iterations{extra}; "
            "the estimates may be inaccurate"
        )
    return finish(
        params=beta.copy(),
        names=names,
        loglik=exact_loglik(rows, family, fit),
        nobs=rows.n,
        converged=converged,
        n_iter=fit.n_iter,
        method="Newton",
        message=f"Newton (IRLS) with step halving: {fit.n_iter} iteration(s){extra}",
        cov=covariance.from_information(fit.info, rows, family, beta),
        profile=GLMProfile(rows, family, beta),
        beta=beta.copy(),
        failure=failure,
        scores=GLMScores(rows, family),
        unscale=Unscale(tuple(int(v) for v in e)),
        model=family.name,
        data_key=data.key,
    )


def _overflow_message(rows, offset, where: str) -> str:
    text = f"the fitted Poisson mean exp(X @ beta + offset) overflows {where} (exp overflows above 709)"
    if offset is not None and rows.in_memory and rows.offset.size:
        top = float(np.max(rows.offset))
        text += (
            f"; offset has values up to {top:.4g}: an offset is added to the log of the mean, so "
            "it is a log-exposure (np.log(exposure)), not an exposure"
        )
    return text


def _direction_text(direction, e) -> str:
    d = unshift(direction, e)
    return str(np.round(d / np.max(np.abs(d)), 4).tolist())


def _raise_if_separated(X, y, e) -> None:
    found = _separation_direction(X, y)
    if found is None:
        return
    direction, complete = found
    margin = (2 * y - 1) * (X @ direction)
    k = int(np.sum(margin > 1e-9 * np.max(np.abs(margin))))
    kind = "complete" if complete else "quasi-complete"
    raise PerfectSeparationError(
        f"y is perfectly separated by X ({kind} separation: the linear combination "
        f"X @ {_direction_text(direction, e)} predicts {k} of the "
        f"{len(y)} outcomes exactly). The likelihood keeps increasing as the coefficients go to "
        "infinity, so there is no maximum likelihood estimate. Remove or merge the separating "
        "predictors, or use a penalized (e.g. Firth) fit."
    )


def _raise_if_no_poisson_mle(X, y, e) -> None:
    found = _poisson_divergence(X, y)
    if found is None:
        return
    direction, k = found
    raise PerfectSeparationError(
        f"the Poisson MLE does not exist: X @ b is 0 for every positive count and negative for {k} "
        f"of the {int(np.sum(y == 0))} zero counts, with b = {_direction_text(direction, e)}. Along b "
        "the likelihood keeps increasing, the fitted means of those zero counts go to 0 and the "
        "coefficients diverge (to -infinity along b). Drop those observations (their zero counts are "
        "fitted exactly, as Santos Silva and Tenreyro (2010) recommend) or the predictors that "
        "isolate them (e.g. a group whose counts are all 0)."
    )


def _poisson_divergence(X, y):
    """A direction b with X_i b = 0 for every positive count and X_i b <= 0 for every zero count,
    < 0 for some (so that the likelihood increases along b without bound: Santos Silva and
    Tenreyro, 2010), and how many zero counts it sends to 0; None if the MLE exists.

    b lies in the null space of the rows with positive counts (from an SVD); a linear program
    over that space maximizes the total margin of the zero counts."""
    zero = y == 0
    if not np.any(zero):
        return None
    scale = np.maximum(np.max(np.abs(X), axis=0), np.finfo(float).tiny)
    A0, A1 = X[zero] / scale, X[~zero] / scale
    p = X.shape[1]
    if A1.shape[0]:
        _, s, Vt = np.linalg.svd(A1, full_matrices=True)
        rank = int(np.sum(s > 1e-10 * s[0])) if s.size else 0
        N = Vt[rank:].T  # null space of the positive rows
    else:
        N = np.eye(p)
    if N.shape[1] == 0:
        return None
    B = A0 @ N
    res = lazy.optimize().linprog(
        B.sum(axis=0), A_ub=B, b_ub=np.zeros(B.shape[0]), bounds=[(-1.0, 1.0)] * N.shape[1], method="highs"
    )
    if res.status != 0:
        return None
    b = N @ res.x
    margin = -(A0 @ b)
    tol = 1e-9 * p
    if np.max(margin) <= tol or np.min(margin) < -tol:
        return None
    return b / scale, int(np.sum(margin > tol))


def _separation_direction(X, y):
    """Konis's linear program: a direction b with (2y - 1) * (X b) >= 0 for all rows and > 0 for some.

    Returns ``(b, complete)``, or None when no such direction exists (the logistic MLE is finite).
    ``complete`` is True when some direction makes every margin strictly positive.
    """
    s = 2.0 * y - 1.0
    A = s[:, None] * X
    scale = np.maximum(np.max(np.abs(X), axis=0), np.finfo(float).tiny)
    res = lazy.optimize().linprog(
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
    res2 = lazy.optimize().linprog(
        np.append(np.zeros(p), -1.0),
        A_ub=np.column_stack([-A / scale, np.ones(len(y))]),
        b_ub=np.zeros(len(y)),
        bounds=[(-1.0, 1.0)] * p + [(None, 1.0)],
        method="highs",
    )
    if res2.status == 0 and -res2.fun > tol:
        return res2.x[:p] / scale, True
    return b, False
