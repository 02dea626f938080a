r"""Linear mixed models: random effects integrated out, by profiled maximum likelihood or REML.

Each group :math:`g` (a subject measured repeatedly, a firm observed every year, a school) has
:math:`n_g` rows, and

.. math:: y_g = X_g\beta + Z_g b_g + \varepsilon_g, \qquad b_g \sim N(0, \Sigma), \qquad
          \varepsilon_g \sim N(0, \sigma^2 I_{n_g}),

independently between groups. The random effects :math:`b_g` (one intercept, or an intercept and
slopes: the columns of :math:`Z`) are not observed; integrated out, each group's responses are
jointly normal, :math:`y_g \sim N(X_g\beta, V_g)` with :math:`V_g = \sigma^2 I + Z_g\Sigma Z_g^\top`,
and the log-likelihood is a sum over groups:

.. math:: \ell(\theta) = \sum_g \ell_g, \qquad
          \ell_g = -\tfrac12\left[n_g\log 2\pi + \log|V_g|
          + (y_g - X_g\beta)^\top V_g^{-1}(y_g - X_g\beta)\right].

**The groups are the observations** of the model's contract (:class:`~mle_tutorial.Likelihood`):
``loglik_obs`` gives one :math:`\ell_g` per group, so ``nobs`` is the number of groups, the
robust (sandwich) covariance is clustered by group, and the nonparametric bootstrap resamples
whole groups, as they are the independent units.

**Profiling** (Bates, Mächler, Bolker and Walker 2015, the method of R's ``lme4``). Write
:math:`\Sigma = \sigma^2\Lambda\Lambda^\top` with :math:`\Lambda` lower triangular (the *relative
covariance factor*, lme4's :math:`\theta`: its entries column by column). Given :math:`\Lambda`,
:math:`\beta` and :math:`\sigma` have closed forms, and the fit is a search over
:math:`\Lambda` alone (one number for a random intercept, three for an intercept and a slope):

.. math:: -2\tilde\ell(\Lambda) = \sum_g \log|M_g| + n\left[1 + \log\frac{2\pi\,r^2(\Lambda)}{n}\right],
          \qquad M_g = I_q + \Lambda^\top Z_g^\top Z_g\Lambda,

with :math:`r^2` the penalized residual sum of squares
:math:`\min_{\beta, u}\|y - X\beta - Z\Lambda u\|^2 + \|u\|^2` (then
:math:`\hat\sigma^2 = r^2/n`). REML replaces :math:`n` by :math:`n - p` and adds
:math:`\log|X^\top\tilde V^{-1}X|` (:math:`\tilde V = V/\sigma^2`), lme4's REML criterion. Only
:math:`q\times q` and :math:`q\times p` matrices per group appear (Woodbury:
:math:`\tilde V_g^{-1} = I - Z_g\Lambda M_g^{-1}\Lambda^\top Z_g^\top`), never an
:math:`n\times n` one. The gradient in :math:`\Lambda` is analytic:

.. math:: \frac{\partial(-2\tilde\ell)}{\partial\Lambda} = 2\sum_g\left[Z_g^\top Z_g\Lambda M_g^{-1}
          - \frac{n}{r^2} w_g u_g^\top\right], \qquad u_g = M_g^{-1}\Lambda^\top Z_g^\top\hat r_g,
          \quad w_g = Z_g^\top(\hat r_g - Z_g\Lambda u_g),

(:math:`\hat r = y - X\hat\beta`; REML adds :math:`-2\sum_g B_g C^{-1}(M_g^{-1}\Lambda^\top
Z_g^\top X_g)^\top` with :math:`B_g = Z_g^\top\tilde V_g^{-1}X_g`, :math:`C = X^\top\tilde V^{-1}X`).

**The boundary.** A variance can be estimated as 0, and :math:`\hat\Sigma` can be singular (a
correlation of :math:`\pm 1`): the maximum then sits on the edge of the parameter space, which is
an answer, not a failure. The search (:func:`minimize_smooth`) runs over all of :math:`\Lambda`
(a column and its negative give the same :math:`\Sigma`, so no bound is needed) and then tries 0
itself for every diagonal entry near it, which Newton's method approaches without reaching. A
fit on the boundary says so in its ``message``, and
``fit.model.on_boundary(fit.params)`` names the parameters there. Its covariance: the standard
errors of the random-effect standard deviations and correlations are NaN (a Wald interval means
nothing on the edge of the space; test a variance with the likelihood-ratio test against the
model without it, whose :math:`\bar\chi^2` reference the nesting declares, or use the parametric
bootstrap), and those of :math:`\beta` and :math:`\sigma` are from their own block of the
information, :math:`\Sigma` held at :math:`\hat\Sigma`.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, cast

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ._engine import covariance, numdiff
from ._engine.checks import (
    as_float_array,
    check_rows,
    coefficient_names,
    match_rows,
    pandas_kind,
    read_matrix,
    shape_message,
)
from ._engine.lazy import pandas as lazy_pandas
from ._engine.lstsq import check_full_rank
from ._engine.optimize import COMMON_OPTIONS, check_options
from ._engine.profiles import ScaledProfile
from ._engine.rows import data_key, fingerprint_sum
from ._engine.scale import column_maxima, shifted, shifts, unshift, unshift_cov
from ._engine.transforms import BoundsTransform
from .fitting import FREE, POSITIVE, Estimate, finish
from .model import Likelihood, Nesting, RegressionLikelihood, family_error
from .result import FitResult

__all__ = [
    "CovarianceLayout",
    "Groups",
    "LinearMixed",
    "RandomEffects",
    "fit_linear_mixed",
    "minimize_smooth",
    "read_groups",
    "read_random_design",
]

_LOG_2PI = math.log(2.0 * math.pi)
_LOG2 = math.log(2.0)
#: The parameter space of a correlation.
CORRELATION = (-1.0, 1.0)


# --- the groups ------------------------------------------------------------------------------------
@dataclass(frozen=True, eq=False)
class Groups:
    """Which group each row belongs to: ``labels`` (the distinct labels, sorted), ``code`` (each
    row's group, ``0 .. G-1``, in the data's row order), ``order`` (the rows sorted by group,
    stably), ``starts`` and ``sizes`` (of each group in that order)."""

    labels: NDArray
    code: NDArray
    order: NDArray
    starts: NDArray
    sizes: NDArray
    sorted_code: NDArray  # each row's group, the rows sorted by group

    @classmethod
    def from_codes(cls, labels: NDArray, code: NDArray) -> Groups:
        code = np.asarray(code, dtype=np.intp)
        order = np.argsort(code, kind="stable")
        sizes = np.bincount(code, minlength=len(labels)).astype(np.intp)
        starts = np.concatenate([[0], np.cumsum(sizes)[:-1]]).astype(np.intp)
        return cls(np.asarray(labels), code, order, starts, sizes, np.repeat(np.arange(len(labels)), sizes))

    @property
    def G(self) -> int:
        """The number of groups."""
        return int(self.labels.shape[0])

    def sums(self, values: NDArray) -> NDArray:
        """Sums over each group of ``values`` given with the rows sorted by group (axis 0)."""
        return np.add.reduceat(values, self.starts, axis=0)

    def rows_of(self, chosen: NDArray) -> tuple[NDArray, NDArray]:
        """The rows (data order) of the groups ``chosen`` (with repeats), one after the other, and
        each row's position in ``chosen`` (its new group)."""
        lengths = self.sizes[chosen]
        total = int(lengths.sum())
        new_code = np.repeat(np.arange(len(chosen)), lengths)
        first = np.concatenate([[0], np.cumsum(lengths)[:-1]])
        within = np.arange(total) - np.repeat(first, lengths)
        return self.order[np.repeat(self.starts[chosen], lengths) + within], new_code


def read_groups(groups: object, n: int, name: str = "groups") -> Groups:
    """Group labels, one per row: numbers or strings (a pandas Series or Categorical too), at
    least two distinct."""
    kind = pandas_kind(groups)
    value: Any = groups
    if kind == "frame":
        raise ValueError(f"{name} must be one label per row (a 1-D array or a Series), got a DataFrame")
    if kind == "series":
        value = cast(Any, groups).to_numpy()
    try:
        g = np.asarray(value)
    except Exception as exc:  # ragged input
        raise ValueError(f"{name} could not be read as an array of labels: {exc}") from exc
    if g.ndim != 1:
        raise ValueError(shape_message(name, 1, g, groups))
    if g.shape[0] != n:
        raise ValueError(f"{name} has {g.shape[0]} labels but y has {n} values; they must match")
    if g.dtype.kind == "c":
        raise ValueError(f"{name} must hold numbers or strings, got complex numbers")
    if g.dtype.kind == "f" and not np.all(np.isfinite(g)):
        raise ValueError(f"{name} contains NaN or infinite labels (a missing label counts as NaN)")
    if g.dtype == object:
        if any(v is None or (isinstance(v, float) and not math.isfinite(v)) for v in g):
            raise ValueError(f"{name} contains missing labels (None or NaN): drop those rows first")
        try:
            g = g.astype(str)
        except (TypeError, ValueError) as exc:
            raise ValueError(f"{name} must hold numbers or strings: {exc}") from exc
    labels, code = np.unique(g, return_inverse=True)
    if labels.shape[0] < 2:
        raise ValueError(
            f"{name} has a single group ({labels[0].tolist()!r}): the variance between groups cannot be "
            "estimated from one group; a model without random effects (fit_linear, fit_logistic, "
            "fit_poisson) is the model for these data"
        )
    return Groups.from_codes(labels, code.reshape(-1))


