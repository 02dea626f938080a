r"""Generalized linear mixed models: binomial and Poisson outcomes with random effects, by the
Laplace approximation or adaptive Gauss-Hermite quadrature of the marginal likelihood.

Each group :math:`g` has :math:`n_g` outcomes, independent given the group's random effects
:math:`b_g \sim N(0, \Sigma)`:

.. math:: y_{gi} \mid b_g \sim f(y \mid \mu_{gi}), \qquad
          \eta_{gi} = x_{gi}^\top\beta + z_{gi}^\top b_g, \qquad
          L_g = \int \prod_i f(y_{gi} \mid \eta_{gi})\,\varphi_\Sigma(b)\,db,

with :math:`f` binomial (successes out of ``trials``, the logit link; 0/1 outcomes when there are
no trials) or Poisson (the log link). The integral has no closed form. With
:math:`b = \Lambda u` (:math:`\Sigma = \Lambda\Lambda^\top`, lme4's relative covariance factor,
:math:`u \sim N(0, I)`) and :math:`h_g(u) = \sum_i\log f(y_{gi}\mid\eta_{gi}(u)) - \tfrac12\|u\|^2`:

* the **Laplace approximation** (``n_quadrature=1``) expands :math:`h_g` to second order at its
  maximum :math:`\hat u_g` (the conditional mode, found by Newton's method on each group):

  .. math:: \log L_g \approx h_g(\hat u_g) - \tfrac12\log|H_g|, \qquad
            H_g = I + \Lambda^\top Z_g^\top W_g Z_g\Lambda,

  :math:`W_g` the GLM weights at the mode; exact for a normal :math:`f`, poor for binary data in
  small groups;
* **adaptive Gauss-Hermite quadrature** with :math:`K` nodes (``n_quadrature=K``, a single random
  effect) centres the Gauss-Hermite rule on :math:`\hat u_g` and scales it by
  :math:`\hat s_g = H_g^{-1/2}`:

  .. math:: \log L_g \approx \log(\sqrt2\,\hat s_g) - \tfrac12\log 2\pi
            + \log\sum_{k=1}^K w_k e^{x_k^2 + h_g(\hat u_g + \sqrt2\,\hat s_g x_k) + u_k^2/2
            - u_k^2/2},

  which is the Laplace approximation for :math:`K = 1` and converges to :math:`L_g` as :math:`K`
  grows (lme4's ``nAGQ``).

The log-likelihood is the full one: it includes :math:`\log\binom{m}{y}` and :math:`-\log y!`,
as lme4's ``logLik`` does for ``nAGQ = 1``. (For ``nAGQ > 1`` lme4 reports the log-likelihood
less the saturated model's, :math:`\sum_i\log f(y_i \mid \mu_i = y_i)`; for 0/1 outcomes that is
0, for counts it is not: add it to lme4's value to compare.)

**The fit** maximizes the approximation over :math:`\beta` and :math:`\Lambda` by modified Newton
steps (:func:`~mle_tutorial.linear_mixed.minimize_smooth`), from the GLM's :math:`\beta` and
:math:`\Lambda = I`, with the analytic gradient of the approximation (below, for the Laplace
approximation; for quadrature the same chain rule through the mode, its scale and every node).
As for the linear mixed model (:mod:`mle_tutorial.linear_mixed`),
the groups are the observations of the contract (``loglik_obs`` per group; robust errors
clustered by group; the bootstrap resamples groups), a variance estimated as 0 is an answer on
the boundary (``message``, ``model.on_boundary``, NaN standard errors for the random effects'
parameters there), and the reported covariance is the inverse of minus the Hessian of the
approximate log-likelihood in ``[beta, sd, corr]`` (Richardson differences of the analytic
score).

The gradient of the Laplace approximation, for canonical links (:math:`d_i = y_i - \mu_i`,
:math:`w_i = \partial\mu_i/\partial\eta_i`, :math:`w'_i = \partial w_i/\partial\eta_i`, rows
:math:`a_i = \Lambda^\top z_i`, :math:`c_i = w'_i\,a_i^\top H^{-1}a_i`, :math:`r = \sum_i c_i a_i`,
:math:`\rho = H^{-1}r`): the mode moves with the parameters, so

.. math:: \frac{\partial}{\partial\beta} = \sum_i x_i d_i - \tfrac12\Bigl(\sum_i c_i x_i
          - B^\top\rho\Bigr), \quad B = \sum_i w_i a_i x_i^\top; \qquad
          \frac{\partial}{\partial\Lambda} = Z^\top d\,\hat u^\top - \tfrac12\bigl(2Z^\top WZ\Lambda
          H^{-1} + Z^\top c\,\hat u^\top + Z^\top d\,\rho^\top - Z^\top WZ\Lambda\rho\,\hat u^\top\bigr)

summed over the groups.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ._engine.checks import (
    as_float_array,
    check_rows,
    coefficient_names,
    match_rows,
    positive_int,
    read_matrix,
)
from ._engine.lazy import special
from ._engine.lstsq import check_full_rank
from ._engine.optimize import COMMON_OPTIONS, check_options
from ._engine.profiles import ScaledProfile
from ._engine.scale import column_maxima, shifted, shifts, unshift, unshift_cov
from .fitting import FREE, Estimate, finish
from .glm import LOGISTIC, POISSON, PerfectSeparationError, poisson_divergence, separation_direction
from .linear_mixed import (
    CovarianceLayout,
    GroupedRegression,
    Groups,
    NaturalProfile,
    RandomEffects,
    boundary_message,
    boundary_names,
    check_identified,
    covariance_at,
    minimize_smooth,
    mixed_data_key,
    mixed_embedding,
    mixed_nesting,
    predict_mixed,
    psd_factor,
    read_groups,
    read_random_design,
    spd_inverse,
    variance_kinds,
)
from .model import Nesting
from .result import FitResult

__all__ = [
    "BINOMIAL",
    "MIXED_FAMILIES",
    "POISSON_COUNTS",
    "GeneralizedLinearMixed",
    "MixedFamily",
    "fit_glmm",
]

_HALF_LOG_2PI = 0.5 * math.log(2.0 * math.pi)
#: The largest number of quadrature nodes.
MAX_QUADRATURE = 100


# --- the families: log f, and its first three derivatives in eta --------------------------------
@dataclass(frozen=True)
class MixedFamily:
    """The distribution of an outcome given its linear predictor, for a GLMM: ``terms`` (the
    log-likelihood of each row, with its constant), ``derivatives`` (:math:`d = y - \\mu`, the
    weight :math:`w = \\partial\\mu/\\partial\\eta` and :math:`w' = \\partial w/\\partial\\eta`;
    canonical links), ``mean`` (the mean per trial: a probability, or a Poisson mean),
    ``sample`` and ``saturated`` (the log-likelihood at :math:`\\mu = y`)."""

    name: str

    def terms(self, eta: NDArray, y: NDArray, m: NDArray, const: NDArray) -> NDArray:  # pragma: no cover
        raise NotImplementedError

    def derivatives(
        self, eta: NDArray, y: NDArray, m: NDArray
    ) -> tuple[NDArray, NDArray, NDArray]:  # pragma: no cover
        raise NotImplementedError

    def mean(self, eta: NDArray) -> NDArray:  # pragma: no cover
        raise NotImplementedError

    def sample(self, eta: NDArray, m: NDArray, rng: np.random.Generator) -> NDArray:  # pragma: no cover
        raise NotImplementedError

    def value_and_slope(
        self, eta: NDArray, y: NDArray, m: NDArray, const: NDArray
    ) -> tuple[NDArray, NDArray]:
        """``terms`` and :math:`d = y - \\mu` together."""
        return self.terms(eta, y, m, const), self.derivatives(eta, y, m)[0]

    def constant(self, y: NDArray, m: NDArray) -> NDArray:
        """The part of each row's log-likelihood free of the parameters."""
        return np.zeros_like(y)

    def saturated(self, y: NDArray, m: NDArray) -> float:  # pragma: no cover
        raise NotImplementedError


