"""Reads of tensor values the checks want, made when a read happens anyway.

PyNative runs ops asynchronously: Python enqueues them and goes on while the backend
computes. A value read (``asnumpy``, ``float(t)``, a Parameter's name) waits for the
whole queue to drain, and even an attribute read (``dtype``, ``shape``) waits for the
tensor's own op to be dispatched (``core/tensors``). A check that reads the outputs of a
call the moment it returns holds Python back while the backend catches up, where the
ops of the rest of the step would have been enqueued meanwhile.

So the checks keep the tensors they need, by reference (no op: on 2.10 CPU one more op
per step costs more than a read, docs/performance.md), and hand ``later`` a callback
that reads and encodes them. The callbacks run in the order they came, when a read
happens anyway:

* the test reads a value itself (``Tensor.asnumpy``, and ``Tensor._item``, which
  ``float()``, ``int()``, ``bool()`` and ``item()`` use), from the test's own code
  (directly or through the Tensor's own methods). A read made inside MindSpore or inside
  the plugin does not run them: it may come in the middle of MindSpore's own work (a
  compile, a grad's forward being recorded), where a callback's own op (a bfloat16 value
  is cast to float32 to be read) would be recorded into it. A callback that wants the
  tensor the test's ``asnumpy`` just read takes the array that read returned
  (``array_of``), before the test's code goes on: one read, not two;
* a check reads at once anyway (``flush``: mode_parity before a step's parameters);
* the test ends (``flush``, before any check reports);
* too much is held: ``MAX_PENDING`` callbacks or ``MAX_BYTES`` of tensors, which bounds
  the memory a long loop without reads keeps alive. A callback's bytes are counted when
  the next one comes: by then its tensors' ops have been dispatched, and asking their
  size no longer waits on the newest op;
* before any write into a tensor in place from Python (``t[0] = 1``, ``t.add_(1)``,
  every method whose name ends in ``_``), from anywhere, MindSpore's code too: a kept
  tensor, or a view of one, may be the one written, and must be read as it was. (An
  in-place write made by an op called as a function, ``ops.assign`` on a call's output,
  is not watched: keep kept tensors to what nothing writes.)

The watches are installed the first time a check keeps something (never while the
checks that keep nothing run, ``--ms-check mode_parity=off``), and stay for the process:
a watched read or write costs one Python call and a check of an empty list.

A callback that raises is its owner's failure (``probe_failed``): it never reaches the
user's read.
"""
from __future__ import annotations

import sys
from types import FrameType
from typing import Any, Callable, Optional, Sequence

from ...core.tensors import nbytes
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
        self._uncounted: Sequence = ()  # the newest callback's tensors, counted when the next one comes
        self._flushing = False
        self._installed = False
        self._read_now: Optional[tuple] = None  # (tensor, array) of the test's own asnumpy, while it flushes

    def __len__(self) -> int:
        return len(self._pending)

    def later(self, owner: Any, callback: Callable[[], None], tensors: Sequence = ()) -> None:
        """Run ``callback()`` at the next read; ``tensors``: what it keeps alive until then."""
        self._install()
        self._pending.append((owner, callback))
        self._bytes += nbytes(self._uncounted)
        self._uncounted = tensors
        if len(self._pending) >= MAX_PENDING or self._bytes >= MAX_BYTES:
            self.flush()

    def array_of(self, tensor: Any) -> Any:
        """``tensor.asnumpy()``; during the flush a test's own ``asnumpy`` of ``tensor`` set off, the array that
        read returned (the same values: nothing ran in between)."""
        held = self._read_now
        if held is not None and held[0] is tensor:
            return held[1]
        return tensor.asnumpy()

    def flush(self) -> None:
        """Run every pending callback, in the order they came (a callback may queue more)."""
        if self._flushing:
            return
        self._flushing = True
        try:
            while self._pending:
                batch, self._pending, self._bytes, self._uncounted = self._pending, [], 0, ()
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
                setattr(self._tensor_cls, name, self._watched(getattr(self._tensor_cls, name), name == "asnumpy"))
        for name in in_place_methods(self._tensor_cls):
            setattr(self._tensor_cls, name, self._before_write(getattr(self._tensor_cls, name)))

    def _before_write(self, write: Callable) -> Callable:
        def watched_write(tensor, *args, **kwargs):
            __tracebackhide__ = True
            if self._pending:
                self.flush()  # a kept tensor (or a view of one) may be the one written: read them as they were
            return write(tensor, *args, **kwargs)
        return watched_write

    def _watched(self, read: Callable, gives_array: bool) -> Callable:
        def watched_read(tensor, *args, **kwargs):
            __tracebackhide__ = True
            # The test's read first: an error PyNative deferred (the test's own) reaches the test as it would
            # without the plugin, and the queue is drained by the time the checks read.
            value = read(tensor, *args, **kwargs)
            if self._pending:
                # Put back after: a callback's own read (of another tensor) comes through here in the middle of a flush.
                held, self._read_now = self._read_now, (tensor, value) if gives_array and not (args or kwargs) else None
                try:
                    self._on_user_read()
                finally:
                    self._read_now = held
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
