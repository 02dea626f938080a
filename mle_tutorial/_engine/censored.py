r"""Censored and truncated location-scale likelihoods: per-observation terms, derivatives, one fit.

Every model here is a location-scale model for a response :math:`y` on a *working scale*
(:math:`y = \log t` for survival times, :math:`y` itself for the Tobit and truncated models):

.. math:: y_i = x_i^\top\beta + \sigma W_i, \qquad w_i = \frac{y_i - x_i^\top\beta}{\sigma},
          \qquad \tau = \log\sigma,

with :math:`W` standard normal (log-normal times, Tobit), standard minimum extreme value
(Gumbel-min: Weibull times, and exponential times with :math:`\sigma = 1`) or standard logistic
(log-logistic times). What is known of observation :math:`i` is an interval
:math:`[y^{lo}_i, y^{hi}_i]` of the working scale:

=================== ============================== ====================================
what is known        interval                        contribution to :math:`\ell`
=================== ============================== ====================================
exact                :math:`y^{lo} = y^{hi} = y`     :math:`\log f(w) - \tau`
right-censored       :math:`[y^{lo}, \infty)`        :math:`\log S(w^{lo})`
left-censored        :math:`(-\infty, y^{hi}]`       :math:`\log F(w^{hi})`
interval-censored    :math:`[y^{lo}, y^{hi}]`        :math:`\log\{F(w^{hi}) - F(w^{lo})\}`
=================== ============================== ====================================

and a truncated sample (observed only inside :math:`[a_i, b_i]`) subtracts
:math:`\log\{F(w^{b}) - F(w^{a})\}` from every observation. The log-likelihood of survival
times is reported on the *time* scale, as R's ``survreg`` does: the log-scale sum minus
:math:`\sum\log t_i` over the exact observations (the Jacobian of :math:`t \mapsto \log t`).

Derivatives. Write each contribution as :math:`L(w_1, \dots) - c\,\tau` with every
:math:`w_k = (y_k - \eta)e^{-\tau}`, :math:`\eta = x^\top\beta`, first derivatives
:math:`a_k = \partial L/\partial w_k` and second :math:`b_{jk}`. Since
:math:`\partial w_k/\partial\eta = -1/\sigma` and :math:`\partial w_k/\partial\tau = -w_k`,

.. math:: \ell_\eta = -\frac{\sum_k a_k}{\sigma},\quad \ell_\tau = -\sum_k a_k w_k - c,\quad
          \ell_{\eta\eta} = \frac{\sum_{jk} b_{jk}}{\sigma^2},\quad
          \ell_{\eta\tau} = \frac{\sum_{jk} b_{jk} w_k + \sum_k a_k}{\sigma},\quad
          \ell_{\tau\tau} = \sum_{jk} b_{jk} w_j w_k + \sum_k a_k w_k .

For an exact observation :math:`a = \psi(w) = (\log f)'(w)`, :math:`b = \psi'(w)`, :math:`c = 1`.
For a probability :math:`P = F(w^{hi}) - F(w^{lo})`, with :math:`r_k = f(w_k)/P` (computed as
:math:`\exp(\log f - \log P)`), :math:`a_{lo} = -r_{lo}`, :math:`a_{hi} = r_{hi}`,
:math:`b_{lo,lo} = -\psi_{lo} r_{lo} - r_{lo}^2`, :math:`b_{hi,hi} = \psi_{hi} r_{hi} - r_{hi}^2`,
:math:`b_{lo,hi} = r_{lo} r_{hi}`, and an infinite end contributes nothing.

Stability: :math:`\log S` and :math:`\log F` come from ``scipy.special.log_ndtr`` (normal),
:math:`-e^w` and :math:`\log(-\mathrm{expm1}(-e^w))` (extreme value), and softplus (logistic);
:math:`\log(F(b) - F(a))` is computed from whichever tail is smaller, as
:math:`\log S(a) + \mathrm{log1mexp}(\log S(b) - \log S(a))` or
:math:`\log F(b) + \mathrm{log1mexp}(\log F(a) - \log F(b))`, so that an interval far out in
either tail keeps its digits.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
from numpy.typing import ArrayLike, NDArray

from . import covariance
from .checks import as_float_array, check_rows, read_matrix, shape_message
from .finish import FREE, POSITIVE, finish
from .lazy import linalg, special
from .lstsq import solve
from .objectives import Objective
from .optimize import (
    OPTIMALITY_TOL,
    default_options,
    minimize,
    newton_distance,
    optimality_message,
    value_at_start,
)
from .profiles import OptimizerProfile
from .result import FitResult
from .rows import data_key, fingerprint_sum
from .scale import Unscale, column_maxima, normal_unscale, shifted, shifts

_HALF_LOG_2PI = 0.5 * np.log(2.0 * np.pi)
_LOG2 = np.log(2.0)

#: Each distribution of survival times: the standard distribution W of log T, and whether sigma
#: is fixed at 1 (the exponential is the Weibull with sigma = 1).
SURVIVAL_DISTRIBUTIONS = {
    "exponential": ("extreme", True),
    "weibull": ("extreme", False),
    "lognormal": ("normal", False),
    "loglogistic": ("logistic", False),
}


# --- the three standard distributions ------------------------------------------------------------
def log1mexp(x: NDArray) -> NDArray:
    r""":math:`\log(1 - e^x)` for :math:`x \le 0`, accurately on both sides of :math:`-\log 2`."""
    x = np.asarray(x, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(x > -_LOG2, np.log(-np.expm1(x)), np.log1p(-np.exp(x)))


def _softplus(x: NDArray) -> NDArray:
    """:math:`\\log(1 + e^x)` without overflow."""
    return np.maximum(x, 0.0) + np.log1p(np.exp(-np.abs(x)))


def point(family: str, w: NDArray) -> tuple[NDArray, NDArray, NDArray]:
    r""":math:`\log f(w)`, :math:`\psi(w) = (\log f)'(w)` and :math:`\psi'(w)` of the standard
    distribution (finite ``w``)."""
    if family == "normal":
        return -0.5 * w * w - _HALF_LOG_2PI, -w, np.full_like(w, -1.0)
    if family == "extreme":  # f(w) = exp(w - e^w)
        e = np.exp(w)
        return w - e, 1.0 - e, -e
    if family == "logistic":  # f(w) = e^-|w| / (1 + e^-|w|)^2
        t = np.tanh(0.5 * w)
        return -np.abs(w) - 2.0 * np.log1p(np.exp(-np.abs(w))), -t, -0.5 * (1.0 - t * t)
    raise ValueError(f"unknown family {family!r}")  # pragma: no cover (checked by the callers)


def logsf(family: str, w: NDArray) -> NDArray:
    r""":math:`\log S(w) = \log P(W > w)`."""
    if family == "normal":
        return special.log_ndtr(-w)
    if family == "extreme":
        return -np.exp(w)
    return -_softplus(w)


def logcdf(family: str, w: NDArray) -> NDArray:
    r""":math:`\log F(w) = \log P(W \le w)`; for the extreme value :math:`\log(1 - e^{-e^w})`, which
    is :math:`w - e^w/2 + O(e^{2w})` far in the lower tail (where :math:`e^w` would underflow)."""
    if family == "normal":
        return special.log_ndtr(w)
    if family == "extreme":
        e = np.exp(w)
        with np.errstate(divide="ignore"):
            return np.where(w < -20.0, w - 0.5 * e, np.log(-np.expm1(-e)))
    return -_softplus(-w)


def log_probability(family: str, lo: NDArray, hi: NDArray) -> NDArray:
    r""":math:`\log P(lo < W \le hi)`, from the smaller tail; ``lo`` may be :math:`-\infty` and
    ``hi`` :math:`+\infty`."""
    out = np.zeros(np.broadcast(lo, hi).shape)
    lo, hi = np.broadcast_to(lo, out.shape), np.broadcast_to(hi, out.shape)
    open_lo, open_hi = np.isneginf(lo), np.isposinf(hi)
    right = open_hi & ~open_lo
    left = open_lo & ~open_hi
    both = ~open_lo & ~open_hi
    out[right] = logsf(family, lo[right])
    out[left] = logcdf(family, hi[left])
    a, b = lo[both], hi[both]
    upper_tail = a > 0.0
    with np.errstate(invalid="ignore"):
        sa, sb = logsf(family, a), logsf(family, b)
        fa, fb = logcdf(family, a), logcdf(family, b)
        out[both] = np.where(upper_tail, sa + log1mexp(sb - sa), fb + log1mexp(fa - fb))
    return out


# --- the data of a fit ------------------------------------------------------------------------------
@dataclass(frozen=True, eq=False)
class CensoredData:
    """What a censored or truncated fit sees, on the working scale.

    ``lower``/``upper``: the interval known to hold each response (equal for an exact one;
    -inf / +inf for an open end). ``truncation``: the working-scale limits of a truncated sample,
    or None. ``family``: "normal", "extreme" or "logistic". ``fixed_log_scale``: log sigma when it
    is not estimated (0 for the exponential), else None. ``jacobian``: sum of log t over the exact
    observations (0 on the response scale), so that the log-likelihood is on the time scale.
    """

    X: NDArray
    lower: NDArray
    upper: NDArray
    family: str
    fixed_log_scale: float | None = None
    truncation: tuple[NDArray, NDArray] | None = None
    jacobian: float = 0.0

    @property
    def exact(self) -> NDArray:
        return self.lower == self.upper

    @property
    def n_params(self) -> int:
        return self.X.shape[1] + (self.fixed_log_scale is None)


def _split(theta: NDArray, data: CensoredData) -> tuple[NDArray, float]:
    p = data.X.shape[1]
    tau = float(theta[p]) if data.fixed_log_scale is None else data.fixed_log_scale
    return data.X @ theta[:p], tau


def _probability_terms(family: str, wlo: NDArray, whi: NDArray):
    """log P and the chain-rule sums (A, AW, B, BW, BWW) of log(F(whi) - F(wlo))."""
    log_p = log_probability(family, wlo, whi)
    fin_lo, fin_hi = np.isfinite(wlo), np.isfinite(whi)
    wl, wh = np.where(fin_lo, wlo, 0.0), np.where(fin_hi, whi, 0.0)
    logf_lo, psi_lo, _ = point(family, wl)
    logf_hi, psi_hi, _ = point(family, wh)
    r_lo = np.where(fin_lo, np.exp(logf_lo - log_p), 0.0)
    r_hi = np.where(fin_hi, np.exp(logf_hi - log_p), 0.0)
    a_lo, a_hi = -r_lo, r_hi
    b_ll = -psi_lo * r_lo - r_lo * r_lo
    b_hh = psi_hi * r_hi - r_hi * r_hi
    b_lh = r_lo * r_hi
    A = a_lo + a_hi
    AW = a_lo * wl + a_hi * wh
    B = b_ll + 2.0 * b_lh + b_hh
    BW = b_ll * wl + b_lh * (wh + wl) + b_hh * wh
    BWW = b_ll * wl * wl + 2.0 * b_lh * wl * wh + b_hh * wh * wh
    return log_p, A, AW, B, BW, BWW


def terms(theta: NDArray, data: CensoredData, order: int = 0):
    r"""The log-scale log-likelihood of each observation and, for ``order`` 1 or 2, its
    derivatives with respect to :math:`\eta_i` and :math:`\tau`: ``(ll, d_eta, d_tau)`` and
    then ``(d_eta_eta, d_eta_tau, d_tau_tau)``, each an array over the observations."""
    eta, tau = _split(theta, data)
    sigma = np.exp(tau)
    family = data.family
    exact = data.exact
    other = ~exact
    with np.errstate(over="ignore", invalid="ignore", divide="ignore", under="ignore"):
        w = (data.lower[exact] - eta[exact]) / sigma
        wlo = (data.lower[other] - eta[other]) / sigma
        whi = (data.upper[other] - eta[other]) / sigma
        if data.truncation is not None:
            a = (data.truncation[0] - eta) / sigma
            b = (data.truncation[1] - eta) / sigma
        ll = np.empty(eta.shape[0])
        if order == 0:  # the value only
            ll[exact] = point(family, w)[0] - tau
            ll[other] = log_probability(family, wlo, whi)
            if data.truncation is not None:
                ll -= log_probability(family, a, b)
            return ll
        d = [np.empty(eta.shape[0]) for _ in range(5)]
        logf, psi, dpsi = point(family, w)  # log f(w) - tau: a = psi, b = psi', c = 1
        ll[exact] = logf - tau
        d[0][exact] = -psi / sigma
        d[1][exact] = -psi * w - 1.0
        d[2][exact] = dpsi / sigma**2
        d[3][exact] = (dpsi * w + psi) / sigma
        d[4][exact] = dpsi * w * w + psi * w
        log_p, A, AW, B, BW, BWW = _probability_terms(family, wlo, whi)
        ll[other] = log_p
        for k, value in enumerate((-A / sigma, -AW, B / sigma**2, (BW + A) / sigma, BWW + AW)):
            d[k][other] = value
        if data.truncation is not None:
            log_p, A, AW, B, BW, BWW = _probability_terms(family, a, b)
            ll -= log_p
            for k, value in enumerate((-A / sigma, -AW, B / sigma**2, (BW + A) / sigma, BWW + AW)):
                d[k] -= value
    return (ll, *d)


def nll(theta: NDArray, data: CensoredData) -> float:
    """Negative log-likelihood on (beta[, log sigma]), on the time scale for survival times."""
    ll = terms(np.asarray(theta, dtype=float), data)
    total = float(np.sum(ll)) - data.jacobian
    return -total if np.isfinite(total) else np.inf


def nll_gradient(theta: NDArray, data: CensoredData) -> NDArray:
    """Analytic gradient of :func:`nll` (the module docstring derives it)."""
    _, d_eta, d_tau, *_ = terms(np.asarray(theta, dtype=float), data, order=1)
    g = data.X.T @ d_eta
    if data.fixed_log_scale is None:
        g = np.append(g, np.sum(d_tau))
    return -g


def nll_hessian(theta: NDArray, data: CensoredData) -> NDArray:
    """Analytic Hessian of :func:`nll`."""
    _, _, _, d_ee, d_et, d_tt = terms(np.asarray(theta, dtype=float), data, order=2)
    X = data.X
    p = X.shape[1]
    H = np.empty((data.n_params, data.n_params))
    H[:p, :p] = (X.T * d_ee) @ X
    if data.fixed_log_scale is None:
        H[:p, p] = H[p, :p] = X.T @ d_et
        H[p, p] = np.sum(d_tt)
    return -H


# --- the fit -----------------------------------------------------------------------------------------
def polish(objective: Objective, theta: NDArray, converged: bool, message: str, steps: int = 6):
    """Newton steps from the optimizer's answer, each taken if it does not raise the objective by
    more than rounding, until a step would move the parameters by less than 1e-15 (relative); then
    the package's convergence test (:func:`~mle_tutorial._engine.optimize.newton_distance` at most
    ``OPTIMALITY_TOL``) decides. ``trust-exact`` can stop (on its gradient tolerance, which scales
    with the objective at the start) a little short of that test; near the maximum Newton converges
    quadratically, so a step or two settles it, and the answer does not hang on the last bits.
    Returns ``(theta, converged, message)``."""
    value = objective(theta)
    for _ in range(steps):
        gradient, hessian = objective.gradient(theta), objective.hessian(theta)
        distance = newton_distance(gradient, hessian, theta)
        if not np.isfinite(distance) or distance < 1e-15:
            break
        step = linalg.solve(hessian, gradient, assume_a="pos")
        candidate = theta - step
        new = objective(candidate)
        if not new <= value + 4 * np.finfo(float).eps * abs(value):
            break
        theta, value = candidate, new
    distance = newton_distance(objective.gradient(theta), objective.hessian(theta), theta)
    polished = distance <= OPTIMALITY_TOL
    if polished and not converged:
        message += (
            f" Newton steps from there reached the maximum: a further step would move the parameters by "
            f"{distance:.1e} (relative), within {OPTIMALITY_TOL:.0e}."
        )
    elif not polished and converged:
        message += optimality_message(distance)
    return theta, polished, message


NO_MLE_ADVICE = (
    " The maximum likelihood estimate may not exist: the likelihood can keep rising towards a limit "
    "it never reaches when a coefficient or sigma runs off (for example a group of the design whose "
    "observations are all censored)."
)


def scaled(data: CensoredData, y0: NDArray, response: bool) -> tuple[CensoredData, NDArray, Unscale]:
    """The data with every column of X, and (if ``response``: the Tobit and truncated models, not
    log survival times) y, its limits and the working response ``y0``, divided by the power of two
    that brings its largest |value| into [1/2, 1); and how the estimates scale back.

    Always, not only for data far from 1 (see :mod:`~mle_tutorial._engine.scale`): the optimizer
    then sees the same numbers for data in any units, so that the fit is exactly equivariant under
    scaling by powers of two, and nothing overflows or underflows at extreme scales. Log times
    need no scaling: the log of any positive float lies within +-745, and a change of time unit
    moves only the intercept. The log-likelihood moves by -log 2 per power for each exact
    observation (a density of y); a probability does not move."""
    x_shift = shifts(column_maxima(data.X), always=True)
    y_shift = int(shifts(np.max(np.abs(y0)), always=True)) if response else 0
    limits = None if data.truncation is None else tuple(shifted(a, y_shift) for a in data.truncation)
    out = replace(
        data, X=shifted(data.X, x_shift), lower=shifted(data.lower, y_shift),
        upper=shifted(data.upper, y_shift), truncation=limits,
    )  # fmt: skip
    unscale = normal_unscale(x_shift, y_shift, int(np.sum(data.exact)))
    return out, shifted(y0, y_shift), Unscale(unscale.exponents[: data.n_params], unscale.loglik_shift)


def least_squares_start(X: NDArray, y0: NDArray, fixed_scale: bool) -> NDArray:
    """Least squares of a working response ``y0`` on X (which also checks X's rank), and the log of
    the RMS residual for log sigma (unless sigma is fixed)."""
    ls = solve(X, y0)
    if fixed_scale:
        return ls.beta
    rms = float(np.sqrt(ls.rss / X.shape[0]))
    return np.append(ls.beta, np.log(rms) if rms > 0 else 0.0)


def data_key_of(*columns: NDArray) -> str:
    """The :attr:`~mle_tutorial.FitResult.data_key` of censored data: a fingerprint of what is known
    of each response (its interval; its truncation limits), row by row."""
    stacked = np.column_stack(columns)
    return data_key(stacked.shape[0], fingerprint_sum(stacked.ravel()))


def fit(
    data: CensoredData,
    y0: NDArray,
    *,
    names: tuple[str, ...],
    caller: str,
    model: str,
    key: str,
    response: bool = True,
) -> FitResult:
    """Maximize the censored/truncated likelihood by Newton (trust-exact) on (beta, log sigma),
    from least squares of the working response ``y0`` on X, on data scaled by :func:`scaled`;
    polish; and build the :class:`FitResult` (sigma on its own scale by the delta method; the
    family ``model`` and the fingerprint ``key`` for likelihood-ratio tests)."""
    nobs = data.X.shape[0]
    data, y0, unscale = scaled(data, y0, response)
    start = least_squares_start(data.X, y0, data.fixed_log_scale is not None)
    objective = Objective(nll, (data,), nll_gradient, nll_hessian)
    f0 = value_at_start(objective, start)
    found = minimize(objective, start, "Newton", default_options("Newton", f0, start.size, None))
    theta, converged, message = polish(objective, found.theta, found.converged, found.message)
    p = data.X.shape[1]
    beta = theta[:p].copy()
    scale_free = data.fixed_log_scale is None
    sigma = float(np.exp(theta[p])) if scale_free else None
    params = np.append(beta, sigma) if scale_free else beta
    jacobian = np.diag(np.append(np.ones(p), sigma)) if scale_free else None
    failure = None
    if not converged:
        failure = f"{caller} did not converge ({found.n_iter} iterations): {message}{NO_MLE_ADVICE}"
    return finish(
        params=params,
        names=names,
        loglik=-nll(theta, data),
        nobs=nobs,
        converged=converged,
        n_iter=found.n_iter,
        method="Newton",
        message=message,
        cov=covariance.from_hessian(nll_hessian(theta, data), jacobian),
        profile=OptimizerProfile(
            objective, theta, method="trust-exact", maxiter=200, natural_from=p if scale_free else None
        ),
        beta=beta,
        sigma=sigma,
        failure=failure,
        bounds=[FREE] * p + ([POSITIVE] if scale_free else []),
        unscale=unscale,
        model=model,
        data_key=key,
    )


# --- input checks shared by the censored and truncated fitters ---------------------------------------
def limit_array(value: ArrayLike, name: str, n: int, *, scalar: bool = True) -> NDArray:
    """A number (if ``scalar``) or a length-``n`` array of limits, read as every array is (see
    :mod:`~mle_tutorial._engine.checks`), as a float array of length ``n``: -inf and inf allowed
    (an open end), NaN not."""
    arr = as_float_array(value, name, infinite=True)
    if arr.ndim == 0 and scalar:
        return np.full(n, float(arr))
    what = f"{'a number or ' if scalar else ''}an array of {n} values"
    if arr.ndim != 1:
        raise ValueError(shape_message(name, 1, arr, value, what))
    if arr.shape[0] != n:
        raise ValueError(f"{name} must be {what}, got shape {arr.shape}")
    return arr


def design_or_intercept(X: ArrayLike | None, n: int, response: str, model: str | None = None):
    """``X`` (n, p) checked against the ``n`` values of ``response``, or a column of ones (an
    intercept only) if None; and the names its columns give the coefficients (None for an array).
    ``model`` as in :func:`~mle_tutorial._engine.checks.check_rows`."""
    if X is None:
        return np.ones((n, 1)), None
    X, columns = read_matrix(X)
    if X.shape[0] != n:
        raise ValueError(f"X has {X.shape[0]} rows but {response} has {n} values; they must match")
    check_rows(n, X.shape[1], model)
    return X, columns
