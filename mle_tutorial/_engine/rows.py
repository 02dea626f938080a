r"""Where the data come in: rows in memory, or row chunks of Dask arrays, behind one ``reduce``.

A likelihood of independent observations is a sum over rows, and so are its score, its
information and :math:`X^\top X`. A row source applies a chunk function to its rows and adds
the results: :class:`InMemoryRows` calls it once on the whole arrays; :class:`DaskRows` calls
it on every row chunk, on Dask's current scheduler, and combines the small results in a binary
tree (the data stay in their chunks). Fitters see only ``reduce``, ``n``, ``p`` and
``hold_column``, so every fitter reaches Dask the same way.

Dask is optional (``pip install "mle-tutorial[dask]"``) and is imported here only, when a Dask
array arrives; its checks are lazy (shapes and dtypes at once, NaN counts in the first pass).
"""

from __future__ import annotations

import importlib
import math
from collections.abc import Callable, Sequence

import numpy as np
from numpy.typing import NDArray

from .checks import check_lengths, check_numeric

_DASK_HINT = 'install Dask for out-of-core fits: pip install "mle-tutorial[dask]"'


def is_dask(value) -> bool:
    """True for a Dask collection (checked by type, without importing Dask)."""
    return type(value).__module__.split(".")[0] == "dask"


def _dask():
    """Dask and dask.array, or a ValueError that says what to install (the one place Dask loads)."""
    try:
        return importlib.import_module("dask"), importlib.import_module("dask.array")
    except ImportError as exc:  # pragma: no cover - exercised with dask hidden
        raise ValueError(f"X or y is a Dask array but Dask cannot be imported ({exc}): {_DASK_HINT}") from exc


def add(a: dict, b: dict) -> dict:
    """Add two chunk summaries (dicts); keys starting with 'max_' take the maximum."""
    return {key: max(a[key], b[key]) if key.startswith("max_") else a[key] + b[key] for key in a}


def tree_reduce(parts: list, combine: Callable, delayed: Callable):
    """Combine ``parts`` pairwise, level by level, in a binary tree of ``delayed`` tasks."""
    while len(parts) > 1:
        paired = [delayed(combine)(parts[i], parts[i + 1]) for i in range(0, len(parts) - 1, 2)]
        if len(parts) % 2:
            paired.append(parts[-1])
        parts = paired
    return parts[0]


def _with_offset(func: Callable, X, y, offset, kwargs):
    return func(X, y, offset, **kwargs)


class InMemoryRows:
    """NumPy arrays ``X`` (n, p), ``y`` (n,) and an optional ``offset`` (n,), already validated."""

    in_memory = True
    description = "memory"

    def __init__(self, X: NDArray, y: NDArray, offset: NDArray | None = None):
        self.X, self.y, self.offset = X, y, offset
        self.n, self.p = X.shape

    def reduce(self, func: Callable, combine: Callable = add, **kwargs):
        """``func(X, y, offset, **kwargs)`` on all the rows at once."""
        return func(self.X, self.y, self.offset, **kwargs)

    def hold_column(self, j: int, value: float) -> InMemoryRows:
        """The other columns, with ``value * X[:, j]`` moved into the offset."""
        offset = value * self.X[:, j] if self.offset is None else self.offset + value * self.X[:, j]
        return InMemoryRows(np.delete(self.X, j, axis=1), self.y, offset)


class DaskRows:
    """Dask arrays aligned on the same row chunks, every chunk holding whole rows."""

    in_memory = False

    def __init__(self, X, y, offset=None):
        _, da = _dask()
        X, y = da.asarray(X), da.asarray(y)
        for name, arr, ndim in (("X", X, 2), ("y", y, 1)):
            if arr.ndim != ndim:
                raise ValueError(f"{name} must be a {ndim}-D array, got shape {arr.shape}")
            check_numeric(arr, name)
            if any(math.isnan(s) for s in arr.shape):
                raise ValueError(f"{name} has unknown chunk sizes; call {name}.compute_chunk_sizes() first")
        n = X.shape[0]
        check_lengths(n, y.shape[0])
        if n == 0:
            raise ValueError("X is empty")
        self.X = X.astype(np.float64).rechunk({1: -1})  # every chunk holds whole rows
        self.y = y.astype(np.float64).rechunk((self.X.chunks[0],))
        if offset is not None:
            offset = da.asarray(offset).astype(np.float64)
            if offset.ndim != 1 or offset.shape[0] != n:
                raise ValueError(f"offset must be 1-D with {n} values, got shape {offset.shape}")
            offset = offset.rechunk((self.X.chunks[0],))
        self.offset = offset
        self.n, self.p = self.X.shape
        self.description = f"{len(self.X.chunks[0])} row chunk(s) of a Dask array"

    def reduce(self, func: Callable, combine: Callable = add, **kwargs):
        """``func(X_c, y_c, offset_c, **kwargs)`` on every row chunk, combined in a tree."""
        dask, _ = _dask()
        offsets = [None] * len(self.X.chunks[0]) if self.offset is None else self.offset.to_delayed().ravel()
        blocks = zip(self.X.to_delayed().ravel(), self.y.to_delayed().ravel(), offsets, strict=True)
        parts = [dask.delayed(_with_offset)(func, xb, yb, ob, kwargs) for xb, yb, ob in blocks]
        return tree_reduce(parts, combine, dask.delayed).compute()

    def hold_column(self, j: int, value: float) -> DaskRows:
        """The other columns, with ``X[:, j] * value`` moved into the offset."""
        others = [k for k in range(self.p) if k != j]
        held = self.X[:, j] * value
        return DaskRows(self.X[:, others], self.y, held if self.offset is None else self.offset + held)


def as_rows(X, y, offset=None) -> DaskRows | None:
    """Dask row chunks if any argument is a Dask array, else None (the caller validates in memory)."""
    if is_dask(X) or is_dask(y) or is_dask(offset):
        return DaskRows(X, y, offset)
    return None


def map_reduce(func: Callable, arrays: Sequence, combine: Callable = add, **kwargs):
    """Apply ``func(*chunks, **kwargs)`` to each row chunk of the Dask ``arrays`` and combine the
    results in a binary tree (with :func:`add` unless told otherwise)."""
    dask, _ = _dask()
    rows = arrays[0].chunks[0]
    # whole rows per chunk, and the same row chunks in every array
    arrays = [a.rechunk((rows, *((-1,) * (a.ndim - 1)))) if a.ndim > 1 or a.chunks[0] != rows else a
              for a in arrays]  # fmt: skip
    blocks = zip(*(a.to_delayed().ravel() for a in arrays), strict=True)
    parts = [dask.delayed(func)(*block, **kwargs) for block in blocks]
    return tree_reduce(parts, combine, dask.delayed).compute()
