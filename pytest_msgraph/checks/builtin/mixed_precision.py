"""Check ``mixed_precision``: the seed guide's manual mixed-precision advice, at run time.

With ``net.to_float(ms.float16)`` every sub-cell inherits the float16 flag. The guide:
keep BatchNorm and the loss in float32 (a float16 loss overflows easily), and do not
combine custom ``to_float`` with ``Model``'s ``amp_level``. Measured on MindSpore 2.10
(CPU, both modes):

- BatchNorm under ``net.to_float(float16)`` carries the float16 flag until
  ``bn.to_float(ms.float32)`` sets it back.
- A loss cell with no flag of its own computes in the dtype it is fed: after a float16
  network the training step's loss is Float16. ``loss.to_float(ms.float32)`` (the
  guide's recipe) makes it Float32.
- ``Model(..., amp_level="O2")`` and ``amp.build_train_network(..., level="O2")`` rewrite
  the network's flags: a custom ``bn.to_float(float32)`` is cleared and O2's own policy
  replaces the custom one, silently.

A finding is (a) a BatchNorm running in float16 in a training step, (b) a training
step whose loss is float16 (its output, or a loss cell flagged float16), or (c) custom
``to_float`` flags handed to ``Model``/``build_train_network`` with a level other than O0.
"""
from __future__ import annotations

import functools
import importlib
from typing import Any, Optional

from ...mindspore_side import internals
from ...mindspore_side.probes import GradCall, cell_path, cells_behind, user_location
from ..findings import TestRun
from .probed import ProbedCheck
from .training_steps import TrainingSteps

FLAGS = ("fp16", "bf16", "fp32")
HALF = {"fp16": "float16", "bf16": "bfloat16"}
SHOWN = 3  # cells named in a finding that counts many


def precision(cell: Any) -> Optional[str]:
    """The float type the cell's own to_float flag asks for ('fp16', 'bf16', 'fp32'), or None."""
    flags = cell.get_flags() if hasattr(cell, "get_flags") else {}
    return next((flag for flag in FLAGS if flags.get(flag)), None)


def custom_flags(network: Any) -> list:
    """Paths of cells that carry a to_float flag (custom mixed precision)."""
    return [path or type(network).__name__ for path, cell in network.cells_and_names() if precision(cell)]


def _loss_of(network: Any) -> Any:
    """The loss cell of a wrapper such as nn.WithLossCell: its one child besides ``backbone_network`` (public),
    else the attribute WithLossCell keeps it in, for a wrapper written after it without that property."""
    backbone = getattr(network, "backbone_network", None)
    if backbone is not None and hasattr(network, "cells"):
        others = [child for child in network.cells() if child is not backbone]
        if len(others) == 1:
            return others[0]
    return getattr(network, internals.LOSS_ATTRIBUTE, None)


