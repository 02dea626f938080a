# Reference values for count and positive-continuous regressions (issue 21): negative binomial (MASS::glm.nb),
# Poisson (glm), gamma with log link (glm + MASS::gamma.shape) and zero-inflated Poisson / negative binomial
# (pscl::zeroinfl).
#
# Run from the repository root:
#
#     Rscript tests/data/count_models_reference.R
#
# It reads the shipped dataset mle_tutorial/datasets/randhie.csv and the simulated inputs tests/data/negbin_sim.csv
# and tests/data/gamma_sim.csv (written by tests/data/make_count_inputs.py, seeded), and writes
# tests/data/count_models_reference.json. The Python tests only read the JSON file: R is not needed to run them.
#
# Produced with R 4.2.2 Patched (2022-11-10 r83330), MASS 7.3-58.2, pscl 1.5.5 and numDeriv 2016.8-1.1 (Debian 12
# packages r-base-core, r-cran-mass, r-cran-pscl, r-cran-numderiv; `apt-get install -y r-base-core r-cran-mass
# r-cran-pscl r-cran-numderiv`). The JSON is written by the small writer of tests/data/survreg_reference.R, every
# number with 17 significant digits (sprintf("%.17g")). Running the script again gives the same file byte for byte.
#
# Design of the RAND fits (book/14_poisson.ipynb, `fit_poisson(X, y, names=names)`): response mdvis, columns
# intercept, lncoins, idp, lpi, fmde, physlm, disea, hlthg, hlthf, hlthp (all 2000 rows).
#
# ---------------------------------------------------------------------------------------------------------
# What R computes, and what the script adds (read from the sources of MASS 7.3-58.2 and pscl 1.5.5)
# ---------------------------------------------------------------------------------------------------------
# Negative binomial, MASS::glm.nb: y ~ NB(mean mu, size theta), Var = mu + mu^2/theta, log mu = x'beta.
#   alpha = 1/theta is the usual "overdispersion" (Var = mu + alpha mu^2). glm.nb alternates IRLS for beta at
#   fixed theta with theta.ml (Newton for theta at fixed mu) until the change of the log-likelihood and of
#   theta is below control$epsilon; control$maxit limits the alternations, each IRLS fit and theta.ml
#   (theta.ml's own tolerance, eps = .Machine$double.eps^0.25, is not reachable from glm.nb; the final
#   alternations make theta as accurate as the alternation criterion, see max_abs_score). Control:
#   glm.control(epsilon = 1e-12, maxit = 100), then a restart from the answer (init.theta = theta,
#   start = coefficients) with the same control; the second answer is kept.
#   se_coefficients / vcov_coefficients: summary(fit) / vcov(fit) (dispersion 1), the inverse EXPECTED
#   (Fisher) information of beta at fixed theta, (X'WX)^-1 with W = mu/(1 + mu/theta); with the log link
#   (not canonical for the NB) this differs from the observed information.
#   se_theta: fit$SE.theta = 1/sqrt(observed information of theta at fixed mu), on the theta scale.
#   twologlik = fit$twologlik = 2 * logLik(fit), the full log-likelihood (with -log(y!)).
#   Added here: vcov_observed_beta_theta, the inverse of minus the analytic Hessian of the full
#   log-likelihood in (beta, theta) at the stored estimates, and vcov_observed_beta_logalpha, the same in
#   (beta, log alpha) = (beta, -log theta) (exact reparameterization of the Hessian, including the score term).
#
# Gamma, glm(family = Gamma(link = "log")): y ~ Gamma(shape alpha, rate alpha/mu), E y = mu = exp(x'beta),
#   Var y = mu^2/alpha. The ML beta does not depend on alpha (IRLS gives it). MASS::gamma.shape(fit, it.lim =
#   100, eps.max = 1e-12): Newton for the ML alpha at the fitted mu; its SE is 1/sqrt(observed information of
#   alpha) (the Hessian of the full log-likelihood is block diagonal at the MLE, so that is also the
#   unconditional SE). R's logLik(fit) for a Gamma glm is NOT the likelihood at the ML shape: the family's aic
#   uses shape = n/deviance (dispersion = deviance/n). We store it as loglik_R_glm and the log-likelihood at
#   the ML shape, sum(dgamma(y, shape = alpha, rate = alpha/mu, log = TRUE)), as loglik. summary(fit) uses the
#   Pearson dispersion sum(((y - mu)/mu)^2)/(n - p); we store those SEs and the ones with dispersion = 1/alpha
#   (summary(fit, dispersion = 1/alpha), expected information), plus the observed-information vcov.
#
# Zero-inflated, pscl::zeroinfl: P(y = 0) = pi + (1 - pi) f(0), P(y = k) = (1 - pi) f(k) for k > 0, with
#   logit(pi) = z'gamma (pi = P(structural zero)) and f the Poisson(mu) or NB(mu, theta) probability,
#   log mu = x'beta. pscl maximizes with optim (BFGS, analytic gradient) over (beta, gamma[, log theta]) and
#   takes vcov = -solve(optim's Hessian); optim's Hessian is a finite difference of the analytic gradient with
#   step ndeps = 1e-3, good to about 4-5 digits only. Control: zeroinfl.control(reltol = 1e-14, maxit = 10000,
#   method = "BFGS"), then a restart from its own answer (control start = list(count, zero, theta)).
#   pscl's BFGS stops with a score of about 1e-4 to 5e-4 (the gradient is not part of its stopping rule), so
#   the script also polishes the answer with Newton steps on the analytic Hessian (written here, checked
#   against numDeriv::jacobian of the analytic score, which is checked against numDeriv::grad of the
#   log-likelihood, which equals pscl's logLik at pscl's answer). "polished" holds that MLE and the inverse of
#   minus its analytic Hessian. Where no finite MLE exists (the RAND negative binomial with the full zero
#   design: see the notes of that case), only pscl's answer is stored, flagged interior_mle = false.

