"""Issue 14: robust (sandwich) covariance, the Wald and score tests, and the bootstrap, against
statsmodels (cov_type="HC0" and "cluster", compare_lm_test, GLM.score_test, lm_robust,
wald_test) and closed forms; properties; failures counted."""

import pickle
import warnings

import numpy as np
import pytest
import scipy.special
import scipy.stats
from hypothesis import given, settings
from hypothesis import strategies as st

import mle_tutorial as mle

sm = pytest.importorskip("statsmodels.api")
lm_robust = pytest.importorskip("statsmodels.stats._diagnostic_other").lm_robust

N = 400


def _data(seed=0, n=N):
    rng = np.random.default_rng(seed)
    X = np.column_stack([np.ones(n), rng.normal(size=(n, 3))])
    hetero = 0.5 + np.abs(X[:, 1])  # the spread grows with |x1|: the model-based se are wrong
    y = X @ [1.0, 0.5, -0.3, 0.0] + hetero * rng.normal(size=n)
    yb = (rng.random(n) < scipy.special.expit(X @ [0.2, 1.0, -0.5, 0.0])).astype(float)
    yc = rng.poisson(np.exp(X @ [0.3, 0.4, -0.2, 0.0]) * rng.gamma(0.7, 1 / 0.7, n)).astype(float)
    groups = rng.integers(0, 25, n)
    return X, y, yb, yc, groups


X, Y, YB, YC, GROUPS = _data()


def rel(a, b):
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    return float(np.max(np.abs(a - b) / np.abs(b)))


# --- robust covariance against statsmodels HC0 and the closed form ------------------------------
def test_linear_hc0_is_whites_closed_form_and_statsmodels():
    fit = mle.fit_linear(X, Y).robust()
    e = Y - X @ fit.beta
    xtx_inv = np.linalg.inv(X.T @ X)
    white = xtx_inv @ (X.T * e**2) @ X @ xtx_inv
    p = X.shape[1]
    assert rel(fit.cov[:p, :p], white) < 1e-10
    ols = sm.OLS(Y, X).fit(cov_type="HC0")
    assert rel(fit.cov[:p, :p], ols.cov_params()) < 1e-10  # worst seen 4e-14
    # sigma: H^-1 B H^-1 with the sigma score -1/sigma + e^2/sigma^3 and H^-1 = sigma^2/(2n)
    s = fit.sigma
    assert rel(fit.cov[p, p], (s**2 / (2 * N)) ** 2 * np.sum((e**2 / s**3 - 1 / s) ** 2)) < 1e-10
    assert fit.cov_type == "robust" and "robust (sandwich, HC0)" in fit.summary().text


@pytest.mark.parametrize("method", ["BFGS", "Nelder-Mead"])
def test_linear_by_optimizer_gives_the_same_sandwich(method):
    exact = mle.fit_linear(X, Y).robust()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        numeric = mle.fit_linear(X, Y, method=method).robust()
    assert rel(numeric.stderr, exact.stderr) < 1e-4


@pytest.mark.parametrize("family", ["logistic", "poisson"])
def test_glm_hc0_and_cluster_against_statsmodels(family):
    y = YB if family == "logistic" else YC
    fitter = mle.fit_logistic if family == "logistic" else mle.fit_poisson
    sm_family = sm.families.Binomial() if family == "logistic" else sm.families.Poisson()
    fit = fitter(X, y)
    glm = sm.GLM(y, X, family=sm_family)
    assert rel(fit.robust().cov, glm.fit(tol=1e-14, cov_type="HC0").cov_params()) < 1e-10  # worst 6e-14
    discrete = (sm.Logit if family == "logistic" else sm.Poisson)(y, X)
    hc0 = discrete.fit(disp=0, method="newton", tol=1e-14, cov_type="HC0")
    assert rel(fit.robust().cov, hc0.cov_params()) < 1e-10
    kwds = {"groups": GROUPS, "use_correction": False}
    cluster = glm.fit(tol=1e-14, cov_type="cluster", cov_kwds=kwds)
    robust = fit.robust(groups=GROUPS)
    assert robust.cov_type == "cluster" and rel(robust.cov, cluster.cov_params()) < 1e-10


