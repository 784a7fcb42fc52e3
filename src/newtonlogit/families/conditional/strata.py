"""The strata of a conditional fit: rows grouped by matched set, once.

In memory the rows are sorted by stratum (a stable sort; no copy when they
are grouped already). Dask data are not sorted, which would shuffle X: each
stratum must already be contiguous and inside one partition, and the fit says
how to repartition otherwise. Either way the design's ``segments`` carry the
stratum codes, and backends cut row blocks only where they change. The
per-row labels (strata, case indicator, weights, clusters: one column each)
are brought to the host once, for the checks and counts below.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pandas as pd

from ...backends import is_dask
from ...backends.namespace import to_numpy
from ...data.design import Design
from ...exceptions import DataError
from ...inference.covariance import group_codes


@dataclass(frozen=True)
class HostStrata:
    """Per-row host arrays in the design's row order."""

    codes: np.ndarray  # stratum codes, contiguous runs
    y: np.ndarray
    weights: np.ndarray | None
    groups: np.ndarray | None

    @property
    def starts(self) -> np.ndarray:
        codes = self.codes
        return np.flatnonzero(np.r_[True, codes[1:] != codes[:-1]])

    @property
    def sizes(self) -> np.ndarray:
        return np.diff(np.r_[self.starts, len(self.codes)])

    def constant(self, values: np.ndarray) -> bool:
        """Whether ``values`` is the same on every row of each stratum."""
        return np.array_equal(values, np.repeat(values[self.starts], self.sizes))


def _host(values: Any) -> np.ndarray | None:
    if values is None:
        return None
    if hasattr(values, "compute"):
        values = values.compute()
    if isinstance(values, pd.Series | pd.Index):
        values = values.to_numpy()
    return np.asarray(to_numpy(values))


def group_rows(design: Design, strata: Any, groups: Any):
    """The design with ``segments`` (and cluster codes), its host strata and
    the number of clusters; see the module docstring."""
    n = design.n_rows
    labels = _host(strata)
    if labels is None or labels.ndim != 1 or labels.shape[0] != n:
        shape = None if labels is None else labels.shape
        raise DataError(f"strata must have one label per row ({n}); got shape {shape}")
    missing = pd.isna(labels)
    if missing.any():
        raise DataError(
            f"strata has a missing label at row {int(np.flatnonzero(missing)[0])} "
            "(pass missing='drop' to drop such rows)"
        )
    codes, uniques = pd.factorize(labels)
    cluster, n_groups = (None, 0) if groups is None else group_codes(_host(groups), n)
    y, weights = _host(design.y), _host(design.weights)
    if is_dask(design.X):
        _check_partitions(codes, uniques, design.X.chunks[0])
    elif np.any(np.diff(codes) < 0):
        order = np.argsort(codes, kind="stable")

        def take(a):
            return None if a is None else a[order]

        design = replace(
            design,
            X=design.X[order],
            y=design.y[order],
            weights=take(design.weights),
            offset=take(design.offset),
        )
        codes, cluster, y, weights = take(codes), take(cluster), take(y), take(weights)
    host = HostStrata(codes.astype(np.intp), y, weights, cluster)
    if weights is not None and not host.constant(weights):
        row = int(np.flatnonzero(weights != weights[host.starts].repeat(host.sizes))[0])
        raise DataError(
            "weights must be constant within each stratum (a weight counts a "
            f"whole matched set); stratum {uniques[codes[row]]!r} has different weights"
        )
    design = replace(design, segments=host.codes, groups=cluster)
    return design, host, n_groups


def _check_partitions(codes: np.ndarray, uniques, chunks) -> None:
    stops = np.cumsum(chunks)[:-1]
    stops = stops[(stops > 0) & (stops < len(codes))]
    split = stops[codes[stops - 1] == codes[stops]]
    how = (
        "a matched set must lie in one partition, its rows together: repartition "
        "by stratum, e.g. df = df.set_index('<strata column>') (sorts the rows "
        "and keeps each value in one partition), then fit"
    )
    if split.size:
        index = int(np.searchsorted(np.cumsum(chunks), split[0], side="right"))
        raise DataError(
            f"stratum {uniques[codes[split[0]]]!r} is split between partitions "
            f"{index - 1} and {index}: {how}"
        )
    if np.any(np.diff(codes) < 0):
        row = int(np.flatnonzero(np.diff(codes) < 0)[0]) + 1
        raise DataError(
            f"the rows of stratum {uniques[codes[row]]!r} are not together "
            f"(row {row}): {how}"
        )


def strata_counts(host: HostStrata) -> dict:
    cases = np.add.reduceat(host.y, host.starts)
    informative = (cases > 0) & (cases < host.sizes)
    return dict(
        n_strata=int(host.starts.size),
        n_informative=int(informative.sum()),
        n_events=int(host.y.sum()),
    )


def check_cov(cov_type: str, method: str, host: HostStrata) -> None:
    """Robust covariance for the exact method: 1:M sets, or clusters holding
    whole sets (survival refuses the exact method's robust variance)."""
    if cov_type not in ("HC0", "HC1", "cluster") or method != "exact":
        return
    if np.all(np.add.reduceat(host.y, host.starts) <= 1):
        return  # 1:M sets: the exact likelihood is Breslow's
    if cov_type == "cluster" and host.constant(host.groups):
        return
    raise DataError(
        "robust covariance with method='exact' and sets of several cases needs "
        "clusters that hold whole strata (survival refuses it too): use "
        "method='efron' or 'breslow', or cov_type='cluster' with such groups"
    )
