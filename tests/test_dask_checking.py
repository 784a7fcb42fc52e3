"""Model checking on Dask (a real dask.distributed cluster) and on array-API
arrays equals the in-memory numbers; Dask per-row outputs are lazy."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import newtonlogit as nl

from .conftest import make_logit_data

da = pytest.importorskip("dask.array")
dd = pytest.importorskip("dask.dataframe")
distributed = pytest.importorskip("distributed")


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
def rows():
    X, y, _ = make_logit_data(n=3000, p=4, seed=5)
    rng = np.random.default_rng(6)
    w = rng.integers(0, 3, size=3000).astype(float)
    off = rng.normal(scale=0.3, size=3000)
    return X, y, w, off


def test_dask_influence_is_lazy_and_equals_numpy(client, rows):
    X, y, w, off = rows
    res = nl.logit(X, y, weights=w, offset=off)
    expected = res.influence(X, y, weights=w, offset=off)
    chunks = 700  # partitions of unequal size
    lazy = res.influence(
        da.from_array(X, chunks=(chunks, 4)),
        da.from_array(y, chunks=chunks),
        weights=da.from_array(w, chunks=chunks),
        offset=da.from_array(off, chunks=chunks),
    )
    assert isinstance(lazy, dd.DataFrame)
    assert list(lazy.columns) == list(expected.columns)
    computed = lazy.compute()
    np.testing.assert_allclose(
        computed.to_numpy(), expected.to_numpy(), rtol=1e-10, atol=1e-14
    )


def test_dask_fit_checks_its_own_rows(client, rows):
    X, y, _, _ = rows
    res = nl.logit(X, y)
    fit = nl.logit(da.from_array(X, chunks=(1000, 4)), da.from_array(y, chunks=1000))
    lazy = fit.influence()  # through the fit's reference to its rows
    assert isinstance(lazy, dd.DataFrame)
    np.testing.assert_allclose(
        lazy.compute().to_numpy(), res.influence().to_numpy(), rtol=1e-7, atol=1e-12
    )
    gof, expected = fit.gof().table, res.gof().table
    for test in ("Hosmer-Lemeshow", "le Cessie-van Houwelingen (z)"):
        assert gof.loc[test, "statistic"] == pytest.approx(
            expected.loc[test, "statistic"], rel=1e-6
        )
    assert np.isnan(gof.loc["Pearson chi2 (patterns)", "statistic"])
    assert fit.roc().auc == pytest.approx(res.roc().auc, rel=1e-12)
    with pytest.raises(ValueError, match="in memory"):
        fit.influence(patterns=True)


def test_array_api_rows_give_the_numpy_numbers(rows):
    xps = pytest.importorskip("array_api_strict")
    X, y, w, off = rows
    res = nl.logit(X, y, weights=w, offset=off)
    expected = res.influence(X, y, weights=w, offset=off)
    got = res.influence(
        xps.asarray(X), xps.asarray(y), weights=xps.asarray(w), offset=xps.asarray(off)
    )
    assert isinstance(got, pd.DataFrame)
    np.testing.assert_allclose(got.to_numpy(), expected.to_numpy(), rtol=1e-10)
    assert res.roc(xps.asarray(X), xps.asarray(y), offset=xps.asarray(off)).auc == (
        pytest.approx(res.roc(X, y, offset=off).auc, rel=1e-12)
    )


def test_dask_formula_fit_takes_a_dask_frame(client, rows):
    X, y, _, _ = rows
    df = pd.DataFrame({"a": X[:, 0], "b": X[:, 1], "y": y})
    ddf = dd.from_pandas(df, npartitions=3)
    expected = nl.logit("y ~ a + b", data=df).influence(data=df)
    lazy = nl.logit("y ~ a + b", data=ddf).influence(data=ddf)
    assert isinstance(lazy, dd.DataFrame)
    np.testing.assert_allclose(
        lazy.compute().to_numpy(), expected.to_numpy(), rtol=1e-8, atol=1e-13
    )