def test_linear_cluster_against_statsmodels():
    fit = mle.fit_linear(X, Y).robust(groups=GROUPS.astype(str))  # string labels work too
    ols = sm.OLS(Y, X).fit(cov_type="cluster", cov_kwds={"groups": GROUPS, "use_correction": False})
    assert rel(fit.cov[:4, :4], ols.cov_params()) < 1e-10


def test_dask_meat_is_one_pass_and_equals_memory():
    da = pytest.importorskip("dask.array")

    def c(a):
        return da.from_array(a, chunks=(90, *a.shape[1:]))

    for fitter, y in ((mle.fit_linear, Y), (mle.fit_logistic, YB), (mle.fit_poisson, YC)):
        memory, chunks = fitter(X, y).robust(), fitter(c(X), c(y)).robust()
        assert rel(chunks.cov, memory.cov) < 1e-10
    with pytest.raises(ValueError, match="cluster-robust covariance needs the scores in memory"):
        mle.fit_linear(c(X), c(Y)).robust(groups=GROUPS)


def normal_nll(theta, X, y):  # module level: the fits below pickle
    return -np.sum(normal_loglik_obs(theta, X, y))


def normal_loglik_obs(theta, X, y):
    p = X.shape[1]
    return mle.normal_logpdf(y - X @ theta[:p], 0.0, np.exp(theta[p]))


def normal_score_obs(theta, X, y):
    p = X.shape[1]
    e, s2 = y - X @ theta[:p], np.exp(2 * theta[p])
    return np.column_stack([X * (e / s2)[:, None], e * e / s2 - 1.0])


def test_fit_mle_numerical_scores_match_the_analytic_sandwich():
    start = np.append(np.zeros(4), 0.0)
    numeric = mle.fit_mle(normal_nll, start, args=(X, Y), loglik_obs=normal_loglik_obs)
    analytic = mle.fit_mle(
        normal_nll, start, args=(X, Y), loglik_obs=normal_loglik_obs, score_obs=normal_score_obs
    )
    exact = mle.fit_linear(X, Y).robust()
    assert numeric.nobs == N
    # the same estimate: the sandwich on (beta, log sigma) is the one on (beta, sigma), carried by
    # the delta method (invariance under reparameterization)
    se_exact = exact.stderr.copy()
    se_exact[-1] /= exact.sigma
    assert rel(analytic.robust().stderr, se_exact) < 1e-6  # optimizer's estimate, not the exact one
    assert rel(numeric.robust().stderr, analytic.robust().stderr) < 1e-7  # numerical derivatives
    with pytest.raises(ValueError, match="loglik_obs="):
        mle.fit_mle(normal_nll, start, args=(X, Y)).robust()


def test_student_t_and_nonlinear_sandwich():
    t = mle.fit_student_t(X, Y, df=4.0)
    start = np.append(t.beta, np.log(t.sigma))

    def t_loglik_obs(theta, X, y):
        z = (y - X @ theta[:4]) / np.exp(theta[4])
        return scipy.stats.t.logpdf(z, 4.0) - theta[4]

    via_mle = mle.fit_mle(lambda th, X, y: -np.sum(t_loglik_obs(th, X, y)), start, args=(X, Y),
                          loglik_obs=t_loglik_obs)  # fmt: skip
    se = t.robust().stderr.copy()
    se[-1] /= t.sigma
    assert rel(via_mle.robust().stderr, se) < 1e-5

    x = np.linspace(0, 4, 200)
    rng = np.random.default_rng(3)
    yn = 2 * np.exp(-0.7 * x) + 0.05 * (1 + x) * rng.normal(size=200)
    fit = mle.fit_nonlinear(lambda x, b: b[0] * np.exp(-b[1] * x), x, yn, [1.0, 1.0])
    J = np.column_stack([np.exp(-fit.beta[1] * x), -fit.beta[0] * x * np.exp(-fit.beta[1] * x)])
    r = yn - fit.beta[0] * np.exp(-fit.beta[1] * x)
    jtj_inv = np.linalg.inv(J.T @ J)
    assert rel(fit.robust().cov[:2, :2], jtj_inv @ (J.T * r**2) @ J @ jtj_inv) < 1e-7


