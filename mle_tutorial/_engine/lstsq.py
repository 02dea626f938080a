"""Exact least squares: in memory (fast Cholesky path or pivoted QR with refinement) and from
sums over row chunks (Cholesky of the summed X'X, or a tall-skinny QR); and the SVD helpers of
nonlinear least squares. :mod:`mle_tutorial.least_squares` explains the method."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from .checks import check_rows
from .extended import residual_and_xt_r_extended, residual_dd, residual_extended, xt_r_exact
from .lazy import linalg
from .rows import InMemoryRows, data_key, screen_stats
from .scale import column_maxima, shifts, unshift, unshift_cov

_EPS = float(np.finfo(float).eps)  # (a Python float: cheaper in scalar arithmetic than NumPy's)

#: Largest condition number (of the column-scaled design) for which the fast
#: Cholesky path is used; it keeps at least 13 correct digits up to here.
FAST_COND = 1e3

#: In nonlinear least squares the coefficients count as not identified where the column-scaled
#: Jacobian's smallest singular value is below this fraction of its largest. A numerical Jacobian
#: is accurate to about 1e-10 (relative), so an exactly rank-deficient model shows ratios near
#: 1e-13 whatever the rounding, while NIST's hardest identified problems (Lanczos3, MGH10) show
#: 1e-4: sqrt(eps) is far from both, so which warning a fit gives does not depend on the machine.
JACOBIAN_RANK_TOL = float(np.sqrt(np.finfo(float).eps))


# --- the normal linear model over row chunks: the sums each chunk contributes ------------------
def normal_sums(X: NDArray, y: NDArray, offset: None = None) -> dict:
    """X'X, X'y and y'y of a chunk."""
    return {"xtx": X.T @ X, "xty": X.T @ y, "yty": float(y @ y), "n": X.shape[0]}


def tsqr_block(X: NDArray, y: NDArray, offset: None, *, scale: NDArray) -> NDArray:
    """R of the QR factorization of a chunk's [X / scale | y]."""
    A = np.column_stack([X / scale, y])
    return linalg.qr(A, mode="r", check_finite=False)[0][: A.shape[1]]


def tsqr_combine(a: NDArray, b: NDArray) -> NDArray:
    """R of two stacked R factors: a tall-skinny QR combined in a tree."""
    A = np.vstack([a, b])
    return linalg.qr(A, mode="r", check_finite=False)[0][: A.shape[1]]


def normal_refine_stats(
    X: NDArray, y: NDArray, offset: None, *, beta: NDArray, extended: bool, exact_products: bool
) -> dict:
    """X'r and r'r of a chunk at ``beta``, with r = y - X beta in extended precision where
    ``extended``; on ill-conditioned designs X'r needs exact products and correctly rounded sums."""
    r = residual_extended(X, beta, y) if extended else y - X @ beta
    xtr = xt_r_exact(X, r) if exact_products else X.T @ r
    return {"xtr": xtr, "rtr": math.fsum(r * r) if exact_products else float(r @ r)}


@dataclass(frozen=True)
class LeastSquaresSolution:
    r"""What :func:`~mle_tutorial.solve_least_squares` returns.

    Attributes
    ----------
    beta : ndarray, shape (p,)
        The least-squares coefficients.
    residuals : ndarray, shape (n,)
        ``y - X @ beta``, accurate to working precision (None for a fit over Dask row chunks,
        whose residuals stay in their chunks).
    rss : float
        Residual sum of squares: correctly rounded (``math.fsum``) on the exact path, a dot
        product on the fast path (a sum of squares cancels nothing: it is accurate to a few units
        of rounding either way).
    n_refine : int
        Refinement steps taken.
    converged : bool
        Whether the refinement reached working precision.
    cond : float
        Estimated 2-norm condition number of the column-scaled design.
    xtx_inv : ndarray, shape (p, p)
        :math:`(X^\top X)^{-1}`, from the triangular factor: the unscaled covariance of ``beta``.
    path : str
        ``"cholesky"`` (the fast path), ``"qr"`` (the exact path) or, over row chunks,
        ``"tsqr"`` (a tall-skinny QR).
    col_norms : ndarray, shape (p,)
        Euclidean norms of the columns of ``X``.

    Examples
    --------
    >>> import numpy as np
    >>> from mle_tutorial import solve_least_squares
    >>> X = np.column_stack([np.ones(4), [1.0, 2.0, 3.0, 4.0]])
    >>> sol = solve_least_squares(X, np.array([1.0, 3.0, 5.0, 7.5]))
    >>> sol.path, round(sol.rss, 6)
    ('cholesky', 0.075)
    """

    beta: NDArray[np.float64]
    residuals: NDArray[np.float64] | None
    rss: float
    n_refine: int
    converged: bool
    cond: float
    xtx_inv: NDArray[np.float64]
    path: str = "qr"
    col_norms: NDArray[np.float64] | None = None