def read_random_design(Z: object, n: int) -> tuple[NDArray, tuple[str, ...]]:
    """The design of the random effects (n, q), and a name for each: a column of ones named
    ``intercept`` when ``Z`` is None (a random intercept), else its columns (a DataFrame's
    names, or ``z[0]``, ``z[1]``, ...)."""
    if Z is None:
        return np.ones((n, 1)), ("intercept",)
    try:
        Zm, columns = read_matrix(cast(ArrayLike, Z), "Z")
    except ValueError as exc:
        if "must be a 2-D array" in str(exc):
            raise ValueError(
                f"{exc}; Z has one column per random effect, shape (n, q): "
                "np.column_stack([np.ones(n), x]) for a random intercept and a random slope in x"
            ) from exc
        raise
    if Zm.shape[0] != n:
        raise ValueError(f"Z has {Zm.shape[0]} rows but y has {n} values; they must match")
    q = Zm.shape[1]
    norms = np.linalg.norm(Zm, axis=0)
    if np.any(norms == 0):
        j = int(np.flatnonzero(norms == 0)[0])
        raise ValueError(f"Z's column {j} is all zeros: its random effect is not identified")
    if q > 1 and np.linalg.matrix_rank(Zm / norms) < q:
        raise ValueError(
            "Z is rank deficient: a column is a combination of the others, so the variances of their "
            "random effects are not identified; drop or combine collinear columns"
        )
    names = tuple(columns) if columns is not None else tuple(f"z[{k}]" for k in range(q))
    if len(set(names)) < q:
        raise ValueError(f"Z's columns must have distinct names, got {list(names)}")
    return Zm, names


def check_identified(groups: Groups, q: int, n: int, *, sigma: bool, binary: bool = False) -> None:
    """lme4's check: with a residual variance (``sigma``), the random effects are identified only
    with more rows than random effects, ``n > G q``. Without one (a GLMM), groups of a single row
    leave a random slope unidentified, and a random intercept of 0/1 outcomes (``binary``)."""
    single = bool(np.all(groups.sizes == 1))
    if sigma and n <= groups.G * q:
        if single:
            what = "a random intercept" if q == 1 else f"{q} random effects per group (a random slope)"
            raise ValueError(
                f"every group has a single row: {what} cannot be told apart from the residual error "
                "(groups of size one), so the variances are not identified; random effects need "
                "groups with several rows"
            )
        raise ValueError(
            f"there are {n} rows but {groups.G * q} random effects ({groups.G} groups x {q}): the "
            "random effects and the residual variance are not identified; a model with fewer "
            "random effects (or groups with more rows) is needed"
        )
    if not sigma and single and (q > 1 or binary):
        what = "a random slope" if q > 1 else "a random intercept of 0/1 outcomes"
        raise ValueError(
            f"every group has a single row: {what} is not identified from groups of size one; "
            "random effects need groups with several rows"
        )


# --- the random effects' covariance: standard deviations and correlations ------------------------
@functools.lru_cache(maxsize=16)
def _upper_pairs(q: int) -> tuple[NDArray, NDArray]:
    i, j = np.triu_indices(q, 1)
    return i, j


@functools.lru_cache(maxsize=16)
def _lower_by_column(q: int) -> tuple[NDArray, NDArray]:
    col, row = np.triu_indices(q)
    return row, col


@dataclass(frozen=True)
class CovarianceLayout:
    """The random effects' covariance :math:`\\Sigma` (q x q) as parameters: a standard deviation
    per effect (``sd[name]``), then a correlation per pair (``corr[a,b]``, row by row), and how it
    maps to lme4's relative covariance factor :math:`\\Lambda` (lower triangular, entries column by
    column: ``theta``)."""

    names: tuple[str, ...]

    @property
    def q(self) -> int:
        return len(self.names)

    @property
    def n_corr(self) -> int:
        return self.q * (self.q - 1) // 2

    @property
    def size(self) -> int:
        """How many parameters: standard deviations and correlations."""
        return self.q + self.n_corr

    @property
    def param_names(self) -> tuple[str, ...]:
        sds = tuple(f"sd[{a}]" for a in self.names)
        pairs = tuple(f"corr[{self.names[i]},{self.names[j]}]" for i, j in zip(*self.pairs(), strict=True))
        return sds + pairs

    @property
    def bounds(self) -> tuple[tuple[float, float], ...]:
        return (POSITIVE,) * self.q + (CORRELATION,) * self.n_corr

    def pairs(self) -> tuple[NDArray, NDArray]:
        """The (i, j), i < j, of each correlation, row by row."""
        return _upper_pairs(self.q)

    def theta_index(self) -> tuple[NDArray, NDArray]:
        """The (row, column) of each entry of :math:`\\Lambda` in ``theta``, column by column (as
        lme4 orders it), and which of them are on the diagonal."""
        return _lower_by_column(self.q)

    @property
    def diagonal(self) -> NDArray:
        """Which entries of ``theta`` are on the diagonal of :math:`\\Lambda` (bounded below by 0)."""
        row, col = self.theta_index()
        return row == col

    def lower(self, theta: NDArray) -> NDArray:
        """:math:`\\Lambda` from ``theta``."""
        L = np.zeros((self.q, self.q))
        row, col = self.theta_index()
        L[row, col] = theta
        return L

    def theta(self, L: NDArray) -> NDArray:
        row, col = self.theta_index()
        return L[row, col].copy()

    def start(self) -> NDArray:
        """lme4's start: :math:`\\Lambda = I`."""
        return self.theta(np.eye(self.q))

    def matrix(self, sd: NDArray, corr: NDArray) -> NDArray:
        r""":math:`\Sigma = DRD` from the standard deviations and correlations."""
        R = np.eye(self.q)
        i, j = self.pairs()
        R[i, j] = R[j, i] = corr
        return sd[:, None] * R * sd[None, :]

    def sd_corr(self, L: NDArray, scale: float = 1.0) -> tuple[NDArray, NDArray]:
        r"""The standard deviations and correlations of :math:`\Sigma = s^2 LL^\top` (``scale`` s),
        from the rows of L (so that a rank-one :math:`\Sigma` has correlations of exactly
        :math:`\pm 1`); a correlation with an effect of standard deviation 0 is undefined, and
        reported as 0."""
        norms = np.sqrt(np.einsum("ij,ij->i", L, L))
        i, j = self.pairs()
        dots = np.einsum("ij,ij->i", L[i], L[j])
        with np.errstate(invalid="ignore", divide="ignore"):
            corr = np.where((norms[i] > 0) & (norms[j] > 0), dots / (norms[i] * norms[j]), 0.0)
        return scale * norms, np.clip(corr, -1.0, 1.0)

    def split(self, params: NDArray, p: int) -> tuple[NDArray, NDArray]:
        """The standard deviations and the correlations in ``params`` after ``p`` coefficients."""
        return params[p : p + self.q], params[p + self.q : p + self.size]


def psd_factor(S: NDArray) -> NDArray | None:
    r"""A factor :math:`F` with :math:`S = FF^\top` for a positive semi-definite ``S`` (Cholesky, or
    the eigen-decomposition where S is singular); None where S is not positive semi-definite
    beyond rounding, or not finite."""
    if not np.all(np.isfinite(S)):
        return None
    try:
        return np.linalg.cholesky(S)
    except np.linalg.LinAlgError:
        pass
    w, Q = np.linalg.eigh(S)
    top = max(float(np.max(np.abs(w))), np.finfo(float).tiny)
    if np.min(w) < -1e-12 * top:
        return None
    return Q * np.sqrt(np.clip(w, 0.0, None))[None, :]


# --- minimization: modified Newton with a line search ---------------------------------------------
@dataclass(frozen=True)
class Minimum:
    """What :func:`minimize_smooth` found."""

    x: NDArray
    value: float
    converged: bool
    n_iter: int
    message: str


#: A coordinate flagged for snapping whose value is below this in absolute value is tried at 0
#: (lme4's ``isSingular`` calls a fit singular below 1e-4).
SNAP_BELOW = 1e-2

#: Eigenvalues of a (scaled) Hessian below this fraction of the largest are raised to it, so that a
#: Newton direction is a descent direction away from a minimum too...
EIGEN_FLOOR = 1e-8
#: ... and one below minus this fraction is a direction of negative curvature (not the rounding of
#: a difference Hessian along a flat direction).
NEGATIVE_CURVATURE = 1e-6


def _newton_direction(H: NDArray, g: NDArray) -> tuple[NDArray, NDArray | None] | None:
    """A Newton direction for minimizing, and a direction of negative curvature (None if there is
    none): rows and columns of ``H`` scaled by powers of two, then its eigenvalues replaced by
    their absolute values, at least :data:`EIGEN_FLOOR` times the largest (the modified Newton
    method: :math:`-H^{-1}g` where H is positive definite, a descent direction where it is not).
    None if H or g is not finite."""
    d = np.sqrt(np.abs(np.diag(H)))
    if not np.all(np.isfinite(H)) or not np.all(np.isfinite(g)):
        return None
    s = np.exp2(np.round(np.log2(np.where(d > 0, d, 1.0))))
    w, Q = np.linalg.eigh(0.5 * (H + H.T) / np.outer(s, s))
    top = float(np.max(np.abs(w)))
    if not top > 0:
        return None
    floor = EIGEN_FLOOR * top
    step = -(Q @ ((Q.T @ (g / s)) / np.maximum(np.abs(w), floor))) / s
    negative = Q[:, 0] / s if w[0] < -NEGATIVE_CURVATURE * top else None
    return step, negative


