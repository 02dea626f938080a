"""Mixed models: fit_linear_mixed against statsmodels' MixedLM (timed in this run) and lme4's lmer,
fit_glmm against lme4's glmer (stored timings from R), on the same simulated data.

    python -m benchmarks.mixed                    # G = 50, 500, 5000 groups of 10 rows (about 2 minutes)
    python -m benchmarks.mixed --quick            # G = 50 only, to check that everything runs
    python -m benchmarks.mixed --write-inputs DIR # write the data as CSV files, for benchmarks/mixed_lme4.R

Each scenario is simulated with a fixed seed (``simulate``): p = 4 fixed effects (an intercept and three
standard normal columns), G groups of 10 rows, a random intercept (sd 1) or a random intercept and a random
slope in the first column (sd 1 and 0.5, correlation 0), normal errors (sd 1) or 0/1 outcomes (logit
link). Every method is timed several times and the median kept; the ratio is the method's time over the
package's. The lme4 times come from ``benchmarks/results/mixed_lme4.csv``, written by
``Rscript benchmarks/mixed_lme4.R`` on the same data (measured on the machine named in that file; rerun it
to compare on yours), with lme4's default settings, as a user runs them. The table also shows how far each
method's maximized log-likelihood is below the best of them (a method that stops early reports a lower
one; for glmer's Laplace approximation the gap is mostly lme4's own value, which its PIRLS tolerance,
tolPwrss = 1e-7 by default, leaves inexact: tests/test_mixed_reference.py compares with a tight
tolerance). statsmodels has no maximum-likelihood GLMM (its binomial mixed GLMs are variational Bayes), so
the GLMM rows compare with lme4 only. Writes ``benchmarks/results/mixed.csv``.
"""

from __future__ import annotations

import argparse
import csv
import time
import warnings
from pathlib import Path

import numpy as np

import mle_tutorial as mle

HERE = Path(__file__).resolve().parent
LME4 = HERE / "results" / "mixed_lme4.csv"
FIELDS = ["scenario", "G", "n", "method", "median_s", "ratio", "loglik_gap", "repeats"]
SCENARIOS = ("lmm_intercept", "lmm_slope", "glmm_laplace", "glmm_agq9")
M = 10  # rows per group


def simulate(scenario: str, G: int, seed: int = 2026) -> dict:
    """The data of a scenario: X (n, 4), y, groups, and Z (None: a random intercept)."""
    rng = np.random.default_rng(seed)
    n = G * M
    g = np.repeat(np.arange(G), M)
    X = np.column_stack([np.ones(n), np.round(rng.standard_normal((n, 3)), 4)])
    b = rng.standard_normal((G, 2)) * [1.0, 0.5]
    eta = X @ [1.0, 0.5, -0.3, 0.2] + b[g, 0]
    Z = None
    if scenario == "lmm_slope":
        eta = eta + b[g, 1] * X[:, 1]
        Z = X[:, :2]
    if scenario.startswith("lmm"):
        y = np.round(eta + rng.standard_normal(n), 4)
    else:
        y = (rng.random(n) < 1.0 / (1.0 + np.exp(-(eta - 1.0)))).astype(float)
    return {"X": X, "y": y, "groups": g, "Z": Z}


def write_inputs(folder: Path, sizes) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for scenario in ("lmm_intercept", "lmm_slope", "glmm_laplace"):  # the GLMM data serve both GLMM rows
        for G in sizes:
            d = simulate(scenario, G)
            X = d["X"]
            rows = np.column_stack([d["y"], X[:, 1:], d["groups"] + 1])
            header = "y,x1,x2,x3,g"
            np.savetxt(
                folder / f"{scenario}_{G}.csv", rows, delimiter=",", header=header, comments="", fmt="%.10g"
            )
    print("wrote", folder)


def ours(scenario: str, d: dict):
    if scenario.startswith("lmm"):
        return mle.fit_linear_mixed(d["X"], d["y"], d["groups"], d["Z"]).loglik
    k = 9 if scenario == "glmm_agq9" else 1
    return mle.fit_glmm(d["X"], d["y"], d["groups"], n_quadrature=k).loglik


def statsmodels_mixedlm(scenario: str, d: dict):
    import statsmodels.api as sm

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit = sm.MixedLM(d["y"], d["X"], d["groups"], exog_re=d["Z"]).fit(reml=False)
    _ = fit.bse  # standard errors, as the others compute them
    return fit.llf


def timed(function, *args, repeats: int) -> tuple[float, float]:
    times, value = [], None
    for _ in range(repeats):
        start = time.perf_counter()
        value = function(*args)
        times.append(time.perf_counter() - start)
    return float(np.median(times)), float(value)


def stored_lme4() -> dict:
    """(scenario, G) -> (median seconds, log-likelihood) from benchmarks/results/mixed_lme4.csv."""
    if not LME4.exists():
        return {}
    with open(LME4) as handle:
        return {
            (r["scenario"], int(r["G"])): (float(r["median_s"]), float(r["loglik"]))
            for r in csv.DictReader(handle)
        }


def main(argv=None) -> list[dict]:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="G = 50 only")
    parser.add_argument("--out", type=Path, default=HERE / "results", help="where to write mixed.csv")
    parser.add_argument("--write-inputs", type=Path, default=None, help="write the data as CSV and stop")
    args = parser.parse_args(argv)
    sizes = (50,) if args.quick else (50, 500, 5000)
    if args.write_inputs is not None:
        write_inputs(args.write_inputs, (50, 500, 5000))
        return []
    ours("lmm_intercept", simulate("lmm_intercept", 50))  # imports and first-call costs out of the timings
    lme4 = stored_lme4()
    rows = []
    for scenario in SCENARIOS:
        for G in sizes:
            d = simulate(scenario, G)
            repeats = 3 if G >= 5000 else 5
            results = {"mle_tutorial": timed(ours, scenario, d, repeats=repeats)}
            if scenario.startswith("lmm"):
                results["statsmodels MixedLM"] = timed(statsmodels_mixedlm, scenario, d, repeats=repeats)
            if (scenario, G) in lme4:
                results["lme4 (stored)"] = lme4[(scenario, G)]
            best = max(value for _, value in results.values())
            base = results["mle_tutorial"][0]
            for method, (seconds, value) in results.items():
                rows.append({
                    "scenario": scenario, "G": G, "n": G * M, "method": method, "median_s": f"{seconds:.4g}",
                    "ratio": f"{seconds / base:.3g}", "loglik_gap": f"{best - value:.2e}",
                    "repeats": repeats if method != "lme4 (stored)" else "",
                })  # fmt: skip
    args.out.mkdir(parents=True, exist_ok=True)
    with open(args.out / "mixed.csv", "w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=FIELDS)
        writer.writeheader()
        writer.writerows(rows)
    print(f"{'scenario':<14}{'G':>6}{'n':>8}  {'method':<22}{'median s':>10}{'ratio':>8}{'loglik gap':>12}")
    for r in rows:
        print(
            f"{r['scenario']:<14}{r['G']:>6}{r['n']:>8}  {r['method']:<22}{r['median_s']:>10}{r['ratio']:>8}"
            f"{r['loglik_gap']:>12}"
        )
    if not lme4:
        print(f"(no stored lme4 timings: run Rscript benchmarks/mixed_lme4.R to write {LME4})")
    return rows


if __name__ == "__main__":
    main()