def _softplus(eta: NDArray) -> NDArray:
    return np.maximum(eta, 0.0) + np.log1p(np.exp(-np.abs(eta)))


@dataclass(frozen=True)
class _Binomial(MixedFamily):
    """Successes out of ``m`` trials, the logit link: :math:`\\log\\binom{m}{y} + y\\eta -
    m\\log(1 + e^\\eta)` (the logistic model's kernel, :data:`~mle_tutorial.glm.LOGISTIC`, for
    ``m = 1``)."""

    name: str = "binomial"

    def terms(self, eta, y, m, const):
        return const + y * eta - m * _softplus(eta)

    def derivatives(self, eta, y, m):
        mu = LOGISTIC.mean(eta)
        w = m * mu * (1.0 - mu)
        return y - m * mu, w, w * (1.0 - 2.0 * mu)

    def value_and_slope(self, eta, y, m, const):
        # one exp for both (as the logistic GLM's block): log(1 + e^eta) and expit(eta) from e^-|eta|
        e = np.exp(-np.abs(eta))
        inv = 1.0 / (1.0 + e)
        mu = np.where(eta >= 0, inv, e * inv)
        return const + y * eta - m * (np.maximum(eta, 0.0) + np.log1p(e)), y - m * mu

    def mean(self, eta):
        return LOGISTIC.mean(eta)

    def sample(self, eta, m, rng):
        return rng.binomial(m.astype(np.int64), LOGISTIC.mean(eta)).astype(float)

    def constant(self, y, m):
        return special.gammaln(m + 1.0) - special.gammaln(y + 1.0) - special.gammaln(m - y + 1.0)

    def saturated(self, y, m):
        p = y / m
        with np.errstate(divide="ignore", invalid="ignore"):
            inner = np.where(y > 0, y * np.log(p), 0.0) + np.where(y < m, (m - y) * np.log1p(-p), 0.0)
        return float(np.sum(self.constant(y, m) + inner))


@dataclass(frozen=True)
class _Poisson(MixedFamily):
    """Counts with the log link: :data:`~mle_tutorial.glm.POISSON`'s log-probability (Loader's
    saddle-point form, as R's ``dpois``)."""

    name: str = "poisson"

    def terms(self, eta, y, m, const):
        return POISSON.terms(eta, y)

    def derivatives(self, eta, y, m):
        with np.errstate(over="ignore"):
            mu = np.exp(eta)
        return y - mu, mu, mu

    def mean(self, eta):
        return np.exp(eta)

    def sample(self, eta, m, rng):
        return rng.poisson(np.exp(eta)).astype(float)

    def saturated(self, y, m):
        with np.errstate(divide="ignore"):
            eta = np.log(np.where(y > 0, y, 1.0))
        return float(np.sum(POISSON.terms(np.where(y > 0, eta, -np.inf), y)))


BINOMIAL = _Binomial()
POISSON_COUNTS = _Poisson()
MIXED_FAMILIES = {"binomial": BINOMIAL, "poisson": POISSON_COUNTS}


# --- the conditional modes, by Newton's method on every group at once ---------------------------
@dataclass(frozen=True, eq=False)
class _Data:
    """A GLMM's rows sorted by group, and the constant of each row's log-likelihood."""

    X: NDArray
    y: NDArray
    m: NDArray
    Z: NDArray
    const: NDArray
    groups: Groups

    @classmethod
    def of(cls, family: MixedFamily, X, y, m, Z, groups: Groups) -> _Data:
        o = groups.order
        return cls(X[o], y[o], m[o], Z[o], family.constant(y[o], m[o]), groups)


