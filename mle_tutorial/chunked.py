r"""When the data outgrow memory: the log-likelihood is a sum, so split it.

Step 6 turns a product of densities into a sum of log densities. A sum can be split over
chunks of rows: each chunk adds its part of the log-likelihood, of the score and of the
information, and of :math:`X^\top X` and :math:`X^\top y`. This module does exactly that for
Dask arrays chunked by rows, so :func:`~mle_tutorial.fit_linear`,
:func:`~mle_tutorial.fit_logistic` and :func:`~mle_tutorial.fit_poisson` fit data that never sit
in memory at once, on any Dask scheduler (a laptop's threads, or a cluster), with the same
answers as the in-memory fits:

* **normal linear model**: one pass for :math:`X^\top X`, :math:`X^\top y`, :math:`y^\top y`;
  if the column-scaled design is well conditioned, the Cholesky solution plus refinement with
  residuals computed chunk by chunk (as in memory); otherwise a tall-skinny QR of
  :math:`[X \mid y]` per chunk, combined in a tree, then refinement passes;
* **logistic and Poisson**: Newton's method with one pass over the chunks per iteration, summing
  the log-likelihood, score and information of each chunk.

Dask is optional: ``pip install "mle-tutorial[dask]"``.
"""

from __future__ import annotations

import math

import numpy as np
import scipy.linalg
import scipy.linalg.lapack
import scipy.special

from .least_squares import FAST_COND, _residual_extended, _scaled_cholesky, _xt_r_dd
from .result import FitResult

_DASK_HINT = 'install Dask for out-of-core fits: pip install "mle-tutorial[dask]"'


def is_dask(value) -> bool:
    """True for a Dask collection (checked by type, without importing Dask)."""
    return type(value).__module__.split(".")[0] == "dask"


def _dask():
    try:
        import dask
        import dask.array as da
    except ImportError as exc:  # pragma: no cover - exercised with dask hidden
        raise ValueError(f"X or y is a Dask array but Dask cannot be imported ({exc}): {_DASK_HINT}") from exc
    return dask, da


# --- validation and chunk alignment -----------------------------------------------------------
def as_row_chunks(X, y, offset=None):
    """Validate shapes and dtypes (lazily) and align X, y, offset on the same row chunks."""
    _, da = _dask()
    X = da.asarray(X)
    y = da.asarray(y)
    for name, arr, ndim in (("X", X, 2), ("y", y, 1)):
        if arr.ndim != ndim:
            raise ValueError(f"{name} must be a {ndim}-D array, got shape {arr.shape}")
        if arr.dtype == object or arr.dtype.kind not in "biuf":
            raise ValueError(
                f"{name} must be numeric (integers or floats), got an array of dtype {arr.dtype}"
            )
        if any(math.isnan(s) for s in arr.shape):
            raise ValueError(f"{name} has unknown chunk sizes; call {name}.compute_chunk_sizes() first")
    n = X.shape[0]
    if y.shape[0] != n:
        raise ValueError(f"X has {n} rows but y has {y.shape[0]} values; they must match")
    if n == 0:
        raise ValueError("X is empty")
    X = X.astype(np.float64).rechunk({1: -1})  # every chunk holds whole rows
    y = y.astype(np.float64).rechunk((X.chunks[0],))
    if offset is not None:
        offset = da.asarray(offset).astype(np.float64)
        if offset.ndim != 1 or offset.shape[0] != n:
            raise ValueError(f"offset must be 1-D with {n} values, got shape {offset.shape}")
        offset = offset.rechunk((X.chunks[0],))
    return X, y, offset


def _combine(a, b):
    """Add two chunk summaries (dicts); keys starting with 'max_' take the maximum."""
    out = {}
    for key in a:
        if key.startswith("max_"):
            out[key] = max(a[key], b[key])
        else:
            out[key] = a[key] + b[key]
    return out


def map_reduce(func, arrays, **kwargs):
    """Apply ``func`` to each row chunk of ``arrays`` (aligned) and combine in a binary tree.

    Runs on Dask's current scheduler (``dask.config.set(scheduler=...)`` or a
    ``distributed.Client``). Only the small per-chunk summaries travel; the data stay in chunks.
    """
    dask, _ = _dask()
    rows = arrays[0].chunks[0]
    # whole rows per chunk, and the same row chunks in every array
    arrays = [a.rechunk((rows, *((-1,) * (a.ndim - 1)))) if a.ndim > 1 or a.chunks[0] != rows else a
              for a in arrays]  # fmt: skip
    blocks = zip(*(a.to_delayed().ravel() for a in arrays), strict=True)
    parts = [dask.delayed(func)(*block, **kwargs) for block in blocks]
    while len(parts) > 1:
        paired = [dask.delayed(_combine)(parts[i], parts[i + 1]) for i in range(0, len(parts) - 1, 2)]
        if len(parts) % 2:
            paired.append(parts[-1])
        parts = paired
    return parts[0].compute()


