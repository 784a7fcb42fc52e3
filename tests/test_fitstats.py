"""The fit-time kernels behind inference: null fit, saturated model, margins."""

import numpy as np
import pytest

import newtonlogit as nl
from newtonlogit.families.binary import kernels as _kernels
from newtonlogit.kernels.block import Block

from .conftest import make_logit_data


def _block(seed=0, trials=False):
    X, y, _ = make_logit_data(n=80, p=3, seed=seed)
    rng = np.random.default_rng(seed)
    n = rng.integers(1, 6, size=80).astype(float) if trials else None
    if trials:
        y = np.floor(rng.random(80) * (n + 1))
    return Block(X, y, n, rng.uniform(0.5, 2, 80), rng.normal(size=80))


@pytest.mark.parametrize("trials", [False, True])
def test_null_sums_derivatives_match_finite_differences(trials):
    block = _block(1, trials)
    b0 = np.array([0.3])
    ll, score, info, _ = _kernels.null_sums(np, block, b0)
    h = 1e-6
    up = _kernels.null_sums(np, block, b0 + h)[0]
    down = _kernels.null_sums(np, block, b0 - h)[0]
    assert score[0] == pytest.approx((up - down) / (2 * h), rel=1e-6)
    s_up = _kernels.null_sums(np, block, b0 + h)[1][0]
    assert info[0, 0] == pytest.approx(-(s_up - score[0]) / h, rel=1e-4)
    # equals the full kernel with every slope at 0
    full = _kernels.newton_sums(np, block, np.array([0.3, 0, 0, 0]), True)
    assert ll == pytest.approx(full[0])


@pytest.mark.parametrize("fit_intercept", [True, False])
@pytest.mark.parametrize("counts", [False, True])
def test_closed_form_null_loglik_equals_the_null_fit(counts, fit_intercept):
    """Without an offset the null log-likelihood is a closed form in the totals;
    a zero offset takes the one-parameter Newton fit: the two must agree."""
    X, y, _ = make_logit_data(n=500, p=3, seed=4)
    rng = np.random.default_rng(4)
    weights = rng.uniform(0.5, 3.0, 500)
    if counts:
        trials = rng.integers(1, 8, 500).astype(float)
        y = np.column_stack([np.floor(rng.random(500) * (trials + 1)), trials])
        y[:, 1] -= y[:, 0]  # (successes, failures)
    kw = dict(weights=weights, fit_intercept=fit_intercept)
    closed = nl.logit(X, y, **kw)
    fitted = nl.logit(X, y, offset=np.zeros(500), **kw)
    assert closed.loglik_null == pytest.approx(fitted.loglik_null, rel=1e-12)
    assert closed.loglik_null < closed.loglik


def test_saturated_loglik_is_the_best_possible():
    block = _block(2, trials=True)
    (sat,) = _kernels.saturated_loglik(np, block)
    n, y = block.trials, block.y
    p = np.clip(y / n, 1e-300, 1 - 1e-16)
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where(y > 0, y * np.log(p), 0) + np.where(
            n - y > 0, (n - y) * np.log1p(-p), 0
        )
    assert sat == pytest.approx(np.sum(block.weights * terms), rel=1e-12)
    binary = _kernels.saturated_loglik(np, Block(block.X, (y > 0) * 1.0))
    assert binary[0] == 0


@pytest.mark.parametrize("weighted", [True, False])
def test_margin_sums_direct(weighted):
    """The marginal-effect sums, a by-product of a Newton pass."""
    block = _block(3)
    if not weighted:  # one trial a row, no offset
        block = Block(block.X, block.y)
    beta = np.array([0.2, -0.5, 0.1, 1.0])
    *_, cf, _, parts = _kernels.newton_sums(np, block, beta, True)
    Xt = np.column_stack([np.ones(80), block.X])
    offset = np.zeros(80) if block.offset is None else block.offset
    p = 1 / (1 + np.exp(-(Xt @ beta + offset)))
    w = np.ones(80) if block.weights is None else block.weights
    assert cf == pytest.approx(np.sum(w * p * (1 - p)))
    total, off, gx, cx = np.split(parts, [1, 2, 6])
    assert total == pytest.approx(w.sum())
    np.testing.assert_allclose(gx, (w * p * (1 - p) * (1 - 2 * p)) @ Xt)
    np.testing.assert_allclose(cx, w @ Xt)
    assert off == pytest.approx(np.sum(w * offset))


def test_float32_data_gives_the_same_statistics(spector):
    X32 = spector.X.to_numpy(dtype=np.float32)
    a = nl.logit(X32, spector.y, cov_type="HC2")
    b = nl.logit(X32.astype(np.float64), spector.y, cov_type="HC2")
    np.testing.assert_allclose(a.cov, b.cov, rtol=1e-10)
    assert a.loglik_null == pytest.approx(b.loglik_null)
    np.testing.assert_allclose(
        a.marginal_effects()["std_err"], b.marginal_effects()["std_err"], rtol=1e-10
    )


def test_aliased_columns_are_left_out_everywhere(spector):
    import warnings

    X = spector.X.assign(GPA2=2 * spector.X["GPA"])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", nl.CollinearityWarning)
        res = nl.logit(X, spector.y, drop_collinear=True, cov_type="HC1")
    plain = nl.logit(spector.X, spector.y, cov_type="HC1")
    np.testing.assert_allclose(res.cov, plain.cov, rtol=1e-9)
    effects = res.marginal_effects()
    assert list(effects.index) == ["GPA", "TUCE", "PSI"]
    np.testing.assert_allclose(effects, plain.marginal_effects(), rtol=1e-9)
    frame = res.predict(X, interval=True)
    np.testing.assert_allclose(frame, plain.predict(spector.X, interval=True), 1e-9)
    assert res.df_model == 3 and res.aic == pytest.approx(plain.aic)


def test_fit_takes_the_margin_sums_from_its_last_pass(passes):
    """No pass for marginal effects after a fit whose last Newton pass was at
    the estimate; FLIC moves the estimate afterwards and takes one there."""
    X, y, _ = make_logit_data(n=3000, p=4, seed=21)
    w = np.random.default_rng(22).uniform(0.5, 2.0, 3000)
    Xt = np.column_stack([np.ones(3000), X])

    def check(res, w):
        p = 1 / (1 + np.exp(-(Xt @ np.asarray(res.coef))))
        f = p * (1 - p)
        assert res.margins.f_mean == pytest.approx(w @ f / w.sum(), rel=1e-12)
        np.testing.assert_allclose(
            res.margins.grad_f, (w * f * (1 - 2 * p)) @ Xt / w.sum(), rtol=1e-11
        )
        np.testing.assert_allclose(res.margins.x_mean, w @ Xt / w.sum(), rtol=1e-12)

    res = nl.logit(X, y, weights=w)
    full = [name for rows, name in passes if rows == 3000]
    assert full.count("newton_sums") == res.n_iter + 1  # (no subsample start)
    check(res, w)
    flic = nl.logit(X, y, penalty="flic")
    assert not np.allclose(flic.coef, nl.logit(X, y, penalty="firth").coef)
    check(flic, np.ones(3000))
