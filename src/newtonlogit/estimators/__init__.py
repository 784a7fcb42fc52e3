"""The scikit-learn estimators: :class:`~.logistic.LogisticRegression` (binary
and multinomial), with the array-API conventions in :mod:`.array_api`."""
