"""Robust and cluster-robust covariances of the censored fitters against R.

``tests/data/survreg_robust_reference.json`` comes from ``survreg_robust_reference.R`` (R's
``survival::survreg(..., robust = TRUE)`` and ``cluster =``; see the script for versions and
settings; for interval-censored rows survival 3.5-3 gets the sign of the log-scale score wrong, and
the script stores the sandwich of the corrected scores there, keeping R's own under another name);
``tests/data/tobit_sandwich_reference.json`` from ``tobit_sandwich_reference.R`` (``AER::tobit`` with
``sandwich::sandwich`` and ``vcovCL(type = "HC0", cadjust = FALSE)``). Both are on
(beta, log sigma); the package reports sigma itself, so the references are carried over by the
delta method, :math:`J V J` with :math:`J = \\mathrm{diag}(1, \\dots, 1, \\sigma)`.
"""

from __future__ import annotations

import json
import re

import numpy as np
import pytest
from conftest import DATA

import mle_tutorial as mle

ROOT = DATA.parents[1]
SURVREG = json.loads((DATA / "survreg_robust_reference.json").read_text(encoding="utf-8"))["cases"]
TOBIT = json.loads((DATA / "tobit_sandwich_reference.json").read_text(encoding="utf-8"))["cases"]


def read_csv(path):
    lines = (ROOT / path).read_text(encoding="utf-8").splitlines()
    names = lines[0].split(",")
    rows = [[np.nan if v == "NA" else float(v) for v in line.split(",")] for line in lines[1:]]
    values = np.array(rows, dtype=np.float64)
    return {name: values[:, j] for j, name in enumerate(names)}


def design(formula: str, data: dict) -> np.ndarray:
    """An intercept and the columns named on the right of ``formula``."""
    terms = [t.strip() for t in formula.split("~")[1].split("+")]
    return np.column_stack([np.ones(len(data[terms[0]])), *(data[t] for t in terms)])


def natural(vcov, sigma):
    """A covariance on (beta, log sigma) carried to (beta, sigma)."""
    V = np.asarray(vcov, dtype=float)
    J = np.ones(V.shape[0])
    if sigma is not None:
        J[-1] = sigma
    return V * np.outer(J, J)


def survreg_fit(case):
    data = read_csv(case["input"])
    X = design(case["formula"], data)
    if case["censoring"] == "interval2":
        lower = np.where(np.isnan(data["time1"]), 0.0, data["time1"])
        upper = np.where(np.isnan(data["time2"]), np.inf, data["time2"])
        return mle.fit_interval_censored(lower, upper, X, dist=case["dist"]), data
    censoring = "left" if case["censoring"] == "left" else "right"
    return mle.fit_survival(data["time"], data["event"], X, dist=case["dist"], censoring=censoring), data


def clusters(case, data):
    if case["cluster_column"] == "id":  # blocks of 4 consecutive rows
        return np.arange(case["n"]) // 4
    return data[case["cluster_column"]]


def relative(a, b):
    a, b = np.asarray(a), np.asarray(b)
    d = np.sqrt(np.abs(np.diag(b)))
    return float(np.max(np.abs(a - b) / np.outer(d, d)))


@pytest.mark.parametrize("name", sorted(SURVREG))
def test_survival_sandwich_matches_survreg_robust(name):
    case = SURVREG[name]
    fit, data = survreg_fit(case)
    assert fit.converged
    np.testing.assert_allclose(
        fit.params[: len(case["coefficients"])], case["coefficients"], rtol=1e-8, atol=1e-10
    )
    sigma = None if case["scale_fixed"] else case["scale"]
    # each entry relative to the standard errors of its row and column: the worst seen is 1.2e-14
    # (left_lognormal); floors three digits below
    assert relative(fit.cov, natural(case["vcov_naive"], sigma)) < 1e-11
    assert relative(fit.robust().cov, natural(case["vcov_robust"], sigma)) < 1e-11
    clustered = fit.robust(groups=clusters(case, data))
    assert clustered.cov_type == "cluster"
    assert relative(clustered.cov, natural(case["vcov_cluster"], sigma)) < 1e-11


def test_the_interval_case_corrects_survreg_and_says_so():
    """survival 3.5-3's robust variance of interval-censored data is 20% off (the sign of one score
    entry); the package's sandwich is the corrected one, and far from R's own."""
    case = SURVREG["interval_weibull"]
    fit, _ = survreg_fit(case)
    own = natural(case["vcov_robust_survreg"], case["scale"])
    assert relative(fit.robust().cov, own) > 1e-2
    scores = fit.model.score_obs(fit.params)
    U = np.asarray(case["score_matrix"], dtype=float)
    U[:, -1] /= case["scale"]  # d/d log sigma -> d/d sigma
    np.testing.assert_allclose(scores, U, rtol=1e-7, atol=1e-9)


@pytest.mark.parametrize("name", sorted(TOBIT))
def test_tobit_sandwich_matches_aer_and_sandwich(name):
    case = TOBIT[name]
    data = read_csv(case["input"])
    formula = re.search(r"\((\w+ ~ [^,]+),", case["call"]).group(1)
    y = data[formula.split("~")[0].strip()]
    X = design(formula, data)
    upper = float(case.get("right_limit", "inf"))  # R's Inf is stored as the string "Inf"
    fit = mle.fit_tobit(X, y, lower=float(case["left_limit"]), upper=upper)
    np.testing.assert_allclose(fit.params[:-1], case["coefficients"], rtol=1e-8, atol=1e-10)
    assert fit.params[-1] == pytest.approx(case["scale"], rel=1e-8)
    assert relative(fit.cov, natural(case["vcov"], case["scale"])) < 1e-11
    assert relative(fit.robust().cov, natural(case["sandwich"], case["scale"])) < 1e-11  # worst seen 7.7e-15
    groups = np.arange(case["n"]) // 4
    assert relative(fit.robust(groups=groups).cov, natural(case["vcov_cluster"], case["scale"])) < 1e-11
