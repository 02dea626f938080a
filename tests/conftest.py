import os
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import settings

DATA = Path(__file__).parent / "data"

# Property tests draw the same examples on every run and every machine (`make test` must not pass
# or fail by luck); HYPOTHESIS_PROFILE=explore draws new ones each run, to look for trouble (see
# CONTRIBUTING.md). A failure found that way becomes a fixed @example or a better test.
settings.register_profile("repeatable", derandomize=True, database=None)
settings.register_profile("explore", derandomize=False)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "repeatable"))


@pytest.fixture
def worked_example():
    """The seed's worked example: n = 1000, beta = [0.5, 1, 2, 3], sigma = 0.5."""
    from mle_tutorial import simulate_linear

    return simulate_linear(1000, [0.5, 1.0, 2.0, 3.0], 0.5, seed=408)


def correct_digits(estimate, reference, at_least: float = 0.0) -> float:
    """Smallest number of correct significant digits (log relative error, LRE) over all entries;
    with ``at_least``, the error relative to ``max(|reference|, at_least)`` (an estimate near 0 has
    no relative accuracy: for ``at_least=1`` its error is absolute)."""
    estimate, reference = np.atleast_1d(estimate), np.atleast_1d(reference)
    rel = np.abs(estimate - reference) / np.maximum(np.abs(reference), at_least)
    worst = float(np.max(rel))
    digits = np.inf if worst == 0 else -np.log10(worst)
    if os.environ.get("MLE_DIGITS_LOG"):  # to set test floors: see CONTRIBUTING.md
        with open(os.environ["MLE_DIGITS_LOG"], "a") as log:
            line = sys._getframe(1).f_lineno
            log.write(f"{os.environ.get('PYTEST_CURRENT_TEST', '?').split(' ')[0]}:{line}\t{digits:.3f}\n")
    return digits
