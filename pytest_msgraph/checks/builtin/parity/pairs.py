"""Compare the two sides of a mode pair and word each difference by its cause (pure).

A side is what one variant recorded: ``calls`` (each top-level Cell call's outputs),
``grads`` (each grad call's gradients, named) and ``steps`` (the trained parameters
after each optimizer or train-step call), each a ``{index: entry}``, and its
``header``. Which side departs, on what evidence, and why: ``evidence``.
"""
from __future__ import annotations

from typing import Any, Callable, Iterator, Optional

from .arithmetic import GRAPH, PYNATIVE, compare_leaves
from .evidence import USUAL_CAUSES, judgement
from .outcomes import raised_in
from .repro import sentence

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
        return f"{bad['side']} gives {count} NaN or infinite value(s) where {other} is finite."
    if diff["kind"] == "summary":
        return (f"compared by summary (the values were over the per-test size cap): {diff['statistic']} is "
                f"{diff['graph']:.6g} in GRAPH_MODE, {diff['pynative']:.6g} in PYNATIVE_MODE.")
    return (f"GRAPH_MODE differs from PYNATIVE_MODE: max abs diff {diff['max_abs']:.3g}, max rel diff "
            f"{_relative(diff['max_rel'])} ({diff['mismatched']} of {diff['size']} elements beyond "
            f"rtol={diff['rtol']:g}, atol={diff['atol']:g}); first at index {tuple(diff['index'])}: "
            f"{diff['graph']:.6g} vs {diff['pynative']:.6g}.")


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
    header = {**graph["header"], "written": pynative["header"].get("written"),
              "write_places": pynative["header"].get("write_places")}
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


def _finding(side: str, message: str, entry: Optional[dict[str, Any]] = None, place: str = "",
             **details: Any) -> dict[str, Any]:
    """A difference, placed at ``place`` (the statement that is its cause) when there is one, else at the call in the
    test that made ``entry`` (its annotation goes there)."""
    path, _, line = str(place or (entry or {}).get("location") or "").rpartition(":")
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
        said = judgement(diff, g, header)
        found.append(_finding(said["side"], f"{where}: {diff['text']}{said['verdict']}{_parted(g, header)}"
                              f"{sentence(g.get('repro'))}", g, place=said["place"], fix=said["fix"],
                              evidence=said["evidence"], cell=g["cell"], call=index + 1, output=path,
                              diverges_at=g.get("diverges_at"), repro=g.get("repro"),
                              difference={k: v for k, v in diff.items() if k != "text"}))
    return found


def _parted(entry: dict[str, Any], header: dict[str, Any]) -> str:
    """Where inside the call the modes part, and the experiment that shows it, or ''.

    A frozen attribute is the place when there is one: replayed alone, its cell compiles anew with the new value
    and agrees, so the replay cannot find it, and one finding names one place."""
    frozen = _frozen_place(header)
    if frozen:
        return frozen
    at = entry.get("diverges_at")
    if not at:
        return ""
    runs = f"{at['graph_runs']} sub-cell call(s) replayed alone in GRAPH_MODE on their PYNATIVE_MODE arguments"
    if at.get("own") is False:
        return (f" No place in your code was found: {runs}, none differs, and the call where they stop, "
                f"{at['cell']}, is MindSpore's own. What differs is state a replay does not see (a value read at "
                "compile time, a draw frozen into the graph).")
    if at["path"]:
        return (f" The modes part first in '{at['path']}' ({at['cell']}, construct at {at['construct']}): the "
                f"innermost sub-cell call whose GRAPH_MODE output differs when run alone ({runs}).")
    return (f" No sub-cell call differs alone ({runs}): the modes part in {at['cell']}'s own construct "
            f"at {at['construct']}.")


def _frozen_place(header: dict[str, Any]) -> str:
    """The frozen attribute stale_attribute saw, as the place where the modes part, or ''."""
    frozen = header.get("stale_places") or []
    if not frozen:
        return ""
    first = frozen[0]
    inside = f"'{first['path']}' ({first['cell']}" if first["path"] else f"{first['cell']}'s own construct ("
    return (f" The modes part at {inside}, construct at {first['construct']}): it reads `{first['attribute']}`, "
            "which GRAPH_MODE froze when it compiled (stale_attribute compared the value at compile time with "
            "the value at this call).")


