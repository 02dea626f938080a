r"""Negative binomial (NB2) regression: counts whose variance grows faster than their mean.

If each count is Poisson with mean :math:`\mu_i\lambda_i`, and the unobserved multiplier
:math:`\lambda_i` is gamma distributed with mean 1 and variance :math:`\alpha`, the count is
negative binomial (the "NB2" form of Cameron and Trivedi) with

.. math:: E[y_i] = \mu_i = e^{x_i^\top\beta + o_i}, \qquad
          \mathrm{Var}(y_i) = \mu_i + \alpha\mu_i^2, \qquad
          P(y) = \frac{\Gamma(y + r)}{\Gamma(r)\,y!}
                 \Big(\frac{r}{r + \mu}\Big)^r\Big(\frac{\mu}{r + \mu}\Big)^y,\quad r = 1/\alpha .

R's ``MASS::glm.nb`` calls :math:`r` ``theta``. As :math:`\alpha \to 0` the distribution becomes the
Poisson: :math:`\alpha = 0` is the Poisson regression, on the edge of the parameter space.

The log-likelihood in a form that keeps its digits for every :math:`\alpha \ge 0`. For a whole
number :math:`y`, :math:`\log\Gamma(y + r) - \log\Gamma(r) - y\log r = \sum_{k<y}\log(1 + k\alpha)`, so
with :math:`x = \alpha\mu`,

.. math:: \ell_i = y_i\eta_i - \log y_i! + \sum_{k<y_i}\log(1 + k\alpha) - y_i\log(1 + x_i)
          - \frac{\log(1 + x_i)}{\alpha},

whose last term is :math:`\mu_i` at :math:`\alpha = 0` (then :math:`\ell_i` is the Poisson term,
summed in Loader's form as :func:`~mle_tutorial.fit_poisson` does). The sums over :math:`k` come
from cumulative sums over :math:`k = 0, \dots, \max y` (the digamma and trigamma functions, which
cancel most of their digits for small :math:`\alpha`, only for counts above
:data:`CUMSUM_MAX`). The derivatives, with :math:`c(\alpha) = \log(1 + \alpha\mu)/\alpha`:

.. math:: \begin{aligned}
          \frac{\partial\ell_i}{\partial\eta_i} &= \frac{y_i - \mu_i}{1 + x_i}, &
          -\frac{\partial^2\ell_i}{\partial\eta_i^2} &= \frac{\mu_i(1 + \alpha y_i)}{(1 + x_i)^2}
          \ \ge 0, \\
          \frac{\partial\ell_i}{\partial\alpha} &= \sum_{k<y_i}\frac{k}{1 + k\alpha}
          - \frac{y_i\mu_i}{1 + x_i} - c'(\alpha), &
          \frac{\partial^2\ell_i}{\partial\eta_i\partial\alpha}
          &= -\frac{(y_i - \mu_i)\mu_i}{(1 + x_i)^2}, \\
          \frac{\partial^2\ell_i}{\partial\alpha^2} &= -\sum_{k<y_i}\frac{k^2}{(1 + k\alpha)^2}
          + \frac{y_i\mu_i^2}{(1 + x_i)^2} - c''(\alpha), &&
          \end{aligned}

with :math:`c'` and :math:`c''` from their power series where :math:`x < 1/4` (no cancellation);
at :math:`\alpha = 0`, :math:`\partial\ell_i/\partial\alpha = \tfrac12[(y_i - \mu_i)^2 - y_i]`, the
score of the classic test for overdispersion.

For :math:`\alpha` held fixed the model is a GLM (:class:`NegativeBinomialFamily`, Newton weights
never negative): the fit uses it for :math:`\beta` at a first :math:`\alpha`, then runs Newton's
method on :math:`(\beta, \log\alpha)` jointly, with the analytic Hessian, to the exact joint MLE.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ._engine import covariance
from ._engine.checks import check_offset, check_rows, coefficient_names, read_design
from ._engine.lazy import special
from ._engine.lstsq import tsqr_combine
from ._engine.optimize import COMMON_OPTIONS, StartNotFinite, check_options, newton
from ._engine.rows import BLOCK_ROWS, DaskRows, InMemoryRows, as_rows, data_key, fingerprint_sum, screen_stats
from ._engine.scale import Unscale, shifts, unshift
from .fitting import FREE, POSITIVE, Estimate, finish
from .glm import (
    POISSON,
    Family,
    GLMPass,
    PerfectSeparationError,
    check_and_start,
    exact_loglik,
    poisson_divergence,
    poisson_logpmf,
    weighted_r_block,
)
from .model import Nesting, RegressionLikelihood, RowsRegression
from .result import FitResult

__all__ = [
    "CUMSUM_MAX",
    "NegativeBinomial",
    "NegativeBinomialFamily",
    "fit_negative_binomial",
    "nb_stats",
    "nb_terms",
]

#: Counts up to this are summed term by term (``sum_{k<y} log(1 + k alpha)`` and its derivatives,
#: by cumulative sums); a larger count switches a pass to the gamma-function forms.
CUMSUM_MAX = 1 << 20

#: An estimate of alpha above this is reported as running off to infinity.
ALPHA_RUNOFF = 1e8

_SERIES_X = 0.25
_TERMS = 34


# --- the kernel -------------------------------------------------------------------------------------
def _count_sums(y: NDArray, alpha: float, order: int) -> tuple[NDArray, NDArray, NDArray]:
    r""":math:`\sum_{k<y}\log(1 + k\alpha)`, :math:`\sum_{k<y} k/(1 + k\alpha)` and
    :math:`-\sum_{k<y} k^2/(1 + k\alpha)^2` for each count ``y`` (the last two for ``order`` >= 1,
    2), exact at :math:`\alpha = 0`."""
    zeros = np.zeros(y.shape)
    if alpha == 0.0:
        a1 = 0.5 * y * (y - 1.0) if order >= 1 else zeros
        a2 = -(y - 1.0) * y * (2.0 * y - 1.0) / 6.0 if order >= 2 else zeros
        return zeros, a1, a2
    top = int(np.max(y)) if y.size else 0
    if top <= CUMSUM_MAX:
        index = y.astype(np.int64)
        k = np.arange(top, dtype=float)
        kx = k * alpha
        a0 = np.concatenate([[0.0], np.cumsum(np.log1p(kx))])[index]
        if order == 0:
            return a0, zeros, zeros
        ratio = k / (1.0 + kx)
        a1 = np.concatenate([[0.0], np.cumsum(ratio)])[index]
        a2 = -np.concatenate([[0.0], np.cumsum(ratio * ratio)])[index] if order >= 2 else zeros
        return a0, a1, a2
    # very large counts: the gamma-function forms, with r = 1/alpha
    r = 1.0 / alpha
    a0 = special.gammaln(y + r) - special.gammaln(r) - y * np.log(r)
    if order == 0:
        return a0, zeros, zeros
    d0 = special.digamma(y + r) - special.digamma(r)
    a1 = y * r - r * r * d0
    if order < 2:
        return a0, a1, zeros
    d1 = special.polygamma(1, r) - special.polygamma(1, y + r)
    a2 = -(y * r * r - 2.0 * r**3 * d0 + r**4 * d1)
    return a0, a1, a2


def _series(x: NDArray, coefficients: NDArray) -> NDArray:
    out = np.full(x.shape, coefficients[-1])
    for c in coefficients[-2::-1]:
        out = out * x + c
    return out


_K = np.arange(1, _TERMS + 1, dtype=float)
#: log(1 + x)/x = sum_k (-1)^k x^k/(k + 1): its first and second derivatives' coefficients.
_FIRST = (-1.0) ** _K * _K / (_K + 1.0)  # x^(k-1), k >= 1
_SECOND = (-1.0) ** _K[1:] * _K[1:] * (_K[1:] - 1.0) / (_K[1:] + 1.0)  # x^(k-2), k >= 2


def _c_terms(mu: NDArray, alpha: float, order: int) -> tuple[NDArray, NDArray, NDArray]:
    r""":math:`c(\alpha) = \log(1 + \alpha\mu)/\alpha` (:math:`\mu` at 0) and its first two
    derivatives in :math:`\alpha`, without cancellation."""
    zeros = np.zeros(mu.shape)
    if alpha == 0.0:
        c0 = mu
        c1 = -0.5 * mu * mu if order >= 1 else zeros
        c2 = (2.0 / 3.0) * mu**3 if order >= 2 else zeros
        return c0, c1, c2
    x = alpha * mu
    lx = np.log1p(x)
    c0 = lx / alpha
    if order == 0:
        return c0, zeros, zeros
    small = x < _SERIES_X
    xs = np.where(small, x, 0.0)
    q = x / (1.0 + x)
    c1 = np.where(small, mu * mu * _series(xs, _FIRST), (q - lx) / alpha**2)
    if order < 2:
        return c0, c1, zeros
    c2 = np.where(small, mu**3 * _series(xs, _SECOND), (2.0 * lx - 2.0 * q - q * q) / alpha**3)
    return c0, c1, c2


def nb_terms(eta: NDArray, y: NDArray, alpha: float, order: int = 0) -> dict:
    r"""The NB2 log-likelihood of each count at :math:`\eta` (``"ll"``) and, for ``order`` >= 1,
    :math:`\partial\ell_i/\partial\eta_i` (``"d_eta"``), the Newton weight
    :math:`-\partial^2\ell_i/\partial\eta_i^2` (``"w"``) and :math:`\partial\ell_i/\partial\alpha`
    (``"d_alpha"``); for ``order`` 2 also ``"d_eta_alpha"`` and ``"d_alpha_alpha"`` (see the module
    docstring). Exact at :math:`\alpha = 0` (the Poisson)."""
    with np.errstate(over="ignore"):
        mu = np.exp(eta)
    a0, a1, a2 = _count_sums(y, alpha, order)
    c0, c1, c2 = _c_terms(mu, alpha, order)
    x = alpha * mu
    with np.errstate(invalid="ignore", over="ignore"):
        if alpha == 0.0:
            ll = poisson_logpmf(y, mu, eta)
        else:
            ll = y * eta - special.gammaln(y + 1.0) + a0 - y * np.log1p(x) - c0
        out = {"ll": ll, "mu": mu}
        if order == 0:
            return out
        one = 1.0 + x
        out["d_eta"] = (y - mu) / one
        out["w"] = mu * (1.0 + alpha * y) / (one * one)
        out["d_alpha"] = a1 - y * mu / one - c1
        if order >= 2:
            out["d_eta_alpha"] = -(y - mu) * mu / (one * one)
            out["d_alpha_alpha"] = a2 + y * mu * mu / (one * one) - c2
    return out


def nb_stats(
    X: NDArray, y: NDArray, offset: NDArray | None, *, beta: NDArray, alpha: float, order: int = 2
) -> dict:
    r"""One pass over the rows, block by block, at :math:`(\beta, \alpha)` on the natural scale:
    the log-likelihood, the score and (``order`` 2) the Hessian, with :math:`X^\top\mathrm{diag}
    (\mu_i/(1 + \alpha\mu_i))X` (the expected information of :math:`\beta`), the sum of squared
    scores of :math:`\alpha`, and the largest :math:`|\eta|`, :math:`\eta`, and :math:`-\eta` of a
    zero count (as :func:`~mle_tutorial.glm.glm_stats`)."""
    n, p = X.shape
    ll, score = 0.0, np.zeros(p + 1)
    hess, fisher, opg = np.zeros((p + 1, p + 1)), np.zeros((p, p)), 0.0
    biggest, top, zero_low = 0.0, -np.inf, -np.inf
    with np.errstate(over="ignore", invalid="ignore"):
        for start in range(0, n, BLOCK_ROWS):
            Xb = X[start : start + BLOCK_ROWS]
            yb = y[start : start + BLOCK_ROWS]
            eta = Xb @ beta
            if offset is not None:
                eta = eta + offset[start : start + BLOCK_ROWS]
            t = nb_terms(eta, yb, alpha, order)
            ll += float(np.sum(t["ll"]))
            top = max(top, float(eta.max()))
            biggest = max(biggest, top, -float(eta.min()))
            if np.any(yb == 0):
                zero_low = max(zero_low, -float(eta[yb == 0].min()))
            if order == 0:
                continue
            score[:p] += Xb.T @ t["d_eta"]
            score[p] += float(np.sum(t["d_alpha"]))
            opg += float(t["d_alpha"] @ t["d_alpha"])
            if order >= 2:
                Xw = Xb * np.sqrt(t["w"])[:, None]
                hess[:p, :p] -= Xw.T @ Xw
                hess[:p, p] += Xb.T @ t["d_eta_alpha"]
                hess[p, p] += float(np.sum(t["d_alpha_alpha"]))
                Xf = Xb * np.sqrt(t["mu"] / (1.0 + alpha * t["mu"]))[:, None]
                fisher += Xf.T @ Xf
    hess[p, :p] = hess[:p, p]
    return {
        "loglik": ll,
        "score": score,
        "hessian": hess,
        "fisher": fisher,
        "opg": opg,
        "max_eta": biggest,
        "max_eta_hi": top,
        "max_neg_eta0": zero_low,
    }


def _nb_loglik(X: NDArray, y: NDArray, offset: NDArray | None, *, beta: NDArray, alpha: float) -> dict:
    return {"loglik": nb_stats(X, y, offset, beta=beta, alpha=alpha, order=0)["loglik"]}


def _score_rows(X: NDArray, y: NDArray, offset: NDArray | None, *, beta: NDArray, alpha: float) -> NDArray:
    eta = X @ beta if offset is None else X @ beta + offset
    t = nb_terms(eta, y, alpha, 1)
    return np.column_stack([X * t["d_eta"][:, None], t["d_alpha"]])


def _meat_chunk(X, y, offset, *, beta, alpha) -> dict:
    S = _score_rows(X, y, offset, beta=beta, alpha=alpha)
    return {"meat": S.T @ S}


def _overdispersion(X: NDArray, y: NDArray, offset: NDArray | None, *, beta: NDArray) -> dict:
    r"""At the Poisson fit: :math:`\tfrac12\sum_i[(y_i - \mu_i)^2 - y_i]` (the slope of the
    log-likelihood in :math:`\alpha` at 0) and :math:`\sum_i\mu_i^2`."""
    eta = X @ beta if offset is None else X @ beta + offset
    with np.errstate(over="ignore"):
        mu = np.exp(eta)
    return {"slope": 0.5 * float(np.sum((y - mu) ** 2 - y)), "mu2": float(mu @ mu)}


def _positive_definite(A: NDArray) -> bool:
    d = np.sqrt(np.abs(np.diag(A)))
    if not (np.all(np.isfinite(A)) and np.all(d > 0)):
        return False
    s = np.exp2(np.round(np.log2(d)))
    try:
        np.linalg.cholesky(A / np.outer(s, s))
    except np.linalg.LinAlgError:
        return False
    return True


# --- the family: alpha held fixed -------------------------------------------------------------------
@dataclass(frozen=True)
class NegativeBinomialFamily(Family):
    r"""The NB2 with :math:`\alpha` held fixed, as a GLM family with the log link:
    :math:`\partial\ell_i/\partial\eta_i = (y_i - \mu_i)/(1 + \alpha\mu_i)` and the Newton weight
    :math:`\mu_i(1 + \alpha y_i)/(1 + \alpha\mu_i)^2 \ge 0` (the observed one: for fixed
    :math:`\alpha` the log-likelihood is concave in :math:`\beta`). :math:`\alpha = 0` is the
    Poisson family."""

    name: str = "negative_binomial"
    title: str = "negative binomial"
    rule: str = "y must contain non-negative integer counts for negative binomial regression"
    exact_pass: bool = True
    zero_counts: bool = True
    alpha: float = 1.0

    def block(self, eta, y, exact=True):
        t = nb_terms(eta, y, self.alpha, 1)
        return float(np.sum(t["ll"])), t["d_eta"], t["w"]

    def terms(self, eta, y):
        return nb_terms(eta, y, self.alpha)["ll"]

    def mean(self, eta):
        return np.exp(eta)

    def sample(self, eta, rng):
        return draw_counts(np.exp(eta), self.alpha, rng)

    def invalid(self, y):
        return POISSON.invalid(y)

    def successes(self, y):
        return POISSON.successes(y)

    def boundary(self, n, successes):
        if successes == 0:
            return "y is all 0: the estimated mean is 0, on the boundary, so there is no finite MLE"
        return None

    def start(self, rows):
        return POISSON.start(rows)

    def overflows(self, stats):
        return POISSON.overflows(stats)

    def suspect(self, stats, slow):
        return POISSON.suspect(stats, slow)

    def raise_if_no_mle(self, X, y, e):
        found = poisson_divergence(X, y)
        if found is not None:
            raise PerfectSeparationError(_no_mle_message(found, y, e))

    def no_mle_hint(self):
        return (
            "; fitted means of some zero counts are tending to 0, so the MLE may not exist "
            "(check a subsample in memory with fit_negative_binomial)"
        )


def draw_counts(mu: NDArray, alpha: float, rng: np.random.Generator) -> NDArray:
    """Negative binomial counts with means ``mu`` and dispersion ``alpha`` (Poisson at 0), as
    floats: a Poisson count with a gamma-distributed mean."""
    if alpha == 0.0:
        return rng.poisson(mu).astype(float)
    return rng.poisson(rng.gamma(1.0 / alpha, alpha * mu)).astype(float)


def _no_mle_message(found, y: NDArray, e: NDArray) -> str:
    direction, k = found
    d = unshift(direction, e)
    text = str(np.round(d / np.max(np.abs(d)), 4).tolist())
    return (
        f"the negative binomial MLE does not exist: X @ b is 0 for every positive count and negative for "
        f"{k} of the {int(np.sum(y == 0))} zero counts, with b = {text}. Along b the likelihood keeps "
        "increasing (for every alpha), the fitted means of those zero counts go to 0 and the coefficients "
        "diverge. Drop those observations or the predictors that isolate them (e.g. a group whose counts "
        "are all 0)."
    )


# --- the joint pass: Newton on (beta, log alpha) ------------------------------------------------------
@dataclass(frozen=True)
class JointPass:
    r"""One pass over ``rows`` at :math:`\theta = (\beta, \log\alpha)`: the log-likelihood, score and
    information on that scale, for :func:`~mle_tutorial._engine.optimize.newton`. Where minus the
    Hessian is not positive definite (far from the maximum) the information is the expected one of
    :math:`\beta` beside the outer product of the scores of :math:`\log\alpha` (a direction of
    ascent all the same)."""

    rows: InMemoryRows | DaskRows

    def __call__(self, theta: NDArray) -> dict:
        p = theta.size - 1
        with np.errstate(over="ignore"):
            alpha = float(np.exp(theta[p]))
        if not 0.0 < alpha < np.inf:
            return {"loglik": np.nan, "score": np.zeros(p + 1), "info": np.eye(p + 1)}
        s = self.rows.reduce(nb_stats, beta=theta[:p], alpha=alpha)
        g = s["score"].copy()
        g[p] *= alpha
        H = s["hessian"].copy()
        H[:p, p] *= alpha
        H[p, :p] *= alpha
        H[p, p] = alpha * alpha * H[p, p] + g[p]
        info = -H
        if not _positive_definite(info):
            info = np.zeros((p + 1, p + 1))
            info[:p, :p] = s["fisher"]
            info[p, p] = alpha * alpha * s["opg"] if s["opg"] > 0 else 1.0
        out = dict(s)
        out.update(score=g, info=info, hessian=H)
        return out


# --- the profile ---------------------------------------------------------------------------------------
@dataclass(eq=False)
class NBProfile:
    """Hold a parameter and refit the others from the estimate: ``alpha`` by Newton (IRLS) for
    beta in :class:`NegativeBinomialFamily`; a coefficient by the joint Newton on the other
    coefficients and log alpha."""

    rows: InMemoryRows | DaskRows
    beta_hat: NDArray
    alpha_hat: float

    def __call__(self, j: int, value: float) -> float:
        p = self.beta_hat.size
        if j == p:
            if not value > 0.0:
                return -np.inf
            fit = newton(GLMPass(self.rows, NegativeBinomialFamily(alpha=float(value))), self.beta_hat)
            return float(self.rows.reduce(_nb_loglik, beta=fit.beta, alpha=float(value))["loglik"])
        rows = self.rows.hold_column(j, value)
        start = np.append(np.delete(self.beta_hat, j), np.log(self.alpha_hat))
        return float(newton(JointPass(rows), start).loglik)


# --- the model ---------------------------------------------------------------------------------------
class NegativeBinomial(RowsRegression):
    r"""Negative binomial (NB2) regression on its data: parameters ``[beta..., alpha]``.

    .. math:: \ell_i = \log\frac{\Gamma(y_i + r)}{\Gamma(r)\,y_i!}
              + r\log\frac{r}{r + \mu_i} + y_i\log\frac{\mu_i}{r + \mu_i}, \qquad
              r = 1/\alpha,\quad \mu_i = e^{x_i^\top\beta + o_i}

    (the Poisson term at :math:`\alpha = 0`). Built by :func:`fit_negative_binomial`
    (``fit.model``), in memory or over Dask row chunks. The Poisson regression
    (:func:`~mle_tutorial.fit_poisson`) nests in it at :math:`\alpha = 0`, on the edge of the
    parameter space: ``nesting`` says so (``boundary=1``), and
    :func:`~mle_tutorial.likelihood_ratio_test` gives the :math:`\bar\chi^2` p-value.
    """

    name = "negative_binomial"
    reserved_names = ("alpha",)

    def __init__(self, rows, names: Sequence[str], key: str, *, options: dict | None = None, working=None):
        self.rows = rows
        self.names = tuple(names)
        self.key = key
        self.options = options
        self._cache_working = working

    @classmethod
    def from_data(cls, X, y, offset=None, *, names=None, options=None) -> NegativeBinomial:
        """Check the data as :func:`fit_negative_binomial` does and build the model."""
        family = NegativeBinomialFamily()
        chunks = as_rows(X, y, offset)
        if chunks is None:
            design = read_design(X, y, offset, model=family.title)
            bad = np.flatnonzero(family.invalid(design.y))
            if bad.size:
                raise ValueError(f"{family.rule}; y[{bad[0]}] = {design.y[bad[0]]:g}")
            message = family.boundary(design.y.size, family.successes(design.y))
            if message is not None:
                raise ValueError(message)
            n, p = design.X.shape
            _check_size(n, p)
            rows = InMemoryRows(design.X, design.y, check_offset(design.offset, n))
            key = data_key(rows.n, fingerprint_sum(design.y))
            names = (*coefficient_names(names, design.columns, p, reserved=cls.reserved_names), "alpha")
            return cls(rows, names, key, options=options)
        check_rows(chunks.n, chunks.p, "")
        _check_size(chunks.n, chunks.p)
        first = chunks.screen(screen_stats, labels=family.labels)
        if first["bad_label"]:
            raise ValueError(f"{family.rule}; {first['bad_label']} value(s) are not")
        message = family.boundary(chunks.n, first["ones"])
        if message is not None:
            raise ValueError(message)
        working = chunks.shifted(shifts(first["max_x"]))
        key = data_key(chunks.n, first["fingerprint"])
        names = (*coefficient_names(names, None, chunks.p, reserved=cls.reserved_names), "alpha")
        return cls(chunks, names, key, options=options, working=working)

    def _like(self, rows, key: str | None = None, names=None) -> NegativeBinomial:
        key = data_key(rows.n, fingerprint_sum(rows.y)) if key is None else key
        return NegativeBinomial(rows, self.names if names is None else names, key, options=self.options)

    @property
    def bounds(self):
        return (FREE,) * self.rows.p + (POSITIVE,)

    def working_rows(self):
        """The rows as Newton runs on them: columns far from 1 scaled by powers of two."""
        if self._cache_working is None:
            self._cache_working = InMemoryRows.scaled(
                self.rows.X, self.rows.y, self.rows.offset, scale_y=False
            )
        return self._cache_working

    def unscale(self) -> Unscale:
        w = self.working_rows()
        return Unscale((*(int(v) for v in (self.rows.x_shift - w.x_shift)), 0))

    def rescaled(self):
        w = self.working_rows()
        return NegativeBinomial(w, self.names, self.key, options=self.options, working=w), self.unscale()

    # the likelihood
    def _split(self, params) -> tuple[NDArray, float]:
        params = np.asarray(params, dtype=float)
        return params[: self.rows.p], float(params[self.rows.p])

    def _eta(self, beta):
        eta = self.rows.X @ beta
        return eta if self.rows.offset is None else eta + self.rows.offset

    def loglik_obs(self, params):
        self._memory("per-observation log-likelihoods")
        beta, alpha = self._split(params)
        return nb_terms(self._eta(beta), self.rows.y, alpha)["ll"]

    def loglik(self, params) -> float:
        beta, alpha = self._split(params)
        return float(self.rows.reduce(_nb_loglik, beta=beta, alpha=alpha)["loglik"])

    def score_obs(self, params):
        self._memory("per-observation scores")
        beta, alpha = self._split(params)
        return _score_rows(self.rows.X, self.rows.y, self.rows.offset, beta=beta, alpha=alpha)

    def score(self, params):
        beta, alpha = self._split(params)
        return self.rows.reduce(nb_stats, beta=beta, alpha=alpha, order=1)["score"]

    def hessian(self, params):
        beta, alpha = self._split(params)
        return self.rows.reduce(nb_stats, beta=beta, alpha=alpha)["hessian"]

    def information(self, params):
        r"""The information the score test uses: at :math:`\alpha = 0` (the Poisson inside the
        negative binomial) the expected information there, block diagonal with
        :math:`X^\top\mathrm{diag}(\mu_i)X` and :math:`\tfrac12\sum_i\mu_i^2`, which makes
        :func:`~mle_tutorial.score_test` the classic test of Cameron and Trivedi,
        :math:`\bigl(\sum_i[(y_i - \hat\mu_i)^2 - y_i]\bigr)^2 / (2\sum_i\hat\mu_i^2)`; the
        observed information :math:`-H` elsewhere. (The observed entry for :math:`\alpha` at 0
        holds :math:`\sum_i y_i(y_i - 1)(2y_i - 1)/6`, a cubic in the counts that a few large counts
        inflate: the test built on it is conservative.)"""
        beta, alpha = self._split(params)
        if alpha != 0.0:
            return -self.hessian(params)
        p = self.rows.p
        A = np.zeros((p + 1, p + 1))
        A[:p, :p] = self.rows.reduce(nb_stats, beta=beta, alpha=0.0)["fisher"]
        A[p, p] = 0.5 * float(self.rows.reduce(_overdispersion, beta=beta)["mu2"])
        return A

    def meat(self, params, groups=None):
        if self.rows.in_memory:
            return super().meat(params, groups)
        if groups is not None:
            raise ValueError(
                "cluster-robust covariance needs the scores in memory; for a fit over Dask row "
                "chunks use robust() without groups, or fit a sample in memory"
            )
        beta, alpha = self._split(params)
        return self.rows.reduce(_meat_chunk, beta=beta, alpha=alpha)["meat"], None

    # fitting
    def start(self):
        w = self.working_rows()
        beta = check_and_start(w, POISSON)
        return np.append(unshift(beta, np.asarray(self.unscale().exponents[:-1])), 1.0)

    def fit(self, start=None, *, method: str | None = None, options: dict | None = None) -> FitResult:
        if method not in (None, "Newton"):
            raise ValueError(
                f"fit_negative_binomial fits by Newton's method; method must be 'Newton', got {method!r}"
            )
        if start is not None:
            raise ValueError("fit_negative_binomial starts from the Poisson fit; it takes no start")
        return _fit(self, self.options if options is None else options)

    # the bootstrap
    def simulate(self, params, rng):
        self._memory("simulated outcomes")
        beta, alpha = self._split(params)
        y = draw_counts(np.exp(self._eta(beta)), alpha, rng)
        return self._like(InMemoryRows(self.rows.X, y, self.rows.offset))

    # nesting: the Poisson regression is alpha = 0
    def nesting(self, restricted) -> Nesting:
        if _is_poisson(restricted):
            self.check_same_data(restricted, same_family=False)
            return Nesting(self, restricted, boundary=1)
        return super().nesting(restricted)

    def embedding(self, restricted):
        if _is_poisson(restricted):
            C_beta = self.design_map(restricted)
            p, pr = C_beta.shape
            C = np.zeros((p + 1, pr))
            C[:p] = C_beta
            return C, np.zeros(p + 1)  # alpha = 0
        return super().embedding(restricted)


def _is_poisson(model) -> bool:
    """A Poisson regression of :func:`~mle_tutorial.fit_poisson` (known by its public name)."""
    return isinstance(model, RegressionLikelihood) and getattr(model, "name", None) == "poisson"


def _check_size(n: int, p: int) -> None:
    if n <= p + 1:
        raise ValueError(
            f"X has {n} rows but the negative binomial model has {p + 1} parameters ({p} coefficients and "
            "alpha); it needs more rows than parameters"
        )


# --- the fitter ----------------------------------------------------------------------------------------
def fit_negative_binomial(
    X: ArrayLike,
    y: ArrayLike,
    *,
    offset: ArrayLike | None = None,
    names: Sequence[str] | None = None,
    options: dict | None = None,
) -> FitResult:
    r"""Negative binomial (NB2) regression by maximum likelihood: counts with
    :math:`E[y_i] = \mu_i = e^{x_i^\top\beta + o_i}` and :math:`\mathrm{Var}(y_i) = \mu_i + \alpha\mu_i^2`.

    .. math:: \begin{aligned}
              \ell(\beta, \alpha) = \sum_{i=1}^n \Big[&\log\Gamma(y_i + r) - \log\Gamma(r)
              - \log y_i! \\
              &+ r\log\frac{r}{r + \mu_i} + y_i\log\frac{\mu_i}{r + \mu_i}\Big],
              \qquad r = 1/\alpha
              \end{aligned}

    Parameters
    ----------
    X : array_like or DataFrame, shape (n, p)
        Full design matrix (include a column of ones for an intercept), in memory or a Dask
        array. A DataFrame's columns name the coefficients.
    y : array_like or Series, shape (n,)
        Counts: non-negative integers (floats with integer values are fine), not all 0.
    offset : array_like, shape (n,), optional
        Known term added to :math:`\eta`, e.g. ``log(exposure)`` for rates.
    names : sequence of str, optional
        A name for each coefficient (default: the columns of a DataFrame ``X``, else ``beta[j]``);
        the last parameter is ``alpha``.
    options : dict, optional
        ``max_iter``, the most Newton iterations of each stage (default 100), and ``tol``, the
        Newton decrement at which Newton stops (default 1e-20).

    Returns
    -------
    FitResult
        ``params = [beta..., alpha]``, ``cov`` from the inverse of the joint observed information
        (analytic Hessian; on the :math:`\alpha` scale by the delta method from
        :math:`\log\alpha`), ``loglik`` (with :math:`-\sum\log y_i!`), a ``profile`` and ``model``
        (a :class:`NegativeBinomial`). R's ``MASS::glm.nb`` reports ``theta`` :math:`= 1/\alpha`
        and standard errors of :math:`\beta` from the expected information at fixed
        :math:`\theta`; these are from the joint observed information.

    Raises
    ------
    ValueError
        Bad ``X``/``y``/``offset`` (as :func:`~mle_tutorial.fit_poisson`), negative or non-integer
        counts, all counts 0, ``n <= p + 1``, a rank-deficient ``X``, a mean that overflows, or
        bad ``options``.
    PerfectSeparationError
        If the MLE does not exist: a combination ``X @ b`` is 0 for every positive count and
        negative for some zero counts (a group whose counts are all 0), as for the Poisson.

    Warns
    -----
    ConvergenceWarning
        If the counts are not overdispersed: the slope of the log-likelihood in :math:`\alpha` at
        :math:`\alpha = 0` and the Poisson fit, :math:`\tfrac12\sum_i[(y_i - \hat\mu_i)^2 - y_i]`, is
        not positive, so the likelihood is largest at :math:`\alpha = 0`, on the edge of the
        parameter space, where the model is the Poisson regression. The result then holds the
        Poisson estimates with ``alpha = 0``, the Poisson log-likelihood, the Poisson standard errors
        for :math:`\beta` and NaN for :math:`\alpha`, and ``converged=False``; use
        :func:`~mle_tutorial.fit_poisson`. Also if Newton does not converge, or
        :math:`\hat\alpha` runs off above ``1e8`` (the likelihood falls like
        :math:`-\log\alpha` per positive count as :math:`\alpha \to \infty`, so that is a failure).
    HessianWarning
        If the Hessian at the estimate is not negative definite (standard errors NaN).

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(3)
    >>> X = np.column_stack([np.ones(500), rng.normal(size=500)])
    >>> mu = np.exp(X @ [0.5, 0.4])
    >>> y = rng.poisson(rng.gamma(2.0, mu / 2.0))  # alpha = 1/2
    >>> fit = fit_negative_binomial(X, y)
    >>> fit.param_names
    ('beta[0]', 'beta[1]', 'alpha')
    >>> fit.params.round(3)
    array([0.47 , 0.381, 0.497])
    """
    return NegativeBinomial.from_data(X, y, offset, names=names, options=options).fit()


def _overflow_message(where: str) -> str:
    return (
        f"the fitted mean exp(X @ beta + offset) overflows {where} (exp overflows above 709); an offset "
        "is added to the log of the mean, so it is a log-exposure (np.log(exposure)), not an exposure"
    )


def _fit(model: NegativeBinomial, options: dict | None) -> FitResult:
    opts = check_options(options, COMMON_OPTIONS, "fit_negative_binomial")
    max_iter, tol = opts.get("max_iter", 100), opts.get("tol", 1e-20)
    rows = model.working_rows()
    e = -rows.x_shift
    extra = "" if rows.in_memory else f" over {rows.description}"
    # 1. the Poisson fit: the start, the existence of the MLE, and the slope at alpha = 0
    start = check_and_start(rows, POISSON)
    try:
        pois = newton(GLMPass(rows, POISSON), start, max_iter, tol)
    except StartNotFinite as exc:
        raise ValueError(_overflow_message("at the start")) from exc
    if POISSON.overflows(pois.stats):
        raise ValueError(_overflow_message("at the Poisson estimate"))
    hint = ""
    if POISSON.suspect(pois.stats, not pois.converged or pois.diverging):
        if rows.in_memory:
            found = poisson_divergence(rows.X, rows.y)
            if found is not None:
                raise PerfectSeparationError(_no_mle_message(found, rows.y, e))
        else:
            hint = NegativeBinomialFamily().no_mle_hint()
    over = rows.reduce(_overdispersion, beta=pois.beta)
    if not over["slope"] > 0.0:
        return _boundary_fit(model, rows, pois, over["slope"], extra)
    # 2. beta at a first alpha (the one-step estimate from alpha = 0), in the GLM family
    alpha0 = 2.0 * over["slope"] / over["mu2"]
    first = newton(GLMPass(rows, NegativeBinomialFamily(alpha=alpha0)), pois.beta, max_iter, 1e-8)
    # 3. Newton on (beta, log alpha) to the joint maximum
    joint = newton(JointPass(rows), np.append(first.beta, np.log(alpha0)), max_iter, tol)
    p = rows.p
    beta = joint.beta[:p].copy()
    alpha = float(np.exp(joint.beta[p]))
    converged = joint.converged and not hint
    message = (
        f"Newton (IRLS) for the Poisson start, then Newton on (beta, log alpha): {joint.n_iter} "
        f"iteration(s){extra}"
    )
    failure = None
    if alpha > ALPHA_RUNOFF:
        converged = False
        message += (
            f". The estimate of alpha ran off to {alpha:.3g}: the likelihood falls as alpha grows (like "
            "-log alpha per positive count), so this is a numerical failure, not a maximum"
        )
    if not converged:
        failure = (
            f"fit_negative_binomial did not converge in {joint.n_iter} iterations{extra}{hint}; "
            "the estimates may be inaccurate"
        )
        if alpha > ALPHA_RUNOFF:
            failure += f" (alpha ran off to {alpha:.3g})"
    hessian = joint.stats["hessian"]
    cov, problem = covariance.from_hessian(-hessian, np.diag(np.append(np.ones(p), alpha)))
    est = Estimate(
        params=np.append(beta, alpha),
        loglik=joint.loglik,
        converged=converged,
        n_iter=pois.n_iter + first.n_iter + joint.n_iter,
        method="Newton",
        message=message,
        cov=cov,
        problem=problem,
        profile=NBProfile(rows, beta, alpha),
        beta=beta,
        failure=failure,
        unscale=model.unscale(),
    )
    return finish(model, est)


def _boundary_fit(model: NegativeBinomial, rows, pois, slope: float, extra: str) -> FitResult:
    """The MLE on the edge, alpha = 0: the Poisson fit, flagged."""
    beta = pois.beta.copy()
    p = rows.p
    cov_beta, problem = covariance.from_information(
        pois.info, lambda: rows.reduce(weighted_r_block, combine=tsqr_combine, beta=beta, family=POISSON)
    )
    cov = np.full((p + 1, p + 1), np.nan)
    cov[:p, :p] = cov_beta
    failure = (
        "fit_negative_binomial: the counts are not overdispersed: at the Poisson fit the slope of the "
        f"log-likelihood in alpha at alpha = 0, (1/2) sum[(y - mu)^2 - y], is {slope:.4g}, not positive, "
        "so the likelihood is largest at alpha = 0, on the edge of the parameter space, where the negative "
        "binomial is the Poisson regression. The result holds the Poisson estimates with alpha = 0 (its "
        "standard error NaN); use fit_poisson"
    )
    est = Estimate(
        params=np.append(beta, 0.0),
        loglik=exact_loglik(rows, POISSON, pois),
        converged=False,
        n_iter=pois.n_iter,
        method="Newton",
        message=f"Newton (IRLS) for the Poisson fit{extra}; alpha-hat = 0, on the boundary",
        cov=cov,
        problem=problem,
        profile=None,
        beta=beta,
        failure=failure,
        unscale=model.unscale(),
    )
    return finish(model, est)
