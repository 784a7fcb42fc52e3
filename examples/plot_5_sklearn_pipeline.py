"""
A scikit-learn estimator with R's inference
===========================================

:class:`newtonlogit.LogisticRegression` is a scikit-learn classifier: it
works in pipelines, cross-validation and grid search, and after ``fit`` its
``results_`` hold the full inference. Unlike scikit-learn's own
``LogisticRegression`` it does not penalize by default (``C=inf``'s fit).
"""

# %%
import statsmodels.api as sm
from sklearn.model_selection import GridSearchCV, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

import newtonlogit as nl

df = sm.datasets.fair.load_pandas().data
X = df[["rate_marriage", "age", "yrs_married", "children", "religious", "educ"]]
y = (df["affairs"] > 0).astype(int)

model = make_pipeline(StandardScaler(), nl.LogisticRegression())
scores = cross_val_score(model, X, y, cv=5, scoring="roc_auc")
print("5-fold AUC:", scores.round(3), "mean", scores.mean().round(3))

# %%
# The fitted estimator keeps the results: standard errors, tests, summary.
model.fit(X, y)
clf = model[-1]
print(clf.results_.summary())

# %%
# A ridge penalty chosen by grid search; the intercept is never penalized.
search = GridSearchCV(
    make_pipeline(StandardScaler(), nl.LogisticRegression(penalty="l2")),
    {"logisticregression__alpha": [0.01, 1.0, 100.0, 10000.0]},
    scoring="neg_log_loss",
    cv=5,
)
search.fit(X, y)
print(search.best_params_)
print(search.cv_results_["mean_test_score"].round(4))
