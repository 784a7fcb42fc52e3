"""The Dask backend on a real dask.distributed LocalCluster (and the threaded
scheduler): same estimates and iterations as in memory, bad input named by
partition, a worker lost mid-fit survived, the cluster left clean."""

import os
import signal
import subprocess
import sys
import time

import numpy as np
import pandas as pd
import pytest

import newtonlogit as nl

da = pytest.importorskip("dask.array")
dd = pytest.importorskip("dask.dataframe")
distributed = pytest.importorskip("distributed")
import dask  # noqa: E402

from newtonlogit.backends.dask import DaskBackend  # noqa: E402
from newtonlogit.data.design import make_design  # noqa: E402

from .conftest import make_logit_data  # noqa: E402


@pytest.fixture(scope="module")
def client():
    # processes=True: the fault-tolerance test kills a worker process
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


def _scheduler_tasks(client) -> int:
    return client.run_on_scheduler(lambda dask_scheduler: len(dask_scheduler.tasks))


def _wait_clean(client, timeout=10.0) -> int:
    """Wait until the scheduler holds no task; returns how many are left."""
    deadline = time.monotonic() + timeout
    while (left := _scheduler_tasks(client)) and time.monotonic() < deadline:
        time.sleep(0.05)
    return left


def _same_fit(res, ref, rtol=1e-9):
    np.testing.assert_allclose(res.coef, ref.coef, rtol=rtol)
    np.testing.assert_allclose(res.std_errors, ref.std_errors, rtol=rtol)
    assert res.loglik == pytest.approx(ref.loglik, rel=rtol)
    assert res.n_iter == ref.n_iter
    assert res.converged and ref.converged
    assert list(res.params.index) == list(ref.params.index)


