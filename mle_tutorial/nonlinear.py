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
  forming :math:`J^\top J`) are taken while :math:`S` does not rise by more than its rounding
  error, until the step has not reached a new smallest size for ten steps in a row (at most 200
  steps), and the point whose next step was the smallest is kept. Near the minimum they recover
  the last digits (Lanczos3 from start 1: 6.8 correct digits before, 8.8 after), where :math:`S`
  itself is too flat to tell better from worse; on problems with sizeable residuals, where
  Gauss–Newton converges only linearly, they take as many steps as that needs.
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
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ._engine import covariance, numdiff
from ._engine.checks import (
    align,
    as_float_array,
    check_callable,
    check_names,
    first_labels,
    pandas_kind,
    positive_int,
)
from ._engine.lstsq import JACOBIAN_RANK_TOL, gauss_newton_step, svd_of_scaled
from ._engine.objectives import CallbackError, call_user, raised
from ._engine.optimize import COMMON_OPTIONS, OPTIMALITY_TOL, check_options, least_squares
from ._engine.profiles import Full, Part, Then
from ._engine.rows import data_key, fingerprint_sum
from ._engine.scale import Unscale, shifted, shifts
from .fitting import FREE, POSITIVE, Estimate, exact_fit_message, finish
from .linear import normal_max_loglik, sigma_profile
from .model import Likelihood
from .result import FitResult

__all__ = ["NonlinearRegression", "fit_nonlinear"]

_LOG_2PI = np.log(2.0 * np.pi)

_EPS = np.finfo(float).eps
_MAX_ROUNDS = 3  # restarts from the best point
_MAX_POLISH = 200  # most Gauss-Newton polishing steps
_RSS_TIE = 1e-10  # relative difference of two runs' RSS below which they reached the same minimum
_POLISH_PATIENCE = 10  # steps without a new smallest step before the polish stops


# --- the mean function and its Jacobian as objects ------------------------------------------------------
@dataclass(frozen=True, eq=False)
class Mean:
    """The mean function of a nonlinear regression, ``model(x, beta)``, as a flat float array,
    times ``factor`` (a power of two, when y was scaled by it)."""

    model: Callable
    x: NDArray
    factor: float = 1.0
    n: int | None = None  # the number of observations, checked (None: not checked)

    def __call__(self, beta: NDArray) -> NDArray:
        value = _output(self.model, self.x, beta, "model(x, beta)", None if self.n is None else (self.n,))
        return value if self.factor == 1.0 else value * self.factor


@dataclass(frozen=True, eq=False)
class Residual:
    """``mean(beta) - y``: what nonlinear least squares drives to its smallest sum of squares."""

    mean: Callable
    y: NDArray

    def __call__(self, beta: NDArray) -> NDArray:
        return self.mean(beta) - self.y


@dataclass(frozen=True, eq=False)
class MeanJacobian:
    """:math:`\\partial f/\\partial\\beta` (n, p): ``jac(x, beta)`` if given, else numerical."""

    mean: Mean
    jac: Callable | None
    floor: NDArray
    shape: tuple[int, int] = field(default=(0, 0))

    def __call__(self, beta: NDArray) -> NDArray:
        if self.jac is not None:
            value = _output(self.jac, self.mean.x, beta, "jac(x, beta)", self.shape)
            return value if self.mean.factor == 1.0 else value * self.mean.factor
        return numdiff.jacobian(self.mean, beta, self.floor)