suppressPackageStartupMessages({
  library(MASS)
  library(pscl)
  library(numDeriv)
})

read_input <- function(path) read.csv(path, na.strings = "NA")
rel <- function(a, b) max(abs(a - b)) / max(abs(b))
sym <- function(M) (M + t(M)) / 2
fstr <- function(f) paste(deparse(f, width.cutoff = 500L), collapse = " ")

rand <- read_input("mle_tutorial/datasets/randhie.csv")
nbsim <- read_input("tests/data/negbin_sim.csv")
gsim <- read_input("tests/data/gamma_sim.csv")
RAND_COLUMNS <- c("lncoins", "idp", "lpi", "fmde", "physlm", "disea", "hlthg", "hlthf", "hlthp")
rand_formula <- reformulate(RAND_COLUMNS, response = "mdvis")
stopifnot(nrow(rand) == 2000, all(rand$mdvis == round(rand$mdvis)))

glm_ctl <- glm.control(epsilon = 1e-12, maxit = 100)

# ---- negative binomial: analytic derivatives of the full log-likelihood --------------------------------
# per observation l = lgamma(y + th) - lgamma(th) - lgamma(y + 1) + th log th + y log mu - (th + y) log(th + mu)
nb_derivs <- function(beta, th, y, X) {
  mu <- exp(drop(X %*% beta))
  ll <- sum(dnbinom(y, size = th, mu = mu, log = TRUE))
  s_eta <- th * (y - mu) / (th + mu)
  s_th <- digamma(y + th) - digamma(th) + log(th) + 1 - log(th + mu) - (y + th) / (th + mu)
  h_ee <- -th * mu * (th + y) / (th + mu)^2
  h_et <- mu * (y - mu) / (th + mu)^2
  h_tt <- trigamma(y + th) - trigamma(th) + 1 / th - 2 / (th + mu) + (th + y) / (th + mu)^2
  score <- c(colSums(s_eta * X), sum(s_th))
  k <- ncol(X)
  H <- matrix(0, k + 1, k + 1)
  H[1:k, 1:k] <- crossprod(X, h_ee * X)
  H[1:k, k + 1] <- H[k + 1, 1:k] <- colSums(h_et * X)
  H[k + 1, k + 1] <- sum(h_tt)
  list(loglik = ll, score = score, hessian = H)
}
# Hessian in (beta, log alpha) with theta = exp(-log alpha): dtheta/dla = -theta, d2theta/dla2 = theta
to_logalpha <- function(H, score, th) {
  k <- nrow(H)
  J <- diag(c(rep(1, k - 1), -th))
  G <- J %*% H %*% J
  G[k, k] <- G[k, k] + th * score[k]
  G
}

count_outer <- function(expr) {
  n <- 0L
  value <- withCallingHandlers(expr, message = function(m) {
    if (startsWith(conditionMessage(m), "Theta(")) n <<- n + 1L
    invokeRestart("muffleMessage")
  })
  list(value = value, n = n)
}

