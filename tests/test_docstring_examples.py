"""The examples in the public docstrings run, and every public name has one.

The public names are ``newtonlogit.__all__`` and the figures of ``nl.plot``;
the API reference of the site shows these docstrings, so an example that
stops working fails here before it misleads a reader.
"""

from __future__ import annotations

import doctest
import warnings

import matplotlib
import pytest

import newtonlogit as nl

matplotlib.use("Agg")  # the plot examples make pyplot figures too

PLOTS = ["s_curve", "convergence", "roc", "calibration", "forest", "overview"]


def public_objects() -> dict[str, object]:
    names = [name for name in nl.__all__ if name != "__version__"]
    objects = {name: getattr(nl, name) for name in names}
    objects.update({f"plot.{name}": getattr(nl.plot, name) for name in PLOTS})
    return objects


OBJECTS = public_objects()


def test_every_public_name_is_covered():
    # a name added to __all__ (or a figure to nl.plot) needs an entry here and
    # an example in its docstring
    assert set(OBJECTS) >= {"logit", "mnlogit", "LogisticRegression", "load"}
    assert len(OBJECTS) == len(nl.__all__) - 1 + len(PLOTS)


@pytest.mark.parametrize("name", sorted(OBJECTS))
def test_docstring_examples_run(name, tmp_path, monkeypatch):
    obj = OBJECTS[name]
    docstring = obj.__doc__ or ""
    assert "Examples\n" in docstring and ">>>" in docstring, (
        f"{name}: the docstring has no Examples section"
    )
    monkeypatch.chdir(tmp_path)
    parser = doctest.DocTestParser()
    test = parser.get_doctest(docstring, {}, f"newtonlogit.{name}", None, 0)
    runner = doctest.DocTestRunner(
        optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE
    )
    report: list[str] = []
    with warnings.catch_warnings():
        # examples that show a warning record it themselves; others must not
        # be failed by one (pytest turns RuntimeWarning into errors)
        warnings.simplefilter("default")
        runner.run(test, out=report.append)
    import matplotlib.pyplot as plt

    plt.close("all")
    failed, attempted = runner.summarize(verbose=False)
    assert attempted > 0
    assert failed == 0, "".join(report)
