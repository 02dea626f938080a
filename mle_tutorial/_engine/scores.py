r"""Per-observation scores: what each observation adds to the gradient of the log-likelihood.

For independent observations :math:`\ell(\theta) = \sum_i \ell_i(\theta)`, and the score is the
sum of the per-observation scores :math:`s_i = \nabla\ell_i`. Their sum of outer products
:math:`B = \sum_i s_i s_i^\top` is the "meat" of the sandwich covariance
:math:`H^{-1} B H^{-1}` (Huber 1967, White 1982), and with the information it gives the score
test. A likelihood's :class:`Scores` object knows the data of a fit (not its estimate): called
with the parameters on the scale the fit reports (σ and ν themselves, via the Jacobian of
:math:`\sigma = e^\tau`, :math:`\nu = e^\omega`), it gives

* ``matrix(params)``: the n x k matrix of the :math:`s_i` (in memory only);
* ``meat(params, groups)``: :math:`\sum_i s_i s_i^\top`, or with ``groups`` the cluster sum
  :math:`\sum_g (\sum_{i\in g} s_i)(\sum_{i\in g} s_i)^\top`; over Dask row chunks a per-chunk
  sum, one extra pass;
* ``information(params)``: the information the score test uses (expected for
  normal and Student-t errors, :math:`X^\top W X` for a GLM, observed for :func:`fit_mle`).

They are picklable dataclasses, compared by value like the profiles.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from . import lazy, numdiff
from .families import Family, glm_stats
from .scale import unshift, unshift_cov


# --- per-observation score rows of each likelihood, one chunk at a time -----------------------------
def normal_score_rows(X: NDArray, y: NDArray, offset, *, beta: NDArray, sigma: float) -> NDArray:
    r"""Normal linear model on :math:`(\beta, \sigma)`: :math:`x_i\varepsilon_i/\sigma^2` and
    :math:`-1/\sigma + \varepsilon_i^2/\sigma^3`."""
    e = y - X @ beta
    return np.column_stack([X * (e / sigma**2)[:, None], e * e / sigma**3 - 1.0 / sigma])


def glm_score_rows(X: NDArray, y: NDArray, offset, *, beta: NDArray, family: Family) -> NDArray:
    r"""Canonical-link GLM: :math:`x_i (y_i - \mu_i)`."""
    eta = X @ beta if offset is None else X @ beta + offset
    _, mu, _ = family.block(eta, y)
    return X * (y - mu)[:, None]


def t_score_rows(X: NDArray, y: NDArray, offset, *, params: NDArray, df: float | None) -> NDArray:
    r"""Student-t errors on :math:`(\beta, \sigma[, \nu])` (the per-observation terms of
    :func:`~mle_tutorial._engine.families.t_nll_gradient`, divided by σ and ν for their scale)."""
    p = X.shape[1]
    beta, sigma = params[:p], float(params[p])
    nu = float(params[p + 1]) if df is None else df
    z = (y - X @ beta) / sigma
    s = z * z
    w = (nu + 1.0) / (nu + s)
    cols = [X * (w * z / sigma)[:, None], ((w * s - 1.0) / sigma)[:, None]]
    if df is None:
        digammas = lazy.special.digamma(0.5 * (nu + 1.0)) - lazy.special.digamma(0.5 * nu)
        d_nu = 0.5 * (digammas - 1.0 / nu) + 0.5 * w * s / nu - 0.5 * np.log1p(s / nu)
        cols.append(d_nu[:, None])
    return np.hstack(cols)


def meat_of(X: NDArray, y: NDArray, offset, *, score_rows: Callable, **kwargs) -> dict:
    """One chunk's :math:`S^\\top S` (summed over chunks by :func:`~mle_tutorial._engine.rows.add`)."""
    S = score_rows(X, y, offset, **kwargs)
    return {"meat": S.T @ S}


def total_of(X: NDArray, y: NDArray, offset, *, score_rows: Callable, **kwargs) -> dict:
    """One chunk's score total and its meat."""
    S = score_rows(X, y, offset, **kwargs)
    return {"score": S.sum(axis=0), "meat": S.T @ S}


def cluster_meat(S: NDArray, groups: NDArray) -> tuple[NDArray, int]:
    r""":math:`\sum_g (\sum_{i\in g} s_i)(\sum_{i\in g} s_i)^\top` and the number of clusters."""
    _, index = np.unique(groups, return_inverse=True)
    sums = np.zeros((int(index.max()) + 1, S.shape[1]))
    np.add.at(sums, index.ravel(), S)
    return sums.T @ sums, sums.shape[0]


