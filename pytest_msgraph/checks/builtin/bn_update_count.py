"""Check ``bn_update_count``: BatchNorm statistics updated more than once in one training step.

A training step is one grad computation together with a plain forward of the same
network on the same inputs just before it. The step must update each BatchNorm's
``moving_mean``/``moving_variance`` once.

* PYNATIVE_MODE: the probes count how often each BatchNorm ran inside the grad; the
  plain forward ran it once more. No value is read.
* GRAPH_MODE: the plain forward and a separate grad call are two graphs. The check
  snapshots ``moving_mean`` around both (reads only, so the test sees no difference)
  and infers the number of updates (see bn_arithmetic).
"""
from __future__ import annotations

import dataclasses
import importlib
from typing import Any, Optional

from ...mindspore_side.probes import GRAPH, PYNATIVE, GradCall, ref_to, same_objects
from ..findings import TestRun
from .probed import ProbedCheck, describe_cell, rerun_after_set_grad
from .training_steps import TrainingSteps

CAUSE = {
    PYNATIVE: "re-ran the forward on the same inputs because set_grad() was not called (PYNATIVE_MODE).",
    GRAPH: ("and the plain forward just before ran as two graphs, each updating the statistics; set_grad() "
            "does not help in GRAPH_MODE."),
}
FIX = {
    PYNATIVE: ("Fix: call set_grad() on the network before the forward, or take loss and grads from one "
               "ms.value_and_grad call, or train with nn.TrainOneStepCell."),
    GRAPH: ("Fix: compute loss and grads in one graph with ms.value_and_grad or nn.TrainOneStepCell, or run "
            "the plain forward in eval mode (set_train(False))."),
}


def _is_batchnorm(cell: Any, parameter_type: type) -> bool:
    return isinstance(getattr(cell, "moving_mean", None), parameter_type) and isinstance(
        getattr(cell, "moving_variance", None), parameter_type
    )


def _in_training(bn: Any) -> bool:
    use_batch = getattr(bn, "use_batch_statistics", None)
    return bool(bn.training) if use_batch is None else bool(use_batch)


@dataclasses.dataclass
class _PlainForward:
    cell: Any
    args: tuple  # references, see probes.locations.same_objects
    bns: list
    before: dict
    after: Optional[dict] = None


