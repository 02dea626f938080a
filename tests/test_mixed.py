"""Linear mixed models and GLMMs: what the conformance suite does not check. Each group's
log-likelihood against a dense multivariate normal (scipy), the BLUPs against their textbook formula,
the boundary (a variance estimated as 0) and the likelihood-ratio test that knows it, REML's
log-likelihood under changes of units, predictions, profiles, and bad input."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import mle_tutorial as mle
from mle_tutorial.inference import chi_square_tail


def small_data(seed=0, G=12, m=5, sd=(1.0, 0.5), corr=0.3, sigma=0.7):
    rng = np.random.default_rng(seed)
    n = G * m
    g = np.repeat(np.arange(G), m)
    x = rng.normal(size=n)
    X = np.column_stack([np.ones(n), x])
    S = np.array([[sd[0] ** 2, corr * sd[0] * sd[1]], [corr * sd[0] * sd[1], sd[1] ** 2]])
    b = rng.multivariate_normal(np.zeros(2), S, size=G)
    y = X @ [1.0, 0.5] + b[g, 0] + b[g, 1] * x + sigma * rng.normal(size=n)
    return X, y, g


def dense_parts(fit, X, y, g, Z):
    """Sigma, sigma and V_g of each group from the fit's parameters, built densely."""
    p, q = X.shape[1], Z.shape[1]
    beta, sd, sigma = fit.params[:p], fit.params[p : p + q], fit.params[-1]
    R = np.eye(q)
    i, j = np.triu_indices(q, 1)
    R[i, j] = R[j, i] = fit.params[p + q : -1]
    Sigma = np.outer(sd, sd) * R
    out = []
    for label in np.unique(g):
        rows = g == label
        Zg = Z[rows]
        out.append((rows, Zg, Zg @ Sigma @ Zg.T + sigma**2 * np.eye(rows.sum())))
    return beta, Sigma, out


def test_each_groups_loglik_is_a_multivariate_normal_and_the_blups_their_formula():
    X, y, g = small_data()
    fit = mle.fit_linear_mixed(X, y, g, X)
    beta, Sigma, parts = dense_parts(fit, X, y, g, X)
    expected = [stats.multivariate_normal(X[rows] @ beta, V).logpdf(y[rows]) for rows, _, V in parts]
    np.testing.assert_allclose(fit.model.loglik_obs(fit.params), expected, rtol=1e-12)
    re = fit.model.random_effects(fit.params)
    for k, (rows, Zg, V) in enumerate(parts):
        Vinv = np.linalg.inv(V)
        np.testing.assert_allclose(
            re.modes[k], Sigma @ Zg.T @ Vinv @ (y[rows] - X[rows] @ beta), rtol=1e-9, atol=1e-12
        )
        np.testing.assert_allclose(re.cov[k], Sigma - Sigma @ Zg.T @ Vinv @ Zg @ Sigma, rtol=1e-9, atol=1e-12)
    frame = re.to_frame()
    assert list(frame.columns) == ["z[0]", "se[z[0]]", "z[1]", "se[z[1]]"] and len(frame) == 12


def test_predictions_with_and_without_the_random_effects():
    X, y, g = small_data()
    fit = mle.fit_linear_mixed(X, y, g, X)
    model = fit.model
    modes = model.random_effects(fit.params).modes
    beta = fit.params[:2]
    fitted = model.predict(fit.params)
    np.testing.assert_allclose(fitted, X @ beta + np.sum(X * modes[g], axis=1), rtol=1e-12)
    np.testing.assert_allclose(model.predict(fit.params, random=False), X @ beta, rtol=1e-12)
    # new rows: a known group gets its BLUPs, an unknown one b = 0
    new = model.predict(fit.params, X[:2], X[:2], np.array([3, 99]))
    np.testing.assert_allclose(new, [X[0] @ beta + X[0] @ modes[3], X[1] @ beta], rtol=1e-12)
    with pytest.raises(ValueError, match="need the groups"):
        model.predict(fit.params, X[:2])
    with pytest.raises(ValueError, match="give Z"):
        model.predict(fit.params, X[:2], groups=[0, 1])


