"""Steps 1-7 against independent oracles: scipy.stats, closed forms, finite differences."""

import numpy as np
import pytest
import scipy.stats
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

import mle_tutorial as mle

finite = st.floats(-1e6, 1e6, allow_nan=False, allow_infinity=False)
positive = st.floats(1e-3, 1e3, allow_nan=False, allow_infinity=False)


# --- step 1 -----------------------------------------------------------------------------------
def test_simulate_linear_shapes_and_seed():
    X, y = mle.simulate_linear(50, [1.0, 2.0, 3.0], 0.5, seed=1)
    assert X.shape == (50, 3) and y.shape == (50,)
    assert np.all(X[:, 0] == 1.0)
    X2, y2 = mle.simulate_linear(50, [1.0, 2.0, 3.0], 0.5, seed=1)
    assert np.array_equal(X, X2) and np.array_equal(y, y2)
    assert not np.array_equal(y, mle.simulate_linear(50, [1.0, 2.0, 3.0], 0.5, seed=2)[1])


def test_simulate_linear_recovers_truth_in_large_samples():
    X, y = mle.simulate_linear(200_000, [0.5, 1.0, 2.0, 3.0], 0.5, seed=3)
    fit = mle.fit_linear(X, y)
    assert np.allclose(fit.beta, [0.5, 1.0, 2.0, 3.0], atol=0.01)
    assert abs(fit.sigma - 0.5) < 0.005


def test_starting_values_sigma_is_best_for_its_beta(worked_example):
    X, y = worked_example
    beta0 = np.array([0.2, 0.5, 1.0, 1.0])
    start = mle.starting_values(X, y, beta0)
    assert np.array_equal(start[:4], beta0)
    assert start[4] == pytest.approx(np.sqrt(np.mean((y - X @ beta0) ** 2)), rel=1e-14)
    # d NLL / d log(sigma) = 0 there: sigma is the maximizer for that beta
    grad = mle.negative_log_likelihood_gradient(np.append(beta0, np.log(start[4])), X, y)
    assert abs(grad[-1]) < 1e-9 * len(y)
    assert np.array_equal(mle.starting_values(X, y)[:4], np.zeros(4))


# --- steps 2 and 3 ---------------------------------------------------------------------------
def test_predict_and_residuals():
    X = np.array([[1.0, 2.0], [1.0, -1.0], [1.0, 0.5]])
    beta = np.array([0.5, 2.0])
    y_hat = mle.predict(X, beta)
    assert np.array_equal(y_hat, [4.5, -1.5, 1.5])
    assert np.array_equal(mle.residuals([5.0, -1.0, 1.0], y_hat), [0.5, 0.5, -0.5])


@given(arrays(np.float64, (7, 3), elements=finite), arrays(np.float64, 3, elements=finite))
def test_predict_is_the_matrix_product(X, beta):
    assert np.allclose(mle.predict(X, beta), X @ beta, rtol=1e-12, atol=1e-6)


# --- steps 4 and 5 ---------------------------------------------------------------------------
@given(finite, st.floats(-100, 100), positive)
def test_normal_logpdf_matches_scipy(x, mu, sigma):
    expected = scipy.stats.norm.logpdf(x, mu, sigma)
    assert np.isclose(mle.normal_logpdf(x, mu, sigma), expected, rtol=1e-12, atol=1e-12)


@given(st.floats(-50, 50), st.floats(-10, 10), positive)
def test_normal_pdf_matches_scipy(x, mu, sigma):
    expected = scipy.stats.norm.pdf(x, mu, sigma)
    assert np.isclose(mle.normal_pdf(x, mu, sigma), expected, rtol=1e-12, atol=1e-300)


def test_logpdf_is_stable_where_the_pdf_underflows():
    assert mle.normal_pdf(40.0) == 0.0
    assert mle.normal_logpdf(40.0) == pytest.approx(-0.5 * np.log(2 * np.pi) - 800.0, rel=1e-15)
    assert mle.normal_pdf(0.0, sigma=0.1) > 1  # a density, not a probability


def test_density_keeps_shape():
    x = np.linspace(-2, 2, 12).reshape(3, 4)
    assert mle.normal_pdf(x).shape == (3, 4)
    assert np.ndim(mle.normal_logpdf(1.0)) == 0


