"""Write the simulated inputs of the mixed-model reference values into tests/data/.

Run from the repository root:  python tests/data/make_mixed_inputs.py

Every file is reproducible bit for bit: numpy's legacy ``RandomState`` (whose stream numpy promises never
to change) with fixed seeds, values rounded to a few decimals, and the CSV writer of
``scripts/make_datasets.py`` (shortest round-tripping digits). ``tests/test_mixed_reference.py``
regenerates every file in memory and compares the bytes.

The R script ``tests/data/lme4_reference.R`` fits these files (and the shipped ``grunfeld`` dataset) with
``lme4::lmer`` and ``lme4::glmer`` and writes ``tests/data/lme4_reference.json``.

Files (``g`` is the group, numbered from 1):

- ``mixed_slopes.csv``    18 subjects x 10 days (a sleep-deprivation-like design): y = 250 + 10 days + b0 +
                          b1 days + e, sd(b0) = 25, sd(b1) = 6, corr(b0, b1) = 0.1, sd(e) = 25; for
                          (1 + days | g), ML and REML.
- ``mixed_three.csv``     40 groups x 8 rows, x1, x2 standard normal: y = 1 + 0.5 x1 - 0.3 x2 + b0 + b1 x1 +
                          b2 x2 + e, sds 1, 0.5, 0.3, correlations 0.3, -0.2, 0.1, sd(e) = 0.7; for
                          (1 + x1 + x2 | g), three random effects (lme4's theta has six entries).
- ``mixed_boundary.csv``  12 groups of 2 to 8 rows, y = 1 + 0.5 x + e with no group effect at all: the
                          random intercept's variance is estimated as 0 (a singular fit), ML and REML.
- ``glmm_binary.csv``     50 groups x 5 binary outcomes, x standard normal, logit P(y = 1) = -0.5 + x + b,
                          sd(b) = 1.5: few observations per group and binary data, where the Laplace
                          approximation is poor (the GLMM chapter's kind of data); nAGQ 1, 5, 25.
- ``glmm_binomial.csv``   20 groups x 4 periods, y successes out of ``trials`` (5 to 30), logit = -1 -
                          0.5 period2 - 1 period3 - 1.2 period4 + b, sd(b) = 0.8; nAGQ 1, 9.
- ``glmm_poisson.csv``    40 groups x 8 counts, x uniform on (-1, 1), log mean = 0.5 + 0.4 x + b0 + b1 x,
                          sd(b0) = 0.5, sd(b1) = 0.5, corr 0.2; (1 + x | g) by Laplace, and (1 | g)
                          with nAGQ 1 and 7.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent


def fmt(x: float) -> str:
    return np.format_float_positional(float(x), unique=True, trim="-")


def csv_text(cols: dict) -> str:
    names = list(cols)
    arrs = [np.asarray(cols[c], dtype=np.float64) for c in names]
    lines = [",".join(names)]
    for i in range(len(arrs[0])):
        lines.append(",".join(fmt(a[i]) for a in arrs))
    return "\n".join(lines) + "\n"


def _correlated(rs, G, sds, corr):
    q = len(sds)
    R = np.eye(q)
    k = 0
    for i in range(q):
        for j in range(i + 1, q):
            R[i, j] = R[j, i] = corr[k]
            k += 1
    S = np.outer(sds, sds) * R
    return rs.standard_normal((G, q)) @ np.linalg.cholesky(S).T


def slopes() -> dict:
    rs = np.random.RandomState(2003)
    G, days = 18, np.arange(10.0)
    b = _correlated(rs, G, [25.0, 6.0], [0.1])
    g = np.repeat(np.arange(G), 10)
    d = np.tile(days, G)
    y = 250 + 10 * d + b[g, 0] + b[g, 1] * d + 25 * rs.standard_normal(G * 10)
    return {"y": np.round(y, 2), "days": d, "g": g + 1.0}


def three() -> dict:
    rs = np.random.RandomState(31)
    G, m = 40, 8
    n = G * m
    x1, x2 = np.round(rs.standard_normal(n), 3), np.round(rs.standard_normal(n), 3)
    b = _correlated(rs, G, [1.0, 0.5, 0.3], [0.3, -0.2, 0.1])
    g = np.repeat(np.arange(G), m)
    y = 1 + 0.5 * x1 - 0.3 * x2 + b[g, 0] + b[g, 1] * x1 + b[g, 2] * x2 + 0.7 * rs.standard_normal(n)
    return {"y": np.round(y, 3), "x1": x1, "x2": x2, "g": g + 1.0}


def boundary() -> dict:
    rs = np.random.RandomState(7)
    sizes = np.array([2, 3, 4, 5, 6, 7, 8, 2, 3, 4, 5, 6])
    g = np.repeat(np.arange(len(sizes)), sizes)
    n = g.size
    x = np.round(rs.uniform(0, 4, n), 2)
    y = 1 + 0.5 * x + rs.standard_normal(n)
    return {"y": np.round(y, 3), "x": x, "g": g + 1.0}


def binary() -> dict:
    rs = np.random.RandomState(5)
    G, m = 50, 5
    n = G * m
    x = np.round(rs.standard_normal(n), 3)
    b = 1.5 * rs.standard_normal(G)
    g = np.repeat(np.arange(G), m)
    eta = -0.5 + x + b[g]
    y = (rs.uniform(size=n) < 1 / (1 + np.exp(-eta))).astype(float)
    return {"y": y, "x": x, "g": g + 1.0}


def binomial() -> dict:
    rs = np.random.RandomState(1986)
    G, m = 20, 4
    g = np.repeat(np.arange(G), m)
    period = np.tile(np.arange(1, m + 1), G)
    trials = rs.randint(5, 31, size=G * m).astype(float)
    b = 0.8 * rs.standard_normal(G)
    eta = -1.0 + np.array([0.0, -0.5, -1.0, -1.2])[period - 1] + b[g]
    y = rs.binomial(trials.astype(int), 1 / (1 + np.exp(-eta))).astype(float)
    return {"y": y, "trials": trials, "period": period.astype(float), "g": g + 1.0}


def poisson() -> dict:
    rs = np.random.RandomState(99)
    G, m = 40, 8
    n = G * m
    x = np.round(rs.uniform(-1, 1, n), 3)
    b = _correlated(rs, G, [0.5, 0.5], [0.2])
    g = np.repeat(np.arange(G), m)
    y = rs.poisson(np.exp(0.5 + 0.4 * x + b[g, 0] + b[g, 1] * x)).astype(float)
    return {"y": y, "x": x, "g": g + 1.0}


FILES = {
    "mixed_slopes.csv": slopes,
    "mixed_three.csv": three,
    "mixed_boundary.csv": boundary,
    "glmm_binary.csv": binary,
    "glmm_binomial.csv": binomial,
    "glmm_poisson.csv": poisson,
}


if __name__ == "__main__":
    for name, make in FILES.items():
        (HERE / name).write_text(csv_text(make()), encoding="ascii", newline="\n")
        print(name)
