"""mle_tutorial: the seven steps of maximum likelihood estimation, as functions.

Step 1 :func:`starting_values` (and :func:`simulate_linear` for example data),
step 2 :func:`predict`, step 3 :func:`residuals`, steps 4-5
:func:`normal_pdf` / :func:`normal_logpdf`, step 6 :func:`log_likelihood`,
step 7 :func:`negative_log_likelihood` with its gradient, and
:func:`fit_linear`, which returns a :class:`FitResult` (with standard errors,
``conf_int``, ``aic``, ``bic`` and ``summary``). After the fit:
:func:`profile_likelihood`, :func:`profile_interval`, :func:`likelihood_ratio_test`; the other
two tests of the trinity, :func:`wald_test` and :func:`score_test`; robust (sandwich) standard
errors with :meth:`FitResult.robust`; and :func:`bootstrap` intervals.

Every fitter builds a model, a :class:`Likelihood` (the contract: per-observation
log-likelihood, scores, Hessian, simulation, nesting), and returns it with the fit
(``fit.model``); :func:`fit_mle` fits one of your own, and the inference layer works through it.

Beyond the normal linear model: :func:`fit_mle` (any likelihood), :func:`fit_logistic`,
:func:`fit_poisson`, :func:`fit_student_t`, :func:`fit_nonlinear`; when the Poisson model is wrong,
:func:`fit_negative_binomial` and :func:`fit_zero_inflated`, and for positive outcomes
:func:`fit_gamma`; real datasets through
:func:`load_dataset`; incomplete data: censored survival times (:func:`fit_survival`,
:func:`fit_interval_censored`), censored and truncated normal regression (:func:`fit_tobit`,
:func:`fit_truncated_normal`) and normal mixtures by EM (:func:`fit_normal_mixture`, with
:func:`em_e_step` and :func:`em_m_step`); data that outgrow memory through Dask arrays, and :func:`map_reduce`
with :func:`glm_chunk_statistics` to sum over row chunks by hand.

``dir(mle_tutorial)`` lists the public API (``__all__``); the fitters share a private engine,
``mle_tutorial._engine``.
"""

from .bootstrap import BootstrapResult, bootstrap
from .data import dataset_description, list_datasets, load_dataset
from .density import normal_logpdf, normal_pdf
from .gamma_regression import fit_gamma
from .generic import CallbackError, fit_mle
from .glm import PerfectSeparationError, fit_logistic, fit_poisson
from .glmm import fit_glmm
from .inference import (
    LikelihoodRatioTest,
    covariance_from_hessian,
    likelihood_ratio_test,
    profile_interval,
    profile_likelihood,
)
from .least_squares import LeastSquaresSolution, solve_least_squares
from .likelihood import (
    log_likelihood,
    negative_log_likelihood,
    negative_log_likelihood_gradient,
    negative_log_likelihood_hessian,
)
from .linear import fit_linear
from .linear_mixed import fit_linear_mixed
from .mixture import em_e_step, em_m_step, fit_normal_mixture
from .model import Likelihood, Nesting
from .negative_binomial import fit_negative_binomial
from .nonlinear import fit_nonlinear
from .numdiff import numerical_gradient, numerical_hessian
from .out_of_core import glm_chunk_statistics, map_reduce
from .predict import predict
from .residuals import residuals
from .result import ConvergenceWarning, ExactFitWarning, FitResult, HessianWarning, Summary
from .simulate import simulate_linear
from .start import starting_values
from .student_t import fit_student_t
from .survival import fit_interval_censored, fit_survival
from .tobit import fit_tobit, fit_truncated_normal
from .trinity import ScoreTest, WaldTest, score_test, wald_test
from .zero_inflated import fit_zero_inflated

__version__ = "0.2.0"

__all__ = [
    "BootstrapResult",
    "CallbackError",
    "ConvergenceWarning",
    "ExactFitWarning",
    "FitResult",
    "HessianWarning",
    "LeastSquaresSolution",
    "Likelihood",
    "LikelihoodRatioTest",
    "Nesting",
    "PerfectSeparationError",
    "ScoreTest",
    "Summary",
    "WaldTest",
    "bootstrap",
    "covariance_from_hessian",
    "dataset_description",
    "em_e_step",
    "em_m_step",
    "fit_gamma",
    "fit_glmm",
    "fit_interval_censored",
    "fit_linear",
    "fit_linear_mixed",
    "fit_logistic",
    "fit_mle",
    "fit_negative_binomial",
    "fit_nonlinear",
    "fit_normal_mixture",
    "fit_poisson",
    "fit_student_t",
    "fit_survival",
    "fit_tobit",
    "fit_truncated_normal",
    "fit_zero_inflated",
    "glm_chunk_statistics",
    "likelihood_ratio_test",
    "list_datasets",
    "load_dataset",
    "log_likelihood",
    "map_reduce",
    "negative_log_likelihood",
    "negative_log_likelihood_gradient",
    "negative_log_likelihood_hessian",
    "normal_logpdf",
    "normal_pdf",
    "numerical_gradient",
    "numerical_hessian",
    "predict",
    "profile_interval",
    "profile_likelihood",
    "residuals",
    "score_test",
    "simulate_linear",
    "solve_least_squares",
    "starting_values",
    "wald_test",
]


def __dir__() -> list[str]:
    """The public API only (PEP 562): not the submodules, nor the names they import."""
    return sorted([*__all__, "__version__"])
