"""The one result type that every fitter returns, and the warnings a fit can give.

:class:`FitResult` holds the estimate, its covariance and the fitted model (a
:class:`~mle_tutorial.Likelihood`), through which the inference layer (robust errors, the three
tests, profiles, the bootstrap) reaches the data and the derivatives of the likelihood.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from dataclasses import MISSING, dataclass, field, fields, replace
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ._engine import lazy
from ._engine.checks import read_groups
from ._engine.equality import same
from ._engine.intervals import check_level, profile_interval
from ._engine.objectives import in_phase
from ._engine.scale import Scaling, unshift, unshift_cov

__all__ = ["ConvergenceWarning", "ExactFitWarning", "FitResult", "HessianWarning", "Summary"]


class ConvergenceWarning(UserWarning):
    """A fit stopped before its convergence test passed; its result has ``converged=False``."""


class HessianWarning(UserWarning):
    """The Hessian at the estimate is singular or not positive definite; standard errors are NaN."""


class ExactFitWarning(UserWarning):
    """The model fits ``y`` exactly (residuals at the rounding level): the coefficients are the exact
    solution, but σ̂ = 0 and the likelihood is unbounded (``loglik = inf``), so there is no MLE of
    σ and no standard error (NaN), as R's ``lm`` warns of an "essentially perfect fit"."""


@dataclass(frozen=True)
class Summary:
    """A fit's summary table: ``print`` it for text; notebooks show it as HTML."""

    text: str
    html: str

    def __str__(self) -> str:
        return self.text

    def __repr__(self) -> str:
        return self.text

    def _repr_html_(self) -> str:
        return self.html


#: How a summary names each kind of covariance.
COV_TYPES = {
    "model": "model-based (inverse information)",
    "robust": "robust (sandwich, HC0)",
    "cluster": "cluster-robust (sandwich)",
}


def _fmt(x: float) -> str:
    if not np.isfinite(x):
        return "nan"
    if x == 0 or 1e-3 <= abs(x) < 1e6:
        return f"{x:.4f}"
    return f"{x:.3e}"


