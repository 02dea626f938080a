"""Logistic and Poisson regression against statsmodels' Logit and Poisson, numerical derivatives,
and properties; separation and bad input."""

import numpy as np
import pytest
import statsmodels.api as sm
from hypothesis import given, settings
from hypothesis import strategies as st

import mle_tutorial as mle
from mle_tutorial.numdiff import numerical_gradient, numerical_hessian


def logistic_data(n=500, beta=(-0.5, 1.0, -2.0, 0.5), seed=0, flip=0.0):
    rng = np.random.default_rng(seed)
    X = np.column_stack([np.ones(n), rng.standard_normal((n, len(beta) - 1))])
    y = (rng.random(n) < 1 / (1 + np.exp(-(X @ np.asarray(beta))))).astype(float)
    if flip:
        idx = rng.choice(n, int(flip * n), replace=False)
        y[idx] = 1 - y[idx]
    return X, y


def poisson_data(n=500, beta=(0.5, 0.3, -0.4), seed=0, offset=None):
    rng = np.random.default_rng(seed)
    X = np.column_stack([np.ones(n), rng.standard_normal((n, len(beta) - 1))])
    eta = X @ np.asarray(beta) + (0 if offset is None else offset)
    return X, rng.poisson(np.exp(eta)).astype(float)


def rel(a, b):
    return float(np.max(np.abs(np.asarray(a) - b) / np.abs(b)))


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_logistic_matches_statsmodels(seed):
    X, y = logistic_data(seed=seed)
    fit, sm_fit = mle.fit_logistic(X, y), sm.Logit(y, X).fit(disp=0, tol=1e-14, maxiter=100)
    assert rel(fit.params, sm_fit.params) < 1e-10
    assert rel(fit.stderr, sm_fit.bse) < 1e-9
    assert fit.loglik == pytest.approx(sm_fit.llf, rel=1e-13)
    assert fit.aic == pytest.approx(sm_fit.aic, rel=1e-13)  # no sigma here: same k as statsmodels
    assert fit.bic == pytest.approx(sm_fit.bic, rel=1e-13)
    assert fit.converged and fit.sigma is None and np.array_equal(fit.beta, fit.params)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_poisson_matches_statsmodels(seed):
    X, y = poisson_data(seed=seed)
    exposure = np.random.default_rng(seed + 10).uniform(0.5, 3.0, len(y))
    for offset in (None, np.log(exposure)):
        fit = mle.fit_poisson(X, y, offset=offset)
        sm_fit = sm.Poisson(y, X, offset=offset).fit(disp=0, tol=1e-14, maxiter=100)
        assert rel(fit.params, sm_fit.params) < 1e-10
        assert rel(fit.stderr, sm_fit.bse) < 1e-9
        assert fit.loglik == pytest.approx(sm_fit.llf, rel=1e-13)


def test_large_linear_predictors_do_not_overflow():
    # logistic: |X beta| up to about 60, labels flipped so the data are not separated
    rng = np.random.default_rng(3)
    n = 400
    X = np.column_stack([np.ones(n), rng.uniform(-20, 20, n)])
    y = (rng.random(n) < 1 / (1 + np.exp(-3 * X[:, 1]))).astype(float)
    y[rng.choice(n, 20, replace=False)] = 1 - y[rng.choice(n, 20, replace=False)]
    with np.errstate(all="raise"):
        fit = mle.fit_logistic(X, y)
    sm_fit = sm.Logit(y, X).fit(disp=0, tol=1e-14, maxiter=200)
    assert rel(fit.params, sm_fit.params) < 1e-8
    assert np.isfinite(fit.loglik)
    # poisson: means up to e^20
    X, y = poisson_data(n=200, beta=(10.0, 4.0), seed=4)
    fit = mle.fit_poisson(X, y)
    assert rel(fit.params, sm.Poisson(y, X).fit(disp=0, tol=1e-14).params) < 1e-9


def _logistic_nll(beta, X, y):
    eta = X @ beta
    return -np.sum(y * eta - np.logaddexp(0, eta))


def test_score_is_zero_and_information_matches_numerical_hessian():
    X, y = logistic_data(seed=5)
    fit = mle.fit_logistic(X, y)
    g = numerical_gradient(lambda b: _logistic_nll(b, X, y), fit.params)
    assert np.max(np.abs(g)) < 1e-6
    H = numerical_hessian(lambda b: _logistic_nll(b, X, y), fit.params)
    assert np.allclose(np.linalg.inv(H), fit.cov, rtol=1e-6)


def test_fit_mle_with_a_numerical_hessian_matches_the_analytic_fit():
    """fit_mle on a hand-written likelihood: standard errors to ~7 digits without any derivative."""
    X, y = poisson_data(seed=6)
    from scipy.special import gammaln

    def nll(beta):
        eta = X @ beta
        return -np.sum(y * eta - np.exp(eta) - gammaln(y + 1))

    generic = mle.fit_mle(nll, np.zeros(3), nobs=len(y))
    analytic = mle.fit_poisson(X, y)
    assert rel(generic.params, analytic.params) < 1e-7
    assert rel(generic.stderr, analytic.stderr) < 1e-6
    assert generic.loglik == pytest.approx(analytic.loglik, rel=1e-12)