@dataclass(frozen=True, eq=False)
class _Modes:
    """The conditional modes at one point, and what the approximations and the gradient need."""

    u: NDArray  # (G, q)
    eta: NDArray  # at the modes (sorted rows)
    A: NDArray  # Z Lambda (sorted rows, q columns)
    H: NDArray  # (G, q, q)
    logdet: NDArray  # log |H_g|
    converged: bool


#: Newton on the modes stops once no step moves a mode by more than this (relative to 1 + |u|),
#: after one more full step.
MODE_TOL = 1e-10
MODE_STEPS = 100


def conditional_modes(family: MixedFamily, data: _Data, offset: NDArray, A: NDArray) -> _Modes:
    r"""The maximum :math:`\hat u_g` of :math:`h_g(u) = \sum_i\log f(y_i\mid\eta_i) - \tfrac12\|u\|^2`,
    :math:`\eta = \text{offset} + Au`, for every group at once: Newton's method from 0, with step
    halving group by group where :math:`h_g` would fall (it is concave), and one more full step
    after the steps have become negligible, so that the modes are converged to rounding (and the
    approximations smooth in the parameters)."""
    groups = data.groups
    G, q = groups.G, A.shape[1]
    code = groups.sorted_code
    u: NDArray = np.zeros((G, q))
    eye = np.eye(q)

    def state(u):
        eta = offset + np.einsum("iq,iq->i", A, u[code]) if q > 1 else offset + A[:, 0] * u[code, 0]
        ll = family.terms(eta, data.y, data.m, data.const)
        h = groups.sums(ll) - 0.5 * np.sum(u * u, axis=1)
        return eta, h

    eta, h = state(u)
    converged, final = False, False
    for _ in range(MODE_STEPS):
        d, w, _ = family.derivatives(eta, data.y, data.m)
        grad = groups.sums(A * d[:, None]) - u
        if q == 1:
            H = (groups.sums(w * A[:, 0] ** 2) + 1.0)[:, None, None]
            step = grad / H[:, :, 0]
        else:
            H = groups.sums(w[:, None, None] * A[:, :, None] * A[:, None, :]) + eye
            step = np.einsum("gij,gj->gi", spd_inverse(H)[0], grad)
        if final:
            u = u + step
            eta, h = state(u)
            converged = True
            break
        t = np.ones(G)
        for _ in range(60):
            trial = u + t[:, None] * step
            eta_t, h_t = state(trial)
            worse = ~(h_t >= h - 1e-12 * np.abs(h))
            if not np.any(worse):
                break
            t = np.where(worse, 0.5 * t, t)
        u, eta, h = trial, eta_t, h_t
        if np.max(np.abs(t[:, None] * step) / (1.0 + np.abs(u))) <= MODE_TOL:
            final = True
    d, w, _ = family.derivatives(eta, data.y, data.m)
    if q == 1:
        Hs = groups.sums(w * A[:, 0] ** 2) + 1.0
        H = Hs[:, None, None]
        logdet = np.log(Hs)
    else:
        H = groups.sums(w[:, None, None] * A[:, :, None] * A[:, None, :]) + eye
        logdet = spd_inverse(H)[1]
    return _Modes(u, eta, A, H, logdet, converged)


def laplace_terms(family: MixedFamily, data: _Data, modes: _Modes) -> NDArray:
    """The Laplace approximation of each group's log-likelihood."""
    ll = family.terms(modes.eta, data.y, data.m, data.const)
    return data.groups.sums(ll) - 0.5 * np.sum(modes.u * modes.u, axis=1) - 0.5 * modes.logdet


def quadrature_terms(family: MixedFamily, data: _Data, offset: NDArray, modes: _Modes, k: int) -> NDArray:
    """Adaptive Gauss-Hermite quadrature with ``k`` nodes of each group's log-likelihood (a single
    random effect)."""
    x, w = np.polynomial.hermite.hermgauss(k)
    s = 1.0 / np.sqrt(modes.H[:, 0, 0])  # (G,)
    nodes = modes.u[:, 0][:, None] + math.sqrt(2.0) * s[:, None] * x[None, :]  # (G, k)
    code = data.groups.sorted_code
    eta = offset[:, None] + modes.A[:, 0][:, None] * nodes[code]  # (n, k)
    ll = family.terms(eta, data.y[:, None], data.m[:, None], data.const[:, None])
    h = data.groups.sums(ll) - 0.5 * nodes * nodes  # (G, k)
    values = np.log(w)[None, :] + (x * x)[None, :] + h
    top = np.max(values, axis=1)
    total = top + np.log(np.sum(np.exp(values - top[:, None]), axis=1))
    return np.log(math.sqrt(2.0) * s) - _HALF_LOG_2PI + total


