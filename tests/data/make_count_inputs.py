"""Write the simulated inputs of the count and positive-continuous reference values into tests/data/.

Run from the repository root:  python tests/data/make_count_inputs.py

The R script ``tests/data/count_models_reference.R`` fits these files (and the shipped ``randhie``
dataset) with ``MASS::glm.nb``, ``glm(family = Gamma(link = "log"))`` with ``MASS::gamma.shape`` and
``pscl::zeroinfl``, and writes ``tests/data/count_models_reference.json``.

Every file is reproducible bit for bit: numpy's legacy ``RandomState`` (whose stream numpy promises never to
change) with fixed seeds, values rounded to a few decimals, and the CSV format of
``tests/data/make_survival_inputs.py`` (shortest round-tripping digits, ``\\n`` line endings).

Files (all columns float):

- ``negbin_sim.csv``  n = 1000 negative binomial counts: y | x ~ NB(mean mu, size theta = 1.5), i.e.
                       Var(y | x) = mu + mu^2 / theta (alpha = 1/theta = 2/3), drawn as a gamma-Poisson
                       mixture, with mu = exp(0.4 + 0.6 x1 - 0.5 x2), x1 standard normal (3 decimals),
                       x2 0/1 with P(x2 = 1) = 0.5.
- ``gamma_sim.csv``   n = 500 positive continuous outcomes: y | x ~ Gamma(shape 2.5, mean mu)
                       (scale mu / 2.5), mu = exp(1.0 + 0.4 x1 - 0.3 x2), x1 standard normal
                       (3 decimals), x2 uniform on (0, 2) (3 decimals); y rounded to 4 decimals
                       (all > 0: checked).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent


def fmt(x: float) -> str:
    return np.format_float_positional(float(x), unique=True, trim="-")


def csv_text(cols: dict[str, np.ndarray]) -> str:
    names = list(cols)
    arrs = [np.asarray(cols[c], dtype=np.float64) for c in names]
    lines = [",".join(names)] + [",".join(fmt(a[i]) for a in arrs) for i in range(len(arrs[0]))]
    return "\n".join(lines) + "\n"


def negbin_sim() -> dict[str, np.ndarray]:
    n, theta = 1000, 1.5
    rs = np.random.RandomState(1601)
    x1 = rs.normal(size=n).round(3)
    x2 = (rs.uniform(size=n) < 0.5).astype(float)
    mu = np.exp(0.4 + 0.6 * x1 - 0.5 * x2)
    lam = rs.gamma(shape=theta, scale=mu / theta)
    y = rs.poisson(lam).astype(float)
    return {"y": y, "x1": x1, "x2": x2}


def gamma_sim() -> dict[str, np.ndarray]:
    n, shape = 500, 2.5
    rs = np.random.RandomState(1602)
    x1 = rs.normal(size=n).round(3)
    x2 = rs.uniform(0.0, 2.0, size=n).round(3)
    mu = np.exp(1.0 + 0.4 * x1 - 0.3 * x2)
    y = rs.gamma(shape=shape, scale=mu / shape).round(4)
    assert (y > 0).all()
    return {"y": y, "x1": x1, "x2": x2}


FILES = {
    "negbin_sim.csv": negbin_sim,
    "gamma_sim.csv": gamma_sim,
}


def main() -> None:
    for name, make in FILES.items():
        cols = make()
        (HERE / name).write_text(csv_text(cols), encoding="ascii", newline="\n")
        summary = ", ".join(f"{k}: {np.min(v):g}..{np.max(v):g}" for k, v in cols.items())
        print(f"{name}: {len(next(iter(cols.values())))} rows; {summary}")


if __name__ == "__main__":
    main()
