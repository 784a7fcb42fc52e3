"""The array-API path (CuPy on a GPU) against the NumPy path.

Every test runs on ``array_api_strict`` (the standard and nothing more, on its
CPU device and on its simulated second device, which refuses NumPy
conversion as a GPU does), so CI checks the kernels' conformance and the
whole device path; the same tests run on CuPy where a GPU is present and
skip, with the reason, where not.
"""

import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import newtonlogit as nl
from newtonlogit.backends import backend_for, is_device_array, registered
from newtonlogit.backends.array_api import ArrayAPIBackend
from newtonlogit.backends.namespace import to_numpy
from newtonlogit.backends.numpy import NumpyBackend
from newtonlogit.data.design import make_design
from newtonlogit.families.binary import kernels as _kernels
from newtonlogit.kernels.block import Block

from .conftest import make_logit_data

xps = pytest.importorskip("array_api_strict")


class Lib:
    """Puts NumPy test data into one array library on one device."""

    def __init__(self, name):
        self.name = name
        if name == "cupy":
            import cupy

            self.xp, self.device = cupy, None
        else:
            self.xp = xps
            self.device = xps.Device(name.partition(":")[2] or "CPU_DEVICE")

    def __call__(self, a, dtype=None):
        a = np.asarray(a)
        if dtype is not None:
            a = a.astype(dtype)
        if self.name == "cupy":
            return self.xp.asarray(a)
        return self.xp.asarray(a, device=self.device)

    def __repr__(self):
        return self.name


def _cupy_or_skip():
    try:
        import cupy
    except ImportError:
        pytest.skip("CuPy is not installed (pip install 'newtonlogit[gpu]')")
    try:
        if cupy.cuda.runtime.getDeviceCount() < 1:
            pytest.skip("CuPy is installed but sees no CUDA GPU")
    except Exception as exc:  # CUDA driver missing or broken
        pytest.skip(f"CuPy is installed but no CUDA GPU is usable: {exc}")


@pytest.fixture(params=["array_api_strict", "array_api_strict:device1", "cupy"])
def lib(request):
    if request.param == "cupy":
        _cupy_or_skip()
    return Lib(request.param)


# -- kernels and backend -----------------------------------------------------------


def _host_block(weights, trials, offset, n=300, p=4, seed=0):
    X, y, _ = make_logit_data(n=n, p=p, seed=seed)
    rng = np.random.default_rng(seed + 1)
    t = rng.integers(1, 5, size=n).astype(float) if trials else None
    return Block(
        X,
        np.minimum(y * t, t) if trials else y,
        t,
        rng.uniform(0.5, 2, n) if weights else None,
        rng.normal(size=n) if offset else None,
    )


class _Design:
    """Just the parts of a Design that a backend reads."""

    def __init__(self, block):
        self.X, self.y, self.trials, self.weights, self.offset, self.groups = block[:6]


@pytest.mark.parametrize("fit_intercept", [True, False])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize(
    "weights, trials, offset",
    [(False, False, False), (True, False, False), (False, True, True)],
)
def test_kernels_in_blocks_match_numpy(
    lib, fit_intercept, dtype, weights, trials, offset
):
    host = _host_block(weights, trials, offset)
    host = host._replace(X=host.X.astype(dtype))
    device = Block(*(None if a is None else lib(a) for a in host))
    beta = np.linspace(-0.4, 0.6, host.X.shape[1] + fit_intercept)
    on_device = ArrayAPIBackend(_Design(device), block_rows=70)  # 5 blocks
    # float32 blocks are multiplied in float64 by the generic kernel: compare
    # with the same arithmetic on the host (NumPy may use float32 BLAS there)
    on_host = NumpyBackend(_Design(host._replace(X=host.X.astype(np.float64))))
    for kernel in (_kernels.newton_sums, _kernels.loglik):
        got = on_device.map_sum(kernel, beta, fit_intercept)
        want = on_host.map_sum(kernel, beta, fit_intercept)
        assert len(got) == len(want)
        for g, w in zip(got, want):
            assert isinstance(g, np.ndarray) and g.dtype == np.float64
            np.testing.assert_allclose(g, w, rtol=1e-12, atol=1e-12)


