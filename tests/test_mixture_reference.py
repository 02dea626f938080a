"""The stored normal-mixture reference (scikit-learn's GaussianMixture) is right, checked without it.

``tests/data/mixture_reference.json`` was written by ``tests/data/make_mixture_reference.py`` with
scikit-learn in a throwaway environment (scikit-learn is not a dependency of the project or its tests).
Here, with numpy and scipy only: the data regenerate bit for bit, scikit-learn's log-likelihood is
recomputed at its estimates, and the polished estimates are a fixed point of EM and a zero of the score.
"""

from __future__ import annotations

import importlib.util
import json

import numpy as np
import pytest
import scipy.stats as st
from conftest import DATA
from scipy.special import logsumexp

REFERENCE = json.loads((DATA / "mixture_reference.json").read_text(encoding="utf-8"))
FITS = REFERENCE["fits"]


def _script():
    spec = importlib.util.spec_from_file_location(
        "make_mixture_reference", DATA / "make_mixture_reference.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _column(name):
    data = np.loadtxt(DATA / "mixture_data.csv", delimiter=",", skiprows=1)
    return data[:, ["x2", "x3"].index(name)]


def loglik(x, weights, means, sds):
    return float(np.sum(logsumexp(np.log(weights) + st.norm.logpdf(x[:, None], means, sds), axis=1)))


def _params(fit):
    return tuple(np.array(fit[key]) for key in ("weights", "means", "sds"))


def test_settings_and_versions():
    settings = REFERENCE["settings"]
    assert settings["reg_covar"] == 0.0  # the plain MLE: no ridge added to the variances
    assert settings["covariance_type"] == "full" and settings["tol"] == 1e-12 and settings["n_init"] == 20
    assert REFERENCE["sklearn_version"] == "1.9.1"
    assert set(FITS) == {"x2_k2", "x2_k3", "x3_k2", "x3_k3"}


def test_data_regenerate_bit_for_bit():
    assert _script().csv_text() == (DATA / "mixture_data.csv").read_text(encoding="ascii")


@pytest.mark.parametrize("name", sorted(FITS))
def test_sklearn_loglik_recomputed(name):
    fit = FITS[name]
    weights, means, sds = _params(fit)
    assert len(weights) == fit["n_components"] and weights.sum() == pytest.approx(1.0, abs=1e-14)
    assert np.all(np.diff(means) > 0) and np.all(sds > 0)
    assert loglik(_column(fit["column"]), weights, means, sds) == pytest.approx(fit["loglik"], rel=1e-12)


@pytest.mark.parametrize("name", sorted(FITS))
def test_polished_is_the_same_maximum(name):
    fit, polished = FITS[name], FITS[name]["polished"]
    x = _column(fit["column"])
    weights, means, sds = _params(polished)
    assert loglik(x, weights, means, sds) == pytest.approx(polished["loglik"], rel=1e-12)
    # EM never decreases the log-likelihood: polishing from scikit-learn's answer gained only a little
    assert 0.0 <= polished["loglik"] - fit["loglik"] <= 1e-8
    # scikit-learn's estimates are the same maximum, to the accuracy its stopping rule allows
    sk_weights, sk_means, sk_sds = _params(fit)
    assert np.max(np.abs(sk_weights - weights)) <= 1e-4
    assert np.max(np.abs(sk_means - means) / sds) <= 1e-4
    assert np.max(np.abs(sk_sds - sds) / sds) <= 1e-4
    # a fixed point of EM
    new = _script().em_step(x, weights, means, sds)
    assert np.max(np.abs(new[0] - weights)) <= 1e-12
    assert np.max(np.abs(new[1] - means) / sds) <= 1e-12
    assert np.max(np.abs(new[2] - sds) / sds) <= 1e-12


@pytest.mark.parametrize("name", sorted(FITS))
def test_score_is_zero_at_polished(name):
    """Gradient in unconstrained coordinates (log weight ratios, means, log sds) by central differences."""
    fit, polished = FITS[name], FITS[name]["polished"]
    x = _column(fit["column"])
    weights, means, sds = _params(polished)
    k = len(weights)

    def f(theta):
        logits = np.r_[0.0, theta[: k - 1]]
        w = np.exp(logits - logsumexp(logits))
        return loglik(x, w, theta[k - 1 : 2 * k - 1], np.exp(theta[2 * k - 1 :]))

    theta = np.r_[np.log(weights[1:] / weights[0]), means, np.log(sds)]
    h = 1e-6
    grad = np.array([(f(theta + h * e) - f(theta - h * e)) / (2 * h) for e in np.eye(len(theta))])
    assert np.max(np.abs(grad)) <= 1e-5 * np.sqrt(len(x))


def test_more_components_never_lower_the_maximum():
    for column in ("x2", "x3"):
        assert FITS[f"{column}_k3"]["loglik"] >= FITS[f"{column}_k2"]["loglik"]
