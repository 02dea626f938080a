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

import copy
import importlib
import math
from collections.abc import Callable, Sequence
from typing import cast

import numpy as np
from numpy.typing import NDArray

from .checks import check_dask_unmasked, check_lengths, check_numeric, count_not_finite, plain_arrays
from .scale import column_maxima, columns_within_range, shift_of, shifted, shifts, sums_within_range

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
    """Add two chunk summaries (dicts); keys starting with 'max_' take the (elementwise) maximum."""
    return {key: _maximum(a[key], b[key]) if key.startswith("max_") else a[key] + b[key] for key in a}


def _maximum(a, b):
    return np.maximum(a, b) if np.ndim(a) or np.ndim(b) else max(a, b)


# --- a fingerprint of the data, the same in memory and over any chunks -------------------------------
_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_MIX1, _MIX2 = np.uint64(0xBF58476D1CE4E5B9), np.uint64(0x94D049BB133111EB)


def fingerprint_sum(y: NDArray, start: int = 0) -> int:
    """A sum over the rows of ``y`` (the first being row ``start``) of a hash of each value's bits
    and its row number (SplitMix64's mixing), modulo 2**64: the same however the rows are split
    into chunks, and different (but for a chance of 2**-64) when a value or the order differs."""
    bits = (np.asarray(y, dtype=np.float64) + 0.0).view(np.uint64)  # + 0.0: -0.0 is 0.0
    z = bits + (np.arange(start, start + bits.size, dtype=np.uint64) + np.uint64(1)) * _GOLDEN
    z = (z ^ (z >> np.uint64(30))) * _MIX1
    z = (z ^ (z >> np.uint64(27))) * _MIX2
    z ^= z >> np.uint64(31)
    return int(z.sum(dtype=np.uint64))


def data_key(n: int, total: int) -> str:
    """What :attr:`~mle_tutorial.FitResult.data_key` holds: the number of observations and the
    fingerprint of ``y`` (from :func:`fingerprint_sum`, summed over chunks)."""
    return f"n={n} y#{total % (1 << 64):016x}"


#: The largest and smallest entry of an array (the reductions behind ``a.max()`` and ``a.min()``,
#: without their Python wrappers).
_MAX, _MIN = np.maximum.reduce, np.minimum.reduce

#: Where the computed y'y lies in [n 2**-398, 2**398], the true sum of squares is within
#: (n 2**-400, 2**400) (the rounding errors are relative, far below these margins), so the largest
#: |y_i| lies in (2**-200, 2**200): y needs no scaling (see :func:`~.scale.shift_of`).
_YY_FLOOR, _YY_CEILING = 2.0**-398, 2.0**398

#: Rows per block: each block's temporaries stay in cache, so one pass reads X once.
BLOCK_ROWS = 1 << 13


def screen_stats(
    X: NDArray, y: NDArray, offset: NDArray | None, *, labels: Callable | None = None, start: int = 0
) -> dict:
    """The lazy checks' pass over a chunk: bad values, each column's largest |value| (for the
    power-of-two scales), the largest |y|, the fingerprint of y (its first row being row
    ``start``), and, with ``labels`` (a model's check of its outcomes: ``labels(y)`` gives the
    count of impossible values and the count of "successes"), those counts."""
    out = {
        "n": X.shape[0],
        "bad_x": count_not_finite(X),
        "bad_y": count_not_finite(y),
        "bad_o": 0 if offset is None else count_not_finite(offset),
        "max_x": column_maxima(X) if X.shape[0] else np.zeros(X.shape[1]),
        "max_y": float(np.max(np.abs(y))) if y.size else 0.0,
        "fingerprint": fingerprint_sum(y, start),
    }
    if labels is not None:
        out["bad_label"], out["ones"] = labels(y)
    return out


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


def gram_and_yy(X: NDArray, y: NDArray) -> tuple[NDArray, float]:
    r""":math:`X^\top X` and :math:`y^\top y`, without a warning where they over- or underflow
    (columns beyond 2**+-512 give inf, or inf - inf = NaN with some BLAS kernels: the callers
    read that as out of range)."""
    with np.errstate(over="ignore", under="ignore", invalid="ignore"):
        return X.T @ X, float(y @ y)


