"""fit_mle: any likelihood, with analytic or numerical derivatives."""

import warnings

import numpy as np
import pytest
import scipy.stats
from statsmodels.base.model import GenericLikelihoodModel

import mle_tutorial as mle
from mle_tutorial.numdiff import numerical_gradient, numerical_hessian

SAMPLE = np.random.default_rng(0).normal(5.0, 2.0, 200)


def normal_nll(theta, x=SAMPLE):
    return -np.sum(mle.normal_logpdf(x, theta[0], np.exp(theta[1])))


def normal_grad(theta, x=SAMPLE):
    z = (x - theta[0]) / np.exp(theta[1])
    return np.array([-np.sum(z) / np.exp(theta[1]), len(x) - np.sum(z * z)])


def normal_hess(theta, x=SAMPLE):
    s = np.exp(theta[1])
    z = (x - theta[0]) / s
    return np.array([[len(x) / s**2, 2 * np.sum(z) / s], [2 * np.sum(z) / s, 2 * np.sum(z * z)]])


def exact_normal():
    n = len(SAMPLE)
    mu, sd = SAMPLE.mean(), SAMPLE.std()
    return np.array([mu, np.log(sd)]), np.array([sd / np.sqrt(n), 1 / np.sqrt(2 * n)])


@pytest.mark.parametrize(
    "kwargs",
    [
        {},  # BFGS, numerical gradient and Hessian
        {"gradient": normal_grad},  # BFGS, Hessian from the analytic gradient
        {"gradient": normal_grad, "hessian": normal_hess},  # Newton
        {"method": "Nelder-Mead"},
    ],
)
def test_normal_sample_against_closed_forms(kwargs):
    params, se = exact_normal()
    fit = mle.fit_mle(normal_nll, [0.0, 0.0], names=["mu", "log_sigma"], nobs=200, **kwargs)
    assert fit.converged
    assert np.allclose(fit.params, params, rtol=1e-7, atol=1e-9)
    assert np.allclose(fit.stderr, se, rtol=2e-7)
    assert fit.loglik == pytest.approx(
        scipy.stats.norm.logpdf(SAMPLE, *exact_normal_natural()).sum(), rel=1e-12
    )
    assert fit.param_names == ("mu", "log_sigma") and fit.k == 2
    assert fit.bic == pytest.approx(2 * np.log(200) - 2 * fit.loglik)


def exact_normal_natural():
    return SAMPLE.mean(), SAMPLE.std()


def test_numerical_hessian_is_accurate():
    theta = np.array([4.8, 0.6])
    for H in (numerical_hessian(normal_nll, theta), numerical_hessian(normal_nll, theta, normal_grad)):
        assert np.allclose(H, normal_hess(theta), rtol=1e-7, atol=1e-7)
    assert np.allclose(numerical_gradient(normal_nll, theta), normal_grad(theta), rtol=1e-8)


class _GenericNormal(GenericLikelihoodModel):
    def loglike(self, params):
        return -normal_nll(params, self.endog)


def test_standard_errors_beat_statsmodels_numerical_derivatives():
    """statsmodels' GenericLikelihoodModel differentiates numerically too; measure both errors."""
    _, se = exact_normal()
    ours = mle.fit_mle(normal_nll, [0.0, 0.0]).stderr
    theirs = _GenericNormal(SAMPLE).fit(start_params=[0.0, 0.0], disp=0, method="bfgs").bse
    our_error = np.max(np.abs(ours / se - 1))
    their_error = np.max(np.abs(theirs / se - 1))
    assert our_error < 1e-6
    assert our_error < their_error


def test_profile_interval_of_fit_mle_matches_the_linear_closed_form():
    fit = mle.fit_mle(normal_nll, [0.0, 0.0], gradient=normal_grad, names=["mu", "log_sigma"])
    linear = mle.fit_linear(np.ones((200, 1)), SAMPLE)
    assert np.allclose(fit.conf_int(method="profile")[0], linear.conf_int(method="profile")[0], rtol=1e-7)
    # log sigma's interval is the log of sigma's (profiles are invariant to reparametrization)
    assert np.allclose(
        fit.conf_int(method="profile")[1], np.log(linear.conf_int(method="profile")[1]), rtol=1e-6
    )


def test_nan_away_from_the_start_is_treated_as_impossible():
    def nll(theta):  # NaN for negative sigma: the optimizer must back off, not crash
        return np.nan if theta[1] <= 0 else -np.sum(scipy.stats.norm.logpdf(SAMPLE, theta[0], theta[1]))

    fit = mle.fit_mle(nll, [4.0, 1.0], method="Nelder-Mead")
    assert fit.converged and np.allclose(fit.params, exact_normal_natural(), rtol=1e-6)


@pytest.mark.filterwarnings("ignore::mle_tutorial.HessianWarning")
def test_non_convergence_is_reported():
    with pytest.warns(mle.ConvergenceWarning, match="did not converge"):
        fit = mle.fit_mle(normal_nll, [0.0, 0.0], options={"maxiter": 2})
    assert not fit.converged


def test_unbounded_likelihood_is_not_silent():
    """A likelihood with no maximum (here the normal sigma -> 0 on one point) must not look converged."""

    def nll(theta):
        return -np.sum(mle.normal_logpdf(SAMPLE[:1], theta[0], np.exp(theta[1])))

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fit = mle.fit_mle(nll, [0.0, 0.0])
    assert not fit.converged or not np.all(np.isfinite(fit.stderr))
    assert caught


@pytest.mark.parametrize(
    "call, words",
    [
        (lambda: mle.fit_mle(normal_nll, [0.0, np.nan]), "start contains 1 NaN"),
        (lambda: mle.fit_mle(normal_nll, [[0.0, 0.0]]), "start must be a 1-D array"),
        (lambda: mle.fit_mle(lambda t: np.nan, [0.0, 0.0]), "negative_log_likelihood is nan at start"),
        (lambda: mle.fit_mle(lambda t: np.inf, [0.0, 0.0]), "negative_log_likelihood is inf at start"),
        (lambda: mle.fit_mle(lambda t: "x", [0.0, 0.0]), "must return a number"),
        (lambda: mle.fit_mle(lambda t: np.ones(2), [0.0, 0.0]), "must return a number"),
        (lambda: mle.fit_mle(normal_nll, [0.0, 0.0], names=["mu"]), "names has 1 entries"),
        (lambda: mle.fit_mle(normal_nll, [0.0, 0.0], method="CG"), "method must be one of"),
        (lambda: mle.fit_mle(normal_nll, [0.0, 0.0], method="Newton"), "needs a hessian"),
        (lambda: mle.fit_mle(normal_nll, [0.0, 0.0], nobs=0), "nobs must be a positive integer"),
    ],
)
def test_fit_mle_bad_input(call, words):
    with pytest.raises(ValueError) as info:
        call()
    assert words in str(info.value)
