"""The conditional (matched-set) logistic regression family: ``clogit``."""

from . import modelfile as _modelfile  # noqa: F401  (registers the model kind)