fit_negbin <- function(name, input, formula, data) {
  ctl <- glm.control(epsilon = 1e-12, maxit = 100, trace = 1)  # trace = 1: one message per alternation
  r1 <- count_outer(glm.nb(formula, data = data, control = ctl))
  fit1 <- r1$value
  r2 <- count_outer(glm.nb(formula, data = data, control = ctl, init.theta = fit1$theta, start = coef(fit1)))
  fit <- r2$value
  for (f in list(fit1, fit)) {
    if (!is.null(f$th.warn)) stop(name, ": ", f$th.warn)
    if (!f$converged) stop(name, ": IRLS did not converge")
  }
  stopifnot(r1$n < 100, r2$n < 100)
  X <- model.matrix(fit)
  y <- fit$y
  d <- nb_derivs(coef(fit), fit$theta, y, X)
  stopifnot(abs(d$loglik - fit$twologlik / 2) < 1e-8 * abs(d$loglik),
            abs(as.numeric(logLik(fit)) - fit$twologlik / 2) == 0)
  # the analytic Hessian against central differences of the analytic score
  Hn <- numDeriv::jacobian(function(p) nb_derivs(p[-length(p)], p[length(p)], y, X)$score,
                           c(coef(fit), fit$theta))
  stopifnot(rel(Hn, d$hessian) < 1e-7)
  Vbt <- sym(solve(-d$hessian))
  Vla <- sym(solve(-to_logalpha(d$hessian, d$score, fit$theta)))
  s <- summary(fit)
  list(
    name = name,
    input = input,
    call = paste0("MASS::glm.nb(", fstr(formula),
                  ", control = glm.control(epsilon = 1e-12, maxit = 100)); restarted with init.theta, start"),
    n = length(y),
    coefficient_names = I(names(coef(fit))),
    coefficients = I(unname(coef(fit))),
    theta = fit$theta,
    alpha = 1 / fit$theta,
    log_alpha = -log(fit$theta),
    se_coefficients = I(unname(s$coefficients[, "Std. Error"])),
    vcov_coefficients = unname(vcov(fit)),
    se_theta = fit$SE.theta,
    twologlik = fit$twologlik,
    loglik = fit$twologlik / 2,
    aic = fit$aic,
    max_abs_score = max(abs(d$score)),
    score = I(d$score),
    vcov_observed_names_theta = I(c(names(coef(fit)), "theta")),
    vcov_observed_beta_theta = unname(Vbt),
    vcov_observed_names_logalpha = I(c(names(coef(fit)), "log_alpha")),
    vcov_observed_beta_logalpha = unname(Vla),
    convergence = list(
      alternations_first_run = r1$n,
      alternations_restart = r2$n,
      irls_iterations_last_fit = fit$iter,
      irls_converged = fit$converged,
      theta_warning = "none",
      change_on_restart = max(abs(c(coef(fit) - coef(fit1), fit$theta - fit1$theta)))
    )
  )
}

# glm.fit stops when the relative change of the deviance is below epsilon; as the deviance is quadratic near
# the optimum, that leaves the coefficients (and the score) at about sqrt(epsilon) relative accuracy, and a
# restart from the answer takes exactly one more IRLS step (Fisher scoring: with a non-canonical link, as
# the gamma's log link, each step only reduces the error by a factor). So we restart from the answer until
# the coefficients stop changing (largest change below 1e-15 relative, at most 50 restarts).
restart_glm <- function(fit1, refit) {
  fit <- fit1
  for (k in 1:50) {
    new <- refit(coef(fit))
    if (!new$converged) stop("glm did not converge on a restart")
    change <- max(abs(coef(new) - coef(fit)) / pmax(1, abs(coef(fit))))
    fit <- new
    if (change < 1e-15) break
  }
  if (change >= 1e-15) stop("glm restarts did not settle")
  list(fit = fit, restarts = k)
}

# ---- Poisson (the chapter 14 fit, for the LR test against the negative binomial) -----------------------
fit_poisson_glm <- function(name, input, formula, data) {
  fit1 <- glm(formula, family = poisson(), data = data, control = glm_ctl)
  r <- restart_glm(fit1, function(start) glm(formula, family = poisson(), data = data, control = glm_ctl,
                                             start = start))
  fit <- r$fit
  X <- model.matrix(fit)
  mu <- fitted(fit)
  list(
    name = name,
    input = input,
    call = paste0("glm(", fstr(formula),
                  ", family = poisson(), control = glm.control(epsilon = 1e-12, maxit = 100)); restarted"),
    n = nrow(X),
    coefficient_names = I(names(coef(fit))),
    coefficients = I(unname(coef(fit))),
    se_coefficients = I(unname(summary(fit)$coefficients[, "Std. Error"])),
    vcov = unname(vcov(fit)),
    loglik = as.numeric(logLik(fit)),
    max_abs_score = max(abs(colSums((fit$y - mu) * X))),
    convergence = list(irls_iterations_first_run = fit1$iter, converged = fit$converged, restarts = r$restarts,
                       change_from_first_run = max(abs(coef(fit) - coef(fit1))))
  )
}

# ---- gamma with log link -----------------------------------------------------------------------------------
gamma_derivs <- function(beta, a, y, X) {
  mu <- exp(drop(X %*% beta))
  ll <- sum(dgamma(y, shape = a, rate = a / mu, log = TRUE))
  r <- y / mu
  score <- c(colSums(a * (r - 1) * X), sum(log(a) + 1 - log(mu) + log(y) - r - digamma(a)))
  k <- ncol(X)
  H <- matrix(0, k + 1, k + 1)
  H[1:k, 1:k] <- crossprod(X, -a * r * X)
  H[1:k, k + 1] <- H[k + 1, 1:k] <- colSums((r - 1) * X)
  H[k + 1, k + 1] <- length(y) * (1 / a - trigamma(a))
  list(loglik = ll, score = score, hessian = H)
}

