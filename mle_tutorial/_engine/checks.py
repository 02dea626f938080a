"""The one way data come into the package: input checks shared by every public function, and the
messages they raise.

Every check raises :class:`ValueError` with a message that names the argument and says what is
wrong, so that bad input never turns into a silent wrong answer deep inside numpy. The rules:

* **Numbers only.** Integers, floats and booleans are read as float64; anything else (text,
  objects, complex numbers, dates) is refused, naming the argument (and the column of a
  DataFrame). NaN and infinities are refused, with their count.
* **Masked arrays** (:mod:`numpy.ma`) are refused if anything is masked (the package never
  skips values silently): drop or fill the masked rows first, e.g. with ``np.ma.compress_rows``.
  A masked array with nothing masked is read as its data.
* **pandas** objects are read without importing pandas (pandas is not a dependency: an object is
  recognized only if pandas is already imported). Bool and nullable (``Int64``, ``boolean``,
  ``Float64``) columns are numbers; a missing value (``pd.NA``) counts as NaN; object, string and
  category columns are refused, naming the column. When pandas objects meet (``X`` and ``y``,
  an ``offset``, survival times and event indicators, per-row limits, ...), their indexes must
  hold the same labels: rows are matched by label (reordered to the index of ``X``, or of the
  first pandas argument if ``X`` is not one) when the labels are the same but in another order,
  and different labels, or duplicate labels in a different order, are a ``ValueError`` naming
  both arguments. A pandas object next to a NumPy array is paired with it by position.
  A DataFrame's columns (or a Series' name, for a single predictor) name the coefficients.
* **Limits** (censoring and truncation limits, the ends of a censoring interval) follow the same
  rules, except that ``-inf`` and ``inf`` are allowed: they mean "no limit on that side".
* **After the fit**, an argument with one value per observation (``groups`` of
  ``FitResult.robust`` and ``score_test``, ``X_full`` of ``score_test``) is matched by label to
  the rows of the fit when both carry labels: a model fitted to pandas objects keeps their index
  (``Likelihood.row_labels``); next to a model fitted to arrays it is paired by position; a
  labelled argument that a model cannot match (one that does not keep its labels) is refused,
  unless its index is the default ``0, 1, ..., n-1``. Cluster labels are numbers or strings,
  never missing (``None``, NaN, ``pd.NA``, a masked value).
* **Dask arrays** are checked as they are read (see ``rows.py``); a masked Dask array (its chunks
  are :mod:`numpy.ma` arrays) is refused at once.
* **Seeds** are what :func:`numpy.random.default_rng` takes: None, a non-negative integer or a
  sequence of them, a ``SeedSequence``, ``BitGenerator`` or ``Generator``.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, cast

import numpy as np
from numpy.typing import ArrayLike, NDArray

_COMPRESS = "np.ma.compress_rows(np.ma.column_stack([X, y]))"


# --- pandas, recognized without importing it ------------------------------------------------------
def pandas_kind(value: object) -> str | None:
    """``"frame"`` for a pandas DataFrame, ``"series"`` for a Series, else None.

    pandas is not imported: if it is not in ``sys.modules``, ``value`` cannot be a pandas object."""
    pd = sys.modules.get("pandas")
    if pd is None:
        return None
    if isinstance(value, pd.DataFrame):
        return "frame"
    if isinstance(value, pd.Series):
        return "series"
    return None


def _pandas_values(value, name: str, kind: str) -> NDArray:
    """The numbers of a DataFrame or Series as float64 (a missing value becomes NaN)."""
    dtypes = value.dtypes.items() if kind == "frame" else [(value.name, value.dtype)]
    for label, dtype in dtypes:
        if getattr(dtype, "kind", "O") not in "biuf":
            where = f"its column {label!r} has" if kind == "frame" else "it is a Series of"
            raise ValueError(
                f"{name} must be numeric (integers, floats or booleans), but {where} dtype {dtype}: "
                "encode it as numbers first (pd.get_dummies(..., dtype=float) for categories, "
                "pd.to_numeric for numbers stored as text)"
            )
    return np.ascontiguousarray(value.to_numpy(dtype=np.float64, na_value=np.nan))  # row order, as NumPy's


def align(base: object, base_name: str, other: object, other_name: str):
    """``other`` matched to ``base`` by index label when both are pandas objects; else ``other``.

    Same labels in the same order: ``other`` as it is. Same labels, each once, in another order:
    ``other`` reordered to ``base``'s index. Anything else is a ValueError naming both.
    """
    if pandas_kind(base) is None or pandas_kind(other) is None:
        return other
    # pandas objects from here on (pandas is untyped to mypy: Any)
    left, right = cast(Any, base).index, cast(Any, other).index
    if left.equals(right):
        return other
    fix = (
        f"select the same rows in both (e.g. {other_name} = {other_name}.loc[{base_name}.index]), or "
        "reset both indexes (.reset_index(drop=True)) to pair the rows by position"
    )
    if len(left) == len(right) and not left.has_duplicates and not right.has_duplicates:
        if left.isin(right).all():
            return cast(Any, other).reindex(left)  # same labels in another order: match them
    if left.has_duplicates or right.has_duplicates:
        which = base_name if left.has_duplicates else other_name
        raise ValueError(
            f"{base_name} and {other_name} are pandas objects whose indexes differ, and {which}'s "
            f"index has duplicate labels, so their rows cannot be matched by label: {fix}"
        )
    missing = right[~right.isin(left)]
    extra = left[~left.isin(right)]
    example = f"{other_name} has label {missing[0]!r}, which {base_name} lacks" if len(missing) else (
        f"{base_name} has label {extra[0]!r}, which {other_name} lacks"
    )  # fmt: skip
    raise ValueError(
        f"{base_name} and {other_name} are pandas objects with different index labels "
        f"({base_name} has {len(left)} rows, {other_name} {len(right)}; {example}), so their rows "
        f"cannot be matched: {fix}"
    )


def match_rows(arguments: dict[str, object]) -> dict[str, Any]:
    """``arguments`` (name: value, the one whose index wins first) with every pandas object matched
    by label (see :func:`align`) to the first pandas object among them; the others as they are."""
    labelled = [name for name, value in arguments.items() if pandas_kind(value) is not None]
    if len(labelled) < 2:
        return arguments
    base_name = labelled[0]
    base = arguments[base_name]
    return {
        name: align(base, base_name, value, name) if name in labelled[1:] else value
        for name, value in arguments.items()
    }


def first_labels(arguments: dict[str, object]):
    """The index of the first pandas object among ``arguments`` (the labels :func:`match_rows`
    matched the others to), or None if none is a pandas object."""
    for value in arguments.values():
        if pandas_kind(value) is not None:
            return cast(Any, value).index
    return None


def _columns(value: object) -> tuple[str, ...] | None:
    """The names a pandas object gives to coefficients: a DataFrame's columns, a Series' name."""
    kind, pandas_value = pandas_kind(value), cast(Any, value)  # pandas is untyped to mypy
    if kind == "frame":
        return tuple(str(c) for c in pandas_value.columns)
    if kind == "series" and pandas_value.name is not None:
        return (str(pandas_value.name),)
    return None


# --- one array --------------------------------------------------------------------------------------
def shape_message(name: str, ndim: int, arr: NDArray, value: object, what: str | None = None) -> str:
    """Why ``value`` (read as ``arr``) is not an array of ``ndim`` dimensions (``what`` it must be,
    if not said by ``ndim``), with the fix for a column of shape (n, 1) where a 1-D array is due."""
    what = what or {0: "a scalar", 1: "a 1-D array", 2: "a 2-D array"}[ndim]
    message = f"{name} must be {what}, got an array with shape {arr.shape}"
    if ndim == 1 and arr.ndim == 2 and 1 in arr.shape:
        if pandas_kind(value) == "frame":
            message += f"; pass one column as a Series ({name}[{cast(Any, value).columns[0]!r}])"
        else:
            message += f"; pass {name}.ravel() (a column of shape (n, 1) is not a 1-D array)"
    return message


def as_float_array(
    value: ArrayLike, name: str, ndim: int | None = None, *, infinite: bool = False
) -> NDArray[np.float64]:
    """Return ``value`` as a finite float64 array, or raise a clear ``ValueError`` (see the rules
    in the module docstring: numbers only, no masked values, pandas read by position). With
    ``infinite``, ``-inf`` and ``inf`` are allowed (a limit that is not there); NaN never is."""
    kind = None if type(value) is np.ndarray else pandas_kind(value)  # (an ndarray: the common case)
    if kind is not None:
        arr = _pandas_values(value, name, kind)
    elif type(value) is np.ndarray and value.dtype == np.float64:  # nothing to convert or check
        arr = value
    else:
        if isinstance(value, _MASKED):
            value = unmasked(value, name)
        try:
            arr = np.asarray(value)
        except Exception as exc:  # ragged lists and the like
            raise ValueError(f"{name} could not be read as an array: {exc}") from exc
        check_numeric(arr, name)
    arr = arr.astype(np.float64, copy=False)
    if ndim is not None and arr.ndim != ndim:
        raise ValueError(shape_message(name, ndim, arr, value))
    if arr.size == 0:
        raise ValueError(f"{name} is empty")
    bad = int(np.count_nonzero(np.isnan(arr))) if infinite else count_not_finite(arr)
    if bad:
        missing = " (a missing value counts as NaN: drop or fill those rows first)" if kind else ""
        what = "NaN" if infinite else "NaN or infinite"
        raise ValueError(f"{name} contains {bad} {what} value(s){missing}")
    return arr


def unmasked(value: np.ma.MaskedArray, name: str, fix: str | None = None) -> NDArray:
    """The data of a masked array with nothing masked; a masked value is a ValueError (``fix``
    says what to do instead; by default, drop or fill the rows)."""
    mask = np.ma.getmaskarray(value)
    if mask.any():
        rows = int(mask.reshape(mask.shape[0], -1).any(axis=1).sum()) if mask.ndim else 1
        fix = fix or f"drop or fill those rows first, e.g. with {_COMPRESS} or {name}.filled(...)"
        raise ValueError(
            f"{name} is a masked array with {int(mask.sum())} masked value(s) (in {rows} row(s)); "
            f"masked values are not skipped: {fix}"
        )
    return np.ma.getdata(value)


def check_numeric(arr, name: str) -> None:
    """Raise unless ``arr`` (a numpy or Dask array) holds integers or floats (or booleans)."""
    if arr.dtype == object or arr.dtype.kind not in "biuf":
        extra = "; a complex array is not read as its real part" if arr.dtype.kind == "c" else ""
        raise ValueError(
            f"{name} must be numeric (integers or floats), got an array of dtype {arr.dtype}{extra}"
        )


#: Arrays of at most this many entries are checked for NaN and inf entry by entry (see
#: :func:`count_not_finite`).
SMALL = 1 << 12

_MASKED = np.ma.MaskedArray


_F64 = np.dtype(np.float64)
_ALL = np.logical_and.reduce


def _finite(arr: NDArray) -> bool:
    """Whether every entry of a small float array is finite (else :func:`count_not_finite` counts
    them); a large one is left to :func:`count_not_finite`."""
    return arr.size <= SMALL and bool(_ALL(np.isfinite(arr), axis=None))


def count_not_finite(arr: NDArray) -> int:
    """How many entries are NaN or infinite, in one pass and with no n x p temporary when none is.

    A sum is finite if every entry is (an overflowing sum of huge finite values is the rare false
    alarm, and the exact count clears it).
    """
    if arr.size <= SMALL:  # a temporary of booleans costs less than the floating-point state's switch
        finite = np.isfinite(arr)
        return 0 if finite.all() else int(arr.size - np.count_nonzero(finite))
    with np.errstate(over="ignore", invalid="ignore"):
        total = arr.sum()
    if np.isfinite(total):
        return 0
    return int(np.size(arr) - np.count_nonzero(np.isfinite(arr)))


def as_positive(value: ArrayLike, name: str) -> float:
    """Return ``value`` as a float that is finite and > 0, or raise ``ValueError``."""
    arr = as_float_array(value, name, ndim=0)
    if not arr > 0:
        raise ValueError(f"{name} must be > 0, got {float(arr)}")
    return float(arr)


def positive_int(value: object, name: str) -> int:
    """Return ``value`` as an int >= 1 (booleans refused), or raise ``ValueError``."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"{name} must be a positive integer, got {value!r}")
    return int(value)


