# ruff: noqa: E501  (the tables of cases read better one case per line, as in test_bad_input.py)
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
    fit = (
        FITTERS[family](dask_array.from_array(Xd, chunks=50), dask_array.from_array(y, chunks=50))
        if dask
        else FITTERS[family](Xd, y)
    )
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
    assert abs(shifted.params[0] + c * shifted.params[1] - fit.params[0]) <= 1e-4 * se[0] + 1e-14 * abs(
        c * fit.params[1]
    )
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
    np.testing.assert_allclose(
        scaled.params * scale, fit.params, rtol=1e-11, atol=1e-11 * np.max(np.abs(fit.params))
    )
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
        assert (
            rel(mle.wald_test(shifted, ["beta[1]"]).statistic, mle.wald_test(fit, ["beta[1]"]).statistic)
            < 1e-6
        )
        small, small_shifted = fitter(X[:, :2], y), fitter(X[:, :2] + shift[:2], y)
        score = mle.score_test(small, X).statistic
        assert rel(mle.score_test(small_shifted, X + shift).statistic, score) < 1e-6
        lr = mle.likelihood_ratio_test(small, fit).statistic
        assert rel(mle.likelihood_ratio_test(small_shifted, shifted).statistic, lr) < 1e-6


# --- bootstrap: the package's input rules ----------------------------------------------------------------
X_LIN, Y_LIN = mle.simulate_linear(40, [1.0, 2.0, -1.0], 1.0, seed=3)
LABELS = np.arange(40) * 3 + 100
X_FRAME = pd.DataFrame(X_LIN, columns=["one", "x", "z"], index=LABELS)
Y_SERIES = pd.Series(Y_LIN, index=LABELS)


@settings(max_examples=15, deadline=None)
@given(st.permutations(list(range(40))))
def test_bootstrap_pairs_a_frame_and_a_series_by_label(order):
    """A Series in another order is matched by label, as every fitter does: the same fit and the same
    resamples as with the rows in X's order (before: paired by position, another fit)."""
    aligned = mle.bootstrap(mle.fit_linear, X_FRAME, Y_SERIES, n_resamples=40, seed=5)
    shuffled = mle.bootstrap(mle.fit_linear, X_FRAME, Y_SERIES.iloc[list(order)], n_resamples=40, seed=5)
    assert np.array_equal(shuffled.estimate, mle.fit_linear(X_LIN, Y_LIN).params)
    assert np.array_equal(shuffled.replicates, aligned.replicates)
    assert np.array_equal(shuffled.interval, aligned.interval)


def test_bootstrap_keeps_names_and_takes_nullable_dtypes():
    boot = mle.bootstrap(mle.fit_linear, X_FRAME, Y_SERIES, n_resamples=40, seed=1)
    assert boot.param_names == ("one", "x", "z", "sigma")  # before: beta[0], beta[1], ...
    nullable = mle.bootstrap(mle.fit_linear, X_FRAME.astype("Float64"), Y_SERIES.astype("Float64"),
                             n_resamples=40, seed=1)  # fmt: skip
    assert np.array_equal(nullable.replicates, boot.replicates)  # before: "X must be numeric ... object"
    with pytest.raises(ValueError, match="labels"):
        mle.bootstrap(mle.fit_linear, X_FRAME, Y_SERIES.reset_index(drop=True))


def test_bootstrap_refuses_masked_values_and_dask_arrays():
    masked = np.ma.masked_array(Y_LIN, mask=np.arange(40) == 7)
    with pytest.raises(ValueError, match=r"data\[1\] is a masked array with 1 masked value"):
        mle.bootstrap(mle.fit_linear, X_LIN, masked)  # before: the mask was dropped and the value fitted
    nothing_masked = np.ma.masked_array(Y_LIN, mask=False)
    assert mle.bootstrap(mle.fit_linear, X_LIN, nothing_masked, n_resamples=40).n_failed == 0
    with pytest.raises(ValueError, match="Dask array: bootstrap resamples rows in memory"):
        mle.bootstrap(mle.fit_linear, dask_array.from_array(X_LIN, chunks=20), Y_LIN)
    # a fit over Dask: its model cannot draw new data in memory, and bootstrap says that (not "every
    # refit failed, leaving out the resamples where the MLE does not exist")
    chunked = mle.fit_linear(dask_array.from_array(X_LIN, chunks=20), dask_array.from_array(Y_LIN, chunks=20))
    for kind in ("nonparametric", "parametric"):
        with pytest.raises(ValueError, match=r"could not draw new data from fit\.model .*Dask row chunks"):
            mle.bootstrap(chunked, kind=kind, n_resamples=40)


