"""The summary: one layout, rendered as text, HTML, LaTeX and a DataFrame."""

import warnings

import numpy as np
import pytest

import newtonlogit as nl

# The layout of the spector summary; numbers as R reports them (R_SPECTOR_LOGIT).
GOLDEN = """\
                         Logistic regression results
==============================================================================
Observations:                      32    Log-likelihood:               -12.890
Df model:                           3    LL-null:                      -20.592
Df residuals:                      28    LR chi2(3):                    15.404
Converged:                        yes    Prob > chi2:                   0.0015
Iterations:                 {iters:>9}    AIC:                           33.779
Covariance:                 nonrobust    BIC:                           39.642
Pseudo R2 (McF.):               0.374    Deviance:                      25.779
==============================================================================
                  coef    std err          z      P>|z|     [0.025     0.975]
------------------------------------------------------------------------------
Intercept     -13.0213     4.9313     -2.641     0.0083   -22.6866    -3.3561
GPA             2.8261     1.2629      2.238     0.0252     0.3508     5.3014
TUCE            0.0952     0.1416      0.672     0.5014    -0.1823     0.3726
PSI             2.3787     1.0646      2.234     0.0255     0.2922     4.4652
=============================================================================="""


@pytest.fixture(scope="module")
def spector_res(spector):
    return nl.logit(spector.X, spector.y)


def test_golden_text(spector_res):
    expected = GOLDEN.format(iters=spector_res.n_iter)
    assert spector_res.summary().as_text() == expected
    assert str(spector_res) == expected
    assert str(spector_res.summary()) == expected


def test_to_frame_is_the_numbers(spector_res):
    frame = spector_res.summary().to_frame()
    assert list(frame.columns) == ["coef", "std_err", "z", "p_value", "lower", "upper"]
    np.testing.assert_allclose(frame["z"], spector_res.z_values)
    np.testing.assert_allclose(frame["upper"], spector_res.conf_int()["upper"])
    frame.iloc[0, 0] = 99.0  # a copy: the summary is unchanged
    assert spector_res.summary().to_frame().iloc[0, 0] != 99.0


def test_html_and_latex_show_the_same_layout(spector_res):
    html = spector_res._repr_html_()
    assert html == spector_res.summary().as_html()
    assert html.count("<table") == 2
    assert "<th>GPA</th><td>2.8261</td>" in html
    assert "P&gt;|z|" in html
    latex = spector_res.summary().as_latex()
    assert "\\begin{tabular}" in latex
    assert "GPA & 2.8261 & 1.2629 & 2.238 & 0.0252 & 0.3508 & 5.3014 \\\\" in latex
    assert "P$>$$|$z$|$" in latex


def test_level_changes_the_interval_columns(spector_res):
    text = spector_res.summary(level=0.9).as_text()
    assert "[0.05" in text and "0.95]" in text


def test_notes_for_dropped_columns_and_penalty(spector):
    X = spector.X.assign(GPA2=2 * spector.X["GPA"])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", nl.CollinearityWarning)
        res = nl.logit(X, spector.y, drop_collinear=True)
    text = res.summary().as_text()
    assert "Notes:\n[1] Dropped aliased (collinear) column(s): GPA2" in text
    ridge = nl.logit(spector.X, spector.y, penalty="l2", alpha=0.5)
    assert "not valid in the usual" in ridge.summary().as_text()
    assert any("L2 penalty (alpha = 0.5)" in n for n in ridge.notes())


def test_note_for_non_convergence(spector):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", nl.ConvergenceWarning)
        res = nl.logit(spector.X, spector.y, max_iter=1)
    text = res.summary().as_text()
    assert "Converged:" in text and "NO" in text
    assert "did not converge" in text


def test_fit_notes_hook(spector_res):
    from dataclasses import replace

    noted = replace(spector_res, fit_notes=("Quasi-complete separation in x.",))
    assert noted.notes()[-1] == "Quasi-complete separation in x."
    assert "[1] Quasi-complete separation in x." in noted.summary().as_text()
    assert "<li>Quasi-complete separation in x.</li>" in noted.summary().as_html()


def test_estimator_summary(spector):
    est = nl.LogisticRegression().fit(spector.X, spector.y)
    assert est.summary().as_text() == est.results_.summary().as_text()
    with pytest.raises(Exception, match="not fitted"):
        nl.LogisticRegression().summary()
