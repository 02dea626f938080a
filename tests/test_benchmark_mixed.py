"""The mixed-model benchmark runs end to end (G = 50 only) and its methods agree. Speed itself is measured
by `python -m benchmarks.mixed`, never asserted in a test: timings depend on the machine."""

import csv

from benchmarks import mixed


def test_quick_mixed_benchmark_runs_and_methods_agree(tmp_path):
    rows = mixed.main(["--quick", "--out", str(tmp_path)])
    assert {r["scenario"] for r in rows} == set(mixed.SCENARIOS)
    written = list(csv.DictReader(open(tmp_path / "mixed.csv")))
    assert len(written) == len(rows) and all(float(r["median_s"]) > 0 for r in written)
    for r in rows:
        if r["method"] == "mle_tutorial":
            assert float(r["loglik_gap"]) < 1e-6  # the package reaches the highest log-likelihood
        elif r["method"] == "statsmodels MixedLM":
            assert float(r["loglik_gap"]) < 1e-4
