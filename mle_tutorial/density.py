r"""Steps 4 and 5: the assumed distribution of the residuals and its density.

The normal density with mean :math:`\mu` and standard deviation :math:`\sigma` is

.. math:: f(x) = \frac{1}{\sqrt{2\pi\sigma^2}}
          \exp\!\left(-\frac{(x-\mu)^2}{2\sigma^2}\right),

and its logarithm, which is what a likelihood needs, is

.. math:: \log f(x) = -\tfrac12\log(2\pi) - \log\sigma - \tfrac12\left(\frac{x-\mu}{\sigma}\right)^2.

The log form never overflows or underflows for finite input, so the package
computes the log first; :func:`normal_pdf` exponentiates it.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ._engine.checks import as_float_array, as_positive

_HALF_LOG_2PI = 0.5 * np.log(2.0 * np.pi)


def normal_logpdf(x: ArrayLike, mu: float = 0.0, sigma: float = 1.0) -> NDArray[np.float64]:
    r"""Log density of :math:`N(\mu, \sigma^2)` at ``x``.

    .. math:: \log f(x) = -\tfrac12\log(2\pi) - \log\sigma - \tfrac12 z^2,
              \quad z = (x - \mu)/\sigma.

    Parameters
    ----------
    x : array_like
        Points at which to evaluate (any shape; a scalar gives a 0-d array).
    mu : float
        Mean.
    sigma : float
        Standard deviation, > 0.

    Returns
    -------
    ndarray
        Same shape as ``x``. Agrees with ``scipy.stats.norm.logpdf``.

    Examples
    --------
    >>> float(normal_logpdf(0.0).round(6))
    -0.918939
    >>> float(normal_logpdf(40.0))  # the density underflows to 0 here
    -800.9189385332047
    """
    x = as_float_array(x, "x")
    mu = float(as_float_array(mu, "mu", ndim=0))
    sigma = as_positive(sigma, "sigma")
    z = (x - mu) / sigma
    return -_HALF_LOG_2PI - np.log(sigma) - 0.5 * z * z


def normal_pdf(x: ArrayLike, mu: float = 0.0, sigma: float = 1.0) -> NDArray[np.float64]:
    r"""Density of :math:`N(\mu, \sigma^2)` at ``x``.

    .. math:: f(x) = \frac{1}{\sqrt{2\pi\sigma^2}} \exp\!\left(-\frac{(x-\mu)^2}{2\sigma^2}\right)

    Computed as ``exp(normal_logpdf(x, mu, sigma))``. A density is not a
    probability: it can exceed 1 when :math:`\sigma` is small.

    Parameters
    ----------
    x : array_like
        Points at which to evaluate.
    mu : float
        Mean.
    sigma : float
        Standard deviation, > 0.

    Returns
    -------
    ndarray
        Same shape as ``x``. Agrees with ``scipy.stats.norm.pdf``.

    Examples
    --------
    >>> float(normal_pdf(0.0).round(6))
    0.398942
    >>> float(normal_pdf(0.0, sigma=0.1).round(6))  # a density can exceed 1
    3.989423
    """
    return np.exp(normal_logpdf(x, mu, sigma))
