r"""Fitting the normal linear model by maximum likelihood.

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
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ._engine import covariance
from ._engine.checks import as_float_array, coefficient_names, read_design
from ._engine.families import normal_nll, normal_nll_gradient, normal_nll_hessian
from ._engine.finish import FREE, POSITIVE, exact_fit_message, finish
from ._engine.lstsq import LeastSquaresSolution, exact_least_squares, screened, solve
from ._engine.objectives import Objective
from ._engine.optimize import minimize
from ._engine.profiles import NormalProfile, Projections, Sums, normal_max_loglik
from ._engine.result import FitResult
from ._engine.rows import InMemoryRows, as_rows, data_key, fingerprint_sum
from ._engine.scale import normal_unscale, unshift
from ._engine.scores import NormalScores
from .start import starting_values

METHODS = ("exact", "BFGS", "Nelder-Mead")


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
        with :func:`scipy.optimize.minimize`; they are here to teach.
    start : array_like, shape (p + 1,), optional
        Starting ``[beta..., sigma]`` for the optimizers (σ on its natural
        scale, > 0). Defaults to :func:`starting_values` with ``beta = 0``.
        Ignored by ``"exact"``.
    options : dict, optional
        Passed to :func:`scipy.optimize.minimize` as ``options``, over the
        package's defaults (tight tolerances; see the source).
    names : sequence of str, optional
        A name for each coefficient (``"sigma"`` is appended); default: the columns of a
        DataFrame ``X``, else ``beta[0]``, ``beta[1]``, ...

    Returns
    -------
    FitResult
        With ``params = [beta..., sigma]``, ``beta``, ``sigma`` (the MLE
        :math:`\sqrt{\mathrm{RSS}/n}`), ``loglik``, ``converged``, ``n_iter``, ``method``.
        Scaling ``y`` or a column of ``X`` by a power of two scales the estimates exactly
        (columns far from 1 are scaled internally, so nothing overflows or underflows).

    Raises
    ------
    ValueError
        Bad ``X`` or ``y`` (shapes, NaN or inf, non-numeric, masked values, ``n <= p``,
        pandas indexes that do not match), a rank-deficient ``X``, an unknown ``method``, a bad
        ``start`` or ``names``.

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
    rows = as_rows(X, y)
    if rows is not None:
        if method != "exact":
            raise ValueError(f"method={method!r} works in memory only; Dask arrays use method='exact'")
        rows, columns = screened(rows), None
        key = rows.key
    else:
        design = read_design(X, y)
        rows, columns = InMemoryRows.scaled(design.X, design.y), design.columns
        key = data_key(rows.n, fingerprint_sum(design.y))
    names = (*coefficient_names(names, columns, rows.p, reserved=("sigma",)), "sigma")
    if method == "exact":
        return _fit_exact(rows, names, key)
    return _fit_numerically(rows, method, start, options, names, key)


def _fit_exact(rows, names, key) -> FitResult:
    """The closed form: exact least squares, then sigma-hat = sqrt(RSS / n)."""
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
    if rows.in_memory:
        coefficients = Projections(rows.X, rows.y)
    else:
        coefficients = Sums(sol.beta, sol.xtx_inv)
    return finish(
        params=np.append(sol.beta, sigma),
        names=names,
        loglik=normal_max_loglik(n, sigma=sigma),
        nobs=n,
        converged=sol.converged,
        n_iter=sol.n_refine,
        method="exact",
        message=_exact_message(sol, rows),
        cov=covariance.normal_linear(sol.xtx_inv, sigma, n),
        profile=NormalProfile(n, p, rss, coefficients),
        beta=sol.beta,
        sigma=sigma,
        failure=failure,
        bounds=[FREE] * p + [POSITIVE],
        scores=NormalScores(rows),
        unscale=normal_unscale(rows.x_shift, rows.y_shift, n),
        exact_fit=exact_fit_message("X") if exact else None,
        model="normal",
        data_key=key,
    )


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


def _fit_numerically(rows, method: str, start, options, names, key) -> FitResult:
    """Minimize the negative log-likelihood over [beta, log sigma] with SciPy (on the scaled data,
    if extreme columns were scaled)."""
    X, y = rows.X, rows.y
    n, p = X.shape
    unscale = normal_unscale(rows.x_shift, rows.y_shift, n)
    if start is None:
        start = starting_values(X, y)
    else:  # from the data's units to the scaled data's
        start = unshift(_checked_start(start, p), -np.asarray(unscale.exponents))
    theta0 = np.append(start[:p], np.log(start[p]))
    if method == "BFGS":
        opts = {"gtol": 1e-6 * n, "maxiter": 1000}
    else:
        opts = {"xatol": 1e-10, "fatol": 1e-10, "maxiter": 2000 * (p + 1), "maxfev": 4000 * (p + 1)}
    opts.update(options or {})
    objective = Objective(normal_nll, (X, y), normal_nll_gradient, normal_nll_hessian)
    found = minimize(objective, theta0, method, opts, trust_failure=True)
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
    return finish(
        params=np.append(beta, sigma),
        names=names,
        loglik=-found.value,
        nobs=n,
        converged=found.converged,
        n_iter=found.n_iter,
        method=method,
        message=found.message,
        cov=covariance.from_hessian(found.hessian, jacobian),
        profile=NormalProfile(n, p, solve(X, y).rss, Projections(X, y)),
        beta=beta,
        sigma=sigma,
        failure=failure,
        bounds=[FREE] * p + [POSITIVE],
        scores=NormalScores(InMemoryRows(X, y)),
        unscale=unscale,
        model="normal",
        data_key=key,
    )


def _checked_start(start: ArrayLike, p: int) -> NDArray:
    start = as_float_array(start, "start", ndim=1)
    if start.shape[0] != p + 1:
        raise ValueError(f"start has {start.shape[0]} values but needs p + 1 = {p + 1}: [beta..., sigma]")
    if not start[-1] > 0:
        raise ValueError(f"start[-1] is sigma and must be > 0, got {start[-1]}")
    return start
