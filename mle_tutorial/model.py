r"""The model contract: one object that holds a model and its data, for the whole package.

Every fitter of the package builds a :class:`Likelihood` and fits it; the inference layer (robust
errors, the three tests, profiles, the bootstrap) works through its methods alone, so that it
works for any object that keeps the contract, a model of your own included:

* ``loglik_obs(params)``: the log-likelihood contribution of each observation, :math:`\ell_i(\theta)`
  (the one method a model must give);
* ``score_obs(params)``, ``hessian(params)``: their gradients, :math:`s_i = \nabla\ell_i`
  (n x k), and the Hessian of :math:`\ell = \sum_i \ell_i` (k x k); by accurate
  (Richardson-extrapolated) differences where a model does not give them;
* ``param_names``, ``bounds`` and ``start()``: the parameters, their spaces and a place to start;
* ``simulate(params, rng)`` and ``resample(rows)``: the same model on new data, for the
  parametric and the nonparametric bootstrap;
* ``nesting(restricted)``: how a smaller model sits inside this one, for the likelihood-ratio and
  score tests.

This is statsmodels' ``GenericLikelihoodModel`` contract (``loglikeobs``, ``score_obs``,
``hessian``) with what the package's inference needs besides.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ._engine import numdiff
from ._engine.checks import coefficient_names, read_design
from ._engine.covariance import from_hessian
from ._engine.rows import InMemoryRows, data_key, fingerprint_sum
from ._engine.sandwich import design_basis, from_basis, meat_of, robust_from, sandwich
from ._engine.scale import Unscale, unit_columns
from .fitting import FREE, fit_likelihood
from .result import FitResult

__all__ = ["Likelihood", "Nesting", "RegressionLikelihood", "RowsRegression"]


def _article(name: str) -> str:
    return f"{'an' if name[0] in 'aeiou' else 'a'} {name} fit"


def family_error(restricted: Likelihood, full: Likelihood, reversed_: bool = False) -> ValueError:
    """The error of a likelihood-ratio test between models of different families."""
    a, b = _article(str(restricted.name)), _article(str(full.name))
    if reversed_:
        return ValueError(
            f"restricted is {a} but full is {b}: {b} is nested in {a}, not the other way round; "
            f"pass {b} as restricted"
        )
    return ValueError(
        f"restricted is {a} but full is {b}: a likelihood-ratio test compares nested models of the "
        "same family, fitted to the same data"
    )


@dataclass(frozen=True, eq=False)
class Nesting:
    r"""How a ``restricted`` model sits inside a ``full`` one: what
    :func:`~mle_tutorial.likelihood_ratio_test` and :func:`~mle_tutorial.score_test` need.

    ``boundary`` is the number of restrictions that hold a parameter on the edge of its space
    (the Poisson is the negative binomial at :math:`\alpha = 0`): with one such restriction the
    likelihood-ratio statistic is not :math:`\chi^2_{df}` but the 50:50 mixture of
    :math:`\chi^2_{df-1}` and :math:`\chi^2_{df}` (:math:`\bar\chi^2`), whose tail is half the
    :math:`\chi^2_{df}` tail when df = 1. :meth:`embed` writes the restricted estimate in the full
    model's parameters (the full model's ``embedding``, computed when first asked for).
    """

    full: Any
    restricted: Any
    boundary: int = 0

    def embedding(self) -> tuple[NDArray, NDArray]:
        r"""``(C, d)`` with :math:`\theta_{\text{full}} = C\theta_{\text{restricted}} + d` on the
        restricted model; ValueError if the full model cannot tell."""
        return self.full.embedding(self.restricted)

    def embed(self, params: NDArray) -> NDArray:
        """The restricted model's ``params`` as a point of the full model."""
        C, d = self.embedding()
        return C @ np.asarray(params, dtype=float) + d

    def restrictions(self) -> NDArray:
        r"""A matrix :math:`R` whose rows span the directions the restriction fixes (the orthogonal
        complement of the range of :math:`C`), for the robust score test."""
        C, _ = self.embedding()
        U, s, _ = np.linalg.svd(C, full_matrices=True)
        rank = int(np.sum(s > 1e-10 * s[0])) if s.size else 0
        return U[:, rank:].T


