"""What a mode_parity variant records of a call: its outputs flattened, the parameters behind it, and the
causes its test's other checks found (its header).

Weak references only, kept in this process: a parameter object the eager variant also
used (a shared fixture) carries its state into the graph variant, so what depends on it
is not compared.
"""
from __future__ import annotations

import weakref
from typing import Any, Callable, Optional

from ....core.graph_code import methods_called
from ....core.tensors import is_tensor
from ...facts import CompiledHook, FrozenAttribute, InputWrite
from .evidence import SEMANTICS
from .outcomes import one_sided
from .pairs import differences

KINDS = ("calls", "grads", "steps")  # what a side records: top-level Cell calls, grad calls, training steps


def refs(parameters: Any) -> list:
    """Weak references, kept in this process only: a parameter object the eager variant also used (a
    shared fixture) carries its state (trained weights, BatchNorm statistics) into the graph variant,
    so what depends on it is not compared."""
    return [weakref.ref(p) for p in parameters]


class CellFacts:
    """A top-level cell's semantics and parameter references, worked out at its first call in a test and not at
    each (0.07 ms a call on the small CNN of tests/data, measured): one object per test. Held by weak reference, so
    a cell freed and another made at its address is worked out anew."""

    def __init__(self) -> None:
        self._known: dict[int, tuple] = {}

    def of(self, cell: Any) -> tuple[list[str], list]:
        known = self._known.get(id(cell))
        if known is None or known[0]() is not cell:
            known = self._known[id(cell)] = (weakref.ref(cell), semantics(cell), refs(cell.get_parameters()))
        return known[1], known[2]


def shares_parameters(refs: list, other: list) -> bool:
    alive = {id(p) for p in (r() for r in other) if p is not None}
    return any((p := r()) is not None and id(p) in alive for r in refs)


def flatten(value: Any, path: str, out: list) -> None:
    if is_tensor(value):
        out.append((path or "output", value))
    elif isinstance(value, (tuple, list)):
        for i, item in enumerate(value):
            flatten(item, f"{path}[{i}]", out)
    elif isinstance(value, dict):
        for key in sorted(value, key=str):
            flatten(value[key], f"{path}[{key!r}]", out)
    else:
        out.append((path or "output", value))


def random_ops(entry: dict, facts: Any) -> Optional[list]:
    """The MindSpore random ops a GRAPH_MODE call's graph holds (their eager re-runs draw anew: they decide
    nothing), noted on ``entry``; None when its graph could not be read (Python fallbacks, another MindSpore): then
    ``graph_unread`` says that two eager re-runs that differ prove nothing either (evidence.judged)."""
    if facts is None:
        entry["graph_unread"] = True
        return None
    if facts.random_ops:
        entry["random_ops"] = sorted(facts.random_ops)
    return sorted(facts.random_ops)


def semantics(cell: Any) -> list[str]:
    """The mode-dependent Tensor methods the graph code of the cell's tree calls."""
    classes = {type(c) for _, c in cell.cells_and_names()}
    return sorted({api for cls in classes for api in methods_called(cls) if api in SEMANTICS})


def compare_records(records: list, emit: Callable[..., None]) -> None:
    """End of session, on the controller: compare each pair's two sides from their records, and emit what differs
    (a difference on the GRAPH_MODE side already reported in the process that ran both is left out)."""
    pairs: dict = {}
    for record in records:
        side = pairs.setdefault(record["pair"], {}).setdefault(
            record.get("label") or record["mode"], {kind: {} for kind in KINDS})
        side["nodeid"] = record["nodeid"]
        if record["kind"] == "header":
            side[record["kind"]] = record
        else:
            side[record["kind"]][record["index"]] = record
    for _, sides in sorted(pairs.items()):
        graph, pynative = sides.get("GRAPH_MODE"), sides.get("PYNATIVE_MODE")
        if not graph or not pynative or "header" not in graph or "header" not in pynative:
            continue  # one variant skipped or not run: nothing to compare
        compared = graph["header"].get("compared")
        # A pair compared whole in the process that ran both, and found alike there, is not compared again.
        found_differences = differences(graph, pynative) if not compared or graph["header"].get("differed") else []
        verdict = one_sided(graph, pynative)
        # One variant raised, its twin passed: that is the finding, on the failing side; unless a difference
        # before the raise says more (a test asserting what the modes computed differently) and no cause is known.
        if verdict is not None and (verdict["details"].get("cause") or not found_differences):
            at = graph if verdict["side"] == "GRAPH_MODE" else pynative
            emit(verdict["message"], nodeid=at["nodeid"], mode=verdict["side"], **verdict["details"])
        for found in found_differences:
            if compared and found["side"] == "GRAPH_MODE":
                continue  # reported in the process that ran both
            at = graph if found["side"] == "GRAPH_MODE" else pynative
            emit(found["message"], nodeid=at["nodeid"], mode=found["side"], **found["details"])


def causes_header(run: Any, rtol: Any, atol: Any) -> dict[str, Any]:
    """A side's header: its tolerances, how its call ended, and what stale_attribute, compiled_hooks and
    input_mutation learned in this test's call (published as they saw it): the causes a difference may have. The
    eager side's writes into its inputs explain one; the graph side's do not."""
    frozen = run.facts_of(FrozenAttribute)
    header: dict[str, Any] = {"kind": "header", "rtol": rtol, "atol": atol,
                              "stale": [fact.words() for fact in frozen], "raised": run.raised,
                              "stale_places": [{"path": fact.path, "cell": fact.cell, "attribute": fact.attribute,
                                                "construct": fact.construct} for fact in frozen],
                              "hooks": [fact.words() for fact in run.facts_of(CompiledHook)]}
    writes = [fact for fact in run.facts_of(InputWrite) if fact.mode == run.variant]
    if writes:  # this side's own writes into its inputs: a cause the experiments may confirm
        eager = run.variant == "PYNATIVE_MODE"
        header["written" if eager else "graph_written"] = [fact.words() for fact in writes]
        header["write_places" if eager else "graph_write_places"] = [fact.written_at for fact in writes
                                                                     if fact.written_at]
        # Each write whole (words, place, what the caller passed), for the verdict when this side alone fails.
        header["own_writes"] = [{"words": fact.words(), "place": fact.written_at, "passed": fact.passed}
                                for fact in writes]
    return header


def tolerances(run: Any) -> tuple:
    """(rtol, atol) for the test: its ms_tolerance marker's, else the options' (None: by dtype)."""
    marker = run.item.get_closest_marker("ms_tolerance")
    option = run.item.config.getoption
    if marker:
        return marker.kwargs.get("rtol"), marker.kwargs.get("atol")
    return option("ms_parity_rtol"), option("ms_parity_atol")
