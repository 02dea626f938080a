r"""Finite mixtures of normals, fitted by the EM algorithm.

Each observation comes from one of :math:`m` unseen groups, group :math:`j` with probability
:math:`w_j` and distribution :math:`N(\mu_j, \sigma_j^2)`:

.. math:: f(x) = \sum_{j=1}^m w_j\,\phi(x; \mu_j, \sigma_j^2), \qquad
          \ell(\theta) = \sum_{i=1}^n \log\sum_{j=1}^m w_j\,\phi(x_i; \mu_j, \sigma_j^2).

Had we seen the groups, the MLE would be each group's share, mean and (1/n) standard deviation.
The EM algorithm (Dempster, Laird and Rubin, 1977) fills in what is missing with its
conditional expectation: the **E step** (:func:`em_e_step`) computes the responsibilities
:math:`r_{ij} = P(\text{group } j \mid x_i)` at the current parameters, the **M step**
(:func:`em_m_step`) computes the shares, means and standard deviations weighted by them. Each
iteration never lowers :math:`\ell`.

Two warnings come with mixtures. The likelihood has local maxima, so
:func:`fit_normal_mixture` runs EM from several starts. And it is unbounded: a component
sitting on one observation with :math:`\sigma_j \to 0` sends :math:`\ell \to \infty`. That
degenerate solution is detected and discarded, never returned.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ._engine import em
from ._engine.checks import align, as_float_array, coefficient_names, positive_int
from ._engine.result import FitResult

__all__ = ["em_e_step", "em_m_step", "fit_normal_mixture"]


def _check_x(x: ArrayLike) -> NDArray:
    return as_float_array(x, "x", ndim=1)


def _check_components(weights: ArrayLike, means: ArrayLike, sds: ArrayLike):
    weights = as_float_array(weights, "weights", ndim=1)
    means = as_float_array(means, "means", ndim=1)
    sds = as_float_array(sds, "sds", ndim=1)
    m = weights.shape[0]
    for name, arr in (("means", means), ("sds", sds)):
        if arr.shape[0] != m:
            raise ValueError(f"{name} has {arr.shape[0]} values but weights has {m}; one per component")
    if np.any(weights <= 0):
        raise ValueError(f"weights must be > 0, got {weights}")
    if abs(weights.sum() - 1.0) > 1e-8:
        raise ValueError(f"weights must sum to 1, got a sum of {weights.sum():.10g}")
    if np.any(sds <= 0):
        j = int(np.flatnonzero(sds <= 0)[0])
        raise ValueError(
            f"sds must be > 0, got sds[{j}] = {sds[j]:g}: a component with sigma = 0 has collapsed onto "
            "a single point, where the likelihood is infinite"
        )
    return weights, means, sds


def em_e_step(
    x: ArrayLike, weights: ArrayLike, means: ArrayLike, sds: ArrayLike
) -> tuple[NDArray[np.float64], float]:
    r"""The E step of EM for a normal mixture: responsibilities and the log-likelihood.

    .. math:: r_{ij} = \frac{w_j\,\phi(x_i; \mu_j, \sigma_j^2)}{\sum_l w_l\,\phi(x_i; \mu_l, \sigma_l^2)},
              \qquad \ell = \sum_i \log\sum_l w_l\,\phi(x_i; \mu_l, \sigma_l^2)

    computed in logs (log-sum-exp), so that far-out observations do not underflow.

    Parameters
    ----------
    x : array_like, shape (n,)
        The data.
    weights, means, sds : array_like, shape (m,)
        The current mixing weights (> 0, summing to 1), means and standard deviations (> 0).

    Returns
    -------
    responsibilities : ndarray, shape (n, m)
        Each row sums to 1.
    loglik : float
        The mixture log-likelihood at these parameters (before the M step).

    Raises
    ------
    ValueError
        NaN or inf, a masked value, lengths that differ, weights not positive or not summing to
        1, a standard deviation not > 0, or an observation with density 0 under every component.

    Examples
    --------
    >>> x = [-1.0, 0.0, 3.0]
    >>> r, ll = em_e_step(x, [0.5, 0.5], [0.0, 3.0], [1.0, 1.0])
    >>> r.round(3), round(ll, 4)
    (array([[0.999, 0.001],
           [0.989, 0.011],
           [0.011, 0.989]]), -5.3136)
    """
    x = _check_x(x)
    weights, means, sds = _check_components(weights, means, sds)
    with np.errstate(invalid="ignore"):
        resp, log_f = em.e_step(x, weights, means, sds)
    if not np.all(np.isfinite(log_f)):
        i = int(np.flatnonzero(~np.isfinite(log_f))[0])
        raise ValueError(
            f"x[{i}] = {x[i]:g} has density 0 under every component (too far from every mean for its sd): "
            "the log-likelihood is -inf there; choose wider sds"
        )
    return np.ascontiguousarray(resp.T), float(np.sum(log_f))


def em_m_step(x: ArrayLike, responsibilities: ArrayLike) -> tuple[NDArray, NDArray, NDArray]:
    r"""The M step of EM for a normal mixture: weighted shares, means and standard deviations.

    .. math:: n_j = \sum_i r_{ij}, \quad w_j = \frac{n_j}{n}, \quad
              \mu_j = \frac{1}{n_j}\sum_i r_{ij}x_i, \quad
              \sigma_j^2 = \frac{1}{n_j}\sum_i r_{ij}(x_i - \mu_j)^2

    Parameters
    ----------
    x : array_like, shape (n,)
        The data.
    responsibilities : array_like, shape (n, m)
        From :func:`em_e_step`: non-negative, each row summing to 1. A DataFrame is matched to a
        pandas ``x`` by index label.

    Returns
    -------
    weights, means, sds : ndarray, shape (m,)
        A standard deviation can come out 0 (or tiny) if a component holds a single point: the
        degenerate solution, where the likelihood is unbounded.

    Raises
    ------
    ValueError
        Shapes or pandas index labels that do not match, NaN or masked values, negative
        responsibilities, rows not summing to 1, or a component with no responsibility at all.

    Examples
    --------
    >>> resp = [[1.0, 0.0], [0.9, 0.1], [0.0, 1.0]]
    >>> w, mu, sd = em_m_step([-1.0, 0.0, 3.0], resp)
    >>> print(w.round(4), mu.round(4), sd.round(4))
    [0.6333 0.3667] [-0.5263  2.7273] [0.4993 0.8624]
    """
    responsibilities = align(x, "x", responsibilities, "responsibilities")
    x = _check_x(x)
    resp = as_float_array(responsibilities, "responsibilities", ndim=2)
    if resp.shape[0] != x.shape[0]:
        raise ValueError(f"responsibilities has {resp.shape[0]} rows but x has {x.shape[0]} values")
    if np.any(resp < 0):
        raise ValueError("responsibilities must be >= 0 (they are probabilities)")
    if np.max(np.abs(resp.sum(axis=1) - 1.0)) > 1e-8:
        raise ValueError("each row of responsibilities must sum to 1 (a probability over the components)")
    empty = resp.sum(axis=0) <= 0
    if np.any(empty):
        j = int(np.flatnonzero(empty)[0])
        raise ValueError(f"component {j} has no responsibility at all, so it has no estimate")
    return em.m_step(x, np.ascontiguousarray(resp.T))


def fit_normal_mixture(
    x: ArrayLike,
    n_components: int = 2,
    *,
    n_starts: int = 10,
    seed: int = 0,
    start: tuple[ArrayLike, ArrayLike, ArrayLike] | None = None,
    max_iter: int = 10_000,
    tol: float = 1e-10,
    names: Sequence[str] | None = None,
) -> FitResult:
    r"""Maximum likelihood fit of a mixture of normals by EM, from several starts.

    .. math:: \ell(w, \mu, \sigma) = \sum_{i=1}^n \log\sum_{j=1}^m w_j\,\phi(x_i; \mu_j, \sigma_j^2)

    EM (:func:`em_e_step`, :func:`em_m_step`) runs from each start until, in one iteration, no
    weight moves by more than ``tol``, no mean or standard deviation by more than ``tol`` times
    its standard deviation, and the log-likelihood by no more than ``tol`` relative. The code
    checks at every iteration that the log-likelihood did not decrease (beyond rounding). A
    start on which a component collapses onto a single point (:math:`\sigma_j \to 0`, where the
    likelihood is unbounded) is stopped and discarded; the answer is the highest maximum among
    the others.

    Parameters
    ----------
    x : array_like, shape (n,)
        The data.
    n_components : int
        Number of components :math:`m`, at least 2.
    n_starts : int
        Number of starts: the first splits the sorted data into equal-count groups, the others
        are k-means++-style picks of centres from ``numpy.random.default_rng(seed)``.
    seed : int
        Seed of those picks (the fit is deterministic).
    start : (weights, means, sds), optional
        One start of your own instead.
    max_iter : int
        Most EM iterations per start.
    tol : float
        The stopping tolerance (see above).
    names : sequence of str, optional
        A name for each component, in order of increasing mean (default: 0, 1, ...).

    Returns
    -------
    FitResult
        ``params`` component by component, sorted by mean: ``weight[j]``, ``mu[j]``,
        ``sigma[j]`` (``j`` a name from ``names``); ``bounds`` (0, 1) for the weights;
        ``constraints = 1`` (the weights sum to 1, so ``k``, AIC and BIC count :math:`3m - 1`
        free parameters); ``stderr`` from the
        observed information (analytic Hessian of the log-likelihood in unconstrained
        coordinates, carried to these by the delta method); ``n_iter`` the EM iterations of the
        chosen start; ``message`` what the starts found; a ``profile`` for
        ``conf_int(method="profile")``; ``model`` ``"normal_mixture"`` and a ``data_key`` of
        ``x``. :func:`~mle_tutorial.likelihood_ratio_test` refuses two mixture fits: with fewer
        components the model sits on the boundary of the larger one, where the statistic is not
        :math:`\chi^2`.

    Raises
    ------
    ValueError
        Bad ``x`` (NaN, inf, a masked value, not 1-D), ``n_components`` < 2 or more than the
        distinct values of ``x`` allow, a bad ``start`` or ``names``; or every start collapsing
        onto a single point (the degenerate solution: no MLE among them).

    Warns
    -----
    ConvergenceWarning
        If EM on the best start did not meet its stopping rule within ``max_iter`` iterations.
    HessianWarning
        If the Hessian at the estimate is not positive definite (standard errors NaN).

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(2)
    >>> low, high = rng.normal(-2.0, 0.8, 400), rng.normal(2.5, 1.2, 600)
    >>> x = np.concatenate([low, high])
    >>> fit = fit_normal_mixture(x, 2)
    >>> fit.param_names
    ('weight[0]', 'mu[0]', 'sigma[0]', 'weight[1]', 'mu[1]', 'sigma[1]')
    >>> fit.params.round(3)
    array([ 0.397, -2.032,  0.801,  0.603,  2.457,  1.242])
    """
    x = _check_x(x)
    m = positive_int(n_components, "n_components")
    if m < 2:
        raise ValueError(f"n_components must be at least 2 (one normal is fit_linear), got {m}")
    distinct = np.unique(x).size
    if distinct <= m or x.shape[0] < 3 * m:
        raise ValueError(
            f"x has {x.shape[0]} values ({distinct} distinct) but a mixture of {m} normals needs at "
            f"least {3 * m} values and more than {m} distinct ones"
        )
    n_starts = positive_int(n_starts, "n_starts")
    max_iter = positive_int(max_iter, "max_iter")
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed!r}")
    tol = float(as_float_array(tol, "tol", ndim=0))
    if not 0 < tol < 1:
        raise ValueError(f"tol must be between 0 and 1, got {tol}")
    if start is not None:
        if len(start) != 3:
            raise ValueError("start must be (weights, means, sds)")
        weights, means, sds = _check_components(*start)
        if weights.shape[0] != m:
            raise ValueError(f"start has {weights.shape[0]} components but n_components is {m}")
        start_list = [(weights, means, sds)]
    else:
        start_list = em.starts(x, m, n_starts, int(seed))
    if names is not None:
        names = coefficient_names(names, None, m, against="n_components is {k}")
    return em.fit(x, m, start_list, max_iter=max_iter, tol=tol, caller="fit_normal_mixture", names=names)