class Likelihood:
    r"""A statistical model together with its data: the contract of every fitter of the package.

    Subclass it, give ``loglik_obs`` (and, where you can, ``score_obs`` and ``hessian``), and
    :func:`~mle_tutorial.fit_mle` fits it; the result gets everything the package's own fitters'
    results get: standard errors, profile intervals, :meth:`~mle_tutorial.FitResult.robust`
    and cluster-robust errors, :func:`~mle_tutorial.wald_test`,
    :func:`~mle_tutorial.score_test`, :func:`~mle_tutorial.likelihood_ratio_test` and
    :func:`~mle_tutorial.bootstrap`. Every fitter of the package builds one
    (:attr:`FitResult.model <mle_tutorial.FitResult.model>`).

    .. math:: \ell(\theta) = \sum_{i=1}^n \ell_i(\theta), \qquad
              s_i(\theta) = \nabla\ell_i(\theta), \qquad
              H(\theta) = \nabla^2\ell(\theta)

    Parameters are on their natural scale (σ itself, a probability itself); ``bounds`` says
    where each may go, and the fit works on an unconstrained scale (:math:`\log\sigma`, the
    logit of a probability) and reports the covariance on the natural one by the delta method.

    .. rubric:: Methods

    loglik_obs(params)
        Required: the log-likelihood contribution :math:`\ell_i` of each observation, an array of
        shape (n,), n >= 2. Everything else has a default.
    start()
        Where to start (without it :func:`~mle_tutorial.fit_mle` needs ``start=``).
    score_obs(params)
        The score of each observation, shape (n, k) (default: Richardson-extrapolated
        differences of ``loglik_obs``).
    hessian(params)
        The Hessian of :math:`\ell`, shape (k, k) (default: differences of the score). With it the
        fit uses SciPy's trust-region Newton method and the package's Newton polish.
    information(params)
        The information the score test uses (default :math:`-H`; a model may give the expected
        information, positive definite where the observed one is not).
    simulate(params, rng)
        The same model on responses drawn from it at ``params`` (the parametric bootstrap).
    resample(rows)
        The same model on the observations ``rows``, an integer array (the nonparametric
        bootstrap).
    fit(start=None, method=None, options=None)
        Fit the model (default: :func:`~mle_tutorial.fit_mle`'s driver); the package's models
        refit with their own fitter's method and settings.
    nesting(restricted)
        How a smaller model sits inside this one (a :class:`Nesting`, or a ``ValueError`` saying
        why it does not); the default accepts a model of the same ``name``, fitted to the same
        data (``data_key``), whose parameters are among this one's by name (the others held at 0
        by the restriction: ``embedding``).

    Attributes
    ----------
    param_names : tuple of str
        A name for each parameter (default ``theta[0]``, ``theta[1]``, ... from ``start()``).
    bounds : tuple of (float, float)
        The space of each parameter (default unrestricted): ``(0, inf)`` for a scale,
        ``(0, 1)`` for a probability.
    name : str
        The model's family, for messages and for the likelihood-ratio test's checks.
    nobs : int
        The number of observations.
    data_key : str or None
        A fingerprint of the data (None: unknown).

    Examples
    --------
    The rate of exponential waiting times, whose MLE is :math:`1/\bar x`:

    >>> import numpy as np
    >>> import mle_tutorial as mle
    >>> class Exponential(mle.Likelihood):
    ...     param_names = ("rate",)
    ...     bounds = ((0.0, np.inf),)
    ...     def __init__(self, x):
    ...         self.x = np.asarray(x, dtype=float)
    ...     def loglik_obs(self, params):
    ...         return np.log(params[0]) - params[0] * self.x
    ...     def start(self):
    ...         return np.array([1.0])
    >>> x = np.array([0.8, 2.1, 0.3, 1.7, 0.9, 3.2, 0.4, 1.1])
    >>> fit = mle.fit_mle(Exponential(x))
    >>> print(f"{fit.params[0]:.5f} {1 / x.mean():.5f}")
    0.76190 0.76190
    >>> print(f"{fit.stderr[0]:.5f} {1 / x.mean() / np.sqrt(8):.5f}")
    0.26937 0.26937
    """

    #: The model's family, for messages and for the likelihood-ratio test's checks.
    name: str | None = "likelihood"
    #: How many entries of ``params`` are fixed by the others (a mixture's last weight).
    constraints: int = 0
    #: Whether the model keeps the row labels of its data (:attr:`row_labels`), so that a pandas
    #: argument with one value per observation (``groups`` of :meth:`FitResult.robust
    #: <mle_tutorial.FitResult.robust>` and :func:`~mle_tutorial.score_test`, ``X_full``) can be
    #: matched to its rows by label. A model that does not is given such an argument in its row
    #: order: a labelled pandas argument is refused unless its index is ``0, 1, ..., n-1``.
    keeps_labels: bool = False

    @property
    def row_labels(self):
        """The pandas index of the observations in the model's row order, when the data came as
        pandas objects (matched by label); None when they came as arrays (then per-observation
        arguments pair with them by position), or when the model does not keep them."""
        return None

    # --- layout ----------------------------------------------------------------------------------
    @property
    def param_names(self) -> tuple[str, ...]:
        """A name for each parameter: ``theta[0]``, ``theta[1]``, ... by default."""
        return tuple(f"theta[{j}]" for j in range(np.size(self.start())))

    @property
    def bounds(self) -> tuple[tuple[float, float], ...]:
        """The space of each parameter, ``(lower, upper)``: unrestricted by default."""
        return (FREE,) * len(self.param_names)

    @property
    def nobs(self) -> int:
        """The number of observations."""
        return int(np.size(self.loglik_obs(self.start())))

    @property
    def data_key(self) -> str | None:
        """A fingerprint of the data (None: unknown, so the likelihood-ratio test cannot check
        that two fits saw the same data)."""
        return None

    # --- what the model gives, and what the package computes when it does not --------------------
    def _gives(self, method: str) -> bool:
        return getattr(type(self), method) is not getattr(Likelihood, method)

    @property
    def has_scores(self) -> bool:
        """Whether the model knows its per-observation contributions (and so its scores)."""
        return True

    @property
    def has_score(self) -> bool:
        """Whether the score is analytic (the model gives ``score`` or ``score_obs``)."""
        return self._gives("score") or self._gives("score_obs")

    @property
    def has_hessian(self) -> bool:
        """Whether the Hessian is analytic (the model gives ``hessian``)."""
        return self._gives("hessian")

    def loglik_obs(self, params: NDArray) -> NDArray:
        """The log-likelihood contribution of each observation at ``params``, shape (n,)."""
        raise NotImplementedError(f"{type(self).__name__} must define loglik_obs(params)")

    def loglik(self, params: NDArray) -> float:
        r"""The log-likelihood :math:`\ell(\theta) = \sum_i \ell_i(\theta)`."""
        return float(np.sum(self.loglik_obs(params)))

    def score_obs(self, params: NDArray) -> NDArray:
        """The score of each observation, shape (n, k): by default central differences of
        ``loglik_obs`` with two Richardson extrapolations."""
        params = np.asarray(params, dtype=float)
        return numdiff.jacobian(_Contributions(self), params, np.maximum(np.abs(params), 1.0))

    def score(self, params: NDArray) -> NDArray:
        r"""The score :math:`\nabla\ell(\theta)`, shape (k,)."""
        params = np.asarray(params, dtype=float)
        if self._gives("score_obs"):
            return np.asarray(self.score_obs(params), dtype=float).sum(axis=0)
        return numdiff.gradient(self.loglik, params)

    def hessian(self, params: NDArray) -> NDArray:
        r"""The Hessian :math:`\nabla^2\ell(\theta)`, shape (k, k) (negative definite at a strict
        maximum); by default differences of the score."""
        params = np.asarray(params, dtype=float)
        return numdiff.hessian(self.loglik, params, self.score if self.has_score else None)

    def information(self, params: NDArray) -> NDArray:
        """The information the score test uses: the observed information :math:`-H` by default."""
        return -np.asarray(self.hessian(params), dtype=float)

    def information_root(self, params: NDArray) -> NDArray | None:
        r"""An upper triangular :math:`R` with :math:`R^\top R` the information at ``params``,
        computed more accurately than a Cholesky factor of ``information(params)``; None (the
        default) to use the information itself. A GLM whose :math:`X^\top W X` is ill conditioned
        (an uncentred covariate) gives the R factor of :math:`\sqrt W X`; the score test then
        solves with it."""
        return None

    def meat(self, params: NDArray, groups=None) -> tuple[NDArray, int | None]:
        r"""The meat of the sandwich, :math:`K = \sum_i s_i s_i^\top` (or with ``groups`` the sum
        over clusters of the clusters' score sums), and the number of clusters (None)."""
        return meat_of(np.asarray(self.score_obs(params), dtype=float), groups)

    def robust_cov(self, params: NDArray, cov: NDArray, groups=None) -> tuple[NDArray, NDArray]:
        r"""The sandwich covariance :math:`I^{-1}KI^{-1}` from the model-based ``cov``, and its
        standard errors (see :meth:`FitResult.robust <mle_tutorial.FitResult.robust>`)."""
        return robust_from(cov, lambda: self.meat(params, groups)[0])

    def rescaled(self) -> tuple[Likelihood, Unscale]:
        """The same model on data scaled by powers of two, as its fitter computes on it (so that
        nothing over- or underflows), and how its parameters scale back. By default the model
        itself."""
        return self, Unscale((0,) * len(self.param_names))

    # --- fitting -----------------------------------------------------------------------------------
    def start(self) -> NDArray:
        """Where a fit starts."""
        raise NotImplementedError(f"{type(self).__name__} has no start(); pass start= to fit_mle")

    def fit(self, start=None, *, method: str | None = None, options: dict | None = None) -> FitResult:
        """Fit the model by maximum likelihood (see :func:`~mle_tutorial.fit_mle`)."""
        return fit_likelihood(self, start, method=method, options=options)

    # --- the bootstrap ---------------------------------------------------------------------------
    def simulate(self, params: NDArray, rng: np.random.Generator) -> Likelihood:
        """The same model on responses drawn from it at ``params``."""
        raise NotImplementedError(
            f"{type(self).__name__} cannot simulate: give it a simulate(params, rng) method that "
            "returns the same model on responses drawn at params"
        )

    def resample(self, rows: NDArray) -> Likelihood:
        """The same model on the observations ``rows`` (with repeats)."""
        raise NotImplementedError(
            f"{type(self).__name__} cannot resample its rows: give it a resample(rows) method that "
            "returns the same model on the observations rows, or bootstrap(fitter, *data)"
        )

    # --- nesting -----------------------------------------------------------------------------------
    def nesting(self, restricted: Likelihood) -> Nesting:
        """How ``restricted`` sits inside this model; a ValueError saying why it does not."""
        self.check_same_data(restricted, same_family=True)
        return Nesting(self, restricted)

    def check_same_data(self, restricted: Likelihood, *, same_family: bool) -> None:
        """The checks of every nesting: the same family (unless the caller has checked it; skipped
        where a model cannot tell, ``name`` None), the same number of observations, and the same
        data (``data_key``, where both models know theirs)."""
        if not isinstance(restricted, Likelihood):
            raise ValueError(f"restricted must be a Likelihood, got {type(restricted).__name__}")
        if same_family and None not in (self.name, restricted.name) and self.name != restricted.name:
            raise family_error(restricted, self)
        if restricted.nobs != self.nobs:
            raise ValueError(
                f"restricted has {restricted.nobs} observations but full has {self.nobs}; "
                "both models must be fitted to the same data"
            )
        keys = (restricted.data_key, self.data_key)
        if None not in keys and keys[0] != keys[1]:
            raise ValueError(
                "restricted and full were fitted to different data (the responses differ, value by "
                "value in row order, or for censored and truncated data their intervals or limits "
                "do); both models must be fitted to the same data, in the same row order"
            )

    def embedding(self, restricted: Likelihood) -> tuple[NDArray, NDArray]:
        r"""``(C, d)``: the restricted model's parameters in this model's,
        :math:`\theta = C\theta_r + d`. By default by name: a parameter of this model that the
        restricted one does not have is held at 0 by the restriction."""
        full_names, names = tuple(self.param_names), tuple(restricted.param_names)
        missing = [name for name in names if name not in full_names]
        if missing:
            raise ValueError(
                f"cannot tell how restricted sits in full: its parameters {missing} are not among "
                f"full's {full_names} (name the parameters alike, or give {type(self).__name__} an "
                "embedding(restricted) method)"
            )
        C = np.zeros((len(full_names), len(names)))
        for i, name in enumerate(names):
            C[full_names.index(name), i] = 1.0
        return C, np.zeros(len(full_names))

    def __getstate__(self) -> dict:
        """Pickle without caches (attributes named ``_cache...``)."""
        return {k: v for k, v in vars(self).items() if not k.startswith("_cache")}