def _bad_values(block) -> int:
    with np.errstate(over="ignore", invalid="ignore"):
        if np.isfinite(block.sum()):
            return 0
    return int(block.size - np.count_nonzero(np.isfinite(block)))


# --- normal linear model ------------------------------------------------------------------------
def _linear_stats(Xb, yb):
    return {
        "xtx": Xb.T @ Xb,
        "xty": Xb.T @ yb,
        "yty": float(yb @ yb),
        "n": Xb.shape[0],
        "bad_x": _bad_values(Xb),
        "bad_y": _bad_values(yb),
        "max_abs_y": float(np.max(np.abs(yb))) if yb.size else 0.0,
    }


def _refine_stats(Xb, yb, beta, extended, exact_products=False):
    r = _residual_extended(Xb, beta, yb) if extended else yb - Xb @ beta
    # on ill-conditioned designs X'r must be formed with exact products and correctly rounded sums
    xtr = _xt_r_dd(Xb, r) if exact_products else Xb.T @ r
    return {"xtr": xtr, "rtr": math.fsum(r * r) if exact_products else float(r @ r)}


def _tsqr_block(Xb, yb, scale):
    A = np.column_stack([Xb / scale, yb])
    R = scipy.linalg.qr(A, mode="r", check_finite=False)[0][: A.shape[1]]
    return {"stack": [R]}


def _tsqr_combine(a, b):
    A = np.vstack(a["stack"] + b["stack"])
    R = scipy.linalg.qr(A, mode="r", check_finite=False)[0][: A.shape[1]]
    return {"stack": [R]}


def _tsqr(X, y, scale):
    """R of the QR factorization of [X / scale | y], combined over chunks in a tree."""
    dask, _ = _dask()
    blocks = zip(X.to_delayed().ravel(), y.to_delayed().ravel(), strict=True)
    parts = [dask.delayed(_tsqr_block)(xb, yb, scale) for xb, yb in blocks]
    while len(parts) > 1:
        paired = [dask.delayed(_tsqr_combine)(parts[i], parts[i + 1]) for i in range(0, len(parts) - 1, 2)]
        if len(parts) % 2:
            paired.append(parts[-1])
        parts = paired
    return parts[0].compute()["stack"][0]


def _rank_error(G_scaled, what="X"):
    """Name the dependent columns from the null vector of the scaled X'X."""
    w, V = np.linalg.eigh(G_scaled)
    v = V[:, 0]
    involved = sorted(int(j) for j in np.flatnonzero(np.abs(v) > 1e-6))
    return ValueError(
        f"{what} is rank deficient: columns {involved} are linearly dependent (smallest eigenvalue of "
        f"the column-scaled X'X is {w[0] / w[-1]:.1e} of the largest); drop or combine collinear columns"
    )


