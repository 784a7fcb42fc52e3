"""newtonlogit: logistic regression by exact Newton-Raphson."""

from ._version import __version__
from .exceptions import (
    CollinearityError,
    CollinearityWarning,
    ConvergenceWarning,
    DataError,
    ModelFileError,
    SeparationWarning,
)
from .families.binary.fit import logit
from .families.binary.results import LogitResults
from .families.binary.separation import Separation, check_separation
from .families.conditional.fit import clogit
from .families.conditional.results import ConditionalResults
from .families.multinomial.fit import mnlogit
from .families.multinomial.results import MNLogitResults
from .files.modelfile import load

__all__ = [
    "CollinearityError",
    "CollinearityWarning",
    "ConditionalResults",
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
    "clogit",
    "load",
    "logit",
    "mnlogit",
]


def __getattr__(name: str):
    # scikit-learn (and through it scipy.stats) is imported only when the
    # estimator is used: the command-line tool starts in half the time.
    if name == "LogisticRegression":
        from .estimators.logistic import LogisticRegression

        return LogisticRegression
    if name == "plot":  # matplotlib is imported when a figure is drawn
        import importlib

        return importlib.import_module(".reports.plot", __name__)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
