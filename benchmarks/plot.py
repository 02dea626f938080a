"""The benchmark figure, shared by ``python -m benchmarks`` and the book's performance page."""

from __future__ import annotations

import numpy as np


def plot_timings(rows):
    """Time against n (log-log), one panel per model, one line per method, line style per p.

    ``rows`` are dicts as in results.csv (strings are fine); rows without a time are skipped.
    """
    import matplotlib.pyplot as plt

    models = ["linear", "logistic", "poisson"]
    ps = sorted({int(r["p"]) for r in rows})
    styles = dict(zip(ps, ["-", "--", ":", "-."], strict=False))
    fig, axes = plt.subplots(3, 1, figsize=(7, 10), sharex=True)
    for ax, model in zip(axes, models, strict=True):
        sub = [r for r in rows if r["model"] == model and r.get("median_s")]
        names = list(dict.fromkeys(r["method"] for r in sub))
        for c, name in enumerate(names):
            for p in ps:
                pts = sorted(
                    (int(r["n"]), float(r["median_s"]))
                    for r in sub
                    if r["method"] == name and int(r["p"]) == p
                )
                if pts:
                    n, t = np.array(pts).T
                    ax.plot(
                        n, t, styles[p], color=f"C{c}", marker="o", ms=3, label=name if p == ps[0] else None
                    )
        ax.set(xscale="log", yscale="log", title=model, ylabel="median time (s)")
        ax.grid(True, which="major", alpha=0.3)
        ax.legend(fontsize=7, loc="upper left")
    axes[-1].set_xlabel("observations $n$")
    fig.tight_layout()
    fig.subplots_adjust(bottom=0.09)
    note = (
        "line style: " + ",   ".join(f"{styles[p]}  p = {p}" for p in ps) + "   (p = number of coefficients)"
    )
    fig.text(0.5, 0.02, note, ha="center", fontsize=8)
    return fig
