"""Time mle_tutorial's fitters against their peers, in one process, on the same data.

    python -m benchmarks                 # full grid: n = 1e3 .. 1e6, p = 4, 10, 50 (a few minutes)
    python -m benchmarks --quick         # a small grid, to check that everything runs
    python -m benchmarks --out DIR       # where to write results.csv and timings.png

For every (n, p) it simulates one dataset per model (seeded), times each method several times
and reports the median, the ratio to the package's time, the largest relative difference of
the estimates from the package's, and the peak memory each fit allocates (tracemalloc, in a
separate untimed run). Standard errors are included wherever the method provides them.
"""

from __future__ import annotations

import argparse
import csv
import gc
import time
import tracemalloc
import warnings
from pathlib import Path

import numpy as np
import scipy.optimize
import statsmodels.api as sm

import mle_tutorial as mle
from mle_tutorial.likelihood import normal_nll

HERE = Path(__file__).resolve().parent
FIELDS = ["model", "method", "n", "p", "median_s", "ratio", "max_rel_diff", "peak_mb", "repeats", "note"]


def simulate(model: str, n: int, p: int, seed: int = 0):
    rng = np.random.default_rng(seed)
    X = np.column_stack([np.ones(n), rng.standard_normal((n, p - 1))])
    beta = rng.uniform(-1, 1, p) / np.sqrt(p)
    eta = X @ beta
    if model == "linear":
        y = eta + rng.standard_normal(n)
    elif model == "logistic":
        y = (rng.random(n) < 1 / (1 + np.exp(-eta))).astype(float)
    else:
        y = rng.poisson(np.exp(eta)).astype(float)
    return X, y


def nelder_mead(X, y):
    """The seed's recipe: scipy's Nelder-Mead on the negative log-likelihood, from zeros."""
    theta0 = np.zeros(X.shape[1] + 1)
    res = scipy.optimize.minimize(
        normal_nll, theta0, args=(X, y), method="Nelder-Mead", options={"maxiter": 20000, "maxfev": 20000}
    )
    return np.append(res.x[:-1], np.exp(res.x[-1]))


def methods(model: str):
    """(name, function returning the coefficient estimates after computing standard errors)."""
    if model == "linear":
        return [
            ("mle_tutorial.fit_linear", lambda X, y: (lambda f: (f.stderr, f.beta)[1])(mle.fit_linear(X, y))),
            ("numpy.linalg.lstsq", lambda X, y: np.linalg.lstsq(X, y, rcond=None)[0]),
            ("statsmodels OLS", lambda X, y: (lambda r: (r.bse, r.params)[1])(sm.OLS(y, X).fit())),
            ("scipy Nelder-Mead", lambda X, y: nelder_mead(X, y)[:-1]),
        ]
    if model == "logistic":
        return [
            (
                "mle_tutorial.fit_logistic",
                lambda X, y: (lambda f: (f.stderr, f.beta)[1])(mle.fit_logistic(X, y)),
            ),
            ("statsmodels Logit", lambda X, y: (lambda r: (r.bse, r.params)[1])(sm.Logit(y, X).fit(disp=0))),
        ]
    return [
        ("mle_tutorial.fit_poisson", lambda X, y: (lambda f: (f.stderr, f.beta)[1])(mle.fit_poisson(X, y))),
        ("statsmodels Poisson", lambda X, y: (lambda r: (r.bse, r.params)[1])(sm.Poisson(y, X).fit(disp=0))),
    ]


def skip_reason(method: str, n: int, p: int) -> str:
    if method == "scipy Nelder-Mead" and (n > 10_000 or p > 10):
        return "skipped: Nelder-Mead takes minutes here and does not converge for p > 10"
    return ""


def time_it(fn, X, y, budget: float):
    """The median of at least 3 timed runs, more (up to 25) while within ``budget`` seconds (the
    caller's first, untimed run warmed up imports and caches)."""
    times = []
    start = time.perf_counter()
    while len(times) < 3 or (time.perf_counter() - start < budget and len(times) < 25):
        gc.collect()
        t0 = time.perf_counter()
        fn(X, y)
        times.append(time.perf_counter() - t0)
    return float(np.median(times)), len(times)


