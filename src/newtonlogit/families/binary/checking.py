"""Model checking of a binary fit: the data again, the per-row measures, the
tests of fit, discrimination and calibration.

Results hold no data, so every method here takes the rows again (as
``predict`` does: matrices ``X, y`` or, after a formula fit, ``data``) or,
given none, uses the fit's reference to its training data (``res.refit``; a
model loaded from a file has none). The rows become a
:class:`~newtonlogit.data.design.Design` and a backend, and the per-row work
runs in the kernels of :mod:`.diagnostics`, mapped by ``backend.map_rows``
(NumPy arrays, device arrays, or lazy dask arrays) and ``backend.map_sum``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ...backends import backend_for, is_dask, is_device_array
from ...backends.namespace import to_numpy
from ...data.checks import align_columns
from ...data.design import make_design
from ...data.inputs import resolve_inputs
from ...solver.newton import cho_inverse, cholesky
from . import diagnostics, kernels


@dataclass(frozen=True)
class CheckData:
    """The rows a check runs on, the backend over them, and the estimate."""

    design: Any
    backend: Any
    beta: np.ndarray  # full length, aliased entries 0
    free: np.ndarray  # bool mask of the estimated coefficients
    index: Any = None  # the input frame's row index, if any

    @property
    def lazy(self) -> bool:
        return is_dask(self.design.X)

    def host(self, values):
        """Per-row values as a NumPy array (computing lazy ones)."""
        if self.lazy:
            values = values.compute()
        return to_numpy(values)

    def outcomes(self) -> tuple[np.ndarray, np.ndarray]:
        """``(events, non_events)`` per row, weighted (host arrays)."""
        d = self.design
        y = self.host(d.y)
        n = np.ones_like(y) if d.trials is None else self.host(d.trials)
        w = 1.0 if d.weights is None else self.host(d.weights)
        return w * y, w * (n - y)


def check_data(res, X=None, y=None, *, data=None, weights=None, offset=None):
    """The :class:`CheckData` of a check on the given rows (see the module)."""
    if X is None and y is None and data is None:
        design = _training_design(res)
        index = None
    else:
        design, index = _new_design(res, X, y, data, weights, offset)
    names = design.coef_names
    free = np.array([name not in res.aliased for name in names])
    beta = np.zeros(len(names))
    beta[free] = res.coef
    # Dask: no persisted copy; the lazy outputs read the source partitions
    options = {"persist": False} if is_dask(design.X) else {}
    backend = backend_for(design.X)(design, **options)
    return CheckData(design, backend, beta, free, index)


def _training_design(res):
    objective = getattr(res.refit, "objective", None)
    while objective is not None and not hasattr(objective, "backend"):
        objective = getattr(objective, "objective", None) or getattr(
            objective, "likelihood", None
        )
    if objective is None:
        raise ValueError(
            "this model holds no reference to its training data (loaded from a "
            "file, or a FLIC/FLAC fit): pass the rows, e.g. res.influence(X, y)"
        )
    return objective.backend.design


def _new_design(res, X, y, data, weights, offset):
    spec = res.model_spec
    if spec is not None:
        if data is None:
            raise ValueError(
                "the model was fitted with a formula: pass the rows as data= "
                "(a DataFrame with the formula's columns)"
            )
        inputs = resolve_inputs(
            spec.formula,
            None,
            data=data,
            weights=weights,
            offset=offset,
            missing="raise",
            fit_intercept=res.fit_intercept,
            feature_names=None,
        )
        X_new = inputs.X if is_dask(data) else spec.model_matrix(data)
        y, weights, offset = inputs.y, inputs.weights, inputs.offset
        index = getattr(data, "index", None)
    else:
        if data is not None:
            raise ValueError("data= is for models fitted with a formula; pass X, y")
        if X is None or y is None:
            raise ValueError("pass both X and y (the rows to check)")
        index = getattr(X, "index", None)
        X_new = X
        if not (is_dask(X) or is_device_array(X) or _is_sparse(X)):
            X_new = align_columns(X, res.feature_names)
    design = make_design(
        X_new,
        y,
        weights=weights,
        offset=offset,
        fit_intercept=res.fit_intercept,
        feature_names=res.feature_names,
    )
    if res.classes is not None and design.classes not in (None, res.classes):
        raise ValueError(
            f"y has the labels {list(design.classes)} but the model was fitted "
            f"on {list(res.classes)}"
        )
    return design, index if isinstance(index, pd.Index) else None


def _is_sparse(X) -> bool:
    return hasattr(X, "tocsr") and hasattr(X, "nnz")


def bread(check: CheckData) -> np.ndarray:
    """``(X'VX)^{-1}`` of these rows at the estimate, padded with zeros for
    aliased coefficients (the model-based covariance, whatever ``cov_type``)."""
    out = check.backend.map_sum(
        kernels.newton_sums, check.beta, check.design.fit_intercept
    )
    free = check.free
    full = np.zeros((free.size, free.size))
    full[np.ix_(free, free)] = cho_inverse(cholesky(out[2][np.ix_(free, free)]))
    return full


def row_measures(check: CheckData) -> dict:
    """The per-row outputs of :func:`diagnostics.influence_rows`, by name, and
    ``dfbeta`` over the estimated coefficients (arrays of the backend's kind:
    lazy dask arrays on Dask, host arrays otherwise)."""
    B = bread(check)
    outputs = check.backend.map_rows(
        diagnostics.influence_rows,
        check.beta,
        check.design.fit_intercept,
        B,
        columns=diagnostics.influence_columns(check.free.size),
    )
    if is_device_array(check.design.X):
        outputs = tuple(to_numpy(o) for o in outputs)
    measures = dict(zip(diagnostics.ROW_OUTPUTS, outputs))
    dfbeta = outputs[-1]
    measures["dfbeta"] = dfbeta if check.free.all() else dfbeta[:, check.free]
    measures["bread_diagonal"] = np.diag(B)[check.free]
    return measures


def influence_frame(check: CheckData) -> Any:
    """The table of :meth:`LogitResults.influence` (see there). Rows with
    ``h = 1`` get infinite or NaN measures, as in R, without a warning."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return _influence_frame(check)


def _influence_frame(check: CheckData) -> Any:
    m = row_measures(check)
    k = int(check.free.sum())
    hat, pearson, deviance = m["hat"], m["pearson"], m["deviance"]
    leave = 1.0 - hat
    dev_sum, n_pos = check.backend.map_sum(
        diagnostics.deviance_sums, check.beta, check.design.fit_intercept
    )
    # R's leave-one-out scale of lm.influence, from the deviance residuals
    sigma = np.sqrt((float(dev_sum) - deviance**2 / leave) / (float(n_pos) - k - 1))
    columns = {
        "fitted": m["fitted"],
        "linear_predictor": m["eta"],
        "hat": hat,
        "response": m["response"],
        "working": m["working"],
        "pearson": pearson,
        "deviance": deviance,
        "std_pearson": pearson / np.sqrt(leave),
        "std_deviance": deviance / np.sqrt(leave),
        "studentized": np.sign(deviance)
        * np.sqrt(deviance**2 + hat * pearson**2 / leave),
        "cooks_distance": pearson**2 * hat / (k * leave**2),
        "delta_chi2": pearson**2 / leave,
        "delta_deviance": deviance**2 / leave,
        "delta_beta": pearson**2 * hat / leave**2,
    }
    names = [n for n, f in zip(check.design.coef_names, check.free) if f]
    dfbeta = m["dfbeta"]
    dfbetas = dfbeta / (sigma[:, None] * np.sqrt(m["bread_diagonal"]))
    return _frame(check, columns, names, dfbeta, dfbetas)


def _frame(check: CheckData, columns: dict, names, dfbeta, dfbetas):
    labels = [
        *columns,
        *(f"dfbeta_{n}" for n in names),
        *(f"dfbetas_{n}" for n in names),
    ]
    if check.lazy:
        import dask.array as da
        import dask.dataframe as dd

        stacked = da.concatenate(
            [*(c[:, None] for c in columns.values()), dfbeta, dfbetas], axis=1
        )
        return dd.from_dask_array(stacked, columns=labels)
    # column-major, so that the frame takes the array as its one block uncopied
    table = np.empty((dfbeta.shape[0], len(labels)), order="F")
    for j, column in enumerate(columns.values()):
        table[:, j] = column
    k = dfbeta.shape[1]
    table[:, len(columns) : len(columns) + k] = dfbeta
    table[:, len(columns) + k :] = dfbetas
    return pd.DataFrame(table, columns=labels, index=check.index, copy=False)


def in_memory(check: CheckData) -> bool:
    """Whether the rows are a dense in-memory matrix (NumPy or a device array)."""
    return not (check.lazy or _is_sparse(check.design.X))


def covariate_patterns(check: CheckData) -> np.ndarray:
    """Integer codes ``0..J-1`` of the rows' covariate patterns (equal values
    in every column of ``X`` and in the offset), in order of first appearance."""
    if not in_memory(check):
        raise ValueError(
            "covariate patterns are found in memory: pass NumPy or pandas rows"
        )
    columns = [to_numpy(check.design.X)]
    if check.design.offset is not None:
        columns.append(to_numpy(check.design.offset)[:, None])
    return row_codes(np.hstack(columns).astype(np.float64) + 0.0)  # -0.0 -> 0.0


def row_codes(M: np.ndarray) -> np.ndarray:
    """Codes of the distinct rows of ``M``, in order of first appearance.

    The rows are hashed (one 64-bit hash a row from pandas' column hashes) and
    the hashes factorized; every row is then compared with the first row of its
    code, and a collision (never seen, but possible) falls back to an exact
    group-by. Twenty columns of 500,000 distinct rows: 2.5x to 4x faster than
    a pandas group-by on the columns (measured on a shared 2-core machine).
    """
    hashed = np.zeros(M.shape[0], dtype=np.uint64)
    for j in range(M.shape[1]):
        column = pd.util.hash_array(np.ascontiguousarray(M[:, j]))
        hashed = (hashed * np.uint64(1_000_003)) ^ column
    codes, _ = pd.factorize(hashed)
    first = np.unique(codes, return_index=True)[1]
    if np.array_equal(M, M[first[codes]]):
        return codes
    frame = pd.DataFrame(M)
    return frame.groupby(list(frame.columns), sort=False).ngroup().to_numpy()


__all__ = [
    "CheckData",
    "check_data",
    "covariate_patterns",
    "in_memory",
    "influence_frame",
    "row_codes",
]
