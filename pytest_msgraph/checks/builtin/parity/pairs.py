"""Compare the two sides of a mode pair and word each difference by its cause (pure).

A side is what one variant recorded: ``calls`` (each top-level Cell call's outputs),
``grads`` (each grad call's gradients, named) and ``steps`` (the trained parameters
after each optimizer or train-step call), each a ``{index: entry}``, and its
``header``. A difference says which side is wrong: the side with NaN or infinity
where the other is finite, the eager side when two eager runs of the same call
differ (``eager_repeatable`` false), else GRAPH_MODE.
"""
from __future__ import annotations

from typing import Any, Callable, Iterator, Optional

from ....core.graph_code import MODE_DEPENDENT_METHODS
from .arithmetic import GRAPH, PYNATIVE, compare_leaves
from .outcomes import raised_in

USUAL_CAUSES = (
    "Usual causes: numpy or Python state read inside construct is frozen into the graph at compile time "
    "(np.random, a Python counter, a list built in Python). If the difference is numerical noise, widen the "
    "tolerance: @pytest.mark.ms_tolerance(rtol=..., atol=...)."
)
# Tensor methods whose result differs between the modes by design, with what to say.
SEMANTICS = {name: f"{what} {fix}" for name, (what, fix) in MODE_DEPENDENT_METHODS.items()}

Emit = Callable[..., None]


def _relative(value: Optional[float]) -> str:
    return "n/a (the PYNATIVE_MODE values that differ are 0)" if value is None else f"{value:.3g}"


def difference_in_numbers(diff: dict[str, Any]) -> str:
    """One difference between two leaves, in numbers."""
    if diff["kind"] == "dtype or shape":
        return f"GRAPH_MODE gives {diff['graph']}, PYNATIVE_MODE {diff['pynative']}."
    bad = diff.get("nonfinite")
    if bad and bad["side"] != "both":
        other = GRAPH if bad["side"] == PYNATIVE else PYNATIVE
        count = bad["graph"] if bad["side"] == GRAPH else bad["pynative"]
        return (f"{bad['side']} gives {count} NaN or infinite value(s) where {other} is finite: the {bad['side']} "
                "side is the wrong one (a MindSpore defect or an overflow on that side, not a graph-mode trap).")
    if diff["kind"] == "summary":
        return (f"compared by summary (the values were over the per-test size cap): {diff['statistic']} is "
                f"{diff['graph']:.6g} in GRAPH_MODE, {diff['pynative']:.6g} in PYNATIVE_MODE.")
    return (f"GRAPH_MODE differs from PYNATIVE_MODE: max abs diff {diff['max_abs']:.3g}, max rel diff "
            f"{_relative(diff['max_rel'])} ({diff['mismatched']} of {diff['size']} elements beyond "
            f"rtol={diff['rtol']:g}, atol={diff['atol']:g}); first at index {tuple(diff['index'])}: "
            f"{diff['graph']:.6g} vs {diff['pynative']:.6g}.")


def wrong_side(diff: dict[str, Any], entry: dict[str, Any], header: dict[str, Any]) -> str:
    bad = diff.get("nonfinite")
    if bad and bad["side"] in (GRAPH, PYNATIVE):
        return str(bad["side"])
    return PYNATIVE if entry.get("eager_repeatable") is False or header.get("written") else GRAPH


def cause(header: dict[str, Any], entry: dict[str, Any], diff: dict[str, Any]) -> str:
    """Why the modes differ, when something the plugin saw says so; else the usual causes."""
    if diff.get("nonfinite") and diff["nonfinite"]["side"] != "both":
        return ""
    if header.get("written"):
        return (f"PYNATIVE_MODE wrote into a tensor its caller passed ({'; '.join(header['written'])}; see "
                "input_mutation): eagerly the write changes data the code reads afterwards, GRAPH_MODE works on a "
                "copy, so the eager side is the one that departs. Copy before writing (y = x.copy()).")
    if entry.get("eager_repeatable") is False:
        return ("PYNATIVE_MODE is not deterministic here: two eager runs of this call on the same inputs and weights "
                "gave different values, so the eager side is the one to doubt (an op that reads memory it does not "
                "own, such as a CTCLoss whose lengths exceed the predictions).")
    if header.get("stale"):
        return (f"A Python attribute changed after GRAPH_MODE compiled the graph, which still uses the old value: "
                f"{'; '.join(header['stale'])} (see stale_attribute).")
    for api in entry.get("semantics", ()):
        if api in SEMANTICS:
            return SEMANTICS[api]
    return USUAL_CAUSES