def test_reml_and_ml_logliks_under_a_change_of_units():
    """y in other units (a factor c, not a power of two): the ML log-likelihood moves by -n log c, the
    restricted one by -(n - p) log c (lme4's REML criterion), and every estimate scales."""
    X, y, g = small_data()
    n, p = X.shape
    c = 37.0
    for reml, shift in ((False, n), (True, n - p)):
        a = mle.fit_linear_mixed(X, y, g, X, reml=reml)
        b = mle.fit_linear_mixed(X, c * y, g, X, reml=reml)
        assert b.loglik == pytest.approx(a.loglik - shift * np.log(c), rel=1e-10)
        scale = np.array([c, c, c, c, 1.0, c])
        np.testing.assert_allclose(b.params, scale * a.params, rtol=1e-7)


def test_reml_loglik_is_restricted_loglik_and_reml_refuses_what_it_cannot_do():
    X, y, g = small_data()
    fit = mle.fit_linear_mixed(X, y, g, X, reml=True)
    assert fit.loglik == pytest.approx(fit.model.restricted_loglik(fit.params), rel=1e-12)
    with pytest.raises(ValueError, match="REML"):
        fit.robust()
    with pytest.raises(ValueError, match="REML fit has no likelihood for the coefficients"):
        mle.profile_likelihood(fit, 0, [fit.params[0]])


def test_profiles_peak_at_the_estimate():
    X, y, g = small_data()
    fit = mle.fit_linear_mixed(X, y, g, X)
    for j in range(len(fit.params)):
        assert mle.profile_likelihood(fit, j, [fit.params[j]])[0] == pytest.approx(fit.loglik, abs=1e-7)
    low, high = mle.profile_interval(fit, "sd[z[0]]")
    assert low < fit.params[2] < high


# --- the boundary ------------------------------------------------------------------------------------
def boundary_data():
    """Groups with no group effect at all: the random intercept's variance is estimated as 0."""
    rs = np.random.RandomState(7)
    sizes = np.array([2, 3, 4, 5, 6, 7, 8, 2, 3, 4, 5, 6])
    g = np.repeat(np.arange(len(sizes)), sizes)
    x = np.round(rs.uniform(0, 4, g.size), 2)
    y = np.round(1 + 0.5 * x + rs.standard_normal(g.size), 3)
    return np.column_stack([np.ones(g.size), x]), y, g


def test_a_variance_at_zero_is_reported_not_failed():
    X, y, g = boundary_data()
    fit = mle.fit_linear_mixed(X, y, g)
    assert fit.converged and fit.params[2] == 0.0
    assert fit.model.on_boundary(fit.params) == ("sd[intercept]",)
    assert "boundary" in fit.message and "sd[intercept]" in fit.message
    assert np.isnan(fit.stderr[2]) and np.all(np.isfinite(fit.stderr[[0, 1, 3]]))
    # at sd = 0 the model is the linear regression: the same estimates, log-likelihood and standard errors
    linear = mle.fit_linear(X, y)
    np.testing.assert_allclose(fit.params[[0, 1, 3]], linear.params, rtol=1e-10)
    assert fit.loglik == pytest.approx(linear.loglik, rel=1e-12)
    np.testing.assert_allclose(fit.stderr[[0, 1, 3]], linear.stderr, rtol=1e-7)
    test = mle.likelihood_ratio_test(linear, fit)
    assert test.boundary == 1 and test.df == 1 and test.statistic < 1e-9 and test.pvalue == 1.0
    # REML does not put it on the boundary here (lme4 agrees: see test_mixed_reference.py)
    reml = mle.fit_linear_mixed(X, y, g, reml=True)
    assert reml.model.on_boundary(reml.params) == () and reml.params[2] > 0


