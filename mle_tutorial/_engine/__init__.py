"""The engine under every fitter (private: nothing here is public API).

One layer a concern, as statsmodels separates a model, its ``fit`` and its results, glum a
distribution and its solver, iminuit a ``Cost`` and ``Minuit``:

============== ===================================================================================
``checks``     input checks and the messages they raise
``rows``       where data come in: in-memory arrays or Dask row chunks, behind one ``reduce``
``families``   per-chunk statistics of each likelihood (normal, logistic, Poisson, Student t)
``objectives`` picklable likelihood objects: value, gradient, Hessian (analytic or numerical)
``numdiff``    Richardson-extrapolated derivatives
``lstsq``      exact least squares, in memory and from sums over row chunks
``optimize``   one Newton/IRLS loop, one optimizer wrapper (never warns), one optimality check
``covariance`` the covariance routes: Hessian, X'X, information, Jacobian
``censored``   censored and truncated location-scale likelihoods (survival AFT, Tobit, truncated
               normal): per-observation terms, analytic derivatives, one Newton fit
``em``         normal mixtures: E and M steps, EM from several starts, collapse detection,
               the analytic information, the mixture's profile
``profiles``   picklable profile log-likelihoods
``intervals``  profile-likelihood intervals by root finding
``result``     ``FitResult`` and the two warning classes
``finish``     estimate + covariance + profile -> ``FitResult``; the only place that warns
============== ===================================================================================

The public modules import the engine; the engine never imports them.
"""
