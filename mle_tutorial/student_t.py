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

The fit runs on the unconstrained scale :math:`\theta = (\beta, \eta, \lambda)` with
:math:`\sigma = e^\eta` and :math:`\nu = e^\lambda`, with the analytic gradient and Hessian
(derived in the docstrings of :func:`_t_nll_gradient` and :func:`_t_nll_hessian`); the
covariance is then carried to :math:`(\beta, \sigma, \nu)` by the delta method.
"""

from __future__ import annotations

import warnings

import numpy as np
import scipy.linalg
import scipy.optimize
import scipy.special
import scipy.stats
from numpy.typing import ArrayLike, NDArray

from ._validate import as_float_array, as_positive, check_design
from .general import OPTIMALITY_TOL, fit_mle, newton_distance
from .inference import covariance_from_hessian
from .least_squares import solve_least_squares
from .result import ConvergenceWarning, FitResult, HessianWarning

METHODS = ("Newton", "BFGS")

#: An estimate of ν above this is reported as running off to infinity (the normal limit).
NU_RUNOFF = 1e4


def _unpack(theta: NDArray, X: NDArray, y: NDArray, df: float | None):
    p = X.shape[1]
    beta, eta = theta[:p], theta[p]
    with np.errstate(all="ignore"):  # an optimizer's wild trial step: sigma or nu under/overflow
        nu = float(np.exp(theta[p + 1])) if df is None else df
        sigma = float(np.exp(eta))
        z = (y - X @ beta) / sigma
    return beta, eta, sigma, nu, z


def _possible(sigma: float, nu: float) -> bool:
    return 0.0 < sigma < np.inf and 0.0 < nu < np.inf


def _log_constant(nu: float) -> float:
    r""":math:`\log\Gamma(\frac{\nu+1}2) - \log\Gamma(\frac\nu2) - \frac12\log(\nu\pi)`.

    Computed as :math:`-\log B(\frac12, \frac\nu2) - \frac12\log\nu` (the same thing, since
    :math:`\Gamma(\frac12) = \sqrt\pi`): ``betaln`` avoids the cancellation between the two
    ``gammaln`` values, which are of order :math:`\nu\log\nu` when ν is large.
    """
    return float(-scipy.special.betaln(0.5, 0.5 * nu) - 0.5 * np.log(nu))


def _t_nll(theta: NDArray, X: NDArray, y: NDArray, df: float | None = None) -> float:
    r"""Negative log-likelihood on :math:`\theta = (\beta, \log\sigma[, \log\nu])`; ν is ``df`` if given."""
    _, eta, sigma, nu, z = _unpack(theta, X, y, df)
    if not _possible(sigma, nu):
        return np.inf
    n = y.shape[0]
    with np.errstate(over="ignore"):
        ll = n * (_log_constant(nu) - eta) - 0.5 * (nu + 1.0) * np.sum(np.log1p(z * z / nu))
    return float(-ll) if np.isfinite(ll) else np.inf


def _t_nll_gradient(theta: NDArray, X: NDArray, y: NDArray, df: float | None = None) -> NDArray:
    r"""Analytic gradient of :func:`_t_nll`.

    With :math:`s_i = z_i^2` and :math:`w_i = (\nu+1)/(\nu+s_i)`,

    .. math:: \frac{\partial\ell}{\partial\beta} = \frac1\sigma\sum_i w_i z_i x_i, \qquad
              \frac{\partial\ell}{\partial\eta} = \sum_i (w_i s_i - 1),

    .. math:: \frac{\partial\ell}{\partial\nu} = \frac n2\Big[\psi\big(\tfrac{\nu+1}2\big)
              - \psi\big(\tfrac\nu2\big) - \tfrac1\nu\Big]
              + \sum_i\Big[\frac{w_i s_i}{2\nu} - \tfrac12\log(1 + s_i/\nu)\Big],
              \qquad \frac{\partial\ell}{\partial\lambda} = \nu\,\frac{\partial\ell}{\partial\nu}.
    """
    _, _, sigma, nu, z = _unpack(theta, X, y, df)
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


def _t_nll_hessian(theta: NDArray, X: NDArray, y: NDArray, df: float | None = None) -> NDArray:
    r"""Analytic Hessian of :func:`_t_nll`.

    Write :math:`\ell_i = c(\nu) - \eta + f(s_i, \nu)` with :math:`f = -\frac{\nu+1}2\log(1+s/\nu)`
    and :math:`s = r^2 e^{-2\eta}`. Then :math:`f_s = -w/2`, :math:`f_{ss} = w^2/(2(\nu+1))`,
    :math:`f_{s\nu} = (1-s)/(2(\nu+s)^2)`, :math:`f_{\nu\nu} = s(\nu s - 2\nu - s)/(2\nu^2(\nu+s)^2)`,
    :math:`c'' = \frac14[\psi'(\frac{\nu+1}2) - \psi'(\frac\nu2)] + 1/(2\nu^2)`, and the chain rule
    through :math:`s_\beta = -2zx/\sigma`, :math:`s_\eta = -2s`, :math:`s_{\beta\beta} = 2xx^\top/\sigma^2`,
    :math:`s_{\beta\eta} = 4zx/\sigma`, :math:`s_{\eta\eta} = 4s` gives

    .. math:: \ell_{\beta\beta} = \sum_i \frac{w_i(s_i - \nu)}{\nu + s_i}\frac{x_i x_i^\top}{\sigma^2},\quad
              \ell_{\beta\eta} = -\sum_i \frac{2\nu w_i z_i}{\nu + s_i}\frac{x_i}{\sigma},\quad
              \ell_{\eta\eta} = -\sum_i \frac{2\nu w_i s_i}{\nu + s_i},

    .. math:: \ell_{\beta\nu} = -\sum_i \frac{(1 - s_i) z_i}{(\nu+s_i)^2}\frac{x_i}{\sigma},\quad
              \ell_{\eta\nu} = -\sum_i \frac{s_i(1 - s_i)}{(\nu+s_i)^2},\quad
              \ell_{\nu\nu} = n c''(\nu) + \sum_i f_{\nu\nu}(s_i, \nu),

    and on :math:`\lambda = \log\nu`: :math:`\ell_{\cdot\lambda} = \nu\ell_{\cdot\nu}`,
    :math:`\ell_{\lambda\lambda} = \nu^2\ell_{\nu\nu} + \nu\ell_\nu`.
    """
    _, _, sigma, nu, z = _unpack(theta, X, y, df)
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


def _names(p: int, estimate_df: bool) -> tuple[str, ...]:
    return (*(f"beta[{j}]" for j in range(p)), "sigma", *(("nu",) if estimate_df else ()))


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
) -> FitResult:
    r"""Maximum likelihood fit of :math:`y = X\beta + \sigma\varepsilon`, :math:`\varepsilon_i \sim t_\nu`.

    .. math:: \ell(\beta, \sigma, \nu) = \sum_{i=1}^n \Big[\log\Gamma\big(\tfrac{\nu+1}{2}\big)
              - \log\Gamma\big(\tfrac{\nu}{2}\big) - \tfrac12\log(\nu\pi) - \log\sigma
              - \tfrac{\nu+1}{2}\log\big(1 + z_i^2/\nu\big)\Big],
              \qquad z_i = \frac{y_i - x_i^\top\beta}{\sigma}

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
        ``"Newton"`` (default): SciPy's ``trust-exact`` with the analytic gradient and Hessian.
        ``"BFGS"``: quasi-Newton with the analytic gradient. Both optimize on
        :math:`(\beta, \log\sigma, \log\nu)` through :func:`~mle_tutorial.fit_mle`, and both
        take the standard errors from the analytic Hessian.
    options : dict, optional
        Passed to :func:`scipy.optimize.minimize`.

    Returns
    -------
    FitResult
        ``params = [beta..., sigma]`` or ``[beta..., sigma, nu]`` (names ``beta[j]``, ``sigma``,
        ``nu``), with ``beta``, ``sigma`` (the t *scale*, not the error standard deviation,
        which is :math:`\sigma\sqrt{\nu/(\nu-2)}` for :math:`\nu > 2`), ``cov`` on that scale
        (delta method), and a ``profile`` for ``conf_int(method="profile")``.

    Raises
    ------
    ValueError
        Bad ``X`` or ``y`` (as :func:`~mle_tutorial.fit_linear`), a rank-deficient ``X``, an
        exact fit, ``df`` not finite and > 0, an unknown ``method``, or a ``start`` of the wrong
        length or with σ or ν not > 0.

    Warns
    -----
    ConvergenceWarning
        If the optimizer does not converge, or the estimate of ν runs off above ``1e4``: the
        likelihood then flattens towards the normal model, which has no finite maximizer in ν.
        Fix ``df`` or use :func:`~mle_tutorial.fit_linear`. The result has ``converged=False``.
    HessianWarning
        If the Hessian at the estimate is not positive definite (standard errors NaN).

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
    X, y = check_design(X, y)
    n, p = X.shape
    nu_fixed = None if df is None else as_positive(df, "df")
    estimate_df = nu_fixed is None
    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}, got {method!r}")
    ls = solve_least_squares(X, y)
    rounding = 8 * np.finfo(float).eps * max(np.max(np.abs(y)), np.max(np.abs(X) @ np.abs(ls.beta)))
    if not np.sqrt(ls.rss / n) > rounding:
        raise ValueError(
            "y is fitted exactly by X (the residuals are at the rounding level of y): "
            "the likelihood is unbounded as sigma -> 0, so there is no MLE"
        )
    if start is None:
        sigma0 = float(scipy.stats.median_abs_deviation(ls.residuals, scale="normal"))
        if not sigma0 > rounding:  # more than half the residuals are zero
            sigma0 = float(np.sqrt(ls.rss / n))
        start = np.concatenate([ls.beta, [sigma0], [5.0] if estimate_df else []])
    else:
        start = _check_start(start, p, estimate_df)
    theta0 = np.concatenate([start[:p], np.log(start[p:])])

    # fit_mle's warnings are replaced: the answer is polished and checked again below
    args = (X, y, nu_fixed)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        inner = fit_mle(
            _t_nll,
            theta0,
            gradient=_t_nll_gradient,
            hessian=_t_nll_hessian,
            method=method,
            args=args,
            names=(*_names(p, False)[:p], "log_sigma", *(("log_nu",) if estimate_df else ())),
            nobs=n,
            options=options,
        )
    for w in caught:
        if not issubclass(w.category, (ConvergenceWarning, HessianWarning)):
            warnings.warn(w.message, w.category, stacklevel=2)
    theta, converged, message = _polish(inner.params, args, inner.converged, inner.message)

    beta = theta[:p].copy()
    sigma = float(np.exp(theta[p]))
    nu = float(np.exp(theta[p + 1])) if estimate_df else nu_fixed
    advice = ""
    if estimate_df:
        advice = " Fix df (e.g. df=4) or, if the errors look normal, use fit_linear."
        if nu > NU_RUNOFF:
            converged = False
            message += (
                f" The estimate of nu ran off to {nu:.3g} (> {NU_RUNOFF:.0e}): the likelihood flattens "
                "towards the normal model as nu -> infinity, so there is no finite maximum in nu."
            )
    if not converged:
        warnings.warn(
            f"fit_student_t(method={method!r}) did not converge ({inner.n_iter} iterations): {message}"
            f"{advice}",
            ConvergenceWarning,
            stacklevel=2,
        )
    natural = np.concatenate([beta, [sigma], [nu] if estimate_df else []])
    # observed information on (beta, log sigma, log nu); the delta method puts sigma, nu on their scale
    jacobian = np.diag(np.concatenate([np.ones(p), natural[p:]]))
    cov = covariance_from_hessian(_t_nll_hessian(theta, *args), jacobian)
    return FitResult(
        params=natural,
        param_names=_names(p, estimate_df),
        loglik=-_t_nll(theta, *args),
        nobs=n,
        converged=converged,
        n_iter=inner.n_iter,
        method=inner.method,
        message=message,
        beta=beta,
        sigma=sigma,
        cov=cov,
        profile=_profile(theta, args),
    )


