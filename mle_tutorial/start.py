r"""Step 1: starting values.

An optimizer needs somewhere to start. The starting :math:`\beta` does not
have to be good, but :math:`\sigma` should match it: for a given
:math:`\beta`, the :math:`\sigma` that maximizes the normal likelihood is the
root mean square of the residuals,

.. math:: \hat\sigma(\beta) = \sqrt{\tfrac{1}{n}\textstyle\sum_i (y_i - x_i^\top\beta)^2}.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ._engine.checks import by_column, check_beta, check_design
from .predict import predict
from .residuals import residuals


def starting_values(X: ArrayLike, y: ArrayLike, beta: ArrayLike | None = None) -> NDArray[np.float64]:
    r"""Starting parameters ``[beta..., sigma]`` for the optimizer.

    Parameters
    ----------
    X : array_like, shape (n, p)
        Full design matrix (include a column of ones for an intercept).
    y : array_like, shape (n,)
        Response.
    beta : array_like, shape (p,), optional
        Starting coefficients; zeros if not given.

    Returns
    -------
    ndarray, shape (p + 1,)
        ``beta`` followed by :math:`\sigma = \sqrt{\sum_i (y_i - x_i^\top\beta)^2 / n}`,
        the best :math:`\sigma` for that :math:`\beta`. σ is on its natural scale,
        like :attr:`FitResult.params`.

    Raises
    ------
    ValueError
        On bad ``X``, ``y`` or ``beta``, if the residuals are all zero, or if ``X @ beta`` or
        ``y - X @ beta`` overflows. σ itself is computed without squaring overflow: it is
        finite for any finite data (``y * 1e200`` gives σ near 1e200).

    Examples
    --------
    >>> import numpy as np
    >>> X = np.column_stack([np.ones(4), [1.0, 2.0, 3.0, 4.0]])
    >>> starting_values(X, [1.0, -1.0, 1.0, -1.0])
    array([0., 0., 1.])
    """
    beta = by_column(X, beta)
    X, y = check_design(X, y)
    beta = np.zeros(X.shape[1]) if beta is None else check_beta(beta, X.shape[1])
    with np.errstate(over="ignore", invalid="ignore"):
        fitted = X @ beta
        if not np.all(np.isfinite(fitted)):
            raise ValueError(
                "X @ beta overflows (beyond 1.8e308) for these beta: choose coefficients on the scale of "
                "the data (or beta=None, zeros)"
            )
        resid = residuals(y, predict(X, beta))
    # the root mean square, by the largest |residual| first: no square over- or underflows (y * 1e200)
    top = float(np.max(np.abs(resid)))
    if not top > 0:
        raise ValueError("beta fits y exactly (all residuals are 0), so sigma would be 0")
    if not np.isfinite(top):
        raise ValueError(
            "y - X @ beta overflows (beyond 1.8e308): y and X @ beta are too far apart to start from"
        )
    scale = float(np.ldexp(1.0, int(np.frexp(top)[1])))
    scaled = resid / scale
    sigma = float(np.sqrt(np.mean(scaled * scaled))) * scale
    return np.append(beta, sigma)
