"""Check ``mode_parity``: GRAPH_MODE must compute what PYNATIVE_MODE computes.

In a both_modes test, the outputs of every top-level Cell call are recorded in each
variant (both start from the same seed), and GRAPH_MODE's call i is compared with
PYNATIVE_MODE's call i with tolerances by dtype.

The PYNATIVE_MODE variant runs first. When the GRAPH_MODE variant ends in a process
that ran its counterpart (a serial run), they are compared at once and a mismatch
fails the GRAPH_MODE variant. When xdist ran them on different workers, their
records meet at the end of the session on the controller, which compares them
there (the same findings; with policy error the session's exit status is 1).

Calls whose GRAPH_MODE graph holds a random op (dropout, ops.standard_normal, ...)
are not compared: the two modes draw different streams from the same seed.
"""
from __future__ import annotations

import importlib
import weakref
from typing import Any, Optional

from ..findings import TestRun
from .probed import ProbedCheck

CAUSES = (
    "Usual causes: numpy or Python state read inside construct is frozen into the graph at compile "
    "time (np.random, a Python counter, a list built in Python); a Python attribute changed after the "
    "first call is not seen by the compiled graph. If the difference is numerical noise, widen the "
    "tolerance: @pytest.mark.ms_tolerance(rtol=..., atol=...)."
)


def _shares_parameters(refs: list, other: list) -> bool:
    alive = {id(p) for p in (r() for r in other) if p is not None}
    return any((p := r()) is not None and id(p) in alive for r in refs)


def _flatten(value: Any, path: str, out: list) -> None:
    if hasattr(value, "asnumpy") and hasattr(value, "dtype"):
        out.append((path or "output", value))
    elif isinstance(value, (tuple, list)):
        for i, item in enumerate(value):
            _flatten(item, f"{path}[{i}]", out)
    elif isinstance(value, dict):
        for key in sorted(value, key=str):
            _flatten(value[key], f"{path}[{key!r}]", out)
    else:
        out.append((path or "output", value))


def _relative(value: Optional[float]) -> str:
    return "n/a (the PYNATIVE_MODE values that differ are 0)" if value is None else f"{value:.3g}"


