"""fit_nonlinear against NIST StRD nonlinear certified values, fit_linear, and bad input.

NIST's certified standard deviations use s^2 = RSS/(n - p); the MLE uses RSS/n, so the
standard errors compared here are the certified ones times sqrt((n - p)/n).
"""

import re
import warnings

import numpy as np
import pytest
import scipy.stats
from conftest import DATA, correct_digits

import mle_tutorial as mle
from mle_tutorial import fit_nonlinear
from mle_tutorial._engine.numdiff import jacobian as numerical_jacobian

NIST = DATA / "nist_nonlinear"


def load(name):
    """Data, the two NIST starts, certified parameters, certified std. devs. and RSS."""
    path = NIST / f"{name.lower()}.txt"
    text = path.read_text()
    table = np.array([line.split()[3:] for line in text.splitlines() if re.match(r"# b\d+ =", line)], float)
    rss = float(re.search(r"Residual sum of squares: (\S+)", text).group(1))
    y, x = np.loadtxt(path).T
    return x, y, table[:, 0], table[:, 1], table[:, 2], table[:, 3], rss


MODELS = {
    "MGH09": lambda x, b: b[0] * (x**2 + x * b[1]) / (x**2 + x * b[2] + b[3]),
    "Thurber": lambda x, b: (
        (b[0] + b[1] * x + b[2] * x**2 + b[3] * x**3) / (1 + b[4] * x + b[5] * x**2 + b[6] * x**3)
    ),
    "BoxBOD": lambda x, b: b[0] * (1 - np.exp(-b[1] * x)),
    "Rat43": lambda x, b: b[0] / (1 + np.exp(b[1] - b[2] * x)) ** (1 / b[3]),
    "Eckerle4": lambda x, b: (b[0] / b[1]) * np.exp(-0.5 * ((x - b[2]) / b[1]) ** 2),
    "MGH10": lambda x, b: b[0] * np.exp(b[1] / (x + b[2])),
    "Misra1a": lambda x, b: b[0] * (1 - np.exp(-b[1] * x)),
    "Lanczos3": lambda x, b: b[0] * np.exp(-b[1] * x) + b[2] * np.exp(-b[3] * x) + b[4] * np.exp(-b[5] * x),
}


def _jac_mgh09(x, b):
    num, den = x**2 + x * b[1], x**2 + x * b[2] + b[3]
    return np.column_stack([num / den, b[0] * x / den, -b[0] * num * x / den**2, -b[0] * num / den**2])


def _jac_exp_rise(x, b):  # BoxBOD and Misra1a
    e = np.exp(-b[1] * x)
    return np.column_stack([1 - e, b[0] * x * e])


def _jac_eckerle4(x, b):
    z = (x - b[2]) / b[1]
    g = np.exp(-0.5 * z**2)
    return np.column_stack([g / b[1], b[0] * g * (z**2 - 1) / b[1] ** 2, b[0] * g * z / b[1] ** 2])


def _jac_mgh10(x, b):
    e = np.exp(b[1] / (x + b[2]))
    return np.column_stack([e, b[0] * e / (x + b[2]), -b[0] * b[1] * e / (x + b[2]) ** 2])


JACOBIANS = {
    "MGH09": _jac_mgh09,
    "BoxBOD": _jac_exp_rise,
    "Misra1a": _jac_exp_rise,
    "Eckerle4": _jac_eckerle4,
    "MGH10": _jac_mgh10,
}

# The worst correct significant digits seen, over both NIST starts and every configuration of
# ../shared/tools/portability-check (every OpenBLAS kernel, one thread, no AVX-512), for
# (beta, RSS, standard errors), with numerical derivatives:
WORST_SEEN = {
    "MGH09": (10.33, 11.61, 10.25), "Thurber": (10.45, 11.23, 10.35), "BoxBOD": (11.72, 10.42, 10.40),
    "Rat43": (10.81, 11.38, 10.52), "Eckerle4": (10.52, 10.73, 10.49), "MGH10": (10.83, 11.45, 9.76),
    "Misra1a": (11.10, 10.45, 10.57), "Lanczos3": (8.66, 10.55, 8.40),
}  # fmt: skip
MARGIN = 0.5  # digits below the worst seen: a factor of 3 in the error
CASES = [(name, start) for name in MODELS for start in (1, 2)]


def floor(name, which):
    """The test floor: MARGIN below the worst seen, rounded down to a half digit."""
    return np.floor(2 * (WORST_SEEN[name][which] - MARGIN)) / 2


@pytest.mark.parametrize(("name", "start"), CASES)
def test_nist_certified_values(name, start):
    x, y, start1, start2, beta, sd, rss = load(name)
    n, p = y.size, beta.size
    fit = fit_nonlinear(MODELS[name], x, y, start1 if start == 1 else start2)
    assert fit.converged
    assert correct_digits(fit.beta, beta) >= floor(name, 0)
    assert correct_digits(fit.sigma**2 * n, rss) >= floor(name, 1)
    assert correct_digits(fit.stderr[:p], sd * np.sqrt((n - p) / n)) >= floor(name, 2)
    assert fit.stderr[p] == pytest.approx(fit.sigma / np.sqrt(2 * n), rel=1e-14)
    assert fit.loglik == pytest.approx(-n / 2 * (np.log(2 * np.pi * rss / n) + 1), rel=1e-9)
    assert fit.param_names == (*(f"beta[{j}]" for j in range(p)), "sigma")


