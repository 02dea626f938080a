"""Normal-mixture reference values from scikit-learn's GaussianMixture (an oracle used only here).

scikit-learn is NOT a dependency of the project, not even of its tests: install it in a throwaway
environment and run this script from the repository root, e.g.

    python -m venv /tmp/skl && /tmp/skl/bin/pip install scikit-learn numpy
    /tmp/skl/bin/python tests/data/make_mixture_reference.py

It writes tests/data/mixture_data.csv (simulated with numpy's legacy RandomState, whose stream numpy never
changes; tests/test_mixture_reference.py regenerates it with numpy alone and compares the bytes) and
tests/data/mixture_reference.json.

Columns of mixture_data.csv, n = 500 each:
- ``x2``: 0.4 N(-2, 0.8^2) + 0.6 N(2.5, 1.2^2) (two well separated components),
- ``x3``: 0.3 N(0, 1) + 0.5 N(5, 1.5^2) + 0.2 N(11, 1) (three components).

Each column is fitted with GaussianMixture(n_components = 2 and 3, covariance_type = "full",
tol = 1e-12, max_iter = 10000, n_init = 20, random_state = 0, reg_covar = 0). reg_covar is set to 0:
scikit-learn by default adds 1e-6 to every variance, and the oracle must be the plain maximum likelihood
estimate. The stored total log-likelihood is gm.score(x) * n (score is the mean log-likelihood per
observation); weights, means and standard deviations are sorted by mean. scikit-learn's parameters are
only as accurate as its stopping rule allows (about 1e-6..1e-4, see the notes in the JSON), so each fit
also stores "polished" values: EM continued in numpy from scikit-learn's answer to a fixed point.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
N = 500
SETTINGS = {
    "covariance_type": "full",
    "tol": 1e-12,
    "max_iter": 10000,
    "n_init": 20,
    "random_state": 0,
    "reg_covar": 0.0,
}
TRUE = {  # the simulated mixtures: (weights, means, standard deviations)
    "x2": ((0.4, 0.6), (-2.0, 2.5), (0.8, 1.2)),
    "x3": ((0.3, 0.5, 0.2), (0.0, 5.0, 11.0), (1.0, 1.5, 1.0)),
}
SEEDS = {"x2": 1521, "x3": 1522}


def simulate(column: str) -> np.ndarray:
    weights, means, sds = (np.array(v) for v in TRUE[column])
    rs = np.random.RandomState(SEEDS[column])
    component = rs.choice(len(weights), size=N, p=weights)
    return (means[component] + sds[component] * rs.normal(size=N)).round(4)


def csv_text() -> str:
    cols = {c: simulate(c) for c in TRUE}
    fmt = lambda v: np.format_float_positional(float(v), unique=True, trim="-")  # noqa: E731
    lines = [",".join(cols)] + [",".join(fmt(cols[c][i]) for c in cols) for i in range(N)]
    return "\n".join(lines) + "\n"


def em_step(x, weights, means, sds):
    """One EM iteration for a 1-D normal mixture (numpy only): E step, then the closed-form M step."""
    log_r = np.log(weights) - 0.5 * ((x[:, None] - means) / sds) ** 2 - np.log(sds)
    log_r -= log_r.max(axis=1, keepdims=True)
    r = np.exp(log_r)
    r /= r.sum(axis=1, keepdims=True)
    nk = r.sum(axis=0)
    new_means = (r * x[:, None]).sum(axis=0) / nk
    new_sds = np.sqrt((r * (x[:, None] - new_means) ** 2).sum(axis=0) / nk)
    return nk / len(x), new_means, new_sds


def mixture_loglik(x, weights, means, sds) -> float:
    log_terms = (
        np.log(weights) - 0.5 * ((x[:, None] - means) / sds) ** 2 - np.log(sds) - 0.5 * np.log(2 * np.pi)
    )
    top = log_terms.max(axis=1)
    return float(np.sum(top + np.log(np.exp(log_terms - top[:, None]).sum(axis=1))))


def polish(x, weights, means, sds, tol=1e-14, max_iter=100_000):
    """Continue EM from scikit-learn's answer until no parameter moves by more than tol (sds-relative)."""
    for iteration in range(1, max_iter + 1):
        new = em_step(x, weights, means, sds)
        change = max(
            np.max(np.abs(new[0] - weights)),
            np.max(np.abs(new[1] - means) / sds),
            np.max(np.abs(new[2] - sds) / sds),
        )
        weights, means, sds = new
        if change < tol:
            return weights, means, sds, iteration
    raise RuntimeError("EM polishing did not converge")  # pragma: no cover