def test_bootstrap_refuses_one_resample_and_flags_intervals_it_cannot_resolve():
    with pytest.raises(ValueError, match="n_resamples must be at least 2"):
        mle.bootstrap(mle.fit_linear, X_LIN, Y_LIN, n_resamples=1)  # before: a one-point interval
    for method in ("percentile", "basic", "BCa"):
        with pytest.warns(mle.ConvergenceWarning, match="not resolved: fewer than one replicate"):
            mle.bootstrap(mle.fit_linear, X_LIN, Y_LIN, n_resamples=2, method=method)
    with warnings.catch_warnings():  # enough for a 50% interval, and for a 95% one at 40
        warnings.simplefilter("error")
        mle.bootstrap(mle.fit_linear, X_LIN, Y_LIN, n_resamples=4, level=0.5)
        mle.bootstrap(mle.fit_linear, X_LIN, Y_LIN, n_resamples=40)


def test_bootstrap_flags_a_bca_interval_that_is_nan():
    """BCa's bias correction is infinite when every replicate falls on one side of the estimate:
    flagged, the NaN kept (before: a NaN interval without a word). Here all four replicates of
    beta[2] fall below it (enough resamples for a 50% interval, too few for BCa)."""
    with pytest.warns(
        mle.ConvergenceWarning, match=r"\['beta\[2\]'\] is NaN: BCa's bias correction is infinite"
    ):
        boot = mle.bootstrap(mle.fit_linear, X_LIN, Y_LIN, n_resamples=4, level=0.5, method="BCa", seed=0)
    assert np.all(boot.replicates[:, 2] < boot.estimate[2]) and np.all(np.isnan(boot.interval[2]))


@pytest.mark.parametrize("seed", [-1, 1.5, "a", [1, -2], np.float64(3.0), True])
def test_bootstrap_refuses_a_seed_numpy_would_not_take(seed):
    with pytest.raises(ValueError, match="seed must"):
        mle.bootstrap(mle.fit_linear, X_LIN, Y_LIN, n_resamples=40, seed=seed)


def test_bootstrap_takes_every_seed_numpy_takes():
    for seed in (None, 3, [1, 2], np.random.SeedSequence(4), np.random.PCG64(5), np.random.default_rng(6)):
        assert mle.bootstrap(mle.fit_linear, X_LIN, Y_LIN, n_resamples=40, seed=seed).n_failed == 0


def test_bootstrap_stops_on_an_unexpected_refit_error_naming_the_resample():
    calls = {"n": 0}

    def fitter(X, y):
        calls["n"] += 1
        if calls["n"] == 5:
            raise KeyError("boom")
        return mle.fit_linear(X, y)

    with pytest.raises(ValueError, match=r"the refit of resample 4 of 40 raised KeyError: 'boom'"):
        mle.bootstrap(fitter, X_LIN, Y_LIN, n_resamples=40)
    calls["n"] = 0

    def with_a_bad_function(X, y):  # the user's function fails on one resample: not a failed refit
        calls["n"] += 1
        bad = calls["n"] == 3
        return mle.fit_mle(lambda t: 1 / 0 if bad else 0.5 * np.sum((y - t[0]) ** 2), [0.0])

    with pytest.raises(
        ValueError, match=r"on resample 2 of 40: negative_log_likelihood\(theta\) raised ZeroDivision"
    ):
        mle.bootstrap(with_a_bad_function, X_LIN, Y_LIN, n_resamples=40)


# --- robust(groups=...) --------------------------------------------------------------------------------
CLUSTERS = np.repeat([1, 2, 3, 4, 5], 8)


