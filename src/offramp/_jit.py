"""Optional numba compilation of a module's plain-Python kernels, on first use.

offramp's compiled inner loops (the expected-utility rounds, SMP's third
parties and coalitions, 3-column dominance, the sweep's one-block kernel)
are written as plain Python over numpy arrays. A module names them in a
:class:`Kernels`; the first call of :meth:`Kernels.compile` imports numba and
replaces each by its compiled form in the module's namespace (loading it from
numba's on-disk cache when it can), so importing offramp stays fast. Without
numba :data:`AVAILABLE` is False and each engine runs its numpy path alone.
"""

from __future__ import annotations

import importlib.util
import threading
from collections.abc import MutableMapping
from typing import Any

__all__ = ["AVAILABLE", "Kernels"]

AVAILABLE = importlib.util.find_spec("numba") is not None
"""Whether numba can be imported (else the numpy engines run alone)."""


class Kernels:
    """A module's kernels, compiled once (thread-safe) when first needed.

    Parameters
    ----------
    namespace : mapping
        The module's ``globals()``: where the kernels are looked up by name
        and their compiled forms put, so the module's own calls (and the
        kernels' calls of each other) reach the compiled ones.
    names : tuple of str
        The kernels, callees first (numba resolves them when compiling callers).
    **options
        Extra ``numba.njit`` options (always ``cache=True, nogil=True``).
    """

    def __init__(
        self, namespace: MutableMapping[str, Any], names: tuple[str, ...], **options: Any
    ) -> None:
        self._namespace = namespace
        self._names = names
        self._options = {"cache": True, "nogil": True, **options}
        self._compiled = False
        self._lock = threading.Lock()

    def compile(self) -> None:
        """Replace the plain-Python kernels by numba-compiled ones, once."""
        with self._lock:
            if self._compiled:
                return
            import numba

            for name in self._names:
                self._namespace[name] = numba.njit(**self._options)(self._namespace[name])
            self._compiled = True
