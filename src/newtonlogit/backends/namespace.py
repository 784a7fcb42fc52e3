"""Array namespaces of non-NumPy inputs, and the way back to the host.

array-api-compat gives every supported library (CuPy, PyTorch, array_api_strict,
NumPy) one standard namespace. scikit-learn vendors a copy of it, used when the
package itself is not installed, so this module needs nothing beyond the core
dependencies. Nothing here imports CuPy: array-api-compat only looks in
``sys.modules``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

try:
    import array_api_compat as compat
except ImportError:  # pragma: no cover - exercised where the package is absent
    from sklearn.externals import array_api_compat as compat


def namespace_of(*arrays: Any):
    """The array-API namespace shared by ``arrays`` (``None`` entries ignored).

    Raises ``ValueError`` when they come from different libraries.
    """
    present = [a for a in arrays if a is not None]
    try:
        return compat.array_namespace(*present)
    except TypeError as exc:
        raise ValueError(f"arrays from different libraries: {exc}") from None


def device_of(a: Any):
    """The device ``a`` lives on (``"cpu"`` for NumPy)."""
    return compat.device(a)


def to_numpy(a: Any) -> np.ndarray:
    """A NumPy copy of ``a`` on the host (one transfer for a device array)."""
    if compat.is_cupy_array(a):
        return a.get()
    if compat.is_torch_array(a):
        return a.detach().cpu().numpy()
    if type(a).__module__.startswith("array_api_strict"):
        # its simulated non-CPU devices refuse NumPy conversion, as a GPU would
        a = a.to_device(type(a.device)("CPU_DEVICE"))
    return np.asarray(a)


def library_name(a: Any) -> str:
    """``"cupy.ndarray"``-style name of the type of ``a``, for messages."""
    cls = type(a)
    return f"{cls.__module__.partition('.')[0]}.{cls.__name__}"