def _output(
    function: Callable, x: NDArray, beta: NDArray, call: str, shape: tuple[int, ...] | None
) -> NDArray:
    """``function(x, beta)`` (the model or its Jacobian) as a real float array of ``shape`` (for the
    model, any layout of n values); whatever it raises, or a complex, non-numeric or wrongly shaped
    result, is a :class:`~mle_tutorial._engine.objectives.CallbackError` that says so."""
    value = call_user(lambda b: function(x, b), beta, (), call, "beta")
    try:
        arr = np.asarray(value)
    except Exception as exc:
        raise CallbackError(
            call, f"returned {type(value).__name__}, not an array of numbers", beta, param="beta"
        ) from exc
    if arr.dtype.kind == "c":
        raise CallbackError(call, "returned complex values; the model must be real", beta, param="beta")
    if arr.dtype == object or arr.dtype.kind not in "biuf":
        raise CallbackError(
            call, f"must return numbers, got an array of dtype {arr.dtype}", beta, param="beta"
        )
    if (
        shape is not None
        and arr.shape != shape
        and not (len(shape) == 1 and arr.size == shape[0] and arr.ndim <= 2)
    ):
        what = f"y has {shape[0]} values" if len(shape) == 1 else f"(n, p) is {shape}"
        raise CallbackError(call, f"returned shape {arr.shape}, but {what}", beta, param="beta")
    out = arr.astype(np.float64, copy=False)
    return out.reshape(-1) if shape is None or len(shape) == 1 else out.reshape(shape)


# --- the profile: re-minimize the RSS --------------------------------------------------------------------
@dataclass(eq=False)
class LeastSquaresProfile:
    """Re-minimize the RSS over the other coefficients (trust-region reflective), always starting
    from the estimate: a nonlinear RSS can have other local minima, and a warm start from a
    previous, distant value could carry a bad one into every later evaluation. Sigma: as in the
    linear model, beta-hat does not depend on it."""

    mean: Callable
    mean_jacobian: Callable
    y: NDArray
    beta_hat: NDArray
    rss_hat: float
    max_nfev: int

    def __call__(self, j: int, value: float) -> float:
        n, p = self.y.shape[0], self.beta_hat.shape[0]
        if j == p:
            return sigma_profile(n, self.rss_hat, value)
        others = np.delete(np.arange(p), j)
        full = Full(self.beta_hat, others, j, value)
        if others.size == 0:
            r = self.y - self.mean(full(np.empty(0)))
            rss = float(np.sum(r * r))
        else:
            residual = Residual(Then(self.mean, full), self.y)
            jacobian = Part(self.mean_jacobian, full, (slice(None), others))
            res = least_squares(residual, jacobian, self.beta_hat[others], "trf", self.max_nfev)
            rss = float(np.sum(res.fun * res.fun))
        if not (np.isfinite(rss) and rss > 0):
            return -np.inf
        return normal_max_loglik(n, rss=rss)


