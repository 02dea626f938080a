"""The censored and truncated fitters against their oracles, and their derivatives against differences.

Oracles: R's ``survival::survreg`` (``tests/data/survreg_reference.json``, written by
``survreg_reference.R``; R is not needed here), the 50-digit mpmath maximization of the truncated normal
regression (``truncreg_reference.json``), closed forms (the exponential MLE with censoring is
events / total time; the intercept-only Weibull's shape solves one equation), and mpmath for the tail
probabilities. ``test_survival_reference.py`` checks the stored references themselves.

Floors are in correct significant digits (``-log10`` of the largest relative error; for estimates
the error is relative to ``max(|reference|, 1)``, i.e. absolute for values near 0). The issue asks for
1e-6 in estimates, 1e-5 in standard errors and 1e-10 in the log-likelihood; the floors below are
set from the worst value seen over every configuration of ``../shared/tools/portability-check``.
"""

from __future__ import annotations

import pickle
import warnings

import mpmath
import numpy as np
import pytest
import scipy.optimize
import scipy.stats as st
from conftest import correct_digits
from hypothesis import example, given, settings
from hypothesis import strategies as hs
from test_survival_reference import CASES, EXACT, INTERVAL, LEFT, RIGHT, TRUNC, design, read_csv, response

import mle_tutorial as mle
from mle_tutorial import censored
from mle_tutorial._engine import numdiff

STANDARD = {"normal": censored.NORMAL, "extreme": censored.EXTREME, "logistic": censored.LOGISTIC_W}

SURVREG = sorted(
    name for name, case in CASES.items() if case["dist"] not in ("gaussian", "truncated gaussian")
)
TOBIT = {"tobit_left": ("y_left", np.inf), "tobit_two_limit": ("y_two", 2.5)}

# Floors, in correct digits. Worst seen over the seven configurations of the portability check
# (survreg; truncated normal against mpmath), since the censored fitters scale X and y by powers of
# two: estimates 14.8 (15.0), standard errors 13.1 (14.5), log-likelihood 15.0 (15.5). Both sides
# polish the same maximum to the rounding level (survreg's rel.tolerance is 1e-13; here Newton steps
# until a step moves no parameter by 1e-15). The floors sit 1.8 to 2 digits below the worst seen (1.1
# for the standard errors), and far above what the issue asks for (6, 5 and 10 digits).
ESTIMATE_DIGITS = 13
STDERR_DIGITS = 12
LOGLIK_DIGITS = 13


def fit_case(name):
    """Our fit of a stored survreg case, with the reference (estimates, standard errors) on our scale."""
    ref = CASES[name]
    data = read_csv(ref["input"])
    X = design(ref, data)
    if name in TOBIT:
        column, upper = TOBIT[name]
        fit = mle.fit_tobit(X, data[column], lower=0.0, upper=upper)
    else:
        t1, t2, status = response(ref, data)
        if ref["censoring"] == "interval2":
            lower = np.where(status == LEFT, 0.0, t1)
            upper = np.where(status == RIGHT, np.inf, t2)
            fit = mle.fit_interval_censored(lower, upper, X, dist=ref["dist"])
        else:
            fit = mle.fit_survival(t1, status == EXACT, X, dist=ref["dist"], censoring=ref["censoring"])
    estimate = np.array(ref["coefficients"] + ([] if ref["scale_fixed"] else [ref["scale"]]))
    se = np.sqrt(np.diag(ref["vcov"]))
    if not ref["scale_fixed"]:
        se[-1] *= ref["scale"]  # R's vcov is on log(sigma): the delta method puts it on sigma
    return fit, estimate, se


# ---- survreg, case by case ------------------------------------------------------------------------------


@pytest.mark.parametrize("name", SURVREG + sorted(TOBIT))
def test_matches_survreg(name):
    fit, estimate, se = fit_case(name)
    ref = CASES[name]
    assert fit.converged
    assert fit.param_names == tuple(
        [f"beta[{j}]" for j in range(len(ref["coefficients"]))] + ([] if ref["scale_fixed"] else ["sigma"])
    )
    assert correct_digits(fit.params, estimate, at_least=1.0) >= ESTIMATE_DIGITS
    assert correct_digits(fit.stderr, se) >= STDERR_DIGITS
    assert correct_digits(fit.loglik, ref["loglik"]) >= LOGLIK_DIGITS  # the time scale, as R's logLik
    assert fit.nobs == ref["n"]


