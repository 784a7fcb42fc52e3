"""Counting the passes a fit makes over its data.

On Dask every pass reads every partition (from Parquet when the data are
larger than memory), so the passes are the cost of a fit. Every backend
counts the sums it is asked for (``map_sum``) in a :class:`PassCount`:

- ``X``: passes that read ``X`` (the Newton, score and line-search passes,
  covariance meats), plus, for a subsample gathered for a warm start, the
  share of ``X``'s rows read to gather it (the rows themselves in memory; all
  rows of the partitions they come from when Dask streams from the source);
- ``response``: passes that read only ``y``, trials, weights and offset
  (kernels marked :func:`~newtonlogit.kernels.block.response_only`: the
  intercept-only fit with an offset, the saturated log-likelihood).

Passes over a subsample's own copy of rows are counted by the subsample's
backend, not by the backend of all rows. A fit reports its backend's count
as ``res.passes``. Not counted: what checks the input before the backend
exists (in memory, the finiteness and magnitude checks of ``X``; on Dask,
the one pass over the response, weights and offset that checks them and
sums the outcome totals) and passes that produce per-row outputs
(``map_rows``, model checking after the fit).
"""

from __future__ import annotations

from dataclasses import dataclass

from ..kernels.block import reads_X


@dataclass
class PassCount:
    """Passes over ``X`` (a float: a subsample counts its share) and passes
    over the response alone."""

    X: float = 0.0
    response: int = 0

    def count(self, kernel) -> None:
        """One ``map_sum`` of ``kernel`` over all rows."""
        if reads_X(kernel):
            self.X += 1.0
        else:
            self.response += 1

    def as_dict(self) -> dict[str, float]:
        return {"X": float(self.X), "response": self.response}
