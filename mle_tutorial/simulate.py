r"""Step 1's data: simulate the worked example's linear regression.

.. math:: y = X\beta + \varepsilon, \qquad \varepsilon_i \sim N(0, \sigma^2),

where the first column of :math:`X` is ones (the intercept) and the others are
standard-normal draws.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ._engine.checks import as_float_array, as_positive, check_seed, positive_int


def simulate_linear(
    n: int, beta: ArrayLike, sigma: float, *, seed: int | np.random.Generator | None = 0
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    r"""Simulate ``(X, y)`` from a normal linear regression.

    ``X`` has ``n`` rows: a column of ones, then ``len(beta) - 1`` columns of
    independent standard-normal draws. Then :math:`y = X\beta + \varepsilon`
    with :math:`\varepsilon_i \sim N(0, \sigma^2)` independent.

    Parameters
    ----------
    n : int
        Number of rows (observations), at least 1.
    beta : array_like, shape (p,)
        True coefficients, intercept first.
    sigma : float
        True standard deviation of the errors, > 0.
    seed : int, numpy.random.Generator or None
        A non-negative integer seed for :func:`numpy.random.default_rng` (or a generator to
        draw from; None for fresh entropy), so that the same call gives the same data. Draws
        ``X`` first, then the errors.

    Returns
    -------
    X : ndarray, shape (n, p)
    y : ndarray, shape (n,)

    Examples
    --------
    >>> X, y = simulate_linear(1000, [0.5, 1.0, 2.0, 3.0], 0.5, seed=408)
    >>> X.shape, y.shape
    ((1000, 4), (1000,))
    """
    n = positive_int(n, "n")
    beta = as_float_array(beta, "beta", ndim=1)
    sigma = as_positive(sigma, "sigma")
    rng = check_seed(seed)
    X = np.column_stack([np.ones(n), rng.standard_normal((n, beta.shape[0] - 1))])
    y = X @ beta + rng.normal(0.0, sigma, size=n)
    return X, y
