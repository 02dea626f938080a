r"""Zero-inflated Poisson and negative binomial regression: extra zeros from a second process.

Some zeros may come from people who would never have a count at all (who never see a doctor,
whatever their insurance): a **structural** zero, with probability :math:`\pi_i`, modelled by a
logistic regression on a design :math:`Z`; everyone else draws a count from the Poisson or
negative binomial model :math:`f(y; \mu_i[, \alpha])` with :math:`\log\mu_i = x_i^\top\beta + o_i`:

.. math:: P(y_i = 0) = \pi_i + (1 - \pi_i)f(0), \qquad P(y_i = k) = (1 - \pi_i)f(k),\ k > 0,
          \qquad \mathrm{logit}\,\pi_i = z_i^\top\gamma

(R's ``pscl::zeroinfl``). Parameters: the count coefficients :math:`\beta`, the zero-inflation
coefficients :math:`\gamma`, then :math:`\alpha` for the negative binomial.

Derivatives. With :math:`a = \eta_i`, :math:`b = z_i^\top\gamma`, :math:`q = 1 - \pi`, the count
model's :math:`L = \log f(0)` and its derivatives :math:`L_a, L_{aa}, L_\alpha, \dots`
(:func:`~mle_tutorial.negative_binomial.nb_terms`), :math:`P_0 = \pi + qe^L` and the posterior
probability :math:`\omega = qe^L/P_0` that a zero came from the count model, a zero count has

.. math:: \ell = \log P_0,\quad \ell_a = \omega L_a,\quad \ell_b = q - \omega,\quad
          \ell_\alpha = \omega L_\alpha,

.. math:: \ell_{aa} = \omega L_{aa} + \omega(1-\omega)L_a^2,\quad
          \ell_{bb} = \omega(1-\omega) - \pi q,\quad \ell_{ab} = -\omega(1-\omega)L_a,

and the same pattern in :math:`\alpha` (:math:`\ell_{a\alpha} = \omega L_{a\alpha} +
\omega(1-\omega)L_aL_\alpha`, :math:`\ell_{b\alpha} = -\omega(1-\omega)L_\alpha`); a positive count
has :math:`\ell = \log q + \log f(y)`, :math:`\ell_b = -\pi`, :math:`\ell_{bb} = -\pi q` and the
count model's own derivatives. :math:`\log P_0`, :math:`\omega` and :math:`1 - \omega = \pi/P_0`
are computed from logarithms (``logaddexp``), so that neither :math:`\pi` near 0 or 1 nor
:math:`f(0)` near 0 loses them.

The fit maximizes over :math:`(\beta, \gamma, \log\alpha)` by SciPy's trust-region Newton method
with this Hessian and the package's Newton polish, on columns scaled by powers of two. The
maximum does not always exist: a zero design that separates the zero counts from the positive
ones (as in logistic regression) sends :math:`\gamma` to infinity (a
:class:`~mle_tutorial.PerfectSeparationError`); and when the count model already explains the zeros
of part of the data, :math:`\pi_i \to 0` there and :math:`\gamma` runs off (a
:class:`~mle_tutorial.ConvergenceWarning`).

The Poisson (or negative binomial) model is the zero-inflated one with :math:`\pi = 0`, reached
only as :math:`\gamma \to -\infty`: not a point of the parameter space, so no likelihood-ratio
test has a :math:`\chi^2` (or :math:`\bar\chi^2`) distribution there, and the package refuses it
(see ``NOT_NESTED``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import ClassVar

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ._engine import covariance
from ._engine.checks import as_float_array, coefficient_names, match_rows, read_design, read_matrix
from ._engine.lazy import special
from ._engine.lstsq import check_full_rank
from ._engine.optimize import maximize, newton
from ._engine.profiles import OptimizerProfile
from ._engine.rows import InMemoryRows, data_key, fingerprint_sum, is_dask
from ._engine.sandwich import design_basis
from ._engine.scale import Unscale, column_maxima, shifted, shifts
from ._engine.transforms import BoundsTransform
from .fitting import FREE, POSITIVE, Estimate, finish
from .glm import POISSON, GLMPass, PerfectSeparationError, check_and_start, separation_direction
from .model import Nesting, RegressionLikelihood, family_error
from .negative_binomial import NegativeBinomialFamily, draw_counts, nb_terms
from .result import FitResult

__all__ = ["DISTRIBUTIONS", "NOT_NESTED", "ZeroInflated", "fit_zero_inflated", "zi_terms"]

DISTRIBUTIONS = ("poisson", "negative_binomial")

#: Why the model without zero inflation is not tested against the zero-inflated one.
NOT_NESTED = (
    "the {small} model is the zero-inflated one with no structural zeros (a structural-zero probability "
    "of 0), which the zero model reaches only as its coefficients go to -infinity, not at a point of its "
    "parameter space (and the zero model's other coefficients are not identified there): the "
    "likelihood-ratio and score "
    "statistics then have neither a chi-square nor a 50:50 chi-bar-square distribution, and a p-value "
    "from either would be wrong. Compare the two fits by AIC or BIC, or bootstrap the statistic: "
    "simulate data from the {small} fit (fit.model.simulate), refit both models to each, and compare "
    "the observed statistic with the simulated ones"
)

#: A linear predictor of the zero model beyond this (a structural-zero probability within e^-25 of
#: 0 or 1) makes a fit that did not converge look for a separating zero design.
ZERO_GAP = 25.0


def _log_expit(b: NDArray) -> NDArray:
    return -(np.maximum(-b, 0.0) + np.log1p(np.exp(-np.abs(b))))


# --- the kernel --------------------------------------------------------------------------------------
def zi_terms(
    beta: NDArray, gamma: NDArray, alpha: float, X: NDArray, Z: NDArray, y: NDArray,
    offset: NDArray | None, order: int = 0,
) -> dict:  # fmt: skip
    r"""Per observation: the log-likelihood (``"ll"``) and, for ``order`` >= 1, its derivatives in
    :math:`a = \eta_i` (``"a"``), :math:`b = z_i^\top\gamma` (``"b"``) and :math:`\alpha` (``"c"``);
    for ``order`` 2 the second derivatives ``"aa"``, ``"bb"``, ``"ab"``, ``"ac"``, ``"bc"``, ``"cc"``
    (see the module docstring). ``alpha = 0`` is the Poisson."""
    eta = X @ beta if offset is None else X @ beta + offset
    b = Z @ gamma
    t = nb_terms(eta, y, alpha, order)
    zero = y == 0
    log_pi, log_q = _log_expit(b), _log_expit(-b)
    L = np.where(zero, t["ll"], 0.0)
    log_p0 = np.logaddexp(log_pi, log_q + L)
    out = {"ll": np.where(zero, log_p0, log_q + t["ll"])}
    if order == 0:
        return out
    omega = np.where(zero, np.exp(log_q + L - log_p0), 1.0)
    rest = np.where(zero, np.exp(log_pi - log_p0), 0.0)  # 1 - omega, = pi / P0
    pi, q = special.expit(b), special.expit(-b)
    da, dc = t["d_eta"], t["d_alpha"]
    out["a"] = omega * da
    out["b"] = np.where(zero, q - omega, -pi)
    out["c"] = omega * dc
    if order >= 2:
        both = omega * rest
        out["aa"] = -omega * t["w"] + both * da * da
        out["bb"] = both - pi * q
        out["ab"] = -both * da
        out["ac"] = omega * t["d_eta_alpha"] + both * da * dc
        out["bc"] = -both * dc
        out["cc"] = omega * t["d_alpha_alpha"] + both * dc * dc
    return out


class ZIData:
    """The arrays of a zero-inflated fit: count design ``X``, zero design ``Z``, counts ``y``, the
    offset, and whether the count model is the negative binomial."""

    def __init__(self, X: NDArray, Z: NDArray, y: NDArray, offset: NDArray | None, negbin: bool):
        self.X, self.Z, self.y, self.offset, self.negbin = X, Z, y, offset, negbin

    @property
    def p(self) -> int:
        return self.X.shape[1]

    @property
    def q(self) -> int:
        return self.Z.shape[1]

    @property
    def k(self) -> int:
        return self.p + self.q + int(self.negbin)

    def split(self, params: NDArray) -> tuple[NDArray, NDArray, float]:
        params = np.asarray(params, dtype=float)
        p, q = self.p, self.q
        return params[:p], params[p : p + q], float(params[p + q]) if self.negbin else 0.0

    def terms(self, params: NDArray, order: int = 0) -> dict:
        beta, gamma, alpha = self.split(params)
        with np.errstate(over="ignore", invalid="ignore", divide="ignore", under="ignore"):
            return zi_terms(beta, gamma, alpha, self.X, self.Z, self.y, self.offset, order)

    def score_rows(self, params: NDArray) -> NDArray:
        t = self.terms(params, 1)
        cols = [self.X * t["a"][:, None], self.Z * t["b"][:, None]]
        if self.negbin:
            cols.append(t["c"][:, None])
        return np.hstack(cols)

    def derivatives(self, params: NDArray) -> tuple[float, NDArray, NDArray]:
        """The log-likelihood, score and Hessian on the natural scale."""
        t = self.terms(params, 2)
        X, Z, p, q, k = self.X, self.Z, self.p, self.q, self.k
        g = np.empty(k)
        g[:p], g[p : p + q] = X.T @ t["a"], Z.T @ t["b"]
        H = np.empty((k, k))
        H[:p, :p] = (X.T * t["aa"]) @ X
        H[p : p + q, p : p + q] = (Z.T * t["bb"]) @ Z
        H[:p, p : p + q] = (X.T * t["ab"]) @ Z
        H[p : p + q, :p] = H[:p, p : p + q].T
        if self.negbin:
            g[k - 1] = np.sum(t["c"])
            H[:p, k - 1] = H[k - 1, :p] = X.T @ t["ac"]
            H[p : p + q, k - 1] = H[k - 1, p : p + q] = Z.T @ t["bc"]
            H[k - 1, k - 1] = np.sum(t["cc"])
        return float(np.sum(t["ll"])), g, H


@dataclass(eq=False)
class ZIObjective:
    r""":math:`-\ell` on the working scale :math:`(\beta, \gamma, \log\alpha)`, with its analytic
    gradient and Hessian; the last point's derivatives are kept (the optimizer asks for the value,
    gradient and Hessian at the same point)."""

    data: ZIData
    cache: tuple | None = field(default=None, compare=False, repr=False)
    name: ClassVar[str] = "the zero-inflated negative log-likelihood"
    analytic_hessian: ClassVar[bool] = True

    def __getstate__(self) -> dict:
        return {"data": self.data, "cache": None}

    def natural(self, theta: NDArray) -> NDArray:
        theta = np.asarray(theta, dtype=float)
        if not self.data.negbin:
            return theta
        with np.errstate(over="ignore"):
            return np.append(theta[:-1], np.exp(theta[-1]))

    def __call__(self, theta: NDArray) -> float:
        x = self.natural(theta)
        if self.data.negbin and not 0.0 < x[-1] < np.inf:
            return np.inf
        ll = float(np.sum(self.data.terms(x)["ll"]))
        return -ll if np.isfinite(ll) else np.inf

    def safe(self, theta: NDArray) -> float:
        return self(theta)

    def _derivatives(self, theta: NDArray) -> tuple:
        theta = np.asarray(theta, dtype=float)
        key = theta.tobytes()
        if self.cache is not None and self.cache[0] == key:
            return self.cache[1]
        x = self.natural(theta)
        _, g, H = self.data.derivatives(x)
        if self.data.negbin:
            alpha = x[-1]
            H[:-1, -1] *= alpha
            H[-1, :-1] *= alpha
            H[-1, -1] = alpha * alpha * H[-1, -1] + alpha * g[-1]
            g[-1] *= alpha
        self.cache = (key, (g, H))
        return g, H

    def gradient(self, theta: NDArray) -> NDArray:
        return -self._derivatives(theta)[0]

    def hessian(self, theta: NDArray) -> NDArray:
        return -self._derivatives(theta)[1]


# --- the model ---------------------------------------------------------------------------------------
class ZeroInflated(RegressionLikelihood):
    r"""A zero-inflated Poisson or negative binomial regression on its data: parameters
    ``[beta..., gamma..., alpha]`` (no ``alpha`` for the Poisson).

    .. math:: \ell_i = \begin{cases} \log\{\pi_i + (1 - \pi_i)f(0; \mu_i)\} & y_i = 0 \\
              \log(1 - \pi_i) + \log f(y_i; \mu_i) & y_i > 0 \end{cases}

    Built by :func:`fit_zero_inflated` (``fit.model``); ``name`` is ``"zero_inflated_poisson"``
    or ``"zero_inflated_negative_binomial"``. The design of the regression contract is the count
    design ``X`` (``with_design`` replaces it, keeping ``Z``). The zero-inflated Poisson nests in
    the zero-inflated negative binomial at :math:`\alpha = 0`, on the edge (``boundary=1``); the
    model without zero inflation does not nest in a testable way (``NOT_NESTED``).
    """

    def __init__(self, data: ZIData, names: Sequence[str], key: str, *, options: dict | None = None,
                 working=None):  # fmt: skip
        self.data = data
        self.names = tuple(names)
        self.key = key
        self.options = options
        self._cache_working = working

    def _like(self, data: ZIData, key: str | None = None, names=None) -> ZeroInflated:
        key = data_key(data.y.size, fingerprint_sum(data.y)) if key is None else key
        return ZeroInflated(data, self.names if names is None else names, key, options=self.options)

    @property
    def dist(self) -> str:
        return "negative_binomial" if self.data.negbin else "poisson"

    @property
    def name(self) -> str:  # type: ignore[override]
        return f"zero_inflated_{self.dist}"

    @property
    def param_names(self) -> tuple[str, ...]:
        return self.names

    @property
    def bounds(self):
        return (FREE,) * (self.data.p + self.data.q) + ((POSITIVE,) if self.data.negbin else ())

    @property
    def nobs(self) -> int:
        return self.data.y.size

    @property
    def data_key(self) -> str:
        return self.key

    @property
    def design(self) -> NDArray:
        return self.data.X

    @property
    def n_coef(self) -> int:
        return self.data.p

    def working(self) -> tuple[ZIData, Unscale]:
        """Every column of X and Z scaled by a power of two into [1/2, 1): the optimizer then sees
        the same numbers for data in any units."""
        if self._cache_working is None:
            d = self.data
            ex = shifts(column_maxima(d.X), always=True)
            ez = shifts(column_maxima(d.Z), always=True)
            inner = ZIData(shifted(d.X, ex), shifted(d.Z, ez), d.y, d.offset, d.negbin)
            exponents = (*(-ex).tolist(), *(-ez).tolist(), *((0,) if d.negbin else ()))
            self._cache_working = (inner, Unscale(tuple(int(v) for v in exponents)))
        return self._cache_working

    def rescaled(self):
        inner, unscale = self.working()
        identity = Unscale((0,) * len(unscale.exponents))
        model = ZeroInflated(inner, self.names, self.key, options=self.options, working=(inner, identity))
        return model, unscale

    def loglik_obs(self, params):
        return self.data.terms(params)["ll"]

    def loglik(self, params) -> float:
        return float(np.sum(self.loglik_obs(params)))

    def score_obs(self, params):
        return self.data.score_rows(params)

    def score(self, params):
        return self.data.derivatives(params)[1]

    def hessian(self, params):
        return self.data.derivatives(params)[2]

    def start(self):
        inner, unscale = self.working()
        theta = _start(inner)
        natural = theta.copy()
        if inner.negbin:
            natural[-1] = np.exp(theta[-1])
        return np.ldexp(natural, np.asarray(unscale.exponents, dtype=np.int64))

    def fit(self, start=None, *, method: str | None = None, options: dict | None = None) -> FitResult:
        if method not in (None, "Newton"):
            raise ValueError(
                f"fit_zero_inflated fits by Newton's method; method must be 'Newton', got {method!r}"
            )
        if start is not None:
            raise ValueError("fit_zero_inflated starts from the count model's fit; it takes no start")
        return _fit(self, self.options if options is None else options)

    def simulate(self, params, rng):
        d = self.data
        beta, gamma, alpha = d.split(params)
        eta = d.X @ beta if d.offset is None else d.X @ beta + d.offset
        structural = rng.random(d.y.size) < special.expit(d.Z @ gamma)
        y = np.where(structural, 0.0, draw_counts(np.exp(eta), alpha, rng))
        return self._like(ZIData(d.X, d.Z, y, d.offset, d.negbin))

    def resample(self, rows):
        d = self.data
        offset = None if d.offset is None else d.offset[rows]
        return self._like(ZIData(d.X[rows], d.Z[rows], d.y[rows], offset, d.negbin))

    def with_design(self, X):
        d = self.data
        design = read_design(X, d.y, d.offset)
        p = design.X.shape[1]
        names = (*coefficient_names(None, design.columns, p, reserved=("alpha",)), *self.names[d.p :])
        return self._like(ZIData(design.X, d.Z, design.y, d.offset, d.negbin), self.key, names)

    def sandwich_basis(self):
        """As for every regression (the count design ``X`` on its orthonormal factor), and the zero
        design ``Z`` too where it is ill conditioned (by default ``Z`` is ``X``): the gamma block
        of :math:`T` is then the R factor of ``Z``."""
        d = self.data
        bases = (design_basis(d.X), design_basis(d.Z))
        if bases[0] is None and bases[1] is None:
            return None
        X, Z, blocks = d.X, d.Z, []
        if bases[0] is not None:
            X, R = bases[0]
            blocks.append((0, R))
        if bases[1] is not None:
            Z, R = bases[1]
            blocks.append((d.p, R))
        return self._like(ZIData(X, Z, d.y, d.offset, d.negbin), self.key), blocks

    # nesting
    def nesting(self, restricted) -> Nesting:
        if isinstance(restricted, ZeroInflated):
            pair = (restricted.dist, self.dist)
            if pair == ("negative_binomial", "poisson"):
                raise family_error(restricted, self, reversed_=True)
            self.check_same_data(restricted, same_family=False)
            return Nesting(self, restricted, boundary=int(pair == ("poisson", "negative_binomial")))
        name = getattr(restricted, "name", None)
        if isinstance(restricted, RegressionLikelihood) and name in DISTRIBUTIONS:
            small = "Poisson" if name == "poisson" else "negative binomial"
            raise ValueError(
                f"restricted is a {name} fit and full a {self.name} fit: " + NOT_NESTED.format(small=small)
            )
        return super().nesting(restricted)

    def embedding(self, restricted):
        if not isinstance(restricted, ZeroInflated):
            return super().embedding(restricted)
        d, r = self.data, restricted.data
        C_beta = self.design_map(restricted)
        C_gamma = _column_map(d.Z, r.Z, "Z")
        k, kr = d.k, r.k
        C = np.zeros((k, kr))
        C[: d.p, : r.p] = C_beta
        C[d.p : d.p + d.q, r.p : r.p + r.q] = C_gamma
        if d.negbin and r.negbin:
            C[k - 1, kr - 1] = 1.0
        return C, np.zeros(k)  # a Poisson restricted: alpha = 0


def _column_map(Zf: NDArray, Zr: NDArray, name: str) -> NDArray:
    r""":math:`C` with :math:`Z_r = Z_f C` (a ValueError if there is none)."""
    scale_f = np.linalg.norm(Zf, axis=0)
    norms_r = np.linalg.norm(Zr, axis=0)
    scale_r = np.where(norms_r > 0, norms_r, 1.0)
    coef, *_ = np.linalg.lstsq(Zf / scale_f, Zr / scale_r, rcond=None)
    gap = np.linalg.norm(Zr / scale_r - (Zf / scale_f) @ coef, axis=0)
    if np.max(gap, initial=0.0) > 1e-8:
        j = int(np.argmax(gap))
        raise ValueError(
            f"the models are not nested: column {j} of restricted's zero design {name} is not a combination "
            f"of the columns of full's (relative distance {gap[j]:.1e})"
        )
    return coef * scale_r / scale_f[:, None]


# --- the fitter --------------------------------------------------------------------------------------
def _read_zero_design(Z, n: int, base) -> tuple[NDArray, tuple[str, ...] | None]:
    columns: tuple[str, ...] | None
    if Z is None:
        return base, None
    if np.ndim(Z) == 1 and not is_dask(Z):  # one column (a Series is named by its name)
        arr = as_float_array(Z, "Z", ndim=1)
        Zm, columns = arr[:, None], None
        name = getattr(Z, "name", None)
        if name is not None and type(Z).__name__ == "Series":
            columns = (str(name),)
    else:
        Zm, columns = read_matrix(Z, "Z")
    if Zm.shape[0] != n:
        raise ValueError(f"Z has {Zm.shape[0]} rows but y has {n} values; they must match")
    try:
        check_full_rank(Zm)
    except ValueError as exc:
        raise ValueError(str(exc).replace("X is rank deficient", "Z is rank deficient", 1)) from exc
    return Zm, columns


def fit_zero_inflated(
    X: ArrayLike,
    y: ArrayLike,
    Z: ArrayLike | None = None,
    *,
    dist: str = "poisson",
    offset: ArrayLike | None = None,
    names: Sequence[str] | None = None,
    options: dict | None = None,
) -> FitResult:
    r"""Zero-inflated Poisson or negative binomial regression by maximum likelihood.

    .. math:: \begin{aligned}
              P(y_i = 0) &= \pi_i + (1 - \pi_i)f(0; \mu_i), \\
              P(y_i = k) &= (1 - \pi_i)f(k; \mu_i), \quad k > 0, \\
              \mathrm{logit}\,\pi_i &= z_i^\top\gamma, \qquad \log\mu_i = x_i^\top\beta + o_i
              \end{aligned}

    with :math:`f` the Poisson or the negative binomial (NB2, :math:`\mathrm{Var} = \mu + \alpha\mu^2`,
    as :func:`~mle_tutorial.fit_negative_binomial`) probability.

    Parameters
    ----------
    X : array_like or DataFrame, shape (n, p)
        The count model's design (include a column of ones for an intercept).
    y : array_like or Series, shape (n,)
        Counts: non-negative integers, some of them 0 and some positive.
    Z : array_like or DataFrame, shape (n, q), optional
        The zero model's design (default: ``X``); a 1-D array or Series is one column (``np.ones(n)``
        for a constant probability of a structural zero). pandas objects are matched by label.
    dist : {"poisson", "negative_binomial"}
        The count model.
    offset : array_like, shape (n,), optional
        Known term added to the count model's :math:`\eta`.
    names : sequence of str, optional
        A name for each count coefficient (default: the columns of a DataFrame ``X``, else
        ``beta[j]``). The zero coefficients are ``zero[<name>]`` for a named column of ``Z`` (or of
        ``X`` when ``Z`` is ``X``), else ``gamma[j]``; the last parameter is ``alpha``.
    options : dict, optional
        ``max_iter`` and ``tol`` of the optimizer (see :func:`~mle_tutorial.fit_mle`).

    Returns
    -------
    FitResult
        ``params = [beta..., gamma..., alpha]``, ``cov`` from the inverse of the observed
        information (analytic Hessian), a ``profile`` and ``model`` (a :class:`ZeroInflated`).

    Raises
    ------
    ValueError
        Bad ``X``/``y``/``offset`` (as :func:`~mle_tutorial.fit_poisson`), negative or non-integer
        counts, no zero count or no positive count, a ``Z`` with the wrong number of rows or
        rank deficient, an unknown ``dist``, Dask arrays (the zero-inflated fit needs the data in
        memory), or bad ``names`` or ``options``.
    PerfectSeparationError
        If the zero design separates the zeros (a combination ``Z @ g`` that is >= 0 for every
        zero count and <= 0 for every positive count, strictly for some): the probability of a
        structural zero goes to 1 or 0 on those rows and the zero coefficients have no finite MLE.

    Warns
    -----
    ConvergenceWarning
        If the optimizer and the Newton polish do not reach a maximum; typically the zero
        coefficients are running off (the count model already explains the zeros of part of
        the data, :math:`\pi_i \to 0` there), so that no finite MLE exists: use a smaller ``Z``
        or the model without zero inflation.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(7)
    >>> X = np.column_stack([np.ones(1000), rng.normal(size=1000)])
    >>> counts = rng.poisson(np.exp(X @ [1.0, 0.5]))
    >>> y = np.where(rng.random(1000) < 0.3, 0, counts)  # 30% zeros added
    >>> fit = fit_zero_inflated(X, y, np.ones(1000))
    >>> fit.param_names
    ('beta[0]', 'beta[1]', 'gamma[0]')
    >>> fit.params.round(3)
    array([ 1.015,  0.486, -0.74 ])
    """
    if dist not in DISTRIBUTIONS:
        raise ValueError(f"dist must be one of {DISTRIBUTIONS}, got {dist!r}")
    if any(is_dask(a) for a in (X, y, Z, offset)):
        raise ValueError("fit_zero_inflated needs the data in memory, not Dask arrays (compute a sample)")
    title = "zero-inflated " + ("Poisson" if dist == "poisson" else "negative binomial")
    matched = match_rows({"X": X, "y": y, "offset": offset, "Z": Z})
    design = read_design(matched["X"], matched["y"], matched["offset"], model=title)
    yv = design.y
    bad = np.flatnonzero(POISSON.invalid(yv))
    if bad.size:
        raise ValueError(
            f"y must contain non-negative integer counts for {title} regression; y[{bad[0]}] = {yv[bad[0]]:g}"
        )
    n, p = design.X.shape
    if not np.any(yv == 0):
        raise ValueError(
            "y has no zero counts: there are no zeros to inflate (the zero coefficients would run off to "
            "-infinity); use fit_poisson or fit_negative_binomial"
        )
    if np.all(yv == 0):
        raise ValueError(
            "y is all 0: the count model's mean is 0, on the boundary, so there is no finite MLE"
        )
    Zm, zcols = _read_zero_design(matched["Z"], n, design.X)
    negbin = dist == "negative_binomial"
    k = p + Zm.shape[1] + int(negbin)
    if n <= k:
        raise ValueError(
            f"X has {n} rows but the {title} model has {k} parameters; it needs more rows than parameters"
        )
    count_names = coefficient_names(names, design.columns, p, reserved=("alpha",))
    named = names is not None or design.columns is not None
    if matched["Z"] is None:
        zero_names = tuple(f"zero[{c}]" for c in count_names) if named else _gammas(p)
    else:
        zero_names = tuple(f"zero[{c}]" for c in zcols) if zcols is not None else _gammas(Zm.shape[1])
    all_names = (*count_names, *zero_names, *(("alpha",) if negbin else ()))
    repeated = sorted({x for x in all_names if all_names.count(x) > 1})
    if repeated:
        raise ValueError(
            f"the parameter names must be distinct, but {repeated} appear more than once; pass names=[...]"
        )
    offset_arr = design.offset
    data = ZIData(design.X, Zm, yv, offset_arr, negbin)
    model = ZeroInflated(data, all_names, data_key(n, fingerprint_sum(yv)), options=options)
    return model.fit()


def _gammas(q: int) -> tuple[str, ...]:
    return tuple(f"gamma[{j}]" for j in range(q))


def _start(d: ZIData) -> NDArray:
    """The working start (beta, gamma, log alpha): the count model fitted to all the data (Poisson,
    then for the negative binomial beta at the one-step alpha from 0), and gamma the least-squares
    fit of the logit of the share of zeros the count model does not explain (at least 5%)."""
    rows = InMemoryRows(d.X, d.y, d.offset)
    beta = newton(GLMPass(rows, POISSON), check_and_start(rows, POISSON)).beta
    eta = d.X @ beta if d.offset is None else d.X @ beta + d.offset
    mu = np.exp(eta)
    alpha = 0.0
    if d.negbin:
        slope = 0.5 * float(np.sum((d.y - mu) ** 2 - d.y))
        alpha = max(2.0 * slope / float(mu @ mu), 0.05)
        beta = newton(GLMPass(rows, NegativeBinomialFamily(alpha=alpha)), beta, 50, 1e-8).beta
        eta = d.X @ beta if d.offset is None else d.X @ beta + d.offset
    f0 = np.exp(nb_terms(eta, np.zeros_like(d.y), alpha)["ll"])
    excess = (np.sum(d.y == 0) - np.sum(f0)) / d.y.size
    share = float(np.clip(excess / max(1.0 - float(np.mean(f0)), 1e-3), 0.05, 0.9))
    gamma = np.linalg.lstsq(d.Z, np.full(d.y.size, np.log(share / (1.0 - share))), rcond=None)[0]
    return np.concatenate([beta, gamma, [np.log(alpha)] if d.negbin else []])


def _separation_message(direction: NDArray, complete: bool, e: NDArray, n0: int, n1: int) -> str:
    d = direction * np.ldexp(1.0, -e)
    text = str(np.round(d / np.max(np.abs(d)), 4).tolist())
    kind = "completely" if complete else "quasi-completely"
    return (
        f"the zero design Z separates the zero counts from the positive ones ({kind}): Z @ g is >= 0 for "
        f"each of the {n0} zero counts and <= 0 for each of the {n1} positive ones, strictly for some, "
        f"with g = {text}. Along g the probability of a structural zero goes to 1 on those zeros and to 0 "
        "on those positive counts, the likelihood keeps increasing, and the zero coefficients have no "
        "finite MLE. Drop or merge the separating columns of Z."
    )


def _fit(model: ZeroInflated, options: dict | None) -> FitResult:
    d, unscale = model.working()
    caller = f"fit_zero_inflated(dist={model.dist!r})"
    objective = ZIObjective(d)
    start = _start(d)
    found = maximize(objective, start, "Newton", options, caller)
    theta, converged, message = found.theta, found.converged, found.message
    p, q = d.p, d.q
    b = d.Z @ theta[p : p + q]
    if not converged or np.max(np.abs(b)) > ZERO_GAP:
        zero = (d.y == 0).astype(float)
        sep = separation_direction(d.Z, zero)
        if sep is not None:
            e = -np.asarray(unscale.exponents[p : p + q], dtype=np.int64)
            raise PerfectSeparationError(
                _separation_message(sep[0], sep[1], e, int(zero.sum()), int(zero.size - zero.sum()))
            )
    natural = objective.natural(theta)
    failure = None
    if not converged:
        failure = (
            f"{caller} did not converge ({found.n_iter} iterations): {message} The zero coefficients may be "
            f"running off (the largest |z'gamma| is {np.max(np.abs(b)):.3g}): where the count model already "
            "explains the zeros, the probability of a structural zero goes to 0 and gamma has no finite MLE. "
            "Use a smaller zero design Z, or the model without zero inflation."
        )
    jacobian = np.diag(np.append(np.ones(p + q), natural[-1])) if d.negbin else None
    cov, problem = covariance.from_hessian(found.hessian, jacobian)
    transform = BoundsTransform(tuple(model.bounds))
    profile = OptimizerProfile(
        objective,
        theta,
        method="trust-exact",
        maxiter=200,
        transform=None if transform.identity else transform,
    )
    est = Estimate(
        params=natural,
        loglik=-found.value,
        converged=converged,
        n_iter=found.n_iter,
        method="Newton",
        message=message,
        cov=cov,
        problem=problem,
        profile=profile,
        beta=natural[:p].copy(),
        failure=failure,
        unscale=unscale,
    )
    return finish(model, est)
