"""Arithmetic in about twice the working precision, for residuals that cancel digits.

Error-free transformations (Knuth's two-sum, Dekker's two-product) work on every platform, not
only where ``numpy.longdouble`` is 80-bit; where it is, cache-sized blocks of long double are
about 8 times cheaper.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import NDArray

_SPLIT = 134217729.0  # 2**27 + 1, Dekker's splitting constant for float64
_LONG_IS_EXTENDED = np.finfo(np.longdouble).nmant >= 63  # x86-64: 80-bit long double


def two_sum(a, b):
    """Error-free sum: a + b == s + e exactly (Knuth)."""
    s = a + b
    bb = s - a
    e = (a - (s - bb)) + (b - bb)
    return s, e


def _split(a):
    c = _SPLIT * a
    hi = c - (c - a)
    return hi, a - hi


def two_prod(a, b):
    """Error-free product: a * b == p + e exactly (Dekker), no FMA needed."""
    p = a * b
    a_hi, a_lo = _split(a)
    b_hi, b_lo = _split(b)
    e = ((a_hi * b_hi - p) + a_hi * b_lo + a_lo * b_hi) + a_lo * b_lo
    return p, e


def residual_dd(X: NDArray, beta: NDArray, y: NDArray, r: NDArray | None = None) -> NDArray:
    """``y - r - X @ beta`` computed as if in twice the working precision."""
    if r is None:
        s, c = y.copy(), np.zeros_like(y)
    else:
        s, c = two_sum(y, -r)
    for j in range(X.shape[1]):
        prod, e1 = two_prod(X[:, j], -beta[j])
        s, e2 = two_sum(s, prod)
        c += e1 + e2
    return s + c


def residual_extended(X: NDArray, beta: NDArray, y: NDArray, block: int = 1 << 14) -> NDArray:
    """``y - X @ beta`` in extended precision: 80-bit long double in cache-sized blocks where the
    platform has it, double-double elsewhere."""
    if not _LONG_IS_EXTENDED:
        return residual_dd(X, beta, y)
    beta_l = beta.astype(np.longdouble)
    if y.shape[0] <= block:  # one block: the same arithmetic, without the loop's slices
        return (y.astype(np.longdouble) - X.astype(np.longdouble) @ beta_l).astype(np.float64)
    out = np.empty(y.shape[0])
    for start in range(0, y.shape[0], block):
        stop = start + block
        out[start:stop] = y[start:stop].astype(np.longdouble) - X[start:stop].astype(np.longdouble) @ beta_l
    return out


def xt_r_exact(X: NDArray, r: NDArray) -> NDArray:
    """``X.T @ r`` with every product exact and every sum correctly rounded."""
    out = np.empty(X.shape[1])
    for j in range(X.shape[1]):
        hi, lo = two_prod(X[:, j], r)
        out[j] = math.fsum(np.concatenate((hi, lo)))
    return out


def xt_r_extended(X: NDArray, r: NDArray, block: int = 1 << 14) -> NDArray:
    """``X.T @ r`` accumulated in extended precision: 80-bit long double in cache-sized blocks
    where the platform has it, exact products and correctly rounded sums elsewhere."""
    if not _LONG_IS_EXTENDED:
        return xt_r_exact(X, r)
    if r.shape[0] <= block:  # one block: the same arithmetic, without the loop's slices
        return (X.astype(np.longdouble).T @ r.astype(np.longdouble)).astype(np.float64)
    out = np.zeros(X.shape[1], dtype=np.longdouble)
    for start in range(0, r.shape[0], block):
        stop = start + block
        out += X[start:stop].astype(np.longdouble).T @ r[start:stop].astype(np.longdouble)
    return out.astype(np.float64)


def residual_and_xt_r_extended(X: NDArray, beta: NDArray, y: NDArray) -> tuple[NDArray, NDArray]:
    """:func:`residual_extended` and :func:`xt_r_extended` of it, in one call: where one block holds
    the data, X in long double is formed once for both (the same arithmetic)."""
    if not _LONG_IS_EXTENDED or y.shape[0] > 1 << 14:
        r = residual_extended(X, beta, y)
        return r, xt_r_extended(X, r)
    # np.dot: the same sums as matmul's long double loop (each in order, from 0), with less overhead;
    # a float64 operand beside a long double one is converted exactly, as astype would
    XL = X.astype(np.longdouble)
    r = (y - np.dot(XL, beta)).astype(np.float64)
    return r, np.dot(r, XL).astype(np.float64)
