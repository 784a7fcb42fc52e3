"""Errors and warnings newtonlogit raises."""


class DataError(ValueError):
    """Bad input data; the message names the column or row at fault.

    Examples
    --------
    >>> import numpy as np
    >>> import newtonlogit as nl
    >>> try:
    ...     nl.logit(np.ones((3, 1)), [0, 1, 2])
    ... except nl.DataError as error:
    ...     print(error)
    y must have exactly two classes for binary logistic regression; found 3 (0, 1, 2)
    """


class CollinearityError(DataError):
    """Columns of X are linear combinations of others (R: aliased).

    Examples
    --------
    >>> import numpy as np
    >>> import newtonlogit as nl
    >>> x = np.array([0.5, 1.0, 1.5, 2.0, 2.5, 3.0])
    >>> try:
    ...     nl.logit(np.column_stack([x, 2 * x]), [0, 1, 0, 0, 1, 1])
    ... except nl.CollinearityError as error:
    ...     print(error.aliased)
    ('x2',)
    """

    def __init__(self, message: str, aliased: tuple[str, ...]):
        super().__init__(message)
        self.aliased = aliased


class ConvergenceWarning(UserWarning):
    """Newton-Raphson stopped before meeting its convergence test.

    Examples
    --------
    >>> import warnings
    >>> import numpy as np
    >>> import newtonlogit as nl
    >>> x = np.array([[0.5], [1.0], [1.5], [2.0], [2.5], [3.0]])
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     res = nl.logit(x, [0, 1, 0, 0, 1, 1], max_iter=1)
    >>> caught[0].category.__name__, res.converged
    ('ConvergenceWarning', False)
    """


class CollinearityWarning(UserWarning):
    """Aliased columns were dropped from the fit.

    Examples
    --------
    >>> import warnings
    >>> import numpy as np
    >>> import newtonlogit as nl
    >>> x = np.array([0.5, 1.0, 1.5, 2.0, 2.5, 3.0])
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     res = nl.logit(
    ...         np.column_stack([x, 2 * x]), [0, 1, 0, 0, 1, 1], drop_collinear=True
    ...     )
    >>> caught[0].category.__name__, res.aliased
    ('CollinearityWarning', ('x2',))
    """


class ModelFileError(ValueError):
    """A model file is malformed, truncated, of a newer schema or was edited.

    Examples
    --------
    >>> import os
    >>> import tempfile
    >>> import newtonlogit as nl
    >>> path = os.path.join(tempfile.mkdtemp(), "model.json")
    >>> with open(path, "w") as f:
    ...     _ = f.write('{"format": "newtonlogit-model"')
    >>> try:
    ...     nl.load(path)
    ... except nl.ModelFileError as error:
    ...     print("not valid JSON" in str(error))
    True
    """


class SeparationWarning(UserWarning):
    """The data are separated: the maximum-likelihood estimate does not exist.

    Examples
    --------
    >>> import warnings
    >>> import numpy as np
    >>> import newtonlogit as nl
    >>> x = np.array([[0.5], [1.0], [1.5], [2.0], [2.5], [3.0]])
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     res = nl.logit(x, [0, 0, 0, 1, 1, 1])
    >>> [w.category.__name__ for w in caught], res.separation.infinite
    (['SeparationWarning'], ['Intercept', 'x1'])
    """
