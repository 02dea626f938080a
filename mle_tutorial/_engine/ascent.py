r"""Newton's method for a log-likelihood that need not be concave everywhere, one pass per point.

:func:`~mle_tutorial._engine.optimize.newton` assumes a concave log-likelihood (a GLM's): its
information is positive definite wherever it goes. A location-scale model in
:math:`(\beta, \log\sigma)` (the censored and truncated regressions) is concave near its maximum
but not necessarily far from it, so :func:`ascend` takes the Newton step where the information is
positive definite and, where it is not, the step of the information with its eigenvalues made
positive (each :math:`\lambda_j` replaced by :math:`\max(|\lambda_j|, \epsilon\max_k|\lambda_k|)`):
an ascent direction that is the Newton step wherever the curvature has the right sign, with step
halving until the log-likelihood rises. It stops as :func:`~mle_tutorial._engine.optimize.newton`
does (a Newton decrement at most ``tol``, or at the rounding level of the score), but only at a
point whose information is positive definite, after the polish every fitter with an analytic
Hessian gets (Newton steps while one would move a parameter by :data:`POLISH_SIZE` or more,
relative, see :func:`~mle_tutorial._engine.optimize.polish`), and reports the statistics computed
*there*.

``pass_fn(theta)`` computes the log-likelihood, its score and the information (minus the Hessian)
at ``theta`` in one pass over the data: the value, the gradient and the Hessian share every
special-function call, and a full Newton step (the common case) costs exactly one pass.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from numpy.typing import NDArray

from .optimize import (
    DECREMENT_TOL,
    FULL_STEP_DECREMENT,
    LINEAR_TAIL,
    POLISH_SIZE,
    POLISH_STEPS,
    STALL_RATIO,
    NewtonResult,
    StartNotFinite,
    solve_positive,
)

#: The smallest eigenvalue, relative to the largest, that the modified step keeps.
EIGEN_FLOOR = 1e-8


def ascent_step(info: NDArray, score: NDArray) -> tuple[NDArray, bool]:
    """The Newton step :math:`I^{-1}s` and True where ``info`` is positive definite; else the step
    of ``info`` with its eigenvalues made positive (scaled by powers of two first, as
    :func:`~mle_tutorial._engine.optimize.solve_positive` does) and False."""
    try:
        step = solve_positive(info, score)
        if np.all(np.isfinite(step)):
            return step, True
    except (np.linalg.LinAlgError, ValueError):
        pass
    d = np.sqrt(np.abs(np.diag(info)))
    d = np.where((d > 0) & np.isfinite(d), d, 1.0)
    s = np.exp2(np.round(np.log2(d)))
    scaled = info / np.outer(s, s)
    if not np.all(np.isfinite(scaled)):
        return np.full_like(score, np.nan), False
    values, vectors = np.linalg.eigh(scaled)
    top = float(np.max(np.abs(values), initial=0.0))
    if top == 0.0:
        return score / (s * s), False
    values = np.maximum(np.abs(values), EIGEN_FLOOR * top)
    return (vectors @ ((vectors.T @ (score / s)) / values)) / s, False


def ascend(pass_fn: Callable[[NDArray], dict], theta: NDArray, max_iter: int = 100,
           tol: float = DECREMENT_TOL) -> NewtonResult:  # fmt: skip
    """Maximize a log-likelihood by (modified) Newton steps with step halving, one ``pass_fn`` per
    trial point (see the module docstring). ``converged`` means the Newton decrement fell to
    ``tol`` (or to the rounding level) at a point whose information is positive definite;
    ``diverging`` that the last steps fell by a constant factor, as they do where the maximum is
    at infinity."""
    stats = pass_fn(theta)
    if not np.isfinite(stats["loglik"]):
        raise StartNotFinite("the log-likelihood is not finite at the start")
    previous, full, tail, decrement, polished = np.inf, False, 0, np.inf, 0
    for it in range(max_iter + 1):
        step, definite = ascent_step(stats["info"], stats["score"])
        if not np.all(np.isfinite(step)):
            return NewtonResult(theta, stats, it, False, decrement, tail >= LINEAR_TAIL)
        decrement = float(stats["score"] @ step)
        # a tail: full steps whose decrements fall, each by less than a factor of 10 (as where the
        # maximum is at infinity); not decrements at the rounding level, which rise and fall at random,
        # and not the polish's, which are rounding noise
        if not polished:
            tail = tail + 1 if definite and full and 0.1 * previous < decrement < min(0.1, previous) else 0
        stalled = (
            definite and full and decrement <= FULL_STEP_DECREMENT and decrement > STALL_RATIO * previous
        )
        if definite and (decrement <= tol or stalled):
            # converged: polish, as every fitter with an analytic Hessian does (optimize.polish),
            # so that where the loop stopped does not decide the last digits
            size = float(np.max(np.abs(step) / np.maximum(1.0, np.abs(theta)), initial=0.0))
            if polished < POLISH_STEPS and size >= POLISH_SIZE and it < max_iter:
                new = pass_fn(theta + step)
                ll = stats["loglik"]
                if np.isfinite(new["loglik"]) and (
                    new["loglik"] >= ll - 4 * np.finfo(float).eps * abs(ll)
                    or decrement <= FULL_STEP_DECREMENT
                ):
                    polished += 1
                    previous, full = decrement, True
                    theta, stats = theta + step, new
                    continue
            return NewtonResult(theta, stats, it, True, decrement, tail >= LINEAR_TAIL)
        if it == max_iter:
            break
        ll = stats["loglik"]
        small = definite and decrement <= FULL_STEP_DECREMENT
        t = 1.0
        for _ in range(60):
            candidate = theta + t * step
            new = pass_fn(candidate)
            if np.isfinite(new["loglik"]) and (small or new["loglik"] >= ll - 1e-12 * abs(ll)):
                break
            t *= 0.5
        else:
            return NewtonResult(theta, stats, it, False, decrement, tail >= LINEAR_TAIL)
        previous, full = decrement, t == 1.0 and definite
        theta, stats = candidate, new
    return NewtonResult(theta, stats, max_iter, False, decrement, tail >= LINEAR_TAIL)
