"""Linear regression with Student-t errors against independent oracles: scipy.stats.t.fit
(intercept only), statsmodels' TLinearModel, the normal limit (fit_linear), finite-difference
derivatives, and properties (robustness to an outlier, invariance to the order of the rows)."""

import re
import warnings

import numpy as np
import pytest
import scipy.optimize
import scipy.stats
from hypothesis import given, settings
from hypothesis import strategies as st

import mle_tutorial as mle
from mle_tutorial import fit_student_t
from mle_tutorial.numdiff import numerical_gradient, numerical_hessian
from mle_tutorial.student_t import t_nll, t_nll_gradient, t_nll_hessian


def _t_data(n=200, beta=(1.0, 2.0, -1.0), scale=0.7, nu=4.0, seed=7):
    rng = np.random.default_rng(seed)
    X = np.column_stack([np.ones(n), rng.normal(size=n), rng.uniform(size=n)])[:, : len(beta)]
    return X, X @ np.asarray(beta) + scale * rng.standard_t(nu, size=n)


def _tight(func, x0, args=(), disp=0):
    """scipy.stats' default optimizer (fmin) with tolerances tight enough to be an oracle."""
    return scipy.optimize.fmin(func, x0, args, xtol=1e-10, ftol=1e-12, maxiter=20000, maxfun=20000, disp=0)


# (1) intercept only: the location-scale t distribution, fitted by scipy.stats.t.fit


def test_intercept_only_against_scipy_t_fit():
    y = 3.0 + 2.0 * np.random.default_rng(1).standard_t(4, size=300)
    nu, loc, scale = scipy.stats.t.fit(y, optimizer=_tight)
    fit = fit_student_t(np.ones((300, 1)), y)
    assert fit.param_names == ("beta[0]", "sigma", "nu")
    assert fit.converged
    # measured: relative differences about 1e-8 (the oracle's simplex tolerance)
    assert np.allclose(fit.params, [loc, scale, nu], rtol=1e-6, atol=0)
    assert fit.beta == pytest.approx([loc], rel=1e-6) and fit.sigma == pytest.approx(scale, rel=1e-6)
    assert fit.loglik == pytest.approx(scipy.stats.t.logpdf(y, nu, loc, scale).sum(), rel=1e-12)
    # scipy's own answer is not better than ours
    assert fit.loglik >= scipy.stats.t.logpdf(y, nu, loc, scale).sum() - 1e-10


@pytest.mark.parametrize("df", [1.0, 2.5, 6.0, 30.0])
def test_intercept_only_fixed_df_against_scipy_t_fit(df):
    y = -1.0 + 0.5 * np.random.default_rng(2).standard_t(3, size=150)
    _, loc, scale = scipy.stats.t.fit(y, fdf=df, optimizer=_tight)
    fit = fit_student_t(np.ones((150, 1)), y, df=df)
    assert fit.param_names == ("beta[0]", "sigma")
    assert np.allclose(fit.params, [loc, scale], rtol=1e-6, atol=0)
    assert fit.loglik == pytest.approx(scipy.stats.t.logpdf(y, df, loc, scale).sum(), rel=1e-12)


# (2) a regression: statsmodels' TLinearModel, params [beta..., df, scale] (df before scale)


def _statsmodels_t(X, y, **kwargs):
    from statsmodels.miscmodels.tmodel import TLinearModel

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # it prints and may warn about its own convergence
        return TLinearModel(y, X, **kwargs).fit(method="bfgs", disp=0, gtol=1e-10, maxiter=5000)