@pytest.mark.parametrize(
    "groups, words",
    [
        (np.array([*["a"] * 39, None], dtype=object), "1 missing label"),
        (np.array([*[1.0] * 20, *[2.0] * 19, np.nan], dtype=object), "1 missing label"),
        (np.array([*[1.0] * 20, *[2.0] * 19, np.nan]), "1 NaN or infinite label"),
        (np.ma.masked_array(CLUSTERS, mask=np.arange(40) == 3), "groups is a masked array with 1 masked"),
        (pd.Series(CLUSTERS, dtype="Int64").where(np.arange(40) != 2), "1 missing label"),
        (np.array([*["a"] * 20, *[("b",)] * 20], dtype=object), "numbers or strings"),
    ],
)
def test_robust_refuses_missing_cluster_labels(groups, words):
    """Before: None, NaN and masked labels each became a cluster of their own."""
    with pytest.raises(ValueError, match=words):
        mle.fit_linear(X_LIN, Y_LIN).robust(groups=groups)


@settings(max_examples=15, deadline=None)
@given(st.permutations(list(range(40))))
def test_robust_matches_a_groups_series_to_the_fit_by_label(order):
    fit = mle.fit_linear(X_FRAME, Y_SERIES)
    groups = pd.Series(CLUSTERS[::-1] * 7 % 5, index=LABELS)
    expected = mle.fit_linear(X_LIN, Y_LIN).robust(groups=groups.to_numpy())
    matched = fit.robust(groups=groups.iloc[list(order)])
    assert np.array_equal(matched.cov, expected.cov)


def test_robust_groups_series_other_labels_unknown_labels_and_positions():
    fit = mle.fit_linear(X_FRAME, Y_SERIES)
    with pytest.raises(
        ValueError, match="groups is a pandas object whose index labels are not the rows of the fit"
    ):
        fit.robust(groups=pd.Series(CLUSTERS))
    # a fit to arrays pairs a Series by position, as every function does
    by_position = mle.fit_linear(X_LIN, Y_LIN).robust(groups=pd.Series(CLUSTERS, index=LABELS[::-1]))
    assert np.array_equal(by_position.cov, mle.fit_linear(X_LIN, Y_LIN).robust(groups=CLUSTERS).cov)
    # a model that does not keep its row labels refuses a labelled Series, takes one indexed 0..n-1
    nll = lambda t: 0.5 * np.sum((Y_LIN - t[0]) ** 2)  # noqa: E731
    fit_fn = mle.fit_mle(nll, [0.0], loglik_obs=lambda t: -0.5 * (Y_LIN - t[0]) ** 2)
    with pytest.raises(ValueError, match="does not keep the labels of its data"):
        fit_fn.robust(groups=pd.Series(CLUSTERS, index=LABELS))
    assert np.isfinite(fit_fn.robust(groups=pd.Series(CLUSTERS)).stderr).all()
    # every model that keeps labels matches them: the GLMs, Student t, nonlinear regression
    for fitted in (mle.fit_poisson(X_FRAME, pd.Series(np.round(np.abs(Y_LIN)), index=LABELS)),
                   mle.fit_student_t(X_FRAME, Y_SERIES, df=4.0)):  # fmt: skip
        shuffled = pd.Series(CLUSTERS, index=LABELS).iloc[::-1]
        assert np.array_equal(fitted.robust(groups=shuffled).cov, fitted.robust(groups=CLUSTERS).cov)


# --- wald_test ------------------------------------------------------------------------------------------
def test_wald_test_refuses_a_repeated_name():
    fit = mle.fit_linear(X_LIN, Y_LIN)
    with pytest.raises(ValueError, match=r"R names \['beta\[1\]'\] more than once"):
        mle.wald_test(fit, ["beta[1]", "beta[1]"])  # before: df 2 (or a singular R cov R')
    with pytest.raises(ValueError, match="row 1 of R is all zeros"):
        mle.wald_test(fit, np.array([[0.0, 1.0, 0.0, 0.0], [0.0, 0.0, 0.0, 0.0]]))


@settings(max_examples=40, deadline=None)
@given(st.lists(st.floats(-300.0, 300.0), min_size=2, max_size=2))
def test_wald_test_is_the_same_for_rows_of_r_and_q_scaled_alike(powers):
    """R theta = q and c R theta = c q are one hypothesis: the same statistic for c from 1e-300 to
    1e300 (before: refused as "not positive definite" at 1e-300 and 1e200). To rounding for powers of
    ten (worst seen 4e-16 relative), exactly for powers of two."""
    fit = mle.fit_linear(X_LIN, Y_LIN)
    R = np.array([[0.0, 1.0, 0.0, 0.0], [0.0, 1.0, 1.0, 0.0]])
    q = np.array([2.0, 1.0])
    base = mle.wald_test(fit, R, q)
    c = 10.0 ** np.array(powers)
    scaled = mle.wald_test(fit, R * c[:, None], q * c)
    assert scaled.df == 2 and scaled.statistic == pytest.approx(base.statistic, rel=1e-12)
    two = np.ldexp(1.0, np.round(np.array(powers) * 3.3).astype(int))
    assert mle.wald_test(fit, R * two[:, None], q * two).statistic == base.statistic