class MixedPrecisionCheck(ProbedCheck):
    name = "mixed_precision"
    description = "BatchNorm or the loss in float16 in a training step, or custom to_float with amp_level"
    default_policy = "warn"
    unit = "training steps"

    def session_started(self, mindspore: Any) -> None:
        super().session_started(mindspore)
        self._batchnorm = tuple(getattr(mindspore.nn, name) for name in ("BatchNorm1d", "BatchNorm2d", "BatchNorm3d")
                                if hasattr(mindspore.nn, name))
        self._loss_base = getattr(mindspore.nn, "LossBase", ())
        self._step_type = mindspore.nn.TrainOneStepCell
        self.active = False  # listening to a test's call phase (the amp wrapper reports only then)
        self._wrap_amp()

    def test_finished(self, run: TestRun) -> None:
        super().test_finished(run)
        self.active = False

    def reset(self) -> None:
        self.steps = TrainingSteps(self._step_type)
        self._seen: set = set()  # (finding kind, id of the cell) already reported in this test
        self._examined: set = set()  # ids of networks whose cells were looked at in this test
        # kind -> [(where, message, fix, cell class)]: one finding per kind at the test's end, however many cells.
        self._found: dict[str, list] = {}

    # -- training steps ----------------------------------------------------------------------
    def forward_finished(self, cell: Any, args: tuple, out: Any, failed: Optional[BaseException]) -> None:
        if not self.steps.forward_finished(cell, failed):
            return
        self._examine(cell.network, cell.network.cells_and_names(), cell)
        if str(getattr(out, "dtype", "")) == "Float16":
            self._report("loss_output", cell, f"the training step {type(cell).__name__} returned a Float16 loss: the "
                         "loss was computed in float16, which overflows easily.",
                         "Fix: loss.to_float(ms.float32), as the seed guide writes it (a loss cell with no flag "
                         "computes in the dtype it is fed).")

    def grad_finished(self, call: GradCall) -> None:
        if not self.steps.grad_finished(call):
            return  # a train-step cell's own grad: examined with the step
        ran = [entry[0] for entry in call.runs.values()]  # PYNATIVE_MODE: every cell that ran in the grad
        if ran:  # named from the outermost cell that ran (the first one recorded)
            self._examine(call.fn, ((None, cell) for cell in ran), ran[0])
        for root in cells_behind(call.fn) if not ran else ():
            self._examine(root, root.cells_and_names(), root)

    def _examine(self, network: Any, cells: Any, step: Any) -> None:
        """Look once per test at the cells of a network used for training (a loop runs it many times)."""
        if id(network) in self._examined:
            return
        self._examined.add(id(network))
        loss = _loss_of(network)
        for path, cell in cells:
            half = HALF.get(precision(cell) or "")
            if half is None:
                continue
            if isinstance(cell, self._batchnorm):
                where = cell_path(step, cell) or path or type(cell).__name__
                self._report("batchnorm", cell, f"BatchNorm '{where}' runs in {half} in a training step: it "
                             "inherited to_float from its parent, and its statistics lose precision in half precision.",
                             "Fix: for each BatchNorm, cell.to_float(ms.float32) after net.to_float(...), as the seed "
                             "guide does.", where)
            elif (self._loss_base and isinstance(cell, self._loss_base)) or cell is loss:
                self._report("loss_flag", cell, f"the loss {type(cell).__name__} is under to_float ({half}): it "
                             "computes in half precision, which overflows easily.", "Fix: loss.to_float(ms.float32).")

    def _report(self, kind: str, cell: Any, message: str, fix: str, where: Optional[str] = None) -> None:
        if (kind, id(cell)) in self._seen:
            return
        self._seen.add((kind, id(cell)))
        self._found.setdefault(kind, []).append((where or type(cell).__name__, message, fix, type(cell).__name__))

    def report(self, run: TestRun) -> None:
        run.count(self.steps.count)
        for kind, found in self._found.items():
            names = [where for where, *_ in found]
            _, message, fix, cell = found[0]
            if len(found) > 1:  # a network's 39 BatchNorms are one problem: one finding, the count, the first cells
                shown = ", ".join(f"'{name}'" for name in names[:SHOWN])
                more = f" and {len(names) - SHOWN} more" if len(names) > SHOWN else ""
                message = f"{len(found)} cells ({shown}{more}) have this problem; the first: {message}"
            self.emit(message, fix=fix, cell=cell, kind=kind, count=len(found), cells=names[:SHOWN])

    # -- custom to_float with amp_level ------------------------------------------------------
    def _wrap_amp(self) -> None:
        amp = internals.resolve("amp")
        public = importlib.import_module("mindspore.amp")
        original = getattr(amp, "build_train_network")
        if getattr(original, "__msgraph_wrapped__", False):
            return
        check = self

        @functools.wraps(original)
        def build_train_network(network, optimizer, loss_fn=None, level="O0", boost_level="O0", **kwargs):
            __tracebackhide__ = True
            if check.active and level not in ("O0", None):
                check._amp_conflict(network, level)
            return original(network, optimizer, loss_fn, level, boost_level, **kwargs)

        setattr(build_train_network, "__msgraph_wrapped__", True)
        setattr(amp, "build_train_network", build_train_network)
        if getattr(public, "build_train_network", None) is original:
            setattr(public, "build_train_network", build_train_network)

    def _amp_conflict(self, network: Any, level: str) -> None:
        flagged = custom_flags(network)
        if flagged:
            shown = ", ".join(flagged[:3]) + (f" and {len(flagged) - 3} more" if len(flagged) > 3 else "")
            self._report("amp_level", network,
                         f"amp_level {level!r} on a network with custom to_float flags ({shown}) at "
                         f"{user_location(self.probes.ms_dir)}: {level} rewrites the flags (a custom "
                         "bn.to_float(ms.float32) is cleared) and its own policy silently replaces yours.",
                         "Fix, as the seed guide says: with custom mixed precision, do not set amp_level (use O0), "
                         "or drop the to_float calls.")

