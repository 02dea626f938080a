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
(derived in the docstrings of :func:`_t_nll_gradient` and :func:`_t_nll_hessian`); the
covariance is then carried to :math:`(\beta, \sigma, \nu)` by the delta method.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ._engine import covariance, lazy
from ._engine.checks import as_float_array, as_positive, coefficient_names, read_design
from ._engine.families import t_nll, t_nll_gradient, t_nll_hessian
from ._engine.finish import FREE, POSITIVE, exact_fit_message, finish
from ._engine.lstsq import solve
from ._engine.objectives import Objective
from ._engine.optimize import (
    DECREMENT_TOL,
    FULL_STEP_DECREMENT,
    OPTIMALITY_TOL,
    default_options,
    minimize,
    newton_distance,
    solve_positive,
    value_at_start,
)
from ._engine.profiles import OptimizerProfile
from ._engine.result import FitResult
from ._engine.rows import InMemoryRows, data_key, fingerprint_sum
from ._engine.scale import normal_unscale, unshift
from ._engine.scores import TScores

METHODS = ("Newton", "BFGS")

#: An estimate of ν above this is reported as running off to infinity (the normal limit).
NU_RUNOFF = 1e4


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
        ``"Newton"`` (default): SciPy's ``trust-exact`` with the analytic gradient and Hessian.
        ``"BFGS"``: quasi-Newton with the analytic gradient. Both optimize on
        :math:`(\beta, \log\sigma, \log\nu)` through :func:`~mle_tutorial.fit_mle`, and both
        take the standard errors from the analytic Hessian.
    options : dict, optional
        Passed to :func:`scipy.optimize.minimize`.
    names : sequence of str, optional
        A name for each coefficient (default: the columns of a DataFrame ``X``, else ``beta[j]``).

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
    design = read_design(X, y)
    rows = InMemoryRows.scaled(design.X, design.y, always=True)  # the optimizer sees units-free data
    X, y = rows.X, rows.y
    n, p = X.shape
    nu_fixed = None if df is None else as_positive(df, "df")
    estimate_df = nu_fixed is None
    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}, got {method!r}")
    names = (*coefficient_names(names, design.columns, p, reserved=("sigma", "nu")), "sigma")
    names = (*names, "nu") if estimate_df else names
    common = {
        "names": names,
        "nobs": n,
        "method": method,
        "bounds": [FREE] * p + [POSITIVE] * (len(names) - p),
        "unscale": normal_unscale(rows.x_shift, rows.y_shift, n, extra=int(estimate_df)),
        "model": "student_t",
        "data_key": data_key(n, fingerprint_sum(design.y)),
    }
    ls = solve(X, y)
    rounding = 8 * np.finfo(float).eps * max(rows.max_y, float(rows.max_x @ np.abs(ls.beta)))
    if not np.sqrt(ls.rss / n) > rounding:  # an exact fit: sigma-hat = 0, nu undetermined
        natural = np.concatenate([ls.beta, [0.0], [np.nan] if estimate_df else []])
        return finish(
            params=natural, loglik=np.inf, converged=True, n_iter=0,
            message="y is fitted exactly by X: the least-squares solution, with sigma = 0",
            cov=(np.full((len(names), len(names)), np.nan), None), profile=None,
            beta=ls.beta, sigma=0.0, exact_fit=exact_fit_message("X"), **common,
        )  # fmt: skip
    theta0 = _start(ls, y, start, estimate_df, np.asarray(common["unscale"].exponents), rounding)
    args = (X, y, nu_fixed)
    objective = Objective(t_nll, args, t_nll_gradient, t_nll_hessian)
    f0 = value_at_start(objective, theta0)
    found = minimize(objective, theta0, method, default_options(method, f0, theta0.size, options))
    theta, converged, message = _polish(found.theta, args, found.converged, found.message)
    beta, sigma = theta[:p].copy(), float(np.exp(theta[p]))
    nu = float(np.exp(theta[p + 1])) if estimate_df else nu_fixed
    ran_off = estimate_df and nu > NU_RUNOFF
    converged, message, failure = _verdict(converged, message, nu, ran_off, estimate_df, method, found.n_iter)
    natural = np.concatenate([beta, [sigma], [nu] if estimate_df else []])
    return finish(
        params=natural,
        loglik=-t_nll(theta, *args),
        converged=converged,
        n_iter=found.n_iter,
        message=message,
        cov=_covariance(theta, args, natural, p, ran_off),
        profile=OptimizerProfile(objective, theta, method="trust-exact", maxiter=200, natural_from=p),
        beta=beta,
        sigma=sigma,
        failure=failure,
        scores=TScores(X, y, nu_fixed),
        **common,
    )


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
        start = np.concatenate([ls.beta, [sigma0], [5.0] if estimate_df else []])
    else:
        start = unshift(_check_start(start, p, estimate_df), -exponents)
    return np.concatenate([start[:p], np.log(start[p:])])


def _polish(theta: NDArray, args: tuple, converged: bool, message: str) -> tuple[NDArray, bool, str]:
    """Newton steps from the optimizer's answer, and the package's convergence test there.

    SciPy's ``trust-exact`` can stop with "A bad approximation caused failure to predict
    improvement" at the maximum itself, when the improvement it predicts is below the rounding
    level of the log-likelihood. The test that counts is the one :func:`~mle_tutorial.fit_mle` applies to
    answers the optimizer accepts: a Newton step would move no parameter by more than
    ``OPTIMALITY_TOL`` (relative). Then Newton steps are taken (at most three) while they do not
    lower the likelihood or, in its quadratic region (a Newton decrement below
    ``FULL_STEP_DECREMENT``), where the change is below the rounding level of the likelihood and
    cannot tell better from worse: there the step is trusted, so that where the optimizer stopped
    (which depends on the rounding of the machine) does not decide the last digits.
    """
    gradient, hessian = t_nll_gradient(theta, *args), t_nll_hessian(theta, *args)
    distance = newton_distance(gradient, hessian, theta)
    if not distance <= OPTIMALITY_TOL:
        return theta, False, message
    value = t_nll(theta, *args)
    for _ in range(3):
        try:
            step = solve_positive(hessian, gradient)
        except (np.linalg.LinAlgError, ValueError):
            break
        decrement = float(gradient @ step)
        candidate = theta - step
        new_value = t_nll(candidate, *args)
        if not np.isfinite(new_value):
            break
        if not (
            new_value <= value + 4 * np.finfo(float).eps * abs(value) or decrement <= FULL_STEP_DECREMENT
        ):
            break
        theta, value = candidate, new_value
        if decrement <= DECREMENT_TOL:
            break
        gradient, hessian = t_nll_gradient(theta, *args), t_nll_hessian(theta, *args)
    if not converged:
        message += (
            " Accepted all the same: a Newton step from there moves the parameters by less than "
            f"{OPTIMALITY_TOL:.0e} (relative)."
        )
    return theta, True, message
