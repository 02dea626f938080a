# Reference values for censored-data likelihoods, from R's survival::survreg (and, for the truncated
# normal regression, which survreg cannot fit, a direct maximization in base R).
#
# Run from the repository root:
#
#     Rscript tests/data/survreg_reference.R
#
# It reads CSV files (the shipped datasets mle_tutorial/datasets/gehan.csv and veteran.csv, and the inputs in
# tests/data/, written by tests/data/make_survival_inputs.py) and writes tests/data/survreg_reference.json.
# The tests (tests/test_survival_reference.py) only read the JSON file: R is not needed to run them.
#
# Produced with R 4.2.2 Patched (2022-11-10 r83330) and survival 3.5-3 (Debian 12 packages r-base-core and
# r-cran-survival; install with `apt-get install -y r-base-core r-cran-survival`). Only base R and survival
# are used; the JSON is written by a small writer below, every number with 17 significant digits
# (sprintf("%.17g")), which reads back to the identical double. Running the script again gives the same file.
#
# Convergence: survreg stops when the relative change of the log-likelihood is below rel.tolerance (default
# 1e-9). We use survreg.control(rel.tolerance = 1e-13, maxiter = 100) and then restart survreg from its own
# answer (init = the estimates and log(scale)) for a second run with the same control, keeping the second
# answer; the script stops if either run hits maxiter. The score at the stored estimates is checked in
# Python (tests/test_survival_reference.py).
#
# ---------------------------------------------------------------------------------------------------------
# survreg's model and parameterization (the "notes" of the JSON repeat this)
# ---------------------------------------------------------------------------------------------------------
# Accelerated failure time:  log T = x'beta + sigma * W  (for dist = "gaussian": Y = x'beta + sigma * W),
# coefficients beta are on the log-time scale, intercept first; scale = sigma; vcov(fit) is the inverse of
# the observed information in (beta, log sigma) (the exponential has sigma fixed at 1, so no log-scale row).
#
#   dist          W                              T (or Y) in scipy.stats terms, with mu = x'beta
#   weibull       standard minimum extreme value weibull_min(c = 1/sigma, scale = exp(mu)); log T ~ gumbel_l(mu, sigma)
#                 (Gumbel-min), P(W > w) = exp(-e^w) usual Weibull shape k = 1/sigma, scale lambda = exp(mu)
#   exponential   as weibull with sigma = 1      expon(scale = exp(mu)): rate = exp(-mu)
#   lognormal     standard normal                lognorm(s = sigma, scale = exp(mu)); log T ~ norm(mu, sigma)
#   loglogistic   standard logistic              fisk(c = 1/sigma, scale = exp(mu)); log T ~ logistic(mu, sigma)
#   gaussian      standard normal                Y ~ norm(mu, sigma)  (no log: this is Tobit)
#
# The log-likelihood fit$loglik[2] (= logLik(fit)) is that of the data on the ORIGINAL time scale:
#   sum over exact observations of log f_T(t), plus log S(t) = log P(T > t) for right-censored ones,
#   log F(t) for left-censored ones and log(F(t2) - F(t1)) for interval-censored ones.
# survreg fits log T with the distribution of W and then adds the Jacobian, -sum(log t) over the exact
# observations (survreg's "logcorrect"); censored observations are probabilities, the same on both scales.
# For dist = "gaussian" there is no transformation. The test recomputes these sums with scipy.stats.
#
# Truncated normal regression (no truncreg package in Debian): y observed only when y > 0, y ~ N(x'b, s^2)
# truncated to (0, Inf); log-likelihood sum[ log phi((y - mu)/s) - log s - log(1 - Phi((0 - mu)/s)) ],
# maximized here with optim (BFGS, analytic gradient) followed by Newton steps with the analytic Hessian;
# tests/data/make_truncreg_reference.py maximizes it independently in Python with mpmath (50 digits).

suppressPackageStartupMessages(library(survival))

control <- survreg.control(rel.tolerance = 1e-13, maxiter = 100)

read_input <- function(path) read.csv(path, na.strings = "NA")