def difference_hessian(grad: Callable[[NDArray], NDArray], x: NDArray, rel: float = 1e-5) -> NDArray:
    """Central differences of ``grad`` (step ``rel * max(1, |x_j|)``), symmetrized: a Hessian good
    to about 1e-9 relative, enough for Newton steps (the reported covariance uses the
    Richardson-extrapolated one)."""
    x = np.asarray(x, dtype=float)
    H = np.empty((x.size, x.size))
    for j in range(x.size):
        h = rel * max(1.0, abs(x[j]))
        e = np.zeros(x.size)
        e[j] = h
        H[:, j] = (grad(x + e) - grad(x - e)) / (2.0 * h)
    return 0.5 * (H + H.T)


def _polish(f: Callable, grad: Callable, hess: Callable, x: NDArray, fx: float, fixed: NDArray,
            tol: float, steps: int = 200) -> tuple[NDArray, float, bool, int]:  # fmt: skip
    """Modified Newton steps with a backtracking (Armijo) line search on the coordinates that are
    not ``fixed``. Converged when a Newton step would move no coordinate by more than ``tol``
    relative to ``max(1, |x|)`` (or would lower ``f`` by far less than its rounding, or no step
    lowers it beyond rounding) and the Hessian has no direction of negative curvature there (a
    saddle is left along it).

    The Hessian ``hess`` is computed at the start, again after a step that needed the line search,
    and once more to confirm convergence; in between it is carried along by BFGS updates from the
    gradients (a difference Hessian costs 2k gradients, an update none)."""
    free = ~fixed
    if not np.any(free):
        return x, fx, True, 0
    H: NDArray | None = None
    exact = False
    stalls = 0
    g = grad(x)
    rounding = 1e-13 * max(1.0, abs(fx))
    for it in range(steps):
        if H is None:
            H, exact = hess(x), True
        found = _newton_direction(H[np.ix_(free, free)], g[free])
        if found is None:
            return x, fx, False, it
        step, negative = found
        size = float(np.max(np.abs(step) / np.maximum(1.0, np.abs(x[free]))))
        decrease = -float(g[free] @ step)  # what the step would gain, to first order
        if (size <= tol or decrease <= 1e-3 * rounding) and not exact:
            H = None  # confirm with the Hessian itself
            continue
        if size <= tol or decrease <= 1e-3 * rounding:
            if negative is None:
                return x, fx, True, it
            # a stationary point that is not a minimum: leave it along the negative curvature
            step = negative * 1e-3 * max(1.0, float(np.max(np.abs(x[free]))))
            if f(_moved(x, free, step)) > f(_moved(x, free, -step)):
                step = -step
            decrease = 0.0
        t = 1.0
        for _ in range(60):
            trial = _moved(x, free, t * step)
            value = f(trial)
            if np.isfinite(value) and value <= fx - 1e-4 * t * decrease and (decrease > 0 or value < fx):
                break
            t *= 0.5
        else:  # no step lowers f beyond its rounding
            if not exact:
                H = None
                continue
            return x, fx, negative is None and (size <= 1e3 * tol or decrease <= 1e3 * rounding), it
        if fx - value <= rounding and exact and negative is None:
            # a gain at the rounding level of f: three in a row, and this is as far as it goes
            stalls += 1
            if stalls >= 3:
                return trial, value, decrease <= 10.0 * rounding, it
        else:
            stalls = 0
        g_new = grad(trial)
        if t < 1.0 or negative is not None:
            H = None
        else:  # BFGS update of the Hessian (of f: positive curvature along the step)
            sv, yv = trial - x, g_new - g
            sy = float(sv @ yv)
            Hs = H @ sv
            sHs = float(sv @ Hs)
            if sy > 1e-12 * float(np.linalg.norm(sv) * np.linalg.norm(yv)) and sHs > 0:
                H = H + np.outer(yv, yv) / sy - np.outer(Hs, Hs) / sHs
                exact = False
            else:
                H = None
        x, fx, g = trial, value, g_new
    return x, fx, False, steps


def _moved(x: NDArray, free: NDArray, step: NDArray) -> NDArray:
    """``x`` moved by ``step`` on its ``free`` coordinates."""
    out = x.copy()
    out[free] = x[free] + step
    return out


def minimize_smooth(
    f: Callable[[NDArray], float],
    grad: Callable[[NDArray], NDArray],
    x0: NDArray,
    *,
    hess: Callable[[NDArray], NDArray] | None = None,
    snap: NDArray | None = None,
    max_iter: int = 200,
    tol: float = 1e-10,
) -> Minimum:
    """Minimize a smooth ``f`` by modified Newton steps with a line search (the Hessian ``hess``,
    default central differences of ``grad``, its eigenvalues made positive; saddles left along a
    direction of negative curvature). Then each coordinate flagged in ``snap`` whose value is
    within :data:`SNAP_BELOW` of 0 is tried at 0 (the others re-polished), and kept there if that
    is at least as good: a diagonal entry of a relative covariance factor at 0 is a variance on the
    boundary, which Newton's method approaches but does not reach.

    The entries of a covariance factor are searched without bounds: the likelihood depends on
    :math:`\\Lambda` through :math:`\\Lambda\\Lambda^\\top`, which a change of sign of a column leaves
    alone, so a negative diagonal is as good as its positive mirror (lme4 bounds the diagonal at
    0 instead, which adds stationary points on the bound that are not maxima). (SciPy's L-BFGS-B
    would do the first part, but in SciPy 1.17 each of its iterations costs milliseconds of BLAS
    threading, far more than these small problems.)"""
    x = np.asarray(x0, dtype=float)
    snap = np.zeros(x.size, dtype=bool) if snap is None else np.asarray(snap, dtype=bool)
    hessian = hess if hess is not None else (lambda v: difference_hessian(grad, v))
    none = np.zeros(x.size, dtype=bool)
    fx = f(x)
    if not np.isfinite(fx):
        raise ValueError("the objective is not finite at the start")
    x, fx, converged, n_iter = _polish(f, grad, hessian, x, fx, none, tol, max_iter)
    for j in np.flatnonzero(snap & (np.abs(x) < SNAP_BELOW) & (x != 0)):
        trial = x.copy()
        trial[j] = 0.0
        hold = none.copy()
        hold[j] = True
        xt, ft, ok, more = _polish(f, grad, hessian, trial, f(trial), hold, tol, max_iter)
        n_iter += more
        if ok and ft <= fx + 1e-12 * max(1.0, abs(fx)):
            # at 0: polish once more with the coordinate free, which leaves it there if 0 is the
            # minimum (the likelihood is even in it, or it rises away from 0)
            xs, fs, ok2, more = _polish(f, grad, hessian, xt, ft, none, tol, max_iter)
            n_iter += more
            if fs <= ft + 1e-12 * max(1.0, abs(ft)):
                x, fx, converged = xs, fs, ok2
    message = "modified Newton"
    if not converged:
        message += ": a Newton step would still move the parameters; not converged"
    return Minimum(x, float(fx), bool(converged), n_iter, message)


# --- the conditional modes ---------------------------------------------------------------------
@dataclass(frozen=True, eq=False)
class RandomEffects:
    """The random effects of each group given the data, at given parameters: ``modes`` (G, q),
    their conditional standard errors ``se`` (G, q) and covariances ``cov`` (G, q, q), one row per
    group of ``labels`` (sorted), one column per effect of ``names``.

    For a linear mixed model they are the BLUPs :math:`\\hat b_g = \\Sigma Z_g^\\top V_g^{-1}
    (y_g - X_g\\beta)` with :math:`\\mathrm{cov}(b_g \\mid y_g) = \\Sigma - \\Sigma Z_g^\\top
    V_g^{-1} Z_g\\Sigma` (β, Σ and σ taken as known: lme4's ``ranef(fit, condVar = TRUE)``); for a
    GLMM, the modes of :math:`b_g` given :math:`y_g` and the inverse curvature there (Laplace's
    normal approximation, as lme4 reports them)."""

    labels: NDArray
    names: tuple[str, ...]
    modes: NDArray
    cov: NDArray

    @property
    def se(self) -> NDArray:
        return np.sqrt(np.clip(np.einsum("gjj->gj", self.cov), 0.0, None))

    def to_frame(self):
        """The modes and standard errors as a pandas DataFrame indexed by group (needs pandas)."""
        pd = lazy_pandas()
        data = {}
        for k, name in enumerate(self.names):
            data[name] = self.modes[:, k]
            data[f"se[{name}]"] = self.se[:, k]
        return pd.DataFrame(data, index=pd.Index(self.labels, name="group"))


# --- the profiled deviance in the relative covariance factor --------------------------------------
@dataclass(frozen=True, eq=False)
class _Stats:
    """The per-group cross products of a fit (rows sorted by group)."""

    Xs: NDArray
    ys: NDArray
    Zs: NDArray
    groups: Groups
    T: NDArray  # Z_g' Z_g (G, q, q)
    ZtX: NDArray  # Z_g' X_g (G, q, p)
    Zty: NDArray  # Z_g' y_g (G, q)
    XtX: NDArray
    Xty: NDArray

    @classmethod
    def of(cls, X: NDArray, y: NDArray, Z: NDArray, groups: Groups) -> _Stats:
        Xs, ys, Zs = X[groups.order], y[groups.order], Z[groups.order]
        T = groups.sums(Zs[:, :, None] * Zs[:, None, :])
        ZtX = groups.sums(Zs[:, :, None] * Xs[:, None, :])
        Zty = groups.sums(Zs * ys[:, None])
        return cls(Xs, ys, Zs, groups, T, ZtX, Zty, Xs.T @ Xs, Xs.T @ ys)

    @property
    def n(self) -> int:
        return int(self.ys.shape[0])

    @property
    def p(self) -> int:
        return int(self.Xs.shape[1])