def test_truncated_normal_matches_mpmath_and_r():
    data = read_csv("tests/data/truncreg.csv")
    X = np.column_stack([np.ones_like(data["y"]), data["x1"], data["x2"]])
    fit = mle.fit_truncated_normal(X, data["y"], lower=0.0)
    assert fit.converged
    estimate = np.array([float(mpmath.mpf(v)) for v in TRUNC["coefficients_50_digits"]] + [TRUNC["scale"]])
    se = np.sqrt(np.diag(TRUNC["vcov"]))
    se[-1] *= TRUNC["scale"]
    assert correct_digits(fit.params, estimate, at_least=1.0) >= ESTIMATE_DIGITS
    # the mpmath covariance is the inverse of a 50-digit Hessian, stored to double precision
    assert correct_digits(fit.stderr, se) >= STDERR_DIGITS
    assert correct_digits(fit.loglik, float(mpmath.mpf(TRUNC["loglik_50_digits"]))) >= LOGLIK_DIGITS
    r = CASES["truncreg_left"]
    assert correct_digits(fit.params[:3], r["coefficients"], at_least=1.0) >= ESTIMATE_DIGITS


def test_standard_errors_and_sigma_on_the_natural_scale():
    fit, *_ = fit_case("aft_weibull")
    theta = np.append(fit.beta, np.log(fit.sigma))
    data = censored_data("aft_weibull")
    H = censored.nll_hessian(theta, data)
    cov_log = np.linalg.inv(H)
    assert fit.stderr[-1] == pytest.approx(fit.sigma * np.sqrt(cov_log[-1, -1]), rel=1e-12)
    assert fit.bounded_at_zero == (False, False, False, False, True)
    text = str(fit.summary())
    assert text.splitlines()[-2].split()[0] == "sigma" and len(text.splitlines()[-2].split()) == 5  # no z, p


def censored_data(name):
    """The engine's data object for a survreg case (right censoring)."""
    ref = CASES[name]
    data = read_csv(ref["input"])
    t1, _, status = response(ref, data)
    y = np.log(t1)
    family, fixed = censored.SURVIVAL_DISTRIBUTIONS[ref["dist"]]
    upper = np.where(status == EXACT, y, np.inf)
    return censored.CensoredData(design(ref, data), y, upper, family, 0.0 if fixed else None, log_time=True)


# ---- closed forms ---------------------------------------------------------------------------------------


def test_exponential_closed_form_on_gehan():
    """Rate = events / total time, se(log rate) = 1 / sqrt(events), loglik = d (log(d / T) - 1)."""
    gehan = mle.load_dataset("gehan")
    time, event, group = gehan["time"], gehan["event"], gehan["group"]
    fit = mle.fit_survival(time, event, dist="exponential")
    d, total = event.sum(), time.sum()
    assert np.exp(-fit.params[0]) == pytest.approx(d / total, rel=1e-13)
    assert fit.stderr[0] == pytest.approx(1 / np.sqrt(d), rel=1e-12)
    assert fit.loglik == pytest.approx(d * (np.log(d / total) - 1), rel=1e-13)
    X = np.column_stack([np.ones(42), group])
    by_group = mle.fit_survival(time, event, X, dist="exponential")
    for g, intercept in ((0, by_group.params[0]), (1, by_group.params.sum())):
        mask = group == g
        assert intercept == pytest.approx(np.log(time[mask].sum() / event[mask].sum()), rel=1e-13)