# ---- cases ------------------------------------------------------------------------------------------------
gehan <- read_input("mle_tutorial/datasets/gehan.csv")
veteran <- read_input("mle_tutorial/datasets/veteran.csv")
# cell type as three indicators (squamous, celltype 1, is the baseline), so that every coefficient is a column
veteran$smallcell <- as.numeric(veteran$celltype == 2)
veteran$adeno <- as.numeric(veteran$celltype == 3)
veteran$large <- as.numeric(veteran$celltype == 4)
aft <- read_input("tests/data/survival_aft.csv")
left <- read_input("tests/data/survival_left.csv")
interval <- read_input("tests/data/survival_interval.csv")
tobit <- read_input("tests/data/tobit.csv")
truncreg <- read_input("tests/data/truncreg.csv")
nist <- read_input("tests/data/nist_weibull.csv")

# Tobit with two limits, in interval2 coding: y <= 0 is left-censored at 0, y >= 2.5 right-censored at 2.5
TOBIT_LOWER <- 0
TOBIT_UPPER <- 2.5
tobit$y1 <- ifelse(tobit$y_two <= TOBIT_LOWER, NA, tobit$y_two)
tobit$y2 <- ifelse(tobit$y_two >= TOBIT_UPPER, NA, tobit$y_two)

cases <- list()
add_case <- function(name, input, formula, dist, data, censoring) {
  cases[[length(cases) + 1]] <<- list(name = name, input = input, formula = formula, dist = dist,
                                      data = data, censoring = censoring)
}
for (d in c("exponential", "weibull", "lognormal", "loglogistic")) {
  add_case(paste0("gehan_null_", d), "mle_tutorial/datasets/gehan.csv",
           Surv(time, event) ~ 1, d, gehan, "right")
  add_case(paste0("gehan_group_", d), "mle_tutorial/datasets/gehan.csv",
           Surv(time, event) ~ group, d, gehan, "right")
  add_case(paste0("aft_", d), "tests/data/survival_aft.csv",
           Surv(time, event) ~ x1 + x2 + x3, d, aft, "right")
}
for (d in c("exponential", "weibull", "lognormal")) {
  add_case(paste0("veteran_", d), "mle_tutorial/datasets/veteran.csv",
           Surv(time, event) ~ trt + karno + diagtime + age + prior + smallcell + adeno + large, d, veteran,
           "right")
}
for (d in c("weibull", "lognormal")) {
  add_case(paste0("left_", d), "tests/data/survival_left.csv",
           Surv(time, event, type = "left") ~ x1, d, left, "left")
  add_case(paste0("interval_", d), "tests/data/survival_interval.csv",
           Surv(time1, time2, type = "interval2") ~ x1, d, interval, "interval2")
  add_case(paste0("nist_", d), "tests/data/nist_weibull.csv",
           Surv(time, event) ~ 1, d, nist, "right")
}
add_case("tobit_left", "tests/data/tobit.csv",
         Surv(y_left, y_left > 0, type = "left") ~ x1 + x2, "gaussian", tobit, "left")
add_case("tobit_two_limit", "tests/data/tobit.csv",
         Surv(y1, y2, type = "interval2") ~ x1 + x2, "gaussian", tobit, "interval2")

# ---- fitting --------------------------------------------------------------------------------------------
fit_case <- function(case) {
  fit1 <- survreg(case$formula, data = case$data, dist = case$dist, control = control)
  if (fit1$iter >= control$maxiter) stop(case$name, ": survreg hit maxiter")
  init <- coef(fit1)
  if (case$dist != "exponential") init <- c(init, log(fit1$scale))
  fit <- survreg(case$formula, data = case$data, dist = case$dist, control = control, init = init)
  if (fit$iter >= control$maxiter) stop(case$name, ": survreg (restarted) hit maxiter")
  V <- vcov(fit)
  y <- fit$y  # the response's Surv object
  status <- y[, ncol(y)]
  # Surv's status codes: type "right": 1 exact, 0 right-censored; type "left": 1 exact, 0 left-censored;
  # type "interval" (from interval2): 1 exact, 0 right, 2 left, 3 interval-censored. Recode to the last.
  if (attr(y, "type") == "left") status <- ifelse(status == 1, 1, 2)
  stopifnot(attr(y, "type") %in% c("right", "left", "interval"))
  list(
    name = case$name,
    input = case$input,
    formula = paste(deparse(case$formula), collapse = " "),
    dist = case$dist,
    censoring = case$censoring,
    n = nrow(y),
    n_exact = sum(status == 1),
    n_right = sum(status == 0),
    n_left = sum(status == 2),
    n_interval = sum(status == 3),
    coefficient_names = I(names(coef(fit))),
    coefficients = I(unname(coef(fit))),
    scale = fit$scale,
    log_scale = log(fit$scale),
    scale_fixed = case$dist == "exponential",
    loglik = fit$loglik[2],
    loglik_intercept_only = fit$loglik[1],
    vcov_names = I(colnames(V)),
    vcov = unname(V),
    change_on_restart = max(abs(c(coef(fit) - coef(fit1), log(fit$scale) - log(fit1$scale))))
  )
}

