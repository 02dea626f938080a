# Reference values for linear and generalized linear mixed models, from R's lme4 (lmer and glmer).
#
# Run from the repository root:
#
#     Rscript tests/data/lme4_reference.R
#
# It reads CSV files (the shipped dataset mle_tutorial/datasets/grunfeld.csv and the inputs in tests/data/,
# written by tests/data/make_mixed_inputs.py) and writes tests/data/lme4_reference.json. The tests
# (tests/test_mixed_reference.py) only read the JSON file: R is not needed to run them.
#
# Produced with R 4.2.2 Patched (2022-11-10 r83330), lme4 1.1-31, Matrix 1.5-3 and minqa 1.2.5 (Debian 12
# packages r-base-core and r-cran-lme4; install with `apt-get install -y r-base-core r-cran-lme4`). Only base
# R and lme4 are used; the JSON is written by a small writer below, every number with 17 significant digits
# (sprintf("%.17g")), which reads back to the identical double. Running the script again gives the same file.
#
# Convergence: every fit uses bobyqa (minqa) with rhoend = 1e-12 and maxfun = 1e5 (lme4's defaults stop far
# earlier), PIRLS tolerance tolPwrss = 1e-13 for glmer, and is then restarted from its own answer with the
# same control (change_on_restart = the largest change of theta or beta in the restart; the second answer is
# kept). Besides the fits, the script evaluates lme4's own objective (devFunOnly = TRUE) at the estimate and
# at two other points, so that the tests compare the likelihood itself, not only two optimizers' answers.
#
# ---------------------------------------------------------------------------------------------------------
# lme4's parameterization (the "notes" of the JSON repeat this)
# ---------------------------------------------------------------------------------------------------------
# y = X beta + Z b + e, b ~ N(0, Sigma) per group (lmer: Sigma = sigma^2 Lambda Lambda', e ~ N(0, sigma^2 I);
# glmer: Sigma = Lambda Lambda'). theta = the lower triangle of Lambda, column by column. sd and corr are
# those of Sigma (VarCorr): sd per random effect, corr row by row ((1,2), (1,3), (2,3)).
# lmer: devfun(theta) is -2 profiled log-likelihood (REML = FALSE) or the REML criterion (REML = TRUE);
#       logLik(fit) = -devfun(theta-hat) / 2. vcov(fit) = sigma^2 (X' V~^-1 X)^-1 at the estimate.
# glmer: devfun(c(theta, beta)) = -2 log of the Laplace approximation (nAGQ = 1) or of the adaptive
#       Gauss-Hermite quadrature (nAGQ > 1) of the marginal likelihood. NOTE: for nAGQ > 1 lme4 leaves out
#       the saturated log-likelihood sum(log f(y_i | mu_i = y_i)) (it sums deviance residuals), so that its
#       logLik is not the log-likelihood for binomial counts or Poisson data (it is for 0/1 data, whose
#       saturated log-likelihood is 0); `saturated` gives that sum, and logLik + saturated is the
#       log-likelihood. vcov(fit) is lme4's default with calc.derivs = TRUE (use.hessian = TRUE: the beta block
#       of the inverse of a finite-difference Hessian of devfun/2 in (theta, beta)).
#       lme4's PIRLS stops short of the exact conditional modes even with tolPwrss = 1e-13: its Laplace
#       devfun values differ from a 40-digit evaluation by up to about 5e-9 relative (tests/test_mixed_reference.py
#       shows it); its quadrature values (nAGQ > 1) agree to about 1e-12.
# ranef(fit, condVar = TRUE): the conditional modes b-hat of each group (lmer: the BLUPs) and their
# conditional variances (attribute postVar), groups in the order of the factor levels (1, 2, ...).

suppressPackageStartupMessages(library(lme4))

RHOEND <- 1e-12
MAXFUN <- 1e5
TOL_PWRSS <- 1e-13
lmer_control <- lmerControl(optimizer = "bobyqa", optCtrl = list(rhoend = RHOEND, maxfun = MAXFUN),
                            check.conv.singular = "ignore", calc.derivs = FALSE)
