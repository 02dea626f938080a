"""From an estimate to a :class:`~mle_tutorial.FitResult`: the one place that warns.

:func:`warn` points every warning at the first line outside the package (the caller's line),
however deep in the package it was raised: a frame walk, which works on every Python the
package supports (``warnings.warn(skip_file_prefixes=...)`` needs 3.12).
"""

from __future__ import annotations

import os
import re
import sys
import warnings
from collections.abc import Callable, Sequence

import numpy as np
from numpy.typing import NDArray

from .profiles import ScaledProfile
from .result import ConvergenceWarning, ExactFitWarning, FitResult, HessianWarning
from .scale import Unscale, unshift, unshift_cov
from .scores import ScaledScores

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


def sentence(text: str) -> str:
    """``text`` with no doubled full stop: messages are built from parts, an optimizer's message
    among them, that may or may not end in one."""
    return re.sub(r"(?<!\.)\.\.(?=\s|$)", ".", text.rstrip())


def exact_fit_message(by: str) -> str:
    """The :class:`ExactFitWarning` of a model that fits y exactly. It does not print sigma-hat:
    at the rounding level its value is noise, different on every machine."""
    return (
        f"y is fitted exactly by {by} (the residuals are at the rounding level of y): sigma-hat is 0 "
        "and the likelihood is unbounded (loglik = inf), so sigma has no MLE and the standard errors "
        "are NaN; the coefficients are the exact solution."
    )


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
    unscale: Unscale | None = None,
    exact_fit: str | None = None,
    model: str | None = None,
    data_key: str | None = None,
) -> FitResult:
    """The :class:`FitResult` of a fit, after its warnings.

    ``cov`` is ``(covariance, problem)`` from a route of
    :mod:`~mle_tutorial._engine.covariance`: a ``problem`` is given as a
    :class:`HessianWarning`. ``failure``, if not None, is given as a
    :class:`ConvergenceWarning` (before the HessianWarning, unless ``singular_first``).
    ``scores`` (from :mod:`~mle_tutorial._engine.scores`) gives the result its
    :meth:`~mle_tutorial.FitResult.robust` covariance.
    :class:`ConvergenceWarning` (before the HessianWarning, unless ``singular_first``), and
    ``exact_fit`` as an :class:`ExactFitWarning` (the standard errors are then NaN).

    ``params``, ``beta``, ``sigma``, ``loglik``, ``cov`` and ``profile`` may be those of a fit to
    data scaled by powers of two; ``unscale`` maps them back (exactly: see
    :mod:`~mle_tutorial._engine.scale`), and the standard errors are scaled from those of the
    scaled fit, so that they are finite wherever they are representable.
    """
    covariance, problem = cov
    if exact_fit is not None:
        covariance, problem = np.full_like(covariance, np.nan), None
    queued = [(failure, ConvergenceWarning), (problem, HessianWarning)]
    for text, category in [*(reversed(queued) if singular_first else queued), (exact_fit, ExactFitWarning)]:
        if text is not None:
            warn(sentence(text), category)
    params = np.asarray(params, dtype=float)
    with np.errstate(invalid="ignore"):
        stderr = np.sqrt(np.diag(covariance))
    if unscale is not None and not unscale.identity:
        scaled_cov = covariance  # the bread of a sandwich (robust()), before it can under/overflow
        e = np.asarray(unscale.exponents)
        params, stderr, covariance = unshift(params, e), unshift(stderr, e), unshift_cov(covariance, e)
        loglik = loglik + unscale.loglik_shift
        p = 0 if beta is None else len(beta)
        beta = None if beta is None else unshift(beta, e[:p])
        sigma = None if sigma is None else float(unshift(sigma, e[p]))
        profile = None if profile is None else ScaledProfile(profile, unscale.exponents, unscale.loglik_shift)
        scores = None if scores is None else ScaledScores(scores, tuple(unscale.exponents), scaled_cov)
    return FitResult(
        params=params,
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
        stderr=stderr,
        model=model,
        data_key=data_key,
    )
