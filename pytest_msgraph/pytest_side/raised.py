"""What a variant's call raised, for mode_parity's pair verdict: what, where in the user's code, and why.

Read once, when a test's call phase raises, into ``TestRun.raised`` (plain data that
travels to the controller). The place is the innermost frame of the user's code,
wherever it lives (not MindSpore, pytest, this plugin or Python's library; an installed
model zoo's loss is the user's code), or, for a GRAPH_MODE compile
failure, the innermost construct line MindSpore names. The cause is the lint's
knowledge of the modes' semantic differences (``lint.failure_causes``), when the text
or the line matches one.
"""
from __future__ import annotations

import inspect
import os
import re
import sys
import sysconfig
from pathlib import Path
from typing import Any, Optional

import pluggy
import pytest

from ..lint.failure_causes import branch_join_cause, known_cause, rule_places
from ..mindspore_side.compile_errors import construct_locations, headline, is_compile_error

_OWN_DIR = str(Path(__file__).resolve().parent.parent)
_PLACE = re.compile(r"^(.+?\.py):(\d+)")
# An exception that is an outcome, not a failure of the code: nothing to compare.
NOT_FAILURES = (pytest.skip.Exception, pytest.xfail.Exception, KeyboardInterrupt, SystemExit)


def describe_raised(exc: BaseException, rootdir: Path) -> Optional[dict[str, Any]]:
    """{"error", "compile", "path", "line", "code", ...cause} for an exception a test's call raised; for a skip,
    an xfail or an interruption {"skipped": True}: that side checked nothing, so no verdict can rest on it."""
    if isinstance(exc, NOT_FAILURES):
        return {"skipped": True}
    compile_error = is_compile_error(exc)
    text = headline(exc) if compile_error else (str(exc).strip().splitlines() or [""])[0]
    error = f"{type(exc).__name__}: {text}".rstrip(": ")[:300]
    place = _construct_place(exc) if compile_error else None
    path, line = place or _frame_place(exc) or (None, None)
    joined = branch_join_cause(str(exc))
    if joined is not None:  # MindSpore names both branches: the place is the first, not the call that compiled it
        path, line = joined.pop("path"), joined.pop("line")
    cause: dict[str, Any] = joined or known_cause(error, path, line) or {}
    traced_from = cause.pop("failed_at", None)
    if traced_from is not None:  # the failing value was made on a line above: that line is the place
        line = cause.pop("line")
    called_at = None
    places = rule_places(path, cause.get("rule", ""), line) if compile_error else []
    if len(places) == 1 and places[0] != (str(Path(str(path)).resolve()), line):
        # The rejected statement itself, in the file of the call that compiled it or in a helper that call reaches.
        called_at = f"{os.path.relpath(str(path), rootdir)}:{line}"
        path, line = places[0]
    where = f"{os.path.relpath(path, rootdir)}:{line}" if path else "(no line of the project)"
    found: dict[str, Any] = {"error": error, "compile": compile_error, "path": path, "line": line, "where": where,
                             "code": _code(path, line), "called_at": called_at, **cause}
    if traced_from is not None:
        found["failed_at"] = f"{os.path.relpath(str(path), rootdir)}:{traced_from}"
    return found


def _construct_place(exc: BaseException) -> Optional[tuple[str, int]]:
    module = sys.modules.get("mindspore")
    internal = os.path.dirname(os.path.abspath(module.__file__)) if module is not None and module.__file__ else ""
    for location in reversed(construct_locations(exc, internal=internal)):
        match = _PLACE.match(location)
        if match:
            return match.group(1), int(match.group(2))
    return None


def _frame_place(exc: BaseException) -> Optional[tuple[str, int]]:
    """The innermost frame of the user's code, wherever it lives (an installed model zoo's loss included): outside
    MindSpore, pytest, pluggy, this plugin and Python's own library."""
    place = None
    tb = exc.__traceback__
    while tb is not None:
        filename = os.path.abspath(tb.tb_frame.f_code.co_filename)
        if not filename.startswith(_not_user_code()) and os.path.exists(filename):
            place = (filename, tb.tb_lineno)
        tb = tb.tb_next
    return place


def _not_user_code() -> tuple[str, ...]:
    dirs = [_OWN_DIR, os.path.dirname(pytest.__file__), os.path.dirname(inspect.getfile(pytest.Item)),
            os.path.dirname(pluggy.__file__), sysconfig.get_paths()["stdlib"]]
    for name in ("mindspore", "numpy"):  # only when loaded: their frames can only be in a traceback then
        module = sys.modules.get(name)
        if module is not None and module.__file__:
            dirs.append(os.path.dirname(module.__file__))
    return tuple(os.path.abspath(d) + os.sep for d in dirs)


def _code(path: Optional[str], line: Optional[int]) -> Optional[str]:
    try:
        return Path(path).read_text(encoding="utf-8").splitlines()[line - 1].strip() if path and line else None
    except (OSError, UnicodeDecodeError, IndexError):
        return None