@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 10_000), c=st.floats(0.01, 100.0))
def test_sandwich_is_equivariant_under_rescaling_a_column(seed, c):
    X, y, *_ = _data(seed, n=120)
    Xc = X.copy()
    Xc[:, 2] *= c
    a, b = mle.fit_linear(X, y).robust(), mle.fit_linear(Xc, y).robust()
    scale = np.ones(5)
    scale[2] = 1 / c
    assert np.allclose(b.stderr, a.stderr * scale, rtol=1e-9)


def test_robust_result_rules():
    fit = mle.fit_linear(X, Y)
    robust = fit.robust()
    assert pickle.loads(pickle.dumps(robust)) == robust and robust != fit
    assert np.array_equal(robust.params, fit.params)
    with pytest.raises(ValueError, match="already has a robust covariance"):
        robust.robust()
    with pytest.raises(ValueError, match="profile interval is likelihood-based"):
        robust.conf_int(method="profile")
    with pytest.raises(ValueError, match="profile interval is likelihood-based"):
        mle.profile_interval(robust, "sigma")
    assert np.all(np.isfinite(robust.conf_int()))
    with pytest.raises(ValueError, match="groups must be 1-D"):
        fit.robust(groups=GROUPS[:10])
    with pytest.raises(ValueError, match="at least two clusters"):
        fit.robust(groups=np.zeros(N))


# --- the score and Wald tests ------------------------------------------------------------------
def test_the_trinity_of_the_linear_model_in_closed_form():
    restricted, full = mle.fit_linear(X[:, :2], Y), mle.fit_linear(X, Y)
    rss_r, rss_f = N * restricted.sigma**2, N * full.sigma**2
    tss = np.sum((Y - Y.mean()) ** 2)
    r2_r, r2_f = 1 - rss_r / tss, 1 - rss_f / tss
    wald = mle.wald_test(full, ["beta[2]", "beta[3]"])
    score = mle.score_test(restricted, X)
    lr = mle.likelihood_ratio_test(restricted, full)
    assert wald.df == score.df == lr.df == 2
    assert rel(wald.statistic, N * (r2_f - r2_r) / (1 - r2_f)) < 1e-10
    assert rel(score.statistic, N * (r2_f - r2_r) / (1 - r2_r)) < 1e-10
    assert rel(lr.statistic, N * np.log((1 - r2_r) / (1 - r2_f))) < 1e-10
    assert wald.statistic >= lr.statistic >= score.statistic
    ols = sm.OLS(Y, X).fit()
    lm, _, df = ols.compare_lm_test(sm.OLS(Y, X[:, :2]).fit())
    assert df == 2 and rel(score.statistic, lm) < 1e-10
    # statsmodels' OLS Wald uses s^2 = RSS/(n - p): smaller by (n - p)/n
    sm_wald = float(ols.wald_test(np.eye(4)[2:], scalar=True, use_f=False).statistic)
    assert rel(wald.statistic * (N - 4) / N, sm_wald) < 1e-10


