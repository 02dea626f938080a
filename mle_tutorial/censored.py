r"""Censored and truncated location-scale regression: one model, its per-observation terms,
derivatives, simulation and nesting, and its fit.

Every model here is a location-scale model for a response :math:`y` on a *working scale*
(:math:`y = \log t` for survival times, :math:`y` itself for the Tobit and truncated models):

.. math:: y_i = x_i^\top\beta + \sigma W_i, \qquad w_i = \frac{y_i - x_i^\top\beta}{\sigma},
          \qquad \tau = \log\sigma,

with :math:`W` standard normal (log-normal times, Tobit), standard minimum extreme value
(Gumbel-min: Weibull times, and exponential times with :math:`\sigma = 1`) or standard logistic
(log-logistic times): a :class:`Standard` distribution each. What is known of observation
:math:`i` is an interval
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

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from functools import cached_property
from typing import cast

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ._engine import covariance
from ._engine.ascent import ascend
from ._engine.checks import as_float_array, check_rows, read_matrix, shape_message
from ._engine.lazy import special
from ._engine.lstsq import solve
from ._engine.objectives import Objective
from ._engine.optimize import (
    COMMON_OPTIONS,
    DECREMENT_TOL,
    OPTIMALITY_TOL,
    StartNotFinite,
    check_options,
    newton_distance,
    optimality_message,
)
from ._engine.profiles import OptimizerProfile
from ._engine.rows import data_key, fingerprint_sum
from ._engine.scale import Unscale, column_maxima, normal_unscale, shifted, shifts
from ._engine.transforms import BoundsTransform
from .fitting import FREE, POSITIVE, Estimate, finish
from .model import Nesting, RegressionLikelihood, family_error
from .result import FitResult

__all__ = [
    "EXTREME",
    "LOGISTIC_W",
    "NORMAL",
    "SURVIVAL_DISTRIBUTIONS",
    "CensoredData",
    "CensoredRegression",
    "Censoring",
    "Standard",
]

_HALF_LOG_2PI = 0.5 * np.log(2.0 * np.pi)
_LOG2 = np.log(2.0)


def log1mexp(x: NDArray) -> NDArray:
    r""":math:`\log(1 - e^x)` for :math:`x \le 0`, accurately on both sides of :math:`-\log 2`."""
    x = np.asarray(x, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(x > -_LOG2, np.log(-np.expm1(x)), np.log1p(-np.exp(x)))


def _softplus(x: NDArray) -> NDArray:
    """:math:`\\log(1 + e^x)` without overflow."""
    return np.maximum(x, 0.0) + np.log1p(np.exp(-np.abs(x)))


# --- the three standard distributions ------------------------------------------------------------
@dataclass(frozen=True)
class Standard:
    r"""A standard distribution :math:`W` of a location-scale model: :math:`\log f`,
    :math:`\psi = (\log f)'` and :math:`\psi'` (``point``), :math:`\log S` and :math:`\log F` in
    both tails, and the quantile function (for simulation)."""

    name: str

    def point(self, w: NDArray) -> tuple[NDArray, NDArray, NDArray]:  # pragma: no cover - abstract
        raise NotImplementedError

    def logsf(self, w: NDArray) -> NDArray:  # pragma: no cover - abstract
        raise NotImplementedError

    def logcdf(self, w: NDArray) -> NDArray:  # pragma: no cover - abstract
        raise NotImplementedError

    def ppf(self, u: NDArray) -> NDArray:  # pragma: no cover - abstract
        raise NotImplementedError

    def higher(self, w: NDArray) -> tuple[NDArray, NDArray]:
        r""":math:`\psi''` and :math:`\psi'''`, for the expansion of a narrow interval's probability
        (:data:`NARROW`); a family without them (``has_higher`` False) computes every interval as
        a difference of tails."""
        raise NotImplementedError

    @property
    def has_higher(self) -> bool:
        """Whether the family gives :meth:`higher`."""
        return type(self).higher is not Standard.higher

    def right_terms(self, w: NDArray) -> tuple[NDArray, NDArray, NDArray]:
        r""":math:`\log S(w)` and its first two derivatives, :math:`-r` and :math:`-\psi r - r^2`
        with :math:`r = f/S` (the hazard of W)."""
        logs = self.logsf(w)
        logf, psi, _ = self.point(w)
        r = np.exp(logf - logs)
        return logs, -r, -psi * r - r * r

    def left_terms(self, w: NDArray) -> tuple[NDArray, NDArray, NDArray]:
        r""":math:`\log F(w)` and its first two derivatives, :math:`r` and :math:`\psi r - r^2`
        with :math:`r = f/F`."""
        logc = self.logcdf(w)
        logf, psi, _ = self.point(w)
        r = np.exp(logf - logc)
        return logc, r, psi * r - r * r


@dataclass(frozen=True)
class _Normal(Standard):
    name: str = "normal"

    def point(self, w):
        return -0.5 * w * w - _HALF_LOG_2PI, -w, np.full_like(w, -1.0)

    def logsf(self, w):
        return special.log_ndtr(-w)

    def logcdf(self, w):
        return special.log_ndtr(w)

    def ppf(self, u):
        return special.ndtri(u)

    def higher(self, w):
        zero = np.zeros_like(w)
        return zero, zero


@dataclass(frozen=True)
class _Extreme(Standard):
    """Minimum extreme value (Gumbel-min): :math:`f(w) = e^{w - e^w}`, :math:`S(w) = e^{-e^w}`."""

    name: str = "extreme"

    def point(self, w):
        e = np.exp(w)
        return w - e, 1.0 - e, -e

    def logsf(self, w):
        return -np.exp(w)

    def logcdf(self, w):
        r""":math:`\log(1 - e^{-e^w})`, which is :math:`w - e^w/2 + O(e^{2w})` far in the lower
        tail (where :math:`e^w` would underflow)."""
        e = np.exp(w)
        with np.errstate(divide="ignore"):
            return np.where(w < -20.0, w - 0.5 * e, np.log(-np.expm1(-e)))

    def ppf(self, u):
        return np.log(-np.log1p(-u))

    def higher(self, w):
        e = -np.exp(w)
        return e, e

    def right_terms(self, w):
        """log S = -exp(w), and both its derivatives are -exp(w) too."""
        e = -np.exp(w)
        return e, e, e


@dataclass(frozen=True)
class _Logistic(Standard):
    """Standard logistic: :math:`f(w) = e^{-|w|}/(1 + e^{-|w|})^2`."""

    name: str = "logistic"

    def point(self, w):
        t = np.tanh(0.5 * w)
        return -np.abs(w) - 2.0 * np.log1p(np.exp(-np.abs(w))), -t, -0.5 * (1.0 - t * t)

    def logsf(self, w):
        return -_softplus(w)

    def logcdf(self, w):
        return -_softplus(-w)

    def ppf(self, u):
        return special.logit(u)

    def higher(self, w):
        t = np.tanh(0.5 * w)
        q = 1.0 - t * t
        return 0.5 * t * q, 0.25 * (1.0 - 3.0 * t * t) * q

    def right_terms(self, w):
        """log S = -softplus(w); its derivatives are -F(w) and -F(w)S(w)."""
        F = special.expit(w)
        return -_softplus(w), -F, -F * special.expit(-w)

    def left_terms(self, w):
        """log F = -softplus(-w); its derivatives are S(w) and -F(w)S(w)."""
        S = special.expit(-w)
        return -_softplus(-w), S, -S * special.expit(w)


NORMAL, EXTREME, LOGISTIC_W = _Normal(), _Extreme(), _Logistic()

#: Each distribution of survival times: the standard distribution W of log T, and whether sigma
#: is fixed at 1 (the exponential is the Weibull with sigma = 1).
SURVIVAL_DISTRIBUTIONS = {
    "exponential": (EXTREME, True),
    "weibull": (EXTREME, False),
    "lognormal": (NORMAL, False),
    "loglogistic": (LOGISTIC_W, False),
}


def log_probability(family: Standard, lo: NDArray, hi: NDArray) -> NDArray:
    r""":math:`\log P(lo < W \le hi)`, from the smaller tail; ``lo`` may be :math:`-\infty` and
    ``hi`` :math:`+\infty`. A narrow interval (see :func:`narrow_rows`) is integrated around its
    midpoint instead, where the difference of the two tails would cancel."""
    out = np.zeros(np.broadcast(lo, hi).shape)
    lo, hi = np.broadcast_to(lo, out.shape), np.broadcast_to(hi, out.shape)
    open_lo, open_hi = np.isneginf(lo), np.isposinf(hi)
    right = open_hi & ~open_lo
    left = open_lo & ~open_hi
    both = ~open_lo & ~open_hi
    out[right] = family.logsf(lo[right])
    out[left] = family.logcdf(hi[left])
    a, b = lo[both], hi[both]
    upper_tail = a > 0.0
    with np.errstate(invalid="ignore", over="ignore"):
        sa, sb = family.logsf(a), family.logsf(b)
        fa, fb = family.logcdf(a), family.logcdf(b)
        value = np.where(upper_tail, sa + log1mexp(sb - sa), fb + log1mexp(fa - fb))
        narrow = narrow_rows(family, a, b)
        if np.any(narrow):
            value[narrow] = _Midpoint(family, a[narrow], b[narrow]).log_p
    out[both] = value
    return out


#: An interval :math:`(a, b]` of W is *narrow* when its half-width :math:`h` is at most this, and
#: :math:`h\,(|\psi| + |\psi'|^{1/2})` at its midpoint too (the density changes by a fraction of
#: that across it): there :math:`F(b) - F(a)` would cancel (the relative error of the difference of
#: the two tails is about :math:`\epsilon/h`, and :math:`r_{hi} - r_{lo}` in the score loses
#: everything), so :math:`\log P` and its derivatives come from the expansion about the midpoint
#: :math:`m`, :math:`P = 2h f(m)\{1 + h^2 c_2(m)/6 + O(h^4)\}`, :math:`c_2 = f''/f = \psi' + \psi^2`,
#: whose neglected terms are below :math:`10^{-12}` relative.
NARROW = 1e-3


def narrow_rows(family: Standard, lo: NDArray, hi: NDArray) -> NDArray:
    """Which finite intervals ``(lo, hi]`` are narrow (:data:`NARROW`), for a family that gives the
    higher derivatives of its log density (else none)."""
    h = 0.5 * (hi - lo)
    candidate = h <= NARROW
    if not family.has_higher or not np.any(candidate):
        return np.zeros(h.shape, dtype=bool)
    m = 0.5 * (lo[candidate] + hi[candidate])
    _, psi, dpsi = family.point(m)
    out = np.zeros(h.shape, dtype=bool)
    with np.errstate(invalid="ignore", over="ignore"):
        out[candidate] = h[candidate] * (np.abs(psi) + np.sqrt(np.abs(dpsi))) <= NARROW
    return out


class _Midpoint:
    r""":math:`L = \log P` of narrow intervals as a function of their midpoint :math:`m` and
    half-width :math:`h` (see :data:`NARROW`), :math:`L = \log 2h + \log f(m) + h^2 c_2(m)/6`,
    and the chain-rule sums of :func:`_probability_terms` from its derivatives in :math:`(m, h)`:
    :math:`A = L_m`, :math:`A_W = mL_m + hL_h`, :math:`B = L_{mm}`,
    :math:`B_W = mL_{mm} + hL_{mh}`, :math:`B_{WW} = m^2L_{mm} + 2mhL_{mh} + h^2L_{hh}`. No
    difference of nearly equal numbers is formed."""

    def __init__(self, family: Standard, lo: NDArray, hi: NDArray):
        self.m, self.h = 0.5 * (lo + hi), 0.5 * (hi - lo)
        logf, self.psi, self.dpsi = family.point(self.m)
        self.d2psi, self.d3psi = family.higher(self.m)
        self.c2 = self.dpsi + self.psi * self.psi
        self.log_p = np.log(2.0 * self.h) + logf + self.h * self.h * self.c2 / 6.0

    def sums(self):
        m, h2, psi, dpsi = self.m, self.h * self.h, self.psi, self.dpsi
        dc2 = self.d2psi + 2.0 * psi * dpsi
        d2c2 = self.d3psi + 2.0 * dpsi * dpsi + 2.0 * psi * self.d2psi
        L_m = psi + h2 * dc2 / 6.0
        hL_h = 1.0 + h2 * self.c2 / 3.0  # h * L_h
        L_mm = dpsi + h2 * d2c2 / 6.0
        hL_mh = h2 * dc2 / 3.0  # h * L_mh
        h2L_hh = -1.0 + h2 * self.c2 / 3.0  # h^2 * L_hh
        return L_m, m * L_m + hL_h, L_mm, m * L_mm + hL_mh, m * m * L_mm + 2.0 * m * hL_mh + h2L_hh


# --- the data of a fit ------------------------------------------------------------------------------
@dataclass(frozen=True)
class Kinds:
    """The rows of each kind of observation: exact, right-censored (``[lo, inf)``), left-censored
    (``(-inf, hi]``) and interval-censored (both ends finite), each a slice where its rows are
    contiguous, else an index array; and whether each kind occurs."""

    exact: slice | NDArray
    right: slice | NDArray
    left: slice | NDArray
    interval: slice | NDArray
    has_exact: bool
    has_right: bool
    has_left: bool
    has_interval: bool

    @staticmethod
    def codes(lower: NDArray, upper: NDArray) -> NDArray:
        """0 exact, 1 right-, 2 left-, 3 interval-censored."""
        return np.where(
            lower == upper, 0, np.where(np.isposinf(upper), 1, np.where(np.isneginf(lower), 2, 3))
        )

    @classmethod
    def of(cls, lower: NDArray, upper: NDArray) -> Kinds:
        code = cls.codes(lower, upper)
        where: list[slice | NDArray] = []
        present: list[bool] = []
        for k in range(4):
            index = np.flatnonzero(code == k)
            present.append(index.size > 0)
            if index.size == 0:
                where.append(slice(0, 0))
            elif index[-1] - index[0] + 1 == index.size:
                where.append(slice(int(index[0]), int(index[-1]) + 1))
            else:
                where.append(index)
        return cls(where[0], where[1], where[2], where[3], present[0], present[1], present[2], present[3])


@dataclass(frozen=True, eq=False)
class CensoredData:
    """What a censored or truncated fit sees, on the working scale.

    ``lower``/``upper``: the interval known to hold each response (equal for an exact one;
    -inf / +inf for an open end). ``truncation``: the working-scale limits of a truncated sample,
    or None. ``family``: the :class:`Standard` distribution of W. ``fixed_log_scale``: log sigma
    when it is not estimated (0 for the exponential), else None. ``log_time``: the working scale
    is the log of a time, so the log-likelihood on the time scale subtracts log t of each exact
    observation (the Jacobian of :math:`t \\mapsto \\log t`).
    """

    X: NDArray
    lower: NDArray
    upper: NDArray
    family: Standard
    fixed_log_scale: float | None = None
    truncation: tuple[NDArray, NDArray] | None = None
    log_time: bool = False
    #: For each row recorded as an interval too narrow to be kept on the working scale (its two ends
    #: would round together there), and so fitted as an exact value at its midpoint: the log of
    #: its width, whose probability is the density times the width; NaN for the other rows. None
    #: where there is no such row. See :func:`~mle_tutorial.survival.fit_interval_censored`.
    log_width: NDArray | None = None

    @property
    def exact(self) -> NDArray:
        return self.lower == self.upper

    @cached_property
    def exact_offset(self) -> NDArray:
        """What each row's log-likelihood on the reported scale subtracts from its working-scale
        value: log t for an exact survival time (the Jacobian of :math:`t \\mapsto \\log t`),
        minus the log of its width for an interval fitted as its midpoint, 0 elsewhere."""
        out = np.where(self.exact, self.lower, 0.0) if self.log_time else np.zeros(self.lower.shape)
        if self.log_width is not None:
            out = np.where(np.isnan(self.log_width), out, -self.log_width)
        return out

    @cached_property
    def kinds(self) -> Kinds:
        """Where the rows of each kind are (see :class:`Kinds`), computed once."""
        return Kinds.of(self.lower, self.upper)

    def by_kind(self) -> CensoredData:
        """The same data with the rows sorted by kind (exact, right-, left-, interval-censored), so
        that each kind is a slice: what the fit's Newton passes read (a sum does not depend on the
        order of its terms beyond rounding)."""
        code = Kinds.codes(self.lower, self.upper)
        if np.all(code[1:] >= code[:-1]):
            return self
        return self.rows(np.argsort(code, kind="stable"))

    @property
    def n_params(self) -> int:
        return self.X.shape[1] + (self.fixed_log_scale is None)

    @cached_property
    def jacobian(self) -> float:
        """The sum of :attr:`exact_offset`: of log t over the exact observations (0 on a response
        scale), less the log widths of the intervals fitted as their midpoints."""
        if not self.log_time and self.log_width is None:
            return 0.0
        return float(np.sum(self.exact_offset))

    def rows(self, index: NDArray) -> CensoredData:
        """The data of the observations ``index``."""
        limits = None if self.truncation is None else tuple(a[index] for a in self.truncation)
        width = None if self.log_width is None else self.log_width[index]
        return replace(
            self, X=self.X[index], lower=self.lower[index], upper=self.upper[index], truncation=limits,
            log_width=width,
        )  # fmt: skip


@dataclass(frozen=True, eq=False)
class Censoring:
    """How responses drawn from the model would have been recorded (for ``simulate``), on the
    working scale: a value at or below ``left`` as the interval (-inf, left], at or above
    ``right`` as [right, inf); in between exactly where ``inside_exact``, else as (left, right].
    A truncated sample (``truncated``) draws from the distribution inside its limits."""

    left: NDArray
    right: NDArray
    inside_exact: NDArray
    truncated: bool = False

    def rows(self, index: NDArray) -> Censoring:
        return Censoring(self.left[index], self.right[index], self.inside_exact[index], self.truncated)

    def record(self, y: NDArray) -> tuple[NDArray, NDArray]:
        """The intervals that record the values ``y``."""
        below, above = y <= self.left, y >= self.right
        lower = np.where(
            below, -np.inf, np.where(above, self.right, np.where(self.inside_exact, y, self.left))
        )
        upper = np.where(
            above, np.inf, np.where(below, self.left, np.where(self.inside_exact, y, self.right))
        )
        return lower, upper


def _split(theta: NDArray, data: CensoredData) -> tuple[NDArray, float]:
    p = data.X.shape[1]
    tau = float(theta[p]) if data.fixed_log_scale is None else data.fixed_log_scale
    return data.X @ theta[:p], tau


def _probability_terms(family: Standard, wlo: NDArray, whi: NDArray):
    """log P and the chain-rule sums (A, AW, B, BW, BWW) of log(F(whi) - F(wlo)); a narrow
    interval's from its midpoint (see :data:`NARROW`)."""
    log_p = log_probability(family, wlo, whi)
    fin_lo, fin_hi = np.isfinite(wlo), np.isfinite(whi)
    wl, wh = np.where(fin_lo, wlo, 0.0), np.where(fin_hi, whi, 0.0)
    logf_lo, psi_lo, _ = family.point(wl)
    logf_hi, psi_hi, _ = family.point(wh)
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
    both = fin_lo & fin_hi
    if np.any(both):
        narrow = np.zeros(both.shape, dtype=bool)
        narrow[both] = narrow_rows(family, wlo[both], whi[both])
        if np.any(narrow):
            for arr, value in zip((A, AW, B, BW, BWW), _Midpoint(family, wlo[narrow], whi[narrow]).sums(),
                                  strict=True):  # fmt: skip
                arr[narrow] = value
    return log_p, A, AW, B, BW, BWW


