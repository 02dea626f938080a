"""Linear mixed models and GLMMs against independent oracles: R's lme4 (lmer, glmer; values stored in
tests/data/lme4_reference.json by tests/data/lme4_reference.R), statsmodels' MixedLM, and the marginal
likelihood computed directly with mpmath (40 digits) and by brute-force quadrature.

Measured on the reference machine (lme4 1.1-31; the floors below sit at least an order of magnitude under
the worst value seen, with the margin stated): the log-likelihood agrees with lme4 to 1e-11 relative or better
for lmer (lme4's own objective, evaluated at the same theta, to 5e-15), to 5e-9 for glmer's Laplace
approximation (where lme4's PIRLS stops short of the exact modes: a 40-digit evaluation agrees with ours to
1e-13 and not with lme4's) and to 1e-12 for its quadrature.
"""

from __future__ import annotations

import importlib.util
import json
import warnings
from pathlib import Path

import mpmath as mp
import numpy as np
import pandas as pd
import pytest

import mle_tutorial as mle
from mle_tutorial.glmm import _Objective, build_glmm
from mle_tutorial.linear_mixed import Profiled, build_linear_mixed

DATA = Path(__file__).parent / "data"
ROOT = Path(__file__).resolve().parents[1]
REFERENCE = json.loads((DATA / "lme4_reference.json").read_text())
CASES = REFERENCE["cases"]
LMER = sorted(name for name, c in CASES.items() if c["kind"] == "lmer")
GLMER = sorted(name for name, c in CASES.items() if c["kind"] == "glmer")