def test_weibull_shape_solves_its_profile_equation():
    """Intercept-only Weibull: sum(t^k log t) / sum(t^k) - 1/k = mean(log t over the r events), and
    scale^k = sum(t^k) / r."""
    data = read_csv("tests/data/nist_weibull.csv")
    t, event = data["time"], data["event"]
    exact = event == 1

    def equation(k):
        w = t**k
        return np.sum(w * np.log(t)) / np.sum(w) - 1 / k - np.mean(np.log(t[exact]))

    k = scipy.optimize.brentq(equation, 0.5, 5.0, xtol=1e-15, rtol=1e-15)
    fit = mle.fit_survival(t, event)
    assert 1 / fit.sigma == pytest.approx(k, rel=1e-11)
    assert np.exp(fit.params[0]) == pytest.approx((np.sum(t**k) / exact.sum()) ** (1 / k), rel=1e-11)
    assert np.exp(fit.params[0]) == pytest.approx(606.5280, rel=1e-6)  # NIST e-Handbook 8.4.1.3


def test_lognormal_without_censoring_is_the_normal_mle_of_log_t():
    t = mle.load_dataset("strikes")["duration"]
    fit = mle.fit_survival(t, dist="lognormal")
    log_t = np.log(t)
    assert fit.params == pytest.approx([log_t.mean(), log_t.std()], rel=1e-12)
    assert fit.loglik == pytest.approx(
        np.sum(st.lognorm.logpdf(t, s=log_t.std(), scale=np.exp(log_t.mean())))
    )


# ---- equivalences and invariances -----------------------------------------------------------------------


def test_the_two_survival_functions_agree():
    ref = CASES["left_lognormal"]
    data = read_csv(ref["input"])
    X = design(ref, data)
    left = mle.fit_survival(data["time"], data["event"], X, dist="lognormal", censoring="left")
    lower = np.where(data["event"] == 1, data["time"], 0.0)
    as_interval = mle.fit_interval_censored(lower, data["time"], X, dist="lognormal")
    np.testing.assert_allclose(as_interval.params, left.params, rtol=1e-12)
    gehan = mle.load_dataset("gehan")
    right = mle.fit_survival(gehan["time"], gehan["event"])
    upper = np.where(gehan["event"] == 1, gehan["time"], np.inf)
    np.testing.assert_allclose(
        mle.fit_interval_censored(gehan["time"], upper).params, right.params, rtol=1e-12
    )


@pytest.mark.parametrize("dist", ["exponential", "weibull", "lognormal", "loglogistic"])
def test_changing_the_time_unit_shifts_the_intercept_only(dist):
    """Days instead of weeks: the intercept gains log 7, the loglik loses events * log 7 (the density
    of T is per unit of time), everything else is unchanged."""
    gehan = mle.load_dataset("gehan")
    X = np.column_stack([np.ones(42), gehan["group"]])
    weeks = mle.fit_survival(gehan["time"], gehan["event"], X, dist=dist)
    days = mle.fit_survival(7 * gehan["time"], gehan["event"], X, dist=dist)
    shift = np.zeros(weeks.k)
    shift[0] = np.log(7)
    np.testing.assert_allclose(days.params, weeks.params + shift, rtol=1e-11, atol=1e-12)
    np.testing.assert_allclose(days.stderr, weeks.stderr, rtol=1e-9)
    assert days.loglik == pytest.approx(weeks.loglik - gehan["event"].sum() * np.log(7), rel=1e-12)


def test_tobit_recovers_the_truth_where_ols_does_not():
    rng = np.random.default_rng(5)
    n = 20_000
    X = np.column_stack([np.ones(n), rng.normal(size=n)])
    y = np.maximum(X @ [0.3, 1.0] + rng.normal(size=n), 0.0)
    fit = mle.fit_tobit(X, y)
    assert np.all(np.abs(fit.params - [0.3, 1.0, 1.0]) < 4 * fit.stderr)
    ols = np.linalg.lstsq(X, y, rcond=None)[0]
    assert ols[1] < 0.8  # attenuated towards 0, far outside Tobit's interval


def test_truncated_regression_differs_from_ols_and_from_tobit():
    rng = np.random.default_rng(6)
    n = 20_000
    X = np.column_stack([np.ones(n), rng.normal(size=n)])
    y = X @ [0.3, 1.0] + rng.normal(size=n)
    keep = y > 0
    fit = mle.fit_truncated_normal(X[keep], y[keep], lower=0.0)
    assert np.all(np.abs(fit.params - [0.3, 1.0, 1.0]) < 4 * fit.stderr)
    assert np.linalg.lstsq(X[keep], y[keep], rcond=None)[0][1] < 0.8