def peak_mb(fn, X, y) -> float:
    gc.collect()
    tracemalloc.start()
    fn(X, y)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak / 2**20


def run(ns, ps, budget: float, memory: bool) -> list[dict]:
    rows = []
    for model in ("linear", "logistic", "poisson"):
        for p in ps:
            for n in ns:
                X, y = simulate(model, n, p)
                reference = None
                base_time = None
                for name, fn in methods(model):
                    row = {"model": model, "method": name, "n": n, "p": p}
                    reason = skip_reason(name, n, p)
                    if reason:
                        rows.append({**row, "note": reason})
                        continue
                    with warnings.catch_warnings():
                        warnings.simplefilter("ignore")
                        estimate = fn(X, y)  # (also the warm-up of the timed runs)
                        seconds, repeats = time_it(fn, X, y, budget)
                        peak = peak_mb(fn, X, y) if memory else float("nan")
                    if reference is None:
                        reference, base_time = estimate, seconds
                    diff = float(np.max(np.abs(estimate - reference) / np.maximum(np.abs(reference), 1e-12)))
                    rows.append(
                        {
                            **row,
                            "median_s": f"{seconds:.6f}",
                            "ratio": f"{seconds / base_time:.3f}",
                            "max_rel_diff": f"{diff:.1e}",
                            "peak_mb": f"{peak:.1f}",
                            "repeats": repeats,
                            "note": "",
                        }
                    )
                    print(
                        f"{model:8s} n={n:>8d} p={p:>2d}  {name:28s} {seconds * 1e3:10.2f} ms"
                        f"  x{seconds / base_time:6.2f}  diff {diff:.1e}  peak {peak:8.1f} MB",
                        flush=True,
                    )
                del X, y
    return rows


def check_floors(rows: list[dict]) -> bool:
    """The floors at n = 1e6, p = 10: ours <= 0.5 x the peer's time."""
    want = {
        ("linear", "numpy.linalg.lstsq"),
        ("logistic", "statsmodels Logit"),
        ("poisson", "statsmodels Poisson"),
    }
    ok = True
    found = False
    for row in rows:
        if (
            row["n"] == 1_000_000
            and row["p"] == 10
            and (row["model"], row["method"]) in want
            and row.get("ratio")
        ):
            found = True
            ours_over_peer = 1 / float(row["ratio"])
            passed = ours_over_peer <= 0.5
            ok &= passed
            verdict = "ok" if passed else "FAIL"
            print(f"floor {row['model']:8s}: ours / {row['method']} = {ours_over_peer:.2f}  {verdict}")
    return ok if found else True


def plot(rows: list[dict], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from benchmarks.plot import plot_timings

    fig = plot_timings(rows)
    fig.savefig(path, dpi=110)
    plt.close(fig)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="small grid (n <= 1e4, p = 4, 10), no floors")
    parser.add_argument(
        "--out", type=Path, default=HERE / "results", help="folder for results.csv, timings.png"
    )
    parser.add_argument("--no-memory", action="store_true", help="skip the tracemalloc runs")
    args = parser.parse_args()
    if args.quick:
        ns, ps, budget = [1_000, 10_000], [4, 10], 0.2
    else:
        ns, ps, budget = [1_000, 10_000, 100_000, 1_000_000], [4, 10, 50], 0.5
    rows = run(ns, ps, budget, memory=not args.no_memory)
    args.out.mkdir(parents=True, exist_ok=True)
    with open(args.out / "results.csv", "w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=FIELDS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    plot(rows, args.out / "timings.png")
    print(f"wrote {args.out / 'results.csv'} and {args.out / 'timings.png'}")
    bad = [
        r
        for r in rows
        if r.get("max_rel_diff") and float(r["max_rel_diff"]) > 1e-4 and "Nelder" not in r["method"]
    ]
    for r in bad:
        print(f"DISAGREE: {r['model']} {r['method']} n={r['n']} p={r['p']} max_rel_diff={r['max_rel_diff']}")
    floors = check_floors(rows) if not args.quick else True
    raise SystemExit(0 if floors and not bad else 1)


if __name__ == "__main__":
    main()