def test_regression_against_statsmodels_tlinearmodel(capsys):
    X, y = _t_data()
    fit = fit_student_t(X, y)
    sm = _statsmodels_t(X, y)
    order = [0, 1, 2, 4, 3]  # statsmodels: [beta, df, scale] -> ours: [beta, sigma, nu]
    # measured: params agree to 6e-8 (relative), llf to 6e-14 (absolute)
    assert np.allclose(fit.params, sm.params[order], rtol=1e-6, atol=0)
    assert fit.loglik == pytest.approx(sm.llf, rel=1e-12)
    # statsmodels' standard errors come from a numerical Hessian; measured agreement:
    # 2e-8 to 5e-8 (beta), 9e-7 (sigma), 1.4e-6 (nu), relative
    assert np.allclose(fit.stderr, sm.bse[order], rtol=1e-4, atol=0)


def test_regression_fixed_df_against_statsmodels_tlinearmodel(capsys):
    X, y = _t_data()
    fit = fit_student_t(X, y, df=5.0)
    sm = _statsmodels_t(X, y, fix_df=5.0)  # then params are [beta..., scale]
    assert np.allclose(fit.params, sm.params, rtol=1e-6, atol=0)
    assert fit.loglik == pytest.approx(sm.llf, rel=1e-12)
    assert np.allclose(fit.stderr, sm.bse, rtol=1e-4, atol=0)  # measured: 4e-8


# (3) the normal limit


def test_huge_fixed_df_gives_least_squares(worked_example):
    X, y = worked_example
    fit, normal = fit_student_t(X, y, df=1e6), mle.fit_linear(X, y)
    # the t log-density differs from the normal one by O(1/df)
    assert np.allclose(fit.beta, normal.beta, rtol=1e-4, atol=1e-6)
    assert fit.sigma == pytest.approx(normal.sigma, rel=1e-4)
    assert fit.loglik == pytest.approx(normal.loglik, rel=1e-5)
    assert np.allclose(fit.stderr, normal.stderr, rtol=1e-4)


def test_nu_running_off_to_infinity_warns():
    X, y = mle.simulate_linear(500, [1.0, 2.0], 1.0, seed=1)  # normal errors: nu-hat is infinite
    with pytest.warns(mle.ConvergenceWarning, match=r"nu ran off.*Fix df.*fit_linear"):
        fit = fit_student_t(X, y)
    assert not fit.converged
    assert fit.params[-1] > 1e4
    assert "ran off" in fit.message
    # beta is still (close to) least squares
    assert np.allclose(fit.beta, mle.fit_linear(X, y).beta, rtol=1e-3)


# (4) analytic derivatives against finite differences


@pytest.mark.parametrize("df", [None, 0.7, 3.0, 1e5])
def test_gradient_and_hessian_against_finite_differences(df):
    X, y = _t_data(n=60)
    theta = np.array([0.9, 2.2, -0.8, np.log(0.6)] + ([np.log(3.5)] if df is None else []))
    args = (X, y, df)

    def f(t):
        return t_nll(t, *args)

    def g(t):
        return t_nll_gradient(t, *args)

    grad = g(theta)
    assert np.allclose(grad, numerical_gradient(f, theta), rtol=1e-7, atol=1e-7)
    H = t_nll_hessian(theta, *args)
    assert np.allclose(H, H.T, rtol=0, atol=0)
    assert np.allclose(H, numerical_hessian(f, theta, g), rtol=1e-7, atol=1e-7 * np.abs(H).max())


def test_stderr_is_the_inverse_hessian_on_the_natural_scale():
    """The delta method against a finite-difference Hessian of ell(beta, sigma, nu) itself."""
    X, y = _t_data()
    fit = fit_student_t(X, y)

    def natural_nll(phi):
        if phi[3] <= 0 or phi[4] <= 0:
            return np.inf
        return t_nll(np.append(phi[:3], np.log(phi[3:])), X, y, None)

    cov = np.linalg.inv(numerical_hessian(natural_nll, fit.params))
    assert np.allclose(fit.cov, cov, rtol=1e-5, atol=0)