def _solve_spd(C: NDArray, b: NDArray) -> tuple[NDArray, float] | None:
    r""":math:`C^{-1}b` and :math:`\log|C|` by Cholesky with power-of-two scaling; None if C is not
    positive definite."""
    d = np.sqrt(np.abs(np.diag(C)))
    if not np.all(np.isfinite(C)) or np.any(d == 0):
        return None
    s = np.exp2(np.round(np.log2(d)))
    try:
        L = np.linalg.cholesky(C / np.outer(s, s))
    except np.linalg.LinAlgError:
        return None
    rhs = (b.T / s).T
    x = np.linalg.solve(L.T, np.linalg.solve(L, rhs))
    logdet = 2.0 * float(np.sum(np.log(np.diag(L)))) + 2.0 * float(np.sum(np.log(s)))
    return (x.T / s).T, logdet


def spd_inverse(M: NDArray) -> tuple[NDArray, NDArray]:
    """The inverses and log-determinants of a stack of small symmetric positive definite matrices
    (G, q, q): closed forms for q = 1 and 2 (NumPy's batched LAPACK calls cost more than the
    arithmetic there), else ``inv`` and ``slogdet``."""
    q = M.shape[-1]
    if q == 1:
        return 1.0 / M, np.log(M[:, 0, 0])
    if q == 2:
        a, b, d = M[:, 0, 0], M[:, 0, 1], M[:, 1, 1]
        det = a * d - b * b
        inv = np.empty_like(M)
        inv[:, 0, 0], inv[:, 1, 1] = d / det, a / det
        inv[:, 0, 1] = inv[:, 1, 0] = -b / det
        return inv, np.log(det)
    return np.linalg.inv(M), np.linalg.slogdet(M)[1]


@dataclass(frozen=True, eq=False)
class _Point:
    """The profiled quantities at one :math:`\\Lambda`."""

    L: NDArray
    M: NDArray
    Minv: NDArray
    logdet_m: float
    C: NDArray
    logdet_c: float
    beta: NDArray
    resid: NDArray  # y - X beta (sorted rows)
    u: NDArray  # spherical conditional modes (G, q)
    e: NDArray  # y - X beta - Z Lambda u (sorted rows)
    pwrss: float


def _at(stats: _Stats, L: NDArray) -> _Point | None:
    """Everything at :math:`\\Lambda` = ``L``: :math:`\\hat\\beta(\\Lambda)`, the conditional
    modes and the penalized residual sum of squares (None if :math:`X^\\top\\tilde V^{-1}X` is
    singular)."""
    q = L.shape[0]
    if q == 1:
        return _at_scalar(stats, L)
    TL = stats.T @ L
    M = L.T @ TL + np.eye(q)
    Minv, logdets = spd_inverse(M)
    logdet_m = float(np.sum(logdets))
    P = np.swapaxes(L, 0, 1) @ stats.ZtX  # (G, q, p)
    c = stats.Zty @ L  # (G, q)
    MP = Minv @ P
    C = stats.XtX - np.einsum("gki,gkj->ij", P, MP)
    rhs = stats.Xty - np.einsum("gki,gk->i", MP, c)
    solved = _solve_spd(0.5 * (C + C.T), rhs)
    if solved is None:
        return None
    beta, logdet_c = solved
    resid = stats.ys - stats.Xs @ beta
    Ztr = stats.groups.sums(stats.Zs * resid[:, None])
    u = np.einsum("gij,gj->gi", Minv, Ztr @ L)
    b = u @ L.T  # Lambda u per group
    e = resid - np.einsum("iq,iq->i", stats.Zs, b[stats.groups.sorted_code])
    pwrss = float(e @ e + np.sum(u * u))
    return _Point(L, M, Minv, logdet_m, C, logdet_c, beta, resid, u, e, pwrss)


def _at_scalar(stats: _Stats, L: NDArray) -> _Point | None:
    """:func:`_at` for a single random effect: every per-group matrix is a number."""
    lam = float(L[0, 0])
    t, zx, zy = stats.T[:, 0, 0], stats.ZtX[:, 0, :], stats.Zty[:, 0]
    M = 1.0 + lam * lam * t
    k = lam * lam / M
    C = stats.XtX - (zx * k[:, None]).T @ zx
    rhs = stats.Xty - (k * zy) @ zx
    solved = _solve_spd(0.5 * (C + C.T), rhs)
    if solved is None:
        return None
    beta, logdet_c = solved
    resid = stats.ys - stats.Xs @ beta
    ztr = stats.groups.sums(stats.Zs[:, 0] * resid)
    u = lam * ztr / M
    e = resid - stats.Zs[:, 0] * (lam * u)[stats.groups.sorted_code]
    pwrss = float(e @ e + u @ u)
    Mm = M[:, None, None]
    return _Point(L, Mm, 1.0 / Mm, float(np.sum(np.log(M))), C, logdet_c, beta, resid, u[:, None], e, pwrss)


class Profiled:
    """lme4's profiled deviance :math:`-2\\tilde\\ell(\\theta)` (ML) or REML criterion, and its
    analytic gradient, in ``theta`` (the relative covariance factor, column by column). The last
    point computed is kept, for the gradient at the point whose value was just asked for."""

    def __init__(self, stats: _Stats, layout: CovarianceLayout, reml: bool):
        self.stats = stats
        self.layout = layout
        self.reml = reml
        self._cache_point: tuple[bytes, _Point | None] | None = None

    @property
    def dof(self) -> int:
        return self.stats.n - (self.stats.p if self.reml else 0)

    def point(self, theta: NDArray) -> _Point | None:
        theta = np.asarray(theta, dtype=float)
        key = theta.tobytes()
        if self._cache_point is not None and self._cache_point[0] == key:
            return self._cache_point[1]
        pt = _at(self.stats, self.layout.lower(theta))
        self._cache_point = (key, pt)
        return pt

    def deviance_at(self, pt: _Point | None) -> float:
        if pt is None or not pt.pwrss > 0:
            return np.inf
        m = self.dof
        dev = pt.logdet_m + m * (1.0 + math.log(2.0 * math.pi * pt.pwrss / m))
        return dev + pt.logdet_c if self.reml else dev

    def __call__(self, theta: NDArray) -> float:
        return self.deviance_at(self.point(theta))

    def gradient(self, theta: NDArray) -> NDArray:
        pt = self.point(theta)
        if pt is None or not pt.pwrss > 0:
            return np.full(np.size(theta), np.nan)
        s = self.stats
        L = pt.L
        q = L.shape[0]
        if q == 1:
            return self._scalar_gradient(pt)
        Minv = pt.Minv
        TL = s.T @ L
        Ztr = s.groups.sums(s.Zs * pt.resid[:, None])
        w = Ztr - np.einsum("gij,gj->gi", TL, pt.u)
        G = np.einsum("gij,gjk->ik", TL, Minv) - (self.dof / pt.pwrss) * np.einsum("gi,gj->ij", w, pt.u)
        if self.reml:
            P = np.swapaxes(L, 0, 1) @ s.ZtX
            MP = Minv @ P  # (G, q, p)
            B = s.ZtX - TL @ MP
            solved = _solve_spd(0.5 * (pt.C + pt.C.T), np.eye(s.p))
            if solved is None:
                return np.full(np.size(theta), np.nan)
            Cinv = solved[0]
            G = G - np.einsum("gia,ab,gjb->ij", B, Cinv, MP)
        full = 2.0 * G
        row, col = self.layout.theta_index()
        return full[row, col]

    def _scalar_gradient(self, pt: _Point) -> NDArray:
        s = self.stats
        lam = float(pt.L[0, 0])
        t, zx = s.T[:, 0, 0], s.ZtX[:, 0, :]
        M = pt.M[:, 0, 0]
        u = pt.u[:, 0]
        ztr = s.groups.sums(s.Zs[:, 0] * pt.resid)
        w = ztr - t * lam * u
        G = float(np.sum(t * lam / M)) - (self.dof / pt.pwrss) * float(w @ u)
        if self.reml:
            solved = _solve_spd(0.5 * (pt.C + pt.C.T), np.eye(s.p))
            if solved is None:
                return np.array([np.nan])
            B = zx / M[:, None]
            G -= lam * float(np.einsum("ga,ab,gb->", B, solved[0], B))
        return np.array([2.0 * G])


# --- the model ------------------------------------------------------------------------------------
def mixed_data_key(y: NDArray, code: NDArray, extra: NDArray | None = None) -> str:
    """A fingerprint of the responses and of the grouping (and ``extra``, such as a GLMM's
    trials), in row order."""
    parts = [y, code.astype(float)] if extra is None else [y, code.astype(float), extra]
    return data_key(y.shape[0], fingerprint_sum(np.concatenate(parts)))