def terms(theta: NDArray, data: CensoredData, order: int = 0):
    r"""The log-scale log-likelihood of each observation and, for ``order`` 1 or 2, its
    derivatives with respect to :math:`\eta_i` and :math:`\tau`: ``(ll, d_eta, d_tau)`` and
    then ``(d_eta_eta, d_eta_tau, d_tau_tau)``, each an array over the observations.

    One vectorised pass: each kind of observation (exact, right-, left-, interval-censored:
    :attr:`CensoredData.kinds`) has its special functions evaluated once, on its own rows (a
    slice where the rows of a kind are contiguous, as in the fit's sorted copy), giving the sums
    :math:`A = \sum_k a_k`, :math:`A_W = \sum_k a_k w_k`, :math:`B`, :math:`B_W`, :math:`B_{WW}`
    of the module docstring; the derivatives follow from them in one expression each."""
    eta, tau = _split(theta, data)
    sigma = np.exp(tau)
    family = data.family
    kinds = data.kinds
    n = eta.shape[0]
    ll = np.empty(n)
    with np.errstate(over="ignore", invalid="ignore", divide="ignore", under="ignore"):
        z = (data.lower - eta) / sigma  # w of an exact or left-open row's lower end
        if order == 0:
            rows = kinds.exact
            ll[rows] = family.point(z[rows])[0] - tau
            rows = kinds.right
            ll[rows] = family.logsf(z[rows])
            rows = kinds.left
            ll[rows] = family.logcdf((data.upper[rows] - eta[rows]) / sigma)
            rows = kinds.interval
            ll[rows] = log_probability(family, z[rows], (data.upper[rows] - eta[rows]) / sigma)
            if data.truncation is not None:
                ll -= log_probability(family, (data.truncation[0] - eta) / sigma,
                                      (data.truncation[1] - eta) / sigma)  # fmt: skip
            return ll
        A, AW, B = np.empty(n), np.empty(n), np.empty(n)
        BW, BWW = np.empty(n), np.empty(n)
        rows = kinds.exact  # log f(w) - tau: a = psi, b = psi', c = 1
        if kinds.has_exact:
            w = z[rows]
            logf, a, b = family.point(w)
            ll[rows] = logf - tau
            _single(rows, w, a, b, A, AW, B, BW, BWW)
        rows = kinds.right  # log S(w) of the lower end
        if kinds.has_right:
            w = z[rows]
            ll[rows], a, b = family.right_terms(w)
            _single(rows, w, a, b, A, AW, B, BW, BWW)
        rows = kinds.left  # log F(w) of the upper end
        if kinds.has_left:
            w = (data.upper[rows] - eta[rows]) / sigma
            ll[rows], a, b = family.left_terms(w)
            _single(rows, w, a, b, A, AW, B, BW, BWW)
        rows = kinds.interval
        if kinds.has_interval:
            sums = _probability_terms(family, z[rows], (data.upper[rows] - eta[rows]) / sigma)
            for arr, value in zip((ll, A, AW, B, BW, BWW), sums, strict=True):
                arr[rows] = value
        if data.truncation is not None:
            sums = _probability_terms(family, (data.truncation[0] - eta) / sigma,
                                      (data.truncation[1] - eta) / sigma)  # fmt: skip
            for arr, value in zip((ll, A, AW, B, BW, BWW), sums, strict=True):
                arr -= value
        d_eta = A / -sigma
        d_tau = -AW
        if kinds.has_exact:
            d_tau[kinds.exact] -= 1.0
        if order == 1:
            return ll, d_eta, d_tau
        return ll, d_eta, d_tau, B / sigma**2, (BW + A) / sigma, BWW + AW


