r"""The normal linear model: its likelihood, derivatives, profile and simulation, and its fitter.

:func:`fit_linear` maximizes

.. math:: \ell(\beta, \sigma) = -\frac n2\log(2\pi\sigma^2) - \frac{\lVert y - X\beta\rVert^2}{2\sigma^2}

in one of three ways:

``"exact"`` (default; ``"qr"`` is accepted as another name for it)
    The closed form. For any :math:`\sigma`, :math:`\ell` is largest where the
    residual sum of squares is smallest, so :math:`\hat\beta` is the
    least-squares solution (computed to working precision by
    :func:`~mle_tutorial.solve_least_squares`: a fast Cholesky path
    when the design is well conditioned, pivoted QR with extended-precision
    refinement otherwise), and then :math:`\hat\sigma = \sqrt{\mathrm{RSS}/n}`.
``"BFGS"``
    Quasi-Newton minimization of :func:`negative_log_likelihood` over
    :math:`[\beta, \log\sigma]`, with the analytic gradient.
``"Nelder-Mead"``
    Derivative-free simplex search on the same function: the recipe of the
    seed's Julia example.

The model itself is :class:`NormalLinear`, which keeps the data (in memory or in Dask row
chunks) and gives the per-observation log-likelihood and scores, the Hessian, the expected
information, simulations and the closed-form profile likelihood.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import cast

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ._engine import covariance
from ._engine.checks import as_float_array, coefficient_names, read_design
from ._engine.lstsq import LeastSquaresSolution, exact_least_squares, screened, solve
from ._engine.objectives import Objective
from ._engine.optimize import maximize
from ._engine.rows import DaskRows, InMemoryRows, as_rows, data_key, fingerprint_sum, is_dask
from ._engine.scale import Unscale, identity_unscale, normal_unscale, plain, unshift
from .fitting import FREE, POSITIVE, Estimate, exact_fit_message, finish
from .likelihood import normal_nll, normal_nll_gradient, normal_nll_hessian
from .model import RowsRegression
from .result import FitResult
from .start import starting_values

METHODS = ("exact", "BFGS", "Nelder-Mead")

_LOG_2PI = np.log(2.0 * np.pi)

__all__ = ["METHODS", "NormalLinear", "fit_linear", "normal_max_loglik", "sigma_profile"]


# --- the closed forms of the normal likelihood ------------------------------------------------------
def normal_max_loglik(n: int, *, sigma: float | None = None, rss: float | None = None) -> float:
    r"""The normal log-likelihood at its maximum over beta for a given sigma-hat:
    :math:`-\frac n2(\log 2\pi + 2\log\hat\sigma + 1)`, or from the RSS,
    :math:`-\frac n2(\log(2\pi\,\mathrm{RSS}/n) + 1)`; ``inf`` for an exact fit (sigma-hat = 0)."""
    if sigma is not None:
        return np.inf if sigma == 0 else float(-0.5 * n * (_LOG_2PI + 2.0 * np.log(sigma) + 1.0))
    assert rss is not None  # one of sigma and rss is given
    return np.inf if rss == 0 else float(-0.5 * n * (np.log(2.0 * np.pi * rss / n) + 1.0))


def sigma_profile(n: int, rss: float, value: float) -> float:
    """Profile log-likelihood of sigma in a normal model: beta-hat does not depend on sigma, so
    it is the log-likelihood at (beta-hat, value); -inf for value <= 0."""
    if not value > 0:
        return -np.inf
    return float(-n * np.log(value) - 0.5 * n * np.log(2 * np.pi) - rss / (2 * value**2))


def score_rows(X: NDArray, y: NDArray, offset, *, beta: NDArray, sigma: float) -> NDArray:
    r"""The score of each row on :math:`(\beta, \sigma)`: :math:`x_i\varepsilon_i/\sigma^2` and
    :math:`-1/\sigma + \varepsilon_i^2/\sigma^3` (one chunk at a time)."""
    e = y - X @ beta
    return np.column_stack([X * (e / sigma**2)[:, None], e * e / sigma**3 - 1.0 / sigma])


def _meat_chunk(X, y, offset, *, beta: NDArray, sigma: float) -> dict:
    S = score_rows(X, y, offset, beta=beta, sigma=sigma)
    return {"meat": S.T @ S}


def _sums_chunk(X, y, offset, *, beta: NDArray) -> dict:
    r = y - X @ beta
    return {"xtx": X.T @ X, "xtr": X.T @ r, "rss": float(r @ r)}


# --- the profile: closed forms ------------------------------------------------------------------------
@dataclass(eq=False)
class Projections:
    r"""Held :math:`\beta_j = b`, the best RSS is :math:`\mathrm{RSS} + \lVert v\rVert^2 (b - b_j)^2`,
    with ``u`` and ``v`` the residuals of ``y`` and ``X[:, j]`` on the other columns and
    :math:`b_j = u^\top v / v^\top v`, computed (exactly) when first needed."""

    X: NDArray
    y: NDArray
    cache: dict = field(default_factory=dict, compare=False, repr=False)

    def rss_at(self, rss: float, j: int, value: float) -> float:
        if j not in self.cache:
            others = np.delete(self.X, j, axis=1)
            if others.shape[1] == 0:
                u, v = self.y, self.X[:, j]
            else:
                u = cast(NDArray, solve(others, self.y).residuals)  # (given, as residuals=True)
                v = cast(NDArray, solve(others, self.X[:, j]).residuals)
            vv = math.fsum(v * v)
            self.cache[j] = (math.fsum(u * v) / vv, vv)
        b_j, vv = self.cache[j]
        return rss + vv * (value - b_j) ** 2


@dataclass(eq=False)
class Sums:
    r"""The same from the estimate and :math:`(X^\top X)^{-1}` alone (a fit over row chunks):
    :math:`\mathrm{RSS} + (b - \hat\beta_j)^2 / [(X^\top X)^{-1}]_{jj}`."""

    beta: NDArray
    xtx_inv: NDArray

    def rss_at(self, rss: float, j: int, value: float) -> float:
        return rss + (value - self.beta[j]) ** 2 / self.xtx_inv[j, j]


@dataclass(eq=False)
class NormalProfile:
    """Profile of the normal linear model: sigma profiled out as sqrt(RSS / n); held at ``s``,
    sigma gives the log-likelihood at (beta-hat, s)."""

    n: int
    p: int
    rss: float
    coefficients: Projections | Sums

    def __call__(self, j: int, value: float) -> float:
        if j == self.p:
            return sigma_profile(self.n, self.rss, value)
        rss_b = self.coefficients.rss_at(self.rss, j, value)
        return normal_max_loglik(self.n, sigma=np.sqrt(rss_b / self.n))


# --- the model ------------------------------------------------------------------------------------------
class NormalLinear(RowsRegression):
    r"""The normal linear model :math:`y = X\beta + \varepsilon`, :math:`\varepsilon_i \sim N(0, \sigma^2)`,
    on its data: parameters ``[beta..., sigma]``.

    .. math:: \ell_i = -\tfrac12\log(2\pi) - \log\sigma - \frac{(y_i - x_i^\top\beta)^2}{2\sigma^2}

    Built by :func:`fit_linear` (``fit.model``), with its data in memory or in Dask row chunks;
    ``fit()`` refits with the same method and options. The score test uses the expected
    information :math:`X^\top X/\sigma^2` and :math:`2n/\sigma^2`.
    """

    name = "normal"
    reserved_names = ("sigma",)
    keeps_labels = True
    #: The row labels of the data (a pandas Index), None for arrays.
    labels = None

    @property
    def row_labels(self):
        return self.labels

    def __init__(self, rows, names: Sequence[str], key: str | None, *, method: str = "exact",
                 start=None, options: dict | None = None, working=None):  # fmt: skip
        self.rows = rows
        self.names = tuple(names)
        self._key = key  # None: the fingerprint of y in memory, computed when first read
        self.method = method
        self.start_values = start
        self.options = options
        self._cache_working = working

    @classmethod
    def from_data(cls, X, y, *, names=None, method="exact", start=None, options=None) -> NormalLinear:
        """Check ``X`` and ``y`` (as :func:`fit_linear` does) and build the model."""
        rows: InMemoryRows | DaskRows | None = as_rows(X, y)
        labels = None
        if rows is not None:
            working = screened(rows)
            columns, key = None, working.key
        elif (working := InMemoryRows.checked(X, y)) is not None:  # the common case, in one pass
            rows = working if working.plain else InMemoryRows(cast(NDArray, X), cast(NDArray, y))
            columns, key = None, None
        else:
            design = read_design(X, y)
            rows, columns, working, key = InMemoryRows(design.X, design.y), design.columns, None, None
            labels = design.index
        names = (*coefficient_names(names, columns, rows.p, reserved=cls.reserved_names), "sigma")
        model = cls(rows, names, key, method=method, start=start, options=options, working=working)
        model.labels = labels
        return model

    def _like(self, rows, key: str | None = None, names=None) -> NormalLinear:
        """The same model and settings on other rows (in memory)."""
        key = data_key(rows.n, fingerprint_sum(rows.y)) if key is None else key
        return NormalLinear(rows, self.names if names is None else names, key, method=self.method,
                            start=self.start_values, options=self.options)  # fmt: skip

    @property
    def bounds(self):
        return (FREE,) * self.rows.p + (POSITIVE,)

    def working_rows(self):
        """The rows as the fitter computes on them: columns (and y) far from 1 scaled by powers of
        two (see :mod:`~mle_tutorial._engine.scale`)."""
        if self._cache_working is None:
            self._cache_working = InMemoryRows.scaled(self.rows.X, self.rows.y, gram=True)
        return self._cache_working

    def unscale(self) -> Unscale:
        w = self.working_rows()
        if plain(w, self.rows):  # the common case, without reading the shifts
            return identity_unscale(self.rows.p + 1)
        return normal_unscale(w.x_shift - self.rows.x_shift, w.y_shift - self.rows.y_shift, self.rows.n)

    def rescaled(self):
        w = self.working_rows()
        inner = NormalLinear(w, self.names, self.key, method=self.method, start=self.start_values,
                             options=self.options, working=w)  # fmt: skip
        return inner, self.unscale()

    # the likelihood
    def _split(self, params):
        params = np.asarray(params, dtype=float)
        return params[: self.rows.p], float(params[self.rows.p])

    def _memory(self, what: str):
        """The design and response, in memory (else :meth:`RowsRegression._memory`'s error)."""
        super()._memory(what)
        return self.rows.X, self.rows.y

    def loglik_obs(self, params):
        X, y = self._memory("per-observation log-likelihoods")
        beta, sigma = self._split(params)
        e = y - X @ beta
        return -0.5 * _LOG_2PI - np.log(sigma) - e * e / (2.0 * sigma * sigma)

    def loglik(self, params) -> float:
        beta, sigma = self._split(params)
        if self.rows.in_memory:
            r = self.rows.y - self.rows.X @ beta
            rss = float(r @ r)
        else:
            rss = self.rows.reduce(_sums_chunk, beta=beta)["rss"]
        n = self.rows.n
        return float(-0.5 * n * _LOG_2PI - n * np.log(sigma) - rss / (2.0 * sigma * sigma))

    def score_obs(self, params):
        X, y = self._memory("per-observation scores")
        beta, sigma = self._split(params)
        return score_rows(X, y, None, beta=beta, sigma=sigma)

    def score(self, params):
        beta, sigma = self._split(params)
        s = self.rows.reduce(_sums_chunk, beta=beta)
        return np.append(s["xtr"] / sigma**2, -self.rows.n / sigma + s["rss"] / sigma**3)

    def hessian(self, params):
        r"""On :math:`(\beta, \sigma)`: :math:`-X^\top X/\sigma^2`, :math:`-2X^\top\varepsilon/\sigma^3`
        and :math:`n/\sigma^2 - 3\,\mathrm{RSS}/\sigma^4`."""
        beta, sigma = self._split(params)
        s = self.rows.reduce(_sums_chunk, beta=beta)
        p = self.rows.p
        H = np.empty((p + 1, p + 1))
        H[:p, :p] = -s["xtx"] / sigma**2
        H[:p, p] = H[p, :p] = -2.0 * s["xtr"] / sigma**3
        H[p, p] = self.rows.n / sigma**2 - 3.0 * s["rss"] / sigma**4
        return H

    def information(self, params):
        r"""Expected information: :math:`X^\top X/\sigma^2` and :math:`2n/\sigma^2`, block diagonal."""
        p = self.rows.p
        _, sigma = self._split(params)
        if self.rows.in_memory:
            xtx = self.rows.X.T @ self.rows.X
        else:
            xtx = self.rows.reduce(_sums_chunk, beta=np.zeros(p))["xtx"]
        info = np.zeros((p + 1, p + 1))
        info[:p, :p] = xtx / sigma**2
        info[p, p] = 2.0 * self.rows.n / sigma**2
        return info

    def meat(self, params, groups=None):
        if self.rows.in_memory:
            return super().meat(params, groups)
        if groups is not None:
            raise ValueError(
                "cluster-robust covariance needs the scores in memory; for a fit over Dask row "
                "chunks use robust() without groups, or fit a sample in memory"
            )
        beta, sigma = self._split(params)
        return self.rows.reduce(_meat_chunk, beta=beta, sigma=sigma)["meat"], None

    # fitting
    def start(self):
        return starting_values(self.rows.X, self.rows.y)

    def fit(self, start=None, *, method: str | None = None, options: dict | None = None) -> FitResult:
        method = self.method if method is None else method
        options = self.options if options is None else options
        if method == "exact":
            if options is not None:
                raise ValueError(
                    "options apply to method='BFGS' or 'Nelder-Mead'; the exact solution takes none"
                )
            return _fit_exact(self)
        start = self.start_values if start is None else start
        return _fit_numerically(self, method, start, options)

    # the bootstrap
    def simulate(self, params, rng):
        X, _ = self._memory("simulated responses")
        beta, sigma = self._split(params)
        return self._like(InMemoryRows(X, X @ beta + sigma * rng.standard_normal(X.shape[0])))


# --- the fitter ------------------------------------------------------------------------------------------
def fit_linear(
    X: ArrayLike,
    y: ArrayLike,
    *,
    method: str = "exact",
    start: ArrayLike | None = None,
    options: dict | None = None,
    names: Sequence[str] | None = None,
) -> FitResult:
    r"""Maximum likelihood fit of :math:`y = X\beta + \varepsilon`, :math:`\varepsilon_i \sim N(0, \sigma^2)`.

    Parameters
    ----------
    X : array_like or DataFrame, shape (n, p)
        Full design matrix. No intercept is added: include a column of ones
        if you want one. Needs ``n > p`` and full column rank. A DataFrame's columns (a Series'
        name) name the coefficients.
    y : array_like or Series, shape (n,)
        Response. pandas ``X`` and ``y`` are matched by index label (reordered to ``X``'s index
        when the labels are the same in another order; different labels are an error); a pandas
        object next to a NumPy array is paired with it by position.
    method : {"exact", "BFGS", "Nelder-Mead"}
        ``"exact"`` (default; also called ``"qr"``) is the closed form, exact to
        working precision even on badly scaled or highly collinear designs. ``"BFGS"`` and
        ``"Nelder-Mead"`` minimize :func:`negative_log_likelihood` numerically
        with :func:`scipy.optimize.minimize`; they are here to teach, and give the optimizer's
        own answer (no Newton polish), judged by the package's convergence check: ``converged``
        means that a Newton step from the answer would move no parameter by more than 1e-6
        relative to ``max(1, |parameter|)`` (on the data as fitted: columns beyond 2**+-200 scaled
        by powers of two), so the answer is that close to the exact one, not closer (typically
        1e-9 to 1e-6 relative, at any column scale); a fit that fails the check is flagged
        (``converged=False``, a ``ConvergenceWarning``). For the exact answer use ``"exact"``.
    start : array_like, shape (p + 1,), optional
        Starting ``[beta..., sigma]`` for the optimizers (σ on its natural
        scale, > 0). Defaults to :func:`starting_values` with ``beta = 0``.
        Ignored by ``"exact"``.
    options : dict, optional
        For ``"BFGS"`` and ``"Nelder-Mead"``: ``max_iter`` (iterations) and ``tol`` (BFGS: the
        gradient tolerance, relative to n; Nelder-Mead: the simplex's size), over the package's
        defaults, and SciPy's own options for the method. An unknown key is an error. The exact
        solution takes none.
    names : sequence of str, optional
        A name for each coefficient (``"sigma"`` is appended); default: the columns of a
        DataFrame ``X``, else ``beta[0]``, ``beta[1]``, ...

    Returns
    -------
    FitResult
        With ``params = [beta..., sigma]``, ``beta``, ``sigma`` (the MLE
        :math:`\sqrt{\mathrm{RSS}/n}`), ``loglik``, ``converged``, ``n_iter``, ``method``, and
        ``model`` (a :class:`NormalLinear`).
        Scaling ``y`` or a column of ``X`` by a power of two scales the estimates exactly
        (columns far from 1 are scaled internally, so nothing overflows or underflows).

    Raises
    ------
    ValueError
        Bad ``X`` or ``y`` (shapes, NaN or inf, non-numeric, masked values, masked Dask arrays,
        ``n <= p``, pandas indexes that do not match), a rank-deficient ``X``, an unknown
        ``method``, a bad ``start`` (or one where the likelihood overflows: coefficients far
        beyond the data, a sigma far from the residuals), ``options`` or ``names``, or data so far
        from 1 that an estimate is beyond the range of float64 (the same in memory and over Dask).

    Warns
    -----
    ConvergenceWarning
        When an optimizer stops before converging; the result then has
        ``converged=False``.
    ExactFitWarning
        When ``X`` fits ``y`` exactly (residuals at the rounding level, as for NIST's
        Wampler1): the coefficients are the exact solution, ``sigma = 0``, ``loglik = inf`` (the
        likelihood is unbounded) and the standard errors are NaN.

    Examples
    --------
    >>> from mle_tutorial import simulate_linear
    >>> beta_true = [0.5, 1.0, 2.0, 3.0]
    >>> X, y = simulate_linear(1000, beta_true, 0.5, seed=408)
    >>> fit = fit_linear(X, y)
    >>> fit.beta.round(3), round(fit.sigma, 3)
    (array([0.496, 0.982, 1.996, 2.973]), 0.504)
    """
    if method == "qr":
        method = "exact"
    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}, got {method!r}")
    if method != "exact" and (is_dask(X) or is_dask(y)):
        raise ValueError(f"method={method!r} works in memory only; Dask arrays use method='exact'")
    model = NormalLinear.from_data(X, y, names=names, method=method, start=start, options=options)
    return model.fit()