fit_gamma <- function(name, input, formula, data) {
  fit1 <- glm(formula, family = Gamma(link = "log"), data = data, control = glm_ctl)
  r <- restart_glm(fit1, function(start) glm(formula, family = Gamma(link = "log"), data = data,
                                             control = glm_ctl, start = start))
  fit <- r$fit
  n_shape <- 0L
  shape <- withCallingHandlers(gamma.shape(fit, it.lim = 100, eps.max = 1e-12, verbose = TRUE),
    message = function(m) {
      if (startsWith(conditionMessage(m), "Iter.")) n_shape <<- n_shape + 1L
      invokeRestart("muffleMessage")
    }, warning = function(w) stop(name, ": gamma.shape: ", conditionMessage(w)))
  a <- shape$alpha
  X <- model.matrix(fit)
  y <- fit$y
  mu <- fitted(fit)
  d <- gamma_derivs(coef(fit), a, y, X)
  Hn <- numDeriv::jacobian(function(p) gamma_derivs(p[-length(p)], p[length(p)], y, X)$score, c(coef(fit), a))
  stopifnot(rel(Hn, d$hessian) < 1e-7)
  k <- ncol(X)
  Va <- sym(solve(-d$hessian))
  J <- diag(c(rep(1, k), a))  # (beta, alpha) -> (beta, log alpha): d alpha / d log alpha = alpha
  Hl <- J %*% d$hessian %*% J
  Hl[k + 1, k + 1] <- Hl[k + 1, k + 1] + a * d$score[k + 1]
  Vl <- sym(solve(-Hl))
  s_default <- summary(fit)
  s_ml <- summary(fit, dispersion = 1 / a)
  list(
    name = name,
    input = input,
    call = paste0("glm(", fstr(formula), ", family = Gamma(link = 'log'), ",
                  "control = glm.control(epsilon = 1e-12, maxit = 100)); restarted; ",
                  "MASS::gamma.shape(fit, it.lim = 100, eps.max = 1e-12)"),
    n = length(y),
    coefficient_names = I(names(coef(fit))),
    coefficients = I(unname(coef(fit))),
    shape_alpha = a,
    se_shape_alpha = shape$SE,
    log_shape_alpha = log(a),
    dispersion_ml = 1 / a,
    loglik = d$loglik,
    loglik_R_glm = as.numeric(logLik(fit)),
    shape_used_by_loglik_R_glm = length(y) / deviance(fit),
    deviance = deviance(fit),
    dispersion_pearson = s_default$dispersion,
    se_coefficients_pearson_dispersion = I(unname(s_default$coefficients[, "Std. Error"])),
    se_coefficients_ml_dispersion = I(unname(s_ml$coefficients[, "Std. Error"])),
    vcov_coefficients_ml_dispersion = unname(s_ml$cov.scaled),
    max_abs_score = max(abs(d$score)),
    score = I(d$score),
    vcov_observed_names_alpha = I(c(names(coef(fit)), "alpha")),
    vcov_observed_beta_alpha = unname(Va),
    vcov_observed_names_logalpha = I(c(names(coef(fit)), "log_alpha")),
    vcov_observed_beta_logalpha = unname(Vl),
    convergence = list(irls_iterations_first_run = fit1$iter, converged = fit$converged, restarts = r$restarts,
                       change_from_first_run = max(abs(coef(fit) - coef(fit1))),
                       gamma_shape_newton_iterations = n_shape)
  )
}

