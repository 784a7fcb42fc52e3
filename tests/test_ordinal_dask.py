"""The ordinal fit on a real dask.distributed LocalCluster: the same estimates,
covariances, Brant test and marginal effects as in memory."""

import numpy as np
import pandas as pd
import pytest

import newtonlogit as nl

da = pytest.importorskip("dask.array")
dd = pytest.importorskip("dask.dataframe")
distributed = pytest.importorskip("distributed")

from .test_ordinal import load_housing  # noqa: E402


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


def _same(res, ref, rtol=1e-9):
    np.testing.assert_allclose(res.coef, ref.coef, rtol=rtol)
    np.testing.assert_allclose(res.cov_array, ref.cov_array, rtol=rtol)
    assert res.loglik == pytest.approx(ref.loglik, rel=1e-12)
    assert res.loglik_null == pytest.approx(ref.loglik_null, rel=1e-12)
    assert res.n_iter == ref.n_iter
    assert res.levels == ref.levels


def test_dask_arrays_match_numpy(client):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(3000, 4))
    y = np.digitize(X @ [1.0, -1.0, 0.5, 0.0] + rng.logistic(size=3000), [-1, 0, 1])
    w = rng.integers(1, 3, size=3000).astype(float)
    ref = nl.ologit(X, y, weights=w, cov_type="HC1")
    res = nl.ologit(
        da.from_array(X, chunks=(700, 4)),
        da.from_array(y, chunks=700),
        weights=da.from_array(w, chunks=700),
        cov_type="HC1",
    )
    _same(res, ref)
    pd.testing.assert_frame_equal(res.marginal_effects(), ref.marginal_effects())


def test_dask_dataframe_formula_matches_pandas(client):
    housing = load_housing()
    ref = nl.ologit(
        "Sat ~ Infl + Type + Cont",
        data=housing,
        weights="Freq",
        cov_type="cluster",
        groups="Type",
    )
    frame = dd.from_pandas(housing, npartitions=3)
    res = nl.ologit(
        "Sat ~ Infl + Type + Cont",
        data=frame,
        weights="Freq",
        cov_type="cluster",
        groups="Type",
    )
    _same(res, ref)
    assert res.coef_names == ref.coef_names
    pd.testing.assert_frame_equal(res.brant_test(), ref.brant_test(), rtol=1e-8)
