"""The block kernels: derivatives against finite differences, stability."""

import warnings

import numpy as np
import pytest

from newtonlogit.families.binary import kernels as _kernels
from newtonlogit.kernels.block import Block, expit, log1pexp

from .conftest import make_logit_data


def _block(weights=False, trials=False, offset=False, seed=0):
    X, y, _ = make_logit_data(n=50, p=3, seed=seed)
    rng = np.random.default_rng(seed + 1)
    n = rng.integers(1, 5, size=50).astype(float) if trials else None
    if trials:
        y = np.minimum(y * n, n)
    return Block(
        X,
        y,
        n,
        rng.uniform(0.5, 2, 50) if weights else None,
        rng.normal(size=50) if offset else None,
    )


@pytest.mark.parametrize("fit_intercept", [True, False])
@pytest.mark.parametrize(
    "extra",
    [{}, {"weights": True}, {"trials": True}, {"offset": True, "weights": True}],
)
def test_score_and_info_match_finite_differences(fit_intercept, extra):
    block = _block(**extra)
    k = block.X.shape[1] + fit_intercept
    beta = np.linspace(-0.5, 0.7, k)
    ll, score, info, *_ = _kernels.newton_sums(np, block, beta, fit_intercept)

    def f(b):
        return float(_kernels.loglik(np, block, b, fit_intercept)[0])

    h = 1e-5
    eye = np.eye(k)
    num_score = np.array([(f(beta + h * e) - f(beta - h * e)) / (2 * h) for e in eye])
    np.testing.assert_allclose(score, num_score, rtol=1e-6, atol=1e-8)

    def grad(b):
        return _kernels.newton_sums(np, block, b, fit_intercept)[1]

    num_info = -np.array(
        [(grad(beta + h * e) - grad(beta - h * e)) / (2 * h) for e in eye]
    )
    np.testing.assert_allclose(info, num_info, rtol=1e-6, atol=1e-8)
    assert ll == pytest.approx(f(beta), rel=1e-14)


def test_no_overflow_warnings_at_extreme_eta():
    # the last row is wrong beyond where p (1 - p) underflows to 0: its score
    # still counts in full (the Gram's floor on sqrt(v), ROOT_WEIGHT_FLOOR)
    eta = np.array([-1000.0, -50.0, 0.0, 50.0, 1000.0, -800.0])
    y = np.array([0.0, 1.0, 1.0, 0.0, 1.0, 1.0])
    block = Block(eta[:, None], y)
    with warnings.catch_warnings(), np.errstate(all="raise", under="ignore"):
        warnings.simplefilter("error")
        p = expit(np, eta)
        ll, score, info, wsum, _, parts = _kernels.newton_sums(
            np, block, np.array([1.0]), False
        )
        log1p = log1pexp(np, eta)
    assert np.all(np.isfinite([ll, *score, *info.ravel(), wsum, *parts]))
    np.testing.assert_array_equal(p[[0, 4, 5]], [0.0, 1.0, 0.0])
    assert log1p[4] == 1000.0 and log1p[0] == 0.0
    # rows 0 and 4 fit perfectly; rows 1 and 3 cost 50 each, row 2 log 2
    assert ll == pytest.approx(-900.0 - np.log(2), rel=1e-12)
    np.testing.assert_allclose(score, [(y - p) @ eta], rtol=1e-15)
    v = p * (1 - p)
    assert info[0, 0] == pytest.approx(v @ eta**2, rel=1e-15)
    np.testing.assert_allclose(parts[3], eta.sum(), rtol=1e-15)  # sum c x


def test_weights_without_cancellation():
    eta = np.array([40.0])  # p = 1 - 4e-18: 1 - p would be 0 in float64
    block = Block(eta[:, None], np.array([1.0]))
    _, _, info, *_ = _kernels.newton_sums(np, block, np.array([1.0]), False)
    assert info[0, 0] == pytest.approx(np.exp(-40.0), rel=1e-12)
