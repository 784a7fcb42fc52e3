"""newtonlogit: logistic regression by exact Newton-Raphson."""

from ._version import __version__
from .api import logit
from .estimator import LogisticRegression
from .exceptions import (
    CollinearityError,
    CollinearityWarning,
    ConvergenceWarning,
    DataError,
    ModelFileError,
)
from .modelfile import load
from .results import LogitResults

__all__ = [
    "CollinearityError",
    "CollinearityWarning",
    "ConvergenceWarning",
    "DataError",
    "LogisticRegression",
    "LogitResults",
    "ModelFileError",
    "__version__",
    "load",
    "logit",
]
