r"""Exact least squares: the closed form of the normal linear model's MLE.

Maximizing the normal log-likelihood over :math:`\beta` is the same as
minimizing the residual sum of squares, so the MLE of :math:`\beta` is the
least-squares solution. Computing it *to every digit* on badly scaled or
highly collinear designs needs more care than the normal equations
:math:`X^\top X\beta = X^\top y` (which square the condition number) or a
plain QR solve. :func:`solve_least_squares` combines the known tools:

0. **A fast path for well-conditioned designs.** One pass over the data
   forms :math:`X^\top X` (a BLAS ``syrk``); its Cholesky factor gives a
   condition estimate (LAPACK ``trcon``). If the column-scaled design has
   condition number at most :data:`FAST_COND`, the solution of the normal
   equations plus one step of *corrected semi-normal equations* refinement
   (:math:`\delta = (X^\top X)^{-1} X^\top r`) is accurate to 13-16 digits, at
   about five passes over the data. Otherwise the exact path below runs.
1. **Column scaling** by powers of two (exact in binary floating point), so
   that columns that differ by many orders of magnitude do not matter.
2. **Householder QR with column pivoting** (LAPACK ``geqp3``), which is
   backward stable and reveals a rank-deficient design.
3. **Iterative refinement of the augmented system** (Björck, 1967)

   .. math:: \begin{pmatrix} I & X \\ X^\top & 0 \end{pmatrix}
             \begin{pmatrix} r \\ \beta \end{pmatrix} =
             \begin{pmatrix} y \\ 0 \end{pmatrix},

   with the residuals of that system computed in double-double arithmetic
   (error-free transformations, so it works on every platform, not only where
   ``numpy.longdouble`` is 80-bit). Refining ``r`` and ``beta`` together also
   removes the :math:`\kappa^2` error term that makes plain refinement stall
   on problems with large residuals.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import scipy.linalg
import scipy.linalg.lapack
from numpy.typing import NDArray

from ._validate import as_float_array

_SPLIT = 134217729.0  # 2**27 + 1, Dekker's splitting constant for float64

#: Largest condition number (of the column-scaled design) for which the fast
#: Cholesky path is used; it keeps at least 13 correct digits up to here.
FAST_COND = 1e3

#: Designs with at most this many entries always get the fast path's extended-precision
#: refinement step (it costs milliseconds there).
EXTENDED_SIZE = 1 << 20


def _two_sum(a, b):
    """Error-free sum: a + b == s + e exactly (Knuth)."""
    s = a + b
    bb = s - a
    e = (a - (s - bb)) + (b - bb)
    return s, e


def _split(a):
    c = _SPLIT * a
    hi = c - (c - a)
    return hi, a - hi


def _two_prod(a, b):
    """Error-free product: a * b == p + e exactly (Dekker), no FMA needed."""
    p = a * b
    a_hi, a_lo = _split(a)
    b_hi, b_lo = _split(b)
    e = ((a_hi * b_hi - p) + a_hi * b_lo + a_lo * b_hi) + a_lo * b_lo
    return p, e


def _residual_dd(X: NDArray, beta: NDArray, y: NDArray, r: NDArray | None = None) -> NDArray:
    """``y - r - X @ beta`` computed as if in twice the working precision."""
    if r is None:
        s, c = y.copy(), np.zeros_like(y)
    else:
        s, c = _two_sum(y, -r)
    for j in range(X.shape[1]):
        prod, e1 = _two_prod(X[:, j], -beta[j])
        s, e2 = _two_sum(s, prod)
        c += e1 + e2
    return s + c


_LONG_IS_EXTENDED = np.finfo(np.longdouble).nmant >= 63  # x86-64: 80-bit long double


def _residual_extended(X: NDArray, beta: NDArray, y: NDArray, block: int = 1 << 14) -> NDArray:
    """``y - X @ beta`` in extended precision: 80-bit long double in cache-sized blocks where the
    platform has it (about 8x cheaper), double-double elsewhere."""
    if not _LONG_IS_EXTENDED:
        return _residual_dd(X, beta, y)
    beta_l = beta.astype(np.longdouble)
    out = np.empty(y.shape[0])
    for start in range(0, y.shape[0], block):
        stop = start + block
        out[start:stop] = y[start:stop].astype(np.longdouble) - X[start:stop].astype(np.longdouble) @ beta_l
    return out


def _xt_r_dd(X: NDArray, r: NDArray) -> NDArray:
    """``X.T @ r`` with every product exact and every sum correctly rounded."""
    out = np.empty(X.shape[1])
    for j in range(X.shape[1]):
        hi, lo = _two_prod(X[:, j], r)
        out[j] = math.fsum(np.concatenate((hi, lo)))
    return out


def _xt_r_extended(X: NDArray, r: NDArray, block: int = 1 << 14) -> NDArray:
    """``X.T @ r`` accumulated in extended precision: 80-bit long double in cache-sized blocks
    where the platform has it, exact products and correctly rounded sums elsewhere."""
    if not _LONG_IS_EXTENDED:
        return _xt_r_dd(X, r)
    out = np.zeros(X.shape[1], dtype=np.longdouble)
    for start in range(0, r.shape[0], block):
        stop = start + block
        out += X[start:stop].astype(np.longdouble).T @ r[start:stop].astype(np.longdouble)
    return out.astype(np.float64)


@dataclass(frozen=True)
class LeastSquaresSolution:
    """What :func:`solve_least_squares` returns.

    Attributes
    ----------
    beta : ndarray, shape (p,)
        The least-squares coefficients.
    residuals : ndarray, shape (n,)
        ``y - X @ beta``, accurate to working precision.
    rss : float
        Residual sum of squares, summed without cancellation (``math.fsum``).
    n_refine : int
        Refinement steps taken.
    converged : bool
        Whether the refinement reached working precision.
    cond : float
        Estimated 2-norm condition number of the column-scaled design.
    xtx_inv : ndarray, shape (p, p)
        :math:`(X^\top X)^{-1}`, from the triangular factor: the unscaled covariance of ``beta``.
    path : str
        ``"cholesky"`` (the fast path) or ``"qr"`` (the exact path).
    col_norms : ndarray, shape (p,)
        Euclidean norms of the columns of ``X``.
    """

    beta: NDArray[np.float64]
    residuals: NDArray[np.float64]
    rss: float
    n_refine: int
    converged: bool
    cond: float
    xtx_inv: NDArray[np.float64]
    path: str = "qr"
    col_norms: NDArray[np.float64] | None = None


def _scaled_cholesky(G: NDArray):
    """Power-of-two column scales of X'X (from its diagonal), the Cholesky factor of the scaled
    matrix and LAPACK's condition estimate of the scaled design (``trcon``, 1-norm).

    Returns ``(scale, factor, cond)``, with ``factor=None`` and ``cond=inf`` where the
    factorization fails, or None when a column is all zeros or its norm overflows.
    """
    norms = np.sqrt(np.diag(G))
    if not np.all(np.isfinite(norms)) or np.any(norms == 0):
        return None
    scale = np.exp2(np.round(np.log2(norms)))
    try:
        factor = scipy.linalg.cho_factor(G / np.outer(scale, scale), check_finite=False)
    except np.linalg.LinAlgError:
        return scale, None, np.inf
    rcond, info = scipy.linalg.lapack.dtrcon(factor[0], norm="1", uplo="U", diag="N")
    cond = float(1.0 / rcond) if info == 0 and rcond > 0 else np.inf
    return scale, factor, cond


def _fast_path(X: NDArray, y: NDArray, residuals: bool = True) -> LeastSquaresSolution | None:
    """Normal equations of the scaled design plus one refinement step, if well conditioned."""
    p = X.shape[1]
    G = X.T @ X
    scaled = _scaled_cholesky(G)
    if scaled is None or not scaled[2] < FAST_COND:
        return None  # zero or overflowing column, or ill conditioned: the exact path handles it
    scale, factor, cond = scaled
    beta = scipy.linalg.cho_solve(factor, (X.T @ y) / scale, check_finite=False) / scale
    r = y - X @ beta
    beta = beta + scipy.linalg.cho_solve(factor, (X.T @ r) / scale, check_finite=False) / scale
    steps = 1
    # This is accurate to about cond * eps relative to the largest scaled coefficient, less the
    # digits lost to rounding in y - X beta and X'r when the residuals are small. One more step
    # with both formed in extended precision removes that rounding. It costs about sixteen passes
    # over the data: it is always taken when that is cheap (n p <= 2**20), and otherwise when the
    # bound could leave a small coefficient with fewer than 13 correct digits.
    z = np.abs(beta * scale)
    if X.size <= EXTENDED_SIZE or cond * np.finfo(float).eps * np.max(z) > 1e-13 * np.min(z):
        r = _residual_extended(X, beta, y)
        xtr = _xt_r_extended(X, r)
        beta = beta + scipy.linalg.cho_solve(factor, xtr / scale, check_finite=False) / scale
        steps = 2
    if np.sqrt(y @ y) > 64.0 * np.sqrt(r @ r):
        # small residuals of a large y: y - X beta cancels digits, so form it in extended precision
        r = _residual_extended(X, beta, y)
    elif residuals:
        r = y - X @ beta
    # else: r is the residual before the last (rounding-level) correction delta; the RSS differs
    # from the final one by delta' X'X delta, far below the RSS's own rounding error
    xtx_inv = scipy.linalg.cho_solve(factor, np.eye(p), check_finite=False) / np.outer(scale, scale)
    rss = float(r @ r) if r.shape[0] > 100_000 else math.fsum(r * r)
    norms = np.sqrt(np.diag(G))
    return LeastSquaresSolution(beta, r, rss, steps, True, cond, xtx_inv, "cholesky", norms)


def check_full_rank(X: NDArray) -> None:
    """Raise the clear rank-deficiency error of :func:`solve_least_squares` if ``X`` needs it.

    Cheap for a well-conditioned ``X`` (one pass for :math:`X^\top X`); otherwise it runs the
    exact path's pivoted QR, which names the offending column.
    """
    scaled = _scaled_cholesky(X.T @ X)
    if scaled is None or not scaled[2] < FAST_COND:
        _solve(X, np.zeros(X.shape[0]), max_refine=0, fast=False)


def solve_least_squares(
    X: NDArray, y: NDArray, *, max_refine: int = 10, fast: bool = True, residuals: bool = True
) -> LeastSquaresSolution:
    r"""Solve :math:`\min_\beta \lVert y - X\beta \rVert_2` to working precision.

    Parameters
    ----------
    X : array_like, shape (n, p)
        Full design matrix (finite numbers, ``n >= p``).
    y : array_like, shape (n,)
        Response.
    max_refine : int
        Most refinement steps of the exact path; two or three are usual.
    fast : bool
        Try the fast Cholesky path first (used only when the scaled design's condition
        number is at most :data:`FAST_COND`).
    residuals : bool
        If False, the fast path may skip the final pass over the data that forms the residuals
        at the returned ``beta``; ``residuals`` then holds those of the previous iterate (the RSS
        is unaffected to working precision).

    Returns
    -------
    LeastSquaresSolution

    Raises
    ------
    ValueError
        If ``X`` is rank deficient (a column is, to working precision, a
        linear combination of the others).

    Examples
    --------
    >>> import numpy as np
    >>> X = np.column_stack([np.ones(4), [1.0, 2.0, 3.0, 4.0]])
    >>> solve_least_squares(X, np.array([1.0, 3.0, 5.0, 7.5])).beta.round(6)
    array([-1.25,  2.15])
    """
    X = as_float_array(X, "X", ndim=2)
    y = as_float_array(y, "y", ndim=1)
    if y.shape[0] != X.shape[0]:
        raise ValueError(f"X has {X.shape[0]} rows but y has {y.shape[0]} values; they must match")
    if X.shape[0] < X.shape[1]:
        raise ValueError(f"X has {X.shape[0]} rows but {X.shape[1]} columns; least squares needs n >= p")
    return _solve(X, y, max_refine=max_refine, fast=fast, residuals=residuals)


def _solve(X, y, *, max_refine: int = 10, fast: bool = True, residuals: bool = True) -> LeastSquaresSolution:
    """:func:`solve_least_squares` on already-validated float arrays."""
    if fast:
        solution = _fast_path(X, y, residuals)
        if solution is not None:
            return solution
    n, p = X.shape
    # 1. scale columns by powers of two: exact, and undone exactly at the end
    norms = np.linalg.norm(X, axis=0)
    zero = np.flatnonzero(norms == 0)
    if zero.size:
        raise ValueError(
            f"X is rank deficient: column {int(zero[0])} is all zeros, so its coefficient is not identified"
        )
    scale = np.exp2(np.round(np.log2(norms)))
    Xs = X / scale
    # 2. pivoted Householder QR
    Q, R, perm = scipy.linalg.qr(Xs, mode="economic", pivoting=True, check_finite=False)
    diag = np.abs(np.diag(R))
    tol = max(n, p) * np.finfo(float).eps * diag[0]
    if diag[-1] <= tol:
        k = int(np.sum(diag > tol))  # numerical rank
        bad = int(perm[k])
        # column perm[k] ~ sum_i c_i * column perm[i], i < k: R[:k, :k] c = R[:k, k]
        c = scipy.linalg.solve_triangular(R[:k, :k], R[:k, k], check_finite=False) if k else np.zeros(0)
        involved = sorted(
            int(perm[i]) for i in np.flatnonzero(np.abs(c) > 1e-8 * max(np.max(np.abs(c)), 1e-300))
        )
        others = ", ".join(map(str, involved)) if involved else "the others"
        raise ValueError(
            f"X is rank deficient: columns {sorted([bad, *involved])} are linearly dependent "
            f"(column {bad} is, to working precision, a combination of column(s) {others}; "
            f"pivoted QR gives |R[{k},{k}]| / |R[0,0]| = {diag[k] / diag[0]:.1e}); "
            "drop or combine collinear columns (a constant column beside an intercept counts)"
        )
    cond = float(np.linalg.cond(R))
    Xp = Xs[:, perm]

    def solve_augmented(f, g):
        h = scipy.linalg.solve_triangular(R, g, trans="T", check_finite=False)
        d = Q.T @ f - h
        return f - Q @ d, scipy.linalg.solve_triangular(R, d, check_finite=False)

    # initial solve: beta = R^{-1} Q^T y, r = y - X beta (in double-double)
    z = scipy.linalg.solve_triangular(R, Q.T @ y, check_finite=False)
    r = _residual_dd(Xp, z, y)
    # 3. Björck's refinement of the augmented system
    eps = np.finfo(float).eps
    converged = False
    steps = 0
    prev = np.inf
    while steps < max_refine:
        steps += 1
        f = _residual_dd(Xp, z, y, r)
        g = -_xt_r_dd(Xp, r)
        dr, dz = solve_augmented(f, g)
        z = z + dz
        r = r + dr
        size = np.max(np.abs(dz)) / max(np.max(np.abs(z)), np.finfo(float).tiny)
        if size <= eps:
            converged = True
            break
        if size >= 0.5 * prev:  # no longer contracting: at the attainable accuracy
            converged = size <= 1e3 * eps
            break
        prev = size
    beta = np.empty(p)
    beta[perm] = z
    beta /= scale
    r = _residual_dd(X, beta, y)
    rss = math.fsum(r * r)
    # (X^T X)^{-1} = D^{-1} P R^{-1} R^{-T} P^T D^{-1}, with D the column scales
    r_inv = scipy.linalg.solve_triangular(R, np.eye(p), check_finite=False)
    inv_p = r_inv @ r_inv.T
    xtx_inv = np.empty((p, p))
    xtx_inv[np.ix_(perm, perm)] = inv_p
    xtx_inv /= np.outer(scale, scale)
    return LeastSquaresSolution(beta, r, rss, steps, converged, cond, xtx_inv, "qr", norms)
