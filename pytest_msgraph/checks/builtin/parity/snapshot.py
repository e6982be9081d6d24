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
from pathlib import Path
from typing import Any, Optional

import numpy as np

from ....core.tensors import nbytes

IN_MEMORY = 16 << 20


class Snapshot:
    """Numpy copies of ``params`` as they are now, in memory or on disk."""

    def __init__(self, params: list) -> None:
        self._arrays: Optional[list] = None
        self._folder: Optional[Path] = None
        if nbytes(params) <= IN_MEMORY:
            self._arrays = [p.asnumpy().copy() for p in params]
            return
        self._folder = Path(tempfile.mkdtemp(prefix="msgraph-weights-"))
        for index, param in enumerate(params):  # one at a time: never the whole network twice in memory
            np.save(self._folder / f"{index}.npy", param.asnumpy())
        self._count = len(params)

    @property
    def on_disk(self) -> bool:
        return self._folder is not None

    def arrays(self) -> Optional[list]:
        """The weights as they were, or None when they could not be read back."""
        if self._arrays is not None or self._folder is None:
            return self._arrays
        try:
            return [np.load(self._folder / f"{index}.npy") for index in range(self._count)]
        except OSError:
            return None

    def discard(self) -> None:
        if self._folder is not None:
            shutil.rmtree(self._folder, ignore_errors=True)
            self._folder = None


def discard(snapshot: Any) -> None:
    """A test's snapshot let go (its folder removed), if it has one."""
    if snapshot is not None:
        snapshot.discard()
