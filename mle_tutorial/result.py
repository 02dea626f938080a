"""The one result type that every fitter in the package returns."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray


class ConvergenceWarning(UserWarning):
    """A fit stopped before its convergence test passed; its result has ``converged=False``."""


@dataclass(frozen=True, repr=False)
class FitResult:
    """A maximum likelihood fit.

    Attributes
    ----------
    params : ndarray
        Every estimated parameter on its natural scale; for the normal linear
        model ``[beta..., sigma]``.
    param_names : tuple of str
        A name for each entry of ``params``.
    loglik : float
        The maximized log-likelihood :math:`\\ell(\\hat\\theta)`.
    nobs : int
        Number of observations.
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
    extra: dict = field(default_factory=dict)

    def __repr__(self) -> str:
        width = max(len(name) for name in self.param_names)
        head = (
            f"FitResult(method={self.method!r}, nobs={self.nobs}, "
            f"converged={self.converged}, n_iter={self.n_iter})"
        )
        lines = [head, f"  loglik = {self.loglik:.6g}"]
        for name, value in zip(self.param_names, self.params, strict=True):
            lines.append(f"  {name:<{width}} = {value: .8g}")
        return "\n".join(lines)
