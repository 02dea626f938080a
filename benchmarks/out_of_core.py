"""Out-of-core fits: time and peak memory against n, in-memory vs Dask reading chunks from disk.

    python -m benchmarks.out_of_core                      # n up to 5e7 rows x 10 columns (4 GB of X)
    python -m benchmarks.out_of_core --sizes 1e6 2e6      # a quick run
    python -m benchmarks.out_of_core --dir /big/disk      # where to write the chunk files

The data (a design with an intercept and standard-normal columns, y linear plus noise, and a
0/1 outcome from a logistic model) are written once, chunk by chunk, as .npy files: the full
array is never held in memory. Every fit then runs in a fresh Python process, so its peak
resident memory (ru_maxrss) is its own: "dask" builds Dask arrays over the files and fits with
the threaded scheduler; "memory" loads the first n rows into NumPy arrays and fits in memory.
Writes benchmarks/results/out_of_core.csv and prints the floors: time grows linearly in n, the
Dask path's peak memory is bounded by a few chunks (not by n), and at the largest n the Dask
path (reading from disk) is within 3x of the in-memory fit (timed without loading the data).
"""

from __future__ import annotations

import argparse
import csv
import json
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
CHUNK = 1_000_000
P = 10

WORKER = r"""
import json, resource, sys, time
from pathlib import Path
import numpy as np
import mle_tutorial as mle

folder, mode, model = Path(sys.argv[1]), sys.argv[2], sys.argv[3]
n, chunk = int(sys.argv[4]), int(sys.argv[5])
k = n // chunk
start = time.perf_counter()
if mode == "dask":
    import dask
    import dask.array as da
    def load(name, i, shape):
        path = folder / f"{name}_{i:05d}.npy"
        return da.from_delayed(dask.delayed(np.load)(path), shape=shape, dtype=float)
    X = da.concatenate([load("X", i, (chunk, __P__)) for i in range(k)])
    y = da.concatenate([load("y" if model == "linear" else "b", i, (chunk,)) for i in range(k)])
    with dask.config.set(scheduler="threads"):
        fit = mle.fit_linear(X, y) if model == "linear" else mle.fit_logistic(X, y)
else:
    X = np.empty((n, __P__)); y = np.empty(n)
    name = "y" if model == "linear" else "b"
    for i in range(k):
        X[i * chunk:(i + 1) * chunk] = np.load(folder / f"X_{i:05d}.npy")
        y[i * chunk:(i + 1) * chunk] = np.load(folder / f"{name}_{i:05d}.npy")
    loaded = time.perf_counter()
    fit = mle.fit_linear(X, y) if model == "linear" else mle.fit_logistic(X, y)
seconds = time.perf_counter() - start
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({"seconds": seconds, "peak_mb": peak, "params": fit.params.tolist(),
                  "load_s": (loaded - start) if mode == "memory" else 0.0}))
""".replace("__P__", str(P))


