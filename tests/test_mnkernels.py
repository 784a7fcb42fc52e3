"""The multinomial block kernel: derivatives against finite differences,
stability, one pass per block."""

import warnings

import numpy as np
import pytest

from newtonlogit.backends.numpy import NumpyBackend
from newtonlogit.data.checks import multiclass_response
from newtonlogit.data.design import make_design
from newtonlogit.families.binary import kernels as _kernels
from newtonlogit.families.multinomial import kernels as _mnkernels
from newtonlogit.families.multinomial.fit import MultinomialLikelihood
from newtonlogit.kernels.block import Block


def _block(n_classes, weights=False, offset=None, seed=0, dtype=np.float64):
    rng = np.random.default_rng(seed)
    m = 60
    X = rng.standard_normal((m, 3)).astype(dtype)
    y = rng.integers(0, n_classes, m).astype(float)
    off = None
    if offset == "common":
        off = rng.normal(size=m)
    elif offset == "per_class":
        off = rng.normal(size=(m, n_classes - 1))
    return Block(X, y, None, rng.uniform(0.5, 2, m) if weights else None, off)


@pytest.mark.parametrize("fit_intercept", [True, False])
@pytest.mark.parametrize("n_classes", [2, 3, 5])
@pytest.mark.parametrize(
    "extra", [{}, {"weights": True, "offset": "common"}, {"offset": "per_class"}]
)
def test_score_and_info_match_finite_differences(fit_intercept, n_classes, extra):
    block = _block(n_classes, **extra)
    k = (n_classes - 1) * (block.X.shape[1] + fit_intercept)
    beta = np.linspace(-0.6, 0.8, k)
    args = (fit_intercept, n_classes)
    ll, score, info, weight_sum = _mnkernels.multinomial_sums(np, block, beta, *args)

    def f(b):
        return float(_mnkernels.multinomial_loglik(np, block, b, *args)[0])

    def grad(b):
        return _mnkernels.multinomial_sums(np, block, b, *args)[1]

    h, eye = 1e-5, np.eye(k)
    num_score = np.array([(f(beta + h * e) - f(beta - h * e)) / (2 * h) for e in eye])
    np.testing.assert_allclose(score, num_score, rtol=1e-6, atol=1e-8)
    num_info = -np.array(
        [(grad(beta + h * e) - grad(beta - h * e)) / (2 * h) for e in eye]
    )
    np.testing.assert_allclose(info, num_info, rtol=1e-6, atol=1e-8)
    np.testing.assert_array_equal(info, info.T)
    assert ll == pytest.approx(f(beta), rel=1e-14)
    # the weight sum is the trace of the per-row multinomial covariances
    eta = _mnkernels.multinomial_eta(np, block, beta, *args)
    P = _mnkernels.softmax_with_base(np, eta)[:, 1:]
    w = 1.0 if block.weights is None else block.weights[:, None]
    assert weight_sum == pytest.approx(np.sum(w * P * (1 - P)), rel=1e-12)


def test_two_classes_equal_the_binary_kernel():
    block = _block(2, weights=True, offset="common")
    beta = np.array([0.3, -0.5, 0.2, 0.9])
    binary = _kernels.newton_sums(np, block, beta, True)
    multi = _mnkernels.multinomial_sums(np, block, beta, True, 2)
    for a, b in zip(binary, multi):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-14)


def test_brute_force_information():
    block = _block(4, weights=True)
    beta = np.linspace(-1, 1, 9)
    _, _, info, _ = _mnkernels.multinomial_sums(np, block, beta, False, 4)
    eta = _mnkernels.multinomial_eta(np, block, beta, False, 4)
    P = _mnkernels.softmax_with_base(np, eta)[:, 1:]
    expected = sum(
        w * np.kron(np.diag(p) - np.outer(p, p), np.outer(x, x))
        for w, p, x in zip(block.weights, P, block.X)
    )
    np.testing.assert_allclose(info, expected, rtol=1e-12, atol=1e-13)


def test_float32_block_gives_float64_sums():
    b32, b64 = _block(3, dtype=np.float32), _block(3)
    b64 = b64._replace(X=b32.X.astype(np.float64))
    beta = np.linspace(-0.5, 0.5, 8)
    for a, b in zip(
        _mnkernels.multinomial_sums(np, b32, beta, True, 3),
        _mnkernels.multinomial_sums(np, b64, beta, True, 3),
    ):
        assert np.asarray(a).dtype == np.float64
        np.testing.assert_allclose(a, b, rtol=1e-12)


