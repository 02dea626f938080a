r"""Step 2: predictions from the linear model, :math:`\hat y = X\beta`."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ._engine.checks import as_float_array, by_column, check_beta


def predict(X: ArrayLike, beta: ArrayLike) -> NDArray[np.float64]:
    r"""Fitted values of a linear model, :math:`\hat y = X\beta`.

    Parameters
    ----------
    X : array_like, shape (n, p)
        Full design matrix. No intercept column is added for you: include a
        column of ones if the model has an intercept.
    beta : array_like, shape (p,)
        Coefficients, one per column of ``X`` (a Series is matched by label to the columns of a
        DataFrame ``X``).

    Returns
    -------
    ndarray, shape (n,)
        :math:`\hat y_i = \sum_j X_{ij}\beta_j`.

    Examples
    --------
    >>> import numpy as np
    >>> X = np.array([[1.0, 2.0], [1.0, 3.0]])
    >>> predict(X, [0.5, 2.0])
    array([4.5, 6.5])
    """
    beta = by_column(X, beta)
    X = as_float_array(X, "X", ndim=2)
    beta = check_beta(beta, X.shape[1])
    return X @ beta
