"""Data in, names out (issue 13): pandas objects matched by label or refused, masked arrays refused,
pandas dtypes read, names from DataFrames and ``names=``, exact fits, the package's import, the
README's example and ``make help``."""

import re
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import mle_tutorial as mle

ROOT = Path(__file__).resolve().parents[1]
RNG = np.random.default_rng(0)
X = np.column_stack([np.ones(60), RNG.normal(size=(60, 2))])
Y = X @ [0.5, 1, -2] + RNG.normal(size=60)
Y01 = (Y > np.median(Y)).astype(float)
YCOUNT = RNG.poisson(np.exp(0.3 * X[:, 1])).astype(float)
YT = Y + RNG.standard_t(3, 60)  # errors with heavy tails, for fit_student_t
OFFSET = RNG.uniform(-0.5, 0.5, 60)
COLUMNS = ["const", "x1", "x2"]


def expo(x, b):
    return b[0] * np.exp(-b[1] * x)


XN = np.linspace(0, 4, 30)
YN = expo(XN, [2.0, 0.7]) + 0.05 * RNG.standard_normal(30)

# incomplete data on the same rows: survival times with events, a Tobit y censored below at per-row
# limits, a truncated sample's per-row upper limits, a mixture sample
TIME, EVENT = np.exp(Y / 4), OFFSET > -0.2
LIMIT = OFFSET - 1.0
YC = np.maximum(Y, LIMIT)
TOP = np.maximum(Y, 0.0) + 1.0 + OFFSET
MIX = np.concatenate([np.random.default_rng(2).normal(-2, 1, 60), np.random.default_rng(3).normal(2, 1, 60)])


def two_columns(a, b):
    """Responsibilities from two columns: a DataFrame (with a's index) from Series, else an array."""
    return pd.concat([a, b], axis=1) if isinstance(a, pd.Series) else np.column_stack([a, b])


def share(o):
    """A probability from o (an array or a Series, elementwise)."""
    return 1.0 / (1.0 + np.exp(-4.0 * o))


# --- pandas: rows matched by label -----------------------------------------------------------------
def test_issue_reproduction_rows_are_matched_by_label():
    perm = np.random.default_rng(1).permutation(60)
    d = pd.DataFrame(X, index=perm)
    s = pd.Series(Y, index=d.index)
    fit = mle.fit_linear(d, s.sort_index())  # was paired by position: nonsense
    assert np.array_equal(fit.params, mle.fit_linear(X, Y).params)


FIT_BY_LABEL = {
    "fit_linear": lambda Xd, yd, od: mle.fit_linear(Xd, yd),
    "fit_logistic": lambda Xd, yd, od: mle.fit_logistic(Xd, (yd > Y.mean()).astype(float)),
    "fit_poisson": lambda Xd, yd, od: mle.fit_poisson(Xd, np.round(np.exp(yd / 4)), offset=od),
    "fit_student_t": lambda Xd, yd, od: mle.fit_student_t(Xd, yd, df=5.0),
    "solve_least_squares": lambda Xd, yd, od: mle.solve_least_squares(Xd, yd),
    "starting_values": lambda Xd, yd, od: mle.starting_values(Xd, yd),
    "negative_log_likelihood": lambda Xd, yd, od: mle.negative_log_likelihood([0.1, 0.2, 0.3, 0.0], Xd, yd),
    # three or four pandas arguments, each in its own order (pandas arithmetic on two Series in
    # different orders aligns them itself, and returns them in sorted order)
    "fit_survival": lambda Xd, yd, od: mle.fit_survival(np.exp(yd / 4), od > -0.2, Xd),
    "fit_interval_censored": lambda Xd, yd, od: mle.fit_interval_censored(
        np.exp(yd / 4) * (od > -0.2), np.exp(yd / 4), Xd, dist="lognormal"
    ),
    "fit_tobit": lambda Xd, yd, od: mle.fit_tobit(Xd, np.maximum(yd, od - 1.0), lower=od - 1.0),
    "fit_truncated_normal": lambda Xd, yd, od: mle.fit_truncated_normal(
        Xd, yd, upper=np.maximum(yd, 0.0) + 1.0 + od
    ),
    # x first in X's order (its rows are the base of the match; a sum in another order differs in
    # its last bit), the responsibilities in their own
    "em_m_step": lambda Xd, yd, od: mle.em_m_step(
        yd.reindex(Xd.index) if isinstance(yd, pd.Series) else yd, two_columns(share(od), 1.0 - share(od))
    ),
}