def write_data(folder: Path, n_max: int) -> None:
    """Write X, y (linear) and b (0/1) chunk by chunk; skip chunks that already exist."""
    beta = np.linspace(-1.0, 1.0, P) / np.sqrt(P)
    for i in range(n_max // CHUNK):
        if (folder / f"b_{i:05d}.npy").exists():
            continue
        rng = np.random.default_rng([2026, i])
        X = np.column_stack([np.ones(CHUNK), rng.standard_normal((CHUNK, P - 1))])
        eta = X @ beta
        np.save(folder / f"X_{i:05d}.npy", X)
        np.save(folder / f"y_{i:05d}.npy", eta + rng.standard_normal(CHUNK))
        np.save(folder / f"b_{i:05d}.npy", (rng.random(CHUNK) < 1 / (1 + np.exp(-eta))).astype(float))
        print(f"wrote chunk {i + 1}/{n_max // CHUNK}", end="\r", flush=True)
    print()


def run(folder: Path, mode: str, model: str, n: int) -> dict:
    out = subprocess.run(
        [sys.executable, "-c", WORKER, str(folder), mode, model, str(n), str(CHUNK)],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", nargs="*", type=float, default=[1e6, 5e6, 1e7, 2e7, 5e7])
    parser.add_argument(
        "--dir", type=Path, default=None, help="folder for the chunk files (default: a temp dir)"
    )
    parser.add_argument("--models", nargs="*", default=["linear", "logistic"])
    parser.add_argument("--out", type=Path, default=HERE / "results" / "out_of_core.csv")
    args = parser.parse_args()
    sizes = sorted(int(s) // CHUNK * CHUNK for s in args.sizes)
    tmp = None
    folder = args.dir
    if folder is None:
        tmp = tempfile.TemporaryDirectory(prefix="mle-ooc-")
        folder = Path(tmp.name)
    folder.mkdir(parents=True, exist_ok=True)
    write_data(folder, sizes[-1])
    rows = []
    for model in args.models:
        for n in sizes:
            for mode in ("dask", "memory"):
                r = run(folder, mode, model, n)
                rows.append(
                    {
                        "model": model,
                        "mode": mode,
                        "n": n,
                        "p": P,
                        "seconds": f"{r['seconds']:.3f}",
                        "load_seconds": f"{r['load_s']:.3f}",
                        "peak_mb": f"{r['peak_mb']:.0f}",
                        "data_mb": f"{n * (P + 1) * 8 / 2**20:.0f}",
                        "chunks": n // CHUNK,
                        "params": r["params"],
                    }
                )
                print(
                    f"{model:8s} {mode:6s} n={n:>10,d}  {r['seconds']:8.2f} s  peak {r['peak_mb']:8.0f} MB"
                    f"  (data {n * (P + 1) * 8 / 2**20:,.0f} MB)",
                    flush=True,
                )
    ok = report(rows, sizes)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    with open(args.out, "w", newline="") as handle:
        fields = ["model", "mode", "n", "p", "seconds", "load_seconds", "peak_mb", "data_mb", "chunks"]
        writer = csv.DictWriter(handle, fieldnames=fields, extrasaction="ignore", lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    print(f"wrote {args.out}")
    if tmp is not None:
        tmp.cleanup()
    raise SystemExit(0 if ok else 1)


def report(rows, sizes) -> bool:
    ok = True
    for model in sorted({r["model"] for r in rows}):
        dask_rows = [r for r in rows if r["model"] == model and r["mode"] == "dask"]
        mem_rows = {r["n"]: r for r in rows if r["model"] == model and r["mode"] == "memory"}
        # estimates agree
        for r in dask_rows:
            diff = np.max(np.abs(np.subtract(r["params"], mem_rows[r["n"]]["params"])) /
                          np.abs(mem_rows[r["n"]]["params"]))  # fmt: skip
            if diff > (1e-10 if model == "linear" else 1e-8):
                ok = False
                print(f"DISAGREE {model} n={r['n']}: max relative difference {diff:.1e}")
        if len(sizes) > 1:
            n = np.array([r["n"] for r in dask_rows], float)
            t = np.array([float(r["seconds"]) for r in dask_rows])
            slope = (
                np.polyfit(np.log(n), np.log(t), 1)[0]
                if len(n) > 2
                else np.log(t[-1] / t[0]) / np.log(n[-1] / n[0])
            )
            linear = 0.8 <= slope <= 1.2
            ok &= linear
            print(
                f"{model}: time ~ n^{slope:.2f} on disk with Dask  {'ok' if linear else 'FAIL'} (linear in n)"
            )
        peaks = [float(r["peak_mb"]) for r in dask_rows]
        chunk_mb = CHUNK * (P + 1) * 8 / 2**20
        bounded = max(peaks) <= min(peaks) + 8 * chunk_mb
        ok &= bounded
        verdict = "ok" if bounded else "FAIL"
        print(
            f"{model}: Dask peak memory {min(peaks):.0f}..{max(peaks):.0f} MB while the data grow to "
            f"{dask_rows[-1]['data_mb']} MB; bounded by a few chunks: {verdict}"
        )
        top = dask_rows[-1]
        memory = mem_rows[top["n"]]
        # strict: Dask reading from disk against the in-memory fit alone (data already loaded)
        ratio = float(top["seconds"]) / (float(memory["seconds"]) - float(memory["load_seconds"]))
        within = ratio <= 3.0
        ok &= within
        verdict = "ok" if within else "FAIL"
        print(f"{model}: at n = {top['n']:,}, Dask / in-memory time = {ratio:.2f}  {verdict} (<= 3)")
    return ok


if __name__ == "__main__":
    main()