# --- smaller kinds ---------------------------------------------------------------------------------------
def test_starting_values_of_data_far_from_one_have_a_finite_sigma():
    base = mle.starting_values(X_LIN, Y_LIN)
    for factor in (1e200, 1e-200, 1e300, 2.0**-1060):
        start = mle.starting_values(X_LIN, Y_LIN * factor)  # before: sigma = inf at 1e200
        assert np.isfinite(start[-1]) and start[-1] == pytest.approx(base[-1] * factor, rel=1e-12)
    with pytest.raises(ValueError, match="X @ beta overflows"):
        mle.starting_values(X_LIN, Y_LIN, [1e308, 1e308, 1e308])


class _OneElement(mle.Likelihood):
    """A log-likelihood that returns an array of one element: a shape, not a number."""

    param_names = ("mu",)

    def loglik_obs(self, params):
        return -0.5 * (Y_LIN - params[0]) ** 2

    def loglik(self, params):
        return np.array([np.sum(self.loglik_obs(params))])

    def start(self):
        return np.array([0.0])


def test_fit_mle_refuses_a_likelihood_that_returns_a_one_element_array():
    with pytest.raises(ValueError, match=r"must return a number, got an array of shape \(1,\)"):
        mle.fit_mle(lambda t: np.array([np.sum((Y_LIN - t[0]) ** 2)]), [0.0])  # before: fitted
    with pytest.raises(ValueError, match=r"_OneElement.loglik\(params\) must return a single number"):
        mle.fit_mle(_OneElement())  # before: TypeError "only 0-dimensional arrays ..."


SCALES = [1e300, 1e200, 1e-300, 2.0**-1062, 1.0]


@pytest.mark.parametrize("scale_x", SCALES)
@pytest.mark.parametrize("scale_y", SCALES)
def test_fit_linear_over_dask_does_what_the_in_memory_path_does(scale_x, scale_y):
    """The same estimates, or the same error, in memory and over Dask row chunks, for data scaled
    by 1e-300 to 1e300 and subnormal (before: subnormal columns gave TypeError or NaN over Dask, inf
    coefficients in memory)."""
    X, y = X_LIN * scale_x, Y_LIN * scale_y

    def outcome(A, b):
        try:
            return mle.fit_linear(A, b).params
        except ValueError as err:
            return str(err)

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", mle.ExactFitWarning)  # y at 2**-1062 is fitted "exactly"
        memory = outcome(X, y)
        chunked = outcome(dask_array.from_array(X, chunks=15), dask_array.from_array(y, chunks=15))
    if isinstance(memory, str):
        assert chunked == memory and "beyond the largest float64" in memory
    else:
        np.testing.assert_allclose(chunked, memory, rtol=1e-9)


@pytest.mark.parametrize("fitter", [mle.fit_linear, mle.fit_logistic, mle.fit_poisson])
def test_masked_dask_arrays_are_refused(fitter):
    y = (Y_LIN > 1).astype(float) if fitter is mle.fit_logistic else np.round(np.abs(Y_LIN))
    X = np.ma.masked_array(X_LIN, mask=np.zeros_like(X_LIN, dtype=bool))
    with pytest.raises(ValueError, match="X is a masked Dask array"):  # before: a broadcast error in numpy
        fitter(dask_array.from_array(X, chunks=20, asarray=False), dask_array.from_array(y, chunks=20))


