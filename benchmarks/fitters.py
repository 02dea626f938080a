"""The newer fitters against their peers, each tool in its own process, one BLAS thread.

    python -m benchmarks.fitters               # writes benchmarks/results/fitters.csv
    python -m benchmarks.fitters --quick       # fewer repeats, to check that everything runs

Every case is one entry of ``CASES``: a name, the goal (the package's time as a fraction of a
peer's), and for each tool a short program that reads the same data and fits it. Each program runs
in a fresh process (``python -c`` in this venv, ``Rscript`` for R, the interpreter named by
``$SKLEARN_PYTHON`` for scikit-learn, which is not a dependency), fits once to warm up, then
``repeats`` times, and prints the median CPU time of one fit (user + system: the machine is shared,
so CPU time is steadier than wall time; every tool is single-threaded here), its log-likelihood,
its peak resident memory (``VmHWM``, the whole process), its version and a note where its
log-likelihood is not the same quantity; a case with ``rounds`` > 1 runs that many processes per
tool, in turn, and takes the median. A tool that is not installed is skipped with a note.
The cases: censored (Weibull AFT), mixture, the fixed cost of a small linear and logistic fit,
negative binomial, gamma and linear mixed regression (the mixed data are those of
``benchmarks/mixed.py``, which compares more sizes and the GLMMs). A new fitter is one more entry.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from benchmarks.mixed import simulate as simulate_mixed

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
FIELDS = ["case", "tool", "version", "cpu_s", "package_time_share", "goal", "loglik", "peak_mb", "note"]

# --- the timing harness of each language --------------------------------------------------------
PY_HARNESS = """
import json, statistics, time, sys
def _peak():
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM"):
            return int(line.split()[1]) / 1024
def _bench(fit, repeats, version, note=""):
    ll = fit()
    times = []
    for _ in range(repeats):
        t0 = time.process_time(); fit(); times.append(time.process_time() - t0)
    print(json.dumps({"cpu_s": statistics.median(times), "loglik": float(ll), "peak_mb": _peak(),
                      "version": version, "note": note}))
"""

R_HARNESS = """
peak <- function() { s <- readLines("/proc/self/status"); as.numeric(strsplit(trimws(sub("VmHWM:", "",
  s[grepl("^VmHWM", s)])), " ")[[1]][1]) / 1024 }
bench <- function(fit, repeats, version, note = "") {
  ll <- fit(); ts <- c()
  for (k in seq_len(repeats)) { t0 <- proc.time(); fit(); d <- proc.time() - t0
    ts <- c(ts, d[["user.self"]] + d[["sys.self"]]) }
  cat(sprintf('{"cpu_s": %.6f, "loglik": %.10f, "peak_mb": %.1f, "version": "%s", "note": "%s"}\\n',
              median(ts), ll, peak(), version, note))
}
"""


@dataclass
class Tool:
    """One way to fit a case: ``language`` "python", "sklearn" or "R", and the program's body (it
    may read ``DATA``, the path of the case's data, and must call ``_bench``/``bench``)."""

    name: str
    language: str
    body: str


@dataclass
class Case:
    """A workload: how to write its data, the package's program, its peers, and the goal (the
    package's CPU time at most ``goal`` times the first peer's)."""

    name: str
    make_data: object
    tools: list[Tool] = field(default_factory=list)
    goal: float | None = None
    #: Processes per tool, run in turn (package, peers, package, peers, ...): the time reported is
    #: the median over them. A process's timing of a short fit varies by a quarter from one process
    #: to the next on this machine (memory layout, a shared CPU), so the short cases take several.
    rounds: int = 1


def weibull_data(path: Path) -> None:
    """Weibull AFT, n = 1e5, an intercept and 5 covariates, about 23 % right-censored (issue 23 said 22 %)."""
    rng = np.random.default_rng(0)
    n = 100_000
    X = rng.standard_normal((n, 5))
    beta = np.array([0.3, -0.2, 0.1, 0.25, -0.15])
    t = np.exp(1.0 + X @ beta + 0.7 * np.log(rng.exponential(size=n)))
    c = rng.exponential(np.quantile(t, 0.5) * 4.6, size=n)
    table = np.column_stack([np.minimum(t, c), (t <= c).astype(float), X])
    np.savetxt(path, table, delimiter=",", fmt="%.17g")


def faithful_data(path: Path) -> None:
    """The Old Faithful waiting times (tests/data/faithful_waiting.csv), one column, no header."""
    x = np.loadtxt(ROOT / "tests" / "data" / "faithful_waiting.csv", delimiter=",", skiprows=1)
    np.savetxt(path, x, fmt="%.17g")


