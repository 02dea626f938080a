"""The negative binomial, gamma and zero-inflated models beyond the oracles of
``test_count_models_reference.py``: their kernels against mpmath, the edges of their parameter
spaces (alpha = 0, an infinite shape, separated zeros), nesting, Dask, and bad input."""

from __future__ import annotations

import warnings

import mpmath
import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy import stats

import mle_tutorial as mle
from mle_tutorial import negative_binomial as nbm
from mle_tutorial.gamma_regression import inverse_minus_trigamma, log_minus_digamma, shape_constant

mpmath.mp.dps = 40


def design(n, seed=0):
    rng = np.random.default_rng(seed)
    return np.column_stack([np.ones(n), rng.normal(size=n)]), rng


# --- the NB kernel against mpmath -----------------------------------------------------------------------
def mp_loglik(y, eta, alpha):
    y, eta, alpha = mpmath.mpf(int(y)), mpmath.mpf(eta), mpmath.mpf(alpha)
    mu = mpmath.exp(eta)
    if alpha == 0:
        return y * eta - mu - mpmath.loggamma(y + 1)
    r = 1 / alpha
    return (
        mpmath.loggamma(y + r) - mpmath.loggamma(r) - mpmath.loggamma(y + 1)
        + r * mpmath.log(r / (r + mu)) + y * mpmath.log(mu / (r + mu))
    )  # fmt: skip


def mp_derivatives(y, eta, alpha):
    """d/d eta, d/d alpha, d2/d alpha2 and d2/d eta d alpha, by mpmath's differentiation (at alpha > 0)."""

    def f(e, a):
        return mp_loglik(y, e, a)

    e, a = mpmath.mpf(eta), mpmath.mpf(alpha)
    return [float(mpmath.diff(f, (e, a), order)) for order in ((1, 0), (0, 1), (0, 2), (1, 1), (2, 0))]


@pytest.mark.parametrize("alpha", [1e-10, 1e-4, 0.1, 0.249, 0.251, 1.3, 40.0])
@pytest.mark.parametrize("y", [0, 1, 7, 60])
def test_negative_binomial_terms_match_mpmath(y, alpha):
    """Both sides of the switch from the power series (x = alpha mu < 1/4) to the direct forms, and
    alpha so small that digamma differences would cancel most of their digits."""
    eta = np.log(np.array([0.5, 1.0, 2.0]))  # x = alpha mu on both sides of 1/4 for alpha near 1/4
    t = nbm.nb_terms(eta, np.full(3, float(y)), alpha, order=2)
    for i, e in enumerate(eta):
        ll = float(mp_loglik(y, e, alpha))
        assert t["ll"][i] == pytest.approx(ll, rel=1e-13, abs=1e-13)
        d_eta, d_alpha, d_aa, d_ea, d_ee = mp_derivatives(y, e, alpha)
        scale = max(1.0, abs(d_alpha))
        assert t["d_eta"][i] == pytest.approx(d_eta, rel=1e-12, abs=1e-13)
        assert t["d_alpha"][i] == pytest.approx(d_alpha, rel=1e-10, abs=1e-12 * scale)
        assert t["d_alpha_alpha"][i] == pytest.approx(d_aa, rel=1e-9, abs=1e-11 * max(1.0, abs(d_aa)))
        assert t["d_eta_alpha"][i] == pytest.approx(d_ea, rel=1e-10, abs=1e-12)
        assert -t["w"][i] == pytest.approx(d_ee, rel=1e-12, abs=1e-13)


