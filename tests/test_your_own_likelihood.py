"""A model written by a reader from the ``Likelihood`` contract alone (a zero-truncated Poisson
regression, ``conformance.ZeroTruncatedPoisson``) gets estimates, standard errors, robust errors,
profile intervals, the three tests and a parametric bootstrap from the package: each checked here
against a computation that does not use the package (SciPy's optimizer on a hand-written negative
log-likelihood, differences, root finding, a simulation loop). Also the rest of the contract:
options, the confidence level, and a restriction on the boundary of the parameter space."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import scipy.optimize
import scipy.stats
from conformance import ZeroTruncatedPoisson, zero_truncated_counts
from scipy.special import gammaln

import mle_tutorial as mle

RNG = np.random.default_rng(11)
N = 400
X = np.column_stack([np.ones(N), RNG.normal(size=N), RNG.uniform(-1, 1, N)])
Y = zero_truncated_counts(RNG, np.exp(X @ [0.3, 0.6, 0.2]))


def nll(beta, X=X, y=Y):
    eta = X @ beta
    mu = np.exp(eta)
    return -np.sum(y * eta - mu - gammaln(y + 1.0) - np.log(-np.expm1(-mu)))


def minimize(X=X, y=Y):
    res = scipy.optimize.minimize(
        nll, np.zeros(X.shape[1]), args=(X, y), method="BFGS", options={"gtol": 1e-10}
    )
    return res.x, -res.fun


def hessian(f, x, h=1e-4):
    """Central second differences."""
    k = x.size
    H = np.empty((k, k))
    E = np.eye(k) * h
    for i in range(k):
        for j in range(k):
            H[i, j] = (f(x + E[i] + E[j]) - f(x + E[i] - E[j]) - f(x - E[i] + E[j]) + f(x - E[i] - E[j])) / (
                4 * h * h
            )
    return H


def per_observation_gradient(beta, X=X, y=Y, h=1e-6):
    """Central differences of each observation's log-likelihood."""
    out = np.empty((y.size, beta.size))
    for j in range(beta.size):
        e = np.zeros(beta.size)
        e[j] = h
        out[:, j] = (
            ZeroTruncatedPoisson(X, y).loglik_obs(beta + e) - ZeroTruncatedPoisson(X, y).loglik_obs(beta - e)
        ) / (2 * h)
    return out


FIT = mle.fit_mle(ZeroTruncatedPoisson(X, Y))


def test_estimates_and_standard_errors():
    beta, ll = minimize()
    assert FIT.converged and FIT.param_names == ("beta[0]", "beta[1]", "beta[2]")
    np.testing.assert_allclose(FIT.params, beta, rtol=1e-6, atol=1e-8)
    assert FIT.loglik == pytest.approx(ll, rel=1e-12)
    se = np.sqrt(np.diag(np.linalg.inv(hessian(nll, beta))))
    np.testing.assert_allclose(FIT.stderr, se, rtol=1e-5)
    assert FIT.method == "BFGS"  # no hessian given: BFGS, with differences of the analytic score_obs
    assert FIT.aic == pytest.approx(2 * 3 - 2 * ll, rel=1e-12)