class GroupedRegression(RegressionLikelihood):
    """What a model of grouped rows knows of its data, shared by :class:`LinearMixed` and
    :class:`~mle_tutorial.glmm.GeneralizedLinearMixed`: the design ``X``, the response ``y``, the
    groups (``groups.G`` of them, the independent units) and the data key ``key``."""

    X: NDArray
    y: NDArray
    groups: Any
    key: str

    @property
    def nobs(self) -> int:
        """The number of groups (the independent units)."""
        return self.groups.G

    @property
    def n_rows(self) -> int:
        return int(self.y.shape[0])

    @property
    def data_key(self) -> str:
        return self.key

    @property
    def response_key(self) -> str:
        """The data key a model without groups fitted to the same y has (a linear regression or a
        GLM: for the nesting of such a model in this one)."""
        return data_key(self.n_rows, fingerprint_sum(self.y))

    @property
    def design(self) -> NDArray:
        return self.X

    @property
    def n_coef(self) -> int:
        return int(self.X.shape[1])


class LinearMixed(GroupedRegression):
    r"""A linear mixed model on its data: parameters ``[beta..., sd[...]..., corr[...]..., sigma]``
    (the coefficients, the random effects' standard deviations and correlations, the residual
    standard deviation).

    .. math:: \begin{aligned}
              \ell_g &= -\tfrac12\left[n_g\log 2\pi + \log|V_g| + r_g^\top V_g^{-1} r_g\right],\\
              V_g &= \sigma^2 I + Z_g\Sigma Z_g^\top, \qquad r_g = y_g - X_g\beta
              \end{aligned}

    One contribution per **group** (``nobs`` is the number of groups): robust errors are
    clustered by group and the nonparametric bootstrap resamples groups. With ``reml`` the fit
    maximizes the restricted likelihood, but the contract (``loglik_obs``, the scores) stays the
    likelihood of each group: REML's criterion is not a sum over groups. Built by
    :func:`~mle_tutorial.fit_linear_mixed` (``fit.model``); :meth:`random_effects` gives the BLUPs,
    :meth:`predict` the fitted values with and without them, :meth:`on_boundary` the parameters on
    the edge of their space.
    """

    name = "linear_mixed"

    def __init__(self, X: NDArray, y: NDArray, Z: NDArray, groups: Groups, names: Sequence[str],
                 re_names: Sequence[str], *, reml: bool = False, options: dict | None = None):  # fmt: skip
        self.X = X
        self.y = y
        self.Z = Z
        self.groups = groups
        self.names = tuple(names)
        self.layout = CovarianceLayout(tuple(re_names))
        self.reml = bool(reml)
        self.options = options
        self.key = mixed_data_key(y, groups.code)
        self._cache_stats: _Stats | None = None

    def _like(self, X, y, Z, groups, names=None) -> LinearMixed:
        return LinearMixed(X, y, Z, groups, self.names[: self.n_coef] if names is None else names,
                           self.layout.names, reml=self.reml, options=self.options)  # fmt: skip

    # layout
    @property
    def param_names(self) -> tuple[str, ...]:
        return (*self.names, *self.layout.param_names, "sigma")

    @property
    def bounds(self):
        return (FREE,) * self.n_coef + self.layout.bounds + (POSITIVE,)

    def stats(self) -> _Stats:
        cached = getattr(self, "_cache_stats", None)
        if cached is None:
            cached = self._cache_stats = _Stats.of(self.X, self.y, self.Z, self.groups)
        return cached

    # the likelihood at the natural parameters
    def _split(self, params):
        params = np.asarray(params, dtype=float)
        p = self.n_coef
        sd, corr = self.layout.split(params, p)
        return params[:p], sd, corr, float(params[-1])

    def _relative(self, params) -> tuple[NDArray, NDArray, float, NDArray] | None:
        """beta, the factor Lambda (Sigma = sigma^2 Lambda Lambda'), sigma and sd; None where Sigma
        is not positive semi-definite or sigma not positive."""
        beta, sd, corr, sigma = self._split(params)
        if not sigma > 0 or not np.all(np.isfinite(params)):
            return None
        F = psd_factor(self.layout.matrix(sd, corr))
        if F is None:
            return None
        return beta, F / sigma, sigma, sd

    def _pieces(self, params):
        rel = self._relative(params)
        if rel is None:
            return None
        beta, L, sigma, sd = rel
        s = self.stats()
        q = self.layout.q
        M = L.T @ (s.T @ L) + np.eye(q)
        Minv, logdet = spd_inverse(M)
        resid = s.ys - s.Xs @ beta
        Ztr = s.groups.sums(s.Zs * resid[:, None])
        u = np.einsum("gij,gj->gi", Minv, Ztr @ L)
        e = resid - np.einsum("iq,iq->i", s.Zs, (u @ L.T)[s.groups.sorted_code])
        return beta, L, sigma, sd, Minv, logdet, u, e

    def loglik_obs(self, params):
        pieces = self._pieces(params)
        if pieces is None:
            return np.full(self.nobs, -np.inf)
        _, _, sigma, _, _, logdet, u, e = pieces
        s = self.stats()
        pwrss = s.groups.sums(e * e) + np.sum(u * u, axis=1)
        return -0.5 * (s.groups.sizes * (_LOG_2PI + 2.0 * math.log(sigma)) + logdet + pwrss / (sigma * sigma))

    def score_obs(self, params):
        r"""The score of each group: :math:`X_g^\top V_g^{-1}r_g` for β; for Σ,
        :math:`\tfrac12(w_gw_g^\top - Z_g^\top V_g^{-1}Z_g)` (:math:`w_g = Z_g^\top V_g^{-1}r_g`) by
        the chain rule through :math:`\Sigma = DRD`; for σ, :math:`\sigma(\|V_g^{-1}r_g\|^2 -
        \mathrm{tr}\,V_g^{-1})`."""
        pieces = self._pieces(params)
        k = len(self.param_names)
        if pieces is None:
            return np.full((self.nobs, k), np.nan)
        _, L, sigma, sd, Minv, _, _, e = pieces
        s = self.stats()
        q = self.layout.q
        s2 = sigma * sigma
        d_beta = s.groups.sums(s.Xs * e[:, None]) / s2
        w = s.groups.sums(s.Zs * e[:, None]) / s2  # Z'V^-1 r
        S = L @ L.T  # Sigma / sigma^2
        A = np.linalg.solve(np.eye(q) + s.T @ S, s.T) / s2  # Z'V^-1 Z
        G2 = np.einsum("gi,gj->gij", w, w) - A  # 2 dl/dSigma
        R = self.layout.matrix(np.ones(q), self._split(params)[2])
        d_sd = np.einsum("gjk,k,kj->gj", G2, sd, R)
        i, j = self.layout.pairs()
        d_corr = G2[:, i, j] * (sd[i] * sd[j])
        Minv_trace = np.einsum("gii->g", Minv)
        ee = s.groups.sums(e * e)
        d_sigma = ee / (s2 * sigma) - (s.groups.sizes - q + Minv_trace) / sigma
        return np.column_stack([d_beta, d_sd, d_corr, d_sigma])

    def restricted_loglik(self, params) -> float:
        r"""The restricted (REML) log-likelihood at the variance parameters of ``params`` (β plays
        no part): :math:`-\tfrac12[\sum_g\log|M_g| + \log|X^\top\tilde V^{-1}X| + (n - p)\log 2\pi
        \sigma^2 + r^2/\sigma^2]`, as lme4's REML criterion (-2 times it)."""
        rel = self._relative(params)
        if rel is None:
            return -np.inf
        _, L, sigma, _ = rel
        pt = _at(self.stats(), L)
        if pt is None:
            return -np.inf
        m = self.n_rows - self.n_coef
        return -0.5 * (
            pt.logdet_m + pt.logdet_c + m * (_LOG_2PI + 2.0 * math.log(sigma)) + pt.pwrss / sigma**2
        )

    # what the fit says about the groups
    def on_boundary(self, params) -> tuple[str, ...]:
        r"""The parameters on the edge of their space at ``params``: standard deviations at 0 (and
        the correlations of their effects, then undefined), and correlations of :math:`\pm 1`.
        Empty where :math:`\Sigma` is not singular."""
        params = np.asarray(params, dtype=float)
        return boundary_names(self.layout, params, self.n_coef)

    def random_effects(self, params) -> RandomEffects:
        r"""The BLUPs :math:`\hat b_g = \Sigma Z_g^\top V_g^{-1}(y_g - X_g\beta)` of each group at
        ``params`` (usually ``fit.params``), with their conditional covariances
        :math:`\sigma^2\Lambda M_g^{-1}\Lambda^\top` (β, Σ, σ taken as known, as lme4's ``ranef``)."""
        pieces = self._pieces(params)
        if pieces is None:
            raise ValueError(
                "params is not a point of the parameter space (Sigma is not positive semi-definite)"
            )
        _, L, sigma, _, Minv, _, u, _ = pieces
        cov = sigma * sigma * (L @ Minv @ L.T)
        return RandomEffects(self.groups.labels, self.layout.names, u @ L.T, cov)

    def predict(self, params, X=None, Z=None, groups=None, *, random: bool = True) -> NDArray:
        r"""Predicted means: :math:`X\beta + Z\hat b_g` with the BLUPs (``random=True``), or the
        mean of a new group, :math:`X\beta` (``random=False``). Without ``X`` (and ``Z``,
        ``groups``), the fitted values of the data, in their row order; with them, new rows, whose
        groups are matched to the fitted ones by label (a group not in the data gets
        :math:`b = 0`)."""
        return predict_mixed(self, params, X, Z, groups, random, lambda eta: eta)

    # fitting
    def start(self):
        return None

    def fit(self, start=None, *, method: str | None = None, options: dict | None = None) -> FitResult:
        if method not in (None, "profiled"):
            raise ValueError(
                "a linear mixed model is fitted by its profiled likelihood; method must be None, "
                f"got {method!r}"
            )
        if start is not None:
            raise ValueError("fit_linear_mixed starts from lme4's start (Lambda = I); it takes no start")
        return _fit(self, self.options if options is None else options)

    # the bootstrap
    def simulate(self, params, rng):
        beta, sd, corr, sigma = self._split(params)
        F = psd_factor(self.layout.matrix(sd, corr))
        if F is None or not sigma > 0:
            raise ValueError(
                "params is not a point of the parameter space (Sigma is not positive semi-definite)"
            )
        b = rng.standard_normal((self.groups.G, self.layout.q)) @ F.T
        eps = rng.standard_normal(self.n_rows)
        y = self.X @ beta + np.einsum("iq,iq->i", self.Z, b[self.groups.code]) + sigma * eps
        return self._like(self.X, y, self.Z, self.groups)

    def resample(self, rows):
        chosen = np.asarray(rows, dtype=np.intp)
        idx, code = self.groups.rows_of(chosen)
        groups = Groups.from_codes(np.arange(len(chosen)), code)
        return self._like(self.X[idx], self.y[idx], self.Z[idx], groups)

    def with_design(self, X):
        Xm, columns = read_matrix(X)
        if Xm.shape[0] != self.n_rows:
            raise ValueError(f"X_full has {Xm.shape[0]} rows but the fit has {self.n_rows} rows")
        names = coefficient_names(None, columns, Xm.shape[1])
        return self._like(Xm, self.y, self.Z, self.groups, names)

    # nesting
    def nesting(self, restricted) -> Nesting:
        return mixed_nesting(self, restricted, ("normal",))

    def embedding(self, restricted):
        return mixed_embedding(self, restricted, sigma=True)

    def robust_cov(self, params, cov, groups=None):
        if self.reml:
            raise ValueError(
                "robust errors use the scores of the likelihood, and a REML fit does not maximize it; "
                "refit with reml=False for robust (group-clustered) errors"
            )
        return super().robust_cov(params, cov, groups)