# --- the model ------------------------------------------------------------------------------------------
class NonlinearRegression(Likelihood):
    r"""Nonlinear regression with normal errors on its data: :math:`y_i = f(x_i; \beta) +
    \varepsilon_i`, :math:`\varepsilon_i \sim N(0, \sigma^2)`; parameters ``[beta..., sigma]``.

    .. math:: \ell_i = -\tfrac12\log(2\pi) - \log\sigma - \frac{(y_i - f(x_i; \beta))^2}{2\sigma^2},
              \qquad s_i = \Big(\frac{r_i}{\sigma^2}\nabla f_i,\ \frac{r_i^2}{\sigma^3}
              - \frac1\sigma\Big)

    Built by :func:`fit_nonlinear` (``fit.model``). The score test uses the expected information
    :math:`J^\top J/\sigma^2` and :math:`2n/\sigma^2`; a restricted model nests in a fuller one
    by parameter names (the fuller model with its extra coefficients at 0 must be the restricted
    one). ``resample`` takes rows of ``x`` along its first axis. ``model``, ``jac`` and with them
    the fit pickle only if they are defined at module level.
    """

    name = "normal"
    keeps_labels = True
    #: The row labels of the data (a pandas Index), None for arrays.
    labels = None

    @property
    def row_labels(self):
        return self.labels

    def __init__(self, model: Callable, x: NDArray, y: NDArray, start: NDArray, names: Sequence[str],
                 key: str,
                 *, jac: Callable | None = None, max_nfev: int, options: dict | None = None):  # fmt: skip
        self.model = model
        self.jac = jac
        self.x = x
        self.y = y
        self.start_values = start
        self.names = tuple(names)
        self.key = key
        self.max_nfev = max_nfev
        self.options = dict(options or {})

    @classmethod
    def from_data(cls, model, x, y, start, *, jac=None, names=None, max_nfev=None, options=None):
        """Check the arguments (as :func:`fit_nonlinear` does) and build the model."""
        labels = first_labels({"x": x, "y": y})
        x, y, start, names, max_nfev, opts = _checked(model, x, y, start, jac, names, max_nfev, options)
        fitted = cls(model, x, y, start, names, data_key(y.shape[0], fingerprint_sum(y)), jac=jac,
                     max_nfev=max_nfev, options=opts)  # fmt: skip
        fitted.labels = labels
        return fitted

    def _like(self, x, y) -> NonlinearRegression:
        return NonlinearRegression(self.model, x, y, self.start_values, self.names,
                                   data_key(y.shape[0], fingerprint_sum(y)), jac=self.jac,
                                   max_nfev=self.max_nfev, options=self.options)  # fmt: skip

    @property
    def param_names(self) -> tuple[str, ...]:
        return (*self.names, "sigma")

    @property
    def bounds(self):
        return (FREE,) * len(self.names) + (POSITIVE,)

    @property
    def nobs(self) -> int:
        return self.y.shape[0]

    @property
    def data_key(self) -> str:
        return self.key

    def working(self, factor: float | None = None):
        """The mean function, its Jacobian and y, on y scaled by a power of two if y is far from 1."""
        if factor is None:
            factor = float(np.ldexp(1.0, -int(shifts(np.max(np.abs(self.y))))))
        p = self.start_values.shape[0]
        floor = np.where(self.start_values != 0, np.abs(self.start_values), 1.0) * np.sqrt(_EPS)
        mean = Mean(self.model, self.x, factor, self.y.shape[0])
        return (
            mean,
            MeanJacobian(mean, self.jac, floor, (self.y.shape[0], p)),
            shifted(self.y, -int(np.log2(factor))),
        )

    def unscale(self) -> Unscale:
        n = self.y.shape[0]
        e_y = int(shifts(np.max(np.abs(self.y))))
        return Unscale((0,) * self.start_values.size + (e_y,), float(-n * e_y * np.log(2.0)))

    def rescaled(self):
        e_y = int(shifts(np.max(np.abs(self.y))))
        if not e_y:
            return self, self.unscale()
        inner = _Scaled(self, float(np.ldexp(1.0, -e_y)))
        return inner, self.unscale()

    def _mean_and_jacobian(self, beta):
        mean, mean_jacobian, _ = self.working(1.0)
        return mean(beta), mean_jacobian(beta)

    def loglik_obs(self, params):
        params = np.asarray(params, dtype=float)
        beta, sigma = params[:-1], float(params[-1])
        r = self.y - Mean(self.model, self.x, 1.0, self.y.shape[0])(beta)
        return -0.5 * _LOG_2PI - np.log(sigma) - r * r / (2.0 * sigma * sigma)

    def score_obs(self, params):
        params = np.asarray(params, dtype=float)
        beta, sigma = params[:-1], float(params[-1])
        f, J = self._mean_and_jacobian(beta)
        r = self.y - f
        return np.column_stack([J * (r / sigma**2)[:, None], r * r / sigma**3 - 1.0 / sigma])

    def information(self, params):
        params = np.asarray(params, dtype=float)
        _, J = self._mean_and_jacobian(params[:-1])
        sigma, n, p = float(params[-1]), self.y.shape[0], J.shape[1]
        info = np.zeros((p + 1, p + 1))
        info[:p, :p] = J.T @ J / sigma**2
        info[p, p] = 2.0 * n / sigma**2
        return info

    def start(self):
        return np.append(
            self.start_values, np.sqrt(np.mean((self.y - Mean(self.model, self.x)(self.start_values)) ** 2))
        )

    def fit(self, start=None, *, method: str | None = None, options: dict | None = None) -> FitResult:
        if method is not None:
            raise ValueError("fit_nonlinear chooses its least-squares methods itself (method must be None)")
        model = self
        if options is not None:
            opts = check_options(options, COMMON_OPTIONS, "fit_nonlinear")
            model = NonlinearRegression(self.model, self.x, self.y, self.start_values, self.names, self.key,
                                        jac=self.jac, max_nfev=opts.pop("max_iter", self.max_nfev),
                                        options=opts)  # fmt: skip
        if start is None:
            start = self.start_values
        else:
            start = as_float_array(start, "start", ndim=1)[: self.start_values.size]
        return _fit(model, start)

    def simulate(self, params, rng):
        params = np.asarray(params, dtype=float)
        f = Mean(self.model, self.x)(params[:-1])
        return self._like(self.x, f + float(params[-1]) * rng.standard_normal(self.y.shape[0]))

    def resample(self, rows):
        return self._like(self.x[rows], self.y[rows])


