"""Every fast path against the plain one: buffer Gram, threads, float32, sparse,
subsample warm start. Same estimates (1e-8 relative), same convergence."""

import tracemalloc

import numpy as np
import pytest
import scipy.sparse as sp

import newtonlogit as nl
from newtonlogit.backends.numpy import NumpyBackend, buffer_gram, gram_into
from newtonlogit.backends.sparse import (
    SparseBackend,
    column_groups,
    grouped_gram,
    sparse_gram,
)
from newtonlogit.data.design import make_design
from newtonlogit.exceptions import DataError
from newtonlogit.families.binary import kernels as _kernels
from newtonlogit.families.binary.objective import LogLikelihood
from newtonlogit.kernels.block import Block
from newtonlogit.kernels.ops import block_ops, generic_gram
from newtonlogit.solver import warmstart

from .conftest import make_logit_data


def _same_estimates(a, b, rtol=1e-8):
    a, b = np.asarray(a), np.asarray(b)
    assert np.max(np.abs(a - b)) <= rtol * np.max(np.abs(b)), np.abs(a - b).max()


def _one_hot_data(n=20_000, groups=4, levels=12, dense=3, seed=0):
    """CSR with one-hot blocks (one level per group dropped) and dense columns."""
    rng = np.random.default_rng(seed)
    codes = rng.integers(0, levels, size=(n, groups))
    cols = codes + levels * np.arange(groups)
    onehot = sp.csr_matrix(
        (np.ones(n * groups), (np.repeat(np.arange(n), groups), cols.ravel())),
        shape=(n, groups * levels),
    )
    keep = np.ones(groups * levels, dtype=bool)
    keep[levels * np.arange(groups)] = False
    X = sp.hstack(
        [onehot[:, keep], sp.csr_matrix(rng.standard_normal((n, dense)))],
        format="csr",
    )
    beta = rng.normal(scale=0.4, size=X.shape[1])
    y = (rng.random(n) < 1 / (1 + np.exp(-(X @ beta)))).astype(float)
    return X, y


@pytest.mark.parametrize("fit_intercept", [True, False])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_gram_hooks_match_the_generic_gram(fit_intercept, dtype):
    X, _, _ = make_logit_data(n=300, p=7, seed=2, dtype=dtype)
    rng = np.random.default_rng(0)
    s = rng.uniform(0.1, 0.5, 300)
    extra = tuple(rng.normal(size=(3, 300)))
    X64 = X.astype(np.float64)
    Z = (np.column_stack([np.ones(300), X64]) if fit_intercept else X64) * s[:, None]
    k = 7 + fit_intercept
    for columns in ((), extra[:1], extra):
        want = (Z.T @ Z, Z.T @ np.column_stack([np.zeros(300), *columns])[:, 1:])
        buffer = np.empty((300, k + len(columns)))
        for got in (
            generic_gram(np, X64, s, fit_intercept, columns),
            buffer_gram(np, X, s, fit_intercept, columns),
            sparse_gram(np, sp.csr_matrix(X), s, fit_intercept, columns),
            # the CuPy hook's own steps (a fresh buffer per block), with NumPy
            gram_into(np, buffer, X, s, fit_intercept, columns),
            # a Fortran-ordered block and a CSC block give the same
            buffer_gram(np, np.asfortranarray(X), s, fit_intercept, columns),
            sparse_gram(np, sp.csc_matrix(X), s, fit_intercept, columns),
        ):
            assert [a.shape for a in got] == [(k, k), (k, len(columns))]
            for a, b in zip(got, want):
                np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)


def test_block_ops_dispatch_on_the_array_type():
    assert block_ops(np.zeros((2, 2))).gram is buffer_gram
    assert block_ops(sp.csr_array(np.eye(2))).gram is sparse_gram
    assert block_ops(sp.csc_matrix(np.eye(2))).gram is sparse_gram
    assert block_ops(object()).gram is generic_gram


@pytest.mark.parametrize("n_threads", [2, 3])
def test_threads_give_the_serial_sums(n_threads):
    X, y, beta = make_logit_data(n=10_000, p=6, seed=5)
    design = make_design(X, y)
    serial = NumpyBackend(design, block_rows=700, n_threads=1)
    threaded = NumpyBackend(design, block_rows=700, n_threads=n_threads)
    for a, b in zip(
        serial.map_sum(_kernels.newton_sums, beta, True),
        threaded.map_sum(_kernels.newton_sums, beta, True),
    ):
        np.testing.assert_allclose(a, b, rtol=1e-12)


