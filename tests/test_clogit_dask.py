"""clogit on Dask: a real dask.distributed cluster, strata inside partitions."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

distributed = pytest.importorskip("distributed")
dd = pytest.importorskip("dask.dataframe")

import newtonlogit as nl  # noqa: E402

INFERT = Path(__file__).parent / "reference" / "infert.csv"
FORMULA = "case ~ spontaneous + induced"


@pytest.fixture(scope="module")
def client():
    with (
        distributed.LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=True,
            dashboard_address=":0",
            memory_limit="1GiB",
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        yield client


@pytest.fixture(scope="module")
def infert():
    return pd.read_csv(INFERT)


@pytest.mark.parametrize("method", ["exact", "efron"])
def test_equals_the_in_memory_fit(client, infert, method):
    """Sorted by stratum and partitioned by set_index: each set in one partition."""
    frame = dd.from_pandas(infert, npartitions=4).set_index("pooled.stratum")
    frame = frame.reset_index()
    assert frame.npartitions > 1
    got = nl.clogit(FORMULA, data=frame, strata="pooled.stratum", method=method)
    want = nl.clogit(FORMULA, data=infert, strata="pooled.stratum", method=method)
    np.testing.assert_allclose(got.coef, want.coef, rtol=1e-10)
    np.testing.assert_allclose(got.cov_array, want.cov_array, rtol=1e-9)
    assert got.loglik == pytest.approx(want.loglik, rel=1e-12)
    lr = got.lr_test(
        nl.clogit("case ~ induced", data=frame, strata="pooled.stratum", method=method)
    )
    assert lr.statistic == pytest.approx(
        want.lr_test(
            nl.clogit(
                "case ~ induced", data=infert, strata="pooled.stratum", method=method
            )
        ).statistic,
        rel=1e-9,
    )


def test_robust_covariance(client, infert):
    frame = dd.from_pandas(infert, npartitions=4).set_index("pooled.stratum")
    options = dict(strata="pooled.stratum", method="efron", cov_type="HC0")
    got = nl.clogit(FORMULA, data=frame.reset_index(), **options)
    want = nl.clogit(FORMULA, data=infert, **options)
    np.testing.assert_allclose(got.cov_array, want.cov_array, rtol=1e-9)


def test_a_set_across_partitions_is_refused_with_the_remedy(client, infert):
    ordered = infert.sort_values("stratum", kind="stable").reset_index(drop=True)
    # 248 rows in partitions of 62: some set straddles a boundary
    frame = dd.from_pandas(ordered, npartitions=4, sort=False)
    with pytest.raises(nl.DataError, match="split between partitions.*set_index"):
        nl.clogit(FORMULA, data=frame, strata="stratum")
    scattered = dd.from_pandas(infert, npartitions=1)  # sets not together
    with pytest.raises(nl.DataError, match="not together.*set_index"):
        nl.clogit(FORMULA, data=scattered, strata="stratum")