def small_linear_data(path: Path) -> None:
    """n = 100, an intercept and 2 covariates: the fixed cost of a small fit."""
    rng = np.random.default_rng(1)
    X = np.column_stack([np.ones(100), rng.standard_normal((100, 2))])
    y = X @ [1.0, 0.5, -0.3] + rng.standard_normal(100)
    np.savetxt(path, np.column_stack([y, X]), delimiter=",", fmt="%.17g")


def small_logistic_data(path: Path) -> None:
    """n = 100, an intercept and 2 covariates, 0/1 outcomes: the fixed cost of a small logistic fit."""
    rng = np.random.default_rng(1)
    X = np.column_stack([np.ones(100), rng.standard_normal((100, 2))])
    y = (rng.uniform(size=100) < 1.0 / (1.0 + np.exp(-(X @ [0.2, 1.0, -0.5])))).astype(float)
    np.savetxt(path, np.column_stack([y, X]), delimiter=",", fmt="%.17g")


def _counts_design(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
    X = np.column_stack([np.ones(n), rng.standard_normal((n, 3))])
    return X, np.exp(X @ [0.5, 0.3, -0.2, 0.1])


def negative_binomial_data(path: Path) -> None:
    """NB2 counts, n = 10^4, an intercept and 3 covariates, alpha = 0.5 (R's theta = 2); header
    y,x1,x2,x3."""
    rng = np.random.default_rng(3)
    X, mu = _counts_design(rng, 10_000)
    y = rng.negative_binomial(2.0, 2.0 / (2.0 + mu))
    table = np.column_stack([y, X[:, 1:]])
    np.savetxt(path, table, delimiter=",", fmt="%.17g", header="y,x1,x2,x3", comments="")


def gamma_data(path: Path) -> None:
    """Gamma responses with the log link, shape 2, n = 10^4, an intercept and 3 covariates; header
    y,x1,x2,x3."""
    rng = np.random.default_rng(4)
    X, mu = _counts_design(rng, 10_000)
    y = rng.gamma(2.0, mu / 2.0)
    table = np.column_stack([y, X[:, 1:]])
    np.savetxt(path, table, delimiter=",", fmt="%.17g", header="y,x1,x2,x3", comments="")


def mixed_data(path: Path) -> None:
    """The linear mixed model's data of ``benchmarks/mixed.py`` (scenario lmm_intercept, G = 500
    groups of 10 rows, a random intercept), as it writes them for lme4: header y,x1,x2,x3,g."""
    d = simulate_mixed("lmm_intercept", 500)  # (the same simulation, not a copy)
    table = np.column_stack([d["y"], d["X"][:, 1:], d["groups"] + 1])
    np.savetxt(path, table, delimiter=",", fmt="%.10g", header="y,x1,x2,x3,g", comments="")


#: Reads a case's CSV with a header y,x1,x2,x3[,g]: y, X with an intercept (and the groups).
READ_TABLE = """
import numpy as np
d = np.loadtxt(DATA, delimiter=",", skiprows=1)
y, X = d[:, 0], np.column_stack([np.ones(len(d)), d[:, 1:4]])
"""


def small_fits_case(name: str, make_data, fitter: str, peer: str, peer_fit: str) -> Case:
    """The fixed cost of a small fit: 200 fits with standard errors by ``mle_tutorial.<fitter>``
    against statsmodels' ``<peer>`` (``peer_fit``, an expression in ``y`` and ``X``), five
    processes per tool (see :attr:`Case.rounds`), goal 0.5."""
    read = """
import numpy as np, {module}
d = np.loadtxt(DATA, delimiter=","); y, X = d[:, 0], d[:, 1:]"""
    ours = (
        read.format(module="mle_tutorial as mle")
        + f"""
def fit():
    total = 0.0
    for _ in range(200):
        f = mle.{fitter}(X, y); f.stderr; total = f.loglik
    return total
_bench(fit, REPEATS, mle.__version__)"""
    )
    theirs = (
        read.format(module="statsmodels, statsmodels.api as sm")
        + f"""
def fit():
    for _ in range(200):
        r = {peer_fit}; r.bse
    return r.llf
_bench(fit, REPEATS, "statsmodels " + statsmodels.__version__)"""
    )
    tools = [Tool(f"mle_tutorial.{fitter}", "python", ours), Tool(f"statsmodels {peer}", "python", theirs)]
    return Case(name, make_data, tools, goal=0.5, rounds=5)


CASES = [
    Case(
        "weibull_aft_n1e5_p6",
        weibull_data,
        [
            Tool(
                "mle_tutorial.fit_survival",
                "python",
                """
import numpy as np, mle_tutorial as mle
d = np.loadtxt(DATA, delimiter=","); X = np.column_stack([np.ones(len(d)), d[:, 2:]])
_bench(lambda: (lambda f: (f.stderr, f.loglik)[1])(mle.fit_survival(d[:, 0], d[:, 1], X, dist="weibull")),
       REPEATS, mle.__version__)""",
            ),
            Tool(
                "R survreg",
                "R",
                """
suppressMessages(library(survival)); d <- read.csv(DATA, header = FALSE)
names(d) <- c("time", "event", paste0("x", 1:5))
bench(function() survreg(Surv(time, event) ~ x1 + x2 + x3 + x4 + x5, data = d, dist = "weibull")$loglik[2],
      REPEATS, paste0("R ", R.version$major, ".", R.version$minor, ", survival ",
                      packageVersion("survival")))""",
            ),
        ],
        goal=0.2,
    ),
    Case(
        "normal_mixture_faithful_m3",
        faithful_data,
        [
            Tool(
                "mle_tutorial.fit_normal_mixture",
                "python",
                """
import numpy as np, mle_tutorial as mle
x = np.loadtxt(DATA)
_bench(lambda: (lambda f: (f.stderr, f.loglik)[1])(mle.fit_normal_mixture(x, 3)),
       REPEATS, mle.__version__)""",
            ),
            Tool(
                "sklearn GaussianMixture(n_init=10, tol=1e-10)",
                "sklearn",
                """
import numpy as np, sklearn, warnings
from sklearn.mixture import GaussianMixture
warnings.simplefilter("ignore"); x = np.loadtxt(DATA)[:, None]
def fit():
    gm = GaussianMixture(3, n_init=10, tol=1e-10, random_state=0).fit(x)
    return gm.score(x) * x.shape[0]
_bench(fit, REPEATS, "scikit-learn " + sklearn.__version__)""",
            ),
        ],
        goal=0.2,
    ),
    small_fits_case("linear_n100_p3", small_linear_data, "fit_linear", "OLS", "sm.OLS(y, X).fit()"),
    small_fits_case(
        "logistic_n100_p3", small_logistic_data, "fit_logistic", "Logit", "sm.Logit(y, X).fit(disp=0)"
    ),
    Case(
        "negative_binomial_n1e4_p4",
        negative_binomial_data,
        [
            Tool(
                "mle_tutorial.fit_negative_binomial",
                "python",
                READ_TABLE
                + """
import mle_tutorial as mle
_bench(lambda: (lambda f: (f.stderr, f.loglik)[1])(mle.fit_negative_binomial(X, y)),
       REPEATS, mle.__version__)""",
            ),
            Tool(
                "statsmodels NegativeBinomial",
                "python",
                READ_TABLE
                + """
import statsmodels, statsmodels.api as sm
def fit():
    r = sm.NegativeBinomial(y, X).fit(disp=0); r.bse
    return r.llf
_bench(fit, REPEATS, "statsmodels " + statsmodels.__version__)""",
            ),
            Tool(
                "R MASS::glm.nb",
                "R",
                """
suppressMessages(library(MASS)); d <- read.csv(DATA)
bench(function() { f <- glm.nb(y ~ x1 + x2 + x3, data = d); sqrt(diag(vcov(f))); as.numeric(logLik(f)) },
      REPEATS, paste0("R ", R.version$major, ".", R.version$minor, ", MASS ", packageVersion("MASS")))""",
            ),
        ],
    ),
    Case(
        "gamma_n1e4_p4",
        gamma_data,
        [
            Tool(
                "mle_tutorial.fit_gamma",
                "python",
                READ_TABLE
                + """
import mle_tutorial as mle
_bench(lambda: (lambda f: (f.stderr, f.loglik)[1])(mle.fit_gamma(X, y)), REPEATS, mle.__version__)""",
            ),
            Tool(
                "statsmodels GLM Gamma (log link)",
                "python",
                READ_TABLE
                + """
import statsmodels, statsmodels.api as sm
family = sm.families.Gamma(sm.families.links.Log())
def fit():
    r = sm.GLM(y, X, family=family).fit(); r.bse
    return r.llf
_bench(fit, REPEATS, "statsmodels " + statsmodels.__version__,
       "its log-likelihood at the Pearson scale, not the shape's MLE")""",
            ),
        ],
    ),
    Case(
        "linear_mixed_G500_n5000",
        mixed_data,
        [
            Tool(
                "mle_tutorial.fit_linear_mixed",
                "python",
                READ_TABLE
                + """
import mle_tutorial as mle
g = d[:, 4]
_bench(lambda: (lambda f: (f.stderr, f.loglik)[1])(mle.fit_linear_mixed(X, y, g)),
       REPEATS, mle.__version__)""",
            ),
            Tool(
                "statsmodels MixedLM (ML)",
                "python",
                READ_TABLE
                + """
import warnings, statsmodels, statsmodels.api as sm
g = d[:, 4]
def fit():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        r = sm.MixedLM(y, X, g).fit(reml=False)
    r.bse
    return r.llf
_bench(fit, REPEATS, "statsmodels " + statsmodels.__version__)""",
            ),
            Tool(
                "R lme4::lmer (REML = FALSE)",
                "R",
                """
suppressMessages(library(lme4)); d <- read.csv(DATA); d$g <- factor(d$g)
bench(function() { f <- lmer(y ~ x1 + x2 + x3 + (1 | g), d, REML = FALSE); sqrt(diag(vcov(f)))
                   as.numeric(logLik(f)) },
      REPEATS, paste0("R ", R.version$major, ".", R.version$minor, ", lme4 ", packageVersion("lme4")))""",
            ),
        ],
    ),
]


def run_tool(tool: Tool, data: Path, repeats: int) -> dict:
    if tool.language == "R":
        exe = shutil.which("Rscript")
        if exe is None:
            hint = "apt-get install r-base-core r-cran-survival r-cran-lme4"
            return {"note": f"skipped: Rscript not found ({hint})"}
        program = R_HARNESS + f'DATA <- "{data}"; REPEATS <- {repeats}\n' + tool.body
        command = [exe, "-e", program]
    else:
        exe = sys.executable if tool.language == "python" else os.environ.get("SKLEARN_PYTHON", "")
        if not exe or not Path(exe).exists():
            return {"note": "skipped: set SKLEARN_PYTHON to a Python with scikit-learn (not a dependency)"}
        program = PY_HARNESS + f"DATA = {str(data)!r}; REPEATS = {repeats}\n" + tool.body
        command = [exe, "-c", program]
    env = {**os.environ, "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
    done = subprocess.run(command, capture_output=True, text=True, env=env, cwd=ROOT, timeout=1800)
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    if done.returncode != 0 or not lines:
        return {"note": f"failed: {(done.stderr or done.stdout).strip()[-300:]}"}
    return json.loads(lines[-1])


def run_case(case: Case, data: Path, repeats: int) -> list[dict]:
    """Each tool's result, over ``case.rounds`` processes per tool taken in turn: the median CPU
    time over them (their other fields from the last)."""
    runs: list[list[dict]] = [[] for _ in case.tools]
    for _ in range(case.rounds):
        for k, tool in enumerate(case.tools):
            runs[k].append(run_tool(tool, data, repeats))
    results = []
    for tool_runs in runs:
        times = [r["cpu_s"] for r in tool_runs if "cpu_s" in r]
        result = dict(tool_runs[-1])
        if times and len(times) == len(tool_runs):
            result["cpu_s"] = float(np.median(times))
        results.append(result)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="3 repeats instead of 7")
    parser.add_argument("--out", type=Path, default=HERE / "results")
    parser.add_argument(
        "--case", action="append", help="run only the cases whose name contains this (repeatable); "
        "the table is then printed, not written"
    )  # fmt: skip
    args = parser.parse_args()
    repeats = 3 if args.quick else 7
    chosen = [c for c in CASES if not args.case or any(part in c.name for part in args.case)]
    if not chosen:
        parser.error(f"no case matches {args.case}; the cases: {[c.name for c in CASES]}")
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for case in chosen:
            data = Path(tmp) / f"{case.name}.csv"
            case.make_data(data)  # type: ignore[operator]
            results = run_case(case, data, repeats)
            ours = results[0].get("cpu_s")
            for k, (tool, res) in enumerate(zip(case.tools, results, strict=True)):
                ratio = ours / res["cpu_s"] if ours and res.get("cpu_s") else None
                rows.append({
                    "case": case.name, "tool": tool.name, "version": res.get("version", ""),
                    "cpu_s": f"{res['cpu_s']:.6f}" if "cpu_s" in res else "",
                    "package_time_share": "" if ratio is None else f"{ratio:.3f}",
                    "goal": "" if k == 0 or case.goal is None else f"<= {case.goal:g}",
                    "loglik": f"{res['loglik']:.6f}" if "loglik" in res else "",
                    "peak_mb": f"{res['peak_mb']:.0f}" if "peak_mb" in res else "",
                    "note": res.get("note", ""),
                })  # fmt: skip
                print(
                    {key: rows[-1][key] for key in ("case", "tool", "cpu_s", "package_time_share", "loglik")}
                )
    if args.case:
        return
    args.out.mkdir(parents=True, exist_ok=True)
    with open(args.out / "fitters.csv", "w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=FIELDS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    print(f"wrote {args.out / 'fitters.csv'}")


if __name__ == "__main__":
    main()