def fit_linear_chunked(X, y):
    """The exact normal linear fit over row chunks of Dask arrays (see the module docstring)."""
    from .fit import _linear_cov, _max_loglik, _names

    X, y, _ = as_row_chunks(X, y)
    n, p = X.shape
    if n <= p:
        raise ValueError(
            f"X has {n} rows but the model has {p + 1} parameters ({p} coefficients and sigma); "
            "it needs more rows than coefficients"
        )
    s = map_reduce(_linear_stats, [X, y])
    if s["bad_x"]:
        raise ValueError(f"X contains {s['bad_x']} NaN or infinite value(s)")
    if s["bad_y"]:
        raise ValueError(f"y contains {s['bad_y']} NaN or infinite value(s)")
    G, xty = s["xtx"], s["xty"]
    norms = np.sqrt(np.diag(G))
    zero = np.flatnonzero(norms == 0)
    if zero.size:
        raise ValueError(f"X is rank deficient: column {int(zero[0])} is all zeros")
    scaled = _scaled_cholesky(G)
    if scaled is None:
        raise ValueError("X has a column whose sum of squares overflows; rescale it")
    scale, factor, cond = scaled
    eps = np.finfo(float).eps
    path = "tsqr"
    if factor is not None and cond < FAST_COND:
        path = "cholesky"
        R = factor[0]
        z = scipy.linalg.cho_solve(factor, xty / scale, check_finite=False)
    else:
        # tall-skinny QR of [X/scale | y]: R_aug = [[R, c], [0, rho]], z = R^{-1} c
        R_aug = _tsqr(X, y, scale)
        R = R_aug[:p, :p]
        d = np.abs(np.diag(R))
        if d.min() <= max(n, p) * eps * d.max():
            raise _rank_error(G / np.outer(scale, scale))
        cond = float(np.linalg.cond(R))
        z = scipy.linalg.solve_triangular(R, R_aug[:p, p], check_finite=False)
    beta = z / scale

    def correction(beta, extended):
        st = map_reduce(_refine_stats, [X, y], beta=beta, extended=extended, exact_products=path == "tsqr")
        g = st["xtr"] / scale
        dz = scipy.linalg.solve_triangular(
            R, scipy.linalg.solve_triangular(R, g, trans="T", check_finite=False), check_finite=False
        )
        return dz / scale, st["rtr"]

    # refinement passes: as in memory, the residuals are formed from the data, chunk by chunk
    steps, rss, previous = 0, np.nan, np.inf
    while steps < 8:
        steps += 1
        zabs = np.abs(beta * scale)
        extended = path == "tsqr" or steps > 1 or cond * eps * np.max(zabs) > 1e-13 * np.min(zabs)
        delta, rss = correction(beta, extended)
        beta = beta + delta
        size = np.max(np.abs(delta) / np.maximum(np.abs(beta), np.finfo(float).tiny))
        if size <= 4 * eps or (path == "cholesky" and not extended) or size >= 0.5 * previous:
            break  # converged, or no longer contracting (at the attainable accuracy)
        previous = size
    sigma = float(np.sqrt(rss / n))
    if not sigma > 8 * eps * s["max_abs_y"]:
        raise ValueError(
            f"y is fitted exactly by X (sigma-hat = {sigma:.1e} is at the rounding level of y): "
            "the likelihood is unbounded as sigma -> 0, so there is no MLE"
        )
    r_inv = scipy.linalg.solve_triangular(R, np.eye(p), check_finite=False)
    xtx_inv = (r_inv @ r_inv.T) / np.outer(scale, scale)
    chunks = len(X.chunks[0])
    return FitResult(
        params=np.append(beta, sigma),
        param_names=_names(p),
        loglik=float(_max_loglik(n, sigma)),
        nobs=int(n),
        converged=True,
        n_iter=steps,
        method="exact",
        message=(
            f"least squares over {chunks} row chunk(s) of a Dask array: "
            f"{'Cholesky of the scaled X' + chr(39) + 'X' if path == 'cholesky' else 'tall-skinny QR'} "
            f"with {steps} refinement pass(es) (condition number of the scaled design about {cond:.1g})"
        ),
        beta=beta,
        sigma=sigma,
        cov=_linear_cov(xtx_inv, sigma, n),
        profile=_closed_form_linear_profile(beta, rss, xtx_inv, n),
    )


def _closed_form_linear_profile(beta, rss, xtx_inv, n):
    """Profile of the normal linear model from its sufficient statistics: holding beta[j] at b
    raises the minimum RSS by (b - beta_j)^2 / [(X'X)^{-1}]_jj; sigma is profiled out."""
    from .fit import _max_loglik, _sigma_profile

    p = beta.shape[0]

    def profile(j: int, value: float) -> float:
        if j == p:
            return _sigma_profile(n, rss, value)
        rss_b = rss + (value - beta[j]) ** 2 / xtx_inv[j, j]
        return float(_max_loglik(n, np.sqrt(rss_b / n)))

    return profile


# --- logistic and Poisson -----------------------------------------------------------------------
def _glm_chunk(Xb, yb, ob, beta, family):
    from .glm import _glm_pass, _logistic_block, _poisson_block

    block = _logistic_block if family == "logistic" else _poisson_block
    offset = np.zeros(Xb.shape[0]) if ob is None else ob
    ll, score, info, biggest = _glm_pass(Xb, yb, offset, beta, block)
    return {"ll": ll, "score": score, "info": info, "max_eta": biggest}


def _glm_first(Xb, yb, ob, family):
    out = {"xtx": Xb.T @ Xb, "bad_x": _bad_values(Xb), "bad_y": _bad_values(yb), "n": Xb.shape[0]}
    out["bad_o"] = 0 if ob is None else _bad_values(ob)
    if family == "logistic":
        out["bad_label"] = int(np.count_nonzero((yb != 0) & (yb != 1)))
        out["ones"] = float(np.sum(yb == 1))
    else:
        out["bad_label"] = int(np.count_nonzero((yb < 0) | (yb != np.round(yb))))
        out["ones"] = float(np.sum(yb > 0))
        out["log_factorial"] = float(np.sum(scipy.special.gammaln(yb + 1.0)))
        from .glm import _poisson_start_stats

        if out["bad_label"] or out["bad_y"] or out["bad_o"]:  # reported after this pass; skip the math
            p = Xb.shape[1]
            a, b = np.zeros((p, p)), np.zeros(p)
        else:
            a, b = _poisson_start_stats(Xb, yb, np.zeros(Xb.shape[0]) if ob is None else ob)
        out["start_a"], out["start_b"] = a, b
    return out


