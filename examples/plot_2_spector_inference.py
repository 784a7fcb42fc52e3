"""
Inference on a small binary fit (Spector and Mazzeo)
====================================================

Did a new teaching method (PSI) improve grades? 32 students, the data set
statsmodels ships as ``spector``. The numbers below equal R's
``glm(GRADE ~ GPA + TUCE + PSI, family = binomial)`` and Stata's ``logit``.
"""

# %%
import statsmodels.api as sm

import newtonlogit as nl

d = sm.datasets.spector.load_pandas()
X, y = d.exog[["GPA", "TUCE", "PSI"]], d.endog
res = nl.logit(X, y)
print(res)

# %%
# Wald intervals assume the log-likelihood is quadratic; with 32 rows it is
# not quite, and the profile-likelihood intervals (R's ``confint`` on a
# ``glm``) differ visibly.
print(res.conf_int())
print(res.conf_int(method="profile"))

# %%
# Odds ratios with their intervals, and the forest plot of them.
print(res.odds_ratios(method="profile"))
fig = nl.plot.forest(res)

# %%
# Average marginal effects (Stata's ``margins, dydx(*)``): the change in the
# probability of a better grade per unit of each feature, averaged over the
# students, with delta-method standard errors.
print(res.marginal_effects(at="overall"))

# %%
# Tests: the model against the intercept-only one (likelihood ratio), two
# coefficients jointly (Wald), and a nested model (likelihood ratio).
print(res.lr_test())
print(res.wald_test(["GPA", "PSI"]))
smaller = nl.logit(X[["GPA", "TUCE"]], y)
print(res.lr_test(smaller))
print(
    "McFadden",
    round(res.pseudo_r2(), 4),
    "Nagelkerke",
    round(res.pseudo_r2("nagelkerke"), 4),
)

# %%
# Robust (sandwich) standard errors: ``HC0`` to ``HC3`` as R's ``sandwich``.
robust = nl.logit(X, y, cov_type="HC3")
print(robust.std_errors)

# %%
# The fitted probability against GPA, the other features at their means
# (PSI, a 0/1 column, at its mean too: it is numeric here).
fig = nl.plot.s_curve(res, X, "GPA", y=y)
