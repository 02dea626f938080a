"""The shipped datasets: they load, match their sources bit for bit, and are documented.

Oracles: the statsmodels copies the CSV files were made from (statsmodels is a
test dependency), the seeded subsample of ``randhie`` redrawn here, and for
Thurber the NIST certified fit, recovered with scipy from NIST's start 2.
"""

import io
from importlib import resources
from pathlib import Path

import numpy as np
import pytest
import scipy.optimize
from conftest import correct_digits

from mle_tutorial.data import dataset_description, list_datasets, load_dataset

ROOT = Path(__file__).resolve().parents[1]

SHAPES = {  # name: (rows, columns in CSV order), as documented in the README
    "anes96": (
        944,
        ("popul", "TVnews", "selfLR", "ClinLR", "DoleLR", "PID", "age", "educ", "income", "vote", "logpopul"),
    ),
    "gehan": (42, ("time", "event", "group", "pair")),
    "grunfeld": (220, ("invest", "value", "capital", "firm", "year")),
    "longley": (16, ("TOTEMP", "GNPDEFL", "GNP", "UNEMP", "ARMED", "POP", "YEAR")),
    "randhie": (
        2000,
        ("mdvis", "lncoins", "idp", "lpi", "fmde", "physlm", "disea", "hlthg", "hlthf", "hlthp"),
    ),
    "stackloss": (21, ("STACKLOSS", "AIRFLOW", "WATERTEMP", "ACIDCONC")),
    "strikes": (62, ("duration", "iprod")),
    "thurber": (37, ("y", "x")),
    "veteran": (137, ("time", "event", "trt", "celltype", "karno", "diagtime", "age", "prior")),
}

# NIST StRD Thurber.dat (https://www.itl.nist.gov/div898/strd/nls/data/thurber.shtml)
THURBER_START2 = np.array([1300.0, 1500.0, 500.0, 75.0, 1.0, 0.4, 0.05])
THURBER_CERTIFIED = np.array(
    [1.2881396800e03, 1.4910792535e03, 5.8323836877e02, 7.5416644291e01, 9.6629502864e-01, 3.9797285797e-01,
     4.9727297349e-02]
)  # fmt: skip
THURBER_CERTIFIED_SD = np.array(
    [4.6647963344e00, 3.9571156086e01, 2.8698696102e01, 5.5675370270e00, 3.1333340687e-02, 1.4984928198e-02,
     6.5842344623e-03]
)  # fmt: skip
THURBER_CERTIFIED_RSS = 5.6427082397e03

RANDHIE_SEED, RANDHIE_SIZE = 1974, 2000


def _statsmodels_data(name):
    sm_datasets = pytest.importorskip("statsmodels.datasets")
    return getattr(sm_datasets, name).load_pandas().data


def _files():
    return resources.files("mle_tutorial").joinpath("datasets")


def test_list_datasets():
    assert list_datasets() == (
        "anes96", "gehan", "grunfeld", "longley", "randhie", "stackloss", "strikes", "thurber", "veteran",
    )  # fmt: skip
    shipped = sorted(p.name[:-4] for p in _files().iterdir() if p.name.endswith(".csv"))
    assert tuple(shipped) == list_datasets()


@pytest.mark.parametrize("name", sorted(SHAPES))
def test_shape_columns_and_dtype(name):
    rows, columns = SHAPES[name]
    data = load_dataset(name)
    assert tuple(data) == columns
    for column, values in data.items():
        assert isinstance(values, np.ndarray), column
        assert values.dtype == np.float64 and values.shape == (rows,), column
        assert np.all(np.isfinite(values)), column


def test_load_returns_fresh_copies():
    a = load_dataset("stackloss")
    a["STACKLOSS"][:] = -1.0
    assert load_dataset("stackloss")["STACKLOSS"][0] == 42.0


@pytest.mark.parametrize("name", ["anes96", "longley", "stackloss", "strikes"])
def test_equals_statsmodels(name):
    original = _statsmodels_data(name)
    data = load_dataset(name)
    assert tuple(data) == tuple(original.columns)
    for column in original.columns:
        np.testing.assert_array_equal(data[column], original[column].to_numpy(np.float64), err_msg=column)