def boundary_names(layout: CovarianceLayout, params: NDArray, p: int) -> tuple[str, ...]:
    """The standard deviations at 0 (with the correlations they leave undefined) and the
    correlations of +-1 in ``params``; empty where none is (see :meth:`LinearMixed.on_boundary`)."""
    sd, corr = layout.split(params, p)
    names = layout.param_names
    out = [names[k] for k in range(layout.q) if sd[k] == 0.0]
    i, j = layout.pairs()
    for m in range(layout.n_corr):
        if sd[i[m]] == 0.0 or sd[j[m]] == 0.0 or abs(corr[m]) == 1.0:
            out.append(names[layout.q + m])
    if not out and layout.q > 2:  # a singular Sigma inside the box of sds and correlations
        F = psd_factor(layout.matrix(np.ones(layout.q), corr))
        if F is not None and np.linalg.matrix_rank(F, tol=1e-10) < layout.q:
            out.extend(names[layout.q : layout.size])
    return tuple(out)


def predict_mixed(model, params, X, Z, groups, random: bool, mean: Callable) -> NDArray:
    """:meth:`LinearMixed.predict` and its GLMM form (``mean`` maps the linear predictor)."""
    params = np.asarray(params, dtype=float)
    p = model.n_coef
    beta = params[:p]
    if X is None:
        if Z is not None or groups is not None:
            raise ValueError("give X with Z and groups (new rows), or none of them (the data's own rows)")
        eta = model.X @ beta + (model.offset if getattr(model, "offset", None) is not None else 0.0)
        if random:
            modes = model.random_effects(params).modes
            eta = eta + np.einsum("iq,iq->i", model.Z, modes[model.groups.code])
        return mean(eta)
    rows = match_rows({"X": X, "Z": Z, "groups": groups})
    Xm = as_float_array(rows["X"], "X", ndim=2)
    if Xm.shape[1] != p:
        raise ValueError(f"X has {Xm.shape[1]} columns but the model has {p} coefficients")
    eta = Xm @ beta
    if not random:
        return mean(eta)
    if groups is None:
        raise ValueError("predictions with the random effects (random=True) need the groups of the new rows")
    n = Xm.shape[0]
    if model.layout.names == ("intercept",) and Z is None:
        Zm = np.ones((n, 1))
    else:
        if Z is None:
            raise ValueError("the model has random slopes: give Z for the new rows")
        Zm = as_float_array(rows["Z"], "Z", ndim=2)
        if Zm.shape != (n, model.layout.q):
            raise ValueError(f"Z must have shape ({n}, {model.layout.q}), got {Zm.shape}")
    labels = np.asarray(
        cast(Any, rows["groups"]).to_numpy() if pandas_kind(rows["groups"]) else rows["groups"]
    )
    if labels.shape != (n,):
        raise ValueError(f"groups must hold one label per row of X ({n}), got shape {labels.shape}")
    known = model.groups.labels
    if labels.dtype.kind != known.dtype.kind and known.dtype.kind in "US" and labels.dtype.kind not in "US":
        labels = labels.astype(str)
    pos = np.searchsorted(known, labels)
    pos = np.clip(pos, 0, len(known) - 1)
    found = known[pos] == labels
    modes = model.random_effects(params).modes
    b = np.where(found[:, None], modes[pos], 0.0)
    return mean(eta + np.einsum("iq,iq->i", Zm, b))


def mixed_nesting(full, restricted_model: Likelihood, plain: tuple[str, ...]) -> Nesting:
    """How a restricted model sits in a mixed model ``full``: a mixed model of the same kind with
    the same random effects and fewer coefficients (an interior restriction), or with one random
    effect fewer (its standard deviation held at 0, on the boundary: the :math:`\\bar\\chi^2`
    reference), or for a single random effect the model without it (``plain``: the families of
    the package's fitters that fit it, such as ``"normal"`` for :func:`~mle_tutorial.fit_linear`)."""
    if not isinstance(restricted_model, Likelihood):
        raise ValueError(f"restricted must be a Likelihood, got {type(restricted_model).__name__}")
    restricted: Any = restricted_model
    if getattr(restricted, "name", None) in plain:
        if full.reml:
            raise ValueError(
                "full is a REML fit and restricted a fit without random effects by maximum likelihood: "
                "their likelihoods are not comparable; refit full with reml=False"
            )
        if restricted.data_key != full.response_key:
            raise ValueError("restricted and full were fitted to different data (their responses differ)")
        if full.layout.q != 1:
            raise ValueError(
                f"full has {full.layout.q} random effects; dropping them all at once puts several "
                "variances on the boundary, where the likelihood-ratio statistic is not the 50:50 "
                "mixture the package knows: test one random effect at a time (a model with one fewer "
                "as restricted), or use the parametric bootstrap"
            )
        full.design_map(restricted)
        return Nesting(full, restricted, boundary=1)
    if type(restricted) is not type(full) or restricted.name != full.name:
        raise family_error(restricted, full)
    if restricted.nobs != full.nobs or restricted.data_key != full.data_key:
        raise ValueError(
            "restricted and full were fitted to different data (the responses or the groups differ); "
            "both models must be fitted to the same data, in the same row order"
        )
    check_same_settings(full, restricted)
    kept = _kept_effects(full, restricted)
    dropped = full.layout.q - len(kept)
    if dropped == 0:
        if full.reml:
            if restricted.n_coef != full.n_coef or not np.array_equal(restricted.X, full.X):
                raise ValueError(
                    "REML likelihoods of models with different fixed effects are not comparable: refit "
                    "both with reml=False to test coefficients"
                )
            raise ValueError("restricted and full have the same parameters: nothing is tested")
        full.design_map(restricted)
        return Nesting(full, restricted)
    if dropped > 1:
        raise ValueError(
            f"restricted has {dropped} random effects fewer than full; several variances on the boundary "
            "make the likelihood-ratio statistic a mixture the package does not compute: drop one random "
            "effect at a time, or use the parametric bootstrap"
        )
    if restricted.n_coef != full.n_coef or not np.array_equal(restricted.X, full.X):
        raise ValueError(
            "restricted drops a random effect and changes the fixed effects too: test one thing at a time "
            "(the same X in both)"
        )
    return Nesting(full, restricted, boundary=1)


def check_same_settings(full, restricted) -> None:
    """The same REML setting (and, for a GLMM, the same family and quadrature)."""
    if getattr(full, "reml", False) != getattr(restricted, "reml", False):
        raise ValueError("one fit is REML and the other ML: their likelihoods are not comparable")
    for attr, what in (("family", "family"), ("n_quadrature", "n_quadrature")):
        a, b = getattr(full, attr, None), getattr(restricted, attr, None)
        if a != b:
            raise ValueError(
                f"restricted and full differ in {what} ({b!r} and {a!r}): their likelihoods are not "
                "comparable"
            )


def _kept_effects(full, restricted) -> list[int]:
    """Which of full's random effects (columns of Z) restricted has; a ValueError if restricted has
    one that full does not."""
    kept = []
    for k in range(restricted.layout.q):
        column = restricted.Z[:, k]
        match = [j for j in range(full.layout.q) if np.array_equal(full.Z[:, j], column)]
        if not match:
            raise ValueError(
                f"restricted's random effect {restricted.layout.names[k]!r} is not one of full's (no "
                "column of full's Z equals it): the models are not nested"
            )
        kept.append(match[0])
    return kept


