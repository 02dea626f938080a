"""The registry of models that the conformance suite (``test_conformance.py``) checks, as
scikit-learn's ``estimator_checks`` does for its estimators: every entry must pass every check.

A new model is one entry here: a :class:`Case` that says how to simulate data for it (with the
parameter tested by the three tests truly at its null value), how to fit it (with ``names=``), how
to fit the model with that parameter dropped (or held at its null value), and which argument holds
the response and which the design. ``ZeroTruncatedPoisson`` is a model written as a reader would
write one, from the ``Likelihood`` contract alone.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
from scipy.special import gammaln

import mle_tutorial as mle


# --- a model of one's own: the zero-truncated Poisson regression -------------------------------------
class ZeroTruncatedPoisson(mle.Likelihood):
    r"""Counts that are never 0 (visits of people who came at least once):
    :math:`P(y) = \mu^y e^{-\mu} / (y!\,(1 - e^{-\mu}))`, :math:`\mu = e^{x^\top\beta}`."""

    name = "zero-truncated Poisson"

    def __init__(self, X, y, names=None):
        self.X = np.asarray(X, dtype=float)
        self.y = np.asarray(y, dtype=float)
        self.names = tuple(names or (f"beta[{j}]" for j in range(self.X.shape[1])))

    @property
    def param_names(self):
        return self.names

    @property
    def nobs(self):
        return self.y.shape[0]

    def loglik_obs(self, beta):
        eta = self.X @ beta
        mu = np.exp(eta)
        return self.y * eta - mu - gammaln(self.y + 1.0) - np.log(-np.expm1(-mu))

    def score_obs(self, beta):
        mu = np.exp(self.X @ beta)
        return self.X * (self.y - mu / -np.expm1(-mu))[:, None]

    def start(self):
        return np.zeros(self.X.shape[1])

    def simulate(self, beta, rng):
        mu = np.exp(self.X @ beta)
        y = rng.poisson(mu)
        while np.any(y == 0):  # draw again where the count is 0 (truncation)
            zero = y == 0
            y[zero] = rng.poisson(mu[zero])
        return ZeroTruncatedPoisson(self.X, y.astype(float), self.names)

    def resample(self, rows):
        return ZeroTruncatedPoisson(self.X[rows], self.y[rows], self.names)


def fit_zero_truncated(X, y, names=None):
    return mle.fit_mle(ZeroTruncatedPoisson(X, y, names))


def zero_truncated_counts(rng, mu):
    y = rng.poisson(mu)
    while np.any(y == 0):
        zero = y == 0
        y[zero] = rng.poisson(mu[zero])
    return y.astype(float)


# --- the registry -------------------------------------------------------------------------------------
def design(rng, n, p=3):
    """An intercept and p - 1 standard normal columns; the last coefficient is the tested one."""
    return np.column_stack([np.ones(n), rng.normal(size=(n, p - 1))])


@dataclass
class Case:
    """How the conformance suite meets one model.

    ``make(rng, n)`` simulates a dict of arguments (the tested parameter at its null value);
    ``fit(data, names)`` fits it (``names`` for the coefficients, or None); ``restricted(data)``
    fits the model without the tested parameter (or with it held at ``null``); ``tested`` names
    that parameter in the full fit. ``response`` and ``design`` name the arguments that hold the
    response and the design (None: there is none), ``names`` how many coefficients ``names=``
    names. ``scale`` maps ``(data, k)`` to the data with the last column of the design times
    ``2**k``, whose coefficient must then scale by ``2**-k``, exactly where ``exact``.
    ``working`` (for a model with constraints among its parameters) maps unconstrained
    coordinates to the reported parameters, for an independent numerical sandwich. A model that
    cannot simulate or resample itself (a negative log-likelihood function given to ``fit_mle``)
    gives ``extra["fitter"]`` (a function of the data arrays) and ``extra["simulate"]`` for the
    bootstrap's other form.
    """

    name: str
    make: Callable
    fit: Callable
    restricted: Callable | None
    tested: str | None
    null: float = 0.0
    response: str | None = "y"
    design: str | None = "X"
    names: int = 3
    n: int = 300
    exact_scale: bool = True
    working: Callable | None = None
    bootstrap_ok: bool = True
    extra: dict = field(default_factory=dict)


def _linear(rng, n):
    X = design(rng, n)
    return {"X": X, "y": X @ [1.0, 0.5, 0.0] + rng.normal(size=n)}


def _logistic(rng, n):
    X = design(rng, n)
    return {"X": X, "y": (rng.random(n) < 1 / (1 + np.exp(-(X @ [0.3, 0.8, 0.0])))).astype(float)}


def _poisson(rng, n):
    X = design(rng, n)
    return {"X": X, "y": rng.poisson(np.exp(X @ [0.5, 0.4, 0.0])).astype(float)}


def _student_t(rng, n):
    X = design(rng, n)
    return {"X": X, "y": X @ [1.0, 0.5, 0.0] + 0.7 * rng.standard_t(4, size=n)}


def expo(x, b):
    return b[0] * np.exp(-b[1] * x) + b[2] * x


def _nonlinear(rng, n):
    x = np.linspace(0.0, 4.0, n)
    return {"x": x, "y": expo(x, [2.0, 0.7, 0.0]) + 0.1 * rng.normal(size=n)}


def _survival(rng, n):
    X = design(rng, n)
    log_t = X @ [1.0, 0.5, 0.0] + 0.6 * np.log(rng.exponential(size=n))  # Weibull: Gumbel-min errors
    c = np.exp(rng.uniform(1.0, 3.0, n))
    t = np.exp(log_t)
    return {"time": np.minimum(t, c), "event": (t <= c).astype(float), "X": X}


def _exponential(rng, n):
    X = design(rng, n)
    t = np.exp(X @ [1.0, 0.5, 0.0]) * rng.exponential(size=n)  # the Weibull with sigma = 1
    c = np.exp(rng.uniform(1.0, 3.5, n))
    return {"time": np.minimum(t, c), "event": (t <= c).astype(float), "X": X}


def _interval(rng, n):
    X = design(rng, n)
    t = np.exp(X @ [1.0, 0.5, 0.0] + 0.5 * rng.normal(size=n))
    lower = np.floor(t * 2.0) / 2.0  # inspections every half unit
    upper = lower + 0.5
    exact = rng.random(n) < 0.3
    lower = np.where(exact, t, lower)
    upper = np.where(exact, t, upper)
    return {"lower": lower, "upper": upper, "X": X}


def _tobit(rng, n):
    X = design(rng, n)
    return {"X": X, "y": np.maximum(X @ [0.3, 1.0, 0.0] + rng.normal(size=n), 0.0)}


def _truncated(rng, n):
    X = design(rng, 2 * n)
    y = X @ [0.5, 1.0, 0.0] + rng.normal(size=2 * n)
    keep = y > 0
    return {"X": X[keep], "y": y[keep]}


def _mixture(rng, n):
    return {"x": np.concatenate([rng.normal(-2.0, 1.0, n // 2), rng.normal(2.5, 0.8, n - n // 2)])}


def _counts(rng, n):
    X = design(rng, n)
    return {"X": X, "y": zero_truncated_counts(rng, np.exp(X @ [0.4, 0.5, 0.0]))}


def _negative_binomial(rng, n):
    X = design(rng, n)
    mu = np.exp(X @ [0.5, 0.4, 0.0])
    return {"X": X, "y": rng.poisson(rng.gamma(2.0, mu / 2.0)).astype(float)}  # alpha = 1/2


def _gamma(rng, n):
    X = design(rng, n)
    return {"X": X, "y": rng.gamma(2.0, np.exp(X @ [1.0, 0.5, 0.0]) / 2.0)}  # shape 2


def _zero_inflated(negbin):
    def make(rng, n):
        X = design(rng, n)
        mu = np.exp(X @ [0.8, 0.4, 0.0])
        counts = rng.poisson(rng.gamma(2.0, mu / 2.0) if negbin else mu)
        structural = rng.random(n) < 0.3  # a constant probability of a structural zero
        return {"X": X, "y": np.where(structural, 0.0, counts), "Z": np.ones(n)}

    return make


def _mixed(rng, n):
    """Groups of five rows, a random intercept of sd 0.8 and a random slope in x of sd 0.4."""
    X = design(rng, n)
    G = n // 5
    g = np.repeat(np.arange(G), 5)
    b = rng.normal(size=(G, 2)) * [0.8, 0.4]
    y = X @ [1.0, 0.5, 0.0] + b[g, 0] + b[g, 1] * X[:, 1] + rng.normal(size=n)
    return {"X": X, "y": y, "groups": g}


def _glmm_binary(rng, n):
    """Groups of five 0/1 outcomes, a random intercept of sd 0.8."""
    X = design(rng, n)
    g = np.repeat(np.arange(n // 5), 5)
    eta = X @ [0.3, 0.8, 0.0] + 0.8 * rng.normal(size=n // 5)[g]
    return {"X": X, "y": (rng.random(n) < 1 / (1 + np.exp(-eta))).astype(float), "groups": g}


def _glmm_trials(rng, n):
    """Groups of five binomial counts out of 1 to 8 trials, random intercept and slope in x."""
    X = design(rng, n)
    g = np.repeat(np.arange(n // 5), 5)
    b = rng.normal(size=(n // 5, 2)) * [0.7, 0.4]
    eta = X @ [-0.2, 0.6, 0.0] + b[g, 0] + b[g, 1] * X[:, 1]
    trials = rng.integers(1, 9, size=n).astype(float)
    return {
        "X": X,
        "y": rng.binomial(trials.astype(int), 1 / (1 + np.exp(-eta))).astype(float),
        "groups": g,
        "trials": trials,
    }


def _glmm_counts(rng, n):
    """Groups of five Poisson counts, a random intercept of sd 0.5."""
    X = design(rng, n)
    g = np.repeat(np.arange(n // 5), 5)
    eta = X @ [0.5, 0.4, 0.0] + 0.5 * rng.normal(size=n // 5)[g]
    return {"X": X, "y": rng.poisson(np.exp(eta)).astype(float), "groups": g}


def _slope_design(X):
    """The random effects' design: the intercept and x, the first two columns of X (a DataFrame's
    columns kept, so that pandas rows stay matched by label)."""
    return X.iloc[:, :2] if hasattr(X, "iloc") else X[:, :2]


def _nll_normal(theta, X, y):
    p = X.shape[1]
    r = y - X @ theta[:p]
    return 0.5 * y.size * np.log(2 * np.pi) + y.size * theta[p] + 0.5 * np.exp(-2 * theta[p]) * (r @ r)


def _loglik_obs_normal(theta, X, y):
    p = X.shape[1]
    r = y - X @ theta[:p]
    return -0.5 * np.log(2 * np.pi) - theta[p] - 0.5 * np.exp(-2 * theta[p]) * r * r


def _fit_mle(d, names=None):
    X, y = d["X"], d["y"]
    names = [f"beta[{j}]" for j in range(X.shape[1])] if names is None else names
    return mle.fit_mle(
        _nll_normal,
        np.zeros(X.shape[1] + 1),
        args=(X, y),
        names=names if isinstance(names, str) else [*names, "log_sigma"],  # a string is refused
        loglik_obs=_loglik_obs_normal,
    )


def _simulate_normal(fit, rng, X, y):
    """New responses from a fit of ``_fit_mle`` (its parameters are beta and log sigma)."""
    p = X.shape[1]
    return X, X @ fit.params[:p] + np.exp(fit.params[p]) * rng.standard_normal(X.shape[0])


def _mixture_working(m):
    """Unconstrained coordinates (logits of the weights, means, log sigmas) to the reported ones."""

    def natural(theta):
        alpha = np.concatenate([[0.0], theta[: m - 1]])
        w = np.exp(alpha - alpha.max())
        w /= w.sum()
        mu, sd = theta[m - 1 : 2 * m - 1], np.exp(theta[2 * m - 1 :])
        return np.column_stack([w, mu, sd]).reshape(-1)

    def to_working(params):
        w, mu, sd = np.asarray(params).reshape(m, 3).T
        return np.concatenate([np.log(w[1:] / w[0]), mu, np.log(sd)])

    return natural, to_working


def _scale_last(key):
    def scale(d, k):
        out = dict(d)
        X = np.array(d[key], dtype=float)
        X[:, -1] = np.ldexp(X[:, -1], k)
        out[key] = X
        return out

    return scale


CASES = [
    Case("linear", _linear, lambda d, names=None: mle.fit_linear(d["X"], d["y"], names=names),
         lambda d: mle.fit_linear(d["X"][:, :2], d["y"]), "beta[2]"),
    Case("linear BFGS", _linear,
         lambda d, names=None: mle.fit_linear(d["X"], d["y"], method="BFGS", names=names),
         lambda d: mle.fit_linear(d["X"][:, :2], d["y"], method="BFGS"), "beta[2]", exact_scale=False),
    Case("logistic", _logistic, lambda d, names=None: mle.fit_logistic(d["X"], d["y"], names=names),
         lambda d: mle.fit_logistic(d["X"][:, :2], d["y"]), "beta[2]"),
    Case("poisson", _poisson, lambda d, names=None: mle.fit_poisson(d["X"], d["y"], names=names),
         lambda d: mle.fit_poisson(d["X"][:, :2], d["y"]), "beta[2]"),
    Case("student t", _student_t, lambda d, names=None: mle.fit_student_t(d["X"], d["y"], names=names),
         lambda d: mle.fit_student_t(d["X"][:, :2], d["y"]), "beta[2]"),
    Case("student t, df fixed", _student_t,
         lambda d, names=None: mle.fit_student_t(d["X"], d["y"], df=4.0, names=names),
         lambda d: mle.fit_student_t(d["X"][:, :2], d["y"], df=4.0), "beta[2]"),
    Case("nonlinear", _nonlinear,
         lambda d, names=None: mle.fit_nonlinear(expo, d["x"], d["y"], [1.0, 1.0, 0.1], names=names),
         lambda d: mle.fit_nonlinear(lambda x, b: expo(x, [*b, 0.0]), d["x"], d["y"], [1.0, 1.0]), "beta[2]",
         design=None, exact_scale=False),
    Case("fit_mle with loglik_obs", _linear, _fit_mle,
         lambda d: _fit_mle({"X": d["X"][:, :2], "y": d["y"]}), "beta[2]", exact_scale=False,
         extra={"fitter": lambda X, y: _fit_mle({"X": X, "y": y}), "simulate": _simulate_normal}),
    Case("survival, Weibull", _survival,
         lambda d, names=None: mle.fit_survival(d["time"], d["event"], d["X"], names=names),
         lambda d: mle.fit_survival(d["time"], d["event"], d["X"][:, :2]), "beta[2]", response="time"),
    Case("survival, exponential in the Weibull", _exponential,
         lambda d, names=None: mle.fit_survival(d["time"], d["event"], d["X"], names=names),
         lambda d: mle.fit_survival(d["time"], d["event"], d["X"], dist="exponential"), "sigma", null=1.0,
         response="time"),
    Case("interval censored, log-normal", _interval,
         lambda d, names=None: mle.fit_interval_censored(d["lower"], d["upper"], d["X"], dist="lognormal",
                                                         names=names),
         lambda d: mle.fit_interval_censored(d["lower"], d["upper"], d["X"][:, :2], dist="lognormal"),
         "beta[2]", response="lower"),
    Case("tobit", _tobit, lambda d, names=None: mle.fit_tobit(d["X"], d["y"], names=names),
         lambda d: mle.fit_tobit(d["X"][:, :2], d["y"]), "beta[2]"),
    Case("truncated normal", _truncated,
         lambda d, names=None: mle.fit_truncated_normal(d["X"], d["y"], lower=0.0, names=names),
         lambda d: mle.fit_truncated_normal(d["X"][:, :2], d["y"], lower=0.0), "beta[2]"),
    Case("linear mixed, random intercept", _mixed,
         lambda d, names=None: mle.fit_linear_mixed(d["X"], d["y"], d["groups"], names=names),
         lambda d: mle.fit_linear_mixed(d["X"][:, :2], d["y"], d["groups"]), "beta[2]"),
    Case("linear mixed, random slope", _mixed,
         lambda d, names=None: mle.fit_linear_mixed(d["X"], d["y"], d["groups"], _slope_design(d["X"]),
                                                    names=names),
         lambda d: mle.fit_linear_mixed(d["X"][:, :2], d["y"], d["groups"], _slope_design(d["X"])),
         "beta[2]"),
    Case("binomial GLMM, Laplace", _glmm_binary,
         lambda d, names=None: mle.fit_glmm(d["X"], d["y"], d["groups"], names=names),
         lambda d: mle.fit_glmm(d["X"][:, :2], d["y"], d["groups"]), "beta[2]"),
    Case("binomial GLMM with trials and a random slope, Laplace", _glmm_trials,
         lambda d, names=None: mle.fit_glmm(d["X"], d["y"], d["groups"], trials=d["trials"],
                                            Z=_slope_design(d["X"]), names=names),
         lambda d: mle.fit_glmm(d["X"][:, :2], d["y"], d["groups"], trials=d["trials"],
                                Z=_slope_design(d["X"])),
         "beta[2]"),
    Case("Poisson GLMM, adaptive quadrature", _glmm_counts,
         lambda d, names=None: mle.fit_glmm(d["X"], d["y"], d["groups"], family="poisson", n_quadrature=5,
                                            names=names),
         lambda d: mle.fit_glmm(d["X"][:, :2], d["y"], d["groups"], family="poisson", n_quadrature=5),
         "beta[2]"),
    Case("normal mixture", _mixture,
         lambda d, names=None: mle.fit_normal_mixture(d["x"], 2, names=names), None, None,
         response="x", design=None, names=2, exact_scale=False, working=_mixture_working(2)),
    Case("negative binomial", _negative_binomial,
         lambda d, names=None: mle.fit_negative_binomial(d["X"], d["y"], names=names),
         lambda d: mle.fit_negative_binomial(d["X"][:, :2], d["y"]), "beta[2]"),
    Case("gamma", _gamma, lambda d, names=None: mle.fit_gamma(d["X"], d["y"], names=names),
         lambda d: mle.fit_gamma(d["X"][:, :2], d["y"]), "beta[2]"),
    Case("zero-inflated Poisson", _zero_inflated(False),
         lambda d, names=None: mle.fit_zero_inflated(d["X"], d["y"], d["Z"], names=names),
         lambda d: mle.fit_zero_inflated(d["X"][:, :2], d["y"], d["Z"]), "beta[2]"),
    Case("zero-inflated negative binomial", _zero_inflated(True),
         lambda d, names=None: mle.fit_zero_inflated(d["X"], d["y"], d["Z"], dist="negative_binomial",
                                                     names=names),
         lambda d: mle.fit_zero_inflated(d["X"][:, :2], d["y"], d["Z"], dist="negative_binomial"), "beta[2]"),
    Case("zero-truncated Poisson (a model of one's own)", _counts,
         lambda d, names=None: fit_zero_truncated(d["X"], d["y"], names),
         lambda d: fit_zero_truncated(d["X"][:, :2], d["y"]), "beta[2]", exact_scale=False),
]  # fmt: skip

for case in CASES:
    if case.design is not None and case.extra.get("scale") is None:
        case.extra["scale"] = _scale_last(case.design)

BY_NAME = {case.name: case for case in CASES}
