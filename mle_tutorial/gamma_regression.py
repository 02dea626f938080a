r"""Gamma regression with the log link: a positive outcome whose spread grows with its mean.

Costs, incomes, durations and concentrations are positive, skewed, and vary more where they are
larger. The gamma model with shape :math:`a` and mean :math:`\mu_i = e^{x_i^\top\beta}` has

.. math:: f(y) = \frac{1}{\Gamma(a)\,y}\Big(\frac{a y}{\mu}\Big)^{a} e^{-a y/\mu},
          \qquad E[y_i] = \mu_i, \qquad \mathrm{Var}(y_i) = \mu_i^2/a,

a constant coefficient of variation :math:`1/\sqrt a` (``scipy.stats.gamma(a=shape,
scale=mu/shape)``; R's ``Gamma`` family has dispersion :math:`1/a`). With :math:`r_i = y_i/\mu_i`,

.. math:: \ell_i = a(\log r_i - r_i + 1) + g(a) - \log y_i, \qquad
          g(a) = a\log a - a - \log\Gamma(a),

.. math:: \frac{\partial\ell_i}{\partial\eta_i} = a(r_i - 1), \quad
          -\frac{\partial^2\ell_i}{\partial\eta_i^2} = a r_i \ge 0, \quad
          \frac{\partial\ell_i}{\partial a} = \log r_i - r_i + 1 + \log a - \psi(a), \quad
          \frac{\partial^2\ell_i}{\partial\eta_i\partial a} = r_i - 1, \quad
          \frac{\partial^2\ell_i}{\partial a^2} = \frac1a - \psi'(a).

The score of :math:`\beta` is :math:`a X^\top(r - 1)`, so :math:`\hat\beta` does not depend on
:math:`a`: Newton's method finds it in the GLM loop (:class:`GammaFamily`, concave in
:math:`\beta`); then :math:`\hat a` solves
:math:`\log a - \psi(a) = \frac1n\sum_i(r_i - 1 - \log r_i)` (half the mean deviance), which
has one root, by Newton on :math:`\log a` (as ``MASS::gamma.shape``). At the maximum the
information is block diagonal. :math:`\log a - \psi(a)`, :math:`1/a - \psi'(a)` and
:math:`g(a)` use their asymptotic series for large :math:`a`, where the direct forms cancel.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ._engine import covariance
from ._engine.checks import check_rows, coefficient_names, read_design
from ._engine.lazy import linalg, special
from ._engine.optimize import COMMON_OPTIONS, StartNotFinite, check_options, newton
from ._engine.rows import BLOCK_ROWS, DaskRows, InMemoryRows, as_rows, data_key, fingerprint_sum, screen_stats
from ._engine.scale import Unscale, shifts, unshift
from .fitting import FREE, POSITIVE, Estimate, finish
from .glm import Family, GLMPass, check_and_start
from .model import RowsRegression
from .result import FitResult

__all__ = ["GammaFamily", "GammaRegression", "fit_gamma", "gamma_stats"]

#: Above this the shape is fitted as running off to infinity: the data are fitted exactly (every
#: y_i / mu_i is 1 to about 1e-6), and the likelihood has no maximum in the shape.
SHAPE_RUNOFF = 1e12

_LARGE = 20.0  # from here on the asymptotic series
_HALF_LOG_2PI = 0.5 * np.log(2.0 * np.pi)


# --- functions of the shape, without cancellation -----------------------------------------------------
def log_minus_digamma(nu: float) -> float:
    r""":math:`\log a - \psi(a) > 0`, decreasing from :math:`\infty` to 0."""
    if nu < _LARGE:
        return float(np.log(nu) - special.digamma(nu))
    u = 1.0 / (nu * nu)
    series = u * (1 / 12 - u * (1 / 120 - u * (1 / 252 - u * (1 / 240 - u * (1 / 132 - u * 691 / 32760)))))
    return 0.5 / nu + series


def inverse_minus_trigamma(nu: float) -> float:
    r""":math:`1/a - \psi'(a) < 0`."""
    if nu < _LARGE:
        return float(1.0 / nu - special.polygamma(1, nu))
    u = 1.0 / (nu * nu)
    series = (1 / 6 - u * (1 / 30 - u * (1 / 42 - u * (1 / 30 - u * (5 / 66 - u * 691 / 2730))))) / nu
    return -(0.5 + series) * u


def shape_constant(nu: float) -> float:
    r""":math:`g(a) = a\log a - a - \log\Gamma(a)`; for large :math:`a` Stirling's
    :math:`\tfrac12\log(a/2\pi) - \tfrac1{12a} + \tfrac1{360a^3} - \dots`"""
    if nu < _LARGE:
        return float(nu * np.log(nu) - nu - special.gammaln(nu))
    u = 1.0 / (nu * nu)
    series = (1 / 12 - u * (1 / 360 - u * (1 / 1260 - u * (1 / 1680 - u / 1188)))) / nu
    return float(0.5 * np.log(nu) - _HALF_LOG_2PI - series)


# --- the kernel ------------------------------------------------------------------------------------
def _ratio(X, y, offset, beta):
    eta = X @ beta if offset is None else X @ beta + offset
    with np.errstate(over="ignore"):
        return y * np.exp(-eta), eta


def gamma_stats(X: NDArray, y: NDArray, offset: NDArray | None, *, beta: NDArray, shape: float) -> dict:
    r"""One pass over the rows at :math:`(\beta, a)`, block by block: the log-likelihood, the
    score and Hessian on the natural scale, :math:`\sum_i(r_i - 1 - \log r_i)` (``"dev"``, half
    the deviance) and the largest :math:`|\eta|`."""
    n, p = X.shape
    ll, score, hess = 0.0, np.zeros(p + 1), np.zeros((p + 1, p + 1))
    dev, biggest = 0.0, 0.0
    ld = log_minus_digamma(shape)
    with np.errstate(over="ignore", invalid="ignore"):
        for start in range(0, n, BLOCK_ROWS):
            Xb, yb = X[start : start + BLOCK_ROWS], y[start : start + BLOCK_ROWS]
            ob = None if offset is None else offset[start : start + BLOCK_ROWS]
            r, eta = _ratio(Xb, yb, ob, beta)
            u = r - 1.0 - np.log(r)
            dev += float(np.sum(u))
            ll -= float(np.sum(np.log(yb)))
            score[:p] += shape * (Xb.T @ (r - 1.0))
            score[p] += float(np.sum(ld - u))
            Xw = Xb * np.sqrt(r)[:, None]
            hess[:p, :p] -= shape * (Xw.T @ Xw)
            hess[:p, p] += Xb.T @ (r - 1.0)
            if eta.size:
                biggest = max(biggest, float(np.max(np.abs(eta))))
    ll += -shape * dev + n * shape_constant(shape)
    hess[p, :p] = hess[:p, p]
    hess[p, p] = n * inverse_minus_trigamma(shape)
    return {"loglik": ll, "score": score, "hessian": hess, "dev": dev, "max_eta": biggest}


def _terms(eta: NDArray, y: NDArray, shape: float) -> NDArray:
    with np.errstate(over="ignore", invalid="ignore"):
        r = y * np.exp(-eta)
        return -shape * (r - 1.0 - np.log(r)) + shape_constant(shape) - np.log(y)


def _start_sums(X: NDArray, y: NDArray, offset: NDArray | None) -> dict:
    """X'X and X'(log y - offset): least squares of log y, the IRLS step from mu = y."""
    z = np.log(y) if offset is None else np.log(y) - offset
    return {"xtx": X.T @ X, "xtz": X.T @ z}


def _dev_chunk(X, y, offset, *, beta) -> dict:
    r, _ = _ratio(X, y, offset, beta)
    with np.errstate(invalid="ignore"):
        return {"dev": float(np.sum(r - 1.0 - np.log(r)))}


def _score_rows(X, y, offset, *, beta, shape) -> NDArray:
    r, _ = _ratio(X, y, offset, beta)
    with np.errstate(invalid="ignore"):
        d_shape = log_minus_digamma(shape) - (r - 1.0 - np.log(r))
    return np.column_stack([X * (shape * (r - 1.0))[:, None], d_shape])


def _meat_chunk(X, y, offset, *, beta, shape) -> dict:
    S = _score_rows(X, y, offset, beta=beta, shape=shape)
    return {"meat": S.T @ S}


# --- the family: beta at a fixed shape -------------------------------------------------------------
@dataclass(frozen=True)
class GammaFamily(Family):
    r"""The gamma distribution with the log link at a fixed shape :math:`a`, as a GLM family:
    :math:`\partial\ell_i/\partial\eta_i = a(y_i/\mu_i - 1)`, Newton weight
    :math:`a y_i/\mu_i \ge 0` (observed; the expected one is :math:`a`). :math:`\hat\beta` is the
    same for every :math:`a`."""

    name: str = "gamma"
    title: str = "gamma"
    rule: str = "y must be positive (> 0) for gamma regression"
    exact_pass: bool = True
    zero_counts: bool = False
    shape: float = 1.0

    def block(self, eta, y, exact=True):
        with np.errstate(over="ignore", invalid="ignore"):
            r = y * np.exp(-eta)
            ll = float(np.sum(_terms(eta, y, self.shape)))
        return ll, self.shape * (r - 1.0), self.shape * r

    def terms(self, eta, y):
        return _terms(eta, y, self.shape)

    def mean(self, eta):
        return np.exp(eta)

    def sample(self, eta, rng):
        return rng.gamma(self.shape, np.exp(eta) / self.shape)

    def invalid(self, y):
        return ~(y > 0)

    def successes(self, y):
        return int(np.sum(y > 0))

    def start(self, rows):
        """Least squares of :math:`\\log y` on X: the IRLS step from :math:`\\mu = y` (whose
        expected weights are constant)."""
        s = rows.reduce(_start_sums)
        try:
            beta = linalg.cho_solve(linalg.cho_factor(s["xtx"], check_finite=False), s["xtz"])
        except np.linalg.LinAlgError:
            beta = np.linalg.lstsq(s["xtx"], s["xtz"], rcond=None)[0]
        return beta


# --- the shape -------------------------------------------------------------------------------------------
def solve_shape(mean_dev: float, max_iter: int = 100) -> tuple[float, bool]:
    r"""The root of :math:`\log a - \psi(a) = d` (``mean_dev`` :math:`= d > 0`) by Newton on
    :math:`\log a` from Minka's approximation; and whether it converged (a step below 1e-14)."""
    d = mean_dev
    nu = (3.0 - d + np.sqrt((d - 3.0) ** 2 + 24.0 * d)) / (12.0 * d)
    t = float(np.log(nu))
    for _ in range(max_iter):
        nu = float(np.exp(t))
        f = log_minus_digamma(nu) - d
        slope = nu * inverse_minus_trigamma(nu)  # d f / d log nu = 1 - nu psi'(nu) < 0
        step = f / slope
        t -= step
        if abs(step) <= 1e-14 * max(1.0, abs(t)):
            return float(np.exp(t)), True
    return float(np.exp(t)), False