results <- lapply(cases, fit_case)
names(results) <- vapply(results, function(r) r$name, "")

# ---- truncated normal regression (left-truncated at 0) ---------------------------------------------------
trunc_point <- 0
X <- cbind("(Intercept)" = 1, x1 = truncreg$x1, x2 = truncreg$x2)
yt <- truncreg$y
p <- ncol(X)
# theta = (beta, log sigma); mills = phi(a)/(1 - Phi(a)) with a = (c - mu)/sigma, computed in logs
trunc_loglik <- function(theta) {
  b <- theta[1:p]; s <- exp(theta[p + 1]); mu <- drop(X %*% b)
  z <- (yt - mu) / s; a <- (trunc_point - mu) / s
  sum(dnorm(z, log = TRUE) - log(s) - pnorm(a, lower.tail = FALSE, log.p = TRUE))
}
trunc_parts <- function(theta) {
  b <- theta[1:p]; s <- exp(theta[p + 1]); mu <- drop(X %*% b)
  z <- (yt - mu) / s; a <- (trunc_point - mu) / s
  lam <- exp(dnorm(a, log = TRUE) - pnorm(a, lower.tail = FALSE, log.p = TRUE))  # inverse Mills ratio
  list(s = s, z = z, a = a, lam = lam)
}
trunc_grad <- function(theta) {
  q <- trunc_parts(theta)
  # d/dmu: z/s - lam/s ; d/dlog s: z^2 - 1 - a*lam
  c(drop(crossprod(X, (q$z - q$lam) / q$s)), sum(q$z^2 - 1 - q$a * q$lam))
}
trunc_hess <- function(theta) {
  q <- trunc_parts(theta)
  # dlam/da = lam*(lam - a); a depends on mu (da/dmu = -1/s) and on log s (da/dlog s = -a)
  dl <- q$lam * (q$lam - q$a)
  w_mm <- (-1 + dl) / q$s^2                      # d2/dmu2
  w_ml <- (-2 * q$z + q$lam + q$a * dl) / q$s      # d2/dmu dlog s
  w_ll <- -2 * q$z^2 + q$a * q$lam + q$a^2 * dl    # d2/dlog s^2
  H <- matrix(0, p + 1, p + 1)
  H[1:p, 1:p] <- crossprod(X, X * w_mm)
  H[1:p, p + 1] <- H[p + 1, 1:p] <- drop(crossprod(X, w_ml))
  H[p + 1, p + 1] <- sum(w_ll)
  H
}
start <- c(qr.solve(X, yt), log(sd(yt)))
opt <- optim(start, function(th) -trunc_loglik(th), function(th) -trunc_grad(th), method = "BFGS",
             control = list(reltol = 1e-15, maxit = 10000))
