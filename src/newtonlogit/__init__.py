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
from .families.ordinal.fit import ologit
from .families.ordinal.results import OLogitResults
from .families.ordinal.separation import check_ordinal_separation
from .files.modelfile import load
from .inference.discrimination import roc_test

__all__ = [
    "CollinearityError",
    "CollinearityWarning",
    "ConditionalResults",
    "ConvergenceWarning",
    "DataError",
    "LogisticRegression",
    "LogitResults",
    "OrdinalRegression",
    "ModelFileError",
    "Separation",
    "SeparationWarning",
    "MNLogitResults",
    "OLogitResults",
    "__version__",
    "check_ordinal_separation",
    "check_separation",
    "clogit",
    "load",
    "logit",
    "mnlogit",
    "ologit",
    "roc_test",
]


def __getattr__(name: str):
    # scikit-learn (and through it scipy.stats) is imported only when the
    # estimator is used: the command-line tool starts in half the time.
    if name == "LogisticRegression":
        from .estimators.logistic import LogisticRegression

        return LogisticRegression
    if name == "OrdinalRegression":
        from .estimators.ordinal import OrdinalRegression

        return OrdinalRegression
    if name == "plot":  # matplotlib is imported when a figure is drawn
        import importlib

        return importlib.import_module(".reports.plot", __name__)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
