"""Bad input: a ValueError that names the problem."""

import numpy as np
import pandas as pd
import pytest

import newtonlogit as nl

from .conftest import make_logit_data

X, Y, _ = make_logit_data(n=40, p=3)


def _with(a, row, col, value):
    a = a.copy()
    a[row, col] = value
    return a


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(X=_with(X, 7, 1, np.nan)), r"column 'x2' .*nan.* row 7"),
        (dict(X=_with(X, 3, 0, np.inf)), r"column 'x1' .*inf.* row 3"),
        (dict(y=np.where(np.arange(40) == 5, np.nan, Y)), r"y .*row 5"),
        (dict(y=np.arange(40) % 3), r"exactly two classes .*; found 3"),
        (dict(y=np.ones(40)), r"exactly two classes .*; found 1"),
        (dict(y=Y[:30]), r"y has 30 rows but X has 40"),
        (dict(X=X[:0], y=Y[:0]), r"no rows"),
        (dict(X=X[:, 0]), r"must be 2-D"),
        (dict(weights=-np.ones(40)), r"non-negative; row 0"),
        (dict(weights=np.where(np.arange(40) == 9, np.inf, 1.0)), r"weights .*row 9"),
        (dict(weights=np.ones(39)), r"weights has 39 rows"),
        (dict(offset=np.ones(41)), r"offset has 41 rows"),
        (
            dict(y=np.column_stack([np.full(40, -1.0), np.ones(40)])),
            r"successes must be non-negative integers; row 0",
        ),
        (
            dict(y=np.column_stack([np.ones(40), np.full(40, 1.5)])),
            r"failures must be non-negative integers; row 0 has 1.5",
        ),
        (
            dict(X=pd.DataFrame({"a": X[:, 0], "g": ["u", "v"] * 20})),
            r"non-numeric column\(s\) \['g'\]",
        ),
        (dict(X=np.array([["a", "b"]] * 40)), r"must be numeric"),
    ],
)
def test_bad_input_is_named(kwargs, message):
    args = dict(X=X, y=Y) | kwargs
    X_, y_ = args.pop("X"), args.pop("y")
    with pytest.raises(ValueError, match=message):
        nl.logit(X_, y_, **args)


def test_labels_and_bool_targets():
    labels = np.where(Y == 1, "yes", "no")
    a = nl.logit(X, labels)
    b = nl.logit(X, Y.astype(bool))
    c = nl.logit(X, Y)
    np.testing.assert_allclose(a.params, c.params)
    np.testing.assert_allclose(b.params, c.params)
    assert a.classes == ("no", "yes")


@pytest.mark.parametrize(
    "bad", [dict(penalty="l3"), dict(alpha=-1.0), dict(tol=0.0), dict(start=[1.0])]
)
def test_bad_options(bad):
    with pytest.raises(ValueError):
        nl.logit(X, Y, **bad)
