r"""The covariance routes, one per kind of estimate. Each returns ``(cov, problem)``: ``problem``
is None, or the text of the :class:`HessianWarning` that
:func:`~mle_tutorial._engine.finish.finish` gives with NaN standard errors."""

from __future__ import annotations

import numpy as np
import scipy.linalg
import scipy.linalg.lapack
from numpy.typing import ArrayLike, NDArray

from .checks import as_float_array
from .families import Family
from .lstsq import jacobian_rank_ok, svd_of_scaled

SINGULAR_HESSIAN = (
    "The Hessian of the negative log-likelihood is singular or not positive definite at "
    "the estimate, so it is not a strict maximum: standard errors are NaN. Check that "
    "the fit converged and that every parameter is identified."
)
SINGULAR_JACOBIAN = (
    "The Jacobian of the model is rank-deficient at the estimate, so the coefficients are "
    "not identified there: standard errors are NaN. Check the model's parameterization."
)


def from_hessian(hessian: ArrayLike, jacobian: ArrayLike | None = None) -> tuple[NDArray, str | None]:
    r""":math:`H^{-1}` by Cholesky; for other parameters, the delta method :math:`J H^{-1} J^\top`."""
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
        return np.full((k, k), np.nan), SINGULAR_HESSIAN
    if jacobian is not None:
        J = as_float_array(jacobian, "jacobian", ndim=2)
        if J.shape != (k, k):
            raise ValueError(f"jacobian must have shape {(k, k)}, got {J.shape}")
        cov = J @ cov @ J.T
    return cov, None


def normal_linear(xtx_inv: NDArray, sigma: float, n: int) -> tuple[NDArray, None]:
    r"""Inverse observed information of the normal linear model at the MLE, on (beta, sigma).

    At the maximum the information is block diagonal: :math:`X^\top X / \hat\sigma^2` for
    :math:`\beta` and :math:`2n / \hat\sigma^2` for :math:`\sigma`.
    """
    p = xtx_inv.shape[0]
    cov = np.zeros((p + 1, p + 1))
    cov[:p, :p] = sigma**2 * xtx_inv
    cov[p, p] = sigma**2 / (2.0 * n)
    return cov, None


def from_information(info: NDArray, rows, family: Family, beta: NDArray) -> tuple[NDArray, str | None]:
    """(X' W X)^{-1} of a GLM: from the Cholesky factor of the information when it is well
    conditioned; else, in memory, from a QR factorization of sqrt(W) X (one more pass, never
    squaring the condition); over chunks, from the Cholesky factor as it is."""
    p = info.shape[0]
    try:
        factor = scipy.linalg.cho_factor(info, check_finite=False)
    except np.linalg.LinAlgError:
        factor = None
    if factor is not None:
        rcond, status = scipy.linalg.lapack.dtrcon(factor[0], norm="1", uplo="U", diag="N")
        if not rows.in_memory or (status == 0 and rcond > 1e-6):
            return scipy.linalg.cho_solve(factor, np.eye(p), check_finite=False), None
    if not rows.in_memory:
        return np.full((p, p), np.nan), SINGULAR_HESSIAN
    _, _, w = family.block(rows.X @ beta + rows.offset, rows.y)
    R = scipy.linalg.qr(np.sqrt(w)[:, None] * rows.X, mode="r", check_finite=False)[0][:p]
    try:
        r_inv = scipy.linalg.solve_triangular(R, np.eye(p), check_finite=False)
    except np.linalg.LinAlgError:
        return np.full((p, p), np.nan), SINGULAR_HESSIAN
    cov = r_inv @ r_inv.T
    if not np.all(np.isfinite(cov)):
        return np.full((p, p), np.nan), SINGULAR_HESSIAN
    return cov, None


def from_jacobian(J: NDArray, sigma: float, n: int) -> tuple[NDArray, str | None]:
    r"""Nonlinear least squares: :math:`\hat\sigma^2 (J^\top J)^{-1}` from an SVD of J (never
    forming :math:`J^\top J`), and :math:`\hat\sigma^2/(2n)` for :math:`\sigma`."""
    p = J.shape[1]
    _, s, Vt, d = svd_of_scaled(J)
    if not jacobian_rank_ok(s):
        return np.full((p + 1, p + 1), np.nan), SINGULAR_JACOBIAN
    W = Vt.T / s
    cov = np.zeros((p + 1, p + 1))
    cov[:p, :p] = sigma**2 * ((W @ W.T) / d) / d[:, None]
    cov[p, p] = sigma**2 / (2.0 * n)
    return cov, None