def check_groups(groups, n: int) -> NDArray:
    """Cluster labels: one per observation, hashable and comparable (numbers or strings)."""
    try:
        g = np.asarray(groups)
    except Exception as exc:  # ragged input
        raise ValueError(f"groups could not be read as an array: {exc}") from exc
    if g.ndim != 1 or g.shape[0] != n:
        raise ValueError(f"groups must be 1-D with one label per observation ({n}), got shape {g.shape}")
    if g.dtype.kind == "f" and not np.all(np.isfinite(g)):
        raise ValueError("groups contains NaN or infinite labels")
    if g.dtype == object:
        try:
            g = g.astype(str)
        except (TypeError, ValueError) as exc:
            raise ValueError(f"groups must hold numbers or strings: {exc}") from exc
    if np.unique(g).size < 2:
        raise ValueError("groups must have at least two clusters")
    return g


# --- the score sources of the fitters ---------------------------------------------------------
class Scores:
    """Base: ``meat`` from ``matrix`` in memory, from a per-chunk pass over Dask rows."""

    def _over_chunks(self) -> bool:
        rows = getattr(self, "rows", None)
        return rows is not None and not rows.in_memory

    def _row_kwargs(self, params: NDArray) -> tuple[Callable, dict]:  # pragma: no cover - abstract
        raise NotImplementedError

    def matrix(self, params: NDArray) -> NDArray:
        if self._over_chunks():
            raise ValueError("the per-observation scores of a fit over Dask row chunks stay in their chunks")
        fn, kwargs = self._row_kwargs(params)
        X, y, offset = self._arrays()
        return fn(X, y, offset, **kwargs)

    def _arrays(self):
        return self.rows.X, self.rows.y, self.rows.offset

    def meat(self, params: NDArray, groups=None) -> tuple[NDArray, int | None]:
        """``(B, number of clusters or None)``."""
        if self._over_chunks():
            if groups is not None:
                raise ValueError(
                    "cluster-robust covariance needs the scores in memory; for a fit over Dask row "
                    "chunks use robust() without groups, or fit a sample in memory"
                )
            fn, kwargs = self._row_kwargs(params)
            return self.rows.reduce(meat_of, score_rows=fn, **kwargs)["meat"], None
        S = self.matrix(params)
        if groups is None:
            return S.T @ S, None
        return cluster_meat(S, check_groups(groups, S.shape[0]))

    def total(self, params: NDArray) -> tuple[NDArray, NDArray]:
        """``(sum of the scores, meat)`` in one pass."""
        if self._over_chunks():
            fn, kwargs = self._row_kwargs(params)
            out = self.rows.reduce(total_of, score_rows=fn, **kwargs)
            return out["score"], out["meat"]
        S = self.matrix(params)
        return S.sum(axis=0), S.T @ S


@dataclass(eq=False)
class NormalScores(Scores):
    """The normal linear model, in memory or over Dask chunks; params ``[beta..., sigma]``."""

    rows: object

    def _row_kwargs(self, params):
        p = self.rows.p
        return normal_score_rows, {"beta": np.asarray(params[:p]), "sigma": float(params[p])}

    def information(self, params: NDArray) -> NDArray:
        r"""Expected information: :math:`X^\top X/\sigma^2` and :math:`2n/\sigma^2`, block diagonal."""
        p, sigma = self.rows.p, float(params[self.rows.p])
        if self.rows.in_memory:
            xtx = self.rows.X.T @ self.rows.X
        else:
            xtx = self.rows.reduce(_xtx)["xtx"]
        info = np.zeros((p + 1, p + 1))
        info[:p, :p] = xtx / sigma**2
        info[p, p] = 2.0 * self.rows.n / sigma**2
        return info


def _xtx(X, y, offset):
    return {"xtx": X.T @ X}


@dataclass(eq=False)
class GLMScores(Scores):
    """A canonical-link GLM, in memory or over Dask chunks; params ``beta``."""

    rows: object
    family: Family

    def _row_kwargs(self, params):
        return glm_score_rows, {"beta": np.asarray(params, dtype=float), "family": self.family}

    def information(self, params: NDArray) -> NDArray:
        r""":math:`X^\top W X` (observed = expected for a canonical link)."""
        return self.rows.reduce(glm_stats, beta=np.asarray(params, dtype=float), family=self.family)["info"]

    def bread(self, params: NDArray, cov: NDArray) -> NDArray:
        """:math:`(X^\top W X)^{-1}` at ``params`` itself (Newton keeps the information of the
        previous iterate, a relative O(1e-7) away), from the fit's ``cov`` if it is not finite."""
        try:
            factor = lazy.linalg.cho_factor(self.information(params), check_finite=True)
        except (np.linalg.LinAlgError, ValueError):
            return cov
        return lazy.linalg.cho_solve(factor, np.eye(len(params)))