# ---- derivatives: analytic against Richardson differences, on random data with every kind of row ---------


def random_data(seed, family, truncated):
    rng = np.random.default_rng(seed)
    n = 60
    X = np.column_stack([np.ones(n), rng.normal(size=n), rng.uniform(-1, 1, n)])
    y = X @ [0.5, 0.8, -0.4] + 0.7 * rng.normal(size=n)
    kind = rng.integers(0, 4, n)
    lower = np.where(kind == LEFT, -np.inf, y - np.where(kind == INTERVAL, rng.uniform(0.1, 1.0, n), 0.0))
    upper = np.where(kind == RIGHT, np.inf, y)
    lower[kind == EXACT] = upper[kind == EXACT] = y[kind == EXACT]
    truncation = (np.full(n, -3.0), np.full(n, 4.0)) if truncated else None
    if truncated:  # every observation inside the truncation limits, censored ones too
        lower, upper = np.clip(lower, -2.9, 3.9), np.clip(upper, -2.9, 3.9)
        lower[kind == LEFT], upper[kind == RIGHT] = -np.inf, np.inf
    return censored.CensoredData(X, lower, upper, STANDARD[family], truncation=truncation)


@settings(max_examples=30, deadline=None)
@given(
    seed=hs.integers(0, 10_000),
    family=hs.sampled_from(["normal", "extreme", "logistic"]),
    truncated=hs.booleans(),
    theta=hs.tuples(*[hs.floats(-1.0, 1.0)] * 3, hs.floats(-0.5, 0.7)),
)
@example(seed=1188, family="extreme", truncated=False, theta=(0.0, -0.984375, 0.0, 1e-06))  # see below
def test_analytic_derivatives_match_differences(seed, family, truncated, theta):
    """Within about a standard deviation of the data's own scale: much further out (sigma far too
    small) the extreme-value likelihood is exp(exp(.)) steep, and differences, not the analytic
    derivatives, lose their digits. The Hessian is checked against central differences of the
    analytic gradient (itself checked against differences of the NLL) at a step of 1e-5: on that
    steep likelihood the Richardson-extrapolated ``numdiff.hessian``, which starts from steps near
    1e-3, is off by up to 3e-6 relative (seed 1188, extreme, theta (0, -0.984375, 0, 1e-6)), where
    the step of 1e-5 is good to 1e-9."""
    data = random_data(seed, family, truncated)
    theta = np.array(theta)

    def f(t):
        return censored.nll(t, data)

    def g(t):
        return censored.nll_gradient(t, data)

    scale = max(1.0, abs(f(theta)))
    np.testing.assert_allclose(g(theta), numdiff.gradient(f, theta), rtol=1e-6, atol=1e-6 * scale)
    H = censored.nll_hessian(theta, data)
    steps = np.diag(1e-5 * np.maximum(1.0, np.abs(theta)))
    Hn = np.array([(g(theta + e) - g(theta - e)) / (2 * e.sum()) for e in steps])
    np.testing.assert_allclose(H, Hn, rtol=1e-6, atol=1e-6 * np.max(np.abs(H)))


def test_exponential_derivatives_have_no_sigma():
    data = censored_data("gehan_group_exponential")
    theta = np.array([2.0, 1.0])
    assert censored.nll_gradient(theta, data).shape == (2,)
    np.testing.assert_allclose(
        censored.nll_hessian(theta, data),
        numdiff.hessian(lambda t: censored.nll(t, data), theta, lambda t: censored.nll_gradient(t, data)),
        rtol=1e-7,
    )


# ---- the tails: stable log probabilities against mpmath --------------------------------------------------


def mp_cdf(family, w):
    w = mpmath.mpf(w)
    if family == "normal":
        return mpmath.ncdf(w)
    if family == "extreme":
        return -mpmath.expm1(-mpmath.exp(w))
    return 1 / (1 + mpmath.exp(-w))


