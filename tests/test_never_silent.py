"""Issue 19, "never silent, round two": each kind of bad or edge input ends in a clear error naming
the argument, a warning with a flagged result, or the right answer (checked against an oracle).

GLMs with an uncentred or nearly collinear covariate are checked against the maximum of the
log-likelihood of the stored data found by Newton's method in 40-digit arithmetic (mpmath), and
for equivariance under shifts and scalings of a column (hypothesis); the bootstrap and cluster-robust
errors for label alignment (hypothesis); the rest case by case.
"""

import warnings

import mpmath
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import mle_tutorial as mle
from mle_tutorial._engine.objectives import CallbackError

dask_array = pytest.importorskip("dask.array")


# --- GLMs: an uncentred covariate, nearly collinear columns -------------------------------------------
def glm_data(seed, n=150):
    rng = np.random.default_rng(seed)
    x, z = rng.standard_normal(n), rng.standard_normal(n)
    X = np.column_stack([np.ones(n), x, z])
    y01 = (rng.random(n) < 1 / (1 + np.exp(-(0.3 + 0.8 * x - 0.5 * z)))).astype(float)
    counts = rng.poisson(np.exp(0.3 + 0.5 * x - 0.4 * z)).astype(float)
    return X, y01, counts


FITTERS = {"logistic": mle.fit_logistic, "poisson": mle.fit_poisson}


def mp_loglik(X, y, beta, family):
    """The log-likelihood of the stored data at ``beta`` in 40 digits (the Poisson without log y!),
    with its gradient and Hessian."""
    p = len(beta)
    ll, g, H = mpmath.mpf(0), [mpmath.mpf(0)] * p, mpmath.zeros(p, p)
    for row, yi in zip(X, y, strict=True):
        xs = [mpmath.mpf(float(v)) for v in row]
        eta = mpmath.fsum(a * b for a, b in zip(xs, beta, strict=True))
        if family == "logistic":
            mu = 1 / (1 + mpmath.exp(-eta))
            ll += yi * eta - mpmath.log(1 + mpmath.exp(eta))
            w = mu * (1 - mu)
        else:
            mu = mpmath.exp(eta)
            ll += yi * eta - mu
            w = mu
        for j in range(p):
            g[j] += xs[j] * (yi - mu)
            for k in range(p):
                H[j, k] += w * xs[j] * xs[k]
    return ll, mpmath.matrix(g), H


def gap_to_maximum(X, y, family, beta, start):
    """The true maximum of the stored data's log-likelihood minus its value at ``beta`` (Newton in
    40 digits from ``start``)."""
    with mpmath.workdps(40):
        b = [mpmath.mpf(float(v)) for v in start]
        for _ in range(40):
            _, g, H = mp_loglik(X, y, b, family)
            step = mpmath.lu_solve(H, g)
            b = [b[j] + step[j] for j in range(len(b))]
            if mpmath.fsum(g[j] * step[j] for j in range(len(b))) < mpmath.mpf(10) ** -30:
                break
        top = mp_loglik(X, y, b, family)[0]
        at = mp_loglik(X, y, [mpmath.mpf(float(v)) for v in beta], family)[0]
        return float(top - at)


DESIGNS = {
    "X + [0, 1e8, 0]": lambda X: X + np.array([0.0, 1e8, 0.0]),
    "[1, x, 1e6 + x + 0.01 z]": lambda X: np.column_stack([X[:, :2], 1e6 + X[:, 1] + 0.01 * X[:, 2]]),
}


@pytest.mark.parametrize("family", FITTERS)
@pytest.mark.parametrize("design", DESIGNS)
@pytest.mark.parametrize("dask", [False, True])
def test_glm_with_an_uncentred_or_collinear_covariate_reaches_the_maximum(family, design, dask):
    """Before: log-likelihood 1e-2 to 70 below the maximum (n = 500), converged=True. After: at the
    maximum to the rounding level. Worst seen 6e-15 (n = 150 and 500, memory and Dask); floor 1e-9."""
    X, y01, counts = glm_data(1)
    y = y01 if family == "logistic" else counts
    Xd = DESIGNS[design](X)
    fit = FITTERS[family](dask_array.from_array(Xd, chunks=50), dask_array.from_array(y, chunks=50)) if dask else FITTERS[family](Xd, y)
    assert fit.converged
    ordinary = FITTERS[family](X, y)
    start = np.linalg.lstsq(Xd, X @ ordinary.params, rcond=None)[0]  # where the oracle starts
    assert gap_to_maximum(Xd, y, family, fit.params, start) < 1e-9


