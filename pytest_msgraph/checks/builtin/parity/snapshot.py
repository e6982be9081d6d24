"""The trained weights before a test's first step, kept for the experiments on that step.

Where non-finite values start, and the float32 reference of a half-precision step, both
replay the step from the weights it started from; the step has changed them by the time
it is compared. Up to ``IN_MEMORY`` the weights are numpy copies; beyond, they go to a
temporary folder, one ``.npy`` per parameter, read back only when an experiment needs
them and removed at the test's end. Kept in memory, mindcv's resnet18's 45 MB would be 4%
of its training run's peak memory (the goal is 3%), and a CRNN-R34's 93 MiB would go
unkept, its non-finite start never looked for (seen on mindocr's recipe).
"""
from __future__ import annotations

import shutil
import tempfile
import weakref
from pathlib import Path
from typing import Any, Callable, Optional

import numpy as np

from ....core.tensors import nbytes

IN_MEMORY = 16 << 20
ON_DISK = 4 << 30  # beyond, not kept: the finding says so
ROOM = 2  # times the weights' size the temporary folder's disk must have free


def wanted(cell: Any, eager: bool, half_precision: Callable[[list], bool]) -> bool:
    """Whether the weights before a step are worth keeping: the eager side's experiments (where non-finite values
    start) need them for any step; the graph side's (the float32 reference) only for a half-precision train-step
    cell's."""
    return eager or (hasattr(cell, "network") and half_precision([cell.network]))


class Snapshot:
    """Numpy copies of ``params`` as they are now, in memory or on disk; ``why`` says why not, when they are not."""

    def __init__(self, params: list) -> None:
        self._arrays: Optional[list] = None
        self._folder: Optional[Path] = None
        self._count = len(params)
        self.why = ""
        size = nbytes(params)
        if size <= IN_MEMORY:
            self._arrays = [p.asnumpy().copy() for p in params]
            return
        try:
            folder = Path(tempfile.mkdtemp(prefix="msgraph-weights-"))
        except OSError as exc:
            self.why = f"not written to a temporary folder: {exc}"
            return
        self._cleanup = weakref.finalize(self, shutil.rmtree, str(folder), True)  # an interrupted test's, at exit
        try:
            if size > ON_DISK:
                raise OSError(f"{size >> 20} MiB, over the {ON_DISK >> 20} MiB cap")
            if shutil.disk_usage(folder).free < ROOM * size:
                raise OSError(f"{size >> 20} MiB, and {folder.parent} has less than {ROOM} times that free")
            for index, param in enumerate(params):  # one at a time: never the whole network twice in memory
                np.save(folder / f"{index}.npy", param.asnumpy())
        except OSError as exc:
            self.why = f"not written to a temporary folder: {exc}"
            self._cleanup()
            return
        self._folder = folder

    @property
    def on_disk(self) -> bool:
        return self._folder is not None

    def arrays(self) -> Optional[list]:
        """The weights as they were, or None when they were not kept or could not be read back."""
        if self._arrays is not None or self._folder is None:
            return self._arrays
        try:
            return [np.load(self._folder / f"{index}.npy") for index in range(self._count)]
        except OSError as exc:
            self.why = f"not read back: {exc}"
            return None

    def discard(self) -> None:
        if self._folder is not None:
            self._cleanup()
            self._folder = None


def discard(snapshot: Any) -> None:
    """A test's snapshot let go (its folder removed), if it has one."""
    if snapshot is not None:
        snapshot.discard()


def not_kept(index: int, snapshot: Optional[Snapshot]) -> str:
    """Why the weights before step ``index`` are missing, for the finding."""
    if index > 0:
        return "the weights before the step were not kept (the step before it was compared by summary, over " \
               "--ms-parity-max-bytes)"
    return f"the weights before the first step were {snapshot.why if snapshot and snapshot.why else 'not kept'}"
