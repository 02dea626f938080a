r"""Censored and truncated normal regression: the Tobit model and truncated regression.

Both keep the normal linear model :math:`y_i^* = x_i^\top\beta + \varepsilon_i`,
:math:`\varepsilon_i \sim N(0, \sigma^2)`, and change what is observed.

**Censored (Tobit).** :math:`y^*` is seen only inside limits :math:`[c_L, c_U]`; beyond them
the value is recorded *at* the limit. A value at a limit contributes the probability of being
beyond it (step 5 with a probability in place of a density):

.. math:: \ell = \sum_{c_L < y_i < c_U} \Big[\log\varphi(z_i) - \log\sigma\Big]
          + \sum_{y_i = c_L} \log\Phi\Big(\frac{c_L - x_i^\top\beta}{\sigma}\Big)
          + \sum_{y_i = c_U} \log\Phi\Big(\frac{x_i^\top\beta - c_U}{\sigma}\Big),
          \qquad z_i = \frac{y_i - x_i^\top\beta}{\sigma}.

**Truncated.** Observations outside :math:`[a, b]` never enter the sample at all: each density
is divided by the probability of being inside,

.. math:: \ell = \sum_i \Big[\log\varphi(z_i) - \log\sigma
          - \log\Big\{\Phi\Big(\frac{b - x_i^\top\beta}{\sigma}\Big)
          - \Phi\Big(\frac{a - x_i^\top\beta}{\sigma}\Big)\Big\}\Big].

Both are fitted by Newton's method on :math:`(\beta, \log\sigma)` with analytic derivatives,
the tails computed with ``scipy.special.log_ndtr`` (see :mod:`mle_tutorial.censored`).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ._engine.checks import coefficient_names, match_rows, read_design
from .censored import NORMAL, CensoredData, CensoredRegression, Censoring, data_key_of, limit_array
from .result import FitResult

__all__ = ["fit_tobit", "fit_truncated_normal"]


def _read(X, y, lower, upper, what: str, names) -> tuple[NDArray, NDArray, NDArray, NDArray, tuple[str, ...]]:
    """X, y and the limits (per-row ones matched by label, as X and y are), checked; and the
    names of the coefficients and sigma."""
    rows = match_rows({"X": X, "y": y, "lower": lower, "upper": upper})
    design = read_design(rows["X"], rows["y"])
    X, y = design.X, design.y
    n = y.shape[0]
    lo, hi = limit_array(rows["lower"], "lower", n), limit_array(rows["upper"], "upper", n)
    if np.any(lo >= hi):
        raise ValueError(f"lower must be below upper (got lower >= upper in {int(np.sum(lo >= hi))} row(s))")
    if np.all(np.isneginf(lo)) and np.all(np.isposinf(hi)):
        raise ValueError(
            f"lower and upper are both infinite: with no {what} limit this is the normal linear model "
            "(use fit_linear)"
        )
    for bad, side, limit in ((y < lo, "below lower", lo), (y > hi, "above upper", hi)):
        if np.any(bad):
            i = int(np.flatnonzero(bad)[0])
            raise ValueError(
                f"y has {int(np.sum(bad))} value(s) {side} (the first: y[{i}] = {y[i]:g}, limit "
                f"{limit[i]:g}): the limits must bracket the data; "
                + (
                    "a censored value is recorded at its limit, never beyond it"
                    if what == "censoring"
                    else "a truncated sample holds no value outside its limits"
                )
            )
    names = (*coefficient_names(names, design.columns, X.shape[1], reserved=("sigma",)), "sigma")
    return X, y, lo, hi, names


def fit_tobit(
    X: ArrayLike,
    y: ArrayLike,
    *,
    lower: ArrayLike = 0.0,
    upper: ArrayLike = np.inf,
    names: Sequence[str] | None = None,
    options: dict | None = None,
) -> FitResult:
    r"""Tobit (censored normal) regression by maximum likelihood.

    .. math:: \begin{aligned}
              y_i &= \min\{\max(c_L, x_i^\top\beta + \varepsilon_i), c_U\}, \quad
              \varepsilon_i \sim N(0, \sigma^2), \\
              \ell &= \sum_{\text{inside}} \log\frac{\varphi(z_i)}{\sigma}
              + \sum_{y_i = c_L} \log\Phi(z_{Li}) + \sum_{y_i = c_U} \log\Phi(-z_{Ui})
              \end{aligned}

    with :math:`z_{Li} = (c_L - x_i^\top\beta)/\sigma`, :math:`z_{Ui} = (c_U - x_i^\top\beta)/\sigma`.

    Parameters
    ----------
    X : array_like, shape (n, p)
        Full design matrix (include a column of ones for an intercept).
    y : array_like, shape (n,)
        Response, with censored values recorded at their limit: ``y <= lower`` is censored
        below, ``y >= upper`` above.
    lower, upper : float or array_like, shape (n,)
        The censoring limits (one for all observations, or one each); ``-inf`` / ``inf`` for no
        limit on that side. Default: censoring at 0 from below, the classic Tobit. Pandas
        objects among ``X``, ``y`` and per-row limits are matched by index label (reordered to
        ``X``'s index, or to the first of them), as in :func:`~mle_tutorial.fit_linear`.
    names : sequence of str, optional
        A name for each coefficient (default: the columns of a DataFrame ``X``, else
        ``beta[j]``); not ``"sigma"``.
    options : dict, optional
        ``max_iter``, the most Newton iterations (default 100), and ``tol``, the Newton
        decrement at which Newton stops (default 1e-20), as in
        :func:`~mle_tutorial.fit_survival`; any other key is an error.

    Returns
    -------
    FitResult
        ``params = [beta..., sigma]`` with names ``beta[j]`` and ``sigma``, standard errors from
        the observed information (σ by the delta method from :math:`\log\sigma`), a ``profile``.
        ``model.name`` is ``"tobit"``; ``data_key`` fingerprints what is known of each ``y`` (its
        value, or the limit it is censored at, and on which side), so that
        :func:`~mle_tutorial.likelihood_ratio_test` compares Tobit fits to the same data only.
        Exactly equivariant under scaling of ``y`` and the limits (or of a column of ``X``) by a
        power of two, and to rounding under any other factor.

    Raises
    ------
    ValueError
        Bad ``X``/``y`` (as :func:`~mle_tutorial.fit_linear`: NaN, masked values, text columns,
        pandas index labels that differ, a ``y`` of shape (n, 1), ...); bad ``names``; a NaN
        or masked limit; ``lower >= upper``; limits that do not bracket the data (a ``y`` below
        ``lower`` or above ``upper``); no limit at all; or every ``y`` at a limit, where there
        is no finite MLE.

    Warns
    -----
    ConvergenceWarning, HessianWarning
        As :func:`~mle_tutorial.fit_survival`.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> X = np.column_stack([np.ones(400), rng.normal(size=400)])
    >>> y_star = X @ [0.5, 1.0] + rng.normal(size=400)
    >>> y = np.maximum(y_star, 0.0)  # censored at 0
    >>> fit_tobit(X, y).params.round(3)
    array([0.483, 1.124, 0.994])
    """
    X, y, lo, hi, names = _read(X, y, lower, upper, "censoring", names)
    below, above = y <= lo, y >= hi
    if np.all(below | above):
        raise ValueError(
            "every y is at a censoring limit: with no value observed inside the limits the likelihood "
            "has no finite maximum (sigma and the coefficients run off), so there is no MLE"
        )
    # what is known of each y: an interval, (-inf, y] at a lower limit, [y, inf) at an upper one
    data = CensoredData(X, np.where(below, -np.inf, y), np.where(above, np.inf, y), NORMAL)
    key = data_key_of(data.lower, data.upper)
    record = Censoring(lo, hi, np.ones(y.shape[0], dtype=bool))  # a drawn value is censored at the limits
    model = CensoredRegression(
        data,
        names,
        key,
        name="tobit",
        y0=y,
        response=True,
        censoring=record,
        caller="fit_tobit",
        options=options,
    )
    return model.fit()


def fit_truncated_normal(
    X: ArrayLike,
    y: ArrayLike,
    *,
    lower: ArrayLike = -np.inf,
    upper: ArrayLike = np.inf,
    names: Sequence[str] | None = None,
    options: dict | None = None,
) -> FitResult:
    r"""Truncated normal regression by maximum likelihood: the sample holds only
    :math:`a \le y \le b`.

    .. math:: \begin{aligned}
              \ell(\beta, \sigma) &= \sum_{i=1}^n \Big[\log\varphi(z_i) - \log\sigma
              - \log\{\Phi(z_{bi}) - \Phi(z_{ai})\}\Big], \\
              z_{ai} &= \frac{a - x_i^\top\beta}{\sigma},\quad
              z_{bi} = \frac{b - x_i^\top\beta}{\sigma}
              \end{aligned}

    Parameters
    ----------
    X : array_like, shape (n, p)
        Full design matrix (include a column of ones for an intercept).
    y : array_like, shape (n,)
        Response, every value within the truncation limits.
    lower, upper : float or array_like, shape (n,)
        The truncation limits :math:`a` and :math:`b` (``-inf``/``inf`` for none on that side;
        at least one must be finite), per-row ones matched by label as in
        :func:`~mle_tutorial.fit_tobit`.
    names, options
        As in :func:`~mle_tutorial.fit_tobit`.

    Returns
    -------
    FitResult
        As :func:`~mle_tutorial.fit_tobit`, with ``model.name`` ``"truncated_normal"`` and a
        ``data_key`` of ``y`` and both limits, row by row.

    Raises
    ------
    ValueError
        Bad ``X``/``y`` (as :func:`~mle_tutorial.fit_tobit`); bad ``names``; a NaN or masked
        limit; ``lower >= upper``; both limits infinite; a ``y`` outside the limits.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(1)
    >>> X = np.column_stack([np.ones(2000), rng.normal(size=2000)])
    >>> y = X @ [0.5, 1.0] + rng.normal(size=2000)
    >>> keep = y > 0  # only positive y are recorded
    >>> fit = fit_truncated_normal(X[keep], y[keep], lower=0.0)
    >>> fit.params.round(3)
    array([0.458, 1.026, 0.991])
    """
    X, y, lo, hi, names = _read(X, y, lower, upper, "truncation", names)
    data = CensoredData(X, y, y, NORMAL, truncation=(lo, hi))
    record = Censoring(lo, hi, np.ones(y.shape[0], dtype=bool), truncated=True)
    model = CensoredRegression(
        data, names, data_key_of(y, lo, hi), name="truncated_normal", y0=y, response=True, censoring=record,
        caller="fit_truncated_normal", options=options,
    )  # fmt: skip
    return model.fit()