def test_subsample_gathers_rows_on_device(lib):
    X, y, _ = make_logit_data(n=120, p=3, seed=14)
    w = np.linspace(0.5, 2, 120)
    rows = np.array([3, 7, 8, 50, 119])
    d = make_design(lib(X), lib(y), weights=lib(w))
    sub = backend_for(d.X)(d).subsample(rows)
    assert sub.n_rows == 5 and sub.design.X.device == d.X.device
    beta = np.array([0.1, -0.2, 0.3, 0.4])
    got = sub.map_sum(_kernels.newton_sums, beta, True)
    host = NumpyBackend(make_design(X[rows], y[rows], weights=w[rows]))
    want = host.map_sum(_kernels.newton_sums, beta, True)
    for g, wt in zip(got, want):
        np.testing.assert_allclose(g, wt, rtol=1e-12)


def test_registry_picks_array_api_backends(lib):
    X = lib(np.ones((3, 2)))
    assert is_device_array(X)
    assert backend_for(X).name == ("cupy" if lib.name == "cupy" else "array_api")
    assert not is_device_array(np.ones((3, 2)))
    assert {"numpy", "cupy", "array_api_strict"} <= set(registered())


def test_cupy_backend_loads_without_cupy(monkeypatch):
    """Detection looks in sys.modules only; the backend class imports no CuPy."""

    class FakeCupyArray:
        pass

    fake = type(sys)("cupy")
    fake.ndarray = FakeCupyArray
    monkeypatch.setitem(sys.modules, "cupy", fake)
    cls = backend_for(FakeCupyArray())
    assert cls.name == "cupy" and cls.block_bytes >= 1 << 28


