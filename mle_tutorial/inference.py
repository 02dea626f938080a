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

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ._engine import covariance, intervals, lazy
from ._engine.checks import as_float_array
from ._engine.report import warn
from .result import FitResult, HessianWarning


def covariance_from_hessian(hessian: ArrayLike, jacobian: ArrayLike | None = None) -> NDArray[np.float64]:
    r"""Covariance of an MLE from the Hessian of the negative log-likelihood at the optimum.

    .. math:: \widehat{\mathrm{cov}}(\hat\theta) = I(\hat\theta)^{-1}, \qquad
              I(\hat\theta) = -\nabla^2\ell(\hat\theta),

    and, for parameters :math:`\gamma = G(\theta)` reported on another scale, the delta
    method :math:`J I^{-1} J^\top` with :math:`J = \partial\gamma/\partial\theta`.

    Parameters
    ----------
    hessian : array_like, shape (k, k)
        Hessian of the negative log-likelihood at the estimate, in the
        parameters the fit used.
    jacobian : array_like, shape (k, k), optional
        :math:`\partial\gamma/\partial\theta` at the estimate, to report the covariance of
        :math:`\gamma`. For :math:`\sigma = e^{\tau}` it is diagonal with :math:`\sigma` in
        the :math:`\tau` position.

    Returns
    -------
    ndarray, shape (k, k)
        All NaN, with a :class:`HessianWarning`, if the Hessian is singular or not
        positive definite (then the estimate is not a strict maximum, or not a
        maximum at all, and no standard error is meaningful).

    Raises
    ------
    ValueError
        If ``hessian`` is not a real, square, non-empty matrix, or is not symmetric beyond
        rounding (a matrix of second derivatives is symmetric: it is never symmetrized
        silently); if ``jacobian`` has the wrong shape.

    Examples
    --------
    >>> covariance_from_hessian([[4.0, 0.0], [0.0, 1.0]])
    array([[0.25, 0.  ],
           [0.  , 1.  ]])
    """
    cov, problem = covariance.from_hessian(hessian, jacobian)
    if problem is not None:
        warn(problem, HessianWarning)
    return cov