class InMemoryRows:
    """NumPy arrays ``X`` (n, p), ``y`` (n,) and an optional ``offset`` (n,), already validated.

    ``x_shift`` and ``y_shift`` say by which powers of two the columns of ``X`` and ``y`` were
    divided (see :mod:`~mle_tutorial._engine.scale`); :meth:`scaled` chooses them, and records
    ``max_y`` and ``max_x``, the largest |value| of y and of each column (after scaling; ``max_x``
    None where it was not needed).
    """

    in_memory = True
    description = "memory"
    max_x: NDArray | None  # (recorded by scaled)
    gram: NDArray | None = None  # X'X, where scaled(gram=True) computed it
    yy: float | None = None  # y'y, where scaled(gram=True) computed it (and found y near 1 by it)
    _max_y: float | None = None

    def __init__(
        self, X: NDArray, y: NDArray, offset: NDArray | None = None, *, x_shift=None, y_shift: int = 0
    ):
        self.X, self.y, self.offset = X, y, offset
        self.n, self.p = X.shape
        self.x_shift = np.zeros(self.p, dtype=np.int64) if x_shift is None else np.asarray(x_shift)
        self.y_shift = int(y_shift)
        #: Nothing scaled (no shifts given): the fitters' unscale is the identity, known without
        #: reading the shifts.
        self.plain = x_shift is None and not self.y_shift

    @property
    def max_y(self) -> float:
        """The largest |value| of y (computed when first read, where :meth:`scaled` did not need
        it)."""
        if self._max_y is None:
            self._max_y = max(float(_MAX(self.y)), -float(_MIN(self.y)))
        return self._max_y

    @max_y.setter
    def max_y(self, value: float) -> None:
        self._max_y = value

    def max_y_bound(self) -> float:
        r"""An upper bound of :attr:`max_y` without a pass over y where y'y is known:
        :math:`\sqrt{y^\top y}` (each |y_i| is at most that, computed or not: the rounded sum of
        squares is monotone and y'y is far from under- and overflow), with a margin."""
        if self._max_y is None and self.yy is not None:
            return math.sqrt(self.yy) * (1.0 + 2.0**-20)
        return self.max_y

    @classmethod
    def scaled(
        cls,
        X: NDArray,
        y: NDArray,
        offset: NDArray | None = None,
        *,
        scale_y: bool = True,
        always: bool = False,
        gram: bool | tuple[NDArray, float] = False,
    ):
        r"""The rows of validated arrays, with the columns (and ``y`` if ``scale_y``) that lie far
        from 1 (or all, if ``always``) scaled by powers of two (a copy only where one is). With
        ``gram``, the range of the columns is read from the diagonal of :math:`X^\top X`, kept as
        ``gram`` when nothing is scaled (the normal equations need it: one pass for both), and
        that of y from :math:`y^\top y`, kept as ``yy`` (``gram``: True, or both, as
        :func:`gram_and_yy` computed them)."""
        G: NDArray | None = None
        yy: float | None = None
        if isinstance(gram, tuple):
            G, yy = gram
        elif gram and not always:
            G, yy = gram_and_yy(X, y)
        if G is not None:
            if not scale_y:
                yy = None
            elif not X.shape[0] * _YY_FLOOR <= cast(float, yy) <= _YY_CEILING:
                yy = None  # y may be beyond 2**+-200: its largest value decides
        # y'y in range: every |y_i| is below 2**200 and the largest above 2**-199 (see _YY_FLOOR),
        # so y is not scaled, as its largest value would say (nor where not scale_y: its largest
        # value is then computed only if read)
        max_y = None if yy is not None or not scale_y else max(float(_MAX(y)), -float(_MIN(y)))
        within = G is not None and sums_within_range(G.diagonal())
        if not within and (always or not columns_within_range(X)):  # (the maxima are slower)
            max_x = column_maxima(X)
            x_shift = shifts(max_x, always)
        else:
            max_x, x_shift = None, None
        y_shift = shift_of(max_y, always) if scale_y and max_y is not None else 0
        if max_x is None and not y_shift:  # the common case: nothing to scale
            rows = cls(X, y, offset)
            rows.max_x, rows.gram, rows.yy = None, G, yy
            if max_y is not None:
                rows.max_y = max_y
            return rows
        if x_shift is None:
            x_shift = np.zeros(X.shape[1], dtype=np.int64)
        if max_y is None:
            max_y = max(float(_MAX(y)), -float(_MIN(y)))
        rows = cls(shifted(X, x_shift), shifted(y, y_shift), offset, x_shift=x_shift, y_shift=y_shift)
        rows.max_x = None if max_x is None else shifted(max_x, x_shift)
        rows.max_y = float(shifted(max_y, y_shift))
        return rows

    @classmethod
    def checked(
        cls, X: object, y: object, offset: NDArray | None = None, *, scale_y: bool = True
    ) -> InMemoryRows | None:
        r""":meth:`scaled` (``gram=True``) of a design that needs no conversion: ``X`` and ``y``
        float64 ndarrays of shapes (n, p) and (n,), n > p > 0, every value finite, which the
        diagonal of :math:`X^\top X` and :math:`y^\top y` show (a NaN or an infinity makes its
        sum of squares NaN or infinite): the check and the normal equations in one pass. None
        where the arrays are not such, or a sum is not finite (a value that is not, or a sum
        that overflows): :func:`~mle_tutorial._engine.checks.read_design` decides then.
        ``offset`` (already checked) and ``scale_y`` as in :meth:`scaled`."""
        if not plain_arrays(X, y):
            return None
        X, y = cast(NDArray, X), cast(NDArray, y)
        G, yy = gram_and_yy(X, y)
        if not (math.isfinite(yy) and all(math.isfinite(v) for v in G.diagonal().tolist())):
            return None
        return cls.scaled(X, y, offset, scale_y=scale_y, gram=(G, yy))

    def reduce(self, func: Callable, combine: Callable = add, *, with_start: bool = False, **kwargs):
        """``func(X, y, offset, **kwargs)`` on all the rows at once (``start=0`` too if
        ``with_start``)."""
        if with_start:
            kwargs["start"] = 0
        return func(self.X, self.y, self.offset, **kwargs)

    def hold_column(self, j: int, value: float) -> InMemoryRows:
        """The other columns, with ``value * X[:, j]`` moved into the offset."""
        offset = value * self.X[:, j] if self.offset is None else self.offset + value * self.X[:, j]
        return InMemoryRows(
            np.delete(self.X, j, axis=1), self.y, offset,
            x_shift=np.delete(self.x_shift, j), y_shift=self.y_shift,
        )  # fmt: skip