@pytest.mark.parametrize("name", sorted(JACOBIANS))
def test_analytic_jacobian_agrees(name):
    x, y, start1, _, beta, _, _ = load(name)
    jac = JACOBIANS[name]
    # the test's own derivatives are right (checked against the package's numerical Jacobian)
    numerical = numerical_jacobian(lambda b: MODELS[name](x, b), beta, 1e-8 * np.abs(beta))
    assert np.max(np.abs(numerical - jac(x, beta))) <= 1e-8 * np.max(np.abs(jac(x, beta)))
    analytic = fit_nonlinear(MODELS[name], x, y, start1, jac=jac)
    numeric = fit_nonlinear(MODELS[name], x, y, start1)
    assert analytic.converged and correct_digits(analytic.beta, beta) >= floor(name, 0)
    np.testing.assert_allclose(analytic.params, numeric.params, rtol=1e-7)
    np.testing.assert_allclose(analytic.stderr, numeric.stderr, rtol=1e-7)


@pytest.mark.parametrize("name", ["MGH09", "BoxBOD", "Rat43", "MGH10"])
def test_quasi_newton_on_the_likelihood_fails_from_start_1(name):
    """BFGS on -loglik over (beta, log sigma) stops far away; the least-squares methods do not."""
    x, y, start1, _, beta, _, _ = load(name)
    n, model = y.size, MODELS[name]

    def nll(theta):
        r = y - model(x, theta[:-1])
        return 0.5 * n * np.log(2 * np.pi) + n * theta[-1] + np.sum(r * r) / (2 * np.exp(2 * theta[-1]))

    theta0 = np.append(start1, np.log(np.sqrt(np.mean((y - model(x, start1)) ** 2))))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # ConvergenceWarning, HessianWarning, overflow
        bfgs = mle.fit_mle(nll, theta0, nobs=n)
    assert not bfgs.converged
    assert correct_digits(bfgs.params[:-1], beta) < 1
    fit = fit_nonlinear(model, x, y, start1)
    assert fit.converged and correct_digits(fit.beta, beta) >= floor(name, 0)
    assert fit.loglik > bfgs.loglik


def test_linear_model_equals_fit_linear(worked_example):
    X, y = worked_example
    exact = mle.fit_linear(X, y)
    fit = fit_nonlinear(lambda X, b: X @ b, X, y, np.zeros(4), names=["b0", "b1", "b2", "b3"])
    assert fit.converged
    assert fit.param_names == ("b0", "b1", "b2", "b3", "sigma")
    np.testing.assert_allclose(fit.params, exact.params, rtol=1e-10)
    np.testing.assert_allclose(fit.stderr, exact.stderr, rtol=1e-8)
    assert fit.loglik == pytest.approx(exact.loglik, rel=1e-12)
    # the numerically re-minimized profile matches fit_linear's exact one
    for j, value in [(1, exact.beta[1] + 0.05), (3, exact.beta[3] - 0.02), (4, 0.6)]:
        assert fit.profile(j, value) == pytest.approx(exact.profile(j, value), rel=1e-10)
    np.testing.assert_allclose(fit.conf_int(method="profile"), exact.conf_int(method="profile"), rtol=1e-7)


def test_profile_interval_on_misra1a():
    x, y, start1, _, _, _, _ = load("Misra1a")
    fit = fit_nonlinear(MODELS["Misra1a"], x, y, start1)
    assert fit.profile(1, fit.beta[1]) == pytest.approx(fit.loglik, rel=1e-12)
    profile = fit.conf_int(method="profile")
    wald = fit.conf_int()
    assert np.all(profile[:, 0] < fit.params) and np.all(fit.params < profile[:, 1])
    # the curvature in beta is mild, so its profile intervals are close to Wald's (but not equal);
    # sigma's profile interval is skewed to the right (n = 14)
    np.testing.assert_allclose(profile[:2], wald[:2], rtol=5e-3)
    assert not np.allclose(profile[:2], wald[:2], rtol=1e-5)
    assert profile[2, 1] - fit.sigma > fit.sigma - profile[2, 0]
    edge = profile[0, 1]
    assert 2 * (fit.loglik - fit.profile(0, edge)) == pytest.approx(3.841458820694124, rel=1e-6)


def test_two_dimensional_x():
    rng = np.random.default_rng(1)
    X = rng.uniform(0, 2, size=(200, 2))
    beta = np.array([2.0, 0.7, -0.4])

    def model(X, b):
        return b[0] * np.exp(b[1] * X[:, 0] + b[2] * X[:, 1])

    y = model(X, beta) + rng.normal(0, 0.1, 200)
    fit = fit_nonlinear(model, X, y, [1.0, 0.0, 0.0])
    assert fit.converged
    assert np.all(np.abs(fit.beta - beta) < 4 * fit.stderr[:3])