def test_importing_and_numpy_fits_leave_cupy_unimported():
    code = textwrap.dedent(
        """
        import sys
        import numpy as np
        import newtonlogit as nl
        X = np.random.default_rng(0).normal(size=(200, 2))
        nl.logit(X, X[:, 0] + X[:, 1] > 0.3 * np.sin(7 * X[:, 0]))
        print(sorted(m for m in ("cupy", "array_api_strict", "torch")
                     if m in sys.modules))
        """
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"


def test_works_with_scikit_learns_copy_of_array_api_compat():
    """Without the array-api-compat package (e.g. installed with --no-deps),
    scikit-learn's vendored copy is used."""
    code = textwrap.dedent(
        """
        import sys
        sys.modules["array_api_compat"] = None  # makes the import fail
        import array_api_strict as xp, numpy as np
        import newtonlogit as nl
        from newtonlogit.backends.namespace import compat
        X = np.random.default_rng(0).normal(size=(200, 2))
        y = (X[:, 0] + np.random.default_rng(1).normal(size=200) > 0) * 1.0
        res = nl.logit(xp.asarray(X), xp.asarray(y))
        np.testing.assert_allclose(res.params, nl.logit(X, y).params, rtol=1e-12)
        print(compat.__name__)
        """
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr[-3000:]
    assert out.stdout.strip() == "sklearn.externals.array_api_compat"


# -- fits --------------------------------------------------------------------------


def _compare(res, ref, rtol):
    np.testing.assert_allclose(res.params, ref.params, rtol=rtol)
    np.testing.assert_allclose(res.std_errors, ref.std_errors, rtol=rtol)
    assert res.loglik == pytest.approx(ref.loglik, rel=rtol)
    assert res.n_iter == ref.n_iter and res.converged


@pytest.mark.parametrize("dtype, rtol", [(np.float64, 1e-8), (np.float32, 1e-5)])
def test_fit_matches_numpy(lib, dtype, rtol):
    X, y, _ = make_logit_data(n=800, p=4, seed=3, dtype=dtype)
    res = nl.logit(lib(X), lib(y))
    _compare(res, nl.logit(X, y), rtol)
    assert list(res.params.index) == ["Intercept", "x1", "x2", "x3", "x4"]


def test_weights_offset_counts_and_penalty_match_numpy(lib):
    X, y, _ = make_logit_data(n=400, p=3, seed=4)
    rng = np.random.default_rng(5)
    w, off = rng.integers(0, 4, 400).astype(float), rng.normal(size=400) / 4
    counts = np.column_stack([y * 3, 3 - y * 3 + rng.integers(0, 2, 400)])
    for kwargs in (
        {"weights": w, "offset": off},
        {"penalty": "l2", "alpha": 2.0, "fit_intercept": False},
    ):
        arrays = {k: lib(v) for k, v in kwargs.items() if isinstance(v, np.ndarray)}
        res = nl.logit(lib(X), lib(y), **{**kwargs, **arrays})
        _compare(res, nl.logit(X, y, **kwargs), 1e-10)
    grouped = nl.logit(lib(X), lib(counts))
    _compare(grouped, nl.logit(X, counts), 1e-10)
    assert nl.logit(lib(X), lib(y), weights=lib(w)).n_obs == int((w > 0).sum())


def test_labels_and_aliased_columns_on_device(lib):
    X, y, _ = make_logit_data(n=300, p=3, seed=6)
    X = np.column_stack([X, X[:, 0] - X[:, 1]])  # aliased fourth column
    labels = np.where(y > 0, 7, 2)
    with pytest.warns(nl.CollinearityWarning, match="x4"):
        res = nl.logit(lib(X), lib(labels), drop_collinear=True)
    with pytest.warns(nl.CollinearityWarning):
        ref = nl.logit(X, labels, drop_collinear=True)
    _compare(res, ref, 1e-10)
    assert res.classes == (2, 7) and res.aliased == ("x4",)


def test_predict_stays_on_device(lib):
    X, y, _ = make_logit_data(n=300, p=3, seed=7)
    res = nl.logit(lib(X), lib(y))
    X_new = lib(X[:50], np.float32)
    off = np.linspace(-1, 1, 50)
    for got, want in (
        (res.predict(X_new), res.predict(X[:50].astype(np.float32))),
        (res.linear_predictor(X_new, lib(off)), res.linear_predictor(X[:50], off)),
    ):
        assert type(got) is type(X_new)
        assert got.device == X_new.device
        np.testing.assert_allclose(to_numpy(got), want, rtol=1e-6)


def test_constrained_refit_runs_on_device(lib):
    """Profile likelihoods and LR tests refit through the same backend."""
    X, y, _ = make_logit_data(n=300, p=3, seed=13)
    res, ref = nl.logit(lib(X), lib(y)), nl.logit(X, y)
    got = res.refit.fit_with_fixed({1: 0.25})
    want = ref.refit.fit_with_fixed({1: 0.25})
    np.testing.assert_allclose(got.beta, want.beta, rtol=1e-10)
    assert got.evaluation.value == pytest.approx(want.evaluation.value, rel=1e-12)
    assert res.refit.value(res.coef) == pytest.approx(res.loglik, rel=1e-12)


@pytest.mark.parametrize("cov_type", ["nonrobust", "HC0", "HC3"])
def test_inference_on_device_matches_numpy(lib, cov_type):
    """Fit-time statistics, robust covariance and profile limits all run
    through the same kernels on the device."""
    X, y, _ = make_logit_data(n=300, p=3, seed=15)
    res, ref = (
        nl.logit(lib(X), lib(y), cov_type=cov_type),
        nl.logit(X, y, cov_type=cov_type),
    )
    np.testing.assert_allclose(res.std_errors, ref.std_errors, rtol=1e-10)
    assert res.deviance == pytest.approx(ref.deviance, rel=1e-12)
    assert res.null_deviance == pytest.approx(ref.null_deviance, rel=1e-12)
    np.testing.assert_allclose(
        res.marginal_effects(), ref.marginal_effects(), rtol=1e-9
    )
    if cov_type == "nonrobust":
        np.testing.assert_allclose(
            res.conf_int(method="profile"), ref.conf_int(method="profile"), rtol=1e-8
        )
    table = res.predict(lib(X[:7]), interval=True)
    np.testing.assert_allclose(table, ref.predict(X[:7], interval=True), rtol=1e-10)
    assert "Log-likelihood" in str(res.summary())


def test_cluster_covariance_on_device_matches_numpy(lib):
    """Cluster labels may be host labels of any type or codes on the device."""
    X, y, _ = make_logit_data(n=300, p=3, seed=16)
    labels = (np.arange(300) * 7) % 23  # 23 clusters, rows interleaved
    ref = nl.logit(X, y, cov_type="cluster", groups=labels)
    for groups in (labels, lib(labels), [f"g{g}" for g in labels]):
        res = nl.logit(lib(X), lib(y), cov_type="cluster", groups=groups)
        np.testing.assert_allclose(res.std_errors, ref.std_errors, rtol=1e-10)
    assert "23 clusters" in str(res.summary())


def test_cluster_scores_on_device_span_blocks(lib):
    """Per-cluster sums with clusters cut across blocks and missing from some."""
    host = _host_block(True, False, True, n=300)
    codes = np.repeat(np.arange(12), 25)[::-1].copy()  # blocks see few codes
    host = host._replace(groups=codes)
    device = Block(*(None if a is None else lib(a) for a in host))
    beta = np.linspace(-0.4, 0.6, host.X.shape[1] + 1)
    (got,) = ArrayAPIBackend(_Design(device), block_rows=40).map_sum(
        _kernels.cluster_scores, beta, True, 13
    )
    eta = beta[0] + host.X @ beta[1:] + host.offset
    resid = host.weights * (host.y - 1 / (1 + np.exp(-eta)))
    scores = np.column_stack([resid, resid[:, None] * host.X])
    want = np.array([scores[codes == g].sum(axis=0) for g in range(13)])
    assert got.shape == (13, 5) and not got[12].any()  # code 12 has no rows
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-13)


# -- bad input ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "case, message",
    [
        ("numpy y", r"y is numpy\.ndarray but X is .*one library on one device"),
        ("numpy X", r"y is .* but X is numpy\.ndarray"),
        ("numpy weights", r"weights is numpy\.ndarray"),
        ("nan X", r"column 'x2' has a non-finite value \(nan\) at row 17"),
        ("inf y", r"y has a non-finite value \(inf\) at row 3"),
        (
            "three classes",
            r"binary logistic regression; found 3 \(0\.0, 1\.0, 2\.0\)",
        ),
        ("negative weight", r"weights must be non-negative; row 5"),
        ("short offset", r"offset has 10 rows but X has 60"),
        ("1-D X", r"must be 2-D"),
        ("bad counts", r"successes must be non-negative integers; row 2"),
    ],
)
def test_bad_input_is_named(lib, case, message):
    X, y, _ = make_logit_data(n=60, p=3, seed=8)
    args, kwargs = [lib(X), lib(y)], {}
    if case == "numpy y":
        args[1] = y
    elif case == "numpy X":
        args[0] = X
    elif case == "numpy weights":
        kwargs["weights"] = np.ones(60)
    elif case == "nan X":
        X[17, 1] = np.nan
        args[0] = lib(X)
    elif case == "inf y":
        y[3] = np.inf
        args[1] = lib(y)
    elif case == "three classes":
        y[:3] = 2.0
        args[1] = lib(y)
    elif case == "negative weight":
        kwargs["weights"] = lib(np.where(np.arange(60) == 5, -1.0, 1.0))
    elif case == "short offset":
        kwargs["offset"] = lib(np.zeros(10))
    elif case == "1-D X":
        args[0] = lib(X[:, 0])
    elif case == "bad counts":
        args[1] = lib(np.column_stack([np.where(np.arange(60) == 2, 0.5, 1.0), y]))
    with pytest.raises(ValueError, match=message):
        nl.logit(*args, **kwargs)


