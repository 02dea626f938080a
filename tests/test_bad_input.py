"""Bad input never gives a silent wrong answer: a ValueError that names the argument."""

import numpy as np
import pytest

import mle_tutorial as mle

X_OK, Y_OK = mle.simulate_linear(20, [0.5, 1.0, 2.0], 0.5, seed=0)
THETA_OK = np.array([0.5, 1.0, 2.0, np.log(0.5)])


def with_value(a, value, index=(3,)):
    a = np.array(a, dtype=float)
    a[index] = value
    return a


CASES = [
    # (call, expected words in the message)
    (lambda: mle.predict(X_OK, [1.0, 2.0]), "beta has 2 values but X has 3 columns"),
    (lambda: mle.predict(X_OK[:, 0], [1.0]), "X must be a 2-D array"),
    (lambda: mle.predict(with_value(X_OK, np.nan, (3, 1)), [1.0, 2.0, 3.0]), "X contains 1 NaN or infinite"),
    (lambda: mle.predict(X_OK, [1.0, np.inf, 3.0]), "beta contains 1 NaN or infinite"),
    (lambda: mle.predict(X_OK.astype(str), [1.0, 2.0, 3.0]), "X must be numeric"),
    (lambda: mle.predict(X_OK.astype(object), [1.0, 2.0, 3.0]), "X must be numeric"),
    (lambda: mle.predict(np.empty((0, 3)), [1.0, 2.0, 3.0]), "X is empty"),
    (lambda: mle.predict(X_OK, [1.0 + 2j, 2.0, 3.0]), "beta must be numeric"),
    (lambda: mle.residuals(Y_OK, Y_OK[:-1]), "y has 20 values but y_hat has 19"),
    (lambda: mle.residuals(["a", "b"], [1.0, 2.0]), "y must be numeric"),
    (lambda: mle.residuals([[1.0, 2.0]], [1.0, 2.0]), "y must be a 1-D array"),
    (lambda: mle.residuals([1.0, 2.0], [1.0, np.nan]), "y_hat contains 1 NaN"),
    (lambda: mle.normal_pdf(0.0, sigma=0.0), "sigma must be > 0, got 0.0"),
    (lambda: mle.normal_logpdf(0.0, sigma=-1.0), "sigma must be > 0, got -1.0"),
    (lambda: mle.normal_logpdf(0.0, sigma=np.nan), "sigma contains 1 NaN"),
    (lambda: mle.normal_logpdf(0.0, mu=[0.0, 1.0]), "mu must be a scalar"),
    (lambda: mle.normal_pdf([1.0, np.inf]), "x contains 1 NaN or infinite"),
    (lambda: mle.normal_pdf("1.0"), "x must be numeric"),
    (lambda: mle.log_likelihood([0.1, 0.2], 0.0), "sigma must be > 0"),
    (lambda: mle.log_likelihood([], 1.0), "resid is empty"),
    (lambda: mle.log_likelihood([0.1, np.nan], 1.0), "resid contains 1 NaN"),
    (lambda: mle.negative_log_likelihood(THETA_OK[:3], X_OK, Y_OK), "params has 3 values but X has 3"),
    (lambda: mle.negative_log_likelihood(THETA_OK, X_OK, Y_OK[:-1]), "X has 20 rows but y has 19 values"),
    (lambda: mle.negative_log_likelihood(with_value(THETA_OK, -800.0), X_OK, Y_OK), "sigma"),
    (lambda: mle.negative_log_likelihood_gradient(THETA_OK, X_OK, Y_OK[:-1]), "X has 20 rows"),
    (lambda: mle.negative_log_likelihood_hessian([1.0], X_OK, Y_OK), "params has 1 values"),
    (lambda: mle.fit_linear(X_OK, Y_OK[:-1]), "X has 20 rows but y has 19 values"),
    (lambda: mle.fit_linear(X_OK, with_value(Y_OK, np.nan)), "y contains 1 NaN"),
    (lambda: mle.fit_linear(X_OK, with_value(Y_OK, np.inf)), "y contains 1 NaN or infinite"),
    (lambda: mle.fit_linear(with_value(X_OK, -np.inf, (0, 2)), Y_OK), "X contains 1 NaN or infinite"),
    (lambda: mle.fit_linear(X_OK[:3], Y_OK[:3]), "X has 3 rows but the model has 4 parameters"),
    (lambda: mle.fit_linear(X_OK[:2], Y_OK[:2]), "X has 2 rows but the model has 4 parameters"),
    (lambda: mle.fit_linear(X_OK.astype(str), Y_OK), "X must be numeric"),
    (lambda: mle.fit_linear(X_OK, Y_OK.astype(object)), "y must be numeric"),
    (lambda: mle.fit_linear(X_OK, Y_OK.reshape(-1, 1)), "y must be a 1-D array"),
    (lambda: mle.fit_linear([[1.0, 2.0], [3.0]], [1.0, 2.0]), "X could not be read as an array"),
    (lambda: mle.fit_linear(X_OK, Y_OK, method="newton"), "method must be one of"),
    (lambda: mle.fit_linear(X_OK, Y_OK, method="BFGS", start=[0.0, 0.0, 0.0, 0.0]), "start[-1] is sigma"),
    (lambda: mle.fit_linear(X_OK, Y_OK, method="Nelder-Mead", start=[0.0, 0.0, 0.0, -1.0]), "must be > 0"),
    (lambda: mle.fit_linear(X_OK, Y_OK, method="BFGS", start=[0.0, 1.0]), "start has 2 values"),
    (lambda: mle.fit_linear(X_OK, X_OK @ [1.0, 2.0, 3.0]), "fitted exactly"),
    (lambda: mle.fit_linear(np.column_stack([X_OK, X_OK[:, 2]]), Y_OK), "rank deficient: column"),
    (lambda: mle.starting_values(X_OK, Y_OK, beta=[1.0]), "beta has 1 values but X has 3 columns"),
    (lambda: mle.starting_values(X_OK, X_OK @ [1.0, 2.0, 3.0], beta=[1.0, 2.0, 3.0]), "sigma would be 0"),
    (lambda: mle.simulate_linear(0, [1.0], 1.0), "n must be a positive integer"),
    (lambda: mle.simulate_linear(10.5, [1.0], 1.0), "n must be a positive integer"),
    (lambda: mle.simulate_linear(10, [1.0], 0.0), "sigma must be > 0"),
    (lambda: mle.simulate_linear(10, [[1.0]], 1.0), "beta must be a 1-D array"),
]


@pytest.mark.parametrize("call, words", CASES, ids=[c[1][:40] for c in CASES])
def test_bad_input_is_a_clear_value_error(call, words):
    with pytest.raises(ValueError) as info:
        call()
    assert words in str(info.value)


def test_integers_and_booleans_are_numbers():
    X = np.column_stack([np.ones(6, dtype=int), [0, 1, 2, 3, 4, 5]])
    y = np.array([1, 3, 2, 5, 4, 6])
    assert mle.fit_linear(X, y).converged
    assert mle.predict(X.astype(bool), [1.0, 1.0]).dtype == np.float64