@pytest.mark.parametrize("family", ["logistic", "poisson"])
def test_glm_score_and_wald_tests_against_statsmodels(family):
    y = YB if family == "logistic" else YC
    fitter = mle.fit_logistic if family == "logistic" else mle.fit_poisson
    sm_family = sm.families.Binomial() if family == "logistic" else sm.families.Poisson()
    restricted, full = fitter(X[:, :2], y), fitter(X, y)
    glm_r = sm.GLM(y, X[:, :2], family=sm_family)
    stat, _, df = glm_r.score_test(restricted.params, exog_extra=X[:, 2:])
    score = mle.score_test(restricted, X)
    assert df == score.df == 2 and rel(score.statistic, stat) < 1e-10  # worst seen 2e-13
    glm_f = sm.GLM(y, X, family=sm_family)
    theta = np.append(restricted.params, [0.0, 0.0])
    S = glm_f.score_obs(theta)
    R = np.eye(4)[2:]
    oracle = lm_robust(S.sum(0), R, np.linalg.inv(-glm_f.hessian(theta)), S.T @ S)
    assert rel(mle.score_test(restricted, X, robust=True).statistic, oracle) < 1e-10
    for fit, cov_type in ((full, "nonrobust"), (full.robust(), "HC0")):
        sm_fit = glm_f.fit(tol=1e-14, cov_type=cov_type)
        sm_wald = float(sm_fit.wald_test(R, scalar=True, use_f=False).statistic)
        tol = 1e-8  # worst seen 2.4e-9 (model-based, logistic), 5e-15 (HC0)
        assert rel(mle.wald_test(fit, R).statistic, sm_wald) < tol


def test_robust_score_test_of_the_linear_model_against_lm_robust():
    restricted = mle.fit_linear(X[:, :2], Y)
    theta = np.append(restricted.beta, [0.0, 0.0])
    e = Y - X @ theta
    S = X * e[:, None]  # the 1/sigma^2 factors cancel in the statistic
    oracle = lm_robust(S.sum(0), np.eye(4)[2:], np.linalg.inv(X.T @ X), S.T @ S)
    assert rel(mle.score_test(restricted, X, robust=True).statistic, oracle) < 1e-10


def test_the_score_test_needs_only_a_nested_design():
    restricted = mle.fit_linear(X[:, :2], Y)
    # the same column space in other coordinates: the same statistic
    mixed = np.column_stack([X[:, 0] + X[:, 2], X[:, 1] - 2 * X[:, 3], X[:, 2], X[:, 3]])
    assert rel(mle.score_test(restricted, mixed).statistic, mle.score_test(restricted, X).statistic) < 1e-10
    with pytest.raises(ValueError, match="not nested"):
        mle.score_test(restricted, X[:, [0, 2, 3]])
    with pytest.raises(ValueError, match="more columns"):
        mle.score_test(restricted, X[:, :2])
    with pytest.raises(ValueError, match="rows"):
        mle.score_test(restricted, X[:10])
    with pytest.raises(ValueError, match="for fit_mle pass the full model"):
        mle.score_test(mle.fit_mle(normal_nll, np.zeros(3), args=(X[:, :2], Y)), X)


def test_score_test_of_a_fit_mle_model_equals_the_regression_form():
    restricted = mle.fit_mle(normal_nll, np.zeros(3), args=(X[:, :2], Y), loglik_obs=normal_loglik_obs)
    theta_full = np.concatenate([restricted.params[:2], [0.0, 0.0], restricted.params[2:]])
    by_mle = mle.score_test(restricted, theta_full, negative_log_likelihood=normal_nll,
                            tested=[2, 3], args=(X, Y))  # fmt: skip
    # fit_mle's form uses the observed information (numerical), here against the analytic one
    g = -mle.negative_log_likelihood_gradient(theta_full, X, Y)
    H = mle.negative_log_likelihood_hessian(theta_full, X, Y)
    assert by_mle.df == 2 and rel(by_mle.statistic, g @ np.linalg.solve(H, g)) < 1e-6
    robust = mle.score_test(restricted, theta_full, negative_log_likelihood=normal_nll, tested=[2, 3],
                            args=(X, Y), loglik_obs=normal_loglik_obs, robust=True)  # fmt: skip
    S = normal_score_obs(theta_full, X, Y)
    oracle = lm_robust(g, np.eye(5)[2:4], np.linalg.inv(H), S.T @ S)
    assert robust.robust and rel(robust.statistic, oracle) < 1e-6
    with pytest.raises(ValueError, match="not the restricted fit"):
        mle.score_test(restricted, theta_full, negative_log_likelihood=normal_nll, tested=[2, 3],
                       args=(X, Y + 1.0))  # fmt: skip
    with pytest.raises(ValueError, match="needs the full model's loglik_obs"):
        mle.score_test(restricted, theta_full, negative_log_likelihood=normal_nll, tested=[2, 3],
                       args=(X, Y), robust=True)  # fmt: skip


