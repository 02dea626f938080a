r"""Per-chunk statistics of each likelihood: what one chunk of rows contributes to the sums.

Every function here takes a chunk ``(X, y, offset, ...)`` (``offset`` may be None) and returns
a dict of sums that :func:`~mle_tutorial._engine.rows.add` combines across chunks: the
log-likelihood, the score and the information of a GLM, the cross-products of the normal
linear model, or the counts of bad values that the lazy checks of a Dask fit report. The
Student-t negative log-likelihood and its derivatives are here too (in memory only).

The two GLMs are the canonical-link logistic and Poisson models of :mod:`mle_tutorial.glm`; the
Poisson log-likelihood is summed term by term in Loader's saddle-point form, as R's ``dpois``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from .checks import count_not_finite
from .extended import residual_extended, xt_r_exact
from .lazy import linalg, special
from .rows import fingerprint_sum
from .scale import column_maxima

#: Rows per block: each block's temporaries stay in cache, so one Newton iteration reads X once.
BLOCK_ROWS = 1 << 13


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


# --- the two GLM families ----------------------------------------------------------------------
def _logistic_block(eta: NDArray, y: NDArray):
    # one exp for both: log(1 + e^eta) = max(eta, 0) + log1p(e), expit(eta) from e = e^-|eta|
    e = np.exp(-np.abs(eta))
    softplus = np.maximum(eta, 0.0) + np.log1p(e)
    inv = 1.0 / (1.0 + e)
    mu = np.where(eta >= 0, inv, e * inv)
    return float(y @ eta - np.sum(softplus)), mu, mu * (1.0 - mu)


def _poisson_block(eta: NDArray, y: NDArray, exact: bool = True):
    with np.errstate(over="ignore"):
        mu = np.exp(eta)
    with np.errstate(invalid="ignore"):  # inf - inf where mu overflows: reported as not finite
        if exact:
            return float(np.sum(poisson_logpmf(y, mu, eta))), mu, mu
        return float(y @ eta - np.sum(mu)), mu, mu


@dataclass(frozen=True)
class Family:
    """A canonical-link GLM: ``block(eta, y)`` gives the log-likelihood, the mean and the IRLS
    weight of a block of rows; ``invalid(y)`` flags impossible outcomes."""

    name: str
    title: str  # as in a sentence
    rule: str  # what y must hold, for the error message

    def block(self, eta: NDArray, y: NDArray, exact: bool = True):
        r"""The log-likelihood of the rows, their means and IRLS weights. With ``exact=False`` the
        Poisson log-likelihood leaves out :math:`-\sum\log y_i!` and is summed as
        :math:`y\eta - \mu`, cheaper, and enough to compare points on Newton's path."""
        if self.name == "logistic":
            return _logistic_block(eta, y)
        return _poisson_block(eta, y, exact)

    def invalid(self, y: NDArray) -> NDArray:
        if self.name == "logistic":
            return (y != 0) & (y != 1)
        return (y < 0) | (y != np.round(y))


LOGISTIC = Family("logistic", "logistic", "y must contain only 0 and 1 for logistic regression")
POISSON = Family("poisson", "Poisson", "y must contain non-negative integer counts for Poisson regression")


def glm_stats(
    X: NDArray, y: NDArray, offset: NDArray | None, *, beta: NDArray, family: Family, exact: bool = True
) -> dict:
    r"""One pass over the rows, block by block: log-likelihood, score, information, the largest
    :math:`|\eta|`, the largest :math:`\eta`, and for the Poisson the largest :math:`-\eta` of a
    zero count (``-inf`` if none: where it is far above :math:`-\max\eta`, the MLE may not
    exist). ``exact=False``: the cheaper Poisson log-likelihood of :meth:`Family.block`."""
    n, p = X.shape
    if offset is None:
        offset = np.zeros(n)
    ll, score, info, biggest, top, zero_low = 0.0, np.zeros(p), np.zeros((p, p)), 0.0, -np.inf, -np.inf
    for start in range(0, n, BLOCK_ROWS):
        Xb = X[start : start + BLOCK_ROWS]
        yb = y[start : start + BLOCK_ROWS]
        eta = Xb @ beta + offset[start : start + BLOCK_ROWS]
        part, mu, w = family.block(eta, yb, exact)
        ll += part
        score += Xb.T @ (yb - mu)
        Xw = Xb * np.sqrt(w)[:, None]
        info += Xw.T @ Xw
        top = max(top, float(eta.max()))
        biggest = max(biggest, top, -float(eta.min()))
        if family == POISSON and np.any(yb == 0):
            zero_low = max(zero_low, -float(eta[yb == 0].min()))
    return {
        "loglik": ll,
        "score": score,
        "info": info,
        "max_eta": biggest,
        "max_eta_hi": top,
        "max_neg_eta0": zero_low,
    }


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