# --- the profile -----------------------------------------------------------------------------------------
@dataclass(eq=False)
class GammaProfile:
    """The shape held: the log-likelihood at the estimate of beta (which does not depend on it).
    A coefficient held: beta refitted by Newton, then the shape solved."""

    rows: InMemoryRows | DaskRows
    beta_hat: NDArray
    log_y: float

    def __call__(self, j: int, value: float) -> float:
        p = self.beta_hat.size
        if j == p:
            if not value > 0.0:
                return -np.inf
            dev = self.rows.reduce(_dev_chunk, beta=self.beta_hat)["dev"]
            return -value * dev + self.rows.n * shape_constant(value) - self.log_y
        rows = self.rows.hold_column(j, value)
        beta = np.delete(self.beta_hat, j)
        if rows.p:
            beta = newton(GLMPass(rows, GammaFamily()), beta).beta
        dev = rows.reduce(_dev_chunk, beta=beta)["dev"]
        if not dev > 0.0:
            return np.inf
        shape, _ = solve_shape(dev / rows.n)
        return -shape * dev + rows.n * shape_constant(shape) - self.log_y


def _log_y(X, y, offset) -> dict:
    return {"log_y": float(np.sum(np.log(y)))}


# --- the model ------------------------------------------------------------------------------------------
class GammaRegression(RowsRegression):
    r"""Gamma regression with the log link on its data: parameters ``[beta..., shape]``.

    .. math:: \ell_i = a\log\frac{a y_i}{\mu_i} - \frac{a y_i}{\mu_i} - \log y_i
              - \log\Gamma(a), \qquad \mu_i = e^{x_i^\top\beta + o_i}

    Built by :func:`fit_gamma` (``fit.model``), in memory or over Dask row chunks.
    """

    name = "gamma"
    reserved_names = ("shape",)

    def __init__(self, rows, names: Sequence[str], key: str, *, options: dict | None = None, working=None):
        self.rows = rows
        self.names = tuple(names)
        self.key = key
        self.options = options
        self._cache_working = working

    @classmethod
    def from_data(cls, X, y, *, names=None, options=None) -> GammaRegression:
        """Check the data as :func:`fit_gamma` does and build the model."""
        family = GammaFamily()
        chunks = as_rows(X, y)
        if chunks is None:
            design = read_design(X, y, model=family.title)
            bad = np.flatnonzero(family.invalid(design.y))
            if bad.size:
                raise ValueError(f"{family.rule}; y[{bad[0]}] = {design.y[bad[0]]:g}")
            n, p = design.X.shape
            _check_size(n, p)
            rows = InMemoryRows(design.X, design.y)
            key = data_key(n, fingerprint_sum(design.y))
            names = (*coefficient_names(names, design.columns, p, reserved=cls.reserved_names), "shape")
            return cls(rows, names, key, options=options)
        check_rows(chunks.n, chunks.p, "")
        _check_size(chunks.n, chunks.p)
        first = chunks.screen(screen_stats, labels=family.labels)
        if first["bad_label"]:
            raise ValueError(f"{family.rule}; {first['bad_label']} value(s) are not")
        working = chunks.shifted(shifts(first["max_x"]))
        key = data_key(chunks.n, first["fingerprint"])
        names = (*coefficient_names(names, None, chunks.p, reserved=cls.reserved_names), "shape")
        return cls(chunks, names, key, options=options, working=working)

    def _like(self, rows, key: str | None = None, names=None) -> GammaRegression:
        key = data_key(rows.n, fingerprint_sum(rows.y)) if key is None else key
        return GammaRegression(rows, self.names if names is None else names, key, options=self.options)

    @property
    def bounds(self):
        return (FREE,) * self.rows.p + (POSITIVE,)

    def working_rows(self):
        """The rows as Newton runs on them: columns far from 1 scaled by powers of two."""
        if self._cache_working is None:
            self._cache_working = InMemoryRows.scaled(self.rows.X, self.rows.y, None, scale_y=False)
        return self._cache_working

    def unscale(self) -> Unscale:
        w = self.working_rows()
        return Unscale((*(int(v) for v in (self.rows.x_shift - w.x_shift)), 0))

    def rescaled(self):
        w = self.working_rows()
        return GammaRegression(w, self.names, self.key, options=self.options, working=w), self.unscale()

    def _split(self, params) -> tuple[NDArray, float]:
        params = np.asarray(params, dtype=float)
        return params[: self.rows.p], float(params[self.rows.p])

    def loglik_obs(self, params):
        self._memory("per-observation log-likelihoods")
        beta, shape = self._split(params)
        return _terms(self.rows.X @ beta, self.rows.y, shape)

    def loglik(self, params) -> float:
        beta, shape = self._split(params)
        return float(self.rows.reduce(gamma_stats, beta=beta, shape=shape)["loglik"])

    def score_obs(self, params):
        self._memory("per-observation scores")
        beta, shape = self._split(params)
        return _score_rows(self.rows.X, self.rows.y, None, beta=beta, shape=shape)

    def score(self, params):
        beta, shape = self._split(params)
        return self.rows.reduce(gamma_stats, beta=beta, shape=shape)["score"]

    def hessian(self, params):
        beta, shape = self._split(params)
        return self.rows.reduce(gamma_stats, beta=beta, shape=shape)["hessian"]

    def meat(self, params, groups=None):
        if self.rows.in_memory:
            return super().meat(params, groups)
        if groups is not None:
            raise ValueError(
                "cluster-robust covariance needs the scores in memory; for a fit over Dask row "
                "chunks use robust() without groups, or fit a sample in memory"
            )
        beta, shape = self._split(params)
        return self.rows.reduce(_meat_chunk, beta=beta, shape=shape)["meat"], None

    def start(self):
        w = self.working_rows()
        beta = check_and_start(w, GammaFamily())
        return np.append(unshift(beta, np.asarray(self.unscale().exponents[:-1])), 1.0)

    def fit(self, start=None, *, method: str | None = None, options: dict | None = None) -> FitResult:
        if method not in (None, "Newton"):
            raise ValueError(f"fit_gamma fits by Newton's method; method must be 'Newton', got {method!r}")
        if start is not None:
            raise ValueError("fit_gamma starts from least squares of log y; it takes no start")
        return _fit(self, self.options if options is None else options)

    def simulate(self, params, rng):
        self._memory("simulated outcomes")
        beta, shape = self._split(params)
        y = rng.gamma(shape, np.exp(self.rows.X @ beta) / shape)
        return self._like(InMemoryRows(self.rows.X, y))


