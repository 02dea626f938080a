"""The benchmark runs end to end (a quick grid). Speed itself is measured by `make bench`,
never asserted in a test: timings depend on the machine."""

import csv
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_quick_benchmark_runs_and_methods_agree(tmp_path):
    run = subprocess.run(
        [sys.executable, "-m", "benchmarks", "--quick", "--no-memory", "--out", str(tmp_path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    rows = list(csv.DictReader(open(tmp_path / "results.csv")))
    assert {r["model"] for r in rows} == {"linear", "logistic", "poisson"}
    for r in rows:
        if r["median_s"] and "Nelder" not in r["method"]:
            assert float(r["max_rel_diff"]) < 1e-8, r
    assert (tmp_path / "timings.png").stat().st_size > 10_000
