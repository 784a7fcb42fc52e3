"""
Iris: separation, and Firth's fit
=================================

The experiment ``newtonlogit demo`` runs. Newton-Raphson on iris setosa vs
versicolor from zero never converges: the classes are separated, so the
maximum-likelihood estimate does not exist. newtonlogit says so (checked
exactly by a linear program) instead of reporting a converged fit, and
Firth's penalized likelihood gives finite estimates.
"""

# %%
# The data: two species, four measurements, a stratified train/test split.
import warnings

import numpy as np
import pandas as pd
from sklearn.datasets import load_iris
from sklearn.model_selection import train_test_split

import newtonlogit as nl

iris = load_iris(as_frame=True)
X = iris.data.rename(columns=lambda c: c.replace(" (cm)", "").replace(" ", "_"))
keep = iris.target.isin([0, 1]).to_numpy()
y = pd.Series(np.where(iris.target[keep] == 1, "versicolor", "setosa"))
X_train, X_test, y_train, y_test = train_test_split(
    X[keep].reset_index(drop=True), y, test_size=0.25, random_state=0, stratify=y
)

# %%
# Fit from zero, as the tutorial did. The fit stops early with a
# :class:`~newtonlogit.SeparationWarning`; ``res.converged`` is False.
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    res = nl.logit(X_train, y_train, start=np.zeros(5))
print(caught[0].category.__name__, ":", caught[0].message)
print("converged:", res.converged)
print(res.history.to_string(float_format=lambda v: f"{v:.4g}"))

# %%
# The log-likelihood creeps towards 0 while the coefficients keep growing:
# the change per iteration does not shrink, which is what separation looks
# like on the convergence plot.
fig = nl.plot.convergence(res)

# %%
# :func:`~newtonlogit.check_separation` runs the linear program on its own
# (as R's ``detectseparation``) and names the coefficients that run off to
# infinity.
found = nl.check_separation(X_train, y_train)
print(found)
print(found.infinite)

# %%
# Firth's penalized likelihood (R's ``logistf``) has a finite maximum on
# separated data. Its profile penalized-likelihood intervals and penalized
# likelihood-ratio p-values are the ones ``logistf`` reports.
firth = nl.logit(X_train, y_train, penalty="firth")
print(firth)
print(firth.lr_p_values())

# %%
# Test accuracy is perfect, which says the classes are easy to tell apart,
# not that a model's coefficients mean anything.
accuracy = np.mean((firth.predict(X_test) > 0.5) == (y_test == "versicolor"))
print(f"test accuracy of the Firth fit: {accuracy:.3f}")
