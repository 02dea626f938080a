"""GLMs on a row source: checks and start (eager in memory, lazy over chunks), then Newton/IRLS
with one pass over the rows per trial point.

Both paths make the same checks with the same rules: the values (NaN, impossible outcomes, all
one class), the power-of-two column scales of :mod:`~mle_tutorial._engine.scale`, and the rank
(the scaled Gram matrix when it is well conditioned, else a pivoted QR: of X in memory, of the R
factor of a tall-skinny QR over chunks, never of X'X, whose condition number is squared).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from .checks import check_offset, check_rows, read_design
from .families import (
    LOGISTIC,
    POISSON,
    Family,
    glm_loglik,
    glm_stats,
    gram_stats,
    poisson_start_stats,
    screen_stats,
)
from .lazy import linalg
from .lstsq import check_full_rank, check_full_rank_over_chunks
from .optimize import newton
from .rows import DaskRows, InMemoryRows, as_rows, data_key, fingerprint_sum
from .scale import shifts


@dataclass(frozen=True)
class GLMData:
    """A GLM's rows (scaled, validated), the names a DataFrame gives its coefficients, and the
    fingerprint of its data."""

    rows: InMemoryRows | DaskRows
    columns: tuple[str, ...] | None
    key: str


def _cholesky_or_lstsq(A: NDArray, b: NDArray) -> NDArray:
    try:
        return linalg.cho_solve(linalg.cho_factor(A, check_finite=False), b)
    except np.linalg.LinAlgError:
        return np.linalg.lstsq(A, b, rcond=None)[0]


def _check_outcomes(family: Family, n: int, bad: int, first_bad: str, ones: int) -> None:
    if bad:
        raise ValueError(f"{family.rule}; {first_bad}")
    if family == LOGISTIC and ones in (0, n):
        label = int(ones > 0)
        raise ValueError(
            f"y is all {label}: the probability of a 1 is estimated as {label}, "
            "on the boundary, so there is no finite MLE"
        )
    if family == POISSON and ones == 0:
        raise ValueError("y is all 0: the estimated rate is 0, on the boundary, so there is no finite MLE")


def glm_data(X, y, offset, family: Family) -> GLMData:
    """The validated data of a GLM fit: Dask row chunks (checked in one lazy pass), or arrays in
    memory (whose checks name the first bad value)."""
    rows = as_rows(X, y, offset)
    if rows is None:
        design = read_design(X, y, offset, model=family.title)
        X, y = design.X, design.y
        bad = np.flatnonzero(family.invalid(y))
        first_bad = f"y[{bad[0]}] = {y[bad[0]]:g}" if bad.size else ""
        _check_outcomes(
            family, len(y), bad.size, first_bad, int(np.sum(y == 1) if family == LOGISTIC else np.sum(y > 0))
        )
        rows = InMemoryRows.scaled(X, y, check_offset(design.offset, X.shape[0]), scale_y=False)
        return GLMData(rows, design.columns, data_key(rows.n, fingerprint_sum(y)))
    check_rows(rows.n, rows.p, "")
    first = rows.screen(screen_stats, family=family)
    _check_outcomes(
        family, rows.n, first["bad_label"], f"{first['bad_label']} value(s) are not", first["ones"]
    )
    return GLMData(rows.shifted(shifts(first["max_x"])), None, data_key(rows.n, first["fingerprint"]))


def check_and_start(rows, family: Family) -> NDArray:
    """Check the rank and find the start: zeros for the logistic, one weighted least-squares step
    from mu = y + 0.1 for the Poisson (as R's glm starts)."""
    poisson = family == POISSON
    if rows.in_memory:
        check_full_rank(rows.X)
        if not poisson:
            return np.zeros(rows.p)
        s = poisson_start_stats(rows.X, rows.y, rows.offset)
    else:
        s = rows.reduce(gram_stats, poisson_start=poisson)
        check_full_rank_over_chunks(rows, s["xtx"])
        if not poisson:
            return np.zeros(rows.p)
    return _cholesky_or_lstsq(s["start_a"], s["start_b"])


@dataclass(frozen=True)
class GLMPass:
    """One pass over ``rows`` at ``beta``: the statistics of :func:`glm_stats`, with the cheaper
    Poisson log-likelihood (enough to compare points on Newton's path)."""

    rows: object
    family: Family

    def __call__(self, beta: NDArray) -> dict:
        return self.rows.reduce(glm_stats, beta=beta, family=self.family, exact=False)


def fit_glm(rows, family: Family, start: NDArray, max_iter: int = 100):
    """Newton/IRLS from ``start`` (see :func:`~mle_tutorial._engine.optimize.newton`)."""
    return newton(GLMPass(rows, family), start, max_iter)


def exact_loglik(rows, family: Family, fit) -> float:
    """The log-likelihood at the point Newton returned, every term exact: the Poisson's needs one
    more pass (Loader's form, :math:`-\\sum\\log y_i!` included), the logistic's is the pass's own."""
    if family == LOGISTIC:
        return fit.loglik
    return float(rows.reduce(glm_loglik, beta=fit.beta, family=family)["loglik"])
