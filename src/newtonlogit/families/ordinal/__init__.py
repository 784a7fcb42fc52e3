"""The ordinal (cumulative logit, proportional odds) family: ``ologit``."""

from . import modelfile as _modelfile  # noqa: F401  (registers the model kind)
