"""Value equality of results, models and profiles: what ``FitResult.__eq__`` compares."""

from __future__ import annotations

import dataclasses

import numpy as np

from .rows import is_dask


def same(a, b) -> bool:
    """Value equality that works through arrays (NaN equal to NaN), dataclasses, tuples and dicts;
    Dask arrays are equal when their graphs are (the same ``name``); other objects with a
    ``__dict__`` (models, row sources) when their attributes are."""
    if a is b:
        return True
    if type(a) is not type(b):
        return False
    if isinstance(a, np.ndarray):
        return a.shape == b.shape and np.array_equal(a, b, equal_nan=a.dtype.kind in "fc")
    if is_dask(a):
        return a.name == b.name
    if dataclasses.is_dataclass(a):
        return all(same(getattr(a, f.name), getattr(b, f.name)) for f in dataclasses.fields(a) if f.compare)
    if isinstance(a, (tuple, list)):
        return len(a) == len(b) and all(same(u, v) for u, v in zip(a, b, strict=True))
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    if hasattr(a, "__dict__") and not callable(a):
        return same(
            {k: v for k, v in vars(a).items() if not k.startswith("_cache")},
            {k: v for k, v in vars(b).items() if not k.startswith("_cache")},
        )
    return bool(a == b)
