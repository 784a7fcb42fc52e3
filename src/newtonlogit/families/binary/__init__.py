"""The binary (binomial) logistic regression family: ``logit``."""

from . import modelfile as _modelfile  # noqa: F401  (registers the model kind)
