r"""After the fit: standard errors, profile likelihoods, intervals and likelihood-ratio tests.

The curvature of the log-likelihood at its maximum measures how much the data
say about each parameter. The **observed Fisher information** is the Hessian
of the negative log-likelihood at the estimate,
:math:`I(\hat\theta) = -\nabla^2 \ell(\hat\theta)`, and its inverse estimates the
covariance of :math:`\hat\theta`.

The **profile log-likelihood** of one parameter :math:`\theta_j` re-maximizes
over all the others,

.. math:: \ell_p(\theta_j) = \max_{\theta_{-j}} \ell(\theta_j, \theta_{-j}),

and the profile interval is :math:`\{\theta_j : 2(\hat\ell - \ell_p(\theta_j)) \le
\chi^2_{1}(\text{level})\}`. The **likelihood-ratio test** of a restricted model
inside a fuller one compares :math:`2(\hat\ell_{\text{full}} - \hat\ell_{\text{restricted}})`
with :math:`\chi^2_{\text{df}}`, df being the number of parameters the restriction removes.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass

import numpy as np
import scipy.linalg
import scipy.optimize
import scipy.stats
from numpy.typing import ArrayLike, NDArray

from ._validate import as_float_array
from .result import FitResult, HessianWarning


def _check_level(level: float) -> float:
    level = float(as_float_array(level, "level", ndim=0))
    if not 0.0 < level < 1.0:
        raise ValueError(f"level must be between 0 and 1 (exclusive), got {level}")
    return level


def covariance_from_hessian(hessian: ArrayLike, jacobian: ArrayLike | None = None) -> NDArray[np.float64]:
    r"""Covariance of an MLE from the Hessian of the negative log-likelihood at the optimum.

    .. math:: \widehat{\mathrm{cov}}(\hat\theta) = I(\hat\theta)^{-1} = H^{-1},

    and, for parameters :math:`\phi = g(\theta)` reported on another scale, the delta
    method :math:`J H^{-1} J^\top` with :math:`J = \partial\phi/\partial\theta`.

    Parameters
    ----------
    hessian : array_like, shape (k, k)
        Hessian of the negative log-likelihood at the estimate, in the
        parameters the fit used.
    jacobian : array_like, shape (k, k), optional
        :math:`\partial\phi/\partial\theta` at the estimate, to report the covariance of
        :math:`\phi`. For :math:`\sigma = e^{\eta}` it is diagonal with :math:`\sigma` in
        the :math:`\eta` position.

    Returns
    -------
    ndarray, shape (k, k)
        All NaN, with a :class:`HessianWarning`, if the Hessian is singular or not
        positive definite (then the estimate is not a strict maximum, or not a
        maximum at all, and no standard error is meaningful).

    Examples
    --------
    >>> covariance_from_hessian([[4.0, 0.0], [0.0, 1.0]])
    array([[0.25, 0.  ],
           [0.  , 1.  ]])
    """
    try:
        H = np.asarray(hessian, dtype=float)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"hessian must be a numeric square matrix: {exc}") from exc
    k = H.shape[0] if H.ndim == 2 else -1
    if H.shape != (k, k):
        raise ValueError(f"hessian must be square, got shape {H.shape}")
    try:
        if not np.all(np.isfinite(H)):
            raise np.linalg.LinAlgError("non-finite Hessian")
        factor = scipy.linalg.cho_factor(0.5 * (H + H.T), check_finite=False)
        cov = scipy.linalg.cho_solve(factor, np.eye(k), check_finite=False)
        if not np.all(np.isfinite(cov)) or np.min(np.diag(cov)) <= 0:
            raise np.linalg.LinAlgError("non-finite inverse")
    except np.linalg.LinAlgError:
        warnings.warn(
            "The Hessian of the negative log-likelihood is singular or not positive definite at "
            "the estimate, so it is not a strict maximum: standard errors are NaN. Check that "
            "the fit converged and that every parameter is identified.",
            HessianWarning,
            stacklevel=2,
        )
        return np.full((k, k), np.nan)
    if jacobian is not None:
        J = as_float_array(jacobian, "jacobian", ndim=2)
        if J.shape != (k, k):
            raise ValueError(f"jacobian must have shape {(k, k)}, got {J.shape}")
        cov = J @ cov @ J.T
    return cov


def _param_index(fit: FitResult, param: int | str) -> int:
    if isinstance(param, str):
        if param not in fit.param_names:
            raise ValueError(f"param {param!r} is not one of {fit.param_names}")
        return fit.param_names.index(param)
    if isinstance(param, bool) or not isinstance(param, (int, np.integer)) or not -fit.k <= param < fit.k:
        raise ValueError(f"param must be a name or an index from 0 to {fit.k - 1}, got {param!r}")
    return int(param) % fit.k


def _profile_of(fit: FitResult):
    if not isinstance(fit, FitResult):
        raise ValueError(f"fit must be a FitResult, got {type(fit).__name__}")
    if fit.profile is None:
        raise ValueError("fit has no profile function (this fitter does not provide one)")
    return fit.profile


def profile_likelihood(fit: FitResult, param: int | str, values: ArrayLike) -> NDArray[np.float64]:
    r"""Profile log-likelihood of one parameter over a grid of values.

    .. math:: \ell_p(v) = \max_{\theta_{-j}} \ell(\theta_j = v,\ \theta_{-j})

    Parameters
    ----------
    fit : FitResult
        A fit from one of the package's fitters.
    param : int or str
        Index into ``fit.params`` or a name from ``fit.param_names`` (e.g. ``"beta[1]"``,
        ``"sigma"``).
    values : array_like
        Values at which to hold the parameter.

    Returns
    -------
    ndarray
        :math:`\ell_p` at each value (``-inf`` where the value is impossible, e.g. σ ≤ 0).

    Examples
    --------
    >>> from mle_tutorial import simulate_linear, fit_linear
    >>> X, y = simulate_linear(100, [1.0, 2.0], 1.0, seed=0)
    >>> fit = fit_linear(X, y)
    >>> bool(profile_likelihood(fit, "beta[1]", [fit.beta[1]])[0] == fit.loglik)
    True
    """
    profile = _profile_of(fit)
    j = _param_index(fit, param)
    values = as_float_array(values, "values")
    return np.array([profile(j, float(v)) for v in values.ravel()]).reshape(values.shape)


def profile_interval(fit: FitResult, param: int | str, level: float = 0.95) -> NDArray[np.float64]:
    r"""Profile-likelihood confidence interval for one parameter, by root-finding.

    The interval is :math:`\{v : 2(\hat\ell - \ell_p(v)) \le \chi^2_1(\text{level})\}`;
    its two ends are roots of :math:`2(\hat\ell - \ell_p(v)) - \chi^2_1(\text{level})`,
    found by Brent's method after bracketing outward from the estimate.

    Parameters
    ----------
    fit : FitResult
        A fit from one of the package's fitters.
    param : int or str
        Index into ``fit.params`` or a name from ``fit.param_names``.
    level : float
        Confidence level, in (0, 1).

    Returns
    -------
    ndarray, shape (2,)
        ``[lower, upper]``; an end is ±inf if the likelihood never falls far enough.

    Raises
    ------
    ValueError
        If the fit is not at the maximum of its own profile (it did not converge).

    Examples
    --------
    >>> from mle_tutorial import simulate_linear, fit_linear
    >>> X, y = simulate_linear(100, [1.0, 2.0], 1.0, seed=0)
    >>> profile_interval(fit_linear(X, y), "sigma").round(3)
    array([0.836, 1.103])
    """
    profile = _profile_of(fit)
    j = _param_index(fit, param)
    level = _check_level(level)
    crit = scipy.stats.chi2.ppf(level, 1)
    est = float(fit.params[j])
    top = profile(j, est)
    if top > fit.loglik + 1e-7 * max(1.0, abs(fit.loglik)):
        raise ValueError(
            f"fit is not at the maximum of the likelihood ({fit.param_names[j]} can be improved: "
            f"profile log-likelihood {top:.6g} > fit.loglik {fit.loglik:.6g}); did the fit converge?"
        )

    def excess(v: float) -> float:
        return 2.0 * (fit.loglik - profile(j, v)) - crit

    se = fit.stderr[j]
    step = se if np.isfinite(se) and se > 0 else max(abs(est), 1.0) * 0.1
    ends = []
    for direction in (-1.0, 1.0):
        end = math.inf * direction
        inner = est
        toward_zero = False  # set once a step lands on an impossible value (sigma <= 0, nu <= 0, ...)
        for grow in range(200):
            outer = inner / 2.0 if toward_zero else est + direction * step * 2.0**grow
            value = excess(outer)
            if not np.isfinite(value):
                if direction < 0 and est > 0 and not toward_zero:
                    toward_zero = True  # a positive parameter: approach 0 geometrically instead
                    continue
                break
            if value > 0:
                lo, hi = min(inner, outer), max(inner, outer)
                end = scipy.optimize.brentq(excess, lo, hi, xtol=1e-14 * max(1.0, abs(est)), rtol=1e-15)
                break
            inner = outer
        ends.append(end)
    return np.array(ends)


@dataclass(frozen=True)
class LikelihoodRatioTest:
    """Result of :func:`likelihood_ratio_test`: ``statistic``, ``df`` and ``pvalue``."""

    statistic: float
    df: int
    pvalue: float

    def __repr__(self) -> str:
        return f"LikelihoodRatioTest(statistic={self.statistic:.4f}, df={self.df}, pvalue={self.pvalue:.4g})"


def likelihood_ratio_test(restricted: FitResult, full: FitResult) -> LikelihoodRatioTest:
    r"""Likelihood-ratio test of a restricted model nested in a fuller one.

    .. math:: \Lambda = 2\,(\hat\ell_{\text{full}} - \hat\ell_{\text{restricted}})
              \;\sim\; \chi^2_{k_{\text{full}} - k_{\text{restricted}}}
              \text{ approximately, if the restriction is true.}

    Parameters
    ----------
    restricted : FitResult
        Fit of the smaller model (e.g. a predictor dropped).
    full : FitResult
        Fit of the larger model, on the same observations.

    Returns
    -------
    LikelihoodRatioTest
        ``statistic`` :math:`\Lambda`, ``df``, and ``pvalue`` :math:`P(\chi^2_{df} \ge \Lambda)`.

    Raises
    ------
    ValueError
        If the fits have different numbers of observations, the "full" model does not
        have more parameters, or the restricted fit has a clearly higher log-likelihood
        (the models are not nested, or a fit did not converge).

    Examples
    --------
    >>> from mle_tutorial import simulate_linear, fit_linear
    >>> X, y = simulate_linear(200, [1.0, 2.0, 0.0], 1.0, seed=0)
    >>> test = likelihood_ratio_test(fit_linear(X[:, :2], y), fit_linear(X, y))
    >>> test.df, bool(test.pvalue > 0.05)
    (1, True)
    """
    for name, fit in (("restricted", restricted), ("full", full)):
        if not isinstance(fit, FitResult):
            raise ValueError(f"{name} must be a FitResult, got {type(fit).__name__}")
    if restricted.nobs != full.nobs:
        raise ValueError(
            f"restricted has {restricted.nobs} observations but full has {full.nobs}; "
            "both models must be fitted to the same data"
        )
    df = full.k - restricted.k
    if df <= 0:
        raise ValueError(f"full must have more parameters than restricted, got {full.k} and {restricted.k}")
    statistic = 2.0 * (full.loglik - restricted.loglik)
    if statistic < -1e-8 * max(1.0, abs(full.loglik)):
        raise ValueError(
            f"restricted has a higher log-likelihood ({restricted.loglik:.6g}) than full "
            f"({full.loglik:.6g}): the models are not nested, or a fit did not converge"
        )
    statistic = max(statistic, 0.0)
    return LikelihoodRatioTest(float(statistic), int(df), float(scipy.stats.chi2.sf(statistic, df)))