def test_import_leaves_dask_unimported():
    code = (
        "import sys, numpy, newtonlogit as nl\n"
        "nl.logit(numpy.eye(4, 2) + numpy.arange(8).reshape(4, 2) % 3, "
        "[0, 1, 0, 1])\n"
        "bad = [m for m in ('dask', 'distributed', 'cupy') if m in sys.modules]\n"
        "assert not bad, bad\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_dask_array_matches_numpy_on_cluster(client):
    X, y, _ = make_logit_data(n=3000, p=4, seed=1)
    rng = np.random.default_rng(2)
    w = rng.integers(0, 3, size=3000).astype(float)
    off = rng.normal(scale=0.3, size=3000)
    ref = nl.logit(X, y, weights=w, offset=off)
    # several column chunks: rechunked to one; y a dask array, weights NumPy
    dX = da.from_array(X, chunks=(700, 2))
    res = nl.logit(
        dX, da.from_array(y, chunks=700), weights=w, offset=da.from_array(off, 700)
    )
    _same_fit(res, ref)
    assert res.n_obs == ref.n_obs
    assert _wait_clean(client) == 0  # the persisted copy was released


def test_grouped_counts_and_float32_match_numpy(client, star98):
    X = star98.X.to_numpy(dtype=np.float32)
    ref = nl.logit(X, star98.y)
    res = nl.logit(da.from_array(X, chunks=(101, 20)), star98.y)
    _same_fit(res, ref)


def test_threaded_scheduler_and_streaming_match_numpy(client):
    X, y, _ = make_logit_data(n=2000, p=3, seed=3)
    ref = nl.logit(X, y)
    dX, dy = da.from_array(X, chunks=(300, 3)), da.from_array(y, chunks=300)
    with dask.config.set(scheduler="threads"):
        _same_fit(nl.logit(dX, dy), ref)
    with dask.config.set({"newtonlogit.persist": False}):
        design = make_design(dX, dy)
        assert not DaskBackend(design).persisted
        _same_fit(nl.logit(dX, dy), ref)
    assert DaskBackend(design).persisted  # 'auto': 2000 x 3 fits in 2 GiB


def test_dask_dataframe_names_and_labels(client, spector):
    df = spector.X.assign(grade=np.where(spector.y == 1, "pass", "fail"))
    ddf = dd.from_pandas(df, npartitions=3)
    ref = nl.logit(spector.X, spector.y)
    res = nl.logit(ddf[["GPA", "TUCE", "PSI"]], ddf["grade"])
    _same_fit(res, ref)
    assert res.classes == ("fail", "pass")


def test_estimator_fit_on_dask(client, spector):
    X = spector.X.to_numpy()
    ref = nl.LogisticRegression().fit(X, spector.y)
    est = nl.LogisticRegression().fit(
        da.from_array(X, chunks=(10, 3)), da.from_array(spector.y, chunks=10)
    )
    np.testing.assert_allclose(est.coef_, ref.coef_, rtol=1e-9)
    np.testing.assert_allclose(est.intercept_, ref.intercept_, rtol=1e-9)
    np.testing.assert_array_equal(est.classes_, ref.classes_)
    assert est.n_features_in_ == 3
    np.testing.assert_allclose(est.predict_proba(X), ref.predict_proba(X), rtol=1e-9)
    eta = est.decision_function(da.from_array(X, chunks=(10, 3)))
    assert isinstance(eta, da.Array)  # lazy
    np.testing.assert_allclose(eta.compute(), ref.decision_function(X), rtol=1e-9)
    np.testing.assert_array_equal(
        est.predict(da.from_array(X, chunks=(10, 3))), ref.predict(X)
    )
    bad = X.copy()
    bad[17, 0] = np.nan  # found in its partition, not by computing X up front
    with pytest.raises(nl.DataError, match=r"partition 1 .* row 17, column 'x1'"):
        nl.LogisticRegression().fit(da.from_array(bad, chunks=(10, 3)), spector.y)


def test_refit_after_release_streams_from_source(client):
    X, y, _ = make_logit_data(n=1000, p=2, seed=4)
    res = nl.logit(da.from_array(X, chunks=250), da.from_array(y, chunks=250))
    assert res.refit.value(res.coef) == pytest.approx(res.loglik, rel=1e-12)


def test_nan_in_a_partition_is_named_and_cluster_left_clean(client):
    X, y, _ = make_logit_data(n=1000, p=3, seed=5)
    X[730, 1] = np.nan
    dX, dy = da.from_array(X, chunks=(200, 3)), da.from_array(y, chunks=200)
    make_design(dX, dy)  # X is not computed up front: no error yet
    with pytest.raises(nl.DataError, match=r"partition 3 \(rows 600-799\), at row 730"):
        nl.logit(dX, dy)
    with pytest.raises(nl.DataError, match="column 'x2'"):
        nl.logit(dX, dy)
    assert _wait_clean(client) == 0


def test_bad_vectors_named_by_partition(client):
    X, y, _ = make_logit_data(n=600, p=2, seed=6)
    dX = da.from_array(X, chunks=(200, 2))
    bad_y = y.copy()
    bad_y[450] = np.nan
    with pytest.raises(ValueError, match=r"y has a missing .* partition 2 .* row 450"):
        nl.logit(dX, da.from_array(bad_y, chunks=200))
    w = np.ones(600)
    w[5] = -1
    with pytest.raises(ValueError, match=r"weights is negative .* partition 0"):
        nl.logit(dX, y, weights=w)
    with pytest.raises(
        ValueError, match="exactly two classes for binary logistic regression; found 3"
    ):
        nl.logit(dX, da.from_array(np.arange(600) % 3, chunks=200))
    assert _wait_clean(client) == 0


def test_unknown_chunks_and_mismatched_partitions_refused(client):
    X, y, _ = make_logit_data(n=600, p=2, seed=7)
    ddf = dd.from_pandas(pd.DataFrame(X, columns=["a", "b"]), npartitions=3)
    with pytest.raises(ValueError, match=r"unknown chunk sizes.*lengths=True"):
        nl.logit(ddf.to_dask_array(), y)
    dX = da.from_array(X, chunks=(200, 2))
    with pytest.raises(ValueError, match=r"y is split into partitions of \(300"):
        nl.logit(dX, da.from_array(y, chunks=300))
    with pytest.raises(ValueError, match="y has 500 rows but X has 600"):
        nl.logit(dX, y[:500])
    with pytest.raises(ValueError, match="X must be numeric"):
        nl.logit(da.from_array(X.astype(str), chunks=(200, 2)), y)


def test_worker_killed_mid_fit_is_survived(client):
    X, y, _ = make_logit_data(n=4000, p=4, seed=8)
    ref = nl.logit(X, y)
    dX, dy = da.from_array(X, chunks=(500, 4)), da.from_array(y, chunks=500)
    pids = client.run(os.getpid)
    killed = []

    def kill_one(row):
        if row["iteration"] == 1:  # persisted partitions live on both workers
            pid = next(iter(pids.values()))
            os.kill(pid, signal.SIGKILL)
            killed.append(pid)

    res = nl.logit(dX, dy, callback=kill_one)
    assert killed
    _same_fit(res, ref)
    client.wait_for_workers(2, timeout=30)


@pytest.mark.parametrize("cov_type", ["HC1", "HC3", "cluster"])
def test_robust_covariance_distributed_matches_numpy(client, cov_type):
    X, y, _ = make_logit_data(n=1200, p=3, seed=9)
    groups = np.arange(1200) % 37 if cov_type == "cluster" else None
    ref = nl.logit(X, y, cov_type=cov_type, groups=groups)
    dX, dy = da.from_array(X, chunks=(300, 3)), da.from_array(y, chunks=300)
    dgroups = None if groups is None else da.from_array(groups, chunks=300)
    res = nl.logit(dX, dy, cov_type=cov_type, groups=dgroups)
    np.testing.assert_allclose(res.cov.to_numpy(), ref.cov.to_numpy(), rtol=1e-9)
    np.testing.assert_allclose(res.std_errors, ref.std_errors, rtol=1e-9)
    assert str(res.summary()) == str(ref.summary())


def test_missing_value_in_a_training_partition_is_named_as_training_data(client):
    """Was reported as "new data" with the row number inside its partition."""
    rng = np.random.default_rng(0)
    df = pd.DataFrame({"x": rng.normal(size=400), "y": rng.integers(0, 2, 400)})
    df.loc[250, "x"] = np.nan
    with pytest.raises(nl.DataError) as info:
        nl.logit("y ~ x", data=dd.from_pandas(df, npartitions=4))
    message = str(info.value)
    assert "new data" not in message
    assert "partition 2 of data" in message and "index 250" in message
    assert "dropna(subset=['x'])" in message


def test_formula_on_dask_dataframe_matches_pandas(client, lbw):
    df = lbw.X.assign(
        low=lbw.y,
        race=np.select(
            [lbw.X.race_black == 1, lbw.X.race_other == 1], ["black", "other"], "white"
        ),
    )
    # the last partition alone holds the "other" rows: levels come from all data
    df = df.sort_values("race", kind="stable").reset_index(drop=True)
    formula = "low ~ age + lwt + C(race) + smoke + ptl + ht + ui"
    ref = nl.logit(formula, data=df)
    res = nl.logit(formula, data=dd.from_pandas(df, npartitions=4))
    _same_fit(res, ref)
    assert res.model_spec == ref.model_spec
    with pytest.raises(ValueError, match="stateful transforms"):
        nl.logit("low ~ center(age)", data=dd.from_pandas(df, npartitions=2))


def test_cli_fit_dask_on_the_cluster(client, tmp_path):
    X, y, _ = make_logit_data(n=900, p=2, seed=10)
    df = pd.DataFrame({"a": X[:, 0], "b": X[:, 1], "y": y.astype(int)})
    for i in range(3):
        df.iloc[300 * i : 300 * (i + 1)].to_parquet(tmp_path / f"part{i}.parquet")
    ref = nl.logit("y ~ a + b", data=df)
    done = subprocess.run(
        [sys.executable, "-m", "newtonlogit.cli", "fit", str(tmp_path / "*.parquet")]
        + ["--formula", "y ~ a + b", "--dask", "--format", "json", "-v"]
        + ["--scheduler", client.scheduler.address],
        capture_output=True,
        text=True,
        check=True,
    )
    assert "iteration   1" in done.stderr
    import json

    table = json.loads(done.stdout)["coefficients"]
    got = [table[name]["coef"] for name in ("Intercept", "a", "b")]
    np.testing.assert_allclose(got, ref.coef, rtol=1e-9)
    bad = subprocess.run(
        [sys.executable, "-m", "newtonlogit.cli", "fit", str(tmp_path / "none*.pq")]
        + ["--target", "y", "--dask"],
        capture_output=True,
        text=True,
    )
    assert bad.returncode == 2
    assert bad.stderr.strip().splitlines() == [
        f"newtonlogit: error: {str(tmp_path / 'none*.pq')!r}: no such file(s)"
    ]


def test_partition_tasks_run_device_chunks_through_their_own_backend():
    # Dask arrays of CuPy chunks (checked on a GPU by benchmarks/gpu.py) reach
    # the partition tasks as device arrays: the sums go through the array-API
    # backend, the response checks through a host copy. array_api_strict stands
    # in for CuPy here (Dask itself cannot hold its arrays).
    xps = pytest.importorskip("array_api_strict")
    from newtonlogit.backends.dask import _partition_sums, _Pass
    from newtonlogit.data.dask import _partition_summary
    from newtonlogit.families.binary import kernels as _kernels

    X, y, _ = make_logit_data(n=500, p=3, seed=4)
    beta = np.array([0.1, 0.2, -0.3, 0.4])
    job = _Pass(_kernels.newton_sums, (beta, True), ("X", "y"), ("a", "b", "c"))
    got = _partition_sums(job, 0, 0, xps.asarray(X), xps.asarray(y))
    want = _partition_sums(job, 0, 0, X, y)
    assert all(isinstance(g, np.ndarray) for g in got)
    for g, w in zip(got, want):
        np.testing.assert_allclose(g, w, rtol=1e-12)
    summary = _partition_summary(xps.asarray(y), None, None)
    assert summary["y"] is None and list(summary["labels"]) == [0.0, 1.0]
    bad = y.copy()
    bad[7] = np.nan
    assert _partition_summary(xps.asarray(bad), None, None)["y"][0] == 7


# -- passes over X ------------------------------------------------------------
# 120,000 rows in 6 partitions: large enough for a warm start (10,000 rows,
# drawn from one partition when streamed), small enough for a test.
PASS_ROWS, PASS_PARTS, PASS_P = 120_000, 6, 4


def _pass_part(i: int, what: str, log: str | None = None) -> np.ndarray:
    """Partition ``i`` of the pass tests' data (made where it is read, as a
    file would be; each read of X is logged to ``log``, one line a read)."""
    if log is not None and what == "X":
        with open(log, "a") as f:
            f.write(f"{i}\n")
    m = PASS_ROWS // PASS_PARTS
    rng = np.random.default_rng([7, i])
    X = rng.standard_normal((m, PASS_P))
    offset = rng.normal(scale=0.3, size=m)
    eta = 0.3 + X @ np.linspace(-1, 1, PASS_P) + offset
    y = (rng.random(m) < 1 / (1 + np.exp(-eta))).astype(np.float64)
    return {"X": X, "y": y, "offset": offset}[what]


def _pass_data(log=None):
    """The dask arrays (one delayed read per partition and column) and the
    same data in memory."""
    m = PASS_ROWS // PASS_PARTS
    lazy, host = {}, {}
    for what in ("X", "y", "offset"):
        shape = (m, PASS_P) if what == "X" else (m,)
        reads = [dask.delayed(_pass_part)(i, what, log) for i in range(PASS_PARTS)]
        lazy[what] = da.concatenate([da.from_delayed(r, shape, float) for r in reads])
        host[what] = np.concatenate([_pass_part(i, what) for i in range(PASS_PARTS)])
    return lazy, host


def _reads_of_X(log) -> int:
    return len(log.read_text().splitlines()) if log.exists() else 0


def test_streamed_fit_reads_X_fewer_times_than_in_memory(client, tmp_path):
    log = tmp_path / "reads.log"
    lazy, host = _pass_data(str(log))
    ref = nl.logit(host["X"], host["y"], offset=host["offset"])
    # in memory: score passes, one steering pass (float32 information) and
    # the Newton pass at the estimate, and the subsample's rows (1 in 12)
    assert ref.passes["X"] == pytest.approx(len(ref.history) + 10_000 / PASS_ROWS)
    assert list(ref.history["pass"]) == ["score", "steer"] + ["score"] * 2 + ["newton"]
    with dask.config.set({"newtonlogit.persist": False}):
        res = nl.logit(lazy["X"], lazy["y"], offset=lazy["offset"])
        old = nl.logit(
            lazy["X"], lazy["y"], offset=lazy["offset"], subsample_start=False
        )
    # the same estimate and standard errors as in memory
    assert np.max(np.abs(res.coef - ref.coef) / ref.std_errors) < 1e-6
    np.testing.assert_allclose(res.std_errors, ref.std_errors, rtol=1e-8)
    assert res.loglik == pytest.approx(ref.loglik, rel=1e-12)
    assert res.loglik_null == pytest.approx(ref.loglik_null, rel=1e-12)
    # streamed: plain Newton from a warm start drawn from one partition (a
    # score pass reads X as a Newton pass does), against 6 from the
    # intercept-only start
    assert list(res.history["pass"]) == ["newton"] * 4
    assert res.passes == {"X": pytest.approx(4 + 1 / PASS_PARTS), "response": 3}
    assert res.passes["X"] <= ref.passes["X"]
    assert old.passes == {"X": 6.0, "response": 3} and len(old.history) == 6
    # what the partitions' reads say: one per partition a pass, and one
    # partition for the warm start; the null fit's passes (offset: a Newton
    # fit of the intercept) read y and the offset only
    assert _reads_of_X(log) == PASS_PARTS * (4 + 6) + 1


def test_persisted_fit_takes_the_in_memory_path(client):
    lazy, host = _pass_data()
    ref = nl.logit(host["X"], host["y"])
    with dask.config.set({"newtonlogit.persist": True}):
        res = nl.logit(lazy["X"], lazy["y"])
    # in memory the subsample's rows are read, not whole partitions: the same
    # rows and steered steps as the NumPy fit, the same passes
    assert list(res.history["pass"]) == list(ref.history["pass"])
    whole = len(ref.history) + 1 / 12  # (every pass, and the subsample's rows)
    assert res.passes == ref.passes == {"X": pytest.approx(whole), "response": 0}
    np.testing.assert_allclose(res.coef, ref.coef, rtol=1e-9)
    np.testing.assert_allclose(res.std_errors, ref.std_errors, rtol=1e-9)
    assert _wait_clean(client) == 0


def test_response_only_pass_leaves_X_out(client):
    from newtonlogit.backends.dask import _partition_sums, _Pass
    from newtonlogit.backends.numpy import NumpyBackend
    from newtonlogit.families.binary import kernels as _kernels

    X, y, _ = make_logit_data(n=1000, p=2, seed=8)
    off = np.linspace(-1, 1, 1000)
    design = make_design(
        da.from_array(X, chunks=(250, 2)), da.from_array(y, chunks=250), offset=off
    )
    backend = DaskBackend(design, persist=False)
    got = backend.map_sum(_kernels.null_sums, np.array([0.2]))
    host = NumpyBackend(make_design(X, y, offset=off))
    for g, w in zip(got, host.map_sum(_kernels.null_sums, np.array([0.2]))):
        np.testing.assert_allclose(g, w, rtol=1e-12)
    assert backend.passes.as_dict() == host.passes.as_dict() == {"X": 0, "response": 1}
    # a partition whose chunks disagree with the lengths it was given
    job = _Pass(_kernels.newton_sums, (np.zeros(3), True), ("X", "y"), ("a", "b"))
    with pytest.raises(nl.DataError, match=r"partition 2 has \[1000\] rows where 5"):
        _partition_sums(job, 2, 0, X, y, rows=5)


def test_parquet_lengths_come_from_the_footers(tmp_path):
    from newtonlogit.data.dask import encode_dask_formula, frame_to_array

    rng = np.random.default_rng(9)
    for i, m in enumerate((300, 400, 500)):
        df = pd.DataFrame(rng.standard_normal((m, 6)), columns=list("abcdef"))
        y = rng.random(m) < 1 / (1 + np.exp(-df["a"]))
        df.assign(y=y.astype(float)).to_parquet(tmp_path / f"{i}.pq")
    frame = dd.read_parquet(str(tmp_path / "*.pq"))

    def refuse(*args, **kwargs):
        raise AssertionError("computed")

    with dask.config.set(scheduler=refuse):  # nothing is read to count rows
        X = frame_to_array(frame[list("abcdef")])
    assert X.chunks[0] == (300, 400, 500)
    np.testing.assert_array_equal(
        X.compute(scheduler="threads"), frame[list("abcdef")].compute().to_numpy()
    )
    # one column of seven: dask-expr fuses the partitions, the footers' lengths
    # do not describe them, and the rows are counted
    y = frame_to_array(frame["y"])
    assert sum(y.chunks[0]) == 1200 and len(y.chunks[0]) < 3
    # a formula's model matrix: the footers' lengths of the columns it reads
    # (all six: not fused), or its partitions' rows counted (one: fused)
    formula = "y ~ a + b + c + d + e + f"
    assert encode_dask_formula(formula, frame).X.chunks[0] == (300, 400, 500)
    with dask.config.set({"newtonlogit.persist": False}):
        res = nl.logit(formula, data=frame)
    ref = nl.logit(formula, data=frame.compute())
    np.testing.assert_allclose(res.coef, ref.coef, rtol=1e-9)
    X = encode_dask_formula("y ~ a", frame).X
    parts = X.to_delayed().ravel()
    assert X.chunks[0] == tuple(len(p) for p in dask.compute(*parts))


def test_response_only_and_subsample_tasks_on_device_chunks():
    # array_api_strict stands in for CuPy chunks, as in the test above
    xps = pytest.importorskip("array_api_strict")
    from newtonlogit.backends.dask import _partition_sums, _Pass, _take_rows
    from newtonlogit.families.binary import kernels as _kernels

    X, y, _ = make_logit_data(n=300, p=2, seed=10)
    job = _Pass(_kernels.null_sums, (np.array([0.3]),), ("y",), ("a", "b"))
    got = _partition_sums(job, 0, 0, xps.asarray(y), rows=300)
    for g, w in zip(got, _partition_sums(job, 0, 0, y, rows=300)):
        np.testing.assert_allclose(g, w, rtol=1e-12)
    rows = np.array([3, 7, 299])
    taken = _take_rows(rows, xps.asarray(X), xps.asarray(y))
    np.testing.assert_array_equal(np.asarray(taken[0]), X[rows])
    np.testing.assert_array_equal(np.asarray(taken[1]), y[rows])