def screen_stats(
    X: NDArray, y: NDArray, offset: NDArray | None, *, family: Family | None = None, start: int = 0
) -> dict:
    """The lazy checks' pass over a chunk: bad values, each column's largest |value| (for the
    power-of-two scales), the largest |y|, the fingerprint of y (its first row being row
    ``start``), and for a GLM the impossible
    outcomes and the count of 1s (logistic) or positive counts (Poisson)."""
    out = {
        "n": X.shape[0],
        "bad_x": count_not_finite(X),
        "bad_y": count_not_finite(y),
        "bad_o": 0 if offset is None else count_not_finite(offset),
        "max_x": column_maxima(X) if X.shape[0] else np.zeros(X.shape[1]),
        "max_y": float(np.max(np.abs(y))) if y.size else 0.0,
        "fingerprint": fingerprint_sum(y, start),
    }
    if family is not None:
        out["bad_label"] = int(np.count_nonzero(family.invalid(y)))
        out["ones"] = int(np.sum(y == 1) if family == LOGISTIC else np.sum(y > 0))
    return out


def gram_stats(X: NDArray, y: NDArray, offset: NDArray | None, *, poisson_start: bool = False) -> dict:
    """X'X of a chunk (for the rank), and the Poisson start statistics if asked for."""
    out = {"xtx": X.T @ X}
    if poisson_start:
        out.update(poisson_start_stats(X, y, offset))
    return out


# --- the normal linear model over chunks ------------------------------------------------------
def normal_sums(X: NDArray, y: NDArray, offset: None = None) -> dict:
    """X'X, X'y and y'y of a chunk."""
    return {"xtx": X.T @ X, "xty": X.T @ y, "yty": float(y @ y), "n": X.shape[0]}


def tsqr_block(X: NDArray, y: NDArray, offset: None, *, scale: NDArray) -> NDArray:
    """R of the QR factorization of a chunk's [X / scale | y]."""
    A = np.column_stack([X / scale, y])
    return linalg.qr(A, mode="r", check_finite=False)[0][: A.shape[1]]


def weighted_r_block(
    X: NDArray, y: NDArray, offset: NDArray | None, *, beta: NDArray, family: Family
) -> NDArray:
    """R of the QR factorization of a chunk's sqrt(W) X at ``beta``, W the GLM weights."""
    eta = X @ beta if offset is None else X @ beta + offset
    w = family.block(eta, y)[2]
    return linalg.qr(np.sqrt(w)[:, None] * X, mode="r", check_finite=False)[0][: X.shape[1]]


def tsqr_combine(a: NDArray, b: NDArray) -> NDArray:
    """R of two stacked R factors: a tall-skinny QR combined in a tree."""
    A = np.vstack([a, b])
    return linalg.qr(A, mode="r", check_finite=False)[0][: A.shape[1]]


def normal_refine_stats(
    X: NDArray, y: NDArray, offset: None, *, beta: NDArray, extended: bool, exact_products: bool
) -> dict:
    """X'r and r'r of a chunk at ``beta``, with r = y - X beta in extended precision where
    ``extended``; on ill-conditioned designs X'r needs exact products and correctly rounded sums."""
    r = residual_extended(X, beta, y) if extended else y - X @ beta
    xtr = xt_r_exact(X, r) if exact_products else X.T @ r
    return {"xtr": xtr, "rtr": math.fsum(r * r) if exact_products else float(r @ r)}


# --- the normal linear model in memory: step 7 on [beta, log sigma] ---------------------------
_LOG_2PI = np.log(2.0 * np.pi)


def normal_nll(theta: NDArray, X: NDArray, y: NDArray) -> float:
    """Negative log-likelihood of the normal linear model on [beta, log sigma], unchecked (see
    :func:`~mle_tutorial.negative_log_likelihood`)."""
    p = X.shape[1]
    r = y - X @ theta[:p]
    eta = theta[p]
    return 0.5 * X.shape[0] * _LOG_2PI + X.shape[0] * eta + 0.5 * np.exp(-2.0 * eta) * (r @ r)