def _check_size(n: int, p: int) -> None:
    if n <= p + 1:
        raise ValueError(
            f"X has {n} rows but the gamma model has {p + 1} parameters ({p} coefficients and the "
            "shape); it needs more rows than parameters"
        )


# --- the fitter ----------------------------------------------------------------------------------------
def fit_gamma(
    X: ArrayLike,
    y: ArrayLike,
    *,
    names: Sequence[str] | None = None,
    options: dict | None = None,
) -> FitResult:
    r"""Gamma regression with the log link by maximum likelihood: :math:`E[y_i] = \mu_i =
    e^{x_i^\top\beta}`, :math:`\mathrm{Var}(y_i) = \mu_i^2/a`, the shape :math:`a` estimated.

    .. math:: \ell(\beta, a) = \sum_{i=1}^n \Big[a\log\frac{a y_i}{\mu_i}
              - \frac{a y_i}{\mu_i} - \log y_i - \log\Gamma(a)\Big]

    Parameters
    ----------
    X : array_like or DataFrame, shape (n, p)
        Full design matrix (include a column of ones for an intercept), in memory or a Dask
        array. A DataFrame's columns name the coefficients.
    y : array_like or Series, shape (n,)
        Positive outcomes (> 0).
    names : sequence of str, optional
        A name for each coefficient (default: the columns of a DataFrame ``X``, else ``beta[j]``);
        the last parameter is ``shape``.
    options : dict, optional
        ``max_iter``, the most Newton iterations (default 100), and ``tol``, the Newton
        decrement at which Newton stops (default 1e-20).

    Returns
    -------
    FitResult
        ``params = [beta..., shape]``, ``cov`` from the inverse of the joint observed
        information (analytic), ``loglik`` at the ML shape, a ``profile`` and ``model`` (a
        :class:`GammaRegression`). R's ``glm(family = Gamma(link = "log"))`` gives the same
        :math:`\hat\beta`, but its ``logLik`` is at the shape :math:`n/\text{deviance}`, not at
        the ML shape, and ``summary`` scales the expected information by the Pearson
        dispersion; ``MASS::gamma.shape`` gives the ML shape.

    Raises
    ------
    ValueError
        Bad ``X``/``y`` (as :func:`~mle_tutorial.fit_linear`), ``y <= 0`` anywhere,
        ``n <= p + 1``, a rank-deficient ``X``, a mean that overflows, or bad ``options``.

    Warns
    -----
    ExactFitWarning
        If ``exp(X @ beta)`` fits ``y`` exactly (every :math:`y_i/\hat\mu_i` is 1 to about
        1e-6): the shape runs off to infinity and the likelihood has no maximum; the
        coefficients are reported, with ``shape = inf``, ``loglik = inf`` and NaN standard
        errors.
    ConvergenceWarning
        If Newton does not converge.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(5)
    >>> X = np.column_stack([np.ones(400), rng.normal(size=400)])
    >>> y = rng.gamma(2.0, np.exp(X @ [1.0, 0.5]) / 2.0)
    >>> fit = fit_gamma(X, y)
    >>> fit.param_names
    ('beta[0]', 'beta[1]', 'shape')
    >>> fit.params.round(3)
    array([1.06 , 0.484, 2.207])
    """
    return GammaRegression.from_data(X, y, names=names, options=options).fit()