glmer_control <- glmerControl(optimizer = c("bobyqa", "bobyqa"), optCtrl = list(rhoend = RHOEND, maxfun = MAXFUN),
                              tolPwrss = TOL_PWRSS, check.conv.singular = "ignore", calc.derivs = TRUE)

read_input <- function(path) {
  d <- read.csv(path)
  d$g <- factor(d$g)
  d
}

grunfeld <- read.csv("mle_tutorial/datasets/grunfeld.csv")
grunfeld$g <- factor(grunfeld$firm)
grunfeld$log_invest <- log(grunfeld$invest)
grunfeld$log_value <- log(grunfeld$value)
grunfeld$log_capital <- log(grunfeld$capital)
slopes <- read_input("tests/data/mixed_slopes.csv")
three <- read_input("tests/data/mixed_three.csv")
boundary <- read_input("tests/data/mixed_boundary.csv")
binary <- read_input("tests/data/glmm_binary.csv")
binomial_counts <- read_input("tests/data/glmm_binomial.csv")
binomial_counts$period <- factor(binomial_counts$period)
counts <- read_input("tests/data/glmm_poisson.csv")

varcorr <- function(fit) {
  vc <- VarCorr(fit)$g
  sd <- as.numeric(attr(vc, "stddev"))
  R <- attr(vc, "correlation")
  corr <- if (nrow(R) > 1) R[upper.tri(R)][order(row(R)[upper.tri(R)], col(R)[upper.tri(R)])] else numeric(0)
  list(sd = I(sd), corr = I(corr))
}

random_effects <- function(fit) {
  re <- ranef(fit, condVar = TRUE)$g
  V <- attr(re, "postVar")  # q x q x G
  list(modes = as.matrix(re), se = t(apply(V, 3, function(v) sqrt(diag(v)))))
}

restart_change <- function(a, b) max(abs(c(getME(a, "theta") - getME(b, "theta"), fixef(a) - fixef(b))))

lmer_case <- function(name, input, formula, data, REML) {
  fit1 <- lmer(formula, data, REML = REML, control = lmer_control)
  fit <- update(fit1, start = getME(fit1, "theta"))
  devfun <- lmer(formula, data, REML = REML, control = lmer_control, devFunOnly = TRUE)
  theta <- getME(fit, "theta")
  diagonal <- getME(fit, "lower") == 0
  points <- list(theta, ifelse(diagonal, 0.7 * theta + 0.05, 0.7 * theta), ifelse(diagonal, theta + 0.3, theta - 0.1))
  re <- random_effects(fit)
  if (is.null(dim(re$se)) || ncol(re$modes) == 1) re$se <- matrix(re$se, ncol = 1)
  vc <- varcorr(fit)
  list(name = name, input = input, formula = paste(deparse(formula), collapse = ""), kind = "lmer",
       REML = REML, n = nrow(data), groups = nlevels(data$g), loglik = as.numeric(logLik(fit)),
       beta = I(as.numeric(fixef(fit))), beta_names = I(names(fixef(fit))), theta = I(as.numeric(theta)),
       sd = vc$sd, corr = vc$corr, sigma = sigma(fit), singular = isSingular(fit),
       vcov_beta = as.matrix(vcov(fit)), modes = re$modes, modes_se = re$se,
       devfun = lapply(points, function(th) list(theta = I(as.numeric(th)), value = devfun(th))),
       change_on_restart = restart_change(fit, fit1))
}

saturated <- function(family, y, trials) {
  if (family == "poisson") return(sum(dpois(y, y, log = TRUE)))
  sum(dbinom(y, trials, y / trials, log = TRUE))
}

