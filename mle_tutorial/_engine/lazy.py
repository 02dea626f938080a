"""Modules that are slow to import, imported when first needed: ``import mle_tutorial`` loads
numpy only, not SciPy (``scipy.stats`` and ``scipy.optimize`` take about 1 s together,
``scipy.linalg`` 0.2 s), nor pandas or Dask.

``linalg``, ``special`` and ``lapack`` stand for :mod:`scipy.linalg`, :mod:`scipy.special` and
:mod:`scipy.linalg.lapack`: the module is imported at the first use of one of its attributes
(``linalg.cho_factor(...)``).
"""

from __future__ import annotations

import importlib
from types import ModuleType


class _Module:
    """A module imported when one of its attributes is first used."""

    def __init__(self, name: str):
        self._name = name
        self._module: ModuleType | None = None

    def __getattr__(self, attribute: str):
        if self._module is None:  # (importlib's lookup costs microseconds: done once)
            self._module = importlib.import_module(self._name)
        return getattr(self._module, attribute)

    def __repr__(self) -> str:
        return f"<{self._name}, imported when first used>"


class _Routines(_Module):
    """A module of routines imported when one is first used, each kept once found (a LAPACK
    routine is called once per Newton step: the lookup is then a plain attribute)."""

    def __getattr__(self, attribute: str):
        routine = super().__getattr__(attribute)
        setattr(self, attribute, routine)
        return routine


linalg = _Module("scipy.linalg")
special = _Module("scipy.special")
#: :mod:`scipy.linalg.lapack`: its routines called directly, without SciPy's checks and wrappers
#: (which cost tens of microseconds, much of a small fit).
lapack = _Routines("scipy.linalg.lapack")


def stats():
    """:mod:`scipy.stats`."""
    return importlib.import_module("scipy.stats")


def optimize():
    """:mod:`scipy.optimize`."""
    return importlib.import_module("scipy.optimize")


def pandas():
    """:mod:`pandas`, or an ImportError that says it is needed (it is not a dependency)."""
    try:
        return importlib.import_module("pandas")
    except ImportError as exc:
        raise ImportError(f"this needs pandas, which is not installed ({exc}): pip install pandas") from exc
