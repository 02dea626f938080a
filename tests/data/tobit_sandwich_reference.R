# Reference values for the sandwich and the cluster-robust covariance of Tobit regressions, from R's
# AER::tobit with sandwich::sandwich and sandwich::vcovCL (issue 18).
#
# Run from the repository root:
#
#     Rscript tests/data/tobit_sandwich_reference.R
#
# It reads tests/data/tobit.csv (written by tests/data/make_survival_inputs.py: n = 300,
# y* = 1.5 + 1.0 x1 - 1.5 x2 + 1.2 e, y_left = max(y*, 0), y_two = min(max(y*, 0), 2.5)) and writes
# tests/data/tobit_sandwich_reference.json. The Python tests only read the JSON file.
#
# Produced with R 4.2.2 Patched (2022-11-10 r83330), AER 1.2-10, sandwich 3.0-2 and survival 3.5-3 (Debian 12
# packages r-base-core, r-cran-aer, r-cran-sandwich, r-cran-survival; `apt-get install -y r-base-core
# r-cran-aer r-cran-sandwich`). The JSON is written by the small writer of tests/data/survreg_reference.R,
# every number with 17 significant digits (sprintf("%.17g")). Running the script again gives the same file.
#
# Models (the same fits as tobit_left and tobit_two_limit in survreg_reference.json):
#   left:       tobit(y_left ~ x1 + x2, left = 0)              y_left <= 0 is left-censored at 0
#   two_limit:  tobit(y_two ~ x1 + x2, left = 0, right = 2.5)  y_two <= 0 left-censored at 0, y_two >= 2.5
#               right-censored at 2.5. The upper limit 2.5 is the generator's clip (np.clip(y*, 0, 2.5) in
#               make_survival_inputs.py); in the data max(y_two) = 2.5, reached by 42 rows; 88 rows are 0.
# AER::tobit builds the Surv response and calls survival::survreg(dist = "gaussian"); extra arguments
# (control, init) are passed on to survreg.
#
# Convergence: survreg.control(rel.tolerance = 1e-13, maxiter = 100), then a restart from the answer
# (init = coefficients and log(scale)) with the same control; the script stops if either run hits maxiter.
#
# ---------------------------------------------------------------------------------------------------------
# Parameterization and what each matrix is (sandwich 3.0-2, AER 1.2-10; read from their sources)
# ---------------------------------------------------------------------------------------------------------
# theta = (beta, log sigma): coefficients beta (intercept, x1, x2), then "Log(scale)"; scale = sigma.
#   vcov         vcov(fit): inverse observed information in theta (survreg's).
#   estfun       sandwich's estfun.survreg: n x 4 per-observation scores d l_i / d theta, from
#                residuals(fit, type = "matrix"): cbind(dg * X, ds) (ds = d l_i / d log sigma). (There are
#                no interval-censored rows here, so survival 3.5-3's sign error in ds for interval-censored
#                rows, see survreg_robust_reference.R, does not arise; the script checks that the total
#                score is about zero.)
#   bread        AER's bread.tobit: n * vcov(fit).
#   sandwich     sandwich::sandwich(fit) = (1/n) bread meat bread with meat = crossprod(estfun)/n (meat's
#                default adjust = FALSE): = V (U'U) V, HC0, no small-sample factor.
#   vcovCL       sandwich::vcovCL(fit, cluster = id, type = "HC0", cadjust = FALSE) = V (sum_g u_g u_g') V,
#                u_g the sum of U's rows in cluster g: the plain cluster sum. In sandwich 3.0-2 meatCL's
#                defaults would add factors: cadjust = TRUE multiplies by G/(G - 1), and type = "HC1" (the
#                default only for lm objects; for other classes type = NULL means "HC0") by (n - 1)/(n - k).
#                We pass both explicitly. Also stored: vcovCL with the defaults (type = "HC0" for this
#                class, cadjust = TRUE), i.e. the plain sum times G/(G - 1).
# The script checks that survreg's own fit$var with robust = TRUE (and with cluster = id) is the same matrix
# as sandwich (and vcovCL with type = "HC0", cadjust = FALSE), to 1e-12 relative.
# All matrices are on the (beta, log sigma) scale. For (beta, sigma): J V J with J = diag(1, 1, 1, sigma).
#
# Cluster labels: id = (i - 1) %/% 4 for R's 1-based row number i: 0, 0, 0, 0, 1, 1, 1, 1, ... (blocks of 4
# consecutive rows, 75 clusters; numpy: np.arange(300) // 4), stored in the JSON (cluster_labels).

