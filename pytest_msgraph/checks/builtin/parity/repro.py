"""mode_parity's repro scripts (``--ms-repro``): the sub-cell where a call's modes part, written standalone and run.

The script is cited only when it reproduces: run in a fresh interpreter it exits 1 and
says the modes part. When it does not, the finding says so and why, as far as the exit
tells, and the files stay for a person to look at.
"""
from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Optional

from ....mindspore_side.repro_script import verify, write

# The float32 tolerances of mode_parity, for a script whose header says them (a test's own are used when given).
RTOL, ATOL = 1e-4, 1e-5


def reproduce(session: Any, run: Any, subject: list, rtol: Optional[float], atol: Optional[float],
              sens: Any = None, weights: Optional[dict] = None, top: Any = None) -> Optional[dict]:
    """{"path", "reproduced", "status", "unwritten", "why"} of the repro of ``subject`` ([cell, args, kwargs] from
    localise, or the cell where non-finite values start with its inputs, and ``sens`` its output's gradient when
    they start in its backward, ``weights`` the ones it started from; ``top`` the cell the test called, whose amp
    level the script's header names), or None when no repro was asked for or nothing was localised."""
    if session.repro_dir is None or session.constructions is None or not subject:
        return None
    cell, args, kwargs = subject
    folder = session.repro_dir / re.sub(r"[^\w.-]+", "_", run.nodeid)  # no brackets: shells glob them
    about = {"test": run.nodeid, "device": session.device, "rtol": RTOL if rtol is None else rtol,
             "atol": ATOL if atol is None else atol, "root": str(_import_root(run.item.module)), "amp": _amp_level(top)}
    try:
        written = write(session.ms, session.constructions, folder, cell, args, kwargs, about, sens, weights)
    except Exception as exc:  # the finding stands without it, and says why (mode_parity's records go on)
        return {"path": str(folder), "reproduced": False, "status": None, "unwritten": [],
                "why": f"it could not be written ({type(exc).__name__}: {exc})"}
    status, printed = verify(written.script)
    reproduced = status == 1 and "the modes part" in printed
    return {"path": str(written.script), "reproduced": reproduced, "status": status, "unwritten": written.unwritten,
            "why": None if reproduced else _why(status, printed, written.unwritten)}


def _amp_level(top: Any) -> Optional[str]:
    """The amp level ``ms.amp.auto_mixed_precision`` noted on the network (``_amp_level``), inside ``top``; None."""
    levels = {getattr(sub, "_amp_level", None) for _, sub in top.cells_and_names()} if top is not None else set()
    return next((str(level) for level in sorted(levels - {None, ""}, key=str)), None)  # its sub-cells have ""


def _why(status: Optional[int], printed: str, unwritten: list) -> str:
    if unwritten:
        return f"written with None for what it could not write ({'; '.join(unwritten)})"
    if status == 0 and "non-finite gradients in" in printed:
        counts = "; ".join(line.split(" (")[0] for line in printed.splitlines() if "non-finite gradients in" in line)
        return (f"run alone from its construction, recorded inputs, weights and output gradient, its backward is not "
                f"non-finite in one mode only ({counts}): it needs state the cell alone does not hold (an attribute "
                "set after it was built), or the kernel failed in none of the runs")
    if status == 0:
        return ("run alone from its construction, recorded inputs and weights, the modes agree: the difference needs "
                "state they do not hold (an attribute set after the cell was built, a random stream, an earlier call)")
    if status is None:
        return printed
    last = [line for line in printed.strip().splitlines() if line.strip()]
    return f"the script could not run (exit {status}): {last[-2] if len(last) > 1 else (last or ['?'])[-1]}"


def _import_root(module: Any) -> Path:
    """The folder the test module was imported from: its file, up one folder per part of its dotted name."""
    folder = Path(module.__file__).resolve()
    for _ in module.__name__.split("."):
        folder = folder.parent
    return folder


def sentence(repro: Optional[dict]) -> str:
    """What the finding says of its repro, or ''."""
    if not repro:
        return ""
    if repro["reproduced"]:
        return f" Standalone repro: {repro['path']} (run in a fresh process, it exits 1: the modes part there too)."
    return f" A standalone repro in {repro['path']} does not reproduce: {repro['why']}."
