"""nl.logit against R and statsmodels, and the properties of the fit."""

import tracemalloc
import warnings

import numpy as np
import pandas as pd
import pytest

import newtonlogit as nl

from .conftest import load_iris_pair, make_logit_data
from .reference import values as ref


def _check_r(res, block, params_rtol=1e-7, bse_rtol=1e-5):
    np.testing.assert_allclose(res.params.to_numpy(), block["params"], rtol=params_rtol)
    np.testing.assert_allclose(res.std_errors.to_numpy(), block["bse"], rtol=bse_rtol)
    assert res.loglik == pytest.approx(block["llf"], rel=1e-9)
    assert res.converged


def test_spector_matches_r(spector):
    # R 4.2.2: glm(GRADE ~ GPA + TUCE + PSI, family = binomial, epsilon = 1e-14)
    res = nl.logit(spector.X, spector.y)
    assert list(res.params.index) == ["Intercept", "GPA", "TUCE", "PSI"]
    _check_r(res, ref.R_SPECTOR_LOGIT)
    R_vcov = np.array(ref.R_SPECTOR_VCOV).reshape(4, 4, order="F")
    np.testing.assert_allclose(res.cov.to_numpy(), R_vcov, rtol=1e-5)


def test_spector_matches_statsmodels_logit(spector):
    import statsmodels.api as sm

    sm_res = sm.Logit(spector.y, sm.add_constant(spector.X)).fit(disp=0, tol=1e-12)
    res = nl.logit(spector.X, spector.y)
    np.testing.assert_allclose(
        res.params.to_numpy(), sm_res.params.to_numpy(), rtol=1e-7
    )
    np.testing.assert_allclose(
        res.std_errors.to_numpy(), sm_res.bse.to_numpy(), rtol=1e-6
    )
    assert res.loglik == pytest.approx(sm_res.llf, rel=1e-10)


def test_lbw_matches_r(lbw):
    # R: glm(low ~ age + lwt + race_black + race_other + smoke + ptl + ht + ui)
    _check_r(nl.logit(lbw.X, lbw.y), ref.R_LBW_LOGIT)


def test_star98_grouped_counts_match_r(star98):
    # R: glm(cbind(successes, failures) ~ ..., family = binomial); the log-likelihood
    # includes sum(log C(n_i, y_i)) as R reports it
    res = nl.logit(star98.X, star98.y)
    _check_r(res, ref.R_STAR98_BINOM)


def test_iris_virginica_vs_versicolor_matches_r():
    data = load_iris_pair(1, 2)
    _check_r(nl.logit(data.X, data.y), ref.R_IRIS_VIRGINICA_VS_VERSICOLOR)


def test_known_solution_recovered():
    # With many rows the MLE is close to the coefficients that generated y.
    X, y, beta = make_logit_data(n=200_000, p=4, seed=3)
    res = nl.logit(X, y)
    assert np.all(np.abs(res.params.to_numpy() - beta) < 4 * res.std_errors.to_numpy())
    assert 3 <= res.n_iter <= 8


def test_score_is_zero_at_the_estimate():
    X, y, _ = make_logit_data(n=3000, p=6, seed=1)
    res = nl.logit(X, y)
    from newtonlogit.families.binary import kernels as _kernels
    from newtonlogit.kernels.block import Block

    _, score, *_ = _kernels.newton_sums(np, Block(X, y), res.coef, True)
    assert np.max(np.abs(score)) < 1e-8


def test_weights_equal_repeated_rows(spector):
    rng = np.random.default_rng(0)
    counts = rng.integers(0, 4, size=len(spector.y))
    counts[:2] = 1
    weighted = nl.logit(spector.X, spector.y, weights=counts)
    rows = np.repeat(np.arange(len(counts)), counts)
    repeated = nl.logit(spector.X.iloc[rows], spector.y[rows])
    np.testing.assert_allclose(weighted.params, repeated.params, rtol=1e-9)
    np.testing.assert_allclose(weighted.std_errors, repeated.std_errors, rtol=1e-9)
    assert weighted.loglik == pytest.approx(repeated.loglik, rel=1e-12)


def test_grouped_counts_equal_binary_rows():
    # (successes, failures) rows give the binary fit's estimates.
    X, y, _ = make_logit_data(n=400, p=2, seed=5)
    Xr = np.round(X)  # few distinct rows
    df = pd.DataFrame(Xr, columns=["a", "b"]).assign(y=y)
    g = df.groupby(["a", "b"]).y.agg(["sum", "count"]).reset_index()
    counts = np.column_stack([g["sum"], g["count"] - g["sum"]])
    grouped = nl.logit(g[["a", "b"]], counts, tol=1e-12)
    binary = nl.logit(df[["a", "b"]], y, tol=1e-12)
    np.testing.assert_allclose(grouped.params, binary.params, rtol=1e-9)
    np.testing.assert_allclose(grouped.std_errors, binary.std_errors, rtol=1e-9)


def test_offset_shifts_linear_predictor(spector):
    base = nl.logit(spector.X, spector.y)
    off = 0.3 * spector.X["GPA"].to_numpy()
    shifted = nl.logit(spector.X, spector.y, offset=off)
    assert shifted.params["GPA"] == pytest.approx(base.params["GPA"] - 0.3, rel=1e-7)
    assert shifted.params["TUCE"] == pytest.approx(base.params["TUCE"], rel=1e-7)