def _fit_exact(model: NormalLinear) -> FitResult:
    """The closed form: exact least squares, then sigma-hat = sqrt(RSS / n)."""
    rows = model.working_rows()
    n, p = rows.n, rows.p
    sol, sigma, rounding = exact_least_squares(rows)
    exact = not sigma > rounding
    rss = sol.rss
    if exact:  # the residuals are rounding errors: sigma-hat is 0
        sigma, rss = 0.0, 0.0
    failure = None
    if not sol.converged:
        failure = (
            "fit_linear(method='exact'): iterative refinement did not reach working precision "
            f"(condition number of the scaled design about {sol.cond:.1e}); digits may be lost"
        )
    coefficients = Projections(rows.X, rows.y) if rows.in_memory else Sums(sol.beta, sol.xtx_inv)
    cov, problem = covariance.normal_linear(sol.xtx_inv, sigma, n)
    est = Estimate(
        params=np.array([*sol.beta.tolist(), sigma]),  # (cheaper than concatenate for a few)
        loglik=normal_max_loglik(n, sigma=sigma),
        converged=sol.converged,
        n_iter=sol.n_refine,
        method="exact",
        message=_exact_message(sol, rows),
        cov=cov,
        problem=problem,
        profile=NormalProfile(n, p, rss, coefficients),
        beta=sol.beta,
        sigma=sigma,
        failure=failure,
        unscale=model.unscale(),
        exact_fit=exact_fit_message("X") if exact else None,
    )
    return finish(model, est)