def test_not_converged_warns():
    x, y, start1, *_ = load("MGH09")
    with pytest.warns(mle.ConvergenceWarning, match="did not converge"):
        fit = fit_nonlinear(MODELS["MGH09"], x, y, start1, max_nfev=3)
    assert not fit.converged


def test_unidentified_model_warns():
    """b0 * b1 * x identifies only the product: a HessianWarning, and never a ConvergenceWarning
    (which the test configuration turns into an error) whatever the rounding of the Jacobian."""
    x, y, *_ = load("Misra1a")
    with pytest.warns(mle.HessianWarning, match="rank-deficient"):
        fit = fit_nonlinear(lambda x, b: b[0] * b[1] * x, x, y, [1.0, 1.0])
    assert np.all(np.isnan(fit.stderr))


X_OK, Y_OK, START_OK = load("Misra1a")[:3]


def misra(x, b):
    return b[0] * (1 - np.exp(-b[1] * x))


BAD = [
    (
        lambda: fit_nonlinear(lambda x, b: misra(x, b)[:-1], X_OK, Y_OK, START_OK),
        r"model\(x, start\) returned",
    ),
    (
        lambda: fit_nonlinear(lambda x, b: np.where(x > 700, np.nan, x * b[0]), X_OK, Y_OK, START_OK),
        "model.*NaN",
    ),
    (lambda: fit_nonlinear(lambda x, b: np.array(["a"] * 14), X_OK, Y_OK, START_OK), "model.*numbers"),
    (lambda: fit_nonlinear("misra", X_OK, Y_OK, START_OK), "model must be a function"),
    (lambda: fit_nonlinear(misra, X_OK, np.where(Y_OK > 80, np.nan, Y_OK), START_OK), "y contains 1 NaN"),
    (lambda: fit_nonlinear(misra, X_OK, Y_OK[:, None], START_OK), "y must be a 1-D array"),
    (lambda: fit_nonlinear(misra, X_OK, Y_OK, [500.0]), r"model\(x, beta\) raised .*right length.*at start"),
    (lambda: fit_nonlinear(misra, X_OK, Y_OK, [500.0, np.nan]), "start contains 1 NaN"),
    (lambda: fit_nonlinear(misra, X_OK, Y_OK, [[500.0, 1e-4]]), "start must be a 1-D array"),
    (lambda: fit_nonlinear(misra, X_OK.astype(str), Y_OK, START_OK), "x must be numeric"),
    (lambda: fit_nonlinear(misra, np.append(X_OK[:-1], np.inf), Y_OK, START_OK), "x contains 1 NaN"),
    (lambda: fit_nonlinear(misra, X_OK, Y_OK, START_OK, names=["a"]), "names has 1 entries"),
    (lambda: fit_nonlinear(misra, X_OK, Y_OK, START_OK, names=["a", "sigma"]), "names must be distinct"),
    (lambda: fit_nonlinear(misra, X_OK, Y_OK, START_OK, max_nfev=0), "max_nfev must be a positive"),
    (
        lambda: fit_nonlinear(misra, X_OK, Y_OK, START_OK, jac=lambda x, b: np.ones((14, 3))),
        r"jac\(x, start\)",
    ),
    (lambda: fit_nonlinear(misra, X_OK[:2], Y_OK[:2], START_OK), "needs more observations"),
]


@pytest.mark.parametrize(("call", "words"), BAD)
def test_bad_input(call, words):
    with pytest.raises(ValueError, match=words):
        call()


def test_profile_intervals_on_thurber_do_not_depend_on_call_order():
    """Regression: a warm-started profile once carried a bad local minimum (met while probing
    b1 = 0) into every later evaluation, so conf_int(method="profile") failed on Thurber."""
    data = mle.load_dataset("thurber")

    def thurber(x, b):
        return (b[0] + b[1] * x + b[2] * x**2 + b[3] * x**3) / (1 + b[4] * x + b[5] * x**2 + b[6] * x**3)

    fit = mle.fit_nonlinear(thurber, data["x"], data["y"], [1000, 1000, 400, 40, 0.7, 0.3, 0.03])
    q = scipy.stats.chi2.ppf(0.95, 1)
    for j in (0, 4, 6, 7):  # b1 and b5 used to fail; b7; sigma
        ends = mle.profile_interval(fit, j)
        assert ends[0] < fit.params[j] < ends[1]
        assert np.allclose(2 * (fit.loglik - mle.profile_likelihood(fit, j, ends)), q, rtol=1e-6)
    # a far-away value first, then the estimate: the profile at the estimate is still the maximum
    mle.profile_likelihood(fit, 0, [0.0])
    assert mle.profile_likelihood(fit, 0, [fit.params[0]])[0] == pytest.approx(fit.loglik, rel=1e-10)