# --- the model ------------------------------------------------------------------------------------
class GeneralizedLinearMixed(GroupedRegression):
    r"""A binomial or Poisson GLMM on its data: parameters ``[beta..., sd[...]..., corr[...]...]``.

    .. math:: \ell_g = \log\int\prod_i f(y_{gi}\mid x_{gi}^\top\beta + z_{gi}^\top b)\,
              \varphi_\Sigma(b)\,db

    by the Laplace approximation (``n_quadrature=1``) or adaptive Gauss-Hermite quadrature. One
    contribution per **group** (``nobs`` is the number of groups). Built by :func:`~mle_tutorial.fit_glmm`
    (``fit.model``); :meth:`random_effects` gives the conditional modes, :meth:`predict` the
    fitted means with and without them, :meth:`on_boundary` the parameters on the edge of their
    space.
    """

    reml = False

    def __init__(self, family: MixedFamily, X: NDArray, y: NDArray, m: NDArray, Z: NDArray,
                 groups: Groups, names: Sequence[str], re_names: Sequence[str], *, trials: bool,
                 n_quadrature: int = 1, options: dict | None = None):  # fmt: skip
        self.family = family
        self.X = X
        self.y = y
        self.m = m
        self.Z = Z
        self.groups = groups
        self.names = tuple(names)
        self.layout = CovarianceLayout(tuple(re_names))
        self.trials = bool(trials)
        self.n_quadrature = int(n_quadrature)
        self.options = options
        self.key = mixed_data_key(y, groups.code, m if trials else None)
        self._cache_data: _Data | None = None

    def _like(self, X, y, m, Z, groups, names=None) -> GeneralizedLinearMixed:
        return GeneralizedLinearMixed(self.family, X, y, m, Z, groups, self.names if names is None else names,
                                      self.layout.names, trials=self.trials, n_quadrature=self.n_quadrature,
                                      options=self.options)  # fmt: skip

    @property
    def name(self) -> str:  # type: ignore[override]
        return f"{self.family.name}_mixed"

    @property
    def param_names(self) -> tuple[str, ...]:
        return (*self.names, *self.layout.param_names)

    @property
    def bounds(self):
        return (FREE,) * self.n_coef + self.layout.bounds

    @property
    def method_name(self) -> str:
        k = self.n_quadrature
        return "Laplace" if k == 1 else f"adaptive Gauss-Hermite quadrature, {k} nodes"

    def data(self) -> _Data:
        cached = getattr(self, "_cache_data", None)
        if cached is None:
            cached = self._cache_data = _Data.of(self.family, self.X, self.y, self.m, self.Z, self.groups)
        return cached

    # the approximate log-likelihood
    def _factor(self, params) -> tuple[NDArray, NDArray] | None:
        params = np.asarray(params, dtype=float)
        if not np.all(np.isfinite(params)):
            return None
        p = self.n_coef
        sd, corr = self.layout.split(params, p)
        F = psd_factor(self.layout.matrix(sd, corr))
        return None if F is None else (params[:p], F)

    def terms_at(self, beta: NDArray, F: NDArray) -> NDArray:
        """Each group's approximate log-likelihood at ``beta`` and the factor ``F`` of Sigma."""
        data = self.data()
        offset = data.X @ beta
        modes = conditional_modes(self.family, data, offset, data.Z @ F)
        if self.n_quadrature == 1:
            return laplace_terms(self.family, data, modes)
        return quadrature_terms(self.family, data, offset, modes, self.n_quadrature)

    def loglik_obs(self, params):
        found = self._factor(params)
        if found is None:
            return np.full(self.nobs, -np.inf)
        return self.terms_at(*found)

    def score_obs(self, params):
        r"""The score of each group: analytic in :math:`\beta` and :math:`\Lambda`
        (:func:`group_gradients`), carried to the standard deviations and correlations through
        :math:`\Sigma = \Lambda\Lambda^\top = DRD` (:math:`\partial\ell/\partial\Lambda = 2G\Lambda`
        with :math:`G = \partial\ell/\partial\Sigma`); by differences where :math:`\Sigma` is singular."""
        found = self._factor(params)
        if found is None:
            return np.full((self.nobs, len(self.param_names)), np.nan)
        beta, F = found
        q = self.layout.q
        if np.min(np.abs(np.diag(F))) <= 1e-12 * max(1.0, float(np.max(np.abs(F)))) or not np.allclose(
            F, np.tril(F)
        ):
            return super().score_obs(params)
        g_beta, g_L = group_gradients(self, beta, F)
        Finv = np.linalg.inv(F)
        G = 0.5 * (g_L @ Finv)
        G = 0.5 * (G + np.swapaxes(G, 1, 2))
        params = np.asarray(params, dtype=float)
        sd, corr = self.layout.split(params, self.n_coef)
        R = self.layout.matrix(np.ones(q), corr)
        d_sd = 2.0 * np.einsum("gjk,k,kj->gj", G, sd, R)
        i, j = self.layout.pairs()
        d_corr = 2.0 * G[:, i, j] * (sd[i] * sd[j])
        return np.column_stack([g_beta, d_sd, d_corr])

    def on_boundary(self, params) -> tuple[str, ...]:
        """The parameters on the edge of their space at ``params`` (see
        :meth:`~mle_tutorial.linear_mixed.LinearMixed.on_boundary`)."""
        return boundary_names(self.layout, np.asarray(params, dtype=float), self.n_coef)

    def random_effects(self, params) -> RandomEffects:
        r"""The conditional modes :math:`\hat b_g` of each group at ``params`` and their
        covariances :math:`\Lambda H_g^{-1}\Lambda^\top` (the normal approximation at the mode,
        as lme4's ``ranef(fit, condVar = TRUE)``)."""
        found = self._factor(params)
        if found is None:
            raise ValueError(
                "params is not a point of the parameter space (Sigma is not positive semi-definite)"
            )
        beta, F = found
        data = self.data()
        modes = conditional_modes(self.family, data, data.X @ beta, data.Z @ F)
        cov = F @ np.linalg.inv(modes.H) @ F.T
        return RandomEffects(self.groups.labels, self.layout.names, modes.u @ F.T, cov)

    def predict(self, params, X=None, Z=None, groups=None, *, random: bool = True) -> NDArray:
        r"""Predicted means (a probability per trial for the binomial, the mean count for the
        Poisson): at :math:`x^\top\beta + z^\top\hat b_g` with the conditional modes
        (``random=True``), or at :math:`x^\top\beta`, the mean of a group whose random effects
        are 0 (``random=False``; not the population average, which integrates over them). As
        :meth:`~mle_tutorial.linear_mixed.LinearMixed.predict` for ``X``, ``Z`` and ``groups``."""
        return predict_mixed(self, params, X, Z, groups, random, self.family.mean)

    # fitting
    def start(self):
        return None

    def fit(self, start=None, *, method: str | None = None, options: dict | None = None) -> FitResult:
        if method not in (None, "Newton"):
            raise ValueError(f"fit_glmm fits by modified Newton steps; method must be None, got {method!r}")
        if start is not None:
            raise ValueError("fit_glmm starts from the GLM's coefficients and Lambda = I; it takes no start")
        return _fit(self, self.options if options is None else options)

    # the bootstrap
    def simulate(self, params, rng):
        found = self._factor(params)
        if found is None:
            raise ValueError(
                "params is not a point of the parameter space (Sigma is not positive semi-definite)"
            )
        beta, F = found
        b = rng.standard_normal((self.groups.G, self.layout.q)) @ F.T
        eta = self.X @ beta + np.einsum("iq,iq->i", self.Z, b[self.groups.code])
        y = self.family.sample(eta, self.m, rng)
        return self._like(self.X, y, self.m, self.Z, self.groups)

    def resample(self, rows):
        chosen = np.asarray(rows, dtype=np.intp)
        idx, code = self.groups.rows_of(chosen)
        groups = Groups.from_codes(np.arange(len(chosen)), code)
        return self._like(self.X[idx], self.y[idx], self.m[idx], self.Z[idx], groups)

    def with_design(self, X):
        Xm, columns = read_matrix(X)
        if Xm.shape[0] != self.n_rows:
            raise ValueError(f"X_full has {Xm.shape[0]} rows but the fit has {self.n_rows} rows")
        return self._like(
            Xm, self.y, self.m, self.Z, self.groups, coefficient_names(None, columns, Xm.shape[1])
        )

    # nesting
    def nesting(self, restricted) -> Nesting:
        plain: tuple[str, ...] = ()
        if not self.trials:
            plain = ("logistic",) if self.family.name == "binomial" else ("poisson",)
        return mixed_nesting(self, restricted, plain)

    def embedding(self, restricted):
        return mixed_embedding(self, restricted, sigma=False)