def test_student_t_score_test_is_close_to_lr_and_wald_under_the_null():
    restricted, full = mle.fit_student_t(X[:, :3], Y, df=4.0), mle.fit_student_t(X, Y, df=4.0)
    score = mle.score_test(restricted, X)
    wald = mle.wald_test(full, ["beta[3]"])
    lr = mle.likelihood_ratio_test(restricted, full)
    assert score.df == wald.df == lr.df == 1
    assert abs(score.statistic - lr.statistic) < 0.1 and abs(wald.statistic - lr.statistic) < 0.1


def test_wald_test_rejects_bad_restrictions():
    fit = mle.fit_linear(X, Y)
    with pytest.raises(ValueError, match="k = 5 columns"):
        mle.wald_test(fit, np.eye(4))
    with pytest.raises(ValueError, match="linearly independent"):
        mle.wald_test(fit, [[0, 1, 0, 0, 0], [0, 2, 0, 0, 0]])
    with pytest.raises(ValueError, match="which are not in"):
        mle.wald_test(fit, ["gamma"])
    with pytest.raises(ValueError, match="q has 2 values"):
        mle.wald_test(fit, ["beta[1]"], q=[0.0, 1.0])
    one = mle.wald_test(fit, "beta[1]", q=[0.5])
    z = (fit.params[1] - 0.5) / fit.stderr[1]
    assert rel(one.statistic, z**2) < 1e-12


# --- the bootstrap ------------------------------------------------------------------------------
def test_bootstrap_is_reproducible_and_its_percentile_interval_is_the_quantiles():
    Xs, ys = mle.simulate_linear(40, [1.0, 2.0], 0.5, seed=1)
    a = mle.bootstrap(mle.fit_linear, Xs, ys, n_resamples=300, seed=7)
    b = mle.bootstrap(mle.fit_linear, Xs, ys, n_resamples=300, seed=7)
    assert np.array_equal(a.interval, b.interval) and a.n_failed == 0
    assert np.allclose(a.interval, np.percentile(a.replicates, [2.5, 97.5], axis=0).T)
    basic = mle.bootstrap(mle.fit_linear, Xs, ys, n_resamples=300, seed=7, method="basic")
    assert np.allclose(basic.interval, (2 * a.estimate[:, None] - a.interval)[:, ::-1])
    bca = mle.bootstrap(mle.fit_linear, Xs, ys, n_resamples=300, seed=7, method="BCa")
    assert np.all(np.isfinite(bca.interval)) and not np.allclose(bca.interval, a.interval)


def test_bootstrap_standard_error_of_a_mean_is_close_to_the_textbook_one():
    rng = np.random.default_rng(0)
    x = rng.exponential(size=200)
    ones = np.ones((200, 1))
    boot = mle.bootstrap(mle.fit_linear, ones, x, n_resamples=2000, seed=1)
    assert abs(boot.standard_error[0] / (x.std() / np.sqrt(200)) - 1) < 0.06  # MC error ~ 1.6%


def test_parametric_bootstrap_of_each_builtin_model():
    Xs = np.column_stack([np.ones(60), np.linspace(-1, 1, 60)])
    rng = np.random.default_rng(2)
    for fitter, y in (
        (mle.fit_linear, Xs @ [1.0, 2.0] + rng.normal(size=60)),
        (mle.fit_poisson, rng.poisson(np.exp(Xs @ [1.0, 0.5])).astype(float)),
        (mle.fit_student_t, Xs @ [1.0, 2.0] + rng.standard_t(3, size=60)),
    ):
        boot = mle.bootstrap(fitter, Xs, y, kind="parametric", n_resamples=60, seed=3, failures="ignore")
        assert boot.kind == "parametric" and boot.interval.shape == (boot.estimate.size, 2)
    # any fitter: the fit's model simulates (a lambda around a fitter as well as the fitter itself)
    direct = mle.bootstrap(
        mle.fit_student_t, Xs, y, kind="parametric", n_resamples=30, seed=4, failures="ignore", level=0.9
    )
    wrapped = mle.bootstrap(lambda X, y: mle.fit_student_t(X, y), Xs, y, kind="parametric", n_resamples=30,
                            seed=4, failures="ignore", level=0.9)  # fmt: skip
    assert np.array_equal(direct.replicates, wrapped.replicates)
    with pytest.raises(ValueError, match="simulate="):
        mle.bootstrap(
            lambda X, y: mle.fit_mle(normal_nll, np.zeros(3), args=(X, y)), Xs, y, kind="parametric"
        )
    with pytest.raises(ValueError, match="BCa"):
        mle.bootstrap(mle.fit_linear, Xs, y, kind="parametric", method="BCa")


