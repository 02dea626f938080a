r"""The bootstrap: confidence intervals by refitting to data the fit itself could have produced.

The sampling distribution of :math:`\hat\theta` is what standard errors and intervals describe.
The bootstrap (Efron 1979) estimates it by simulation from the data at hand:

* **nonparametric** (case resampling): draw :math:`n` rows *with replacement* from the data
  and refit, :math:`B` times; no distributional assumption, only independent rows;
* **parametric**: simulate :math:`B` new responses from the *fitted* model (same :math:`X`)
  and refit; it trusts the model, as Wald and profile intervals do.

Both work for every fitter through the fitted model (:class:`~mle_tutorial.Likelihood`):
``model.simulate(params, rng)`` draws the new data, ``model.resample(rows)`` takes the rows, and
``model.fit()`` refits with the fitter's own method and settings.

The spread of the :math:`B` refitted estimates gives a standard error, and their quantiles an
interval: ``"percentile"`` (the quantiles themselves), ``"basic"`` (reflected about
:math:`\hat\theta`) or ``"BCa"`` (bias-corrected and accelerated, nonparametric only). The
intervals are computed by :func:`scipy.stats.bootstrap` from the refits made here, so that a
refit that fails (a logistic resample with perfect separation has no MLE) is counted and
reported, never silently dropped and never a crash.
"""

from __future__ import annotations

import sys
import types
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from ._engine import lazy
from ._engine.checks import check_seed, match_rows, pandas_kind, positive_int, unmasked
from ._engine.intervals import check_level
from ._engine.objectives import CallbackError
from ._engine.report import warn
from ._engine.rows import is_dask
from .model import Likelihood
from .result import ConvergenceWarning, FitResult

__all__ = ["BootstrapResult", "bootstrap"]

METHODS = ("percentile", "basic", "BCa")
KINDS = ("nonparametric", "parametric")


@dataclass(frozen=True, repr=False, eq=False)
class BootstrapResult:
    """What :func:`bootstrap` returns.

    Attributes
    ----------
    estimate : ndarray, shape (k,)
        The fit to the original data.
    interval : ndarray, shape (k, 2)
        The bootstrap confidence interval of each parameter, ``[lower, upper]``.
    standard_error : ndarray, shape (k,)
        The standard deviation of the successful refits.
    replicates : ndarray, shape (B - n_failed, k)
        The refitted parameters, one row per successful resample.
    param_names : tuple of str
    kind, method : str
        ``"nonparametric"`` or ``"parametric"``; ``"percentile"``, ``"basic"`` or ``"BCa"``.
    level : float
    n_resamples : int
        Resamples drawn (B).
    n_failed : int
        Resamples whose refit failed (raised an error, did not converge, or gave a non-finite
        estimate); they are left out of ``replicates`` and the interval.
    failures : dict
        Why they failed: a count for each reason.
    """

    estimate: NDArray[np.float64]
    interval: NDArray[np.float64]
    standard_error: NDArray[np.float64]
    replicates: NDArray[np.float64]
    param_names: tuple[str, ...]
    kind: str
    method: str
    level: float
    n_resamples: int
    n_failed: int
    failures: dict

    def __repr__(self) -> str:
        width = max(len(name) for name in self.param_names)
        lines = [
            f"BootstrapResult({self.kind}, {self.method}, level={self.level:g}, "
            f"n_resamples={self.n_resamples}, n_failed={self.n_failed})"
        ]
        for j, name in enumerate(self.param_names):
            lo, hi = self.interval[j]
            lines.append(
                f"  {name:<{width}} = {self.estimate[j]: .6g}  (se {self.standard_error[j]:.3g})  "
                f"[{lo:.6g}, {hi:.6g}]"
            )
        return "\n".join(lines)


