"""Modules that are slow to import, imported when first needed: ``import mle_tutorial`` does not
load ``scipy.stats`` or ``scipy.optimize`` (about 1 s together), nor pandas or Dask."""

from __future__ import annotations

import importlib


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
