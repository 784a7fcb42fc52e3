"""Backends: where the rows live and how their block sums are added up.

A backend is built around the data of one fit (a
:class:`~newtonlogit.data.design.Design`) and offers one operation,
``map_sum(kernel, *args)``: apply a kernel (see :mod:`newtonlogit.kernels`) to
every row block and return the elementwise sum
of the tuples it returns, as float64 NumPy values on the host.

Backends are chosen from the type of ``X`` by the small registry below. Each
entry has a detector that looks the array's library up in ``sys.modules``
(never importing it: if the library is not imported, ``X`` cannot be one of
its arrays) and the dotted path of the backend class, imported only when
that backend is used.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class BackendEntry:
    name: str
    detect: Callable[[Any], bool]
    path: str  # "module:Class", imported lazily
    array_api: bool = False  # data validated and summed through the array API

    def load(self):
        module, _, cls = self.path.partition(":")
        return getattr(importlib.import_module(module), cls)


_REGISTRY: list[BackendEntry] = []


def register(
    name: str, detect: Callable[[Any], bool], path: str, *, array_api: bool = False
) -> None:
    """Register a backend; later registrations are tried first.

    ``array_api=True`` marks arrays that stay in their own library (and on
    their device) from validation to the block sums: :mod:`newtonlogit.array_api`
    checks them there instead of converting them to NumPy.
    """
    _REGISTRY.insert(0, BackendEntry(name, detect, path, array_api))


def _module_has(module: str, attribute: str, X: Any) -> bool:
    mod = sys.modules.get(module)
    return mod is not None and isinstance(X, getattr(mod, attribute))


def is_dask(X: Any) -> bool:
    """Whether ``X`` is a Dask collection (array, DataFrame, Series)."""
    base = sys.modules.get("dask.base")
    return base is not None and base.is_dask_collection(X)


def backend_for(X: Any):
    """The backend class for data ``X`` (raises ``TypeError`` if none fits)."""
    for entry in _REGISTRY:
        if entry.detect(X):
            return entry.load()
    raise TypeError(f"no newtonlogit backend accepts data of type {type(X).__name__}")


def is_device_array(a: Any) -> bool:
    """Whether ``a`` belongs to an array-API backend (CuPy, array_api_strict)."""
    return any(entry.array_api and entry.detect(a) for entry in _REGISTRY)


def registered() -> list[str]:
    return [entry.name for entry in _REGISTRY]


register(
    "numpy",
    lambda X: _module_has("numpy", "ndarray", X),
    "newtonlogit.backends.numpy:NumpyBackend",
)
register(
    "array_api_strict",
    lambda X: _module_has("array_api_strict._array_object", "Array", X),
    "newtonlogit.backends.array_api:ArrayAPIBackend",
    array_api=True,
)
register(
    "cupy",
    lambda X: _module_has("cupy", "ndarray", X),
    "newtonlogit.backends.cupy:CupyBackend",
    array_api=True,
)
register(
    "dask",
    lambda X: _module_has("dask.array", "Array", X),
    "newtonlogit.backends.dask:DaskBackend",
)


def _is_scipy_sparse(X: Any) -> bool:
    mod = sys.modules.get("scipy.sparse")
    return mod is not None and mod.issparse(X)


register("scipy.sparse", _is_scipy_sparse, "newtonlogit.backends.sparse:SparseBackend")