def fit_glm_chunked(X, y, offset, family: str, max_iter: int = 100, tol: float = 1e-7):
    """Logistic or Poisson regression over row chunks of Dask arrays: one pass per Newton step."""
    from .glm import _finish, _newton

    name = "fit_logistic" if family == "logistic" else "fit_poisson"
    X, y, offset = as_row_chunks(X, y, offset)
    n, p = X.shape
    if n <= p:
        raise ValueError(
            f"X has {n} rows but the model has {p} coefficients; it needs more rows than coefficients"
        )
    arrays = [X, y] + ([offset] if offset is not None else [])

    def run(func, **kw):
        if offset is None:
            return map_reduce(lambda Xb, yb, **k: func(Xb, yb, None, **k), [X, y], **kw)
        return map_reduce(func, arrays, **kw)

    first = run(_glm_first, family=family)
    for key, what in (("bad_x", "X"), ("bad_y", "y"), ("bad_o", "offset")):
        if first[key]:
            raise ValueError(f"{what} contains {first[key]} NaN or infinite value(s)")
    if first["bad_label"]:
        if family == "logistic":
            raise ValueError(
                f"y must contain only 0 and 1 for logistic regression; {first['bad_label']} value(s) are not"
            )
        raise ValueError(
            "y must contain non-negative integer counts for Poisson regression; "
            f"{first['bad_label']} value(s) are not"
        )
    if family == "logistic" and first["ones"] in (0, n):
        raise ValueError(f"y is all {int(first['ones'] > 0)}: there is no finite MLE")
    if family == "poisson" and first["ones"] == 0:
        raise ValueError("y is all 0: the estimated rate is 0, on the boundary, so there is no finite MLE")
    G = first["xtx"]
    norms = np.sqrt(np.diag(G))
    if np.any(norms == 0):
        raise ValueError(f"X is rank deficient: column {int(np.flatnonzero(norms == 0)[0])} is all zeros")
    Gs = G / np.outer(norms, norms)
    if np.linalg.eigvalsh(Gs)[0] <= max(n, p) * np.finfo(float).eps * p:
        raise _rank_error(Gs)
    if family == "logistic":
        beta = np.zeros(p)
        constant = 0.0
    else:
        beta = np.linalg.lstsq(first["start_a"], first["start_b"], rcond=None)[0]
        constant = first["log_factorial"]

    def newton_pass(b):
        st = run(_glm_chunk, beta=b, family=family)
        return st["ll"], st["score"], st["info"], st["max_eta"]

    beta, ll, info, it, converged, biggest = _newton(newton_pass, beta, max_iter, tol)
    if family == "poisson" and biggest > 709.0:
        raise ValueError("the fitted Poisson mean overflows (exp of X @ beta + offset > 1e308)")
    extra = ""
    if not converged and family == "logistic" and biggest > 25:
        extra = "; the outcomes may be perfectly separated (check a subsample in memory with fit_logistic)"
    try:
        cov = scipy.linalg.cho_solve(scipy.linalg.cho_factor(info, check_finite=False), np.eye(p))
    except np.linalg.LinAlgError:
        cov = None
    profile = _glm_chunked_profile(X, y, offset, beta, family, constant)
    chunks = len(X.chunks[0])
    message = f" over {chunks} row chunk(s) of a Dask array{extra}"
    return _finish(
        name, _Shape(n, p), beta, ll - constant, it, converged, cov, profile, extra_message=message
    )


class _Shape:
    """Stands in for X where only its shape is needed (the data stay in chunks)."""

    def __init__(self, n, p):
        self.shape = (n, p)


def _glm_chunked_profile(X, y, offset, beta_hat, family, constant):
    def profile(j: int, value: float) -> float:
        others = [k for k in range(X.shape[1]) if k != j]
        new_offset = X[:, j] * value if offset is None else offset + X[:, j] * value
        if not others:  # nothing left to re-maximize: the log-likelihood at beta[j] = value
            zeros = y * 0.0 if offset is None else offset
            st = map_reduce(_glm_chunk, [X[:, [j]], y, zeros], beta=np.array([value]), family=family)
            return float(st["ll"] - constant)
        fit = fit_glm_chunked(X[:, others], y, new_offset, family)
        return float(fit.loglik)

    return profile
