r"""The three likelihood tests: Wald and score (Lagrange multiplier) beside the likelihood ratio.

To test a restriction of :math:`\theta` there are three classical statistics, all
approximately :math:`\chi^2_{\text{df}}` when the restriction is true (Rao 1948):

* **Wald**, :func:`wald_test`: from the *full* fit alone, how far :math:`R\hat\theta` is from
  :math:`q`, measured with the covariance of :math:`\hat\theta`:
  :math:`W = (R\hat\theta - q)^\top (R\,\widehat{\mathrm{cov}}\,R^\top)^{-1}(R\hat\theta - q)`.
* **Likelihood ratio**, :func:`~mle_tutorial.likelihood_ratio_test`: from both fits, how much
  log-likelihood the restriction costs, :math:`\Lambda = 2(\hat\ell_{\text{full}} - \tilde\ell)`.
* **Score**, :func:`score_test`: from the *restricted* fit alone, how steep the full model's
  log-likelihood still is there, :math:`\mathrm{LM} = g^\top \mathcal I^{-1} g` with :math:`g`
  the full model's score and :math:`\mathcal I` its information at the restricted estimate.

Wald and score tests have robust variants that use the sandwich instead of the inverse
information: a Wald test of a robust result (:meth:`~mle_tutorial.FitResult.robust`) is one,
and ``score_test(..., robust=True)`` is the generalized score test
:math:`(RA^{-1}g)^\top (RA^{-1}KA^{-1}R^\top)^{-1}(RA^{-1}g)` (Boos 1992; statsmodels'
``lm_robust``), with :math:`A` the information and :math:`K = \sum_i s_i s_i^\top`.

Every test works through the fitted models' contract (:class:`~mle_tutorial.Likelihood`): the
score test evaluates the full model's ``score``, ``information`` and ``meat`` at the restricted
estimate written in the full model's parameters (``full.model.nesting(restricted.model)``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from ._engine import lazy
from ._engine.checks import as_float_array, match_to_fit, read_groups
from ._engine.objectives import Objective
from ._engine.scale import unshift
from .generic import FunctionLikelihood
from .inference import chi_square_tail
from .result import FitResult

__all__ = ["ScoreTest", "WaldTest", "score_test", "wald_test"]


@dataclass(frozen=True)
class WaldTest:
    """Result of :func:`wald_test`: ``statistic``, ``df``, ``pvalue``, and ``cov_type`` (the
    covariance it used: ``"model"``, ``"robust"`` or ``"cluster"``)."""

    statistic: float
    df: int
    pvalue: float
    cov_type: str = "model"

    def __repr__(self) -> str:
        return (
            f"WaldTest(statistic={self.statistic:.4f}, df={self.df}, pvalue={self.pvalue:.4g}, "
            f"cov_type={self.cov_type!r})"
        )


@dataclass(frozen=True)
class ScoreTest:
    """Result of :func:`score_test`: ``statistic``, ``df``, ``pvalue``, ``robust``, and
    ``boundary``: 1 if the restriction holds a parameter on the edge of its space (then the test
    is one-sided and the p-value the :math:`\\bar\\chi^2` one)."""

    statistic: float
    df: int
    pvalue: float
    robust: bool = False
    boundary: int = 0

    def __repr__(self) -> str:
        text = (
            f"ScoreTest(statistic={self.statistic:.4f}, df={self.df}, pvalue={self.pvalue:.4g}, "
            f"robust={self.robust}"
        )
        return text + (f", boundary={self.boundary})" if self.boundary else ")")


def _checked_fit(fit: object, name: str) -> FitResult:
    if not isinstance(fit, FitResult):
        raise ValueError(f"{name} must be a FitResult, got {type(fit).__name__}")
    return fit


def _restrictions(fit: FitResult, R, q) -> tuple[np.ndarray, np.ndarray]:
    """``R`` as an (m, k) array and ``q`` as (m,); parameter names (or a single name) select rows of
    the identity, each name once. Each row of ``[R | q]`` is scaled by a power of two that brings
    the row's largest ``|R_ij|`` into [1/2, 1) (exactly: the same hypothesis), so that ``R`` at 1e-300
    or 1e200 neither under- nor overflows in ``R cov R'``."""
    if isinstance(R, str):
        R = [R]
    k = len(fit.params)
    if isinstance(R, (list, tuple)) and R and all(isinstance(r, str) for r in R):
        unknown = [r for r in R if r not in fit.param_names]
        if unknown:
            raise ValueError(f"R names {unknown}, which are not in fit.param_names {fit.param_names}")
        repeated = sorted({r for r in R if R.count(r) > 1})
        if repeated:
            raise ValueError(
                f"R names {repeated} more than once: each name is one restriction (that parameter = its "
                "q), and a repeated one is the same restriction again, which would count twice in df; "
                "name each parameter once"
            )
        R = np.eye(k)[[fit.param_names.index(r) for r in R]]
    else:
        R = as_float_array(R, "R")
        if R.ndim == 1:
            R = R[None, :]
        if R.ndim != 2 or R.shape[1] != k:
            raise ValueError(f"R must have k = {k} columns (one per parameter of fit), got shape {R.shape}")
    m = R.shape[0]
    q = np.zeros(m) if q is None else as_float_array(q, "q").reshape(-1)
    if q.shape[0] != m:
        raise ValueError(f"q has {q.shape[0]} values but R has {m} rows")
    top = np.max(np.abs(R), axis=1)
    zero = np.flatnonzero(top == 0)
    if zero.size:
        raise ValueError(f"row {int(zero[0])} of R is all zeros: it restricts nothing")
    e = np.frexp(top)[1]
    R, q = np.ldexp(R, -e[:, None]), unshift(q, -e)
    if not np.all(np.isfinite(q)):
        i = int(np.flatnonzero(~np.isfinite(q))[0])
        raise ValueError(f"q[{i}] is too large for row {i} of R: R theta = q needs |theta| beyond float64")
    if np.linalg.matrix_rank(R) < m:
        raise ValueError(f"the {m} rows of R must be linearly independent restrictions")
    return R, q