def _parted_backward(entry: dict[str, Any], header: dict[str, Any]) -> str:
    """Where inside a grad call the modes part, found by its sub-cells' backward run alone (``backward.py``): the
    place that experiment shows, else a frozen attribute's, else what was and was not compared. Eager recordings that
    part are said as such, and nothing else: the verdict convicts the eager side on them."""
    at = entry.get("diverges_at")
    if at and at.get("unrepeatable"):
        replays = f"{at['eager_runs']} eager replays from the same weights, inputs and random state"
        if at["path"] is None:
            return (f" {replays[0].upper()}{replays[1:]} part in the {at['phase']}, and no sub-cell call shows where "
                    "they first do (" + ("they made other calls" if at["phase"] == "forward" else
                                         "a weight gradient, the first layer or the differentiated function's own "
                                         "code, which are not compared") + "): an eager kernel that is not "
                    "deterministic.")
        how = ("its inputs agree and its output parts" if at["phase"] == "forward" else
               "its finite output gradients agree and its input gradients part")
        return (f" The eager {at['phase']} of {_cell_named(at)}, {_code(at)}) is not deterministic: in {replays}, it "
                f"is the innermost call, first in {at['phase']} order, where {how}.")
    if not at or (at["path"] is None and header.get("stale_places")):
        return _frozen_place(header)
    skipped = at.get("skipped") or 0
    runs = (f"{at['graph_runs']} sub-cell backward(s) run alone in GRAPH_MODE from the PYNATIVE_MODE run's inputs and "
            "output gradients" + (f"; {skipped} could not be compared: an input with no gradient (the first "
                                  "layer), keyword or non-tensor arguments, an output with no gradient, a non-finite "
                                  "output gradient, or a backward that does not run alone" if skipped else ""))
    if at["path"] is None:
        return (f" No sub-cell's input gradients part when its backward runs alone ({runs}); weight gradients are not "
                "compared this way. What differs is elsewhere: a cell not compared, the differentiated function's "
                "own code, or state a replay does not see (a value read at compile time).")
    return (f" The modes part in the backward of {_cell_named(at)}, {_code(at)}): the innermost sub-cell call whose "
            f"input gradients part when its backward runs alone ({runs}).")


def _code(at: dict[str, Any]) -> str:  # where the place's code is: its own bprop, or its construct
    return f"its bprop at {at['where']}" if at.get("kind") == "bprop" else f"construct at {at['where']}"


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
        said = judgement(diff, g, header)
        found.append(_finding(said["side"], f"{g['api']} call {index + 1} at {g['location']}, {what}: "
                              f"{diff['text']}{said['verdict']}{_parted_backward(g, header)}", g,
                              place=said["place"], fix=said["fix"], evidence=said["evidence"], gradient=name,
                              call=index + 1, diverges_at=g.get("diverges_at"),
                              difference={k: v for k, v in diff.items() if k != "text"}))
    return found


