"""The censored fits' Newton loop (_engine.ascent.ascend): a maximum at infinity is told from a
maximum whose decrement sits at the rounding level of the score."""

import numpy as np
from scipy.special import expit

from mle_tutorial._engine.ascent import ascend


def test_a_maximum_at_infinity_is_diverging():
    """l(t) = -log(1 + exp(-t)) rises towards 0 as t grows: each Newton step adds about 1 to t and
    the decrement falls by a factor e, the linear tail the loop reports as diverging."""

    def pass_fn(theta):
        t = float(theta[0])
        up, down = expit(t), expit(-t)  # both with their digits, far into the tail
        return {"loglik": -np.log1p(np.exp(-t)), "score": np.array([down]), "info": np.array([[up * down]])}

    found = ascend(pass_fn, np.array([0.0]))
    assert found.diverging and found.beta[0] > 20


def test_noise_in_the_score_at_the_maximum_is_not_a_tail():
    """A concave quadratic whose score carries noise of relative size 1e-9 (an ill-conditioned design
    cancels that many digits): near the maximum the decrement wanders at about 1e-18, up and down.
    Before: those wandering decrements, taken during the polish, counted as a linear tail and a
    converged Tobit fit of a design shifted by 1e6 was reported as diverging."""
    rng = np.random.default_rng(1)
    A = np.array([[2.0, 1.0], [1.0, 2.0]])
    top = np.array([3.0, -1.0])

    def pass_fn(theta):
        d = theta - top
        noise = 1e-9 * rng.standard_normal(2)
        return {"loglik": -0.5 * d @ A @ d, "score": -A @ d + noise, "info": A}

    for _ in range(50):
        found = ascend(pass_fn, np.array([0.0, 0.0]))
        assert found.converged and not found.diverging
        assert np.max(np.abs(found.beta - top)) < 1e-8