# --- derivatives: each group's gradient in beta and Lambda ----------------------------------------
def group_gradients(model: GeneralizedLinearMixed, beta: NDArray, L: NDArray) -> tuple[NDArray, NDArray]:
    r"""The gradient of each group's approximate log-likelihood in :math:`\beta` (G, p) and in
    every entry of :math:`\Lambda` (G, q, q), with the mode moving with the parameters: the
    Laplace formulas of the module docstring, and for quadrature (a single random effect) the
    same chain rule through the mode, the scale :math:`\hat s_g` and every node."""
    data = model.data()
    groups = data.groups
    code = groups.sorted_code
    A = data.Z @ L
    offset = data.X @ beta
    modes = conditional_modes(model.family, data, offset, A)
    if model.n_quadrature > 1:
        return _quadrature_gradients(model, data, offset, L, modes)
    d, w, w1 = model.family.derivatives(modes.eta, data.y, data.m)
    Hinv = spd_inverse(modes.H)[0]  # (G, q, q)
    v = np.einsum("iq,iqk,ik->i", A, Hinv[code], A)
    c = w1 * v
    r = groups.sums(A * c[:, None])  # (G, q)
    rho = np.einsum("gij,gj->gi", Hinv, r)
    B = groups.sums(w[:, None, None] * A[:, :, None] * data.X[:, None, :])  # (G, q, p)
    g_beta = groups.sums(data.X * (d - 0.5 * c)[:, None]) + 0.5 * np.einsum("gqp,gq->gp", B, rho)
    Ztd = groups.sums(data.Z * d[:, None])
    Ztc = groups.sums(data.Z * c[:, None])
    ZWZ = groups.sums(w[:, None, None] * data.Z[:, :, None] * data.Z[:, None, :])
    ZWZL = ZWZ @ L  # (G, q, q)
    u = modes.u
    outer = np.einsum("ga,gb->gab", Ztd - 0.5 * Ztc, u)
    g_L = outer - np.einsum("gak,gkb->gab", ZWZL, Hinv) - 0.5 * np.einsum("ga,gb->gab", Ztd, rho)
    g_L = g_L + 0.5 * np.einsum("gak,gk,gb->gab", ZWZL, rho, u)
    return g_beta, g_L


def _quadrature_gradients(model, data: _Data, offset: NDArray, L: NDArray, modes: _Modes):
    groups = data.groups
    code = groups.sorted_code
    fam = model.family
    X, z = data.X, data.Z[:, 0]
    a = modes.A[:, 0]
    lam = float(L[0, 0])
    u_hat = modes.u[:, 0]
    H = modes.H[:, 0, 0]
    s = 1.0 / np.sqrt(H)
    d0, w0, w10 = fam.derivatives(modes.eta, data.y, data.m)
    # the mode: H du = sum(-w d_eta a + d d_a), d_eta its partial derivative at fixed u
    du_beta = -groups.sums(X * (w0 * a)[:, None]) / H[:, None]  # (G, p)
    du_lam = (groups.sums(d0 * z) - u_hat * groups.sums(w0 * z * a)) / H  # (G,)
    # total change of eta at the mode, then of H = 1 + sum(w a^2)
    deta_beta = X + a[:, None] * du_beta[code]  # (n, p)
    deta_lam = z * u_hat[code] + a * du_lam[code]  # (n,)
    dH_beta = groups.sums(deta_beta * (w10 * a * a)[:, None])  # (G, p)
    dH_lam = groups.sums(w10 * deta_lam * a * a + 2.0 * w0 * a * z)  # (G,)
    # the nodes u_k = u_hat + sqrt(2) s x_k
    x, wts = np.polynomial.hermite.hermgauss(model.n_quadrature)
    nodes = u_hat[:, None] + math.sqrt(2.0) * s[:, None] * x[None, :]  # (G, K)
    eta = offset[:, None] + a[:, None] * nodes[code]  # (n, K)
    ll, dk = fam.value_and_slope(eta, data.y[:, None], data.m[:, None], data.const[:, None])
    values = np.log(wts)[None, :] + (x * x)[None, :] + groups.sums(ll) - 0.5 * nodes * nodes
    pi = np.exp(values - np.max(values, axis=1, keepdims=True))
    pi /= np.sum(pi, axis=1, keepdims=True)  # (G, K)
    slope = groups.sums(dk * a[:, None]) - nodes  # h'(u_k), (G, K)
    ds_beta = -0.5 * s[:, None] * dH_beta / H[:, None]  # (G, p)
    ds_lam = -0.5 * s * dH_lam / H
    # sum_k pi_k dv_k, dv_k = sum_i d_ik d_eta_i(u_k) + h'(u_k) du_k, du_k = du + sqrt(2) x_k ds
    mean_d = np.sum(pi[code] * dk, axis=1)  # sum_k pi_k d_ik, per row
    pis = np.sum(pi * slope, axis=1)  # sum_k pi_k h'(u_k)
    pisx = math.sqrt(2.0) * np.sum(pi * slope * x[None, :], axis=1)
    g_beta = (
        -0.5 * dH_beta / H[:, None]
        + groups.sums(X * mean_d[:, None])
        + pis[:, None] * du_beta
        + pisx[:, None] * ds_beta
    )
    dz_nodes = np.sum(pi * nodes * groups.sums(dk * z[:, None]), axis=1)
    g_lam = -0.5 * dH_lam / H + dz_nodes + pis * du_lam + pisx * ds_lam
    del lam
    return g_beta, g_lam[:, None, None]