def test_no_overflow_and_no_cancellation_at_extreme_eta():
    # rows whose linear predictors are far out: +-800 and a dominant class
    X = np.array([[800.0], [-800.0], [40.0], [0.0]])
    y = np.array([1.0, 0.0, 2.0, 2.0])
    beta = np.array([1.0, 0.5])  # class 1: eta = x, class 2: eta = x / 2
    block = Block(X, y)
    with warnings.catch_warnings(), np.errstate(all="raise", under="ignore"):
        warnings.simplefilter("error")
        ll, score, info, wsum = _mnkernels.multinomial_sums(np, block, beta, False, 3)
        (ll_only,) = _mnkernels.multinomial_loglik(np, block, beta, False, 3)
    assert np.all(np.isfinite([ll, *score, *info.ravel(), wsum]))
    assert ll == ll_only
    # row 2: eta = (40, 20); log Z = 40 + log(1 + e^-20 + e^-40); y = class 2
    expected = -(40 - 20 + np.log1p(np.exp(-20) + np.exp(-40))) - np.log(3)
    assert ll == pytest.approx(expected, rel=1e-12)
    # p_1 (1 - p_1) at row 2 is about e^-20: no cancellation to zero
    p1 = 1 / (1 + np.exp(-40) + np.exp(-20))
    one_minus = (np.exp(-40) + np.exp(-20)) * p1
    assert info[0, 0] == pytest.approx(40.0**2 * p1 * one_minus, rel=1e-10)


def test_block_sums_do_not_depend_on_block_size():
    rng = np.random.default_rng(1)
    X = rng.standard_normal((1000, 4))
    y = rng.integers(0, 3, 1000)
    design = make_design(X, y, response=multiclass_response)
    beta = np.linspace(-0.3, 0.3, 10)
    whole = MultinomialLikelihood(NumpyBackend(design, block_rows=1000), True, 3)
    small = MultinomialLikelihood(NumpyBackend(design, block_rows=97), True, 3)
    a, b = whole(beta), small(beta)
    assert a.value == pytest.approx(b.value, rel=1e-13)
    np.testing.assert_allclose(a.score, b.score, rtol=1e-11, atol=1e-11)
    np.testing.assert_allclose(a.info, b.info, rtol=1e-11)


@pytest.mark.parametrize("offset", [None, "common", "per_class"])
def test_kernels_run_on_the_array_api(offset):
    # array_api_strict allows only the standard's functions: the kernels use
    # nothing else, so they run unchanged on CuPy (and any array-API library)
    import array_api_strict as xp

    block = _block(4, weights=True, offset=offset)
    strict = Block(*(None if a is None else xp.asarray(a) for a in block))
    beta = np.linspace(-0.5, 0.5, 12)
    expected = _mnkernels.multinomial_sums(np, block, beta, True, 4)
    got = _mnkernels.multinomial_sums(xp, strict, beta, True, 4)
    for a, b in zip(expected, got):
        np.testing.assert_allclose(np.asarray(b), a, rtol=1e-13, atol=1e-13)
    (ll,) = _mnkernels.multinomial_loglik(xp, strict, beta, True, 4)
    assert float(ll) == pytest.approx(float(expected[0]), rel=1e-14)
    eta = _mnkernels.multinomial_eta(xp, strict, beta, True, 4)
    np.testing.assert_allclose(
        np.asarray(_mnkernels.softmax_with_base(xp, eta)),
        _mnkernels.softmax_with_base(
            np, _mnkernels.multinomial_eta(np, block, beta, True, 4)
        ),
        rtol=1e-14,
    )


@pytest.mark.parametrize("fit_intercept", [True, False])
@pytest.mark.parametrize("n_classes", [2, 4])
@pytest.mark.parametrize(
    "extra", [{}, {"weights": True, "offset": "common"}, {"offset": "per_class"}]
)
def test_score_pass_gives_the_newton_pass_value_score_and_weight_sum(
    fit_intercept, n_classes, extra
):
    block = _block(n_classes, seed=3, **extra)
    k = 3 + fit_intercept
    beta = np.random.default_rng(4).normal(scale=0.5, size=(n_classes - 1) * k)
    args = (beta, fit_intercept, n_classes)
    ll, score, weight_sum = _mnkernels.multinomial_score_sums(np, block, *args)
    ll_n, score_n, _, weight_sum_n = _mnkernels.multinomial_sums(np, block, *args)
    assert float(ll) == pytest.approx(float(ll_n), rel=1e-14)
    np.testing.assert_allclose(score, score_n, rtol=1e-12, atol=1e-12)
    assert float(weight_sum) == pytest.approx(float(weight_sum_n), rel=1e-14)
