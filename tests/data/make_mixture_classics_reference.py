"""The maxima scikit-learn's GaussianMixture finds on the two classic mixture data sets (an oracle used
only here; scikit-learn is NOT a dependency of the project, not even of its tests). Install it in a
throwaway environment and run from the repository root:

    python -m venv /tmp/skl && /tmp/skl/bin/pip install scikit-learn numpy
    /tmp/skl/bin/python tests/data/make_mixture_classics_reference.py

Data (tests/data/make_mixture_classics.R): the Old Faithful waiting times (minutes, n = 272), fitted
with 3 components, and the galaxy velocities in 1000 km/s (n = 82), fitted with 4. Each is fitted
from 80 starts, GaussianMixture(n_components, n_init=1, random_state=s, tol=1e-8, max_iter=5000),
s = 0..39 with init_params="k-means++" and s = 0..39 with init_params="random_from_data" (the
starts that reach the narrow components; they need scikit-learn's default reg_covar = 1e-6, since a
start on one observation has variance 0). Each run's total log-likelihood (score * n) is stored with
its smallest standard deviation and the weight (in observations) of that component. A run is
*degenerate* if a component sits on tied values with the variance at reg_covar's floor (standard
deviation below 1e-3 of the data's; the likelihood is unbounded there). The best non-degenerate
maximum is then polished with plain EM in numpy (reg_covar 0, to a relative change of 1e-13), so
that the stored log-likelihood is the maximum itself, not where scikit-learn's rule stopped.
Writes tests/data/mixture_classics_reference.json.
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
CASES = {"faithful_waiting": ("faithful_waiting.csv", 1.0, 3), "galaxies": ("galaxies.csv", 1000.0, 4)}


def polish(x, w, mu, sd):
    ll = -np.inf
    for _ in range(200_000):
        a = np.log(w) - np.log(sd) - 0.5 * np.log(2 * np.pi) - 0.5 * ((x[:, None] - mu) / sd) ** 2
        top = a.max(axis=1, keepdims=True)
        log_f = top[:, 0] + np.log(np.exp(a - top).sum(axis=1))
        new = float(log_f.sum())
        r = np.exp(a - log_f[:, None])
        nk = r.sum(axis=0)
        w, mu = nk / x.size, r.T @ x / nk
        sd = np.sqrt((r * (x[:, None] - mu) ** 2).sum(axis=0) / nk)
        if abs(new - ll) <= 1e-13 * abs(new):
            break
        ll = new
    order = np.argsort(mu)
    return new, w[order], mu[order], sd[order]


def main() -> None:
    # Imported here, not at the top: the doctest collection imports this file, and scikit-learn
    # is no dependency of the project.
    import sklearn
    from sklearn.mixture import GaussianMixture

    out = {"sklearn": sklearn.__version__, "numpy": np.__version__, "cases": {}}
    for name, (file, unit, m) in CASES.items():
        x = np.loadtxt(HERE / file, delimiter=",", skiprows=1) / unit
        runs = []
        for init in ("k-means++", "random_from_data"):
            for seed in range(40):
                gm = GaussianMixture(
                    m, n_init=1, random_state=seed, tol=1e-8, max_iter=5000, init_params=init
                )
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    gm.fit(x[:, None])
                sd = np.sqrt(gm.covariances_.ravel())
                j = int(np.argmin(sd))
                runs.append({
                    "init": init, "seed": seed, "loglik": float(gm.score(x[:, None]) * x.size),
                    "min_sd": float(sd[j]), "n_weight": float(x.size * gm.weights_[j]),
                    "degenerate": bool(sd[j] < 1e-3 * x.std()),
                    "params": [gm.weights_.tolist(), gm.means_.ravel().tolist(), sd.tolist()],
                })  # fmt: skip
        good = [r for r in runs if not r["degenerate"]]
        best = max(good, key=lambda r: r["loglik"])
        ll, w, mu, sd = polish(x, *(np.array(v) for v in best["params"]))
        out["cases"][name] = {
            "file": file, "unit": unit, "n_components": m, "n_runs": len(runs),
            "n_degenerate": sum(r["degenerate"] for r in runs),
            "best_degenerate_loglik": max((r["loglik"] for r in runs if r["degenerate"]), default=None),
            "best_loglik_sklearn": best["loglik"], "best_init": [best["init"], best["seed"]],
            "best_polished": {"loglik": ll, "weights": w.tolist(), "means": mu.tolist(), "sds": sd.tolist()},
            "maxima_sklearn": sorted({round(r["loglik"], 3) for r in good}, reverse=True)[:8],
        }  # fmt: skip
        print(name, out["cases"][name]["best_polished"]["loglik"], out["cases"][name]["maxima_sklearn"])
    (HERE / "mixture_classics_reference.json").write_text(json.dumps(out, indent=1) + "\n")


if __name__ == "__main__":
    main()
