"""Every public function, driven with bad input: one table.

Each case must end in a ValueError whose message names the argument, or in a documented warning
with a flagged result (converged=False or NaN standard errors): never an uncaught numpy error,
a crash deep inside scipy, or a silent wrong number. The book's appendix (chapter 20) shows the
same kinds of cases with their messages.
"""

import inspect
import warnings

import numpy as np
import pandas as pd
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

X_OK, Y_OK = mle.simulate_linear(20, [0.5, 1.0, 2.0], 0.5, seed=0)
THETA_OK = np.array([0.5, 1.0, 2.0, np.log(0.5)])


def with_value(a, value, index=(3,)):
    a = np.array(a, dtype=float)
    a[index] = value
    return a


ZERO_VAR = np.column_stack([X, np.full(40, 3.0)])  # constant column beside the intercept
DUPLICATE = np.column_stack([X, X[:, 1]])
FRAME = pd.DataFrame(X, columns=["const", "x1", "x2"])
G8 = np.repeat(np.arange(8), 5)  # 8 groups of 5 rows, for the mixed models
SHIFTED = pd.Series(Y, index=np.arange(1, 41))  # labels 1..40 against X's 0..39
MASKED_Y = np.ma.masked_array(Y, np.arange(40) == 5)
GROUP_OF_ZEROS = (np.column_stack([np.ones(6), [0, 0, 1, 1, 2, 2], [1, 1, 0, 0, 0, 0]]), [0, 0, 1, 3, 2, 5])
NLL = lambda t: float(np.sum((t - 1.0) ** 2) + 1.0)  # noqa: E731