def test_threaded_blocks_sum_to_the_one_block_kernel():
    X, y, beta = make_logit_data(n=5000, p=4, seed=6)
    backend = NumpyBackend(make_design(X, y), block_rows=333, n_threads=2)
    whole = _kernels.newton_sums(np, Block(X, y), beta, True)
    for a, b in zip(backend.map_sum(_kernels.newton_sums, beta, True), whole):
        np.testing.assert_allclose(a, b, rtol=1e-11)


def test_float32_fit_equals_float64_fit_of_the_same_values():
    X, y, _ = make_logit_data(n=30_000, p=8, seed=7, dtype=np.float32)
    res32 = nl.logit(X, y, tol=1e-10)
    res64 = nl.logit(X.astype(np.float64), y, tol=1e-10)
    assert res32.converged and res64.converged
    _same_estimates(res32.coef, res64.coef)
    assert abs(res32.n_iter - res64.n_iter) <= 1
    np.testing.assert_allclose(res32.std_errors, res64.std_errors, rtol=1e-9)


def test_float32_x_is_never_upcast_whole():
    # The working set is fixed, O(threads x block) (about 27 MB on 2 threads:
    # each thread's float64 copy of a streaming pass's 8 MiB block and its
    # temporaries), so the bound is checked on an X large next to it (80 MB).
    X, y, _ = make_logit_data(n=400_000, p=50, seed=4, dtype=np.float32)
    nl.logit(X[:1000], y[:1000])
    tracemalloc.start()
    nl.logit(X, y)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert peak < 0.5 * X.nbytes, peak / X.nbytes  # an upcast copy is 2x X


@pytest.mark.parametrize("fmt", ["csr", "csc"])
def test_sparse_fit_equals_dense_fit(fmt):
    X, y = _one_hot_data()
    X = X.asformat(fmt)
    res_sparse = nl.logit(X, y, tol=1e-10)
    res_dense = nl.logit(X.toarray(), y, tol=1e-10)
    assert res_sparse.converged and res_dense.converged
    assert res_sparse.n_iter == res_dense.n_iter
    _same_estimates(res_sparse.coef, res_dense.coef)
    np.testing.assert_allclose(res_sparse.std_errors, res_dense.std_errors, rtol=1e-8)


def test_sparse_with_weights_offset_no_intercept_and_float32():
    X, y = _one_hot_data(n=8000, seed=3)
    rng = np.random.default_rng(1)
    kwargs = dict(weights=rng.integers(1, 4, 8000), offset=rng.normal(size=8000) * 0.1)
    X32 = X.astype(np.float32)
    res = nl.logit(sp.csr_array(X32), y, fit_intercept=False, tol=1e-10, **kwargs)
    ref = nl.logit(X32.toarray(), y, fit_intercept=False, tol=1e-10, **kwargs)
    _same_estimates(res.coef, ref.coef)


def test_sparse_backend_is_chosen_and_x_is_never_densified():
    X, y = _one_hot_data(n=100_000, groups=6, levels=30)
    assert type(make_design(X, y).X) is sp.csr_matrix
    design = make_design(X, y)
    assert isinstance(nl.backends.backend_for(design.X)(design), SparseBackend)
    nl.logit(X[:2000], y[:2000])
    tracemalloc.start()
    nl.logit(X, y)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    dense_bytes = 8 * X.shape[0] * X.shape[1]
    assert peak < 0.25 * dense_bytes, peak / dense_bytes


def test_sparse_non_finite_value_is_named():
    X, y = _one_hot_data(n=500)
    X = X.tolil()
    X[17, 2] = np.nan
    for fmt in ("csr", "csc"):
        with pytest.raises(DataError, match=r"column 'x3'.*row 17"):
            nl.logit(X.asformat(fmt), y)