def test_singular_sigma_with_a_correlation_of_one():
    """A random slope whose estimated variance sits on the edge: sd 0 or a correlation of +-1."""
    rng = np.random.default_rng(3)
    G, m = 15, 4
    g = np.repeat(np.arange(G), m)
    x = rng.normal(size=G * m)
    X = np.column_stack([np.ones(G * m), x])
    y = 1 + 0.5 * x + rng.normal(size=G)[g] + rng.normal(size=G * m)  # no random slope at all
    fit = mle.fit_linear_mixed(X, y, g, X)
    edge = fit.model.on_boundary(fit.params)
    assert fit.converged and edge and "boundary" in fit.message
    assert np.all(np.isnan(fit.stderr[2:5])) and np.all(np.isfinite(fit.stderr[[0, 1, 5]]))


# --- likelihood-ratio tests of variances: the chi-bar-squared reference ------------------------------
def test_lr_test_of_a_variance_uses_the_chi_bar_squared():
    X, y, g = small_data(seed=4)
    linear = mle.fit_linear(X, y)
    intercept = mle.fit_linear_mixed(X, y, g)
    slope = mle.fit_linear_mixed(X, y, g, X)
    a = mle.likelihood_ratio_test(linear, intercept)
    assert (a.df, a.boundary) == (1, 1)
    assert a.pvalue == pytest.approx(0.5 * stats.chi2.sf(a.statistic, 1), rel=1e-12)
    b = mle.likelihood_ratio_test(intercept, slope)
    assert (b.df, b.boundary) == (2, 1)
    assert b.pvalue == pytest.approx(
        0.5 * stats.chi2.sf(b.statistic, 1) + 0.5 * stats.chi2.sf(b.statistic, 2)
    )
    assert b.pvalue == chi_square_tail(b.statistic, 2, 1)
    # REML: variance components with the same X compare; fixed effects do not
    reml_i, reml_s = mle.fit_linear_mixed(X, y, g, reml=True), mle.fit_linear_mixed(X, y, g, X, reml=True)
    assert mle.likelihood_ratio_test(reml_i, reml_s).boundary == 1
    with pytest.raises(ValueError, match="REML"):
        mle.likelihood_ratio_test(mle.fit_linear_mixed(X[:, :1], y, g, reml=True), reml_i)
    with pytest.raises(ValueError, match="REML"):
        mle.likelihood_ratio_test(linear, reml_i)
    with pytest.raises(ValueError, match="one random effect at a time"):
        mle.likelihood_ratio_test(linear, slope)
    with pytest.raises(ValueError, match="ML"):
        mle.likelihood_ratio_test(reml_i, slope)
    with pytest.raises(ValueError, match="boundary"):  # the score of a standard deviation at 0 is 0
        mle.score_test(linear, intercept)


def test_a_fixed_effect_is_tested_as_usual_and_different_groupings_are_refused():
    X, y, g = small_data(seed=5)
    full, restricted = mle.fit_linear_mixed(X, y, g), mle.fit_linear_mixed(X[:, :1], y, g)
    test = mle.likelihood_ratio_test(restricted, full)
    assert (test.df, test.boundary) == (1, 0)
    score, wald = mle.score_test(restricted, X), mle.wald_test(full, ["beta[1]"])
    assert score.df == wald.df == 1 and max(score.pvalue, wald.pvalue, test.pvalue) < 0.01
    other = mle.fit_linear_mixed(X[:, :1], y, g % 6)
    with pytest.raises(ValueError, match="different data"):
        mle.likelihood_ratio_test(other, full)


def test_glmm_against_its_glm_on_the_boundary_reference():
    rng = np.random.default_rng(8)
    G, m = 40, 6
    g = np.repeat(np.arange(G), m)
    x = rng.normal(size=G * m)
    X = np.column_stack([np.ones(G * m), x])
    eta = -0.2 + 0.7 * x + 0.9 * rng.normal(size=G)[g]
    y = (rng.random(G * m) < 1 / (1 + np.exp(-eta))).astype(float)
    glm, glmm = mle.fit_logistic(X, y), mle.fit_glmm(X, y, g)
    test = mle.likelihood_ratio_test(glm, glmm)
    assert (test.df, test.boundary) == (1, 1)
    assert test.pvalue == pytest.approx(0.5 * stats.chi2.sf(test.statistic, 1))
    quad = mle.fit_glmm(X, y, g, n_quadrature=9)
    with pytest.raises(ValueError, match="n_quadrature"):
        mle.likelihood_ratio_test(mle.fit_glmm(X[:, :1], y, g), quad)


