r"""Steps 6 and 7: the log-likelihood, and the negative log-likelihood to minimize.

With residuals :math:`\varepsilon_i = y_i - x_i^\top\beta` assumed independent
:math:`N(0, \sigma^2)`, the log-likelihood is the *sum of the log densities*

.. math:: \ell(\beta, \sigma) = \sum_{i=1}^n \log f(\varepsilon_i)
          = -\frac n2\log(2\pi) - n\log\sigma - \frac{1}{2\sigma^2}\sum_{i=1}^n \varepsilon_i^2 .

Optimizers minimize, so step 7 hands them :math:`-\ell`. They also work
best without constraints, so the parameter vector carries
:math:`\tau = \log\sigma` (any real number) instead of :math:`\sigma > 0`:

.. math:: \mathrm{NLL}(\beta, \tau) = \frac n2\log(2\pi) + n\tau + \frac{e^{-2\tau}}{2}\,\mathrm{RSS}(\beta),
          \qquad \mathrm{RSS}(\beta) = \lVert y - X\beta\rVert^2,

with gradient

.. math:: \frac{\partial\,\mathrm{NLL}}{\partial\beta} = -e^{-2\tau} X^\top (y - X\beta), \qquad
          \frac{\partial\,\mathrm{NLL}}{\partial\tau} = n - e^{-2\tau}\,\mathrm{RSS}(\beta).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ._engine.checks import as_float_array, as_positive, check_design
from .density import normal_logpdf
from .predict import predict
from .residuals import residuals

_LOG_2PI = np.log(2.0 * np.pi)


def normal_nll(theta: NDArray, X: NDArray, y: NDArray) -> float:
    """Negative log-likelihood of the normal linear model on [beta, log sigma], unchecked (see
    :func:`~mle_tutorial.negative_log_likelihood`)."""
    p = X.shape[1]
    r = y - X @ theta[:p]
    eta = theta[p]
    return 0.5 * X.shape[0] * _LOG_2PI + X.shape[0] * eta + 0.5 * np.exp(-2.0 * eta) * (r @ r)


def normal_nll_gradient(theta: NDArray, X: NDArray, y: NDArray) -> NDArray[np.float64]:
    """Unchecked gradient of the NLL on already-validated arrays."""
    p = X.shape[1]
    r = y - X @ theta[:p]
    w = np.exp(-2.0 * theta[p])
    return np.append(-w * (X.T @ r), X.shape[0] - w * (r @ r))


def normal_nll_hessian(theta: NDArray, X: NDArray, y: NDArray) -> NDArray[np.float64]:
    """Unchecked Hessian of the NLL on already-validated arrays."""
    p = X.shape[1]
    r = y - X @ theta[:p]
    w = np.exp(-2.0 * theta[p])
    H = np.empty((p + 1, p + 1))
    H[:p, :p] = w * (X.T @ X)
    H[:p, p] = H[p, :p] = 2.0 * w * (X.T @ r)
    H[p, p] = 2.0 * w * (r @ r)
    return H


def log_likelihood(resid: ArrayLike, sigma: float) -> float:
    r"""Log-likelihood of residuals under independent :math:`N(0, \sigma^2)` errors.

    .. math:: \ell = \sum_{i=1}^n \log f(\varepsilon_i;\, 0, \sigma)

    This is a sum of log *densities*, not of probabilities.

    Parameters
    ----------
    resid : array_like, shape (n,)
        Residuals :math:`y - \hat y`, for example from :func:`residuals`.
    sigma : float
        Standard deviation of the errors, > 0.

    Returns
    -------
    float

    Examples
    --------
    >>> round(log_likelihood([0.0, 1.0, -1.0], 1.0), 6)
    -3.756816
    """
    resid = as_float_array(resid, "resid", ndim=1)
    return float(np.sum(normal_logpdf(resid, 0.0, sigma)))


def _split_params(params: ArrayLike, p: int) -> tuple[NDArray[np.float64], float]:
    params = as_float_array(params, "params", ndim=1)
    if params.shape[0] != p + 1:
        raise ValueError(
            f"params has {params.shape[0]} values but X has {p} columns; "
            f"params must be [beta (p={p} values), log(sigma)]"
        )
    return params[:p], float(params[p])


def negative_log_likelihood(params: ArrayLike, X: ArrayLike, y: ArrayLike) -> float:
    r"""Minus the log-likelihood of the normal linear model: the function step 7 minimizes.

    .. math:: \mathrm{NLL}(\beta, \tau) = -\sum_{i=1}^n \log f(y_i - x_i^\top\beta;\ 0, e^{\tau})

    Parameters
    ----------
    params : array_like, shape (p + 1,)
        ``[beta..., log(sigma)]``. Working on :math:`\log\sigma` keeps
        :math:`\sigma = e^{\tau}` positive whatever the optimizer tries.
    X : array_like, shape (n, p)
        Full design matrix.
    y : array_like, shape (n,)
        Response.

    Returns
    -------
    float

    Examples
    --------
    >>> import numpy as np
    >>> X = np.column_stack([np.ones(3), [0.0, 1.0, 2.0]])
    >>> params = [0.0, 1.0, np.log(1.0)]  # beta..., log(sigma)
    >>> round(negative_log_likelihood(params, X, [0.0, 2.0, 1.0]), 6)
    3.756816
    """
    X, y = check_design(X, y)
    beta, log_sigma = _split_params(params, X.shape[1])
    sigma = as_positive(np.exp(log_sigma), "exp(params[-1]) (sigma)")
    return -log_likelihood(residuals(y, predict(X, beta)), sigma)


def negative_log_likelihood_gradient(params: ArrayLike, X: ArrayLike, y: ArrayLike) -> NDArray[np.float64]:
    r"""Analytic gradient of :func:`negative_log_likelihood` with respect to ``[beta, log(sigma)]``.

    .. math:: \nabla_\beta = -e^{-2\tau} X^\top (y - X\beta), \qquad
              \partial_\tau = n - e^{-2\tau}\lVert y - X\beta\rVert^2 .

    Parameters
    ----------
    params : array_like, shape (p + 1,)
        ``[beta..., log(sigma)]``.
    X : array_like, shape (n, p)
        Full design matrix.
    y : array_like, shape (n,)
        Response.

    Returns
    -------
    ndarray, shape (p + 1,)

    Examples
    --------
    >>> import numpy as np
    >>> X = np.column_stack([np.ones(3), [0.0, 1.0, 2.0]])
    >>> y = [0.0, 2.0, 1.0]
    >>> negative_log_likelihood_gradient([0.0, 1.0, 0.0], X, y)
    array([-0.,  1.,  1.])
    """
    X, y = check_design(X, y)
    beta, log_sigma = _split_params(params, X.shape[1])
    as_positive(np.exp(log_sigma), "exp(params[-1]) (sigma)")
    return normal_nll_gradient(np.append(beta, log_sigma), X, y)


def negative_log_likelihood_hessian(params: ArrayLike, X: ArrayLike, y: ArrayLike) -> NDArray[np.float64]:
    r"""Analytic Hessian of :func:`negative_log_likelihood` with respect to ``[beta, log(sigma)]``.

    With :math:`w = e^{-2\tau}` and :math:`\varepsilon = y - X\beta`,

    .. math:: H = \begin{pmatrix} w X^\top X & 2w X^\top r \\ 2w\, r^\top X & 2w\, r^\top r \end{pmatrix}.

    At the maximum :math:`X^\top r = 0` and :math:`w\, r^\top r = n`, so the
    information splits into a :math:`\beta` block and :math:`2n` for :math:`\tau`.

    Parameters
    ----------
    params : array_like, shape (p + 1,)
        ``[beta..., log(sigma)]``.
    X : array_like, shape (n, p)
        Full design matrix.
    y : array_like, shape (n,)
        Response.

    Returns
    -------
    ndarray, shape (p + 1, p + 1)

    Examples
    --------
    >>> import numpy as np
    >>> X = np.column_stack([np.ones(3), [0.0, 1.0, 2.0]])
    >>> y = [0.0, 2.0, 1.0]
    >>> negative_log_likelihood_hessian([0.0, 1.0, 0.0], X, y)
    array([[ 3.,  3.,  0.],
           [ 3.,  5., -2.],
           [ 0., -2.,  4.]])
    """
    X, y = check_design(X, y)
    beta, log_sigma = _split_params(params, X.shape[1])
    as_positive(np.exp(log_sigma), "exp(params[-1]) (sigma)")
    return normal_nll_hessian(np.append(beta, log_sigma), X, y)
