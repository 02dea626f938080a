r"""When the data outgrow memory: the map-reduce behind the Dask fits, for your own chunk sums.

A log-likelihood of independent observations is a sum over rows, so it can be computed chunk
by chunk and added up; so can its score, its information, and :math:`X^\top X`.
:func:`~mle_tutorial.fit_linear`, :func:`~mle_tutorial.fit_logistic` and
:func:`~mle_tutorial.fit_poisson` do that by themselves for Dask arrays chunked by rows. The
two helpers here let you do it by hand: :func:`map_reduce` applies a function to every row
chunk and adds the results in a tree, and :func:`glm_chunk_statistics` is what one chunk
contributes to a logistic or Poisson fit.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from numpy.typing import ArrayLike

from ._engine import rows
from ._engine.checks import align, as_float_array, by_column, check_beta, check_lengths, check_offset
from .glm import FAMILIES, glm_stats

__all__ = ["glm_chunk_statistics", "map_reduce"]


def map_reduce(func: Callable[..., dict], arrays: Sequence, **kwargs) -> dict:
    r"""Apply ``func`` to each row chunk of Dask ``arrays`` and add the results in a binary tree.

    .. math:: \text{result} = \sum_{c=1}^{C} \texttt{func}(A^{(1)}_c, A^{(2)}_c, \dots,
              \texttt{**kwargs})

    The arrays are first aligned on the row chunks of the first one, each chunk holding whole
    rows. Only the small per-chunk results travel; the data stay in their chunks. It runs on
    Dask's current scheduler (``dask.config.set(scheduler=...)`` or a ``distributed.Client``).

    Parameters
    ----------
    func : callable
        ``func(*chunks, **kwargs) -> dict``: one chunk of each array in, a dict of sums out.
        Values are added with ``+`` (so lists are joined); a key that starts with ``"max_"``
        keeps the maximum.
    arrays : sequence of dask.array.Array
        Arrays with the same number of rows, chunked by rows.
    **kwargs
        Passed to every call of ``func``.

    Returns
    -------
    dict
        The per-chunk dicts, combined.

    Raises
    ------
    ValueError
        If ``arrays`` is empty or holds something that is not a Dask array.

    Examples
    --------
    >>> import numpy as np
    >>> import dask.array as da
    >>> X = da.from_array(np.arange(12.0).reshape(6, 2), chunks=(2, 2))
    >>> def stats(Xc):
    ...     return {"rows": Xc.shape[0], "total": float(Xc.sum())}
    >>> map_reduce(stats, [X])
    {'rows': 6, 'total': 66.0}
    """
    arrays = list(arrays)
    if not arrays or not all(rows.is_dask(a) for a in arrays):
        raise ValueError("arrays must be a non-empty sequence of Dask arrays (chunked by rows)")
    return rows.map_reduce(func, arrays, **kwargs)


def glm_chunk_statistics(
    X: ArrayLike, y: ArrayLike, beta: ArrayLike, *, family: str = "logistic", offset: ArrayLike | None = None
) -> dict:
    r"""What one chunk of rows adds to a logistic or Poisson fit at ``beta``.

    .. math:: \ell_c = \sum_{i \in c} \ell_i(\beta), \qquad
              s_c = X_c^\top (y_c - \mu_c), \qquad I_c = X_c^\top W_c X_c

    with :math:`\mu` and :math:`W` as in :func:`~mle_tutorial.fit_logistic` and
    :func:`~mle_tutorial.fit_poisson` (the Poisson :math:`\ell_c` is the whole log-likelihood,
    :math:`-\sum\log y_i!` included, summed term by term as R's ``dpois`` does). Summed over chunks (for
    example by :func:`map_reduce`), they give one Newton step
    :math:`\beta + I^{-1} s`.

    Parameters
    ----------
    X : array_like, shape (m, p)
        The chunk's rows of the design matrix.
    y : array_like, shape (m,)
        The chunk's outcomes.
    beta : array_like, shape (p,)
        Coefficients at which to evaluate.
    family : {"logistic", "poisson"}
        The model.
    offset : array_like, shape (m,), optional
        The chunk's offset.

    Returns
    -------
    dict
        ``"loglik"`` (float), ``"score"`` (p,), ``"info"`` (p, p), and ``"max_eta"``,
        ``"max_eta_hi"`` and ``"max_neg_eta0"``: the largest :math:`|\eta_i|`, the largest
        :math:`\eta_i`, and the largest :math:`-\eta_i` of a zero Poisson count (``-inf`` if
        none), which :func:`map_reduce` combines by maximum.

    Examples
    --------
    >>> import numpy as np
    >>> X = np.column_stack([np.ones(4), [0.0, 1.0, 2.0, 3.0]])
    >>> stats = glm_chunk_statistics(X, [0, 1, 0, 1], np.zeros(2))
    >>> stats["score"], round(stats["loglik"], 4)
    (array([0., 1.]), -2.7726)
    """
    if not isinstance(family, str) or family not in FAMILIES:
        known = [repr(name) for name in FAMILIES]
        raise ValueError(f"family must be {', '.join(known[:-1])} or {known[-1]}, got {family!r}")
    beta = by_column(X, beta)
    y = align(X, "X", y, "y")
    offset = None if offset is None else align(X, "X", offset, "offset")
    X = as_float_array(X, "X", ndim=2)
    y = as_float_array(y, "y", ndim=1)
    check_lengths(X.shape[0], y.shape[0])
    beta = check_beta(beta, X.shape[1])
    return glm_stats(X, y, check_offset(offset, X.shape[0]), beta=beta, family=FAMILIES[family])
