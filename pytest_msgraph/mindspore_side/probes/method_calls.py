"""Calls of the public methods of ``nn.Cell`` and ``train.Model`` made from the user's code.

``--ms-both-modes=all`` skips a GRAPH_MODE variant as idle only when its eager variant touched
nothing whose behaviour depends on the mode. The other probes hear Cell calls, ``ms.jit`` calls
and grads; this hears the rest of what a test does with a Cell or a Model: ``net.set_inputs(...)``
(measured on 2.10: GRAPH_MODE checks the declared inputs against ``construct`` at once and raises a
TypeError where PYNATIVE_MODE runs), ``net.compile(...)``, ``Model.train``, ``eval``, ``predict``,
and any other public method, in doubt. A plain attribute read is no call. Calls made from inside
MindSpore (a Cell's own ``__init__`` registering its parameters) or from the plugin are not the
user's, so a Cell built and never used stays idle. Patched only while the idle rule watches.
"""
from __future__ import annotations

import functools
import inspect
import os
import sys
from typing import Any, Callable

_PLUGIN_DIR = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))) + os.sep


class MethodCalls:
    """Counts the user's calls of public Cell and Model methods between ``start`` and ``stop``."""

    def __init__(self, ms: Any) -> None:
        self.count = 0
        self._inside = (os.path.dirname(os.path.abspath(ms.__file__)) + os.sep, _PLUGIN_DIR)
        self._classes = (ms.nn.Cell, ms.train.Model)
        self._patched: list[tuple[type, str, Any]] = []

    def start(self) -> None:
        for cls in self._classes:
            for name, method in list(vars(cls).items()):
                if name.startswith("_") or name == "construct" or not inspect.isfunction(method):
                    continue
                self._patched.append((cls, name, method))
                setattr(cls, name, self._counted(method))

    def stop(self) -> None:
        for cls, name, method in self._patched:
            setattr(cls, name, method)
        self._patched = []

    def _counted(self, method: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(method)
        def counted(*args: Any, **kwargs: Any) -> Any:
            if not sys._getframe(1).f_code.co_filename.startswith(self._inside):
                self.count += 1
            return method(*args, **kwargs)
        return counted