class DaskRows:
    """Dask arrays aligned on the same row chunks, every chunk holding whole rows.

    Its checks are lazy: shapes and dtypes at once, the values in :meth:`screen`'s pass, which
    also chooses the power-of-two scales of :meth:`shifted`.
    """

    in_memory = False

    def __init__(self, X, y, offset=None):
        _, da = _dask()
        for name, arr in (("X", X), ("y", y), ("offset", offset)):
            if type(arr).__name__ in ("DataFrame", "Series") and is_dask(arr):
                raise ValueError(
                    f"{name} is a Dask DataFrame or Series: pass a Dask array chunked by rows "
                    f"({name}.to_dask_array(lengths=True))"
                )
        X, y = da.asarray(X), da.asarray(y)
        for name, arr in (("X", X), ("y", y), ("offset", offset)):
            if arr is not None:
                check_dask_unmasked(arr, name)
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
        self.x_shift = np.zeros(self.p, dtype=np.int64)
        self.y_shift = 0
        self.description = f"{len(self.X.chunks[0])} row chunk(s) of a Dask array"

    def screen(self, chunk_fn: Callable, **kwargs) -> dict:
        """One pass of ``chunk_fn`` (which counts bad values and finds the column maxima); a NaN
        or infinite value is reported here, naming the array."""
        first = self.reduce(chunk_fn, with_start=True, **kwargs)
        for key, what in (("bad_x", "X"), ("bad_y", "y"), ("bad_o", "offset")):
            if first.get(key):
                raise ValueError(f"{what} contains {first[key]} NaN or infinite value(s)")
        return first

    def shifted(self, x_shift: NDArray, y_shift: int = 0) -> DaskRows:
        """The same rows with column j of X divided by ``2**x_shift[j]`` and y by ``2**y_shift``
        (lazily: the chunks are scaled as they are read)."""
        x_shift = np.asarray(x_shift, dtype=np.int64)
        if not np.any(x_shift) and not y_shift:
            return self
        out = copy.copy(self)
        # ldexp chunk by chunk, not a product with 2**-e: that factor overflows for a subnormal column
        # (e below -1022), where ldexp of the values does not
        out.X = self.X.map_blocks(np.ldexp, -x_shift, dtype=np.float64) if np.any(x_shift) else self.X
        out.y = self.y.map_blocks(np.ldexp, -int(y_shift), dtype=np.float64) if y_shift else self.y
        out.x_shift = self.x_shift + x_shift
        out.y_shift = self.y_shift + int(y_shift)
        return out

    def reduce(self, func: Callable, combine: Callable = add, *, with_start: bool = False, **kwargs):
        """``func(X_c, y_c, offset_c, **kwargs)`` on every row chunk, combined in a tree (with
        ``start=`` the chunk's first row if ``with_start``)."""
        dask, _ = _dask()
        sizes = self.X.chunks[0]
        offsets = [None] * len(sizes) if self.offset is None else self.offset.to_delayed().ravel()
        starts = np.concatenate([[0], np.cumsum(sizes)[:-1]]).astype(int)
        blocks = zip(self.X.to_delayed().ravel(), self.y.to_delayed().ravel(), offsets, starts, strict=True)
        parts = [
            dask.delayed(_with_offset)(
                func, xb, yb, ob, {**kwargs, "start": int(s)} if with_start else kwargs
            )
            for xb, yb, ob, s in blocks
        ]
        return tree_reduce(parts, combine, dask.delayed).compute()

    def hold_column(self, j: int, value: float) -> DaskRows:
        """The other columns, with ``X[:, j] * value`` moved into the offset."""
        others = [k for k in range(self.p) if k != j]
        held = self.X[:, j] * value
        out = DaskRows(self.X[:, others], self.y, held if self.offset is None else self.offset + held)
        out.x_shift, out.y_shift = np.delete(self.x_shift, j), self.y_shift
        return out


def as_rows(X, y, offset=None) -> DaskRows | None:
    """Dask row chunks if any argument is a Dask array, else None (the caller validates in memory)."""
    if type(X) is np.ndarray and type(y) is np.ndarray and offset is None:  # (the common case)
        return None
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
