r"""Parametric survival models with censoring: accelerated failure time (AFT) regression.

A survival time :math:`T > 0` follows

.. math:: \log T_i = x_i^\top\beta + \sigma W_i,

with :math:`W` standard minimum extreme value (Weibull times, shape :math:`1/\sigma`, scale
:math:`e^{x^\top\beta}`; the exponential is :math:`\sigma = 1`), standard normal (log-normal
times) or standard logistic (log-logistic times): the parameterization of R's
``survival::survreg``. A coefficient :math:`\beta_j` multiplies every time by
:math:`e^{\beta_j}` (it *accelerates* or slows down failure).

Censoring changes step 5 of the seven steps: an observation whose event was seen contributes its
density :math:`f(t)`; one still running when follow-up ended (right-censored at :math:`t`)
contributes :math:`S(t) = P(T > t)`; one known only to have failed before :math:`t`
(left-censored) :math:`F(t)`; one known to have failed between two inspections
:math:`F(t_2) - F(t_1)`. The log-likelihood is on the time scale, as R's ``logLik`` of a
``survreg`` fit reports it:

.. math:: \ell = \sum_{\text{exact}} \log f_T(t_i) + \sum_{\text{right}} \log S(t_i)
          + \sum_{\text{left}} \log F(t_i) + \sum_{\text{interval}} \log\{F(t_{2i}) - F(t_{1i})\}.

The fit is Newton's method on :math:`(\beta, \log\sigma)` with analytic gradient and Hessian
(see :mod:`mle_tutorial.censored`), and σ is reported on its own scale by the delta method.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ._engine.checks import as_float_array, coefficient_names, match_rows
from .censored import (
    SURVIVAL_DISTRIBUTIONS,
    CensoredData,
    CensoredRegression,
    Censoring,
    data_key_of,
    design_or_intercept,
    limit_array,
)
from .result import FitResult

DISTRIBUTIONS = tuple(SURVIVAL_DISTRIBUTIONS)
CENSORING = ("right", "left")

__all__ = ["CENSORING", "DISTRIBUTIONS", "fit_interval_censored", "fit_survival"]


def _distribution(dist: str) -> tuple:
    if not isinstance(dist, str) or dist not in SURVIVAL_DISTRIBUTIONS:
        raise ValueError(f"dist must be one of {DISTRIBUTIONS}, got {dist!r}")
    return SURVIVAL_DISTRIBUTIONS[dist]


def _fit(
    X,
    columns,
    names,
    lower,
    upper,
    y_lo,
    y_hi,
    y0,
    dist: str,
    caller: str,
    censoring,
    options,
    log_width=None,
) -> FitResult:
    """The AFT fit of the intervals ``[lower, upper]`` of the time scale (``[y_lo, y_hi]`` their
    logs), from least squares of the working log time ``y0``: its names, family and data key."""
    family, fixed_scale = SURVIVAL_DISTRIBUTIONS[dist]
    data = CensoredData(
        X, y_lo, y_hi, family, 0.0 if fixed_scale else None, log_time=True, log_width=log_width
    )
    names = coefficient_names(names, columns, X.shape[1], reserved=("sigma",))
    model = CensoredRegression(
        data, (*names, *(() if fixed_scale else ("sigma",))), data_key_of(lower, upper), name=dist, y0=y0,
        response=False, censoring=censoring, caller=f"{caller}(dist={dist!r})", options=options,
    )  # fmt: skip
    return model.fit()


def fit_survival(
    time: ArrayLike,
    event: ArrayLike | None = None,
    X: ArrayLike | None = None,
    *,
    dist: str = "weibull",
    censoring: str = "right",
    names: Sequence[str] | None = None,
    options: dict | None = None,
) -> FitResult:
    r"""Maximum likelihood fit of a parametric survival model with right (or left) censoring.

    .. math:: \begin{aligned}
              \log T_i &= x_i^\top\beta + \sigma W_i, \\
              \ell(\beta, \sigma) &= \sum_{\text{event}} \log f_T(t_i)
              + \sum_{\text{censored}} \log S(t_i) \quad (\text{right censoring})
              \end{aligned}

    Parameters
    ----------
    time : array_like, shape (n,)
        Observed times, all > 0 (the model takes their log): the event time when the event was
        seen, the censoring time otherwise. In any unit: a change of unit (by any factor, to
        times near 1e-200 or 1e200 if need be) moves only the intercept, by the log of the
        factor, and the log-likelihood, by minus its log per event; the other estimates and the
        standard errors agree to rounding.
    event : array_like of 0 and 1 (or booleans), shape (n,), optional
        1 = the event was observed at ``time``; 0 = censored at ``time``. Default: every event
        observed.
    X : array_like, shape (n, p), optional
        Design matrix of the accelerated failure time model (include a column of ones for the
        intercept). Default: an intercept only. Pandas objects among ``time``, ``event`` and
        ``X`` are matched by index label (reordered to ``X``'s index, or to the first of them),
        and a DataFrame's columns name the coefficients (see the README's rules for data).
    dist : {"weibull", "exponential", "lognormal", "loglogistic"}
        Distribution of :math:`T`, as in R's ``survreg``: :math:`W` is standard minimum extreme
        value (Weibull: shape :math:`\kappa = 1/\sigma`, scale :math:`\lambda_i = e^{x_i^\top\beta}`;
        exponential: :math:`\sigma = 1`, rate :math:`e^{-x_i^\top\beta}`), standard normal
        (log-normal) or standard logistic (log-logistic).
    censoring : {"right", "left"}
        What ``event = 0`` means: ``"right"``, the event had not happened by ``time`` (still
        alive, still in remission), so the observation contributes :math:`S(t)`; ``"left"``, it
        had already happened by ``time`` (a value below a detection limit), contributing
        :math:`F(t)`. For both kinds at once, or intervals, use
        :func:`~mle_tutorial.fit_interval_censored`.
    names : sequence of str, optional
        A name for each coefficient (default: the columns of a DataFrame ``X``, else
        ``beta[j]``); not ``"sigma"``.
    options : dict, optional
        ``max_iter``, the most Newton iterations (default 100), and ``tol``, the Newton
        decrement :math:`g^\top I^{-1} g` at which Newton stops (default 1e-20); nothing else.
        The fit is the package's own Newton loop on :math:`(\beta, \log\sigma)`, not a SciPy
        optimizer, so SciPy's options (``gtol``, ``maxiter``, ``initial_trust_radius``, ...) are
        unknown keys, and an unknown key is an error.

    Returns
    -------
    FitResult
        ``params = [beta..., sigma]`` (no ``sigma`` for the exponential), names ``beta[j]`` and
        ``sigma``; ``loglik`` on the time scale (R's ``logLik``); ``cov`` by the delta method from
        the observed information in :math:`(\beta, \log\sigma)`; a ``profile`` for
        ``conf_int(method="profile")``; ``model`` (a
        :class:`~mle_tutorial.censored.CensoredRegression` whose ``name`` is ``dist``), and
        ``data_key`` a fingerprint of what is known of each time (``time`` and ``event``
        together, as the interval of :func:`~mle_tutorial.fit_interval_censored`), so that
        :func:`~mle_tutorial.likelihood_ratio_test` compares fits to the same data only: the
        exponential with the Weibull (its case :math:`\sigma = 1`, one degree of freedom), or a
        model with fewer columns, but not the Weibull with the log-normal. ``robust()`` gives
        R's ``survreg(..., robust = TRUE)`` covariance (``robust(groups=...)`` its ``cluster()``).

    Raises
    ------
    ValueError
        ``time`` not > 0, ``event`` not 0/1, lengths that differ, NaN or inf, a masked value,
        a text column, pandas objects whose index labels differ, an unknown ``dist`` or
        ``censoring``, a rank-deficient ``X``, ``n <= p``, bad ``names``, an unknown ``options``
        key (SciPy's among them); or no event observed at all (every observation censored),
        where the likelihood rises without bound towards a degenerate limit and there is no MLE.

    Warns
    -----
    ConvergenceWarning
        If Newton's method does not converge: typically because the MLE does not exist (a
        coefficient running off to infinity, e.g. a group whose observations are all censored).
    HessianWarning
        If the Hessian at the estimate is not positive definite (standard errors NaN).

    Examples
    --------
    The exponential MLE with censoring has a closed form, rate = events / total time:

    >>> import numpy as np
    >>> time = np.array([6.0, 6, 7, 9, 10, 13, 16, 20, 22, 25])
    >>> event = np.array([1, 0, 1, 0, 1, 1, 0, 1, 0, 1])
    >>> fit = fit_survival(time, event, dist="exponential")
    >>> rate = np.exp(-fit.params[0])
    >>> print(f"{rate:.6f} {event.sum() / time.sum():.6f}")
    0.044776 0.044776
    >>> fit_survival(time, event).params.round(4)  # [beta[0], sigma]
    array([2.9561, 0.4553])

    The exponential is the Weibull with :math:`\sigma = 1`: is the hazard constant?

    >>> from mle_tutorial import likelihood_ratio_test
    >>> likelihood_ratio_test(fit, fit_survival(time, event)).df
    1
    """
    _distribution(dist)
    if not isinstance(censoring, str) or censoring not in CENSORING:
        raise ValueError(f"censoring must be one of {CENSORING}, got {censoring!r}")
    rows = match_rows({"X": X, "time": time, "event": event})
    time = as_float_array(rows["time"], "time", ndim=1)
    n = time.shape[0]
    _check_positive(time, "time")
    observed = _check_event(rows["event"], n)
    X, columns = design_or_intercept(rows["X"], n, "time", model=_rows_model(dist))
    if not np.any(observed):
        raise ValueError(
            "event is all 0: every observation is censored, so the likelihood keeps rising as the "
            f"times are pushed {'beyond' if censoring == 'right' else 'below'} every censoring time "
            "and there is no finite MLE; at least one event must be observed"
        )
    y = np.log(time)
    # what is known of each time, as an interval of the time scale: [t, t] for an event, [t, inf)
    # censored on the right, (0, t] on the left (as fit_interval_censored takes it)
    # and how a time drawn from the model would have been recorded: censored at the same time (an
    # event's censoring time, beyond it, is unknown: it stays an event)
    exact_everywhere = np.ones(n, dtype=bool)
    if censoring == "right":
        lower, upper, y_lo, y_hi = time, np.where(observed, time, np.inf), y, np.where(observed, y, np.inf)
        record = Censoring(np.full(n, -np.inf), np.where(observed, np.inf, y), exact_everywhere)
    else:
        lower, upper, y_lo, y_hi = np.where(observed, time, 0.0), time, np.where(observed, y, -np.inf), y
        record = Censoring(np.where(observed, -np.inf, y), np.full(n, np.inf), exact_everywhere)
    return _fit(X, columns, names, lower, upper, y_lo, y_hi, y, dist, "fit_survival", record, options)


def fit_interval_censored(
    lower: ArrayLike,
    upper: ArrayLike,
    X: ArrayLike | None = None,
    *,
    dist: str = "weibull",
    names: Sequence[str] | None = None,
    options: dict | None = None,
) -> FitResult:
    r"""Maximum likelihood fit of a parametric survival model to interval-censored times.

    Each event time is known to lie in :math:`(t_{1i}, t_{2i}]`: exactly at :math:`t` when
    :math:`t_1 = t_2 = t`, after :math:`t_1` when :math:`t_2 = \infty` (right-censored), before
    :math:`t_2` when :math:`t_1 = 0` (left-censored). As R's ``Surv(t1, t2, type = "interval2")``
    (with ``NA`` written as 0 and ``inf``):

    .. math:: \ell = \sum_{\text{exact}} \log f_T(t_i) + \sum_{\text{others}}
              \log\{F(t_{2i}) - F(t_{1i})\}, \qquad F(0) = 0,\ F(\infty) = 1.

    A narrow interval's probability is not formed as a difference that would cancel: below a
    relative width of about 1e-3 it comes from an expansion about its midpoint, and below about
    1e-5 (where even its two log ends would lose the width's digits) it is the density at the
    midpoint times the width, computed on the time scale; an interval one ulp wide is fitted
    like an exact time, its log-likelihood that of the exact time plus the log of its width.

    Parameters
    ----------
    lower, upper : array_like, shape (n,)
        The ends of each interval: ``0 <= lower <= upper <= inf``, ``lower == upper`` (> 0) for
        an exact time.
    X : array_like, shape (n, p), optional
        Design matrix (default: an intercept only). Pandas objects among ``lower``, ``upper``
        and ``X`` are matched by index label, as in :func:`~mle_tutorial.fit_survival`.
    dist : {"weibull", "exponential", "lognormal", "loglogistic"}
        As in :func:`~mle_tutorial.fit_survival`.
    names, options
        As in :func:`~mle_tutorial.fit_survival`.

    Returns
    -------
    FitResult
        As :func:`~mle_tutorial.fit_survival`; ``data_key`` fingerprints ``lower`` and ``upper``
        together, so that a fit of the same intervals by :func:`~mle_tutorial.fit_survival`
        (``upper = inf`` for right censoring, ``lower = 0`` for left) has the same key.

    Raises
    ------
    ValueError
        A negative ``lower``, ``lower > upper``, a row ``(0, inf)`` (which says nothing), NaN,
        a masked value, lengths or pandas index labels that differ, a bad ``X``, ``dist`` or
        ``names``; or no exact or two-sided interval at all (only right- and left-censored
        rows), where there is no finite MLE.

    Examples
    --------
    >>> import numpy as np
    >>> lower = np.array([2.0, 3.0, 0.0, 4.0, 5.5, 1.0, 6.0, 2.5])
    >>> upper = np.array([2.0, 5.0, 1.5, np.inf, 5.5, 3.0, 8.0, 2.5])
    >>> fit = fit_interval_censored(lower, upper, dist="lognormal")
    >>> fit.params.round(4)
    array([1.1454, 0.6444])
    """
    _distribution(dist)
    rows = match_rows({"X": X, "lower": lower, "upper": upper})
    lo = as_float_array(rows["lower"], "lower", ndim=1)
    n = lo.shape[0]
    hi = limit_array(rows["upper"], "upper", n, scalar=False)
    if np.any(lo < 0):
        raise ValueError(f"lower must be >= 0 (a time; 0 for a left-censored row): {_where(lo < 0)}")
    if np.any(hi < lo):
        raise ValueError(f"upper must be >= lower in every row: {_where(hi < lo)}")
    if np.any(hi <= 0):
        raise ValueError(f"upper must be > 0 (a time): {_where(hi <= 0)}")
    empty = (lo == 0) & np.isposinf(hi)
    if np.any(empty):
        raise ValueError(f"a row with lower = 0 and upper = inf says nothing about the time: {_where(empty)}")
    X, columns = design_or_intercept(rows["X"], n, "lower", model=_rows_model(dist))
    two_sided = (lo > 0) & np.isfinite(hi)
    if not np.any(two_sided):
        raise ValueError(
            "every row is right- or left-censored (no exact time, no two-sided interval): the "
            "likelihood then has no finite maximum; at least one exact or interval-censored row is needed"
        )
    with np.errstate(divide="ignore"):
        y_lo, y_hi = np.log(lo), np.log(hi)
    # an interval too narrow for the log scale (its ends would round together there, or keep too few
    # digits of its width) is fitted as an exact value at its midpoint, with the log of its width
    # computed on the time scale: its probability is f(y) * width to second order in the width
    # (NARROW_LOG_WIDTH)
    with np.errstate(divide="ignore", invalid="ignore"):
        width = np.log1p((hi - lo) / lo)
    tiny = two_sided & (lo < hi) & (width <= NARROW_LOG_WIDTH * np.cbrt(np.maximum(1.0, np.abs(y_lo))))
    log_width = None
    if np.any(tiny):
        mid = y_lo + 0.5 * width
        y_lo, y_hi = np.where(tiny, mid, y_lo), np.where(tiny, mid, y_hi)
        log_width = np.where(tiny, np.log(width), np.nan)
    exact = (lo == hi) | tiny
    y0 = np.where(exact, y_lo, np.where(lo == 0, y_hi, np.where(np.isinf(hi), y_lo, 0.5 * (y_lo + y_hi))))
    # a time drawn from the model is recorded by the same inspections: exact where the row is, else
    # in the row's interval, below its first inspection or after its last
    left = np.where(exact, -np.inf, np.where(lo == 0, y_hi, y_lo))
    right = np.where(exact, np.inf, np.where(np.isinf(hi), y_lo, y_hi))
    record = Censoring(left, right, exact)
    return _fit(
        X, columns, names, lo, hi, y_lo, y_hi, y0, dist, "fit_interval_censored", record, options, log_width
    )


#: An interval of the time scale whose width on the log scale is at most this times
#: max(1, |log t|)^(1/3) is fitted as its midpoint (see :func:`fit_interval_censored`). The
#: midpoint drops the interval's curvature term, relative h^2 c_2 / 6 with h its half-width on
#: the standardized scale, while the difference of its two log ends loses eps |log t| / width of
#: the width: the two errors are equal, about 1e-11, near this width.
NARROW_LOG_WIDTH = 2.0**-16


def _rows_model(dist: str) -> str | None:
    """How :func:`~mle_tutorial._engine.checks.check_rows` names the model: None (coefficients
    and sigma), or the exponential, which has no sigma."""
    return "exponential" if SURVIVAL_DISTRIBUTIONS[dist][1] else None


def _where(bad: NDArray) -> str:
    first = int(np.flatnonzero(bad)[0])
    return f"{int(np.sum(bad))} row(s), the first at index {first}"


def _check_positive(time: NDArray, name: str) -> None:
    if np.any(time <= 0):
        raise ValueError(
            f"{name} must be > 0 (the model takes log {name}): {_where(time <= 0)} "
            f"({name}[{int(np.flatnonzero(time <= 0)[0])}] = {time[time <= 0][0]:g})"
        )


def _check_event(event: ArrayLike | None, n: int) -> NDArray:
    """The event indicator as a boolean array: only 0 and 1 (or False and True) allowed."""
    if event is None:
        return np.ones(n, dtype=bool)
    event = as_float_array(event, "event", ndim=1)
    if event.shape[0] != n:
        raise ValueError(f"event has {event.shape[0]} values but time has {n}; they must match")
    bad = (event != 0) & (event != 1)
    if np.any(bad):
        values = ", ".join(f"{v:g}" for v in np.unique(event[bad])[:5])
        raise ValueError(f"event must hold only 0 (censored) and 1 (event observed); it also holds {values}")
    return event == 1