def _single(rows, w, a, b, A, AW, B, BW, BWW) -> None:
    """The sums of a contribution with one w (exact or one-sided), written into ``rows``."""
    aw, bw = a * w, b * w
    A[rows], AW[rows], B[rows], BW[rows], BWW[rows] = a, aw, b, bw, bw * w


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
        upper=shifted(data.upper, y_shift), truncation=cast("tuple[NDArray, NDArray] | None", limits),
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


class CensoredRegression(RegressionLikelihood):
    r"""A censored or truncated location-scale regression on its data: parameters
    ``[beta..., sigma]`` (``[beta...]`` for the exponential, whose sigma is 1).

    .. math:: y_i = x_i^\top\beta + \sigma W_i, \qquad
              \ell_i = \log f(w_i) - \log\sigma,\ \log S(w^{lo}_i),\ \log F(w^{hi}_i)
              \text{ or } \log\{F(w^{hi}_i) - F(w^{lo}_i)\}

    (less :math:`\log\{F(w^b_i) - F(w^a_i)\}` in a truncated sample), on the working scale:
    the log time for survival data, whose log-likelihood is reported on the time scale. Built by
    :func:`~mle_tutorial.fit_survival`, :func:`~mle_tutorial.fit_interval_censored`,
    :func:`~mle_tutorial.fit_tobit` and :func:`~mle_tutorial.fit_truncated_normal`
    (``fit.model``); ``name`` is the distribution of the times (``"weibull"``, ...),
    ``"tobit"`` or ``"truncated_normal"``. The exponential nests in the Weibull (its case
    :math:`\sigma = 1`). ``simulate`` records new responses as the data were recorded (see
    :class:`Censoring`): each row keeps its censoring limit or its inspection times, an event
    of right-censored survival data is never censored (its censoring time, beyond the event, is
    unknown), and a truncated sample draws inside its limits.
    """

    def __init__(self, data: CensoredData, names: Sequence[str], key: str, *, name: str, y0: NDArray,
                 response: bool, censoring: Censoring, caller: str, options: dict | None = None,
                 working=None):  # fmt: skip
        self.data = data
        self.names = tuple(names)
        self.key = key
        self.family_name = name
        self.y0 = y0
        self.response = response
        self.censoring = censoring
        self.caller = caller
        self.options = options
        self._cache_working = working

    def _like(self, data: CensoredData, y0: NDArray, censoring: Censoring, key: str | None = None,
              names=None) -> CensoredRegression:  # fmt: skip
        if key is None:
            columns = (np.exp(data.lower), np.exp(data.upper)) if data.log_time else (data.lower, data.upper)
            if data.truncation is not None:
                columns = (*columns, *data.truncation)
            key = data_key_of(*columns)
        return CensoredRegression(data, self.names if names is None else names, key, name=self.family_name,
                                  y0=y0, response=self.response, censoring=censoring, caller=self.caller,
                                  options=self.options)  # fmt: skip

    @property
    def name(self) -> str:  # type: ignore[override]
        return self.family_name

    @property
    def param_names(self) -> tuple[str, ...]:
        return self.names

    @property
    def bounds(self):
        p = self.data.X.shape[1]
        return (FREE,) * p + ((POSITIVE,) if self.data.fixed_log_scale is None else ())

    @property
    def nobs(self) -> int:
        return self.data.X.shape[0]

    @property
    def data_key(self) -> str:
        return self.key

    @property
    def design(self) -> NDArray:
        return self.data.X

    @property
    def n_coef(self) -> int:
        return self.data.X.shape[1]

    def working(self) -> tuple[CensoredData, NDArray, Unscale]:
        """The data as the fit sees them (see :func:`scaled`)."""
        if self._cache_working is None:
            self._cache_working = scaled(self.data, self.y0, self.response)
        return self._cache_working

    def rescaled(self):
        data, y0, unscale = self.working()
        identity = Unscale((0,) * len(unscale.exponents))
        inner = CensoredRegression(data, self.names, self.key, name=self.family_name, y0=y0,
                                   response=self.response, censoring=self.censoring, caller=self.caller,
                                   options=self.options, working=(data, y0, identity))  # fmt: skip
        return inner, unscale

    # the likelihood on the natural scale, from the kernel on (beta, log sigma)
    def _theta(self, params):
        params = np.asarray(params, dtype=float)
        p = self.data.X.shape[1]
        if self.data.fixed_log_scale is not None:
            return params
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.append(params[:p], np.log(params[p]))

    def _scale_factor(self, params):
        params = np.asarray(params, dtype=float)
        p = self.data.X.shape[1]
        return np.concatenate([np.ones(p), params[p:]])

    def loglik_obs(self, params):
        ll = terms(self._theta(params), self.data)
        if self.data.log_time or self.data.log_width is not None:
            ll = ll - self.data.exact_offset
        return ll

    def loglik(self, params) -> float:
        return -nll(self._theta(params), self.data)

    def score_obs(self, params):
        _, d_eta, d_tau, *_ = terms(self._theta(params), self.data, order=1)
        S = self.data.X * d_eta[:, None]
        if self.data.fixed_log_scale is None:
            S = np.column_stack([S, d_tau / float(np.asarray(params, dtype=float)[-1])])
        return S

    def score(self, params):
        return -nll_gradient(self._theta(params), self.data) / self._scale_factor(params)

    def hessian(self, params):
        theta = self._theta(params)
        H = -nll_hessian(theta, self.data)
        d = self._scale_factor(params)
        if self.data.fixed_log_scale is None:
            g = -nll_gradient(theta, self.data)
            H[-1, -1] -= g[-1]
        return H / np.outer(d, d)

    # fitting
    def start(self):
        data, y0, unscale = self.working()
        start = least_squares_start(data.X, y0, data.fixed_log_scale is not None)
        p = data.X.shape[1]
        natural = np.concatenate([start[:p], np.exp(start[p:])])
        return np.ldexp(natural, np.asarray(unscale.exponents, dtype=np.int64))

    def fit(self, start=None, *, method: str | None = None, options: dict | None = None) -> FitResult:
        if method not in (None, "Newton"):
            raise ValueError(
                f"{self.caller} fits by Newton's method; method must be 'Newton', got {method!r}"
            )
        if start is not None:
            raise ValueError(
                f"{self.caller} starts from least squares of the working response; it takes no start"
            )
        return _fit(self, self.options if options is None else options)

    # the bootstrap
    def simulate(self, params, rng):
        params = np.asarray(params, dtype=float)
        theta = self._theta(params)
        eta = self.data.X @ theta[: self.data.X.shape[1]]
        sigma = 1.0 if self.data.fixed_log_scale is not None else float(params[-1])
        n = eta.shape[0]
        family = self.data.family
        if self.censoring.truncated:
            a, b = ((limit - eta) / sigma for limit in self.data.truncation)
            fa, fb = np.exp(family.logcdf(a)), np.exp(family.logcdf(b))
            y = eta + sigma * family.ppf(fa + rng.random(n) * (fb - fa))
            data = replace(self.data, lower=y, upper=y, log_width=None)
        else:
            y = eta + sigma * family.ppf(rng.random(n))
            lower, upper = self.censoring.record(y)
            data = replace(self.data, lower=lower, upper=upper, log_width=None)
        y0 = _working_response(data.lower, data.upper)
        return self._like(data, y0, self.censoring)

    def resample(self, rows):
        rows = np.asarray(rows)
        return self._like(self.data.rows(rows), self.y0[rows], self.censoring.rows(rows))

    def with_design(self, X):
        X, columns = read_matrix(X)
        if X.shape[0] != self.nobs:
            raise ValueError(f"X_full has {X.shape[0]} rows but the fit has {self.nobs} observations")
        names = coefficient_names_for(columns, X.shape[1], self.names[self.data.X.shape[1] :])
        return self._like(replace(self.data, X=X), self.y0, self.censoring, self.key, names)

    # nesting: the exponential is the Weibull with sigma = 1
    def nesting(self, restricted) -> Nesting:
        pair = (getattr(restricted, "name", None), self.name)
        if isinstance(restricted, CensoredRegression) and pair == ("exponential", "weibull"):
            self.check_same_data(restricted, same_family=False)
            return Nesting(self, restricted)
        if pair == ("weibull", "exponential"):
            raise family_error(restricted, self, reversed_=True)
        return super().nesting(restricted)

    def embedding(self, restricted):
        if getattr(restricted, "name", None) == "exponential" and self.name == "weibull":
            C_beta = self.design_map(restricted)
            p, pr = C_beta.shape
            C = np.zeros((p + 1, pr))
            C[:p] = C_beta
            d = np.zeros(p + 1)
            d[p] = 1.0  # sigma = 1
            return C, d
        return super().embedding(restricted)


