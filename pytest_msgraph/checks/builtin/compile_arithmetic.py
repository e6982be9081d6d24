"""Why a graph was compiled again, from the compiles one test made (pure).

A compile event is JSON data: ``{"kind": "cell" | "jit" | "grad", "what": "Net",
"group": "...", "instance": "...", "signature": [...], "seconds": 0.2, "location":
"test_x.py:12"}``. ``signature`` is shape_signatures' signature of the call's
arguments (tensors by shape and dtype, Python scalars by type and value).
"""
from __future__ import annotations

from typing import Any, Iterable, Optional

CAUSES = {
    "scalar_value": "a Python int, float or bool argument took new values; each value is a new graph.",
    "shape": "a tensor argument changed shape.",
    "dtype": "a tensor argument changed dtype.",
    "structure": "a tuple or list argument changed length or nesting.",
    "arguments": "the number of arguments changed; each count is another graph.",
    "new_instance": "identical cells are built anew, and each new instance compiles its own graph.",
    "new_function": "the grad function (ms.grad / ms.value_and_grad / GradOperation) is built anew on each "
                    "call, and each one compiles.",
    "other": "the arguments look the same; MindSpore compiled again for another reason (a changed "
             "attribute, a new phase).",
}
FIXES = {
    "scalar_value": "Fix: pass a Tensor, or ms.mutable(value).",
    "shape": "Fix: declare the dynamic dimension once with cell.set_inputs(Tensor(shape=[None, 4], dtype=...)), "
             "or pad or bucket the inputs to a few shapes.",
    "dtype": "Fix: cast the inputs to one dtype before the call.",
    "structure": "Fix: pass a fixed structure (pad the list), or a Tensor.",
    "arguments": "Fix: call it with the same arguments each time (pass a placeholder Tensor for an optional "
                 "input), or keep one function per argument list.",
    "new_instance": "Fix: build the cell once, outside the loop, and call it many times.",
    "new_function": "Fix: build it once, outside the loop.",
}
# A jit function, a closure or a method's function built anew is not "identical cells".
FUNCTION_CAUSES = {
    "new_instance": "the jit function is built anew (ms.jit applied again, a new closure or a new object "
                    "for a jitted method), and each new function object compiles its own graph.",
}
FUNCTION_FIXES = {
    "new_instance": "Fix: apply ms.jit once, outside the loop (at module level or in __init__), and call "
                    "that function many times.",
}
FIRST = "first compile"


def cause_text(cause: str, built: str = "cell") -> str:
    """What ``cause`` means for what was compiled: a cell's graph or a function's."""
    return (FUNCTION_CAUSES if built == "function" else {}).get(cause, CAUSES[cause])


def fix_text(cause: str, built: str = "cell") -> Optional[str]:
    return (FUNCTION_FIXES if built == "function" else {}).get(cause, FIXES.get(cause))


def _is_tensor(sig: Any) -> bool:
    return isinstance(sig, dict) and "shape" in sig


def _is_scalar(sig: Any) -> bool:
    return isinstance(sig, dict) and "value" in sig


def signature_change(before: Any, after: Any) -> Optional[str]:
    """The first kind of difference between two argument signatures, or None when equal."""
    if before == after:
        return None
    if isinstance(before, list) and isinstance(after, list):
        if len(before) != len(after):
            return "structure"
        changes = [signature_change(b, a) for b, a in zip(before, after)]
        for kind in ("structure", "dtype", "shape", "scalar_value", "other"):
            if kind in changes:
                return kind
        return None
    if _is_tensor(before) and _is_tensor(after):
        if before["dtype"] != after["dtype"]:
            return "dtype"
        return "shape" if len(before["shape"]) == len(after["shape"]) else "structure"
    if _is_scalar(before) and _is_scalar(after) and before.get("type") == after.get("type"):
        return "scalar_value"
    if isinstance(before, dict) and isinstance(after, dict) and set(before) == set(after) and not (
            _is_tensor(before) or _is_scalar(before)):
        return signature_change([before[k] for k in sorted(before)], [after[k] for k in sorted(after)])
    return "structure"


def cause_of(previous: dict[str, Any], event: dict[str, Any]) -> str:
    """Why ``event`` compiled again after ``previous`` (same group)."""
    before, after = previous["signature"], event["signature"]
    if isinstance(before, list) and isinstance(after, list) and len(before) != len(after):
        return "arguments"  # the call's own argument list: not a tuple that changed length
    change = signature_change(before, after)
    if change is not None:
        return change
    if previous["instance"] != event["instance"] or event["kind"] != "cell":
        return "new_function" if event["kind"] == "grad" else "new_instance"
    return "other"


def with_causes(events: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each event with its ``cause``: the first of its group is FIRST, later ones against the one before."""
    last: dict[str, dict[str, Any]] = {}
    out = []
    for event in events:
        previous = last.get(event["group"])
        out.append({**event, "cause": FIRST if previous is None else cause_of(previous, event)})
        last[event["group"]] = event
    return out


def recompiled_groups(events: Iterable[dict[str, Any]], threshold: int) -> list[dict[str, Any]]:
    """Groups compiled ``threshold`` or more times, each with its main cause, for findings."""
    groups: dict[str, list[dict[str, Any]]] = {}
    for event in with_causes(events):
        groups.setdefault(event["group"], []).append(event)
    found = []
    for members in groups.values():
        if len(members) < threshold:
            continue
        causes = [m["cause"] for m in members[1:]]
        cause = max(dict.fromkeys(causes), key=causes.count)  # the most frequent, first seen on a tie
        signatures: list[Any] = []
        for m in members:
            if m["signature"] not in signatures and len(signatures) < 3:
                signatures.append(m["signature"])
        found.append({
            "cell": members[0]["what"], "kind": members[0]["kind"], "built": members[0].get("built", "cell"),
            "compiles": len(members), "cause": cause,
            "seconds": round(sum(m["seconds"] for m in members), 6), "signatures": signatures,
            "location": members[-1]["location"], "instances": len({m["instance"] for m in members}),
        })
    return found


def slowest(entries: Iterable[dict[str, Any]], n: int = 5) -> list[dict[str, Any]]:
    return sorted(entries, key=lambda e: -e["seconds"])[:n]