# ---- zero-inflated models: analytic log-likelihood, score and Hessian --------------------------------------
# Parameters in pscl's order: count beta (X), zero gamma (Z), then log theta for the negative binomial.
# Per observation, with a = x'beta, b = z'gamma, c = theta, f0 = f(0), q = 1 - pi:
#   y = 0: l = log P0, P0 = pi + q f0;  y > 0: l = log q + log f(y).
# For y = 0 the derivatives follow from those of P0 (l_xy = P0_xy / P0 - P0_x P0_y / P0^2), with
# L = log f0 (Poisson: -mu; NB: theta (log theta - log(theta + mu))) and its derivatives in a and c.
zi_derivs <- function(par, y, X, Z, negbin, hessian = TRUE) {
  kx <- ncol(X); kz <- ncol(Z)
  mu <- exp(drop(X %*% par[1:kx]))
  etaz <- drop(Z %*% par[kx + 1:kz])
  pi <- plogis(etaz)
  q <- plogis(etaz, lower.tail = FALSE)
  logq <- plogis(etaz, lower.tail = FALSE, log.p = TRUE)
  zero <- y == 0
  if (negbin) {
    th <- exp(par[kx + kz + 1])
    L <- th * (log(th) - log(th + mu))
    La <- -th * mu / (th + mu); Laa <- -th^2 * mu / (th + mu)^2
    Lc <- log(th) - log(th + mu) + mu / (th + mu)
    Lcc <- 1 / th - 1 / (th + mu) - mu / (th + mu)^2
    Lac <- -mu^2 / (th + mu)^2
    lf <- dnbinom(y, size = th, mu = mu, log = TRUE)
    ca <- th * (y - mu) / (th + mu); caa <- -th * mu * (th + y) / (th + mu)^2
    cc <- digamma(y + th) - digamma(th) + log(th) + 1 - log(th + mu) - (y + th) / (th + mu)
    ccc <- trigamma(y + th) - trigamma(th) + 1 / th - 2 / (th + mu) + (th + y) / (th + mu)^2
    cac <- mu * (y - mu) / (th + mu)^2
  } else {
    L <- -mu; La <- -mu; Laa <- -mu
    lf <- dpois(y, mu, log = TRUE)
    ca <- y - mu; caa <- -mu
  }
  f0 <- exp(L)
  P0 <- pi + q * f0
  ll <- sum(ifelse(zero, log(P0), logq + lf))
  Pa <- q * f0 * La
  Pb <- pi * q * (1 - f0)
  la <- ifelse(zero, Pa / P0, ca)
  lb <- ifelse(zero, Pb / P0, -pi)
  score <- c(colSums(la * X), colSums(lb * Z))
  if (negbin) {
    Pc <- q * f0 * Lc
    lc <- ifelse(zero, Pc / P0, cc)
    score <- c(score, th * sum(lc))  # d / d log theta
  }
  if (!hessian) return(list(loglik = ll, score = score))
  Paa <- q * f0 * (La^2 + Laa)
  Pbb <- pi * q * (1 - 2 * pi) * (1 - f0)
  Pab <- -pi * q * f0 * La
  laa <- ifelse(zero, Paa / P0 - (Pa / P0)^2, caa)
  lbb <- ifelse(zero, Pbb / P0 - (Pb / P0)^2, -pi * q)
  lab <- ifelse(zero, Pab / P0 - Pa * Pb / P0^2, 0)
  k <- kx + kz + negbin
  H <- matrix(0, k, k)
  ix <- 1:kx; iz <- kx + 1:kz
  H[ix, ix] <- crossprod(X, laa * X)
  H[iz, iz] <- crossprod(Z, lbb * Z)
  H[ix, iz] <- crossprod(X, lab * Z)
  H[iz, ix] <- t(H[ix, iz])
  if (negbin) {
    Pcc <- q * f0 * (Lc^2 + Lcc)
    Pac <- q * f0 * (La * Lc + Lac)
    Pbc <- -pi * q * f0 * Lc
    lcc <- ifelse(zero, Pcc / P0 - (Pc / P0)^2, ccc)
    lac <- ifelse(zero, Pac / P0 - Pa * Pc / P0^2, cac)
    lbc <- ifelse(zero, Pbc / P0 - Pb * Pc / P0^2, 0)
    H[ix, k] <- H[k, ix] <- colSums(th * lac * X)
    H[iz, k] <- H[k, iz] <- colSums(th * lbc * Z)
    H[k, k] <- sum(th^2 * lcc + th * lc)
  }
  list(loglik = ll, score = score, hessian = H)
}

zi_ctl <- function(start = NULL) zeroinfl.control(reltol = 1e-14, maxit = 10000, method = "BFGS", start = start)