@settings(max_examples=20, deadline=None)
@given(st.sampled_from(sorted(FIT_BY_LABEL)), st.integers(0, 2**32 - 1))
def test_pandas_objects_in_another_order_are_matched_by_label(name, seed):
    """The same rows, labelled, in any order: the same answer as the arrays in order."""
    labels = np.random.default_rng(seed).permutation(np.arange(100, 160))
    Xd = pd.DataFrame(X, index=labels, columns=COLUMNS)
    yd = pd.Series(Y, index=labels)
    od = pd.Series(OFFSET, index=labels)
    order = np.random.default_rng(seed + 1).permutation(60)
    shuffled = FIT_BY_LABEL[name](Xd, yd.iloc[order], od.iloc[order[::-1]])
    plain = FIT_BY_LABEL[name](X, Y, OFFSET)
    if isinstance(plain, mle.FitResult):
        np.testing.assert_array_equal(shuffled.params, plain.params)
        assert shuffled.data_key == plain.data_key
    elif isinstance(plain, mle.LeastSquaresSolution):
        np.testing.assert_array_equal(shuffled.beta, plain.beta)
    else:
        np.testing.assert_array_equal(shuffled, plain)


def test_nonlinear_and_residuals_match_by_label_too():
    labels = np.arange(30)[::-1]
    x, y = pd.Series(XN, index=labels), pd.Series(YN, index=labels)
    fit = mle.fit_nonlinear(expo, x, y.sort_index(), [1.0, 1.0])
    assert np.array_equal(fit.params, mle.fit_nonlinear(expo, XN, YN, [1.0, 1.0]).params)
    r = mle.residuals(
        pd.Series([1.0, 2.0, 3.0], index=list("abc")), pd.Series([2.5, 1.0, 2.0], index=list("cab"))
    )
    assert r.tolist() == [0.0, 0.0, 0.5]


@pytest.mark.parametrize(
    "y_index, words",
    [
        (np.arange(1, 61), "different index labels"),
        (np.r_[np.arange(59), 0], "duplicate labels"),
    ],
)
def test_pandas_objects_whose_labels_differ_are_refused(y_index, words):
    Xd = pd.DataFrame(X, columns=COLUMNS)
    with pytest.raises(ValueError, match=words) as info:
        mle.fit_linear(Xd, pd.Series(Y, index=y_index))
    assert "X and y" in str(info.value)
    with pytest.raises(ValueError, match="X and offset"):
        mle.fit_poisson(Xd, YCOUNT, offset=pd.Series(OFFSET, index=y_index))


@pytest.mark.parametrize(
    "call, words",
    [
        (lambda Xd, bad: mle.fit_survival(bad(TIME), EVENT, Xd), "X and time"),
        (lambda Xd, bad: mle.fit_survival(pd.Series(TIME), bad(EVENT)), "time and event"),
        (lambda Xd, bad: mle.fit_interval_censored(pd.Series(TIME), bad(TIME)), "lower and upper"),
        (lambda Xd, bad: mle.fit_interval_censored(bad(TIME), TIME, Xd), "X and lower"),
        (lambda Xd, bad: mle.fit_tobit(Xd, YC, lower=bad(LIMIT)), "X and lower"),
        (lambda Xd, bad: mle.fit_tobit(X, pd.Series(YC), lower=bad(LIMIT)), "y and lower"),
        (lambda Xd, bad: mle.fit_truncated_normal(Xd, Y, upper=bad(TOP)), "X and upper"),
        (
            lambda Xd, bad: mle.em_m_step(pd.Series(Y), pd.DataFrame(bad(share(OFFSET)))),
            "x and responsibilities",
        ),
    ],
)
@pytest.mark.parametrize(
    "index, kind",
    [(np.arange(1, 61), "different index labels"), (np.r_[np.arange(59), 0], "duplicate labels")],
)
def test_incomplete_data_whose_labels_differ_are_refused(call, words, index, kind):
    """Every row argument of the incomplete-data functions is matched by label, or refused."""
    Xd = pd.DataFrame(X, columns=COLUMNS)
    with pytest.raises(ValueError, match=kind) as info:
        call(Xd, lambda a: pd.Series(a, index=index))
    assert words in str(info.value)


