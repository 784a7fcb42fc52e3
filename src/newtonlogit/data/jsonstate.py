"""formulaic's encoding state as JSON values, and back, exactly.

A formula's state (categorical levels, the means and norms of stateful
transforms) holds NumPy scalars and arrays, dicts keyed by integers and
sometimes non-finite floats; JSON has none of these. They are tagged here so
that a model file stores the state without pickle and loads it bit for bit.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from ..exceptions import DataError


def encode_state(value: Any) -> Any:
    """formulaic's state as JSON values; :func:`decode_state` inverts it.

    Dicts with non-string keys, arrays and non-finite floats are tagged so the
    round trip is exact; anything else that is not plain data is refused.
    """
    if isinstance(value, np.ndarray):
        return {"__ndarray__": [encode_state(v) for v in value.tolist()]}
    if isinstance(value, np.generic):
        value = value.item()
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        return value if np.isfinite(value) else {"__float__": repr(value)}
    if isinstance(value, (list, tuple)):
        return [encode_state(v) for v in value]
    if isinstance(value, Mapping):
        if all(isinstance(k, str) and not k.startswith("__") for k in value):
            return {k: encode_state(v) for k, v in value.items()}
        return {
            "__items__": [[encode_state(k), encode_state(v)] for k, v in value.items()]
        }
    raise DataError(
        f"the formula's encoding holds a {type(value).__name__}, which a model "
        "file cannot store"
    )


def decode_state(value: Any) -> Any:
    if isinstance(value, list):
        return [decode_state(v) for v in value]
    if not isinstance(value, dict):
        return value
    if set(value) == {"__ndarray__"}:
        return np.array(decode_state(value["__ndarray__"]))
    if set(value) == {"__float__"}:
        if value["__float__"] not in ("nan", "inf", "-inf"):
            raise DataError(f"invalid float in formula state: {value['__float__']!r}")
        return float(value["__float__"])
    if set(value) == {"__items__"}:
        return {
            _hashable(decode_state(k)): decode_state(v) for k, v in value["__items__"]
        }
    return {k: decode_state(v) for k, v in value.items()}


def check_encoder_state(encoder_state: dict) -> None:
    """Raise ``TypeError`` unless every factor's state is what a model matrix
    reads of it: ``[kind, dict]``, its categories (if any) a list of values
    that can be looked up."""
    for name, (_, state) in encoder_state.items():
        if not isinstance(state, dict) or not isinstance(
            state.get("categories", []), list
        ):
            raise TypeError(f"the encoder state of {name!r} is malformed")
        set(decode_state(state.get("categories", [])))


def _hashable(key):
    return tuple(key) if isinstance(key, list) else key


__all__ = ["check_encoder_state", "decode_state", "encode_state"]