@pytest.mark.parametrize("y", [0, 1, 5, 30])
def test_negative_binomial_at_alpha_zero_is_the_poisson_limit(y):
    """At alpha = 0 the terms are the limits: the Poisson log pmf, the classic overdispersion score
    ((y - mu)^2 - y)/2 and -y(y-1)(2y-1)/6 + y mu^2 - 2 mu^3/3, which small alpha approaches."""
    eta = np.log(np.array([0.3, 2.0, 9.0]))
    mu = np.exp(eta)
    t0 = nbm.nb_terms(eta, np.full(3, float(y)), 0.0, order=2)
    np.testing.assert_allclose(t0["ll"], stats.poisson.logpmf(y, mu), rtol=1e-14)
    np.testing.assert_allclose(t0["d_alpha"], 0.5 * ((y - mu) ** 2 - y), rtol=1e-14, atol=1e-14)
    limit = -y * (y - 1) * (2 * y - 1) / 6 + y * mu**2 - 2 * mu**3 / 3
    np.testing.assert_allclose(t0["d_alpha_alpha"], limit, rtol=1e-14)
    small = nbm.nb_terms(eta, np.full(3, float(y)), 1e-9, order=2)
    for key in ("ll", "d_eta", "d_alpha", "d_eta_alpha", "d_alpha_alpha"):
        np.testing.assert_allclose(small[key], t0[key], rtol=1e-6, atol=1e-6)


def test_negative_binomial_large_counts_use_the_gamma_function_forms(monkeypatch):
    """Counts above CUMSUM_MAX switch to the digamma and trigamma forms: the same numbers."""
    y = np.array([0.0, 3.0, 250.0, 4000.0])
    eta = np.log(np.array([1.0, 2.0, 200.0, 3000.0]))
    direct = nbm.nb_terms(eta, y, 0.7, order=2)
    monkeypatch.setattr(nbm, "CUMSUM_MAX", 10)
    special = nbm.nb_terms(eta, y, 0.7, order=2)
    for key in ("ll", "d_alpha", "d_alpha_alpha"):  # seen 2e-11 (the trigamma form, y = 4000)
        np.testing.assert_allclose(special[key], direct[key], rtol=1e-9)


# --- the boundary alpha = 0 --------------------------------------------------------------------------------
def poisson_counts(seed):
    X, rng = design(400, seed)
    return X, rng.poisson(np.exp(X @ [0.5, 0.3])).astype(float)


def test_underdispersed_counts_put_alpha_on_the_boundary_with_a_warning():
    X, y = poisson_counts(4)  # a Poisson sample whose overdispersion slope is negative (-33)
    pois = mle.fit_poisson(X, y)
    mu = np.exp(X @ pois.params)
    assert 0.5 * np.sum((y - mu) ** 2 - y) < 0
    with pytest.warns(mle.ConvergenceWarning, match="not overdispersed"):
        fit = mle.fit_negative_binomial(X, y)
    assert not fit.converged and fit.params[-1] == 0.0 and np.isnan(fit.stderr[-1])
    np.testing.assert_array_equal(fit.params[:-1], pois.params)
    np.testing.assert_allclose(fit.stderr[:-1], pois.stderr, rtol=1e-12)
    assert fit.loglik == pois.loglik == fit.model.loglik(fit.params)
    test = mle.likelihood_ratio_test(pois, fit)
    assert test.statistic == 0.0 and test.pvalue == 1.0 and test.boundary == 1


def test_likelihood_ratio_test_of_the_poisson_uses_the_chi_bar_square():
    X, y = poisson_counts(1)  # a Poisson sample with a positive slope (43): alpha-hat > 0
    pois, nb = mle.fit_poisson(X, y), mle.fit_negative_binomial(X, y)
    assert nb.converged and 0 < nb.params[-1] < 0.1
    test = mle.likelihood_ratio_test(pois, nb)
    assert test.boundary == 1 and test.statistic == pytest.approx(2 * (nb.loglik - pois.loglik))
    assert test.pvalue == pytest.approx(0.5 * stats.chi2.sf(test.statistic, 1), rel=1e-12)
    with pytest.raises(ValueError, match="restricted is a negative_binomial fit but full is a poisson fit"):
        mle.likelihood_ratio_test(nb, pois)