# --- GLMMs ---------------------------------------------------------------------------------------------
def test_binomial_counts_are_their_bernoulli_trials():
    """A row of y successes out of m trials is m 0/1 rows (in the same group): the same likelihood but
    for log C(m, y), and the same estimates."""
    rng = np.random.default_rng(9)
    G = 25
    g = np.repeat(np.arange(G), 3)
    x = rng.normal(size=3 * G)
    m = rng.integers(1, 6, size=3 * G).astype(float)
    eta = 0.2 + 0.5 * x + 0.8 * rng.normal(size=G)[g]
    y = rng.binomial(m.astype(int), 1 / (1 + np.exp(-eta))).astype(float)
    X = np.column_stack([np.ones(3 * G), x])
    counts = mle.fit_glmm(X, y, g, trials=m)
    rows = np.repeat(np.arange(3 * G), m.astype(int))
    within = np.concatenate([np.arange(k) for k in m.astype(int)])
    y01 = (within < y[rows]).astype(float)
    bernoulli = mle.fit_glmm(X[rows], y01, g[rows])
    np.testing.assert_allclose(counts.params, bernoulli.params, rtol=1e-7, atol=1e-9)
    lchoose = np.sum(stats.binom.logpmf(y, m, 0.5) - m * np.log(0.5))
    assert counts.loglik == pytest.approx(bernoulli.loglik + lchoose, rel=1e-10)


def test_glmm_predictions_random_effects_and_simulation():
    rng = np.random.default_rng(10)
    G, m = 30, 5
    g = np.repeat(np.arange(G), m)
    x = rng.uniform(-1, 1, size=G * m)
    X = np.column_stack([np.ones(G * m), x])
    y = rng.poisson(np.exp(0.5 + 0.3 * x + 0.6 * rng.normal(size=G)[g])).astype(float)
    fit = mle.fit_glmm(X, y, g, family="poisson", n_quadrature=7)
    modes = fit.model.random_effects(fit.params).modes[:, 0]
    np.testing.assert_allclose(
        fit.model.predict(fit.params), np.exp(X @ fit.params[:2] + modes[g]), rtol=1e-12
    )
    np.testing.assert_allclose(
        fit.model.predict(fit.params, random=False), np.exp(X @ fit.params[:2]), rtol=1e-12
    )
    a = fit.model.simulate(fit.params, np.random.default_rng(1))
    b = fit.model.simulate(fit.params, np.random.default_rng(1))
    np.testing.assert_array_equal(a.y, b.y)
    assert a.nobs == G and np.all(a.y >= 0) and np.all(a.y == np.round(a.y))
    resampled = fit.model.resample(np.array([0, 0, 5]))
    assert resampled.nobs == 3 and resampled.n_rows == 3 * m  # a group drawn twice is two groups


# --- bad input ---------------------------------------------------------------------------------------
def _lmm_inputs():
    X, y, g = small_data()
    return X, y, g


BAD_LMM = [
    (lambda X, y, g: mle.fit_linear_mixed(X, y, np.zeros(len(y))), "a single group"),
    (lambda X, y, g: mle.fit_linear_mixed(X, y, np.arange(len(y)), X), "groups of size one"),
    (lambda X, y, g: mle.fit_linear_mixed(X, y, np.arange(len(y))), "groups of size one"),
    (lambda X, y, g: mle.fit_linear_mixed(X, y, g, X[:, 1]), "Z must be a 2-D array"),
    (lambda X, y, g: mle.fit_linear_mixed(X, y, g, X[:-1]), "Z has 59 rows but y has 60"),
    (
        lambda X, y, g: mle.fit_linear_mixed(X, y, g, np.column_stack([X[:, 1], 2 * X[:, 1]])),
        "Z is rank deficient",
    ),
    (lambda X, y, g: mle.fit_linear_mixed(X, y, g, np.zeros((60, 1))), "all zeros"),
    (lambda X, y, g: mle.fit_linear_mixed(X, y, g[:-1]), "groups has 59 labels"),
    (lambda X, y, g: mle.fit_linear_mixed(X, y, np.where(g == 3, np.nan, g)), "NaN"),
    (lambda X, y, g: mle.fit_linear_mixed(X, y, g, reml="yes"), "reml must be True or False"),
    (lambda X, y, g: mle.fit_linear_mixed(X, y, g, options={"maxiter": 3}), "unknown key"),
    (lambda X, y, g: mle.fit_linear_mixed(X, y, g, names=["a"]), "names has 1"),
    (lambda X, y, g: mle.fit_linear_mixed(X, y, g, names=["sigma", "b"]), "sigma"),
    (
        lambda X, y, g: mle.fit_linear_mixed(
            pd.DataFrame(X), pd.Series(y), pd.Series(g, index=np.arange(60) + 5)
        ),
        "different index labels",
    ),
]