glmer_case <- function(name, input, formula, data, family, nAGQ, trials = NULL) {
  fam <- if (family == "poisson") poisson() else binomial()
  fit1 <- glmer(formula, data, family = fam, nAGQ = nAGQ, control = glmer_control)
  fit <- update(fit1, start = list(theta = getME(fit1, "theta"), fixef = fixef(fit1)))
  devfun <- glmer(formula, data, family = fam, nAGQ = nAGQ, control = glmer_control, devFunOnly = TRUE)
  theta <- getME(fit, "theta")
  beta <- fixef(fit)
  diagonal <- getME(fit, "lower") == 0
  points <- list(c(theta, beta), c(ifelse(diagonal, 0.7 * theta + 0.05, 0.7 * theta), beta + 0.1),
                 c(ifelse(diagonal, theta + 0.3, theta - 0.1), beta - 0.2))
  values <- lapply(points, function(x) list(params = I(as.numeric(x)), value = devfun(x)))
  re <- random_effects(fit)
  if (ncol(re$modes) == 1) re$se <- matrix(re$se, ncol = 1)
  vc <- varcorr(fit)
  m <- if (is.null(trials)) rep(1, nrow(data)) else data[[trials]]
  list(name = name, input = input, formula = paste(deparse(formula), collapse = ""), kind = "glmer",
       family = family, nAGQ = nAGQ, n = nrow(data), groups = nlevels(data$g),
       loglik = as.numeric(logLik(fit)), saturated = saturated(family, data$y, m),
       beta = I(as.numeric(beta)), beta_names = I(names(beta)), theta = I(as.numeric(theta)),
       sd = vc$sd, corr = vc$corr, singular = isSingular(fit), vcov_beta = as.matrix(vcov(fit)),
       modes = re$modes, modes_se = re$se, devfun = values, change_on_restart = restart_change(fit, fit1))
}

results <- list(
  lmer_case("grunfeld_intercept_ml", "grunfeld", log_invest ~ log_value + log_capital + (1 | g), grunfeld, FALSE),
  lmer_case("grunfeld_intercept_reml", "grunfeld", log_invest ~ log_value + log_capital + (1 | g), grunfeld, TRUE),
  lmer_case("grunfeld_capital_ml", "grunfeld", log_invest ~ log_value + log_capital + (1 + log_capital | g),
            grunfeld, FALSE),
  lmer_case("grunfeld_capital_reml", "grunfeld", log_invest ~ log_value + log_capital + (1 + log_capital | g),
            grunfeld, TRUE),
  lmer_case("grunfeld_value_ml", "grunfeld", log_invest ~ log_value + log_capital + (1 + log_value | g),
            grunfeld, FALSE),
  lmer_case("slopes_ml", "mixed_slopes", y ~ days + (1 + days | g), slopes, FALSE),
  lmer_case("slopes_reml", "mixed_slopes", y ~ days + (1 + days | g), slopes, TRUE),
  lmer_case("three_ml", "mixed_three", y ~ x1 + x2 + (1 + x1 + x2 | g), three, FALSE),
  lmer_case("boundary_ml", "mixed_boundary", y ~ x + (1 | g), boundary, FALSE),
  lmer_case("boundary_reml", "mixed_boundary", y ~ x + (1 | g), boundary, TRUE),
  glmer_case("binary_laplace", "glmm_binary", y ~ x + (1 | g), binary, "binomial", 1),
  glmer_case("binary_agq5", "glmm_binary", y ~ x + (1 | g), binary, "binomial", 5),
  glmer_case("binary_agq25", "glmm_binary", y ~ x + (1 | g), binary, "binomial", 25),
  glmer_case("binomial_laplace", "glmm_binomial", cbind(y, trials - y) ~ period + (1 | g), binomial_counts,
             "binomial", 1, trials = "trials"),
  glmer_case("binomial_agq9", "glmm_binomial", cbind(y, trials - y) ~ period + (1 | g), binomial_counts,
             "binomial", 9, trials = "trials"),
  glmer_case("poisson_slope_laplace", "glmm_poisson", y ~ x + (1 + x | g), counts, "poisson", 1),
  glmer_case("poisson_laplace", "glmm_poisson", y ~ x + (1 | g), counts, "poisson", 1),
  glmer_case("poisson_agq7", "glmm_poisson", y ~ x + (1 | g), counts, "poisson", 7)
)
names(results) <- vapply(results, function(r) r$name, "")

