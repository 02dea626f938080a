"""The engine under the fitters: its import graph, its row sources, and the properties of the
results it builds (pickle, equality, repr), of the package namespace and of its warnings."""

import ast
import copy
import inspect
import pickle
import warnings
from pathlib import Path

import numpy as np
import pytest

import mle_tutorial as mle
from mle_tutorial import glm, student_t
from mle_tutorial._engine import lstsq
from mle_tutorial._engine.rows import DaskRows, InMemoryRows, screen_stats

PACKAGE = Path(mle.__file__).parent


# --- the import graph -----------------------------------------------------------------------------
def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {_module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def _imports(name: str):
    """(line, imported module, imported names, at module level) for every intra-package import."""
    path = MODULES[name]
    tree = ast.parse(path.read_text())
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    top = {id(node) for node in tree.body}
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.level:
            base = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
            target = f"{base}.{node.module}" if node.module else base
            names = [alias.name for alias in node.names]
            # "from . import x" or "from ._engine import rows" imports modules
            modules = [f"{target}.{n}" for n in names if f"{target}.{n}" in MODULES]
            yield node.lineno, modules or [target], names, id(node) in top
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            module = node.module if isinstance(node, ast.ImportFrom) else node.names[0].name
            yield node.lineno, [module] if module.startswith("mle_tutorial") else [], [], id(node) in top


def import_graph() -> dict[str, set[str]]:
    return {name: {m for _, mods, _, _ in _imports(name) for m in mods if m in MODULES} for name in MODULES}


def find_cycle(graph):
    state, stack = {}, []

    def visit(node):
        state[node] = "open"
        stack.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == "open":
                return [*stack[stack.index(nxt) :], nxt]
            if nxt not in state and (cycle := visit(nxt)):
                return cycle
        state[node] = "done"
        stack.pop()
        return None

    for node in sorted(graph):
        if node not in state and (cycle := visit(node)):
            return cycle
    return None


def test_the_package_has_no_import_cycle():
    graph = import_graph()
    assert "mle_tutorial._engine.rows" in graph and graph["mle_tutorial.linear"]
    assert find_cycle(graph) is None, " -> ".join(find_cycle(graph))


def test_the_cycle_finder_finds_cycles():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) is None


def test_no_function_level_import_and_no_private_name_across_modules():
    problems = []
    for name in MODULES:
        for line, _, names, at_top in _imports(name):
            where = f"{MODULES[name].relative_to(PACKAGE)}:{line}"
            if not at_top:
                problems.append(f"{where}: import inside a function or class")
            private = [n for n in names if n.startswith("_") and not n.startswith("__")]
            if private and name != "mle_tutorial._engine" and private != ["_engine"]:
                problems.append(f"{where}: imports private name(s) {private}")
    assert not problems, "\n".join(problems)


def test_the_engine_never_imports_a_public_module():
    for name, imported in import_graph().items():
        if name.startswith("mle_tutorial._engine"):
            assert all(m.startswith("mle_tutorial._engine") for m in imported), (name, imported)


# --- the row sources: in memory and over Dask chunks give the same statistics -------------------
def _data(n=5_000, seed=0):
    rng = np.random.default_rng(seed)
    X = np.column_stack([np.ones(n), rng.standard_normal((n, 2))])
    eta = X @ [0.3, 0.5, -0.4]
    return (
        X,
        eta + rng.standard_normal(n),
        (rng.random(n) < 1 / (1 + np.exp(-eta))).astype(float),
        rng.poisson(np.exp(eta)).astype(float),
        rng.uniform(-0.5, 0.5, n),
    )


def _same_sums(a, b, rtol):
    assert a.keys() == b.keys()
    if "fingerprint" in a:  # a sum of hashes modulo 2**64: exactly the same
        assert a.pop("fingerprint") % 2**64 == b.pop("fingerprint") % 2**64
    for key in a:
        np.testing.assert_allclose(
            np.asarray(a[key], dtype=float), np.asarray(b[key], dtype=float), rtol=rtol
        )


BETA = np.array([0.2, 0.4, -0.3])
THETA_T = np.array([0.3, 0.5, -0.4, 0.1, 1.5])