def normal_nll_gradient(theta: NDArray, X: NDArray, y: NDArray) -> NDArray[np.float64]:
    """Unchecked gradient of the NLL on already-validated arrays."""
    p = X.shape[1]
    r = y - X @ theta[:p]
    w = np.exp(-2.0 * theta[p])
    return np.append(-w * (X.T @ r), X.shape[0] - w * (r @ r))


def normal_nll_hessian(theta: NDArray, X: NDArray, y: NDArray) -> NDArray[np.float64]:
    """Unchecked Hessian of the NLL on already-validated arrays."""
    p = X.shape[1]
    r = y - X @ theta[:p]
    w = np.exp(-2.0 * theta[p])
    H = np.empty((p + 1, p + 1))
    H[:p, :p] = w * (X.T @ X)
    H[:p, p] = H[p, :p] = 2.0 * w * (X.T @ r)
    H[p, p] = 2.0 * w * (r @ r)
    return H


# --- Student-t errors ---------------------------------------------------------------------------
def _t_unpack(theta: NDArray, X: NDArray, y: NDArray, df: float | None):
    p = X.shape[1]
    beta, eta = theta[:p], theta[p]
    with np.errstate(all="ignore"):  # an optimizer's wild trial step: sigma or nu under/overflow
        nu = float(np.exp(theta[p + 1])) if df is None else df
        sigma = float(np.exp(eta))
        z = (y - X @ beta) / sigma
    return beta, eta, sigma, nu, z


def _possible(sigma: float, nu: float) -> bool:
    return 0.0 < sigma < np.inf and 0.0 < nu < np.inf


def _t_log_constant(nu: float) -> float:
    r""":math:`\log\Gamma(\frac{\nu+1}2) - \log\Gamma(\frac\nu2) - \frac12\log(\nu\pi)`.

    Computed as :math:`-\log B(\frac12, \frac\nu2) - \frac12\log\nu` (the same thing, since
    :math:`\Gamma(\frac12) = \sqrt\pi`): ``betaln`` avoids the cancellation between the two
    ``gammaln`` values, which are of order :math:`\nu\log\nu` when ν is large.
    """
    return float(-special.betaln(0.5, 0.5 * nu) - 0.5 * np.log(nu))


def t_nll(theta: NDArray, X: NDArray, y: NDArray, df: float | None = None) -> float:
    r"""Negative log-likelihood on :math:`\theta = (\beta, \log\sigma[, \log\nu])`; ν is ``df`` if given."""
    _, eta, sigma, nu, z = _t_unpack(theta, X, y, df)
    if not _possible(sigma, nu):
        return np.inf
    n = y.shape[0]
    with np.errstate(over="ignore"):
        ll = n * (_t_log_constant(nu) - eta) - 0.5 * (nu + 1.0) * np.sum(np.log1p(z * z / nu))
    return float(-ll) if np.isfinite(ll) else np.inf


def t_nll_gradient(theta: NDArray, X: NDArray, y: NDArray, df: float | None = None) -> NDArray:
    r"""Analytic gradient of :func:`t_nll`.

    With :math:`s_i = z_i^2` and :math:`w_i = (\nu+1)/(\nu+s_i)`,

    .. math:: \frac{\partial\ell}{\partial\beta} = \frac1\sigma\sum_i w_i z_i x_i, \qquad
              \frac{\partial\ell}{\partial\tau} = \sum_i (w_i s_i - 1),

    .. math:: \frac{\partial\ell}{\partial\nu} = \frac n2\Big[\psi\big(\tfrac{\nu+1}2\big)
              - \psi\big(\tfrac\nu2\big) - \tfrac1\nu\Big]
              + \sum_i\Big[\frac{w_i s_i}{2\nu} - \tfrac12\log(1 + s_i/\nu)\Big],
              \qquad \frac{\partial\ell}{\partial\omega} = \nu\,\frac{\partial\ell}{\partial\nu}.
    """
    _, _, sigma, nu, z = _t_unpack(theta, X, y, df)
    if not _possible(sigma, nu):
        return np.full(theta.shape, np.nan)
    n = y.shape[0]
    s = z * z
    w = (nu + 1.0) / (nu + s)
    g = [X.T @ (w * z) / sigma, [np.sum(w * s) - n]]
    if df is None:
        g.append([nu * _dl_dnu(nu, s, w, n)])
    return -np.concatenate(g)