def test_incomplete_data_in_pandas_dtypes():
    """Bool and nullable columns are numbers, pd.NA is NaN, a text column is named, a column as y
    is refused with the fix, and a Series is one named predictor."""
    Xd = pd.DataFrame(X, columns=COLUMNS)
    plain = mle.fit_survival(TIME, EVENT, X)
    for event in (
        pd.Series(EVENT),
        pd.Series(EVENT, dtype="boolean"),
        pd.Series(EVENT.astype(int), dtype="Int64"),
    ):
        assert np.array_equal(mle.fit_survival(pd.Series(TIME), event, Xd).params, plain.params)
    with pytest.raises(ValueError, match=r"event contains 1 NaN.*missing value"):
        mle.fit_survival(TIME, pd.Series(EVENT, dtype="boolean").where(np.arange(60) != 4, pd.NA))
    with pytest.raises(ValueError, match=r"lower contains 1 NaN value\(s\) \(a missing value"):
        mle.fit_tobit(X, YC, lower=pd.Series(LIMIT, dtype="Float64").where(np.arange(60) != 4, pd.NA))
    with pytest.raises(ValueError, match="its column 'g' has dtype"):
        mle.fit_survival(TIME, EVENT, Xd.assign(g=["a", "b"] * 30))
    with pytest.raises(ValueError, match=r"pass one column as a Series \(time\['t'\]\)"):
        mle.fit_survival(pd.DataFrame({"t": TIME}), EVENT)
    with pytest.raises(ValueError, match=r"pass y.ravel\(\)"):
        mle.fit_tobit(X, YC[:, None], lower=LIMIT)
    with pytest.raises(
        ValueError, match=r"lower must be a number or an array of 60 values.*pass lower.ravel\(\)"
    ):
        mle.fit_tobit(X, YC, lower=LIMIT[:, None])
    assert mle.fit_survival(TIME, EVENT, pd.Series(X[:, 1], name="score")).param_names == ("score", "sigma")


def test_a_pandas_object_next_to_an_array_is_paired_by_position():
    Xd = pd.DataFrame(X, index=np.arange(60)[::-1], columns=COLUMNS)
    assert np.array_equal(mle.fit_linear(Xd, Y).params, mle.fit_linear(X, Y).params)