# incomplete data: survival times, censored and truncated y, a mixture sample
GEHAN = mle.load_dataset("gehan")
TIME, EVENT, GROUP = GEHAN["time"], GEHAN["event"], GEHAN["group"]
XG = np.column_stack([np.ones(42), GROUP])
NO_EVENT_IN_GROUP_1 = np.where(GROUP == 1, 0.0, EVENT)  # the 6-MP coefficient has no finite MLE
LOWER, UPPER = TIME.copy(), np.where(EVENT == 1, TIME, np.inf)
YC = np.maximum(Y, 1.0)  # censored below at 1
MIX = np.concatenate([RNG.normal(-2, 1, 60), RNG.normal(2, 1, 60)])
RESP = np.column_stack([np.linspace(0, 1, 40), 1 - np.linspace(0, 1, 40)])
FRAME_G = pd.DataFrame(XG, columns=["const", "mp6"])
LATER = np.arange(1, 43)  # labels 1..42 against the 0..41 of a default index
MASKED_TIME = np.ma.masked_array(TIME, np.arange(42) == 5)
GEHAN_W = mle.fit_survival(TIME, EVENT, XG)


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
    # incomplete data
    ("fit_survival", "negative time", lambda: mle.fit_survival(with_value(TIME, -2.0), EVENT), "time must be > 0"),
    ("fit_survival", "zero time", lambda: mle.fit_survival(with_value(TIME, 0.0), EVENT), "time must be > 0"),
    ("fit_survival", "event coded 1/2", lambda: mle.fit_survival(TIME, EVENT + 1), "event must hold only 0 (censored) and 1"),
    ("fit_survival", "all censored", lambda: mle.fit_survival(TIME, np.zeros(42)), "every observation is censored"),
    ("fit_survival", "event one short", lambda: mle.fit_survival(TIME, EVENT[:-1]), "event has 41 values but time has 42"),
    ("fit_survival", "X rows differ", lambda: mle.fit_survival(TIME, EVENT, XG[:40]), "X has 40 rows but time has 42"),
    ("fit_survival", "time has NaN", lambda: mle.fit_survival(with_nan(TIME), EVENT), "time contains 1 NaN"),
    ("fit_survival", "unknown dist", lambda: mle.fit_survival(TIME, EVENT, dist="gamma"), "dist must be one of"),
    ("fit_survival", "unknown censoring", lambda: mle.fit_survival(TIME, EVENT, censoring="interval"), "censoring must be one of"),
    ("fit_survival", "duplicate column", lambda: mle.fit_survival(TIME, EVENT, np.column_stack([XG, GROUP])), "X is rank deficient"),
    ("fit_interval_censored", "lower > upper", lambda: mle.fit_interval_censored(LOWER + 1, TIME), "upper must be >= lower"),
    ("fit_interval_censored", "negative lower", lambda: mle.fit_interval_censored(with_value(LOWER, -1.0), UPPER), "lower must be >= 0"),
    ("fit_interval_censored", "row (0, inf)", lambda: mle.fit_interval_censored(with_value(LOWER, 0.0), with_value(UPPER, np.inf)), "says nothing"),
    ("fit_interval_censored", "only one-sided rows", lambda: mle.fit_interval_censored(LOWER, np.full(42, np.inf)), "every row is right- or left-censored"),
    ("fit_interval_censored", "upper has NaN", lambda: mle.fit_interval_censored(LOWER, with_nan(UPPER)), "upper contains 1 NaN"),
    ("fit_tobit", "y below the lower limit", lambda: mle.fit_tobit(X, with_value(YC, 0.5), lower=1.0), "y has 1 value(s) below lower"),
    ("fit_tobit", "lower >= upper", lambda: mle.fit_tobit(X, YC, lower=1.0, upper=1.0), "lower must be below upper"),
    ("fit_tobit", "every y at a limit", lambda: mle.fit_tobit(X, np.ones(40), lower=1.0), "every y is at a censoring limit"),
    ("fit_tobit", "no limit at all", lambda: mle.fit_tobit(X, Y, lower=-np.inf), "lower and upper are both infinite"),
    ("fit_tobit", "upper wrong length", lambda: mle.fit_tobit(X, YC, lower=1.0, upper=np.full(3, 9.0)), "upper must be a number or an array of 40 values"),
    ("fit_truncated_normal", "y above upper", lambda: mle.fit_truncated_normal(X, Y, upper=np.max(Y) - 0.1), "above upper"),
    ("fit_truncated_normal", "no truncation", lambda: mle.fit_truncated_normal(X, Y), "lower and upper are both infinite"),
    ("fit_truncated_normal", "lower is text", lambda: mle.fit_truncated_normal(X, Y, lower="0"), "lower must be numeric"),
    ("fit_normal_mixture", "one component", lambda: mle.fit_normal_mixture(MIX, 1), "n_components must be at least 2"),
    ("fit_normal_mixture", "unknown method", lambda: mle.fit_normal_mixture(MIX, 2, method="ECM"), "method must be one of"),
    ("fit_normal_mixture", "allow_narrow is text", lambda: mle.fit_normal_mixture(MIX, 2, allow_narrow="no"),
     "allow_narrow must be True or False, got 'no'"),
    ("fit_normal_mixture", "refit by an optimizer", lambda: mle.fit_normal_mixture(MIX, 2).model.fit(method="BFGS"),
     "a normal mixture is fitted by EM; method must be one of"),
    ("fit_survival", "a SciPy trust-exact option", lambda: mle.fit_survival(TIME, EVENT, options={"gtol": 1e-8}),
     "options has unknown key(s) ['gtol'] for fit_survival(dist='weibull'); it takes ['max_iter', 'tol']"),
    ("fit_tobit", "SciPy's maxiter for max_iter", lambda: mle.fit_tobit(X, YC, lower=1.0, options={"maxiter": 5}),
     "options has unknown key(s) ['maxiter'] for fit_tobit"),
    ("fit_interval_censored", "max_iter = 0", lambda: mle.fit_interval_censored(TIME, TIME, options={"max_iter": 0}),
     "options['max_iter'] must be a positive integer"),
    ("fit_normal_mixture", "x has NaN", lambda: mle.fit_normal_mixture(with_nan(MIX)), "x contains 1 NaN"),
    ("fit_normal_mixture", "too few distinct values", lambda: mle.fit_normal_mixture(np.repeat([1.0, 2.0], 20), 2), "more than 2 distinct"),
    ("fit_normal_mixture", "start collapses onto a point",
     lambda: mle.fit_normal_mixture(MIX, 2, start=([0.5, 0.5], [MIX[0], 0.0], [1e-4, 2.0])), "collapsed"),
    ("fit_normal_mixture", "start has 3 components",
     lambda: mle.fit_normal_mixture(MIX, 2, start=([0.3, 0.3, 0.4], [0.0, 1.0, 2.0], [1.0, 1.0, 1.0])), "start has 3 components"),
    ("em_e_step", "weights do not sum to 1", lambda: mle.em_e_step(MIX, [0.5, 0.6], [0.0, 1.0], [1.0, 1.0]), "weights must sum to 1"),
    ("em_e_step", "sd = 0", lambda: mle.em_e_step(MIX, [0.5, 0.5], [0.0, 1.0], [0.0, 1.0]), "sds must be > 0"),
    ("em_e_step", "means one short", lambda: mle.em_e_step(MIX, [0.5, 0.5], [0.0], [1.0, 1.0]), "means has 1 values but weights has 2"),
    ("em_m_step", "rows do not sum to 1", lambda: mle.em_m_step(Y, RESP * 0.5), "each row of responsibilities must sum to 1"),
    ("em_m_step", "a component with no weight", lambda: mle.em_m_step(Y, np.column_stack([np.ones(40), np.zeros(40)])),
     "component 1 has no responsibility"),
    ("em_m_step", "rows differ", lambda: mle.em_m_step(Y[:-1], RESP), "responsibilities has 40 rows but x has 39"),
    # incomplete data, the rules of issue 13: pandas, masks, shapes, names, likelihood-ratio tests
    ("fit_survival", "time labels differ from X's", lambda: mle.fit_survival(pd.Series(TIME, index=LATER), EVENT, FRAME_G), "X and time are pandas objects with different index labels"),
    ("fit_survival", "event labels differ from time's", lambda: mle.fit_survival(pd.Series(TIME), pd.Series(EVENT, index=LATER)), "time and event are pandas objects"),
    ("fit_survival", "duplicate labels", lambda: mle.fit_survival(TIME, pd.Series(EVENT, index=[0] * 42), FRAME_G), "duplicate labels"),
    ("fit_survival", "text column", lambda: mle.fit_survival(TIME, EVENT, FRAME_G.assign(g=["a", "b"] * 21)), "its column 'g' has dtype"),
    ("fit_survival", "time masked", lambda: mle.fit_survival(MASKED_TIME, EVENT), "time is a masked array with 1 masked value"),
    ("fit_survival", "time a one-column DataFrame", lambda: mle.fit_survival(pd.DataFrame({"t": TIME}), EVENT), "pass one column as a Series (time['t'])"),
    ("fit_survival", "time of shape (n, 1)", lambda: mle.fit_survival(TIME[:, None], EVENT), "pass time.ravel()"),
    ("fit_survival", "event with a missing value", lambda: mle.fit_survival(TIME, pd.Series(EVENT, dtype="Int64").where(LATER != 4, pd.NA)), "event contains 1 NaN or infinite value(s) (a missing value counts as NaN"),
    ("fit_survival", "names too short", lambda: mle.fit_survival(TIME, EVENT, XG, names=["a"]), "names has 1 entries but X has 2 columns"),
    ("fit_survival", "column named sigma", lambda: mle.fit_survival(TIME, EVENT, FRAME_G.rename(columns={"mp6": "sigma"})), "must be distinct and not 'sigma'"),
    ("fit_interval_censored", "upper labels differ from lower's", lambda: mle.fit_interval_censored(pd.Series(LOWER), pd.Series(UPPER, index=LATER)), "lower and upper are pandas objects"),
    ("fit_interval_censored", "upper masked", lambda: mle.fit_interval_censored(LOWER, np.ma.masked_array(UPPER, LATER == 3)), "upper is a masked array with 1 masked value"),
    ("fit_interval_censored", "upper of shape (n, 1)", lambda: mle.fit_interval_censored(LOWER, UPPER[:, None]), "upper must be an array of 42 values, got an array with shape (42, 1); pass upper.ravel()"),
    ("fit_interval_censored", "names repeated", lambda: mle.fit_interval_censored(LOWER, UPPER, XG, names=["a", "a"]), "names must be distinct"),
    ("fit_tobit", "lower labels differ from X's", lambda: mle.fit_tobit(FRAME, YC, lower=pd.Series(np.ones(40), index=np.arange(1, 41))), "X and lower are pandas objects with different index labels"),
    ("fit_tobit", "lower masked", lambda: mle.fit_tobit(X, YC, lower=np.ma.masked_array(np.ones(40), np.arange(40) == 2)), "lower is a masked array with 1 masked value"),
    ("fit_tobit", "lower with a missing value", lambda: mle.fit_tobit(X, YC, lower=pd.Series(np.ones(40), dtype="Float64").where(np.arange(40) != 2, pd.NA)), "lower contains 1 NaN value(s) (a missing value counts as NaN"),
    ("fit_tobit", "lower of shape (n, 1)", lambda: mle.fit_tobit(X, YC, lower=np.ones((40, 1))), "pass lower.ravel()"),
    ("fit_tobit", "y of shape (n, 1)", lambda: mle.fit_tobit(X, YC[:, None], lower=1.0), "pass y.ravel()"),
    ("fit_tobit", "column named sigma", lambda: mle.fit_tobit(FRAME.rename(columns={"x2": "sigma"}), YC, lower=1.0), "must be distinct and not 'sigma'"),
    ("fit_truncated_normal", "upper labels differ from y's", lambda: mle.fit_truncated_normal(X, pd.Series(Y), upper=pd.Series(np.full(40, 9.0), index=np.arange(1, 41))), "y and upper are pandas objects"),
    ("fit_truncated_normal", "names wrong length", lambda: mle.fit_truncated_normal(X, Y, upper=9.0, names=["a", "b"]), "names has 2 entries but X has 3 columns"),
    ("fit_normal_mixture", "x masked", lambda: mle.fit_normal_mixture(np.ma.masked_array(MIX, np.arange(120) == 7)), "x is a masked array with 1 masked value"),
    ("fit_normal_mixture", "x a one-column DataFrame", lambda: mle.fit_normal_mixture(pd.DataFrame({"x": MIX})), "pass one column as a Series (x['x'])"),
    ("fit_normal_mixture", "names repeated", lambda: mle.fit_normal_mixture(MIX, 2, names=["a", "a"]), "names must be distinct"),
    ("em_e_step", "x masked", lambda: mle.em_e_step(np.ma.masked_array(MIX, np.arange(120) == 7), [0.5, 0.5], [0.0, 1.0], [1.0, 1.0]), "x is a masked array with 1 masked value"),
    ("em_m_step", "responsibilities labels differ from x's", lambda: mle.em_m_step(pd.Series(Y), pd.DataFrame(RESP, index=np.arange(1, 41))), "x and responsibilities are pandas objects"),
    ("likelihood_ratio_test", "Weibull and log-normal", lambda: mle.likelihood_ratio_test(mle.fit_survival(TIME, EVENT, dist="lognormal"), GEHAN_W), "restricted is a lognormal fit but full is a weibull fit"),
    ("likelihood_ratio_test", "survival and Tobit", lambda: mle.likelihood_ratio_test(mle.fit_tobit(XG[:, :1], np.log(TIME)), GEHAN_W), "restricted is a tobit fit but full is a weibull fit"),
    ("likelihood_ratio_test", "Weibull inside the exponential", lambda: mle.likelihood_ratio_test(mle.fit_survival(TIME, EVENT), mle.fit_survival(TIME, EVENT, XG, dist="exponential")), "an exponential fit is nested in a weibull fit, not the other way round"),
    ("likelihood_ratio_test", "different events", lambda: mle.likelihood_ratio_test(mle.fit_survival(TIME, np.ones(42), dist="exponential"), GEHAN_W), "fitted to different data"),
    ("likelihood_ratio_test", "two mixtures", lambda: mle.likelihood_ratio_test(mle.fit_normal_mixture(MIX, 2), mle.fit_normal_mixture(MIX, 3, max_iter=100_000)), "no likelihood-ratio test of two normal_mixture fits"),
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
    # the out-of-core helpers
    ("map_reduce", "arrays in memory", lambda: mle.map_reduce(lambda Xc: {"n": len(Xc)}, [X]),
     "arrays must be a non-empty sequence of Dask arrays"),
    ("map_reduce", "no arrays", lambda: mle.map_reduce(lambda: {}, []), "non-empty sequence"),
    ("glm_chunk_statistics", "unknown family", lambda: mle.glm_chunk_statistics(X, Y01, np.zeros(3), family="probit"),
     "family must be 'logistic' or 'poisson'"),
    ("glm_chunk_statistics", "beta wrong length", lambda: mle.glm_chunk_statistics(X, Y01, np.zeros(2)),
     "beta has 2 values but X has 3 columns"),
    ("glm_chunk_statistics", "y too short", lambda: mle.glm_chunk_statistics(X, Y01[:-1], np.zeros(3)),
     "X has 40 rows but y has 39"),
    # more messages, case by case
    ("predict", "beta has 2 values but X has 3 columns", lambda: mle.predict(X_OK, [1.0, 2.0]), "beta has 2 values but X has 3 columns"),
    ("predict", "X must be a 2-D array", lambda: mle.predict(X_OK[:, 0], [1.0]), "X must be a 2-D array"),
    ("predict", "X contains 1 NaN or infinite", lambda: mle.predict(with_value(X_OK, np.nan, (3, 1)), [1.0, 2.0, 3.0]), "X contains 1 NaN or infinite"),
    ("predict", "beta contains 1 NaN or infinite", lambda: mle.predict(X_OK, [1.0, np.inf, 3.0]), "beta contains 1 NaN or infinite"),
    ("predict", "X must be numeric", lambda: mle.predict(X_OK.astype(str), [1.0, 2.0, 3.0]), "X must be numeric"),
    ("predict", "X must be numeric", lambda: mle.predict(X_OK.astype(object), [1.0, 2.0, 3.0]), "X must be numeric"),
    ("predict", "X is empty", lambda: mle.predict(np.empty((0, 3)), [1.0, 2.0, 3.0]), "X is empty"),
    ("predict", "beta must be numeric", lambda: mle.predict(X_OK, [1.0 + 2j, 2.0, 3.0]), "beta must be numeric"),
    ("residuals", "y has 20 values but y_hat has 19", lambda: mle.residuals(Y_OK, Y_OK[:-1]), "y has 20 values but y_hat has 19"),
    ("residuals", "y must be numeric", lambda: mle.residuals(["a", "b"], [1.0, 2.0]), "y must be numeric"),
    ("residuals", "y must be a 1-D array", lambda: mle.residuals([[1.0, 2.0]], [1.0, 2.0]), "y must be a 1-D array"),
    ("residuals", "y_hat contains 1 NaN", lambda: mle.residuals([1.0, 2.0], [1.0, np.nan]), "y_hat contains 1 NaN"),
    ("normal_pdf", "sigma must be > 0, got 0.0", lambda: mle.normal_pdf(0.0, sigma=0.0), "sigma must be > 0, got 0.0"),
    ("normal_logpdf", "sigma must be > 0, got -1.0", lambda: mle.normal_logpdf(0.0, sigma=-1.0), "sigma must be > 0, got -1.0"),
    ("normal_logpdf", "sigma contains 1 NaN", lambda: mle.normal_logpdf(0.0, sigma=np.nan), "sigma contains 1 NaN"),
    ("normal_logpdf", "mu must be a scalar", lambda: mle.normal_logpdf(0.0, mu=[0.0, 1.0]), "mu must be a scalar"),
    ("normal_pdf", "x contains 1 NaN or infinite", lambda: mle.normal_pdf([1.0, np.inf]), "x contains 1 NaN or infinite"),
    ("normal_pdf", "x must be numeric", lambda: mle.normal_pdf("1.0"), "x must be numeric"),
    ("log_likelihood", "sigma must be > 0", lambda: mle.log_likelihood([0.1, 0.2], 0.0), "sigma must be > 0"),
    ("log_likelihood", "resid is empty", lambda: mle.log_likelihood([], 1.0), "resid is empty"),
    ("log_likelihood", "resid contains 1 NaN", lambda: mle.log_likelihood([0.1, np.nan], 1.0), "resid contains 1 NaN"),
    ("negative_log_likelihood", "params has 3 values but X has 3", lambda: mle.negative_log_likelihood(THETA_OK[:3], X_OK, Y_OK), "params has 3 values but X has 3"),
    ("negative_log_likelihood", "X has 20 rows but y has 19 values", lambda: mle.negative_log_likelihood(THETA_OK, X_OK, Y_OK[:-1]), "X has 20 rows but y has 19 values"),
    ("negative_log_likelihood", "sigma", lambda: mle.negative_log_likelihood(with_value(THETA_OK, -800.0), X_OK, Y_OK), "sigma"),
    ("negative_log_likelihood_gradient", "X has 20 rows", lambda: mle.negative_log_likelihood_gradient(THETA_OK, X_OK, Y_OK[:-1]), "X has 20 rows"),
    ("negative_log_likelihood_hessian", "params has 1 values", lambda: mle.negative_log_likelihood_hessian([1.0], X_OK, Y_OK), "params has 1 values"),
    ("fit_linear", "X has 20 rows but y has 19 values", lambda: mle.fit_linear(X_OK, Y_OK[:-1]), "X has 20 rows but y has 19 values"),
    ("fit_linear", "y contains 1 NaN", lambda: mle.fit_linear(X_OK, with_value(Y_OK, np.nan)), "y contains 1 NaN"),
    ("fit_linear", "y contains 1 NaN or infinite", lambda: mle.fit_linear(X_OK, with_value(Y_OK, np.inf)), "y contains 1 NaN or infinite"),
    ("fit_linear", "X contains 1 NaN or infinite", lambda: mle.fit_linear(with_value(X_OK, -np.inf, (0, 2)), Y_OK), "X contains 1 NaN or infinite"),
    ("fit_linear", "X has 3 rows but the model has 4 parameters", lambda: mle.fit_linear(X_OK[:3], Y_OK[:3]), "X has 3 rows but the model has 4 parameters"),
    ("fit_linear", "X has 2 rows but the model has 4 parameters", lambda: mle.fit_linear(X_OK[:2], Y_OK[:2]), "X has 2 rows but the model has 4 parameters"),
    ("fit_linear", "X must be numeric", lambda: mle.fit_linear(X_OK.astype(str), Y_OK), "X must be numeric"),
    ("fit_linear", "y must be numeric", lambda: mle.fit_linear(X_OK, Y_OK.astype(object)), "y must be numeric"),
    ("fit_linear", "y must be a 1-D array", lambda: mle.fit_linear(X_OK, Y_OK.reshape(-1, 1)), "y must be a 1-D array"),
    ("fit_linear", "X could not be read as an array", lambda: mle.fit_linear([[1.0, 2.0], [3.0]], [1.0, 2.0]), "X could not be read as an array"),
    ("fit_linear", "method must be one of", lambda: mle.fit_linear(X_OK, Y_OK, method="newton"), "method must be one of"),
    ("fit_linear", "start[-1] is sigma", lambda: mle.fit_linear(X_OK, Y_OK, method="BFGS", start=[0.0, 0.0, 0.0, 0.0]), "start[-1] is sigma"),
    ("fit_linear", "must be > 0", lambda: mle.fit_linear(X_OK, Y_OK, method="Nelder-Mead", start=[0.0, 0.0, 0.0, -1.0]), "must be > 0"),
    ("fit_linear", "start has 2 values", lambda: mle.fit_linear(X_OK, Y_OK, method="BFGS", start=[0.0, 1.0]), "start has 2 values"),
    ("fit_linear", "rank deficient: column", lambda: mle.fit_linear(np.column_stack([X_OK, X_OK[:, 2]]), Y_OK), "rank deficient: column"),
    ("starting_values", "beta has 1 values but X has 3 columns", lambda: mle.starting_values(X_OK, Y_OK, beta=[1.0]), "beta has 1 values but X has 3 columns"),
    ("starting_values", "sigma would be 0", lambda: mle.starting_values(X_OK, X_OK @ [1.0, 2.0, 3.0], beta=[1.0, 2.0, 3.0]), "sigma would be 0"),
    ("simulate_linear", "n must be a positive integer", lambda: mle.simulate_linear(0, [1.0], 1.0), "n must be a positive integer"),
    ("simulate_linear", "n must be a positive integer", lambda: mle.simulate_linear(10.5, [1.0], 1.0), "n must be a positive integer"),
    ("simulate_linear", "sigma must be > 0", lambda: mle.simulate_linear(10, [1.0], 0.0), "sigma must be > 0"),
    ("simulate_linear", "beta must be a 1-D array", lambda: mle.simulate_linear(10, [[1.0]], 1.0), "beta must be a 1-D array"),
    # issue 14: Wald and score tests, the bootstrap, robust covariance
    ("wald_test", "not a FitResult", lambda: mle.wald_test("fit", ["beta[1]"]), "fit must be a FitResult"),
    ("wald_test", "R with the wrong number of columns", lambda: mle.wald_test(FIT, np.eye(3)), "R must have k = 4 columns"),
    ("wald_test", "dependent restrictions", lambda: mle.wald_test(FIT, [[0, 1, 0, 0], [0, 2, 0, 0]]), "linearly independent"),
    ("wald_test", "unknown parameter name", lambda: mle.wald_test(FIT, ["gamma"]), "which are not in"),
    ("wald_test", "q of the wrong length", lambda: mle.wald_test(FIT, ["beta[1]"], q=[1.0, 2.0]), "q has 2 values"),
    ("wald_test", "R with NaN", lambda: mle.wald_test(FIT, [np.nan, 1.0, 0.0, 0.0]), "R contains 1 NaN"),
    ("score_test", "X_full with no more columns", lambda: mle.score_test(mle.fit_linear(X[:, :2], Y), X[:, [0, 2]] + 1.0), "more columns"),
    ("score_test", "restricted column outside X_full", lambda: mle.score_test(mle.fit_linear(X[:, :2], Y), np.column_stack([X[:, [0, 2]], X[:, 2] ** 2])), "not nested"),
    ("score_test", "X_full of another length", lambda: mle.score_test(mle.fit_linear(X[:, :2], Y), X[:20]), "X_full has 20 rows"),
    ("score_test", "rank-deficient X_full", lambda: mle.score_test(mle.fit_linear(X[:, :2], Y), DUPLICATE), "rank deficient"),
    ("score_test", "fit_mle without the full model", lambda: mle.score_test(mle.fit_mle(lambda t: np.sum((t - 1.0) ** 2) + 1.0, [0.0, 0.0]), X), "for fit_mle pass the full model"),
    ("score_test", "fit_mle: tested missing", lambda: mle.score_test(mle.fit_mle(lambda t: np.sum((t - 1.0) ** 2) + 1.0, [0.0]), [1.0, 0.0], negative_log_likelihood=lambda t: np.sum((t - 1.0) ** 2) + 1.0), "tested must list"),
    ("score_test", "fit_mle: theta_full not the restricted fit", lambda: mle.score_test(mle.fit_mle(lambda t: np.sum((t - 1.0) ** 2) + 1.0, [0.0]), [1.0, 5.0], negative_log_likelihood=lambda t: np.sum((t - 1.0) ** 2) + 1.0, tested=[1]), "not the restricted fit"),
    ("bootstrap", "fitter is not callable", lambda: mle.bootstrap("fit_linear", X, Y), "fitter must be a function"),
    ("bootstrap", "no data", lambda: mle.bootstrap(mle.fit_linear), "bootstrap needs the data"),
    ("bootstrap", "data of different lengths", lambda: mle.bootstrap(mle.fit_linear, X, Y[:10]), "data[1] has 10 rows"),
    ("bootstrap", "unknown method", lambda: mle.bootstrap(mle.fit_linear, X, Y, method="studentized"), "method must be one of"),
    ("bootstrap", "unknown kind", lambda: mle.bootstrap(mle.fit_linear, X, Y, kind="Bayesian"), "kind must be one of"),
    ("bootstrap", "n_resamples = 0", lambda: mle.bootstrap(mle.fit_linear, X, Y, n_resamples=0), "n_resamples must be a positive integer"),
    ("bootstrap", "level = 1", lambda: mle.bootstrap(mle.fit_linear, X, Y, level=1.0), "level must be between"),
    ("bootstrap", "parametric BCa", lambda: mle.bootstrap(mle.fit_linear, X, Y, kind="parametric", method="BCa"), 'method="BCa" is for the nonparametric'),
    ("bootstrap", "parametric of a model that cannot simulate", lambda: mle.bootstrap(lambda a, b: mle.fit_mle(lambda t: np.sum((t - 1.0) ** 2) + 1.0, [0.0, 0.0], nobs=len(b)), X, Y, kind="parametric"), "simulate="),
    ("bootstrap", "fitter returns no FitResult", lambda: mle.bootstrap(lambda a, b: 1.0, X, Y), "fitter must return a FitResult"),
    ("bootstrap", "failures unknown", lambda: mle.bootstrap(mle.fit_linear, X, Y, failures="skip"), "failures must be"),
    ("fit_mle", "loglik_obs that does not sum to the NLL", lambda: mle.fit_mle(lambda t: np.sum((t - 1.0) ** 2) + 1.0, [0.0], loglik_obs=lambda t: np.zeros(5)), "must sum to minus"),
    ("fit_mle", "loglik_obs not a function", lambda: mle.fit_mle(lambda t: np.sum((t - 1.0) ** 2) + 1.0, [0.0], loglik_obs=3), "loglik_obs must be a function"),
    ("fit_mle", "score_obs of the wrong shape", lambda: mle.fit_mle(lambda t: np.sum((t - np.arange(3.0)) ** 2), [0.0], loglik_obs=lambda t: -((t - np.arange(3.0)) ** 2), score_obs=lambda t: np.ones((3, 2))), "score_obs(theta) returned shape (3, 2); it must return shape (n, k) = (3, 1), at start"),
    ("fit_mle", "robust without loglik_obs", lambda: mle.fit_mle(lambda t: np.sum((t - 1.0) ** 2) + 1.0, [0.0]).robust(), "needs loglik_obs="),
    # issue 13: data in (pandas, masks, dtypes, shapes), callbacks, seeds, refusals of what has no answer
    ("simulate_linear", "seed = -1", lambda: mle.simulate_linear(5, [1.0], 1.0, seed=-1), "seed must be a non-negative integer, got -1"),
    ("simulate_linear", "seed is text", lambda: mle.simulate_linear(5, [1.0], 1.0, seed="a"), "seed must be None, a non-negative integer"),
    ("simulate_linear", "seed is a float", lambda: mle.simulate_linear(5, [1.0], 1.0, seed=1.5), "seed must be None"),
    ("fit_linear", "pandas labels differ", lambda: mle.fit_linear(FRAME, SHIFTED), "X and y are pandas objects with different index labels"),
    ("fit_linear", "pandas duplicate labels", lambda: mle.fit_linear(FRAME, pd.Series(Y, index=[0] * 40)), "duplicate labels"),
    ("fit_linear", "text column", lambda: mle.fit_linear(FRAME.assign(g=["a", "b"] * 20), Y), "its column 'g' has dtype"),
    ("fit_linear", "y masked", lambda: mle.fit_linear(X, MASKED_Y), "y is a masked array with 1 masked value"),
    ("fit_linear", "names too short", lambda: mle.fit_linear(X, Y, names=["a"]), "names has 1 entries but X has 3 columns"),
    ("fit_linear", "column named sigma", lambda: mle.fit_linear(FRAME.rename(columns={"x2": "sigma"}), Y), "must be distinct and not 'sigma'"),
    ("fit_linear", "y a one-column DataFrame", lambda: mle.fit_linear(X, pd.DataFrame({"y": Y})), "pass one column as a Series"),
    ("fit_logistic", "names repeated", lambda: mle.fit_logistic(X, Y01, names=["a", "a", "b"]), "names must be distinct"),
    ("fit_poisson", "a group of zero counts (no MLE)", lambda: mle.fit_poisson(*GROUP_OF_ZEROS), "the Poisson MLE does not exist"),
    ("fit_poisson", "offset overflows", lambda: mle.fit_poisson(X, YCOUNT, offset=np.r_[np.zeros(39), 800.0]), "offset has values up to 800"),
    ("fit_poisson", "offset labels differ", lambda: mle.fit_poisson(FRAME, YCOUNT, offset=SHIFTED), "X and offset"),
    ("fit_student_t", "names wrong length", lambda: mle.fit_student_t(X, Y, names=["a", "b"]), "names has 2 entries"),
    ("fit_mle", "likelihood not callable", lambda: mle.fit_mle("nll", [0.0]), "negative_log_likelihood must be a function"),
    ("fit_mle", "complex likelihood", lambda: mle.fit_mle(lambda t: NLL(t) + 1j, [0.0]), "returned the complex number"),
    ("fit_mle", "gradient of the wrong length", lambda: mle.fit_mle(NLL, [0.0], gradient=lambda t: np.zeros(2)), "gradient(theta) returned shape (2,), but theta has 1 value(s): it must return one value per parameter (1,), at start"),
    ("fit_mle", "gradient NaN at start", lambda: mle.fit_mle(NLL, [0.0], gradient=lambda t: np.array([np.nan])), "gradient returned 1 NaN"),
    ("fit_mle", "gradient not callable", lambda: mle.fit_mle(NLL, [0.0], gradient=[0.0]), "gradient must be a function"),
    ("fit_mle", "Hessian of the wrong shape", lambda: mle.fit_mle(NLL, [0.0], gradient=lambda t: 2 * (t - 1), hessian=lambda t: np.eye(2)), "hessian(theta) returned shape (2, 2)"),
    ("fit_mle", "Hessian not symmetric", lambda: mle.fit_mle(NLL, [0.0, 0.0], gradient=lambda t: 2 * (t - 1), hessian=lambda t: np.array([[2.0, 1.0], [0.0, 2.0]])), "hessian(start) is not symmetric"),
    ("fit_mle", "args not a tuple", lambda: mle.fit_mle(lambda t, a: NLL(t), [0.0], args=np.ones(3)), "args must be a tuple"),
    ("fit_nonlinear", "jac not callable", lambda: mle.fit_nonlinear(expo, XN, YN, [1.0, 1.0], jac="jac"), "jac must be a function"),
    ("fit_nonlinear", "model returns complex", lambda: mle.fit_nonlinear(lambda x, b: x * (1 + 1j), XN, YN, [1.0, 1.0]), "model(x, beta) returned complex values; the model must be real, at start"),
    ("fit_nonlinear", "x and y labels differ", lambda: mle.fit_nonlinear(expo, pd.Series(XN), pd.Series(YN, index=np.arange(1, 31)), [1.0, 1.0]), "x and y are pandas objects"),
    ("covariance_from_hessian", "empty", lambda: mle.covariance_from_hessian(np.zeros((0, 0))), "hessian is empty"),
    ("covariance_from_hessian", "not symmetric", lambda: mle.covariance_from_hessian([[2.0, 1.0], [0.0, 2.0]]), "hessian is not symmetric"),
    ("covariance_from_hessian", "complex", lambda: mle.covariance_from_hessian([[2.0 + 1j, 0.0], [0.0, 2.0]]), "hessian must be numeric"),
    ("likelihood_ratio_test", "different families", lambda: mle.likelihood_ratio_test(mle.fit_logistic(X[:, :2], Y01), FIT), "restricted is a logistic fit but full is a normal fit"),
    ("likelihood_ratio_test", "different data", lambda: mle.likelihood_ratio_test(mle.fit_linear(X[:, :2], Y + 1.0), FIT), "fitted to different data"),
    ("numerical_gradient", "f not callable", lambda: mle.numerical_gradient(3.0, [1.0]), "f must be a function"),
    ("numerical_gradient", "f returns an array", lambda: mle.numerical_gradient(lambda t: t, [1.0, 2.0]), "f must return a number"),
    ("numerical_hessian", "gradient of the wrong length", lambda: mle.numerical_hessian(NLL, [1.0], gradient=lambda t: np.ones(3)), "gradient returned shape (3,)"),
    ("predict", "coefficients labelled differently", lambda: mle.predict(FRAME, pd.Series([1.0, 2.0, 3.0], index=list("abc"))), "labels are not X's column names"),
    ("residuals", "pandas labels differ", lambda: mle.residuals(pd.Series(Y), SHIFTED), "y and y_hat are pandas objects"),
    ("profile_likelihood", "values masked", lambda: mle.profile_likelihood(FIT, 0, np.ma.masked_array([1.0, 2.0], [1, 0])), "values is a masked array"),
    ("glm_chunk_statistics", "y labels differ", lambda: mle.glm_chunk_statistics(FRAME, SHIFTED, np.zeros(3)), "X and y are pandas objects"),
    # the models of issue 21: negative binomial, gamma, zero-inflated
    ("fit_negative_binomial", "negative counts", lambda: mle.fit_negative_binomial(X, YCOUNT - 5), "non-negative integer counts"),
    ("fit_negative_binomial", "non-integer counts", lambda: mle.fit_negative_binomial(X, YCOUNT + 0.5), "non-negative integer counts"),
    ("fit_negative_binomial", "all counts 0", lambda: mle.fit_negative_binomial(X, 0 * YCOUNT), "y is all 0"),
    ("fit_negative_binomial", "a group of zero counts (no MLE)", lambda: mle.fit_negative_binomial(*GROUP_OF_ZEROS), "the negative binomial MLE does not exist"),
    ("fit_negative_binomial", "pandas labels differ", lambda: mle.fit_negative_binomial(FRAME, pd.Series(YCOUNT, index=np.arange(1, 41))), "X and y are pandas objects with different index labels"),
    ("fit_negative_binomial", "column named alpha", lambda: mle.fit_negative_binomial(FRAME.rename(columns={"x2": "alpha"}), YCOUNT), "must be distinct and not 'alpha'"),
    ("fit_gamma", "y <= 0", lambda: mle.fit_gamma(X, Y), "y must be positive (> 0) for gamma regression"),
    ("fit_gamma", "pandas labels differ", lambda: mle.fit_gamma(FRAME, pd.Series(np.exp(Y), index=np.arange(1, 41))), "X and y are pandas objects with different index labels"),
    ("fit_zero_inflated", "Z of the wrong shape", lambda: mle.fit_zero_inflated(X, YCOUNT, np.ones((10, 2))), "Z has 10 rows but y has 40 values"),
    ("fit_zero_inflated", "Z separates the zeros (no MLE)", lambda: mle.fit_zero_inflated(X, YCOUNT, np.column_stack([np.ones(40), YCOUNT == 0])), "the zero design Z separates the zero counts"),
    ("fit_zero_inflated", "no zero counts", lambda: mle.fit_zero_inflated(X, YCOUNT + 1), "y has no zero counts"),
    ("fit_zero_inflated", "unknown dist", lambda: mle.fit_zero_inflated(X, YCOUNT, dist="negbin"), "dist must be one of"),
    ("fit_zero_inflated", "X and Z labels differ", lambda: mle.fit_zero_inflated(FRAME, YCOUNT, pd.Series(np.ones(40), index=np.arange(1, 41))), "X and Z are pandas objects with different index labels"),
    # random effects (linear mixed models and GLMMs): 8 groups of 5 rows
    ("fit_linear_mixed", "a single group", lambda: mle.fit_linear_mixed(X, Y, np.zeros(40)), "a single group"),
    ("fit_linear_mixed", "random slope, groups of one", lambda: mle.fit_linear_mixed(X, Y, np.arange(40), X[:, :2]),
     "groups of size one"),
    ("fit_linear_mixed", "Z is 1-D", lambda: mle.fit_linear_mixed(X, Y, G8, X[:, 1]), "Z must be a 2-D array"),
    ("fit_linear_mixed", "groups' labels differ from X's",
     lambda: mle.fit_linear_mixed(FRAME, pd.Series(Y), pd.Series(G8, index=np.arange(1, 41))), "different index labels"),
    ("fit_glmm", "non-integer counts", lambda: mle.fit_glmm(X, YCOUNT + 0.5, G8, family="poisson"),
     "non-negative integer counts"),
    ("fit_glmm", "successes above trials", lambda: mle.fit_glmm(X, YCOUNT, G8, trials=np.ones(40)),
     "more successes than trials"),
    ("fit_glmm", "quadrature with a random slope", lambda: mle.fit_glmm(X, Y01, G8, Z=X[:, :2], n_quadrature=3),
     "single random effect"),
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
    ("fit_survival", "no finite MLE (a group with no event)",
     lambda: mle.fit_survival(TIME, NO_EVENT_IN_GROUP_1, XG), mle.ConvergenceWarning),
    ("fit_normal_mixture", "EM out of iterations", lambda: mle.fit_normal_mixture(MIX, 3, max_iter=3),
     mle.ConvergenceWarning),
    ("fit_linear", "perfect fit (sigma-hat = 0)", lambda: mle.fit_linear(X, X @ [1.0, 2.0, 3.0]), mle.ExactFitWarning),
    ("fit_student_t", "perfect fit (sigma-hat = 0)", lambda: mle.fit_student_t(X, X @ [1.0, 2.0, 3.0]), mle.ExactFitWarning),
    ("fit_nonlinear", "perfect fit (sigma-hat = 0)", lambda: mle.fit_nonlinear(expo, XN, expo(XN, [2.0, 0.7]), [1.0, 1.0]), mle.ExactFitWarning),
    ("fit_negative_binomial", "alpha-hat = 0: counts not overdispersed", lambda: mle.fit_negative_binomial(X, np.tile([1.0, 2.0, 3.0, 2.0], 10)), mle.ConvergenceWarning),
    ("fit_gamma", "perfect fit (shape-hat infinite)", lambda: mle.fit_gamma(X, np.exp(X @ [0.5, 0.1, 0.2])), mle.ExactFitWarning),
    ("fit_zero_inflated", "zero coefficients run off (fewer zeros than the count model expects)", lambda: mle.fit_zero_inflated(X, np.r_[0.0, np.maximum(YCOUNT[1:], 1.0)], np.ones(40)), mle.ConvergenceWarning),
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


def test_integers_and_booleans_are_numbers():
    X = np.column_stack([np.ones(6, dtype=int), [0, 1, 2, 3, 4, 5]])
    y = np.array([1, 3, 2, 5, 4, 6])
    assert mle.fit_linear(X, y).converged
    assert mle.predict(X.astype(bool), [1.0, 1.0]).dtype == np.float64
