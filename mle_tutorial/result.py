"""The one result type that every fitter in the package returns, and the warnings of a fit.

:class:`FitResult`, :class:`Summary`, :class:`ConvergenceWarning` and :class:`HessianWarning`
are built by the package's engine and live here for their users.
"""

from ._engine.result import ConvergenceWarning, FitResult, HessianWarning, Summary

__all__ = ["ConvergenceWarning", "FitResult", "HessianWarning", "Summary"]
