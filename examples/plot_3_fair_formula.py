"""
Formulas, categories and model checks (extramarital affairs)
============================================================

A formula on a pandas DataFrame: categorical columns through ``C()``,
coefficients named after their levels, the same encoding re-applied when
predicting. Data: statsmodels' ``fair`` (6,366 women surveyed by Redbook in
1974); the response is whether a woman reported any affair.
"""

# %%
import numpy as np
import statsmodels.api as sm

import newtonlogit as nl

df = sm.datasets.fair.load_pandas().data
df["any_affair"] = (df["affairs"] > 0).astype(int)
train = df.sample(frac=0.75, random_state=0)
test = df.drop(train.index)

res = nl.logit(
    "any_affair ~ C(rate_marriage) + age + yrs_married + children"
    " + C(religious) + educ",
    data=train,
)
print(res)

# %%
# Predicting on new rows applies the same encoding (levels, reference
# category) as the fit; an unseen level is an error that names it.
p = res.predict(test)
print(np.round(p[:5], 3))

# %%
# The fitted probability against years married, other columns at their mean
# (numbers) or most common value (categories).
fig = nl.plot.s_curve(res, test, "yrs_married")

# %%
# On the held-out quarter: the ROC curve, and calibration (observed rate
# against mean predicted probability, in ten groups by predicted probability).
fig = nl.plot.roc(res, test)

# %%
fig = nl.plot.calibration(res, test)

# %%
# The four checks in one figure, as ``newtonlogit fit --plot`` draws them.
fig = nl.plot.overview(res, test)

# %%
# Grouped counts use R's ``cbind(successes, failures)``. statsmodels'
# ``star98``: for 303 California school districts, the number of students
# above and below the national median in maths.
star = sm.datasets.star98.load_pandas().data
counts = nl.logit(
    "cbind(NABOVE, NBELOW) ~ LOWINC + PERASIAN + PERBLACK + PERHISP + PCTCHRT",
    data=star,
)
print(counts.params.round(5))
print("deviance", round(counts.deviance, 2), "on", counts.df_resid, "df")