def check_seed(seed: object, name: str = "seed") -> np.random.Generator:
    """A generator from ``seed``: None, a non-negative integer or a sequence of them, or a NumPy
    Generator, BitGenerator or SeedSequence (what :func:`numpy.random.default_rng` takes); anything
    else is a ValueError naming ``name``."""
    if isinstance(seed, np.random.Generator):
        return seed
    if seed is None or isinstance(seed, (np.random.BitGenerator, np.random.SeedSequence)):
        return np.random.default_rng(seed)
    rule = f"{name} must be None, a non-negative integer (or a sequence of them) or a numpy.random.Generator"
    if isinstance(seed, (bool, np.bool_, str, bytes)):
        raise ValueError(f"{rule}, got {type(seed).__name__} {seed!r}")
    if isinstance(seed, (int, np.integer)):
        if seed < 0:
            raise ValueError(f"{name} must be a non-negative integer, got {seed}")
        return np.random.default_rng(int(seed))
    try:
        entropy = np.asarray(seed)
    except Exception:
        entropy = np.asarray(None)
    if entropy.ndim != 1 or entropy.size == 0 or entropy.dtype.kind not in "iu":
        raise ValueError(f"{rule}, got {type(seed).__name__} {seed!r}")
    if np.any(entropy < 0):
        raise ValueError(f"{name} must hold non-negative integers, got {entropy.tolist()}")
    return np.random.default_rng([int(v) for v in entropy])


