"""Check ``double_forward``: a PYNATIVE_MODE grad that re-runs a forward the test just ran.

Without ``set_grad()``, a grad call cannot reuse the recording of the plain call
``net(x)`` made just before on the same inputs, so it runs the forward again: a
wasted forward, and every side effect (BatchNorm statistics, prints, random
draws) happens twice. The probes name the cell whose forward ran again.
"""
from __future__ import annotations

from typing import Any

from ...mindspore_side.probes import PYNATIVE, GradCall, cell_path
from ..findings import TestRun
from .probed import ProbedCheck, describe_cell, rerun_after_set_grad


def _where(call: GradCall, cell: Any) -> str:
    if call.fn is cell:
        return f"{describe_cell(cell)} (the differentiated network itself)"
    path = cell_path(call.fn, cell)
    if path:
        return f"{describe_cell(cell)} '{path}' inside the differentiated {describe_cell(call.fn)}"
    owner = getattr(call.fn, "__name__", describe_cell(call.fn))
    return f"{describe_cell(cell)} called by the differentiated function {owner}()"


class DoubleForwardCheck(ProbedCheck):
    name = "double_forward"
    description = "a PYNATIVE_MODE grad re-ran the forward of a cell just called on the same inputs"
    default_policy = "error"
    unit = "grad calls"

    def reset(self) -> None:
        self.grad_calls = 0
        self.repeats: dict = {}  # (id(cell), api, location) -> [call, cell, forwards, times]

    def grad_finished(self, call: GradCall) -> None:
        if call.mode != PYNATIVE:
            return
        self.grad_calls += 1
        cell = call.replayed
        if cell is None:
            return
        key = (id(cell), call.api, call.location)
        entry = self.repeats.setdefault(key, [call, cell, 0, 0])
        entry[2] = max(entry[2], 1 + call.runs_of(cell))
        entry[3] += 1

    def report(self, run: TestRun) -> None:
        run.count(self.grad_calls)
        for call, cell, forwards, times in self.repeats.values():
            path = cell_path(call.fn, cell)
            repeated = f" (in {times} grad calls)" if times > 1 else ""
            cause, fix = rerun_after_set_grad(self.ms, call) or (
                "because set_grad() was not called, so the grad could not reuse that forward.",
                "Fix: call set_grad() on the network before the forward, or take loss and grads from one "
                "ms.value_and_grad call, or train with nn.TrainOneStepCell.")
            run.emit(
                f"{_where(call, cell)} ran its forward {forwards} times for one {call.api} call at "
                f"{call.location}{repeated}: once in the plain call just before, and again inside the grad, {cause}",
                fix=fix,
                cell=path or describe_cell(cell),
                api=call.api,
                forwards=forwards,
                location=call.location,
            )
