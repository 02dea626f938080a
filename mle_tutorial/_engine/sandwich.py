r"""The sandwich covariance from per-observation scores, for any model.

For independent observations :math:`\ell(\theta) = \sum_i \ell_i(\theta)`, and the score is the
sum of the per-observation scores :math:`s_i = \nabla\ell_i`. Their sum of outer products
:math:`K = \sum_i s_i s_i^\top` is the "meat" of the sandwich covariance
:math:`I^{-1} K I^{-1}` (Huber 1967, White 1982); summed within clusters first, the
cluster-robust meat. Models give the scores (``Likelihood.score_obs``) or, over Dask row
chunks, the meat itself.

Where the information is ill conditioned (an uncentred covariate next to an intercept), the product
:math:`I^{-1} K I^{-1}` cancels digits: the entries of :math:`I^{-1}` and :math:`K` are far larger
than the result. It is then formed in a basis where it is well conditioned (a GLM: the scores
whitened by the R factor of :math:`\sqrt W X`; a regression: the same model on the orthonormal
factor :math:`Q` of its design, :func:`design_basis`) and mapped back by triangular solves
(:func:`from_basis`).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from .checks import read_groups
from .lazy import linalg
from .optimize import ill_conditioned
from .scale import unit_columns

#: The robust (sandwich) covariance :math:`AKA` is formed as a product only where the column-scaled
#: Cholesky factor of the information (of a regression: of its design's Gram matrix) has a
#: reciprocal condition number above this (the product loses about eps times the information's
#: condition number, here at most 1e6, to cancellation); beyond it, in a well-conditioned basis
#: (:meth:`GeneralizedLinear.robust_cov <mle_tutorial.glm.GeneralizedLinear.robust_cov>`,
#: :meth:`RegressionLikelihood.robust_cov <mle_tutorial.model.RegressionLikelihood.robust_cov>`).
SANDWICH_RCOND = 1e-3


def cluster_meat(S: NDArray, groups: NDArray) -> tuple[NDArray, int]:
    r""":math:`\sum_g (\sum_{i\in g} s_i)(\sum_{i\in g} s_i)^\top` and the number of clusters."""
    _, index = np.unique(groups, return_inverse=True)
    sums = np.zeros((int(index.max()) + 1, S.shape[1]))
    np.add.at(sums, index.ravel(), S)
    return sums.T @ sums, sums.shape[0]


def check_groups(groups, n: int) -> NDArray:
    """Cluster labels: one per observation, numbers or strings, none missing (see
    :func:`~mle_tutorial._engine.checks.read_groups`; a pandas object is paired by position here:
    ``FitResult.robust`` and ``score_test`` have matched it to the fit's rows first)."""
    return read_groups(groups, n)


def meat_of(S: NDArray, groups=None) -> tuple[NDArray, int | None]:
    """``(K, number of clusters or None)`` from the n x k scores ``S``."""
    if groups is None:
        return S.T @ S, None
    return cluster_meat(S, check_groups(groups, S.shape[0]))


def sandwich(cov: NDArray, meat: NDArray) -> NDArray:
    r""":math:`C K C` with :math:`C` the model-based covariance (the inverse information on the
    reported scale) and :math:`K` the meat: the sandwich :math:`I^{-1} K I^{-1}`."""
    out = cov @ meat @ cov
    return 0.5 * (out + out.T)


def robust_from(cov: NDArray, meat_fn, bread_fn=None) -> tuple[NDArray, NDArray]:
    """The sandwich covariance and its standard errors, NaN where the model-based covariance is (an
    exact fit, nu run off): ``meat_fn()`` gives the meat, ``bread_fn()`` (default: ``cov``
    itself) the inverse information it is wrapped in, asked for only where every entry is finite."""
    out = np.full_like(cov, np.nan)
    ok = np.isfinite(np.diag(cov))
    if np.any(ok):  # none for an exact fit (sigma-hat = 0): the sandwich is NaN too
        meat = meat_fn()
        bread = bread_fn() if bread_fn is not None and np.all(ok) else cov
        out[np.ix_(ok, ok)] = sandwich(bread[np.ix_(ok, ok)], meat[np.ix_(ok, ok)])
    with np.errstate(invalid="ignore"):
        return out, np.sqrt(np.diag(out))


def design_basis(X: NDArray) -> tuple[NDArray, NDArray] | None:
    r"""``(Q, R)`` with :math:`X = QR` (:math:`Q` with orthonormal columns, :math:`R` upper
    triangular) where the design ``X`` is too ill conditioned for the sandwich to be formed as a
    product: the Gram matrix of its columns scaled to unit length is :func:`ill_conditioned
    <mle_tutorial._engine.optimize.ill_conditioned>` at :data:`SANDWICH_RCOND` (so that units do
    not count); None where it is not (then nothing else is computed)."""
    unit, lengths = unit_columns(X)
    if not ill_conditioned(unit.T @ unit, SANDWICH_RCOND):
        return None
    Q, R_unit = np.linalg.qr(unit)
    return Q, R_unit * lengths


def from_basis(cov: NDArray, blocks: list[tuple[int, NDArray]]) -> NDArray:
    r""":math:`T^{-1} C T^{-\top}`: a covariance ``cov`` of the parameters :math:`T\theta` as one of
    :math:`\theta`, for :math:`T` block diagonal with the upper triangular ``R`` of each
    ``(start, R)`` of ``blocks`` from row ``start`` on and the identity elsewhere (the inverse of
    each ``R`` by a triangular solve)."""
    t_inv = np.eye(cov.shape[0])
    for start, R in blocks:
        stop = start + R.shape[0]
        t_inv[start:stop, start:stop] = linalg.solve_triangular(R, np.eye(R.shape[0]), check_finite=False)
    out = t_inv @ cov @ t_inv.T
    return 0.5 * (out + out.T)