def _leaf_difference(g_leaf: dict[str, Any], p_leaf: dict[str, Any],
                     header: dict[str, Any]) -> Optional[dict[str, Any]]:
    if "value" in g_leaf:
        if g_leaf["value"] == p_leaf.get("value"):
            return None
        return {"kind": "python value", "text": f"GRAPH_MODE returns {g_leaf['value']}, PYNATIVE_MODE "
                                                f"{p_leaf.get('value')}."}
    diff = compare_leaves(g_leaf, p_leaf, header["rtol"], header["atol"])
    if diff is not None:
        diff["text"] = difference_in_numbers(diff)
    return diff


def _first_difference(g: dict[str, Any], p: dict[str, Any], header: dict[str, Any]) -> Optional[tuple[Any, Any]]:
    """(path, difference) of the first leaf that differs, ("structure", text) when the leaves differ."""
    g_paths = [(leaf["path"], leaf["dtype"]) for leaf in g["leaves"]]
    p_paths = [(leaf["path"], leaf["dtype"]) for leaf in p["leaves"]]
    if g_paths != p_paths:
        return None, {"kind": "structure", "text": f"the structure differs: GRAPH_MODE gives {g_paths}, "
                                                   f"PYNATIVE_MODE {p_paths}."}
    for g_leaf, p_leaf in zip(g["leaves"], p["leaves"]):
        diff = _leaf_difference(g_leaf, p_leaf, header)
        if diff is not None:
            return g_leaf["path"], diff
    return None


def differences(graph: dict[str, Any], pynative: dict[str, Any]) -> list[dict[str, Any]]:
    """Every difference between the two sides: {"side", "message", "details"}, in the order they happened."""
    # The eager side's writes into its inputs (recorded on its header) explain a difference: the graph side's header
    # carries the rest (tolerances, stale attributes).
    header = {**graph["header"], "written": pynative["header"].get("written")}
    if header.get("mislabelled") or pynative["header"].get("mislabelled"):
        return []  # both sides ran in one mode: the mislabelled variant said so, there is nothing to compare
    found = _first(_calls(graph, pynative, header), "call")
    found += _first(_grads(graph, pynative, header), "grad call")
    found += _steps(graph, pynative, header)
    return found


def _first(found: list[dict[str, Any]], what: str) -> list[dict[str, Any]]:
    """The first difference of a kind, with the count of the later ones: they follow from it, mostly."""
    if len(found) > 1:
        first = found[0]
        first["message"] += f" ({len(found) - 1} later {what}(s) differ too.)"
        first["details"]["later"] = len(found) - 1
    return found[:1]


def _finding(side: str, message: str, entry: Optional[dict[str, Any]] = None, **details: Any) -> dict[str, Any]:
    """A difference, placed at the call in the test that made ``entry`` (its annotation goes there)."""
    path, _, line = str((entry or {}).get("location") or "").rpartition(":")
    if path.endswith(".py") and line.isdigit():
        details.update(path=path, line=int(line))
    return {"side": side, "message": message, "details": details}


def _calls(graph: dict[str, Any], pynative: dict[str, Any], header: dict[str, Any]) -> list[dict[str, Any]]:
    found = []
    g_calls, p_calls = graph["calls"], pynative["calls"]
    g_count, p_count = len(g_calls), len(p_calls)
    failed = [i for side in (g_calls, p_calls) for i, c in side.items() if c.get("failed")]
    if failed:
        g_count = p_count = min(failed)  # compare only up to the first failed call
    elif raised_in(graph, pynative):
        pass  # a side stopped where it raised (a compile failure in a grad call): the pair verdict says so
    elif g_count != p_count:
        found.append(_finding(GRAPH, f"GRAPH_MODE made {g_count} top-level Cell call(s), PYNATIVE_MODE {p_count}: the "
                              "two variants took different paths.", fix=USUAL_CAUSES, graph_calls=g_count,
                              pynative_calls=p_count))
    for index in range(min(g_count, p_count)):
        g, p = g_calls[index], p_calls[index]
        if g.get("random") or g.get("shared"):
            continue
        first = _first_difference(g, p, header)
        if first is None:
            continue
        path, diff = first
        where = f"{g['cell']} call {index + 1}" + (f", {path}" if path else "")
        found.append(_finding(wrong_side(diff, g, header), f"{where}: {diff['text']}{_parted(g)}", g,
                              fix=cause(header, g, diff) or None, cell=g["cell"], call=index + 1, output=path,
                              diverges_at=g.get("diverges_at"),
                              difference={k: v for k, v in diff.items() if k != "text"}))
    return found