@dataclass(eq=False)
class _Objective:
    r""":math:`-2\ell` of a GLMM in ``x = [beta, theta]`` (theta: lme4's relative covariance
    factor, column by column), and its analytic gradient."""

    model: GeneralizedLinearMixed

    def split(self, x: NDArray) -> tuple[NDArray, NDArray]:
        p = self.model.n_coef
        return x[:p], self.model.layout.lower(x[p:])

    def __call__(self, x: NDArray) -> float:
        beta, L = self.split(np.asarray(x, dtype=float))
        value = -2.0 * float(np.sum(self.model.terms_at(beta, L)))
        return value if np.isfinite(value) else np.inf

    def gradient(self, x: NDArray) -> NDArray:
        beta, L = self.split(np.asarray(x, dtype=float))
        g_beta, g_L = group_gradients(self.model, beta, L)
        row, col = self.model.layout.theta_index()
        return -2.0 * np.concatenate([g_beta.sum(axis=0), g_L.sum(axis=0)[row, col]])


# --- the fitter ----------------------------------------------------------------------------------
def fit_glmm(
    X: ArrayLike,
    y: ArrayLike,
    groups: ArrayLike,
    *,
    family: str = "binomial",
    trials: ArrayLike | None = None,
    Z: ArrayLike | None = None,
    n_quadrature: int = 1,
    names: Sequence[str] | None = None,
    options: dict | None = None,
) -> FitResult:
    r"""A generalized linear mixed model, binomial (logit link) or Poisson (log link), by maximum
    likelihood with the marginal likelihood approximated by Laplace's method or adaptive
    Gauss-Hermite quadrature (as R's ``lme4::glmer`` with ``nAGQ``).

    .. math:: \ell(\beta, \Sigma) = \sum_g \log\int\prod_i f(y_{gi}\mid
              x_{gi}^\top\beta + z_{gi}^\top b)\,\varphi_\Sigma(b)\,db

    Parameters
    ----------
    X : array_like or DataFrame, shape (n, p)
        The fixed effects' design (include a column of ones for an intercept). A DataFrame's
        columns name the coefficients.
    y : array_like or Series, shape (n,)
        Outcomes: 0/1 (binomial without ``trials``), successes out of ``trials`` (binomial), or
        counts (Poisson); non-negative integers.
    groups : array_like or Series, shape (n,)
        The group of each row: numbers or strings, at least two groups.
    family : {"binomial", "poisson"}
        The distribution of the outcomes given the random effects.
    trials : array_like or Series, shape (n,), optional
        The number of trials of each row (binomial only; positive integers, at least ``y``).
    Z : array_like or DataFrame, shape (n, q), optional
        The random effects' design (default: a random intercept); :math:`\Sigma` is unstructured.
    n_quadrature : int
        1: the Laplace approximation (lme4's ``nAGQ = 1``, the default). More: adaptive
        Gauss-Hermite quadrature with that many nodes (a single random effect only; at most
        100), which converges to the marginal likelihood as the nodes grow.
    names : sequence of str, optional
        A name for each coefficient (default: the columns of a DataFrame ``X``, else ``beta[j]``).
    options : dict, optional
        ``max_iter``, the most Newton steps (default 200), and ``tol``, the largest relative
        Newton step at which they stop (default 1e-10).

    Returns
    -------
    FitResult
        ``params = [beta..., sd[...]..., corr[...]...]``, ``beta``, ``loglik`` (the approximate
        log-likelihood, with :math:`\log\binom{m}{y}` or :math:`-\log y!`), ``cov`` (the inverse
        of minus its Hessian, by differences), and ``model`` (a
        :class:`GeneralizedLinearMixed`). ``nobs`` is the number of groups. On the boundary (a
        variance estimated as 0), ``message`` says so and ``model.on_boundary(params)`` names the
        parameters there (NaN standard errors).

    Raises
    ------
    ValueError
        Bad ``X``, ``y``, ``groups``, ``trials`` or ``Z`` (shapes, NaN, pandas labels that differ,
        non-integer or negative counts, successes above the trials, a binomial ``y`` other than
        0/1 without ``trials``, every outcome 0 or every one a success), a single group, an
        unknown ``family``, ``n_quadrature`` not a positive integer or above 1 with several
        random effects, a rank-deficient ``X`` or ``Z``, bad ``names`` or ``options``.
    PerfectSeparationError
        If the columns of ``X`` separate the outcomes (the GLM's maximum likelihood estimate does
        not exist, and neither does the GLMM's).

    Warns
    -----
    ConvergenceWarning
        When the search, or Newton's method for a group's conditional mode, stops before
        converging.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(2)
    >>> g = np.repeat(np.arange(40), 8)
    >>> x = rng.normal(size=320)
    >>> eta = -0.3 + 0.8 * x + rng.normal(scale=1.0, size=40)[g]
    >>> y = (rng.random(320) < 1 / (1 + np.exp(-eta))).astype(float)
    >>> X = np.column_stack([np.ones(320), x])
    >>> laplace = fit_glmm(X, y, g)
    >>> agq = fit_glmm(X, y, g, n_quadrature=15)
    >>> laplace.params.round(3), agq.params.round(3)
    (array([-0.291,  0.766,  0.853]), array([-0.292,  0.766,  0.88 ]))
    """
    model = build_glmm(X, y, groups, family=family, trials=trials, Z=Z, n_quadrature=n_quadrature,
                       names=names, options=options)  # fmt: skip
    return model.fit()


