"""Which side of a mode pair departs from the code, on what evidence, and why (pure).

A difference says which side is wrong only on evidence, and names it: two eager re-runs
that differ (``eager_repeatable`` false) doubt the eager side, when the GRAPH_MODE graph
could be read and holds no MindSpore random op (``graph_unread``: it may); a frozen attribute
(stale_attribute), a draw from numpy's or Python's random state (an eager re-run from
another state differs: ``host_random``) or a GRAPH_MODE write into an input convicts
GRAPH_MODE; an eager write into an input convicts PYNATIVE_MODE only when an experiment
shows the write is what differs (``eager_on_graph_inputs``: the eager re-run on unwritten
copies gives GRAPH_MODE's values; ``graph_on_eager_writes``: GRAPH_MODE on the written
copies gives the eager values); a side alone non-finite is wrong when nothing points the
other way. Where nothing decides, the finding says so and GRAPH_MODE is failed.
"""
from __future__ import annotations

from typing import Any, Optional

from ....core.graph_code import MODE_DEPENDENT_METHODS
from .arithmetic import GRAPH, PYNATIVE

USUAL_CAUSES = (
    "Usual causes: numpy or Python state read inside construct is frozen into the graph at compile time "
    "(np.random, a Python counter, a list built in Python). If the difference is numerical noise, widen the "
    "tolerance: @pytest.mark.ms_tolerance(rtol=..., atol=...)."
)
# Tensor methods whose result differs between the modes by design, with what to say.
SEMANTICS = {name: f"{what} {fix}" for name, (what, fix) in MODE_DEPENDENT_METHODS.items()}


def judged(diff: dict[str, Any], entry: dict[str, Any], header: dict[str, Any]) -> tuple[str, str, str]:
    """(side that departs from the code, basis, words): the basis names the experiment or fact that shows it
    ("unrepeatable", "frozen_attribute", "host_random", "eager_write", "hook", "graph_write", "float32_reference",
    "nonfinite"), or is ''
    when nothing decides (GRAPH_MODE then, and no words).

    Evidence pointing at a side outranks a non-finite side: a frozen attribute makes GRAPH_MODE the one that departs
    even where the eager side, obeying the changed code, goes NaN."""
    if _unrepeatable(entry):
        return PYNATIVE, "unrepeatable", ("PYNATIVE_MODE is not deterministic here: two eager re-runs of this call on "
                                          "the same inputs and weights gave different values")
    if header.get("stale"):
        return GRAPH, "frozen_attribute", (f"stale_attribute saw {'; '.join(header['stale'])} after GRAPH_MODE "
                                           "compiled the graph, which still uses the old value while PYNATIVE_MODE "
                                           "runs the code as it now reads")
    if entry.get("host_random"):
        return GRAPH, "host_random", ("re-run eagerly from another numpy and Python random state, the call gives other "
                                      "values (and the same twice from each state): it draws from that state, which "
                                      "GRAPH_MODE froze into the graph at compile time")
    if header.get("written") and entry.get("eager_on_graph_inputs"):
        return PYNATIVE, "eager_write", ("re-run eagerly on unwritten copies of the GRAPH_MODE side's inputs, the call "
                                         "gives GRAPH_MODE's values: the modes compute alike, and PYNATIVE_MODE's "
                                         "write into its input is what differs")
    if header.get("written") and entry.get("graph_on_eager_writes"):
        return PYNATIVE, "eager_write", ("run in GRAPH_MODE on the values an eager re-run wrote into its copies of the "
                                         "inputs, the call gives the eager values: the modes compute alike, and "
                                         "PYNATIVE_MODE's write into its input, read back in the same call, is what "
                                         "differs")
    if header.get("hooks"):
        return GRAPH, "hook", (f"compiled_hooks saw {'; '.join(header['hooks'])}, and GRAPH_MODE does not run that as "
                               "the code says (measured on 2.7.2 and 2.10)")
    if header.get("graph_written"):
        return GRAPH, "graph_write", (f"input_mutation saw GRAPH_MODE write into a tensor its caller passed "
                                      f"({'; '.join(header['graph_written'])}), which the calls after it read")
    reference = _reference(entry)
    if reference and not diff.get("nonfinite"):
        near, far = sorted((GRAPH, PYNATIVE), key=lambda side: reference[side])
        if reference[far] > 2 * reference[near]:
            return far, "float32_reference", (f"the same call run eagerly in float32 on copies lands "
                                              f"{reference[near]:.3g} from {near} and {reference[far]:.3g} from "
                                              f"{far}: {far} is the farther from the float32 reference")
    bad = diff.get("nonfinite")
    if bad and bad["side"] in (GRAPH, PYNATIVE):
        return str(bad["side"]), "nonfinite", (f"{bad['side']} alone has non-finite values, and no frozen attribute, "
                                               "input write or unrepeatable eager run points at the other side (a "
                                               "MindSpore defect or an overflow on that side, not a graph-mode trap)")
    return GRAPH, "", ""


