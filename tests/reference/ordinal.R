# Reference numbers for the ordinal (proportional-odds) family.
#
# Run from the repository root:  Rscript tests/reference/ordinal.R
# It writes tests/data/housing.csv and tests/data/wine.csv (the data sets of
# MASS and ordinal, for tests that run without R) and
# tests/reference/ordinal_values.json (the numbers the tests compare with).
# R 4.2.2, MASS 7.3-58.2, ordinal 2022.11-16, sandwich (system-wide).
suppressMessages({library(MASS); library(ordinal); library(sandwich); library(jsonlite)})

data(housing, package = "MASS")
data(wine, package = "ordinal")
write.csv(housing, "tests/data/housing.csv", row.names = FALSE)
write.csv(wine[, c("rating", "temp", "contact", "bottle", "judge")],
          "tests/data/wine.csv", row.names = FALSE)

tight <- clm.control(gradTol = 1e-12, relTol = 1e-14, maxIter = 200)
out <- list()

fit_summary <- function(fit, polr_fit) {
  list(
    names = names(coef(fit)),
    coef = unname(coef(fit)),
    se = unname(sqrt(diag(vcov(fit)))),
    cov = unname(vcov(fit)),
    loglik = as.numeric(logLik(fit)),
    aic = AIC(fit), bic = BIC(fit),
    polr_coef = unname(c(polr_fit$zeta, coef(polr_fit))),
    polr_se = unname(sqrt(diag(vcov(polr_fit)))[c(names(polr_fit$zeta), names(coef(polr_fit)))]),
    polr_loglik = as.numeric(logLik(polr_fit))
  )
}

# Brant, R. (1990). Assessing proportionality in the proportional odds model
# for ordinal logistic regression. Biometrics 46, 1171-1178. Computed as R's
# brant package does (that package is not installed here): separate binary
# glms of Y > j, their joint covariance from Brant's formula, and the Wald test
# of equal slopes, overall and per column; frequency weights w.
brant_test <- function(formula, data, w = rep(1, nrow(data))) {
  y <- model.response(model.frame(formula, data))
  X <- model.matrix(formula, data)  # with the intercept column
  J <- nlevels(y); K <- ncol(X) - 1
  fits <- lapply(1:(J - 1), function(j) {
    z <- as.numeric(as.integer(y) > j)
    suppressWarnings(glm(z ~ X - 1, family = binomial, weights = w,
                         control = glm.control(epsilon = 1e-14, maxit = 100)))
  })
  pis <- lapply(fits, fitted)
  beta <- unlist(lapply(fits, function(f) coef(f)[-1]))
  V <- matrix(0, (J - 1) * K, (J - 1) * K)
  info <- function(wt) t(X) %*% (X * (w * wt))
  for (m in 1:(J - 1)) for (l in m:(J - 1)) {
    blk <- solve(info(pis[[m]] * (1 - pis[[m]]))) %*% info(pis[[l]] * (1 - pis[[m]])) %*%
      solve(info(pis[[l]] * (1 - pis[[l]])))
    blk <- blk[-1, -1, drop = FALSE]
    V[((m - 1) * K + 1):(m * K), ((l - 1) * K + 1):(l * K)] <- blk
    V[((l - 1) * K + 1):(l * K), ((m - 1) * K + 1):(m * K)] <- t(blk)
  }
  D <- matrix(0, (J - 2) * K, (J - 1) * K)
  for (r in 1:(J - 2)) {
    D[((r - 1) * K + 1):(r * K), 1:K] <- diag(K)
    D[((r - 1) * K + 1):(r * K), (r * K + 1):((r + 1) * K)] <- -diag(K)
  }
  wald <- function(rows) {
    d <- D[rows, , drop = FALSE] %*% beta
    as.numeric(t(d) %*% solve(D[rows, , drop = FALSE] %*% V %*% t(D[rows, , drop = FALSE])) %*% d)
  }
  chi2 <- c(wald(seq_len(nrow(D))), sapply(1:K, function(k) wald(seq(k, nrow(D), by = K))))
  df <- c((J - 2) * K, rep(J - 2, K))
  list(names = c("Omnibus", colnames(X)[-1]), chi2 = chi2, df = df,
       p = pchisq(chi2, df, lower.tail = FALSE))
}