theta <- opt$par
for (k in 1:20) {  # Newton polishing with the analytic Hessian
  step <- solve(trunc_hess(theta), trunc_grad(theta))
  theta <- theta - step
  if (max(abs(step)) < 1e-15) break
}
stopifnot(max(abs(trunc_grad(theta))) < 1e-8)
Vt <- solve(-trunc_hess(theta))
Vt <- (Vt + t(Vt)) / 2
dimnames(Vt) <- NULL
results[["truncreg_left"]] <- list(
  name = "truncreg_left",
  input = "tests/data/truncreg.csv",
  formula = "y ~ x1 + x2, y observed only when y > 0 (left truncation at 0)",
  dist = "truncated gaussian",
  censoring = "none (truncated sample)",
  n = length(yt),
  truncation_point = trunc_point,
  coefficient_names = I(colnames(X)),
  coefficients = I(theta[1:p]),
  scale = exp(theta[p + 1]),
  log_scale = theta[p + 1],
  scale_fixed = FALSE,
  loglik = trunc_loglik(theta),
  vcov_names = I(c(colnames(X), "Log(scale)")),
  vcov = Vt,
  max_abs_score = max(abs(trunc_grad(theta))),
  method = "base R: optim BFGS (reltol 1e-15, analytic gradient), then Newton steps with the analytic Hessian"
)

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
    "survreg's accelerated failure time model: log T = x'beta + sigma * W (dist = 'gaussian': Y = x'beta +",
    "sigma * W, no log). coefficients are beta on the log-time scale, intercept first; scale = sigma;",
    "log_scale = log(sigma); vcov = vcov(fit), the inverse observed information in (beta, log sigma),",
    "rows/columns named in vcov_names ('Log(scale)' last; absent for the exponential, whose sigma is fixed",
    "at 1)."),
  weibull = paste(
    "W standard minimum extreme value (P(W > w) = exp(-exp(w))): T ~ scipy.stats.weibull_min(c = 1/sigma,",
    "scale = exp(x'beta)), i.e. usual Weibull shape k = 1/sigma and scale lambda = exp(x'beta);",
    "log T ~ scipy.stats.gumbel_l(loc = x'beta, scale = sigma)."),
  exponential = "Weibull with sigma = 1: T ~ scipy.stats.expon(scale = exp(x'beta)), rate exp(-x'beta).",
  lognormal = "W standard normal: T ~ scipy.stats.lognorm(s = sigma, scale = exp(x'beta)).",
  loglogistic = "W standard logistic: T ~ scipy.stats.fisk(c = 1/sigma, scale = exp(x'beta)).",
  gaussian = "W standard normal, no transformation: Y ~ scipy.stats.norm(loc = x'beta, scale = sigma) (Tobit).",
  loglik = paste(
    "loglik = fit$loglik[2] = logLik(fit): the log-likelihood of the data on the ORIGINAL time scale, i.e.",
    "sum of log f_T(t) over exact observations (density of T, not of log T: survreg adds the Jacobian",
    "-sum(log t) over exact observations to the log-scale likelihood), log S(t) over right-censored,",
    "log F(t) over left-censored and log(F(t2) - F(t1)) over interval-censored observations.",
    "loglik_intercept_only = fit$loglik[1], the intercept-only model's maximum (same definition)."),
  censoring = paste(
    "'right': Surv(time, event), event 1 = observed, 0 = right-censored at time. 'left': Surv(time,",
    "event, type = 'left'), event 0 = the value is only known to be <= time. 'interval2': Surv(time1,",
    "time2, type = 'interval2'): time1 == time2 exact, time1 NA left-censored at time2, time2 NA",
    "right-censored at time1, time1 < time2 interval-censored in (time1, time2]. tobit_two_limit: y_two <=",
    "0 is left-censored at 0 and y_two >= 2.5 right-censored at 2.5 (time1 = NA if y_two <= 0 else y_two,",
    "time2 = NA if y_two >= 2.5 else y_two)."),
  truncreg = paste(
    "truncreg_left is not from survreg: y ~ N(x'beta, sigma^2) truncated to y > 0; log-likelihood",
    "sum[log phi((y - x'beta)/sigma) - log sigma - log(1 - Phi(-x'beta/sigma))]; maximized in base R",
    "(see method); vcov is the inverse of minus the analytic Hessian in (beta, log sigma).",
    "tests/data/truncreg_reference.json holds an independent 50-digit mpmath maximization."),
  convergence = paste(
    "survreg.control(rel.tolerance = 1e-13, maxiter = 100), then a restart from the answer with the",
    "same control (change_on_restart = largest change of a parameter in the restart)."),
  nist = paste(
    "nist_weibull.csv is the Type I censored example of the NIST/SEMATECH e-Handbook of Statistical",
    "Methods, section 8.4.1.3, which reports the Weibull MLE eta = 606.5280 (= exp(intercept)), shape",
    "beta = 1.7208 (= 1/scale), AIC 154.27 for the Weibull and 154.39 for the log-normal.")
)

out <- list(
  generated_by = "Rscript tests/data/survreg_reference.R (from the repository root)",
  R_version = R.version.string,
  survival_version = packageDescription("survival")$Version,
  control = list(rel_tolerance = control$rel.tolerance, maxiter = control$maxiter,
                 toler_chol = control$toler.chol),
  notes = notes,
  cases = results
)
writeLines(to_json(out), "tests/data/survreg_reference.json", useBytes = TRUE)
cat("wrote tests/data/survreg_reference.json:", length(results), "cases\n")
for (r in results) {
  cat(sprintf("%-26s n=%3d loglik=%.10f scale=%.8f coef=%s\n", r$name, r$n, r$loglik, r$scale,
              paste(sprintf("%.8f", r$coefficients), collapse = " ")))
}
