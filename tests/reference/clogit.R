# Reference numbers for the conditional logistic regression tests.
#
#   Rscript tests/reference/clogit.R
#
# writes tests/reference/infert.csv (R's datasets::infert, 248 rows: Trichopoulos
# et al. (1976), the matched case-control study of infertility after induced and
# spontaneous abortion) and tests/reference/clogit_survival.json (survival::clogit
# on it). Two matchings: `stratum` (83 matched sets, one case each: 1:M) and
# `pooled.stratum` (63 sets of 2 to 12 rows with 1 to 4 cases: M:N).
library(survival)
library(jsonlite)

dir <- "tests/reference"
write.csv(infert, file.path(dir, "infert.csv"), row.names = FALSE)

fit_one <- function(strata, method, ...) {
  f <- as.formula(paste0("case ~ spontaneous + induced + strata(", strata, ")"))
  clogit(f, data = infert, method = method, ...)
}

# Profile-likelihood limits of one coefficient: the other is refitted with the
# first held fixed through an offset; the limit is where the LR statistic
# reaches qchisq(0.95, 1).
profile_limits <- function(strata, method, name, fit) {
  other <- setdiff(c("spontaneous", "induced"), name)
  top <- fit$loglik[2]
  drop <- function(b) {
    f <- as.formula(paste0("case ~ ", other, " + offset(", b, " * ", name,
                           ") + strata(", strata, ")"))
    g <- clogit(f, data = infert, method = method,
                control = coxph.control(eps = 1e-11, iter.max = 100))
    2 * (top - g$loglik[2]) - qchisq(0.95, 1)
  }
  b <- coef(fit)[[name]]
  se <- sqrt(diag(vcov(fit)))[[name]]
  lower <- uniroot(drop, c(b - 4 * se, b), tol = 1e-12)$root
  upper <- uniroot(drop, c(b, b + 4 * se), tol = 1e-12)$root
  c(lower, upper)
}

out <- list()
for (strata in c("stratum", "pooled.stratum")) {
  for (method in c("exact", "efron", "breslow")) {
    fit <- fit_one(strata, method, control = coxph.control(eps = 1e-11, iter.max = 100))
    entry <- list(
      coef = unname(coef(fit)),
      cov = unname(vcov(fit)),
      loglik = fit$loglik[2],
      loglik_null = fit$loglik[1],
      lr = 2 * (fit$loglik[2] - fit$loglik[1]),
      profile_spontaneous = profile_limits(strata, method, "spontaneous", fit),
      profile_induced = profile_limits(strata, method, "induced", fit)
    )
    if (method != "exact") {
      # robust = TRUE: the sandwich with one dfbeta (score) residual per row
      rob <- fit_one(strata, method, robust = TRUE,
                     control = coxph.control(eps = 1e-11, iter.max = 100))
      entry$cov_robust <- unname(rob$var)
    }
    out[[paste(strata, method, sep = ":")]] <- entry
  }
}
# cluster(): residuals summed by cluster (matched sets of `stratum`, clustered
# by `pooled.stratum`); survival applies no small-sample factor (CR0).
for (method in c("efron", "breslow")) {
  cl <- clogit(case ~ spontaneous + induced + strata(stratum) + cluster(pooled.stratum),
               data = infert, method = method,
               control = coxph.control(eps = 1e-11, iter.max = 100))
  out[[paste0("cluster:", method)]] <- list(coef = unname(coef(cl)),
                                             cov = unname(cl$var))
}
out$versions <- list(R = R.version.string,
                     survival = as.character(packageVersion("survival")))
writeLines(toJSON(out, digits = NA, auto_unbox = TRUE, pretty = TRUE),
           file.path(dir, "clogit_survival.json"))