@dataclass(frozen=True)
class _Contributions:
    model: Likelihood

    def __call__(self, params: NDArray) -> NDArray:
        return np.asarray(self.model.loglik_obs(params), dtype=float).reshape(-1)


class RegressionLikelihood(Likelihood):
    r"""A model whose first ``n_coef`` parameters are the coefficients of the columns of a design
    ``X``, followed by the model's other parameters (σ, ν, a shape), in the same order in every
    model of its family. A restricted model nests in a fuller one when the columns of its
    design are combinations of the fuller design's, :math:`X_r = X_f C_\beta`: then
    :math:`\beta_f = C_\beta\beta_r` (the test is invariant to the change of coordinates).
    ``with_design(X)`` gives the same model on another design, for
    ``score_test(restricted, X_full)``."""

    @property
    def design(self) -> NDArray | None:
        """The design in memory (None over Dask row chunks)."""
        raise NotImplementedError

    @property
    def n_coef(self) -> int:
        """The number of coefficients (columns of the design)."""
        raise NotImplementedError

    def with_design(self, X) -> RegressionLikelihood:
        """The same model on the design ``X`` (same response and settings)."""
        raise NotImplementedError(f"{type(self).__name__} cannot take another design")

    def design_map(self, restricted: RegressionLikelihood) -> NDArray:
        r""":math:`C_\beta` with :math:`X_r = X_f C_\beta` (a ValueError if there is none)."""
        Xf, Xr = self.design, restricted.design
        if Xf is None or Xr is None:
            raise ValueError("score_test needs the data in memory; a fit was made over Dask row chunks")
        if Xr.shape[0] != Xf.shape[0]:
            raise ValueError(
                f"X_full has {Xf.shape[0]} rows but restricted was fitted to {Xr.shape[0]} observations"
            )
        pf = self.n_coef
        unit_f, scale_f = unit_columns(Xf)
        if np.any(scale_f == 0) or np.linalg.matrix_rank(unit_f) < pf:
            raise ValueError("X_full is rank deficient: its columns must be linearly independent")
        unit_r, scale_r = unit_columns(Xr)
        scale_r = np.where(scale_r > 0, scale_r, 1.0)
        coef, *_ = np.linalg.lstsq(unit_f, unit_r, rcond=None)
        gap = np.linalg.norm(unit_r - unit_f @ coef, axis=0)
        if np.max(gap, initial=0.0) > 1e-8:
            j = int(np.argmax(gap))
            raise ValueError(
                f"the models are not nested: column {j} of restricted's design is not a combination of "
                f"the columns of X_full (relative distance {gap[j]:.1e})"
            )
        C = coef * scale_r / scale_f[:, None]
        # a restricted column that is a column of X_full maps to it exactly (least squares leaves a
        # rounding error in C, which an uncentred covariate, cancelled by the intercept, magnifies)
        for k in range(Xr.shape[1]):
            same = [i for i in range(pf) if np.array_equal(Xr[:, k], Xf[:, i])]
            if same:
                C[:, k] = 0.0
                C[same[0], k] = 1.0
        return C

    def sandwich_basis(self) -> tuple[Likelihood, list[tuple[int, NDArray]]] | None:
        r"""Where the design in memory is too ill conditioned for the sandwich to be formed as a
        product (:func:`~mle_tutorial._engine.sandwich.design_basis`: an uncentred covariate next to
        an intercept), ``(model, blocks)``: the same model on the orthonormal factor :math:`Q` of
        :math:`X = QR` (``with_design``), whose parameters are :math:`T\theta` (:math:`R\beta`,
        the others unchanged), and the blocks of :math:`T`, ``[(0, R)]``. None where the design is
        well conditioned, over Dask row chunks (no design in memory), or for a model that cannot
        take another design. A model with a second design (a zero-inflated model's :math:`Z`) may
        change its basis too."""
        try:
            X = self.design
            basis = None if X is None else design_basis(X)
            if basis is None:
                return None
            Q, R = basis
            return self.with_design(Q), [(0, R)]
        except NotImplementedError:  # a model of one's own without a design or with_design
            return None

    def robust_cov(self, params: NDArray, cov: NDArray, groups=None) -> tuple[NDArray, NDArray]:
        r"""The sandwich covariance :math:`AKA` (:math:`A` the model-based ``cov``) and its standard
        errors, as :meth:`Likelihood.robust_cov`, where the design is well conditioned (bit for bit).

        Where it is not (an uncentred covariate: :meth:`sandwich_basis`), :math:`A` and :math:`K`
        have entries far larger than the sandwich, and the product cancels digits (a shift of 1e6:
        3e-5 relative for the normal linear model, 1e-3 for the others; 1e8: every digit). The
        sandwich is then formed for the same model on the orthonormal factor :math:`Q` of
        :math:`X = QR`, with parameters :math:`T\theta`, :math:`T = \mathrm{diag}(R, I)`, where
        the scores :math:`T^{-\top}s_i` and the Hessian :math:`T^{-\top}HT^{-1}` are computed
        from :math:`Q` and are well conditioned: :math:`A_Q = (-H_Q)^{-1}`, the observed
        information there (the fit's ``cov`` at the maximum, for every regression model of the
        package: the normal linear model's expected information equals it there; a fit stopped
        short of the maximum, ``fit_linear``'s unpolished BFGS, differs by the order of its
        score), :math:`K_Q` its meat (cluster sums for ``groups``), and
        :math:`AKA = T^{-1}(A_QK_QA_Q)T^{-\top}` by triangular solves. Where ``cov`` has NaN
        entries for parameters besides the coefficients (:math:`\nu` run off), the others get
        their sandwich with those held, as :func:`~mle_tutorial._engine.sandwich.robust_from`
        does; where the coefficients have none (an exact fit) or :math:`-H_Q` is not positive
        definite, the product as before."""
        ok = np.isfinite(np.diag(cov))
        changed = self.sandwich_basis()
        if changed is None or not all(np.all(ok[start : start + len(R)]) for start, R in changed[1]):
            return super().robust_cov(params, cov, groups)
        inner, blocks = changed
        theta = np.array(params, dtype=float)
        for start, R in blocks:
            theta[start : start + len(R)] = R @ theta[start : start + len(R)]
        kept = np.ix_(ok, ok)
        bread, problem = from_hessian(-np.asarray(inner.hessian(theta), dtype=float)[kept])
        if problem is not None:
            return super().robust_cov(params, cov, groups)
        meat = np.asarray(inner.meat(theta, groups)[0], dtype=float)[kept]
        position = np.cumsum(ok) - 1  # of each parameter among those kept
        out = np.full_like(cov, np.nan)
        out[kept] = from_basis(sandwich(bread, meat), [(int(position[start]), R) for start, R in blocks])
        with np.errstate(invalid="ignore"):
            return out, np.sqrt(np.diag(out))

    def embedding(self, restricted: Likelihood) -> tuple[NDArray, NDArray]:
        if not isinstance(restricted, RegressionLikelihood):
            return super().embedding(restricted)
        pf, pr = self.n_coef, restricted.n_coef
        extra = len(self.param_names) - pf
        if len(restricted.param_names) - pr != extra:
            raise ValueError("restricted and full have different parameters besides the coefficients")
        C = np.zeros((pf + extra, pr + extra))
        C[:pf, :pr] = self.design_map(restricted)
        C[pf:, pr:] = np.eye(extra)
        return C, np.zeros(pf + extra)