def t_chunk(X, y, offset, theta):
    return {"nll": student_t.t_nll(theta, X, y)}


@pytest.mark.parametrize(
    "family, column, chunk_fn, kwargs",
    [
        ("normal", 1, lstsq.normal_sums, {}),
        ("normal", 1, lstsq.normal_refine_stats, {"beta": BETA, "extended": True, "exact_products": True}),
        ("logistic", 2, glm.glm_stats, {"beta": BETA, "family": glm.LOGISTIC}),
        ("logistic", 2, screen_stats, {"labels": glm.LOGISTIC.labels, "with_start": True}),
        ("poisson", 3, glm.glm_stats, {"beta": BETA, "family": glm.POISSON}),
        ("poisson", 3, screen_stats, {"labels": glm.POISSON.labels, "with_start": True}),
        ("poisson", 3, glm.poisson_start_stats, {}),
        ("t", 1, t_chunk, {"theta": THETA_T}),
    ],
    ids=["normal sums", "normal refinement", "logistic", "logistic checks", "poisson", "poisson checks",
         "poisson start", "t"],
)  # fmt: skip
def test_in_memory_and_dask_rows_give_the_same_statistics(family, column, chunk_fn, kwargs):
    da = pytest.importorskip("dask.array")
    data = _data()
    X, y = data[0], data[column]
    offset = data[4] if family == "poisson" else None
    memory = InMemoryRows(X, y, offset).reduce(chunk_fn, **kwargs)
    chunks = DaskRows(
        da.from_array(X, chunks=(700, 3)), da.from_array(y, chunks=700),
        None if offset is None else da.from_array(offset, chunks=700),
    ).reduce(chunk_fn, **kwargs)  # fmt: skip
    _same_sums(memory, chunks, rtol=1e-11)


@pytest.mark.parametrize("p, view", [(1, False), (1, True), (3, False), (3, True), (7, True)])
def test_the_logistic_pass_at_zero_is_the_pass(p, view):
    # Newton's usual start: the shortcut gives the pass's score and information bit for bit (and
    # its log-likelihood, -n log 2, to rounding), for contiguous arrays and column views alike
    rng = np.random.default_rng(p)
    data = rng.standard_normal((500, p + 2)) * 10.0 ** rng.uniform(-3, 3, p + 2)
    X = data[:, 1 : p + 1] if view else np.ascontiguousarray(data[:, 1 : p + 1])
    y = (rng.uniform(size=500) < 0.3).astype(float)
    shortcut = glm.LOGISTIC.stats_at_zero(X, y)
    full = glm.glm_stats(X, y, np.zeros(500), beta=np.zeros(p), family=glm.LOGISTIC, exact=False)
    assert shortcut.keys() == full.keys()
    for key in ("score", "info", "max_eta", "max_eta_hi", "max_neg_eta0"):
        assert np.array_equal(shortcut[key], full[key]), key
    assert shortcut["loglik"] == pytest.approx(full["loglik"], rel=1e-14)


def test_tall_skinny_qr_over_chunks_equals_qr_in_memory():
    da = pytest.importorskip("dask.array")
    X, y, *_ = _data(n=3_000)
    scale = np.ones(3)
    memory = InMemoryRows(X, y).reduce(lstsq.tsqr_block, scale=scale)
    rows = DaskRows(da.from_array(X, chunks=(400, 3)), da.from_array(y, chunks=400))
    chunks = rows.reduce(lstsq.tsqr_block, combine=lstsq.tsqr_combine, scale=scale)
    np.testing.assert_allclose(np.abs(chunks), np.abs(memory), rtol=1e-10, atol=1e-9)


# --- FitResult: pickle, equality, hash, repr ------------------------------------------------------
def normal_nll(theta, x):  # module level, so that pickle can find it
    return -np.sum(mle.normal_logpdf(x, theta[0], np.exp(theta[1])))


def exponential_decay(x, b):
    return b[0] * np.exp(-b[1] * x)