@pytest.mark.parametrize("call, match", BAD_LMM)
def test_linear_mixed_bad_input(call, match):
    with pytest.raises(ValueError, match=re.escape(match) if "[" in match else match):
        call(*_lmm_inputs())


def _glmm_inputs():
    X, y, g = small_data()
    return X, (y > 1).astype(float), g, np.round(np.abs(y))


BAD_GLMM = [
    (lambda X, b, g, c: mle.fit_glmm(X, c + 0.5, g, family="poisson"), "non-negative integer counts"),
    (lambda X, b, g, c: mle.fit_glmm(X, -c, g, family="poisson"), "non-negative integer counts"),
    (lambda X, b, g, c: mle.fit_glmm(X, c, g, trials=np.ones(60)), "more successes than trials"),
    (lambda X, b, g, c: mle.fit_glmm(X, c, g, trials=c + 0.5), "trials must hold positive integers"),
    (lambda X, b, g, c: mle.fit_glmm(X, c, g), "only 0 and 1"),
    (lambda X, b, g, c: mle.fit_glmm(X, c, g, family="poisson", trials=c + 1), "trials goes with"),
    (lambda X, b, g, c: mle.fit_glmm(X, b, g, family="gaussian"), "family must be"),
    (lambda X, b, g, c: mle.fit_glmm(X, b, g, n_quadrature=0), "positive integer"),
    (lambda X, b, g, c: mle.fit_glmm(X, b, g, n_quadrature=5, Z=X), "single random"),
    (lambda X, b, g, c: mle.fit_glmm(X, b, g, n_quadrature=101), "at most 100"),
    (lambda X, b, g, c: mle.fit_glmm(X, np.zeros(60), g), "every outcome is a failure"),
    (lambda X, b, g, c: mle.fit_glmm(X, b, np.ones(60)), "a single group"),
    (lambda X, b, g, c: mle.fit_glmm(X, b, np.arange(60)), "groups of size one"),
    (lambda X, b, g, c: mle.fit_glmm(X, c, np.arange(60), family="poisson", Z=X), "groups of size one"),
    (lambda X, b, g, c: mle.fit_glmm(X, b, g, Z=X[:10]), "Z has 10 rows"),
]


@pytest.mark.parametrize("call, match", BAD_GLMM)
def test_glmm_bad_input(call, match):
    with pytest.raises(ValueError, match=match):
        call(*_glmm_inputs())


def test_glmm_separation_is_an_error():
    X, _, g, _ = _glmm_inputs()
    with pytest.raises(mle.PerfectSeparationError, match="separated"):
        mle.fit_glmm(X, (X[:, 1] > 0).astype(float), g)


def test_a_poisson_overdispersion_model_with_one_row_per_group_is_allowed():
    """An observation-level random intercept (groups of size one) is the lognormal-Poisson model."""
    rng = np.random.default_rng(12)
    n = 200
    x = rng.normal(size=n)
    X = np.column_stack([np.ones(n), x])
    y = rng.poisson(np.exp(0.5 + 0.4 * x + 0.6 * rng.normal(size=n))).astype(float)
    fit = mle.fit_glmm(X, y, np.arange(n), family="poisson", n_quadrature=9)
    assert fit.converged and 0.3 < fit.params[2] < 0.9
