"""Holding BLAS to one thread while newtonlogit computes.

newtonlogit brings its own parallelism (threads over row blocks). OpenBLAS's
threads on top of that oversubscribe the cores, and on a busy machine its
spinning threads made a 500 x 500 Cholesky take 0.4 s instead of a few
milliseconds and a ``syrk`` pass 40 times longer. A fit therefore runs with
BLAS at one thread and restores the caller's setting afterwards.
"""

from __future__ import annotations

import contextlib
import functools
import threading

_controller = None
_depth = 0  # how many one_blas_thread contexts are open (BLAS threads are global)
_lock = threading.Lock()


@contextlib.contextmanager
def one_blas_thread():
    """A context manager holding BLAS to one thread (threadpoolctl).

    Nested uses cost nothing: only the outermost one sets and restores.
    """
    global _controller, _depth
    with _lock:
        if _controller is None:  # inspecting the loaded libraries is slow: once
            from threadpoolctl import ThreadpoolController

            _controller = ThreadpoolController()
        outer = _depth == 0
        _depth += 1
    try:
        if outer:
            with _controller.limit(limits=1, user_api="blas"):
                yield
        else:
            yield
    finally:
        with _lock:
            _depth -= 1


def with_one_blas_thread(func):
    """Decorator: run ``func`` under :func:`one_blas_thread`."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        with one_blas_thread():
            return func(*args, **kwargs)

    return wrapper