LeastSquaresSolution.__module__ = "mle_tutorial.least_squares"  # its documented home


_LAPACK: dict = {}


def _lapack(name: str):
    """SciPy's wrapper of the LAPACK routine ``name``, looked up once."""
    routine = _LAPACK.get(name)
    if routine is None:
        routine = _LAPACK[name] = getattr(linalg.lapack, name)
    return routine


def cho_factor(A: NDArray) -> tuple[NDArray, bool]:
    """``scipy.linalg.cho_factor(A, check_finite=False)``: LAPACK's ``potrf`` called directly, with
    the same arguments (so the same bits), without SciPy's checks and wrappers, which cost tens of
    microseconds per call (most of a small fit). ``LinAlgError`` where ``A`` is not positive
    definite."""
    c, info = _lapack("dpotrf")(A, lower=0, clean=0)
    if info != 0:
        raise np.linalg.LinAlgError(f"{info}-th leading minor not positive definite")
    return c, False


def cho_solve(factor: tuple[NDArray, bool], b: NDArray) -> NDArray:
    """``scipy.linalg.cho_solve(factor, b, check_finite=False)`` by LAPACK's ``potrs`` directly (see
    :func:`cho_factor`)."""
    x, info = _lapack("dpotrs")(factor[0], b, lower=0)
    if info != 0:
        raise ValueError(f"illegal value in argument {-info} of potrs")
    return x


def scaled_cholesky(G: NDArray):
    """Power-of-two column scales of X'X (from its diagonal), the Cholesky factor of the scaled
    matrix and LAPACK's condition estimate of the scaled design (``trcon``, 1-norm).

    Returns ``(scale, factor, cond)``, with ``factor=None`` and ``cond=inf`` where the
    factorization fails, or None when a column is all zeros or its norm overflows.
    """
    # every diagonal entry finite and > 0 (NaN fails the comparison): read as Python floats, which
    # costs less than NumPy's reductions over a few entries
    if not all(0.0 < v < math.inf for v in G.diagonal().tolist()):
        return None
    scale = np.exp2(np.round(np.log2(np.sqrt(G.diagonal()))))
    # cho_factor inlined (arguments by position: lower=0, clean=0), and trcon's 1-norm estimate
    c, info = _lapack("dpotrf")(G / (scale[:, None] * scale), 0, 0)
    if info != 0:
        return scale, None, np.inf
    rcond, info = _lapack("dtrcon")(c, "1", "U", "N")
    cond = float(1.0 / rcond) if info == 0 and rcond > 0 else np.inf
    return scale, (c, False), cond


def _identity(p: int) -> NDArray:
    """The p x p identity, made once (read-only: potrs reads its right-hand side, as overwrite_b=0)."""
    found = _EYE.get(p)
    if found is None:
        found = _EYE[p] = np.eye(p)
        found.flags.writeable = False
    return found


_EYE: dict[int, NDArray] = {}


#: The fast path factors X'X as it is where every diagonal entry lies within 2**+-600 (a power-of-two
#: scaling of the columns then changes no bit of the factor or the solves: nothing under- or
#: overflows); the fitters' working rows always do.
_DIAGONAL_RANGE = (2.0**-600, 2.0**600)


def _well_conditioned_factor(G: NDArray) -> tuple[NDArray, float, NDArray] | None:
    r"""The upper Cholesky factor of ``G`` = :math:`X^\top X`, LAPACK's condition estimate of the
    column-scaled design (as :func:`scaled_cholesky`'s, the same bits) and the column norms, where
    that estimate is below :data:`FAST_COND` and every diagonal entry within 2**+-600; else None."""
    low, high = _DIAGONAL_RANGE
    # (the few diagonal entries read as Python floats: cheaper than NumPy's reductions; NaN fails)
    if not all(low < v < high for v in G.diagonal().tolist()):
        return None
    c, info = _lapack("dpotrf")(G, 0, 0)  # (cho_factor's arguments by position: lower=0, clean=0)
    if info != 0:
        return None
    norms = np.sqrt(G.diagonal())
    rcond, info = _lapack("dtrcon")(c / np.exp2(np.round(np.log2(norms))), "1", "U", "N")
    cond = float(1.0 / rcond) if info == 0 and rcond > 0 else np.inf
    return (c, cond, norms) if cond < FAST_COND else None


