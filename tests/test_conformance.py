"""The conformance suite: every model in ``conformance.CASES`` passes the same checks.

The model contract (``mle_tutorial.Likelihood``) against independent computations (central
differences written here, a numerical sandwich, the three tests against each other, simulation
and refit), and the behaviour every fitter shares (names, pandas rows matched by label, pickling,
equivariance under scaling by powers of two, bad input). Adding a model is adding a ``Case``.
"""

from __future__ import annotations

import functools
import pickle
import warnings

import numpy as np
import pandas as pd
import pytest
from conformance import BY_NAME, CASES

import mle_tutorial as mle

NAMES = [case.name for case in CASES]


def data_of(name: str, n: int | None = None, seed: int = 0) -> dict:
    case = BY_NAME[name]
    return case.make(np.random.default_rng(seed), case.n if n is None else n)


@functools.cache
def fit_of(name: str) -> mle.FitResult:
    return BY_NAME[name].fit(data_of(name))


# --- differences written here, independent of the package's numdiff ----------------------------------
def jacobian(f, x, rel=1e-5):
    """Central differences with one Richardson extrapolation, step ``rel * max(1, |x_j|)``."""
    x = np.asarray(x, dtype=float)
    f0 = np.asarray(f(x), dtype=float)
    J = np.empty((*f0.shape, x.size))
    for j in range(x.size):
        h = rel * max(1.0, abs(x[j]))
        d = []
        for step in (h, h / 2):
            e = np.zeros_like(x)
            e[j] = step
            d.append((np.asarray(f(x + e)) - np.asarray(f(x - e))) / (2 * step))
        J[..., j] = (4 * d[1] - d[0]) / 3
    return J


def columns_close(a, b, tol):
    """Each column of ``a`` within ``tol`` of ``b``'s, relative to the column's size."""
    a, b = np.atleast_2d(a), np.atleast_2d(b)
    size = np.maximum(np.linalg.norm(b, axis=0), 1e-12)
    return float(np.max(np.linalg.norm(a - b, axis=0) / size)) < tol


def matrix_close(a, b, tol):
    """Each entry within ``tol`` of ``b``'s, relative to the sizes of its row and column."""
    d = np.sqrt(np.abs(np.diag(b)))
    scale = np.where(np.outer(d, d) > 0, np.outer(d, d), 1.0)
    return float(np.max(np.abs(a - b) / scale)) < tol


# --- the contract ------------------------------------------------------------------------------------
@pytest.mark.parametrize("name", NAMES)
def test_the_result_carries_its_model_and_the_model_keeps_the_contract(name):
    fit = fit_of(name)
    model = fit.model
    assert fit.converged
    assert isinstance(model, mle.Likelihood)
    assert tuple(model.param_names) == fit.param_names and len(model.bounds) == len(fit.params)
    assert model.nobs == fit.nobs and model.data_key == fit.data_key
    ll = model.loglik_obs(fit.params)
    assert ll.shape == (fit.nobs,)
    assert model.loglik(fit.params) == pytest.approx(fit.loglik, rel=1e-9, abs=1e-9)
    assert np.sum(ll) == pytest.approx(fit.loglik, rel=1e-9, abs=1e-9)
    S = model.score_obs(fit.params)
    assert S.shape == (fit.nobs, len(fit.params))
    assert np.allclose(model.score(fit.params), S.sum(axis=0), rtol=1e-8, atol=1e-8 * np.abs(S).sum())


@pytest.mark.parametrize("name", NAMES)
def test_scores_and_hessian_match_differences(name):
    fit = fit_of(name)
    model = fit.model
    p = fit.params
    assert columns_close(model.score_obs(p), jacobian(model.loglik_obs, p), 1e-6)
    H = model.hessian(p)
    assert np.allclose(H, H.T, rtol=1e-8, atol=1e-8 * np.max(np.abs(H)))
    assert matrix_close(H, jacobian(model.score, p), 1e-5)