# --- pandas: names and dtypes -------------------------------------------------------------------------
@pytest.mark.parametrize(
    "call, names",
    [
        (lambda Xd: mle.fit_linear(Xd, Y), [*COLUMNS, "sigma"]),
        (lambda Xd: mle.fit_linear(Xd, Y, method="BFGS"), [*COLUMNS, "sigma"]),
        (lambda Xd: mle.fit_logistic(Xd, Y01), COLUMNS),
        (lambda Xd: mle.fit_poisson(Xd, YCOUNT), COLUMNS),
        (lambda Xd: mle.fit_student_t(Xd, Y, df=4.0), [*COLUMNS, "sigma"]),
        (lambda Xd: mle.fit_student_t(Xd, YT), [*COLUMNS, "sigma", "nu"]),
        (lambda Xd: mle.fit_survival(TIME, EVENT, Xd), [*COLUMNS, "sigma"]),
        (lambda Xd: mle.fit_survival(TIME, EVENT, Xd, dist="exponential"), COLUMNS),
        (lambda Xd: mle.fit_interval_censored(TIME, np.where(EVENT, TIME, np.inf), Xd), [*COLUMNS, "sigma"]),
        (lambda Xd: mle.fit_tobit(Xd, YC, lower=LIMIT), [*COLUMNS, "sigma"]),
        (lambda Xd: mle.fit_truncated_normal(Xd, Y, upper=TOP), [*COLUMNS, "sigma"]),
    ],
)
def test_dataframe_columns_name_the_coefficients(call, names):
    fit = call(pd.DataFrame(X, columns=COLUMNS))
    assert fit.param_names == tuple(names)
    assert "x1" in str(fit.summary())
    table = fit.to_frame()
    assert list(table.index) == names and np.array_equal(table["estimate"].to_numpy(), fit.params)
    assert mle.profile_likelihood(fit, "x1", [fit.params[1]])[0] == pytest.approx(fit.loglik, rel=1e-9)


def test_a_series_is_one_named_predictor():
    fit = mle.fit_linear(pd.Series(X[:, 1], name="dose"), Y)
    assert fit.param_names == ("dose", "sigma")


def test_a_mixture_names_its_components():
    fit = mle.fit_normal_mixture(MIX, 2, names=["low", "high"])
    assert fit.param_names == (
        "weight[low]",
        "mu[low]",
        "sigma[low]",
        "weight[high]",
        "mu[high]",
        "sigma[high]",
    )
    assert np.array_equal(fit.params, mle.fit_normal_mixture(MIX, 2).params)
    with pytest.raises(ValueError, match="names has 1 entries but n_components is 2"):
        mle.fit_normal_mixture(MIX, 2, names=["low"])
    with pytest.raises(ValueError, match="names must be distinct"):
        mle.fit_normal_mixture(MIX, 2, names=["a", "a"])


def test_names_from_a_series_start():
    start = pd.Series([0.0, 0.0], index=["mu", "log_sigma"])
    fit = mle.fit_mle(lambda t: np.sum((t - 1.0) ** 2) + 1.0, start)
    assert fit.param_names == ("mu", "log_sigma")
    fit = mle.fit_nonlinear(expo, XN, YN, pd.Series([1.0, 1.0], index=["amplitude", "rate"]))
    assert fit.param_names == ("amplitude", "rate", "sigma")


def test_column_names_that_clash_are_refused_with_the_fix():
    with pytest.raises(ValueError, match=r"must be distinct and not 'sigma'.*pass names="):
        mle.fit_linear(pd.DataFrame(X, columns=["const", "sigma", "x2"]), Y)


def test_bool_and_nullable_columns_are_numbers():
    frame = pd.DataFrame({"g": list("abc") * 20, "x": X[:, 1]})
    dummies = pd.get_dummies(frame, columns=["g"], drop_first=True)  # bool columns
    assert dummies.dtypes.iloc[1].kind == "b"
    fit = mle.fit_linear(dummies.assign(const=1), Y)
    assert fit.param_names == ("x", "g_b", "g_c", "const", "sigma")
    nullable = pd.DataFrame(
        {
            "one": pd.array([1] * 60, dtype="Int64"),
            "flag": pd.array(X[:, 1] > 0, dtype="boolean"),
            "x": pd.array(X[:, 2], dtype="Float64"),
        }
    )
    plain = np.column_stack([np.ones(60), X[:, 1] > 0, X[:, 2]])
    assert np.array_equal(mle.fit_linear(nullable, Y).params, mle.fit_linear(plain, Y).params)
    nullable.loc[3, "x"] = pd.NA
    with pytest.raises(ValueError, match=r"X contains 1 NaN.*missing value"):
        mle.fit_linear(nullable, Y)