def wald_test(fit: FitResult, R: ArrayLike | Sequence[str], q: ArrayLike | None = None) -> WaldTest:
    r"""Wald test of the linear restrictions :math:`R\theta = q`, from the full fit alone.

    .. math:: W = (R\hat\theta - q)^\top \bigl(R\,\widehat{\mathrm{cov}}(\hat\theta)\,R^\top\bigr)^{-1}
              (R\hat\theta - q) \;\sim\; \chi^2_m \text{ approximately,}

    with :math:`m` the number of restrictions (rows of :math:`R`). The covariance is
    ``fit.cov``: the model-based one, or the sandwich if ``fit`` is a
    :meth:`~mle_tutorial.FitResult.robust` result (the robust Wald test).

    Parameters
    ----------
    fit : FitResult
        The full (unrestricted) fit.
    R : array_like, shape (m, k) or (k,), or a sequence of parameter names
        The restrictions, one row each. A list of names such as ``["beta[2]", "beta[3]"]``
        tests that those parameters are all 0 (or equal to ``q``); each name once (a repeated
        name is refused: it would count one restriction twice). A row and its ``q`` may be
        scaled by any factor (1e-300, 1e200): it is the same hypothesis.
    q : array_like, shape (m,), optional
        The values; default zeros.

    Returns
    -------
    WaldTest
        ``statistic``, ``df`` (= m), ``pvalue`` :math:`P(\chi^2_m \ge W)` and ``cov_type``.

    Raises
    ------
    ValueError
        If ``R`` has the wrong number of columns, dependent rows, a row of zeros, unknown or
        repeated names, ``q`` the wrong length, or the fit has no finite covariance.

    Examples
    --------
    >>> from mle_tutorial import simulate_linear, fit_linear
    >>> X, y = simulate_linear(200, [1.0, 2.0, 0.0], 1.0, seed=0)
    >>> test = wald_test(fit_linear(X, y), ["beta[2]"])
    >>> test.df, bool(test.pvalue > 0.05)
    (1, True)
    """
    fit = _checked_fit(fit, "fit")
    R, q = _restrictions(fit, R, q)
    m = R.shape[0]
    used = np.any(R != 0, axis=0)
    cov = fit.cov
    if cov is None or not np.all(np.isfinite(cov[np.ix_(used, used)])):
        raise ValueError("fit has no finite covariance for the restricted parameters, so no Wald test")
    d = R @ fit.params - q
    V = R @ cov @ R.T
    try:
        statistic = float(d @ lazy.linalg.solve(V, d, assume_a="pos"))
    except (np.linalg.LinAlgError, ValueError) as exc:
        raise ValueError(
            f"R cov R' is not positive definite ({exc}); the restrictions are not testable"
        ) from exc
    return WaldTest(statistic, m, float(lazy.stats().chi2.sf(statistic, m)), fit.cov_type)


