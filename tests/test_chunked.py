"""Out-of-core fits on Dask arrays equal the in-memory fits, on every scheduler."""

import sys

import numpy as np
import pytest
from conftest import DATA, correct_digits

import mle_tutorial as mle

dask = pytest.importorskip("dask")
da = pytest.importorskip("dask.array")


def data(n=20_000, p=5, seed=0):
    rng = np.random.default_rng(seed)
    X = np.column_stack([np.ones(n), rng.standard_normal((n, p - 1))])
    beta = rng.uniform(-1, 1, p) / np.sqrt(p)
    eta = X @ beta
    return (
        X,
        eta + rng.standard_normal(n),
        (rng.random(n) < 1 / (1 + np.exp(-eta))).astype(float),
        rng.poisson(np.exp(eta)).astype(float),
        rng.uniform(-0.5, 0.5, n),
    )


def chunked(a, rows=3_001):
    return da.from_array(a, chunks=(rows, *a.shape[1:]))


def rel(a, b):
    return float(np.max(np.abs(np.asarray(a) - b) / np.maximum(np.abs(b), 1e-300)))


def check_all(X, y, yb, yc, off):
    exact, out = mle.fit_linear(X, y), mle.fit_linear(chunked(X), chunked(y))
    assert rel(out.params, exact.params) < 1e-10 and rel(out.stderr, exact.stderr) < 1e-10
    assert out.loglik == pytest.approx(exact.loglik, rel=1e-12)
    for fitter, yy, kw in (
        (mle.fit_logistic, yb, {}),
        (mle.fit_poisson, yc, {"offset": off}),
    ):
        memory = fitter(X, yy, **kw)
        kw_d = {k: chunked(v) for k, v in kw.items()}
        out = fitter(chunked(X), chunked(yy), **kw_d)
        assert out.converged
        assert rel(out.params, memory.params) < 1e-8 and rel(out.stderr, memory.stderr) < 1e-8
        assert out.loglik == pytest.approx(memory.loglik, rel=1e-12)


@pytest.mark.parametrize("scheduler", ["synchronous", "threads"])
def test_dask_equals_in_memory(scheduler):
    with dask.config.set(scheduler=scheduler):
        check_all(*data())


def test_dask_on_a_distributed_local_cluster():
    distributed = pytest.importorskip("distributed")
    with (
        distributed.LocalCluster(
            n_workers=1, threads_per_worker=2, processes=False, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster),
    ):
        check_all(*data(n=8_000, seed=1))


def test_chunks_along_columns_and_uneven_rows_are_handled():
    X, y, *_ = data(n=5_003, p=4, seed=2)
    Xd = da.from_array(X, chunks=(997, 2))  # split across columns too
    yd = da.from_array(y, chunks=1_500)  # chunked differently from X
    assert rel(mle.fit_linear(Xd, yd).params, mle.fit_linear(X, y).params) < 1e-10


def test_ill_conditioned_designs_keep_the_floor():
    from statsmodels.datasets import longley
    from test_fit import FILIP_BETA, LONGLEY_BETA

    d = longley.load_pandas()
    X = np.column_stack([np.ones(16), d.exog.to_numpy()])
    fit = mle.fit_linear(chunked(X, 5), chunked(d.endog.to_numpy(), 5))
    # worst seen over the portability configurations: 12.4 digits (Longley), 7.4 (Filip). Through
    # chunks the refinement uses R alone (no Q), which cannot recover digits once the scaled
    # condition number passes 1/sqrt(eps): Filip's 5e9 does, so it keeps about kappa * eps.
    assert correct_digits(fit.beta, LONGLEY_BETA) >= 11
    y, x = np.loadtxt(DATA / "filip.txt").T
    fit = mle.fit_linear(chunked(np.vander(x, 11, increasing=True), 20), chunked(y, 20))
    assert correct_digits(fit.beta, FILIP_BETA) >= 6.5
    assert "tall-skinny QR" in fit.message


def test_profile_intervals_match_in_memory():
    X, y, yb, *_ = data(n=3_000, p=3, seed=3)
    assert np.allclose(
        mle.fit_linear(chunked(X, 700), chunked(y, 700)).conf_int(method="profile"),
        mle.fit_linear(X, y).conf_int(method="profile"),
        rtol=1e-9,
    )
    assert np.allclose(
        mle.fit_logistic(chunked(X, 700), chunked(yb, 700)).conf_int(method="profile")[1],
        mle.fit_logistic(X, yb).conf_int(method="profile")[1],
        rtol=1e-7,
    )


@pytest.mark.parametrize(
    "call, words",
    [
        (lambda X, y, yb, yc: mle.fit_linear(chunked(np.where(X > 3, np.nan, X)), chunked(y)), "X contains"),
        (
            lambda X, y, yb, yc: mle.fit_linear(chunked(X), chunked(y[:-1])),
            "X has 20000 rows but y has 19999",
        ),
        (
            lambda X, y, yb, yc: mle.fit_linear(chunked(np.column_stack([X, X[:, 1]])), chunked(y)),
            "rank deficient",
        ),
        (lambda X, y, yb, yc: mle.fit_linear(chunked(X), chunked(y), method="BFGS"), "works in memory only"),
        (lambda X, y, yb, yc: mle.fit_logistic(chunked(X), chunked(yb * 2)), "y must contain only 0 and 1"),
        (lambda X, y, yb, yc: mle.fit_poisson(chunked(X), chunked(yc - 1)), "non-negative integer counts"),
        (lambda X, y, yb, yc: mle.fit_poisson(chunked(X), chunked(yc), offset=chunked(X[:10, 0])), "offset"),
        (lambda X, y, yb, yc: mle.fit_linear(chunked(X).astype(str), chunked(y)), "X must be numeric"),
    ],
)
def test_dask_bad_input(call, words):
    X, y, yb, yc, _ = data()
    with pytest.raises(ValueError) as info:
        call(X, y, yb, yc)
    assert words in str(info.value)


def test_without_dask_a_dask_input_says_what_to_install(monkeypatch):
    X, y, *_ = data(n=100)
    Xd = chunked(X)
    monkeypatch.setitem(sys.modules, "dask", None)  # as if Dask were not installed
    monkeypatch.setitem(sys.modules, "dask.array", None)
    with pytest.raises(ValueError, match=r'pip install "mle-tutorial\[dask\]"'):
        mle.fit_linear(Xd, y)
    assert mle.fit_linear(X, y).converged  # the in-memory path does not need Dask