def _make_inputs():
    spec = importlib.util.spec_from_file_location("make_mixed_inputs", DATA / "make_mixed_inputs.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_inputs_are_regenerated_byte_for_byte():
    module = _make_inputs()
    for name, make in module.FILES.items():
        assert (DATA / name).read_text() == module.csv_text(make()), name


def grunfeld():
    d = pd.read_csv(ROOT / "mle_tutorial" / "datasets" / "grunfeld.csv")
    X = np.column_stack([np.ones(len(d)), np.log(d["value"]), np.log(d["capital"])])
    return d, X, np.log(d["invest"].to_numpy()), d["firm"].to_numpy()


def lmer_data(case):
    """X, y, groups, Z of an lmer case."""
    if case["input"] == "grunfeld":
        _, X, y, g = grunfeld()
        Z = {"capital": X[:, [0, 2]], "value": X[:, [0, 1]]}.get(case["name"].split("_")[1])
        return X, y, g, Z
    d = pd.read_csv(DATA / f"{case['input']}.csv")
    g, y = d["g"].to_numpy(), d["y"].to_numpy()
    if case["input"] == "mixed_slopes":
        X = np.column_stack([np.ones(len(d)), d["days"]])
        return X, y, g, X
    if case["input"] == "mixed_three":
        X = np.column_stack([np.ones(len(d)), d["x1"], d["x2"]])
        return X, y, g, X
    return np.column_stack([np.ones(len(d)), d["x"]]), y, g, None


def glmer_data(case):
    """The keyword arguments of fit_glmm for a glmer case."""
    d = pd.read_csv(DATA / f"{case['input']}.csv")
    g, y = d["g"].to_numpy(), d["y"].to_numpy()
    if case["input"] == "glmm_binomial":
        period = d["period"].to_numpy()
        X = np.column_stack([np.ones(len(d))] + [(period == k).astype(float) for k in (2, 3, 4)])
        return {"X": X, "y": y, "groups": g, "trials": d["trials"].to_numpy()}
    X = np.column_stack([np.ones(len(d)), d["x"]])
    out = {"X": X, "y": y, "groups": g}
    if case["input"] == "glmm_poisson":
        out["family"] = "poisson"
        if "slope" in case["name"]:
            out["Z"] = X
    return out


def rel(a, b):
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    return float(np.max(np.abs(a - b) / np.maximum(np.abs(b), 1e-300))) if b.size else 0.0


# --- lmer ------------------------------------------------------------------------------------------
@pytest.mark.parametrize("name", LMER)
def test_profiled_deviance_is_lme4s_devfun(name):
    case = CASES[name]
    X, y, g, Z = lmer_data(case)
    model = build_linear_mixed(X, y, g, Z, reml=case["REML"])
    profiled = Profiled(model.stats(), model.layout, model.reml)
    for point in case["devfun"]:
        # worst seen 5e-15; the same function of theta, so a floor far below any optimizer's tolerance
        assert rel(profiled(np.array(point["theta"])), point["value"]) < 1e-13


@pytest.mark.parametrize("name", LMER)
def test_linear_mixed_matches_lmer(name):
    case = CASES[name]
    X, y, g, Z = lmer_data(case)
    fit = mle.fit_linear_mixed(X, y, g, Z, reml=case["REML"])
    assert fit.converged
    p, q = len(case["beta"]), len(case["sd"])
    # the tolerances: 1e-8 in the log-likelihood, 1e-5 in beta, 1e-4 in the variance components
    # (worst seen: 1e-13, 1.1e-6 and 7.5e-6, on grunfeld_value_ml, where bobyqa stopped short: ours is higher)
    assert rel(fit.loglik, case["loglik"]) < 1e-8
    assert fit.loglik > case["loglik"] - 1e-9
    assert rel(fit.params[:p], case["beta"]) < 1e-5
    if case["singular"]:
        assert fit.model.on_boundary(fit.params) and np.all(
            fit.params[p : p + q][np.array(case["sd"]) == 0] == 0
        )
        assert "boundary" in fit.message and np.isnan(fit.stderr[p])
    else:
        assert fit.model.on_boundary(fit.params) == ()
        assert rel(fit.params[p : p + q], case["sd"]) < 1e-4
    assert rel(fit.params[-1], case["sigma"]) < 1e-4
    assert np.max(np.abs(fit.params[p + q : -1] - case["corr"]), initial=0.0) < 1e-4
    if case["REML"]:  # lme4's vcov is sigma^2 (X' V~^-1 X)^-1, as a REML fit reports it
        se = np.sqrt(np.diag(case["vcov_beta"]))
        assert rel(fit.stderr[:p], se) < 1e-4
    re = fit.model.random_effects(fit.params)
    # at sd = 0 lme4's theta is 1e-8 (bobyqa's step), ours exactly 0: compare on the scale of sigma there
    floor = 1e-6 * fit.params[-1]
    assert np.max(np.abs(re.modes - np.array(case["modes"]))) < max(
        1e-4 * np.max(np.abs(case["modes"])), floor
    )
    assert np.max(np.abs(re.se - np.array(case["modes_se"]))) < max(1e-4 * np.max(case["modes_se"]), floor)


# --- glmer -----------------------------------------------------------------------------------------
def _glmm_loglik_reference(case):
    """lme4's logLik, plus the saturated log-likelihood it leaves out for nAGQ > 1."""
    return case["loglik"] + (case["saturated"] if case["nAGQ"] > 1 else 0.0)


@pytest.mark.parametrize("name", GLMER)
def test_approximations_are_lme4s_devfun(name):
    case = CASES[name]
    model = build_glmm(**glmer_data(case), n_quadrature=case["nAGQ"])
    objective = _Objective(model)
    m = len(case["theta"])
    shift = 0.0 if case["nAGQ"] == 1 else -2.0 * case["saturated"]
    for point in case["devfun"]:
        x = np.array([*point["params"][m:], *point["params"][:m]])
        # quadrature: worst seen 5e-12. Laplace: up to 5e-9, lme4's PIRLS error (see the 40-digit test below)
        floor = 1e-10 if case["nAGQ"] > 1 else 5e-8
        assert rel(objective(x) - shift, point["value"]) < floor


def test_laplace_against_a_40_digit_evaluation():
    """The Laplace approximation of the binary data at lme4's estimate, computed independently with
    mpmath: each group's mode by Newton in 40 digits, then h(u) - log(-h''(u)) / 2."""
    case = CASES["binary_laplace"]
    kwargs = glmer_data(case)
    model = build_glmm(**kwargs)
    theta, beta = case["theta"][0], case["beta"]
    X, y, g = kwargs["X"], kwargs["y"], kwargs["groups"]
    mp.mp.dps = 40
    total = mp.mpf(0)
    for label in np.unique(g):
        rows = g == label
        eta0 = [mp.mpf(float(v)) for v in X[rows] @ beta]
        ys = [int(v) for v in y[rows]]

        def mu(e, u):
            return 1 / (1 + mp.exp(-(e + theta * u)))

        def h(u, eta0=eta0, ys=ys):
            return (
                sum(
                    yi * (e + theta * u) - mp.log(1 + mp.exp(e + theta * u))
                    for yi, e in zip(ys, eta0, strict=True)
                )
                - u**2 / 2
            )

        def dh(u, eta0=eta0, ys=ys):
            return theta * sum(yi - mu(e, u) for yi, e in zip(ys, eta0, strict=True)) - u

        u = mp.findroot(dh, mp.mpf(0))
        curvature = 1 + theta**2 * sum(mu(e, u) * (1 - mu(e, u)) for e in eta0)
        total += h(u) - mp.log(curvature) / 2
    ours = model.loglik(np.array([*beta, theta]))
    assert abs(ours - float(total)) < 1e-11 * abs(float(total))  # worst seen 2e-16 relative
    # and lme4's own value misses it by its PIRLS tolerance
    assert abs(-case["devfun"][0]["value"] / 2 - float(total)) < 1e-7 * abs(float(total))


@pytest.mark.parametrize("name", GLMER)
def test_glmm_matches_glmer(name):
    case = CASES[name]
    fit = mle.fit_glmm(**glmer_data(case), n_quadrature=case["nAGQ"])
    assert fit.converged
    p, q = len(case["beta"]), len(case["sd"])
    # the tolerances: 1e-7 in the log-likelihood, 1e-5 in beta, 1e-4 in the variance components
    # (worst seen: 4.5e-9, 1.5e-6, 1.1e-6, all on binary_laplace, from lme4's PIRLS tolerance)
    assert rel(fit.loglik, _glmm_loglik_reference(case)) < 1e-7
    assert rel(fit.params[:p], case["beta"]) < 1e-5
    assert rel(fit.params[p : p + q], case["sd"]) < 1e-4
    assert np.max(np.abs(fit.params[p + q :] - case["corr"]), initial=0.0) < 1e-4
    # lme4's vcov: the beta block of the inverse of a finite-difference Hessian (worst seen 1.9e-5)
    assert rel(fit.stderr[:p], np.sqrt(np.diag(case["vcov_beta"]))) < 1e-3
    re = fit.model.random_effects(fit.params)
    assert np.max(np.abs(re.modes - np.array(case["modes"]))) < 1e-4 * np.max(np.abs(case["modes"]))
    assert np.max(np.abs(re.se - np.array(case["modes_se"]))) < 1e-4 * np.max(case["modes_se"])


# --- statsmodels' MixedLM ------------------------------------------------------------------------------
MIXEDLM = ["grunfeld_intercept_ml", "grunfeld_capital_ml", "slopes_ml", "grunfeld_intercept_reml"]


@pytest.mark.parametrize("name", MIXEDLM)
def test_linear_mixed_matches_statsmodels_mixedlm(name):
    sm = pytest.importorskip("statsmodels.api")
    case = CASES[name]
    X, y, g, Z = lmer_data(case)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = sm.MixedLM(y, X, g, exog_re=Z).fit(reml=case["REML"])
    fit = mle.fit_linear_mixed(X, y, g, Z, reml=case["REML"])
    p, q = X.shape[1], 1 if Z is None else Z.shape[1]
    # statsmodels stops earlier (its gradient tolerance): worst seen 2e-10 in the log-likelihood, 1e-5 in beta
    assert rel(fit.loglik, ref.llf) < 1e-8 and fit.loglik > ref.llf - 1e-9
    assert rel(fit.params[:p], ref.fe_params) < 1e-4
    assert rel(fit.params[-1], np.sqrt(ref.scale)) < 1e-4
    assert rel(fit.params[p : p + q], np.sqrt(np.diag(ref.cov_re))) < 1e-4
    if not case["REML"]:  # both the inverse observed information of all the parameters
        assert rel(fit.stderr[:p], ref.bse[:p]) < 1e-4


# --- the marginal likelihood by brute force ----------------------------------------------------------------
def _exact_binary_loglik(X, y, g, beta, sd, groups=20):
    """The log of each of the first ``groups`` groups' integral of prod expit over N(0, sd^2), by
    mpmath's tanh-sinh quadrature (25 digits)."""
    mp.mp.dps = 25
    out = []
    for label in np.unique(g)[:groups]:
        rows = g == label
        eta0 = [mp.mpf(float(v)) for v in X[rows] @ beta]
        ys = [int(v) for v in y[rows]]

        def integrand(b, eta0=eta0, ys=ys):
            value = mp.npdf(b, 0, sd)
            for yi, e in zip(ys, eta0, strict=True):
                p = 1 / (1 + mp.exp(-(e + b)))
                value *= p if yi else 1 - p
            return value

        out.append(float(mp.log(mp.quad(integrand, [-mp.inf, -5 * sd, 0, 5 * sd, mp.inf]))))
    return np.array(out)


def test_quadrature_converges_to_the_marginal_likelihood_and_laplace_does_not():
    case = CASES["binary_agq25"]
    kwargs = glmer_data(case)
    X, y, g = kwargs["X"], kwargs["y"], kwargs["groups"]
    params = np.array([*case["beta"], case["sd"][0]])
    exact = _exact_binary_loglik(X, y, g, params[:2], params[2])
    errors = {
        k: float(np.sum(np.abs(build_glmm(X, y, g, n_quadrature=k).loglik_obs(params)[:20] - exact)))
        for k in (1, 3, 5, 9, 15, 25)
    }
    assert errors[25] < 1e-9  # 8e-11 here: the rule itself, not rounding (it falls with each node added)
    assert errors[1] > 0.1  # the Laplace approximation is off by 0.33 on these twenty 5-row binary groups
    assert errors[1] > errors[3] > errors[5] > errors[9]


def test_poisson_quadrature_against_scipy_quad():
    from scipy import integrate, stats

    case = CASES["poisson_agq7"]
    kwargs = glmer_data(case)
    X, y, g = kwargs["X"], kwargs["y"], kwargs["groups"]
    params = np.array([*case["beta"], case["sd"][0]])
    model = build_glmm(X, y, g, family="poisson", n_quadrature=25)
    ours = model.loglik_obs(params)
    for k, label in enumerate(np.unique(g)[:8]):
        rows = g == label
        eta0 = X[rows] @ params[:2]

        def integrand(b, eta0=eta0, rows=rows):
            return np.exp(np.sum(stats.poisson.logpmf(y[rows], np.exp(eta0 + b)))) * stats.norm.pdf(
                b, 0, params[2]
            )

        value, _ = integrate.quad(
            integrand, -10 * params[2], 10 * params[2], epsabs=0, epsrel=1e-13, limit=200
        )
        assert abs(ours[k] - np.log(value)) < 1e-10