def _information_factor(A):
    try:
        return lazy.linalg.cho_factor(A)
    except (np.linalg.LinAlgError, ValueError) as exc:
        raise ValueError(
            "the information at the restricted estimate is not positive definite, so there is no "
            f"score statistic ({exc}); check the restricted fit"
        ) from exc


def _lm(g, A, K, R, robust: bool, root=None) -> float:
    """The score statistic, plain or robust, with the rows of ``R`` the tested directions; with
    ``root`` (an upper triangular factor of the information, from the model's
    ``information_root``) solved with it rather than with a Cholesky factor of ``A``."""
    if root is not None:
        w = lazy.linalg.solve_triangular(root, g, trans="T")
        if not robust:
            return float(w @ w)
        r_inv = lazy.linalg.solve_triangular(root, np.eye(root.shape[0]))
        Ainv = r_inv @ r_inv.T
    else:
        factor = _information_factor(A)
        if not robust:
            return float(g @ lazy.linalg.cho_solve(factor, g))
        Ainv = lazy.linalg.cho_solve(factor, np.eye(A.shape[0]))
    RAinv = R @ Ainv
    w = RAinv @ g
    inner = RAinv @ K @ RAinv.T
    return float(w @ lazy.linalg.solve(inner, w, assume_a="pos"))


def _signed_root(g, A, K, r, robust: bool) -> float:
    r"""The score statistic of one restriction as a signed z: :math:`r^\top A^{-1}g` (the step the
    full model would take along ``r``) over its standard deviation, :math:`\sqrt{r^\top A^{-1}r}`
    or the sandwich's :math:`\sqrt{r^\top A^{-1}KA^{-1}r}`; its square is :func:`_lm`'s statistic."""
    factor = _information_factor(A)
    a = lazy.linalg.cho_solve(factor, r)
    variance = a @ K @ a if robust else r @ a
    return float(a @ g / np.sqrt(variance))


def _inward(model, theta, r) -> float:
    """+1 or -1: the sign of the direction ``r`` that leads from the boundary into the space."""
    j = int(np.argmax(np.abs(r)))
    lower, upper = model.bounds[j]
    tolerance = 1e-12 * max(1.0, abs(theta[j]))
    if np.isfinite(lower) and abs(theta[j] - lower) <= tolerance:
        return float(np.sign(r[j]))
    if np.isfinite(upper) and abs(theta[j] - upper) <= tolerance:
        return float(-np.sign(r[j]))
    raise ValueError(
        f"the full model says the restriction holds {model.param_names[j]} on the edge of its space, "
        f"but the restricted estimate puts it at {theta[j]:.6g}, inside its bounds ({lower}, {upper})"
    )


