r"""Finite mixtures of normals, fitted by the EM algorithm.

Each observation comes from one of :math:`m` unseen groups, group :math:`j` with probability
:math:`w_j` and distribution :math:`N(\mu_j, \sigma_j^2)`:

.. math:: f(x) = \sum_{j=1}^m w_j\,f(x; \mu_j, \sigma_j), \qquad
          \ell(\theta) = \sum_{i=1}^n \log\sum_{j=1}^m w_j\,f(x_i; \mu_j, \sigma_j).

Had we seen the groups, the MLE would be each group's share, mean and (1/n) standard deviation.
The EM algorithm (Dempster, Laird and Rubin, 1977) fills in what is missing with its
conditional expectation: the **E step** (:func:`em_e_step`) computes the responsibilities
:math:`r_{ij} = P(\text{group } j \mid x_i)` at the current parameters, the **M step**
(:func:`em_m_step`) computes the shares, means and standard deviations weighted by them. Each
iteration never lowers :math:`\ell`.

Two warnings come with mixtures. The likelihood has local maxima, so
:func:`fit_normal_mixture` runs EM (accelerated by SQUAREM and Newton steps) from several
starts, and takes the highest maximum without a narrow component (see its docstring: "which
maximum"). And it is unbounded: a component sitting on one observation with
:math:`\sigma_j \to 0` sends :math:`\ell \to \infty`. That degenerate solution is detected and
discarded, never returned.

The model is :class:`NormalMixture`. EM never lowers :math:`\ell`: :func:`run_many` checks that at
every iteration and raises ``AssertionError`` if it happens by more than rounding (it would be a
bug). A start whose component collapses (:math:`\sigma_j` below :data:`SD_COLLAPSE` times the
spread of the data, or less than one observation's worth of weight) is stopped and reported;
the fit never returns it.

Standard errors come from the observed information in the unconstrained coordinates
:math:`\theta = (\alpha_2, \dots, \alpha_m, \mu_1, \dots, \mu_m, \log\sigma_1, \dots, \log\sigma_m)`
(:math:`w = \mathrm{softmax}(0, \alpha)`), by the analytic Hessian of :func:`nll_hessian`
(:math:`\nabla^2\ell = \sum_i\{\mathrm{E}_{r_i}[\nabla^2 a_{ij} + \nabla a_{ij}\nabla a_{ij}^\top]
- \mathrm{E}_{r_i}[\nabla a_{ij}]\,\mathrm{E}_{r_i}[\nabla a_{ij}]^\top\}` with
:math:`a_{ij} = \log w_j + \logf(x_i; \mu_j, \sigma_j)`), carried to
:math:`(w_j, \mu_j, \sigma_j)` by the delta method.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ._engine import covariance, lazy
from ._engine.checks import align, as_float_array, coefficient_names, positive_int
from ._engine.optimize import COMMON_OPTIONS, check_options
from ._engine.rows import data_key, fingerprint_sum
from ._engine.sandwich import meat_of, robust_from
from ._engine.scale import Unscale
from .fitting import FREE, POSITIVE, Estimate, finish
from .model import Likelihood, Nesting
from .result import FitResult

__all__ = ["NOT_CHI_SQUARE", "NormalMixture", "em_e_step", "em_m_step", "fit_normal_mixture"]

_HALF_LOG_2PI = 0.5 * np.log(2.0 * np.pi)

#: A component whose sigma falls below this times the standard deviation of the data has
#: collapsed onto a point: the likelihood is unbounded there, and the start is abandoned.
SD_COLLAPSE = 1e-6

#: EM may lower the log-likelihood by no more than this times sum_i |log f(x_i)| (rounding).
MONOTONE_SLACK = 1e-12

KINDS = ("weight", "mu", "sigma")

#: The methods of :func:`fit_normal_mixture`: EM accelerated by SQUAREM and Newton steps (the
#: default), or plain EM.
METHODS = ("SQUAREM", "EM")


# --- the likelihood, and the two steps --------------------------------------------------------------
def log_joint(x: NDArray, weights: NDArray, means: NDArray, sds: NDArray) -> NDArray:
    r""":math:`a_{ji} = \log w_j + \logf(x_i; \mu_j, \sigma_j)`, shape (m, n): one row per
    component, so that the sums over components run down contiguous rows."""
    z = (x - means[:, None]) / sds[:, None]
    with np.errstate(over="ignore"):  # z * z = inf far from a narrow component: density 0, a = -inf
        return (np.log(weights) - np.log(sds) - _HALF_LOG_2PI)[:, None] - 0.5 * z * z


def e_step(x: NDArray, weights: NDArray, means: NDArray, sds: NDArray) -> tuple[NDArray, NDArray]:
    r"""Responsibilities, shape (m, n), and each observation's log-likelihood
    :math:`\log f(x_i)`, shape (n,)."""
    a = log_joint(x, weights, means, sds)
    top = a.max(axis=0)
    a -= top
    log_f = top + np.log(np.sum(np.exp(a), axis=0))
    return np.exp(a - (log_f - top)), log_f


def m_step(x: NDArray, resp: NDArray) -> tuple[NDArray, NDArray, NDArray]:
    """Weights, means and standard deviations that maximize the expected complete-data
    log-likelihood given the responsibilities (m, n) (a component with no weight gives NaN);
    responsibilities (S, m, n) of S parameter sets at once give (S, m) each."""
    nk = resp.sum(axis=-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        means = (resp @ x) / nk
        d = x - means[..., None]
        var = np.sum(resp * d * d, axis=-1) / nk
    return nk / x.shape[0], means, np.sqrt(var)


# --- EM from many starts at once --------------------------------------------------------------------
@dataclass(frozen=True)
class Run:
    """Where EM from one start ended: the parameters (sorted by mean unless collapsed), the
    log-likelihood, iterations, whether the stopping rule passed, and the collapsed component
    (its index and where it collapsed) if one did."""

    weights: NDArray
    means: NDArray
    sds: NDArray
    loglik: float
    n_iter: int
    converged: bool
    collapsed: int | None = None
    point: float | None = None


def _e(x: NDArray, w: NDArray, mu: NDArray, sd: NDArray) -> tuple[NDArray, NDArray, NDArray]:
    """The E step of :func:`run_many` for S parameter sets at once (``w``, ``mu``, ``sd`` of shape
    (S, m)): responsibilities (S, m, n), each observation's log-likelihood (S, n) and their sums
    (S,), as :func:`e_step` computes them for one."""
    z = (x - mu[..., None]) / sd[..., None]
    a = (np.log(w) - np.log(sd) - _HALF_LOG_2PI)[..., None] - 0.5 * z * z
    top = np.maximum.reduce(a, axis=1)
    e = np.exp(a - top[:, None])
    total = np.add.reduce(e, axis=1)
    log_f = top + np.log(total)
    return e / total[:, None], log_f, np.add.reduce(log_f, axis=1)


def _pack_many(w: NDArray, mu: NDArray, sd: NDArray) -> NDArray:
    """:func:`pack` of S parameter sets (rows)."""
    return np.concatenate([np.log(w[:, 1:] / w[:, :1]), mu, np.log(sd)], axis=1)


def _unpack_many(theta: NDArray, m: int) -> tuple[NDArray, NDArray, NDArray]:
    """:func:`unpack` of S parameter sets (rows)."""
    alpha = np.concatenate([np.zeros((theta.shape[0], 1)), theta[:, : m - 1]], axis=1)
    w = np.exp(alpha - np.max(alpha, axis=1, keepdims=True))
    return w / np.sum(w, axis=1, keepdims=True), theta[:, m - 1 : 2 * m - 1], np.exp(theta[:, 2 * m - 1 :])


def run(
    x: NDArray, weights: NDArray, means: NDArray, sds: NDArray, *, max_iter: int, tol: float, floor: float,
    accelerate: bool = True,
) -> Run:  # fmt: skip
    """EM from one start (weights, means, sds of shape (m,)): :func:`run_many` with one row."""
    return run_many(
        x,
        weights[None],
        means[None],
        sds[None],
        max_iter=max_iter,
        tol=tol,
        floor=floor,
        accelerate=accelerate,
    )[0]


def run_many(
    x: NDArray, weights: NDArray, means: NDArray, sds: NDArray, *, max_iter: int, tol: float, floor: float,
    accelerate: bool = True,
) -> list[Run]:  # fmt: skip
    """EM from S starts at once (the rows of ``weights``, ``means``, ``sds``, shape (S, m)), each
    until an EM step moves its parameters by at most ``tol`` (weights absolutely, means and
    sigmas relative to sigma) and its log-likelihood by at most ``tol`` relative, for at most
    ``max_iter`` EM steps (each an E and an M step); a start is stopped early if a component
    collapses (sigma <= ``floor`` or less than one observation's weight). One :class:`Run` per
    start, in order.

    The starts are independent: each row follows the path it would alone, and a row that stops
    leaves the batch. Running them together makes every E and M step one array operation over all
    the rows still running, so the cost of a step (on small data, the overhead of the NumPy calls)
    is shared by the starts.

    With ``accelerate`` (the default) the steps are grouped in cycles. SQUAREM (Varadhan and
    Roland, 2008, scheme S3): from :math:`\\theta_0`, two EM steps give
    :math:`\\theta_1, \\theta_2`, :math:`r = \\theta_1 - \\theta_0`,
    :math:`v = \\theta_2 - 2\\theta_1 + \\theta_0`, :math:`\\alpha = \\min(-\\|r\\|/\\|v\\|, -1)`,
    and one more EM step from :math:`\\theta_0 - 2\\alpha r + \\alpha^2 v` (in the unconstrained
    coordinates of :func:`pack`, so every point is a valid mixture). Newton: where the second EM
    step moved the parameters by less than :data:`NEWTON_NEAR` (EM's slow linear end) and the
    observed information at :math:`\\theta_2` is positive definite, Newton's step from
    :math:`\\theta_2` (:func:`_newton_many`). The cycle ends at the highest of :math:`\\theta_2`,
    SQUAREM's point and Newton's, each taken only if its log-likelihood is at least
    :math:`\\ell(\\theta_2)` and no component collapses there. So :math:`\\ell` never falls from
    one cycle to the next, and every plain EM step is checked (``AssertionError`` if it lowers
    :math:`\\ell` by more than rounding: EM never does). The stopping rule is EM's own, at every
    plain EM step: it moved nothing by more than ``tol``."""
    n, m = x.shape[0], weights.shape[1]
    out: list[Run | None] = [None] * weights.shape[0]

    def em(state, checked):
        """One EM step from every row of ``state`` (w, mu, sd, resp, log_f, ll: parameters with their
        E step done): the new state, the rows that collapsed, the components that did, the rows
        whose stopping rule passed, and how far each row moved."""
        w, mu, sd, resp, _, ll = state
        new_w, new_mu, new_sd = m_step(x, resp)
        bad = ~(new_sd > floor) | ~(new_w * n >= 1.0)
        collapsed = np.any(bad, axis=1)
        new = (new_w, new_mu, new_sd, *_e(x, new_w, new_mu, new_sd))
        new_ll = new[5]
        if checked is not None:
            slack = MONOTONE_SLACK * np.add.reduce(np.abs(new[4]), axis=1)
            low = checked & ~collapsed & ~(new_ll >= ll - slack)
            if np.any(low):
                i = int(np.flatnonzero(low)[0])
                raise AssertionError(
                    f"EM lowered the log-likelihood from {ll[i]!r} to {new_ll[i]!r} at iteration "
                    f"{steps[i]}, by more than rounding: EM never does that, so this is a bug"
                )
        change = np.maximum.reduce(
            np.concatenate(
                [np.abs(new_w - w), np.abs(new_mu - mu) / new_sd, np.abs(new_sd - sd) / new_sd], axis=1
            ),
            axis=1,
        )
        done = ~collapsed & (change <= tol) & (new_ll - ll <= tol * np.abs(new_ll))
        return new, collapsed, bad, done, change

    def settle(before, new, collapsed, bad, done, among):
        """Record the rows (of those in ``among``) whose step from ``before`` to ``new`` collapsed or
        passed the stopping rule; None if there are none, else the mask of the rows that go on."""
        stopped = among & (collapsed | done)
        if not np.any(stopped):
            return None
        for i in np.flatnonzero(stopped):
            if collapsed[i]:
                j = int(np.flatnonzero(bad[i])[0])
                mu_j = new[1][i, j]
                point = float(mu_j) if np.isfinite(mu_j) else float(before[1][i, j])
                out[rows[i]] = Run(new[0][i], new[1][i], new[2][i], np.inf, int(steps[i]), False, j, point)
            else:
                out[rows[i]] = _sorted(
                    Run(new[0][i], new[1][i], new[2][i], float(new[5][i]), int(steps[i]), True)
                )
        return ~stopped

    with np.errstate(over="ignore", under="ignore", invalid="ignore", divide="ignore"):
        rows = np.arange(weights.shape[0])  # the starts still running, as indices of out
        state: tuple[NDArray, ...] = (weights, means, sds, *_e(x, weights, means, sds))
        steps = np.zeros(rows.shape[0], dtype=np.int64)
        while rows.size:
            over = steps >= max_iter
            if np.any(over):
                for i in np.flatnonzero(over):
                    run_i = Run(
                        state[0][i], state[1][i], state[2][i], float(state[5][i]), int(steps[i]), False
                    )
                    out[rows[i]] = _sorted(run_i)
                keep = ~over
                rows, steps, state = rows[keep], steps[keep], tuple(a[keep] for a in state)
                if not rows.size:
                    break
            everyone = np.ones(rows.shape[0], dtype=bool)
            steps += 1
            one, collapsed, bad, done, _ = em(state, everyone)
            keep = settle(state, one, collapsed, bad, done, everyone)
            if keep is not None:
                rows, steps = rows[keep], steps[keep]
                state, one = tuple(a[keep] for a in state), tuple(a[keep] for a in one)
                if not rows.size:
                    break
            acc = (steps + 2 <= max_iter) if accelerate else np.zeros(rows.shape[0], dtype=bool)
            if not np.any(acc):
                state = one
                continue
            steps += acc
            two, collapsed, bad, done, change = em(one, acc)
            keep = settle(one, two, collapsed, bad, done, acc)
            if keep is not None:
                rows, steps, acc, change = rows[keep], steps[keep], acc[keep], change[keep]
                state, one, two = (tuple(a[keep] for a in s) for s in (state, one, two))
                if not rows.size:
                    break
            # SQUAREM's extrapolation, for the rows that took both steps
            t0, t1, t2 = _pack_many(*state[:3]), _pack_many(*one[:3]), _pack_many(*two[:3])
            r, v = t1 - t0, t2 - 2.0 * t1 + t0
            norm_v = np.sqrt(np.add.reduce(v * v, axis=1))
            alpha = np.minimum(-np.sqrt(np.add.reduce(r * r, axis=1)) / norm_v, -1.0)[:, None]
            w_, mu_, sd_ = _unpack_many(t0 - 2.0 * alpha * r + alpha * alpha * v, m)
            jump = _e(x, w_, mu_, sd_)
            tried = acc & (norm_v > 0.0) & np.all(sd_ > floor, axis=1) & np.all(np.isfinite(mu_), axis=1)
            tried &= np.isfinite(jump[2])
            steps += tried
            three, collapsed, _, _, _ = em((w_, mu_, sd_, *jump), None)  # EM from the extrapolated point
            # the new state: theta_2 (theta_1 where only one step was taken), replaced row by row
            state = two
            if not np.all(acc):
                state = tuple(np.where(_rows_of(acc, a), a, b) for a, b in zip(two, one, strict=True))
            better = tried & ~collapsed & (three[5] >= two[5])
            if np.any(better):
                state = tuple(np.where(_rows_of(better, c), c, a) for a, c in zip(state, three, strict=True))
            # Newton: near a maximum (EM's slow end), or where SQUAREM's jump failed (a saddle?)
            near = np.flatnonzero(acc & ((change < NEWTON_NEAR) | ~better))
            if near.size:
                k = NEWTON_LENGTHS.shape[0]
                step = _newton_many(x, *(a[near] for a in two[:4]))
                trial = (t2[near][:, None] + NEWTON_LENGTHS[:, None] * step[:, None]).reshape(-1, t2.shape[1])
                w_, mu_, sd_ = _unpack_many(trial, m)
                newton = (w_, mu_, sd_, *_e(x, w_, mu_, sd_))
                fine = (
                    np.all(sd_ > floor, axis=1)
                    & np.all(w_ * n >= 1.0, axis=1)
                    & np.all(np.isfinite(mu_), axis=1)
                )
                higher = (fine & (newton[5] >= np.repeat(state[5][near], k))).reshape(-1, k)
                found = np.any(higher, axis=1)
                if np.any(found):  # the longest step that rises, for each row where one does
                    pick = np.flatnonzero(found) * k + np.argmax(higher[found], axis=1)
                    state = tuple(a.copy() for a in state)
                    for a, b in zip(state, newton, strict=True):
                        a[near[found]] = b[pick]
    assert all(r is not None for r in out)
    return [r for r in out if r is not None]


def _rows_of(mask: NDArray, a: NDArray) -> NDArray:
    """``mask`` (one value per row) shaped to broadcast against the rows of ``a``."""
    return mask.reshape((-1,) + (1,) * (a.ndim - 1))


#: Newton's step (:func:`_newton_many`) is tried from the rows whose last EM step moved the
#: parameters by less than this (the stopping rule's measure), where EM's convergence is linear
#: and slow and Newton's quadratic, and from the rows where SQUAREM's jump failed; elsewhere EM and
#: SQUAREM make good progress, and a Hessian would cost more than it saves.
NEWTON_NEAR = 1e-2


def _score_hessian_many(
    x: NDArray, w: NDArray, mu: NDArray, sd: NDArray, resp: NDArray
) -> tuple[NDArray, NDArray]:
    r"""The score (S, 3m - 1) and Hessian (S, 3m - 1, 3m - 1) of :math:`\ell` in the coordinates of
    :func:`pack` at S parameter sets at once (rows of ``w``, ``mu``, ``sd``, with their
    responsibilities ``resp``, (S, m, n)): the formula of :func:`nll_hessian`, with the sums over
    the components done as array products."""
    m, n = resp.shape[1:]
    k = 3 * m - 1
    z = (x - mu[..., None]) / sd[..., None]
    u, v = z / sd[..., None], z * z - 1.0
    ru, rv = resp * u, resp * v
    G = np.concatenate([resp[:, 1:] - w[:, 1:, None], ru, rv], axis=1)  # (S, k, n): the scores
    g = np.add.reduce(G, axis=2)
    H = -(G @ G.transpose(0, 2, 1))
    nk = np.add.reduce(resp, axis=2)
    A = np.eye(m)[None, :, 1:] - w[:, None, 1:]  # row j: e_j - w, in the logits of components 1..m-1
    a, b, c = slice(0, m - 1), slice(m - 1, 2 * m - 1), slice(2 * m - 1, k)
    w1 = w[:, 1:]
    H[:, a, a] += (A.transpose(0, 2, 1) * nk[:, None, :]) @ A - n * (
        w1[:, :, None] * np.eye(m - 1) - w1[:, :, None] * w1[:, None, :]
    )
    s_u, s_v = np.add.reduce(ru, axis=2), np.add.reduce(rv, axis=2)
    H[:, a, b] += A.transpose(0, 2, 1) * s_u[:, None, :]
    H[:, b, a] += A * s_u[:, :, None]
    H[:, a, c] += A.transpose(0, 2, 1) * s_v[:, None, :]
    H[:, c, a] += A * s_v[:, :, None]
    j = np.arange(m)
    rz = np.add.reduce(resp * z, axis=2)
    cross = np.add.reduce(ru * v, axis=2) - 2.0 * rz / sd
    H[:, m - 1 + j, m - 1 + j] += np.add.reduce(ru * u, axis=2) - nk / (sd * sd)
    H[:, m - 1 + j, 2 * m - 1 + j] += cross
    H[:, 2 * m - 1 + j, m - 1 + j] += cross
    H[:, 2 * m - 1 + j, 2 * m - 1 + j] += np.add.reduce(rv * v, axis=2) - 2.0 * np.add.reduce(
        resp * z * z, axis=2
    )
    return g, H


def _newton_many(x: NDArray, w: NDArray, mu: NDArray, sd: NDArray, resp: NDArray) -> NDArray:
    r"""The modified Newton step :math:`A^{-1}\nabla\ell` in the coordinates of :func:`pack` from S
    parameter sets at once (see :func:`_score_hessian_many`), shape (S, 3m - 1): :math:`A` is the
    observed information :math:`-\nabla^2\ell` with its eigenvalues :math:`\lambda_j` replaced by
    :math:`\max(|\lambda_j|, \epsilon\max_k|\lambda_k|)` (:data:`EIGEN_FLOOR`), as in the censored
    fits' ascent: Newton's step where the information is positive definite, and where it is not
    (near a saddle, where EM crawls) an ascent direction that moves fast along the direction of
    positive curvature. NaN in the rows where the information is not finite."""
    g, H = _score_hessian_many(x, w, mu, sd, resp)
    step = np.full(g.shape, np.nan)
    ok = np.all(np.isfinite(H), axis=(1, 2))
    if np.any(ok):
        values, vectors = np.linalg.eigh(-H[ok])
        top = np.max(np.abs(values), axis=1, keepdims=True)
        values = np.maximum(np.abs(values), EIGEN_FLOOR * top)
        along = (vectors.transpose(0, 2, 1) @ g[ok, :, None])[..., 0] / values
        step[ok] = (vectors @ along[..., None])[..., 0]
    return step


#: The smallest eigenvalue of the information, relative to the largest, that :func:`_newton_many`
#: keeps.
EIGEN_FLOOR = 1e-8

#: The step lengths tried along :func:`_newton_many`'s step, longest first.
NEWTON_LENGTHS = np.array([1.0, 0.25, 0.0625])


def _sorted(r: Run) -> Run:
    order = np.argsort(r.means, kind="stable")
    return Run(r.weights[order], r.means[order], r.sds[order], r.loglik, r.n_iter, r.converged)


# --- starts ---------------------------------------------------------------------------------------------
def _group_start(x: NDArray, labels: NDArray, centers: NDArray, m: int) -> tuple[NDArray, NDArray, NDArray]:
    spread = float(np.std(x))
    w, mu, sd = np.empty(m), np.empty(m), np.empty(m)
    for j in range(m):
        g = x[labels == j]
        w[j] = max(g.size, 1)
        mu[j] = g.mean() if g.size else centers[j]
        s = g.std() if g.size > 1 else 0.0
        sd[j] = s if s > 1e-3 * spread else spread / m
    return w / w.sum(), mu, sd


def starts(x: NDArray, m: int, n_starts: int, seed: int) -> list[tuple[NDArray, NDArray, NDArray]]:
    """The broad starts, deterministic: the first splits the sorted data into ``m`` equal-count
    groups (quantiles); the others pick centres k-means++-style (each next centre drawn with
    probability proportional to its squared distance from the nearest centre so far, from
    ``numpy.random.default_rng(seed)``) and take the groups of the nearest centre."""
    order = np.argsort(x, kind="stable")
    labels = np.empty(x.shape[0], dtype=int)
    labels[order] = np.arange(x.shape[0]) * m // x.shape[0]
    out = [_group_start(x, labels, np.quantile(x, (np.arange(m) + 0.5) / m), m)]
    rng = np.random.default_rng(seed)
    for _ in range(n_starts - 1):
        picked = [x[rng.integers(x.shape[0])]]
        for _ in range(1, m):
            d2 = np.min((x[:, None] - np.array(picked)) ** 2, axis=1)
            total = d2.sum()
            index = rng.choice(x.shape[0], p=d2 / total) if total > 0 else rng.integers(x.shape[0])
            picked.append(x[index])
        centers = np.sort(np.array(picked))
        labels = np.argmin(np.abs(x[:, None] - centers), axis=1)
        out.append(_group_start(x, labels, centers, m))
    return out


def data_starts(x: NDArray, m: int, count: int, seed: int) -> list[tuple[NDArray, NDArray, NDArray]]:
    """Starts "random from data": ``m`` distinct observations drawn uniformly as centres (from
    ``numpy.random.default_rng([seed, 1])``, a stream of its own), and the groups of the nearest
    centre."""
    rng = np.random.default_rng([seed, 1])
    out = []
    for _ in range(count):
        centers = np.sort(rng.choice(x, size=m, replace=False))
        labels = np.argmin(np.abs(x[:, None] - centers), axis=1)
        out.append(_group_start(x, labels, centers, m))
    return out


#: A narrow start puts a component on the :data:`NARROW_K` + 1 observations nearest a point.
NARROW_K = 3


def narrow_starts(x: NDArray, best: Run, count: int) -> list[tuple[NDArray, NDArray, NDArray]]:
    """Starts with one narrow component, from the best broad maximum ``best``: at the ``count``
    distinct values of ``x`` where the data are densest compared with that fit (the ratio of the
    local density, :math:`n_k/(2 n d_k)` with :math:`d_k` the distance to the k-th nearest
    observation and :math:`n_k` the observations within it, to the fitted density), each at least
    :math:`d_k` from the others, the
    component whose mean is nearest is moved there, with standard deviation :math:`d_k` and the
    weight of the observations within :math:`d_k`. These reach the maxima with a narrow component
    (a cluster of a few close values) that broad starts rarely do."""
    values, counts = np.unique(x, return_counts=True)
    k = NARROW_K
    if count <= 0 or values.shape[0] <= k + 1:
        return []
    cum = np.concatenate([[0], np.cumsum(counts)])
    n = x.shape[0]
    xs = np.sort(x)
    d_obs = np.full(n, np.inf)
    for j in range(k + 1):  # the k nearest observations lie in a window of k + 1 sorted values
        lo = np.arange(n) - j
        ok = (lo >= 0) & (lo + k < n)
        i = np.flatnonzero(ok)
        d_obs[i] = np.minimum(d_obs[i], np.maximum(xs[i] - xs[lo[ok]], xs[lo[ok] + k] - xs[i]))
    d = d_obs[cum[:-1]]
    gaps = np.diff(values)
    nearest = np.minimum(np.append(gaps, np.inf), np.insert(gaps, 0, np.inf))
    d = np.where(d > 0, d, nearest)  # k or more ties: as wide as the gap to the next value
    within = cum[np.searchsorted(values, values + d, side="right")] - cum[np.searchsorted(values, values - d)]
    with np.errstate(divide="ignore"):
        fitted = e_step(values, best.weights, best.means, best.sds)[1]
        score = np.log(within / (2.0 * n * d)) - fitted
    out: list[tuple[NDArray, NDArray, NDArray]] = []
    chosen: list[int] = []
    for i in np.argsort(-score, kind="stable"):
        if len(out) == count:
            break
        if any(abs(values[i] - values[c]) <= max(d[i], d[c]) for c in chosen):
            continue
        chosen.append(int(i))
        w, mu, sd = best.weights.copy(), best.means.copy(), best.sds.copy()
        j = int(np.argmin(np.abs(mu - values[i])))
        mu[j], sd[j], w[j] = values[i], d[i], within[i] / n
        out.append((w / w.sum(), mu, sd))
    return out


# --- unconstrained coordinates, gradient and Hessian -----------------------------------------------------
def unpack(theta: NDArray, m: int) -> tuple[NDArray, NDArray, NDArray]:
    """Weights, means, sigmas from theta = (alpha_2..alpha_m, mu, log sigma)."""
    alpha = np.concatenate([[0.0], theta[: m - 1]])
    w = np.exp(alpha - np.max(alpha))
    return w / w.sum(), theta[m - 1 : 2 * m - 1], np.exp(theta[2 * m - 1 :])


def pack(weights: NDArray, means: NDArray, sds: NDArray) -> NDArray:
    return np.concatenate([np.log(weights[1:] / weights[0]), means, np.log(sds)])


def nll(theta: NDArray, x: NDArray, m: int) -> float:
    """Negative log-likelihood on theta."""
    with np.errstate(over="ignore", divide="ignore", invalid="ignore", under="ignore"):
        value = -float(np.sum(e_step(x, *unpack(theta, m))[1]))
    return value if np.isfinite(value) else np.inf


def _pieces(theta: NDArray, x: NDArray, m: int):
    w, mu, sd = unpack(theta, m)
    resp, _ = e_step(x, w, mu, sd)
    z = (x - mu[:, None]) / sd[:, None]
    return w, mu, sd, resp, z


def nll_gradient(theta: NDArray, x: NDArray, m: int) -> NDArray:
    r"""Analytic gradient of :func:`nll`: :math:`\partial\ell/\partial\alpha_l = n_l - n w_l`,
    :math:`\partial\ell/\partial\mu_j = \sum_i r_{ij}z_{ij}/\sigma_j`,
    :math:`\partial\ell/\partial\log\sigma_j = \sum_i r_{ij}(z_{ij}^2 - 1)`."""
    w, _, sd, resp, z = _pieces(theta, x, m)
    g = [
        (resp.sum(axis=1) - x.shape[0] * w)[1:],
        np.sum(resp * z, axis=1) / sd,
        np.sum(resp * (z * z - 1.0), axis=1),
    ]
    return -np.concatenate(g)


def nll_hessian(theta: NDArray, x: NDArray, m: int) -> NDArray:
    """Analytic Hessian of :func:`nll` (the formula is in the module docstring), assembled from
    per-component sums and one (n, 3m - 1) product: the gradient of :math:`a_{ji}` is
    :math:`e_j - w` in the logits, :math:`u_{ji} = z_{ji}/\\sigma_j` in :math:`\\mu_j` and
    :math:`v_{ji} = z_{ji}^2 - 1` in :math:`\\log\\sigma_j`, zero elsewhere."""
    w, _, sd, resp, z = _pieces(theta, x, m)
    n, k = x.shape[0], 3 * m - 1
    u, v = z / sd[:, None], z * z - 1.0
    G = np.empty((n, k))  # row i: E_r[gradient of a_ji], the score of observation i
    G[:, : m - 1] = resp[1:].T - w[1:]
    G[:, m - 1 : 2 * m - 1] = (resp * u).T
    G[:, 2 * m - 1 :] = (resp * v).T
    H = -(G.T @ G)
    H[: m - 1, : m - 1] -= n * (np.diag(w[1:]) - np.outer(w[1:], w[1:]))
    for j in range(m):
        a, mu_j, ls_j = (np.arange(1, m) == j) - w[1:], m - 1 + j, 2 * m - 1 + j
        r = resp[j]
        n_j, s_u, s_v = r.sum(), r @ u[j], r @ v[j]
        H[: m - 1, : m - 1] += n_j * np.outer(a, a)
        H[: m - 1, mu_j] += a * s_u
        H[mu_j, : m - 1] += a * s_u
        H[: m - 1, ls_j] += a * s_v
        H[ls_j, : m - 1] += a * s_v
        cross = r @ (u[j] * v[j]) - 2.0 * (r @ z[j]) / sd[j]
        H[mu_j, mu_j] += r @ (u[j] * u[j]) - n_j / sd[j] ** 2
        H[mu_j, ls_j] += cross
        H[ls_j, mu_j] += cross
        H[ls_j, ls_j] += r @ (v[j] * v[j]) - 2.0 * (r @ (z[j] * z[j]))
    return -H


def natural_jacobian(weights: NDArray, sds: NDArray) -> NDArray:
    """d(weight_j, mu_j, sigma_j for each j, in that order) / d theta: shape (3m, 3m - 1)."""
    m = weights.shape[0]
    J = np.zeros((3 * m, 3 * m - 1))
    for j in range(m):
        J[3 * j, : m - 1] = weights[j] * ((np.arange(1, m) == j) - weights[1:])
        J[3 * j + 1, m - 1 + j] = 1.0
        J[3 * j + 2, 2 * m - 1 + j] = sds[j]
    return J


def param_names(components: tuple[str, ...]) -> list[str]:
    """``weight[c]``, ``mu[c]``, ``sigma[c]`` for each component ``c`` in turn."""
    return [f"{kind}[{c}]" for c in components for kind in KINDS]


# --- the profile: one natural parameter held, the others re-maximized ------------------------------------
@dataclass(eq=False)
class MixtureProfile:
    """``profile(j, value)``: parameter ``j`` of :func:`param_names` (a weight, mean or sigma) held at
    ``value`` and the others re-maximized by BFGS with the analytic gradient, always from the
    estimate. With a weight held at v the other weights are (1 - v) times a softmax."""

    x: NDArray
    weights: NDArray
    means: NDArray
    sds: NDArray

    def __call__(self, j: int, value: float) -> float:
        c, kind = divmod(int(j), 3)
        if (kind == 0 and not 0.0 < value < 1.0) or (kind == 2 and not value > 0.0):
            return -np.inf
        held = _Held(self.weights.shape[0], c, kind, float(value))
        free0 = held.free(self.weights, self.means, self.sds)
        if free0.size == 0:
            return -held.nll_and_gradient(free0, self.x)[0]
        res = lazy.optimize().minimize(
            held.nll_and_gradient, free0, args=(self.x,), jac=True, method="BFGS",
            options={"gtol": 1e-9, "maxiter": 1000},
        )  # fmt: skip
        return -float(res.fun)


@dataclass(frozen=True)
class _Held:
    m: int
    c: int
    kind: int
    value: float

    @property
    def others(self) -> NDArray:
        every = np.arange(self.m)
        return every[every != self.c] if self.kind == 0 else every

    def free(self, weights: NDArray, means: NDArray, sds: NDArray) -> NDArray:
        o = self.others
        gamma = np.log(weights[o][1:] / weights[o][0])
        mu = np.delete(means, self.c) if self.kind == 1 else means
        log_sd = np.log(np.delete(sds, self.c) if self.kind == 2 else sds)
        return np.concatenate([gamma, mu, log_sd])

    def natural(self, free: NDArray):
        o = self.others
        q = o.size - 1
        gamma = np.concatenate([[0.0], free[:q]])
        pi = np.exp(gamma - gamma.max())
        pi /= pi.sum()
        w = np.empty(self.m)
        w[o] = (1.0 - self.value) * pi if self.kind == 0 else pi
        if self.kind == 0:
            w[self.c] = self.value
        n_mu = self.m - (self.kind == 1)
        mu = free[q : q + n_mu]
        log_sd = free[q + n_mu :]
        if self.kind == 1:
            mu = np.insert(mu, self.c, self.value)
        sd = np.exp(log_sd)
        if self.kind == 2:
            sd = np.insert(sd, self.c, self.value)
        return w, mu, sd, pi

    def nll_and_gradient(self, free: NDArray, x: NDArray):
        w, mu, sd, pi = self.natural(free)
        with np.errstate(over="ignore", divide="ignore", invalid="ignore", under="ignore"):
            resp, log_f = e_step(x, w, mu, sd)
            value = -float(np.sum(log_f))
            if not np.isfinite(value):
                return np.inf, np.zeros_like(free)
            z = (x - mu[:, None]) / sd[:, None]
            nk = resp.sum(axis=1)
        o = self.others
        g_w = nk / w  # d loglik / d w_j, the weights taken as free
        scale = (1.0 - self.value) if self.kind == 0 else 1.0
        g_gamma = (scale * pi * (g_w[o] - pi @ g_w[o]))[1:]
        g_mu = np.sum(resp * z, axis=1) / sd
        g_ls = np.sum(resp * (z * z - 1.0), axis=1)
        if self.kind == 1:
            g_mu = np.delete(g_mu, self.c)
        if self.kind == 2:
            g_ls = np.delete(g_ls, self.c)
        return value, -np.concatenate([g_gamma, g_mu, g_ls])


def collapse_error(runs: list[Run], center: float, scale: float, what: str) -> ValueError:
    r = next(r for r in runs if r.collapsed is not None)
    point = center + scale * float(r.point if r.point is not None else np.nan)
    return ValueError(
        f"{what} collapsed: component {r.collapsed}'s sigma went to 0 on a single point (x = {point:.6g}), "
        "where the likelihood is unbounded (it rises to +inf as sigma -> 0); that degenerate 'maximum' is "
        "not an estimate. Try other starts (more n_starts, another seed) or fewer components"
    )


#: Every start first runs EM to this tolerance (or the fit's own, if looser); only the best is then
#: run on to the fit's ``tol``. Enough to tell the maxima apart (their log-likelihoods are then
#: within about 1e-9 relative of their limits), at a fraction of the cost of converging every start.
SCREEN_TOL = 1e-7

#: A component of a maximum is *narrow* if it holds less than this many observations' weight...
NARROW_COUNT = 2.0
#: ... or its sigma is below this fraction of the largest sigma.
NARROW_RATIO = 0.05


def standardized(x: NDArray) -> tuple[NDArray, float, float]:
    r"""``(u, c, s)`` with :math:`u = (x - c)/s`: ``c`` the middle value of the sorted data (a value of
    ``x``, so that :math:`x - c` is exact for the values near it) and ``s`` the power of two at or
    above the largest :math:`|x - c|`. EM runs on ``u``: its sums neither overflow (data near
    :math:`10^{300}`) nor underflow (near :math:`10^{-300}`), and a shift (data near
    :math:`10^{10}`) does not drown the spread in rounding; the fit is mapped back exactly for the
    scale (a power of two) and with one rounding for the shift."""
    c = float(np.sort(x)[x.shape[0] // 2])
    with np.errstate(over="ignore"):
        d = x - c
    if not np.all(np.isfinite(d)):  # values of both signs near the largest float: halve first
        c = 0.0
        d = x
    top = float(np.max(np.abs(d)))
    s = float(np.ldexp(1.0, int(np.frexp(top)[1]))) if top > 0 else 1.0
    return d / s, c, s


def _distinct_maxima(runs: list[Run]) -> list[tuple[float, int]]:
    """The log-likelihoods of the maxima the runs reached, highest first, with how many runs reached
    each (maxima within 1e-6 relative counted as one)."""
    out: list[list] = []
    for ll in sorted((r.loglik for r in runs), reverse=True):
        if out and out[-1][0] - ll <= 1e-6 * max(1.0, abs(ll)):
            out[-1][1] += 1
        else:
            out.append([ll, 1])
    return [(float(a), int(b)) for a, b in out]


def narrow_components(r: Run, n: int) -> NDArray:
    """Which components of a maximum are narrow (:data:`NARROW_COUNT`, :data:`NARROW_RATIO`)."""
    return (n * r.weights < NARROW_COUNT) | (r.sds < NARROW_RATIO * np.max(r.sds))


def _narrow_text(r: Run, n: int) -> str:
    narrow = narrow_components(r, n)
    j = int(np.flatnonzero(narrow)[0])
    return (
        f"a narrow component ({n * r.weights[j]:.1f} observations' weight, sigma "
        f"{r.sds[j] / np.max(r.sds):.2g} of the widest)"
    )


def _fit(model: NormalMixture, start_list: list | None, max_iter: int, tol: float, caller: str) -> FitResult:
    """EM (accelerated by SQUAREM and Newton, see :func:`run_many`) from every start, on the standardized data
    (:func:`standardized`); the best start that did not collapse gives the result (its components,
    in order of increasing mean). ``start_list`` None: the model's own starts, ``n_starts`` broad
    ones (:func:`starts`), and ``n_starts // 2`` each random from the data (:func:`data_starts`)
    and narrow (:func:`narrow_starts`, from the best broad maximum without a narrow component)."""
    x, m = model.x, model.m
    n = x.shape[0]
    u, c, s = standardized(x)
    floor = SD_COLLAPSE * float(np.std(u))
    screen = max(tol, SCREEN_TOL)

    def go(start_list, tolerance, iterations):
        if not start_list:
            return []
        w, mu, sd = (np.array(a) for a in zip(*start_list, strict=True))
        return run_many(
            u, w, mu, sd, max_iter=iterations, tol=tolerance, floor=floor, accelerate=model.accelerate
        )

    if start_list is None:
        extra = model.n_starts // 2
        runs = go(
            starts(u, m, model.n_starts, model.seed) + data_starts(u, m, extra, model.seed), screen, max_iter
        )
        good = [r for r in runs if r.collapsed is None]
        if good:
            base = [r for r in good if not np.any(narrow_components(r, n))] or good
            runs += go(narrow_starts(u, max(base, key=lambda r: r.loglik), extra), screen, max_iter)
    else:
        runs = go([(w, (mu - c) / s, sd / s) for w, mu, sd in start_list], screen, max_iter)
    good = [r for r in runs if r.collapsed is None]
    if not good:
        what = "the start" if len(runs) == 1 else f"every one of the {len(runs)} starts"
        raise collapse_error(runs, c, s, what)
    highest = max(good, key=lambda r: r.loglik)
    plain = [r for r in good if not np.any(narrow_components(r, n))]
    best = highest if model.allow_narrow or not plain else max(plain, key=lambda r: r.loglik)
    passed_over = None if best is highest else highest
    if screen > tol and best.converged and best.n_iter < max_iter:
        more = go([(best.weights, best.means, best.sds)], tol, max_iter - best.n_iter)[0]
        if more.collapsed is None:
            best = Run(
                more.weights, more.means, more.sds, more.loglik, best.n_iter + more.n_iter, more.converged
            )
    maxima = _distinct_maxima(good)
    n_collapsed = len(runs) - len(good)
    shift = -n * np.log(s)  # the log-likelihood of x is that of u less n log s
    status = "converged" if best.converged else f"not converged in {max_iter} iterations"
    message = (
        f"{'EM (SQUAREM)' if model.accelerate else 'EM'} from {len(runs)} start(s): the best reached "
        f"log-likelihood {best.loglik + shift:.6f} ({status}); "
        f"{len(good) - maxima[0][1]} stopped at a lower local maximum; {n_collapsed} collapsed onto a "
        "single point (sigma -> 0, unbounded likelihood) and were discarded."
    )
    if len(maxima) > 1:
        listed = ", ".join(f"{ll + shift:.3f} ({k})" for ll, k in maxima[:5])
        message += (
            f" The starts disagree: they reached {len(maxima)} distinct maxima, log-likelihood "
            f"(starts) {listed}{', ...' if len(maxima) > 5 else ''}."
        )
    if passed_over is not None:
        message += (
            f" A higher maximum, log-likelihood {passed_over.loglik + shift:.6f}, has "
            f"{_narrow_text(passed_over, n)}: it may describe a few close values rather than a group (a "
            "spurious maximum), so the estimate is the best maximum without a narrow component "
            "(allow_narrow=True takes the highest)."
        )
    elif np.any(narrow_components(best, n)):
        message += (
            f" The best maximum has {_narrow_text(best, n)}: it may describe a few close values rather "
            "than a group (a spurious maximum); look at it."
        )
    theta = pack(best.weights, best.means, best.sds)
    cov_theta, problem = covariance.from_hessian(nll_hessian(theta, u, m))
    J = natural_jacobian(best.weights, best.sds)
    cov = J @ cov_theta @ J.T
    e = int(np.frexp(s)[1]) - 1  # s = 2**e: the parameters of x / s map back exactly (finish)
    shift_u = c / s
    params = np.column_stack([best.weights, shift_u + best.means, best.sds]).reshape(-1)
    failure = None
    if not best.converged:
        failure = (
            f"{caller} did not converge: EM ran {max_iter} iterations without its stopping rule "
            f"passing (parameters and log-likelihood moving by at most {tol:g}). Raise max_iter. {message}"
        )
    inner = MixtureProfile(u, best.weights, best.means, best.sds)
    profile = inner if c == 0.0 else ShiftedProfile(inner, shift_u)
    est = Estimate(
        params=params,
        loglik=best.loglik,
        converged=best.converged,
        n_iter=best.n_iter,
        method="EM",
        message=message,
        cov=cov,
        problem=problem,
        profile=profile,
        failure=failure,
        unscale=Unscale((0, e, e) * m, -n * e * float(np.log(2.0))),
    )
    return finish(model, est)


@dataclass(frozen=True)
class ShiftedProfile:
    """The profile of a fit to :math:`u = (x - c)/s` (:func:`standardized`) in the parameters of
    :math:`x/s` (``finish`` then maps those to ``x``'s by the power of two :math:`s`): a held
    mean ``value`` is ``value - shift`` of ``u`` (``shift`` :math:`= c/s`)."""

    inner: MixtureProfile
    shift: float

    def __call__(self, j: int, value: float) -> float:
        return self.inner(j, value - self.shift if int(j) % 3 == 1 else value)


# --- the model ---------------------------------------------------------------------------------------------
#: Why two mixtures are not compared by a likelihood-ratio test.
NOT_CHI_SQUARE = (
    "a mixture with fewer components is the larger one with a weight at 0, on the boundary, where "
    "the means and sigmas of that component are not identified: the statistic is not chi-square, "
    "and its p-value would be wrong. Compare AIC or BIC, or bootstrap the statistic (simulate from "
    "the restricted fit, refit both models)"
)


class NormalMixture(Likelihood):
    r"""A mixture of :math:`m` normals on its data ``x``: parameters ``weight[c]``, ``mu[c]``,
    ``sigma[c]`` for each component ``c`` in turn (the weights sum to 1: ``constraints = 1``).

    .. math:: \ell_i = \log\sum_{j=1}^m w_j\,f(x_i; \mu_j, \sigma_j)

    Built by :func:`fit_normal_mixture` (``fit.model``); ``fit()`` runs EM from the same starts.
    ``score_obs`` and ``hessian`` are those of :math:`\ell` as a function of all :math:`3m`
    parameters; :meth:`robust_cov` works in the unconstrained coordinates :math:`\theta`, where
    the weights' constraint holds by construction. Two mixtures are never compared by a
    likelihood-ratio test (see ``NOT_CHI_SQUARE``).
    """

    name = "normal_mixture"
    constraints = 1

    def __init__(self, x: NDArray, components: Sequence[str], *, n_starts: int = 10, seed: int = 0,
                 start=None, max_iter: int = 10_000, tol: float = 1e-10, accelerate: bool = True,
                 allow_narrow: bool = False):  # fmt: skip
        self.x = x
        self.accelerate = accelerate
        self.allow_narrow = allow_narrow
        self.components = tuple(components)
        self.n_starts = n_starts
        self.seed = seed
        self.start_values = start
        self.max_iter = max_iter
        self.tol = tol

    @classmethod
    def from_data(cls, x, n_components=2, *, n_starts=10, seed=0, start=None, max_iter=None, tol=None,
                  names=None, options=None, method="SQUAREM",
                  allow_narrow=False) -> NormalMixture:  # fmt: skip
        """Check the data and settings (as :func:`fit_normal_mixture` does) and build the model."""
        x = _check_x(x)
        m = positive_int(n_components, "n_components")
        if m < 2:
            raise ValueError(f"n_components must be at least 2 (one normal is fit_linear), got {m}")
        distinct = np.unique(x).size
        if distinct <= m or x.shape[0] < 3 * m:
            raise ValueError(
                f"x has {x.shape[0]} values ({distinct} distinct) but a mixture of {m} normals needs at "
                f"least {3 * m} values and more than {m} distinct ones"
            )
        n_starts = positive_int(n_starts, "n_starts")
        opts = check_options(options, COMMON_OPTIONS, "fit_normal_mixture")
        for key, value in (("max_iter", max_iter), ("tol", tol)):
            if value is not None and key in opts:
                raise ValueError(f"give {key}= or options['{key}'] (the same thing), not both")
        max_iter = opts.get("max_iter", 10_000 if max_iter is None else max_iter)
        tol = opts.get("tol", 1e-10 if tol is None else tol)
        max_iter = positive_int(max_iter, "max_iter")
        if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
            raise ValueError(f"seed must be a non-negative integer, got {seed!r}")
        tol = float(as_float_array(tol, "tol", ndim=0))
        if not 0 < tol < 1:
            raise ValueError(f"tol must be between 0 and 1, got {tol}")
        if start is not None:
            if len(start) != 3:
                raise ValueError("start must be (weights, means, sds)")
            weights, means, sds = _check_components(*start)
            if weights.shape[0] != m:
                raise ValueError(f"start has {weights.shape[0]} components but n_components is {m}")
            start = (weights, means, sds)
        components = tuple(str(j) for j in range(m))
        if names is not None:
            components = tuple(coefficient_names(names, None, m, against="n_components is {k}"))
        if method not in METHODS:
            raise ValueError(f"method must be one of {METHODS}, got {method!r}")
        if not isinstance(allow_narrow, (bool, np.bool_)):
            raise ValueError(f"allow_narrow must be True or False, got {allow_narrow!r}")
        return cls(x, components, n_starts=n_starts, seed=int(seed), start=start, max_iter=max_iter, tol=tol,
                   accelerate=method == "SQUAREM", allow_narrow=bool(allow_narrow))  # fmt: skip

    def rescaled(self) -> tuple[NormalMixture, Unscale]:
        r"""The model on :math:`x/s`, with :math:`s` the power of two of :func:`standardized` (the
        scale the fit works on: it fits :math:`(x - c)/s` and reports the parameters of :math:`x/s`
        scaled back by :math:`s`), and how its parameters scale back: the means and sigmas by
        :math:`s`, the weights not at all. Dividing by a power of two is exact, and the scores
        depend on the data only through :math:`x_i - \mu_j`, exact for :math:`x_i` near
        :math:`\mu_j`, so the sandwich built on :math:`x/s` and scaled back is that of ``x``, for
        data of any size (near :math:`10^{300}` its sums would overflow on ``x`` itself)."""
        s = standardized(self.x)[2]
        e = int(np.frexp(s)[1]) - 1  # s = 2**e
        n = self.x.shape[0]
        return self._like(self.x / s), Unscale((0, e, e) * self.m, -n * e * float(np.log(2.0)))

    def _like(self, x: NDArray) -> NormalMixture:
        return NormalMixture(x, self.components, n_starts=self.n_starts, seed=self.seed,
                             start=self.start_values, max_iter=self.max_iter, tol=self.tol,
                             accelerate=self.accelerate, allow_narrow=self.allow_narrow)  # fmt: skip

    @property
    def m(self) -> int:
        return len(self.components)

    @property
    def param_names(self) -> tuple[str, ...]:
        return tuple(param_names(self.components))

    @property
    def bounds(self):
        return ((0.0, 1.0), FREE, POSITIVE) * self.m

    @property
    def nobs(self) -> int:
        return self.x.shape[0]

    @property
    def data_key(self) -> str:
        return data_key(self.x.shape[0], fingerprint_sum(self.x))

    def _split(self, params):
        params = np.asarray(params, dtype=float).reshape(self.m, 3)
        return params[:, 0], params[:, 1], params[:, 2]

    def loglik_obs(self, params):
        weights, means, sds = self._split(params)
        with np.errstate(divide="ignore", invalid="ignore"):
            return e_step(self.x, weights, means, sds)[1]

    def score_obs(self, params):
        r"""The gradient of :math:`\ell_i` in all :math:`3m` parameters (the weights taken as free):
        :math:`r_{ij}/w_j`, :math:`r_{ij}z_{ij}/\sigma_j` and :math:`r_{ij}(z_{ij}^2 - 1)/\sigma_j`."""
        weights, means, sds = self._split(params)
        resp, _ = e_step(self.x, weights, means, sds)
        z = (self.x - means[:, None]) / sds[:, None]
        S = np.empty((self.x.shape[0], 3 * self.m))
        S[:, 0::3] = (resp / weights[:, None]).T
        S[:, 1::3] = (resp * z / sds[:, None]).T
        S[:, 2::3] = (resp * (z * z - 1.0) / sds[:, None]).T
        return S

    def theta_scores(self, params) -> NDArray:
        r"""The score of each observation in the unconstrained coordinates :math:`\theta`."""
        weights, means, sds = self._split(params)
        return theta_score_rows(pack(weights, means, sds), self.x, self.m)

    def robust_cov(self, params, cov, groups=None):
        r"""The sandwich in :math:`\theta`, :math:`H_\theta^{-1}K_\theta H_\theta^{-1}`, carried to
        the reported parameters by the delta method."""
        weights, means, sds = self._split(params)
        theta = pack(weights, means, sds)
        cov_theta, _ = covariance.from_hessian(nll_hessian(theta, self.x, self.m))
        J = natural_jacobian(weights, sds)
        out, _ = robust_from(cov_theta, lambda: meat_of(theta_score_rows(theta, self.x, self.m), groups)[0])
        out = J @ out @ J.T
        with np.errstate(invalid="ignore"):
            return out, np.sqrt(np.diag(out))

    def start(self):
        w, mu, sd = (
            starts(self.x, self.m, 1, self.seed)[0] if self.start_values is None else self.start_values
        )
        return np.column_stack([w, mu, sd]).reshape(-1)

    def fit(self, start=None, *, method: str | None = None, options: dict | None = None) -> FitResult:
        if method not in (None, *METHODS):
            raise ValueError(
                f"a normal mixture is fitted by EM; method must be one of {METHODS}, got {method!r}"
            )
        model = self if method is None or (method == "SQUAREM") == self.accelerate else self._switched()
        opts = check_options(options, COMMON_OPTIONS, "fit_normal_mixture")
        max_iter = opts.get("max_iter", self.max_iter)
        tol = opts.get("tol", self.tol)
        if start is not None:
            weights, means, sds = self._split(as_float_array(start, "start", ndim=1))
            start_list = [_check_components(weights, means, sds)]
        elif self.start_values is not None:
            start_list = [self.start_values]
        else:
            start_list = None
        return _fit(model, start_list, max_iter, tol, "fit_normal_mixture")

    def _switched(self) -> NormalMixture:
        """The same model fitted by the other method (plain EM or SQUAREM)."""
        return NormalMixture(self.x, self.components, n_starts=self.n_starts, seed=self.seed,
                             start=self.start_values, max_iter=self.max_iter, tol=self.tol,
                             accelerate=not self.accelerate, allow_narrow=self.allow_narrow)  # fmt: skip

    def simulate(self, params, rng):
        weights, means, sds = self._split(params)
        n = self.x.shape[0]
        component = rng.choice(self.m, size=n, p=weights / weights.sum())
        return self._like(means[component] + sds[component] * rng.standard_normal(n))

    def resample(self, rows):
        return self._like(self.x[np.asarray(rows)])

    def nesting(self, restricted) -> Nesting:
        if isinstance(restricted, NormalMixture):
            raise ValueError(f"no likelihood-ratio test of two {self.name} fits: {NOT_CHI_SQUARE}")
        return super().nesting(restricted)


def theta_score_rows(theta: NDArray, x: NDArray, m: int) -> NDArray:
    """Row i: the score of observation i in theta (the matrix G of :func:`nll_hessian`)."""
    w, _, sd, resp, z = _pieces(theta, x, m)
    n = x.shape[0]
    G = np.empty((n, 3 * m - 1))
    G[:, : m - 1] = resp[1:].T - w[1:]
    G[:, m - 1 : 2 * m - 1] = (resp * (z / sd[:, None])).T
    G[:, 2 * m - 1 :] = (resp * (z * z - 1.0)).T
    return G


# --- the public steps and the fitter ---------------------------------------------------------------------
def _check_x(x: ArrayLike) -> NDArray:
    return as_float_array(x, "x", ndim=1)


def _check_components(
    weights: ArrayLike, means: ArrayLike, sds: ArrayLike
) -> tuple[NDArray, NDArray, NDArray]:
    weights = as_float_array(weights, "weights", ndim=1)
    means = as_float_array(means, "means", ndim=1)
    sds = as_float_array(sds, "sds", ndim=1)
    m = weights.shape[0]
    for name, arr in (("means", means), ("sds", sds)):
        if arr.shape[0] != m:
            raise ValueError(f"{name} has {arr.shape[0]} values but weights has {m}; one per component")
    if np.any(weights <= 0):
        raise ValueError(f"weights must be > 0, got {weights}")
    if abs(weights.sum() - 1.0) > 1e-8:
        raise ValueError(f"weights must sum to 1, got a sum of {weights.sum():.10g}")
    if np.any(sds <= 0):
        j = int(np.flatnonzero(sds <= 0)[0])
        raise ValueError(
            f"sds must be > 0, got sds[{j}] = {sds[j]:g}: a component with sigma = 0 has collapsed onto "
            "a single point, where the likelihood is infinite"
        )
    return weights, means, sds


def em_e_step(
    x: ArrayLike, weights: ArrayLike, means: ArrayLike, sds: ArrayLike
) -> tuple[NDArray[np.float64], float]:
    r"""The E step of EM for a normal mixture: responsibilities and the log-likelihood.

    .. math:: r_{ij} = \frac{w_j\,f(x_i; \mu_j, \sigma_j)}{\sum_l w_l\,f(x_i; \mu_l, \sigma_l)},
              \qquad \ell = \sum_i \log\sum_l w_l\,f(x_i; \mu_l, \sigma_l)

    computed in logs (log-sum-exp), so that far-out observations do not underflow.

    Parameters
    ----------
    x : array_like, shape (n,)
        The data.
    weights, means, sds : array_like, shape (m,)
        The current mixing weights (> 0, summing to 1), means and standard deviations (> 0).

    Returns
    -------
    responsibilities : ndarray, shape (n, m)
        Each row sums to 1.
    loglik : float
        The mixture log-likelihood at these parameters (before the M step).

    Raises
    ------
    ValueError
        NaN or inf, a masked value, lengths that differ, weights not positive or not summing to
        1, a standard deviation not > 0, or an observation with density 0 under every component.

    Examples
    --------
    >>> x = [-1.0, 0.0, 3.0]
    >>> r, ll = em_e_step(x, [0.5, 0.5], [0.0, 3.0], [1.0, 1.0])
    >>> r.round(3), round(ll, 4)
    (array([[0.999, 0.001],
           [0.989, 0.011],
           [0.011, 0.989]]), -5.3136)
    """
    x = _check_x(x)
    weights, means, sds = _check_components(weights, means, sds)
    with np.errstate(invalid="ignore"):
        resp, log_f = e_step(x, weights, means, sds)
    if not np.all(np.isfinite(log_f)):
        i = int(np.flatnonzero(~np.isfinite(log_f))[0])
        raise ValueError(
            f"x[{i}] = {x[i]:g} has density 0 under every component (too far from every mean for its sd): "
            "the log-likelihood is -inf there; choose wider sds"
        )
    return np.ascontiguousarray(resp.T), float(np.sum(log_f))


def em_m_step(x: ArrayLike, responsibilities: ArrayLike) -> tuple[NDArray, NDArray, NDArray]:
    r"""The M step of EM for a normal mixture: weighted shares, means and standard deviations.

    .. math:: n_j = \sum_i r_{ij}, \quad w_j = \frac{n_j}{n}, \quad
              \mu_j = \frac{1}{n_j}\sum_i r_{ij}x_i, \quad
              \sigma_j^2 = \frac{1}{n_j}\sum_i r_{ij}(x_i - \mu_j)^2

    Parameters
    ----------
    x : array_like, shape (n,)
        The data.
    responsibilities : array_like, shape (n, m)
        From :func:`em_e_step`: non-negative, each row summing to 1. A DataFrame is matched to a
        pandas ``x`` by index label.

    Returns
    -------
    weights, means, sds : ndarray, shape (m,)
        A standard deviation can come out 0 (or tiny) if a component holds a single point: the
        degenerate solution, where the likelihood is unbounded.

    Raises
    ------
    ValueError
        Shapes or pandas index labels that do not match, NaN or masked values, negative
        responsibilities, rows not summing to 1, or a component with no responsibility at all.

    Examples
    --------
    >>> resp = [[1.0, 0.0], [0.9, 0.1], [0.0, 1.0]]
    >>> w, mu, sd = em_m_step([-1.0, 0.0, 3.0], resp)
    >>> print(w.round(4), mu.round(4), sd.round(4))
    [0.6333 0.3667] [-0.5263  2.7273] [0.4993 0.8624]
    """
    responsibilities = align(x, "x", responsibilities, "responsibilities")
    x = _check_x(x)
    resp = as_float_array(responsibilities, "responsibilities", ndim=2)
    if resp.shape[0] != x.shape[0]:
        raise ValueError(f"responsibilities has {resp.shape[0]} rows but x has {x.shape[0]} values")
    if np.any(resp < 0):
        raise ValueError("responsibilities must be >= 0 (they are probabilities)")
    if np.max(np.abs(resp.sum(axis=1) - 1.0)) > 1e-8:
        raise ValueError("each row of responsibilities must sum to 1 (a probability over the components)")
    empty = resp.sum(axis=0) <= 0
    if np.any(empty):
        j = int(np.flatnonzero(empty)[0])
        raise ValueError(f"component {j} has no responsibility at all, so it has no estimate")
    return m_step(x, np.ascontiguousarray(resp.T))


def fit_normal_mixture(
    x: ArrayLike,
    n_components: int = 2,
    *,
    n_starts: int = 10,
    seed: int = 0,
    start: tuple[ArrayLike, ArrayLike, ArrayLike] | None = None,
    max_iter: int | None = None,
    tol: float | None = None,
    names: Sequence[str] | None = None,
    options: dict | None = None,
    method: str = "SQUAREM",
    allow_narrow: bool = False,
) -> FitResult:
    r"""Maximum likelihood fit of a mixture of normals by EM, from several starts.

    .. math:: \ell(w, \mu, \sigma) = \sum_{i=1}^n \log\sum_{j=1}^m w_j\,f(x_i; \mu_j, \sigma_j)

    EM (:func:`em_e_step`, :func:`em_m_step`), accelerated by SQUAREM (Varadhan and Roland,
    2008: an extrapolation along two EM steps, then one more EM step) and by Newton's step on
    the observed information (near a maximum, where EM slows down, and where the extrapolation
    fails, as near a saddle; the information's eigenvalues made positive), each kept only if the
    log-likelihood did not fall, runs from all the starts at once (every EM step one array
    computation over the starts still running), from each until, in one EM step, no weight moves by
    more than ``tol``, no mean or standard deviation by more than ``tol`` times its standard
    deviation, and the log-likelihood by no more than ``tol`` relative. The code checks at every
    plain EM step that the log-likelihood did not decrease (beyond rounding). A start on which a
    component collapses onto a single point (:math:`\sigma_j \to 0`, where the likelihood is
    unbounded) is stopped and discarded. The fit runs on the data shifted by their middle value
    and scaled by a power of two, and maps the answer back, so that data near :math:`10^{10}`,
    :math:`10^{300}` or :math:`10^{-300}` are fitted as well as data near 1.

    **Which maximum.** The likelihood has local maxima, and some are *spurious*: a component on a
    few close values with a tiny :math:`\sigma_j`, higher than every proper maximum. A component
    is *narrow* if it holds less than two observations' weight (:math:`n w_j < 2`) or its
    :math:`\sigma_j` is below 1/20 of the largest. The estimate is the highest maximum the starts
    reached without a narrow component (if every one has a narrow component, the highest, flagged
    in ``message``); a higher maximum with a narrow component is named in ``message`` with its
    log-likelihood, and ``allow_narrow=True`` returns it instead. ``message`` also says when the
    starts disagree (the distinct maxima they reached, and how many reached each).

    Parameters
    ----------
    x : array_like, shape (n,)
        The data.
    n_components : int
        Number of components :math:`m`, at least 2.
    n_starts : int
        Number of broad starts: the first splits the sorted data into equal-count groups, the
        others are k-means++-style picks of centres from ``numpy.random.default_rng(seed)``.
        ``n_starts // 2`` more take centres drawn from the data, and ``n_starts // 2`` more are
        *narrow*: from the best broad maximum, a component moved onto the few observations nearest
        a value where the data are densest next to that fit (they reach the maxima with a
        narrow component, which broad starts rarely do).
    seed : int
        Seed of those picks (the fit is deterministic).
    start : (weights, means, sds), optional
        One start of your own instead.
    max_iter : int, optional
        Most EM iterations per start (default 10,000); the same as ``options={"max_iter": ...}``.
    tol : float, optional
        The stopping tolerance (see above; default 1e-10); the same as ``options={"tol": ...}``.
    names : sequence of str, optional
        A name for each component, in order of increasing mean (default: 0, 1, ...).
    options : dict, optional
        ``max_iter`` and ``tol``, as above; an unknown key is an error.
    method : {"SQUAREM", "EM"}
        EM accelerated by SQUAREM and Newton steps (default) or plain EM (whose iterations the
        mixture chapter counts); both stop at EM's fixed point.
    allow_narrow : bool
        Return the highest maximum even if it has a narrow component (see "Which maximum").

    Returns
    -------
    FitResult
        ``params`` component by component, sorted by mean: ``weight[j]``, ``mu[j]``,
        ``sigma[j]`` (``j`` a name from ``names``); ``bounds`` (0, 1) for the weights;
        ``constraints = 1`` (the weights sum to 1, so ``k``, AIC and BIC count :math:`3m - 1`
        free parameters); ``stderr`` from the
        observed information (analytic Hessian of the log-likelihood in unconstrained
        coordinates, carried to these by the delta method); ``n_iter`` the EM steps of the
        chosen start (with SQUAREM, the EM steps its cycles took); ``message`` what the starts
        found; a ``profile`` for
        ``conf_int(method="profile")``; ``model`` (a :class:`NormalMixture`, ``name``
        ``"normal_mixture"``) and a ``data_key`` of ``x``. ``robust()`` gives the sandwich in
        the unconstrained coordinates, carried to these by the delta method.
        :func:`~mle_tutorial.likelihood_ratio_test` refuses two mixture fits: with fewer
        components the model sits on the boundary of the larger one, where the statistic is not
        :math:`\chi^2`.

    Raises
    ------
    ValueError
        Bad ``x`` (NaN, inf, a masked value, not 1-D), ``n_components`` < 2 or more than the
        distinct values of ``x`` allow, a bad ``start`` or ``names``, a ``method`` other than
        ``"SQUAREM"`` or ``"EM"``, an ``allow_narrow`` that is not ``True`` or ``False``, an
        unknown ``options`` key; or every start collapsing onto a single point (the degenerate
        solution: no MLE among them).

    Warns
    -----
    ConvergenceWarning
        If EM on the best start did not meet its stopping rule within ``max_iter`` iterations.
    HessianWarning
        If the Hessian at the estimate is not positive definite (standard errors NaN).

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(2)
    >>> low, high = rng.normal(-2.0, 0.8, 400), rng.normal(2.5, 1.2, 600)
    >>> x = np.concatenate([low, high])
    >>> fit = fit_normal_mixture(x, 2)
    >>> fit.param_names
    ('weight[0]', 'mu[0]', 'sigma[0]', 'weight[1]', 'mu[1]', 'sigma[1]')
    >>> fit.params.round(3)
    array([ 0.397, -2.032,  0.801,  0.603,  2.457,  1.242])
    """
    model = NormalMixture.from_data(
        x, n_components, n_starts=n_starts, seed=seed, start=start, max_iter=max_iter, tol=tol,
        names=names, options=options, method=method, allow_narrow=allow_narrow,
    )  # fmt: skip
    return model.fit()
