# lme4's timings for benchmarks/mixed.py: lmer and glmer on the same simulated data, with lme4's default
# settings (as a user runs them).
#
# Run from the repository root:
#
#     .venv/bin/python -m benchmarks.mixed --write-inputs /tmp/mixed_inputs
#     Rscript benchmarks/mixed_lme4.R /tmp/mixed_inputs
#
# It writes benchmarks/results/mixed_lme4.csv: per scenario and number of groups G, the median elapsed
# time of `repeats` fits (after one untimed fit), the log-likelihood, and the versions and machine. Produced
# with R 4.2.2 Patched (2022-11-10 r83330), lme4 1.1-31 and Matrix 1.5-3 (Debian 12 packages r-base-core
# and r-cran-lme4), single-threaded BLAS (Debian's reference BLAS).

suppressPackageStartupMessages(library(lme4))

args <- commandArgs(trailingOnly = TRUE)
folder <- if (length(args)) args[1] else "/tmp/mixed_inputs"
sizes <- c(50, 500, 5000)

fits <- list(
  lmm_intercept = function(d) lmer(y ~ x1 + x2 + x3 + (1 | g), d, REML = FALSE),
  lmm_slope = function(d) lmer(y ~ x1 + x2 + x3 + (1 + x1 | g), d, REML = FALSE),
  glmm_laplace = function(d) glmer(y ~ x1 + x2 + x3 + (1 | g), d, family = binomial, nAGQ = 1),
  glmm_agq9 = function(d) glmer(y ~ x1 + x2 + x3 + (1 | g), d, family = binomial, nAGQ = 9)
)
input_of <- c(lmm_intercept = "lmm_intercept", lmm_slope = "lmm_slope", glmm_laplace = "glmm_laplace",
              glmm_agq9 = "glmm_laplace")

rows <- list()
for (scenario in names(fits)) {
  for (G in sizes) {
    d <- read.csv(file.path(folder, sprintf("%s_%d.csv", input_of[[scenario]], G)))
    d$g <- factor(d$g)
    fit <- suppressMessages(suppressWarnings(fits[[scenario]](d)))  # untimed: first-call costs
    repeats <- if (G >= 5000) 3 else 5
    times <- vapply(seq_len(repeats), function(i) {
      system.time(suppressMessages(suppressWarnings(fits[[scenario]](d))))[["elapsed"]]
    }, 0)
    rows[[length(rows) + 1]] <- data.frame(
      scenario = scenario, G = G, n = nrow(d), median_s = median(times), repeats = repeats,
      loglik = sprintf("%.12g", as.numeric(logLik(fit))), R = R.version.string,
      lme4 = as.character(packageVersion("lme4")), machine = Sys.info()[["machine"]]
    )
    cat(sprintf("%-14s G=%5d  %.3f s  loglik %.6f\n", scenario, G, median(times), as.numeric(logLik(fit))))
  }
}
write.csv(do.call(rbind, rows), "benchmarks/results/mixed_lme4.csv", row.names = FALSE)
cat("wrote benchmarks/results/mixed_lme4.csv\n")
