"""The one result type that every fitter in the package returns, and the warnings of a fit.

:class:`FitResult`, :class:`Summary`, :class:`ConvergenceWarning`, :class:`HessianWarning` and
:class:`ExactFitWarning` are built by the package's engine and live here for their users.
"""

from ._engine.result import ConvergenceWarning, ExactFitWarning, FitResult, HessianWarning, Summary

__all__ = ["ConvergenceWarning", "ExactFitWarning", "FitResult", "HessianWarning", "Summary"]