def _exact_message(sol: LeastSquaresSolution, rows) -> str:
    """How the closed form was computed. The number of refinement steps is ``n_iter``, not part
    of the message: where refinement stops is decided at the rounding level, so the count can
    differ by one between machines, and a message is often printed."""
    how = f"(condition number of the scaled design about {sol.cond:.1g})"
    if not rows.in_memory:
        path = "Cholesky of the scaled X'X" if sol.path == "cholesky" else "tall-skinny QR"
        return f"least squares over {rows.description}: {path} with refinement passes {how}"
    if sol.path == "cholesky":
        return f"least squares by Cholesky of the scaled X'X with iterative refinement {how}"
    return f"least squares by pivoted QR with extended-precision iterative refinement {how}"


def _fit_numerically(model: NormalLinear, method: str, start, options) -> FitResult:
    """Minimize the negative log-likelihood over [beta, log sigma] with SciPy (on the scaled data,
    if extreme columns were scaled)."""
    rows = model.working_rows()
    X, y = rows.X, rows.y
    n, p = X.shape
    unscale = model.unscale()
    if start is None:
        start = starting_values(X, y)
    else:  # from the data's units to the scaled data's
        start = unshift(_checked_start(start, p), -np.asarray(unscale.exponents))
    theta0 = np.append(start[:p], np.log(start[p]))
    _check_numerical_start(X, y, theta0, p)
    if method == "BFGS":
        defaults, tol_scale = {"gtol": 1e-6 * n, "maxiter": 1000}, float(n)
    else:
        defaults = {"xatol": 1e-10, "fatol": 1e-10, "maxiter": 2000 * (p + 1), "maxfev": 4000 * (p + 1)}
        tol_scale = 1.0
    objective = Objective(normal_nll, (X, y), normal_nll_gradient, normal_nll_hessian)
    # trial points far from the start overflow (inf, which the optimizer backs off from): not numpy's
    # warnings, the fit's own verdict says whether it got there
    with np.errstate(over="ignore", under="ignore", invalid="ignore", divide="ignore"):
        found = maximize(
            objective, theta0, method, options, f"fit_linear(method={method!r})",
            defaults=defaults, tol_scale=tol_scale, trust_failure=True, polished=False,
        )  # fmt: skip
    failure = None
    if not found.converged:
        failure = (
            f"fit_linear(method={method!r}) did not converge ({found.n_iter} iterations): {found.message} "
            "Try more iterations (options), a better start, or method='exact'."
        )
    beta = found.theta[:p].copy()
    sigma = float(np.exp(found.theta[p]))
    # observed information in (beta, log sigma); the delta method puts sigma on its own scale
    jacobian = np.diag(np.append(np.ones(p), sigma))
    cov, problem = covariance.from_hessian(found.hessian, jacobian)
    est = Estimate(
        params=np.append(beta, sigma),
        loglik=-found.value,
        converged=found.converged,
        n_iter=found.n_iter,
        method=method,
        message=found.message,
        cov=cov,
        problem=problem,
        profile=NormalProfile(n, p, solve(X, y).rss, Projections(X, y)),
        beta=beta,
        sigma=sigma,
        failure=failure,
        unscale=unscale,
    )
    return finish(model, est)