@pytest.mark.parametrize("name", NAMES)
def test_robust_and_cluster_covariances_match_a_numerical_sandwich(name):
    case, fit = BY_NAME[name], fit_of(name)
    model = fit.model
    groups = np.arange(fit.nobs) % 7
    if case.working is None:
        S = jacobian(model.loglik_obs, fit.params)
        bread, J = fit.cov, np.eye(len(fit.params))
    else:  # constraints among the parameters: the sandwich in unconstrained coordinates
        natural, to_working = case.working
        theta = to_working(fit.params)
        S = jacobian(lambda t: model.loglik_obs(natural(t)), theta)
        # differences of differences: steps wide enough that rounding does not swamp the outer ones
        H = jacobian(lambda t: jacobian(lambda u: model.loglik(natural(u)), t, rel=1e-4), theta, rel=1e-3)
        bread, J = np.linalg.inv(-0.5 * (H + H.T)), jacobian(natural, theta)
    sums = np.zeros((7, S.shape[1]))
    np.add.at(sums, groups, S)
    expected = J @ bread @ (S.T @ S) @ bread @ J.T
    clustered = J @ bread @ (sums.T @ sums) @ bread @ J.T
    robust = fit.robust()
    assert robust.cov_type == "robust" and matrix_close(robust.cov, expected, 1e-5)
    assert matrix_close(fit.robust(groups=groups).cov, clustered, 1e-5)
    assert np.array_equal(robust.stderr, np.sqrt(np.diag(robust.cov)))


@pytest.mark.parametrize("name", [case.name for case in CASES if case.restricted is not None])
def test_the_three_tests_agree_on_a_large_sample_under_the_null(name):
    case = BY_NAME[name]
    d = data_of(name, n=3000, seed=1)
    full, restricted = case.fit(d), case.restricted(d)
    lr = mle.likelihood_ratio_test(restricted, full)
    wald = mle.wald_test(full, [case.tested], [case.null])
    score = mle.score_test(restricted, full)
    assert lr.df == wald.df == score.df == 1
    # asymptotically equivalent: they differ by O(n^-1/2) times their size
    for other in (wald.statistic, score.statistic):
        assert abs(other - lr.statistic) < 0.15 + 0.1 * lr.statistic, (lr, wald, score)
    # the robust versions exist for every model, and agree with the model-based ones in size
    robust_wald = mle.wald_test(full.robust(), [case.tested], [case.null])
    robust_score = mle.score_test(restricted, full, robust=True)
    cluster_score = mle.score_test(restricted, full, groups=np.arange(full.nobs) % 50)
    for test in (robust_wald, robust_score, cluster_score):
        assert np.isfinite(test.statistic) and test.df == 1
        assert abs(test.statistic - lr.statistic) < 1.0 + lr.statistic
    if isinstance(restricted.model, mle.model.RegressionLikelihood) and case.tested.startswith("beta"):
        # the fuller design instead of the fuller fit: the same statistic
        by_design = mle.score_test(restricted, d[case.design])
        assert by_design.statistic == pytest.approx(score.statistic, rel=1e-7, abs=1e-9)


@pytest.mark.parametrize("name", NAMES)
def test_bootstrap_through_the_model(name):
    case, fit = BY_NAME[name], fit_of(name)
    d = data_of(name)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", mle.ConvergenceWarning)
        for kind in ("parametric", "nonparametric"):
            if "fitter" in case.extra:  # a function has no data to draw: the bootstrap's other form
                simulate = case.extra["simulate"] if kind == "parametric" else None
                args = (d[case.design], d[case.response])
                boot = mle.bootstrap(
                    case.extra["fitter"], *args, kind=kind, simulate=simulate, n_resamples=20, seed=3
                )
            else:
                boot = mle.bootstrap(fit, kind=kind, n_resamples=20, seed=3, failures="ignore")
            assert boot.n_failed <= 2, boot.failures
            assert boot.interval.shape == (len(fit.params), 2) and np.all(np.isfinite(boot.replicates))


@pytest.mark.parametrize("name", NAMES)
def test_simulate_then_refit_recovers_the_estimate(name):
    if "simulate" in BY_NAME[name].extra:
        pytest.skip("a negative log-likelihood function cannot simulate: bootstrap takes simulate=")
    fit = fit_of(name)
    drawn = fit.model.simulate(fit.params, np.random.default_rng(5))
    assert type(drawn) is type(fit.model) and drawn.nobs == fit.nobs
    refit = drawn.fit(None if type(drawn).start is not mle.Likelihood.start else fit.params)
    assert refit.converged and refit.param_names == fit.param_names
    assert np.all(np.abs(refit.params - fit.params) < 6 * fit.stderr)


