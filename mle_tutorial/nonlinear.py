r"""Normal errors around any mean function: nonlinear least squares as maximum likelihood.

For :math:`y_i = f(x_i; \beta) + \varepsilon_i`, :math:`\varepsilon_i \sim N(0, \sigma^2)`, the
log-likelihood is

.. math:: \ell(\beta, \sigma) = -\frac n2\log(2\pi\sigma^2) - \frac{S(\beta)}{2\sigma^2},
          \qquad S(\beta) = \sum_i \bigl(y_i - f(x_i; \beta)\bigr)^2 .

For any :math:`\sigma` it is largest where the residual sum of squares :math:`S` is smallest,
so :math:`\hat\beta` is the nonlinear least-squares estimate and
:math:`\hat\sigma = \sqrt{S(\hat\beta)/n}`. :func:`fit_nonlinear` therefore does not hand
:math:`-\ell` to a general quasi-Newton minimizer (which, from a poor start, often stops far
from the answer on the hard NIST problems) but minimizes :math:`S` with methods built for sums of
squares: Levenberg–Marquardt and trust-region reflective steps
(:func:`scipy.optimize.least_squares`), which use the Jacobian :math:`J = \partial f/\partial\beta`
to build a Gauss–Newton model of :math:`S` at every step.

How the answer is made reliable (each choice was measured on the NIST StRD nonlinear problems,
see ``tests/test_nonlinear.py``):

* **Accurate derivatives.** Your analytic ``jac`` if you give one; otherwise central differences
  with two Richardson extrapolations (error :math:`O(h^6)`), column by column, with steps
  relative to :math:`|\beta_j|` (so parameters of size :math:`10^{-4}` and :math:`10^{4}` are
  both differenced well). From NIST's starts this gave 8 to 11 correct digits where SciPy's
  default forward differences gave about 7, and steps relative to :math:`\max(1, |\beta_j|)`
  only 4.6 on Misra1a (whose :math:`\beta_2 \approx 5.5\times 10^{-4}`).
* **Two methods, the better kept.** Levenberg–Marquardt (``"lm"``, MINPACK) and the
  trust-region reflective method (``"trf"``) are both run from ``start``, with parameter
  scaling from the Jacobian (``x_scale="jac"``) and tolerances of :math:`10^{-15}`; the run
  with the smaller :math:`S` wins. Neither is best everywhere: from NIST's first start
  ``"lm"`` stops on BoxBOD's plateau (:math:`\beta_2 \approx 111`, where
  :math:`e^{-\beta_2 x} \approx 0` and the gradient vanishes) and drifts towards MGH09's
  minimum at infinity, while ``"trf"`` solves both; on Thurber and Misra1a ``"lm"`` is the
  more accurate.
* **Restarts from the answer.** Both methods are run again from the best point until :math:`S`
  stops decreasing (at most three rounds): a restart resets the damping or trust radius, which
  can have shrunk on the way in.
* **Gauss–Newton polish.** Full Gauss–Newton steps (solved by SVD of :math:`J`, never by
  forming :math:`J^\top J`) are taken while the next step keeps shrinking and :math:`S` does not
  rise by more than its rounding error (at most six). Near the minimum they converge fast and
  recover the last digits (Lanczos3 from start 1: 6.8 correct digits before, 8.8 after), where
  :math:`S` itself is too flat to tell better from worse.
* **A convergence check that does not take the optimizer's word for it.** At
  :math:`\hat\beta`: the relative offset of Bates and Watts (1981),
  :math:`\sqrt{\lVert Q_1^\top r\rVert^2/p} \big/ \sqrt{\lVert Q_2^\top r\rVert^2/(n-p)}`, where
  :math:`J = Q_1 R` and :math:`Q_2` completes it (the size of the gradient :math:`J^\top r` on the
  scale of the residual noise), and the next Gauss–Newton step, relative to
  :math:`\max(|\hat\beta_j|, \mathrm{se}_j)`, must both be at most
  :data:`~mle_tutorial.general.OPTIMALITY_TOL`. Otherwise a :class:`ConvergenceWarning` and
  ``converged=False``.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence

import numpy as np
import scipy.linalg
import scipy.optimize
from numpy.typing import ArrayLike, NDArray

from ._validate import as_float_array
from .fit import _sigma_profile
from .general import OPTIMALITY_TOL
from .result import ConvergenceWarning, FitResult, HessianWarning

_EPS = np.finfo(float).eps
#: What a residual function returns at a point where the model is not finite, for MINPACK's
#: Levenberg-Marquardt (which cannot handle NaN): a huge residual, so the step is rejected.
_HUGE = 1e100
_MAX_ROUNDS = 3  # restarts from the best point
_MAX_POLISH = 6  # Gauss-Newton polishing steps
#: The coefficients count as not identified where the column-scaled Jacobian's smallest singular
#: value is below this fraction of its largest. A numerical Jacobian is accurate to about 1e-10
#: (relative), so an exactly rank-deficient model shows ratios near 1e-13 whatever the rounding,
#: while NIST's hardest identified problems (Lanczos3, MGH10) show 1e-4: a threshold of sqrt(eps)
#: is far from both, so which warning a fit gives does not depend on the machine's last bits.
_RANK_TOL = float(np.sqrt(_EPS))


def _max_loglik(n: int, rss: float) -> float:
    return float(-0.5 * n * (np.log(2.0 * np.pi * rss / n) + 1.0))


def _numerical_jacobian(f: Callable[[NDArray], NDArray], b: NDArray, floor: NDArray) -> NDArray:
    r"""Jacobian of ``f`` at ``b`` by central differences with two Richardson extrapolations.

    Column ``j`` uses steps ``h, h/2, h/4`` with ``h = eps**(1/5) * max(|b_j|, floor_j)``:
    relative to the parameter itself, so that tiny and huge parameters are differenced
    equally well. Central differences :math:`D(h)` have error :math:`c_2h^2 + c_4h^4 + \dots`;
    :math:`(4D(h/2) - D(h))/3` cancels the :math:`h^2` term and a second extrapolation (weights
    16 and 1, over 15) the :math:`h^4` term, leaving :math:`O(h^6)`. Where the model is not
    finite at a trial point, the column falls back to a central difference with the smallest
    step, then to a one-sided difference.
    """
    f0 = f(b)
    J = np.empty((f0.size, b.size))
    for j in range(b.size):
        h = _EPS ** (1 / 5) * max(abs(b[j]), floor[j])
        central = []
        for step in (h, h / 2, h / 4):
            plus, minus = b.copy(), b.copy()
            plus[j] += step
            minus[j] -= step
            f_plus, f_minus = f(plus), f(minus)
            central.append((f_plus - f_minus) / (2 * step))
        r1 = [(4 * central[1] - central[0]) / 3, (4 * central[2] - central[1]) / 3]
        column = (16 * r1[1] - r1[0]) / 15
        if not np.all(np.isfinite(column)):
            column = central[2]
        if not np.all(np.isfinite(column)):
            column = (f_plus - f0) / step
        if not np.all(np.isfinite(column)):
            column = (f0 - f_minus) / step
        J[:, j] = np.where(np.isfinite(column), column, 0.0)
    return J


def _svd_of_scaled(J: NDArray) -> tuple[NDArray, NDArray, NDArray, NDArray]:
    """SVD of ``J`` with its columns scaled to unit length: ``J = U diag(s) V^T D``."""
    d = np.sqrt(np.sum(J * J, axis=0))
    d = np.where(d > 0, d, 1.0)
    U, s, Vt = scipy.linalg.svd(J / d, full_matrices=False, lapack_driver="gesvd")
    return U, s, Vt, d


def _rank_ok(s: NDArray) -> bool:
    return bool(s.size and s[-1] > _RANK_TOL * s[0])


def _gauss_newton_step(J: NDArray, r: NDArray, rtol: float | None = None) -> NDArray:
    """Minimum-norm least-squares solution of ``J @ step = r`` (r = y - f), by SVD, ignoring
    singular values below ``rtol`` times the largest (default: the rounding level)."""
    U, s, Vt, d = _svd_of_scaled(J)
    rtol = max(J.shape) * _EPS if rtol is None else rtol
    keep = s > rtol * (s[0] if s.size else 0.0)
    coef = (U[:, keep].T @ r) / s[keep]
    return (Vt[keep].T @ coef) / d


def fit_nonlinear(
    model: Callable[[ArrayLike, NDArray], ArrayLike],
    x: ArrayLike,
    y: ArrayLike,
    start: ArrayLike,
    *,
    jac: Callable[[ArrayLike, NDArray], ArrayLike] | None = None,
    names: Sequence[str] | None = None,
    max_nfev: int | None = None,
) -> FitResult:
    r"""Maximum likelihood fit of :math:`y_i = f(x_i; \beta) + \varepsilon_i` with normal errors.

    .. math:: \hat\beta = \arg\min_\beta \sum_i \bigl(y_i - f(x_i;\beta)\bigr)^2, \qquad
              \hat\sigma^2 = \frac{S(\hat\beta)}{n}, \qquad
              \hat\ell = -\frac n2\bigl(\log(2\pi\hat\sigma^2) + 1\bigr),

    .. math:: \widehat{\mathrm{cov}}(\hat\beta) = \hat\sigma^2 (J^\top J)^{-1}, \qquad
              \widehat{\mathrm{var}}(\hat\sigma) = \frac{\hat\sigma^2}{2n},

    with :math:`J = \partial f/\partial\beta` at :math:`\hat\beta`. This covariance is the
    inverse of the **expected** Fisher information at the estimate (the observed information
    adds a term :math:`-\sum_i r_i \nabla^2 f_i/\sigma^2` that has expectation zero); it is
    the covariance that nonlinear regression software reports, except that those use
    :math:`S/(n-p)` for :math:`\sigma^2` where this uses the MLE :math:`S/n`.
    :math:`(J^\top J)^{-1}` is computed from an SVD of :math:`J`, never by forming
    :math:`J^\top J`. See the module docstring for how :math:`\hat\beta` is found and checked.

    Parameters
    ----------
    model : callable
        ``model(x, beta) -> array (n,)``, the mean of ``y`` (same argument order as
        :func:`~mle_tutorial.predict`).
    x : array_like
        Predictor(s), in whatever shape ``model`` understands (1-D or 2-D); numeric and finite.
    y : array_like, shape (n,)
        Response.
    start : array_like, shape (p,)
        Starting ``beta`` (σ is not needed: it is estimated in closed form).
    jac : callable, optional
        ``jac(x, beta) -> array (n, p)``, the analytic :math:`\partial f/\partial\beta`. Without
        it, Richardson-extrapolated central differences are used.
    names : sequence of str, optional
        A name for each ``beta``; default ``beta[0]``, ``beta[1]``, ... ``"sigma"`` is appended.
    max_nfev : int, optional
        Most model evaluations for each run of :func:`scipy.optimize.least_squares`
        (default ``1000 * p``; numerical Jacobians are not counted).

    Returns
    -------
    FitResult
        ``params = [beta..., sigma]``, ``beta``, ``sigma``, ``loglik``, ``cov``, ``converged``,
        ``n_iter`` (Jacobian evaluations, summed over runs), ``method`` (the winning
        ``least_squares`` method), and a ``profile`` that re-minimizes :math:`S` over the
        other coefficients, so ``conf_int(method="profile")`` works.

    Raises
    ------
    ValueError
        Bad ``x``, ``y`` or ``start`` (non-numeric, NaN or inf, wrong shape), ``model`` or
        ``jac`` returning the wrong shape or non-finite values at ``start``, ``n <= p``, bad
        ``names`` or ``max_nfev``, or an exact fit (σ̂ = 0: no MLE).

    Warns
    -----
    ConvergenceWarning
        If no run converged, or the answer fails the check above; ``converged=False``.
    HessianWarning
        If :math:`J` is rank-deficient at the estimate (standard errors NaN).

    Examples
    --------
    NIST's Misra1a (a monomolecular adsorption curve):

    >>> import numpy as np
    >>> x = np.array([77.6, 114.9, 141.1, 190.8, 239.9, 289.0, 332.8,
    ...               378.4, 434.8, 477.3, 536.8, 593.1, 689.1, 760.0])
    >>> y = np.array([10.07, 14.73, 17.94, 23.93, 29.61, 35.18, 40.02,
    ...               44.82, 50.76, 55.05, 61.01, 66.40, 75.47, 81.78])
    >>> def mean(x, b):
    ...     return b[0] * (1 - np.exp(-b[1] * x))
    >>> fit = fit_nonlinear(mean, x, y, [500.0, 1e-4])
    >>> fit.beta  # NIST certified: 2.3894212918E+02, 5.5015643181E-04
    array([2.38942129e+02, 5.50156432e-04])
    >>> round(fit.sigma**2 * 14, 10)  # residual sum of squares, certified 1.2455138894E-01
    0.1245513889
    """
    if not callable(model):
        raise ValueError(f"model must be a function model(x, beta), got {type(model).__name__}")
    if jac is not None and not callable(jac):
        raise ValueError(f"jac must be a function jac(x, beta) or None, got {type(jac).__name__}")
    x = as_float_array(x, "x")
    y = as_float_array(y, "y", ndim=1)
    start = as_float_array(start, "start", ndim=1)
    n, p = y.shape[0], start.shape[0]
    if n <= p:
        raise ValueError(
            f"y has {n} values but the model has {p + 1} parameters ({p} coefficients and sigma); "
            "it needs more observations than coefficients"
        )
    if names is None:
        names = tuple(f"beta[{j}]" for j in range(p))
    names = tuple(str(name) for name in names)
    if len(names) != p:
        raise ValueError(f"names has {len(names)} entries but start has {p}")
    if len(set(names)) != p or "sigma" in names:
        raise ValueError(f"names must be distinct and not 'sigma', got {names}")
    if max_nfev is None:
        max_nfev = 1000 * p
    elif isinstance(max_nfev, bool) or not isinstance(max_nfev, (int, np.integer)) or max_nfev < 1:
        raise ValueError(f"max_nfev must be a positive integer, got {max_nfev!r}")

    def mean(beta: NDArray) -> NDArray:
        return np.asarray(model(x, beta), dtype=float).reshape(-1)

    _check_output(model, x, start, n, "model", (n,))
    if jac is not None:
        _check_output(jac, x, start, n, "jac", (n, p))
    floor = np.where(start != 0, np.abs(start), 1.0) * np.sqrt(_EPS)

    def mean_jacobian(beta: NDArray) -> NDArray:
        if jac is not None:
            return np.asarray(jac(x, beta), dtype=float).reshape(n, p)
        return _numerical_jacobian(mean, beta, floor)

    best, n_iter, method, message, converged = _minimize(mean, mean_jacobian, y, start, max_nfev)
    beta = best
    beta, polished = _polish(mean, mean_jacobian, y, beta)
    r = y - mean(beta)
    rss = float(np.sum(r * r))
    rounding = 8 * _EPS * max(float(np.max(np.abs(y))), float(np.max(np.abs(y - r))))
    if not np.sqrt(rss / n) > rounding:
        raise ValueError(
            f"y is fitted exactly by the model (sigma-hat = {np.sqrt(rss / n):.1e} is at the rounding "
            "level of y): the likelihood is unbounded as sigma -> 0, so there is no MLE"
        )
    sigma = float(np.sqrt(rss / n))
    J = mean_jacobian(beta)
    _, s, Vt, d = _svd_of_scaled(J)
    cov = np.full((p + 1, p + 1), np.nan)
    if _rank_ok(s):
        W = Vt.T / s
        cov = np.zeros((p + 1, p + 1))
        cov[:p, :p] = sigma**2 * ((W @ W.T) / d) / d[:, None]
        cov[p, p] = sigma**2 / (2.0 * n)
    else:
        warnings.warn(
            "The Jacobian of the model is rank-deficient at the estimate, so the coefficients are "
            "not identified there: standard errors are NaN. Check the model's parameterization.",
            HessianWarning,
            stacklevel=2,
        )
    offset, step = _optimality(J, r, beta, cov)
    message += f"; {polished} Gauss-Newton polishing step(s); relative offset {offset:.1e}"
    if converged and not (offset <= OPTIMALITY_TOL and step <= OPTIMALITY_TOL):
        converged = False
        message += (
            f". But it is not a minimum of the sum of squares: relative offset {offset:.1e} and "
            f"Gauss-Newton step {step:.1e} (relative) must both be at most {OPTIMALITY_TOL:.0e}."
        )
    if not converged:
        warnings.warn(
            f"fit_nonlinear did not converge: {message}. Try a better start, a larger max_nfev, "
            "or an analytic jac.",
            ConvergenceWarning,
            stacklevel=2,
        )
    return FitResult(
        params=np.append(beta, sigma),
        param_names=(*names, "sigma"),
        loglik=_max_loglik(n, rss),
        nobs=n,
        converged=converged,
        n_iter=n_iter,
        method=f"least_squares ({method})",
        message=message,
        beta=beta,
        sigma=sigma,
        cov=cov,
        profile=_nonlinear_profile(mean, mean_jacobian, y, beta, rss, max_nfev),
    )


def _check_output(function: Callable, x: NDArray, start: NDArray, n: int, name: str, shape: tuple) -> None:
    """Call ``function(x, start)`` once and insist on a finite float array of ``shape``."""
    try:
        value = function(x, start)
    except (IndexError, TypeError, ValueError) as exc:
        raise ValueError(
            f"{name}(x, start) failed with {type(exc).__name__}: {exc}. Is start the right length "
            f"(it has {start.size} values) and x in the form {name} expects?"
        ) from exc
    try:
        value = np.asarray(value)
    except Exception as exc:
        raise ValueError(f"{name}(x, start) could not be read as an array: {exc}") from exc
    if value.dtype == object or value.dtype.kind not in "biuf":
        raise ValueError(f"{name}(x, start) must return numbers, got an array of dtype {value.dtype}")
    if value.shape != shape and not (len(shape) == 1 and value.size == n and value.ndim <= 2):
        what = "y has" if name == "model" else "(n, p) is"
        raise ValueError(f"{name}(x, start) returned shape {value.shape}, but {what} {shape}")
    bad = int(value.size - np.count_nonzero(np.isfinite(value)))
    if bad:
        raise ValueError(
            f"{name}(x, start) returned {bad} NaN or infinite value(s); "
            "choose a start where the model is finite"
        )


def _least_squares(residual, jacobian, beta0, method, max_nfev):
    if method == "lm":

        def fun(b):
            value = residual(b)
            return value if np.all(np.isfinite(value)) else np.full(value.shape, _HUGE)

    else:
        fun = residual
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # overflow at trial points far away
        return scipy.optimize.least_squares(
            fun,
            beta0,
            jac=jacobian,
            method=method,
            x_scale="jac",
            ftol=1e-15,
            xtol=1e-15,
            gtol=1e-15,
            max_nfev=max_nfev,
        )


def _minimize(mean, mean_jacobian, y, start, max_nfev):
    """Both methods from the start, then restarts from the best point while the RSS drops."""

    def residual(b):
        return mean(b) - y

    best_x, best_rss, best_method, best_message = start, np.inf, "lm", ""
    n_iter, any_converged = 0, False
    beta0 = start
    for _ in range(_MAX_ROUNDS + 1):
        improved = False
        for method in ("lm", "trf"):
            try:
                res = _least_squares(residual, mean_jacobian, beta0, method, max_nfev)
            except (ValueError, np.linalg.LinAlgError):  # e.g. MINPACK on a non-finite Jacobian
                continue
            n_iter += int(res.njev or 0)
            rss = float(np.sum(res.fun * res.fun))
            if not (np.all(np.isfinite(res.x)) and np.isfinite(rss)):
                continue
            ok = bool(res.status > 0)
            if rss < best_rss:
                improved = improved or rss < best_rss * (1 - 1e-14)
                best_x, best_rss, best_method, best_message = res.x, rss, method, str(res.message)
                any_converged = any_converged or ok
        if not improved:
            break
        beta0 = best_x
    return np.array(best_x, dtype=float), n_iter, best_method, best_message, any_converged


def _polish(mean, mean_jacobian, y, beta):
    """Full Gauss-Newton steps while they shrink, and do not raise the RSS beyond its rounding error.

    Near the minimum the RSS changes by less than its own rounding error (Lanczos3: relative
    changes of 1e-12), so it cannot tell a better point from a worse one; the length of the next
    Gauss-Newton step (scaled by the columns of the Jacobian) can, and it shrinks fast while
    the iteration converges.
    """
    r = y - mean(beta)
    rss = float(np.sum(r * r))
    J = mean_jacobian(beta)
    step = _gauss_newton_step(J, r)
    size = float(np.linalg.norm(step * np.sqrt(np.sum(J * J, axis=0))))
    taken = 0
    for _ in range(_MAX_POLISH):
        if not size > 0:
            break
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            trial = beta + step
            mu = mean(trial)
            r_trial = y - mu
        rss_trial = float(np.sum(r_trial * r_trial))
        rounding = 16 * _EPS * float(np.sum(np.abs(r_trial) * (np.abs(y) + np.abs(mu))))
        if not rss_trial <= rss + rounding:
            break
        J_trial = mean_jacobian(trial)
        step_trial = _gauss_newton_step(J_trial, r_trial)
        size_trial = float(np.linalg.norm(step_trial * np.sqrt(np.sum(J_trial * J_trial, axis=0))))
        if not size_trial < size:
            break
        beta, r, rss, step, size = trial, r_trial, min(rss, rss_trial), step_trial, size_trial
        taken += 1
    return beta, taken


def _optimality(J, r, beta, cov) -> tuple[float, float]:
    """Relative offset (Bates and Watts) and the largest relative Gauss-Newton step, both within
    the identified directions (singular values of the scaled Jacobian above ``_RANK_TOL``)."""
    n, p = J.shape
    U, s, _, _ = _svd_of_scaled(J)
    keep = s > _RANK_TOL * s[0]
    q1r = float(np.sum((U[:, keep].T @ r) ** 2))
    q2r = max(float(np.sum(r * r)) - q1r, 0.0)
    offset = np.sqrt(q1r / p) / np.sqrt(q2r / (n - p)) if q2r > 0 else np.inf
    step = _gauss_newton_step(J, r, _RANK_TOL)
    se = np.sqrt(np.diag(cov))[:p]
    size = np.maximum(np.abs(beta), np.where(np.isfinite(se), se, 0.0))
    size = np.where(size > 0, size, 1.0)
    return float(offset), float(np.max(np.abs(step) / size))


def _nonlinear_profile(mean, mean_jacobian, y, beta_hat, rss_hat, max_nfev):
    """Profile log-likelihood: re-minimize the RSS over the other coefficients, always starting from
    the estimate (a nonlinear RSS can have other local minima: a warm start from a previous, distant
    value could carry a bad one into every later evaluation)."""
    n, p = y.shape[0], beta_hat.shape[0]

    def profile(j: int, value: float) -> float:
        if j == p:  # sigma: beta-hat does not depend on sigma
            return _sigma_profile(n, rss_hat, value)
        others = np.delete(np.arange(p), j)

        def full(free):
            b = beta_hat.copy()
            b[others] = free
            b[j] = value
            return b

        if others.size == 0:
            r = y - mean(full(np.empty(0)))
            rss = float(np.sum(r * r))
        else:
            x0 = beta_hat[others]
            res = _least_squares(
                lambda free: mean(full(free)) - y,
                lambda free: mean_jacobian(full(free))[:, others],
                x0,
                "trf",
                max_nfev,
            )
            rss = float(np.sum(res.fun * res.fun))
        if not (np.isfinite(rss) and rss > 0):
            return -np.inf
        return _max_loglik(n, rss)

    return profile
