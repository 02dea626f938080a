r"""The covariance routes, one per kind of estimate. Each returns ``(cov, problem)``: ``problem``
is None, or the text of the :class:`HessianWarning` that
:func:`~mle_tutorial.fitting.finish` gives with NaN standard errors."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from numpy.typing import ArrayLike, NDArray

from .checks import as_float_array, check_numeric, unmasked
from .lazy import lapack, linalg
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


#: An asymmetry of a Hessian above this, relative to sqrt(|H_ii H_jj|), is not rounding.
SYMMETRY_TOL = 1e-6


def check_hessian(hessian: ArrayLike, name: str = "hessian") -> NDArray:
    """A real, square, non-empty, symmetric (to rounding) matrix as float64; NaN and inf are let
    through (:func:`from_hessian` reports them as a singular Hessian)."""
    if isinstance(hessian, np.ma.MaskedArray):
        hessian = unmasked(hessian, name)
    try:
        H = np.asarray(hessian)
    except Exception as exc:
        raise ValueError(f"{name} must be a numeric square matrix: {exc}") from exc
    check_numeric(H, name)
    H = H.astype(np.float64, copy=False)
    k = H.shape[0] if H.ndim == 2 else -1
    if H.shape != (k, k):
        raise ValueError(f"{name} must be square, got shape {H.shape}")
    if k == 0:
        raise ValueError(f"{name} is empty (shape (0, 0)): there are no parameters")
    if np.all(np.isfinite(H)):
        d = np.sqrt(np.abs(np.diag(H)))
        scale = np.outer(d, d)
        scale = np.where(scale > 0, scale, np.max(np.abs(H)))
        gap = np.abs(H - H.T)
        worst = np.unravel_index(np.argmax(gap / np.where(scale > 0, scale, 1.0)), H.shape)
        if gap[worst] > SYMMETRY_TOL * scale[worst]:
            i, j = (int(v) for v in worst)
            raise ValueError(
                f"{name} is not symmetric: {name}[{i}, {j}] = {H[i, j]:.6g} but {name}[{j}, {i}] = "
                f"{H[j, i]:.6g}, more than rounding apart (a Hessian of second derivatives is "
                "symmetric: is it a Jacobian, or are two blocks transposed?)"
            )
    return H


def from_hessian(hessian: ArrayLike, jacobian: ArrayLike | None = None) -> tuple[NDArray, str | None]:
    r""":math:`H^{-1}` by Cholesky; for other parameters, the delta method :math:`J H^{-1} J^\top`."""
    H = check_hessian(hessian)
    k = H.shape[0]
    J = None
    if jacobian is not None:
        J = as_float_array(jacobian, "jacobian", ndim=2)
        if J.shape != (k, k):
            raise ValueError(f"jacobian must have shape {(k, k)}, got {J.shape}")
    try:
        if not np.all(np.isfinite(H)):
            raise np.linalg.LinAlgError("non-finite Hessian")
        factor = linalg.cho_factor(0.5 * (H + H.T), check_finite=False)
        cov = linalg.cho_solve(factor, np.eye(k), check_finite=False)
        if not np.all(np.isfinite(cov)) or np.min(np.diag(cov)) <= 0:
            raise np.linalg.LinAlgError("non-finite inverse")
    except np.linalg.LinAlgError:
        return np.full((k, k), np.nan), SINGULAR_HESSIAN
    if J is not None:
        cov = J @ cov @ J.T
    return cov, None


def normal_linear(xtx_inv: NDArray, sigma: float, n: int) -> tuple[NDArray, None]:
    r"""Inverse observed information of the normal linear model at the MLE, on (beta, sigma).

    At the maximum the information is block diagonal: :math:`X^\top X / \hat\sigma^2` for
    :math:`\beta` and :math:`2n / \hat\sigma^2` for :math:`\sigma`.
    """
    p = xtx_inv.shape[0]
    cov = np.zeros((p + 1, p + 1))
    # sigma * sigma, not sigma**2: Python's ** on a float calls the C library's pow, which is not
    # correctly rounded, so that (sigma / 16)**2 can differ in its last bit from sigma**2 / 256
    cov[:p, :p] = sigma * sigma * xtx_inv
    cov[p, p] = sigma * sigma / (2.0 * n)
    return cov, None


#: The covariance of a GLM comes from the Cholesky factor of its column-scaled information only
#: where that factor's reciprocal condition number is above this: the inverse then loses at most
#: about eps times 1e6 (the information's condition number) to rounding, far below the printed
#: digits; beyond it (an uncentred covariate) it comes from the R factor of sqrt(W) X.
INFORMATION_RCOND = 1e-3


def from_information(info: NDArray, r_factor: Callable[[], NDArray]) -> tuple[NDArray, str | None]:
    """(X' W X)^{-1} of a GLM where ``info`` = X' W X was computed: from the Cholesky factor of the
    information when its column-scaled form is well conditioned (:data:`INFORMATION_RCOND`); else
    from ``r_factor()``, the R factor of sqrt(W) X (one more pass, in memory or a tall-skinny QR over
    chunks, never squaring the condition number). Scaling the columns by powers of two first makes
    the choice, and the result, independent of the units of X."""
    p = info.shape[0]
    # every diagonal entry finite and > 0 (NaN fails), read as Python floats (cheaper than NumPy's
    # reductions over a few entries)
    if all(0.0 < v < np.inf for v in info.diagonal().tolist()):
        d = np.sqrt(info.diagonal())
        scale = np.exp2(np.round(np.log2(d)))
        outer = scale[:, None] * scale  # (np.outer's products, without its wrapper)
        # scipy.linalg's cho_factor and cho_solve (check_finite=False) are LAPACK's potrf and potrs
        # with these arguments: called directly, without their wrappers' cost
        c, status = lapack.dpotrf(info / outer, 0, 0)
        if status == 0:
            rcond, status = lapack.dtrcon(c, "1", "U", "N")
            if status == 0 and rcond > INFORMATION_RCOND:
                inverse, _ = lapack.dpotrs(c, np.eye(p))
                return inverse / outer, None
    R = r_factor()[:p]
    if R.shape[0] < p:
        return np.full((p, p), np.nan), SINGULAR_HESSIAN
    try:
        r_inv = linalg.solve_triangular(R, np.eye(p), check_finite=False)
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
    cov[:p, :p] = sigma * sigma * ((W @ W.T) / d) / d[:, None]  # not sigma**2: see normal_linear
    cov[p, p] = sigma * sigma / (2.0 * n)
    return cov, None