@dataclass(eq=False)
class _Scaled(Likelihood):
    """A nonlinear regression on y times a power of two (``factor``), for computations at extreme
    scales: its parameters are the coefficients and sigma times ``factor``."""

    outer: NonlinearRegression
    factor: float
    _cache: dict = field(default_factory=dict, repr=False)

    name = "normal"

    @property
    def param_names(self):
        return self.outer.param_names

    def _pieces(self, beta):
        mean, jac, y = self.outer.working(self.factor)
        return mean(beta), jac(beta), y

    def score_obs(self, params):
        params = np.asarray(params, dtype=float)
        beta, sigma = params[:-1], float(params[-1])
        f, J, y = self._pieces(beta)
        r = y - f
        return np.column_stack([J * (r / sigma**2)[:, None], r * r / sigma**3 - 1.0 / sigma])

    def loglik_obs(self, params):
        params = np.asarray(params, dtype=float)
        f, _, y = self._pieces(params[:-1])
        r = y - f
        sigma = float(params[-1])
        return -0.5 * _LOG_2PI - np.log(sigma) - r * r / (2.0 * sigma * sigma)


def fit_nonlinear(
    model: Callable[[ArrayLike, NDArray], ArrayLike],
    x: ArrayLike,
    y: ArrayLike,
    start: ArrayLike,
    *,
    jac: Callable[[ArrayLike, NDArray], ArrayLike] | None = None,
    names: Sequence[str] | None = None,
    max_nfev: int | None = None,
    options: dict | None = None,
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
        (default ``1000 * p``; numerical Jacobians are not counted). The same as
        ``options={"max_iter": ...}``.
    options : dict, optional
        ``max_iter``: as ``max_nfev``; ``tol``: the tolerances ``ftol``, ``xtol`` and ``gtol``
        of each least-squares run (default 1e-15). An unknown key is an error.

    Returns
    -------
    FitResult
        ``params = [beta..., sigma]``, ``beta``, ``sigma``, ``loglik``, ``cov``, ``converged``,
        ``n_iter`` (Jacobian evaluations, summed over runs), ``method`` (the winning
        ``least_squares`` method), a ``profile`` that re-minimizes :math:`S` over the
        other coefficients, so ``conf_int(method="profile")`` works, and ``model`` (a
        :class:`NonlinearRegression`).

    Raises
    ------
    ValueError
        Bad ``x``, ``y`` or ``start`` (non-numeric, NaN or inf, wrong shape), ``model`` or
        ``jac`` not callable or returning the wrong shape or non-finite values at ``start``,
        ``n <= p``, bad ``names`` or ``max_nfev``. ``model`` or ``jac`` that raises, or returns
        complex values or another length, at start or during the fit: a ``ValueError`` that
        names the call, says when (at start, during the fit) and at which ``beta``, and what it
        raised or returned (the exception it raised is its ``__cause__``).

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
    fit_model = NonlinearRegression.from_data(model, x, y, start, jac=jac, names=names, max_nfev=max_nfev,
                                              options=options)  # fmt: skip
    return fit_model.fit()


def _fit(model: NonlinearRegression, start: NDArray) -> FitResult:
    """Minimize the RSS on y scaled by a power of two (if y is far from 1), polish, check."""
    mean, mean_jacobian, y = model.working()
    n = y.shape[0]
    tol = model.options.get("tol", 1e-15)
    max_nfev = model.max_nfev
    beta, n_iter, method, message, converged = _minimize(mean, mean_jacobian, y, start, max_nfev, tol)
    beta, _ = _polish(mean, mean_jacobian, y, beta)
    r = y - mean(beta)
    rss = float(np.sum(r * r))
    rounding = 8 * _EPS * max(float(np.max(np.abs(y))), float(np.max(np.abs(y - r))))
    exact = not np.sqrt(rss / n) > rounding
    if exact:  # the residuals are rounding errors: sigma-hat is 0
        rss = 0.0
    sigma = float(np.sqrt(rss / n))
    J = mean_jacobian(beta)
    cov, problem = covariance.from_jacobian(J, sigma, n)
    # how many polishing steps, and the offset at convergence, are rounding-level details that
    # differ between machines: the message names neither (the offset where the check fails)
    message += "; then Gauss-Newton polishing"
    if exact:
        converged = True
        message += "; an exact fit"
    else:
        offset, step = _optimality(J, r, beta, cov)
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
    est = Estimate(
        params=np.append(beta, sigma),
        loglik=normal_max_loglik(n, rss=rss),
        converged=converged,
        n_iter=n_iter,
        method=f"least_squares ({method})",
        message=message,
        cov=cov,
        problem=problem,
        profile=LeastSquaresProfile(mean, mean_jacobian, y, beta, rss, max_nfev),
        beta=beta,
        sigma=sigma,
        failure=failure,
        singular_first=True,
        unscale=model.unscale(),
        exact_fit=exact_fit_message("the model") if exact else None,
    )
    return finish(model, est)


def _checked(model, x, y, start, jac, names, max_nfev, options):
    """Validate the arguments of :func:`fit_nonlinear`: the data, the start, the names, the
    evaluation budget and the options."""
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
    opts = check_options(options, COMMON_OPTIONS, "fit_nonlinear")
    if max_nfev is not None and "max_iter" in opts:
        raise ValueError("give max_nfev or options['max_iter'] (the same thing), not both")
    max_nfev = opts.pop("max_iter", max_nfev)
    max_nfev = 1000 * p if max_nfev is None else positive_int(max_nfev, "max_nfev")
    _check_output(model, x, start, n, "model", (n,))
    if jac is not None:
        _check_output(jac, x, start, n, "jac", (n, p))
    return x, y, start, tuple(names), max_nfev, opts


def _check_output(function: Callable, x: NDArray, start: NDArray, n: int, name: str, shape: tuple) -> None:
    """Call ``function(x, start)`` once and insist on a finite float array of ``shape``."""
    try:
        value = function(x, start)
    except Exception as exc:
        raise CallbackError(
            f"{name}(x, beta)",
            f"{raised(exc)} (is start the right length, {start.size} values, and x in the form {name} "
            "expects?)",
            start,
            "at start",
            "beta",
        ) from exc
    try:
        value = np.asarray(value)
    except Exception as exc:
        raise ValueError(f"{name}(x, start) could not be read as an array: {exc}") from exc
    if value.dtype.kind == "c":
        raise CallbackError(
            f"{name}(x, beta)", "returned complex values; the model must be real", start, "at start", "beta"
        )
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


def _minimize(mean, mean_jacobian, y, start, max_nfev, tol=1e-15):
    """Both methods from the start, then restarts from the best point while the RSS drops."""

    residual = Residual(mean, y)
    best_x, best_rss, best_method, best_message = start, np.inf, "lm", ""
    n_iter, any_converged = 0, False
    beta0 = start
    for _ in range(_MAX_ROUNDS + 1):
        improved = False
        for method in ("lm", "trf"):
            try:
                res = least_squares(residual, mean_jacobian, beta0, method, max_nfev, tol)
            except CallbackError:
                raise  # the user's model or jac failed: say so
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
    with np.errstate(invalid="ignore"):
        se = np.sqrt(np.diag(cov))[:p]
    size = np.maximum(np.abs(beta), np.where(np.isfinite(se), se, 0.0))
    size = np.where(size > 0, size, 1.0)
    return float(offset), float(np.max(np.abs(step) / size))