def _dl_dnu(nu: float, s: NDArray, w: NDArray, n: int) -> float:
    digammas = special.digamma(0.5 * (nu + 1.0)) - special.digamma(0.5 * nu)
    return float(0.5 * n * (digammas - 1.0 / nu) + np.sum(0.5 * w * s / nu - 0.5 * np.log1p(s / nu)))


def t_nll_hessian(theta: NDArray, X: NDArray, y: NDArray, df: float | None = None) -> NDArray:
    r"""Analytic Hessian of :func:`t_nll`.

    Write :math:`\ell_i = c(\nu) - \tau + f(s_i, \nu)` with :math:`f = -\frac{\nu+1}2\log(1+s/\nu)`
    and :math:`s = \varepsilon^2 e^{-2\tau}`. Then :math:`f_s = -w/2`, :math:`f_{ss} = w^2/(2(\nu+1))`,
    :math:`f_{s\nu} = (1-s)/(2(\nu+s)^2)`, :math:`f_{\nu\nu} = s(\nu s - 2\nu - s)/(2\nu^2(\nu+s)^2)`,
    :math:`c'' = \frac14[\psi'(\frac{\nu+1}2) - \psi'(\frac\nu2)] + 1/(2\nu^2)`, and the chain rule
    through :math:`s_\beta = -2zx/\sigma`, :math:`s_\tau = -2s`, :math:`s_{\beta\beta} = 2xx^\top/\sigma^2`,
    :math:`s_{\beta\tau} = 4zx/\sigma`, :math:`s_{\tau\tau} = 4s` gives

    .. math:: \ell_{\beta\beta} = \sum_i \frac{w_i(s_i - \nu)}{\nu + s_i}\frac{x_i x_i^\top}{\sigma^2},\quad
              \ell_{\beta\tau} = -\sum_i \frac{2\nu w_i z_i}{\nu + s_i}\frac{x_i}{\sigma},\quad
              \ell_{\tau\tau} = -\sum_i \frac{2\nu w_i s_i}{\nu + s_i},

    .. math:: \ell_{\beta\nu} = -\sum_i \frac{(1 - s_i) z_i}{(\nu+s_i)^2}\frac{x_i}{\sigma},\quad
              \ell_{\tau\nu} = -\sum_i \frac{s_i(1 - s_i)}{(\nu+s_i)^2},\quad
              \ell_{\nu\nu} = n c''(\nu) + \sum_i f_{\nu\nu}(s_i, \nu),

    and on :math:`\omega = \log\nu`: :math:`\ell_{\cdot\omega} = \nu\ell_{\cdot\nu}`,
    :math:`\ell_{\omega\omega} = \nu^2\ell_{\nu\nu} + \nu\ell_\nu`.
    """
    _, _, sigma, nu, z = _t_unpack(theta, X, y, df)
    if not _possible(sigma, nu):
        return np.full((theta.size, theta.size), np.nan)
    n, p = X.shape
    s = z * z
    w = (nu + 1.0) / (nu + s)
    k = p + 1 if df is not None else p + 2
    H = np.empty((k, k))
    H[:p, :p] = (X.T * (w * (s - nu) / (nu + s))) @ X / sigma**2
    H[:p, p] = -X.T @ (2.0 * nu * w * z / (nu + s)) / sigma
    H[p, p] = -np.sum(2.0 * nu * w * s / (nu + s))
    if df is None:
        d2 = (nu + s) ** 2
        trigammas = special.polygamma(1, 0.5 * (nu + 1.0)) - special.polygamma(1, 0.5 * nu)
        l_nunu = n * (0.25 * trigammas + 0.5 / nu**2) + np.sum(
            s * (nu * s - 2.0 * nu - s) / (2.0 * nu**2 * d2)
        )
        H[:p, p + 1] = -nu * X.T @ ((1.0 - s) * z / d2) / sigma
        H[p, p + 1] = -nu * np.sum(s * (1.0 - s) / d2)
        H[p + 1, p + 1] = nu**2 * l_nunu + nu * _dl_dnu(nu, s, w, n)
    upper = np.triu_indices(k, 1)
    H[(upper[1], upper[0])] = H[upper]
    return -H
