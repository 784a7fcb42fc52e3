"""Firth's bias-reduced logistic regression, FLIC, FLAC and LR tests."""

import json
import warnings
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

import newtonlogit as nl
from newtonlogit.families.binary import kernels as _kernels
from newtonlogit.kernels.block import Block

from .conftest import load_iris_pair, make_logit_data
from .reference import values as ref


def _firth(*args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a Firth fit warns about nothing here
        return nl.logit(*args, penalty=kwargs.pop("penalty", "firth"), **kwargs)


def test_spector_matches_logistf(spector):
    # logistf 1.26.1: logistf(GRADE ~ GPA + TUCE + PSI, control =
    # logistf.control(xconv = 1e-10, gconv = 1e-10))
    res = _firth(spector.X, spector.y)
    L = ref.LOGISTF_SPECTOR
    assert res.converged
    np.testing.assert_allclose(res.params.to_numpy(), L["params"], rtol=1e-7)
    # brglm2's standard errors (logistf <= 1.24 reported the same)
    np.testing.assert_allclose(
        res.std_errors.to_numpy(), L["bse_classic_inv_fisher"], rtol=1e-6
    )
    assert res.penalized_loglik == pytest.approx(L["penalized_loglik"], rel=1e-9)
    assert res.loglik == pytest.approx(L["unpenalized_loglik_at_firth"], rel=1e-9)
    # penalized likelihood-ratio tests of each coefficient = 0
    np.testing.assert_allclose(res.lr_p_values().to_numpy(), L["pl_pvalues"], rtol=1e-6)
    # logistf's model LR test: the null refit keeps the full model's penalty
    assert res.penalized_loglik_null == pytest.approx(
        L["penalized_loglik_null"], rel=1e-9
    )
    stat = 2 * (res.penalized_loglik - res.penalized_loglik_null)
    assert stat == pytest.approx(L["lr_stat"], rel=1e-8)
    note = res.summary().as_text()
    assert f"penalized LR test {L['lr_stat']:.4f} on 3 df" in " ".join(note.split())


def test_spector_profile_penalized_intervals_match_logistf(spector):
    # logistf 1.26.1 profile penalized-likelihood limits (logistpl.control(xconv =
    # 1e-10)); conf_int(method="profile") profiles whatever objective was fitted
    res = _firth(spector.X, spector.y)
    L = ref.LOGISTF_SPECTOR
    ci = res.conf_int(method="profile")
    np.testing.assert_allclose(ci.iloc[:, 0].to_numpy(), L["pl_ci_lower"], rtol=1e-6)
    np.testing.assert_allclose(ci.iloc[:, 1].to_numpy(), L["pl_ci_upper"], rtol=1e-6)


def test_profile_intervals_are_finite_on_separated_data():
    data = load_iris_pair(0, 1)
    res = _firth(data.X[["Sepal.Length", "Sepal.Width"]], data.y)
    ci = res.conf_int(method="profile")
    assert np.all(np.isfinite(ci.to_numpy()))
    assert np.all(ci.iloc[:, 0] < res.params) and np.all(res.params < ci.iloc[:, 1])


def test_iris_sepal_matches_brglm2():
    # brglm2 0.9: glm(Species ~ Sepal.Length + Sepal.Width, family = binomial,
    # method = "brglmFit", type = "AS_mean") on setosa vs versicolor: separated
    # data, finite Firth estimates.
    data = load_iris_pair(0, 1)
    res = _firth(data.X[["Sepal.Length", "Sepal.Width"]], data.y)
    B = ref.BRGLM2_IRIS_SETOSA_VERSICOLOR_SEPAL_AS_MEAN
    assert res.converged and res.separation is None
    np.testing.assert_allclose(res.params.to_numpy(), B["params"], rtol=1e-7)
    np.testing.assert_allclose(res.std_errors.to_numpy(), B["bse"], rtol=1e-6)
    assert -2 * res.loglik == pytest.approx(B["deviance"], rel=1e-7)


def test_firth_is_finite_on_completely_separated_data():
    data = load_iris_pair(0, 1)
    res = _firth(data.X, data.y)
    assert res.converged and np.all(np.isfinite(res.coef))
    assert np.all(np.isfinite(res.std_errors)) and np.all(res.std_errors < 1e3)
    assert np.mean((res.predict(data.X) > 0.5) == data.y) == 1.0


def test_hat_values_and_penalty_gradient_match_dense_formulas():
    X, y, _ = make_logit_data(n=40, p=3, seed=2)
    rng = np.random.default_rng(0)
    w, off = rng.uniform(0.5, 2, 40), rng.normal(size=40)
    block = Block(X, y, None, w, off)
    beta = np.array([0.2, -0.4, 0.1, 0.3])
    info = _kernels.newton_sums(np, block, beta, True)[2]
    inverse = np.linalg.inv(info)
    _, h = _kernels.hat_values(np, block, beta, True, inverse)
    # dense: diag(V^1/2 X (X'VX)^-1 X' V^1/2), fine for 40 rows
    Xt = np.column_stack([np.ones(40), X])
    p = 1 / (1 + np.exp(-(Xt @ beta + off)))
    v = w * p * (1 - p)
    H = np.sqrt(v)[:, None] * Xt @ inverse @ Xt.T * np.sqrt(v)[None, :]
    np.testing.assert_allclose(h, np.diag(H), rtol=1e-12)
    assert h.sum() == pytest.approx(4.0, rel=1e-12)

    def half_logdet(b):
        return 0.5 * np.linalg.slogdet(_kernels.newton_sums(np, block, b, True)[2])[1]

    step = 1e-6
    numeric = [
        (half_logdet(beta + step * e) - half_logdet(beta - step * e)) / (2 * step)
        for e in np.eye(4)
    ]
    root = np.linalg.inv(np.linalg.cholesky(info))
    adjustment, *_ = _kernels.firth_sums(np, block, beta, True, root)
    np.testing.assert_allclose(adjustment, numeric, rtol=1e-6, atol=1e-9)


def test_firth_objective_curvature_is_the_exact_hessian():
    # The solver's matrix is minus the Jacobian of the modified score.
    X, y, _ = make_logit_data(n=40, p=2, seed=4)
    res = _firth(X, y, weights=np.arange(40) % 3 + 0.5)
    objective = res.refit.objective
    beta = res.coef + np.array([0.3, -0.2, 0.1])
    info = objective(beta, True).info
    step = 1e-6
    jacobian = np.array(
        [
            (objective(beta + step * e).score - objective(beta - step * e).score)
            / (2 * step)
            for e in np.eye(3)
        ]
    )
    np.testing.assert_allclose(info, -jacobian, rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize(
    "extra", [{}, {"weights": True}, {"offset": True}, {"counts": True}]
)
def test_penalized_likelihood_is_maximized(extra):
    # The modified score is zero at the estimate: checked against finite
    # differences of the penalized log-likelihood itself.
    X, y, _ = make_logit_data(n=60, p=2, seed=7)
    rng = np.random.default_rng(1)
    kwargs = {}
    if extra.get("weights"):
        kwargs["weights"] = rng.integers(0, 4, 60)
    if extra.get("offset"):
        kwargs["offset"] = rng.normal(size=60)
    if extra.get("counts"):
        trials = rng.integers(1, 6, 60)
        successes = rng.binomial(trials, 0.4)
        y = np.column_stack([successes, trials - successes])
    res = _firth(X, y, **kwargs)
    assert res.converged

    def value(b):
        return res.refit.value(b)

    step = 1e-5
    grad = [
        (value(res.coef + step * e) - value(res.coef - step * e)) / (2 * step)
        for e in np.eye(3)
    ]
    np.testing.assert_allclose(grad, 0.0, atol=1e-7)
    assert value(res.coef) == pytest.approx(res.penalized_loglik, rel=1e-14)


def test_weights_equal_repeated_rows_and_grouped_counts():
    X, y, _ = make_logit_data(n=50, p=2, seed=3)
    w = np.arange(50) % 4
    weighted = _firth(X, y, weights=w)
    repeated = _firth(np.repeat(X, w, axis=0), np.repeat(y, w))
    np.testing.assert_allclose(weighted.coef, repeated.coef, rtol=1e-9)
    np.testing.assert_allclose(weighted.std_errors, repeated.std_errors, rtol=1e-9)
    # the same data as (successes, failures) per distinct row
    counts = np.column_stack([w * y, w * (1 - y)])
    keep = w > 0
    grouped = _firth(X[keep], counts[keep])
    np.testing.assert_allclose(grouped.coef, repeated.coef, rtol=1e-9)


def test_aliased_columns_are_dropped_from_the_penalty():
    data = load_iris_pair(0, 1)
    X = data.X[["Sepal.Length", "Sepal.Width"]]
    wide = X.assign(copy=X["Sepal.Length"])
    with pytest.warns(nl.CollinearityWarning):
        res = nl.logit(wide, data.y, penalty="firth", drop_collinear=True)
    np.testing.assert_allclose(
        res.coef, ref.BRGLM2_IRIS_SETOSA_VERSICOLOR_SEPAL_AS_MEAN["params"], rtol=1e-7
    )
    with pytest.raises(nl.CollinearityError, match="copy"):
        nl.logit(wide, data.y, penalty="firth")


def test_flic_and_flac_notes_and_no_refits(spector):
    for penalty in ("flic", "flac"):
        res = _firth(spector.X, spector.y, penalty=penalty)
        text = " ".join(res.summary().as_text().split())
        assert "Puhr et al. 2017" in text and "fit penalty='firth'" in text
        with pytest.raises(ValueError, match="training data"):
            res.conf_int(method="profile")


def test_flic_refits_the_intercept(spector):
    firth = _firth(spector.X, spector.y)
    flic = _firth(spector.X, spector.y, penalty="flic")
    np.testing.assert_array_equal(flic.coef[1:], firth.coef[1:])
    # the intercept is the ML one given the slopes: mean prediction = event rate
    assert flic.predict(spector.X).mean() == pytest.approx(spector.y.mean(), 1e-12)
    assert firth.predict(spector.X).mean() != pytest.approx(spector.y.mean(), 1e-3)
    offset = spector.X.to_numpy() @ firth.coef[1:]
    with pytest.warns(nl.CollinearityWarning):  # intercept only: drop the zeros
        alone = nl.logit(
            np.zeros((32, 1)), spector.y, offset=offset, drop_collinear=True
        )
    assert flic.coef[0] == pytest.approx(alone.coef[0], rel=1e-9)
    with pytest.raises(ValueError, match="fit_intercept"):
        nl.logit(spector.X, spector.y, penalty="flic", fit_intercept=False)


def test_flac_equals_ml_on_explicitly_augmented_data(spector):
    # Puhr et al. (2017): ML on the data plus, for every row, an event and a
    # non-event of weight h_i / 2 flagged by an indicator; here materialized.
    firth = _firth(spector.X, spector.y)
    Xt = np.column_stack([np.ones(32), spector.X.to_numpy()])
    p = firth.predict(spector.X)
    v = p * (1 - p)
    H = np.sqrt(v)[:, None] * Xt @ firth.cov.to_numpy() @ Xt.T * np.sqrt(v)[None, :]
    h = np.diag(H)
    X_aug = pd.concat([spector.X] * 3, ignore_index=True)
    X_aug["pseudo"] = np.repeat([0.0, 1.0, 1.0], 32)
    y_aug = np.concatenate([spector.y, np.ones(32), np.zeros(32)])
    w_aug = np.concatenate([np.ones(32), h / 2, h / 2])
    explicit = nl.logit(X_aug, y_aug, weights=w_aug)
    flac = _firth(spector.X, spector.y, penalty="flac")
    assert flac.converged
    np.testing.assert_allclose(flac.coef, explicit.coef[:-1], rtol=1e-8)
    np.testing.assert_allclose(
        flac.cov.to_numpy(), explicit.cov.to_numpy()[:-1, :-1], rtol=1e-6
    )
    assert flac.predict(spector.X).mean() == pytest.approx(spector.y.mean(), 1e-8)


def test_ml_lr_p_values_are_ordinary_likelihood_ratio_tests(spector):
    full = nl.logit(spector.X, spector.y)
    expected = []
    for name in full.coef_names:
        if name == "Intercept":
            reduced = nl.logit(spector.X, spector.y, fit_intercept=False)
        else:
            reduced = nl.logit(spector.X.drop(columns=name), spector.y)
        expected.append(2 * (full.loglik - reduced.loglik))
    from scipy.stats import chi2

    np.testing.assert_allclose(full.lr_p_values(), chi2.sf(expected, 1), rtol=1e-7)


def test_estimator_with_firth_on_separated_data():
    data = load_iris_pair(0, 1)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        est = nl.LogisticRegression(penalty="firth").fit(data.X, data.y)
    np.testing.assert_allclose(
        est.coef_[0], _firth(data.X, data.y).coef[1:], rtol=1e-12
    )
    assert est.score(data.X, data.y) == 1.0


def test_bad_input():
    X, y, _ = make_logit_data(n=30, p=2)
    with pytest.raises(ValueError, match="penalty must be one of"):
        nl.logit(X, y, penalty="Firth")
    with pytest.raises(nl.DataError, match="non-finite"):
        nl.logit(np.where(np.eye(30, 2) > 0, np.nan, X), y, penalty="firth")
    res = _firth(X, y)
    with pytest.raises(ValueError, match="training data"):
        replace(res, refit=None).lr_p_values()


@pytest.mark.parametrize("penalty", ["firth", "flic", "flac"])
def test_array_api_data_give_the_numpy_fit(spector, penalty):
    xps = pytest.importorskip("array_api_strict")
    X, y = spector.X.to_numpy(), spector.y
    res = _firth(xps.asarray(X), xps.asarray(y), penalty=penalty)
    expected = _firth(X, y, penalty=penalty)
    np.testing.assert_allclose(res.coef, expected.coef, rtol=1e-12)
    np.testing.assert_allclose(res.std_errors, expected.std_errors, rtol=1e-12)


def test_command_line_fit_with_firth_on_separated_data(tmp_path):
    from .test_cli import run

    data = load_iris_pair(0, 1)
    frame = data.X[["Sepal.Length", "Sepal.Width"]].set_axis(["sl", "sw"], axis=1)
    path = tmp_path / "iris.csv"
    frame.assign(y=data.y).to_csv(path, index=False)
    plain = run("fit", str(path), "--formula", "y ~ sl + sw")
    assert plain.returncode == 0 and "Converged: NO" in " ".join(plain.stdout.split())
    assert "complete separation" in plain.stderr and "Traceback" not in plain.stderr
    firth = run(
        "fit", str(path), "--formula", "y ~ sl + sw", "--firth", "--format", "json"
    )
    assert firth.returncode == 0 and not firth.stderr
    table = json.loads(firth.stdout)["coefficients"]
    B = ref.BRGLM2_IRIS_SETOSA_VERSICOLOR_SEPAL_AS_MEAN
    got = [table[name]["coef"] for name in ("Intercept", "sl", "sw")]
    np.testing.assert_allclose(got, B["params"], rtol=1e-7)
