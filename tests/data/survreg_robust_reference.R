# Reference values for robust (sandwich) and cluster-robust covariances of censored-data regressions, from
# R's survival::survreg(..., robust = TRUE) and survreg(..., cluster = id) (issue 18).
#
# Run from the repository root:
#
#     Rscript tests/data/survreg_robust_reference.R
#
# It reads CSV files (the shipped dataset mle_tutorial/datasets/gehan.csv and the inputs
# tests/data/survival_aft.csv, survival_interval.csv, survival_left.csv, written by
# tests/data/make_survival_inputs.py) and writes tests/data/survreg_robust_reference.json. The Python tests only
# read the JSON file: R is not needed to run them.
#
# Produced with R 4.2.2 Patched (2022-11-10 r83330) and survival 3.5-3 (Debian 12 packages r-base-core and
# r-cran-survival; `apt-get install -y r-base-core r-cran-survival`). Only base R and survival are used; the
# JSON is written by the small writer of tests/data/survreg_reference.R, every number with 17 significant
# digits (sprintf("%.17g")), which reads back to the identical double. Running the script again gives the
# same file byte for byte.
#
# Convergence: as in survreg_reference.R, survreg.control(rel.tolerance = 1e-13, maxiter = 100), then a
# restart from the answer (init = coefficients and log(scale)) with the same control; the second answer is
# kept and the script stops if either run hits maxiter. The robust and the clustered covariances are both
# computed at the restarted answer: the clustered fit is a third survreg call with the same init and
# control, and the script checks that its coefficients and scale are the same doubles (survreg's iteration
# does not depend on the cluster labels; only the covariance computed after it does).
#
# ---------------------------------------------------------------------------------------------------------
# What survreg computes (survival 3.5-3, read from the source of survreg and residuals.survreg)
# ---------------------------------------------------------------------------------------------------------
# Parameters theta = (beta, log sigma): beta on the log-time scale (intercept first), sigma = fit$scale; for
# dist = "exponential" sigma is fixed at 1 and theta = beta. Model log T = x'beta + sigma * W (see
# survreg_reference.R for each distribution in scipy.stats terms).
#
#   naive vcov   V = fit$naive.var (= vcov(fit) of the non-robust fit): inverse observed information in theta.
#   score rows   U (n x p): U[i, ] = d l_i / d theta at the estimate, l_i observation i's log-likelihood;
#                from residuals(fit, type = "matrix"): U = cbind(dg * X, ds), where dg = d l_i / d eta_i
#                (eta_i = x_i'beta) and ds = d l_i / d log sigma (survreg's "ds" is the derivative with
#                respect to LOG sigma). The Jacobian -log t_i of exact observations does not depend on theta,
#                so U is the same for the log-time and the time-scale likelihood.
#   dfbeta       D = residuals(fit, type = "dfbeta") = U %*% V (n x p): the approximate change of theta when
#                observation i is dropped (up to sign); it is NOT the score itself.
#   robust vcov  fit$var with robust = TRUE (no cluster): crossprod(D) = V (U'U) V. This is the HC0 sandwich:
#                no n/(n - p) factor, no other small-sample adjustment.
#   cluster vcov fit$var with cluster = id: crossprod(rowsum(D, id)) = V (sum_g u_g u_g') V, u_g the sum of
#                U's rows in cluster g. No G/(G - 1) factor, no other adjustment.
# All three are on the (beta, log sigma) scale. For (beta, sigma) use the delta method, J = diag(1, ..., 1,
# sigma): cov(beta, sigma) = J cov(beta, log sigma) J (the script does not store that version).
#
# Cluster labels: gehan uses its `pair` column (21 matched pairs of two patients; 1-21). The simulated files
# have no natural clusters; we define id = (i - 1) %/% 4 for R's 1-based row number i, i.e. 0-based labels
# 0, 0, 0, 0, 1, 1, 1, 1, ... (blocks of 4 consecutive rows; numpy: np.arange(n) // 4). The labels are
# stored in the JSON (cluster_labels) for every clustered case.
#
# survival 3.5-3 gets the Log(scale) score of interval-censored observations wrong (the sign of residuals.survreg's
# "ds" on rows with status 3; its robust fit$var inherits it). For the interval-censored case the script
# therefore computes the two sandwiches itself from the corrected scores and keeps survreg's matrices under
# other names; see the comment in fit_case and the note vcov_source. The other cases use survreg's fit$var.
#
# The cluster() special is also accepted in the formula (Surv(time, event) ~ group + cluster(pair)); survival
# 3.5-3 also has a cluster = argument, which we use. The script checks that both give the same matrix.

