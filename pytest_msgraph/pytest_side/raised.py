"""What a variant's call raised, for mode_parity's pair verdict: what, where in the user's code, and why.

Read once, when a test's call phase raises, into ``TestRun.raised`` (plain data that
travels to the controller). The place is the innermost frame in the project (not
MindSpore, not this plugin, not an installed package), or, for a GRAPH_MODE compile
failure, the innermost construct line MindSpore names. The cause is the lint's
knowledge of the modes' semantic differences (``lint.failure_causes``), when the text
or the line matches one.
"""
from __future__ import annotations

import os
import re
import sys
from pathlib import Path
from typing import Any, Optional

import pytest

from ..lint.failure_causes import branch_join_cause, known_cause, rule_lines
from ..mindspore_side.compile_errors import construct_locations, headline, is_compile_error

_OWN_DIR = str(Path(__file__).resolve().parent.parent)
_PLACE = re.compile(r"^(.+?\.py):(\d+)")
# An exception that is an outcome, not a failure of the code: nothing to compare.
_NOT_FAILURES = (pytest.skip.Exception, pytest.xfail.Exception, KeyboardInterrupt, SystemExit)


def describe_raised(exc: BaseException, rootdir: Path) -> Optional[dict[str, Any]]:
    """{"error", "compile", "path", "line", "code", ...cause} for an exception a test's call raised; for a skip,
    an xfail or an interruption {"skipped": True}: that side checked nothing, so no verdict can rest on it."""
    if isinstance(exc, _NOT_FAILURES):
        return {"skipped": True}
    compile_error = is_compile_error(exc)
    text = headline(exc) if compile_error else (str(exc).strip().splitlines() or [""])[0]
    error = f"{type(exc).__name__}: {text}".rstrip(": ")[:300]
    place = _construct_place(exc) if compile_error else None
    path, line = place or _frame_place(exc, rootdir) or (None, None)
    joined = branch_join_cause(str(exc))
    if joined is not None:  # MindSpore names both branches: the place is the first, not the call that compiled it
        path, line = joined.pop("path"), joined.pop("line")
    cause = joined or known_cause(error, path, line) or {}
    called_at = None
    lines = rule_lines(path, cause.get("rule", "")) if compile_error else []
    if len(lines) == 1 and lines[0] != line:  # the rejected statement itself, in the file of the call that compiled it
        called_at, line = f"{os.path.relpath(str(path), rootdir)}:{line}", lines[0]
    where = f"{os.path.relpath(path, rootdir)}:{line}" if path else "(no line of the project)"
    found: dict[str, Any] = {"error": error, "compile": compile_error, "path": path, "line": line, "where": where,
                             "code": _code(path, line), "called_at": called_at, **cause}
    return found


def _construct_place(exc: BaseException) -> Optional[tuple[str, int]]:
    module = sys.modules.get("mindspore")
    internal = os.path.dirname(os.path.abspath(module.__file__)) if module is not None and module.__file__ else ""
    for location in reversed(construct_locations(exc, internal=internal)):
        match = _PLACE.match(location)
        if match:
            return match.group(1), int(match.group(2))
    return None


def _frame_place(exc: BaseException, rootdir: Path) -> Optional[tuple[str, int]]:
    root = str(rootdir.resolve())
    place = None
    tb = exc.__traceback__
    while tb is not None:
        filename = os.path.abspath(tb.tb_frame.f_code.co_filename)
        ours = filename.startswith(_OWN_DIR + os.sep) or "site-packages" in filename
        if filename.startswith(root + os.sep) and not ours:
            place = (filename, tb.tb_lineno)
        tb = tb.tb_next
    return place


def _code(path: Optional[str], line: Optional[int]) -> Optional[str]:
    try:
        return Path(path).read_text(encoding="utf-8").splitlines()[line - 1].strip() if path and line else None
    except (OSError, UnicodeDecodeError, IndexError):
        return None
