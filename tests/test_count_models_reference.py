"""The negative binomial, gamma and zero-inflated fitters against R (issue 21).

Reference values: ``tests/data/count_models_reference.json``, written by
``tests/data/count_models_reference.R`` (R 4.2.2, MASS 7.3-58.2, pscl 1.5.5; see its header) from the
shipped RAND data and the simulated inputs ``negbin_sim.csv`` and ``gamma_sim.csv``. R is not needed
to run these tests.

Tolerances, as the issue asks: 1e-6 in the estimates and 1e-8 relative in the log-likelihood against
answers that R computed to convergence (``MASS::glm.nb`` and ``glm`` restarted until they stop moving,
``MASS::gamma.shape``, and the Newton-polished maxima of the zero-inflated likelihoods); 1e-4 in the
estimates against ``pscl::zeroinfl``'s own answers, whose BFGS stops on the relative change of the
log-likelihood with a score still of order 1e-4 (stored as ``pscl.max_abs_score``). Measured on the
machine that wrote the tests: 1e-12 or better everywhere, so each test also asserts a tighter floor,
three or more digits below what was seen.

Standard errors: ``glm.nb`` reports those of beta from the expected information at fixed theta, and
``SE.theta`` from the observed information of theta at fixed mu; both are compared within that
convention (from the model's own expected information and Hessian), and the package's joint standard
errors (the inverse of the joint observed information) against the inverse of R's analytic Hessian,
``vcov_observed_beta_theta``. pscl's ``vcov`` is the inverse of an optim Hessian by finite differences
(step 1e-3), good to about 4 digits, so it is compared at 1e-3 relative; the polished ``vcov`` (analytic
Hessian) at 1e-6.
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from scipy import stats

import mle_tutorial as mle
from mle_tutorial.negative_binomial import nb_stats

DATA = Path(__file__).resolve().parent / "data"
REF = json.loads((DATA / "count_models_reference.json").read_text())
COLUMNS = ["lncoins", "idp", "lpi", "fmde", "physlm", "disea", "hlthg", "hlthf", "hlthp"]


def rand():
    d = mle.load_dataset("randhie")
    X = np.column_stack([np.ones(len(d["mdvis"]))] + [np.asarray(d[c], dtype=float) for c in COLUMNS])
    return X, np.asarray(d["mdvis"], dtype=float)


def simulated(name):
    frame = pd.read_csv(DATA / name)
    X = np.column_stack([np.ones(len(frame)), frame["x1"], frame["x2"]])
    return X, frame["y"].to_numpy(dtype=float)


def relative_matrix_error(a, b):
    """Largest entry error relative to the sizes of its row and column (as correlations)."""
    d = np.sqrt(np.diag(b))
    return float(np.max(np.abs(a - b) / np.outer(d, d)))


def max_error(a, b):
    """Largest error of an estimate, relative to max(1, |reference|)."""
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    return float(np.max(np.abs(a - b) / np.maximum(1.0, np.abs(b))))


# --- negative binomial: MASS::glm.nb --------------------------------------------------------------------
@pytest.fixture(scope="module", params=["rand", "negbin_sim"])
def negbin(request):
    X, y = rand() if request.param == "rand" else simulated("negbin_sim.csv")
    return mle.fit_negative_binomial(X, y), REF["negbin"][request.param], X, y


def test_negative_binomial_estimates_and_loglik_match_glm_nb(negbin):
    fit, ref, _, _ = negbin
    assert fit.converged
    assert max_error(fit.params[:-1], ref["coefficients"]) < 1e-6
    assert max_error(fit.params[-1], ref["alpha"]) < 1e-6
    assert fit.loglik == pytest.approx(ref["loglik"], rel=1e-8)
    assert fit.aic == pytest.approx(ref["aic"], rel=1e-8)
    # seen: 2e-12 in the estimates (negbin_sim), 0 in the log-likelihood: floors well below the issue's
    assert max_error(fit.params, [*ref["coefficients"], ref["alpha"]]) < 1e-9
    assert fit.loglik == pytest.approx(ref["loglik"], rel=1e-12)


def test_negative_binomial_joint_covariance_matches_the_inverse_observed_information(negbin):
    fit, ref, _, _ = negbin
    theta = ref["theta"]
    J = np.eye(len(fit.params))
    J[-1, -1] = -1.0 / theta**2  # alpha = 1/theta
    expected = J @ np.array(ref["vcov_observed_beta_theta"]) @ J.T
    assert relative_matrix_error(fit.cov, expected) < 1e-6
    assert relative_matrix_error(fit.cov, expected) < 1e-9  # seen 1e-12


def test_negative_binomial_standard_errors_in_glm_nb_s_convention(negbin):
    """R's SEs of beta: expected information at fixed theta; R's SE.theta: observed information of
    theta at fixed mu. Both from the model at the estimate."""
    fit, ref, X, y = negbin
    beta, alpha = fit.params[:-1], fit.params[-1]
    stats_ = nb_stats(X, y, None, beta=beta, alpha=alpha)
    conditional = np.linalg.inv(stats_["fisher"])
    assert relative_matrix_error(conditional, np.array(ref["vcov_coefficients"])) < 1e-6
    np.testing.assert_allclose(np.sqrt(np.diag(conditional)), ref["se_coefficients"], rtol=1e-6)
    se_alpha_fixed_mu = 1.0 / np.sqrt(-stats_["hessian"][-1, -1])
    # MASS::theta.ml takes SE.theta from the information at its iterate before the last Newton step,
    # which its tolerance (.Machine$double.eps^0.25, 1.2e-4) lets differ from the theta returned; seen
    # 2e-6 relative (negbin_sim)
    assert se_alpha_fixed_mu / alpha**2 == pytest.approx(ref["se_theta"], rel=1e-4)  # delta method to theta
    # the joint standard errors of beta are larger (theta estimated, observed information)
    assert np.all(fit.stderr[:-1] != pytest.approx(ref["se_coefficients"], rel=1e-3))


def test_negative_binomial_matches_statsmodels_newton():
    X, y = rand()
    fit = mle.fit_negative_binomial(X, y)
    sm_fit = sm.NegativeBinomial(y, X).fit(method="newton", maxiter=100, tol=1e-12, disp=0)
    assert max_error(fit.params, sm_fit.params) < 1e-6  # statsmodels reports alpha itself
    assert fit.loglik == pytest.approx(sm_fit.llf, rel=1e-8)
    np.testing.assert_allclose(fit.stderr, sm_fit.bse, rtol=1e-5)


def test_poisson_against_glm_and_the_boundary_likelihood_ratio_test():
    X, y = rand()
    pois, nb = mle.fit_poisson(X, y), mle.fit_negative_binomial(X, y)
    ref_p, ref_nb = REF["poisson"]["rand"], REF["negbin"]["rand"]
    assert max_error(pois.params, ref_p["coefficients"]) < 1e-6
    assert pois.loglik == pytest.approx(ref_p["loglik"], rel=1e-8)
    test = mle.likelihood_ratio_test(pois, nb)
    assert test.boundary == 1 and test.df == 1
    assert test.statistic == pytest.approx(2 * (ref_nb["loglik"] - ref_p["loglik"]), rel=1e-8)
    assert test.pvalue == 0.5 * stats.chi2.sf(test.statistic, 1)


# --- gamma: glm(family = Gamma(link = "log")) and MASS::gamma.shape ----------------------------------
@pytest.fixture(scope="module")
def gamma():
    X, y = simulated("gamma_sim.csv")
    return mle.fit_gamma(X, y), REF["gamma"]["gamma_sim"], X


def test_gamma_estimates_shape_and_loglik_match_r(gamma):
    fit, ref, _ = gamma
    assert fit.converged
    assert max_error(fit.params, [*ref["coefficients"], ref["shape_alpha"]]) < 1e-6
    assert fit.loglik == pytest.approx(ref["loglik"], rel=1e-8)
    # R's logLik(glm) is at the shape n/deviance, not at the ML shape: a different number
    assert abs(fit.loglik - ref["loglik_R_glm"]) > 0.5
    # seen: 4e-15 in the estimates, 2e-16 relative in the log-likelihood
    assert max_error(fit.params, [*ref["coefficients"], ref["shape_alpha"]]) < 1e-10
    assert fit.loglik == pytest.approx(ref["loglik"], rel=1e-12)


def test_gamma_standard_errors(gamma):
    fit, ref, X = gamma
    assert relative_matrix_error(fit.cov, np.array(ref["vcov_observed_beta_alpha"])) < 1e-6
    assert fit.stderr[-1] == pytest.approx(ref["se_shape_alpha"], rel=1e-6)
    # R's summary(fit, dispersion = 1/shape): the expected information, (X'X)^-1 / shape
    expected = np.linalg.inv(X.T @ X) / fit.params[-1]
    assert relative_matrix_error(expected, np.array(ref["vcov_coefficients_ml_dispersion"])) < 1e-6


# --- zero-inflated: pscl::zeroinfl --------------------------------------------------------------------------
def zero_design(name, X):
    if name.endswith("_full"):
        return None
    d = mle.load_dataset("randhie")
    return np.column_stack([np.ones(X.shape[0]), d["lncoins"], d["disea"]])


def reported(fit, negbin):
    """The package's parameters in pscl's order and scale: log(theta) = -log(alpha) last."""
    out = np.array(fit.params, dtype=float)
    if negbin:
        out[-1] = -np.log(out[-1])
    return out


def in_pscl_scale(fit, negbin):
    """The covariance in pscl's parameters (log theta = -log alpha: d log theta / d alpha = -1/alpha)."""
    J = np.eye(len(fit.params))
    if negbin:
        J[-1, -1] = -1.0 / fit.params[-1]
    return J @ fit.cov @ J.T