suppressPackageStartupMessages(library(survival))

control <- survreg.control(rel.tolerance = 1e-13, maxiter = 100)

read_input <- function(path) read.csv(path, na.strings = "NA")

# ---- data -------------------------------------------------------------------------------------------------
gehan <- read_input("mle_tutorial/datasets/gehan.csv")  # time, event, group (1 = 6-MP, 0 = placebo), pair
aft <- read_input("tests/data/survival_aft.csv")
interval <- read_input("tests/data/survival_interval.csv")
left <- read_input("tests/data/survival_left.csv")
block4 <- function(n) (seq_len(n) - 1) %/% 4
aft$id <- block4(nrow(aft))
interval$id <- block4(nrow(interval))
left$id <- block4(nrow(left))
stopifnot(setequal(unique(gehan$group), c(0, 1)), length(unique(gehan$pair)) == 21,
          all(table(gehan$pair) == 2))

cases <- list()
add_case <- function(name, input, formula, dist, data, censoring, cluster_column, cluster_note,
                     store_scores = FALSE) {
  cases[[length(cases) + 1]] <<- list(name = name, input = input, formula = formula, dist = dist,
                                      data = data, censoring = censoring, cluster_column = cluster_column,
                                      cluster_note = cluster_note, store_scores = store_scores)
}
pair_note <- "gehan's own column `pair` (matched pairs 1-21, two patients each)"
block_note <- "id = (i - 1) %/% 4 for the 1-based row number i (0-based blocks of 4 consecutive rows)"
for (d in c("weibull", "exponential", "lognormal", "loglogistic")) {
  add_case(paste0("gehan_group_", d), "mle_tutorial/datasets/gehan.csv",
           Surv(time, event) ~ group, d, gehan, "right", "pair", pair_note, store_scores = d == "weibull")
}
for (d in c("weibull", "lognormal")) {
  add_case(paste0("aft_", d), "tests/data/survival_aft.csv",
           Surv(time, event) ~ x1 + x2 + x3, d, aft, "right", "id", block_note,
           store_scores = d == "weibull")
}
add_case("interval_weibull", "tests/data/survival_interval.csv",
         Surv(time1, time2, type = "interval2") ~ x1, "weibull", interval, "interval2", "id", block_note,
         store_scores = TRUE)
add_case("left_lognormal", "tests/data/survival_left.csv",
         Surv(time, event, type = "left") ~ x1, "lognormal", left, "left", "id", block_note)

# ---- fitting --------------------------------------------------------------------------------------------
same_double <- function(a, b) isTRUE(all(a == b))