def test_subsample_start_gives_the_same_fit_in_fewer_information_passes():
    X, y, _ = make_logit_data(n=250_000, p=5, seed=8)
    warm = nl.logit(X, y, tol=1e-10)
    cold = nl.logit(X, y, tol=1e-10, subsample_start=False)
    assert warm.converged and cold.converged
    _same_estimates(warm.coef, cold.coef)
    np.testing.assert_allclose(warm.std_errors, cold.std_errors, rtol=1e-8)
    assert warm.loglik == pytest.approx(cold.loglik, rel=1e-12)
    information = list(warm.history["pass"]).count("newton")
    assert information < cold.n_iter + 1 == len(cold.history)


def test_subsample_information_steers_the_full_data_steps(passes):
    # The warm start's scaled information steers the full-data steps, taken
    # from score passes; the information is evaluated at the estimate (and
    # the estimate, standard errors and log-likelihood are the plain path's).
    X, y, _ = make_logit_data(n=250_000, p=5, seed=8)
    warm = nl.logit(X, y)
    full = [name for rows, name in passes if rows == 250_000]
    kinds = list(warm.history["pass"])
    assert full.count("score_sums") == kinds.count("score") >= 1
    assert full.count("newton_sums") == kinds.count("newton") == 1
    cold = nl.logit(X, y, subsample_start=False)
    _same_estimates(warm.coef, cold.coef)
    np.testing.assert_allclose(warm.std_errors, cold.std_errors, rtol=1e-8)
    assert warm.loglik == pytest.approx(cold.loglik, rel=1e-12)


def test_subsample_fit_is_skipped_where_the_start_is_closer(passes):
    # Many coefficients and no signal: the subsample's estimate would sit
    # further from the full-data one (sampling error, a decrement of about
    # k (1 / share - 1)) than the start does. The warm start then keeps the
    # start, with the subsample's information to steer by, and the fit is the
    # plain path's in fewer full passes that evaluate the information.
    X, _ = _one_hot_data(n=200_000, groups=10, levels=19, dense=5, seed=4)
    y = (np.random.default_rng(5).random(X.shape[0]) < 0.4).astype(float)
    backend = SparseBackend(make_design(X, y))
    beta0 = np.zeros(X.shape[1] + 1)
    beta0[0] = np.log(y.mean() / (1 - y.mean()))
    warm = warmstart.subsample_start(LogLikelihood(backend, True), beta0)
    np.testing.assert_array_equal(warm.beta, beta0)
    assert warm.info.shape == (beta0.size, beta0.size)
    res = nl.logit(X, y)
    warm_passes = passes.count((X.shape[0], "newton_sums"))
    passes.clear()
    ref = nl.logit(X, y, subsample_start=False)
    assert res.converged and warm_passes < passes.count((X.shape[0], "newton_sums"))
    _same_estimates(res.coef, ref.coef)
    np.testing.assert_allclose(res.std_errors, ref.std_errors, rtol=1e-8)
    # a strong signal: the subsample fit runs and moves the start
    X, y, _ = make_logit_data(n=250_000, p=5, seed=8)
    backend = NumpyBackend(make_design(X, y))
    warm = warmstart.subsample_start(LogLikelihood(backend, True), np.zeros(6))
    assert np.max(np.abs(warm.beta)) > 0.1


@pytest.mark.parametrize("n, m", [(1_000_003, 50_000), (10, 10), (97, 7)])
def test_stratified_rows_are_one_distinct_row_per_stratum(n, m):
    rows = warmstart.stratified_rows(n, m, seed=3)
    assert rows.shape == (m,) and rows[0] >= 0 and rows[-1] < n
    assert np.all(np.diff(rows) > 0)  # sorted and distinct
    edges = np.arange(m + 1) * n // m
    assert np.all((rows >= edges[:-1]) & (rows < edges[1:]))
    # random within the strata, and reproducible by seed
    assert not np.array_equal(rows, warmstart.stratified_rows(n, m, seed=4)) or n == m
    np.testing.assert_array_equal(rows, warmstart.stratified_rows(n, m, seed=3))


