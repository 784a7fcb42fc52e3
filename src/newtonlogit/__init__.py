"""newtonlogit: logistic regression by exact Newton-Raphson."""

from ._version import __version__
from .api import logit
from .exceptions import (
    CollinearityError,
    CollinearityWarning,
    ConvergenceWarning,
    DataError,
    ModelFileError,
    SeparationWarning,
)
from .mnlogit import mnlogit
from .mnresults import MNLogitResults
from .modelfile import load
from .results import LogitResults
from .separation import Separation, check_separation

__all__ = [
    "CollinearityError",
    "CollinearityWarning",
    "ConvergenceWarning",
    "DataError",
    "LogisticRegression",
    "LogitResults",
    "ModelFileError",
    "Separation",
    "SeparationWarning",
    "MNLogitResults",
    "__version__",
    "check_separation",
    "load",
    "logit",
    "mnlogit",
]


def __getattr__(name: str):
    # scikit-learn (and through it scipy.stats) is imported only when the
    # estimator is used: the command-line tool starts in half the time.
    if name == "LogisticRegression":
        from .estimator import LogisticRegression

        return LogisticRegression
    if name == "plot":  # matplotlib is imported when a figure is drawn
        import importlib

        return importlib.import_module(".plot", __name__)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
