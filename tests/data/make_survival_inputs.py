"""Write the simulated inputs of the censored/truncated-data reference values into tests/data/.

Run from the repository root:  python tests/data/make_survival_inputs.py

Every file is reproducible bit for bit: numpy's legacy ``RandomState`` (whose stream numpy promises never
to change) with fixed seeds, values rounded to a few decimals, and the CSV writer of
``scripts/make_datasets.py`` (shortest round-tripping digits; ``NA`` for an open interval end).
``tests/test_survival_reference.py`` regenerates every file in memory and compares the bytes.

The R script ``tests/data/survreg_reference.R`` fits these files (and the shipped ``gehan`` dataset) with
``survival::survreg`` and writes ``tests/data/survreg_reference.json``.

Files (all columns float; ``event`` is 1 for an observed time, 0 for a censored one):

- ``survival_aft.csv``       n = 300, right-censored Weibull AFT data with covariates x1 (normal),
                              x2 (0/1), x3 (uniform): log T = 1 + 0.5 x1 - 0.8 x2 + 0.3 x3 + 0.7 W,
                              W standard minimum extreme value (so T is Weibull with shape 1/0.7);
                              independent uniform censoring, about 30 % censored.
- ``survival_left.csv``      n = 200, left-censored log-normal "concentrations" with two detection limits
                              (0.8 for the first 100 rows, 1.2 for the rest): a value below its limit is
                              recorded as the limit with event = 0 (R: ``Surv(time, event, type = "left")``).
- ``survival_interval.csv``  n = 250, Weibull times seen through inspection visits: ``time1``/``time2`` in
                              R's ``type = "interval2"`` coding: exact (time1 == time2), right-censored
                              (time2 = NA), left-censored (time1 = NA), interval-censored (time1 < time2).
- ``tobit.csv``               n = 300, y* = 1.5 + 1.0 x1 - 1.5 x2 + 1.2 e, e standard normal;
                              ``y_left`` = max(y*, 0) (censored iff y_left <= 0) and
                              ``y_two`` = min(max(y*, 0), 2.5) (censored below iff <= 0, above iff >= 2.5).
- ``truncreg.csv``            n = 300 draws of (x1, x2, y) kept only where y > 0 (a truncated sample):
                              y = 1.0 + 1.0 x1 - 1.0 x2 + 1.5 e.
- ``nist_weibull.csv``        the Type I censored life test of the NIST/SEMATECH e-Handbook of Statistical
                              Methods, sections 8.2.2.1 and 8.4.1.3 (a U.S. government work): 20 units,
                              failures at 54, 187, 216, 240, 244, 335, 361, 373, 375, 386 hours, 10 units
                              removed unfailed at 500 hours. NIST reports the Weibull MLE eta = 606.5280,
                              beta (shape) = 1.7208, AIC 154.27 (Weibull) and 154.39 (log-normal).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent

NIST_FAILURES = (54, 187, 216, 240, 244, 335, 361, 373, 375, 386)  # hours
NIST_CENSORED_AT, NIST_N_CENSORED = 500, 10


def fmt(x: float) -> str:
    x = float(x)
    return "NA" if np.isnan(x) else np.format_float_positional(x, unique=True, trim="-")


def csv_text(cols: dict[str, np.ndarray]) -> str:
    names = list(cols)
    arrs = [np.asarray(cols[c], dtype=np.float64) for c in names]
    lines = [",".join(names)] + [",".join(fmt(a[i]) for a in arrs) for i in range(len(arrs[0]))]
    return "\n".join(lines) + "\n"


def survival_aft() -> dict[str, np.ndarray]:
    n = 300
    rs = np.random.RandomState(1501)
    x1 = rs.normal(size=n).round(3)
    x2 = (rs.uniform(size=n) < 0.4).astype(float)
    x3 = rs.uniform(0.0, 2.0, size=n).round(3)
    w = np.log(rs.exponential(size=n))  # standard minimum extreme value (Gumbel-min)
    t = np.exp(1.0 + 0.5 * x1 - 0.8 * x2 + 0.3 * x3 + 0.7 * w)
    c = rs.uniform(0.0, 10.0, size=n)
    time = np.maximum(np.minimum(t, c).round(4), 1e-4)
    event = (t <= c).astype(float)
    return {"time": time, "event": event, "x1": x1, "x2": x2, "x3": x3}


def survival_left() -> dict[str, np.ndarray]:
    n = 200
    rs = np.random.RandomState(1502)
    x1 = rs.uniform(-1.0, 1.0, size=n).round(3)
    t = np.exp(0.5 + 0.8 * x1 + 0.6 * rs.normal(size=n)).round(4)
    limit = np.where(np.arange(n) < n // 2, 0.8, 1.2)
    event = (t >= limit).astype(float)
    time = np.where(event == 1.0, t, limit)
    return {"time": time, "event": event, "x1": x1}


def survival_interval() -> dict[str, np.ndarray]:
    n = 250
    rs = np.random.RandomState(1503)
    x1 = rs.normal(size=n).round(3)
    t = np.exp(2.0 + 0.4 * x1 + 0.5 * np.log(rs.exponential(size=n)))
    exact = rs.uniform(size=n) < 0.2
    time1, time2 = np.empty(n), np.empty(n)
    for i in range(n):
        visits = (rs.uniform(0.0, 1.0) + np.cumsum(rs.uniform(1.0, 2.5, size=10))).round(3)
        if exact[i] and t[i] <= visits[-1]:
            time1[i] = time2[i] = round(float(t[i]), 4)
        elif t[i] <= visits[0]:
            time1[i], time2[i] = np.nan, visits[0]
        elif t[i] > visits[-1]:
            time1[i], time2[i] = visits[-1], np.nan
        else:
            k = int(np.searchsorted(visits, t[i]))  # visits[k-1] < t <= visits[k]
            time1[i], time2[i] = visits[k - 1], visits[k]
    return {"time1": time1, "time2": time2, "x1": x1}


def tobit() -> dict[str, np.ndarray]:
    n = 300
    rs = np.random.RandomState(1504)
    x1 = rs.normal(size=n).round(3)
    x2 = rs.uniform(size=n).round(3)
    ystar = (1.5 + 1.0 * x1 - 1.5 * x2 + 1.2 * rs.normal(size=n)).round(4)
    return {"y_left": np.maximum(ystar, 0.0), "y_two": np.clip(ystar, 0.0, 2.5), "x1": x1, "x2": x2}


def truncreg() -> dict[str, np.ndarray]:
    n = 300
    rs = np.random.RandomState(1505)
    x1 = rs.normal(size=3 * n).round(3)
    x2 = rs.uniform(size=3 * n).round(3)
    y = (1.0 + 1.0 * x1 - 1.0 * x2 + 1.5 * rs.normal(size=3 * n)).round(4)
    keep = np.flatnonzero(y > 0.0)[:n]
    assert len(keep) == n
    return {"y": y[keep], "x1": x1[keep], "x2": x2[keep]}


def nist_weibull() -> dict[str, np.ndarray]:
    time = np.array([*NIST_FAILURES, *[NIST_CENSORED_AT] * NIST_N_CENSORED], dtype=float)
    event = np.r_[np.ones(len(NIST_FAILURES)), np.zeros(NIST_N_CENSORED)]
    return {"time": time, "event": event}


FILES = {
    "survival_aft.csv": survival_aft,
    "survival_left.csv": survival_left,
    "survival_interval.csv": survival_interval,
    "tobit.csv": tobit,
    "truncreg.csv": truncreg,
    "nist_weibull.csv": nist_weibull,
}


def main() -> None:
    for name, make in FILES.items():
        cols = make()
        (HERE / name).write_text(csv_text(cols), encoding="ascii", newline="\n")
        summary = ", ".join(f"{k}: {np.nanmin(v):g}..{np.nanmax(v):g}" for k, v in cols.items())
        print(f"{name}: {len(next(iter(cols.values())))} rows; {summary}")


if __name__ == "__main__":
    main()