fit_zeroinfl <- function(name, formula, dist, interior_expected, zero_note) {
  negbin <- dist == "negbin"
  fit1 <- zeroinfl(formula, data = rand, dist = dist, control = zi_ctl(), x = TRUE)
  start <- list(count = fit1$coefficients$count, zero = fit1$coefficients$zero)
  if (negbin) start$theta <- fit1$theta
  fit <- zeroinfl(formula, data = rand, dist = dist, control = zi_ctl(start), x = TRUE)
  if (!fit1$converged || !fit$converged) stop(name, ": optim did not converge")
  X <- fit$x$count; Z <- fit$x$zero; y <- fit$y
  kx <- ncol(X); kz <- ncol(Z)
  par_of <- function(f) c(f$coefficients$count, f$coefficients$zero, if (negbin) log(f$theta))
  par <- par_of(fit)
  names_par <- c(paste0("count_", colnames(X)), paste0("zero_", colnames(Z)), if (negbin) "Log(theta)")
  d <- zi_derivs(par, y, X, Z, negbin)
  # our log-likelihood is pscl's; our score is the gradient of it; our Hessian is the Jacobian of our score
  llfun <- function(p) zi_derivs(p, y, X, Z, negbin, hessian = FALSE)$loglik
  stopifnot(abs(d$loglik - fit$loglik) <= 1e-12 * abs(fit$loglik),
            rel(numDeriv::grad(llfun, par), d$score) < 1e-5 || max(abs(numDeriv::grad(llfun, par) - d$score)) < 1e-5)
  Hn <- numDeriv::jacobian(function(p) zi_derivs(p, y, X, Z, negbin, hessian = FALSE)$score, par)
  stopifnot(rel(Hn, d$hessian) < 1e-7)
  V_pscl <- solve(-fit$optim$hessian)
  stopifnot(rel(V_pscl[1:(kx + kz), 1:(kx + kz)], unname(vcov(fit))) < 1e-12)
  if (negbin) stopifnot(abs(sqrt(V_pscl[kx + kz + 1, kx + kz + 1]) - fit$SE.logtheta) < 1e-12 * fit$SE.logtheta)
  res <- list(
    name = name,
    input = "mle_tutorial/datasets/randhie.csv",
    formula = fstr(formula),
    dist = dist,
    zero_design_note = zero_note,
    n = length(y),
    n_zeros = sum(y == 0),
    interior_mle = interior_expected,
    parameter_names = I(names_par),
    pscl = list(
      call = paste0("pscl::zeroinfl(formula, data = randhie, dist = '", dist, "', control = zeroinfl.control(",
                    "reltol = 1e-14, maxit = 10000, method = 'BFGS')); restarted with control start = ",
                    "list(count, zero", if (negbin) ", theta", ")"),
      count_coefficients = I(unname(fit$coefficients$count)),
      zero_coefficients = I(unname(fit$coefficients$zero)),
      parameters = I(unname(par)),
      loglik = fit$loglik,
      vcov = unname(sym(V_pscl)),
      max_abs_score = max(abs(d$score)),
      score = I(d$score),
      optim_convergence = fit$optim$convergence,
      optim_counts_first_run = I(unname(fit1$optim$counts)),
      optim_counts_restart = I(unname(fit$optim$counts)),
      change_on_restart = max(abs(par - par_of(fit1)))
    )
  )
  if (negbin) {
    res$pscl$theta <- fit$theta
    res$pscl$log_theta <- log(fit$theta)
    res$pscl$se_log_theta <- fit$SE.logtheta
  }
  # Newton polishing with the analytic Hessian
  p <- par
  steps <- numeric(0)
  best <- list(p = p, s = max(abs(d$score)))
  for (it in 1:(if (interior_expected) 30 else 6)) {
    di <- zi_derivs(p, y, X, Z, negbin)
    step <- tryCatch(solve(di$hessian, di$score), error = function(e) NULL)
    if (is.null(step)) break
    p <- p - step
    steps <- c(steps, max(abs(step)))
    s <- max(abs(zi_derivs(p, y, X, Z, negbin, hessian = FALSE)$score))
    if (s < best$s) best <- list(p = p, s = s)
    if (interior_expected && (max(abs(step)) < 1e-13 || (it >= 3 && steps[it] >= steps[it - 1]))) break
  }
  if (interior_expected) {
    p <- best$p
    dp <- zi_derivs(p, y, X, Z, negbin)
    ev <- eigen(-dp$hessian, symmetric = TRUE, only.values = TRUE)$values
    stopifnot(best$s < 1e-8, all(ev > 0), dp$loglik >= fit$loglik)
    res$polished <- list(
      method = "Newton steps from pscl's answer with the analytic Hessian of the log-likelihood",
      parameters = I(unname(p)),
      count_coefficients = I(unname(p[1:kx])),
      zero_coefficients = I(unname(p[kx + 1:kz])),
      loglik = dp$loglik,
      vcov = unname(sym(solve(-dp$hessian))),
      max_abs_score = best$s,
      newton_step_sizes = I(steps),
      max_abs_change_from_pscl = max(abs(p - par)),
      information_eigenvalue_range = I(range(ev))
    )
    if (negbin) {
      res$polished$theta <- exp(p[kx + kz + 1])
      res$polished$log_theta <- p[kx + kz + 1]
    }
  } else {
    # no finite MLE: Newton from pscl's answer runs off along a direction of recession of the zero model
    stopifnot(length(steps) == 6, min(steps) > 1)
    res$newton_probe <- list(
      description = paste(
        "Newton steps from pscl's answer with the analytic Hessian: the zero-model coefficients keep",
        "moving by several units per step while the log-likelihood increases by ever smaller amounts",
        "(no finite maximizer; pi -> 0 or 1 on parts of the data). pscl's numbers are where its BFGS",
        "stopped, not an MLE: its zero-model SEs are in the hundreds or thousands."),
      step_sizes = I(steps),
      loglik_after_steps = zi_derivs(p, y, X, Z, negbin, hessian = FALSE)$loglik,
      zero_coefficients_after_steps = I(unname(p[kx + 1:kz]))
    )
  }
  res
}