def test_score_test_of_the_poisson_at_alpha_zero_by_hand():
    """At (beta_Poisson, alpha = 0) the negative binomial's score is (0, 0, S/2) with
    S = sum[(y - mu)^2 - y], and its information the expected one, X'diag(mu)X and sum(mu^2)/2: the
    statistic is Cameron and Trivedi's S^2 / (2 sum mu^2), one-sided (alpha = 0 is an edge)."""
    X, y = poisson_counts(1)
    pois, nb = mle.fit_poisson(X, y), mle.fit_negative_binomial(X, y)
    mu = np.exp(X @ pois.params)
    S = np.sum((y - mu) ** 2 - y)
    lm = S**2 / (2 * np.sum(mu**2))
    test = mle.score_test(pois, nb)
    assert test.df == 1 and test.statistic == pytest.approx(lm, rel=1e-10)
    assert S > 0 and test.boundary == 1
    assert test.pvalue == pytest.approx(0.5 * stats.chi2.sf(lm, 1), rel=1e-10)
    assert test.pvalue == pytest.approx(stats.norm.sf(np.sqrt(lm)), rel=1e-10)
    theta = np.append(pois.params, 0.0)
    expected = np.zeros((3, 3))
    expected[:2, :2] = (X.T * mu) @ X
    expected[2, 2] = 0.5 * np.sum(mu**2)
    np.testing.assert_allclose(nb.model.information(theta), expected, rtol=1e-12)
    # away from alpha = 0 the information is the observed one
    np.testing.assert_array_equal(nb.model.information(nb.params), -nb.model.hessian(nb.params))


def test_score_test_of_the_poisson_is_one_sided():
    """Where the full model would move out of its space (a negative slope in alpha at 0) the
    one-sided statistic is 0 and the p-value 1, as for the likelihood ratio; the robust variant too.
    The test need not fit the negative binomial: the score test reads only its model."""
    X, y = poisson_counts(4)  # a negative slope
    pois = mle.fit_poisson(X, y)
    with pytest.warns(mle.ConvergenceWarning):
        nb = mle.fit_negative_binomial(X, y)
    for robust in (False, True):
        test = mle.score_test(pois, nb, robust=robust)
        assert (test.statistic, test.pvalue, test.boundary, test.robust) == (0.0, 1.0, 1, robust)
    assert "boundary=1" in repr(test)


def test_one_sided_score_test_holds_its_level_under_the_poisson():
    """Under the Poisson, the one-sided 5% test rejects at about 5% (measured: 5.1% in 1000 other
    samples; with the observed information it was 2.7%, and two-sided it would be lower still):
    2000 samples, so the rate's Monte Carlo standard error is 0.5 points, and the floor allows more
    than four of them either way."""
    X, rng = design(200, 11)
    mu = np.exp(X @ [1.0, 0.3])
    rejections = 0
    for _ in range(2000):
        y = rng.poisson(mu).astype(float)
        pois = mle.fit_poisson(X, y)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", mle.ConvergenceWarning)
            nb = mle.fit_negative_binomial(X, y)
        rejections += mle.score_test(pois, nb).pvalue < 0.05
    rate = rejections / 2000
    assert 0.028 < rate < 0.072, rate


def test_overdispersed_counts_reject_the_poisson():
    X, rng = design(600, 4)
    mu = np.exp(X @ [0.8, 0.3])
    y = rng.poisson(rng.gamma(1.0, mu)).astype(float)  # alpha = 1
    pois, nb = mle.fit_poisson(X, y), mle.fit_negative_binomial(X, y)
    assert abs(nb.params[-1] - 1.0) < 4 * nb.stderr[-1]
    assert mle.likelihood_ratio_test(pois, nb).pvalue < 1e-20
    assert mle.score_test(pois, nb).pvalue < 1e-10


def test_negative_binomial_in_a_larger_negative_binomial_and_with_an_offset():
    X, rng = design(500, 5)
    t = rng.uniform(0.5, 3.0, 500)
    y = rng.poisson(t * rng.gamma(2.0, np.exp(X @ [0.2, 0.4]) / 2.0)).astype(float)
    fit = mle.fit_negative_binomial(X, y, offset=np.log(t))
    small = mle.fit_negative_binomial(X[:, :1], y, offset=np.log(t))
    test = mle.likelihood_ratio_test(small, fit)
    assert test.boundary == 0 and test.df == 1 and test.pvalue < 1e-6
    assert np.all(np.abs(fit.params - [0.2, 0.4, 0.5]) < 4 * fit.stderr)