def build_glmm(X, y, groups, *, family="binomial", trials=None, Z=None, n_quadrature=1, names=None,
               options=None) -> GeneralizedLinearMixed:  # fmt: skip
    """Check the data as :func:`fit_glmm` does and build the model."""
    check_options(options, COMMON_OPTIONS, "fit_glmm")
    if not isinstance(family, str) or family not in MIXED_FAMILIES:
        raise ValueError(f"family must be 'binomial' or 'poisson', got {family!r}")
    fam = MIXED_FAMILIES[family]
    k = positive_int(n_quadrature, "n_quadrature")
    if k > MAX_QUADRATURE:
        raise ValueError(f"n_quadrature must be at most {MAX_QUADRATURE}, got {k}")
    if trials is not None and family != "binomial":
        raise ValueError(
            "trials goes with family='binomial' (successes out of trials); a Poisson count has none"
        )
    rows = match_rows({"X": X, "y": y, "groups": groups, "trials": trials, "Z": Z})
    Xm, columns = read_matrix(rows["X"])
    ym = as_float_array(rows["y"], "y", ndim=1)
    n, p = Xm.shape
    if ym.shape[0] != n:
        raise ValueError(f"X has {n} rows but y has {ym.shape[0]} values; they must match")
    check_rows(n, p, fam.name)
    check_full_rank(Xm)
    if trials is None:
        m = np.ones(n)
    else:
        m = as_float_array(rows["trials"], "trials", ndim=1)
        if m.shape[0] != n:
            raise ValueError(f"trials has {m.shape[0]} values but y has {n}; they must match")
        bad = np.flatnonzero((m < 1) | (m != np.round(m)))
        if bad.size:
            raise ValueError(f"trials must hold positive integers; trials[{bad[0]}] = {m[bad[0]]:g}")
    _check_outcomes(fam, ym, m, trials is not None)
    g = read_groups(rows["groups"], n)
    Zm, re_names = read_random_design(rows["Z"], n)
    check_identified(g, Zm.shape[1], n, sigma=False, binary=fam.name == "binomial" and trials is None)
    if k > 1 and Zm.shape[1] > 1:
        raise ValueError(
            f"n_quadrature={k} asks for adaptive Gauss-Hermite quadrature, which is for a single random "
            f"effect, but Z has {Zm.shape[1]} columns; use n_quadrature=1 (the Laplace approximation)"
        )
    layout = CovarianceLayout(re_names)
    coef = coefficient_names(names, columns, p, reserved=layout.param_names)
    _check_mle_exists(fam, Xm, ym, m)
    return GeneralizedLinearMixed(fam, Xm, ym, m, Zm, g, coef, re_names, trials=trials is not None,
                                  n_quadrature=k, options=options)  # fmt: skip


def _check_outcomes(family: MixedFamily, y: NDArray, m: NDArray, trials: bool) -> None:
    if family.name == "poisson":
        bad = np.flatnonzero((y < 0) | (y != np.round(y)))
        if bad.size:
            raise ValueError(
                f"y must hold non-negative integer counts for a Poisson GLMM; y[{bad[0]}] = {y[bad[0]]:g}"
            )
        if not np.any(y > 0):
            raise ValueError(
                "y is all 0: the rate is estimated as 0, on the boundary, so there is no finite MLE"
            )
        return
    if not trials:
        bad = np.flatnonzero((y != 0) & (y != 1))
        if bad.size:
            raise ValueError(
                f"y must contain only 0 and 1 for a binomial GLMM without trials (give trials= for successes "
                f"out of several trials); y[{bad[0]}] = {y[bad[0]]:g}"
            )
    else:
        bad = np.flatnonzero((y < 0) | (y != np.round(y)))
        if bad.size:
            raise ValueError(
                f"y must hold non-negative integer counts of successes; y[{bad[0]}] = {y[bad[0]]:g}"
            )
        above = np.flatnonzero(y > m)
        if above.size:
            j = int(above[0])
            raise ValueError(f"y has more successes than trials: y[{j}] = {y[j]:g} > trials[{j}] = {m[j]:g}")
    if not np.any(y > 0) or np.all(y == m):
        what = "a failure (y is all 0)" if not np.any(y > 0) else "a success (y equals the trials)"
        raise ValueError(
            f"every outcome is {what}: the probability is estimated as {int(np.any(y > 0))}, on the "
            "boundary, so there is no finite MLE"
        )