# ---- the cases -------------------------------------------------------------------------------------------
negbin <- list(
  rand = fit_negbin("rand", "mle_tutorial/datasets/randhie.csv", rand_formula, rand),
  negbin_sim = fit_negbin("negbin_sim", "tests/data/negbin_sim.csv", y ~ x1 + x2, nbsim)
)
poisson_fits <- list(
  rand = fit_poisson_glm("rand", "mle_tutorial/datasets/randhie.csv", rand_formula, rand)
)
gamma_fits <- list(
  gamma_sim = fit_gamma("gamma_sim", "tests/data/gamma_sim.csv", y ~ x1 + x2, gsim)
)
full_rhs <- paste(RAND_COLUMNS, collapse = " + ")
zi_full <- as.formula(paste("mdvis ~", full_rhs, "|", full_rhs))
zi_small <- as.formula(paste("mdvis ~", full_rhs, "| lncoins + disea"))
note_full <- "zero design = count design (intercept and the nine columns)"
note_small <- "zero design: intercept, lncoins, disea"
zeroinfl_fits <- list(
  zip_full = fit_zeroinfl("zip_full", zi_full, "poisson", TRUE, note_full),
  zinb_full = fit_zeroinfl("zinb_full", zi_full, "negbin", FALSE, note_full),
  zip_small = fit_zeroinfl("zip_small", zi_small, "poisson", TRUE, note_small),
  zinb_small = fit_zeroinfl("zinb_small", zi_small, "negbin", TRUE, note_small)
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
  rand_design = paste(
    "RAND fits (book/14_poisson.ipynb): response mdvis; coefficients in the order (Intercept), lncoins, idp,",
    "lpi, fmde, physlm, disea, hlthg, hlthf, hlthp; all 2000 rows of mle_tutorial/datasets/randhie.csv."),
  negbin = paste(
    "y ~ NB(mean mu, size theta), P(y) = Gamma(y + theta)/(Gamma(theta) y!) (theta/(theta + mu))^theta",
    "(mu/(theta + mu))^y = scipy.stats.nbinom(n = theta, p = theta/(theta + mu)); Var = mu + mu^2/theta;",
    "log mu = x'beta. theta is R's (size); alpha = 1/theta (Var = mu + alpha mu^2), log_alpha = -log(theta).",
    "se_coefficients and vcov_coefficients: R's summary/vcov of glm.nb = inverse EXPECTED information of",
    "beta at fixed theta (dispersion 1). se_theta: R's SE.theta, 1/sqrt(observed information of theta at",
    "fixed mu), on the theta scale (delta method: SE(alpha) = se_theta/theta^2, SE(log alpha) =",
    "se_theta/theta). loglik = twologlik/2 = logLik(fit), the full log-likelihood including -log(y!).",
    "vcov_observed_beta_theta: inverse of minus the analytic observed Hessian of the full log-likelihood in",
    "(beta, theta) (order vcov_observed_names_theta); vcov_observed_beta_logalpha: the same in (beta,",
    "log alpha), computed from the reparameterized Hessian (not by the delta method; at the MLE the two",
    "agree). score: the analytic score in (beta, theta) at the stored estimates."),
  poisson = paste(
    "glm(family = poisson()): coefficients, R's SEs and vcov (inverse Fisher information = observed, the",
    "log link being canonical), loglik = logLik(fit) (with -log(y!))."),
  gamma = paste(
    "y ~ Gamma(shape alpha, rate alpha/mu) = scipy.stats.gamma(a = alpha, scale = mu/alpha), E y = mu =",
    "exp(x'beta), Var y = mu^2/alpha, dispersion = 1/alpha. shape_alpha, se_shape_alpha: MASS::gamma.shape",
    "(ML alpha at the fitted mu; SE = 1/sqrt(observed information of alpha), on the alpha scale).",
    "loglik = sum(dgamma(y, shape = alpha, rate = alpha/mu, log = TRUE)) at the ML alpha. loglik_R_glm =",
    "logLik(fit) is NOT that: R's Gamma family evaluates the likelihood at shape = n/deviance",
    "(shape_used_by_loglik_R_glm; dispersion deviance/n). se_coefficients_pearson_dispersion: summary(fit)",
    "(Pearson dispersion sum(((y - mu)/mu)^2)/(n - p) = dispersion_pearson); se_coefficients_ml_dispersion",
    "and vcov_coefficients_ml_dispersion: summary(fit, dispersion = 1/alpha), i.e. (1/alpha)(X'X)^-1, the",
    "inverse EXPECTED information. vcov_observed_beta_alpha / _beta_logalpha: inverse of minus the analytic",
    "observed Hessian in (beta, alpha) / (beta, log alpha); the beta block is (alpha X' diag(y/mu) X)^-1",
    "(observed, differs from expected with the log link) and the Hessian is block diagonal at the MLE."),
  zeroinfl = paste(
    "pscl::zeroinfl: P(y = 0) = pi + (1 - pi) f(0), P(y = k) = (1 - pi) f(k), k > 0; logit(pi) = z'gamma",
    "(pi = probability of a STRUCTURAL zero); f = Poisson(mu) or NB(mu, theta) as above, log mu = x'beta.",
    "Parameter order (parameter_names): count_ coefficients (beta), zero_ coefficients (gamma), then",
    "Log(theta) for dist = negbin (log of R's theta; log alpha = -Log(theta), so covariances of log alpha",
    "with the others change sign). pscl.vcov = -solve(optim's Hessian) over ALL parameters including",
    "Log(theta) (pscl's vcov(fit) is the same without the Log(theta) row and column, and pscl's SE.logtheta",
    "= sqrt of its last diagonal entry); optim's Hessian is a finite difference (step 1e-3) of the analytic",
    "gradient, good to about 4-5 significant digits. pscl.max_abs_score: the analytic score at pscl's",
    "answer (pscl's BFGS stops on the relative change of the log-likelihood, reltol, not on the gradient).",
    "polished: the MLE by Newton steps from pscl's answer with the analytic Hessian (checked in the script",
    "against numDeriv), its loglik, and vcov = inverse of minus the analytic Hessian, same order; this is",
    "the reference to compare an exact optimizer with; pscl.* is what R reports."),
  zinb_full = paste(
    "zinb_full has no finite MLE on these data: the zero-model coefficients run off (pscl stops at zero",
    "coefficients like -114 for the intercept with SEs in the thousands; the fitted pi is 0 for almost",
    "everyone), and Newton from there keeps moving (newton_probe). Only pscl's output is stored",
    "(interior_mle = false); do not use its coefficients or vcov as a reference. Zero designs with only",
    "the intercept, or with one of idp, lpi, fmde, physlm, disea, hlthg, show the same for the negative",
    "binomial (the ZINB collapses to the NB, loglik -> the NB's); intercept + lncoins (+ disea) has an",
    "interior maximum, but a flat one (smallest eigenvalue of the information about 3e-3): zinb_small."),
  convergence = paste(
    "glm.nb: glm.control(epsilon = 1e-12, maxit = 100), restarted from its answer (init.theta, start);",
    "alternations counted from glm.nb's trace messages. glm (poisson, Gamma): same glm.control, then",
    "restarted with start = the coefficients until they stop changing (each restart is one IRLS step;",
    "glm's deviance criterion alone leaves the gamma fit's score at 4e-6). gamma.shape: it.lim = 100, eps.max = 1e-12 (Newton iterations",
    "counted from its verbose messages). zeroinfl: zeroinfl.control(reltol = 1e-14, maxit = 10000,",
    "method = 'BFGS'), restarted with start = its answer; optim counts are (function, gradient)",
    "evaluations. change_on_restart = largest change of a parameter in the restart.")
)

