"""Reads of tensor values the checks want, made when a read happens anyway.

PyNative runs ops asynchronously: Python enqueues them and goes on while the backend
computes. Any value read (``asnumpy``, ``float(t)``, even a Parameter's name) waits
for the whole queue to drain, so a check that reads in the middle of a training step
stalls it: the ops Python would have enqueued meanwhile (the optimizer's, the next
step's) wait as well. Measured on 2.10 CPU: a small CNN trained eagerly with
``value_and_grad`` + ``opt(grads)`` spent 1.6 s of 4.7 s in such waits over 200 steps.

So the checks keep what they need without reading it: a reference, a copy made by an
op, a comparison made by an op. They hand a callback to ``later``; the callbacks run, in
order, when a read happens anyway:

* the test reads a value itself (``Tensor.asnumpy``, and ``Tensor._item``, which
  ``float()``, ``int()``, ``bool()`` and ``item()`` use), called from the test's own code
  (directly or through the Tensor's own methods): a read made inside MindSpore or inside
  the plugin never runs them, because a callback may replay a cell and must not run in
  the middle of a compile or an event;
* the test ends (``flush``, before any check reports);
* too much is held: ``MAX_PENDING`` callbacks or ``MAX_BYTES`` of tensors, which bounds
  the memory a long loop without reads keeps alive;
* before any write into a tensor in place from Python (``t[0] = 1``, ``t.add_(1)``,
  every method whose name ends in ``_``): a kept tensor, or a view of one, may be the one
  written, and must be read as it was. (An in-place write made by an op called as a
  function, ``ops.assign`` on a call's output, is not watched: keep kept tensors to what
  nothing writes.)

A callback that raises is its owner's failure (``probe_failed``): it never reaches the
user's read.
"""
from __future__ import annotations

import sys
from types import FrameType
from typing import Any, Callable, Optional

from .locations import is_internal

DEFERRED = "deferred read"  # the event a failing callback is reported under
MAX_PENDING = 256
MAX_BYTES = 16 << 20
READS = ("asnumpy", "_item")  # what every value read of a Tensor or Parameter goes through, in Python
IN_PLACE = ("__setitem__", "assign_value", "__iadd__", "__isub__", "__imul__", "__itruediv__", "__ifloordiv__",
            "__imod__")  # with every public method whose name ends in "_" (add_, copy_, fill_, masked_fill_ ...)


class DeferredReads:
    def __init__(self, tensor_cls: type, ms_dir: str) -> None:
        self._tensor_cls = tensor_cls
        self._ms_dir = ms_dir
        self._tensor_files = _source_files(tensor_cls)
        self._pending: list[tuple[Any, Callable[[], None]]] = []
        self._bytes = 0
        self._flushing = False
        self._installed = False

    def __len__(self) -> int:
        return len(self._pending)

    def later(self, owner: Any, callback: Callable[[], None], nbytes: int = 0) -> None:
        """Run ``callback()`` at the next read; ``nbytes``: device memory it keeps alive until then."""
        self._install()
        self._pending.append((owner, callback))
        self._bytes += nbytes
        if len(self._pending) >= MAX_PENDING or self._bytes >= MAX_BYTES:
            self.flush()

    def flush(self) -> None:
        """Run every pending callback, in the order they came (a callback may queue more)."""
        if self._flushing:
            return
        self._flushing = True
        try:
            while self._pending:
                batch, self._pending, self._bytes = self._pending, [], 0
                for owner, callback in batch:
                    try:
                        callback()
                    except Exception as exc:  # the owner's failure, reported after the test: never the user's read
                        owner.probe_failed(DEFERRED, exc)
        finally:
            self._flushing = False

    def _on_user_read(self) -> None:
        if self._flushing:
            return
        frame: Optional[FrameType] = sys._getframe(2)
        # float(t), bool(t), t.item(), t.tolist(): the Tensor's own methods read for the caller above them.
        while frame is not None and frame.f_code.co_filename in self._tensor_files:
            frame = frame.f_back
        if frame is not None and not is_internal(frame, self._ms_dir):
            self.flush()

    def _install(self) -> None:
        if self._installed:
            return
        self._installed = True
        for name in READS:
            if hasattr(self._tensor_cls, name):  # a release without it: its reads wait for the test's end
                setattr(self._tensor_cls, name, self._watched(getattr(self._tensor_cls, name)))
        for name in in_place_methods(self._tensor_cls):
            setattr(self._tensor_cls, name, self._before_write(getattr(self._tensor_cls, name)))

    def _before_write(self, write: Callable) -> Callable:
        def watched_write(tensor, *args, **kwargs):
            __tracebackhide__ = True
            if self._pending:
                self.flush()  # a kept tensor (or a view of one) may be the one written: read them as they were
            return write(tensor, *args, **kwargs)
        return watched_write

    def _watched(self, read: Callable) -> Callable:
        def watched_read(tensor, *args, **kwargs):
            __tracebackhide__ = True
            # The test's read first: an error PyNative deferred (the test's own) reaches the test as it would
            # without the plugin, and the queue is drained by the time the checks read.
            value = read(tensor, *args, **kwargs)
            if self._pending:
                self._on_user_read()
            return value
        return watched_read


def in_place_methods(cls: type) -> list[str]:
    """The Tensor methods that write into the tensor itself, as this release names them."""
    names = [name for name in dir(cls) if name in IN_PLACE or (name.endswith("_") and not name.startswith("_"))]
    return [name for name in names if callable(getattr(cls, name, None)) and name != "requires_grad_"]


def _source_files(cls: type) -> set:
    """The files of the Python methods a Tensor class has (its C++ base has none)."""
    return {code.co_filename for base in cls.__mro__ for value in vars(base).values()
            if (code := getattr(value, "__code__", None)) is not None}
