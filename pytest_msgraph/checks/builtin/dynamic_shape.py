"""Check ``dynamic_shape``: outputs whose shape depends on the input values.

Two ways, both through this check:

* Across tests: every top-level Cell call (and every ``ms_shapes.record``) leaves a
  record of its input and output signatures. At the end of the session, on the xdist
  controller, records of one test function, mode, name and input signature that
  differ in output shape are a finding; so is the same call giving different shapes
  in GRAPH_MODE and PYNATIVE_MODE.
* In one test: after a top-level cell runs in GRAPH_MODE, its compiled graph is
  inspected (once per graph) for the ops that start a value-dependent shape.
"""
from __future__ import annotations

import json
import os
from typing import Any, Optional

from ...core.signatures import mode_mismatches, show, signature, value_dependent_groups
from ...core.tensors import is_tensor
from ...mindspore_side.cell_config import base_attributes, digest
from ...mindspore_side.probes import GRAPH
from ..findings import TestRun
from .probed import ProbedCheck

FIXES = (
    "Fix (the seed guide's dynamic-shape workarounds): multiply by a mask instead of selecting "
    "(box * mask, not masked_select), pad to a fixed shape, or sort and threshold instead of "
    "topk with a variable k."
)
_SHOWN_VARIANTS = 6
# Calls of one name and input signature recorded per test before only new output shapes are:
# a 1000-step training loop must not send 1000 identical records to the controller.
_CALLS_KEPT = 16


class ShapeRecorder:
    """The ``ms_shapes`` fixture: record values that no Cell returns (plain or ms.jit functions)."""

    def __init__(self, run: Optional[TestRun]) -> None:
        self._run = run  # None when dynamic_shape is off for this test
        self._shapes = ShapeLog()

    def record(self, name: str, value: Any, inputs: Any = ()) -> None:
        """Record ``value``'s shapes under ``name``; ``inputs`` are what it was computed from."""
        if self._run is None:
            return
        self._run.count(unit="values recorded with ms_shapes", check="dynamic_shape")
        self._shapes.record(self._run, name, inputs, value)


def _quick(values: Any) -> Optional[tuple]:
    """The shapes and dtypes of a tensor or a tuple of tensors, as a dict key; None for anything else."""
    if is_tensor(values):
        return (tuple(values.shape), values.dtype)
    if type(values) is tuple and all(is_tensor(value) for value in values):
        return tuple((tuple(value.shape), value.dtype) for value in values)
    return None


class ShapeLog:
    """One test's calls by name and input signature, and the output signatures each gave."""

    def __init__(self) -> None:
        self._calls: dict = {}
        # (name, config, quick key) -> (signature, its JSON): a loop's calls of one shape are worked out once
        # (the signatures and their JSON took 0.02 ms of each call, measured on the small CNN of tests/data).
        self._known: dict = {}

    def _signature(self, name: str, config: Any, value: Any, keep_values: bool) -> tuple:
        quick = _quick(value)
        known = self._known.get((name, config, keep_values, quick)) if quick is not None else None
        if known is None:
            sig = signature(value, keep_values=keep_values)
            if keep_values and config is not None:
                # A cell built differently (parametrized num_classes, hidden size) is another group:
                # its output shape may differ with the same inputs, and that is not a dynamic shape.
                sig = {"args": sig, "cell": config}
            known = (sig, json.dumps(sig, sort_keys=True))
            if quick is not None:
                self._known[(name, config, keep_values, quick)] = known
        return known

    def record(self, run: TestRun, name: str, inputs: Any, output: Any, config: Any = None) -> None:
        inputs_sig, inputs_key = self._signature(name, config, inputs, keep_values=True)
        seen = self._calls.setdefault((name, inputs_key), {"count": 0, "outputs": set()})
        call, seen["count"] = seen["count"], seen["count"] + 1
        output_sig, output_key = self._signature(name, None, output, keep_values=False)
        if call < _CALLS_KEPT or output_key not in seen["outputs"]:
            seen["outputs"].add(output_key)
            run.record({"name": name, "inputs": inputs_sig, "output": output_sig, "call": call},
                       check="dynamic_shape")


