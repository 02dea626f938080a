r"""Profile-likelihood intervals by root finding, for :meth:`FitResult.conf_int` and
:func:`~mle_tutorial.profile_interval` alike."""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import NDArray

from . import lazy
from .checks import as_float_array


def check_level(level: float | None, *, alpha: float | None = None) -> float:
    """A confidence level in [0.5, 1), or ``1 - alpha`` (statsmodels' way of asking: ``alpha=0.05``
    is a 95% interval). A level below 0.5 is refused: it is almost always an ``alpha`` passed as
    ``level`` (``conf_int(0.05)`` asks for a 5% interval)."""
    if alpha is not None:
        if level is not None:
            raise ValueError(f"give level or alpha, not both (got level={level!r} and alpha={alpha!r})")
        alpha = float(as_float_array(alpha, "alpha", ndim=0))
        if not 0.0 < alpha <= 0.5:
            raise ValueError(
                f"alpha must be between 0 and 0.5 (alpha=0.05 asks for a 95% interval), got {alpha}"
            )
        return 1.0 - alpha
    level = float(as_float_array(0.95 if level is None else level, "level", ndim=0))
    if not 0.0 < level < 1.0:
        raise ValueError(f"level must be between 0 and 1 (exclusive), got {level}")
    if level < 0.5:
        raise ValueError(
            f"level={level:g} asks for a {100 * level:g}% interval: level is the coverage, so 0.95 "
            f"means a 95% interval; for statsmodels' alpha={level:g} pass alpha={level:g} (or "
            f"level={1 - level:g})"
        )
    return level


def param_index(fit, param: int | str) -> int:
    """The index of ``param`` (a name or an index, negative allowed) in ``fit.params``."""
    if isinstance(param, str):
        if param not in fit.param_names:
            raise ValueError(f"param {param!r} is not one of {fit.param_names}")
        return fit.param_names.index(param)
    k = len(fit.params)
    if isinstance(param, bool) or not isinstance(param, (int, np.integer)) or not -k <= param < k:
        raise ValueError(f"param must be a name or an index from 0 to {k - 1}, got {param!r}")
    return int(param) % k


def profile_of(fit):
    """The fit's profile, or a ValueError if its fitter gave none."""
    if fit.profile is None:
        raise ValueError("fit has no profile function (this fitter does not provide one)")
    return fit.profile


def check_model_based(fit) -> None:
    """Profile intervals assume the model is right: refuse them on a robust result."""
    if getattr(fit, "cov_type", "model") != "model":
        raise ValueError(
            f"fit has a {fit.cov_type} covariance, but a profile interval is likelihood-based and "
            "assumes the model is right; use conf_int() (Wald, with the robust standard errors), "
            "the model-based fit's profile, or bootstrap"
        )


def profile_interval(fit, param: int | str, level: float) -> NDArray[np.float64]:
    """The ends of :math:`\\{v : 2(\\hat\\ell - \\ell_p(v)) \\le \\chi^2_1(\\text{level})\\}`, found by
    Brent's method after bracketing outward from the estimate (see
    :func:`~mle_tutorial.profile_interval`)."""
    check_model_based(fit)
    j = param_index(fit, param)
    level = check_level(level)
    est = float(fit.params[j])
    if fit.loglik == np.inf:  # an exact fit: the likelihood is infinite at the estimate only
        return np.array([est, est])
    profile = profile_of(fit)
    crit = lazy.stats().chi2.ppf(level, 1)
    top = profile(j, est)
    if top > fit.loglik + 1e-7 * max(1.0, abs(fit.loglik)):
        raise ValueError(
            f"fit is not at the maximum of the likelihood ({fit.param_names[j]} can be improved: "
            f"profile log-likelihood {top:.6g} > fit.loglik {fit.loglik:.6g}); did the fit converge?"
        )

    def excess(v: float) -> float:
        return 2.0 * (fit.loglik - profile(j, v)) - crit

    se = fit.stderr[j]
    step = se if np.isfinite(se) and se > 0 else max(abs(est), 1.0) * 0.1
    ends = []
    for direction in (-1.0, 1.0):
        end = math.inf * direction
        inner = est
        toward_zero = False  # set once a step lands on an impossible value (sigma <= 0, nu <= 0, ...)
        for grow in range(200):
            outer = inner / 2.0 if toward_zero else est + direction * step * 2.0**grow
            value = excess(outer)
            if not np.isfinite(value):
                if direction < 0 and est > 0 and not toward_zero:
                    toward_zero = True  # a positive parameter: approach 0 geometrically instead
                    continue
                break
            if value > 0:
                lo, hi = min(inner, outer), max(inner, outer)
                end = lazy.optimize().brentq(excess, lo, hi, xtol=1e-14 * max(1.0, abs(est)), rtol=1e-15)
                break
            inner = outer
        ends.append(end)
    return np.array(ends)
