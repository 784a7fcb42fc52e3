"""The multinomial logistic regression family: ``mnlogit``."""

from . import modelfile as _modelfile  # noqa: F401  (registers the model kind)