@pytest.mark.parametrize("df", [None, 3.0])
def test_newton_and_bfgs_agree(df):
    X, y = _t_data()
    newton = fit_student_t(X, y, df=df)
    bfgs = fit_student_t(X, y, df=df, method="BFGS")
    assert newton.converged and bfgs.converged
    assert newton.method == "Newton" and bfgs.method == "BFGS"
    assert np.allclose(newton.params, bfgs.params, rtol=1e-8, atol=0)
    assert np.allclose(newton.stderr, bfgs.stderr, rtol=1e-6, atol=0)


def test_start_does_not_matter():
    X, y = _t_data()
    default = fit_student_t(X, y)
    other = fit_student_t(X, y, start=[0.0, 0.0, 0.0, 3.0, 50.0])
    assert np.allclose(default.params, other.params, rtol=1e-8, atol=0)


# (5) robustness: one gross outlier


def test_outlier_moves_t_fit_much_less_than_least_squares():
    X, y = _t_data(n=60, nu=30.0, scale=0.5, seed=3)
    bad = y.copy()
    bad[np.argmax(X[:, 1])] += 100.0  # a high-leverage point pushed far off the line
    t_clean, t_bad = fit_student_t(X, y, df=4.0), fit_student_t(X, bad, df=4.0)
    ls_clean, ls_bad = mle.fit_linear(X, y), mle.fit_linear(X, bad)
    t_shift = np.max(np.abs(t_bad.beta - t_clean.beta))
    ls_shift = np.max(np.abs(ls_bad.beta - ls_clean.beta))
    assert ls_shift > 5.0
    assert t_shift < 0.05 * ls_shift
    # with nu estimated, too: the fit chooses heavy tails
    t_est = fit_student_t(X, bad)
    assert np.max(np.abs(t_est.beta - t_clean.beta)) < 0.05 * ls_shift
    assert t_est.params[-1] < 5


# (6) invariance


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), data=st.data())
def test_row_order_does_not_matter(seed, data):
    X, y = _t_data(n=40, seed=seed)
    perm = np.array(data.draw(st.permutations(range(40))))
    a, b = fit_student_t(X, y, df=4.0), fit_student_t(X[perm], y[perm], df=4.0)
    assert np.allclose(a.params, b.params, rtol=1e-7, atol=1e-10)
    assert a.loglik == pytest.approx(b.loglik, rel=1e-11)


def test_row_order_does_not_matter_with_nu_estimated():
    X, y = _t_data()
    perm = np.random.default_rng(0).permutation(len(y))
    a, b = fit_student_t(X, y), fit_student_t(X[perm], y[perm])
    assert np.allclose(a.params, b.params, rtol=1e-8, atol=0)
    assert np.allclose(a.stderr, b.stderr, rtol=1e-8, atol=0)


# the FitResult: fields, profile, intervals


def test_fit_result_fields_and_profile():
    X, y = _t_data()
    fit = fit_student_t(X, y)
    assert fit.param_names == ("beta[0]", "beta[1]", "beta[2]", "sigma", "nu")
    assert fit.nobs == 200 and fit.k == 5
    assert np.array_equal(fit.beta, fit.params[:3]) and fit.sigma == fit.params[3]
    assert fit.aic == pytest.approx(10 - 2 * fit.loglik)
    for j in range(fit.k):  # the profile at the estimate is the maximum
        assert fit.profile(j, fit.params[j]) == pytest.approx(fit.loglik, rel=1e-13)
    assert fit.profile(3, 0.0) == -np.inf and fit.profile(4, -1.0) == -np.inf
    assert fit.profile(4, 2.0) < fit.loglik and fit.profile(3, 2 * fit.sigma) < fit.loglik
    profile = fit.conf_int(method="profile")
    wald = fit.conf_int()
    assert np.all(profile[:, 0] < fit.params) and np.all(fit.params < profile[:, 1])
    # beta's likelihood is close to quadratic: profile and Wald intervals nearly agree
    assert np.allclose(profile[:3], wald[:3], rtol=0.05)
    assert "nu" in str(fit.summary())