@pytest.mark.parametrize(
    "column, dtype",
    [
        (pd.Series(list("ab") * 30, dtype=object), "object"),
        (pd.Series(list("ab") * 30, dtype="category"), "category"),
        (pd.Series(list("ab") * 30, dtype="string"), "string"),
        (pd.Series(pd.date_range("2020-01-01", periods=60)), "datetime64"),
    ],
)
def test_columns_that_are_not_numbers_are_named(column, dtype):
    frame = pd.DataFrame({"const": 1.0, "x": X[:, 1], "bad": column})
    with pytest.raises(ValueError, match=rf"its column 'bad' has dtype {dtype}"):
        mle.fit_linear(frame, Y)


def test_a_column_as_y_is_refused_with_the_fix():
    with pytest.raises(ValueError, match=r"shape \(60, 1\); pass y.ravel\(\)"):
        mle.fit_linear(X, Y[:, None])
    with pytest.raises(ValueError, match=r"pass one column as a Series \(y\['response'\]\)"):
        mle.fit_linear(X, pd.DataFrame({"response": Y}))


def test_predict_and_starting_values_match_coefficients_by_name():
    Xd = pd.DataFrame(X, columns=COLUMNS)
    beta = pd.Series([1.0, 2.0, 3.0], index=COLUMNS)
    assert np.array_equal(mle.predict(Xd, beta[::-1]), X @ [1.0, 2.0, 3.0])
    assert np.array_equal(mle.starting_values(Xd, Y, beta[::-1])[:3], [1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match="labels are not X's column names"):
        mle.predict(Xd, pd.Series([1.0, 2.0, 3.0], index=["a", "b", "c"]))


# --- masked arrays: refused, one rule everywhere --------------------------------------------------------
def masked(a, index=(3,)):
    mask = np.zeros(np.shape(a), dtype=bool)
    mask[index] = True
    return np.ma.masked_array(a, mask)


FIT = mle.fit_linear(X, Y)
MASKED = {
    "predict": lambda: mle.predict(masked(X, (3, 1)), [1.0, 2.0, 3.0]),
    "residuals": lambda: mle.residuals(masked(Y), Y),
    "normal_pdf": lambda: mle.normal_pdf(masked(Y)),
    "normal_logpdf": lambda: mle.normal_logpdf(masked(Y)),
    "log_likelihood": lambda: mle.log_likelihood(masked(Y), 1.0),
    "negative_log_likelihood": lambda: mle.negative_log_likelihood([0, 0, 0, 0.0], masked(X, (3, 1)), Y),
    "negative_log_likelihood_gradient": lambda: mle.negative_log_likelihood_gradient(
        [0, 0, 0, 0.0], X, masked(Y)
    ),
    "negative_log_likelihood_hessian": lambda: mle.negative_log_likelihood_hessian(
        masked([0, 0, 0, 0.0]), X, Y
    ),
    "starting_values": lambda: mle.starting_values(X, masked(Y)),
    "simulate_linear": lambda: mle.simulate_linear(10, masked([1.0, 2.0], (0,)), 1.0),
    "fit_linear": lambda: mle.fit_linear(masked(X, (3, 1)), Y),
    "fit_logistic": lambda: mle.fit_logistic(X, masked(Y01)),
    "fit_poisson": lambda: mle.fit_poisson(X, YCOUNT, offset=masked(OFFSET)),
    "fit_student_t": lambda: mle.fit_student_t(X, masked(Y)),
    "fit_nonlinear": lambda: mle.fit_nonlinear(expo, masked(XN), YN, [1.0, 1.0]),
    "fit_mle": lambda: mle.fit_mle(lambda t: np.sum(t**2), masked([1.0, 2.0], (0,))),
    "solve_least_squares": lambda: mle.solve_least_squares(masked(X, (3, 1)), Y),
    "profile_likelihood": lambda: mle.profile_likelihood(FIT, 0, masked([0.4, 0.5], (1,))),
    "numerical_gradient": lambda: mle.numerical_gradient(lambda t: np.sum(t**2), masked([1.0, 2.0], (0,))),
    "numerical_hessian": lambda: mle.numerical_hessian(lambda t: np.sum(t**2), masked([1.0, 2.0], (0,))),
    "covariance_from_hessian": lambda: mle.covariance_from_hessian(masked(np.eye(2), (0, 1))),
    "glm_chunk_statistics": lambda: mle.glm_chunk_statistics(masked(X, (3, 1)), Y01, np.zeros(3)),
    # the incomplete-data functions: every argument that holds data
    "fit_survival(time)": lambda: mle.fit_survival(masked(TIME), EVENT, X),
    "fit_survival(event)": lambda: mle.fit_survival(TIME, masked(EVENT), X),
    "fit_survival(X)": lambda: mle.fit_survival(TIME, EVENT, masked(X, (3, 1))),
    "fit_interval_censored(lower)": lambda: mle.fit_interval_censored(masked(TIME), TIME),
    "fit_interval_censored(upper)": lambda: mle.fit_interval_censored(TIME, masked(TIME)),
    "fit_interval_censored(X)": lambda: mle.fit_interval_censored(TIME, TIME, masked(X, (3, 1))),
    "fit_tobit(X)": lambda: mle.fit_tobit(masked(X, (3, 1)), YC, lower=LIMIT),
    "fit_tobit(y)": lambda: mle.fit_tobit(X, masked(YC), lower=LIMIT),
    "fit_tobit(lower)": lambda: mle.fit_tobit(X, YC, lower=masked(LIMIT)),
    "fit_tobit(upper)": lambda: mle.fit_tobit(X, YC, lower=LIMIT, upper=masked(TOP)),
    "fit_truncated_normal(X)": lambda: mle.fit_truncated_normal(masked(X, (3, 1)), Y, upper=TOP),
    "fit_truncated_normal(y)": lambda: mle.fit_truncated_normal(X, masked(Y), upper=TOP),
    "fit_truncated_normal(lower)": lambda: mle.fit_truncated_normal(X, Y, lower=masked(Y - 1.0), upper=TOP),
    "fit_truncated_normal(upper)": lambda: mle.fit_truncated_normal(X, Y, upper=masked(TOP)),
    "fit_normal_mixture(x)": lambda: mle.fit_normal_mixture(masked(MIX)),
    "fit_normal_mixture(start)": lambda: mle.fit_normal_mixture(
        MIX, start=([0.5, 0.5], masked([-2.0, 2.0], (0,)), [1.0, 1.0])
    ),
    "em_e_step(x)": lambda: mle.em_e_step(masked(MIX), [0.5, 0.5], [-2.0, 2.0], [1.0, 1.0]),
    "em_e_step(weights)": lambda: mle.em_e_step(MIX, masked([0.5, 0.5], (1,)), [-2.0, 2.0], [1.0, 1.0]),
    "em_e_step(means)": lambda: mle.em_e_step(MIX, [0.5, 0.5], masked([-2.0, 2.0], (1,)), [1.0, 1.0]),
    "em_e_step(sds)": lambda: mle.em_e_step(MIX, [0.5, 0.5], [-2.0, 2.0], masked([1.0, 1.0], (1,))),
    "em_m_step(x)": lambda: mle.em_m_step(masked(MIX), np.full((120, 2), 0.5)),
    "em_m_step(responsibilities)": lambda: mle.em_m_step(MIX, masked(np.full((120, 2), 0.5), (3, 1))),
}


@pytest.mark.parametrize("name", sorted(MASKED))
def test_a_masked_value_is_refused_naming_the_argument(name):
    with pytest.raises(ValueError, match=r"is a masked array with 1 masked value.*compress_rows"):
        MASKED[name]()


def test_a_masked_array_with_nothing_masked_is_its_data():
    m = np.ma.masked_array(X, np.zeros_like(X, dtype=bool))
    assert np.array_equal(mle.fit_linear(m, np.ma.masked_array(Y)).params, FIT.params)


# --- an exact fit: the coefficients, with a warning ---------------------------------------------------
WAMPLER1_X = np.vander(np.arange(21.0), 6, increasing=True)  # NIST StRD Wampler1, certified: all 1
WAMPLER1_Y = WAMPLER1_X @ np.ones(6)


def test_wampler1_returns_the_exact_coefficients_with_a_warning():
    with pytest.warns(mle.ExactFitWarning, match="fitted exactly.*sigma-hat is 0"):
        fit = mle.fit_linear(WAMPLER1_X, WAMPLER1_Y)
    assert np.array_equal(fit.beta, np.ones(6)) and fit.sigma == 0.0 and fit.converged
    assert fit.loglik == np.inf and fit.aic == -np.inf and fit.bic == -np.inf
    assert np.all(np.isnan(fit.stderr)) and np.all(np.isnan(fit.cov))
    text = str(fit.summary())
    assert "inf" in text and "nan" in text
    assert np.all(np.isnan(fit.conf_int()))
    assert np.array_equal(fit.conf_int(method="profile")[:, 0], fit.params)
    restricted = _quiet(lambda: mle.fit_linear(WAMPLER1_X[:, :5], WAMPLER1_Y))
    with pytest.raises(ValueError, match="must be finite"):
        mle.likelihood_ratio_test(restricted, fit)


def _quiet(call):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return call()


def test_exact_fits_of_the_other_normal_fitters():
    with pytest.warns(mle.ExactFitWarning):
        fit = mle.fit_student_t(WAMPLER1_X, WAMPLER1_Y)
    assert np.allclose(fit.beta, 1.0, rtol=1e-12) and fit.sigma == 0.0 and np.isnan(fit.params[-1])
    assert fit.loglik == np.inf and np.all(np.isnan(fit.stderr))
    with pytest.warns(mle.ExactFitWarning, match="fitted exactly by the model"):
        fit = mle.fit_nonlinear(expo, XN, expo(XN, [2.0, 0.7]), [1.0, 1.0])
    assert np.allclose(fit.beta, [2.0, 0.7], rtol=1e-12) and fit.sigma == 0.0 and fit.converged
    assert fit.loglik == np.inf and np.all(np.isnan(fit.stderr))


# --- the package's import, the README's example, make help --------------------------------------------
def test_import_does_not_load_slow_or_optional_modules():
    """scipy.stats and scipy.optimize are imported when first needed; pandas and Dask only when
    they are given (import time is measured in benchmarks/, not in a test)."""
    slow = ("scipy.stats", "scipy.optimize", "pandas", "dask")
    code = f"import sys, mle_tutorial; print(sorted(m for m in {slow} if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]", out.stdout


def readme_example() -> str:
    text = (ROOT / "README.md").read_text()
    section = text.split("## Use the helpers on your own data", 1)[1].split("\n## ", 1)[0]
    return "\n".join(re.findall(r"```python\n(.*?)```", section, re.S))


def test_the_readme_example_runs_as_written():
    code = readme_example()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        namespace = {}
        exec(compile(code, "README.md", "exec"), namespace)
    assert isinstance(namespace["fit"], mle.FitResult)
    assert namespace["ztp"].converged and namespace["ztp"].model.name == "likelihood"


def test_make_help_lists_every_target():
    makefile = (ROOT / "Makefile").read_text()
    targets = re.search(r"^\.PHONY:(.*)$", makefile, re.M).group(1).split()
    out = subprocess.run(
        ["make", "-s", "-C", str(ROOT), "help"], capture_output=True, text=True, check=True
    ).stdout
    listed = {line.split()[1] for line in out.splitlines() if line.startswith("make ")}
    assert set(targets) <= listed, set(targets) - listed


def test_no_doubled_full_stop_in_a_warning():
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        mle.fit_nonlinear(expo, XN, YN, [50.0, 9.0], max_nfev=3)
        mle.fit_linear(X, Y, method="BFGS", options={"maxiter": 2})
    assert caught
    for w in caught:
        assert ".." not in str(w.message) and ".;" not in str(w.message), str(w.message)