@dataclass(eq=False)
class TScores(Scores):
    """Student-t errors (in memory); params ``[beta..., sigma]`` (``df`` fixed) or ``[..., nu]``."""

    X: NDArray
    y: NDArray
    df: float | None

    def _arrays(self):
        return self.X, self.y, None

    def _row_kwargs(self, params):
        return t_score_rows, {"params": np.asarray(params, dtype=float), "df": self.df}

    def information(self, params: NDArray) -> NDArray:
        r"""Expected information on the reported scale (Lange, Little and Taylor 1989):
        :math:`\frac{\nu+1}{(\nu+3)\sigma^2}X^\top X` for β, :math:`\frac{2n\nu}{(\nu+3)\sigma^2}`
        for σ, and for ν (when estimated) :math:`\frac n4[\psi'(\frac\nu2) - \psi'(\frac{\nu+1}2)]
        - \frac{n(\nu+5)}{2\nu(\nu+1)(\nu+3)}` and :math:`-\frac{2n}{\sigma(\nu+1)(\nu+3)}` with σ.
        Positive definite everywhere, unlike the observed information of a t likelihood away from
        its maximum (as at a restricted estimate)."""
        n, p = self.X.shape
        params = np.asarray(params, dtype=float)
        sigma = float(params[p])
        nu = float(params[p + 1]) if self.df is None else self.df
        k = p + 1 if self.df is not None else p + 2
        info = np.zeros((k, k))
        info[:p, :p] = (nu + 1.0) / ((nu + 3.0) * sigma**2) * (self.X.T @ self.X)
        info[p, p] = 2.0 * n * nu / ((nu + 3.0) * sigma**2)
        if self.df is None:
            trigammas = lazy.special.polygamma(1, 0.5 * nu) - lazy.special.polygamma(1, 0.5 * (nu + 1.0))
            info[p + 1, p + 1] = 0.25 * n * trigammas - n * (nu + 5.0) / (2.0 * nu * (nu + 1.0) * (nu + 3.0))
            info[p, p + 1] = info[p + 1, p] = -2.0 * n / (sigma * (nu + 1.0) * (nu + 3.0))
        return info


@dataclass(eq=False)
class NonlinearScores(Scores):
    """Nonlinear regression with normal errors; params ``[beta..., sigma]``."""

    mean: Callable
    mean_jacobian: Callable
    y: NDArray

    def matrix(self, params: NDArray) -> NDArray:
        params = np.asarray(params, dtype=float)
        beta, sigma = params[:-1], float(params[-1])
        r = self.y - self.mean(beta)
        J = self.mean_jacobian(beta)
        return np.column_stack([J * (r / sigma**2)[:, None], r * r / sigma**3 - 1.0 / sigma])

    def information(self, params: NDArray) -> NDArray:
        params = np.asarray(params, dtype=float)
        J, sigma, n = self.mean_jacobian(params[:-1]), float(params[-1]), self.y.shape[0]
        p = J.shape[1]
        info = np.zeros((p + 1, p + 1))
        info[:p, :p] = J.T @ J / sigma**2
        info[p, p] = 2.0 * n / sigma**2
        return info


@dataclass(eq=False)
class MLEScores(Scores):
    """:func:`~mle_tutorial.fit_mle` with ``loglik_obs``: the user's per-observation
    log-likelihood contributions, differentiated numerically (or ``score_obs`` if given)."""

    loglik_obs: Callable
    args: tuple
    score_obs: Callable | None
    objective: object  # the fit's Objective, for the observed information

    def contributions(self, theta: NDArray) -> NDArray:
        return np.asarray(self.loglik_obs(theta, *self.args), dtype=float).reshape(-1)

    def matrix(self, params: NDArray) -> NDArray:
        theta = np.asarray(params, dtype=float)
        if self.score_obs is not None:
            return np.asarray(self.score_obs(theta, *self.args), dtype=float)
        floor = np.maximum(np.abs(theta), 1.0)
        return numdiff.jacobian(_Contributions(self), theta, floor)

    def information(self, params: NDArray) -> NDArray:
        return self.objective.hessian(np.asarray(params, dtype=float))


@dataclass(frozen=True)
class _Contributions:
    scores: MLEScores

    def __call__(self, theta: NDArray) -> NDArray:
        return self.scores.contributions(theta)