def test_subsample_start_is_skipped_or_falls_back_when_it_cannot_help():
    assert warmstart.subsample_rows(5_000, 3) is None  # too few rows to bother
    assert warmstart.subsample_rows(1_000_000, 11) == 50_000
    assert warmstart.subsample_rows(400_000, 501) == 25_050  # 50 per coefficient
    # a rare event that the subsample misses, on fewer rows than the
    # subsample needs (10 per coefficient) even with every one of them in it
    n = 400_000
    X, _, _ = make_logit_data(n=n, p=3, seed=9)
    m = warmstart.subsample_rows(n, 4)
    sampled = warmstart.stratified_rows(n, m, seed=1)
    y = np.zeros(n)
    y[np.setdiff1d(np.arange(n), sampled)[:39]] = 1.0
    assert warmstart.case_control_rows(make_design(X, y), m, 4) is None
    backend = NumpyBackend(make_design(X, y))
    beta0 = np.array([-9.0, 0.0, 0.0, 0.0])
    assert (
        warmstart.subsample_start(LogLikelihood(backend, True), beta0, seed=1) is None
    )
    res = nl.logit(X, y)
    ref = nl.logit(X, y, subsample_start=False)
    _same_estimates(res.coef, ref.coef, rtol=1e-6)


@pytest.mark.parametrize("cov_type", ["HC0", "HC3"])
def test_sparse_robust_covariance_equals_dense(cov_type):
    # The sandwich's meat and leverages go through the same Gram / row hooks as
    # the information, so scipy.sparse X gives the dense answer.
    rng = np.random.default_rng(0)
    X = rng.standard_normal((3000, 5))
    X[X < 0.5] = 0.0
    y = (rng.random(3000) < 0.4).astype(float)
    dense = nl.logit(X, y, cov_type=cov_type)
    for matrix in (sp.csr_matrix(X), sp.csc_array(X)):
        sparse = nl.logit(matrix, y, cov_type=cov_type)
        np.testing.assert_allclose(sparse.std_errors, dense.std_errors, rtol=1e-10)


def test_one_hot_columns_are_grouped_and_the_grouped_gram_is_exact():
    # 4 categoricals of 11 levels (one dropped) and 3 numeric columns: 7 groups
    X, _ = _one_hot_data(n=3000, groups=4, levels=12, dense=3, seed=6)
    groups = column_groups(X)
    np.testing.assert_array_equal(groups.sizes, [11, 11, 11, 11, 1, 1, 1])
    X = X.tolil()
    X[5, :] = 0.0  # an empty row
    X = X.tocsr()
    X.data[X.indices == 3] = 0.0  # explicit zeros stay harmless
    s = np.random.default_rng(1).uniform(0.1, 0.9, X.shape[0])
    for fit_intercept in (True, False):
        expected, _ = generic_gram(np, X.toarray(), s, fit_intercept)
        got = grouped_gram(X, s, fit_intercept, groups)
        np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-12)
    # a row with two levels of one categorical breaks the grouping: the block
    # goes to SciPy's product, and the answer is still exact
    X = X.tolil()
    X[7, 0] = X[7, 1] = 1.0
    X = X.tocsr()
    assert grouped_gram(X, s, True, groups) is None
    X.column_groups = groups
    np.testing.assert_allclose(
        sparse_gram(np, X, s, True)[0],
        generic_gram(np, X.toarray(), s, True)[0],
        rtol=1e-12,
        atol=1e-12,
    )


def test_sparse_backend_groups_only_where_it_saves_work():
    X, y = _one_hot_data(n=5000, groups=4, levels=12, dense=3, seed=6)
    backend = SparseBackend(make_design(X, y))
    assert backend.groups is not None and backend.groups.sizes.size == 7
    assert all(b.X.column_groups is backend.groups for b in backend.blocks())
    # unstructured sparse data: a group per column, SciPy's product is cheaper
    R = sp.random(5000, 40, density=0.2, format="csr", random_state=2)
    assert SparseBackend(make_design(R, y)).groups is None
    # not canonical (duplicates): never grouped
    D = sp.csr_matrix(
        (np.ones(4), np.array([0, 0, 1, 2]), np.array([0, 2, 3, 4])), shape=(3, 3)
    )
    assert not D.has_canonical_format
    assert SparseBackend(make_design(D, np.array([0.0, 1.0, 1.0]))).groups is None
    # grouped and ungrouped passes agree
    beta = np.random.default_rng(0).normal(scale=0.2, size=X.shape[1] + 1)
    plain = SparseBackend(make_design(X, y))
    plain.groups = None
    for a, b in zip(
        backend.map_sum(_kernels.newton_sums, beta, True),
        plain.map_sum(_kernels.newton_sums, beta, True),
    ):
        np.testing.assert_allclose(a, b, rtol=1e-11, atol=1e-9)