def test_no_mle_for_a_group_of_zero_counts():
    X, rng = design(200, 6)
    g = (np.arange(200) < 20).astype(float)
    y = np.where(g == 1, 0.0, rng.poisson(rng.gamma(2.0, 1.0, 200)))
    with pytest.raises(mle.PerfectSeparationError, match="negative binomial MLE does not exist"):
        mle.fit_negative_binomial(np.column_stack([X, g]), y)


@given(st.integers(0, 2**31 - 1))
def test_negative_binomial_fit_is_the_joint_maximum(seed):
    """On simulated overdispersed data the fit is a zero of the score with a negative definite
    Hessian, and a Newton step from it moves nothing."""
    X, rng = design(300, seed)
    mu = np.exp(X @ [0.4, 0.5])
    y = rng.poisson(rng.gamma(1.5, mu / 1.5)).astype(float)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", mle.ConvergenceWarning)  # an underdispersed draw: the boundary
        fit = mle.fit_negative_binomial(X, y)
    if fit.params[-1] == 0.0:
        return
    g, H = fit.model.score(fit.params), fit.model.hessian(fit.params)
    step = np.linalg.solve(-H, g)
    assert np.all(np.linalg.eigvalsh(H) < 0)
    assert np.max(np.abs(step) / np.maximum(1.0, np.abs(fit.params))) < 1e-10


# --- gamma -------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("nu", [0.3, 2.5, 19.9, 20.1, 400.0, 1e7])
def test_gamma_shape_functions_match_mpmath(nu):
    v = mpmath.mpf(nu)
    assert log_minus_digamma(nu) == pytest.approx(float(mpmath.log(v) - mpmath.digamma(v)), rel=1e-13)
    assert inverse_minus_trigamma(nu) == pytest.approx(float(1 / v - mpmath.polygamma(1, v)), rel=1e-12)
    assert shape_constant(nu) == pytest.approx(float(v * mpmath.log(v) - v - mpmath.loggamma(v)), rel=1e-13)


def test_gamma_fitted_exactly_is_flagged():
    X, _ = design(50, 7)
    y = np.exp(X @ [0.5, 0.2])
    with pytest.warns(mle.ExactFitWarning, match="fitted exactly"):
        fit = mle.fit_gamma(X, y)
    assert fit.params[-1] == np.inf and fit.loglik == np.inf and np.all(np.isnan(fit.stderr))
    np.testing.assert_allclose(fit.params[:-1], [0.5, 0.2], rtol=1e-12)


def test_gamma_nearly_exact_fit_keeps_its_digits():
    """A coefficient of variation of 1e-4 (shape 1e8): the series forms keep the likelihood finite
    and the shape estimate right."""
    X, rng = design(2000, 8)
    y = rng.gamma(1e8, np.exp(X @ [0.5, 0.2]) / 1e8)
    fit = mle.fit_gamma(X, y)
    assert fit.converged and abs(fit.params[-1] / 1e8 - 1) < 4 * fit.stderr[-1] / 1e8


# --- zero inflation ------------------------------------------------------------------------------------
def zip_data(n=800, seed=9):
    X, rng = design(n, seed)
    counts = rng.poisson(np.exp(X @ [1.0, 0.5]))
    return X, np.where(rng.random(n) < 0.25, 0.0, counts).astype(float), rng


def test_a_zero_design_that_separates_the_zeros_has_no_mle():
    X, y, _ = zip_data()
    flag = ((y == 0) & (X[:, 1] > 0.5)).astype(float)  # 1 only on zero counts
    with pytest.raises(mle.PerfectSeparationError, match="zero design Z separates the zero counts"):
        mle.fit_zero_inflated(X, y, np.column_stack([np.ones(y.size), flag]))


def test_zero_inflated_names_pandas_and_z_by_label():
    X, y, _ = zip_data()
    labels = np.arange(y.size)[::-1] + 10
    frame = pd.DataFrame(X, columns=["one", "x"], index=labels)
    ones = pd.Series(np.ones(y.size), index=labels, name="c")
    fit = mle.fit_zero_inflated(frame, pd.Series(y, index=labels), ones)
    assert fit.param_names == ("one", "x", "zero[c]")
    plain = mle.fit_zero_inflated(X, y, np.ones(y.size))
    np.testing.assert_allclose(fit.params, plain.params, rtol=1e-12)
    default = mle.fit_zero_inflated(frame, pd.Series(y, index=labels))
    assert default.param_names == ("one", "x", "zero[one]", "zero[x]")
    shuffled = pd.Series(np.ones(y.size), index=labels[::-1] + 1)
    with pytest.raises(ValueError, match="X and Z are pandas objects with different index labels"):
        mle.fit_zero_inflated(frame, pd.Series(y, index=labels), shuffled)