def _fast_path(
    X: NDArray, y: NDArray, residuals: bool = True, gram: NDArray | None = None, yy: float | None = None
) -> LeastSquaresSolution | None:
    r"""Normal equations plus one refinement step, if the column-scaled design is well conditioned
    (``gram``: :math:`X^\top X`, and ``yy``: :math:`y^\top y`, if already computed).

    The Cholesky factor of :math:`X^\top X` is that of the scaled :math:`D^{-1}X^\top XD^{-1}`
    (D: powers of two near the column norms) times D, bit for bit, and so are the solves with it:
    only the condition estimate needs the scaled factor :math:`RD^{-1}`.
    """
    p = X.shape[1]
    G = X.T @ X if gram is None else gram
    found = _well_conditioned_factor(G)
    if found is None:
        return None  # a zero column, one far from 1, or ill conditioned: the exact path handles it
    c, cond, norms = found
    # cho_solve inlined (lower=0 by default; info is never nonzero for these arguments)
    potrs = _lapack("dpotrs")
    beta = potrs(c, X.T @ y)[0]
    r = y - X @ beta
    xtr = X.T @ r
    delta = potrs(c, xtr)[0]
    beta = beta + delta
    steps = 1
    # This is accurate to about cond * eps relative to the largest scaled coefficient, less the
    # digits lost to rounding in y - X beta and X'r when the residuals are small. One more step
    # with both formed in extended precision removes that rounding. It costs about sixteen passes
    # over the data, so it is taken where it matters: where the residuals are small beside y (the
    # rounding in y - X beta is then a large part of them, and of sigma-hat), or where the bound
    # could leave a small coefficient with fewer than 13 correct digits.
    yy = y @ y if yy is None else yy
    rss = float(r @ r)  # (a sum of squares cancels nothing: BLAS's dot is accurate to a few ulps)
    small = math.sqrt(yy) > 64.0 * math.sqrt(rss)  # (math.sqrt: correctly rounded, as np.sqrt)
    if small or _refine_again(beta.tolist(), norms.tolist(), cond):
        r, xtr = residual_and_xt_r_extended(X, beta, y)
        beta = beta + potrs(c, xtr)[0]
        steps = 2
        if small:  # y - X beta cancels digits: form it in extended precision
            r = residual_extended(X, beta, y)
        elif residuals:
            r = y - X @ beta
        # else: r is the residual before the last (rounding-level) correction delta; the RSS
        # differs from the final one by delta' X'X delta, far below the RSS's own rounding error
        rss = float(r @ r)
    elif residuals:
        r = y - X @ beta
        rss = float(r @ r)
    else:  # the RSS at beta + delta without the residuals: RSS(beta) - delta' X'r, as X'X delta = X'r
        rss -= sum(a * b for a, b in zip(xtr.tolist(), delta.tolist(), strict=True))
    xtx_inv = potrs(c, _identity(p))[0]
    return LeastSquaresSolution(beta, r, rss, steps, True, cond, xtx_inv, "cholesky", norms)


def _refine_again(beta: list[float], norms: list[float], cond: float) -> bool:
    """Whether the error bound ``cond * eps`` relative to the largest scaled coefficient
    ``|beta_j| * norms_j`` could leave the smallest with fewer than 13 correct digits (Python
    floats: for a few values they cost less than NumPy)."""
    z = [abs(b) * s for b, s in zip(beta, norms, strict=True)]
    return bool(cond * _EPS * max(z) > 1e-13 * min(z))


def check_full_rank(X: NDArray, gram: NDArray | None = None) -> None:
    """Raise the clear rank-deficiency error of :func:`solve` if ``X`` needs it.

    Cheap for a well-conditioned ``X`` (one pass for :math:`X^\\top X`, or none where ``gram``
    gives it); otherwise it runs the exact path's pivoted QR, which names the offending column.
    """
    if _well_conditioned_factor(X.T @ X if gram is None else gram) is None:
        solve(X, np.zeros(X.shape[0]), max_refine=0, fast=False)


