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


@dataclass(frozen=True, eq=False)
class Objective:
    """``function(theta, *args)``, a negative log-likelihood, with its ``gradient`` and ``hessian``.

    Calling it returns a float, or raises ``ValueError`` naming ``name`` if the function returns
    something that is not a number.
    """

    function: Callable[..., float]
    args: tuple = ()
    gradient_function: Callable[..., ArrayLike] | None = None  # (read by real_array)
    hessian_function: Callable[..., ArrayLike] | None = None
    name: str = "negative_log_likelihood"

    def __call__(self, theta: NDArray) -> float:
        value = self.function(theta, *self.args)
        if isinstance(value, (str, bytes)):
            raise ValueError(f"{self.name} must return a number, got {value!r}")
        try:
            arr = np.asarray(value)
        except Exception as exc:
            raise ValueError(f"{self.name} must return a number, got {value!r}") from exc
        if arr.dtype.kind == "c":
            raise ValueError(
                f"{self.name} returned the complex number {value!r}; it must return a real number "
                "(a likelihood is real: its imaginary part is not dropped for you)"
            )
        if arr.size != 1 or arr.dtype == object or arr.dtype.kind not in "biuf":
            raise ValueError(f"{self.name} must return a number, got {value!r}")
        return float(arr.reshape(()))

    @property
    def analytic_hessian(self) -> bool:
        """Whether the Hessian is the user's (analytic), not differences."""
        return self.hessian_function is not None

    def safe(self, theta: NDArray) -> float:
        """The value, with inf for an impossible point (the optimizer then backs off)."""
        value = self(theta)
        return value if np.isfinite(value) else np.inf

    def gradient(self, theta: NDArray) -> NDArray:
        if self.gradient_function is not None:
            return real_array(self.gradient_function(theta, *self.args), "gradient", (np.size(theta),))
        return numdiff.gradient(self, np.asarray(theta, dtype=float))

    def hessian(self, theta: NDArray) -> NDArray:
        if self.hessian_function is not None:
            k = np.size(theta)
            return real_array(self.hessian_function(theta, *self.args), "hessian", (k, k))
        grad = self.gradient if self.gradient_function is not None else None
        return numdiff.hessian(self, np.asarray(theta, dtype=float), grad)

    def check_at(self, start: NDArray) -> None:
        """Call the gradient and Hessian (where given) at ``start`` and insist on finite real
        arrays of the right shapes (the value itself is checked by the caller)."""
        for name, function in (("gradient", self.gradient_function), ("hessian", self.hessian_function)):
            if function is None:
                continue
            value = getattr(self, name)(start)
            bad = int(value.size - np.count_nonzero(np.isfinite(value)))
            if bad:
                raise ValueError(
                    f"{name} returned {bad} NaN or infinite value(s) at start; "
                    "it must be finite where the likelihood is"
                )


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
            f"{name} returned shape {arr.shape}, but start has {shape[0]} parameters: "
            f"it must return {what} {shape}"
        )
    return arr.astype(np.float64, copy=False)