@pytest.mark.parametrize(
    "call, words",
    [
        (lambda X, y: mle.fit_zero_inflated(X, y, np.ones(10)), "Z has 10 rows but y has 800 values"),
        (lambda X, y: mle.fit_zero_inflated(X, y, np.column_stack([np.ones(800), np.ones(800)])),
         "Z is rank deficient"),
        (lambda X, y: mle.fit_zero_inflated(X, y + 1.0), "y has no zero counts"),
        (lambda X, y: mle.fit_zero_inflated(X, y - 1.0), "non-negative integer counts"),
        (lambda X, y: mle.fit_zero_inflated(X, y, dist="nb"), "dist must be one of"),
        (lambda X, y: mle.fit_zero_inflated(X, y, names=["a", "a"]), "names must be distinct"),
        (lambda X, y: mle.fit_negative_binomial(X, y + 0.5), "non-negative integer counts"),
        (lambda X, y: mle.fit_negative_binomial(X, 0 * y), "y is all 0"),
        (lambda X, y: mle.fit_negative_binomial(X, y, options={"maxiter": 5}), "unknown key"),
        (lambda X, y: mle.fit_gamma(X, y), "y must be positive"),
        (lambda X, y: mle.fit_gamma(X, -y - 1.0), "y must be positive"),
        (lambda X, y: mle.fit_gamma(X[:3], y[:3] + 1.0), "it needs more rows than parameters"),
    ],
)  # fmt: skip
def test_bad_input(call, words):
    X, y, _ = zip_data()
    with pytest.raises(ValueError, match=words):
        call(X, y)


def test_zero_inflated_poisson_recovers_its_parameters_and_bootstraps():
    X, y, _ = zip_data(2000, 11)
    fit = mle.fit_zero_inflated(X, y, np.ones(y.size))
    truth = [1.0, 0.5, np.log(0.25 / 0.75)]
    assert np.all(np.abs(fit.params - truth) < 4 * fit.stderr)
    boot = mle.bootstrap(fit, kind="parametric", n_resamples=40, seed=1)
    assert boot.n_failed == 0
    np.testing.assert_allclose(boot.standard_error, fit.stderr, rtol=0.5)


# --- Dask -------------------------------------------------------------------------------------------------
def test_negative_binomial_and_gamma_over_dask_chunks_match_memory():
    da = pytest.importorskip("dask.array")
    X, rng = design(1000, 12)
    mu = np.exp(X @ [0.4, 0.5])
    y = rng.poisson(rng.gamma(2.0, mu / 2.0)).astype(float)
    yg = rng.gamma(3.0, mu / 3.0)
    for fitter, response in ((mle.fit_negative_binomial, y), (mle.fit_gamma, yg)):
        memory = fitter(X, response)
        chunks = fitter(da.from_array(X, chunks=(300, 2)), da.from_array(response, chunks=300))
        np.testing.assert_allclose(chunks.params, memory.params, rtol=1e-10)
        np.testing.assert_allclose(chunks.stderr, memory.stderr, rtol=1e-9)
        assert chunks.loglik == pytest.approx(memory.loglik, rel=1e-12)
        np.testing.assert_allclose(chunks.robust().stderr, memory.robust().stderr, rtol=1e-9)
        grid = memory.params[-1] * np.array([0.9, 1.1])
        np.testing.assert_allclose(
            mle.profile_likelihood(chunks, -1, grid), mle.profile_likelihood(memory, -1, grid), rtol=1e-11
        )
    with pytest.raises(ValueError, match="needs the data in memory"):
        mle.fit_zero_inflated(da.from_array(X, chunks=(300, 2)), da.from_array(y, chunks=300))