# --- refits -----------------------------------------------------------------------------------------
def _model_fitter(template: FitResult) -> Callable:
    """Refit a model drawn from ``template``'s (the same model on other data): with its own start
    where it has one, else from the original estimate."""
    model = template.model
    own_start = type(model).start is not Likelihood.start

    def refit(sample: Likelihood) -> FitResult:
        return sample.fit() if own_start else sample.fit(template.params)

    return refit


#: What a refit may raise and still be counted as a failed refit (no MLE on that resample: a
#: separated logistic resample, a singular design); anything else is a bug to report, not to count.
EXPECTED = (ValueError, ArithmeticError, np.linalg.LinAlgError)


def _unexpected(exc: Exception, where: str) -> ValueError:
    """The error of a refit (or draw) that raised what a failed fit does not."""
    return ValueError(
        f"the refit of {where} raised {type(exc).__name__}: {exc}; bootstrap counts a refit that raises "
        "ValueError, ArithmeticError or LinAlgError (no MLE on that resample) as failed, and stops on "
        "anything else: check the fitter on that resample"
    )


def _refit(fitter: Callable, data: tuple, where: str = "a resample") -> tuple[NDArray | None, str | None]:
    """The refitted parameters, or None and why the refit failed; an unexpected exception (or a
    function of the user's that fails, a CallbackError) is raised, saying ``where``."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # a failed refit is counted, not warned about B times
            result = fitter(*data)
    except CallbackError as exc:  # the user's function failed: a bug, not a resample without an MLE
        raise ValueError(f"on {where}: {exc}") from exc
    except EXPECTED as exc:
        return None, type(exc).__name__
    except Exception as exc:
        raise _unexpected(exc, where) from exc
    if not isinstance(result, FitResult):
        raise ValueError(f"fitter must return a FitResult, got {type(result).__name__}")
    if not result.converged:
        return None, "did not converge"
    if not np.all(np.isfinite(result.params)):
        return None, "non-finite estimate"
    return np.asarray(result.params, dtype=float), None


class _Progress:
    """An optional line on stderr, updated in place (off by default: notebooks keep stderr empty)."""

    def __init__(self, total: int, on: bool):
        self.total, self.on, self.shown = total, on, -1

    def __call__(self, done: int) -> None:
        if not self.on:
            return
        percent = 100 * done // self.total
        if percent != self.shown:
            self.shown = percent
            sys.stderr.write(f"\rbootstrap: {done}/{self.total} refits ({percent}%)")
            if done == self.total:
                sys.stderr.write("\n")
            sys.stderr.flush()


def _checked_data(data: Sequence) -> tuple[list, int]:
    """The data of ``bootstrap(fitter, *data)``, read by the package's input rules: pandas objects
    matched by label to the first of them (and kept as pandas, so that the fitter sees their column
    names and dtypes), masked arrays refused where anything is masked, Dask arrays refused (the
    bootstrap resamples rows in memory), everything else read as an array; one row per observation."""
    if not data:
        raise ValueError("bootstrap needs the data the fitter takes, e.g. bootstrap(fit_linear, X, y)")
    named = match_rows({f"data[{j}]": a for j, a in enumerate(data)})
    arrays: list = []
    for name, a in named.items():
        if is_dask(a):
            raise ValueError(
                f"{name} is a Dask array: bootstrap resamples rows in memory; pass NumPy arrays (a sample "
                "that fits in memory), or bootstrap(fit) for a fit that can resample itself"
            )
        if pandas_kind(a) is not None:
            arrays.append(a)
            continue
        if isinstance(a, np.ma.MaskedArray):
            a = unmasked(a, name)
        try:
            arr = np.asarray(a)
        except Exception as exc:
            raise ValueError(f"{name} could not be read as an array: {exc}") from exc
        if arr.ndim == 0:
            raise ValueError(f"{name} must have one row per observation, got a scalar")
        arrays.append(arr)
    n = len(arrays[0])
    for j, arr in enumerate(arrays):
        if len(arr) != n:
            raise ValueError(f"data[{j}] has {len(arr)} rows but data[0] has {n}; they must match")
    if n < 2:
        raise ValueError("bootstrap needs at least 2 observations")
    return arrays, n


def _take(data: Sequence, rows: NDArray) -> tuple:
    """The rows ``rows`` of every array of ``data`` (pandas objects by position, keeping their
    labels, columns and dtypes)."""
    return tuple(a.iloc[rows] if pandas_kind(a) is not None else a[rows] for a in data)


def bootstrap(
    fitter: Callable[..., FitResult] | FitResult,
    *data: NDArray,
    kind: str = "nonparametric",
    method: str = "percentile",
    n_resamples: int = 999,
    level: float = 0.95,
    seed: int | np.random.Generator | None = 0,
    simulate: Callable | None = None,
    failures: str = "warn",
    progress: bool = False,
) -> BootstrapResult:
    r"""Bootstrap confidence intervals for every parameter of a fit.

    Two ways to call it:

    * ``bootstrap(fit)``, with a :class:`~mle_tutorial.FitResult` of any fitter (or of your own
      :class:`~mle_tutorial.Likelihood`): the fit's model holds the data, and each resample is
      ``fit.model.resample(rows).fit()`` (nonparametric) or
      ``fit.model.simulate(fit.params, rng).fit()`` (parametric);
    * ``bootstrap(fitter, *data)``: ``fitter(*data)`` must return a
      :class:`~mle_tutorial.FitResult`: one of the package's fitters
      (``bootstrap(fit_linear, X, y)``) or any function of the data
      (``lambda X, y: fit_mle(nll, start, args=(X, y))``). The original fit is
      ``fitter(*data)``; each nonparametric resample refits it on rows of ``data``.

    * ``kind="nonparametric"``: resample the observations (the rows of all ``data`` arrays
      together: cases), with replacement. Methods ``"percentile"``, ``"basic"`` and ``"BCa"``
      (which refits the :math:`n` leave-one-out samples too, for its acceleration).
    * ``kind="parametric"``: new data from the fitted model: ``simulate(fit, rng, *data)``
      returning the new ``data`` tuple if you give it, else the model's own ``simulate`` (new
      ``y`` from :math:`N(X\hat\beta, \hat\sigma^2)`, Bernoulli, Poisson, scaled
      :math:`t_{\hat\nu}`, the censored or truncated model as the data were recorded, the
      mixture, ...: the same ``X``). Methods ``"percentile"`` and ``"basic"``.

    The intervals come from :func:`scipy.stats.bootstrap`, given the distribution of the
    successful refits. A refit fails if it raises a ``ValueError`` (such as
    :class:`~mle_tutorial.PerfectSeparationError`), does not converge, or gives a non-finite
    estimate: failures are counted (``n_failed``, ``failures``) and left out, and with
    ``failures="warn"`` a :class:`~mle_tutorial.ConvergenceWarning` says how many. Leaving them
    out conditions on the MLE existing, which makes intervals too narrow when many fail.

    Parameters
    ----------
    fitter : callable or FitResult
        ``fitter(*data) -> FitResult``, or the fit itself (then no ``data``).
    *data : array_like
        The data, each with one row per observation (e.g. ``X, y``), for a ``fitter``, read by the
        package's rules (see the README's "Bad input"): pandas objects are matched by index label
        to the first of them and passed to the fitter as pandas objects (so that a DataFrame's
        columns name the parameters, and nullable dtypes are read as the fitters read them); a
        masked array with a masked value is refused; each resample takes rows by position.
    kind : {"nonparametric", "parametric"}
    method : {"percentile", "basic", "BCa"}
    n_resamples : int
        Resamples :math:`B` (default 999), at least 2.
    level : float
        Confidence level, in (0, 1).
    seed : int, sequence of int, numpy.random.Generator or None
        Random-number seed (what :func:`numpy.random.default_rng` takes): the same seed gives
        the same resamples and intervals.
    simulate : callable, optional
        ``simulate(fit, rng, *data) -> tuple``, new data from the fitted model (parametric).
    failures : {"warn", "ignore", "raise"}
        What to do if some refits fail: warn (default), only count them, or raise a
        ``ValueError``.
    progress : bool
        Show progress on stderr (off by default).

    Returns
    -------
    BootstrapResult

    Raises
    ------
    ValueError
        Bad arguments (``n_resamples`` below 2: one resample has no spread; a seed numpy would not
        take), data of different lengths, masked values, Dask arrays, pandas objects whose labels
        do not match, a fit to the original data that fails, no successful refit,
        ``method="BCa"`` with ``kind="parametric"``, a model that cannot simulate or resample (a
        :func:`~mle_tutorial.fit_mle` function without ``simulate=``), failures with
        ``failures="raise"``, or a refit that raises anything but a failed fit's errors
        (``ValueError``, ``ArithmeticError``, ``LinAlgError``), or whose own function fails: the
        message names the resample and what it raised.

    Warns
    -----
    ConvergenceWarning
        When refits fail (``failures="warn"``); when the interval is not resolved by the
        resamples: fewer than one successful replicate beyond each end (:math:`B(1 -
        \text{level})/2 < 1`, e.g. fewer than 40 for 95%); or when an end is NaN (BCa's bias
        correction is infinite when every replicate falls on one side of the estimate, too few
        resamples; or a parameter's replicates are all equal). The NaN is kept.

    Examples
    --------
    >>> import numpy as np
    >>> from mle_tutorial import simulate_linear, fit_linear
    >>> X, y = simulate_linear(50, [1.0, 2.0], 0.5, seed=1)
    >>> boot = bootstrap(fit_linear, X, y, n_resamples=200, seed=2)
    >>> boot.interval.shape, boot.n_failed
    ((3, 2), 0)
    >>> again = bootstrap(fit_linear(X, y), n_resamples=200, seed=2)
    >>> bool(np.all(again.interval == boot.interval))
    True
    """
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {KINDS}, got {kind!r}")
    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}, got {method!r}")
    if failures not in ("warn", "ignore", "raise"):
        raise ValueError(f"failures must be 'warn', 'ignore' or 'raise', got {failures!r}")
    n_resamples = positive_int(n_resamples, "n_resamples")
    if n_resamples < 2:
        raise ValueError(
            "n_resamples must be at least 2: one resample has no spread, so no standard error, and its "
            "interval would be a single point (use hundreds: 999 by default)"
        )
    level = check_level(level)
    if kind == "parametric" and method == "BCa":
        raise ValueError('method="BCa" is for the nonparametric bootstrap; use "percentile" or "basic"')
    if simulate is not None and not callable(simulate):
        raise ValueError(f"simulate must be a function, got {type(simulate).__name__}")
    refit_model: Callable | None  # None only for bootstrap(fitter, *data) of a fit without a model
    if isinstance(fitter, FitResult):
        if data:
            raise ValueError(
                "bootstrap(fit) takes no data: the fit's model holds them (or bootstrap(fitter, *data))"
            )
        if simulate is not None:
            raise ValueError(
                "simulate= goes with bootstrap(fitter, *data); bootstrap(fit) simulates from fit.model"
            )
        fit, arrays = fitter, None
        if fit.model is None:
            raise ValueError("fit has no model (a result from an older version): refit it")
        n = fit.model.nobs
        refit_model = _model_fitter(fit)
    else:
        if not callable(fitter):
            raise ValueError(f"fitter must be a function returning a FitResult, got {type(fitter).__name__}")
        arrays, n = _checked_data(data)
        try:
            fit = fitter(*arrays)
        except (CallbackError, *EXPECTED):
            raise
        except Exception as exc:
            raise ValueError(
                f"fitter(*data) raised {type(exc).__name__} on the original data: {exc}"
            ) from exc
        if not isinstance(fit, FitResult):
            raise ValueError(f"fitter must return a FitResult, got {type(fit).__name__}")
        refit_model = _model_fitter(fit) if fit.model is not None else None
    if kind == "parametric" and simulate is None:
        _check_can(fit, "simulate")
    if kind == "nonparametric" and arrays is None:
        _check_can(fit, "resample")
    rng = check_seed(seed)
    show = _Progress(n_resamples, bool(progress))
    reps: list[NDArray] = []
    reasons: dict[str | None, int] = {}
    if kind == "nonparametric":
        rows = rng.integers(0, n, size=(n_resamples, n))
    for b in range(n_resamples):
        where = f"resample {b + 1} of {n_resamples}"
        if kind == "nonparametric" and arrays is not None:
            assert callable(fitter)  # data come with a fitter
            theta, why = _refit(fitter, _take(arrays, rows[b]), where)
        elif kind == "nonparametric":
            assert refit_model is not None  # bootstrap(fit): checked above that its model resamples
            theta, why = _refit_drawn(refit_model, fit.model.resample, where, rows[b])
        elif simulate is not None:
            assert callable(fitter) and arrays is not None  # simulate= goes with bootstrap(fitter, *data)
            theta, why = _refit(fitter, _simulated(simulate, fit, rng, arrays, where), where)
        else:
            assert refit_model is not None  # checked above that the fit's model simulates
            theta, why = _refit_drawn(refit_model, fit.model.simulate, where, fit.params, rng)
        if theta is None:
            reasons[why] = reasons.get(why, 0) + 1
        else:
            reps.append(theta)
        show(b + 1)
    n_failed = n_resamples - len(reps)
    if n_failed:
        text = (
            f"{n_failed} of {n_resamples} bootstrap refits failed ("
            + ", ".join(f"{why}: {count}" for why, count in sorted(reasons.items()))
            + f"); the interval uses the {len(reps)} that succeeded, which leaves out the resamples "
            "where the MLE does not exist"
        )
        if not reps and all(why and "while drawing the data" in why for why in reasons):
            text = f"bootstrap could not draw new data from fit.model ({', '.join(map(str, reasons))})"
        if failures == "raise" or not reps:
            raise ValueError(text)
        if failures == "warn":
            warn(text, ConvergenceWarning)
    replicates = np.array(reps)
    statistic: _Statistic | _ModelStatistic
    if arrays is not None:
        assert callable(fitter)  # data come with a fitter
        statistic = _Statistic(fitter, tuple(arrays), len(fit.params))
    else:
        assert refit_model is not None  # bootstrap(fit): its model is there
        statistic = _ModelStatistic(fit.model, refit_model, len(fit.params))
    interval = _interval(n, statistic, replicates, method, level)
    _flag_interval(interval, replicates, method, level, tuple(fit.param_names))
    return BootstrapResult(
        estimate=np.asarray(fit.params, dtype=float),
        interval=interval,
        standard_error=replicates.std(axis=0, ddof=1) if len(reps) > 1 else np.full(len(fit.params), np.nan),
        replicates=replicates,
        param_names=tuple(fit.param_names),
        kind=kind,
        method=method,
        level=level,
        n_resamples=n_resamples,
        n_failed=n_failed,
        failures=dict(sorted(reasons.items())),
    )


def _check_can(fit: FitResult, what: str) -> None:
    """The fit's model must be able to ``simulate`` (or ``resample``)."""
    model = fit.model
    if model is None or getattr(type(model), what) is getattr(Likelihood, what):
        hint = (
            "give simulate=(fit, rng, *data) -> new data"
            if what == "simulate"
            else "call bootstrap(fitter, *data)"
        )
        raise ValueError(
            f"a {'parametric' if what == 'simulate' else 'nonparametric'} bootstrap needs a model that can "
            f"{what}: {type(model).__name__} cannot ({hint}, or give your Likelihood a {what} method)"
        )


def _refit_drawn(refit: Callable, draw: Callable, where: str, *args) -> tuple[NDArray | None, str | None]:
    """Draw a model (``draw(*args)``) and refit it: the parameters, or None and why it failed."""
    try:
        sample = draw(*args)
    except EXPECTED as exc:  # said in full: a draw that fails is not a resample without an MLE
        return None, f"{type(exc).__name__} while drawing the data: {exc}"
    except Exception as exc:
        raise _unexpected(exc, where) from exc
    return _refit(refit, (sample,), where)


def _simulated(simulate: Callable, fit: FitResult, rng, arrays, where: str) -> tuple:
    """New data from ``simulate(fit, rng, *data)``, as a tuple (its errors said to be at ``where``)."""
    try:
        drawn = simulate(fit, rng, *arrays)
    except Exception as exc:
        raise ValueError(f"simulate(fit, rng, *data) raised {type(exc).__name__} for {where}: {exc}") from exc
    try:
        return tuple(drawn)
    except TypeError as exc:
        raise ValueError(
            f"simulate(fit, rng, *data) must return the new data as a tuple, got {type(drawn).__name__}"
        ) from exc


def _flag_interval(interval: NDArray, replicates: NDArray, method: str, level: float, names: tuple) -> None:
    """Warn where the interval cannot be trusted: fewer resamples than its level needs (no replicate
    beyond an end: ``B (1 - level) / 2 < 1``), or ends that are NaN (BCa's bias correction is
    infinite when every replicate falls on one side of the estimate; a parameter whose replicates
    are all equal)."""
    B = replicates.shape[0]
    if B * (1.0 - level) / 2.0 < 1.0:
        need = int(np.ceil(2.0 / (1.0 - level)))
        warn(
            f"a {level:.0%} bootstrap interval from {B} successful resample(s) is not resolved: fewer than "
            f"one replicate lies beyond each end (B (1 - level) / 2 < 1), so the ends are the extreme "
            f"replicates or beyond them; use at least {need} resamples (hundreds to thousands)",
            ConvergenceWarning,
        )
        return
    bad = [names[j] for j in range(interval.shape[0]) if not np.all(np.isfinite(interval[j]))]
    if bad:
        why = (
            "BCa's bias correction is infinite when every replicate falls on one side of the estimate "
            "(too few resamples), or"
            if method == "BCa"
            else "the"
        )
        warn(
            f"the bootstrap interval of {bad} is NaN: {why} replicates are all equal; use more resamples "
            f"(at least 1,000 for BCa), or another method",
            ConvergenceWarning,
        )


@dataclass(frozen=True)
class _Statistic:
    """The refitted parameters on the rows ``index`` (NaN where the refit fails), for scipy."""

    fitter: Callable
    arrays: tuple
    k: int

    def __call__(self, index, axis=-1):
        index = np.asarray(index, dtype=int)
        theta, _ = _refit(self.fitter, _take(self.arrays, index), "a leave-one-out sample (BCa)")
        return np.full(self.k, np.nan) if theta is None else theta


@dataclass(frozen=True)
class _ModelStatistic:
    """The refitted parameters of the model on the rows ``index`` (NaN where the refit fails)."""

    model: Likelihood
    refit: Callable
    k: int

    def __call__(self, index, axis=-1):
        where = "a leave-one-out sample (BCa)"
        theta, _ = _refit_drawn(self.refit, self.model.resample, where, np.asarray(index, dtype=int))
        return np.full(self.k, np.nan) if theta is None else theta


def _interval(n: int, statistic: Callable, replicates, method, level) -> NDArray:
    """The interval of :func:`scipy.stats.bootstrap` from the given distribution (no new draws)."""
    previous = types.SimpleNamespace(bootstrap_distribution=replicates.T)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # scipy's warning of a degenerate distribution: NaN ends
        result = lazy.stats().bootstrap(
            (np.arange(n),),
            statistic,
            n_resamples=0,
            bootstrap_result=previous,
            vectorized=False,
            confidence_level=level,
            method=method,
        )
    return np.column_stack([result.confidence_interval.low, result.confidence_interval.high])