class ModeParityCheck(ProbedCheck):
    name = "mode_parity"
    description = "GRAPH_MODE computes something else than PYNATIVE_MODE for the same calls"
    default_policy = "error"
    unit = "cell calls recorded"

    def session_started(self, mindspore: Any) -> None:
        super().session_started(mindspore)
        self.math = importlib.import_module("pytest_msgraph.checks.builtin.parity_arithmetic")
        self.inspection = importlib.import_module("pytest_msgraph.mindspore_side.graph_inspection")
        self._waiting: dict = {}  # (function, variant) -> the PYNATIVE_MODE side, until its GRAPH_MODE side ends
        # The pair compared last: a retry of that GRAPH_MODE test (pytest-rerunfailures) compares again.
        self._last_pair: tuple = ((), None)

    def watches(self, run: TestRun) -> bool:
        return run.pair is not None  # only mode pairs (both_modes or adopted) have a counterpart

    def reset(self) -> None:
        self.budget = [self.run.item.config.getoption("ms_parity_max_bytes")]
        self.calls: list = []
        self.params: list = []  # per call, weak references to the cell's parameters
        self.summarized = False

    def forward_finished(self, cell: Any, args: tuple, out: Any, failed: Optional[BaseException]) -> None:
        if failed is not None:
            # The test fails on its own; a failed call has no output to compare, nor do later ones.
            self.calls.append({"cell": type(cell).__name__, "failed": type(failed).__name__, "leaves": []})
            self.params.append([])
            return
        leaves = []
        flat: list = []
        _flatten(out, "", flat)
        for path, value in flat:
            if hasattr(value, "asnumpy"):
                dtype = str(value.dtype)
                array = value.astype(self.ms.float32).asnumpy() if dtype == "BFloat16" else value.asnumpy()
                leaf = self.math.encode(array, dtype, self.budget)
                self.summarized |= "summary" in leaf
            else:
                leaf = {"dtype": type(value).__name__, "shape": [], "value": repr(value)}
            leaves.append({"path": path, **leaf})
        call: dict[str, Any] = {"cell": type(cell).__name__, "leaves": leaves}
        # Weak references, kept in this process only: a parameter object the eager variant
        # also used (a shared fixture) carries its state (trained weights, BatchNorm statistics)
        # into the graph variant, so that call is not compared.
        self.params.append([weakref.ref(p) for p in cell.get_parameters()])
        if self.probes.mode() == "GRAPH_MODE" and self._has_random_op(cell):
            call["random"] = True
        self.calls.append(call)

    def _has_random_op(self, cell: Any) -> bool:
        facts = self.probes.graphs.facts(cell)
        return facts is not None and bool(facts.random_ops)

    def report(self, run: TestRun) -> None:
        marker = run.item.get_closest_marker("ms_tolerance")
        option = run.item.config.getoption
        rtol = marker.kwargs.get("rtol") if marker else option("ms_parity_rtol")
        atol = marker.kwargs.get("atol") if marker else option("ms_parity_atol")
        header: dict[str, Any] = {"kind": "header", "calls": len(self.calls), "rtol": rtol, "atol": atol}
        side: dict[str, Any] = {"nodeid": run.nodeid, "header": header, "calls": dict(enumerate(self.calls)),
                                "params": self.params}
        key = run.pair
        run.count(len(self.calls))
        if run.mode != run.variant:
            header["mislabelled"] = True
            run.emit(f"this {run.variant} variant ran in {run.mode}: its body sets the mode itself (a "
                     f"set_context(mode=ms.{run.mode}) where mode=mode was meant?), so its pair compares {run.mode} "
                     f"with {run.mode} and proves nothing about {run.variant}. Fix: set the context from the test's "
                     "mode argument, or leave set_context out: the plugin starts each variant in its mode.",
                     ran_in=run.mode, labelled=run.variant)
        if run.variant == "PYNATIVE_MODE":
            self._waiting[key] = side
        elif key in self._waiting or self._last_pair[0] == key:
            # Both sides ran here: compare now, so a mismatch fails this GRAPH_MODE test.
            header["compared"] = True
            eager = self._waiting.pop(key) if key in self._waiting else self._last_pair[1]
            self._last_pair = (key, eager)
            for index, call in side["calls"].items():
                if index < len(eager["params"]) and _shares_parameters(self.params[index], eager["params"][index]):
                    call["shared"] = True
            self._compare_pair(side, eager, self.math,
                               lambda message, nodeid, mode, **details: run.emit(message, **details))
        run.record({**header, "pair": key, "label": run.variant})
        for index, call in enumerate(self.calls):
            run.record({"kind": "call", "index": index, "pair": key, "label": run.variant, **call})

    def compare(self, records: list, emit) -> None:
        math = importlib.import_module("pytest_msgraph.checks.builtin.parity_arithmetic")
        pairs: dict = {}
        for record in records:
            side = pairs.setdefault(record["pair"], {}).setdefault(record.get("label") or record["mode"], {"calls": {}})
            side["nodeid"] = record["nodeid"]
            if record["kind"] == "header":
                side["header"] = record
            else:
                side["calls"][record["index"]] = record
        for _, sides in sorted(pairs.items()):
            graph, pynative = sides.get("GRAPH_MODE"), sides.get("PYNATIVE_MODE")
            if not graph or not pynative or "header" not in graph or "header" not in pynative:
                continue  # one variant skipped or not run: nothing to compare
            if graph["header"].get("compared"):
                continue  # compared in the process that ran both
            self._compare_pair(graph, pynative, math, emit)

    def _compare_pair(self, graph: dict, pynative: dict, math: Any, emit) -> None:
        header = graph["header"]
        if header.get("mislabelled") or pynative["header"].get("mislabelled"):
            return  # both sides ran in one mode: the mislabelled one said so, nothing to compare
        at = {"nodeid": graph["nodeid"], "mode": "GRAPH_MODE"}
        g_count, p_count = header["calls"], pynative["header"]["calls"]
        if any(c.get("failed") for side in (graph, pynative) for c in side["calls"].values()):
            g_count = p_count = min(  # compare only up to the first failed call
                [i for side in (graph, pynative) for i, c in side["calls"].items() if c.get("failed")])
        elif g_count != p_count:
            emit(f"GRAPH_MODE made {g_count} top-level Cell call(s), PYNATIVE_MODE {p_count}: the two variants took "
                 f"different paths. {CAUSES}", graph_calls=g_count, pynative_calls=p_count, **at)
        for index in range(min(g_count, p_count)):
            g, p = graph["calls"][index], pynative["calls"][index]
            if g.get("random") or g.get("shared"):
                continue
            g_paths = [(leaf["path"], leaf["dtype"]) for leaf in g["leaves"]]
            p_paths = [(leaf["path"], leaf["dtype"]) for leaf in p["leaves"]]
            where = f"{g['cell']} call {index + 1}"
            if g_paths != p_paths:
                emit(f"{where}: the output structure differs: GRAPH_MODE gives {g_paths}, PYNATIVE_MODE {p_paths}. "
                     f"{CAUSES}", cell=g["cell"], call=index + 1, **at)
                continue
            for g_leaf, p_leaf in zip(g["leaves"], p["leaves"]):
                diff = self._leaf_difference(g_leaf, p_leaf, header, math)
                if diff is not None:
                    emit(f"{where}, {g_leaf['path']}: {diff['text']} {CAUSES}", cell=g["cell"], call=index + 1,
                         output=g_leaf["path"], difference={k: v for k, v in diff.items() if k != "text"}, **at)
                    break

    @staticmethod
    def _leaf_difference(g_leaf: dict, p_leaf: dict, header: dict, math: Any) -> Optional[dict]:
        if "value" in g_leaf:
            if g_leaf["value"] == p_leaf.get("value"):
                return None
            return {"text": f"GRAPH_MODE returns {g_leaf['value']}, PYNATIVE_MODE {p_leaf.get('value')}."}
        diff = math.compare_leaves(g_leaf, p_leaf, header["rtol"], header["atol"])
        if diff is None:
            return None
        if diff["kind"] == "dtype or shape":
            diff["text"] = f"GRAPH_MODE gives {diff['graph']}, PYNATIVE_MODE {diff['pynative']}."
        elif diff["kind"] == "summary":
            diff["text"] = (f"compared by summary (the outputs were over the per-test size cap): {diff['statistic']} "
                            f"is {diff['graph']:.6g} in GRAPH_MODE, {diff['pynative']:.6g} in PYNATIVE_MODE.")
        else:
            diff["text"] = (
                f"GRAPH_MODE differs from PYNATIVE_MODE: max abs diff {diff['max_abs']:.3g}, max rel diff "
                f"{_relative(diff['max_rel'])} ({diff['mismatched']} of {diff['size']} elements beyond "
                f"rtol={diff['rtol']:g}, "
                f"atol={diff['atol']:g}); first at index {tuple(diff['index'])}: {diff['graph']:.6g} vs "
                f"{diff['pynative']:.6g}."
            )
        return diff
