"""Every public function, driven with bad input.

Each case must end in a ValueError whose message names the argument, or in a documented warning
with a flagged result (converged=False or NaN standard errors): never an uncaught numpy error,
a crash deep inside scipy, or a silent wrong number. The book's appendix shows the same cases
with their messages.
"""

import inspect
import warnings

import numpy as np
import pytest

import mle_tutorial as mle

RNG = np.random.default_rng(0)
X, Y = mle.simulate_linear(40, [0.5, 1.0, 2.0], 0.5, seed=1)
Y01 = (Y > np.median(Y)).astype(float)
YCOUNT = RNG.poisson(2.0, 40).astype(float)
THETA = np.array([0.5, 1.0, 2.0, np.log(0.5)])
FIT = mle.fit_linear(X, Y)


def with_nan(a, index=(3,)):
    a = np.array(a, dtype=float)
    a[index] = np.nan
    return a


def expo(x, b):
    return b[0] * np.exp(-b[1] * x)


XN = np.linspace(0, 4, 30)
YN = expo(XN, [2.0, 0.7]) + 0.05 * RNG.standard_normal(30)

ZERO_VAR = np.column_stack([X, np.full(40, 3.0)])  # constant column beside the intercept
DUPLICATE = np.column_stack([X, X[:, 1]])