@pytest.mark.parametrize("family", ["normal", "extreme", "logistic"])
@pytest.mark.parametrize(
    "lo, hi",
    [(-np.inf, -30.0), (-np.inf, -5.0), (-np.inf, 2.0), (1.5, np.inf), (3.0, np.inf), (-40.0, -39.0),
     (-2.0, -1.999), (0.3, 0.7), (1.0, 1.0 + 1e-9), (-1.0, 2.0)],
)  # fmt: skip
def test_log_probability_keeps_its_digits_in_the_tails(family, lo, hi):
    mpmath.mp.dps = 60
    upper = 1 if np.isposinf(hi) else mp_cdf(family, hi)
    lower = 0 if np.isneginf(lo) else mp_cdf(family, lo)
    exact = float(mpmath.log(upper - lower))
    got = float(censored.log_probability(STANDARD[family], np.array([lo]), np.array([hi]))[0])
    # (1.0, 1 + 1e-9): the interval's width is itself rounded, so 7 digits is what the data allow
    assert got == pytest.approx(exact, rel=1e-7 if hi - lo < 1e-6 else 1e-12)


def test_extreme_value_upper_tail():
    """Where S(w) = exp(-e^w) is tiny (exp(-148) at w = 5), as differences of survival probabilities."""
    mpmath.mp.dps = 60
    for lo, hi in [(1.5, 1.6), (2.0, np.inf), (3.0, 3.5), (5.0, 5.2)]:
        upper = 0 if np.isposinf(hi) else mpmath.exp(-mpmath.exp(hi))
        exact = float(mpmath.log(mpmath.exp(-mpmath.exp(lo)) - upper))
        got = float(censored.log_probability(censored.EXTREME, np.array([lo]), np.array([hi]))[0])
        assert got == pytest.approx(exact, rel=1e-12)


def test_log1mexp_on_both_sides():
    mpmath.mp.dps = 40
    for x in (-1e-20, -1e-8, -0.5, -np.log(2), -1.0, -40.0, -700.0):
        assert censored.log1mexp(np.array(x)) == pytest.approx(
            float(mpmath.log(1 - mpmath.exp(x))), rel=1e-14
        )


# ---- results: profiles, pickling, no finite MLE ------------------------------------------------------------


def test_profile_intervals_bracket_the_estimates_and_results_pickle():
    gehan = mle.load_dataset("gehan")
    X = np.column_stack([np.ones(42), gehan["group"]])
    fit = mle.fit_survival(gehan["time"], gehan["event"], X)
    profile = fit.conf_int(method="profile")
    wald = fit.conf_int()
    assert np.all(profile[:, 0] < fit.params) and np.all(fit.params < profile[:, 1])
    np.testing.assert_allclose(profile, wald, rtol=0.25)  # close to Wald, not equal
    assert profile[-1, 0] > 0  # sigma's interval stays positive
    back = pickle.loads(pickle.dumps(fit))
    assert back == fit
    np.testing.assert_array_equal(back.conf_int(method="profile"), profile)


def test_no_finite_mle_is_said():
    gehan = mle.load_dataset("gehan")
    time, event, group = gehan["time"], gehan["event"].copy(), gehan["group"]
    with pytest.raises(ValueError, match="every observation is censored"):
        mle.fit_survival(time, np.zeros(42))
    event[group == 1] = 0  # no event among the 6-MP patients: their coefficient runs off
    with pytest.warns(mle.ConvergenceWarning, match="may not exist"):
        fit = mle.fit_survival(time, event, np.column_stack([np.ones(42), group]))
    assert not fit.converged
    with pytest.raises(ValueError, match="every y is at a censoring limit"):
        mle.fit_tobit(np.column_stack([np.ones(5), np.arange(5.0)]), np.zeros(5))


def test_no_numpy_warning_on_extreme_data():
    """Times over many orders of magnitude, heavy censoring: the log-scale arithmetic stays quiet."""
    rng = np.random.default_rng(3)
    t = np.exp(rng.normal(0, 6, 300))
    event = (rng.random(300) < 0.3).astype(float)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for dist in ("weibull", "lognormal", "loglogistic", "exponential"):
            assert mle.fit_survival(t, event, dist=dist).converged
