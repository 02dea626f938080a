r"""Per-chunk statistics of each likelihood: what one chunk of rows contributes to the sums.

Every function here takes a chunk ``(X, y, offset, ...)`` (``offset`` may be None) and returns
a dict of sums that :func:`~mle_tutorial._engine.rows.add` combines across chunks: the
log-likelihood, the score and the information of a GLM, the cross-products of the normal
linear model, or the counts of bad values that the lazy checks of a Dask fit report. The
Student-t negative log-likelihood and its derivatives are here too (in memory only).

The two GLMs are the canonical-link logistic and Poisson models of :mod:`mle_tutorial.glm`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import scipy.linalg
import scipy.special
from numpy.typing import NDArray

from .checks import count_not_finite
from .extended import residual_extended, xt_r_exact

#: Rows per block: each block's temporaries stay in cache, so one Newton iteration reads X once.
BLOCK_ROWS = 1 << 13


# --- the two GLM families ----------------------------------------------------------------------
def _logistic_block(eta: NDArray, y: NDArray):
    # one exp for both: log(1 + e^eta) = max(eta, 0) + log1p(e), expit(eta) from e = e^-|eta|
    e = np.exp(-np.abs(eta))
    softplus = np.maximum(eta, 0.0) + np.log1p(e)
    inv = 1.0 / (1.0 + e)
    mu = np.where(eta >= 0, inv, e * inv)
    return float(y @ eta - np.sum(softplus)), mu, mu * (1.0 - mu)


def _poisson_block(eta: NDArray, y: NDArray):
    with np.errstate(over="ignore"):
        mu = np.exp(eta)
    with np.errstate(invalid="ignore"):  # inf - inf where mu overflows: reported as not finite
        return float(y @ eta - np.sum(mu)), mu, mu


@dataclass(frozen=True)
class Family:
    """A canonical-link GLM: ``block(eta, y)`` gives the log-likelihood (up to a constant), the
    mean and the IRLS weight of a block of rows; ``invalid(y)`` flags impossible outcomes."""

    name: str
    title: str  # as in a sentence
    rule: str  # what y must hold, for the error message

    def block(self, eta: NDArray, y: NDArray):
        return (_logistic_block if self.name == "logistic" else _poisson_block)(eta, y)

    def invalid(self, y: NDArray) -> NDArray:
        if self.name == "logistic":
            return (y != 0) & (y != 1)
        return (y < 0) | (y != np.round(y))

    def log_factorial(self, y: NDArray) -> float:
        """The constant of the log-likelihood: :math:`\\sum \\log y_i!` (0 for the logistic)."""
        return 0.0 if self.name == "logistic" else float(np.sum(scipy.special.gammaln(y + 1.0)))


LOGISTIC = Family("logistic", "logistic", "y must contain only 0 and 1 for logistic regression")
POISSON = Family("poisson", "Poisson", "y must contain non-negative integer counts for Poisson regression")


def glm_stats(X: NDArray, y: NDArray, offset: NDArray | None, *, beta: NDArray, family: Family) -> dict:
    """One pass over the rows, block by block: log-likelihood (up to a constant), score,
    information and the largest :math:`|\\eta|`."""
    n, p = X.shape
    if offset is None:
        offset = np.zeros(n)
    ll, score, info, biggest = 0.0, np.zeros(p), np.zeros((p, p)), 0.0
    for start in range(0, n, BLOCK_ROWS):
        Xb = X[start : start + BLOCK_ROWS]
        yb = y[start : start + BLOCK_ROWS]
        eta = Xb @ beta + offset[start : start + BLOCK_ROWS]
        part, mu, w = family.block(eta, yb)
        ll += part
        score += Xb.T @ (yb - mu)
        Xw = Xb * np.sqrt(w)[:, None]
        info += Xw.T @ Xw
        biggest = max(biggest, float(eta.max()), -float(eta.min()))
    return {"loglik": ll, "score": score, "info": info, "max_eta": biggest}


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


def glm_first_stats(X: NDArray, y: NDArray, offset: NDArray | None, *, family: Family) -> dict:
    """The lazy checks' pass over a chunk: bad values, impossible outcomes, X'X (for the rank),
    and the family's constant and start statistics."""
    out = {"xtx": X.T @ X, "bad_x": count_not_finite(X), "bad_y": count_not_finite(y), "n": X.shape[0]}
    out["bad_o"] = 0 if offset is None else count_not_finite(offset)
    out["bad_label"] = int(np.count_nonzero(family.invalid(y)))
    out["ones"] = float(np.sum(y == 1) if family == LOGISTIC else np.sum(y > 0))
    if family == POISSON:
        out["log_factorial"] = family.log_factorial(y)
        if out["bad_label"] or out["bad_y"] or out["bad_o"]:  # reported after this pass; skip the math
            p = X.shape[1]
            out.update(start_a=np.zeros((p, p)), start_b=np.zeros(p))
        else:
            out.update(poisson_start_stats(X, y, offset))
    return out


# --- the normal linear model over chunks ------------------------------------------------------
def normal_sums(X: NDArray, y: NDArray, offset: None = None) -> dict:
    """X'X, X'y and y'y of a chunk, with its counts of bad values and its largest |y|."""
    return {
        "xtx": X.T @ X,
        "xty": X.T @ y,
        "yty": float(y @ y),
        "n": X.shape[0],
        "bad_x": count_not_finite(X),
        "bad_y": count_not_finite(y),
        "max_abs_y": float(np.max(np.abs(y))) if y.size else 0.0,
    }


def tsqr_block(X: NDArray, y: NDArray, offset: None, *, scale: NDArray) -> NDArray:
    """R of the QR factorization of a chunk's [X / scale | y]."""
    A = np.column_stack([X / scale, y])
    return scipy.linalg.qr(A, mode="r", check_finite=False)[0][: A.shape[1]]


def tsqr_combine(a: NDArray, b: NDArray) -> NDArray:
    """R of two stacked R factors: a tall-skinny QR combined in a tree."""
    A = np.vstack([a, b])
    return scipy.linalg.qr(A, mode="r", check_finite=False)[0][: A.shape[1]]


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
    return float(-scipy.special.betaln(0.5, 0.5 * nu) - 0.5 * np.log(nu))


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
    digammas = scipy.special.digamma(0.5 * (nu + 1.0)) - scipy.special.digamma(0.5 * nu)
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
        trigammas = scipy.special.polygamma(1, 0.5 * (nu + 1.0)) - scipy.special.polygamma(1, 0.5 * nu)
        l_nunu = n * (0.25 * trigammas + 0.5 / nu**2) + np.sum(
            s * (nu * s - 2.0 * nu - s) / (2.0 * nu**2 * d2)
        )
        H[:p, p + 1] = -nu * X.T @ ((1.0 - s) * z / d2) / sigma
        H[p, p + 1] = -nu * np.sum(s * (1.0 - s) / d2)
        H[p + 1, p + 1] = nu**2 * l_nunu + nu * _dl_dnu(nu, s, w, n)
    upper = np.triu_indices(k, 1)
    H[(upper[1], upper[0])] = H[upper]
    return -H
