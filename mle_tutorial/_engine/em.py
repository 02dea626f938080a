r"""Finite normal mixtures: the log-likelihood, the EM algorithm, its starts, and the information.

A mixture of :math:`m` normals has density :math:`f(x) = \sum_{j=1}^m w_j\,\phi(x; \mu_j, \sigma_j^2)`
and log-likelihood :math:`\ell = \sum_i \log\sum_j w_j\phi(x_i; \mu_j, \sigma_j^2)`, computed with
log-sum-exp. EM (Dempster, Laird and Rubin, 1977) alternates

* the **E step**: responsibilities :math:`r_{ij} = w_j\phi(x_i; \mu_j, \sigma_j^2) / f(x_i)`, the
  probability that observation :math:`i` came from component :math:`j` at the current parameters
  (stored as an (m, n) array, one row per component);
* the **M step**: :math:`n_j = \sum_i r_{ij}`, :math:`w_j = n_j/n`,
  :math:`\mu_j = \sum_i r_{ij}x_i/n_j`, :math:`\sigma_j^2 = \sum_i r_{ij}(x_i - \mu_j)^2/n_j`,

and never lowers :math:`\ell`: :func:`run` checks that at every iteration and raises
``AssertionError`` if it happens by more than rounding (it would be a bug).

The likelihood is unbounded: a component centred on one observation with :math:`\sigma_j \to 0`
sends :math:`\ell \to \infty`. :func:`run` stops a start whose component collapses like that
(:math:`\sigma_j` below :data:`SD_COLLAPSE` times the spread of the data, or less than one
observation's worth of weight) and reports it; :func:`fit` never returns it.

Standard errors come from the observed information in the unconstrained coordinates
:math:`\theta = (\alpha_2, \dots, \alpha_m, \mu_1, \dots, \mu_m, \log\sigma_1, \dots, \log\sigma_m)`
(:math:`w = \mathrm{softmax}(0, \alpha)`), by the analytic Hessian of :func:`nll_hessian`
(:math:`\nabla^2\ell = \sum_i\{\mathrm{E}_{r_i}[\nabla^2 a_{ij} + \nabla a_{ij}\nabla a_{ij}^\top]
- \mathrm{E}_{r_i}[\nabla a_{ij}]\,\mathrm{E}_{r_i}[\nabla a_{ij}]^\top\}` with
:math:`a_{ij} = \log w_j + \log\phi(x_i; \mu_j, \sigma_j^2)`), carried to
:math:`(w_j, \mu_j, \sigma_j)` by the delta method.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from . import covariance, lazy
from .finish import FREE, POSITIVE, finish
from .result import FitResult
from .rows import data_key, fingerprint_sum

_HALF_LOG_2PI = 0.5 * np.log(2.0 * np.pi)

#: A component whose sigma falls below this times the standard deviation of the data has
#: collapsed onto a point: the likelihood is unbounded there, and the start is abandoned.
SD_COLLAPSE = 1e-6

#: EM may lower the log-likelihood by no more than this times sum_i |log f(x_i)| (rounding).
MONOTONE_SLACK = 1e-12

KINDS = ("weight", "mu", "sigma")


# --- the likelihood, and the two steps --------------------------------------------------------------
def log_joint(x: NDArray, weights: NDArray, means: NDArray, sds: NDArray) -> NDArray:
    r""":math:`a_{ji} = \log w_j + \log\phi(x_i; \mu_j, \sigma_j^2)`, shape (m, n): one row per
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
    log-likelihood given the responsibilities (m, n) (a component with no weight gives NaN)."""
    nk = resp.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        means = (resp @ x) / nk
        d = x - means[:, None]
        var = np.sum(resp * d * d, axis=1) / nk
    return nk / x.shape[0], means, np.sqrt(var)


# --- one run of EM ------------------------------------------------------------------------------------
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


def run(
    x: NDArray, weights: NDArray, means: NDArray, sds: NDArray, *, max_iter: int, tol: float, floor: float
) -> Run:
    """EM from one start until the parameters move by at most ``tol`` (weights absolutely, means
    and sigmas relative to sigma) and the log-likelihood by at most ``tol`` relative, for at most
    ``max_iter`` iterations; stopped early if a component collapses (sigma <= ``floor`` or less
    than one observation's weight)."""
    resp, log_f = e_step(x, weights, means, sds)
    ll = float(np.sum(log_f))
    for it in range(1, max_iter + 1):
        new_w, new_mu, new_sd = m_step(x, resp)
        bad = ~(new_sd > floor) | ~(new_w * x.shape[0] >= 1.0)
        if np.any(bad):
            j = int(np.flatnonzero(bad)[0])
            point = float(new_mu[j]) if np.isfinite(new_mu[j]) else float(means[j])
            return Run(new_w, new_mu, new_sd, np.inf, it, False, collapsed=j, point=point)
        resp, log_f = e_step(x, new_w, new_mu, new_sd)
        new_ll = float(np.sum(log_f))
        slack = MONOTONE_SLACK * float(np.sum(np.abs(log_f)))
        if not new_ll >= ll - slack:
            raise AssertionError(
                f"EM lowered the log-likelihood from {ll!r} to {new_ll!r} at iteration {it}, by more "
                "than rounding: EM never does that, so this is a bug"
            )
        change = max(
            float(np.max(np.abs(new_w - weights))),
            float(np.max(np.abs(new_mu - means) / new_sd)),
            float(np.max(np.abs(new_sd - sds) / new_sd)),
        )
        rise = (new_ll - ll) / abs(new_ll)
        weights, means, sds, ll = new_w, new_mu, new_sd, new_ll
        if change <= tol and rise <= tol:
            return _sorted(Run(weights, means, sds, ll, it, True))
    return _sorted(Run(weights, means, sds, ll, max_iter, False))


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
    """Deterministic starts: the first splits the sorted data into ``m`` equal-count groups
    (quantiles); the others pick centres k-means++-style (each next centre drawn with probability
    proportional to its squared distance from the nearest centre so far, from
    ``numpy.random.default_rng(seed)``) and take the groups of the nearest centre."""
    order = np.argsort(x, kind="stable")
    labels = np.empty(x.shape[0], dtype=int)
    labels[order] = np.arange(x.shape[0]) * m // x.shape[0]
    out = [_group_start(x, labels, np.quantile(x, (np.arange(m) + 0.5) / m), m)]
    rng = np.random.default_rng(seed)
    for _ in range(n_starts - 1):
        centers = [x[rng.integers(x.shape[0])]]
        for _ in range(1, m):
            d2 = np.min((x[:, None] - np.array(centers)) ** 2, axis=1)
            total = d2.sum()
            index = rng.choice(x.shape[0], p=d2 / total) if total > 0 else rng.integers(x.shape[0])
            centers.append(x[index])
        centers = np.sort(np.array(centers))
        labels = np.argmin(np.abs(x[:, None] - centers), axis=1)
        out.append(_group_start(x, labels, centers, m))
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


# --- the fit ---------------------------------------------------------------------------------------------
def collapse_error(runs: list[Run], x: NDArray, what: str) -> ValueError:
    r = next(r for r in runs if r.collapsed is not None)
    return ValueError(
        f"{what} collapsed: component {r.collapsed}'s sigma went to 0 on a single point (x = {r.point:.6g}), "
        "where the likelihood is unbounded (it rises to +inf as sigma -> 0); that degenerate 'maximum' is "
        "not an estimate. Try other starts (more n_starts, another seed) or fewer components"
    )


def fit(
    x: NDArray,
    m: int,
    start_list: list,
    *,
    max_iter: int,
    tol: float,
    caller: str,
    names: tuple[str, ...] | None = None,
) -> FitResult:
    """EM from every start; the best start that did not collapse gives the result (its components,
    in order of increasing mean, named by ``names``: 0, 1, ... if None)."""
    floor = SD_COLLAPSE * float(np.std(x))
    runs = [run(x, *s, max_iter=max_iter, tol=tol, floor=floor) for s in start_list]
    good = [r for r in runs if r.collapsed is None]
    if not good:
        what = "the start" if len(runs) == 1 else f"every one of the {len(runs)} starts"
        raise collapse_error(runs, x, what)
    best = max(good, key=lambda r: r.loglik)
    n_collapsed = len(runs) - len(good)
    lower = sum(r.loglik < best.loglik - 1e-6 * max(1.0, abs(best.loglik)) for r in good)
    message = (
        f"EM from {len(runs)} start(s): the best reached log-likelihood {best.loglik:.6f} "
        f"({'converged' if best.converged else f'not converged in {max_iter} iterations'}); "
        f"{lower} stopped at a lower local maximum; {n_collapsed} collapsed onto a single point "
        "(sigma -> 0, unbounded likelihood) and were discarded."
    )
    theta = pack(best.weights, best.means, best.sds)
    cov_theta, problem = covariance.from_hessian(nll_hessian(theta, x, m))
    J = natural_jacobian(best.weights, best.sds)
    cov = J @ cov_theta @ J.T
    params = np.column_stack([best.weights, best.means, best.sds]).reshape(-1)
    failure = None
    if not best.converged:
        failure = (
            f"{caller} did not converge: EM ran {max_iter} iterations without its stopping rule "
            f"passing (parameters and log-likelihood moving by at most {tol:g}). Raise max_iter. {message}"
        )
    return finish(
        params=params,
        names=param_names(tuple(str(j) for j in range(m)) if names is None else names),
        loglik=best.loglik,
        nobs=x.shape[0],
        converged=best.converged,
        n_iter=best.n_iter,
        method="EM",
        message=message,
        cov=(cov, problem),
        profile=MixtureProfile(x, best.weights, best.means, best.sds),
        failure=failure,
        bounds=[(0.0, 1.0), FREE, POSITIVE] * m,
        constraints=1,  # the weights sum to 1
        model="normal_mixture",
        data_key=data_key(x.shape[0], fingerprint_sum(x)),
    )