def test_arrays_on_different_devices_are_refused():
    X, y, _ = make_logit_data(n=60, p=3, seed=9)
    cpu, other = Lib("array_api_strict"), Lib("array_api_strict:device1")
    with pytest.raises(ValueError, match=r"y is on device .*device1.* but X is on"):
        nl.logit(cpu(X), other(y))
    res = nl.logit(cpu(X), cpu(y))
    with pytest.raises(ValueError, match="offset is on device"):
        res.predict(cpu(X), offset=other(np.zeros(60)))


def test_bad_new_rows_are_named(lib):
    X, y, _ = make_logit_data(n=60, p=3, seed=10)
    res = nl.logit(lib(X), lib(y))
    with pytest.raises(ValueError, match="X_new has 2 columns but the model"):
        res.predict(lib(X[:, :2]))
    X[4, 0] = np.inf
    with pytest.raises(
        ValueError, match=r"X_new column 'x1' has a non-finite .* row 4"
    ):
        res.predict(lib(X))


# -- the scikit-learn estimator ----------------------------------------------------


def test_estimator_follows_sklearn_array_api_conventions():
    """scikit-learn's own array-API check, with values, in a fresh interpreter
    (array-API dispatch needs SCIPY_ARRAY_API=1 before SciPy is imported)."""
    code = textwrap.dedent(
        """
        import warnings
        warnings.simplefilter("ignore")
        import array_api_strict as xp, numpy as np, sklearn
        from sklearn.utils import estimator_checks as checks
        from sklearn.utils.estimator_checks import check_array_api_input
        same_namespace = getattr(checks, "check_array_api_same_namespace", None)
        import newtonlogit as nl
        for device in ("CPU_DEVICE", "device1"):
            for dtype in ("float64", "float32"):
                # types, shapes and devices only: sklearn's data here are
                # separated (no MLE), so values depend on rounding; values
                # are compared on regular data by the tests above
                check_array_api_input(
                    "LogisticRegression", nl.LogisticRegression(),
                    "array_api_strict", device_name=device, dtype_name=dtype,
                    check_sample_weight=True,
                )
            if same_namespace is not None:  # scikit-learn >= 1.8
                same_namespace(
                    "LogisticRegression", nl.LogisticRegression(),
                    "array_api_strict", device_name=device,
                )
        rng = np.random.default_rng(0)
        X = rng.normal(size=(200, 3))
        y = np.where(X[:, 0] + rng.normal(size=200) > 0, "yes", "no")
        yd = xp.asarray((y == "yes").astype(np.int64) + 4, device=xp.Device("device1"))
        Xd = xp.asarray(X, device=xp.Device("device1"))
        labels = np.arange(200) % 7
        with sklearn.config_context(array_api_dispatch=True):
            clf = nl.LogisticRegression().fit(Xd, yd)
            pred = clf.predict(Xd)
            proba = clf.predict_proba(Xd)
            clustered = nl.LogisticRegression(cov_type="cluster")
            clustered.fit(Xd, yd, groups=labels)
        ref = nl.LogisticRegression().fit(X, y)
        ref_clustered = nl.LogisticRegression(cov_type="cluster")
        ref_clustered.fit(X, y, groups=labels)
        np.testing.assert_allclose(
            clustered.results_.std_errors, ref_clustered.results_.std_errors,
            rtol=1e-10,
        )
        cpu = xp.Device("CPU_DEVICE")
        coef = np.asarray(clf.coef_.to_device(cpu))
        np.testing.assert_allclose(coef, ref.coef_, rtol=1e-9)
        np.testing.assert_allclose(
            np.asarray(proba.to_device(cpu)), ref.predict_proba(X), rtol=1e-9
        )
        with sklearn.config_context(array_api_dispatch=True):
            try:
                nl.LogisticRegression().fit(Xd, (y == "yes") * 1)
            except ValueError as exc:
                assert "y is numpy.ndarray but X is" in str(exc), exc
            else:
                raise AssertionError("mixed inputs were accepted")
        print(type(clf.coef_).__name__, clf.coef_.device, pred.device,
              sorted(set(np.asarray(pred.to_device(xp.Device("CPU_DEVICE"))).tolist())),
              type(clf.results_.params).__name__)
        """
    )
    env = {**os.environ, "SCIPY_ARRAY_API": "1"}
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env
    )
    assert out.returncode == 0, out.stderr[-3000:]
    assert out.stdout.split() == [
        "Array",
        "array_api_strict.Device('device1')",
        "array_api_strict.Device('device1')",
        "[4,",
        "5]",
        "Series",
    ]


