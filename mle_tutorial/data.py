"""Small real public-domain datasets for the book, loaded offline with numpy.

The CSV files live in the package's data directory ``mle_tutorial/datasets/``
(installed as package data; no Python module in it) and are read with
:mod:`importlib.resources`, so they work from a source checkout, an editable
install and a wheel alike. ``mle_tutorial/datasets/README.md`` documents every
dataset: columns and units, source and citation, and the evidence that it is
in the public domain (``data/README.md`` at the top of the repository points
there).

========== ========== ===========================================================
name       rows × cols what
========== ========== ===========================================================
anes96     944 × 11   1996 American National Election Study; binary ``vote``
gehan      42 × 4     Freireich/Gehan leukaemia remission times (weeks), right-censored
grunfeld   220 × 5    Grunfeld's investment data: 11 U.S. firms, 1935–1954 (repeated measures)
longley    16 × 7     Longley's collinear U.S. macroeconomic series (NIST StRD)
randhie    2000 × 10  RAND Health Insurance Experiment, seeded subsample
stackloss  21 × 4     Brownlee's stack-loss plant data
strikes    62 × 2     Kennan's U.S. strike durations (days)
thurber    37 × 2     NIST StRD nonlinear regression: electron mobility
veteran    137 × 8    Veterans Administration lung cancer trial; survival (days)
========== ========== ===========================================================
"""

from __future__ import annotations

import functools
import io
import re
from importlib import resources

import numpy as np
from numpy.typing import NDArray

_DIRECTORY = "datasets"  # inside the mle_tutorial package

_DATASETS: tuple[str, ...] = (
    "anes96",
    "gehan",
    "grunfeld",
    "longley",
    "randhie",
    "stackloss",
    "strikes",
    "thurber",
    "veteran",
)


def list_datasets() -> tuple[str, ...]:
    """Names of the datasets shipped with the package, in alphabetical order.

    Returns
    -------
    tuple of str
        Each name can be passed to :func:`load_dataset` and
        :func:`dataset_description`.

    Examples
    --------
    >>> from mle_tutorial.data import list_datasets
    >>> list_datasets()[:4]
    ('anes96', 'gehan', 'grunfeld', 'longley')
    """
    return _DATASETS


def _check_name(name: object) -> str:
    if not isinstance(name, str) or name not in _DATASETS:
        raise ValueError(f"name must be one of {', '.join(map(repr, _DATASETS))}; got {name!r}")
    return name


def _read_text(filename: str) -> str:
    return resources.files("mle_tutorial").joinpath(_DIRECTORY).joinpath(filename).read_text(encoding="utf-8")


@functools.cache
def _load(name: str) -> tuple[tuple[str, ...], NDArray[np.float64]]:
    text = _read_text(f"{name}.csv")
    header, _, body = text.partition("\n")
    columns = tuple(header.strip().split(","))
    values = np.loadtxt(io.StringIO(body), delimiter=",", dtype=np.float64, ndmin=2)
    if values.shape[1] != len(columns):  # pragma: no cover - guards a corrupted file
        raise RuntimeError(f"{name}.csv has {len(columns)} column names but {values.shape[1]} columns")
    values.setflags(write=False)
    return columns, values


def load_dataset(name: str) -> dict[str, NDArray[np.float64]]:
    r"""Load one of the shipped datasets as a dict of columns.

    Parameters
    ----------
    name : str
        One of :func:`list_datasets`.

    Returns
    -------
    dict of str to numpy.ndarray
        Maps each column name, in the CSV file's column order, to a 1-D float64
        array with one entry per observation. The arrays are fresh copies: they
        may be modified freely.

    Raises
    ------
    ValueError
        If ``name`` is not one of :func:`list_datasets` (the message lists them).

    Examples
    --------
    The stack-loss data, and a least-squares fit of
    :math:`\mathrm{STACKLOSS} = \beta_0 + \beta_1\,\mathrm{AIRFLOW} + \varepsilon`:

    >>> import numpy as np
    >>> from mle_tutorial.data import load_dataset
    >>> d = load_dataset("stackloss")
    >>> list(d)
    ['STACKLOSS', 'AIRFLOW', 'WATERTEMP', 'ACIDCONC']
    >>> d["STACKLOSS"].shape, d["STACKLOSS"].dtype
    ((21,), dtype('float64'))
    >>> X = np.column_stack([np.ones(21), d["AIRFLOW"]])
    >>> np.linalg.lstsq(X, d["STACKLOSS"], rcond=None)[0].round(4)
    array([-44.132 ,   1.0203])
    """
    columns, values = _load(_check_name(name))
    return {column: values[:, j].copy() for j, column in enumerate(columns)}


def dataset_description(name: str) -> str:
    """The documentation of a dataset: its section of ``mle_tutorial/datasets/README.md``.

    Parameters
    ----------
    name : str
        One of :func:`list_datasets`.

    Returns
    -------
    str
        Markdown text: what the data are, the columns with their meanings and
        units, the source and citation, and the licence with its evidence.

    Raises
    ------
    ValueError
        If ``name`` is not one of :func:`list_datasets`.

    Examples
    --------
    >>> from mle_tutorial.data import dataset_description
    >>> print(dataset_description("strikes").splitlines()[0])
    ## strikes
    """
    name = _check_name(name)
    readme = _read_text("README.md")
    match = re.search(rf"^## {re.escape(name)}\n.*?(?=^## |\Z)", readme, flags=re.MULTILINE | re.DOTALL)
    if match is None:  # pragma: no cover - guards an edited README
        raise RuntimeError(f"mle_tutorial/datasets/README.md has no section '## {name}'")
    return match.group(0).strip()