@settings(max_examples=20, deadline=None)
@given(st.sampled_from(["BFGS", "Nelder-Mead"]), st.integers(150, 300), st.booleans(), st.integers(0, 2))
def test_fit_linear_optimizers_land_on_the_answer_or_say_so(method, power, small, column):
    """At column scales 1e+-150 to 1e+-300: converged means within 1e-6 of the exact solution,
    relative to max(|parameter|, its scale), which is what the package's convergence test promises;
    otherwise a ConvergenceWarning and converged=False. Worst seen among converged fits 1.0e-6 (the
    test itself); no numpy warning on the way."""
    factor = 10.0 ** (-power if small else power)
    X = X_LIN.copy()
    X[:, column] *= factor
    exact = mle.fit_linear(X, Y_LIN)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fit = mle.fit_linear(X, Y_LIN, method=method)
    assert not any(issubclass(w.category, RuntimeWarning) for w in caught)
    if fit.converged:
        unit = np.ones(4)
        unit[column] = 1 / factor
        error = np.abs(fit.params - exact.params) / np.maximum(np.abs(exact.params), unit)
        assert np.max(error) < 4e-6
    else:
        assert any(issubclass(w.category, mle.ConvergenceWarning) for w in caught)


@pytest.mark.parametrize("method", ["BFGS", "Nelder-Mead"])
@pytest.mark.parametrize(
    "start, words",
    [
        ([1e300, 0, 0, 1.0], "overflows"),
        ([1e200, 1e200, 1e200, 1.0], "overflows"),
        ([0, 0, 0, 1e-300], "overflows"),
        ([1e308, 1e308, 1e308, 1.0], "X @ start"),
        ([0, 0, 0, 1e300], None),
    ],
)
def test_fit_linear_optimizers_from_extreme_starts(method, start, words):
    """A start where the likelihood overflows is a clear error; a finite but absurd one ends in a
    flagged result or the answer; never a numpy warning (before: RuntimeWarnings and "choose a start
    where the likelihood is positive")."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        if words is not None:
            with pytest.raises(ValueError, match=words):
                mle.fit_linear(X_LIN, Y_LIN, method=method, start=start)
        else:
            fit = mle.fit_linear(X_LIN, Y_LIN, method=method, start=start)
            if fit.converged:
                np.testing.assert_allclose(fit.params, mle.fit_linear(X_LIN, Y_LIN).params, rtol=1e-5)
            else:
                assert any(issubclass(w.category, mle.ConvergenceWarning) for w in caught)
    assert not any(issubclass(w.category, RuntimeWarning) for w in caught)


# --- score_test ------------------------------------------------------------------------------------------
def test_score_test_matches_a_fuller_design_by_label():
    restricted = mle.fit_linear(X_FRAME[["one", "x"]], Y_SERIES)
    extra = pd.Series(np.random.default_rng(4).standard_normal(40), index=LABELS, name="w")
    full = pd.concat([X_FRAME, extra], axis=1)
    expected = mle.score_test(restricted, full)
    order = np.random.default_rng(5).permutation(40)
    shuffled = mle.score_test(restricted, full.iloc[order])  # before: "not nested"
    assert shuffled.statistic == expected.statistic and shuffled.df == 2
    with pytest.raises(ValueError, match="X_full is a pandas object whose index labels are not the rows"):
        mle.score_test(restricted, full.reset_index(drop=True))
    groups = pd.Series(CLUSTERS, index=LABELS)
    robust = mle.score_test(restricted, full, groups=groups)
    assert mle.score_test(restricted, full, groups=groups.iloc[order]).statistic == robust.statistic


@pytest.mark.parametrize("power", [300, -300, 150, -150])
@pytest.mark.parametrize("fitter", [mle.fit_linear, mle.fit_logistic, mle.fit_poisson, mle.fit_student_t])
def test_score_test_of_a_column_far_from_one(power, fitter):
    """The score statistic does not depend on the units of the added column (before: "X_full is rank
    deficient" at 1e+-300). Worst seen 3e-15 relative; floor 1e-10."""
    y = {mle.fit_logistic: (Y_LIN > 1).astype(float), mle.fit_poisson: np.round(np.abs(Y_LIN))}.get(
        fitter, Y_LIN
    )
    w = np.random.default_rng(6).standard_normal(40)
    restricted = fitter(X_LIN, y, df=4.0) if fitter is mle.fit_student_t else fitter(X_LIN, y)
    at_one = mle.score_test(restricted, np.column_stack([X_LIN, w]))
    far = mle.score_test(restricted, np.column_stack([X_LIN, w * 10.0**power]))
    assert far.statistic == pytest.approx(at_one.statistic, rel=1e-10)


# --- the user's functions ----------------------------------------------------------------------------------
def _nll(t):
    return 0.5 * float(np.sum((Y_LIN - t[0]) ** 2))


@pytest.mark.parametrize(
    "kwargs, words",
    [
        ({"negative_log_likelihood": lambda t: 1 / 0}, r"negative_log_likelihood\(theta\) raised ZeroDivisionError: division by zero, at start \(theta = \[0\.\]\)"),
        ({"negative_log_likelihood": lambda t: _nll(t) if t[0] < 0.5 else {}["k"]}, r"raised KeyError: 'k', during the fit \(theta = \["),
        ({"negative_log_likelihood": lambda t: _nll(t) + (1j if t[0] > 0.5 else 0)}, r"negative_log_likelihood\(theta\) returned the complex number .*, during the fit"),
        ({"negative_log_likelihood": _nll, "gradient": lambda t: -np.array([np.sum(Y_LIN - t[0])]) if t[0] < 0.5 else np.zeros(2)},
         r"gradient\(theta\) returned shape \(2,\), .* during the fit"),
        ({"negative_log_likelihood": _nll, "loglik_obs": lambda t: -0.5 * (Y_LIN - t[0]) ** 2 if t[0] < 0.5 else np.zeros(39)},
         r"loglik_obs\(theta\) returned shape \(39,\); it must return n = 40 values"),
    ],
)  # fmt: skip
def test_fit_mle_says_which_call_of_the_users_function_failed(kwargs, words):
    nll = kwargs.pop("negative_log_likelihood")
    with pytest.raises(ValueError, match=words) as info:
        fit = mle.fit_mle(nll, [0.0], **kwargs)
        fit.robust()  # loglik_obs is called after the fit too
    assert isinstance(info.value, CallbackError)


def test_a_likelihood_of_ones_own_that_raises_is_named():
    class Fails(_OneElement):
        def loglik(self, params):
            if params[0] > 0.5:
                raise RuntimeError("model bug")
            return float(np.sum(self.loglik_obs(params)))

    with pytest.raises(
        ValueError, match=r"Fails.loglik\(params\) raised RuntimeError: model bug, during the fit"
    ):
        mle.fit_mle(Fails())


XN = np.linspace(0, 3, 40)
YN = 2 * np.exp(-0.7 * XN) + 0.05 * np.random.default_rng(0).standard_normal(40)


def _expo(x, b):
    return b[0] * np.exp(b[1] * x)


@pytest.mark.parametrize(
    "model, jac, words",
    [
        (lambda x, b: _expo(x, b) if b[1] > -0.3 else {}["k"], None, r"model\(x, beta\) raised KeyError: 'k', during the fit \(beta = "),
        (lambda x, b: 1 / 0, None, r"model\(x, beta\) raised ZeroDivisionError: division by zero .*at start"),
        (lambda x, b: _expo(x, b) + (0 if b[1] > -0.3 else 1j), None, r"model\(x, beta\) returned complex values; the model must be real, during the fit"),
        (lambda x, b: _expo(x, b) if b[1] > -0.3 else _expo(x, b)[:-1], None, r"model\(x, beta\) returned shape \(39,\), but y has 40 values, during the fit"),
        (_expo, lambda x, b: np.column_stack([np.exp(b[1] * x), b[0] * x * np.exp(b[1] * x)]) if b[1] > -0.3 else np.ones((3, 2)),
         r"jac\(x, beta\) returned shape \(3, 2\), but \(n, p\) is \(40, 2\), during the fit"),
    ],
)  # fmt: skip
def test_fit_nonlinear_says_which_call_of_the_users_function_failed(model, jac, words):
    """Before: the raw error of the function (or a broadcast error inside SciPy), no call named."""
    with pytest.raises(ValueError, match=words):
        mle.fit_nonlinear(model, XN, YN, [1.0, 0.0], jac=jac)


def test_fit_survival_names_dist_when_it_is_a_list():
    """Issue 19 saw "unhashable type"; already a clear error on this branch."""
    gehan = mle.load_dataset("gehan")
    with pytest.raises(ValueError, match=r"dist must be one of .*got \['weibull'\]"):
        mle.fit_survival(gehan["time"], gehan["event"], dist=["weibull"])