def _polish(theta: NDArray, args: tuple, converged: bool, message: str) -> tuple[NDArray, bool, str]:
    """One Newton step from the optimizer's answer, and the package's convergence test there.

    SciPy's ``trust-exact`` can stop with "A bad approximation caused failure to predict
    improvement" at the maximum itself, when the improvement it predicts is below the rounding
    level of the log-likelihood. The test that counts is the one :func:`fit_mle` applies to
    answers the optimizer accepts: a Newton step would move no parameter by more than
    ``OPTIMALITY_TOL`` (relative). The step is taken if it does not lower the likelihood.
    """
    gradient, hessian = _t_nll_gradient(theta, *args), _t_nll_hessian(theta, *args)
    distance = newton_distance(gradient, hessian, theta)
    if not distance <= OPTIMALITY_TOL:
        return theta, False, message
    step = scipy.linalg.solve(hessian, gradient, assume_a="pos")
    value = _t_nll(theta, *args)
    candidate = theta - step
    if _t_nll(candidate, *args) <= value + 4 * np.finfo(float).eps * abs(value):
        theta = candidate
    if not converged:
        message += (
            f" Accepted all the same: a Newton step from there moves the parameters by only "
            f"{distance:.1e} (relative), within {OPTIMALITY_TOL:.0e}."
        )
    return theta, True, message


def _profile(theta_hat: NDArray, args: tuple):
    """Profile log-likelihood, with σ and ν held on their natural scale.

    The other parameters are re-maximized by ``trust-exact`` with the analytic gradient and
    Hessian, always from the estimate (no warm start, so the value at a point does not depend on
    the points asked for before it: root-finding needs that).
    """
    p = args[0].shape[1]
    k = theta_hat.size

    def profile(j: int, value: float) -> float:
        if j >= p:
            if not value > 0:
                return -np.inf
            value = float(np.log(value))
        others = np.delete(np.arange(k), j)

        def full(free):
            t = theta_hat.copy()
            t[others] = free
            t[j] = value
            return t

        res = scipy.optimize.minimize(
            lambda free: _t_nll(full(free), *args),
            theta_hat[others],
            jac=lambda free: _t_nll_gradient(full(free), *args)[others],
            hess=lambda free: _t_nll_hessian(full(free), *args)[np.ix_(others, others)],
            method="trust-exact",
            options={"gtol": 1e-9, "maxiter": 200},
        )
        return -float(res.fun)

    return profile