def _dask_fits():
    """The Dask paths of the fitters that take Dask arrays (the conformance suite's registry,
    ``conformance.CASES``, holds every model in memory)."""
    try:
        import dask.array as da
    except ImportError:  # pragma: no cover
        return {}
    X, y, yb, yc, off = _data(n=400, seed=1)

    def c(a):
        return da.from_array(a, chunks=(100, *a.shape[1:]))

    return {
        "dask linear": lambda: mle.fit_linear(c(X), c(y)),
        "dask logistic": lambda: mle.fit_logistic(c(X), c(yb)),
        "dask poisson": lambda: mle.fit_poisson(c(X), c(yc), offset=c(off)),
    }


FITS = _dask_fits()


@pytest.mark.parametrize("name", FITS)
def test_a_result_over_dask_chunks_pickles_and_keeps_its_profile(name):
    fit = FITS[name]()
    back = pickle.loads(pickle.dumps(fit))
    assert back == fit and back is not fit
    assert type(back).__module__ == "mle_tutorial.result"
    j = 1
    grid = fit.params[j] + np.array([-0.5, 0.5]) * fit.stderr[j]
    assert np.array_equal(mle.profile_likelihood(back, j, grid), mle.profile_likelihood(fit, j, grid))


def test_a_result_pickled_before_stderr_model_and_data_key_unpickles():
    X, y, *_ = _data(n=200)
    fit = mle.fit_linear(X, y)
    state = {k: v for k, v in vars(fit).items() if k not in ("stderr", "model", "scaling")}
    old = mle.FitResult.__new__(mle.FitResult)
    old.__setstate__(state)
    assert np.array_equal(old.stderr, fit.stderr) and old.model is None and old.data_key is None
    # version 0.1 kept the family's name in model, and scores and data_key beside it
    v01 = mle.FitResult.__new__(mle.FitResult)
    v01.__setstate__({**state, "model": "normal", "scores": object(), "data_key": "n=200 y#0"})
    assert v01.model is None and v01.data_key is None and np.array_equal(v01.params, fit.params)


def test_a_lambda_in_the_profile_does_not_pickle():
    fit = mle.fit_mle(lambda t: np.sum((t - 1.0) ** 2) + 1.0, [0.0, 0.0])
    with pytest.raises((pickle.PicklingError, AttributeError)):
        pickle.dumps(fit)


def test_equality_compares_values_and_hash_is_refused():
    X, y, *_ = _data(n=200)
    a, b = mle.fit_linear(X, y), mle.fit_linear(X, y)
    assert a == b and not (a != b)
    assert a == copy.deepcopy(a)
    assert a != mle.fit_linear(X, y + 1.0)
    assert a != mle.fit_linear(X, y, method="BFGS")
    assert (a == "a fit") is False
    with pytest.raises(TypeError, match="unhashable"):
        hash(a)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        flat = mle.fit_mle(lambda t: (t[0] - 1.0) ** 2, [0.0, 0.0])
    assert np.all(np.isnan(flat.cov)) and flat == copy.copy(flat)  # NaN compares equal to NaN here


def test_repr_is_a_readable_table():
    X, y, *_ = _data(n=200)
    text = repr(mle.fit_linear(X, y))
    assert text.startswith("FitResult(method='exact', nobs=200, converged=True, n_iter=")
    assert "beta[0] =" in text and "sigma   =" in text and "(se " in text


# --- the namespace --------------------------------------------------------------------------------
def test_dir_shows_the_public_api_only():
    names = dir(mle)
    assert names == sorted([*mle.__all__, "__version__"])
    assert "linear" not in names and "chunked" not in names and "inference" not in names
    assert inspect.isfunction(mle.fit_linear) and inspect.isfunction(mle.fit_mle)
    assert mle.LeastSquaresSolution is type(mle.solve_least_squares(np.eye(3), np.ones(3)))
    for name in mle.__all__:
        assert not name.startswith("_") and getattr(mle, name).__module__.startswith("mle_tutorial")


# --- warnings point at the caller's line -----------------------------------------------------------
def _separated_dask():
    da = pytest.importorskip("dask.array")
    x = np.arange(40.0)
    X = np.column_stack([np.ones(40), x])
    y = (x > 19.5).astype(float)
    return mle.fit_logistic(da.from_array(X, chunks=(10, 2)), da.from_array(y, chunks=10))