# (public name, what is wrong, call, words the ValueError must contain)
ERRORS = [
    # data and simulation
    ("simulate_linear", "n = 0", lambda: mle.simulate_linear(0, [1.0], 1.0), "n must be a positive integer"),
    ("simulate_linear", "sigma <= 0", lambda: mle.simulate_linear(5, [1.0], -1.0), "sigma must be > 0"),
    ("simulate_linear", "beta is text", lambda: mle.simulate_linear(5, ["a"], 1.0), "beta must be numeric"),
    ("load_dataset", "unknown name", lambda: mle.load_dataset("iris"), "name must be one of"),
    ("dataset_description", "unknown name", lambda: mle.dataset_description(3), "name must be one of"),
    # the seven steps
    ("starting_values", "y too short", lambda: mle.starting_values(X, Y[:-1]), "X has 40 rows but y has 39"),
    ("starting_values", "beta wrong length", lambda: mle.starting_values(X, Y, [1.0]), "beta has 1 values"),
    ("predict", "X is 1-D", lambda: mle.predict(X[:, 0], [1.0]), "X must be a 2-D array"),
    ("predict", "X is empty", lambda: mle.predict(np.empty((0, 3)), [1.0, 2.0, 3.0]), "X is empty"),
    ("predict", "X has NaN", lambda: mle.predict(with_nan(X, (0, 1)), [1.0, 2.0, 3.0]), "X contains 1 NaN"),
    ("predict", "X is strings", lambda: mle.predict(X.astype(str), [1.0, 2.0, 3.0]), "X must be numeric"),
    ("predict", "X is objects", lambda: mle.predict(X.astype(object), [1.0, 2.0, 3.0]), "X must be numeric"),
    ("residuals", "lengths differ", lambda: mle.residuals(Y, Y[:-1]), "y has 40 values but y_hat has 39"),
    ("residuals", "y has inf", lambda: mle.residuals([1.0, np.inf], [1.0, 2.0]), "y contains 1 NaN or infinite"),
    ("normal_pdf", "sigma = 0", lambda: mle.normal_pdf(0.0, sigma=0.0), "sigma must be > 0"),
    ("normal_logpdf", "x has NaN", lambda: mle.normal_logpdf([0.0, np.nan]), "x contains 1 NaN"),
    ("log_likelihood", "resid empty", lambda: mle.log_likelihood([], 1.0), "resid is empty"),
    ("log_likelihood", "sigma < 0", lambda: mle.log_likelihood([0.1], -2.0), "sigma must be > 0"),
    ("negative_log_likelihood", "params too short", lambda: mle.negative_log_likelihood(THETA[:2], X, Y),
     "params has 2 values"),
    ("negative_log_likelihood_gradient", "y too short",
     lambda: mle.negative_log_likelihood_gradient(THETA, X, Y[:5]), "X has 40 rows but y has 5"),
    ("negative_log_likelihood_hessian", "n < p",
     lambda: mle.negative_log_likelihood_hessian(THETA, X[:2], Y[:2]), "needs more rows"),
    # fitters: shapes, values, identifiability
    ("fit_linear", "n < p", lambda: mle.fit_linear(X[:3], Y[:3]), "X has 3 rows but the model has 4 parameters"),
    ("fit_linear", "zero-variance column", lambda: mle.fit_linear(ZERO_VAR, Y), "X is rank deficient"),
    ("fit_linear", "duplicate column", lambda: mle.fit_linear(DUPLICATE, Y), "X is rank deficient"),
    ("fit_linear", "perfect fit", lambda: mle.fit_linear(X, X @ [1.0, 2.0, 3.0]), "y is fitted exactly by X"),
    ("fit_linear", "y has NaN", lambda: mle.fit_linear(X, with_nan(Y)), "y contains 1 NaN"),
    ("fit_linear", "unknown method", lambda: mle.fit_linear(X, Y, method="LBFGS"), "method must be one of"),
    ("fit_linear", "start sigma <= 0", lambda: mle.fit_linear(X, Y, method="BFGS", start=[0, 0, 0, 0.0]),
     "start[-1] is sigma and must be > 0"),
    ("solve_least_squares", "y too short", lambda: mle.solve_least_squares(X, Y[:-1]), "X has 40 rows but y has 39"),
    ("solve_least_squares", "X has inf", lambda: mle.solve_least_squares(with_nan(X, (1, 1)) * 0 + np.inf, Y),
     "X contains"),
    ("fit_logistic", "labels outside {0,1}", lambda: mle.fit_logistic(X, Y01 * 2), "y must contain only 0 and 1"),
    ("fit_logistic", "all one class", lambda: mle.fit_logistic(X, np.ones(40)), "y is all 1"),
    ("fit_logistic", "perfect separation", lambda: mle.fit_logistic(X, (X[:, 1] > 0).astype(float)),
     "perfectly separated"),
    ("fit_logistic", "duplicate column", lambda: mle.fit_logistic(DUPLICATE, Y01), "X is rank deficient"),
    ("fit_poisson", "negative counts", lambda: mle.fit_poisson(X, YCOUNT - 5), "non-negative integer counts"),
    ("fit_poisson", "non-integer counts", lambda: mle.fit_poisson(X, YCOUNT + 0.5), "non-negative integer counts"),
    ("fit_poisson", "offset wrong length", lambda: mle.fit_poisson(X, YCOUNT, offset=np.zeros(3)),
     "offset has 3 values"),
    ("fit_student_t", "df <= 0", lambda: mle.fit_student_t(X, Y, df=0.0), "df"),
    ("fit_student_t", "n < p", lambda: mle.fit_student_t(X[:2], Y[:2]), "rows"),
    ("fit_nonlinear", "model not callable", lambda: mle.fit_nonlinear("expo", XN, YN, [1.0, 1.0]), "model must be"),
    ("fit_nonlinear", "model gives NaN at start",
     lambda: mle.fit_nonlinear(lambda x, b: np.full_like(x, np.nan), XN, YN, [1.0, 1.0]), "model"),
    ("fit_nonlinear", "y has NaN", lambda: mle.fit_nonlinear(expo, XN, with_nan(YN), [1.0, 1.0]), "y contains"),
    ("fit_nonlinear", "start has NaN", lambda: mle.fit_nonlinear(expo, XN, YN, [np.nan, 1.0]), "start contains"),
    ("fit_mle", "likelihood NaN at start", lambda: mle.fit_mle(lambda t: np.nan, [0.0]), "is nan at start"),
    ("fit_mle", "likelihood returns text", lambda: mle.fit_mle(lambda t: "1", [0.0]), "must return a number"),
    ("fit_mle", "start is 2-D", lambda: mle.fit_mle(lambda t: 0.0, [[0.0]]), "start must be a 1-D array"),
    # after the fit
    ("covariance_from_hessian", "not square", lambda: mle.covariance_from_hessian(np.ones((2, 3))), "square"),
    ("profile_likelihood", "unknown parameter", lambda: mle.profile_likelihood(FIT, "beta[7]", [1.0]),
     "is not one of"),
    ("profile_interval", "level >= 1", lambda: mle.profile_interval(FIT, 0, level=1.5), "level must be between"),
    ("likelihood_ratio_test", "not nested", lambda: mle.likelihood_ratio_test(FIT, mle.fit_linear(X[:, :2], Y)),
     "full must have more parameters"),
    ("numerical_gradient", "f is NaN at x", lambda: mle.numerical_gradient(lambda t: np.nan, [1.0]),
     "f is nan at x"),
    ("numerical_hessian", "x has inf", lambda: mle.numerical_hessian(lambda t: 0.0, [np.inf]), "x contains"),
]  # fmt: skip


