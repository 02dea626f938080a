r"""Generalized linear models: logistic (Bernoulli) and Poisson regression, their families and fit.

Step 4 of the book assumes normal residuals. For a 0/1 outcome or a count, the
seven steps stay the same except the distribution (step 4-5) and the link
between :math:`\eta = X\beta` and the mean (step 2):

========== ============================= ==================================================
model      mean :math:`\mu_i`            log-likelihood contribution :math:`\ell_i`
========== ============================= ==================================================
logistic   :math:`\mathrm{expit}(\eta_i)` :math:`y_i\eta_i - \log(1 + e^{\eta_i})`
Poisson    :math:`e^{\eta_i}`            :math:`y_i\eta_i - e^{\eta_i} - \log(y_i!)`
========== ============================= ==================================================

A :class:`Family` is the per-row kernel of a GLM: given :math:`\eta` and :math:`y` it gives the
log-likelihood, :math:`\partial\ell_i/\partial\eta_i` and the Newton weight
:math:`w_i = -\partial^2\ell_i/\partial\eta_i^2` (glum's split of a distribution from its
solver), so that a family with a non-canonical link or a scale parameter fits the same Newton
loop. Both families here have canonical links, so the score is :math:`X^\top(y - \mu)` and the
Hessian of :math:`-\ell` is :math:`X^\top W X` with :math:`w_i = \mu_i(1-\mu_i)` (logistic) or
:math:`\mu_i` (Poisson): observed and expected information coincide. The fit
(:class:`GeneralizedLinear`, :func:`fit_logistic`, :func:`fit_poisson`) is Newton's method
(IRLS) with step halving on the log-likelihood, one pass over the rows per trial point, in
memory or over Dask row chunks. Where :math:`X^\top W X` is too ill conditioned to solve with (an
uncentred covariate such as a timestamp, nearly collinear columns: forming it squares the condition
number of :math:`\sqrt W X`), the steps, the covariance, the sandwich and the score test's solve
come from a QR of :math:`\sqrt W X` instead (a tall-skinny QR over chunks): the estimate is then at
the maximum to the rounding level of the data, as it is for a well-conditioned design, which
keeps the faster normal equations.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import cast

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ._engine import covariance, lazy
from ._engine.checks import Design, check_offset, check_rows, coefficient_names, plain_arrays, read_design
from ._engine.lazy import linalg, special
from ._engine.lstsq import check_full_rank, check_full_rank_over_chunks, tsqr_combine
from ._engine.optimize import COMMON_OPTIONS, StartNotFinite, check_options, ill_conditioned, newton
from ._engine.rows import BLOCK_ROWS, DaskRows, InMemoryRows, as_rows, data_key, fingerprint_sum, screen_stats
from ._engine.sandwich import SANDWICH_RCOND, meat_of, robust_from
from ._engine.scale import Unscale, identity_unscale, plain, shifts, unshift
from .fitting import FREE, Estimate, finish
from .model import RowsRegression
from .result import FitResult

__all__ = [
    "FAMILIES",
    "LOGISTIC",
    "POISSON",
    "Family",
    "GeneralizedLinear",
    "PerfectSeparationError",
    "fit_logistic",
    "fit_poisson",
    "glm_stats",
]

#: A zero count whose fitted mean is below exp(-this) times the largest fitted mean makes the fit
#: check whether the Poisson MLE exists (a divergence drives such means to 0).
POISSON_GAP = 30.0


class PerfectSeparationError(ValueError):
    """The MLE does not exist: a combination of the columns of X separates the outcomes, so the
    likelihood keeps increasing as coefficients go to infinity.

    Logistic regression: the combination separates the 0s from the 1s. Poisson regression: it is 0
    for every positive count and negative for some zero counts, whose fitted means then go to 0
    (Santos Silva and Tenreyro, 2010)."""


# --- the Poisson log-probability, as R's dpois computes it (Loader 2000) ---------------------------
#: stirlerr(k) = log(k!) - log(sqrt(2 pi k) (k/e)^k) for k = 0..15 (k = 0 unused), from 40-digit mpmath.
_STIRLERR_TABLE = np.array([
    0.0, 0.08106146679532725821967, 0.04134069595540929409382, 0.02767792568499833914879,
    0.02079067210376509311152, 0.01664469118982119216319, 0.01387612882307074799875,
    0.01189670994589177009506, 0.01041126526197209649748, 0.009255462182712732917729,
    0.008330563433362871256469, 0.007573675487951840794972, 0.006942840107209529865664,
    0.00640899418800420706844, 0.005951370112758847735624, 0.005554733551962801371039,
])  # fmt: skip
_HALF_LOG_2PI = 0.5 * math.log(2.0 * math.pi)


def stirlerr(k: NDArray) -> NDArray:
    r"""The error of Stirling's formula, :math:`\log k! - \log(\sqrt{2\pi k}(k/e)^k)`, for positive
    integers ``k`` (as floats): a table up to 15, the asymptotic series
    :math:`\frac1{12k} - \frac1{360k^3} + \frac1{1260k^5} - \frac1{1680k^7} + \frac1{1188k^9}`
    beyond (its first omitted term is below 2e-16 there)."""
    big = np.maximum(k, 16.0)
    kk = big * big
    series = (1 / 12 - (1 / 360 - (1 / 1260 - (1 / 1680 - 1 / (1188 * kk)) / kk) / kk) / kk) / big
    return np.where(k <= 15.0, _STIRLERR_TABLE[np.minimum(k, 15.0).astype(np.intp)], series)


def bd0(x: NDArray, mu: NDArray, eta: NDArray) -> NDArray:
    r"""Loader's deviance term :math:`x\log(x/\mu) + \mu - x \ge 0`, for ``x > 0``, without its
    cancellation: where :math:`|x - \mu| < (x + \mu)/10`, as the series
    :math:`(x - \mu)v + 2x\sum_{j\ge1} v^{2j+1}/(2j+1)`, :math:`v = (x - \mu)/(x + \mu)` (nine
    terms reach the rounding level); elsewhere directly, with :math:`\log(x/\mu)` from
    ``eta = log mu`` where the ratio under- or overflows."""
    with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
        d = x - mu
        total = x + mu
        near = np.abs(d) < 0.1 * total
        v = d / total
        v2 = v * v
        tail = 1 / 13 + v2 * (1 / 15 + v2 * (1 / 17 + v2 / 19))
        series = d * v + 2.0 * x * v * v2 * (
            1 / 3 + v2 * (1 / 5 + v2 * (1 / 7 + v2 * (1 / 9 + v2 * (1 / 11 + v2 * tail))))
        )
        ratio = x / mu
        usable = (ratio > 0) & (ratio < np.inf)
        log_ratio = np.where(usable, np.log(np.where(usable, ratio, 1.0)), np.log(x) - eta)
        return np.where(near, series, x * log_ratio + mu - x)


def poisson_logpmf(y: NDArray, mu: NDArray, eta: NDArray) -> NDArray:
    r""":math:`\log P(Y = y)` for :math:`Y \sim \mathrm{Poisson}(\mu)`, term by term, as R's ``dpois``
    (Loader's saddle-point form): :math:`-\mu` for :math:`y = 0`, else
    :math:`-\mathrm{stirlerr}(y) - \mathrm{bd0}(y, \mu) - \tfrac12\log(2\pi y)`. Accurate to a
    few units of rounding relative to each term for counts up to 1e15 and beyond, where
    :math:`y\log\mu - \mu - \log y!` cancels all its digits."""
    pos = y > 0
    x = np.where(pos, y, 1.0)
    with np.errstate(invalid="ignore"):
        terms = -stirlerr(x) - bd0(x, mu, eta) - (_HALF_LOG_2PI + 0.5 * np.log(x))
    return np.where(pos, terms, -mu)


# --- the families -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Family:
    """A GLM family: the distribution of :math:`y_i` given its linear predictor :math:`\\eta_i`.

    ``block(eta, y, exact)`` gives, for a block of rows, the log-likelihood (a float),
    :math:`\\partial\\ell_i/\\partial\\eta_i` and the Newton weights :math:`w_i \\ge 0` (which
    Newton uses as the information :math:`X^\\top W X`); ``terms(eta, y)`` the log-likelihood of
    each row; ``mean(eta)`` the mean; ``sample(eta, rng)`` draws; ``invalid(y)`` flags impossible
    outcomes and ``rule`` says what ``y`` must hold. The rest is what a family knows about where
    its MLE exists. ``exact_pass``: the cheap log-likelihood of a Newton pass is the exact one;
    ``zero_counts``: Newton's passes track the fitted means of zero counts; ``bounded``: the means
    lie in [0, 1] and the weights in [0, 1/4], so the score and information of a pass over the
    working rows (columns within 2**+-200) cannot overflow."""

    name: str
    title: str  # as in a sentence
    rule: str  # what y must hold, for the error message
    exact_pass: bool = True
    zero_counts: bool = False
    bounded: bool = False

    def block(self, eta: NDArray, y: NDArray, exact: bool = True):  # pragma: no cover - abstract
        raise NotImplementedError

    def terms(self, eta: NDArray, y: NDArray) -> NDArray:  # pragma: no cover - abstract
        raise NotImplementedError

    def mean(self, eta: NDArray) -> NDArray:  # pragma: no cover - abstract
        raise NotImplementedError

    def sample(self, eta: NDArray, rng: np.random.Generator) -> NDArray:  # pragma: no cover
        raise NotImplementedError

    def invalid(self, y: NDArray) -> NDArray:  # pragma: no cover - abstract
        raise NotImplementedError

    def successes(self, y: NDArray) -> int:  # pragma: no cover - abstract
        raise NotImplementedError

    def stats_at_zero(self, X: NDArray, y: NDArray) -> dict | None:
        r"""A Newton pass's statistics at :math:`\beta = 0` (no offset), where the family knows
        them for less than the pass costs (the logistic's usual start); None where it does not."""
        return None

    def labels(self, y: NDArray) -> tuple[int, int]:
        """The count of impossible outcomes and of successes, for the lazy checks over chunks."""
        return int(np.count_nonzero(self.invalid(y))), self.successes(y)

    def boundary(self, n: int, successes: int) -> str | None:
        """The message when every outcome puts the MLE on the boundary (all 0s, all 1s)."""
        return None

    def start(self, rows) -> NDArray:
        """Where Newton starts (after the rank check)."""
        return np.zeros(rows.p)

    def overflows(self, stats: dict) -> bool:
        """Whether the fitted means overflow at the point of ``stats``."""
        return False

    def suspect(self, stats: dict, slow: bool) -> bool:
        """Whether the fit may be running off to where the MLE does not exist."""
        return False

    def raise_if_no_mle(self, X: NDArray, y: NDArray, e: NDArray) -> None:
        """Raise :class:`PerfectSeparationError` if the MLE does not exist (in memory)."""

    def no_mle_hint(self) -> str:
        """What a fit over chunks says when it cannot check the MLE's existence."""
        return ""


def _logistic_block(eta: NDArray, y: NDArray):
    # one exp for both: log(1 + e^eta) = max(eta, 0) + log1p(e), expit(eta) from e = e^-|eta|
    e = np.exp(-np.abs(eta))
    softplus = np.maximum(eta, 0.0) + np.log1p(e)
    inv = 1.0 / (1.0 + e)
    mu = np.where(eta >= 0, inv, e * inv)
    return float(y @ eta - _SUM(softplus)), mu, mu * (1.0 - mu)


_SUM = np.add.reduce  # (np.sum's reduction, without its wrapper)


@dataclass(frozen=True)
class Logistic(Family):
    """Bernoulli outcomes with the logit link: :math:`\\mu = \\mathrm{expit}(\\eta)`."""

    name: str = "logistic"
    title: str = "logistic"
    rule: str = "y must contain only 0 and 1 for logistic regression"
    bounded: bool = True

    def block(self, eta, y, exact=True):
        ll, mu, w = _logistic_block(eta, y)
        return ll, y - mu, w

    def stats_at_zero(self, X, y):
        # mu = 1/2 and w = 1/4 everywhere: the pass's score and information, the same arithmetic
        # (sqrt(w) = 1/2 exactly), without its exp, log1p and divisions; its log-likelihood,
        # -n log 2, here to rounding (it is compared with the next point's, far above it)
        Xw = X * 0.5
        return {
            "loglik": -y.shape[0] * math.log(2.0),
            "score": X.T @ (y - 0.5) + 0.0,
            "info": Xw.T @ Xw + 0.0,
            "max_eta": 0.0,
            "max_eta_hi": 0.0,
            "max_neg_eta0": -np.inf,
        }

    def terms(self, eta, y):
        return y * eta - (np.maximum(eta, 0.0) + np.log1p(np.exp(-np.abs(eta))))

    def mean(self, eta):
        return special.expit(eta)

    def sample(self, eta, rng):
        return (rng.random(eta.shape[0]) < special.expit(eta)).astype(float)

    def invalid(self, y):
        return (y != 0) & (y != 1)

    def successes(self, y):
        return int(np.count_nonzero(y == 1))

    def boundary(self, n, successes):
        if successes in (0, n):
            label = int(successes > 0)
            return (
                f"y is all {label}: the probability of a 1 is estimated as {label}, "
                "on the boundary, so there is no finite MLE"
            )
        return None

    def suspect(self, stats, slow):
        return slow or stats["max_eta"] > 25

    def raise_if_no_mle(self, X, y, e):
        found = separation_direction(X, y)
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

    def no_mle_hint(self):
        return "; the outcomes may be perfectly separated (check a subsample in memory with fit_logistic)"


@dataclass(frozen=True)
class Poisson(Family):
    """Counts with the log link: :math:`\\mu = e^\\eta`; the log-likelihood summed term by term
    in Loader's saddle-point form, as R's ``dpois``."""

    name: str = "poisson"
    title: str = "Poisson"
    rule: str = "y must contain non-negative integer counts for Poisson regression"
    exact_pass: bool = False
    zero_counts: bool = True

    def block(self, eta, y, exact=True):
        with np.errstate(over="ignore"):
            mu = np.exp(eta)
        with np.errstate(invalid="ignore"):  # inf - inf where mu overflows: reported as not finite
            if exact:
                return float(np.sum(poisson_logpmf(y, mu, eta))), y - mu, mu
            return float(y @ eta - np.sum(mu)), y - mu, mu

    def terms(self, eta, y):
        with np.errstate(over="ignore"):
            mu = np.exp(eta)
        return poisson_logpmf(y, mu, eta)

    def mean(self, eta):
        return np.exp(eta)

    def sample(self, eta, rng):
        return rng.poisson(np.exp(eta)).astype(float)

    def invalid(self, y):
        return (y < 0) | (y != np.round(y))

    def successes(self, y):
        return int(np.count_nonzero(y > 0))

    def boundary(self, n, successes):
        if successes == 0:
            return "y is all 0: the estimated rate is 0, on the boundary, so there is no finite MLE"
        return None

    def start(self, rows):
        """One weighted least-squares step from mu = y + 0.1, as R's glm starts."""
        s = rows.reduce(poisson_start_stats)
        try:
            return linalg.cho_solve(linalg.cho_factor(s["start_a"], check_finite=False), s["start_b"])
        except np.linalg.LinAlgError:
            return np.linalg.lstsq(s["start_a"], s["start_b"], rcond=None)[0]

    def overflows(self, stats):
        return stats["max_eta"] > 709.0

    def suspect(self, stats, slow):
        return slow or -stats["max_neg_eta0"] < stats["max_eta_hi"] - POISSON_GAP

    def raise_if_no_mle(self, X, y, e):
        found = poisson_divergence(X, y)
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

    def no_mle_hint(self):
        return (
            "; fitted means of some zero counts are tending to 0, so the MLE may not exist "
            "(check a subsample in memory with fit_poisson)"
        )


LOGISTIC = Logistic()
POISSON = Poisson()

#: The families by name, for :func:`~mle_tutorial.glm_chunk_statistics`.
FAMILIES = {family.name: family for family in (LOGISTIC, POISSON)}


# --- one pass over the rows ------------------------------------------------------------------------
def glm_stats(
    X: NDArray, y: NDArray, offset: NDArray | None, *, beta: NDArray, family: Family, exact: bool = True
) -> dict:
    r"""One pass over the rows, block by block: log-likelihood, score, information, the largest
    :math:`|\eta|`, the largest :math:`\eta`, and for a family that tracks zero counts (the
    Poisson) the largest :math:`-\eta` of a zero count (``-inf`` if none: where it is far above
    :math:`-\max\eta`, the MLE may not exist). ``exact=False``: the family's cheaper
    log-likelihood, enough to compare points on Newton's path."""
    n, p = X.shape
    if n <= BLOCK_ROWS:  # one block: the same arithmetic, without the loop's slices
        return _glm_stats_block(X, y, offset, beta, family, exact)
    if offset is None:
        offset = np.zeros(n)
    ll, score, info, biggest, top, zero_low = 0.0, np.zeros(p), np.zeros((p, p)), 0.0, -np.inf, -np.inf
    for start in range(0, n, BLOCK_ROWS):
        Xb = X[start : start + BLOCK_ROWS]
        yb = y[start : start + BLOCK_ROWS]
        eta = Xb @ beta + offset[start : start + BLOCK_ROWS]
        part, d_eta, w = family.block(eta, yb, exact)
        ll += part
        with np.errstate(over="ignore", invalid="ignore"):  # an overflowing mean: reported as not finite
            score += Xb.T @ d_eta
            Xw = Xb * np.sqrt(w)[:, None]
            info += Xw.T @ Xw
        top = max(top, float(eta.max()))
        biggest = max(biggest, top, -float(eta.min()))
        if family.zero_counts and np.any(yb == 0):
            zero_low = max(zero_low, -float(eta[yb == 0].min()))
    return {
        "loglik": ll,
        "score": score,
        "info": info,
        "max_eta": biggest,
        "max_eta_hi": top,
        "max_neg_eta0": zero_low,
    }


def _glm_stats_block(X: NDArray, y: NDArray, offset: NDArray | None, beta: NDArray, family: Family,
                     exact: bool) -> dict:  # fmt: skip
    """:func:`glm_stats` of rows that fit in one block: the loop's first pass, its sums started
    from 0 as there (``+ 0.0`` keeps their bits: a -0.0 becomes 0.0, as 0.0 + -0.0 does)."""
    eta = X @ beta if offset is None else X @ beta + offset
    ll, d_eta, w = family.block(eta, y, exact)
    if family.bounded:
        score, info = _score_and_information(X, d_eta, w)
    else:
        with np.errstate(over="ignore", invalid="ignore"):  # an overflowing mean: reported as not finite
            score, info = _score_and_information(X, d_eta, w)
    top = max(-np.inf, float(_MAX(eta)))
    zero_low = -np.inf
    if family.zero_counts:
        zeros = y == 0
        if _ANY(zeros):
            zero_low = max(zero_low, -float(_MIN(eta[zeros])))
    return {
        "loglik": 0.0 + ll,
        "score": score,
        "info": info,
        "max_eta": max(0.0, top, -float(_MIN(eta))),
        "max_eta_hi": top,
        "max_neg_eta0": zero_low,
    }


_MAX, _MIN, _ANY = np.maximum.reduce, np.minimum.reduce, np.logical_or.reduce


def _score_and_information(X: NDArray, d_eta: NDArray, w: NDArray) -> tuple[NDArray, NDArray]:
    r""":math:`X^\top \partial\ell/\partial\eta` and :math:`X^\top W X` of one block, their sums
    started from 0 as the loop's (``+ 0.0``: a -0.0 becomes 0.0)."""
    Xw = X * np.sqrt(w)[:, None]
    return X.T @ d_eta + 0.0, Xw.T @ Xw + 0.0


def glm_loglik(X: NDArray, y: NDArray, offset: NDArray | None, *, beta: NDArray, family: Family) -> dict:
    """The log-likelihood of a chunk at ``beta``, every term exact (block by block)."""
    n = X.shape[0]
    ll = 0.0
    for start in range(0, n, BLOCK_ROWS):
        eta = X[start : start + BLOCK_ROWS] @ beta
        if offset is not None:
            eta = eta + offset[start : start + BLOCK_ROWS]
        ll += family.block(eta, y[start : start + BLOCK_ROWS])[0]
    return {"loglik": ll}


def poisson_start_stats(X: NDArray, y: NDArray, offset: NDArray | None) -> dict:
    """X' W X and X' W z of the first weighted least-squares step from mu = y + 0.1, as R's glm
    starts (summable over chunks)."""
    p = X.shape[1]
    if offset is None:
        offset = np.zeros(X.shape[0])
    A, b = np.zeros((p, p)), np.zeros(p)
    for start in range(0, X.shape[0], BLOCK_ROWS):
        Xb = X[start : start + BLOCK_ROWS]
        mu0 = y[start : start + BLOCK_ROWS] + 0.1
        z = np.log(mu0) - offset[start : start + BLOCK_ROWS] + (y[start : start + BLOCK_ROWS] - mu0) / mu0
        Xw = Xb * np.sqrt(mu0)[:, None]
        A += Xw.T @ Xw
        b += Xb.T @ (mu0 * z)
    return {"start_a": A, "start_b": b}


def gram(X: NDArray, y: NDArray, offset: NDArray | None) -> dict:
    """X'X of a chunk (for the rank)."""
    return {"xtx": X.T @ X}


def weighted_r_block(
    X: NDArray, y: NDArray, offset: NDArray | None, *, beta: NDArray, family: Family
) -> NDArray:
    """R of the QR factorization of a chunk's sqrt(W) X at ``beta``, W the Newton weights."""
    eta = X @ beta if offset is None else X @ beta + offset
    w = family.block(eta, y)[2]
    return linalg.qr(np.sqrt(w)[:, None] * X, mode="r", check_finite=False)[0][: X.shape[1]]


def score_block(X: NDArray, y: NDArray, offset: NDArray | None, *, beta: NDArray, family: Family) -> NDArray:
    r"""The score of each row of a chunk: :math:`x_i\,\partial\ell_i/\partial\eta_i`."""
    eta = X @ beta if offset is None else X @ beta + offset
    return X * family.block(eta, y)[1][:, None]


def loglik_rounding(X: NDArray, y: NDArray, offset: NDArray | None, *, beta: NDArray, family: Family) -> dict:
    r"""A bound on the rounding error of a chunk's log-likelihood at ``beta``: each
    :math:`\eta_i = x_i^\top\beta + o_i` is computed with an error of up to
    :math:`(p + 1)\,\epsilon\,(|x_i|^\top|\beta| + |o_i|)`, which moves :math:`\ell_i` by
    :math:`|\partial\ell_i/\partial\eta_i|` times that, and each term is rounded besides. Large
    where a covariate far from zero is cancelled by the intercept (an uncentred timestamp)."""
    total = 0.0
    p = X.shape[1]
    for start in range(0, X.shape[0], BLOCK_ROWS):
        Xb = X[start : start + BLOCK_ROWS]
        size = np.abs(Xb) @ np.abs(beta)
        eta = Xb @ beta
        if offset is not None:
            size = size + np.abs(offset[start : start + BLOCK_ROWS])
            eta = eta + offset[start : start + BLOCK_ROWS]
        yb = y[start : start + BLOCK_ROWS]
        d_eta = family.block(eta, yb)[1]
        total += float(np.abs(d_eta) @ size) * (p + 1) + float(np.sum(np.abs(family.terms(eta, yb))))
    return {"rounding": np.finfo(float).eps * total}


def _whitened_meat_chunk(X, y, offset, *, beta, family, R) -> dict:
    r""":math:`T^\top T` of a chunk, :math:`T = S R^{-1}` its scores whitened by the R factor of
    :math:`\sqrt W X` (the ill-conditioned sandwich of :meth:`GeneralizedLinear.robust_cov`)."""
    S = score_block(X, y, offset, beta=beta, family=family)
    T = linalg.solve_triangular(R, S.T, trans="T", check_finite=False).T
    return {"meat": T.T @ T}


def _meat_chunk(X, y, offset, *, beta, family) -> dict:
    S = score_block(X, y, offset, beta=beta, family=family)
    return {"meat": S.T @ S}


@dataclass(frozen=True)
class GLMPass:
    """One pass over ``rows`` at ``beta``: the statistics of :func:`glm_stats`, with the family's
    cheaper log-likelihood (enough to compare points on Newton's path)."""

    rows: InMemoryRows | DaskRows
    family: Family

    def __call__(self, beta: NDArray) -> dict:
        if self.rows.in_memory and self.rows.n <= BLOCK_ROWS:  # (glm_stats' shortcut, called directly)
            rows = cast(InMemoryRows, self.rows)
            # (beta = 0, the usual start, tested on Python floats: cheaper than NumPy's any)
            if not any(beta.tolist()) and (rows.offset is None or not rows.offset.any()):
                found = self.family.stats_at_zero(rows.X, rows.y)
                if found is not None:
                    return found
            return _glm_stats_block(rows.X, rows.y, rows.offset, beta, self.family, False)
        return self.rows.reduce(glm_stats, beta=beta, family=self.family, exact=False)

    def r_factor(self, beta: NDArray) -> NDArray:
        r"""R of a QR of :math:`\sqrt W X` at ``beta`` (in memory, or a tall-skinny QR over chunks):
        Newton's step where :math:`X^\top W X` is too ill conditioned to solve with."""
        return self.rows.reduce(weighted_r_block, combine=tsqr_combine, beta=beta, family=self.family)

    def rounding(self, beta: NDArray) -> float:
        """The rounding error of the log-likelihood at ``beta`` (:func:`loglik_rounding`): Newton's
        test of whether a step it cannot take would gain anything."""
        return float(self.rows.reduce(loglik_rounding, beta=beta, family=self.family)["rounding"])


def exact_loglik(rows, family: Family, fit) -> float:
    """The log-likelihood at the point Newton returned, every term exact: the Poisson's needs one
    more pass (Loader's form, :math:`-\\sum\\log y_i!` included), the logistic's is the pass's own."""
    if family.exact_pass:
        return fit.loglik
    return float(rows.reduce(glm_loglik, beta=fit.beta, family=family)["loglik"])


def check_and_start(rows, family: Family) -> NDArray:
    """Check the rank (in memory: a pivoted QR of X; over chunks: the Gram matrix, or a QR of its
    tall-skinny R) and find the family's start."""
    if rows.in_memory:
        check_full_rank(rows.X, rows.gram)
    else:
        check_full_rank_over_chunks(rows, rows.reduce(gram)["xtx"])
    return family.start(rows)


# --- the profile ------------------------------------------------------------------------------------
@dataclass(eq=False)
class GLMProfile:
    r"""Hold ``beta[j]`` at a value and refit the others by Newton. In memory each refit starts
    from the last one for the same ``j`` (first from the estimate); over chunks it is a fresh fit
    (its own checks and start). Where that refit fails (the held value moves every fitted mean
    far away, as holding the intercept of an uncentred covariate does), it is redone from the
    others' best values given the held one to first order,
    :math:`\hat\beta_{-j} + \Sigma_{-j,j}(v - \hat\beta_j)/\Sigma_{jj}` (``cov``); a refit
    that still fails is a ValueError, never a number."""

    rows: InMemoryRows | DaskRows
    family: Family
    beta_hat: NDArray
    warm: dict = field(default_factory=dict, compare=False, repr=False)
    cov: NDArray | None = None

    def __call__(self, j: int, value: float) -> float:
        rows = self.rows.hold_column(j, value)
        if rows.p == 0:  # nothing left to re-maximize: the log-likelihood at beta[j] = value
            if rows.in_memory:  # all rows at once (a Dask chunk is summed block by block, as in a fit)
                assert rows.offset is not None  # hold_column moved the held column there
                ll = self.family.block(rows.offset, rows.y)[0]
            else:
                ll = rows.reduce(glm_stats, beta=np.zeros(0), family=self.family)["loglik"]
            return float(ll)
        if rows.in_memory:
            start = self.warm.get(j, np.delete(self.beta_hat, j))
        else:
            start = check_and_start(rows, self.family)
        fit = _newton_or_none(GLMPass(rows, self.family), start)
        if (
            (fit is None or not fit.converged)
            and self.cov is not None
            and np.all(np.isfinite(self.cov[:, j]))
        ):
            slope = np.delete(self.cov[:, j], j) / self.cov[j, j]
            start = np.delete(self.beta_hat, j) + slope * (value - self.beta_hat[j])
            fit = _newton_or_none(GLMPass(rows, self.family), start)
        if fit is None or not fit.converged:
            raise ValueError(
                f"the profile refit with coefficient {j} held at {value:.6g} (on the data as fitted) did not "
                "converge, so there is no profile log-likelihood there; use the Wald interval (conf_int())"
            )
        if rows.in_memory and np.isfinite(fit.loglik):
            self.warm[j] = fit.beta
        return exact_loglik(rows, self.family, fit)


def _newton_or_none(pass_fn: GLMPass, start: NDArray):
    """Newton from ``start``, or None where the log-likelihood is not finite there."""
    try:
        return newton(pass_fn, start)
    except StartNotFinite:
        return None


# --- the model ----------------------------------------------------------------------------------------
class GeneralizedLinear(RowsRegression):
    r"""A generalized linear model of a :class:`Family` on its data: parameters ``beta``,
    :math:`\eta = X\beta + \text{offset}`.

    .. math:: \ell_i = \log f(y_i \mid \eta_i), \qquad
              s_i = x_i\,\frac{\partial\ell_i}{\partial\eta_i}, \qquad
              H = -X^\top W X

    Built by :func:`fit_logistic` and :func:`fit_poisson` (``fit.model``), in memory or over
    Dask row chunks; ``fit()`` refits with the same options; ``simulate`` draws new outcomes
    from the family at the same design and offset.
    """

    keeps_labels = True
    #: The row labels of the data (a pandas Index), None for arrays.
    labels = None

    @property
    def row_labels(self):
        return self.labels

    def __init__(self, family: Family, rows, names: Sequence[str], key: str | None, *,
                 options: dict | None = None, working=None):  # fmt: skip
        self.family = family
        self.rows = rows
        self.names = tuple(names)
        self._key = key  # None: the fingerprint of y in memory, computed when first read
        self.options = options
        self._cache_working = working

    @classmethod
    def from_data(cls, family: Family, X, y, offset=None, *, names=None, options=None) -> GeneralizedLinear:
        """Check the data as the family's fitter does (eagerly in memory, naming the first bad
        value; lazily, in one pass, over Dask row chunks) and build the model."""
        rows: InMemoryRows | DaskRows | None
        rows = as_rows(X, y, offset)
        if rows is None:
            # the common case in one pass (X'X and y'y check the values, and the rank check
            # uses X'X), else read_design's checks
            working, zeros = None, None
            if offset is None and plain_arrays(X, y):
                zeros = np.zeros(cast(NDArray, X).shape[0])  # (check_offset's offset of None)
                working = InMemoryRows.checked(X, y, zeros, scale_y=False)
            if working is not None:
                design = Design(cast(NDArray, X), cast(NDArray, y), zeros, None)
            else:
                design = read_design(X, y, offset, model=family.title)
            X, y = design.X, design.y
            bad = np.flatnonzero(family.invalid(y))
            first_bad = f"y[{bad[0]}] = {y[bad[0]]:g}" if bad.size else ""
            _check_outcomes(family, len(y), bad.size, first_bad, family.successes(y))
            if working is not None and working.plain:
                rows = working
            else:
                rows, working = InMemoryRows(X, y, check_offset(design.offset, X.shape[0])), None
            names = coefficient_names(names, design.columns, rows.p)
            # (the key computed when first read)
            model = cls(family, rows, names, None, options=options, working=working)
            model.labels = design.index
            return model
        check_rows(rows.n, rows.p, "")
        first = rows.screen(screen_stats, labels=family.labels)
        _check_outcomes(
            family, rows.n, first["bad_label"], f"{first['bad_label']} value(s) are not", first["ones"]
        )
        key = data_key(rows.n, first["fingerprint"])
        return cls(
            family, rows, coefficient_names(names, None, rows.p), key, options=options,
            working=rows.shifted(shifts(first["max_x"])),
        )  # fmt: skip

    def _like(self, rows, key: str | None = None, names=None) -> GeneralizedLinear:
        key = data_key(rows.n, fingerprint_sum(rows.y)) if key is None else key
        return GeneralizedLinear(self.family, rows, self.names if names is None else names, key,
                                 options=self.options)  # fmt: skip

    @property
    def name(self) -> str:  # type: ignore[override]
        return self.family.name

    @property
    def bounds(self):
        return (FREE,) * self.rows.p

    def working_rows(self):
        """The rows as Newton runs on them: columns far from 1 scaled by powers of two."""
        if self._cache_working is None:
            self._cache_working = InMemoryRows.scaled(  # (X'X kept for the rank check)
                self.rows.X, self.rows.y, self.rows.offset, scale_y=False, gram=True
            )
        return self._cache_working

    def unscale(self) -> Unscale:
        w = self.working_rows()
        if plain(w, self.rows):  # the common case, without reading the shifts
            return identity_unscale(self.rows.p)
        return Unscale(tuple(int(v) for v in (self.rows.x_shift - w.x_shift)))

    def rescaled(self):
        w = self.working_rows()
        inner = GeneralizedLinear(self.family, w, self.names, self.key, options=self.options, working=w)
        return inner, self.unscale()

    # the likelihood
    def _eta(self, beta):
        X, offset = self.rows.X, self.rows.offset
        beta = np.asarray(beta, dtype=float)
        return X @ beta if offset is None else X @ beta + offset

    def loglik_obs(self, params):
        self._memory("per-observation log-likelihoods")
        return self.family.terms(self._eta(params), self.rows.y)

    def loglik(self, params) -> float:
        beta = np.asarray(params, dtype=float)
        return float(self.rows.reduce(glm_loglik, beta=beta, family=self.family)["loglik"])

    def score_obs(self, params):
        self._memory("per-observation scores")
        return score_block(self.rows.X, self.rows.y, self.rows.offset, beta=np.asarray(params, dtype=float),
                           family=self.family)  # fmt: skip

    def score(self, params):
        return self.rows.reduce(glm_stats, beta=np.asarray(params, dtype=float), family=self.family)["score"]

    def information(self, params):
        r""":math:`X^\top W X` (observed = expected for a canonical link)."""
        return self.rows.reduce(glm_stats, beta=np.asarray(params, dtype=float), family=self.family)["info"]

    def hessian(self, params):
        return -self.information(params)

    def information_root(self, params):
        """The R factor of :math:`\\sqrt W X` where :math:`X^\\top W X` is too ill conditioned to
        factor (see :data:`~mle_tutorial._engine.optimize.CHOLESKY_RCOND`); else None."""
        beta = np.asarray(params, dtype=float)
        if not ill_conditioned(self.information(beta)):
            return None
        return self.rows.reduce(weighted_r_block, combine=tsqr_combine, beta=beta, family=self.family)[
            : len(beta)
        ]

    def meat(self, params, groups=None):
        if self.rows.in_memory:
            return super().meat(params, groups)
        if groups is not None:
            raise ValueError(
                "cluster-robust covariance needs the scores in memory; for a fit over Dask row "
                "chunks use robust() without groups, or fit a sample in memory"
            )
        beta = np.asarray(params, dtype=float)
        return self.rows.reduce(_meat_chunk, beta=beta, family=self.family)["meat"], None

    def bread(self, params, cov):
        """:math:`(X^\\top W X)^{-1}` at ``params`` itself (Newton keeps the information of the
        previous iterate, a relative O(1e-7) away), from ``cov`` if it is not finite."""
        try:
            factor = linalg.cho_factor(self.information(params), check_finite=True)
        except (np.linalg.LinAlgError, ValueError):
            return cov
        return linalg.cho_solve(factor, np.eye(len(params)))

    def robust_cov(self, params, cov, groups=None):
        r"""The sandwich :math:`A K A`, :math:`A = (X^\top W X)^{-1}`. Where the information is ill
        conditioned (an uncentred covariate:
        :data:`~mle_tutorial._engine.sandwich.SANDWICH_RCOND`) the product :math:`AKA` cancels
        digits, so it is formed from the R factor of :math:`\sqrt W X` instead: with the scores
        whitened, :math:`T = S R^{-1}` (well conditioned), :math:`AKA = R^{-1}(T^\top T)R^{-\top}`
        (cluster sums of :math:`T` for ``groups``)."""
        beta = np.asarray(params, dtype=float)
        finite = bool(np.all(np.isfinite(np.diag(cov))))
        if not (finite and ill_conditioned(self.information(beta), SANDWICH_RCOND)):
            return robust_from(cov, lambda: self.meat(params, groups)[0], lambda: self.bread(params, cov))
        if groups is not None and not self.rows.in_memory:
            self.meat(beta, groups)  # raises: cluster-robust covariance needs the scores in memory
        p = len(beta)
        R = self.rows.reduce(weighted_r_block, combine=tsqr_combine, beta=beta, family=self.family)[:p]
        if self.rows.in_memory:
            scores = score_block(self.rows.X, self.rows.y, self.rows.offset, beta=beta, family=self.family)
            whitened = linalg.solve_triangular(R, scores.T, trans="T", check_finite=False).T
            inner, _ = meat_of(whitened, groups)
        else:
            inner = self.rows.reduce(_whitened_meat_chunk, beta=beta, family=self.family, R=R)["meat"]
        r_inv = linalg.solve_triangular(R, np.eye(p), check_finite=False)
        out = r_inv @ inner @ r_inv.T
        out = 0.5 * (out + out.T)
        with np.errstate(invalid="ignore"):
            return out, np.sqrt(np.diag(out))

    # fitting
    def start(self):
        return check_and_start(self.working_rows(), self.family)

    def fit(self, start=None, *, method: str | None = None, options: dict | None = None) -> FitResult:
        if method not in (None, "Newton"):
            raise ValueError(
                f"a GLM is fitted by Newton's method (IRLS); method must be 'Newton', got {method!r}"
            )
        return _fit(self, self.options if options is None else options)

    # the bootstrap
    def simulate(self, params, rng):
        self._memory("simulated outcomes")
        y = self.family.sample(self._eta(params), rng)
        return self._like(InMemoryRows(self.rows.X, y, self.rows.offset))


def _check_outcomes(family: Family, n: int, bad: int, first_bad: str, successes: int) -> None:
    if bad:
        raise ValueError(f"{family.rule}; {first_bad}")
    message = family.boundary(n, successes)
    if message is not None:
        raise ValueError(message)


# --- the fitters ----------------------------------------------------------------------------------------
def fit_logistic(
    X: ArrayLike,
    y: ArrayLike,
    *,
    offset: ArrayLike | None = None,
    names: Sequence[str] | None = None,
    options: dict | None = None,
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
    options : dict, optional
        ``max_iter``, the most Newton iterations (default 100), and ``tol``, the Newton
        decrement :math:`g^\top I^{-1} g` at which Newton stops (default 1e-20).

    Returns
    -------
    FitResult
        ``params`` (= ``beta``), ``stderr`` and ``cov`` from
        :math:`(X^\top W X)^{-1}`, ``loglik``, ``aic``, ``bic``, ``conf_int``
        (Wald or profile), ``summary()``, and ``model`` (a :class:`GeneralizedLinear`).

    Raises
    ------
    ValueError
        Bad ``X``/``y``/``offset`` (shapes, NaN or inf, non-numeric, ``y`` not 0/1,
        ``n <= p``, a rank-deficient ``X``), ``y`` all 0 or all 1, or bad ``options``.
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
    return GeneralizedLinear.from_data(LOGISTIC, X, y, offset, names=names, options=options).fit()


def fit_poisson(
    X: ArrayLike,
    y: ArrayLike,
    *,
    offset: ArrayLike | None = None,
    names: Sequence[str] | None = None,
    options: dict | None = None,
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
    options : dict, optional
        As in :func:`fit_logistic`.

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
        a mean that overflows (naming the offset when it is the cause), or bad ``options``.
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
    return GeneralizedLinear.from_data(POISSON, X, y, offset, names=names, options=options).fit()


def _fit(model: GeneralizedLinear, options: dict | None) -> FitResult:
    """Either GLM, in memory or over Dask row chunks: checks and start, Newton, covariance."""
    family = model.family
    opts = check_options(options, COMMON_OPTIONS, f"fit_{family.name}")
    rows = model.working_rows()
    start = check_and_start(rows, family)
    try:
        fit = newton(GLMPass(rows, family), start, opts.get("max_iter", 100), opts.get("tol", 1e-20))
    except StartNotFinite as exc:  # a Poisson mean that overflows
        raise ValueError(_overflow_message(rows, "at the start")) from exc
    beta, stats, converged = fit.beta, fit.stats, fit.converged
    extra = "" if rows.in_memory else f" over {rows.description}"
    if family.overflows(stats):
        raise ValueError(_overflow_message(rows, "at the estimate"))
    slow = not converged or fit.diverging  # a divergence along a direction where the MLE does not exist
    if family.suspect(stats, slow):
        if rows.in_memory:
            e = -rows.x_shift  # beta_j of the data is the coefficient of the scaled column j times 2**-e_j
            family.raise_if_no_mle(rows.X, rows.y, e)
        elif slow and family.suspect(stats, False):
            converged = False
            extra += family.no_mle_hint()
    failure = None
    if not converged:
        failure = (
            f"fit_{family.name} did not converge in {fit.n_iter} iterations{extra}; "
            "the estimates may be inaccurate"
        )
    cov, problem = covariance.from_information(
        fit.info, lambda: rows.reduce(weighted_r_block, combine=tsqr_combine, beta=beta, family=family)
    )
    est = Estimate(
        params=beta.copy(),
        loglik=exact_loglik(rows, family, fit),
        converged=converged,
        n_iter=fit.n_iter,
        method="Newton",
        message=f"Newton (IRLS) with step halving: {fit.n_iter} iteration(s){extra}",
        cov=cov,
        problem=problem,
        profile=GLMProfile(rows, family, beta, cov=cov),
        beta=beta.copy(),
        failure=failure,
        unscale=model.unscale(),
    )
    return finish(model, est)


def _overflow_message(rows, where: str) -> str:
    text = f"the fitted Poisson mean exp(X @ beta + offset) overflows {where} (exp overflows above 709)"
    if rows.offset is not None and rows.in_memory and rows.offset.size:
        top = float(np.max(rows.offset))
        text += (
            f"; offset has values up to {top:.4g}: an offset is added to the log of the mean, so "
            "it is a log-exposure (np.log(exposure)), not an exposure"
        )
    return text


def _direction_text(direction, e) -> str:
    d = unshift(direction, e)
    return str(np.round(d / np.max(np.abs(d)), 4).tolist())


def poisson_divergence(X, y):
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


def separation_direction(X, y):
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