def score_test(
    restricted: FitResult,
    full: FitResult | ArrayLike,
    *,
    robust: bool = False,
    groups: ArrayLike | None = None,
    negative_log_likelihood: Callable[..., float] | None = None,
    tested: Sequence[int] | None = None,
    args: Sequence = (),
    loglik_obs: Callable[..., ArrayLike] | None = None,
) -> ScoreTest:
    r"""Score (Lagrange multiplier) test of a restricted fit against a fuller model, without
    needing the fuller model's fit.

    .. math:: \mathrm{LM} = g(\tilde\theta)^\top\, \mathcal I(\tilde\theta)^{-1}\, g(\tilde\theta)
              \;\sim\; \chi^2_{\text{df}} \text{ approximately, if the restriction is true,}

    with :math:`\tilde\theta` the restricted estimate written in the full model's parameters,
    :math:`g` the full model's score and :math:`\mathcal I` its information there (the model's
    ``information``: expected for normal and Student-t errors, :math:`X^\top WX` for logistic and
    Poisson regression, observed otherwise). At :math:`\tilde\theta` the score is zero in every
    direction the restricted model could move; what is left measures how much the extra
    parameters would raise the likelihood. For the normal linear model
    :math:`\mathrm{LM} = n(\mathrm{RSS}_r - \mathrm{RSS}_f)/\mathrm{RSS}_r` (statsmodels'
    ``compare_lm_test``).

    Where the restriction holds a parameter on the edge of its space (the Poisson is the
    negative binomial at :math:`\alpha = 0`; the full model's ``nesting`` says so), the test is
    one-sided: the statistic is :math:`\max(0, z)^2`, with :math:`z` the signed root of
    :math:`\mathrm{LM}` that is positive when the full model would move into its space, and the
    p-value is half the :math:`\chi^2_1` tail (1 when :math:`z \le 0`), as for
    :func:`~mle_tutorial.likelihood_ratio_test` (Silvapulle and Silvapulle 1995). The result's
    ``boundary`` is then 1.

    ``robust=True`` (or ``groups``) gives the generalized score test
    :math:`(RA^{-1}g)^\top (RA^{-1}KA^{-1}R^\top)^{-1}(RA^{-1}g)`, with :math:`A` the
    information, :math:`K = \sum_i s_i s_i^\top` (or its cluster sum) and the rows of
    :math:`R` the directions the restriction fixes: valid when the likelihood is wrong about the
    variance.

    Three ways to describe the full model:

    * its fit: ``full`` is the fuller model's :class:`~mle_tutorial.FitResult` (only its model
      is used, at the restricted estimate; its own estimate is not). Any fitter: the full model
      says how the restricted one sits in it (a design whose columns span the restricted one's,
      the exponential inside the Weibull, or a model of your own whose extra parameters are 0 in
      the restricted one);
    * for a regression (:func:`~mle_tutorial.fit_linear`, :func:`~mle_tutorial.fit_logistic`,
      :func:`~mle_tutorial.fit_poisson`, :func:`~mle_tutorial.fit_student_t`, the censored and
      truncated fitters, in memory), the full design ``X_full``, whose columns must span the
      restricted design's (typically the same columns and some more), in any units (a column
      at 1e300 or 1e-300 is no different); ``df`` is the number of columns added. A DataFrame
      ``X_full`` is matched by index label to the restricted fit's rows when that fit was made
      from pandas objects (as ``groups`` is: see :meth:`~mle_tutorial.FitResult.robust`);
    * for a fit of :func:`~mle_tutorial.fit_mle` given a function: ``full`` is the restricted
      estimate written in the full model's parameters, ``negative_log_likelihood`` (with
      ``args``) the full model's, and ``tested`` the indices of the parameters the restriction
      fixes (the others must equal ``restricted.params``); ``robust`` needs the full model's
      ``loglik_obs``.

    Parameters
    ----------
    restricted : FitResult
        The fit of the smaller model.
    full : FitResult or array_like
        The fuller model's fit, or ``X_full`` (n, p_full), or ``theta_full`` (k_full,) for a
        :func:`fit_mle` function.
    robust : bool
        The robust (sandwich) variant.
    groups : array_like, shape (n,), optional
        Cluster labels: the cluster-robust variant.
    negative_log_likelihood, tested, args, loglik_obs
        The full model, for a fit of :func:`~mle_tutorial.fit_mle` given a function (see above).

    Returns
    -------
    ScoreTest
        ``statistic``, ``df``, ``pvalue``, ``robust`` and ``boundary``.

    Raises
    ------
    ValueError
        If the models are not nested (a restricted column outside the span of ``X_full``, a
        full model of another family, or a restricted estimate that the full model does not
        reproduce), ``X_full`` has the wrong number of rows, no more columns or dependent ones,
        ``full`` is neither a fit nor a design, or the arguments of the :func:`fit_mle` form are
        missing or wrong; or more than one restriction with one of them on the boundary, or one
        on a boundary where the full model's score is 0 whatever the data (a standard deviation of
        a random effect at 0): use :func:`~mle_tutorial.likelihood_ratio_test`, which has the
        :math:`\bar\chi^2` tail.

    Examples
    --------
    >>> from mle_tutorial import simulate_linear, fit_linear
    >>> X, y = simulate_linear(200, [1.0, 2.0, 0.0], 1.0, seed=0)
    >>> test = score_test(fit_linear(X[:, :2], y), X)
    >>> test.df, bool(test.pvalue > 0.05)
    (1, True)
    >>> small, full = fit_linear(X[:, :2], y), fit_linear(X, y)
    >>> score_test(small, full).statistic == test.statistic
    True
    """
    restricted = _checked_fit(restricted, "restricted")
    robust = bool(robust) or groups is not None
    if negative_log_likelihood is not None:
        return _score_test_mle(
            restricted, full, negative_log_likelihood, tested, tuple(args), loglik_obs, robust, groups
        )
    small = restricted.model
    if small is None:
        raise ValueError("restricted has no model (a result from an older version): refit it")
    if isinstance(full, FitResult):
        if full.model is None:
            raise ValueError("full has no model (a result from an older version): refit it")
        big = full.model
    elif not hasattr(small, "with_design"):
        what = f"a {small.name} fit" if small.name else "a fit of a function"
        raise ValueError(
            f"score_test(restricted, X_full) needs a regression fit, and restricted is {what}; pass the "
            "fuller fit: score_test(restricted, full_fit), or for fit_mle pass the full model: "
            "score_test(restricted, theta_full, negative_log_likelihood=..., tested=[...])"
        )
    else:
        if getattr(small, "design", None) is None:
            raise ValueError(
                "score_test needs the data in memory; restricted was fitted over Dask row chunks"
            )
        # a pandas X_full is matched by label to the restricted fit's rows (where its model keeps them)
        full_design = match_to_fit(
            full, "X_full", small.nobs, small.row_labels, bool(getattr(small, "keeps_labels", False))
        )
        if (
            hasattr(full_design, "shape")
            or isinstance(full_design, (list, tuple))
            or type(full_design).__name__ == "DataFrame"
        ):
            X_full = as_float_array(full_design, "X_full", ndim=2)
        else:
            raise ValueError(
                "full must be the fuller model's fit (a FitResult) or its design X_full, got "
                f"{type(full).__name__}"
            )
        rows = small.design.shape[0]  # the design's rows (a mixed model's observations are its groups)
        if X_full.shape[0] != rows:
            raise ValueError(
                f"X_full has {X_full.shape[0]} rows but restricted was fitted to {rows} observations"
            )
        if X_full.shape[1] <= small.n_coef:
            raise ValueError(
                f"X_full must have more columns than the restricted design, got {X_full.shape[1]} and "
                f"{small.n_coef}: the score test asks whether columns added to the restricted model matter"
            )
        big = small.with_design(full_design)
    nesting = big.nesting(small)
    C, d = nesting.embedding()
    theta = C @ np.asarray(restricted.params, dtype=float) + d
    df = C.shape[0] - C.shape[1]
    if df <= 0:
        raise ValueError(
            f"the full model must have more parameters than restricted, got {C.shape[0]} and {C.shape[1]}"
        )
    value = big.loglik(theta)
    if not abs(value - restricted.loglik) <= 1e-8 * max(1.0, abs(restricted.loglik)):
        raise ValueError(
            f"the full model at the restricted estimate has log-likelihood {value:.10g}, but "
            f"restricted.loglik is {restricted.loglik:.10g}: the models are not nested that way"
        )
    # on the working scale of the full model (data scaled by powers of two where they are far from 1):
    # the statistic does not change, and nothing overflows
    inner, unscale = big.rescaled()
    e = np.asarray(unscale.exponents, dtype=np.int64)
    theta_w = unshift(theta, -e)
    g = np.asarray(inner.score(theta_w), dtype=float)
    A = np.asarray(inner.information(theta_w), dtype=float)
    K = R = None
    boundary = int(nesting.boundary)
    if robust or boundary:
        R = nesting.restrictions() * np.ldexp(1.0, e)
    if robust:
        if groups is not None:  # matched to the restricted fit's rows, as X_full is
            groups = read_groups(
                groups, small.nobs, labels=small.row_labels, known=bool(getattr(small, "keeps_labels", False))
            )
        K, _ = inner.meat(theta_w, groups)
    root = getattr(inner, "information_root", lambda _: None)(theta_w)
    if not boundary:
        statistic = _lm(g, A, K, R, robust, root)
        return ScoreTest(statistic, df, float(lazy.stats().chi2.sf(statistic, df)), robust)
    if df != 1:
        raise ValueError(
            f"the restriction fixes {df} parameters, one of them on the edge of its space; the score "
            "test here is the one-sided test of one restriction: use likelihood_ratio_test, whose "
            "p-value is the chi-bar-squared one"
        )
    assert R is not None
    if abs(float(R[0] @ g)) <= 1e-12 * max(1.0, abs(restricted.loglik)):
        raise ValueError(
            "the restriction holds a parameter on the boundary of its space where the full model's score "
            "is 0 whatever the data (a standard deviation at 0): the score test has no chi-squared "
            "reference there; use likelihood_ratio_test, which gives the chi-bar-squared p-value, or "
            "the parametric bootstrap"
        )
    z = _inward(big, theta, nesting.restrictions()[0]) * _signed_root(g, A, K, R[0], robust)
    statistic = max(z, 0.0) ** 2
    return ScoreTest(statistic, df, chi_square_tail(statistic, df, boundary), robust, boundary)


