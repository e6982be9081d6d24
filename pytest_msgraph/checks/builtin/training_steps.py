"""One definition of a training step, for every check that counts them.

A step is a call of a train-step Cell (``nn.TrainOneStepCell`` and its subclasses) or a
grad call made outside one (``ms.value_and_grad``, ``ms.grad``, ``GradOperation``). The
grad a train-step Cell makes in PYNATIVE_MODE is nested in its call and is not a second
step. Checks that say "examined N training steps" say the same N on the same suite.
"""
from __future__ import annotations

from typing import Any, Optional

from ...mindspore_side.probes import GradCall


class TrainingSteps:
    def __init__(self, step_type: type) -> None:
        self._step_type = step_type
        self.count = 0

    def is_step_cell(self, cell: Any) -> bool:
        return isinstance(cell, self._step_type)

    def forward_finished(self, cell: Any, failed: Optional[BaseException]) -> bool:
        """Count a finished train-step Cell call; True when it was one."""
        if failed is not None or not self.is_step_cell(cell):
            return False
        self.count += 1
        return True

    def grad_finished(self, call: GradCall) -> bool:
        """Count a grad call made outside a train-step Cell; True when it was one."""
        if call.nested:
            return False
        self.count += 1
        return True