# --- step 6 ----------------------------------------------------------------------------------
@settings(max_examples=50)
@given(arrays(np.float64, st.integers(1, 50), elements=st.floats(-1e3, 1e3)), positive)
def test_log_likelihood_is_sum_of_scipy_logpdfs(resid, sigma):
    expected = scipy.stats.norm.logpdf(resid, 0.0, sigma).sum()
    assert mle.log_likelihood(resid, sigma) == pytest.approx(expected, rel=1e-11, abs=1e-9)


def test_log_likelihood_does_not_care_about_the_residual_sign(worked_example):
    X, y = worked_example
    y_hat = mle.predict(X, [0.2, 0.5, 1.0, 1.0])
    assert mle.log_likelihood(mle.residuals(y, y_hat), 0.7) == mle.log_likelihood(y_hat - y, 0.7)


# --- step 7 ----------------------------------------------------------------------------------
def _closed_form_nll(theta, X, y):
    n, p = X.shape
    r = y - X @ theta[:p]
    sigma = np.exp(theta[p])
    return 0.5 * n * np.log(2 * np.pi * sigma**2) + (r @ r) / (2 * sigma**2)


def test_nll_composes_the_steps(worked_example):
    X, y = worked_example
    theta = np.array([0.2, 0.5, 1.0, 1.0, np.log(0.8)])
    composed = -mle.log_likelihood(mle.residuals(y, mle.predict(X, theta[:4])), 0.8)
    assert mle.negative_log_likelihood(theta, X, y) == pytest.approx(composed, rel=1e-13)
    assert mle.negative_log_likelihood(theta, X, y) == pytest.approx(_closed_form_nll(theta, X, y), rel=1e-12)
    oracle = -scipy.stats.norm.logpdf(y, X @ theta[:4], 0.8).sum()
    assert mle.negative_log_likelihood(theta, X, y) == pytest.approx(oracle, rel=1e-12)


def _central_diff(f, x, h=1e-6):
    g = np.empty_like(x)
    for j in range(x.size):
        e = np.zeros_like(x)
        e[j] = h * max(1.0, abs(x[j]))
        g[j] = (f(x + e) - f(x - e)) / (2 * e[j])
    return g


@settings(max_examples=25, deadline=None)
@given(
    arrays(np.float64, 4, elements=st.floats(-3, 3)),
    st.floats(np.log(0.2), np.log(5.0)),
    st.integers(0, 2**32 - 1),
)
def test_gradient_matches_finite_differences(beta, log_sigma, seed):
    X, y = mle.simulate_linear(60, [0.5, 1.0, 2.0, 3.0], 0.5, seed=seed)
    theta = np.append(beta, log_sigma)
    g = mle.negative_log_likelihood_gradient(theta, X, y)
    fd = _central_diff(lambda t: mle.negative_log_likelihood(t, X, y), theta)
    assert np.allclose(g, fd, rtol=1e-5, atol=1e-4 * (1 + np.max(np.abs(g))))


@settings(max_examples=15, deadline=None)
@given(arrays(np.float64, 4, elements=st.floats(-3, 3)), st.floats(np.log(0.2), np.log(5.0)))
def test_hessian_matches_finite_differences_of_gradient(beta, log_sigma):
    X, y = mle.simulate_linear(60, [0.5, 1.0, 2.0, 3.0], 0.5, seed=7)
    theta = np.append(beta, log_sigma)
    H = mle.negative_log_likelihood_hessian(theta, X, y)
    assert np.allclose(H, H.T)
    fd = np.column_stack(
        [
            _central_diff(lambda t, j=j: mle.negative_log_likelihood_gradient(t, X, y)[j], theta)
            for j in range(theta.size)
        ]
    ).T
    assert np.allclose(H, fd, rtol=1e-5, atol=1e-4 * (1 + np.max(np.abs(H))))


def test_gradient_is_zero_and_hessian_positive_definite_at_the_mle(worked_example):
    X, y = worked_example
    fit = mle.fit_linear(X, y)
    theta = np.append(fit.beta, np.log(fit.sigma))
    g = mle.negative_log_likelihood_gradient(theta, X, y)
    assert np.max(np.abs(g)) < 1e-9 * len(y)
    H = mle.negative_log_likelihood_hessian(theta, X, y)
    assert np.all(np.linalg.eigvalsh(H) > 0)
    assert H[-1, -1] == pytest.approx(2 * len(y), rel=1e-12)  # information about log(sigma) is 2n