def check_full_rank_over_chunks(rows, G: NDArray) -> None:
    """The rank check of :func:`check_full_rank` over row chunks, from their summed X'X ``G``: the
    scaled X'X when it is well conditioned, else a pivoted QR of the R factor of a tall-skinny QR
    (one more pass), which decides as the pivoted QR of X in memory does."""
    zero = np.flatnonzero(np.diag(G) == 0)
    if zero.size:
        raise _zero_column_error(int(zero[0]))
    scaled = scaled_cholesky(G)
    if scaled is not None and scaled[2] < FAST_COND:
        return
    scale = np.exp2(np.round(np.log2(np.sqrt(np.diag(G)))))
    R = rows.reduce(tsqr_block, combine=tsqr_combine, scale=scale)[: rows.p, : rows.p]
    check_rank_of_r(R, rows.n)


def check_rank_of_r(R: NDArray, n: int) -> None:
    """Raise the rank-deficiency error of :func:`solve` for a design whose (column-scaled) QR
    factor is ``R``: a pivoted QR of R is a pivoted QR of the design."""
    _, R2, perm = linalg.qr(R, pivoting=True, check_finite=False)
    diag = np.abs(np.diag(R2))
    tol = max(n, R.shape[1]) * _EPS * diag[0]
    if diag[-1] <= tol:
        raise _rank_error_from_qr(R2, perm, diag, tol)


def _zero_column_error(j: int) -> ValueError:
    return ValueError(f"X is rank deficient: column {j} is all zeros, so its coefficient is not identified")


def _rank_error_from_qr(R: NDArray, perm: NDArray, diag: NDArray, tol: float) -> ValueError:
    k = int(np.sum(diag > tol))  # numerical rank
    bad = int(perm[k])
    # column perm[k] ~ sum_i c_i * column perm[i], i < k: R[:k, :k] c = R[:k, k]
    c = linalg.solve_triangular(R[:k, :k], R[:k, k], check_finite=False) if k else np.zeros(0)
    involved = sorted(int(perm[i]) for i in np.flatnonzero(np.abs(c) > 1e-8 * max(np.max(np.abs(c)), 1e-300)))
    others = ", ".join(map(str, involved)) if involved else "the others"
    return ValueError(
        f"X is rank deficient: columns {sorted([bad, *involved])} are linearly dependent "
        f"(column {bad} is, to working precision, a combination of column(s) {others}; "
        f"pivoted QR finds |R[{k},{k}]| at the rounding level of |R[0,0]|); "
        "drop or combine collinear columns (a constant column beside an intercept counts)"
    )


def solve(
    X,
    y,
    *,
    max_refine: int = 10,
    fast: bool = True,
    residuals: bool = True,
    gram: NDArray | None = None,
    yy: float | None = None,
) -> LeastSquaresSolution:
    r""":func:`~mle_tutorial.solve_least_squares` on already-validated float arrays (``gram``:
    :math:`X^\top X`, and ``yy``: :math:`y^\top y`, if already computed)."""
    if fast:
        solution = _fast_path(X, y, residuals, gram, yy)
        if solution is not None:
            return solution
    n, p = X.shape
    # 1. scale columns by powers of two: exact, and undone exactly at the end
    norms = np.linalg.norm(X, axis=0)
    zero = np.flatnonzero(norms == 0)
    if zero.size:
        raise _zero_column_error(int(zero[0]))
    scale = np.exp2(np.round(np.log2(norms)))
    Xs = X / scale
    # 2. pivoted Householder QR
    Q, R, perm = linalg.qr(Xs, mode="economic", pivoting=True, check_finite=False)
    diag = np.abs(np.diag(R))
    tol = max(n, p) * _EPS * diag[0]
    if diag[-1] <= tol:
        raise _rank_error_from_qr(R, perm, diag, tol)
    cond = float(np.linalg.cond(R))
    Xp = Xs[:, perm]

    def solve_augmented(f, g):
        h = linalg.solve_triangular(R, g, trans="T", check_finite=False)
        d = Q.T @ f - h
        return f - Q @ d, linalg.solve_triangular(R, d, check_finite=False)

    # initial solve: beta = R^{-1} Q^T y, r = y - X beta (in double-double)
    z = linalg.solve_triangular(R, Q.T @ y, check_finite=False)
    r = residual_dd(Xp, z, y)
    # 3. Björck's refinement of the augmented system
    converged = False
    steps = 0
    prev = np.inf
    while steps < max_refine:
        steps += 1
        f = residual_dd(Xp, z, y, r)
        g = -xt_r_exact(Xp, r)
        dr, dz = solve_augmented(f, g)
        z = z + dz
        r = r + dr
        size = np.max(np.abs(dz)) / max(np.max(np.abs(z)), np.finfo(float).tiny)
        if size <= _EPS:
            converged = True
            break
        if size >= 0.5 * prev:  # no longer contracting: at the attainable accuracy
            converged = size <= 1e3 * _EPS
            break
        prev = size
    beta = np.empty(p)
    beta[perm] = z
    beta /= scale
    r = residual_dd(X, beta, y)
    rss = math.fsum(r * r)
    # (X^T X)^{-1} = D^{-1} P R^{-1} R^{-T} P^T D^{-1}, with D the column scales
    inv_p = _inverse_gram(R)
    xtx_inv = np.empty((p, p))
    xtx_inv[np.ix_(perm, perm)] = inv_p
    xtx_inv /= np.outer(scale, scale)
    return LeastSquaresSolution(beta, r, rss, steps, converged, cond, xtx_inv, "qr", norms)