out <- list(
  generated_by = "Rscript tests/data/count_models_reference.R (from the repository root)",
  R_version = R.version.string,
  MASS_version = packageDescription("MASS")$Version,
  pscl_version = packageDescription("pscl")$Version,
  numDeriv_version = packageDescription("numDeriv")$Version,
  notes = notes,
  negbin = negbin,
  poisson = poisson_fits,
  gamma = gamma_fits,
  zeroinfl = zeroinfl_fits
)
writeLines(to_json(out), "tests/data/count_models_reference.json", useBytes = TRUE)
cat("wrote tests/data/count_models_reference.json\n")
for (r in negbin) {
  cat(sprintf("negbin %-10s loglik=%.8f theta=%.8f |score|=%.1e alternations=%d+%d restart=%.1e\n", r$name,
              r$loglik, r$theta, r$max_abs_score, r$convergence$alternations_first_run,
              r$convergence$alternations_restart, r$convergence$change_on_restart))
}
for (r in poisson_fits) cat(sprintf("poisson %-9s loglik=%.8f |score|=%.1e restarts=%d\n", r$name, r$loglik,
                                    r$max_abs_score, r$convergence$restarts))
for (r in gamma_fits) {
  cat(sprintf("gamma %-11s loglik=%.8f (R glm %.8f) alpha=%.8f se=%.8f |score|=%.1e newton=%d restarts=%d\n",
              r$name, r$loglik, r$loglik_R_glm, r$shape_alpha, r$se_shape_alpha, r$max_abs_score,
              r$convergence$gamma_shape_newton_iterations, r$convergence$restarts))
}
for (r in zeroinfl_fits) {
  cat(sprintf("zeroinfl %-10s pscl loglik=%.8f |score|=%.1e counts=%s restart=%.1e", r$name, r$pscl$loglik,
              r$pscl$max_abs_score, paste(r$pscl$optim_counts_restart, collapse = "/"), r$pscl$change_on_restart))
  if (!is.null(r$polished)) {
    cat(sprintf(" | polished loglik=%.8f |score|=%.1e change=%.1e steps=%d eig=%.2e\n", r$polished$loglik,
                r$polished$max_abs_score, r$polished$max_abs_change_from_pscl,
                length(r$polished$newton_step_sizes), r$polished$information_eigenvalue_range[1]))
  } else {
    cat(sprintf(" | no finite MLE: Newton steps %s, loglik after %.8f\n",
                paste(sprintf("%.2g", r$newton_probe$step_sizes), collapse = " "), r$newton_probe$loglik_after_steps))
  }
}