def _score_test_mle(restricted, theta_full, nll, tested, args, loglik_obs, robust, groups) -> ScoreTest:
    if not callable(nll):
        raise ValueError(f"negative_log_likelihood must be a function, got {type(nll).__name__}")
    theta = as_float_array(theta_full, "theta_full", ndim=1)
    k = theta.shape[0]
    if tested is None:
        raise ValueError(
            "tested must list the indices of the full model's parameters that the restriction fixes"
        )
    tested = np.asarray(tested)
    if tested.ndim != 1 or tested.size == 0 or tested.dtype.kind not in "iu":
        raise ValueError(f"tested must be a non-empty list of parameter indices, got {tested!r}")
    if len(set(tested.tolist())) != tested.size or tested.min() < 0 or tested.max() >= k:
        raise ValueError(f"tested must hold distinct indices from 0 to {k - 1}, got {tested.tolist()}")
    free = np.setdiff1d(np.arange(k), tested)
    if free.size != restricted.k:
        raise ValueError(
            f"theta_full has {k} parameters and tested fixes {tested.size}, leaving {free.size}, but "
            f"restricted has {restricted.k}: the models are not nested that way"
        )
    if not np.allclose(theta[free], restricted.params, rtol=1e-8, atol=1e-12):
        raise ValueError("theta_full without the tested parameters must equal restricted.params")
    objective = Objective(nll, args, user=True)
    value = objective(theta)
    if not abs(value + restricted.loglik) <= 1e-8 * max(1.0, abs(value)):
        raise ValueError(
            f"negative_log_likelihood(theta_full) is {value:.10g} but restricted.loglik is "
            f"{restricted.loglik:.10g}: theta_full is not the restricted fit in the full model "
            "(not nested, or different data)"
        )
    g = -objective.gradient(theta)
    A = objective.hessian(theta)
    K = None
    if robust:
        if loglik_obs is None:
            raise ValueError("a robust score test of a fit_mle model needs the full model's loglik_obs")
        source = FunctionLikelihood(objective, [f"theta[{j}]" for j in range(k)], 0, loglik_obs=loglik_obs)
        K, _ = source.meat(theta, groups)
    statistic = _lm(g, A, K, np.eye(k)[tested], robust)
    df = int(tested.size)
    return ScoreTest(statistic, df, float(lazy.stats().chi2.sf(statistic, df)), robust)
