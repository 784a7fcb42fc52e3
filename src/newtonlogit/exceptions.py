"""Errors and warnings newtonlogit raises."""


class DataError(ValueError):
    """Bad input data; the message names the column or row at fault."""


class CollinearityError(DataError):
    """Columns of X are linear combinations of others (R: aliased)."""

    def __init__(self, message: str, aliased: tuple[str, ...]):
        super().__init__(message)
        self.aliased = aliased


class ConvergenceWarning(UserWarning):
    """Newton-Raphson stopped before meeting its convergence test."""


class CollinearityWarning(UserWarning):
    """Aliased columns were dropped from the fit."""


class ModelFileError(ValueError):
    """A model file is malformed, truncated, of a newer schema or was edited."""


class SeparationWarning(UserWarning):
    """The data are separated: the maximum-likelihood estimate does not exist."""