def mixed_embedding(full, restricted, *, sigma: bool):
    """``(C, d)`` of the restricted parameters in the full ones (see :func:`mixed_nesting`):
    coefficients by the designs, kept standard deviations and correlations as they are, the
    dropped effect's standard deviation and correlations 0."""
    p = full.n_coef
    layout = full.layout
    k_full = len(full.param_names)
    C_beta = full.design_map(restricted)
    pr = C_beta.shape[1]
    k_r = len(restricted.param_names)
    C = np.zeros((k_full, k_r))
    C[:p, :pr] = C_beta
    if sigma:
        C[-1, -1] = 1.0
    if isinstance(restricted, type(full)):
        kept = _kept_effects(full, restricted)
        rl = restricted.layout
        for a, k in enumerate(kept):
            C[p + k, pr + a] = 1.0
        fi, fj = layout.pairs()
        ri, rj = rl.pairs()
        for m in range(rl.n_corr):
            i, j = sorted((kept[ri[m]], kept[rj[m]]))
            target = int(np.flatnonzero((fi == i) & (fj == j))[0])
            C[p + layout.q + target, pr + rl.q + m] = 1.0
    return C, np.zeros(k_full)


# --- the fitter ----------------------------------------------------------------------------------
def fit_linear_mixed(
    X: ArrayLike,
    y: ArrayLike,
    groups: ArrayLike,
    Z: ArrayLike | None = None,
    *,
    reml: bool = False,
    names: Sequence[str] | None = None,
    options: dict | None = None,
) -> FitResult:
    r"""A linear mixed model, :math:`y_g = X_g\beta + Z_g b_g + \varepsilon_g` with
    :math:`b_g \sim N(0, \Sigma)` and :math:`\varepsilon_g \sim N(0, \sigma^2 I)`, by profiled
    maximum likelihood or REML (as R's ``lme4::lmer``).

    .. math:: \begin{aligned}
              \ell(\theta) &= \sum_g -\tfrac12\Big[n_g\log 2\pi + \log|V_g|\\
              &\qquad + (y_g - X_g\beta)^\top V_g^{-1}(y_g - X_g\beta)\Big],\\
              V_g &= \sigma^2 I + Z_g\Sigma Z_g^\top
              \end{aligned}

    :math:`\beta` and :math:`\sigma` are profiled out: the search is over lme4's relative
    covariance factor alone, with only per-group :math:`q\times q` and :math:`q\times p` systems
    (see the docstring of the module ``mle_tutorial.linear_mixed``).

    Parameters
    ----------
    X : array_like or DataFrame, shape (n, p)
        The fixed effects' design (include a column of ones for an intercept). A DataFrame's
        columns name the coefficients.
    y : array_like or Series, shape (n,)
        The responses.
    groups : array_like or Series, shape (n,)
        The group of each row: numbers or strings, at least two groups.
    Z : array_like or DataFrame, shape (n, q), optional
        The random effects' design: one column per random effect of each group (a column of
        ones for a random intercept, ``x`` for a random slope in ``x``); :math:`\Sigma` is
        unstructured (a standard deviation per effect and a correlation per pair). Default: a
        random intercept only. A DataFrame's columns name the effects.
    reml : bool
        Maximize the restricted likelihood (REML) instead: :math:`\hat\sigma^2` and
        :math:`\hat\Sigma` corrected for the degrees of freedom :math:`\beta` uses, as ``lmer``'s
        default. ``loglik`` is then the restricted log-likelihood, as lme4's ``logLik`` reports
        it, which compares models with the same ``X`` only.
    names : sequence of str, optional
        A name for each coefficient (default: the columns of a DataFrame ``X``, else ``beta[j]``).
    options : dict, optional
        ``max_iter``, the most Newton steps of the search (default 200), and ``tol``, the
        largest relative Newton step at which it stops (default 1e-10).

    Returns
    -------
    FitResult
        ``params = [beta..., sd[...]..., corr[...]..., sigma]``, ``beta``, ``sigma``, ``loglik``
        (maximum or, with ``reml``, restricted), ``cov`` (ML: the inverse observed information;
        REML: :math:`(X^\top\hat V^{-1}X)^{-1}` for β, as lme4's ``vcov``, and the inverse
        curvature of the restricted likelihood for the variance parameters), and ``model`` (a
        :class:`LinearMixed`). ``nobs`` is the number of groups: the groups are the model's
        independent observations (its ``loglik_obs``, robust errors clustered by group, the
        bootstrap resampling groups). On the boundary (a standard deviation 0, a correlation
        :math:`\pm 1`), ``message`` says so, ``model.on_boundary(params)`` names those
        parameters, and their standard errors are NaN (see the module docstring).

    Raises
    ------
    ValueError
        Bad ``X``, ``y``, ``groups`` or ``Z`` (shapes, NaN or inf, non-numeric, pandas labels
        that differ, ``n <= p``, a rank-deficient ``X`` or ``Z``), a single group, more random
        effects than rows allow (groups of size one with a random slope), bad ``names`` or
        ``options``.

    Warns
    -----
    ConvergenceWarning
        When the search stops before its convergence test passes.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(1)
    >>> g = np.repeat(np.arange(30), 6)
    >>> x = rng.normal(size=180)
    >>> b = rng.normal(scale=0.8, size=30)
    >>> y = 1 + 0.5 * x + b[g] + rng.normal(scale=0.5, size=180)
    >>> X = np.column_stack([np.ones(180), x])
    >>> fit = fit_linear_mixed(X, y, g)
    >>> fit.param_names
    ('beta[0]', 'beta[1]', 'sd[intercept]', 'sigma')
    >>> fit.params.round(3)
    array([0.954, 0.518, 0.978, 0.455])
    """
    model = build_linear_mixed(X, y, groups, Z, reml=reml, names=names, options=options)
    return model.fit()


def build_linear_mixed(X, y, groups, Z=None, *, reml=False, names=None, options=None) -> LinearMixed:
    """Check the data as :func:`fit_linear_mixed` does and build the model."""
    check_options(options, COMMON_OPTIONS, "fit_linear_mixed")
    if not isinstance(reml, (bool, np.bool_)):
        raise ValueError(f"reml must be True or False, got {reml!r}")
    rows = match_rows({"X": X, "y": y, "groups": groups, "Z": Z})
    Xm, columns = read_matrix(rows["X"])
    ym = as_float_array(rows["y"], "y", ndim=1)
    n, p = Xm.shape
    if ym.shape[0] != n:
        raise ValueError(f"X has {n} rows but y has {ym.shape[0]} values; they must match")
    check_rows(n, p, None)
    check_full_rank(Xm)
    g = read_groups(rows["groups"], n)
    Zm, re_names = read_random_design(rows["Z"], n)
    check_identified(g, Zm.shape[1], n, sigma=True)
    layout = CovarianceLayout(re_names)
    coef = coefficient_names(names, columns, p, reserved=(*layout.param_names, "sigma"))
    return LinearMixed(Xm, ym, Zm, g, coef, re_names, reml=bool(reml), options=options)


#: How :class:`NaturalProfile` moves each kind of parameter: freely (a coefficient, and a standard
#: deviation: a negative one gives the same covariance as its positive mirror, with the signs of
#: its correlations changed), through atanh (a correlation) or log (sigma).
FREE_KIND, SD_KIND, CORR_KIND, LOG_KIND = 0, 1, 2, 3


@dataclass(eq=False)
class NaturalProfile:
    """``profile(j, value)``: the largest value of ``objective`` (a log-likelihood of the natural
    parameters) with parameter ``j`` held at ``value`` and the parameters flagged ``free``
    re-maximized (the others held at ``params``), by :func:`minimize_smooth` on a working scale
    (:data:`SD_KIND` ... above). -inf where ``value`` is impossible."""

    objective: Callable[[NDArray], float]
    params: NDArray
    free: NDArray
    kinds: NDArray

    def natural(self, t: NDArray, others: NDArray, j: int, value: float) -> NDArray:
        x = self.params.copy()
        kinds = self.kinds[others]
        x[others] = np.where(kinds == CORR_KIND, np.tanh(t), np.where(kinds == LOG_KIND, np.exp(t), t))
        x[j] = value
        return x

    def __call__(self, j: int, value: float) -> float:
        kind = self.kinds[j]
        if (
            (kind == SD_KIND and not value >= 0)
            or (kind == CORR_KIND and not -1 <= value <= 1)
            or (kind == LOG_KIND and not value > 0)
        ):
            return -np.inf
        others = self.free.copy()
        others[j] = False
        if not np.any(others):
            return float(self.objective(self.natural(np.zeros(0), others, j, value)))
        start = self.params[others]
        kinds = self.kinds[others]
        with np.errstate(divide="ignore"):
            t0 = np.where(kinds == CORR_KIND, np.arctanh(np.clip(start, -0.99, 0.99)),
                          np.where(kinds == LOG_KIND, np.log(start), start))  # fmt: skip

        def f(t):
            value_t = -float(self.objective(self.natural(t, others, j, value)))
            return value_t if np.isfinite(value_t) else np.inf

        found = minimize_smooth(
            f, lambda t: numdiff.gradient(f, t), t0, hess=lambda t: numdiff.hessian(f, t), max_iter=100
        )
        return -found.value


@dataclass(frozen=True, eq=False)
class VarianceLoglik:
    """The log-likelihood (REML: restricted) of a linear mixed model at the variance parameters of
    ``params``, β at its generalized least-squares value (picklable, for profiles)."""

    model: LinearMixed

    def __call__(self, params: NDArray) -> float:
        return _variance_loglik(self.model, params)