def test_grunfeld_equals_statsmodels_with_firms_numbered():
    original = _statsmodels_data("grunfeld")
    data = load_dataset("grunfeld")
    firms = list(dict.fromkeys(original["firm"]))
    assert firms[0] == "General Motors" and firms[-1] == "American Steel" and len(firms) == 11
    np.testing.assert_array_equal(data["firm"], [firms.index(f) + 1.0 for f in original["firm"]])
    for column in ("invest", "value", "capital", "year"):
        np.testing.assert_array_equal(data[column], original[column].to_numpy(np.float64), err_msg=column)
    np.testing.assert_array_equal(data["year"], np.tile(np.arange(1935.0, 1955.0), 11))


def test_randhie_is_the_documented_subsample():
    original = _statsmodels_data("randhie")
    assert len(original) == 20190
    rows = np.sort(np.random.RandomState(RANDHIE_SEED).choice(20190, size=RANDHIE_SIZE, replace=False))
    data = load_dataset("randhie")
    assert tuple(data) == tuple(original.columns)
    for column in original.columns:
        np.testing.assert_array_equal(
            data[column], original[column].to_numpy(np.float64)[rows], err_msg=column
        )


def test_documented_facts():
    anes = load_dataset("anes96")
    assert set(np.unique(anes["vote"])) == {0.0, 1.0} and anes["vote"].sum() == 393  # 1 = Dole
    np.testing.assert_array_equal(anes["logpopul"], np.log(anes["popul"] + 0.1))
    np.testing.assert_array_equal(load_dataset("longley")["YEAR"], np.arange(1947.0, 1963.0))


@pytest.mark.parametrize("name", sorted(SHAPES))
def test_csv_round_trips_and_is_canonical(name):
    """Each file is exactly what the documented writer produces from the loaded values."""
    text = _files().joinpath(f"{name}.csv").read_text(encoding="utf-8")
    assert text.endswith("\n") and "\r" not in text and '"' not in text
    data = load_dataset(name)
    values = np.column_stack(list(data.values()))
    rewritten = io.StringIO()
    rewritten.write(",".join(data) + "\n")
    for row in values:
        rewritten.write(",".join(np.format_float_positional(v, unique=True, trim="-") for v in row) + "\n")
    assert rewritten.getvalue() == text


# Gehan (1965), Table 1: remission times in weeks; "+" marks a censored time (still in remission).
GEHAN_6MP = "6 6 6 6+ 7 9+ 10 10+ 11+ 13 16 17+ 19+ 20+ 22 23 25+ 32+ 32+ 34+ 35+"
GEHAN_PLACEBO = "1 1 2 2 3 4 4 5 5 8 8 8 8 11 11 12 12 15 17 22 23"


def test_gehan_is_the_published_sample():
    """The two samples as printed by Gehan (1965) and in every textbook since; the classic totals."""
    data = load_dataset("gehan")
    time, event, group, pair = data["time"], data["event"], data["group"], data["pair"]
    for label, printed in ((1.0, GEHAN_6MP), (0.0, GEHAN_PLACEBO)):
        rows = group == label
        observed = sorted(zip(time[rows], event[rows], strict=True))
        expected = sorted((float(v.rstrip("+")), 0.0 if v.endswith("+") else 1.0) for v in printed.split())
        assert observed == expected, label
    placebo, mp6 = group == 0, group == 1
    assert (placebo.sum(), time[placebo].sum(), event[placebo].sum()) == (21, 182, 21)
    assert (mp6.sum(), time[mp6].sum(), event[mp6].sum()) == (21, 359, 9)
    # matched pairs: each pair has one patient of each group, the placebo patient first
    np.testing.assert_array_equal(pair, np.repeat(np.arange(1.0, 22.0), 2))
    np.testing.assert_array_equal(group, np.tile([0.0, 1.0], 21))
    assert set(np.unique(event)) == {0.0, 1.0} and np.all(time > 0)


def test_veteran_documented_facts():
    data = load_dataset("veteran")
    assert data["event"].sum() == 128 and set(np.unique(data["event"])) == {0.0, 1.0}  # 9 censored
    assert tuple(np.unique(data["trt"])) == (1.0, 2.0) and (data["trt"] == 1).sum() == 69
    assert tuple(np.unique(data["celltype"])) == (1.0, 2.0, 3.0, 4.0)
    assert tuple(np.unique(data["prior"])) == (0.0, 10.0)
    assert data["time"].min() == 1 and data["time"].max() == 999
    assert np.all((data["karno"] > 0) & (data["karno"] <= 100))