def check_callable(function: object, name: str, form: str, *, optional: bool = False) -> None:
    """Raise unless ``function`` can be called (or is None, if ``optional``)."""
    if function is None and optional:
        return
    if not callable(function):
        also = " or None" if optional else ""
        raise ValueError(f"{name} must be a function {form}{also}, got {type(function).__name__}")


# --- a regression's data ----------------------------------------------------------------------------
def check_lengths(n: int, m: int) -> None:
    """X's rows and y's values must match."""
    if m != n:
        raise ValueError(f"X has {n} rows but y has {m} values; they must match")


def check_rows(n: int, p: int, model: str | None = None) -> None:
    """Raise unless there are more rows than coefficients.

    ``model=None`` is the normal linear model (p coefficients and sigma); ``model="logistic"``
    names a model without sigma; ``model=""`` is such a model left unnamed.
    """
    if n > p:
        return
    if model is None:
        raise ValueError(
            f"X has {n} rows but the model has {p + 1} parameters ({p} coefficients and sigma); "
            "it needs more rows than coefficients"
        )
    what = f"the {model} model" if model else "the model"
    raise ValueError(f"X has {n} rows but {what} has {p} coefficients; it needs more rows than coefficients")


@dataclass(frozen=True)
class Design:
    """A regression's validated data: ``X`` (n, p), ``y`` (n,), ``offset`` (n,) or None, and the
    names a DataFrame's columns (or a Series' name) give to the coefficients (None for arrays)."""

    X: NDArray[np.float64]
    y: NDArray[np.float64]
    offset: NDArray[np.float64] | None
    columns: tuple[str, ...] | None
    index: Any = None  # the row labels (a pandas Index) when the data came as pandas objects


