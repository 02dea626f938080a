"""Picklable negative log-likelihoods: what a fitter minimizes, and what a profile re-minimizes.

Like statsmodels' ``LikelihoodModel`` (``loglike``/``score``/``hessian``) or iminuit's
``Cost``, an :class:`Objective` bundles a negative log-likelihood with its derivatives,
analytic where given and numerical (:mod:`~mle_tutorial._engine.numdiff`) otherwise. They are
classes, not closures, so that a fit's profile (which holds one) can be pickled; a user's
function inside pickles only if it is defined at module level.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

import numpy as np
from numpy.typing import ArrayLike, NDArray

from . import numdiff


class ObjectiveLike(Protocol):
    """What an optimizer and a profile use of an objective (for the type checker): an
    :class:`Objective` is one, and so is a model's on its working scale
    (:class:`~mle_tutorial.fitting.LikelihoodObjective`)."""

    @property
    def name(self) -> str: ...

    def __call__(self, theta: NDArray) -> float: ...

    def safe(self, theta: NDArray) -> float: ...

    def gradient(self, theta: NDArray) -> NDArray: ...

    def hessian(self, theta: NDArray) -> NDArray: ...


def _theta_text(theta: object) -> str:
    arr = np.asarray(theta, dtype=float).reshape(-1)
    return np.array2string(arr, precision=6, separator=", ", threshold=12, max_line_width=10**6)


class CallbackError(ValueError):
    """A function given to a fitter (a negative log-likelihood, its gradient or Hessian, per-observation
    contributions, a model's mean function or its Jacobian, a method of a Likelihood of your own)
    raised, or returned what it must not (complex values, the wrong shape, text), at a call the
    message names: at start, or during the fit, and at which parameters. A ``ValueError``; the
    exception the function raised is its ``__cause__``.

    Attributes
    ----------
    call : str
        The call that failed, e.g. ``"negative_log_likelihood(theta)"`` or ``"model(x, beta)"``.
    what : str
        What it raised or returned.
    phase : str
        ``"at start"``, ``"during the fit"`` or ``"in robust()"``.
    theta : ndarray
        The parameters it was called with.

    Examples
    --------
    >>> import mle_tutorial as mle
    >>> try:
    ...     mle.fit_mle(lambda t: 1 / float(t[0]), [0.0])
    ... except mle.CallbackError as err:
    ...     print(err.call, "|", err.phase)
    ...     print(err.what)
    negative_log_likelihood(theta) | at start
    raised ZeroDivisionError: float division by zero
    """

    def __init__(
        self, call: str, what: str, theta: object, phase: str = "during the fit", param: str = "theta"
    ):
        self.call, self.what, self.phase, self.param = call, what, phase, param
        self.theta = np.array(theta, dtype=float, copy=True).reshape(-1)
        super().__init__(f"{call} {what}, {phase} ({param} = {_theta_text(self.theta)})")

    def __reduce__(self):
        return (type(self), (self.call, self.what, self.theta, self.phase, self.param))

    def at_start(self) -> CallbackError:
        """The same failure, said to have happened at start."""
        return self.in_phase("at start")

    def in_phase(self, phase: str) -> CallbackError:
        """The same failure, said to have happened ``phase`` ("in FitResult.robust()", ...)."""
        return CallbackError(self.call, self.what, self.theta, phase, self.param)


CallbackError.__module__ = "mle_tutorial.generic"  # its documented home


def raised(exc: BaseException) -> str:
    """What a failing call did: ``raised ZeroDivisionError: division by zero``."""
    text = str(exc)
    return f"raised {type(exc).__name__}" + (f": {text}" if text else "")


def call_user(function: Callable, theta: NDArray, args: tuple, call: str, param: str = "theta"):
    """``function(theta, *args)``; an exception it raises becomes a :class:`CallbackError` naming
    ``call`` (chained to it). Another CallbackError (a function that calls a fit) passes through."""
    try:
        return function(theta, *args)
    except CallbackError:
        raise
    except Exception as exc:
        raise CallbackError(call, raised(exc), theta, param=param) from exc


def start_phase(function: Callable, *args):
    """``function(*args)``, with a :class:`CallbackError` it raises said to be at start."""
    return in_phase("at start", function, *args)


def in_phase(phase: str, function: Callable, *args):
    """``function(*args)``, with a :class:`CallbackError` it raises said to be ``phase``."""
    try:
        return function(*args)
    except CallbackError as exc:
        raise exc.in_phase(phase) from exc.__cause__


@dataclass(frozen=True, eq=False)
class Objective:
    """``function(theta, *args)``, a negative log-likelihood, with its ``gradient`` and ``hessian``.

    Calling it returns a float, or raises ``ValueError`` naming ``name`` if the function returns
    something that is not a number (an array, even of one element, is not). With ``user`` (the
    functions are a user's), a function that raises, or returns what it must not, is a
    :class:`CallbackError` that says which call failed and at which ``theta``.
    """

    function: Callable[..., float]
    args: tuple = ()
    gradient_function: Callable[..., ArrayLike] | None = None  # (read by real_array)
    hessian_function: Callable[..., ArrayLike] | None = None
    name: str = "negative_log_likelihood"
    user: bool = False

    def _fail(self, call: str, what: str, theta: NDArray, plain: str) -> ValueError:
        return CallbackError(call, what, theta) if self.user else ValueError(plain)

    def __call__(self, theta: NDArray) -> float:
        call = f"{self.name}(theta)"
        value = (
            call_user(self.function, theta, self.args, call)
            if self.user
            else self.function(theta, *self.args)
        )
        if isinstance(value, (str, bytes)):
            raise self._fail(
                call,
                f"must return a number, got {value!r}",
                theta,
                f"{self.name} must return a number, got {value!r}",
            )
        try:
            arr = np.asarray(value)
        except Exception as exc:
            raise self._fail(
                call,
                f"must return a number, got {value!r}",
                theta,
                f"{self.name} must return a number, got {value!r}",
            ) from exc
        if arr.dtype.kind == "c":
            raise self._fail(
                call,
                f"returned the complex number {value!r}; it must return a real number (its imaginary part "
                "is not dropped for you)",
                theta,
                f"{self.name} returned the complex number {value!r}; it must return a real number "
                "(a likelihood is real: its imaginary part is not dropped for you)",
            )
        if arr.ndim != 0 or arr.dtype == object or arr.dtype.kind not in "biuf":
            shape = f"an array of shape {arr.shape}" if arr.ndim else repr(value)
            hint = (
                " (return its element: float(value[0]))" if arr.size == 1 and arr.dtype.kind in "biuf" else ""
            )
            raise self._fail(
                call,
                f"must return a number, got {shape}{hint}",
                theta,
                f"{self.name} must return a number, got {shape}{hint}",
            )
        return float(arr)

    @property
    def analytic_hessian(self) -> bool:
        """Whether the Hessian is the user's (analytic), not differences."""
        return self.hessian_function is not None

    def safe(self, theta: NDArray) -> float:
        """The value, with inf for an impossible point (the optimizer then backs off)."""
        value = self(theta)
        return value if np.isfinite(value) else np.inf

    def _derivative(self, function: Callable, theta: NDArray, name: str, shape: tuple[int, ...]) -> NDArray:
        if not self.user:
            return real_array(function(theta, *self.args), name, shape)
        call = f"{name}(theta)"
        value = call_user(function, theta, self.args, call)
        try:
            return real_array(value, name, shape)
        except ValueError as exc:
            raise CallbackError(call, _what(exc, name), theta) from None

    def gradient(self, theta: NDArray) -> NDArray:
        if self.gradient_function is not None:
            return self._derivative(self.gradient_function, theta, "gradient", (np.size(theta),))
        return numdiff.gradient(self, np.asarray(theta, dtype=float))

    def hessian(self, theta: NDArray) -> NDArray:
        if self.hessian_function is not None:
            k = np.size(theta)
            return self._derivative(self.hessian_function, theta, "hessian", (k, k))
        grad = self.gradient if self.gradient_function is not None else None
        return numdiff.hessian(self, np.asarray(theta, dtype=float), grad)

    def check_at(self, start: NDArray) -> None:
        """Call the gradient and Hessian (where given) at ``start`` and insist on finite real
        arrays of the right shapes (the value itself is checked by the caller)."""
        for name, function in (("gradient", self.gradient_function), ("hessian", self.hessian_function)):
            if function is None:
                continue
            value = start_phase(getattr(self, name), start)
            bad = int(value.size - np.count_nonzero(np.isfinite(value)))
            if bad:
                raise ValueError(
                    f"{name} returned {bad} NaN or infinite value(s) at start; "
                    "it must be finite where the likelihood is"
                )


def _what(exc: ValueError, name: str) -> str:
    """The message of :func:`real_array` without the function's name in front: what it returned."""
    text = str(exc)
    return text[len(name) + 1 :] if text.startswith(f"{name} ") else text


def real_array(value: object, name: str, shape: tuple[int, ...]) -> NDArray:
    """A model's or a user's output as a real float array of ``shape``, or a ValueError naming it."""
    try:
        arr = np.asarray(value)
    except Exception as exc:
        raise ValueError(f"{name} must return an array of shape {shape}: {exc}") from exc
    if arr.dtype.kind == "c":
        raise ValueError(f"{name} returned complex values; it must return real numbers")
    if arr.dtype == object or arr.dtype.kind not in "biuf":
        raise ValueError(f"{name} must return numbers, got an array of dtype {arr.dtype}")
    if arr.shape != shape:
        if not shape:
            raise ValueError(f"{name} must return a single number, got an array of shape {arr.shape}")
        what = "one value per parameter" if len(shape) == 1 else "a square matrix, one row per parameter"
        raise ValueError(
            f"{name} returned shape {arr.shape}, but theta has {shape[0]} value(s): "
            f"it must return {what} {shape}"
        )
    return arr.astype(np.float64, copy=False)
