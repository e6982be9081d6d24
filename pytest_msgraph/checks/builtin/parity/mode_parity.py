"""Check ``mode_parity``: GRAPH_MODE must compute, and train, as PYNATIVE_MODE does.

Each variant of a mode pair (both start from the same seed) records, in order:

* the outputs of every top-level Cell call;
* the gradients every grad call returns (``ms.grad``, ``ms.value_and_grad``,
  ``GradOperation``), each named by its input or parameter;
* the trained parameters after every optimizer call and every train-step call
  (``nn.TrainOneStepCell``, ``Model.train``).

GRAPH_MODE's i-th of each is compared with PYNATIVE_MODE's i-th, with tolerances by dtype (``pairs`` words
each difference by its cause and says which side is wrong). The PYNATIVE_MODE variant runs first: when the
GRAPH_MODE variant ends in the process that ran its twin, they are compared at once, and a mismatch on the graph
side fails the GRAPH_MODE test itself. What can only be compared later (a twin on another xdist worker, a wrong
eager side whose test already reported) is compared at the end of the session, on the controller, from the records.

Not compared: calls whose compiled graph holds a random op (the modes draw different streams from one seed), and calls
on a cell whose parameters the eager twin also used (a shared fixture). After a mismatch, experiments on copies say
which side departs, where and why (``evidence``, ``rerun``, ``localise``, ``backward``, ``nonfinite``); a pair whose
variants end differently gets one verdict from ``outcomes``, at the session's end.
"""
from __future__ import annotations

import importlib
from typing import Any, Callable, Optional

from ....mindspore_side.probes import GradCall, cells_behind, closure_values
from ...findings import TestRun
from ..probed import ProbedCheck
from . import records
from .pairs import differences
from .records import KINDS, CellFacts, causes_header, compare_records, flatten, refs, shares_parameters, tolerances
from .repro import reproduce
from .snapshot import Snapshot, discard, not_kept, wanted
from .values import encoded, records_values, reported_values, skipped

RANDOM_CALLS = "calls with MindSpore random ops, not compared"