def variance_kinds(layout: CovarianceLayout, p: int, sigma: bool) -> NDArray:
    """The :class:`NaturalProfile` kind of each parameter of a mixed model."""
    kinds = [FREE_KIND] * p + [SD_KIND] * layout.q + [CORR_KIND] * layout.n_corr
    return np.array(kinds + ([LOG_KIND] if sigma else []))


@dataclass(eq=False)
class MixedProfile:
    """``profile(j, value)`` of a linear mixed model (on the data as the fit computed on them):
    a coefficient held by moving its column into the response and refitting the rest (ML only);
    a variance parameter held while the others are re-maximized, β by generalized least squares
    (the restricted likelihood for a REML fit)."""

    model: LinearMixed
    params: NDArray
    theta: NDArray

    def __call__(self, j: int, value: float) -> float:
        m = self.model
        p = m.n_coef
        if j < p:
            if m.reml:
                raise ValueError(
                    "a REML fit has no likelihood for the coefficients (REML integrates them out); "
                    "profile them in a fit with reml=False"
                )
            X = np.delete(m.X, j, axis=1)
            y = m.y - value * m.X[:, j]
            sub = LinearMixed(X, y, m.Z, m.groups, m.names[:j] + m.names[j + 1 :], m.layout.names)
            found = _search(Profiled(sub.stats(), m.layout, False), self.theta, m.options)
            return -0.5 * found.value
        free = np.arange(len(self.params)) >= p
        kinds = variance_kinds(m.layout, p, sigma=True)
        return NaturalProfile(VarianceLoglik(m), self.params, free, kinds)(j, value)


def _variance_loglik(model: LinearMixed, params: NDArray) -> float:
    """The log-likelihood (REML: restricted) at the variance parameters of ``params``, β at its
    generalized least-squares value."""
    if model.reml:
        return model.restricted_loglik(params)
    rel = model._relative(params)
    if rel is None:
        return -np.inf
    _, L, sigma, _ = rel
    pt = _at(model.stats(), L)
    if pt is None:
        return -np.inf
    return -0.5 * (pt.logdet_m + model.n_rows * (_LOG_2PI + 2.0 * math.log(sigma)) + pt.pwrss / sigma**2)


def _search(objective: Profiled, theta0: NDArray, options: dict | None) -> Minimum:
    opts = check_options(options, COMMON_OPTIONS, "fit_linear_mixed")
    layout = objective.layout
    return minimize_smooth(
        objective, objective.gradient, theta0, snap=layout.diagonal,
        max_iter=opts.get("max_iter", 200), tol=opts.get("tol", 1e-10),
    )  # fmt: skip


def scaled_copy(
    X: NDArray, y: NDArray, Z: NDArray
) -> tuple[NDArray, NDArray, NDArray, NDArray, int, NDArray]:
    """Every column of X and Z and y divided by the power of two that brings its largest |value|
    into [1/2, 1), and the exponents: the search then sees the same numbers for data in any units,
    and the estimates scale back exactly."""
    ex = shifts(column_maxima(X), always=True) if X.shape[1] else np.zeros(0, dtype=np.int64)
    ez = shifts(column_maxima(Z), always=True)
    ey = int(shifts(np.max(np.abs(y)), always=True)) if np.any(y != 0) else 0
    return shifted(X, ex), shifted(y, ey), shifted(Z, ez), ex, ey, ez


def covariance_at(
    bounds, params: NDArray, free: NDArray, loglik: Callable, score: Callable | None = None
) -> tuple[NDArray, str | None]:
    """The inverse of minus the Hessian of ``loglik`` over the ``free`` parameters, NaN elsewhere
    (the parameters on the boundary), and a HessianWarning text if that block is not negative
    definite. The Hessian is taken on the working scale of the parameters' ``bounds`` (the log of
    a standard deviation, the logit of a correlation's place in (-1, 1); Richardson differences of
    the analytic ``score`` where given), so that no difference steps out of the parameter space
    next to an edge, and carried back by the delta method."""
    k = len(params)
    cov = np.full((k, k), np.nan)
    idx = np.flatnonzero(free)
    transform = BoundsTransform(tuple(bounds[j] for j in idx))
    t0 = transform.from_natural(params[idx])

    def natural(t):
        x = params.copy()
        x[idx] = transform.to_natural(t)
        return x

    def value(t):
        return float(loglik(natural(t)))

    gradient = None
    if score is not None:

        def gradient(t):
            return np.asarray(score(natural(t)), dtype=float)[idx] * transform.derivative(t)

    H = numdiff.hessian(value, t0, gradient)
    sub, problem = covariance.from_hessian(-0.5 * (H + H.T), np.diag(transform.derivative(t0)))
    cov[np.ix_(idx, idx)] = sub
    return cov, problem


def boundary_message(names: tuple[str, ...]) -> str:
    if not names:
        return ""
    return (
        " The estimate is on the boundary of the parameter space (a singular random-effects "
        f"covariance): {', '.join(names)} on the edge (a standard deviation of 0, or a correlation "
        "of +-1 or left undefined by a standard deviation of 0). This is the maximum, not a failure; "
        "those parameters have NaN standard errors (test a variance by the likelihood ratio against "
        "the model without it, whose reference is the chi-bar-squared mixture)."
    )


def _fit(model: LinearMixed, options: dict | None) -> FitResult:
    """Profiled ML or REML on a copy scaled by powers of two; the estimates, covariance and
    log-likelihood mapped back."""
    Xs, ys, Zs, ex, ey, ez = scaled_copy(model.X, model.y, model.Z)
    inner = LinearMixed(Xs, ys, Zs, model.groups, model.names, model.layout.names, reml=model.reml,
                        options=model.options)  # fmt: skip
    layout = model.layout
    objective = Profiled(inner.stats(), layout, model.reml)
    found = _search(objective, layout.start(), options)
    theta = found.x
    pt = objective.point(theta)
    if pt is None:
        raise ValueError("X'V^-1 X is singular at the estimate: the fixed effects are not identified")
    beta = pt.beta
    m = objective.dof
    sigma = math.sqrt(pt.pwrss / m)
    sd, corr = layout.sd_corr(pt.L, sigma)
    params_w = np.concatenate([beta, sd, corr, [sigma]])
    p = model.n_coef
    on_edge = boundary_names(layout, params_w, p)
    names = inner.param_names
    free = np.array([name not in on_edge for name in names])
    if on_edge:  # Sigma singular: the variance parameters are held at the estimate
        free[p : p + layout.size] = False
    if model.reml:
        cov_w, problem = _reml_covariance(inner, params_w, pt, free)
    else:
        cov_w, problem = covariance_at(inner.bounds, params_w, free, inner.loglik, inner.score)
    e = np.concatenate([ey - ex, ey - ez, np.zeros(layout.n_corr, dtype=np.int64), [ey]]).astype(np.int64)
    params = unshift(params_w, e)
    cov = unshift_cov(cov_w, e)
    n = model.n_rows
    if model.reml:
        loglik = -0.5 * objective(theta) - (n - p) * ey * _LOG2 - float(np.sum(ex)) * _LOG2
        kind = "REML"
    else:
        loglik = -0.5 * objective(theta) - n * ey * _LOG2
        kind = "maximum likelihood"
    message = f"profiled {kind} over the relative covariance factor ({found.message})." + boundary_message(
        on_edge
    )
    failure = None
    if not found.converged:
        failure = f"fit_linear_mixed did not converge: {found.message}"
    est = Estimate(
        params=params,
        loglik=float(loglik),
        converged=found.converged,
        n_iter=found.n_iter,
        method=f"profiled {'REML' if model.reml else 'ML'}",
        message=message,
        cov=cov,
        problem=problem,
        profile=ScaledProfile(
            MixedProfile(inner, params_w, theta), tuple(int(v) for v in e), _loglik_shift(model, ey, ex)
        ),
        beta=params[:p].copy(),
        sigma=float(params[-1]),
        failure=failure,
    )
    return finish(model, est)


def _loglik_shift(model: LinearMixed, ey: int, ex: NDArray) -> float:
    n, p = model.n_rows, model.n_coef
    if model.reml:
        return -(n - p) * ey * _LOG2 - float(np.sum(ex)) * _LOG2
    return -n * ey * _LOG2


def _reml_covariance(
    inner: LinearMixed, params: NDArray, pt: _Point, free: NDArray
) -> tuple[NDArray, str | None]:
    """REML: :math:`\\hat\\sigma^2 C^{-1}` for β (lme4's ``vcov``); for the variance parameters, the
    inverse of minus the Hessian of the restricted log-likelihood (differences); no covariance
    between the two blocks."""
    p = inner.n_coef
    k = len(params)
    sigma = params[-1]
    cov = np.full((k, k), np.nan)
    solved = _solve_spd(0.5 * (pt.C + pt.C.T), np.eye(p))
    problem = None
    if solved is None:
        problem = covariance.SINGULAR_HESSIAN
    else:
        cov[:p, :p] = sigma * sigma * solved[0]
    var_idx = np.array([j for j in range(p, k) if free[j]], dtype=np.intp)
    if var_idx.size:
        var_free = np.zeros(k, dtype=bool)
        var_free[var_idx] = True
        sub, more = covariance_at(inner.bounds, params, var_free, inner.restricted_loglik)
        cov[np.ix_(var_idx, var_idx)] = sub[np.ix_(var_idx, var_idx)]
        problem = problem or more
    if problem is None:
        cov[:p, var_idx] = 0.0
        cov[var_idx, :p] = 0.0
    return cov, problem