def test_profile_of_fixed_df_fit():
    X, y = _t_data()
    fit = fit_student_t(X, y, df=4.0)
    ci = mle.profile_interval(fit, "sigma")
    assert ci[0] < fit.sigma < ci[1]
    assert mle.profile_likelihood(fit, "beta[1]", [fit.beta[1]])[0] == pytest.approx(fit.loglik, rel=1e-13)


# (7) bad input

X_OK, Y_OK = _t_data(n=20)

CASES = [
    (lambda: fit_student_t(X_OK, Y_OK[:-1]), "X has 20 rows but y has 19 values"),
    (lambda: fit_student_t(X_OK, np.where(np.arange(20) == 3, np.nan, Y_OK)), "y contains 1 NaN"),
    (lambda: fit_student_t(X_OK[:3], Y_OK[:3]), "X has 3 rows but the model has 4 parameters"),
    (lambda: fit_student_t(X_OK.astype(str), Y_OK), "X must be numeric"),
    (lambda: fit_student_t(X_OK, Y_OK.reshape(-1, 1)), "y must be a 1-D array"),
    (lambda: fit_student_t(np.column_stack([X_OK, X_OK[:, 1]]), Y_OK), "rank"),
    (lambda: fit_student_t(X_OK, Y_OK, df=0.0), "df must be > 0, got 0.0"),
    (lambda: fit_student_t(X_OK, Y_OK, df=-2.0), "df must be > 0"),
    (lambda: fit_student_t(X_OK, Y_OK, df=np.nan), "df contains 1 NaN"),
    (lambda: fit_student_t(X_OK, Y_OK, df=np.inf), "df contains 1 NaN or infinite"),
    (lambda: fit_student_t(X_OK, Y_OK, df=[3.0, 4.0]), "df must be a scalar"),
    (lambda: fit_student_t(X_OK, Y_OK, df="4"), "df must be numeric"),
    (lambda: fit_student_t(X_OK, Y_OK, method="newton"), "method must be one of"),
    (lambda: fit_student_t(X_OK, Y_OK, start=[1.0, 2.0, 3.0, 1.0]), "start has 4 values but needs 5"),
    (lambda: fit_student_t(X_OK, Y_OK, df=3.0, start=[1.0, 2.0, 3.0, 1.0, 5.0]), "needs 4"),
    (lambda: fit_student_t(X_OK, Y_OK, start=[1.0, 2.0, 3.0, 0.0, 5.0]), "start[3] is sigma"),
    (lambda: fit_student_t(X_OK, Y_OK, df=3.0, start=[1.0, 2.0, 3.0, -1.0]), "sigma and must be > 0"),
    (lambda: fit_student_t(X_OK, Y_OK, start=[1.0, 2.0, 3.0, 1.0, -5.0]), "start[4] is nu"),
    (lambda: fit_student_t(X_OK, Y_OK, start=[1.0, 2.0, np.nan, 1.0, 5.0]), "start contains 1 NaN"),
]


@pytest.mark.parametrize(("call", "words"), CASES)
def test_bad_input_raises_value_error_naming_the_problem(call, words):
    with pytest.raises(ValueError, match=re.escape(words)):
        call()


def test_summary_leaves_the_zero_test_blank_for_sigma_and_nu():
    """z and P>|z| test 'parameter = 0': meaningless for a scale or for degrees of freedom."""
    X, y = _t_data(n=200)
    fit = fit_student_t(X, y)
    assert fit.bounded_at_zero == (False, False, False, True, True)
    rows = {line.split()[0]: line.split() for line in fit.summary().text.splitlines()[9:-1]}
    assert len(rows["beta[0]"]) == 7 and len(rows["sigma"]) == 5 and len(rows["nu"]) == 5
    glm = mle.fit_logistic(X, (y > np.median(y)).astype(float))
    assert not any(glm.bounded_at_zero)
