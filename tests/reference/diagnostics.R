# Reference values for newtonlogit's model checking (tests/test_checking.py).
#
# Run from the repository root (R 4.2, pROC, jsonlite):
#   Rscript tests/reference/diagnostics.R "$(python -c 'import statsmodels, os; print(os.path.dirname(statsmodels.__file__))')"
# It reads the data sets shipped inside the statsmodels package and writes one
# JSON file per model into tests/reference/diagnostics/ (all digits kept).
#
# Sources of the numbers:
# - per-row measures: stats::residuals.glm, rstandard, rstudent, hatvalues,
#   cooks.distance, dfbeta, dfbetas (as influence.measures reports them);
# - Hosmer-Lemeshow: ResourceSelection::hoslem.test (version 0.3-5), written out
#   below because the package is not installed here;
# - le Cessie-van Houwelingen-Copas-Hosmer: rms::residuals.lrm(type = "gof")
#   (rms 6.x, R/residuals.lrm.s), written out below for a binary glm;
# - covariate patterns: the glm refitted on the rows pooled by pattern
#   (cbind(events, non-events)), whose Pearson and deviance residuals, hat
#   values and rstandard are the pattern residuals, leverages and
#   Hosmer-Lemeshow's delta chi-square / delta deviance (Stata predict dx2, dd);
# - ROC: pROC::roc(direction = "<"), auc, var (DeLong), ci.auc(method =
#   "delong"), roc.test(method = "delong", paired = TRUE);
# - calibration: glm(y ~ lp) (rms val.prob's Intercept and Slope) and
#   glm(y ~ 1, offset = lp).
suppressMessages(library(pROC))
library(jsonlite)

args <- commandArgs(trailingOnly = TRUE)
sm <- args[1]
out <- "tests/reference/diagnostics"

hoslem <- function(x, y, g = 10) {  # ResourceSelection::hoslem.test
  yhat <- y
  y <- x
  qq <- unique(quantile(yhat, probs = seq(0, 1, 1 / g)))
  cutyhat <- cut(yhat, breaks = qq, include.lowest = TRUE)
  observed <- xtabs(cbind(y0 = 1 - y, y1 = y) ~ cutyhat)
  expected <- xtabs(cbind(yhat0 = 1 - yhat, yhat1 = yhat) ~ cutyhat)
  chisq <- sum((observed - expected)^2 / expected)
  list(statistic = chisq, df = g - 2, p_value = 1 - pchisq(chisq, g - 2),
       observed_events = unname(observed[, 2]),
       expected_events = unname(expected[, 2]))
}

lecessie <- function(fit) {  # rms::residuals.lrm(type = "gof"), binary
  X <- model.matrix(fit)
  y <- fit$y
  p <- fitted(fit)
  sse <- sum((y - p)^2)
  wt <- p * (1 - p)
  d <- 1 - 2 * p
  z <- lm.wfit(X, d, wt, method = "qr")
  res <- z$residuals * sqrt(z$weights)
  sd <- sqrt(sum(res^2))
  ev <- sum(wt)
  z <- (sse - ev) / sd
  list(sse = sse, expected = ev, sd = sd, z = z, p_value = 2 * pnorm(-abs(z)))
}

per_row <- function(fit) {
  list(
    fitted = unname(fitted(fit)),
    hat = unname(hatvalues(fit)),
    response = unname(residuals(fit, "response")),
    working = unname(residuals(fit, "working")),
    pearson = unname(residuals(fit, "pearson")),
    deviance = unname(residuals(fit, "deviance")),
    std_pearson = unname(rstandard(fit, type = "pearson")),
    std_deviance = unname(rstandard(fit, type = "deviance")),
    studentized = unname(rstudent(fit)),
    cooks_distance = unname(cooks.distance(fit)),
    dfbeta = unname(dfbeta(fit)),
    dfbetas = unname(dfbetas(fit)),
    coef = unname(coef(fit))
  )
}

patterns <- function(fit, data, covariates) {
  key <- do.call(paste, c(data[covariates], sep = "\r"))
  first <- !duplicated(key)
  pooled <- data[first, covariates, drop = FALSE]
  y <- model.response(model.frame(fit))
  pooled$events <- as.vector(tapply(y, factor(key, levels = key[first]), sum))
  pooled$trials <- as.vector(tapply(y * 0 + 1, factor(key, levels = key[first]), sum))
  f <- reformulate(covariates, "cbind(events, trials - events)")
  g <- glm(f, binomial, pooled, control = tight)
  g <- glm(f, binomial, pooled, control = tight, start = coef(g))
  pearson <- residuals(g, "pearson")
  deviance <- residuals(g, "deviance")
  row <- match(key, key[first])
  list(
    n_patterns = nrow(pooled),
    pearson_chi2 = sum(pearson^2),
    deviance = sum(deviance^2),
    df = nrow(pooled) - length(coef(g)),
    hat = unname(hatvalues(g))[row],
    delta_chi2 = unname(rstandard(g, type = "pearson")^2)[row],
    delta_deviance = unname(rstandard(g, type = "deviance")^2)[row],
    delta_beta = unname(pearson^2 * hatvalues(g) / (1 - hatvalues(g))^2)[row]
  )
}

