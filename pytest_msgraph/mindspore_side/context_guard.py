"""Snapshot MindSpore's global context and put it back after each test.

The snapshot reads the context's parameters directly (about 0.2 ms): the public
``get_context`` logs a warning for every backend-specific key it is asked about.
"""
from __future__ import annotations

import contextlib
import copy
from typing import Any, Iterator, Optional

from . import internals

# Keys that cannot change once the runtime is initialised; a test never gets them restored.
_FIXED = frozenset({"device_target", "device_id"})
# Python-side attributes of the context object that set_context also writes.
_PY_ATTRS = ("jit_config", "ascend_config", "gpu_config", "aoe_config")


@contextlib.contextmanager
def eagerly(ms: Any) -> Iterator[None]:
    """Run the block in PYNATIVE_MODE, then put back the mode that was current, whatever the block set.

    The one way the plugin runs something eagerly in the middle of a test: torch_parity's forward
    hooks (they run only eagerly), mode_parity's localising and its repeatability re-runs. The mode
    is read without ``get_context`` (about 0.1 ms a call) and set only when it changes.
    """
    context = internals.resolve("context")
    before = context._get_mode()
    if before != ms.PYNATIVE_MODE:
        ms.set_context(mode=ms.PYNATIVE_MODE)
    try:
        yield
    finally:
        if context._get_mode() != before:
            ms.set_context(mode=before)


class ContextGuard:
    def __init__(self, ms: Any) -> None:
        ms_context = internals.resolve("context")
        self._ms = ms
        self._ctx = ms_context._context()
        params = ms_context.ms_ctx_param.__members__
        self._params = {name: p for name, p in params.items() if not name.startswith("_") and name not in _FIXED}
        self.baseline = self.snapshot()

    def snapshot(self) -> dict[str, Any]:
        state = {name: self._ctx.get_param(p) for name, p in self._params.items()}
        for attr in _PY_ATTRS:
            state[attr] = copy.deepcopy(getattr(self._ctx, attr, None))
        return state

    def mode(self) -> int:
        return self._ctx.get_mode()

    def set_mode(self, mode: int) -> None:
        if self._ctx.get_mode() != mode:
            self._ms.set_context(mode=int(mode))

    @contextlib.contextmanager
    def synchronous(self) -> Iterator[None]:
        """PYNATIVE_MODE ops run synchronously inside the block, so that an op's error is raised at its call.

        Measured on MindSpore 2.10 CPU: run asynchronously, a float64 forward that fails on float32
        parameters raises at the next ``asnumpy()``, and again at later, unrelated calls (a float32
        forward after it failed 4 times in 20, its second and third calls 3 times each); with
        ``pynative_synchronize`` on, 0 in 60. Set on the context object: ``set_context`` logs a
        deprecation warning each time.
        """
        key = self._params["pynative_synchronize"]
        before = self._ctx.get_param(key)
        self._ctx.set_param(key, True)
        try:
            yield
        finally:
            self._ctx.set_param(key, before)

    def restore(self, target: dict[str, Any], current: Optional[dict[str, Any]] = None) -> list[str]:
        """Put back every key that differs from ``target``; return those keys.

        ``current`` is a snapshot the caller just took, to save taking another.
        """
        now = current if current is not None else self.snapshot()
        changed = sorted(k for k in target if now.get(k) != target[k])
        for key in changed:
            if key == "mode":
                self._ms.set_context(mode=target["mode"])
            elif key in _PY_ATTRS:
                setattr(self._ctx, key, copy.deepcopy(target[key]))
            else:
                self._ctx.set_param(self._params[key], target[key])
        return changed