def test_failed_refits_are_counted_and_reported():
    x = np.array([0.0, 0.5, 1.0, 1.5, 2.0, 2.5, 3.0, 3.5, 4.0, 4.5])
    Xs = np.column_stack([np.ones(10), x])
    ys = np.array([0, 0, 0, 1, 0, 1, 1, 0, 1, 1.0])  # overlap, but many resamples separate
    with pytest.warns(mle.ConvergenceWarning, match="bootstrap refits failed"):
        boot = mle.bootstrap(mle.fit_logistic, Xs, ys, n_resamples=200, seed=0)
    assert boot.n_failed > 0 and boot.replicates.shape[0] == 200 - boot.n_failed
    assert sum(boot.failures.values()) == boot.n_failed and "PerfectSeparationError" in boot.failures
    with pytest.raises(ValueError, match="bootstrap refits failed"):
        mle.bootstrap(mle.fit_logistic, Xs, ys, n_resamples=200, seed=0, failures="raise")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        quiet = mle.bootstrap(mle.fit_logistic, Xs, ys, n_resamples=200, seed=0, failures="ignore")
    assert quiet.n_failed == boot.n_failed


def test_progress_goes_to_stderr_only_when_asked(capsys):
    Xs, ys = mle.simulate_linear(30, [1.0, 2.0], 0.5, seed=1)
    mle.bootstrap(mle.fit_linear, Xs, ys, n_resamples=40)
    assert capsys.readouterr() == ("", "")
    mle.bootstrap(mle.fit_linear, Xs, ys, n_resamples=40, progress=True)
    out = capsys.readouterr()
    assert out.out == "" and "bootstrap: 40/40 refits (100%)" in out.err


def test_sandwich_of_data_far_from_one_is_the_sandwich_scaled_exactly():
    """Fits of data beyond 2**200 run on data scaled by powers of two: the sandwich is built on
    that scale and scaled back, so nothing under- or overflows (the reported cov of beta_1 here
    underflows to 0, its standard error does not)."""
    rng = np.random.default_rng(0)
    Xs = np.column_stack([np.ones(200), rng.normal(size=200)])
    ys = Xs @ [1.0, 2.0] + np.abs(Xs[:, 1]) * rng.normal(size=200)
    base = mle.fit_linear(Xs, ys).robust().stderr
    far = Xs * [1.0, 2.0**300]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for method in ("exact", "BFGS"):
            scaled = mle.fit_linear(far, ys * 2.0**-250, method=method).robust().stderr
            assert rel(scaled, base * [2.0**-250, 2.0**-550, 2.0**-250]) < 1e-6
        t_base = mle.fit_student_t(Xs, ys, df=4.0).robust().stderr
        t_far = mle.fit_student_t(Xs * [1.0, 8.0], ys * 4.0, df=4.0).robust().stderr
        assert rel(t_far, t_base * [4.0, 0.5, 4.0]) < 1e-8
        counts = rng.poisson(np.exp(Xs @ [0.3, 0.4])).astype(float)
        p_base = mle.fit_poisson(Xs, counts).robust().stderr
        p_far = mle.fit_poisson(Xs * [1.0, 2.0**-300], counts).robust().stderr
        assert rel(p_far, p_base * [1.0, 2.0**300]) < 1e-10
