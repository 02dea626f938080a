r"""Fitting the normal linear model by maximum likelihood.

:func:`fit_linear` maximizes

.. math:: \ell(\beta, \sigma) = -\frac n2\log(2\pi\sigma^2) - \frac{\lVert y - X\beta\rVert^2}{2\sigma^2}

in one of three ways:

``"exact"`` (default; ``"qr"`` is accepted as another name for it)
    The closed form. For any :math:`\sigma`, :math:`\ell` is largest where the
    residual sum of squares is smallest, so :math:`\hat\beta` is the
    least-squares solution (computed to working precision by
    :func:`~mle_tutorial.least_squares.solve_least_squares`: a fast Cholesky path
    when the design is well conditioned, pivoted QR with extended-precision
    refinement otherwise), and then :math:`\hat\sigma = \sqrt{\mathrm{RSS}/n}`.
``"BFGS"``
    Quasi-Newton minimization of :func:`negative_log_likelihood` over
    :math:`[\beta, \log\sigma]`, with the analytic gradient.
``"Nelder-Mead"``
    Derivative-free simplex search on the same function: the recipe of the
    seed's Julia example.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import scipy.linalg
import scipy.optimize
from numpy.typing import ArrayLike

from ._validate import as_float_array, check_design
from .chunked import fit_linear_chunked, is_dask
from .general import OPTIMALITY_TOL, newton_distance, optimality_message
from .inference import covariance_from_hessian
from .least_squares import _solve
from .likelihood import _nll, _nll_gradient, _nll_hessian
from .result import ConvergenceWarning, FitResult
from .start import starting_values

METHODS = ("exact", "BFGS", "Nelder-Mead")


def _names(p: int) -> tuple[str, ...]:
    return (*(f"beta[{j}]" for j in range(p)), "sigma")


def _max_loglik(n: int, sigma: float) -> float:
    return -0.5 * n * (np.log(2.0 * np.pi) + 2.0 * np.log(sigma) + 1.0)


def fit_linear(
    X: ArrayLike,
    y: ArrayLike,
    *,
    method: str = "exact",
    start: ArrayLike | None = None,
    options: dict | None = None,
) -> FitResult:
    r"""Maximum likelihood fit of :math:`y = X\beta + \varepsilon`, :math:`\varepsilon_i \sim N(0, \sigma^2)`.

    Parameters
    ----------
    X : array_like, shape (n, p)
        Full design matrix. No intercept is added: include a column of ones
        if you want one. Needs ``n > p`` and full column rank.
    y : array_like, shape (n,)
        Response.
    method : {"exact", "BFGS", "Nelder-Mead"}
        ``"exact"`` (default; also called ``"qr"``) is the closed form, exact to
        working precision even on badly scaled or highly collinear designs. ``"BFGS"`` and
        ``"Nelder-Mead"`` minimize :func:`negative_log_likelihood` numerically
        with :func:`scipy.optimize.minimize`; they are here to teach.
    start : array_like, shape (p + 1,), optional
        Starting ``[beta..., sigma]`` for the optimizers (σ on its natural
        scale, > 0). Defaults to :func:`starting_values` with ``beta = 0``.
        Ignored by ``"exact"``.
    options : dict, optional
        Passed to :func:`scipy.optimize.minimize` as ``options``, over the
        package's defaults (tight tolerances; see the source).

    Returns
    -------
    FitResult
        With ``params = [beta..., sigma]``, ``beta``, ``sigma`` (the MLE
        :math:`\sqrt{\mathrm{RSS}/n}`), ``loglik``, ``converged``, ``n_iter``, ``method``.

    Raises
    ------
    ValueError
        Bad ``X`` or ``y`` (shapes, NaN or inf, non-numeric, ``n <= p``), a
        rank-deficient ``X``, an exact fit (σ̂ = 0, where the likelihood is
        unbounded), an unknown ``method``, or a bad ``start``.

    Warns
    -----
    ConvergenceWarning
        When an optimizer stops before converging; the result then has
        ``converged=False``.

    Examples
    --------
    >>> from mle_tutorial import simulate_linear
    >>> X, y = simulate_linear(1000, [0.5, 1.0, 2.0, 3.0], 0.5, seed=408)
    >>> fit = fit_linear(X, y)
    >>> fit.beta.round(3), round(fit.sigma, 3)
    (array([0.496, 0.982, 1.996, 2.973]), 0.504)
    """
    if method == "qr":
        method = "exact"
    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}, got {method!r}")
    if is_dask(X) or is_dask(y):
        if method != "exact":
            raise ValueError(f"method={method!r} works in memory only; Dask arrays use method='exact'")
        return fit_linear_chunked(X, y)
    X, y = check_design(X, y)
    n, p = X.shape
    if method == "exact":
        return _fit_exact(X, y)
    if start is None:
        start = starting_values(X, y)
    else:
        start = as_float_array(start, "start", ndim=1)
        if start.shape[0] != p + 1:
            raise ValueError(f"start has {start.shape[0]} values but needs p + 1 = {p + 1}: [beta..., sigma]")
        if not start[-1] > 0:
            raise ValueError(f"start[-1] is sigma and must be > 0, got {start[-1]}")
    theta0 = np.append(start[:p], np.log(start[p]))
    if method == "BFGS":
        opts = {"gtol": 1e-6 * n, "maxiter": 1000}
        opts.update(options or {})
        res = scipy.optimize.minimize(
            _nll, theta0, args=(X, y), jac=_nll_gradient, method="BFGS", options=opts
        )
    else:
        k = p + 1
        opts = {"xatol": 1e-10, "fatol": 1e-10, "maxiter": 2000 * k, "maxfev": 4000 * k}
        opts.update(options or {})
        res = scipy.optimize.minimize(_nll, theta0, args=(X, y), method="Nelder-Mead", options=opts)
    converged = bool(res.success)
    message = str(res.message)
    if converged:
        # Do not take the optimizer's word for it: check first-order optimality.
        distance = newton_distance(_nll_gradient(res.x, X, y), _nll_hessian(res.x, X, y), res.x)
        if not distance <= OPTIMALITY_TOL:
            converged = False
            message += optimality_message(distance)
    if not converged:
        warnings.warn(
            f"fit_linear(method={method!r}) did not converge ({res.nit} iterations): {message} "
            "Try more iterations (options), a better start, or method='exact'.",
            ConvergenceWarning,
            stacklevel=2,
        )
    beta = res.x[:p].copy()
    sigma = float(np.exp(res.x[p]))
    # observed information in (beta, log sigma); the delta method puts sigma on its own scale
    jacobian = np.diag(np.append(np.ones(p), sigma))
    cov = covariance_from_hessian(_nll_hessian(res.x, X, y), jacobian)
    return FitResult(
        params=np.append(beta, sigma),
        param_names=_names(p),
        loglik=-float(res.fun),
        nobs=n,
        converged=converged,
        n_iter=int(res.nit),
        method=method,
        message=message,
        beta=beta,
        sigma=sigma,
        cov=cov,
        profile=_linear_profile(X, y),
    )


def _fit_exact(X, y) -> FitResult:
    n, p = X.shape
    sol = _solve(X, y, residuals=False)
    sigma = float(np.sqrt(sol.rss / n))
    # Residuals no bigger than the rounding error in y or in X @ beta mean an exact fit.
    eps = np.finfo(float).eps
    y_max = float(np.max(np.abs(y)))
    # column norms bound every |X_ij|, so this is an upper bound on the rounding level, for free
    if not sigma > 8 * eps * max(y_max, float(sol.col_norms @ np.abs(sol.beta))):
        # inconclusive: the precise bound, from column extremes (no n x p temporary)
        col_max = np.maximum(X.max(axis=0), -X.min(axis=0))
        rounding = 8 * eps * max(y_max, float(col_max @ np.abs(sol.beta)))
    else:
        rounding = 0.0
    if not sigma > rounding:
        raise ValueError(
            f"y is fitted exactly by X (sigma-hat = {sigma:.1e} is at the rounding level of y): "
            "the likelihood is unbounded as sigma -> 0, so there is no MLE"
        )
    if not sol.converged:
        warnings.warn(
            "fit_linear(method='exact'): iterative refinement did not reach working precision "
            f"(condition number of the scaled design about {sol.cond:.1e}); digits may be lost",
            ConvergenceWarning,
            stacklevel=3,
        )
    return FitResult(
        params=np.append(sol.beta, sigma),
        param_names=_names(p),
        loglik=float(_max_loglik(n, sigma)),
        nobs=n,
        converged=sol.converged,
        n_iter=sol.n_refine,
        method="exact",
        message=_exact_message(sol),
        beta=sol.beta,
        sigma=sigma,
        cov=_linear_cov(sol.xtx_inv, sigma, n),
        profile=_linear_profile(X, y, sol.rss),
    )


def _exact_message(sol) -> str:
    if sol.path == "cholesky":
        return (
            f"least squares by Cholesky of the scaled X'X with {sol.n_refine} refinement step(s) "
            f"(condition number of the scaled design about {sol.cond:.1g})"
        )
    return (
        f"least squares by pivoted QR with {sol.n_refine} extended-precision refinement step(s) "
        f"(condition number of the scaled design about {sol.cond:.1g})"
    )


def _linear_cov(xtx_inv, sigma: float, n: int):
    r"""Inverse observed information of the normal linear model at the MLE, on (beta, sigma).

    At the maximum the information is block diagonal: :math:`X^\top X / \hat\sigma^2` for
    :math:`\beta` and :math:`2n / \hat\sigma^2` for :math:`\sigma`.
    """
    p = xtx_inv.shape[0]
    cov = np.zeros((p + 1, p + 1))
    cov[:p, :p] = sigma**2 * xtx_inv
    cov[p, p] = sigma**2 / (2.0 * n)
    return cov


def _sigma_profile(n: int, rss: float, value: float) -> float:
    """Profile log-likelihood of sigma in a normal model: beta-hat does not depend on sigma, so
    it is the log-likelihood at (beta-hat, value); -inf for value <= 0."""
    if not value > 0:
        return -np.inf
    return float(-n * np.log(value) - 0.5 * n * np.log(2 * np.pi) - rss / (2 * value**2))


def _linear_profile(X, y, rss: float | None = None):
    """Profile log-likelihood of the normal linear model, re-maximized exactly.

    Holding ``beta[j]`` at ``b``: project ``y`` and ``X[:, j]`` off the other columns
    (``u`` and ``v``); the best remaining RSS is ``|u - b v|^2 = rss_j + |v|^2 (b - b_j)^2``,
    and sigma is profiled out as sqrt(RSS / n). Holding ``sigma`` at ``s``: beta-hat does
    not depend on sigma, so the profile is the log-likelihood at (beta-hat, s).
    """
    n, p = X.shape
    cache: dict[int, tuple[float, float, float]] = {}
    if rss is None:
        rss = _solve(X, y).rss

    def projection(j: int) -> tuple[float, float, float]:
        if j not in cache:
            others = np.delete(X, j, axis=1)
            if others.shape[1] == 0:
                u, v = y, X[:, j]
            else:
                u = _solve(others, y).residuals
                v = _solve(others, X[:, j]).residuals
            vv = math.fsum(v * v)
            b_j = math.fsum(u * v) / vv
            cache[j] = (b_j, vv, rss)
        return cache[j]

    def profile(j: int, value: float) -> float:
        if j == p:
            return _sigma_profile(n, rss, value)
        b_j, vv, rss_j = projection(j)
        rss_b = rss_j + vv * (value - b_j) ** 2
        return float(_max_loglik(n, np.sqrt(rss_b / n)))

    return profile
