"""
Multinomial: party identification (ANES 1996)
=============================================

Seven party-identification classes, from strong Democrat (0) to strong
Republican (6), against ideology, age, education and income: statsmodels'
``anes96``. The fit equals statsmodels' ``MNLogit`` and R's
``nnet::multinom``; each column of coefficients compares a class with the
base class 0.
"""

# %%
import numpy as np
import pandas as pd
import statsmodels.api as sm

import newtonlogit as nl

anes = sm.datasets.anes96.load_pandas().data
features = ["logpopul", "selfLR", "age", "educ", "income"]
mn = nl.mnlogit(anes[features], anes["PID"])
print(mn.summary())

# %%
# Coefficients: one row per feature, one column per non-base class.
print(mn.params.round(3))

# %%
# Is self-placed ideology (``selfLR``, 1 = extremely liberal to 7 =
# extremely conservative) needed, in all six comparisons at once?
print(mn.wald_test(["selfLR"]))
print(mn.lr_test())

# %%
# Predicted class probabilities along ``selfLR``, the other features at their
# means. ``predict`` returns one column per class.
grid = pd.DataFrame({f: [anes[f].mean()] * 7 for f in features})
grid["selfLR"] = np.arange(1, 8)
probabilities = mn.predict(grid)

from matplotlib.figure import Figure  # noqa: E402

fig = Figure(figsize=(6.4, 4.2), layout="constrained")
ax = fig.subplots()
bottom = np.zeros(len(grid))
labels = [
    "strong Dem.",
    "weak Dem.",
    "ind. Dem.",
    "independent",
    "ind. Rep.",
    "weak Rep.",
    "strong Rep.",
]
for k in range(probabilities.shape[1]):
    ax.bar(
        grid["selfLR"],
        probabilities[:, k],
        bottom=bottom,
        label=labels[k],
        color=f"C{k}",
    )
    bottom += probabilities[:, k]
ax.set(
    xlabel="self-placed ideology (1 liberal ... 7 conservative)",
    ylabel="predicted probability",
    title="Party identification",
)
ax.legend(fontsize=7, loc="center left", bbox_to_anchor=(1, 0.5), frameon=False)
