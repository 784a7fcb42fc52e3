"""
The same fit on Dask
====================

A Dask array or DataFrame is fitted by the same Newton iterations, one pass
over the partitions per iteration, and gives the in-memory fit's numbers.
Here a ``dask.distributed`` cluster on this machine, two workers, and a
simulated data set of 200,000 rows in 8 partitions.
"""

# %%
import dask.array as da
import numpy as np
from distributed import Client, LocalCluster

import newtonlogit as nl

rng = np.random.default_rng(0)
n, p = 200_000, 5
X = rng.standard_normal((n, p))
y = rng.random(n) < 1 / (1 + np.exp(-(0.5 + X @ np.linspace(-1, 1, p))))

cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=False)
client = Client(cluster)
X_dask = da.from_array(X, chunks=(n // 8, p))
y_dask = da.from_array(y, chunks=n // 8)
on_dask = nl.logit(X_dask, y_dask)
in_memory = nl.logit(X, y)
print(on_dask.params)
print(
    "largest difference from the in-memory fit:",
    f"{np.max(np.abs(on_dask.params - in_memory.params)):.1e}",
)
print("iterations:", on_dask.n_iter)

# %%
# Each row of the history is one Newton iteration: one pass over the
# partitions.
print(on_dask.history)
client.close()
cluster.close()