def _checked_fit(fit: object, name: str = "fit") -> FitResult:
    if not isinstance(fit, FitResult):
        raise ValueError(f"{name} must be a FitResult, got {type(fit).__name__}")
    return fit


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
    >>> at_estimate = profile_likelihood(fit, "beta[1]", [fit.beta[1]])
    >>> bool(at_estimate[0] == fit.loglik)
    True
    """
    profile = intervals.profile_of(_checked_fit(fit))
    j = intervals.param_index(fit, param)
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
    return intervals.profile_interval(_checked_fit(fit), param, level)


@dataclass(frozen=True)
class LikelihoodRatioTest:
    """Result of :func:`likelihood_ratio_test`: ``statistic``, ``df`` and ``pvalue``, and
    ``boundary``: how many restrictions hold a parameter on the edge of its space (then the
    p-value is the :math:`\\bar\\chi^2` one)."""

    statistic: float
    df: int
    pvalue: float
    boundary: int = 0

    def __repr__(self) -> str:
        text = f"LikelihoodRatioTest(statistic={self.statistic:.4f}, df={self.df}, pvalue={self.pvalue:.4g}"
        return text + (f", boundary={self.boundary})" if self.boundary else ")")


#: A likelihood-ratio statistic at most this, relative to the log-likelihood, is rounding: 0.
ROUNDING = 1e-12


def likelihood_ratio_test(restricted: FitResult, full: FitResult) -> LikelihoodRatioTest:
    r"""Likelihood-ratio test of a restricted model nested in a fuller one.

    .. math:: \begin{aligned}
              \Lambda &= 2\,(\hat\ell_{\text{full}} - \hat\ell_{\text{restricted}})
              \;\sim\; \chi^2_{k_{\text{full}} - k_{\text{restricted}}} \\
              &\quad \text{approximately, if the restriction is true.}
              \end{aligned}

    How the two models nest is the full model's to say (``full.model.nesting(restricted.model)``,
    see :class:`~mle_tutorial.Likelihood`): the same family fitted to the same data, or a family
    inside another (the exponential is the Weibull with :math:`\sigma = 1`). Where a restriction
    holds a parameter on the edge of its space (``boundary``), :math:`\Lambda` is not
    :math:`\chi^2_{df}` but the 50:50 mixture of :math:`\chi^2_{df-1}` and :math:`\chi^2_{df}`,
    and the p-value is that mixture's tail (half the :math:`\chi^2_1` tail when df = 1).

    Parameters
    ----------
    restricted : FitResult
        Fit of the smaller model (e.g. a predictor dropped).
    full : FitResult
        Fit of the larger model, on the same observations.

    Returns
    -------
    LikelihoodRatioTest
        ``statistic`` :math:`\Lambda`, ``df``, ``pvalue`` :math:`P(\chi^2_{df} \ge \Lambda)` (or the
        :math:`\bar\chi^2` tail), and ``boundary``.

    Raises
    ------
    ValueError
        If the fits are of different families (``model``: a linear and a logistic fit, a
        Weibull and a log-normal one, say; an exponential fit is the Weibull with
        :math:`\sigma = 1`, an interior value, and is tested inside it), were fitted to
        different data (different numbers of observations, or different ``data_key``: the
        values of ``y`` differ, or for censored data a time, an event indicator or a limit),
        are two normal mixtures (fewer components put the model on the boundary of the larger
        one, where the statistic is not :math:`\chi^2`), the "full" model does not have more
        parameters, or the restricted fit has a clearly higher log-likelihood (the models
        are not nested, or a fit did not converge). A fit of :func:`~mle_tutorial.fit_mle` given a
        function has no family or data key (the package cannot know them): those checks are then
        yours.

    Examples
    --------
    >>> from mle_tutorial import simulate_linear, fit_linear
    >>> X, y = simulate_linear(200, [1.0, 2.0, 0.0], 1.0, seed=0)
    >>> restricted, full = fit_linear(X[:, :2], y), fit_linear(X, y)
    >>> test = likelihood_ratio_test(restricted, full)
    >>> test.df, bool(test.pvalue > 0.05)
    (1, True)
    """
    for name, fit in (("restricted", restricted), ("full", full)):
        _checked_fit(fit, name)
    boundary = 0
    if restricted.model is not None and full.model is not None:
        boundary = int(full.model.nesting(restricted.model).boundary)
    elif restricted.nobs != full.nobs:  # results unpickled from version 0.1
        raise ValueError(
            f"restricted has {restricted.nobs} observations but full has {full.nobs}; "
            "both models must be fitted to the same data"
        )
    df = full.k - restricted.k
    if df <= 0:
        raise ValueError(f"full must have more parameters than restricted, got {full.k} and {restricted.k}")
    if not (np.isfinite(full.loglik) and np.isfinite(restricted.loglik)):
        raise ValueError(
            f"the log-likelihoods must be finite, got {restricted.loglik} (restricted) and {full.loglik} "
            "(full): an exact fit (sigma-hat = 0) has an unbounded likelihood and no test"
        )
    statistic = 2.0 * (full.loglik - restricted.loglik)
    if statistic < -1e-8 * max(1.0, abs(full.loglik)):
        raise ValueError(
            f"restricted has a higher log-likelihood ({restricted.loglik:.6g}) than full "
            f"({full.loglik:.6g}): the models are not nested, or a fit did not converge"
        )
    # a statistic at the rounding level of the log-likelihoods is 0 (the full fit is the restricted one,
    # as when a variance is estimated on its boundary), whose chi-bar-squared p-value is 1, not 1/2
    statistic = 0.0 if statistic <= ROUNDING * max(1.0, abs(full.loglik)) else statistic
    return LikelihoodRatioTest(float(statistic), int(df), chi_square_tail(statistic, df, boundary), boundary)


def chi_square_tail(statistic: float, df: int, boundary: int = 0) -> float:
    r""":math:`P(\chi^2_{df} \ge s)`, or with a restriction on the boundary of the parameter space
    the :math:`\bar\chi^2` tail :math:`\tfrac12 P(\chi^2_{df-1} \ge s) + \tfrac12 P(\chi^2_{df} \ge s)`
    (:math:`\chi^2_0` is a point mass at 0)."""
    chi2 = lazy.stats().chi2
    if not boundary:
        return float(chi2.sf(statistic, df))
    lower = (1.0 if statistic <= 0 else 0.0) if df == 1 else float(chi2.sf(statistic, df - 1))
    return 0.5 * lower + 0.5 * float(chi2.sf(statistic, df))