def _steps(graph: dict[str, Any], pynative: dict[str, Any], header: dict[str, Any]) -> list[dict[str, Any]]:
    """The first training step after which a parameter differs (later steps inherit it)."""
    for index, g, p, name, diff in _differing(graph, pynative, "steps", header):
        leaves = [(leaf["path"], _leaf_difference(g_leaf, leaf, header)) for g_leaf, leaf in zip(g["leaves"],
                                                                                                 p["leaves"])]
        differing = [path for path, found in leaves if found is not None] if name else []
        more = f" ({len(differing)} parameters differ then)" if len(differing) > 1 else ""
        # Non-finite values in any parameter say more than the first finite difference: they are reported too.
        nonfinite = [(path, found) for path, found in leaves
                     if found and (found.get("nonfinite") or {}).get("side") in (GRAPH, PYNATIVE)]
        extra = ""
        if nonfinite and not diff.get("nonfinite"):
            diff = {**diff, "nonfinite": nonfinite[0][1]["nonfinite"]}
            extra = _nonfinite_parameters(nonfinite, diff["nonfinite"]["side"])
        bad = (diff.get("nonfinite") or {}).get("side")
        start = (p if bad == PYNATIVE else g).get("nonfinite_start") if bad in (GRAPH, PYNATIVE) else None
        said = judgement(diff, g, header)
        # One place: where non-finite values start, when a replay found it; else where the backward parts.
        parted = "" if (start or {}).get("phase") else _parted_backward(g, header)
        return [_finding(said["side"], f"parameter '{name}' after training step {index + 1} "
                         f"({g['cell']}), the first step where the modes part{more}: {diff['text']}"
                         f"{extra}{said['verdict']}{_started(start, bad)}{parted}",
                         g, fix=said["fix"], evidence=said["evidence"], diverges_at=g.get("diverges_at"),
                         parameter=name, step=index + 1, parameters=differing,
                         nonfinite_from=(start or {}).get("path") if (start or {}).get("phase") else None,
                         nonfinite_start=start, repro=(start or {}).get("repro"),
                         difference={k: v for k, v in diff.items() if k != "text"})]
    return []


def _nonfinite_parameters(nonfinite: list[Any], side: Optional[str]) -> str:
    """The parameters ``side`` left non-finite (said when the first difference named is a finite one)."""
    named = [path for path, found in nonfinite if found["nonfinite"]["side"] == side]
    count = sum(found["nonfinite"]["graph" if side == GRAPH else "pynative"] for _, found in nonfinite
                if found["nonfinite"]["side"] == side)
    return (f" {side} left {count} NaN or infinite value(s) in {len(named)} parameter(s) "
            f"({', '.join(repr(path) for path in named)}) where the other side is finite.")


def _cell_named(place: dict[str, Any]) -> str:
    """A place as a finding names it ("'neck' (LSTM", or "Net's own code (Net" for a top cell), left open."""
    return f"'{place['path']}' ({place['cell']}" if place["path"] else f"{place['cell']}'s own code ({place['cell']}"


def _started(start: Optional[dict[str, Any]], side: Optional[str]) -> str:
    """Where the non-finite values start, as the eager experiment found it (``nonfinite.locate``), or ''."""
    if side not in (GRAPH, PYNATIVE):
        return ""
    if start is None:
        return (f" Where they start was not looked for: the experiment replays the step eagerly, and {side} is "
                "the side that went non-finite." if side == GRAPH else "")
    if start.get("not_run"):
        return f" Where they start was not looked for: {start['not_run']}."
    if start["phase"] is None and not any(start["seen"]):
        return (f" Where they start was not found: the step replayed eagerly {start['runs']} times from the same "
                "weights and inputs stayed finite each time (a nondeterministic op on that side).")
    unplaced = sum(1 for p in start["seen"] if p and p.get("unplaced"))
    if start["phase"] is None and all(p is None or p.get("unplaced") for p in start["seen"]):
        return (f" Where they start was not found: the step replayed eagerly {start['runs']} times from the same "
                f"weights and inputs went non-finite in {unplaced}, but in no sub-cell call's output or input "
                "gradients (the differentiated function's own code, a weight gradient, or a call it makes that is "
                "not a Cell).")
    if start["phase"] is None:
        places = "; ".join(("no sub-cell call (non-finite)" if p.get("unplaced") else
                            f"{p['phase']} of {_cell_named(p)})") if p else "no place (finite)"
                           for p in start["seen"])
        return (f" Where they start moves from run to run: the step replayed eagerly {start['runs']} times from the "
                f"same weights and inputs made them first in: {places} (a nondeterministic op on that side).")
    what = ("its forward output is non-finite from finite inputs" if start["phase"] == "forward" else
            "the gradient of its inputs is non-finite while the gradient of its output is finite: the backward of "
            "one of its ops made them")
    return (f" Non-finite values start in the {start['phase']} of {_cell_named(start)}, construct at "
            f"{start['construct']}): {what}, in {start['runs']} eager replays of the step from the same weights and "
            f"inputs, with every sub-cell's activations and gradients recorded.{sentence(start.get('repro'))}")