def _inverse_gram(R: NDArray) -> NDArray:
    """(R'R)^{-1} = R^{-1} R^{-T} from an upper triangular R."""
    r_inv = linalg.solve_triangular(R, np.eye(R.shape[0]), check_finite=False)
    return r_inv @ r_inv.T


def _solve_by_chunks(rows) -> LeastSquaresSolution:
    """Least squares from sums over row chunks (see chapter 21), on rows already screened.

    One pass sums X'X, X'y, y'y; a well-conditioned scaled design is solved by Cholesky, an
    ill-conditioned one by a tall-skinny QR of [X / scale | y] combined in a tree (its rank
    decided by a pivoted QR of R, as in memory); then refinement passes form the residuals chunk
    by chunk, as in memory.
    """
    n, p = rows.n, rows.p
    s = rows.reduce(normal_sums)
    G, xty = s["xtx"], s["xty"]
    zero = np.flatnonzero(np.diag(G) == 0)
    if zero.size:
        raise _zero_column_error(int(zero[0]))
    scale, factor, cond = scaled_cholesky(G)
    path = "tsqr"
    if factor is not None and cond < FAST_COND:
        path = "cholesky"
        R = factor[0]
        z = cho_solve(factor, xty / scale)
    else:
        # tall-skinny QR of [X/scale | y]: R_aug = [[R, c], [0, rho]], z = R^{-1} c
        R_aug = rows.reduce(tsqr_block, combine=tsqr_combine, scale=scale)
        R = R_aug[:p, :p]
        check_rank_of_r(R, n)
        cond = float(np.linalg.cond(R))
        z = linalg.solve_triangular(R, R_aug[:p, p], check_finite=False)
    beta, rss, steps = _refine_by_chunks(rows, R, scale, z / scale, cond, path)
    xtx_inv = _inverse_gram(R) / np.outer(scale, scale)
    return LeastSquaresSolution(beta, None, rss, steps, True, cond, xtx_inv, path, np.sqrt(np.diag(G)))


def screened(rows):
    """Dask rows after one lazy pass that checks the values, scales extreme columns (and y) by
    powers of two, and records the largest values and the fingerprint of y."""
    check_rows(rows.n, rows.p)
    first = rows.screen(screen_stats)
    out = rows.shifted(shifts(first["max_x"]), int(shifts(first["max_y"])))
    out.max_x = unshift(first["max_x"], -out.x_shift)
    out.max_y = float(unshift(first["max_y"], -out.y_shift))
    out.key = data_key(rows.n, first["fingerprint"])
    return out


def _refine_by_chunks(rows, R, scale, beta, cond, path):
    """Refinement passes: as in memory, the residuals are formed from the data, chunk by chunk."""
    steps, rss, previous = 0, np.nan, np.inf
    while steps < 8:
        steps += 1
        zabs = np.abs(beta * scale)
        extended = path == "tsqr" or steps > 1 or cond * _EPS * np.max(zabs) > 1e-13 * np.min(zabs)
        st = rows.reduce(normal_refine_stats, beta=beta, extended=extended, exact_products=path == "tsqr")
        g = st["xtr"] / scale
        dz = linalg.solve_triangular(
            R, linalg.solve_triangular(R, g, trans="T", check_finite=False), check_finite=False
        )
        delta, rss = dz / scale, st["rtr"]
        beta = beta + delta
        size = np.max(np.abs(delta) / np.maximum(np.abs(beta), np.finfo(float).tiny))
        if size <= 4 * _EPS or (path == "cholesky" and not extended) or size >= 0.5 * previous:
            break  # converged, or no longer contracting (at the attainable accuracy)
        previous = size
    return beta, rss, steps