@pytest.mark.parametrize("name", ["zip_full", "zip_small", "zinb_small"])
def test_zero_inflated_matches_the_polished_maximum_and_pscl(name):
    ref = REF["zeroinfl"][name]
    negbin = ref["dist"] == "negbin"
    X, y = rand()
    fit = mle.fit_zero_inflated(X, y, zero_design(name, X), dist="negative_binomial" if negbin else "poisson")
    assert fit.converged and ref["interior_mle"]
    polished, pscl = ref["polished"], ref["pscl"]
    assert max_error(reported(fit, negbin), polished["parameters"]) < 1e-6
    assert fit.loglik == pytest.approx(polished["loglik"], rel=1e-8)
    assert relative_matrix_error(in_pscl_scale(fit, negbin), np.array(polished["vcov"])) < 1e-6
    # pscl's own answer: its BFGS stops with a score of order 1e-4, so 1e-4 in the estimates, and its
    # vcov inverts a finite-difference Hessian (step 1e-3), so 1e-3
    assert max_error(reported(fit, negbin), pscl["parameters"]) < 1e-4
    assert fit.loglik == pytest.approx(pscl["loglik"], rel=1e-8)
    assert relative_matrix_error(in_pscl_scale(fit, negbin), np.array(pscl["vcov"])) < 1e-3
    # seen: 3e-14 in the estimates, 2e-11 in the covariance (zinb_small, whose information has an
    # eigenvalue of 3e-3), 2e-16 in the log-likelihood
    assert max_error(reported(fit, negbin), polished["parameters"]) < 1e-9
    assert relative_matrix_error(in_pscl_scale(fit, negbin), np.array(polished["vcov"])) < 1e-8
    assert fit.loglik == pytest.approx(polished["loglik"], rel=1e-12)