def sandwich(cov: NDArray, meat: NDArray) -> NDArray:
    r""":math:`C B C` with :math:`C` the model-based covariance (the inverse information on the
    reported scale) and :math:`B` the meat: the sandwich :math:`H^{-1} B H^{-1}`."""
    out = cov @ meat @ cov
    return 0.5 * (out + out.T)


def check_observations(loglik_obs, score_obs, args: tuple, objective, start: NDArray, f0: float) -> MLEScores:
    """The :class:`MLEScores` of :func:`~mle_tutorial.fit_mle`, checked at ``start``."""
    if loglik_obs is None:
        raise ValueError("score_obs needs loglik_obs too (the per-observation log-likelihood contributions)")
    for name, fn in (("loglik_obs", loglik_obs), ("score_obs", score_obs)):
        if fn is not None and not callable(fn):
            raise ValueError(f"{name} must be a function f(theta, *args), got {type(fn).__name__}")
    scores = MLEScores(loglik_obs, args, score_obs, objective)
    try:
        contributions = scores.contributions(start)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"loglik_obs(start) must return an array of numbers: {exc}") from exc
    if contributions.size < 2 or not np.all(np.isfinite(contributions)):
        raise ValueError("loglik_obs(start) must return n >= 2 finite log-likelihood contributions")
    total = float(np.sum(contributions))
    if not abs(total + f0) <= 1e-8 * max(1.0, abs(f0)):
        raise ValueError(
            f"loglik_obs(start) sums to {total:.10g}, but negative_log_likelihood(start) is {f0:.10g}: "
            "the contributions must sum to minus the negative log-likelihood"
        )
    if score_obs is not None:
        S = np.asarray(score_obs(start, *args), dtype=float)
        if S.shape != (contributions.size, start.size):
            raise ValueError(
                f"score_obs(start) must have shape (n, k) = {(contributions.size, start.size)}, got {S.shape}"
            )
    return scores


@dataclass(eq=False)
class ScaledScores:
    """The scores of a fit made on data scaled by powers of two (see
    :mod:`~mle_tutorial._engine.scale`), on the scale of the reported parameters: parameter ``j``
    was multiplied by ``2**exponents[j]``, so its score is divided by it, exactly. ``cov`` is
    the fit's covariance on the scaled data (the reported one may have under- or overflowed)."""

    inner: object
    exponents: tuple
    cov: NDArray | None = None

    def _down(self, params):
        return np.ldexp(np.asarray(params, dtype=float), -np.asarray(self.exponents, dtype=np.int64))

    def _per(self):
        return np.ldexp(1.0, -np.asarray(self.exponents, dtype=np.int64))

    def matrix(self, params):
        return self.inner.matrix(self._down(params)) * self._per()

    def meat(self, params, groups=None):
        meat, clusters = self.inner.meat(self._down(params), groups)
        d = self._per()
        return meat * np.outer(d, d), clusters

    def total(self, params):
        g, meat = self.inner.total(self._down(params))
        d = self._per()
        return g * d, meat * np.outer(d, d)

    def information(self, params):
        d = self._per()
        return self.inner.information(self._down(params)) * np.outer(d, d)

    def bread(self, params, cov):
        if not hasattr(self.inner, "bread"):
            return cov
        d = self._per()
        return self.inner.bread(self._down(params), cov * np.outer(d, d)) / np.outer(d, d)


def robust_cov(scores, params: NDArray, cov: NDArray, groups=None) -> tuple[NDArray, NDArray]:
    """The sandwich covariance and its standard errors. A fit made on data scaled by powers of two
    gets its sandwich on that scale, scaled back exactly at the end (as
    :func:`~mle_tutorial._engine.finish.finish` scales the covariance), so that nothing
    overflows on the way; NaN where the model-based covariance is (an exact fit, nu run off)."""
    if isinstance(scores, ScaledScores):
        e = np.asarray(scores.exponents, dtype=np.int64)
        bread = scores.cov if scores.cov is not None else unshift_cov(cov, -e)
        out, se = robust_cov(scores.inner, scores._down(params), bread, groups)
        return unshift_cov(out, e), unshift(se, e)
    out = np.full_like(cov, np.nan)
    ok = np.isfinite(np.diag(cov))
    if np.any(ok):  # none for an exact fit (sigma-hat = 0): the sandwich is NaN too
        meat, _ = scores.meat(params, groups)
        bread = scores.bread(params, cov) if hasattr(scores, "bread") and np.all(ok) else cov
        out[np.ix_(ok, ok)] = sandwich(bread[np.ix_(ok, ok)], meat[np.ix_(ok, ok)])
    with np.errstate(invalid="ignore"):
        return out, np.sqrt(np.diag(out))