def exact_least_squares(rows) -> tuple[LeastSquaresSolution, float, float]:
    """The least-squares solution of a row source, sigma-hat = sqrt(RSS / n), and the rounding
    level of y, the same on both paths: residuals no bigger than the rounding error in y or in
    X @ beta (``8 eps max(max|y|, max|X| @ |beta|)``) mean an exact fit."""
    if rows.in_memory:
        solution = solve(rows.X, rows.y, residuals=False, gram=rows.gram, yy=rows.yy)
    else:
        solution = _solve_by_chunks(rows)
    sigma = math.sqrt(solution.rss / rows.n)  # (correctly rounded, as np.sqrt)
    # column norms bound every |X_ij|, so this bounds the rounding level from above, for free...
    top_y = rows.max_y_bound() if rows.in_memory else rows.max_y  # (|y_i| or a bound of it)
    # (sum of |beta_j| times column norm j, in Python floats: cheaper than NumPy for a few columns)
    assert solution.col_norms is not None  # (both paths give them)
    pairs = zip(solution.beta.tolist(), solution.col_norms.tolist(), strict=True)
    rounding = 8 * _EPS * max(top_y, sum(abs(b) * norm for b, norm in pairs))
    if not sigma > rounding:  # ...and only where it is inconclusive, the maxima decide
        max_x = column_maxima(rows.X) if rows.max_x is None else rows.max_x
        rounding = 8 * _EPS * max(rows.max_y, float(max_x @ np.abs(solution.beta)))
    return solution, sigma, rounding


def solve_scaled(X: NDArray, y: NDArray, **kwargs) -> LeastSquaresSolution:
    """:func:`solve` on data of any size: extreme columns and y are scaled by powers of two first,
    and the solution scaled back (the RSS and ``xtx_inv`` are inf where not representable)."""
    rows = InMemoryRows.scaled(X, y)
    sol = solve(rows.X, rows.y, **kwargs)
    if not np.any(rows.x_shift) and not rows.y_shift:
        return sol
    ex, ey = rows.x_shift, rows.y_shift
    assert sol.col_norms is not None  # solve() always gives them
    return LeastSquaresSolution(
        unshift(sol.beta, ey - ex),
        None if sol.residuals is None else unshift(sol.residuals, np.full(rows.n, ey)),
        float(unshift(sol.rss, 2 * ey)),
        sol.n_refine,
        sol.converged,
        sol.cond,
        unshift_cov(sol.xtx_inv, -ex),
        sol.path,
        unshift(sol.col_norms, ex),
    )


# --- nonlinear least squares: the scaled SVD of a Jacobian ------------------------------------
def svd_of_scaled(J: NDArray) -> tuple[NDArray, NDArray, NDArray, NDArray]:
    """SVD of ``J`` with its columns scaled to unit length: ``J = U diag(s) V^T D``."""
    d = np.sqrt(np.sum(J * J, axis=0))
    d = np.where(d > 0, d, 1.0)
    U, s, Vt = linalg.svd(J / d, full_matrices=False, lapack_driver="gesvd")
    return U, s, Vt, d


def jacobian_rank_ok(s: NDArray) -> bool:
    """Whether singular values ``s`` (descending) of a column-scaled Jacobian identify every
    coefficient (see :data:`JACOBIAN_RANK_TOL`)."""
    return bool(s.size and s[-1] > JACOBIAN_RANK_TOL * s[0])


def gauss_newton_step(J: NDArray, r: NDArray, rtol: float | None = None) -> NDArray:
    """Minimum-norm least-squares solution of ``J @ step = r`` (r = y - f), by SVD, ignoring
    singular values below ``rtol`` times the largest (default: the rounding level)."""
    U, s, Vt, d = svd_of_scaled(J)
    rtol = max(J.shape) * _EPS if rtol is None else rtol
    keep = s > rtol * (s[0] if s.size else 0.0)
    coef = (U[:, keep].T @ r) / s[keep]
    return (Vt[keep].T @ coef) / d