def main() -> None:
    import sklearn
    from sklearn.mixture import GaussianMixture

    (HERE / "mixture_data.csv").write_text(csv_text(), encoding="ascii", newline="\n")
    data = np.loadtxt(HERE / "mixture_data.csv", delimiter=",", skiprows=1)
    fits = {}
    for j, column in enumerate(TRUE):
        x = data[:, j]
        for k in (2, 3):
            gm = GaussianMixture(n_components=k, **SETTINGS).fit(x[:, None])
            if not gm.converged_:  # pragma: no cover
                raise RuntimeError(f"{column}, k = {k}: GaussianMixture did not converge")
            order = np.argsort(gm.means_[:, 0])
            weights, means = gm.weights_[order], gm.means_[order, 0]
            sds = np.sqrt(gm.covariances_[order, 0, 0])
            pw, pm, ps, iterations = polish(x, weights, means, sds)
            fits[f"{column}_k{k}"] = {
                "column": column,
                "n_components": k,
                "weights": weights.tolist(),
                "means": means.tolist(),
                "sds": sds.tolist(),
                "loglik": float(gm.score(x[:, None]) * len(x)),
                "n_iter": int(gm.n_iter_),
                "lower_bound_per_observation": float(gm.lower_bound_),
                "polished": {
                    "weights": pw.tolist(),
                    "means": pm.tolist(),
                    "sds": ps.tolist(),
                    "loglik": mixture_loglik(x, pw, pm, ps),
                    "em_iterations_after_sklearn": iterations,
                },
            }
    result = {
        "generated_by": (
            "python tests/data/make_mixture_reference.py (with scikit-learn, from the repository root)"
        ),
        "sklearn_version": sklearn.__version__,
        "numpy_version": np.__version__,
        "settings": SETTINGS,
        "data": "tests/data/mixture_data.csv",
        "notes": (
            "1-D normal mixtures fitted by scikit-learn's EM (GaussianMixture). reg_covar = 0, so the "
            "variances are the plain MLE (scikit-learn's default adds 1e-6). loglik = gm.score(x) * n, the "
            "total log-likelihood sum_i log sum_j w_j N(x_i; m_j, s_j^2). Components sorted by mean; sds are "
            "standard deviations. The simulated truth is in 'true'. scikit-learn stops when the mean "
            "log-likelihood per observation changes by less than tol = 1e-12; near the maximum that "
            "change is quadratic in the parameter error, so its parameters are only good to about "
            "1e-6..1e-4 (relative to the sds) while its loglik is good to about 1e-11 relative. "
            "'polished' continues EM in numpy from scikit-learn's answer until no parameter moves by more "
            "than 1e-14 (relative to the sds): the same maximum, to about 1e-12; compare estimates with "
            "'polished', log-likelihoods with either."
        ),
        "true": {c: {"weights": w, "means": m, "sds": s} for c, (w, m, s) in TRUE.items()},
        "fits": fits,
    }
    text = json.dumps(result, indent=2) + "\n"
    (HERE / "mixture_reference.json").write_text(text, encoding="ascii", newline="\n")
    print(text)


if __name__ == "__main__":
    main()
