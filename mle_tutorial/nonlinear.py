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
  :data:`~mle_tutorial.generic.OPTIMALITY_TOL`. Otherwise a :class:`ConvergenceWarning` and
  ``converged=False``.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ._engine import covariance
from ._engine.checks import align, as_float_array, check_callable, check_names, pandas_kind, positive_int
from ._engine.finish import FREE, POSITIVE, exact_fit_message, finish
from ._engine.lstsq import JACOBIAN_RANK_TOL, gauss_newton_step, svd_of_scaled
from ._engine.objectives import Mean, MeanJacobian, Residual
from ._engine.optimize import OPTIMALITY_TOL, least_squares
from ._engine.profiles import LeastSquaresProfile, normal_max_loglik
from ._engine.result import FitResult
from ._engine.rows import data_key, fingerprint_sum
from ._engine.scale import Unscale, shifted, shifts
from ._engine.scores import NonlinearScores

_EPS = np.finfo(float).eps
_MAX_ROUNDS = 3  # restarts from the best point
_MAX_POLISH = 200  # most Gauss-Newton polishing steps
_RSS_TIE = 1e-10  # relative difference of two runs' RSS below which they reached the same minimum
_POLISH_PATIENCE = 10  # steps without a new smallest step before the polish stops


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

    .. math:: \begin{aligned}
              \hat\beta &= \arg\min_\beta \sum_i \bigl(y_i - f(x_i;\beta)\bigr)^2, \qquad
              \hat\sigma^2 = \frac{S(\hat\beta)}{n}, \\
              \hat\ell &= -\frac n2\bigl(\log(2\pi\hat\sigma^2) + 1\bigr),
              \end{aligned}

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
        ``model`` receives it as a NumPy array.
    y : array_like, shape (n,)
        Response. pandas ``x`` and ``y`` are matched by index label, as in
        :func:`~mle_tutorial.fit_linear`.
    start : array_like, shape (p,)
        Starting ``beta`` (σ is not needed: it is estimated in closed form). A pandas Series
        names the coefficients by its index (unless ``names`` is given).
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
        ``jac`` not callable or returning the wrong shape or non-finite values at ``start``,
        ``n <= p``, bad ``names`` or ``max_nfev``.

    Warns
    -----
    ConvergenceWarning
        If no run converged, or the answer fails the check above; ``converged=False``.
    HessianWarning
        If :math:`J` is rank-deficient at the estimate (standard errors NaN).
    ExactFitWarning
        If the model fits ``y`` exactly: the coefficients found, ``sigma = 0``, ``loglik = inf``
        and NaN standard errors, as :func:`~mle_tutorial.fit_linear`.

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
    >>> rss = fit.sigma**2 * 14  # NIST certified: 1.2455138894E-01
    >>> round(rss, 10)
    0.1245513889
    """
    mean, mean_jacobian, y, start, names, max_nfev, key = _checked(model, x, y, start, jac, names, max_nfev)
    n = y.shape[0]
    unscale = Unscale((0,) * start.size + (int(-np.log2(mean.factor)),), float(n * np.log(mean.factor)))
    beta, n_iter, method, message, converged = _minimize(mean, mean_jacobian, y, start, max_nfev)
    beta, _ = _polish(mean, mean_jacobian, y, beta)
    r = y - mean(beta)
    rss = float(np.sum(r * r))
    rounding = 8 * _EPS * max(float(np.max(np.abs(y))), float(np.max(np.abs(y - r))))
    exact = not np.sqrt(rss / n) > rounding
    if exact:  # the residuals are rounding errors: sigma-hat is 0
        rss = 0.0
    sigma = float(np.sqrt(rss / n))
    J = mean_jacobian(beta)
    cov = covariance.from_jacobian(J, sigma, n)
    # how many polishing steps, and the offset at convergence, are rounding-level details that
    # differ between machines: the message names neither (the offset where the check fails)
    message += "; then Gauss-Newton polishing"
    if exact:
        converged = True
        message += "; an exact fit"
    else:
        offset, step = _optimality(J, r, beta, cov[0])
        if converged and not (offset <= OPTIMALITY_TOL and step <= OPTIMALITY_TOL):
            converged = False
            message += (
                f". But it is not a minimum of the sum of squares: relative offset {offset:.1e} and "
                f"Gauss-Newton step {step:.1e} (relative) must both be at most {OPTIMALITY_TOL:.0e}"
            )
    failure = None
    if not converged:
        failure = (
            f"fit_nonlinear did not converge: {message.rstrip('.')}. Try a better start, a larger "
            "max_nfev, or an analytic jac."
        )
    return finish(
        params=np.append(beta, sigma),
        names=(*names, "sigma"),
        loglik=normal_max_loglik(n, rss=rss),
        nobs=n,
        converged=converged,
        n_iter=n_iter,
        method=f"least_squares ({method})",
        message=message,
        cov=cov,
        profile=LeastSquaresProfile(mean, mean_jacobian, y, beta, rss, max_nfev),
        beta=beta,
        sigma=sigma,
        failure=failure,
        singular_first=True,
        bounds=[FREE] * beta.size + [POSITIVE],
        scores=NonlinearScores(mean, mean_jacobian, y),
        unscale=unscale,
        exact_fit=exact_fit_message("the model") if exact else None,
        model="normal",
        data_key=key,
    )


def _checked(model, x, y, start, jac, names, max_nfev):
    """Validate the arguments of :func:`fit_nonlinear`; the model and its Jacobian as objects (on
    y scaled by a power of two, if y is far from 1), and the fingerprint of the data."""
    check_callable(model, "model", "model(x, beta)")
    check_callable(jac, "jac", "jac(x, beta)", optional=True)
    y = align(x, "x", y, "y")
    if names is None and pandas_kind(start) == "series":
        names = [str(label) for label in start.index]
    x = as_float_array(x, "x")
    y = as_float_array(y, "y", ndim=1)
    start = as_float_array(start, "start", ndim=1)
    n, p = y.shape[0], start.shape[0]
    if n <= p:
        raise ValueError(
            f"y has {n} values but the model has {p + 1} parameters ({p} coefficients and sigma); "
            "it needs more observations than coefficients"
        )
    names = check_names(names, p, "beta", reserved=("sigma",))
    max_nfev = 1000 * p if max_nfev is None else positive_int(max_nfev, "max_nfev")
    _check_output(model, x, start, n, "model", (n,))
    if jac is not None:
        _check_output(jac, x, start, n, "jac", (n, p))
    floor = np.where(start != 0, np.abs(start), 1.0) * np.sqrt(_EPS)
    e_y = int(shifts(np.max(np.abs(y))))
    mean = Mean(model, x, float(np.ldexp(1.0, -e_y)))
    key = data_key(n, fingerprint_sum(y))
    return mean, MeanJacobian(mean, jac, floor, (n, p)), shifted(y, e_y), start, names, max_nfev, key


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


def _minimize(mean, mean_jacobian, y, start, max_nfev):
    """Both methods from the start, then restarts from the best point while the RSS drops."""

    residual = Residual(mean, y)
    best_x, best_rss, best_method, best_message = start, np.inf, "lm", ""
    n_iter, any_converged = 0, False
    beta0 = start
    for _ in range(_MAX_ROUNDS + 1):
        improved = False
        for method in ("lm", "trf"):
            try:
                res = least_squares(residual, mean_jacobian, beta0, method, max_nfev)
            except (ValueError, np.linalg.LinAlgError):  # e.g. MINPACK on a non-finite Jacobian
                continue
            n_iter += int(res.njev or 0)
            rss = float(np.sum(res.fun * res.fun))
            if not (np.all(np.isfinite(res.x)) and np.isfinite(rss)):
                continue
            ok = bool(res.status > 0)
            # a smaller RSS wins; within a relative _RSS_TIE the two reached the same minimum and
            # the earlier run is kept, so that which method is reported does not hang on rounding
            if rss < best_rss * (1 - _RSS_TIE):
                improved = True
                best_x, best_rss, best_method, best_message = res.x, rss, method, str(res.message)
                any_converged = any_converged or ok
        if not improved:
            break
        beta0 = best_x
    return np.array(best_x, dtype=float), n_iter, best_method, best_message.rstrip("."), any_converged


def _polish(mean, mean_jacobian, y, beta):
    """Full Gauss-Newton steps to the limit of the arithmetic; returns the point and the steps taken.

    Near the minimum the RSS changes by less than its own rounding error (Lanczos3: relative
    changes of 1e-12), so it cannot tell a better point from a worse one; the length of the next
    Gauss-Newton step (scaled by the columns of the Jacobian) can. On a problem with sizeable
    residuals Gauss-Newton converges only linearly (on Thurber each step removes about a third of
    the error) and the step need not shrink at once, so the iteration continues until the step
    has not reached a new minimum for ``_POLISH_PATIENCE`` iterations in a row (it has reached the
    level of rounding and of the Jacobian's own error), and returns the point whose next step was
    the smallest. A step that raises the RSS by more than its rounding error ends the polish.
    Where the polish stops thus does not depend on where the optimizer stopped, nor on which of
    its methods won.
    """
    r = y - mean(beta)
    rss = float(np.sum(r * r))
    J = mean_jacobian(beta)
    step = gauss_newton_step(J, r)
    size = float(np.linalg.norm(step * np.sqrt(np.sum(J * J, axis=0))))
    best_beta, best_size, best_taken = beta, size, 0
    taken = stale = 0
    while taken < _MAX_POLISH and stale < _POLISH_PATIENCE and size > 0:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            trial = beta + step
            mu = mean(trial)
            r_trial = y - mu
        rss_trial = float(np.sum(r_trial * r_trial))
        rounding = 16 * _EPS * float(np.sum(np.abs(r_trial) * (np.abs(y) + np.abs(mu))))
        if not rss_trial <= rss + rounding:
            break
        J = mean_jacobian(trial)
        step = gauss_newton_step(J, r_trial)
        size = float(np.linalg.norm(step * np.sqrt(np.sum(J * J, axis=0))))
        beta, rss = trial, min(rss, rss_trial)
        taken += 1
        if size < best_size:
            best_beta, best_size, best_taken, stale = beta, size, taken, 0
        else:
            stale += 1
    return best_beta, best_taken


def _optimality(J, r, beta, cov) -> tuple[float, float]:
    """Relative offset (Bates and Watts) and the largest relative Gauss-Newton step, both within
    the identified directions (singular values of the scaled Jacobian above the rank tolerance,
    so that a model that is not identified gets a HessianWarning, never a ConvergenceWarning)."""
    n, p = J.shape
    U, s, _, _ = svd_of_scaled(J)
    keep = s > JACOBIAN_RANK_TOL * s[0]
    q1r = float(np.sum((U[:, keep].T @ r) ** 2))
    q2r = max(float(np.sum(r * r)) - q1r, 0.0)
    offset = np.sqrt(q1r / p) / np.sqrt(q2r / (n - p)) if q2r > 0 else np.inf
    step = gauss_newton_step(J, r, JACOBIAN_RANK_TOL)
    se = np.sqrt(np.diag(cov))[:p]
    size = np.maximum(np.abs(beta), np.where(np.isfinite(se), se, 0.0))
    size = np.where(size > 0, size, 1.0)
    return float(offset), float(np.max(np.abs(step) / size))