class ModeParityCheck(ProbedCheck):
    name = "mode_parity"
    description = "GRAPH_MODE computes or trains otherwise than PYNATIVE_MODE: outputs, gradients, parameters"
    default_policy = "error"
    unit = "values recorded"

    def session_started(self, mindspore: Any) -> None:
        super().session_started(mindspore)
        self.math, self.rerun, self.localise, self.nonfinite, self.backward, self.step_replay = (
            importlib.import_module(f"pytest_msgraph.checks.builtin.parity.{name}")
            for name in ("arithmetic", "rerun", "localise", "nonfinite", "backward", "step_replay"))
        self._optimizer = mindspore.nn.Optimizer
        self._waiting: dict = {}  # pair -> the PYNATIVE_MODE side, until its GRAPH_MODE side ends
        # The pair compared last: a retry of that GRAPH_MODE test (pytest-rerunfailures) compares again.
        self._last_pair: tuple = ((), None)

    def watches(self, run: TestRun) -> bool:
        return run.pair is not None  # only mode pairs (both_modes or adopted) have a counterpart

    def reset(self) -> None:
        self.budget = [self.run.item.config.getoption("ms_parity_max_bytes")]
        self.side: dict[str, Any] = {kind: {} for kind in KINDS}
        # Per kind, per entry: weak references to the parameters it depends on (this process only).
        self.params: dict[str, list] = {kind: [] for kind in KINDS}
        graph = self.run.variant == "GRAPH_MODE"
        self.twin = self._waiting.get(self.run.pair) if graph else None  # the eager side, to compare call by call
        self.rtol, self.atol = tolerances(self.run)
        discard(getattr(self, "_first_weights", None))  # a test that ended without a report
        self._first_weights: Optional[Snapshot] = None  # the trained weights before the first step
        self._last_grad: Optional[GradCall] = None  # the grad call whose gradients an optimizer step applies
        self._located = False  # where non-finite values start is found once per test
        self._referenced = False  # the experiments on a graph step that parts run once per test
        self._prints = records_values(self.run.item, self.session.values_skip)  # fingerprints, for the report
        self._cells = CellFacts()

    def _leaves(self, named: Any, finite: Optional[list] = None) -> list:
        return encoded(self.ms, self.math, self.budget, named, finite, self._prints, read=self.probes.reads.array_of)

    def _record(self, entry: dict, named: Any, tensors: list) -> None:
        """``entry["leaves"]``: read now on the graph side; on the eager side, when a read happens anyway
        (``values``), with the byte budget they would have had now. ``tensors``: the tensors among ``named``."""
        if not self._eager_side():
            entry["leaves"] = self._leaves(named)
            return
        entry["leaves"] = []
        self.probes.reads.later(self, lambda: entry.update(leaves=self._leaves(named)), tensors)

    # -- probe events ------------------------------------------------------------------------------
    def forward_finished(self, cell: Any, args: tuple, out: Any, failed: Optional[BaseException]) -> None:
        calls = self.side["calls"]
        index = len(calls)
        if failed is not None:
            # The test fails on its own; a failed call has no output to compare, nor do later ones.
            calls[index] = {"cell": type(cell).__name__, "failed": type(failed).__name__, "leaves": []}
            self.params["calls"].append([])
            return
        flat: list = []
        flatten(out, "", flat)
        cell_semantics, cell_refs = self._cells.of(cell)
        call: dict[str, Any] = {"cell": type(cell).__name__, "semantics": cell_semantics,
                                "location": self.probes.user_location()}
        self._record(call, flat, [value for _, value in flat if hasattr(value, "asnumpy")])
        self.params["calls"].append(cell_refs)
        if self.probes.mode() == "GRAPH_MODE" and records.random_ops(call, self.probes.graphs.facts(cell)):
            call["random"] = True
        calls[index] = call
        rerun = lambda copies: cell(*copies)  # on copies: the test's own tensors stay as they are
        rerun.cells = [cell]  # type: ignore[attr-defined]  # what it runs, for the float32 reference
        if not call.get("random") and self._check_eager_side("calls", index, call, rerun, args,
                                                             lambda: list(cell.get_parameters()), out):
            if call.get("eager_repeatable") is not False and cell.name_cells():  # find the layer where they part
                subject: list = []
                call["diverges_at"] = self.localise.localise(self.ms, self.probes, self.run.compiles_hidden, self.math,
                                                             cell, args, self.rtol, self.atol, subject)
                call["repro"] = reproduce(self.session, self.run, subject, self.rtol, self.atol, top=cell)
        self._record_step(cell, args, bool(call.get("random") or call.get("graph_unread")))  # may hold random ops

    def grads_computed(self, call: GradCall, named: Any) -> None:
        if call.nested:
            return  # a train-step cell's own grad: its results show in the parameters after the step
        self._last_grad = call
        grads = self.side["grads"]
        index = len(grads)
        entry: dict[str, Any] = {"api": call.api, "location": call.location}
        grads[index] = entry
        self._record(entry, named, named.tensors())
        params = [p for cell in cells_behind(call.fn) for p in cell.get_parameters()]
        self.params["grads"].append(refs(params))
        if call.graph_fn is not None:
            records.random_ops(entry, self.probes.graphs.jit_facts(call.graph_executor, call.graph_phase))
            values = closure_values(call.graph_fn)
            grad = self.rerun.eager_grad(self.ms, call.fn, values.get("grad_position"), values.get("weights"))
            grad.cells = cells_behind(call.fn)
            if self._check_eager_side("grads", index, entry, grad, call.args, lambda: params, [v for _, v in named]):
                entry.update(self.backward.entry_keys(self.ms, self.probes, self.run.compiles_hidden, self.math,
                                                      grads, grad, call.args, self.rtol, self.atol))

    def _trained(self, cell: Any) -> Optional[list]:
        """The parameters an optimizer call or a train-step call trains; None for any other cell."""
        if isinstance(cell, self._optimizer):
            return list(cell.parameters)
        if isinstance(getattr(cell, "optimizer", None), self._optimizer):
            return list(cell.optimizer.parameters)
        return None

    def forward_started(self, cell: Any, args: tuple) -> None:
        # The weights before the first step, for the experiments on a step (later steps start from the step before).
        if not self.side["steps"] and self._first_weights is None:
            trained = self._trained(cell)
            if trained is not None and wanted(cell, self._eager_side(), self.rerun.half_precision):
                self._first_weights = Snapshot(trained)  # in memory, or on disk beyond 16 MiB

    def _eager_side(self) -> bool:
        return self.run.variant == "PYNATIVE_MODE" and self.probes.mode() == "PYNATIVE_MODE"

    def _record_step(self, cell: Any, args: tuple, random_ops: bool) -> None:
        """After an optimizer or train-step call: the parameters it trained."""
        trained = self._trained(cell)
        if trained is None:
            return
        steps = self.side["steps"]
        index = len(steps)
        finite: list = []
        # Read now, on either side: the parameters change at the next step; a copy by an op costs more (performance.md).
        # What was kept is read first (this read drains the queue anyway): the budget goes in the order values came.
        self.probes.reads.flush()
        entry: dict[str, Any] = {"cell": type(cell).__name__,
                                 "leaves": self._leaves(list(zip(self.probes.names(trained), trained)), finite),
                                 "location": self.probes.user_location()}
        steps[index] = entry
        self.params["steps"].append(refs(trained))
        if self._eager_side() and not self._located and not all(finite):
            self._located = True  # the first step that leaves a trained parameter non-finite: where they start
            entry["nonfinite_start"] = self._locate_nonfinite(cell, args, trained, index, self._last_grad)
        elif self.run.variant == "GRAPH_MODE" and all(finite) and hasattr(cell, "network"):
            self._graph_step_parts(cell, args, trained, entry, index, random_ops)

    def _graph_step_parts(self, cell: Any, args: tuple, trained: list, entry: dict, index: int,
                          random_ops: bool) -> None:
        """The first train-step whose weights part from the eager twin's: the experiments of ``step_replay``."""
        twin = self._twin_of("steps", index)
        if twin is None or self._referenced:
            return
        header = {"rtol": self.rtol, "atol": self.atol}
        mine = {"header": header, **{k: {} for k in KINDS}, "steps": {0: entry}}
        theirs = {"header": header, **{k: {} for k in KINDS}, "steps": {0: twin}}
        if not differences(mine, theirs):
            return
        self._referenced = True
        before = self._weights_before(index)
        if before is not None:
            entry.update(self.step_replay.graph_step_experiments(
                self.ms, self.probes, self.run.compiles_hidden, self.math, cell, args, trained, before,
                twin["leaves"], random_ops, (self.rtol, self.atol), placed=bool(
                    (twin.get("nonfinite_start") or {}).get("phase"))))

    def _locate_nonfinite(self, cell: Any, args: tuple, trained: list, index: int,
                          last_grad: Optional[GradCall]) -> Optional[dict]:
        before = self._weights_before(index)
        if before is None or len(before) != len(trained):
            return {"phase": None, "runs": 0, "seen": [], "not_run": not_kept(index, self._first_weights)}
        subject: Optional[list] = [] if self.session.repro_dir is not None else None  # [cell, inputs, sens, weights]
        start = self.nonfinite.after_step(self.ms, self.probes, self.rerun, cell, args, trained, before, last_grad,
                                          subject)
        if start is not None and subject:
            start["repro"] = reproduce(self.session, self.run, [*subject[:2], {}], self.rtol, self.atol,
                                       sens=subject[2], weights=subject[3], top=cell)
        return start

    def _weights_before(self, index: int) -> Optional[list]:
        if index == 0:
            return self._first_weights.arrays() if self._first_weights is not None else None
        leaves = self.side["steps"][index - 1]["leaves"]
        return [self.math.decode(leaf).copy() for leaf in leaves] if all("data" in leaf for leaf in leaves) else None

    def _check_eager_side(self, kind: str, index: int, entry: dict, run: Any, args: tuple,
                          parameters: Callable[[], list], out: Any) -> bool:
        """After a mismatch with the eager twin's entry, the experiments that say which side departs and why.

        ``run(copies)`` makes the call again on copies of ``args``. Recorded on the entry: ``eager_repeatable``
        (two eager runs from one random state agree), ``host_random`` (two from another numpy and Python random state
        agree, and differ), ``eager_on_graph_inputs`` (an eager run agrees with this GRAPH_MODE side's ``out``: the
        modes compute alike on the same inputs) and, when the eager run wrote into its copies, ``graph_on_eager_writes``
        (GRAPH_MODE on the written copies gives the eager values). True on a mismatch. ``parameters()``: what the
        re-runs may change, listed only after a mismatch (a list per call costs)."""
        twin = self._twin_of(kind, index)
        if twin is None:
            return False
        header = {"rtol": self.rtol, "atol": self.atol}
        mine = {"header": header, **{k: {} for k in KINDS}, kind: {0: entry}}
        theirs = {"header": header, **{k: {} for k in KINDS}, kind: {0: twin}}
        mismatch = differences(mine, theirs)
        if not mismatch or mismatch[0]["side"] != "GRAPH_MODE":
            return False
        params = parameters()
        # MindSpore's random ops draw anew at every eager run, whatever the random state (measured on 2.10): two
        # re-runs would differ by design, and say nothing of the call.
        same = lambda a, b: self.rerun.same(self.math, a, b, self.rtol, self.atol)  # noqa: E731
        done = None if entry.get("random_ops") else self.rerun.eager_runs(self.ms, self.probes, run, args, params,
                                                                          same=same)
        if done is not None:
            runs, written = done
            entry.update(self.rerun.verdicts(runs, same))
            first = runs[0]
            entry["eager_on_graph_inputs"] = same(first, self.rerun.arrays(out))
            if written is not None and not entry["eager_on_graph_inputs"]:
                graph = self.rerun.graph_run(self.ms, self.probes, self.run.compiles_hidden, run, written, params)
                entry["graph_on_eager_writes"] = graph is not None and same(graph, first)
        cells = list(getattr(run, "cells", ()))  # what the re-run runs (set where it is made)
        if cells and self.rerun.half_precision(cells):
            entry["float32_reference"] = self.rerun.float32_reference(self.ms, self.probes, self.math, cells, run,
                                                                      args, params, out, twin["leaves"])
        return True

    def _twin_of(self, kind: str, index: int) -> Optional[dict]:
        twin = self.twin[kind].get(index) if self.twin is not None else None
        return None if twin is None or twin.get("failed") else twin

    # -- the test's end ----------------------------------------------------------------------------
    def report(self, run: TestRun) -> None:
        discard(self._first_weights)  # its folder, when the weights went to disk
        header = causes_header(run, self.rtol, self.atol)
        side = {"nodeid": run.nodeid, "header": header, **self.side}
        run.count(sum(len(entries) for entries in self.side.values()))
        if self._prints:
            run.values = reported_values(self.side, lambda name: skipped(self.session.values_skip or (), name))
        # Said, not passed over: their random streams differ between the modes by design (pairs.py skips them).
        run.count(sum(1 for call in self.side["calls"].values() if call.get("random")), unit=RANDOM_CALLS)
        if run.mode != run.variant:
            header["mislabelled"] = True
            run.emit(f"this {run.variant} variant ran in {run.mode}: its body sets the mode itself (a "
                     f"set_context(mode=ms.{run.mode}) where mode=mode was meant?), so its pair compares {run.mode} "
                     f"with {run.mode} and proves nothing about {run.variant}.",
                     fix="Fix: set the context from the test's mode argument, or leave set_context out: the plugin "
                         "starts each variant in its mode.",
                     ran_in=run.mode, labelled=run.variant)
        if run.variant == "PYNATIVE_MODE":
            self._waiting[run.pair] = {**side, "params": self.params}
        elif run.pair in self._waiting or self._last_pair[0] == run.pair:
            # Both sides ran here: compare now, so a mismatch on the graph side fails this GRAPH_MODE test.
            # A wrong eager side names a test that reported already: the end of the session fails it.
            header["compared"] = True
            eager = self._waiting.pop(run.pair) if run.pair in self._waiting else self._last_pair[1]
            self._last_pair = (run.pair, eager)
            for kind in KINDS:
                for index, entry in side[kind].items():
                    theirs = eager["params"][kind]
                    if index < len(theirs) and shares_parameters(self.params[kind][index], theirs[index]):
                        entry["shared"] = True
            header["differed"] = bool(found_here := differences(side, eager))  # compared again at the end only then
            for found in found_here:
                if found["side"] == "GRAPH_MODE":
                    run.emit(found["message"], **found["details"])
        run.record({**header, "pair": run.pair, "label": run.variant})
        for kind in KINDS:
            for index, entry in self.side[kind].items():
                run.record({"kind": kind, "index": index, "pair": run.pair, "label": run.variant, **entry})

    def compare(self, records: list, emit) -> None:
        compare_records(records, emit)