@pytest.mark.parametrize("name", NAMES)
def test_the_result_pickles_with_its_model(name):
    fit = fit_of(name)
    back = pickle.loads(pickle.dumps(fit))
    assert back == fit and type(back.model) is type(fit.model)
    j = 0
    grid = fit.params[j] + np.array([-0.5, 0.5]) * fit.stderr[j]
    assert np.array_equal(mle.profile_likelihood(back, j, grid), mle.profile_likelihood(fit, j, grid))


@pytest.mark.parametrize("name", [case.name for case in CASES if case.names])
def test_names_name_the_coefficients(name):
    case = BY_NAME[name]
    d = data_of(name)
    names = ["a", "b", "c"][: case.names]
    fit = case.fit(d, names=names)
    shown = [n if "[" not in n else n.split("[")[1].rstrip("]") for n in fit.param_names]
    assert names == list(dict.fromkeys(shown))[: case.names]
    if name.startswith("zero-truncated"):
        return  # a model of one's own checks its names itself (or not)
    with pytest.raises(ValueError, match="names has"):
        case.fit(d, names=names[:-1])
    with pytest.raises(ValueError, match="names must be distinct"):
        case.fit(d, names=["a"] * case.names)
    with pytest.raises(ValueError, match="names must be a sequence"):
        case.fit(d, names="abc")


@pytest.mark.parametrize("name", [case.name for case in CASES if case.design is not None])
def test_pandas_rows_in_another_order_are_matched_by_label(name):
    case = BY_NAME[name]
    d = data_of(name)
    if name.startswith(("zero-truncated", "fit_mle")):
        pytest.skip("a model of one's own reads its data itself")
    n = d[case.design].shape[0]
    labels = np.random.default_rng(7).permutation(n) + 100
    frame = pd.DataFrame(d[case.design], index=labels, columns=["one", "x", "z"])
    order = np.random.default_rng(8).permutation(n)
    shuffled = {
        key: pd.Series(value, index=labels).iloc[order] for key, value in d.items() if key != case.design
    }
    fit = case.fit({**shuffled, case.design: frame})
    plain = fit_of(name)
    assert fit.param_names[:3] == ("one", "x", "z")
    np.testing.assert_allclose(fit.params, plain.params, rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("name", [case.name for case in CASES if case.design is not None])
def test_scaling_a_column_by_a_power_of_two_scales_its_coefficient(name):
    case = BY_NAME[name]
    d = data_of(name)
    fit, scaled = fit_of(name), case.fit(case.extra["scale"](d, 7))
    expected = fit.params.copy()
    expected[2] = np.ldexp(expected[2], -7)
    expected_se = fit.stderr.copy()
    expected_se[2] = np.ldexp(expected_se[2], -7)
    if case.exact_scale:
        assert np.array_equal(scaled.params, expected) and np.array_equal(scaled.stderr, expected_se)
    else:
        # an optimizer without the Newton polish stops where its tolerance lets it: near, not on
        assert np.all(np.abs(scaled.params - expected) <= 1e-4 * expected_se)
        np.testing.assert_allclose(scaled.stderr, expected_se, rtol=1e-4)


@pytest.mark.parametrize(
    "name", [case.name for case in CASES if not case.name.startswith(("zero-truncated", "fit_mle"))]
)
def test_bad_input_basics(name):
    case = BY_NAME[name]
    d = data_of(name)
    response = np.array(d[case.response], dtype=float)
    response[3] = np.nan
    with pytest.raises(ValueError, match=r"(?i)nan"):
        case.fit({**d, case.response: response})
    if len(d) > 1:  # a response one value short of the rest
        with pytest.raises(ValueError):
            case.fit({**d, case.response: d[case.response][:-1]})
    fit = fit_of(name)
    with pytest.raises(ValueError, match="95%"):
        fit.conf_int(0.05)
    np.testing.assert_array_equal(fit.conf_int(alpha=0.1), fit.conf_int(0.9))