discrimination <- function(fit, smaller) {
  y <- fit$y
  p <- fitted(fit)
  r <- roc(y, p, levels = c(0, 1), direction = "<", quiet = TRUE)
  r2 <- roc(y, fitted(smaller), levels = c(0, 1), direction = "<", quiet = TRUE)
  ci <- ci.auc(r, method = "delong")
  test <- roc.test(r, r2, method = "delong", paired = TRUE)
  lp <- qlogis(p)
  slope <- coef(glm(y ~ lp, binomial, control = glm.control(epsilon = 1e-14)))
  large <- coef(glm(y ~ 1, binomial, offset = lp,
                    control = glm.control(epsilon = 1e-14)))
  positive <- p >= 0.5
  list(
    auc = as.numeric(auc(r)), var = var(r), ci = as.numeric(ci)[c(1, 3)],
    auc_small = as.numeric(auc(r2)), z = unname(test$statistic),
    p_value = test$p.value,
    sensitivity = r$sensitivities, specificity = r$specificities,
    brier = mean((y - p)^2),
    calibration = unname(c(slope, large)),
    classification = c(
      sensitivity = mean(positive[y == 1]), specificity = mean(!positive[y == 0]),
      ppv = mean(y[positive] == 1), npv = mean(y[!positive] == 0),
      correctly_classified = mean(positive == (y == 1)))
  )
}

tight <- glm.control(epsilon = 1e-14, maxit = 50)
# glm's hat values and dfbeta come from the QR of its last-but-one IRLS
# weights; a second fit started at the estimate puts them at the estimate.
again <- function(fit) update(fit, start = coef(fit))
write <- function(x, name) {
  write_json(x, file.path(out, paste0(name, ".json")), digits = NA, auto_unbox = TRUE)
}

# spector: GRADE ~ GPA + TUCE + PSI (32 students; binary)
spector <- read.table(file.path(sm, "datasets/spector/spector.csv"), header = TRUE)
fit <- again(glm(GRADE ~ GPA + TUCE + PSI, binomial, spector, control = tight))
small <- glm(GRADE ~ GPA, binomial, spector, control = tight)
write(c(per_row(fit),
        list(hosmer_lemeshow = hoslem(fit$y, fitted(fit)), lecessie = lecessie(fit),
             patterns = patterns(fit, spector, c("GPA", "TUCE", "PSI")),
             discrimination = discrimination(fit, small))), "spector")

# spector with frequency weights 1 + (OBS mod 3): R's prior weights
spector$w <- 1 + spector$OBS %% 3
fit <- again(glm(GRADE ~ GPA + TUCE + PSI, binomial, spector, weights = w,
                 control = tight))
write(c(per_row(fit), list(weights = spector$w)), "spector_weighted")

# lbw: low ~ age + lwt + race + smoke + ptl + ht + ui (189 births; the
# race dummies as in the statsmodels and Stata examples)
lbw <- read.csv(file.path(sm, "genmod/tests/results/stata_lbw_glm.csv"))
lbw$race_black <- as.numeric(lbw$race == "black")
lbw$race_other <- as.numeric(lbw$race == "other")
covariates <- c("age", "lwt", "race_black", "race_other", "smoke", "ptl", "ht", "ui")
fit <- again(glm(reformulate(covariates, "low"), binomial, lbw, control = tight))
small <- glm(low ~ lwt + smoke, binomial, lbw, control = tight)
# three binary covariates: 8 distinct fitted values, tied quantiles
tied <- glm(low ~ smoke + ht + ui, binomial, lbw, control = tight, y = TRUE)
write(c(per_row(fit),
        list(hosmer_lemeshow = hoslem(fit$y, fitted(fit)),
             hosmer_lemeshow_5 = hoslem(fit$y, fitted(fit), g = 5),
             hosmer_lemeshow_tied = hoslem(tied$y, fitted(tied)),
             lecessie = lecessie(fit),
             patterns = patterns(fit, lbw, covariates),
             discrimination = discrimination(fit, small))), "lbw")

# star98: cbind(successes, failures) ~ 20 covariates (303 school districts)
star <- read.csv(file.path(sm, "datasets/star98/star98.csv"))
star$failures <- star$MATHTOT - star$PR50M
covariates <- names(star)[3:22]
fit <- again(glm(reformulate(covariates, "cbind(PR50M, failures)"), binomial,
                 star, control = tight))
write(c(per_row(fit),
        list(pearson_chi2 = sum(residuals(fit, "pearson")^2),
             deviance_total = deviance(fit))), "star98")