def coefficient_names_for(columns, p: int, extra: Sequence[str]) -> tuple[str, ...]:
    """Names of a design's coefficients (its columns, or beta[j]) and then the model's others."""
    base = tuple(columns) if columns is not None else tuple(f"beta[{j}]" for j in range(p))
    return (*base, *extra)


def _working_response(lower: NDArray, upper: NDArray) -> NDArray:
    """A response to start least squares from: the value where it is known, else the finite end
    (or the middle of a two-sided interval)."""
    exact = lower == upper
    with np.errstate(invalid="ignore"):
        mid = 0.5 * (lower + upper)
    return np.where(
        exact, lower, np.where(np.isneginf(lower), upper, np.where(np.isposinf(upper), lower, mid))
    )


def _fit(model: CensoredRegression, options: dict | None) -> FitResult:
    """Maximize the censored/truncated likelihood by Newton's method on (beta, log sigma), one
    vectorised pass over the data per iteration (:func:`newton_pass`,
    :func:`~mle_tutorial._engine.ascent.ascend`: the Newton step where the information is positive
    definite, a modified one where it is not, step halving), from least squares of the working
    response on X, on data scaled by :func:`scaled`; sigma is reported on its own scale by the delta
    method. Converged means Newton's decrement fell to ``tol`` (or to the rounding level) at a
    point that also passes the package's optimality check; a run whose steps shrink only by a
    constant factor (a coefficient or sigma running off to infinity) has not converged."""
    data, y0, unscale = model.working()
    caller = model.caller
    opts = check_options(options, COMMON_OPTIONS, caller)
    start = least_squares_start(data.X, y0, data.fixed_log_scale is not None)
    sorted_data = data.by_kind()
    try:
        found = ascend(
            NewtonPass(sorted_data), start, opts.get("max_iter", 100), opts.get("tol", DECREMENT_TOL)
        )
    except StartNotFinite as exc:
        raise ValueError(
            f"{caller}: the log-likelihood is not finite at the least-squares start (an observation "
            "has probability 0 there, or a value overflows); check the data for intervals or limits "
            "that exclude each other"
        ) from exc
    theta = found.beta
    hessian = -found.info  # of the log-likelihood; the negative log-likelihood's is found.info
    distance = newton_distance(-found.stats["score"], found.info, theta)
    converged = found.converged and not found.diverging and distance <= OPTIMALITY_TOL
    if converged:
        message = (
            "Newton's method converged: a further step would change the log-likelihood by less than rounding."
        )
    elif found.diverging:
        message = (
            f"Newton's steps shrink only by a constant factor after {found.n_iter} iterations: the "
            "log-likelihood keeps rising towards a limit it never reaches."
        )
    elif found.converged:
        message = "Newton's method stopped." + optimality_message(distance)
    else:
        message = (
            f"Newton's method stopped after {found.n_iter} iterations without converging "
            f"(Newton decrement {found.decrement:.1e})."
        )
    p = data.X.shape[1]
    beta = theta[:p].copy()
    scale_free = data.fixed_log_scale is None
    sigma = float(np.exp(theta[p])) if scale_free else None
    params = np.append(beta, cast(float, sigma)) if scale_free else beta  # (sigma is a float if scale_free)
    jacobian = np.diag(np.append(np.ones(p), cast(float, sigma))) if scale_free else None
    failure = None
    if not converged:
        failure = f"{caller} did not converge ({found.n_iter} iterations): {message}{NO_MLE_ADVICE}"
    cov, problem = covariance.from_hessian(-hessian, jacobian)
    objective = Objective(nll, (data,), nll_gradient, nll_hessian)
    transform = BoundsTransform(tuple(model.bounds))
    profile = OptimizerProfile(
        objective,
        theta,
        method="trust-exact",
        maxiter=200,
        transform=None if transform.identity else transform,
    )
    est = Estimate(
        params=params,
        loglik=float(found.loglik),
        converged=converged,
        n_iter=found.n_iter,
        method="Newton",
        message=message,
        cov=cov,
        problem=problem,
        profile=profile,
        beta=beta,
        sigma=sigma,
        failure=failure,
        unscale=unscale,
    )
    return finish(model, est)