suppressPackageStartupMessages({
  library(survival)
  library(sandwich)
  library(AER)
})

control <- survreg.control(rel.tolerance = 1e-13, maxiter = 100)
TOBIT_UPPER <- 2.5

tobit_data <- read.csv("tests/data/tobit.csv")
n <- nrow(tobit_data)
id <- (seq_len(n) - 1) %/% 4
stopifnot(max(tobit_data$y_two) == TOBIT_UPPER, min(tobit_data$y_two) == 0, min(tobit_data$y_left) == 0)

fit_tobit <- function(formula, right) {
  # tobit() substitutes `right` into the formula, so pass it as a literal number via do.call
  fit1 <- do.call(tobit, list(formula = formula, left = 0, right = right, data = quote(tobit_data),
                              control = control))
  if (fit1$iter >= control$maxiter) stop("tobit hit maxiter")
  init <- c(coef(fit1), log(fit1$scale))
  fit <- do.call(tobit, list(formula = formula, left = 0, right = right, data = quote(tobit_data),
                             control = control, init = init))
  if (fit$iter >= control$maxiter) stop("tobit (restarted) hit maxiter")
  list(fit = fit, fit1 = fit1)
}

case_result <- function(name, formula, right, description) {
  f <- fit_tobit(formula, right)
  fit <- f$fit
  V <- vcov(fit)
  U <- estfun(fit)
  S <- sandwich(fit)
  CL <- vcovCL(fit, cluster = id, type = "HC0", cadjust = FALSE)
  CL_default <- vcovCL(fit, cluster = id)
  # the identities of the header, to rounding
  rel <- function(a, b) max(abs(a - b)) / max(abs(b))
  stopifnot(rel(S, V %*% crossprod(U) %*% V) < 1e-12,
            rel(CL, V %*% crossprod(rowsum(U, id)) %*% V) < 1e-12,
            rel(CL_default, CL * 75 / 74) < 1e-12,
            max(abs(colSums(U))) < 1e-8)
  # survreg's own robust and clustered variances (tobit passes robust = and cluster = on to survreg) agree
  init <- c(coef(fit), log(fit$scale))
  fit_r <- do.call(tobit, list(formula = formula, left = 0, right = right, data = quote(tobit_data),
                               control = control, init = init, robust = TRUE))
  fit_c <- do.call(tobit, list(formula = formula, left = 0, right = right, data = quote(tobit_data),
                               control = control, init = init, cluster = id))
  stopifnot(rel(fit_r$var, S) < 1e-12, rel(fit_c$var, CL) < 1e-12)
  y <- fit$y
  status <- y[, ncol(y)]
  list(
    name = name,
    input = "tests/data/tobit.csv",
    call = description,
    n = n,
    left_limit = 0,
    right_limit = if (is.finite(right)) right else "Inf",
    n_left_censored = sum(if (attr(y, "type") == "left") status == 0 else status == 2),
    n_right_censored = if (attr(y, "type") == "left") 0 else sum(status == 0),
    n_uncensored = sum(status == 1),
    coefficient_names = I(names(coef(fit))),
    coefficients = I(unname(coef(fit))),
    scale = fit$scale,
    log_scale = log(fit$scale),
    loglik = as.numeric(logLik(fit)),
    iterations = fit$iter,
    change_on_restart = max(abs(c(coef(fit) - coef(f$fit1), log(fit$scale) - log(f$fit1$scale)))),
    score_sum = I(unname(colSums(U))),
    vcov_names = I(colnames(V)),
    vcov = unname(V),
    sandwich = unname(S),
    cluster_definition = "id = (i - 1) %/% 4 for the 1-based row number i (0-based blocks of 4 rows)",
    n_clusters = length(unique(id)),
    cluster_labels = I(id),
    vcov_cluster = unname(CL),
    vcov_cluster_default_adjusted = unname(CL_default)
  )
}