fit_case <- function(case) {
  data <- case$data
  data$.cluster <- data[[case$cluster_column]]
  fit1 <- survreg(case$formula, data = data, dist = case$dist, control = control, robust = TRUE, x = TRUE)
  if (fit1$iter >= control$maxiter) stop(case$name, ": survreg hit maxiter")
  init <- coef(fit1)
  if (case$dist != "exponential") init <- c(init, log(fit1$scale))
  fit <- survreg(case$formula, data = data, dist = case$dist, control = control, init = init,
                 robust = TRUE, score = TRUE, x = TRUE)
  if (fit$iter >= control$maxiter) stop(case$name, ": survreg (restarted) hit maxiter")
  fitc <- survreg(case$formula, data = data, dist = case$dist, control = control, init = init,
                  cluster = .cluster, x = TRUE)
  if (fitc$iter >= control$maxiter) stop(case$name, ": survreg (clustered) hit maxiter")
  stopifnot(same_double(coef(fitc), coef(fit)), same_double(fitc$scale, fit$scale),
            same_double(fitc$naive.var, fit$naive.var))
  # the cluster() special in the formula gives the same matrix
  fml <- update(case$formula, . ~ . + cluster(.cluster))
  fitf <- survreg(fml, data = data, dist = case$dist, control = control, init = init, x = TRUE)
  stopifnot(same_double(fitf$var, fitc$var))
  # a plain (non-robust) fit from the same init has vcov = the naive vcov
  fitn <- survreg(case$formula, data = data, dist = case$dist, control = control, init = init)
  stopifnot(same_double(unname(vcov(fitn)), unname(fit$naive.var)))

  V <- fit$naive.var
  X <- fit$x
  m <- residuals(fit, type = "matrix")
  U <- m[, "dg"] * X
  if (case$dist != "exponential") U <- cbind(U, m[, "ds"])
  D <- residuals(fit, type = "dfbeta")
  # the identities stated in the header, to rounding
  rel <- function(a, b) max(abs(a - b)) / max(abs(b))
  stopifnot(rel(D, U %*% V) < 1e-12, rel(crossprod(D), fit$var) < 1e-12,
            rel(V %*% crossprod(U) %*% V, fit$var) < 1e-12,
            rel(V %*% crossprod(rowsum(U, data$.cluster)) %*% V, fitc$var) < 1e-12)
  names_theta <- c(names(coef(fit)), if (case$dist != "exponential") "Log(scale)")
  y <- fit$y
  status <- y[, ncol(y)]
  if (attr(y, "type") == "left") status <- ifelse(status == 1, 1, 2)
  # survival 3.5-3's residuals.survreg has the wrong sign of ds = d l_i / d log sigma for interval-censored
  # observations (status 3): it computes (z2 f(z2) - z1 f(z1)) / (F(z2) - F(z1)), the derivative is minus
  # that (dz/d log sigma = -z). survreg's robust and clustered fit$var inherit the error. For such data we
  # store the covariances from the corrected scores (ds negated on the status-3 rows) as vcov_robust and
  # vcov_cluster, and survreg's own matrices as vcov_robust_survreg / vcov_cluster_survreg. The check: the
  # total score is about zero only after the correction (and the Python check of the per-observation
  # scores against central differences of each observation's log-likelihood, see the report).
  source <- "survreg: fit$var of the robust / clustered fit"
  if (any(status == 3) && case$dist != "exponential") {
    k <- ncol(U)
    stopifnot(abs(sum(U[, k])) > 1)  # survreg's score: far from zero
    Uc <- U
    Uc[status == 3, k] <- -Uc[status == 3, k]
    stopifnot(max(abs(colSums(Uc))) < 1e-8)
    robust_var <- V %*% crossprod(Uc) %*% V
    cluster_var <- V %*% crossprod(rowsum(Uc, data$.cluster)) %*% V
    source <- paste(
      "computed here as V (U'U) V and V (sum_g u_g u_g') V from survreg's per-observation scores with the",
      "sign of ds corrected on the interval-censored rows; survreg's fit$var (wrong sign of ds there, survival",
      "3.5-3) is stored as vcov_robust_survreg and vcov_cluster_survreg")
  } else {
    Uc <- U
    robust_var <- fit$var
    cluster_var <- fitc$var
  }
  res <- list(
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
    iterations = fit$iter,
    change_on_restart = max(abs(c(coef(fit) - coef(fit1), log(fit$scale) - log(fit1$scale)))),
    score_sum = I(unname(colSums(Uc))),
    vcov_names = I(names_theta),
    vcov_naive = unname(V),
    vcov_source = source,
    vcov_robust = unname(robust_var),
    cluster_column = case$cluster_column,
    cluster_definition = case$cluster_note,
    n_clusters = length(unique(data$.cluster)),
    cluster_labels = I(data$.cluster),
    vcov_cluster = unname(cluster_var)
  )
  if (!identical(Uc, U)) {
    res$vcov_robust_survreg <- unname(fit$var)
    res$vcov_cluster_survreg <- unname(fitc$var)
    res$score_sum_survreg <- I(unname(colSums(U)))
  }
  if (case$store_scores) {
    res$score_matrix <- unname(Uc)
    # survreg's residuals(fit, type = "dfbeta"), or U V with the corrected U where a correction was needed
    res$dfbeta_matrix <- unname(if (identical(Uc, U)) D else Uc %*% V)
  }
  res
}

results <- lapply(cases, fit_case)
names(results) <- vapply(results, function(r) r$name, "")