def read_matrix(X: ArrayLike, name: str = "X") -> tuple[NDArray[np.float64], tuple[str, ...] | None]:
    """A design matrix (n, p) as a float array, and the names its columns give the coefficients
    (None for an array). A pandas Series is one predictor, named by the Series."""
    columns = _columns(X)
    if pandas_kind(X) == "series":
        X = cast(Any, X).to_frame()  # pandas is untyped to mypy
    return as_float_array(X, name, ndim=2), columns


def plain_arrays(X: object, y: object) -> bool:
    """Whether ``X`` and ``y`` are float64 ndarrays (not subclasses) of shapes (n, p) and (n,),
    with n > p > 0: a design that needs no conversion, whose values are still to be checked."""
    return (
        type(X) is np.ndarray
        and type(y) is np.ndarray
        and X.dtype == _F64
        and y.dtype == _F64
        and X.ndim == 2
        and y.ndim == 1
        and X.shape[0] == y.shape[0] > X.shape[1] > 0
    )


def read_design(
    X: ArrayLike, y: ArrayLike, offset: ArrayLike | None = None, *, model: str | None = None
) -> Design:
    """Validate a design matrix ``X`` (n, p), a response ``y`` (n,) and an optional ``offset``
    (n,), matching pandas objects by index label (see the module docstring; ``model`` as in
    :func:`check_rows`). A pandas Series as ``X`` is one predictor, named by the Series."""
    # the common case, two float64 ndarrays that pass every check, decided in a few steps
    if offset is None and plain_arrays(X, y) and _finite(cast(Any, X)) and _finite(cast(Any, y)):
        return Design(cast(Any, X), cast(Any, y), None, None)
    rows = match_rows({"X": X, "y": y, "offset": offset})
    X, columns = read_matrix(rows["X"])
    y, offset = as_float_array(rows["y"], "y", ndim=1), rows["offset"]
    n, p = X.shape
    check_lengths(n, y.shape[0])
    check_rows(n, p, model)
    return Design(X, y, None if offset is None else check_offset(offset, n), columns, first_labels(rows))