def test_estimator_on_cupy_matches_numpy():
    _cupy_or_skip()
    code = textwrap.dedent(
        """
        import cupy as cp, numpy as np, sklearn
        import newtonlogit as nl
        rng = np.random.default_rng(0)
        X = rng.normal(size=(2000, 4)); y = (X[:, 0] + rng.normal(size=2000) > 0) * 1
        with sklearn.config_context(array_api_dispatch=True):
            clf = nl.LogisticRegression().fit(cp.asarray(X), cp.asarray(y))
            proba = clf.predict_proba(cp.asarray(X))
        ref = nl.LogisticRegression().fit(X, y)
        assert isinstance(clf.coef_, cp.ndarray) and isinstance(proba, cp.ndarray)
        np.testing.assert_allclose(clf.coef_.get(), ref.coef_, rtol=1e-8)
        np.testing.assert_allclose(proba.get(), ref.predict_proba(X), rtol=1e-8)
        """
    )
    env = {**os.environ, "SCIPY_ARRAY_API": "1"}
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env
    )
    assert out.returncode == 0, out.stderr[-3000:]


def test_design_keeps_device_arrays(lib):
    X, y, _ = make_logit_data(n=50, p=2, seed=12, dtype=np.float32)
    d = make_design(lib(X), lib(y), weights=lib(np.ones(50)))
    assert type(d.X) is type(lib(X)) and d.X.dtype == lib(X).dtype  # no copy
    for a in (d.y, d.weights):
        assert type(a) is type(d.X) and a.device == d.X.device
