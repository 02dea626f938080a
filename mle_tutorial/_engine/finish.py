"""From an estimate to a :class:`~mle_tutorial.FitResult`: the one place that warns.

:func:`warn` points every warning at the first line outside the package (the caller's line),
however deep in the package it was raised: a frame walk, which works on every Python the
package supports (``warnings.warn(skip_file_prefixes=...)`` needs 3.12).
"""

from __future__ import annotations

import os
import sys
import warnings
from collections.abc import Callable, Sequence

import numpy as np
from numpy.typing import NDArray

from .result import ConvergenceWarning, FitResult, HessianWarning

#: The space of an unrestricted parameter (a coefficient) and of a positive one (a scale, degrees
#: of freedom), for :attr:`~mle_tutorial.FitResult.bounds`.
FREE = (-np.inf, np.inf)
POSITIVE = (0.0, np.inf)

_PACKAGE = os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep


def warn(message: str, category: type[Warning]) -> None:
    """``warnings.warn`` with the stack level of the first frame outside the package."""
    frame, level = sys._getframe(1), 2
    while frame is not None and os.path.abspath(frame.f_code.co_filename).startswith(_PACKAGE):
        frame, level = frame.f_back, level + 1
    warnings.warn(message, category, stacklevel=level)


def finish(
    *,
    params: NDArray,
    names: Sequence[str],
    loglik: float,
    nobs: int,
    converged: bool,
    n_iter: int,
    method: str,
    message: str,
    cov: tuple[NDArray, str | None],
    profile: Callable[[int, float], float] | None,
    beta: NDArray | None = None,
    sigma: float | None = None,
    failure: str | None = None,
    singular_first: bool = False,
    bounds: Sequence[tuple[float, float]] | None = None,
    scores: object | None = None,
    constraints: int = 0,
) -> FitResult:
    """The :class:`FitResult` of a fit, after its warnings.

    ``cov`` is ``(covariance, problem)`` from a route of
    :mod:`~mle_tutorial._engine.covariance`: a ``problem`` is given as a
    :class:`HessianWarning`. ``failure``, if not None, is given as a
    :class:`ConvergenceWarning` (before the HessianWarning, unless ``singular_first``).
    ``scores`` (from :mod:`~mle_tutorial._engine.scores`) gives the result its
    :meth:`~mle_tutorial.FitResult.robust` covariance.
    """
    covariance, problem = cov
    queued = [(failure, ConvergenceWarning), (problem, HessianWarning)]
    for text, category in reversed(queued) if singular_first else queued:
        if text is not None:
            warn(text, category)
    return FitResult(
        params=np.asarray(params, dtype=float),
        param_names=tuple(names),
        loglik=float(loglik),
        nobs=int(nobs),
        converged=bool(converged),
        n_iter=int(n_iter),
        method=method,
        message=message,
        beta=beta,
        sigma=sigma,
        cov=covariance,
        profile=profile,
        bounds=None if bounds is None else tuple((float(lo), float(hi)) for lo, hi in bounds),
        scores=scores,
        constraints=int(constraints),
    )