@pytest.mark.parametrize("name, what, call, words", ERRORS, ids=[f"{c[0]}: {c[1]}" for c in ERRORS])
def test_bad_input_raises_a_clear_value_error(name, what, call, words):
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)  # a numpy warning on the way is a failure too
        with pytest.raises(ValueError) as info:
            call()
    assert words in str(info.value), str(info.value)


def _flagged(fit):
    return (not fit.converged) or not np.all(np.isfinite(fit.stderr))


# (public name, what is wrong, call, warning class) -> a flagged result, never silence
WARNINGS = [
    ("fit_linear", "optimizer out of iterations",
     lambda: mle.fit_linear(X, Y, method="BFGS", options={"maxiter": 2}), mle.ConvergenceWarning),
    ("fit_linear", "Nelder-Mead 'success' away from the maximum",
     lambda: mle.fit_linear(*mle.simulate_linear(300, np.linspace(0.5, 5.5, 11), 0.5, seed=408),
                            method="Nelder-Mead"), mle.ConvergenceWarning),
    ("fit_mle", "optimizer out of iterations",
     lambda: mle.fit_mle(lambda t: np.sum((t - 3.0) ** 4) + 1.0, [0.0, 0.0], options={"maxiter": 1}),
     mle.ConvergenceWarning),
    ("fit_mle", "likelihood with no maximum (flat in one direction)",
     lambda: mle.fit_mle(lambda t: (t[0] - 1.0) ** 2, [0.0, 0.0]), mle.HessianWarning),
    ("fit_nonlinear", "out of evaluations", lambda: mle.fit_nonlinear(expo, XN, YN, [50.0, 9.0], max_nfev=3),
     mle.ConvergenceWarning),
    ("fit_student_t", "nu runs off to infinity (normal data)",
     lambda: mle.fit_student_t(*mle.simulate_linear(500, [0.5, 1.0], 0.5, seed=1)), mle.ConvergenceWarning),
    ("covariance_from_hessian", "singular Hessian",
     lambda: mle.covariance_from_hessian([[1.0, 1.0], [1.0, 1.0]]), mle.HessianWarning),
]  # fmt: skip


@pytest.mark.parametrize("name, what, call, category", WARNINGS, ids=[f"{c[0]}: {c[1]}" for c in WARNINGS])
def test_failure_is_a_warning_with_a_flagged_result(name, what, call, category):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = call()
    assert any(issubclass(w.category, category) for w in caught), [str(w.message) for w in caught]
    assert not any(issubclass(w.category, RuntimeWarning) for w in caught), "a raw numpy warning leaked"
    if isinstance(result, mle.FitResult):
        assert _flagged(result)
    else:
        assert np.all(np.isnan(result))


def test_every_public_function_is_driven_with_bad_input():
    covered = {case[0] for case in ERRORS} | {case[0] for case in WARNINGS}
    public = {
        name
        for name in mle.__all__
        if inspect.isfunction(getattr(mle, name)) and name not in {"list_datasets"}  # takes no input
    }
    assert public <= covered, f"no bad-input case for {sorted(public - covered)}"


def test_fit_result_methods_reject_bad_arguments():
    with pytest.raises(ValueError, match="level must be between"):
        FIT.conf_int(level=0.0)
    with pytest.raises(ValueError, match='method must be "wald" or "profile"'):
        FIT.conf_int(method="bayes")
    with pytest.raises(ValueError, match="level must be between"):
        FIT.summary(level=2.0)