@dataclass(frozen=True, repr=False, eq=False)
class FitResult:
    """A maximum likelihood fit.

    Two results are equal (``==``) when every field is: arrays compare by value (NaN equal to
    NaN), models and profiles by what they hold (data, estimate, functions). A result is not
    hashable (``hash`` raises ``TypeError``): it holds NumPy arrays, which are mutable. It
    pickles, with its model and profile; a model or profile that holds your own function
    (:func:`~mle_tutorial.fit_mle`, :func:`~mle_tutorial.fit_nonlinear`) pickles only if that
    function is defined at module level (``pickle`` cannot store a lambda or a nested function).

    Attributes
    ----------
    params : ndarray, shape (k,)
        Every estimated parameter on its natural scale; for the normal linear
        model ``[beta..., sigma]``.
    param_names : tuple of str
        A name for each entry of ``params``.
    loglik : float
        The maximized log-likelihood :math:`\\ell(\\hat\\theta)`.
    nobs : int
        Number of observations (0 if unknown; then ``bic`` is NaN).
    converged : bool
        Whether the method's convergence test passed. A fit that did not
        converge also raises a :class:`ConvergenceWarning`.
    n_iter : int
        Iterations taken (optimizer iterations, or refinement steps of the exact solver).
    method : str
        The method that produced the fit.
    message : str
        The method's own account of how it stopped.
    beta : ndarray or None
        Regression coefficients, where the model has them.
    sigma : float or None
        Maximum likelihood estimate of the error standard deviation, where the
        model has one. For the normal linear model it is :math:`\\sqrt{\\mathrm{RSS}/n}`
        (not the unbiased :math:`\\sqrt{\\mathrm{RSS}/(n-p)}` that OLS reports).
    cov : ndarray, shape (k, k), or None
        Estimated covariance of ``params``: the inverse of the observed Fisher
        information (the Hessian of :math:`-\\ell` at the estimate), on the scale
        of ``params`` (σ itself, by the delta method where the fit ran on
        :math:`\\log\\sigma`). NaN where the Hessian is singular or not positive definite.
    profile : callable or None
        ``profile(j, value)`` is the largest log-likelihood with ``params[j]``
        held at ``value`` and the other parameters re-maximized (an object, not a
        closure, so that the result pickles). Used by
        :meth:`conf_int` with ``method="profile"`` and by
        :func:`~mle_tutorial.profile_likelihood`.
    bounds : tuple of (float, float), or None
        The parameter space of each entry of ``params``, as ``(lower, upper)``: ``(0, inf)``
        for a scale such as σ or for degrees of freedom, ``(-inf, inf)`` for a coefficient;
        None means every parameter is unrestricted. See ``bounded_at_zero``.
    cov_type : str
        Which covariance :attr:`cov` holds: ``"model"`` (the inverse information: right if the
        model is), ``"robust"`` (the sandwich :math:`I^{-1}KI^{-1}`, HC0) or ``"cluster"``
        (the cluster-robust sandwich); see :meth:`robust`.
    constraints : int
        How many entries of ``params`` are fixed by the others (0 for most models; 1 for a
        mixture, whose weights sum to 1, so that the last weight is not estimated on its own).
        :attr:`k`, and with it :attr:`aic`, :attr:`bic` and the degrees of freedom of
        :func:`~mle_tutorial.likelihood_ratio_test`, counts the free parameters only.
    stderr : ndarray, one entry per entry of ``params``
        Standard errors: the square roots of the diagonal of :attr:`cov` (NaN where it is NaN).
        Computed by the fitter, so that they are right even where an entry of ``cov`` is too
        large for a float (inf) while its square root is not.
    model : Likelihood or None
        The fitted model: a :class:`~mle_tutorial.Likelihood` that holds the data and gives the
        per-observation log-likelihood, scores and Hessian on the scale of :attr:`params`.
        ``model.name`` is its family (``"normal"``, ``"logistic"``, ``"poisson"``,
        ``"student_t"``, ``"weibull"``, ``"tobit"``, ``"normal_mixture"``, ...). Through it
        :meth:`robust`, :func:`~mle_tutorial.score_test`,
        :func:`~mle_tutorial.likelihood_ratio_test` (which models nest in which) and
        :func:`~mle_tutorial.bootstrap` (``model.simulate``, ``model.resample``,
        ``model.fit``) work for every fitter.
    scaling : Scaling or None
        Where the fit was computed on data scaled by powers of two (so that nothing over- or
        underflows, and optimizers see numbers in any units alike): the exponents that map its
        parameters back, and the covariance on that scale, which :meth:`robust` starts from.
        None otherwise.

    An exact fit (an :class:`ExactFitWarning`) has ``sigma = 0``, ``loglik = inf``, NaN standard
    errors and ``aic = bic = -inf``.

    With pandas installed, ``to_frame()`` gives the summary table as a DataFrame indexed by
    :attr:`param_names`.
    """

    params: NDArray[np.float64]
    param_names: tuple[str, ...]
    loglik: float
    nobs: int
    converged: bool
    n_iter: int
    method: str
    message: str = ""
    beta: NDArray[np.float64] | None = None
    sigma: float | None = None
    cov: NDArray[np.float64] | None = None
    profile: Callable[[int, float], float] | None = None
    bounds: tuple[tuple[float, float], ...] | None = None
    cov_type: str = "model"
    constraints: int = 0
    stderr: NDArray[np.float64] | None = field(default=None, repr=False)
    model: Any = field(default=None, repr=False)
    scaling: Scaling | None = field(default=None, repr=False)

    #: Not hashable: a result holds NumPy arrays, which are mutable.
    __hash__ = None  # type: ignore[assignment]

    def __post_init__(self):
        if self.stderr is None:  # from cov (a result built by hand)
            if self.cov is None:
                se = np.full(len(self.params), np.nan)
            else:
                with np.errstate(invalid="ignore"):
                    se = np.sqrt(np.diag(self.cov))
            object.__setattr__(self, "stderr", se)

    @classmethod
    def _built(cls, **values: Any) -> FitResult:
        """The result with these fields (every one without a default, and ``stderr``), built
        without the dataclass's ``__init__``: a frozen dataclass sets each field through
        ``object.__setattr__``, which costs microseconds on a small fit. For the fitters, which
        give every field already converted."""
        result = object.__new__(cls)
        object.__setattr__(
            result, "__dict__", values if len(values) == len(_FIELDS) else {**_DEFAULTS, **values}
        )
        return result

    def __setstate__(self, state: dict) -> None:
        """Unpickle, also a result pickled before ``stderr`` existed, or by version 0.1 (whose
        ``model`` was the family's name and whose ``scores`` and ``data_key`` are gone)."""
        state = dict(state)
        state.pop("scores", None)
        state.pop("data_key", None)
        if isinstance(state.get("model"), str):
            state["model"] = None
        for f in fields(self):
            state.setdefault(f.name, f.default)
        self.__dict__.update(state)
        self.__post_init__()

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        return all(same(getattr(self, f.name), getattr(other, f.name)) for f in fields(self))

    @property
    def k(self) -> int:
        """Number of estimated parameters (σ included): the entries of ``params`` less the
        :attr:`constraints` among them."""
        return len(self.params) - self.constraints

    @property
    def data_key(self) -> str | None:
        """A fingerprint of the data (``model.data_key``): the number of observations and a hash of
        what is known of each response, value by value in row order (the same in memory and over
        any Dask chunks). :func:`~mle_tutorial.likelihood_ratio_test` refuses fits whose keys
        differ. None when the model cannot tell (a likelihood of your own)."""
        return None if self.model is None else self.model.data_key

    @property
    def bounded_at_zero(self) -> tuple[bool, ...]:
        """For each parameter, whether 0 is outside its space or on its edge (a scale, degrees of
        freedom, a shape). For those, "is the parameter 0?" is not a question a z test can
        answer, so :meth:`summary` leaves their z and p-value blank."""
        if self.bounds is None:
            return (False,) * len(self.params)
        return tuple(not (lower < 0.0 < upper) for lower, upper in self.bounds)

    @property
    def aic(self) -> float:
        """Akaike information criterion :math:`2k - 2\\ell(\\hat\\theta)`, with :math:`k` counting
        every estimated parameter, σ included (as R's ``logLik`` does; statsmodels' OLS leaves σ
        out, so its AIC is smaller by 2)."""
        return 2.0 * self.k - 2.0 * self.loglik

    @property
    def bic(self) -> float:
        """Bayesian information criterion :math:`k\\log n - 2\\ell(\\hat\\theta)`, σ counted in
        :math:`k` (statsmodels' OLS leaves it out, so its BIC is smaller by :math:`\\log n`)."""
        if self.nobs <= 0:  # number of observations unknown
            return np.nan
        return self.k * np.log(self.nobs) - 2.0 * self.loglik

    def conf_int(
        self, level: float | None = None, method: str = "wald", *, alpha: float | None = None
    ) -> NDArray[np.float64]:
        """Confidence intervals for every parameter, as a (k, 2) array of [lower, upper].

        Parameters
        ----------
        level : float, optional
            Confidence level, the coverage asked for: 0.95 (the default) is a 95% interval. A
            level below 0.5 is refused: ``conf_int(0.05)`` is almost always statsmodels'
            ``alpha`` passed as a level.
        method : {"wald", "profile"}
            ``"wald"``: :math:`\\hat\\theta_j \\pm z_{(1+\\text{level})/2}\\,\\mathrm{se}_j`.
            ``"profile"``: the set where :math:`2(\\hat\\ell - \\ell_p(\\theta_j)) \\le
            \\chi^2_1(\\text{level})`, found by root-finding on the profile log-likelihood
            (see :func:`~mle_tutorial.profile_interval`). Profile intervals follow the
            likelihood's shape, so they need not be symmetric (σ's never is), and they do not
            change if a parameter is transformed.
        alpha : float, optional
            As statsmodels' ``conf_int(alpha=0.05)``: the level is ``1 - alpha``. Give
            ``level`` or ``alpha``, not both.

        Returns
        -------
        ndarray, shape (k, 2)

        Examples
        --------
        >>> from mle_tutorial import simulate_linear, fit_linear
        >>> fit = fit_linear(*simulate_linear(100, [1.0, 2.0], 1.0, seed=0))
        >>> bool((fit.conf_int(alpha=0.05) == fit.conf_int(0.95)).all())
        True
        """
        level = check_level(level, alpha=alpha)
        if method == "wald":
            z = lazy.stats().norm.ppf(0.5 + level / 2.0)
            se = self.stderr
            with np.errstate(invalid="ignore", over="ignore"):  # inf where a value is not representable
                return np.column_stack([self.params - z * se, self.params + z * se])
        if method == "profile":
            return np.array([profile_interval(self, j, level) for j in range(len(self.params))])
        raise ValueError(f'method must be "wald" or "profile", got {method!r}')

    def summary(self, level: float = 0.95) -> Summary:
        """A table of estimates, standard errors, z statistics, p-values and Wald intervals.

        ``print(fit.summary())`` gives text; in a notebook, ``fit.summary()`` shows HTML.
        The z statistic and p-value test each parameter against 0; for a parameter whose space
        does not contain 0 in its interior (σ, which is positive by definition; degrees of
        freedom; shapes: see ``bounded_at_zero``) that test is meaningless and left blank.
        """
        se, ci, z, p = self._table(level)
        blank = self.bounded_at_zero
        lo, hi = f"[{(1 - level) / 2:.3g}", f"{(1 + level) / 2:.3g}]"
        head = ["", "estimate", "std err", "z", "P>|z|", lo, hi]
        rows = []
        for j, name in enumerate(self.param_names):
            zj, pj = ("", "") if blank[j] else (f"{z[j]:.2f}", f"{p[j]:.3f}")
            rows.append([name, _fmt(self.params[j]), _fmt(se[j]), zj, pj, _fmt(ci[j, 0]), _fmt(ci[j, 1])])
        info = [
            ("method", self.method),
            ("observations", str(self.nobs)),
            ("converged", str(self.converged)),
            ("log-likelihood", f"{self.loglik:.4f}"),
            ("AIC", f"{self.aic:.4f}"),
            ("BIC", f"{self.bic:.4f}"),
        ]
        if self.cov_type != "model":
            info.append(("covariance", COV_TYPES[self.cov_type]))
        widths = [max(len(r[c]) for r in [head, *rows]) for c in range(len(head))]
        title = f"Maximum likelihood fit: {self.k} parameters"
        if self.constraints:
            title += f" ({len(self.params)} shown, {self.constraints} fixed by the others)"
        lines = [title]
        lines += [f"  {key:<15}{value}" for key, value in info]
        table = []
        for r in [head, *rows]:
            pairs = zip(r, widths, strict=True)
            table.append(
                "  ".join(cell.rjust(w) if c else cell.ljust(w) for c, (cell, w) in enumerate(pairs))
            )
        rule = "-" * len(table[0])
        lines += [rule, table[0], rule, *table[1:], rule]
        text = "\n".join(lines)
        cells = "".join(f"<th>{html.escape(h)}</th>" for h in head)
        body = "".join("<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in r) + "</tr>" for r in rows)
        meta = "".join(f"<tr><th>{html.escape(k)}</th><td>{html.escape(v)}</td></tr>" for k, v in info)
        html_text = (
            f"<div><table><caption>{html.escape(title)}</caption>{meta}</table>"
            f"<table><thead><tr>{cells}</tr></thead><tbody>{body}</tbody></table></div>"
        )
        return Summary(text, html_text)

    def robust(self, groups=None) -> FitResult:
        r"""The same fit with the robust (sandwich, Huber-White) covariance.

        .. math:: \widehat{\mathrm{cov}}_{\text{robust}}(\hat\theta) = I^{-1} K I^{-1},
                  \qquad K = \sum_{i=1}^n s_i s_i^\top ,

        with :math:`I^{-1}` the model-based covariance :attr:`cov` (the inverse information)
        and :math:`s_i` the score of observation :math:`i` at the estimate, on the scale of
        :attr:`params` (``model.score_obs``). It stays right when the likelihood is wrong about
        the variance (or the whole distribution) but right about what :math:`\hat\theta`
        estimates: the model-based :math:`I^{-1}` assumes the information equality
        :math:`\mathrm E[K] = \mathrm E[I]`, which then fails. For the normal linear model the
        coefficients' block is White's HC0,
        :math:`(X^\top X)^{-1} X^\top \mathrm{diag}(\varepsilon_i^2) X (X^\top X)^{-1}`, and
        for logistic and Poisson regression statsmodels' ``cov_type="HC0"``; for a survival fit
        R's ``survreg(..., robust = TRUE)``. No small-sample correction is applied
        (statsmodels' HC1 multiplies by :math:`n/(n-p)`).

        With ``groups`` (one label per observation), the cluster-robust covariance:
        :math:`K = \sum_g (\sum_{i \in g} s_i)(\sum_{i \in g} s_i)^\top`, for observations
        that are independent between clusters but not within them (statsmodels'
        ``cov_type="cluster"`` with ``use_correction=False``).

        The returned result has the robust :attr:`cov`, :attr:`stderr`, Wald
        :meth:`conf_int` and :meth:`summary` (which says which covariance it shows), and
        ``cov_type`` ``"robust"`` or ``"cluster"``. Profile intervals are likelihood-based: they
        assume the model is right, as the model-based covariance does, so
        ``conf_int(method="profile")`` on a robust result raises a ``ValueError``; use the
        model-based fit for them, or :func:`~mle_tutorial.bootstrap`. Over Dask row chunks the
        meat costs one extra pass (cluster-robust needs the data in memory).

        A regression with an uncentred covariate (a column far from 0 next to an intercept, say
        ``x + 1e6``) has an ill-conditioned information, and the sandwich formed as a product
        would cancel digits. It is formed in a well-conditioned basis instead (the same model on
        the orthonormal factor :math:`Q` of its design :math:`X = QR`; for a GLM, from the R
        factor of :math:`\sqrt W X`), so that the slopes' robust errors are those of the
        centred fit to rounding. Over Dask row chunks only a GLM's is: for the other
        regressions there, centre such a column first.

        Parameters
        ----------
        groups : array_like, shape (n,), optional
            Cluster labels (numbers or strings), at least two distinct, none missing (``None``,
            NaN, ``pd.NA`` or a masked value is an error, not a cluster of its own). A pandas
            Series is matched by index label to the fit's rows when the fit was made from pandas
            objects (reordered to them; different labels are an error), paired by position with a
            fit to arrays, and refused (unless its index is ``0, ..., n-1``) by a model that does not
            keep its row labels (``model.keeps_labels``).

        Returns
        -------
        FitResult

        Raises
        ------
        ValueError
            If the fit has no model with per-observation scores (:func:`~mle_tutorial.fit_mle`
            with a negative log-likelihood function but no ``loglik_obs``), is already robust,
            or ``groups`` is bad.

        Examples
        --------
        >>> import numpy as np
        >>> from mle_tutorial import fit_linear
        >>> rng = np.random.default_rng(0)
        >>> x = rng.uniform(0, 2, 400)
        >>> X = np.column_stack([np.ones(400), x])
        >>> y = 1 + 2 * x + x * rng.normal(size=400)  # spread grows with x
        >>> fit = fit_linear(X, y)
        >>> fit.stderr[:2].round(3), fit.robust().stderr[:2].round(3)
        (array([0.126, 0.103]), array([0.071, 0.104]))
        """
        if self.cov_type != "model":
            raise ValueError(
                f"fit already has a {self.cov_type} covariance; call robust() on the model-based fit"
            )
        if self.model is None or not getattr(self.model, "has_scores", False):
            raise ValueError(
                "fit has no per-observation scores, so no robust covariance: fit_mle needs "
                "loglik_obs= (the n log-likelihood contributions, which sum to minus "
                "negative_log_likelihood), or score_obs= (their gradients, n x k), or a "
                "Likelihood model (mle_tutorial.Likelihood) in place of the function"
            )
        if self.cov is None:
            raise ValueError("fit has no covariance to build the sandwich from")
        if groups is not None:  # matched to the fit's rows by label where the model keeps them
            groups = read_groups(
                groups,
                int(self.model.nobs),
                labels=self.model.row_labels,
                known=bool(getattr(self.model, "keeps_labels", False)),
            )
        if self.scaling is not None and not self.scaling.identity:
            # fitted to data scaled by powers of two: the sandwich is built on that scale, from the
            # covariance there (the reported one may have under- or overflowed), and scaled back
            inner = self.model.rescaled()[0]
            e = np.asarray(self.scaling.exponents, dtype=np.int64)
            out, se = in_phase(
                "in robust()", inner.robust_cov, unshift(self.params, -e), self.scaling.cov, groups
            )
            cov, stderr = unshift_cov(out, e), unshift(se, e)
        else:
            cov, stderr = in_phase("in robust()", self.model.robust_cov, self.params, self.cov, groups)
        return replace(self, cov=cov, stderr=stderr, cov_type="robust" if groups is None else "cluster")

    def _table(self, level: float):
        se = self.stderr
        assert se is not None  # __post_init__ sets it
        ci = self.conf_int(level)
        with np.errstate(divide="ignore", invalid="ignore"):
            z = self.params / se
        p = 2.0 * lazy.stats().norm.sf(np.abs(z))
        return se, ci, z, p

    def to_frame(self, level: float = 0.95):
        """The table of :meth:`summary` as a pandas DataFrame indexed by :attr:`param_names`, with
        columns ``estimate``, ``std err``, ``z``, ``P>|z|``, ``lower`` and ``upper`` (Wald
        interval at ``level``); ``z`` and ``P>|z|`` are NaN where ``bounded_at_zero``.
        Needs pandas (not a dependency of the package: ``pip install pandas``).

        ``fit.to_frame()["estimate"]`` is :attr:`params` as a labelled Series.
        """
        pd = lazy.pandas()
        se, ci, z, p = self._table(level)
        blank = np.array(self.bounded_at_zero)
        return pd.DataFrame(
            {
                "estimate": self.params,
                "std err": se,
                "z": np.where(blank, np.nan, z),
                "P>|z|": np.where(blank, np.nan, p),
                "lower": ci[:, 0],
                "upper": ci[:, 1],
            },
            index=pd.Index(self.param_names, name="parameter"),
        )

    def __repr__(self) -> str:
        width = max(len(name) for name in self.param_names)
        head = (
            f"FitResult(method={self.method!r}, nobs={self.nobs}, "
            f"converged={self.converged}, n_iter={self.n_iter})"
        )
        lines = [head, f"  loglik = {self.loglik:.6g}"]
        assert self.stderr is not None  # __post_init__ sets it
        for name, value, se in zip(self.param_names, self.params, self.stderr, strict=True):
            lines.append(f"  {name:<{width}} = {value: .8g}  (se {se:.3g})")
        return "\n".join(lines)


#: The default of each field of :class:`FitResult` that has one (for ``FitResult._built``).
_DEFAULTS = {f.name: f.default for f in fields(FitResult) if f.default is not MISSING}
_FIELDS = tuple(f.name for f in fields(FitResult))
