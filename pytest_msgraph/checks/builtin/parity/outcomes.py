"""The pair verdict when one variant raises and its twin passes (pure).

Each side's header carries ``raised`` (set by the plugin when the call raised: the
error, the failing line in the user's code, and a known cause when the lint's
knowledge of the modes matched it). One side raising while the other ran to its end
is a mode difference in itself: the verdict names the failing mode, where and what,
and the cause with its fix when one is known, else both outcomes side by side.
"""
from __future__ import annotations

import re
from typing import Any, Optional

MODES = ("GRAPH_MODE", "PYNATIVE_MODE")
HOOK_FIX = ("Return what the hook captures from construct (return out, feature), or run the capturing pass in "
            "PYNATIVE_MODE.")
WRITE_FIX = ("Write into a copy (target = label.copy(); ops.cast to the same dtype returns the tensor itself), so "
             "that the caller's tensor stays as it was in both modes.")
WRITTEN = {"GRAPH_MODE": "graph_written", "PYNATIVE_MODE": "written"}  # the header key of a side's own writes


def one_sided(graph: dict[str, Any], pynative: dict[str, Any]) -> Optional[dict[str, Any]]:
    """{"side", "message", "details"} when exactly one side raised; None otherwise."""
    raised = {mode: side["header"].get("raised") for mode, side in zip(MODES, (graph, pynative))}
    if any(what and what.get("skipped") for what in raised.values()):
        return None  # a side that skipped (or xfailed, or was interrupted) passed nothing to compare with
    failing = [mode for mode in MODES if raised[mode]]
    if len(failing) != 1:
        return None
    bad = failing[0]
    good = MODES[1 - MODES.index(bad)]
    what = raised[bad]
    stage = "fails to compile" if what.get("compile") else "raises"
    code = f" (`{what['code']}`)" if what.get("code") else ""
    via = f", compiled from {what['called_at']}" if what.get("called_at") else ""
    if what.get("failed_at"):  # the place is the line that made the failing value
        via += f", which made the value that fails at {what['failed_at']}"
    message = f"{bad} {stage} where {good} passes: {what['error'].rstrip('.')} at {what['where']}{code}{via}."
    details: dict[str, Any] = {"failing_mode": bad, "passing_mode": good, "error": what["error"],
                               "path": what.get("path"), "line": what.get("line"), "failed_at": what.get("failed_at")}
    hooks = graph["header"].get("hooks")
    if not what.get("cause") and hooks:  # a compiled hook's Python ran on one side only: what it captured differs
        what = {**what, "rule": "compiled_hooks", "fix": HOOK_FIX,
                "cause": (f"GRAPH_MODE compiled {'; '.join(hooks)}, into the graph and never ran its Python (see "
                          "compiled_hooks): what a hook captures, counts or logs is there in PYNATIVE_MODE only.")}
    if not what.get("cause"):
        what = _own_write(what, bad, dict(zip(MODES, (graph["header"], pynative["header"]))), details)
    if what.get("cause"):
        message += f" Cause: {what['cause']}"
        details.update(rule=what.get("rule"), cause=what["cause"], fix=what.get("fix"))
    else:
        details["fix"] = (f"No known semantic difference between the modes matches that line: the outcomes side by "
                          f"side are {bad} {what['error']}, {good} passed. Run the test alone in each mode "
                          "(-k) and compare what reaches that line.")
    return {"side": bad, "message": message, "details": details}


def _own_write(what: dict[str, Any], bad: str, headers: dict[str, Any], details: dict[str, Any]) -> dict[str, Any]:
    """The failing side's own write into a caller's tensor as the cause: input_mutation measured it (the caller's
    tensor compared before and after the call), the passing side made none, and the failing line reads what the
    caller passed there (``label``, read from the call's line). Placed at the write. Not for a compile failure."""
    good = MODES[1 - MODES.index(bad)]
    code = what.get("code") or ""
    if what.get("compile") or headers[good].get(WRITTEN[good]):
        return what
    read = [write for write in headers[bad].get("own_writes") or ()
            if write["passed"] and re.search(rf"(?<![\w.]){re.escape(write['passed'])}(?!\w)", code)]
    if not read:
        return what
    path, _, line = read[0]["place"].rpartition(":")
    if path and line.isdigit():
        details.update(path=path, line=int(line))
    return {**what, "rule": "input_mutation", "fix": WRITE_FIX,
            "cause": (f"input_mutation saw {read[0]['words']} in {bad} only (the caller's `{read[0]['passed']}`, "
                      f"compared before and after the call, holds other values after it; {good} leaves it alone), "
                      "and the failing line reads it.")}


def raised_in(graph: dict[str, Any], pynative: dict[str, Any]) -> bool:
    """Whether either side's call raised: what it recorded stops there, and a count difference follows from it."""
    return bool(graph["header"].get("raised") or pynative["header"].get("raised"))