def _check_mle_exists(family: MixedFamily, X: NDArray, y: NDArray, m: NDArray) -> None:
    """The GLM's MLE must exist (no separation); a GLMM's does not where the GLM's does not."""
    if family.name == "poisson":
        if poisson_divergence(X, y) is not None:
            raise PerfectSeparationError(
                "the Poisson MLE does not exist: a combination of the columns of X is 0 for every positive "
                "count and negative for some zero counts (for example a level of a factor whose counts are "
                "all 0), so its coefficients diverge; drop those rows or columns"
            )
        return
    # successes and failures as 0/1 rows: a row with both contributes one of each
    Xs = np.concatenate([X[y > 0], X[y < m]])
    ys = np.concatenate([np.ones(int(np.sum(y > 0))), np.zeros(int(np.sum(y < m)))])
    if separation_direction(Xs, ys) is not None:
        raise PerfectSeparationError(
            "the outcomes are perfectly separated by X: a combination of its columns predicts every "
            "success and failure, so the likelihood keeps increasing as coefficients go to infinity and "
            "there is no maximum likelihood estimate (for the GLM, nor for the GLMM); remove or merge the "
            "separating predictors"
        )


def _glm_start(model: GeneralizedLinearMixed) -> NDArray:
    """The GLM's coefficients (Newton from 0, or from log of the mean count), the start of the fit."""
    data = model.data()
    X, y, m = data.X, data.y, data.m
    fam = model.family
    beta = np.zeros(X.shape[1])
    if fam.name == "poisson":
        beta = np.linalg.lstsq(X, np.full(X.shape[0], math.log(max(float(np.mean(y)), 1e-8))), rcond=None)[0]
    ll = float(np.sum(fam.terms(X @ beta, y, m, data.const)))
    for _ in range(100):
        d, w, _ = fam.derivatives(X @ beta, y, m)
        info = (X * w[:, None]).T @ X
        try:
            step = np.linalg.solve(info, X.T @ d)
        except np.linalg.LinAlgError:
            break
        t = 1.0
        for _ in range(50):
            new = beta + t * step
            new_ll = float(np.sum(fam.terms(X @ new, y, m, data.const)))
            if np.isfinite(new_ll) and new_ll >= ll - 1e-12 * abs(ll):
                break
            t *= 0.5
        beta, ll = new, new_ll
        if np.max(np.abs(t * step) / (1.0 + np.abs(beta))) < 1e-12:
            break
    return beta


@dataclass(eq=False)
class GLMMProfile:
    """``profile(j, value)`` of a GLMM (on the data as the fit computed on them): a coefficient (or,
    for a single random effect, its standard deviation, which is lme4's theta) held by fixing its
    coordinate of the fit's search and re-maximizing the others with the analytic gradient; a
    parameter of a vector random effect by :class:`~mle_tutorial.linear_mixed.NaturalProfile`."""

    model: GeneralizedLinearMixed
    x: NDArray
    params: NDArray

    def __call__(self, j: int, value: float) -> float:
        m = self.model
        p, layout = m.n_coef, m.layout
        if j >= p and layout.q > 1:
            free = np.ones(len(self.params), dtype=bool)
            kinds = variance_kinds(layout, p, sigma=False)
            return NaturalProfile(m.loglik, self.params, free, kinds)(j, value)
        if j >= p and not value >= 0:
            return -np.inf
        objective = _Objective(m)
        keep = np.arange(self.x.size) != j

        def full(t):
            x = self.x.copy()
            x[keep] = t
            x[j] = value
            return x

        found = minimize_smooth(
            lambda t: objective(full(t)),
            lambda t: objective.gradient(full(t))[keep],
            self.x[keep],
            max_iter=100,
        )
        return -0.5 * found.value


def _fit(model: GeneralizedLinearMixed, options: dict | None) -> FitResult:
    """The fit on a copy whose columns of X and Z are scaled by powers of two (so that the search
    sees the same numbers for data in any units, and the estimates scale back exactly)."""
    ex = shifts(column_maxima(model.X), always=True)
    ez = shifts(column_maxima(model.Z), always=True)
    inner = model._like(shifted(model.X, ex), model.y, model.m, shifted(model.Z, ez), model.groups)
    est = _estimate(inner, options)
    e = np.concatenate([-ex, -ez, np.zeros(model.layout.n_corr, dtype=np.int64)]).astype(np.int64)
    est.params = unshift(est.params, e)
    est.cov = unshift_cov(est.cov, e)
    est.beta = est.params[: model.n_coef].copy()
    assert est.profile is not None
    est.profile = ScaledProfile(est.profile, tuple(int(v) for v in e), 0.0)
    return finish(model, est)


def _estimate(model: GeneralizedLinearMixed, options: dict | None) -> Estimate:
    opts = check_options(options, COMMON_OPTIONS, "fit_glmm")
    layout = model.layout
    p = model.n_coef
    objective = _Objective(model)
    x0 = np.concatenate([_glm_start(model), layout.start()])
    snap = np.concatenate([np.zeros(p, dtype=bool), layout.diagonal])
    found = minimize_smooth(objective, objective.gradient, x0, snap=snap,
                             max_iter=opts.get("max_iter", 200), tol=opts.get("tol", 1e-10))  # fmt: skip
    beta, L = objective.split(found.x)
    sd, corr = layout.sd_corr(L)
    params = np.concatenate([beta, sd, corr])
    on_edge = boundary_names(layout, params, p)
    free = np.array([name not in on_edge for name in model.param_names])
    if on_edge:
        free[p:] = False
    cov, problem = covariance_at(model.bounds, params, free, model.loglik, model.score)
    data = model.data()
    modes = conditional_modes(model.family, data, data.X @ beta, data.Z @ L)
    failure = None
    if not found.converged:
        failure = f"fit_glmm did not converge: {found.message}"
    elif not modes.converged:
        failure = "fit_glmm: Newton's method for the conditional modes did not converge at the estimate"
    message = f"{model.method_name}, maximized by {found.message}." + boundary_message(on_edge)
    est = Estimate(
        params=params,
        loglik=-0.5 * found.value,
        converged=failure is None,
        n_iter=found.n_iter,
        method=model.method_name,
        message=message,
        cov=cov,
        problem=problem,
        profile=GLMMProfile(model, found.x, params),
        beta=beta.copy(),
        failure=failure,
    )
    return est