results <- list(
  left = case_result("left", y_left ~ x1 + x2, Inf, "AER::tobit(y_left ~ x1 + x2, left = 0, data = tobit)"),
  two_limit = case_result("two_limit", y_two ~ x1 + x2, TOBIT_UPPER,
                          "AER::tobit(y_two ~ x1 + x2, left = 0, right = 2.5, data = tobit)")
)

# ---- JSON writer (base R; the same as in survreg_reference.R) -------------------------------------------
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
    "Tobit: y* = x'beta + sigma * e, e standard normal; y = y* if left < y* < right, y = left (censored)",
    "if y* <= left, y = right (censored) if y* >= right. Observations with y <= left (y >= right) are",
    "treated as censored. loglik = logLik(fit) = sum of log(phi((y - x'beta)/sigma)/sigma) over uncensored,",
    "log Phi((left - x'beta)/sigma) over left-censored, log(1 - Phi((right - x'beta)/sigma)) over",
    "right-censored observations."),
  parameter_scale = paste(
    "theta = (beta, log sigma) in the order of vcov_names (intercept, x1, x2, 'Log(scale)'); scale = sigma,",
    "log_scale = log(sigma). vcov, sandwich, vcov_cluster and vcov_cluster_default_adjusted are ALL on this",
    "(beta, log sigma) scale; for (beta, sigma) use J M J with J = diag(1, 1, 1, sigma)."),
  vcov = "vcov(fit): the inverse observed information (survreg's), V.",
  sandwich = paste(
    "sandwich::sandwich(fit) = V (U'U) V, U = sandwich::estfun(fit) the n x 4 per-observation scores",
    "d l_i / d theta (columns as vcov_names). HC0: no n/(n - k) factor (meat's adjust = FALSE)."),
  vcov_cluster = paste(
    "sandwich::vcovCL(fit, cluster = id, type = 'HC0', cadjust = FALSE) = V (sum_g u_g u_g') V, u_g the",
    "sum of U's rows with cluster label g (cluster_labels): the plain cluster sum, no G/(G - 1), no",
    "(n - 1)/(n - k)."),
  vcov_cluster_default_adjusted = paste(
    "sandwich::vcovCL(fit, cluster = id) with sandwich 3.0-2's defaults for this class (type 'HC0',",
    "cadjust = TRUE) = vcov_cluster * G/(G - 1), G = n_clusters = 75."),
  score_sum = "colSums(estfun(fit)): the total score at the stored estimate (about zero).",
  convergence = paste(
    "survreg.control(rel.tolerance = 1e-13, maxiter = 100) passed through tobit(), then a restart from",
    "the answer with the same control; change_on_restart = the largest change of a parameter;",
    "iterations = the restart's iteration count.")
)

out <- list(
  generated_by = "Rscript tests/data/tobit_sandwich_reference.R (from the repository root)",
  R_version = R.version.string,
  AER_version = packageDescription("AER")$Version,
  sandwich_version = packageDescription("sandwich")$Version,
  survival_version = packageDescription("survival")$Version,
  control = list(rel_tolerance = control$rel.tolerance, maxiter = control$maxiter),
  notes = notes,
  cases = results
)
writeLines(to_json(out), "tests/data/tobit_sandwich_reference.json", useBytes = TRUE)
cat("wrote tests/data/tobit_sandwich_reference.json\n")
for (r in results) {
  cat(sprintf("%-10s loglik=%.10f scale=%.8f iter=%d restart=%.1e |score|=%.1e coef=%s\n", r$name, r$loglik,
              r$scale, r$iterations, r$change_on_restart, max(abs(r$score_sum)),
              paste(sprintf("%.8f", r$coefficients), collapse = " ")))
  cat(sprintf("%10s se %s\n%10s se sandwich %s\n%10s se cluster %s\n", "",
              paste(sprintf("%.6f", sqrt(diag(r$vcov))), collapse = " "), "",
              paste(sprintf("%.6f", sqrt(diag(r$sandwich))), collapse = " "), "",
              paste(sprintf("%.6f", sqrt(diag(r$vcov_cluster))), collapse = " ")))
}