def test_robust_and_cluster_errors():
    S = per_observation_gradient(FIT.params)
    V = np.linalg.inv(hessian(nll, FIT.params))
    np.testing.assert_allclose(FIT.robust().cov, V @ S.T @ S @ V, rtol=1e-5)
    groups = np.arange(N) // 5
    sums = np.zeros((N // 5, 3))
    np.add.at(sums, groups, S)
    np.testing.assert_allclose(FIT.robust(groups=groups).cov, V @ sums.T @ sums @ V, rtol=1e-5)


def test_profile_interval_by_root_finding_here():
    """The profile of beta[1]: the others re-maximized by SciPy; its 95% ends where the profile
    falls chi2_1(0.95) / 2 below the maximum."""
    top = -minimize()[1]

    def profile(b1):
        res = scipy.optimize.minimize(
            lambda t: nll(np.array([t[0], b1, t[1]])),
            FIT.params[[0, 2]],
            method="BFGS",
            options={"gtol": 1e-10},
        )
        return res.fun - top - scipy.stats.chi2.ppf(0.95, 1) / 2

    b1, se = FIT.params[1], FIT.stderr[1]
    lower = scipy.optimize.brentq(profile, b1 - 4 * se, b1, xtol=1e-12)
    upper = scipy.optimize.brentq(profile, b1, b1 + 4 * se, xtol=1e-12)
    np.testing.assert_allclose(FIT.conf_int(method="profile")[1], [lower, upper], rtol=1e-6)
    np.testing.assert_allclose(mle.profile_interval(FIT, "beta[1]"), [lower, upper], rtol=1e-6)


def test_the_three_tests():
    small = mle.fit_mle(ZeroTruncatedPoisson(X[:, :2], Y))
    beta_r, ll_r = minimize(X[:, :2])
    beta, ll = minimize()
    lr = mle.likelihood_ratio_test(small, FIT)
    assert lr.df == 1 and lr.statistic == pytest.approx(2 * (ll - ll_r), rel=1e-7)
    V = np.linalg.inv(hessian(nll, beta))
    wald = mle.wald_test(FIT, ["beta[2]"])
    assert wald.statistic == pytest.approx(beta[2] ** 2 / V[2, 2], rel=1e-5)
    theta = np.append(beta_r, 0.0)  # the restricted estimate in the full model
    g = per_observation_gradient(theta).sum(axis=0)
    score = mle.score_test(small, FIT)
    assert score.statistic == pytest.approx(g @ np.linalg.solve(hessian(nll, theta), g), rel=1e-5)
    for test in (lr, wald, score):
        assert test.pvalue == pytest.approx(scipy.stats.chi2.sf(test.statistic, 1), rel=1e-12)


def test_parametric_bootstrap_is_a_simulation_loop():
    """The same draws (the model's simulate, with the bootstrap's random-number generator), refitted
    here by SciPy: the same replicates."""
    boot = mle.bootstrap(FIT, kind="parametric", n_resamples=40, seed=4)
    rng = np.random.default_rng(4)
    replicates = [minimize(X, ZeroTruncatedPoisson(X, Y).simulate(FIT.params, rng).y)[0] for _ in range(40)]
    np.testing.assert_allclose(boot.replicates, replicates, rtol=1e-5, atol=1e-7)
    assert boot.standard_error == pytest.approx(np.std(replicates, axis=0, ddof=1), rel=1e-4)
    np.testing.assert_allclose(boot.interval, np.percentile(replicates, [2.5, 97.5], axis=0).T, rtol=1e-4)


def test_a_model_without_simulate_says_what_the_bootstrap_needs():
    class NoDraws(ZeroTruncatedPoisson):
        simulate = mle.Likelihood.simulate
        resample = mle.Likelihood.resample

    fit = mle.fit_mle(NoDraws(X, Y))
    with pytest.raises(ValueError, match="simulate"):
        mle.bootstrap(fit, kind="parametric")
    with pytest.raises(ValueError, match="resample"):
        mle.bootstrap(fit)


# --- the rest of the contract ------------------------------------------------------------------------
class Exponential(mle.Likelihood):
    param_names = ("rate",)
    bounds = ((0.0, np.inf),)

    def __init__(self, x):
        self.x = np.asarray(x, dtype=float)

    def loglik_obs(self, params):
        return np.log(params[0]) - params[0] * self.x

    def hessian(self, params):
        return np.array([[-self.x.size / params[0] ** 2]])

    def start(self):
        return np.array([1.0])


def test_bounds_give_a_working_scale_and_an_analytic_hessian_gives_newton():
    x = RNG.exponential(2.0, 50)
    fit = mle.fit_mle(Exponential(x))
    assert fit.method == "Newton" and fit.converged
    assert fit.params[0] == pytest.approx(1 / x.mean(), rel=1e-12)
    assert fit.stderr[0] == pytest.approx(fit.params[0] / np.sqrt(50), rel=1e-10)
    assert fit.bounded_at_zero == (True,)
    lo, hi = fit.conf_int(method="profile")[0]
    assert 0 < lo < fit.params[0] < hi
    with pytest.raises(ValueError, match="outside the parameter space"):
        mle.fit_mle(Exponential(x), [-1.0])


class BoundaryNormal(mle.Likelihood):
    """A normal mean model whose fuller version adds a variance component held at 0 by the
    smaller one: a restriction on the boundary (for the LR test's chi-bar-squared p-value)."""

    def __init__(self, y, full):
        self.y, self.full = np.asarray(y, dtype=float), full

    @property
    def param_names(self):
        return ("mu", "extra") if self.full else ("mu",)

    @property
    def bounds(self):
        return ((-np.inf, np.inf), (0.0, np.inf)) if self.full else ((-np.inf, np.inf),)

    def loglik_obs(self, params):
        var = 1.0 + (params[1] if self.full else 0.0)
        return scipy.stats.norm.logpdf(self.y, params[0], np.sqrt(var))

    def start(self):
        return np.array([0.0, 0.5]) if self.full else np.array([0.0])

    def nesting(self, restricted):
        self.check_same_data(restricted, same_family=True)
        return mle.Nesting(self, restricted, boundary=1)


def test_a_restriction_on_the_boundary_halves_the_p_value():
    y = np.random.default_rng(3).normal(0.0, 1.6, 200)
    small, full = mle.fit_mle(BoundaryNormal(y, False)), mle.fit_mle(BoundaryNormal(y, True))
    test = mle.likelihood_ratio_test(small, full)
    assert test.boundary == 1 and "boundary=1" in repr(test)
    assert test.pvalue == pytest.approx(0.5 * scipy.stats.chi2.sf(test.statistic, 1), rel=1e-12)


def test_options_are_one_set_of_keys_everywhere():
    with pytest.warns(mle.ConvergenceWarning, match="did not converge"):
        short = mle.fit_mle(
            lambda t: np.sum((t - np.arange(3.0)) ** 4) + 1.0, np.zeros(3), options={"max_iter": 1}
        )
    assert not short.converged
    fitters = [
        lambda o: mle.fit_logistic(X, (Y > 1).astype(float), options=o),
        lambda o: mle.fit_poisson(X, Y, options=o),
        lambda o: mle.fit_student_t(X, X @ [1.0, 0.5, 0.0] + RNG.standard_t(3, N), options=o),
        lambda o: mle.fit_survival(Y, Y > 1, X, options=o),
        lambda o: mle.fit_tobit(X, np.maximum(np.log(Y) - 0.5, 0.0), options=o),
        lambda o: mle.fit_linear(X, np.log(Y), method="BFGS", options=o),
        lambda o: mle.fit_mle(ZeroTruncatedPoisson(X, Y), options=o),
        lambda o: mle.fit_normal_mixture(np.r_[RNG.normal(-2, 1, 200), RNG.normal(2, 1, 200)], 2, options=o),
        lambda o: mle.fit_nonlinear(lambda x, b: b[0] * np.exp(b[1] * x), X[:, 1], Y, [1.0, 0.1], options=o),
    ]
    for fitter in fitters:
        with pytest.raises(ValueError, match="unknown key"):
            fitter({"maxiters": 10})
        with pytest.raises(ValueError, match="max_iter"):
            fitter({"max_iter": 0})
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            fit = fitter({"max_iter": 1})
        assert not fit.converged and any(issubclass(w.category, mle.ConvergenceWarning) for w in caught)
        assert fitter({"max_iter": 500}).converged
        fitter({"tol": 1e-7})  # every fitter takes tol (its meaning, per fitter, is in its docstring)
    with pytest.raises(ValueError, match="exact solution takes none"):
        mle.fit_linear(X, np.log(Y), options={"max_iter": 5})


def test_conf_int_takes_alpha_and_refuses_a_level_below_one_half():
    assert np.array_equal(FIT.conf_int(alpha=0.05), FIT.conf_int(0.95))
    with pytest.raises(ValueError, match=r"0.95 means a 95% interval"):
        FIT.conf_int(0.05)
    with pytest.raises(ValueError, match="not both"):
        FIT.conf_int(0.9, alpha=0.1)
    with pytest.raises(ValueError, match="alpha must be"):
        FIT.conf_int(alpha=0.7)
