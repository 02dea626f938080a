r"""Step 3: residuals, :math:`\varepsilon_i = y_i - \hat y_i`.

The seed note writes :math:`\hat y_i - y_i`. The usual convention, used here and
in every statistics package, is observed minus fitted. For a density that is
symmetric about zero, such as the normal, the sign does not change the
likelihood; for an asymmetric one it does, so it is worth fixing once.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ._engine.checks import align, as_float_array


def residuals(y: ArrayLike, y_hat: ArrayLike) -> NDArray[np.float64]:
    r"""Residuals :math:`\varepsilon_i = y_i - \hat y_i` (observed minus fitted).

    Parameters
    ----------
    y : array_like, shape (n,)
        Observed responses.
    y_hat : array_like, shape (n,)
        Fitted values, for example from :func:`predict`.

    Returns
    -------
    ndarray, shape (n,)

    Examples
    --------
    >>> residuals([1.0, 2.0, 3.0], [1.5, 2.0, 2.0])
    array([-0.5,  0. ,  1. ])
    """
    y_hat = align(y, "y", y_hat, "y_hat")
    y = as_float_array(y, "y", ndim=1)
    y_hat = as_float_array(y_hat, "y_hat", ndim=1)
    if y.shape != y_hat.shape:
        raise ValueError(f"y has {y.shape[0]} values but y_hat has {y_hat.shape[0]}; they must match")
    return y - y_hat