class BnUpdateCountCheck(ProbedCheck):
    name = "bn_update_count"
    description = "BatchNorm moving statistics updated more than once in one training step"
    default_policy = "error"
    unit = "training steps"

    def session_started(self, mindspore: Any) -> None:
        super().session_started(mindspore)
        # numpy is imported here, not at plugin load: a session without MindSpore never pays for it.
        self.math = importlib.import_module("pytest_msgraph.checks.builtin.bn_arithmetic")
        self._parameter = mindspore.Parameter
        self._train_step_type = mindspore.nn.TrainOneStepCell

    def reset(self) -> None:
        self.steps = TrainingSteps(self._train_step_type)  # every step, as every check counts them
        self.once = 0
        self.flagged: dict = {}  # (id(owner), api, location) -> finding data
        self._bn_cache: dict = {}  # id(cell) -> (cell, [(path, bn)])
        self._open: dict = {}  # id(cell) -> _PlainForward, during a GRAPH_MODE plain call
        self._plain: Optional[_PlainForward] = None  # the last finished plain forward
        self._paired: dict = {}  # id(GradCall) -> (_PlainForward, snapshot before the grad)

    def _batchnorms(self, cell: Any) -> list:
        """Training BatchNorm cells inside ``cell`` (itself included), with their paths."""
        cached = self._bn_cache.get(id(cell))
        if cached is None or cached[0] is not cell:
            found = [(path, c) for path, c in cell.cells_and_names() if _is_batchnorm(c, self._parameter)]
            cached = self._bn_cache[id(cell)] = (cell, found)
        return [(path, bn) for path, bn in cached[1] if _in_training(bn)]

    # -- probe events ----------------------------------------------------------
    def forward_started(self, cell: Any, args: tuple) -> None:
        if self.probes.mode() != GRAPH:
            return
        bns = self._batchnorms(cell)
        if not bns:
            return
        if self.steps.is_step_cell(cell):
            # One compiled graph holds forward and grad: one update per step by construction.
            self.once += len(bns)
            return
        self._open[id(cell)] = _PlainForward(cell, tuple(map(ref_to, args)), bns, self.math.snapshot(bns))

    def forward_finished(self, cell: Any, args: tuple, out: Any, failed: Optional[BaseException]) -> None:
        self.steps.forward_finished(cell, failed)
        plain = self._open.pop(id(cell), None)
        if plain is not None:
            plain.after = self.math.snapshot(plain.bns)
            self._plain = plain

    def grad_started(self, call: GradCall) -> None:
        plain = self._plain
        if call.mode != GRAPH or plain is None:
            return
        # The grad takes the plain call's inputs first (a loss cell or function adds labels after).
        if same_objects(plain.args, tuple(call.args[: len(plain.args)])):
            self._plain = None  # one grad per plain forward
            self._paired[id(call)] = (plain, self.math.snapshot(plain.bns))

    def grad_finished(self, call: GradCall) -> None:
        self.steps.grad_finished(call)
        if call.mode == PYNATIVE:
            self._pynative_step(call)
        else:
            self._graph_step(call)

    # -- counting --------------------------------------------------------------
    def _pynative_step(self, call: GradCall) -> None:
        ran = [cell for cell, _ in call.runs.values() if _is_batchnorm(cell, self._parameter) and _in_training(cell)]
        if not ran:
            # The grad reused a recorded forward (set_grad, TrainOneStepCell): that forward
            # was the step's only update.
            bns = self._batchnorms(call.fn) if hasattr(call.fn, "cells_and_names") else []
            self.once += len(bns)
            return
        owner = call.replayed
        if owner is None:
            self.once += len(ran)
            return
        counts = {}
        for path, bn in self._batchnorms(owner):
            if call.runs_of(bn):
                counts[path] = 1 + call.runs_of(bn)
        self._record(call, owner, counts)

    def _graph_step(self, call: GradCall) -> None:
        paired = self._paired.pop(id(call), None)
        if paired is None:
            bns = self._batchnorms(call.fn) if hasattr(call.fn, "cells_and_names") else []
            self.once += len(bns)
            return
        plain, before_grad = paired
        after_grad = self.math.snapshot(plain.bns)
        counts = {}
        for path, bn in plain.bns:
            decay = self.math.decay_from_momentum(getattr(bn, "momentum", None))
            counts[path] = 1 + self.math.updates_in_grad(plain.before[path], before_grad[path], after_grad[path], decay)
        self._record(call, plain.cell, counts)

    def _record(self, call: GradCall, owner: Any, counts: dict) -> None:
        over = {path: n for path, n in counts.items() if n > 1}
        self.once += len(counts) - len(over)
        if not over:
            return
        key = (id(owner), call.api, call.location)
        entry = self.flagged.setdefault(key, {"call": call, "owner": owner, "counts": {}, "steps": 0})
        entry["steps"] += 1
        for path, n in over.items():
            entry["counts"][path] = max(n, entry["counts"].get(path, 0))

    def report(self, run: TestRun) -> None:
        run.count(self.steps.count)
        run.count(self.once, unit="BatchNorm cells found updated once")
        for entry in self.flagged.values():
            call, owner, counts = entry["call"], entry["owner"], entry["counts"]
            paths = sorted(counts)
            first = paths[0]
            shown = f"'{first}' in {describe_cell(owner)}" if first else f"of {describe_cell(owner)}"
            more = f", and {len(paths) - 1} more BatchNorm cell(s) likewise" if len(paths) > 1 else ""
            steps = f" (in {entry['steps']} steps)" if entry["steps"] > 1 else ""
            after_set_grad = rerun_after_set_grad(self.ms, call)
            cause, fix = (f"re-ran the forward on the same inputs {after_set_grad[0]}", after_set_grad[1]) \
                if after_set_grad else (CAUSE[call.mode], FIX[call.mode])
            run.emit(
                f"BatchNorm {shown} moving_mean/moving_variance updated {counts[first]} times in one training "
                f"step (expected 1){more}{steps}: the {call.api} call at {call.location} {cause}",
                fix=fix,
                cell=first or describe_cell(owner),
                updates=counts[first],
                cells=paths,
                network=describe_cell(owner),
                api=call.api,
                location=call.location,
            )
