"""GLMs on a row source: checks and start (eager in memory, lazy over chunks), then Newton/IRLS
with one pass over the rows per trial point."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.linalg
from numpy.typing import NDArray

from .checks import check_design, check_offset, check_rows
from .families import LOGISTIC, POISSON, Family, glm_first_stats, glm_stats, poisson_start_stats
from .lstsq import check_full_rank, rank_error_from_gram
from .optimize import newton
from .rows import DaskRows, InMemoryRows, as_rows


@dataclass(frozen=True)
class GLMStart:
    """Where Newton starts, and the constant of the log-likelihood (:math:`\\sum\\log y_i!`)."""

    beta: NDArray
    constant: float


def _cholesky_or_lstsq(A: NDArray, b: NDArray) -> NDArray:
    try:
        return scipy.linalg.cho_solve(scipy.linalg.cho_factor(A, check_finite=False), b)
    except np.linalg.LinAlgError:
        return np.linalg.lstsq(A, b, rcond=None)[0]


def glm_rows(X, y, offset, family: Family) -> InMemoryRows | DaskRows:
    """The row source of a GLM fit: Dask row chunks (checked lazily, by :func:`check_and_start`),
    or validated arrays in memory, whose checks name the first bad value."""
    rows = as_rows(X, y, offset)
    if rows is not None:
        return rows
    X, y = check_design(X, y, model=family.title)
    bad = np.flatnonzero(family.invalid(y))
    if bad.size:
        raise ValueError(f"{family.rule}; y[{bad[0]}] = {y[bad[0]]:g}")
    if family == LOGISTIC and np.all(y == y[0]):
        raise ValueError(
            f"y is all {int(y[0])}: the probability of a 1 is estimated as {int(y[0])}, "
            "on the boundary, so there is no finite MLE"
        )
    _check_some_counts(family, np.any(y > 0))
    return InMemoryRows(X, y, check_offset(offset, X.shape[0]))


def check_and_start(rows, family: Family) -> GLMStart:
    """Check the data for the family and find the start: zeros for the logistic, one weighted
    least-squares step from mu = y + 0.1 for the Poisson (as R's glm starts).

    In memory only the rank is left to check; over chunks every check is a count from one pass,
    which also sums X'X (for the rank) and the start statistics.
    """
    if rows.in_memory:
        check_full_rank(rows.X)
        constant = family.log_factorial(rows.y)
        if family == LOGISTIC:
            return GLMStart(np.zeros(rows.p), constant)
        s = poisson_start_stats(rows.X, rows.y, rows.offset)
        return GLMStart(_cholesky_or_lstsq(s["start_a"], s["start_b"]), constant)
    n, p = rows.n, rows.p
    check_rows(n, p, "")
    first = rows.reduce(glm_first_stats, family=family)
    for key, what in (("bad_x", "X"), ("bad_y", "y"), ("bad_o", "offset")):
        if first[key]:
            raise ValueError(f"{what} contains {first[key]} NaN or infinite value(s)")
    if first["bad_label"]:
        raise ValueError(f"{family.rule}; {first['bad_label']} value(s) are not")
    if family == LOGISTIC and first["ones"] in (0, n):
        raise ValueError(f"y is all {int(first['ones'] > 0)}: there is no finite MLE")
    _check_some_counts(family, first["ones"] > 0)
    G = first["xtx"]
    norms = np.sqrt(np.diag(G))
    if np.any(norms == 0):
        raise ValueError(f"X is rank deficient: column {int(np.flatnonzero(norms == 0)[0])} is all zeros")
    Gs = G / np.outer(norms, norms)
    if np.linalg.eigvalsh(Gs)[0] <= max(n, p) * np.finfo(float).eps * p:
        raise rank_error_from_gram(Gs)
    if family == LOGISTIC:
        return GLMStart(np.zeros(p), 0.0)
    return GLMStart(
        np.linalg.lstsq(first["start_a"], first["start_b"], rcond=None)[0], first["log_factorial"]
    )


def _check_some_counts(family: Family, any_positive: bool) -> None:
    if family == POISSON and not any_positive:
        raise ValueError("y is all 0: the estimated rate is 0, on the boundary, so there is no finite MLE")


@dataclass(frozen=True)
class GLMPass:
    """One pass over ``rows``: ``(loglik, score, information, max |eta|)`` at ``beta``."""

    rows: object
    family: Family

    def __call__(self, beta: NDArray):
        s = self.rows.reduce(glm_stats, beta=beta, family=self.family)
        return s["loglik"], s["score"], s["info"], s["max_eta"]


def fit_glm(rows, family: Family, start: NDArray, max_iter: int = 100, tol: float = 1e-7):
    """Newton/IRLS from ``start``: beta, loglik (up to the constant), information, iterations,
    converged, largest |eta|."""
    return newton(GLMPass(rows, family), start, max_iter, tol)