def check_design(
    X: ArrayLike, y: ArrayLike, model: str | None = None
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """``X`` and ``y`` of :func:`read_design`."""
    design = read_design(X, y, model=model)
    return design.X, design.y


def check_beta(beta: ArrayLike, p: int, name: str = "beta") -> NDArray[np.float64]:
    """Validate a coefficient vector of length ``p``."""
    beta = as_float_array(beta, name, ndim=1)
    if beta.shape[0] != p:
        raise ValueError(f"{name} has {beta.shape[0]} values but X has {p} columns")
    return beta


def by_column(X: object, beta: object, name: str = "beta"):
    """A Series of coefficients matched by label to the columns of a DataFrame ``X`` (reordered
    to them); ``beta`` itself unless both are pandas."""
    if pandas_kind(X) != "frame" or pandas_kind(beta) != "series":
        return beta
    columns, labels = cast(Any, X).columns, cast(Any, beta).index  # pandas is untyped to mypy
    if columns.equals(labels):
        return beta
    if len(columns) == len(labels) and not labels.has_duplicates and columns.isin(labels).all():
        return cast(Any, beta).reindex(columns)
    raise ValueError(
        f"{name} is a Series whose labels are not X's column names ({list(labels)[:5]} against "
        f"{list(columns)[:5]}): label it with X's columns, or pass a NumPy array (read in X's column order)"
    )


def check_offset(offset: ArrayLike | None, n: int) -> NDArray[np.float64]:
    """A known term added to the linear predictor; zeros if None."""
    if offset is None:
        return np.zeros(n)
    offset = as_float_array(offset, "offset", ndim=1)
    if offset.shape[0] != n:
        raise ValueError(f"offset has {offset.shape[0]} values but X has {n} rows")
    return offset


# --- names ----------------------------------------------------------------------------------------
#: The default names of k coefficients, made once for each (default, k) (tuples: immutable).
_DEFAULT_NAMES: dict[tuple[str, int], tuple[str, ...]] = {}


def coefficient_names(
    names: Sequence[str] | None,
    columns: tuple[str, ...] | None,
    k: int,
    *,
    reserved: tuple[str, ...] = (),
    default: str = "beta",
    against: str = "X has {k} columns",
) -> tuple[str, ...]:
    """One name per coefficient: ``names`` if given (checked), else the ``columns`` of a pandas
    input, else ``default[j]``. Names must be distinct and must not be one of ``reserved`` (the
    names of the model's other parameters, such as ``"sigma"``)."""
    if names is not None:
        if isinstance(names, (str, bytes)) or not hasattr(names, "__iter__"):
            raise ValueError(f"names must be a sequence of strings, one per coefficient, got {names!r}")
        names = tuple(str(name) for name in names)
        if len(names) != k:
            raise ValueError(f"names has {len(names)} entries but {against.format(k=k)}")
        source = "names"
    elif columns is not None:
        names, source = columns, "the column names of X"
    else:
        found = _DEFAULT_NAMES.get((default, k))
        if found is None:
            found = _DEFAULT_NAMES[default, k] = tuple(f"{default}[{j}]" for j in range(k))
        return found
    repeated = sorted({name for name in names if names.count(name) > 1})
    taken = sorted(set(names) & set(reserved))
    if repeated or taken:
        problem = f"{repeated} appear more than once" if repeated else f"{taken} name other parameters"
        rule = f"distinct and not {', '.join(map(repr, reserved))}" if reserved else "distinct"
        fix = "" if source == "names" else "; pass names=[...] to name the coefficients"
        raise ValueError(f"{source} must be {rule} (they name the coefficients): {problem}{fix}")
    return names


def check_names(
    names: Sequence[str] | None, k: int, default: str, *, reserved: tuple[str, ...] = ()
) -> tuple[str, ...]:
    """One name per parameter of ``start`` (``default[j]`` if None)."""
    return coefficient_names(names, None, k, reserved=reserved, default=default, against="start has {k}")


# --- after the fit: per-observation arguments matched to the fit's rows ----------------------------
def _default_index(index, n: int) -> bool:
    """Whether a pandas index is the default 0, 1, ..., n-1 (positions)."""
    return len(index) == n and bool(np.array_equal(np.asarray(index), np.arange(n)))


def match_to_fit(value: object, name: str, n: int, labels, known: bool):
    """``value`` (one entry per observation) matched to the rows of a fit.

    ``labels`` are the fit's row labels (``Likelihood.row_labels``), ``known`` whether its model
    keeps them (``Likelihood.keeps_labels``). A pandas ``value`` is reordered to ``labels`` when
    they hold the same labels; paired by position with a fit to arrays (``labels`` None) or when
    its index is the default ``0..n-1``; otherwise refused with a ValueError that says how to
    match it. Anything else is returned as it is (paired by position)."""
    kind = pandas_kind(value)
    if kind is None:
        return value
    frame = cast(Any, value)
    index = frame.index
    if known and labels is None:
        return value  # the fit's data were arrays: by position, as everywhere
    if not known:
        if _default_index(index, n):
            return value
        raise ValueError(
            f"{name} is a pandas object with row labels, but the fit's model does not keep the labels "
            f"of its data, so {name} cannot be matched to its rows by label: pass "
            f"{name}.to_numpy() in the order of the observations of the fit"
        )
    if index.equals(labels):
        return value
    fix = (
        f"select the fit's rows ({name}.loc[X.index], with X the data of the fit), or fit and pass "
        "NumPy arrays to pair rows by position"
    )
    if len(index) == len(labels) and not index.has_duplicates and not labels.has_duplicates:
        if index.isin(labels).all():
            return frame.reindex(labels)  # the same labels in another order: match them
    if index.has_duplicates or labels.has_duplicates:
        which = name if index.has_duplicates else "the fit's data"
        raise ValueError(
            f"{name} is a pandas object whose index differs from the fit's rows, and {which} has duplicate "
            f"labels, so the rows cannot be matched by label: {fix}"
        )
    missing = index[~index.isin(labels)]
    extra = labels[~labels.isin(index)]
    example = (
        f"{name} has label {missing[0]!r}, which the fit's data lack"
        if len(missing)
        else f"the fit's data have label {extra[0]!r}, which {name} lacks"
    )
    raise ValueError(
        f"{name} is a pandas object whose index labels are not the rows of the fit ({len(index)} labels "
        f"against {len(labels)}; {example}), so its rows cannot be matched: {fix}"
    )


def read_groups(groups: object, n: int, *, labels=None, known: bool = True) -> NDArray:
    """Cluster labels, one per observation of a fit (matched to its rows by :func:`match_to_fit`):
    numbers or strings, never missing (None, NaN, ``pd.NA``, a masked value), and at least two
    clusters. Returns a 1-D array of labels (object arrays as strings)."""
    groups = match_to_fit(groups, "groups", n, labels, known)
    kind = pandas_kind(groups)
    if kind == "frame":
        raise ValueError("groups must be 1-D, one label per observation: pass one column (a Series)")
    if kind == "series":
        series = cast(Any, groups)
        missing = int(series.isna().sum())
        if missing:
            raise ValueError(
                f"groups has {missing} missing label(s) (None, NaN or pd.NA): every observation needs a "
                "cluster; drop those rows from the fit, or give them labels of their own"
            )
        dtype = series.dtype
        groups = series.to_numpy(dtype=object if getattr(dtype, "kind", "O") not in "biuf" else None)
    if isinstance(groups, np.ma.MaskedArray):
        fix = "every observation needs a cluster; drop those observations, or fill them (groups.filled(...))"
        groups = unmasked(groups, "groups", fix)
    try:
        g = np.asarray(groups)
    except Exception as exc:  # ragged input
        raise ValueError(f"groups could not be read as an array: {exc}") from exc
    if g.ndim != 1 or g.shape[0] != n:
        raise ValueError(f"groups must be 1-D with one label per observation ({n}), got shape {g.shape}")
    if g.dtype.kind == "f" and not np.all(np.isfinite(g)):
        raise ValueError(
            f"groups contains {int(np.count_nonzero(~np.isfinite(g)))} NaN or infinite label(s): every "
            "observation needs a cluster"
        )
    if g.dtype.kind == "c":
        raise ValueError("groups must hold numbers or strings, got complex numbers")
    if g.dtype == object:
        bad = [j for j, v in enumerate(g) if v is None or (isinstance(v, float) and v != v) or _is_na(v)]
        if bad:
            raise ValueError(
                f"groups has {len(bad)} missing label(s) (None, NaN or pd.NA), the first at index {bad[0]}: "
                "every observation needs a cluster; a missing label is not a cluster of its own"
            )
        plain = (str, bytes, int, float, np.integer, np.floating, np.bool_, bool)
        if not all(isinstance(v, plain) for v in g):
            kinds = sorted({type(v).__name__ for v in g})
            raise ValueError(f"groups must hold numbers or strings, got {kinds}")
        g = g.astype(str)
    if np.unique(g).size < 2:
        raise ValueError("groups must have at least two clusters")
    return g


def _is_na(value: object) -> bool:
    """pandas' missing value (``pd.NA``, ``pd.NaT``), recognized without importing pandas."""
    return type(value).__name__ in ("NAType", "NaTType")


def check_dask_unmasked(arr: object, name: str) -> None:
    """Refuse a Dask array whose chunks are masked arrays (its mask would be dropped, or crash
    inside numpy): the package never skips masked values."""
    meta = getattr(arr, "_meta", None)
    if isinstance(meta, np.ma.MaskedArray):
        raise ValueError(
            f"{name} is a masked Dask array (its chunks are numpy.ma arrays); masked values are not "
            f"skipped: drop the masked rows, or fill them (da.ma.filled({name}, value)), before fitting"
        )