def test_zero_inflated_negative_binomial_without_a_finite_mle_is_flagged():
    """zinb_full: no finite maximum (the zero coefficients run off); pscl stops where its BFGS does."""
    ref = REF["zeroinfl"]["zinb_full"]
    assert not ref["interior_mle"]
    X, y = rand()
    with pytest.warns(mle.ConvergenceWarning, match="zero coefficients may be running off"):
        fit = mle.fit_zero_inflated(X, y, dist="negative_binomial")
    assert not fit.converged
    assert fit.loglik > ref["pscl"]["loglik"]  # the likelihood keeps rising beyond pscl's stopping point
    assert fit.loglik > ref["newton_probe"]["loglik_after_steps"]


def test_zero_inflated_poisson_within_the_negative_binomial_is_on_the_boundary():
    X, y = rand()
    Z = zero_design("zip_small", X)
    zip_fit = mle.fit_zero_inflated(X, y, Z)
    zinb = mle.fit_zero_inflated(X, y, Z, dist="negative_binomial")
    test = mle.likelihood_ratio_test(zip_fit, zinb)
    ref = REF["zeroinfl"]
    expected = 2 * (ref["zinb_small"]["polished"]["loglik"] - ref["zip_small"]["polished"]["loglik"])
    assert test.boundary == 1 and test.statistic == pytest.approx(expected, rel=1e-8)
    score = mle.score_test(zip_fit, zinb)  # one-sided too, on the observed information
    assert score.boundary == 1 and score.df == 1 and np.isfinite(score.statistic)
    assert score.pvalue == pytest.approx(0.5 * stats.chi2.sf(score.statistic, 1), rel=1e-12)


def test_the_model_without_zero_inflation_is_not_tested_against_it():
    X, y = rand()
    Z = zero_design("zip_small", X)
    pairs = [
        (mle.fit_poisson(X, y), mle.fit_zero_inflated(X, y, Z)),
        (mle.fit_negative_binomial(X, y), mle.fit_zero_inflated(X, y, Z, dist="negative_binomial")),
    ]
    for small, big in pairs:
        for test in (mle.likelihood_ratio_test, mle.score_test):
            with pytest.raises(ValueError, match="AIC or BIC, or bootstrap the statistic"):
                test(small, big)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        aic = [fit.aic for pair in pairs for fit in pair]
    assert np.all(np.isfinite(aic))