# MASS::housing, Sat ~ Infl + Type + Cont, weights = Freq (MASS 4th ed. 7.3)
h_clm <- clm(Sat ~ Infl + Type + Cont, weights = Freq, data = housing, control = tight)
h_polr <- polr(Sat ~ Infl + Type + Cont, weights = Freq, data = housing, Hess = TRUE)
out$housing <- fit_summary(h_clm, h_polr)
out$housing$profile <- unname(confint(h_clm, type = "profile", level = 0.95))
out$housing$null_loglik <- as.numeric(logLik(clm(Sat ~ 1, weights = Freq, data = housing)))
nd <- housing[c(1, 30, 72), c("Infl", "Type", "Cont")]
out$housing$newdata <- nd
out$housing$predict <- unname(predict(h_polr, newdata = nd, type = "probs"))
out$housing$brant <- brant_test(Sat ~ Infl + Type + Cont, housing, housing$Freq)

# ordinal::wine, rating ~ temp + contact (Christensen's clm tutorial)
w_clm <- clm(rating ~ temp + contact, data = wine, control = tight)
w_polr <- polr(rating ~ temp + contact, data = wine, Hess = TRUE)
out$wine <- fit_summary(w_clm, w_polr)
out$wine$profile <- unname(confint(w_clm, type = "profile", level = 0.95))
# the same limits found exactly: 2 (l_max - l_profile(t)) = qchisq(0.95, 1),
# solved by uniroot on clm refits with the coefficient held as an offset
# (confint above interpolates the profile by a spline)
wine$warm <- as.numeric(wine$temp == "warm"); wine$yes <- as.numeric(wine$contact == "yes")
lr_at <- function(t, fixed) {
  other <- setdiff(c("warm", "yes"), fixed)
  wine$held <- t * wine[[fixed]]
  f <- clm(as.formula(paste("rating ~", other, "+ offset(held)")), data = wine, control = tight)
  2 * (as.numeric(logLik(w_clm)) - as.numeric(logLik(f))) - qchisq(0.95, 1)
}
exact <- function(fixed, b, se) c(
  uniroot(lr_at, c(b - 4 * se, b), fixed = fixed, tol = 1e-12)$root,
  uniroot(lr_at, c(b, b + 4 * se), fixed = fixed, tol = 1e-12)$root)
b <- coef(w_clm); se <- sqrt(diag(vcov(w_clm)))
out$wine$profile_exact <- rbind(exact("warm", b[["tempwarm"]], se[["tempwarm"]]),
                                exact("yes", b[["contactyes"]], se[["contactyes"]]))
n <- nrow(wine); k <- length(coef(w_clm))
out$wine$hc0 <- unname(sandwich(w_clm))
out$wine$hc1 <- unname(sandwich(w_clm) * n / (n - k))
out$wine$cluster <- unname(vcovCL(w_clm, cluster = ~judge, type = "HC1"))
# (no Brant test on wine: no rating of 1 with temp == "warm" and none of 5
# with "cold", so the binary fits of rating > 1 and > 4 are separated)
# anova (LR) of the model without contact
w_small <- clm(rating ~ temp, data = wine, control = tight)
lr <- anova(w_small, w_clm)
out$wine$lr_contact <- c(lr$LR.stat[2], lr$df[2], lr$`Pr(>Chisq)`[2])
# an offset: rating ~ temp + offset(0.5 * (contact == "yes"))
wine$off <- 0.5 * (wine$contact == "yes")
w_off <- clm(rating ~ temp + offset(off), data = wine, control = tight)
out$wine$offset_coef <- unname(coef(w_off))
out$wine$offset_se <- unname(sqrt(diag(vcov(w_off))))
out$wine$offset_loglik <- as.numeric(logLik(w_off))

writeLines(toJSON(out, digits = NA, auto_unbox = TRUE, pretty = TRUE),
           "tests/reference/ordinal_values.json")
