r"""Linear regression with Student-t errors: a likelihood that is robust to outliers.

The model is :math:`y_i = x_i^\top\beta + \sigma\varepsilon_i` with :math:`\varepsilon_i`
independent Student-t with :math:`\nu` degrees of freedom. With
:math:`z_i = (y_i - x_i^\top\beta)/\sigma`, the log-likelihood is

.. math:: \ell(\beta, \sigma, \nu) = \sum_{i=1}^n \Big[\log\Gamma\big(\tfrac{\nu+1}{2}\big)
          - \log\Gamma\big(\tfrac{\nu}{2}\big) - \tfrac12\log(\nu\pi) - \log\sigma
          - \tfrac{\nu+1}{2}\log\big(1 + z_i^2/\nu\big)\Big].

Its score for :math:`\beta` is :math:`\sum_i w_i z_i x_i/\sigma` with weights
:math:`w_i = (\nu+1)/(\nu+z_i^2)`: an observation far from the line (large :math:`|z_i|`)
gets a small weight, so one gross outlier cannot drag the fit the way it drags least
squares. As :math:`\nu\to\infty` the weights tend to 1 and the model becomes the normal
linear model of :func:`~mle_tutorial.fit_linear`.

The fit runs on the unconstrained scale :math:`\theta = (\beta, \tau, \omega)` with
:math:`\sigma = e^\tau` and :math:`\nu = e^\omega`, with the analytic gradient and Hessian
(derived in the docstrings of :func:`t_nll_gradient` and :func:`t_nll_hessian`); the
covariance is then carried to :math:`(\beta, \sigma, \nu)` by the delta method.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ._engine import covariance, lazy
from ._engine.checks import as_float_array, as_positive, coefficient_names, read_design
from ._engine.lazy import special
from ._engine.lstsq import solve
from ._engine.objectives import Objective
from ._engine.optimize import maximize
from ._engine.profiles import OptimizerProfile
from ._engine.rows import InMemoryRows, data_key, fingerprint_sum
from ._engine.scale import Unscale, normal_unscale, unshift
from ._engine.transforms import BoundsTransform
from .fitting import FREE, POSITIVE, Estimate, exact_fit_message, finish
from .model import RowsRegression
from .result import FitResult

__all__ = ["METHODS", "NU_RUNOFF", "StudentT", "fit_student_t", "t_nll", "t_nll_gradient", "t_nll_hessian"]

METHODS = ("Newton", "BFGS")

#: An estimate of ν above this is reported as running off to infinity (the normal limit).
NU_RUNOFF = 1e4


# --- the kernel: the negative log-likelihood on (beta, log sigma[, log nu]) and its derivatives --------
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


def t_log_constant(nu: float) -> float:
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
        ll = n * (t_log_constant(nu) - eta) - 0.5 * (nu + 1.0) * np.sum(np.log1p(z * z / nu))
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


def score_rows(X: NDArray, y: NDArray, *, params: NDArray, df: float | None) -> NDArray:
    r"""The score of each observation on :math:`(\beta, \sigma[, \nu])` (the per-observation terms of
    :func:`t_nll_gradient`, divided by σ and ν for their scale)."""
    p = X.shape[1]
    beta, sigma = params[:p], float(params[p])
    nu = float(params[p + 1]) if df is None else df
    z = (y - X @ beta) / sigma
    s = z * z
    w = (nu + 1.0) / (nu + s)
    cols = [X * (w * z / sigma)[:, None], ((w * s - 1.0) / sigma)[:, None]]
    if df is None:
        digammas = special.digamma(0.5 * (nu + 1.0)) - special.digamma(0.5 * nu)
        d_nu = 0.5 * (digammas - 1.0 / nu) + 0.5 * w * s / nu - 0.5 * np.log1p(s / nu)
        cols.append(d_nu[:, None])
    return np.hstack(cols)


# --- the model ----------------------------------------------------------------------------------------
class StudentT(RowsRegression):
    r"""Linear regression with Student-t errors on its data: parameters ``[beta..., sigma]`` (``df``
    fixed) or ``[beta..., sigma, nu]``.

    .. math:: \ell_i = \log\Gamma\big(\tfrac{\nu+1}{2}\big) - \log\Gamma\big(\tfrac{\nu}{2}\big)
              - \tfrac12\log(\nu\pi) - \log\sigma - \tfrac{\nu+1}{2}\log\big(1 + z_i^2/\nu\big)

    Built by :func:`fit_student_t` (``fit.model``); ``fit()`` refits with the same ``df``,
    method, start and options. The score test uses the expected information (Lange, Little and
    Taylor 1989), positive definite everywhere, unlike the observed information of a t
    likelihood away from its maximum.
    """

    name = "student_t"
    reserved_names = ("sigma", "nu")
    keeps_labels = True
    #: The row labels of the data (a pandas Index), None for arrays.
    labels = None

    @property
    def row_labels(self):
        return self.labels

    def __init__(self, rows, names: Sequence[str], key: str, *, df: float | None = None,
                 method: str = "Newton", start=None, options: dict | None = None, working=None):  # fmt: skip
        self.rows = rows
        self.names = tuple(names)
        self.key = key
        self.df = df
        self.method = method
        self.start_values = start
        self.options = options
        self._cache_working = working

    @classmethod
    def from_data(cls, X, y, *, df=None, names=None, method="Newton", start=None, options=None) -> StudentT:
        """Check the data and settings (as :func:`fit_student_t` does) and build the model."""
        design = read_design(X, y)
        rows = InMemoryRows(design.X, design.y)
        nu_fixed = None if df is None else as_positive(df, "df")
        if method not in METHODS:
            raise ValueError(f"method must be one of {METHODS}, got {method!r}")
        names = (*coefficient_names(names, design.columns, rows.p, reserved=cls.reserved_names), "sigma")
        names = (*names, "nu") if nu_fixed is None else names
        key = data_key(rows.n, fingerprint_sum(design.y))
        model = cls(rows, names, key, df=nu_fixed, method=method, start=start, options=options)
        model.labels = design.index
        return model

    def _like(self, rows, key: str | None = None, names=None) -> StudentT:
        key = data_key(rows.n, fingerprint_sum(rows.y)) if key is None else key
        return StudentT(rows, self.names if names is None else names, key, df=self.df, method=self.method,
                        start=self.start_values, options=self.options)  # fmt: skip

    @property
    def bounds(self):
        return (FREE,) * self.rows.p + (POSITIVE,) * (len(self.names) - self.rows.p)

    def working_rows(self):
        """Every column and y scaled by powers of two into [1/2, 1): the optimizer then sees the
        same numbers for data in any units."""
        if self._cache_working is None:
            self._cache_working = InMemoryRows.scaled(self.rows.X, self.rows.y, always=True)
        return self._cache_working

    def unscale(self) -> Unscale:
        w = self.working_rows()
        extra = int(self.df is None)
        return normal_unscale(
            w.x_shift - self.rows.x_shift, w.y_shift - self.rows.y_shift, self.rows.n, extra
        )

    def rescaled(self):
        w = self.working_rows()
        inner = StudentT(w, self.names, self.key, df=self.df, method=self.method, start=self.start_values,
                         options=self.options, working=w)  # fmt: skip
        return inner, self.unscale()

    # the likelihood, on the natural scale (from the kernel on the working one)
    def _theta(self, params):
        params = np.asarray(params, dtype=float)
        p = self.rows.p
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.concatenate([params[:p], np.log(params[p:])])

    def _args(self):
        return self.rows.X, self.rows.y, self.df

    def loglik_obs(self, params):
        params = np.asarray(params, dtype=float)
        p = self.rows.p
        beta, sigma = params[:p], float(params[p])
        nu = float(params[p + 1]) if self.df is None else self.df
        z = (self.rows.y - self.rows.X @ beta) / sigma
        return t_log_constant(nu) - np.log(sigma) - 0.5 * (nu + 1.0) * np.log1p(z * z / nu)

    def loglik(self, params) -> float:
        return -t_nll(self._theta(params), *self._args())

    def score_obs(self, params):
        return score_rows(self.rows.X, self.rows.y, params=np.asarray(params, dtype=float), df=self.df)

    def score(self, params):
        params = np.asarray(params, dtype=float)
        d = np.concatenate([np.ones(self.rows.p), params[self.rows.p :]])
        return -t_nll_gradient(self._theta(params), *self._args()) / d

    def hessian(self, params):
        r"""On the natural scale, from the analytic Hessian on :math:`(\beta, \log\sigma, \log\nu)`:
        for :math:`x = e^t`,
        :math:`\partial^2\ell/\partial x_i\partial x_j = (H^t_{ij} - \delta_{ij}g^t_i)/(x_ix_j)`."""
        params = np.asarray(params, dtype=float)
        p = self.rows.p
        theta = self._theta(params)
        H = -t_nll_hessian(theta, *self._args())
        g = -t_nll_gradient(theta, *self._args())
        d = np.concatenate([np.ones(p), params[p:]])
        H[p:, p:] -= np.diag(g[p:])
        return H / np.outer(d, d)

    def information(self, params):
        r"""Expected information on the reported scale (Lange, Little and Taylor 1989):
        :math:`\frac{\nu+1}{(\nu+3)\sigma^2}X^\top X` for β, :math:`\frac{2n\nu}{(\nu+3)\sigma^2}`
        for σ, and for ν (when estimated) :math:`\frac n4[\psi'(\frac\nu2) - \psi'(\frac{\nu+1}2)]
        - \frac{n(\nu+5)}{2\nu(\nu+1)(\nu+3)}` and :math:`-\frac{2n}{\sigma(\nu+1)(\nu+3)}` with σ."""
        n, p = self.rows.X.shape
        params = np.asarray(params, dtype=float)
        sigma = float(params[p])
        nu = float(params[p + 1]) if self.df is None else self.df
        k = p + 1 if self.df is not None else p + 2
        info = np.zeros((k, k))
        info[:p, :p] = (nu + 1.0) / ((nu + 3.0) * sigma**2) * (self.rows.X.T @ self.rows.X)
        info[p, p] = 2.0 * n * nu / ((nu + 3.0) * sigma**2)
        if self.df is None:
            trigammas = special.polygamma(1, 0.5 * nu) - special.polygamma(1, 0.5 * (nu + 1.0))
            info[p + 1, p + 1] = 0.25 * n * trigammas - n * (nu + 5.0) / (2.0 * nu * (nu + 1.0) * (nu + 3.0))
            info[p, p + 1] = info[p + 1, p] = -2.0 * n / (sigma * (nu + 1.0) * (nu + 3.0))
        return info

    # fitting
    def start(self):
        w = self.working_rows()
        ls = solve(w.X, w.y)
        rounding = 8 * np.finfo(float).eps * max(w.max_y, float(w.max_x @ np.abs(ls.beta)))
        theta = _start(ls, w.y, None, self.df is None, np.zeros(0), rounding)
        params = np.concatenate([theta[: self.rows.p], np.exp(theta[self.rows.p :])])
        return unshift(params, np.asarray(self.unscale().exponents))

    def fit(self, start=None, *, method: str | None = None, options: dict | None = None) -> FitResult:
        method = self.method if method is None else method
        if method not in METHODS:
            raise ValueError(f"method must be one of {METHODS}, got {method!r}")
        start = self.start_values if start is None else start
        return _fit(self, method, start, self.options if options is None else options)

    # the bootstrap
    def simulate(self, params, rng):
        params = np.asarray(params, dtype=float)
        p = self.rows.p
        nu = float(params[p + 1]) if self.df is None else self.df
        X = self.rows.X
        return self._like(InMemoryRows(X, X @ params[:p] + float(params[p]) * rng.standard_t(nu, X.shape[0])))


# --- the fitter ------------------------------------------------------------------------------------------
def _check_start(start: ArrayLike, p: int, estimate_df: bool) -> NDArray[np.float64]:
    start = as_float_array(start, "start", ndim=1)
    layout = "[beta..., sigma, nu]" if estimate_df else "[beta..., sigma] (df is fixed)"
    k = p + 2 if estimate_df else p + 1
    if start.shape[0] != k:
        raise ValueError(f"start has {start.shape[0]} values but needs {k}: {layout}")
    if not start[p] > 0:
        raise ValueError(f"start[{p}] is sigma and must be > 0, got {start[p]}")
    if estimate_df and not start[p + 1] > 0:
        raise ValueError(f"start[{p + 1}] is nu and must be > 0, got {start[p + 1]}")
    return start


def fit_student_t(
    X: ArrayLike,
    y: ArrayLike,
    *,
    df: float | None = None,
    start: ArrayLike | None = None,
    method: str = "Newton",
    options: dict | None = None,
    names: Sequence[str] | None = None,
) -> FitResult:
    r"""Maximum likelihood fit of :math:`y = X\beta + \sigma\varepsilon`, :math:`\varepsilon_i \sim t_\nu`.

    .. math:: \begin{aligned}
              \ell(\beta, \sigma, \nu) = \sum_{i=1}^n \Big[&\log\Gamma\big(\tfrac{\nu+1}{2}\big)
              - \log\Gamma\big(\tfrac{\nu}{2}\big) - \tfrac12\log(\nu\pi) - \log\sigma \\
              &- \tfrac{\nu+1}{2}\log\big(1 + z_i^2/\nu\big)\Big], \\
              &\qquad z_i = \frac{y_i - x_i^\top\beta}{\sigma}
              \end{aligned}

    Parameters
    ----------
    X : array_like, shape (n, p)
        Full design matrix (include a column of ones for an intercept); full column rank, ``n > p``.
    y : array_like, shape (n,)
        Response.
    df : float, optional
        Degrees of freedom ν, held fixed if given (> 0); estimated if not.
    start : array_like, optional
        Starting ``[beta..., sigma]`` (df fixed) or ``[beta..., sigma, nu]``, on the natural
        scale (σ, ν > 0). Default: least-squares β, σ from the normal-scaled median absolute
        deviation of the least-squares residuals (robust to the outliers the model is for),
        ν = 5.
    method : {"Newton", "BFGS"}
        ``"Newton"`` (default): SciPy's trust-region Newton method (``trust-exact``) with the
        analytic gradient and Hessian. ``"BFGS"``: quasi-Newton with the analytic gradient. Both
        optimize on :math:`(\beta, \log\sigma, \log\nu)`, end with the package's Newton
        polish (see :func:`~mle_tutorial.fit_mle`), and take the standard errors from the analytic
        Hessian.
    options : dict, optional
        ``max_iter`` (optimizer iterations) and ``tol`` (its gradient tolerance, relative to the
        negative log-likelihood at the start), and SciPy's own options for the method; an
        unknown key is an error.
    names : sequence of str, optional
        A name for each coefficient (default: the columns of a DataFrame ``X``, else ``beta[j]``).

    Returns
    -------
    FitResult
        ``params = [beta..., sigma]`` or ``[beta..., sigma, nu]`` (names ``beta[j]``, ``sigma``,
        ``nu``), with ``beta``, ``sigma`` (the t *scale*, not the error standard deviation,
        which is :math:`\sigma\sqrt{\nu/(\nu-2)}` for :math:`\nu > 2`), ``cov`` on that scale
        (delta method), a ``profile`` for ``conf_int(method="profile")``, and ``model`` (a
        :class:`StudentT`).

    Raises
    ------
    ValueError
        Bad ``X`` or ``y`` (as :func:`~mle_tutorial.fit_linear`), a rank-deficient ``X``,
        ``df`` not finite and > 0, an unknown ``method``, a ``start`` of the wrong
        length or with σ or ν not > 0, or bad ``names``.

    Warns
    -----
    ConvergenceWarning
        If the optimizer does not converge, or the estimate of ν runs off above ``1e4``: the
        likelihood then flattens towards the normal model, which has no finite maximizer in ν.
        Fix ``df`` or use :func:`~mle_tutorial.fit_linear`. The result has ``converged=False``;
        when ν ran off, its standard error is NaN and those of β and σ hold ν at its last value.
    HessianWarning
        If the Hessian at the estimate is not positive definite (standard errors NaN).
    ExactFitWarning
        If ``X`` fits ``y`` exactly: as :func:`~mle_tutorial.fit_linear` (the exact coefficients,
        ``sigma = 0``, ``loglik = inf``, NaN standard errors), with ``nu`` NaN (the data say
        nothing about it) when it is estimated.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(1)
    >>> X = np.column_stack([np.ones(500), rng.normal(size=500)])
    >>> y = X @ [1.0, 2.0] + 0.5 * rng.standard_t(3, size=500)
    >>> fit = fit_student_t(X, y)
    >>> fit.param_names
    ('beta[0]', 'beta[1]', 'sigma', 'nu')
    >>> fit.params.round(3)
    array([1.023, 1.998, 0.546, 3.198])
    """
    model = StudentT.from_data(X, y, df=df, names=names, method=method, start=start, options=options)
    return model.fit()


def _fit(model: StudentT, method: str, start, options) -> FitResult:
    """The fit on the working rows: the exact-fit check, the start, the optimizer and the polish,
    the verdict on nu, the covariance."""
    rows = model.working_rows()
    X, y = rows.X, rows.y
    n, p = X.shape
    nu_fixed = model.df
    estimate_df = nu_fixed is None
    unscale = model.unscale()
    ls = solve(X, y)
    rounding = 8 * np.finfo(float).eps * max(rows.max_y, float(rows.max_x @ np.abs(ls.beta)))
    if not np.sqrt(ls.rss / n) > rounding:  # an exact fit: sigma-hat = 0, nu undetermined
        natural = np.concatenate([ls.beta, [0.0], [np.nan] if estimate_df else []])
        k = len(natural)
        est = Estimate(
            params=natural, loglik=np.inf, converged=True, n_iter=0, method=method,
            message="y is fitted exactly by X: the least-squares solution, with sigma = 0",
            cov=np.full((k, k), np.nan), beta=ls.beta, sigma=0.0, exact_fit=exact_fit_message("X"),
            unscale=unscale,
        )  # fmt: skip
        return finish(model, est)
    theta0 = _start(ls, y, start, estimate_df, np.asarray(unscale.exponents), rounding)
    args = (X, y, nu_fixed)
    objective = Objective(t_nll, args, t_nll_gradient, t_nll_hessian)
    found = maximize(objective, theta0, method, options, f"fit_student_t(method={method!r})")
    theta = found.theta
    beta, sigma = theta[:p].copy(), float(np.exp(theta[p]))
    nu = float(np.exp(theta[p + 1])) if estimate_df else nu_fixed
    assert nu is not None  # df is given when it is not estimated
    ran_off = estimate_df and nu > NU_RUNOFF
    converged, message, failure = _verdict(
        found.converged, found.message, nu, ran_off, estimate_df, method, found.n_iter
    )
    natural = np.concatenate([beta, [sigma], [nu] if estimate_df else []])
    cov, problem = _covariance(theta, args, natural, p, ran_off)
    profile = OptimizerProfile(
        objective, theta, method="trust-exact", maxiter=200, transform=BoundsTransform(tuple(model.bounds))
    )
    est = Estimate(
        params=natural,
        loglik=-t_nll(theta, *args),
        converged=converged,
        n_iter=found.n_iter,
        method=method,
        message=message,
        cov=cov,
        problem=problem,
        profile=profile,
        beta=beta,
        sigma=sigma,
        failure=failure,
        unscale=unscale,
    )
    return finish(model, est)


def _verdict(
    converged: bool, message: str, nu: float, ran_off: bool, estimate_df: bool, method: str, n_iter: int
) -> tuple[bool, str, str | None]:
    """``(converged, message, failure)``: a nu that ran off to infinity is not a maximum."""
    if ran_off:
        converged = False
        message += (
            f" The estimate of nu ran off to {nu:.3g} (> {NU_RUNOFF:.0e}): the likelihood flattens "
            "towards the normal model as nu -> infinity, so there is no finite maximum in nu."
        )
    if converged:
        return converged, message, None
    advice = " Fix df (e.g. df=4) or, if the errors look normal, use fit_linear." if estimate_df else ""
    failure = f"fit_student_t(method={method!r}) did not converge ({n_iter} iterations): {message}{advice}"
    return converged, message, failure


def _covariance(theta: NDArray, args: tuple, natural: NDArray, p: int, ran_off: bool):
    """``(cov, problem)`` from the observed information on (beta, log sigma[, log nu]), put on the
    reported scale by the delta method."""
    jacobian = np.diag(np.concatenate([np.ones(p), natural[p:]]))
    hessian = t_nll_hessian(theta, *args)
    if not ran_off:
        return covariance.from_hessian(hessian, jacobian)
    # The likelihood is flat in nu out there (its curvature is at the rounding level, of either
    # sign), so nu gets no standard error; beta and sigma get theirs from the information with nu
    # held at its last value. Which warning the fit gives does not then depend on the sign of a
    # rounding error.
    kept, problem = covariance.from_hessian(hessian[: p + 1, : p + 1], jacobian[: p + 1, : p + 1])
    cov = np.full((p + 2, p + 2), np.nan)
    cov[: p + 1, : p + 1] = kept
    return cov, problem


def _start(
    ls, y: NDArray, start: ArrayLike | None, estimate_df: bool, exponents: NDArray, rounding: float
) -> NDArray:
    """The start on (beta, log sigma[, log nu]): least-squares beta, sigma from the normal-scaled
    median absolute deviation of its residuals (robust to the outliers the model is for), nu = 5.
    A ``start`` given in the data's units is carried to the scaled data's (``exponents``)."""
    n, p = y.shape[0], ls.beta.shape[0]
    if start is None:
        sigma0 = float(lazy.stats().median_abs_deviation(ls.residuals, scale="normal"))
        if not sigma0 > rounding:  # more than half the residuals are zero
            sigma0 = float(np.sqrt(ls.rss / n))
        guess = np.concatenate([ls.beta, [sigma0], [5.0] if estimate_df else []])
    else:
        guess = unshift(_check_start(start, p, estimate_df), -exponents)
    return np.concatenate([guess[:p], np.log(guess[p:])])