def _thurber_residuals(b, x, y):
    num = b[0] + x * (b[1] + x * (b[2] + x * b[3]))
    den = 1.0 + x * (b[4] + x * (b[5] + x * b[6]))
    return num / den - y


def _thurber_jacobian(b, x, y):
    num = b[0] + x * (b[1] + x * (b[2] + x * b[3]))
    den = 1.0 + x * (b[4] + x * (b[5] + x * b[6]))
    powers = np.column_stack([np.ones_like(x), x, x**2, x**3])
    return np.column_stack([powers / den[:, None], -(num / den**2)[:, None] * powers[:, 1:]])


def test_thurber_reproduces_nist_certified_fit():
    """Refit from NIST start 2: every certified value is recovered, so the data were transcribed exactly."""
    data = load_dataset("thurber")
    x, y = data["x"], data["y"]
    assert (x[0], y[0], x[-1], y[-1]) == (-3.067, 80.574, 2.2, 1457.628)
    fit = scipy.optimize.least_squares(
        _thurber_residuals,
        THURBER_START2,
        jac=_thurber_jacobian,
        args=(x, y),
        method="lm",
        x_scale=1.0,
        xtol=1e-15,
        ftol=1e-15,
        gtol=1e-15,
    )
    assert fit.success
    rss = float(fit.fun @ fit.fun)
    sd = np.sqrt(rss / (37 - 7) * np.diag(np.linalg.inv(fit.jac.T @ fit.jac)))
    # measured (scipy 1.17): 8.2 digits for the estimates, 11.2 for the RSS, 7.7 for the SDs; the problem is
    # ill-conditioned, so double precision cannot reach all 11 certified digits of the estimates.
    # A single wrong digit in the data would leave at most a few correct digits in the RSS.
    assert correct_digits(fit.x, THURBER_CERTIFIED) >= 7
    assert correct_digits(rss, THURBER_CERTIFIED_RSS) >= 10
    assert correct_digits(sd, THURBER_CERTIFIED_SD) >= 6


@pytest.mark.parametrize("bad", ["nope", "Longley", "", None, 3])
def test_unknown_name(bad):
    with pytest.raises(ValueError, match=r"name must be one of 'anes96', 'gehan', .*'thurber', 'veteran'"):
        load_dataset(bad)
    with pytest.raises(ValueError, match="name must be one of"):
        dataset_description(bad)


LICENCE_EVIDENCE = {
    "anes96": '"This is public domain."',
    "gehan": "Feist Publications",
    "grunfeld": '"This is public domain."',
    "longley": '"This is public domain."',
    "randhie": '"This is in the public domain."',
    "stackloss": '"This is public domain."',
    "strikes": '"This is public domain."',
    "thurber": "17 U.S.C. § 105",
    "veteran": "Feist Publications",
}


@pytest.mark.parametrize("name", sorted(SHAPES))
def test_readme_documents_dataset_and_licence(name):
    text = dataset_description(name)
    assert text.startswith(f"## {name}\n")
    assert "**Licence.** Public domain" in text
    assert LICENCE_EVIDENCE[name] in text
    if name in ("anes96", "grunfeld", "longley", "randhie", "stackloss", "strikes"):
        sm_datasets = pytest.importorskip("statsmodels.datasets")
        assert getattr(sm_datasets, name).COPYRIGHT.strip() in text  # the quote is statsmodels' own words
    for column in SHAPES[name][1]:
        assert f"`{column}`" in text, column
    rows = SHAPES[name][0]
    assert f"{rows} × {len(SHAPES[name][1])}" in text


def test_readmes_state_the_policy():
    package_readme = _files().joinpath("README.md").read_text(encoding="utf-8")
    pointer = (ROOT / "data" / "README.md").read_text(encoding="utf-8")
    for text in (package_readme, pointer):
        assert "No dataset whose licence reserves any rights" in text
        for name in list_datasets():
            assert f"`{name}`" in text or f"## {name}" in text
    assert "seed 1974" in package_readme
    assert "mle_tutorial/datasets/" in pointer