def _variants_text(variants: list) -> str:
    shown = ", ".join(f"{v['shape']} for {v['label']}" for v in variants[:_SHOWN_VARIANTS])
    more = len(variants) - _SHOWN_VARIANTS
    return shown + (f", and {more} more" if more > 0 else "")


class DynamicShapeCheck(ProbedCheck):
    name = "dynamic_shape"
    description = "an output shape depends on the input values (dynamic shape)"
    default_policy = "warn"
    unit = "cell calls"

    def session_started(self, mindspore: Any) -> None:
        super().session_started(mindspore)
        from ...mindspore_side import graph_inspection

        self.inspection = graph_inspection
        self._lines: dict = {}  # compiled graph id -> {op: [source lines]}, for the session
        self._base_attributes = base_attributes(mindspore)

    def reset(self) -> None:
        self.cell_calls = 0
        self._shapes = ShapeLog()
        self._configs: dict = {}  # id(cell) -> (cell, its configuration), for this test
        self.dynamic_graphs: dict = {}  # graph id -> (cell name, roots, lines)

    def forward_finished(self, cell: Any, args: tuple, out: Any, failed: Optional[BaseException]) -> None:
        if failed is not None:
            return
        self.cell_calls += 1
        self._shapes.record(self.run, type(cell).__name__, args, out, self._configuration(cell))
        if self.probes.mode() == GRAPH:
            self._inspect(cell)

    def _configuration(self, cell: Any) -> str:
        """How the cell was built: the settings of its whole tree and the shapes of all its parameters."""
        cached = self._configs.get(id(cell))
        if cached is None or cached[0] is not cell:
            cached = self._configs[id(cell)] = (cell, digest(cell, self._base_attributes))
        return cached[1]

    def _inspect(self, cell: Any) -> None:
        facts = self.probes.graphs.facts(cell)
        if facts is None or not facts.roots:
            return
        graph_id = self.inspection.graph_id(cell)
        if graph_id not in self._lines:
            self._lines[graph_id] = self.inspection.source_lines(cell, list(facts.roots))
        self.dynamic_graphs[graph_id] = (type(cell).__name__, list(facts.roots), self._lines[graph_id])

    def report(self, run: TestRun) -> None:
        run.count(self.cell_calls)
        for name, roots, lines in self.dynamic_graphs.values():
            ops = [{"op": op, "lines": [os.path.relpath(line) for line in lines.get(op, [])]} for op in roots]
            where = "; ".join(f"{o['op']} at {', '.join(o['lines'])}" if o["lines"] else o["op"] for o in ops)
            run.emit(
                f"{name}'s compiled graph has value-dependent output shapes, started by {where}. In GRAPH_MODE "
                "that means a recompile per shape, or slow dynamic-shape paths (Ascend).",
                fix=FIXES, cell=name,
                ops=ops,
            )

    def compare(self, records: list, emit) -> None:
        for group in value_dependent_groups(records):
            emit(
                f"{group['name']} output shape depends on input values: {_variants_text(group['variants'])} "
                f"({group['mode']}, same inputs {show(group['inputs'])}).",
                fix=FIXES, nodeid=group["nodeid"], mode=group["mode"], cell=group["name"],
                variants=[{"nodeid": v["nodeid"], "shape": v["shape"]} for v in group["variants"]],
            )
        for mismatch in mode_mismatches(records):
            graph, pynative = mismatch["shapes"]["GRAPH_MODE"], mismatch["shapes"]["PYNATIVE_MODE"]
            label = f"[{mismatch['variant']}]" if mismatch["variant"] else "the same inputs"
            emit(
                f"{mismatch['name']} gives output shape {graph} in GRAPH_MODE but {pynative} in PYNATIVE_MODE "
                f"for {label}: the two modes compute different shapes.",
                fix=FIXES, nodeid=mismatch["nodeid"], cell=mismatch["name"], variants=mismatch["variants"],
            )