def _fit(model: GammaRegression, options: dict | None) -> FitResult:
    opts = check_options(options, COMMON_OPTIONS, "fit_gamma")
    max_iter, tol = opts.get("max_iter", 100), opts.get("tol", 1e-20)
    rows = model.working_rows()
    extra = "" if rows.in_memory else f" over {rows.description}"
    start = check_and_start(rows, GammaFamily())
    try:
        found = newton(GLMPass(rows, GammaFamily()), start, max_iter, tol)
    except StartNotFinite as exc:  # pragma: no cover - least squares of log y keeps exp finite
        raise ValueError("the fitted mean exp(X @ beta) overflows at the start") from exc
    if found.stats["max_eta"] > 709.0 or not np.isfinite(found.loglik):
        raise ValueError("the fitted mean exp(X @ beta) overflows at the estimate (exp overflows above 709)")
    beta = found.beta.copy()
    p, n = rows.p, rows.n
    dev = rows.reduce(_dev_chunk, beta=beta)["dev"]
    log_y = rows.reduce(_log_y)["log_y"]
    converged = found.converged
    failure = exact = None
    if not dev > 0.0 or dev / n < 0.5 / SHAPE_RUNOFF:
        shape, cov, problem = np.inf, np.full((p + 1, p + 1), np.nan), None
        loglik = np.inf
        exact = (
            "y is fitted exactly by exp(X @ beta) (every y / mu is 1 to about 1e-6): the shape runs off "
            "to infinity and the likelihood has no maximum (loglik = inf); the coefficients are the exact "
            "solution, shape = inf and the standard errors are NaN."
        )
    else:
        shape, solved = solve_shape(dev / n, max_iter)
        converged = converged and solved
        stats = rows.reduce(gamma_stats, beta=beta, shape=shape)
        loglik = stats["loglik"]
        cov, problem = covariance.from_hessian(-stats["hessian"])
    if not converged:
        failure = (
            f"fit_gamma did not converge in {found.n_iter} iterations{extra}; the estimates may be inaccurate"
        )
    est = Estimate(
        params=np.append(beta, shape),
        loglik=loglik,
        converged=converged,
        n_iter=found.n_iter,
        method="Newton",
        message=f"Newton for beta (IRLS with observed weights), then Newton for the shape{extra}",
        cov=cov,
        problem=problem,
        profile=None if exact else GammaProfile(rows, beta, log_y),
        beta=beta,
        failure=failure,
        exact_fit=exact,
        unscale=model.unscale(),
    )
    return finish(model, est)