#: Rows per block of a Newton pass: every temporary of a block stays in cache (and below the size
#: at which an allocation goes to the operating system, whose fresh pages cost more than the
#: arithmetic), so a pass reads X once.
BLOCK_ROWS = 1 << 13


@dataclass(frozen=True, eq=False)
class NewtonPass:
    r"""One pass over censored data at ``theta``: the log-likelihood (on the time scale for survival
    times), its score and the information :math:`-H`. The rows of each kind of observation
    (:attr:`CensoredData.kinds`, slices of the fit's sorted copy) are read in blocks of
    :data:`BLOCK_ROWS`; each block's special functions are evaluated once, giving its sums
    :math:`A, A_W, B, B_W, B_{WW}` (module docstring), which go straight into
    :math:`X_b^\top A`, :math:`X_b^\top\mathrm{diag}(B)X_b`, ...: no n-vector is formed. A
    truncated sample, whose every row has two terms, goes through :func:`terms`."""

    data: CensoredData

    def __call__(self, theta: NDArray) -> dict:
        data = self.data
        X = data.X
        p = X.shape[1]
        k = data.n_params
        score, H = np.zeros(k), np.zeros((k, k))
        beta = theta[:p]
        tau = float(theta[p]) if data.fixed_log_scale is None else data.fixed_log_scale
        sigma = float(np.exp(tau))
        loglik = -data.jacobian
        blocks: Iterator[tuple[NDArray, float, NDArray, NDArray, NDArray, NDArray, NDArray]]
        if data.truncation is not None:
            ll, d_eta, d_tau, d_ee, d_et, d_tt = terms(theta, data, order=2)
            blocks = iter([(X, float(np.sum(ll)), d_eta, d_tau, d_ee, d_et, d_tt)])
        else:
            blocks = _blocks(data, beta, tau, sigma)
        with np.errstate(over="ignore", invalid="ignore", divide="ignore", under="ignore"):
            for Xb, ll_sum, d_eta, d_tau, d_ee, d_et, d_tt in blocks:
                loglik += ll_sum
                score[:p] += d_eta @ Xb
                H[:p, :p] += (Xb.T * d_ee) @ Xb
                if data.fixed_log_scale is None:
                    score[p] += np.sum(d_tau)
                    H[:p, p] += d_et @ Xb
                    H[p, p] += np.sum(d_tt)
        if data.fixed_log_scale is None:
            H[p, :p] = H[:p, p]
        if not (np.isfinite(loglik) and np.all(np.isfinite(score)) and np.all(np.isfinite(H))):
            loglik = -np.inf
        return {"loglik": loglik, "score": score, "info": -H}