def test_l2_penalty_matches_sklearn():
    from sklearn.linear_model import LogisticRegression

    X, y, _ = make_logit_data(n=500, p=4, seed=2)
    alpha = 3.0
    res = nl.logit(X, y, penalty="l2", alpha=alpha)
    # sklearn minimizes 1/(2C) ||w||^2 + sum(loss): alpha = 1 / C
    sk = LogisticRegression(
        C=1 / alpha, tol=1e-12, max_iter=1000, solver="newton-cholesky"
    ).fit(X, y)
    np.testing.assert_allclose(res.params.iloc[1:], sk.coef_[0], rtol=1e-6)
    assert res.params.iloc[0] == pytest.approx(sk.intercept_[0], rel=1e-6)
    assert res.penalty == "l2"


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("order", ["C", "F"])
def test_dtypes_and_orders_are_not_copied(dtype, order):
    X, y, _ = make_logit_data(n=3000, p=4, dtype=dtype, order=order)
    from newtonlogit.data.design import make_design

    assert make_design(X, y).X is X
    res = nl.logit(X, y)
    ref_res = nl.logit(X.astype(np.float64), y)
    np.testing.assert_allclose(res.params, ref_res.params, rtol=1e-12)


def test_history_rows():
    X, y, _ = make_logit_data(n=1000, p=3)
    res = nl.logit(X, y)
    h = res.history
    assert list(h.columns) == [
        "iteration",
        "loglik",
        "max_change",
        "decrement",
        "step",
        "pass",
    ]
    assert len(h) == res.n_iter + 1
    assert set(h["pass"]) == {"newton"}  # (no warm start on 1,000 rows)
    assert h.loglik.is_monotonic_increasing
    assert h.loglik.iloc[-1] == res.loglik


def test_no_warnings_with_huge_linear_predictor():
    x = np.linspace(-1, 1, 200)[:, None] * 1000.0
    y = (np.arange(200) % 3 == 0).astype(float)
    with warnings.catch_warnings(), np.errstate(all="raise", under="ignore"):
        warnings.simplefilter("error")
        res = nl.logit(x, y, start=[0.0, 1.0])
    assert res.converged and np.isfinite(res.loglik)


def test_not_converged_warns_once():
    X, y, _ = make_logit_data(n=500, p=3)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        res = nl.logit(X, y, max_iter=1)
    assert not res.converged
    assert [w.category for w in caught] == [nl.ConvergenceWarning]


def test_collinear_columns_named():
    X, y, _ = make_logit_data(n=300, p=3)
    df = pd.DataFrame(X, columns=["a", "b", "c"]).assign(
        d=lambda f: 2 * f.a - f.c, const=1.0
    )
    with pytest.raises(nl.CollinearityError, match=r"\['d', 'const'\]"):
        nl.logit(df, y)
    with pytest.warns(nl.CollinearityWarning, match="'d', 'const'"):
        res = nl.logit(df, y, drop_collinear=True)
    assert res.aliased == ("d", "const")
    base = nl.logit(df[["a", "b", "c"]], y)
    np.testing.assert_allclose(res.params, base.params, rtol=1e-10)
    np.testing.assert_allclose(res.predict(df), base.predict(df[["a", "b", "c"]]))


def test_results_are_immutable(spector):
    res = nl.logit(spector.X, spector.y)
    before = res.params.copy()
    params = res.params
    params.iloc[0] = 99.0
    with pytest.raises(ValueError):
        res.coef[0] = 99.0
    with pytest.raises(AttributeError):
        res.loglik = 0.0
    pd.testing.assert_series_equal(res.params, before)
    assert not any(
        isinstance(v, np.ndarray) and v.ndim == 2 and v.shape[0] > 10
        for v in vars(res).values()
    )


def test_predict_matches_linear_predictor(spector):
    res = nl.logit(spector.X, spector.y)
    eta = res.params.iloc[0] + spector.X.to_numpy() @ res.params.iloc[1:].to_numpy()
    np.testing.assert_allclose(res.predict(spector.X), 1 / (1 + np.exp(-eta)))
    # columns are matched by name, not position
    np.testing.assert_allclose(
        res.predict(spector.X[["PSI", "GPA", "TUCE"]]), res.predict(spector.X)
    )


def test_memory_stays_below_0_15_of_x():
    X, y, _ = make_logit_data(n=200_000, p=50, seed=4)
    nl.logit(X[:1000], y[:1000])  # warm imports and caches
    tracemalloc.start()
    nl.logit(X, y)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    # measured 0.08-0.11: the 5% warm-start subsample plus block temporaries
    assert peak < 0.15 * X.nbytes, peak / X.nbytes


def test_refit_with_a_fixed_coefficient_matches_offset_fit(spector):
    # Holding GPA at 1.5 is the same as moving 1.5 * GPA into the offset.
    res = nl.logit(spector.X, spector.y)
    fixed = res.refit.fit_with_fixed({1: 1.5})
    off = nl.logit(
        spector.X[["TUCE", "PSI"]], spector.y, offset=1.5 * spector.X["GPA"].to_numpy()
    )
    np.testing.assert_allclose(fixed.beta, off.params.to_numpy(), rtol=1e-7)
    assert fixed.evaluation.value == pytest.approx(off.loglik, rel=1e-10)
    assert res.refit.value(res.coef) == pytest.approx(res.loglik, rel=1e-14)