def _parted(entry: dict[str, Any]) -> str:
    """Where inside the call the modes part (mode_parity localised it after the mismatch), or ''."""
    at = entry.get("diverges_at")
    if not at:
        return ""
    if at["path"]:
        return (f" The modes part first in '{at['path']}' ({at['cell']}, construct at {at['construct']}): the "
                "innermost sub-cell whose GRAPH_MODE output differs when run alone on its PYNATIVE_MODE inputs.")
    return (f" No sub-cell differs alone on its PYNATIVE_MODE inputs: the modes part in {at['cell']}'s own construct "
            f"at {at['construct']}.")


def _differing(graph: dict[str, Any], pynative: dict[str, Any], kind: str,
               header: dict[str, Any]) -> Iterator[tuple[Any, ...]]:
    """(index, graph entry, name, difference) of each entry of a kind whose values differ, in order."""
    for index in range(min(len(graph[kind]), len(pynative[kind]))):
        g, p = graph[kind][index], pynative[kind][index]
        first = None if g.get("shared") else _first_difference(g, p, header)
        if first is not None:
            yield index, g, p, first[0], first[1]


def _grads(graph: dict[str, Any], pynative: dict[str, Any], header: dict[str, Any]) -> list[dict[str, Any]]:
    found = []
    for index, g, _, name, diff in _differing(graph, pynative, "grads", header):
        what = f"gradient of {name}" if name else "gradients"
        found.append(_finding(wrong_side(diff, g, header), f"{g['api']} call {index + 1} at {g['location']}, {what}: "
                              f"{diff['text']}", g, fix=cause(header, g, diff) or None, gradient=name, call=index + 1,
                              difference={k: v for k, v in diff.items() if k != "text"}))
    return found


def _steps(graph: dict[str, Any], pynative: dict[str, Any], header: dict[str, Any]) -> list[dict[str, Any]]:
    """The first training step after which a parameter differs (later steps inherit it)."""
    for index, g, p, name, diff in _differing(graph, pynative, "steps", header):
        leaves = [(leaf["path"], _leaf_difference(g_leaf, leaf, header)) for g_leaf, leaf in zip(g["leaves"],
                                                                                                 p["leaves"])]
        differing = [path for path, found in leaves if found is not None] if name else []
        more = f" ({len(differing)} parameters differ then)" if len(differing) > 1 else ""
        start = _nonfinite_start(leaves, wrong_side(diff, g, header))
        what = f"parameter '{name}'"
        if start:  # the layer where it starts, not the first parameter in declaration order
            what = (f"Non-finite values start at '{start[0]}' (its parameter '{start[1]}' is the last non-finite one "
                    "in declaration order, every one after it is finite: the backward went non-finite there and "
                    f"carried it to the layers before); first differing parameter '{name}'")
        return [_finding(wrong_side(diff, g, header), f"{what} after training step {index + 1} ({g['cell']}), the "
                         f"first step where the modes part{more}: {diff['text']}", g,
                         fix=cause(header, g, diff) or None, parameter=name, step=index + 1, parameters=differing,
                         nonfinite_from=start[0] if start else None,
                         difference={k: v for k, v in diff.items() if k != "text"})]
    return []


def _nonfinite_start(leaves: list[tuple[str, Optional[dict[str, Any]]]], side: str) -> Optional[tuple[str, str]]:
    """(cell, parameter) where non-finite parameters on ``side`` start, when finite ones follow them.

    Declaration order follows the forward pass in a usual network, and the backward runs it in reverse: the last
    non-finite parameter with only finite ones after it is where the backward went non-finite.
    """
    bad = [i for i, (_, found) in enumerate(leaves) if found and (found.get("nonfinite") or {}).get("side") == side]
    if not bad or bad[-1] == len(leaves) - 1 or len(bad) < 2:
        return None  # one non-finite parameter is named already; the last layer's has no finite one after it
    parameter = leaves[bad[-1]][0]
    return parameter.rpartition(".")[0] or parameter, parameter