def _unrepeatable(entry: dict[str, Any]) -> bool:
    """Two eager re-runs differ, and that proves the eager side unrepeatable: only when the GRAPH_MODE call's graph
    was read and holds no MindSpore random op (those draw anew at every eager run; unread, they may be there)."""
    return entry.get("eager_repeatable") is False and not entry.get("graph_unread")


def _reference(entry: dict[str, Any]) -> Optional[dict[str, float]]:
    """The float32 reference's distances, when both were measured (a report read back may hold nulls)."""
    reference = entry.get("float32_reference") or {}
    if all(isinstance(reference.get(side), (int, float)) for side in (GRAPH, PYNATIVE)):
        return reference
    return None


Judgement = tuple[str, str, str]  # what ``judged`` says: (side, basis, words)


def judgement(diff: dict[str, Any], entry: dict[str, Any], header: dict[str, Any]) -> dict[str, Any]:
    """What a finding says of one difference, from one judgement: the side that departs, the sentence that says so
    (``verdict``), the fix (``cause``), the evidence's name and the place of its cause (``cause_place``)."""
    said = judged(diff, entry, header)
    return {"side": said[0], "verdict": verdict(diff, entry, header, said), "fix": cause(header, entry, diff, said)
            or None, "evidence": said[1] or None, "place": cause_place(header, entry, diff, said)}


def verdict(diff: dict[str, Any], entry: dict[str, Any], header: dict[str, Any],
            said: Optional[Judgement] = None) -> str:
    """The sentence that says which side is wrong and on what evidence, or that nothing decided it."""
    side, basis, evidence = said or judged(diff, entry, header)
    reference = _reference(entry)
    also = ""
    if reference and basis != "float32_reference":  # measured too: said beside the evidence that decided
        also = (f" (the same call run eagerly in float32 lands {reference[GRAPH]:.3g} from GRAPH_MODE and "
                f"{reference[PYNATIVE]:.3g} from PYNATIVE_MODE)")
    if evidence:
        return f" The {side} side is the wrong one: {evidence}{also}."
    if entry.get("random_ops"):
        return (f" Nothing the plugin saw or ran decides which side is wrong: the call's graph holds MindSpore random "
                f"ops ({', '.join(entry['random_ops'])}), which draw anew at every eager run, so re-running it eagerly "
                "cannot tell a frozen numpy or Python draw, or an unrepeatable kernel, from them (no frozen attribute, "
                "input write or non-finite side either): the GRAPH_MODE variant is failed, and both sides are shown.")
    if entry.get("eager_repeatable") is False:  # and the graph unread: a random op or an unrepeatable kernel
        return (" Nothing the plugin saw or ran decides which side is wrong: two eager re-runs of the call on the same "
                "inputs and weights differ, but its GRAPH_MODE graph could not be read (a Python fallback in it, or "
                "another MindSpore), so the plugin cannot tell whether it holds MindSpore random ops (which draw anew "
                "at every eager run) or the eager kernel is not deterministic: the GRAPH_MODE variant is failed, and "
                "both sides are shown.")
    if reference:  # measured, and said, though neither side is twice as far as the other
        also = (f", and the same call run eagerly in float32 lands {reference[GRAPH]:.3g} from GRAPH_MODE and "
                f"{reference[PYNATIVE]:.3g} from PYNATIVE_MODE, neither twice as far as the other")
    elif "float32_reference" in entry:
        also = ", and the same call run eagerly in float32 could not be compared with both sides"
    return (" Nothing the plugin saw or ran decides which side is wrong (no frozen attribute, frozen random draw, "
            f"input write, non-finite side or unrepeatable eager run{also}): the GRAPH_MODE variant is failed, and "
            "both sides are shown.")