ELEVEN = mle.simulate_linear(300, np.linspace(0.5, 5.5, 11), 0.5, seed=408)
XN = np.linspace(0, 4, 30)
YN = 2 * np.exp(-0.7 * XN) + 0.01 * np.sin(np.arange(30))
ONES = np.ones(20)
HALF = np.r_[np.ones(10), np.zeros(10)]  # events in the first group only: no finite MLE for the second
EXACT_Y, EXACT_YN = ELEVEN[0] @ np.ones(11), exponential_decay(XN, [2.0, 0.7])

WARNING_CASES = [
    ("fit_linear", lambda: mle.fit_linear(*ELEVEN, method="Nelder-Mead"),
     {mle.ConvergenceWarning, mle.HessianWarning}),
    ("fit_mle", lambda: mle.fit_mle(lambda t: (t[0] - 1.0) ** 2, [0.0, 0.0]),
     {mle.ConvergenceWarning, mle.HessianWarning}),
    ("fit_student_t", lambda: mle.fit_student_t(*mle.simulate_linear(500, [0.5, 1.0], 0.5, seed=1)),
     {mle.ConvergenceWarning}),
    ("fit_nonlinear", lambda: mle.fit_nonlinear(exponential_decay, XN, YN, [50.0, 9.0], max_nfev=3),
     {mle.ConvergenceWarning}),
    ("fit_nonlinear", lambda: mle.fit_nonlinear(lambda x, b: b[0] * b[1] * x, np.arange(1.0, 21.0),
                                                np.arange(1.0, 21.0) + np.sin(np.arange(20)), [1.0, 1.0]),
     {mle.HessianWarning}),
    ("fit_logistic on Dask", _separated_dask, {mle.ConvergenceWarning}),
    ("covariance_from_hessian", lambda: mle.covariance_from_hessian([[1.0, 1.0], [1.0, 1.0]]),
     {mle.HessianWarning}),
    ("fit_survival", lambda: mle.fit_survival(np.arange(1.0, 21.0), HALF, np.column_stack([ONES, 1 - HALF])),
     {mle.ConvergenceWarning}),
    ("fit_normal_mixture", lambda: mle.fit_normal_mixture(np.r_[XN, XN + 9.0], 3, max_iter=2),
     {mle.ConvergenceWarning}),
    ("fit_linear exact", lambda: mle.fit_linear(ELEVEN[0], EXACT_Y), {mle.ExactFitWarning}),
    ("fit_student_t exact", lambda: mle.fit_student_t(ELEVEN[0], EXACT_Y), {mle.ExactFitWarning}),
    ("fit_nonlinear exact", lambda: mle.fit_nonlinear(exponential_decay, XN, EXACT_YN, [1.0, 1.0]),
     {mle.ExactFitWarning}),
]  # fmt: skip


@pytest.mark.parametrize("name, call, categories", WARNING_CASES, ids=[c[0] for c in WARNING_CASES])
def test_warnings_point_at_the_callers_line(name, call, categories):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        call()
    ours = [
        w
        for w in caught
        if issubclass(w.category, (mle.ConvergenceWarning, mle.HessianWarning, mle.ExactFitWarning))
    ]
    assert categories <= {w.category for w in ours}
    for w in ours:
        assert Path(w.filename).resolve() == Path(__file__).resolve(), (w.filename, w.lineno, str(w.message))


def test_pyproject_lists_every_subpackage():
    """A non-editable install (pip install ., Binder, Colab) ships only the packages listed."""
    root = Path(__file__).resolve().parents[1]
    text = (root / "pyproject.toml").read_text()
    # tomllib is Python 3.11+; the list is one line: packages = ["mle_tutorial", ...]
    line = next(x for x in text.splitlines() if x.startswith("packages = ["))
    listed = set(ast.literal_eval(line.split("=", 1)[1].strip()))
    found = {
        ".".join(path.parent.relative_to(root).parts)
        for path in (root / "mle_tutorial").rglob("__init__.py")
        if "__pycache__" not in path.parts
    }
    assert found <= listed, f"add {sorted(found - listed)} to [tool.setuptools] packages"