# ---- JSON writer (base R) ---------------------------------------------------------------------------------
# I(x) marks a vector that must be a JSON array even when it has length 1; a matrix becomes an array of rows.
json_string <- function(s) {
  s <- gsub("\\", "\\\\", s, fixed = TRUE)
  s <- gsub("\"", "\\\"", s, fixed = TRUE)
  paste0("\"", s, "\"")
}
json_number <- function(x) {
  if (!all(is.finite(x))) stop("non-finite number in the results")
  sprintf("%.17g", x)
}
to_json <- function(x, indent = "") {
  inner <- paste0(indent, "  ")
  if (is.list(x)) {
    if (length(x) == 0) return(if (is.null(names(x))) "[]" else "{}")
    items <- vapply(x, to_json, "", indent = inner)
    if (is.null(names(x))) {
      return(paste0("[\n", inner, paste(items, collapse = paste0(",\n", inner)), "\n", indent, "]"))
    }
    keys <- vapply(names(x), json_string, "")
    return(paste0("{\n", inner, paste0(keys, ": ", items, collapse = paste0(",\n", inner)), "\n", indent, "}"))
  }
  if (is.matrix(x)) {
    rows <- vapply(seq_len(nrow(x)), function(i) to_json(I(x[i, ])), "")
    return(paste0("[\n", inner, paste(rows, collapse = paste0(",\n", inner)), "\n", indent, "]"))
  }
  as_array <- inherits(x, "AsIs") || length(x) != 1
  vals <- if (is.character(x)) vapply(x, json_string, "") else
    if (is.logical(x)) ifelse(x, "true", "false") else json_number(as.numeric(x))
  if (as_array) paste0("[", paste(vals, collapse = ", "), "]") else unname(vals)
}

notes <- list(
  model = paste(
    "y = X beta + Z b + e, b ~ N(0, Sigma) per group g; lmer: Sigma = sigma^2 Lambda Lambda', glmer: Sigma =",
    "Lambda Lambda'; theta = lower triangle of Lambda, column by column; sd, corr of Sigma (corr row by row)."),
  devfun = paste(
    "lmer: devfun(theta) = -2 profiled log-likelihood (ML) or the REML criterion; glmer: devfun(c(theta,",
    "beta)) = -2 log Laplace (nAGQ = 1) or adaptive Gauss-Hermite (nAGQ > 1) marginal likelihood;",
    "logLik = -devfun(estimate) / 2."),
  agq = paste(
    "for nAGQ > 1 lme4 leaves out the saturated log-likelihood (saturated): the log-likelihood is",
    "logLik + saturated (saturated is 0 for 0/1 data)."),
  ranef = "modes and modes_se: ranef(fit, condVar = TRUE), groups in factor-level order 1, 2, ...",
  convergence = paste(
    "bobyqa with rhoend = 1e-12, maxfun = 1e5 (glmer: both stages; tolPwrss = 1e-13), then a restart from the",
    "answer with the same control; change_on_restart = largest change of theta or beta in the restart.")
)

out <- list(
  generated_by = "Rscript tests/data/lme4_reference.R (from the repository root)",
  R_version = R.version.string,
  lme4_version = packageDescription("lme4")$Version,
  Matrix_version = packageDescription("Matrix")$Version,
  minqa_version = packageDescription("minqa")$Version,
  control = list(rhoend = RHOEND, maxfun = MAXFUN, tolPwrss = TOL_PWRSS),
  notes = notes,
  cases = results
)
writeLines(to_json(out), "tests/data/lme4_reference.json", useBytes = TRUE)
cat("wrote tests/data/lme4_reference.json:", length(results), "cases\n")
for (r in results) {
  cat(sprintf("%-24s loglik=%.10f restart=%.2e theta=%s beta=%s\n", r$name, r$loglik, r$change_on_restart,
              paste(sprintf("%.7f", r$theta), collapse = " "), paste(sprintf("%.7f", r$beta), collapse = " ")))
}