def cause(header: dict[str, Any], entry: dict[str, Any], diff: dict[str, Any],
          said: Optional[Judgement] = None) -> str:
    """Why the modes differ, when something the plugin saw or ran says so; else the usual causes."""
    side, basis, _ = said or judged(diff, entry, header)
    if _unrepeatable(entry) and "float32_reference" in entry:
        return ("A half-precision op whose eager kernel is not deterministic (MindSpore 2.10's CPU float16 LSTM "
                "backward is one): keep that cell in float32 (cell.to_float(ms.float32), or amp's black list), or "
                "train it in GRAPH_MODE.")
    if _unrepeatable(entry):
        return ("An op that reads memory it does not own, such as a CTCLoss whose lengths exceed the predictions, "
                "gives another value at each eager run: fix the inputs it reads.")
    if basis == "float32_reference":
        return (f"Half precision rounds differently on the {side} side: keep the cells that part in float32 "
                "(cell.to_float(ms.float32), or amp's black list), or widen the tolerance for float16: "
                "@pytest.mark.ms_tolerance(rtol=..., atol=...).")
    if header.get("stale"):
        return ("Pass the attribute to construct as a Tensor (or ms.mutable(value)) so that the graph reads it at each "
                "call, or set it before the first call and build the cell again (see stale_attribute).")
    if entry.get("host_random"):
        return ("Draw with MindSpore's own random ops (ops.randn_like, ops.uniform, nn.Dropout), which run at each "
                "call in both modes, or pass the numpy draw in as an input.")
    if entry.get("eager_repeatable") is False:  # and the graph unread
        return ("If the call draws with MindSpore's random ops (nn.Dropout in training, ops.uniform), the eager "
                "re-runs differ by design and prove nothing: take the Python fallback out of construct (numpy on a "
                "tensor, print) so that the plugin can read the graph, or compare the call in eval (set_train(False)).")
    if side == PYNATIVE and header.get("written"):
        return (f"PYNATIVE_MODE wrote into a tensor its caller passed ({'; '.join(header['written'])}; see "
                "input_mutation): eagerly the write changes data the code reads afterwards, GRAPH_MODE works on a "
                "copy. Copy before writing (y = x.copy()).")
    if header.get("hooks"):
        return ("Return what a hook captures from construct, or apply a SequentialCell member's hook in a construct of "
                "your own (or run the hooked pass in PYNATIVE_MODE); see compiled_hooks.")
    if header.get("graph_written"):
        return (f"GRAPH_MODE wrote into a tensor its caller passed ({'; '.join(header['graph_written'])}; see "
                "input_mutation): x += ... on an input writes back in GRAPH_MODE only. Bind the result to a new name "
                "(y = x + 1).")
    if basis and diff.get("nonfinite"):
        return ""
    unproven = ""
    if header.get("written"):
        unproven = (f"PYNATIVE_MODE wrote into its input ({'; '.join(header['written'])}), but that is not why: "
                    + ("re-run eagerly on unwritten copies of the GRAPH_MODE side's inputs, the call still differs. "
                       if entry.get("eager_on_graph_inputs") is False and not entry.get("graph_on_eager_writes")
                       else
                       "no re-run on unwritten copies could be made here to show it is. "))
    for api in entry.get("semantics", ()):
        if api in SEMANTICS:
            return unproven + SEMANTICS[api]
    return unproven + USUAL_CAUSES


def cause_place(header: dict[str, Any], entry: dict[str, Any], diff: dict[str, Any],
                said: Optional[Judgement] = None) -> str:
    """``file.py:12`` of the statement that is the cause, when it is an input write the evidence names; else ''."""
    basis = (said or judged(diff, entry, header))[1]
    places = {"eager_write": header.get("write_places"), "graph_write": header.get("graph_write_places")}.get(basis)
    return places[0] if places else ""