def _blocks(data: CensoredData, beta: NDArray, tau: float, sigma: float):
    """For each block of rows of one kind: its rows of X, the sum of its contributions, and the
    derivatives of each contribution in eta and tau (see :func:`terms`)."""
    with np.errstate(over="ignore", invalid="ignore", divide="ignore", under="ignore"):
        for rows, kind in _each_kind(data.kinds):
            index = np.arange(rows.start, rows.stop) if isinstance(rows, slice) else rows
            for start in range(0, index.shape[0], BLOCK_ROWS):
                if isinstance(rows, slice):
                    block: slice | NDArray = slice(
                        rows.start + start, min(rows.start + start + BLOCK_ROWS, rows.stop)
                    )
                else:
                    block = index[start : start + BLOCK_ROWS]
                Xb = data.X[block]
                eta = Xb @ beta
                lo = (data.lower[block] - eta) / sigma
                hi = (data.upper[block] - eta) / sigma
                ll, A, AW, B, BW, BWW = _kind_sums(data.family, kind, lo, hi)
                ll_sum = float(np.sum(ll))
                d_tau = -AW
                if kind == "exact":
                    ll_sum -= tau * ll.shape[0]
                    d_tau -= 1.0
                yield Xb, ll_sum, A / -sigma, d_tau, B / sigma**2, (BW + A) / sigma, BWW + AW


def _each_kind(kinds: Kinds):
    """(rows, kind) for each kind of observation present."""
    for kind in ("exact", "right", "left", "interval"):
        if getattr(kinds, f"has_{kind}"):
            yield getattr(kinds, kind), kind


def _kind_sums(family: Standard, kind: str, lo: NDArray, hi: NDArray):
    """The contributions of rows of one kind (without the exact rows' :math:`-\\tau`) and their
    sums :math:`A, A_W, B, B_W, B_{WW}`, from the w of their lower and upper ends."""
    if kind == "interval":
        return _probability_terms(family, lo, hi)
    if kind == "exact":
        w = lo
        ll, a, b = family.point(w)
    elif kind == "right":
        w = lo
        ll, a, b = family.right_terms(w)
    else:
        w = hi
        ll, a, b = family.left_terms(w)
    aw, bw = a * w, b * w
    return ll, a, aw, b, bw, bw * w


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