# ---- JSON writer (base R; the same as in survreg_reference.R) -------------------------------------------
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
    "survreg's accelerated failure time model, as in survreg_reference.json: log T = x'beta + sigma * W;",
    "coefficients = beta on the log-time scale, intercept first; scale = sigma, log_scale = log(sigma).",
    "gehan: group is 1 for 6-MP, 0 for placebo."),
  parameter_scale = paste(
    "EVERY covariance here (vcov_naive, vcov_robust, vcov_cluster) and every score (score_sum, score_matrix,",
    "dfbeta_matrix) is on the scale theta = (beta, log sigma), in the order of vcov_names ('Log(scale)'",
    "last). For the exponential sigma is fixed at 1 and theta = beta (no Log(scale)). To get (beta, sigma),",
    "use the delta method with J = diag(1, ..., 1, sigma): J V J."),
  vcov_naive = paste(
    "fit$naive.var: the inverse observed information in theta (equal to vcov() of the same fit without",
    "robust = TRUE; checked in the script)."),
  vcov_source = paste(
    "Where the two covariances below come from, per case: survreg's fit$var, except for interval_weibull",
    "(interval-censored rows), where survival 3.5-3's per-observation score has the wrong sign in its",
    "Log(scale) entry for interval-censored rows (residuals.survreg computes (z2 f(z2) - z1 f(z1)) / (F(z2) -",
    "F(z1)) for d l_i / d log sigma; the derivative is minus that, since dz/d log sigma = -z) and survreg's",
    "robust fit$var inherits the error (its total score is then far from zero: score_sum_survreg). There",
    "vcov_robust and vcov_cluster are computed in the script from the corrected scores by the formulas",
    "below, and survreg's own matrices are kept as vcov_robust_survreg and vcov_cluster_survreg (do NOT",
    "use these as a reference)."),
  vcov_robust = paste(
    "fit$var of survreg(..., robust = TRUE) without clusters: V (U'U) V with V = vcov_naive and U the n x p",
    "matrix of per-observation scores d l_i / d theta; computed by survreg as crossprod(residuals(fit,",
    "type = 'dfbeta')). HC0: no n/(n - p) or any other small-sample factor."),
  vcov_cluster = paste(
    "fit$var of survreg(..., cluster = id): V (sum_g u_g u_g') V, u_g the sum of U's rows over the",
    "observations with cluster label g (cluster_labels, from the column cluster_column; see",
    "cluster_definition); computed by survreg as crossprod(rowsum(residuals(fit, type = 'dfbeta'), id)).",
    "No G/(G - 1) factor, no other adjustment. The same matrix as with + cluster(id) in the formula."),
  scores = paste(
    "score_sum = colSums(U), the total score at the stored estimate (about zero: convergence check).",
    "For gehan_group_weibull, aft_weibull and interval_weibull also score_matrix = U (n rows, one per",
    "observation, in the CSV's row order; columns as vcov_names; for interval_weibull with the sign",
    "correction of vcov_source) and dfbeta_matrix = U V (= residuals(fit, type = 'dfbeta') for the first two)",
    "(NOT the score: the score times the naive vcov). U = cbind(dg * X, ds) from residuals(fit,",
    "type = 'matrix'), dg = d l_i / d(x_i'beta), ds = d l_i / d log(sigma). The Jacobian of the time",
    "transformation does not depend on theta, so U is the score of the time-scale log-likelihood too."),
  loglik = paste(
    "loglik = fit$loglik[2] = logLik(fit), of the data on the original time scale (density of T, not",
    "log T, for exact observations), as in survreg_reference.json."),
  censoring = paste(
    "'right': Surv(time, event). 'interval2': Surv(time1, time2, type = 'interval2') (time1 NA:",
    "left-censored at time2; time2 NA: right-censored at time1; time1 < time2: in (time1, time2]).",
    "'left': Surv(time, event, type = 'left'), event 0 = only known to be <= time."),
  convergence = paste(
    "survreg.control(rel.tolerance = 1e-13, maxiter = 100), then a restart from the answer with the same",
    "control; change_on_restart = the largest change of a parameter in the restart; iterations = the",
    "restart's iteration count. The clustered fit starts from the same init and gives the same doubles.")
)

out <- list(
  generated_by = "Rscript tests/data/survreg_robust_reference.R (from the repository root)",
  R_version = R.version.string,
  survival_version = packageDescription("survival")$Version,
  control = list(rel_tolerance = control$rel.tolerance, maxiter = control$maxiter,
                 toler_chol = control$toler.chol),
  notes = notes,
  cases = results
)
writeLines(to_json(out), "tests/data/survreg_robust_reference.json", useBytes = TRUE)
cat("wrote tests/data/survreg_robust_reference.json:", length(results), "cases\n")
for (r in results) {
  k <- length(r$vcov_names)
  cat(sprintf("%-24s n=%3d iter=%2d loglik=%.10f scale=%.8f restart=%.1e |score|=%.1e\n", r$name, r$n,
              r$iterations, r$loglik, r$scale, r$change_on_restart, max(abs(r$score_sum))))
  cat(sprintf("%24s se naive %s\n%24s se robust %s\n%24s se cluster %s\n", "",
              paste(sprintf("%.6f", sqrt(diag(r$vcov_naive))), collapse = " "), "",
              paste(sprintf("%.6f", sqrt(diag(r$vcov_robust))), collapse = " "), "",
              paste(sprintf("%.6f", sqrt(diag(r$vcov_cluster))), collapse = " ")))
}