@pytest.mark.parametrize("fitter, data", [(mle.fit_logistic, logistic_data), (mle.fit_poisson, poisson_data)])
def test_profile_intervals(fitter, data):
    X, y = data(n=150, seed=7)
    fit = fitter(X, y)
    ci = fit.conf_int(method="profile")
    wald = fit.conf_int()
    assert np.all(ci[:, 0] < fit.params) and np.all(fit.params < ci[:, 1])
    assert np.allclose(ci, wald, rtol=0.1, atol=0.1 * np.max(fit.stderr))  # close, not equal
    # the profile at an end equals a refit with that coefficient held fixed (statsmodels, offset)
    j, end = 1, ci[1, 1]
    family = sm.families.Binomial() if fitter is mle.fit_logistic else sm.families.Poisson()
    refit = sm.GLM(y, np.delete(X, j, axis=1), family=family, offset=end * X[:, j]).fit(tol=1e-14)
    assert mle.profile_likelihood(fit, j, [end])[0] == pytest.approx(refit.llf, rel=1e-10)


@settings(max_examples=20, deadline=None)
@given(st.integers(0, 2**32 - 1))
def test_logistic_properties(seed):
    X, y = logistic_data(n=120, seed=seed, flip=0.1)
    fit = mle.fit_logistic(X, y)
    perm = np.random.default_rng(seed).permutation(len(y))
    assert np.allclose(mle.fit_logistic(X[perm], y[perm]).params, fit.params, rtol=1e-9, atol=1e-12)
    # relabelling 0 <-> 1 flips every coefficient's sign
    assert np.allclose(mle.fit_logistic(X, 1 - y).params, -fit.params, rtol=1e-9, atol=1e-12)


@settings(max_examples=20, deadline=None)
@given(st.integers(0, 2**32 - 1), st.floats(0.1, 10.0))
def test_poisson_offset_is_a_log_exposure(seed, exposure):
    X, y = poisson_data(n=120, seed=seed)
    fit = mle.fit_poisson(X, y)
    shifted = mle.fit_poisson(X, y, offset=np.full(len(y), np.log(exposure)))
    assert shifted.params[0] == pytest.approx(fit.params[0] - np.log(exposure), rel=1e-8, abs=1e-10)
    assert np.allclose(shifted.params[1:], fit.params[1:], rtol=1e-8, atol=1e-10)


@pytest.mark.parametrize(
    "x, y, kind",
    [
        ([1, 2, 3, 4, 5, 6], [0, 0, 0, 1, 1, 1], "complete"),
        ([1, 2, 3, 3, 4, 5], [0, 0, 0, 1, 1, 1], "quasi-complete"),
        ([1, 2, 3, 4, 5, 6, 7, 8], [1, 1, 0, 0, 0, 0, 0, 0], "complete"),
    ],
)
def test_separation_is_detected_and_explained(x, y, kind):
    X = np.column_stack([np.ones(len(x)), x])
    with pytest.raises(mle.PerfectSeparationError, match=f"\\({kind} separation"):
        mle.fit_logistic(X, y)


def test_separation_in_a_larger_design():
    X, y = logistic_data(n=300, seed=8)
    X = np.column_stack([X, np.where(y == 1, 1.0, 0.0) * np.random.default_rng(8).uniform(1, 2, 300)])
    with pytest.raises(mle.PerfectSeparationError, match="no maximum likelihood estimate"):
        mle.fit_logistic(X, y)
    assert issubclass(mle.PerfectSeparationError, ValueError)


X_OK, Y_BIN = logistic_data(n=30, seed=9)
Y_CNT = poisson_data(n=30, seed=9)[1]


@pytest.mark.parametrize(
    "call, words",
    [
        (lambda: mle.fit_logistic(X_OK, np.where(Y_BIN == 1, 2.0, 0.0)), "y must contain only 0 and 1"),
        (lambda: mle.fit_logistic(X_OK, Y_BIN - 0.5), "y must contain only 0 and 1"),
        (lambda: mle.fit_logistic(X_OK, np.zeros(30)), "y is all 0"),
        (lambda: mle.fit_logistic(X_OK, np.ones(30)), "y is all 1"),
        (lambda: mle.fit_logistic(X_OK, Y_BIN[:-1]), "X has 30 rows but y has 29"),
        (lambda: mle.fit_logistic(X_OK[:3], Y_BIN[:3]), "needs more rows"),
        (lambda: mle.fit_logistic(np.column_stack([X_OK, X_OK[:, 1]]), Y_BIN), "rank deficient"),
        (lambda: mle.fit_logistic(X_OK, Y_BIN, offset=np.ones(29)), "offset has 29 values"),
        (lambda: mle.fit_logistic(X_OK, Y_BIN.astype(str)), "y must be numeric"),
        (lambda: mle.fit_poisson(X_OK, -Y_CNT - 1), "non-negative integer counts"),
        (lambda: mle.fit_poisson(X_OK, Y_CNT + 0.5), "non-negative integer counts"),
        (lambda: mle.fit_poisson(X_OK, np.zeros(30)), "y is all 0"),
        (lambda: mle.fit_poisson(X_OK, np.where(Y_CNT > 1, np.nan, Y_CNT)), "y contains"),
        (lambda: mle.fit_poisson(X_OK, Y_CNT, offset=np.full(30, np.inf)), "offset contains 30 NaN"),
    ],
)
def test_glm_bad_input(call, words):
    with pytest.raises(ValueError) as info:
        call()
    assert words in str(info.value)
