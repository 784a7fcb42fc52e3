"""Figures: each rendered to PNG, opened, and checked for size and content."""

import numpy as np
import pandas as pd
import pytest

import newtonlogit as nl

from .test_cli import run

pytest.importorskip("matplotlib")
from matplotlib.image import imread  # noqa: E402


@pytest.fixture(scope="module")
def fitted():
    rng = np.random.default_rng(7)
    n = 400
    df = pd.DataFrame(
        {
            "dose": rng.uniform(0, 10, n),
            "age": rng.normal(50, 10, n),
            "site": rng.choice(["north", "south", "east"], n),
            "rank": rng.integers(1, 4, n),
        }
    )
    eta = -3 + 0.6 * df.dose - 0.02 * (df.age - 50) + 0.5 * (df.site == "south")
    df["died"] = (rng.random(n) < 1 / (1 + np.exp(-eta))).astype(int)
    res = nl.logit("died ~ dose + age + C(site) + C(rank)", data=df)
    return res, df


def _check_png(path, width, height):
    image = imread(path)
    assert image.shape[:2] == (height, width)
    gray = image[..., :3].mean(axis=2)
    assert (gray < 0.9).mean() > 0.01  # something is drawn, not a blank canvas
    assert gray.std() > 0.05


@pytest.mark.parametrize(
    "name, call",
    [
        ("s_curve", lambda r, d, **k: nl.plot.s_curve(r, d, "dose", **k)),
        ("convergence", lambda r, d, **k: nl.plot.convergence(r, **k)),
        ("roc", lambda r, d, **k: nl.plot.roc(r, d, **k)),
        ("calibration", lambda r, d, **k: nl.plot.calibration(r, d, **k)),
        ("forest", lambda r, d, **k: nl.plot.forest(r, **k)),
        ("overview", lambda r, d, **k: nl.plot.overview(r, d, **k)),
    ],
)
def test_each_figure_renders_to_png_of_the_requested_size(fitted, tmp_path, name, call):
    from matplotlib.figure import Figure

    res, df = fitted
    fig = call(res, df, figsize=(5, 3.5), dpi=80)
    assert isinstance(fig, Figure)
    path = tmp_path / f"{name}.png"
    fig.savefig(path)
    _check_png(path, 400, 280)


def test_roc_auc_equals_the_mann_whitney_probability(fitted):
    res, df = fitted
    p = res.predict(df)
    events = df.died.to_numpy().astype(float)
    _, _, auc = nl.plot.roc_curve(p, events, np.ones_like(p))
    pos, neg = p[events == 1], p[events == 0]
    greater = (pos[:, None] > neg[None, :]).mean()
    ties = (pos[:, None] == neg[None, :]).mean()
    assert auc == pytest.approx(greater + ties / 2, rel=1e-12)
    # grouped counts weigh each row by its trials: same AUC as the expanded rows
    _, _, grouped = nl.plot.roc_curve([0.2, 0.8], [1, 3], [4, 4])
    expanded = nl.plot.roc_curve(
        [0.2] * 4 + [0.8] * 4, [1, 0, 0, 0, 1, 1, 1, 0], [1] * 8
    )
    assert grouped == pytest.approx(expanded[2], rel=1e-12)


def test_s_curve_holds_categories_at_a_level(fitted):
    res, df = fitted  # C(rank): its mean 2.0x is not a level; the mode is used
    fig = nl.plot.s_curve(res, df, "age")
    line = fig.axes[0].lines[0]
    assert np.all((line.get_ydata() > 0) & (line.get_ydata() < 1))


def test_plot_errors_are_named(fitted):
    res, df = fitted
    with pytest.raises(ValueError, match="no column 'nope'"):
        nl.plot.s_curve(res, df, "nope")
    with pytest.raises(ValueError, match="pass y="):
        nl.plot.roc(nl.logit(df[["dose"]], df.died), df)


def test_cli_writes_the_plot(tmp_path):
    rng = np.random.default_rng(8)
    x = rng.normal(size=300)
    y = (rng.random(300) < 1 / (1 + np.exp(-2 * x))).astype(int)
    data = tmp_path / "d.csv"
    pd.DataFrame({"x": x, "y": y}).to_csv(data, index=False)
    target = tmp_path / "fit.png"
    out = run(
        "fit",
        str(data),
        "--target",
        "y",
        "--plot",
        str(target),
        "--plot-kind",
        "scurve",
    )
    assert out.returncode == 0, out.stderr
    _check_png(target, 640, 480)


@pytest.mark.parametrize(
    "name, call",
    [
        ("index_cooks", lambda r, d, **k: nl.plot.index_plot(r.influence(data=d), **k)),
        (
            "index_hat",
            lambda r, d, **k: nl.plot.index_plot(r.influence(data=d), "hat", **k),
        ),
        ("delta_chi2", lambda r, d, **k: nl.plot.delta_chi2(r.influence(data=d), **k)),
        (
            "delta_chi2_patterns",
            lambda r, d, **k: nl.plot.delta_chi2(
                r.influence(data=d, patterns=True), **k
            ),
        ),
        (
            "residuals",
            lambda r, d, **k: nl.plot.residuals_fitted(r.influence(data=d), **k),
        ),
        (
            "hosmer_lemeshow",
            lambda r, d, **k: nl.plot.hosmer_lemeshow(r.gof(data=d), **k),
        ),
        ("roc_band", lambda r, d, **k: nl.plot.roc_band(r.roc(data=d), **k)),
    ],
)
def test_checking_figures_render_to_png(fitted, tmp_path, name, call):
    res, df = fitted
    fig = call(res, df, figsize=(5, 3.5), dpi=80)
    path = tmp_path / f"{name}.png"
    fig.savefig(path)
    _check_png(path, 400, 280)


def test_checking_figures_draw_the_numbers(fitted):
    res, df = fitted
    infl = res.influence(data=df)
    fig = nl.plot.index_plot(infl, "cooks_distance")
    np.testing.assert_allclose(fig.axes[0].lines[0].get_ydata(), infl.cooks_distance)
    gof = res.gof(data=df)
    fig = nl.plot.hosmer_lemeshow(gof)
    points = fig.axes[0].lines[1]
    np.testing.assert_allclose(
        points.get_xdata(), gof.hosmer_lemeshow_table.expected_events
    )
    assert "Hosmer-Lemeshow" in fig.axes[0].get_title()
    roc = res.roc(data=df)
    fig = nl.plot.roc_band(roc)
    assert f"{roc.auc:.3f}" in fig.axes[0].get_legend().get_texts()[1].get_text()
    with pytest.raises(ValueError, match="no column 'nope'"):
        nl.plot.index_plot(infl, "nope")