def _check_numerical_start(X: NDArray, y: NDArray, theta0: NDArray, p: int) -> None:
    """The optimizers' start must give a finite negative log-likelihood; else a ValueError that says
    which part of ``start`` overflows (computed on the data as the fit scales them)."""
    with np.errstate(over="ignore", invalid="ignore", under="ignore"):
        fitted = X @ theta0[:p]
        if not np.all(np.isfinite(fitted)):
            raise ValueError(
                "start's coefficients are too large for the data: X @ start[:-1] overflows (beyond 1.8e308); "
                "start from coefficients on the data's scale (the default start, beta = 0, or the exact "
                "fit's coefficients)"
            )
        r = y - fitted
        top = float(np.max(np.abs(r)))
        if not np.isfinite(top):
            raise ValueError("y - X @ start[:-1] overflows (beyond 1.8e308): start from smaller coefficients")
        value = normal_nll(theta0, X, y)
    if not np.isfinite(value):
        rms = float(np.sqrt(np.mean((r / top) ** 2))) * top if top > 0 else 0.0
        raise ValueError(
            f"start's sigma is so far from the residuals at start (their root mean square is {rms:.3g} on "
            "the data as fitted) that the negative log-likelihood overflows (the normal density underflows): "
            "start sigma near the residuals' size, as starting_values(X, y, beta) does"
        )


def _checked_start(start: ArrayLike, p: int) -> NDArray:
    start = as_float_array(start, "start", ndim=1)
    if start.shape[0] != p + 1:
        raise ValueError(f"start has {start.shape[0]} values but needs p + 1 = {p + 1}: [beta..., sigma]")
    if not start[-1] > 0:
        raise ValueError(f"start[-1] is sigma and must be > 0, got {start[-1]}")
    return start