def exact_data(seed, n=120):
    """A design whose covariate has at most 20 binary digits after the point, so that x + c is exact
    for any integer |c| < 2**32: the shifted design spans exactly the same models."""
    X, y01, counts = glm_data(seed, n)
    X[:, 1] = np.round(X[:, 1] * 2.0**20) / 2.0**20
    return X, y01, counts


@settings(max_examples=25, deadline=None)
@given(st.integers(0, 10_000), st.sampled_from(list(FITTERS)), st.integers(1, 2**32 - 1), st.booleans())
def test_glm_is_equivariant_under_a_shift_of_a_column(seed, family, shift, negative):
    """beta_1 does not change and beta_0 takes -c beta_1 when a constant c is added to column 1
    (the intercept absorbs it), for shifts up to 4e9; the slope's standard error does not change.
    Worst seen over 150 random examples: slope 2e-6 se, standard error 3e-7 relative,
    log-likelihood 3e-8 relative (the rounding of eta = x'beta, which cancels c beta_1); floors 30x
    above."""
    c = float(-shift if negative else shift)
    X, y01, counts = exact_data(seed)
    y = y01 if family == "logistic" else counts
    fit, shifted = FITTERS[family](X, y), FITTERS[family](X + np.array([0.0, c, 0.0]), y)
    assert shifted.converged
    se = fit.stderr
    assert np.all(np.abs(shifted.params[1:] - fit.params[1:]) <= 1e-4 * se[1:])
    assert abs(shifted.params[0] + c * shifted.params[1] - fit.params[0]) <= 1e-4 * se[0] + 1e-14 * abs(c * fit.params[1])
    assert np.all(np.abs(shifted.stderr[1:] / se[1:] - 1) <= 1e-5)
    assert shifted.loglik == pytest.approx(fit.loglik, rel=1e-6)


@settings(max_examples=25, deadline=None)
@given(st.integers(0, 10_000), st.sampled_from(list(FITTERS)), st.floats(-300.0, 300.0))
def test_glm_is_equivariant_under_a_scaling_of_a_column(seed, family, power):
    """Column 1 times 10**power: its coefficient and standard error divided by the factor, the
    others and the log-likelihood unchanged, to rounding (worst seen 1e-15 relative over 150 random
    examples; floor 1e-11)."""
    X, y01, counts = glm_data(seed, 120)
    y = y01 if family == "logistic" else counts
    factor = 10.0**power
    scale = np.array([1.0, factor, 1.0])
    fit, scaled = FITTERS[family](X, y), FITTERS[family](X * scale, y)
    np.testing.assert_allclose(scaled.params * scale, fit.params, rtol=1e-11, atol=1e-11 * np.max(np.abs(fit.params)))
    np.testing.assert_allclose(scaled.stderr * scale, fit.stderr, rtol=1e-11)
    assert scaled.loglik == pytest.approx(fit.loglik, rel=1e-12)


@pytest.mark.parametrize("family", FITTERS)
def test_inference_after_an_uncentred_glm_fit_is_that_of_the_centred_one(family):
    """Robust and profile intervals, Wald, score and likelihood-ratio tests of the slope: the same
    on the shifted design as on the centred one. Before: robust standard errors off by 3e-3 to 1e2
    (relative) at 1e8, profile intervals a raw brentq error, the score test "not nested". Worst seen
    2e-9 (the score statistic at 1e8); floor 1e-6."""
    X, y01, counts = exact_data(7, 300)
    y = y01 if family == "logistic" else counts
    fitter = FITTERS[family]
    for c in (1e6, 1e8):
        shift = np.array([0.0, c, 0.0])
        fit, shifted = fitter(X, y), fitter(X + shift, y)
        rel = lambda a, b: np.max(np.abs(np.asarray(a) / np.asarray(b) - 1))  # noqa: E731
        assert rel(shifted.robust().stderr[1:], fit.robust().stderr[1:]) < 1e-6
        assert rel(shifted.conf_int(method="profile")[1:], fit.conf_int(method="profile")[1:]) < 1e-6
        assert rel(mle.wald_test(shifted, ["beta[1]"]).statistic, mle.wald_test(fit, ["beta[1]"]).statistic) < 1e-6
        small, small_shifted = fitter(X[:, :2], y), fitter(X[:, :2] + shift[:2], y)
        score = mle.score_test(small, X).statistic
        assert rel(mle.score_test(small_shifted, X + shift).statistic, score) < 1e-6
        lr = mle.likelihood_ratio_test(small, fit).statistic
        assert rel(mle.likelihood_ratio_test(small_shifted, shifted).statistic, lr) < 1e-6