class RowsRegression(RegressionLikelihood):
    """A regression whose data are a row source, ``rows`` (in memory or over Dask row chunks: see
    :mod:`~mle_tutorial._engine.rows`), with ``names`` for its parameters and ``key`` the
    fingerprint of its data; its layout follows from them, and so do the bootstrap's resampled
    models and the score test's other designs, given :meth:`_like` (the same model on other rows)
    and :attr:`reserved_names`."""

    rows: Any
    names: tuple[str, ...]
    _key: str | None = None

    @property
    def key(self) -> str:
        """The fingerprint of the data (:attr:`data_key`): as given, or, where None was given,
        computed when first read (a pass over ``y`` in memory that a fit does not need: only the
        likelihood-ratio test and the like read it)."""
        if self._key is None:
            self._key = data_key(self.rows.n, fingerprint_sum(self.rows.y))
        return self._key

    @key.setter
    def key(self, value: str | None) -> None:
        self._key = value

    #: The names a coefficient may not take: those of the parameters after the coefficients (a
    #: column so named is refused, as it would be ambiguous).
    reserved_names: tuple[str, ...] = ()

    def _like(self, rows: Any, key: str | None = None, names: Any = None) -> RowsRegression:
        """The same model, with the same settings, on the in-memory ``rows`` (``key``: their
        fingerprint, computed if None; ``names``: the parameters', this model's if None)."""
        raise NotImplementedError(f"{type(self).__name__} cannot be built on other rows")

    def _memory(self, what: str) -> None:
        """A ValueError where the data are Dask row chunks, whose ``what`` stay in them."""
        if not self.rows.in_memory:
            raise ValueError(f"the {what} of a fit over Dask row chunks stay in their chunks")

    def resample(self, rows: NDArray) -> RowsRegression:
        self._memory("resampled rows")
        data = self.rows
        offset = None if data.offset is None else data.offset[rows]
        return self._like(InMemoryRows(data.X[rows], data.y[rows], offset))

    def with_design(self, X) -> RowsRegression:
        self._memory("designs")
        design = read_design(X, self.rows.y, self.rows.offset)
        p = design.X.shape[1]
        names = (*coefficient_names(None, design.columns, p, reserved=self.reserved_names),
                 *self.names[self.rows.p :])  # fmt: skip
        return self._like(InMemoryRows(design.X, design.y, design.offset), self.key, names)

    @property
    def param_names(self) -> tuple[str, ...]:
        return self.names

    @property
    def nobs(self) -> int:
        return int(self.rows.n)

    @property
    def data_key(self) -> str:
        return self.key

    @property
    def design(self) -> NDArray | None:
        return self.rows.X if self.rows.in_memory else None

    @property
    def n_coef(self) -> int:
        return int(self.rows.p)
