"""The engine under every fitter (private: nothing here is public API).

Numerics only: nothing here knows a model. Each model lives whole in its own public module
(:mod:`mle_tutorial.linear`, :mod:`~mle_tutorial.glm`, :mod:`~mle_tutorial.student_t`,
:mod:`~mle_tutorial.nonlinear`, :mod:`~mle_tutorial.censored`, :mod:`~mle_tutorial.mixture`,
:mod:`~mle_tutorial.generic`) as a :class:`~mle_tutorial.Likelihood`; the fit driver is
:mod:`mle_tutorial.fitting`.

============== ===================================================================================
``checks``     input checks and the messages they raise
``rows``       where data come in: in-memory arrays or Dask row chunks, behind one ``reduce``;
               the lazy checks' pass and the fingerprint of the data
``scale``      scaling by powers of two, exactly (and the record of a scaled fit)
``lstsq``      exact least squares, in memory and from sums over row chunks; SVD helpers
``extended``   double-double and extended-precision residuals and products
``numdiff``    Richardson-extrapolated derivatives
``objectives`` picklable negative log-likelihoods: value, gradient, Hessian (analytic or numerical)
``optimize``   one Newton loop, one optimizer wrapper and one Newton polish, the optimality check,
               the ``options`` every fitter takes
``transforms`` bounded parameters on the real line (the optimizer's working scale)
``covariance`` the covariance routes: Hessian, X'X, information, Jacobian
``sandwich``   the meat and the sandwich from per-observation scores
``profiles``   picklable profile log-likelihoods that work for any model
``intervals``  profile-likelihood intervals by root finding; the confidence level
``equality``   value equality of results and models
``report``     the one place that warns, and messages built from parts
``lazy``       SciPy, pandas and Dask, imported when first needed
============== ===================================================================================

The public modules import the engine; the engine never imports them.
"""
