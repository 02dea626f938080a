"""Truncated normal regression reference, maximized in 50-digit arithmetic with mpmath.

Run from the repository root:  python tests/data/make_truncreg_reference.py
(needs numpy, scipy and mpmath, all in the project's test environment). Writes
tests/data/truncreg_reference.json.

Data: tests/data/truncreg.csv (written by make_survival_inputs.py): y is observed only when y > 0, and
y ~ N(b0 + b1 x1 + b2 x2, sigma^2) truncated to (0, inf). Per observation, with mu = x'b,
z = (y - mu)/sigma and a = (0 - mu)/sigma,

    log L_i = log phi(z) - log sigma - log(1 - Phi(a)).

Parameters theta = (b0, b1, b2, log sigma). Start from scipy's BFGS, then Newton's method in mpmath with
the analytic gradient and Hessian (derived by hand below, and checked against mpmath's numerical
differentiation) until the step is below 1e-40. The stored values are the 50-digit results rounded to
float64; the covariance is the inverse of minus the Hessian. This is an independent implementation of the
same likelihood as the base-R maximization stored under "truncreg_left" in survreg_reference.json
(no truncreg package exists in Debian to serve as an oracle), and tests/test_survival_reference.py compares
the two.
"""

from __future__ import annotations

import json
from pathlib import Path

import mpmath as mp
import numpy as np
import scipy
import scipy.optimize
from scipy.special import log_ndtr

HERE = Path(__file__).resolve().parent
TRUNCATION_POINT = 0.0
DIGITS = 50


def load():
    data = np.loadtxt(HERE / "truncreg.csv", delimiter=",", skiprows=1)
    y, x1, x2 = data.T
    return y, np.column_stack([np.ones_like(x1), x1, x2])


def loglik_float(theta, y, X):
    beta, s = theta[:-1], np.exp(theta[-1])
    mu = X @ beta
    z, a = (y - mu) / s, (TRUNCATION_POINT - mu) / s
    return float(np.sum(-0.5 * z**2 - 0.5 * np.log(2 * np.pi) - np.log(s) - log_ndtr(-a)))


def parts(theta, y, X):
    p = len(theta) - 1
    s = mp.exp(theta[p])
    out = []
    for yi, xi in zip(y, X, strict=True):
        mu = mp.fsum(mp.mpf(xi[j]) * theta[j] for j in range(p))
        z, a = (mp.mpf(yi) - mu) / s, (TRUNCATION_POINT - mu) / s
        upper = mp.ncdf(-a)  # 1 - Phi(a)
        lam = mp.npdf(a) / upper  # inverse Mills ratio; dlam/da = lam (lam - a)
        out.append((xi, z, a, lam, upper))
    return s, out


def loglik(theta, y, X):
    s, rows = parts(theta, y, X)
    return mp.fsum(
        -(z**2) / 2 - mp.log(2 * mp.pi) / 2 - mp.log(s) - mp.log(upper) for _, z, _, _, upper in rows
    )


def gradient(theta, y, X):
    p = len(theta) - 1
    s, rows = parts(theta, y, X)
    g = [mp.mpf(0)] * (p + 1)
    for xi, z, a, lam, _ in rows:
        for j in range(p):
            g[j] += mp.mpf(xi[j]) * (z - lam) / s
        g[p] += z**2 - 1 - a * lam
    return mp.matrix(g)


def hessian(theta, y, X):
    p = len(theta) - 1
    s, rows = parts(theta, y, X)
    H = mp.zeros(p + 1, p + 1)
    for xi, z, a, lam, _ in rows:
        dl = lam * (lam - a)
        w_mm = (-1 + dl) / s**2
        w_ml = (-2 * z + lam + a * dl) / s
        w_ll = -2 * z**2 + a * lam + a**2 * dl
        for j in range(p):
            for k in range(p):
                H[j, k] += mp.mpf(xi[j]) * mp.mpf(xi[k]) * w_mm
            H[j, p] += mp.mpf(xi[j]) * w_ml
        H[p, p] += w_ll
    for j in range(p):
        H[p, j] = H[j, p]
    return H


def main() -> None:
    mp.mp.dps = DIGITS  # set here, not on import: pytest --doctest-modules imports this file
    y, X = load()
    start = np.r_[np.linalg.lstsq(X, y, rcond=None)[0], np.log(np.std(y))]
    opt = scipy.optimize.minimize(
        lambda t: -loglik_float(t, y, X), start, method="BFGS", options={"gtol": 1e-6}
    )
    theta = mp.matrix([mp.mpf(float(v)) for v in opt.x])

    # the analytic derivatives agree with mpmath's numerical ones (at the BFGS answer)
    f = lambda *t: loglik(mp.matrix(t), y, X)  # noqa: E731
    g_num = [
        mp.diff(f, list(theta), tuple(int(j == k) for k in range(len(theta)))) for j in range(len(theta))
    ]
    g_ana = gradient(theta, y, X)
    assert max(abs(g_num[j] - g_ana[j]) for j in range(len(theta))) < mp.mpf(10) ** -30
    H_ana = hessian(theta, y, X)
    for j in range(len(theta)):
        for k in range(len(theta)):
            order = tuple(int(i == j) + int(i == k) for i in range(len(theta)))
            assert abs(mp.diff(f, list(theta), order) - H_ana[j, k]) < mp.mpf(10) ** -25

    for _ in range(50):
        step = mp.lu_solve(hessian(theta, y, X), gradient(theta, y, X))
        theta = theta - step
        if mp.norm(step, p=mp.inf) < mp.mpf(10) ** -40:
            break
    else:  # pragma: no cover
        raise RuntimeError("Newton did not converge")
    score = gradient(theta, y, X)
    cov = -mp.inverse(hessian(theta, y, X))
    p = X.shape[1]
    result = {
        "generated_by": "python tests/data/make_truncreg_reference.py (from the repository root)",
        "mpmath_version": mp.__version__,
        "numpy_version": np.__version__,
        "scipy_version": scipy.__version__,
        "dps": mp.mp.dps,
        "input": "tests/data/truncreg.csv",
        "model": "y ~ N(b0 + b1 x1 + b2 x2, sigma^2) truncated to y > 0 (left truncation at 0)",
        "truncation_point": TRUNCATION_POINT,
        "n": len(y),
        "coefficient_names": ["(Intercept)", "x1", "x2"],
        "coefficients": [float(theta[j]) for j in range(p)],
        "coefficients_50_digits": [mp.nstr(theta[j], 45) for j in range(p)],
        "scale": float(mp.exp(theta[p])),
        "log_scale": float(theta[p]),
        "loglik": float(loglik(theta, y, X)),
        "loglik_50_digits": mp.nstr(loglik(theta, y, X), 45),
        "vcov_names": ["(Intercept)", "x1", "x2", "Log(scale)"],
        "vcov": [[float(cov[j, k]) for k in range(p + 1)] for j in range(p + 1)],
        "max_abs_score": float(max(abs(v) for v in score)),
    }
    text = json.dumps(result, indent=2) + "\n"
    (HERE / "truncreg_reference.json").write_text(text, encoding="ascii", newline="\n")
    print(text)


if __name__ == "__main__":
    main()
