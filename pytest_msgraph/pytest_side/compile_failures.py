"""GRAPH_MODE compile failures: MindSpore's own message first, with the place and the advice.

A compile failure's traceback runs through MindSpore's internals and ends in C++
stacks; the header put before it here names the error, the user's construct lines
and the compiler's report file, and the crash line pytest shows becomes MindSpore's
message.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Optional

import pytest
from _pytest._code.code import ExceptionRepr, ReprEntryNative

from ..core.modes import Mode
from ..mindspore_side.compile_errors import explain, is_compile_error
from .state import PluginState


def explain_compile_failure(item: pytest.Item, report: Any, call_info: Any, data: dict,
                             state: PluginState) -> None:
    """Graph-syntax advice for an error of graph compilation itself, not one eager code raises too.

    An op's ValueError (a bad reshape) also arrives through the compiler in GRAPH_MODE; when
    the PYNATIVE_MODE twin of the pair raised the same kind of error, MindSpore's own
    message is the right one and is left alone. Each GRAPH_MODE call report takes its
    twin's entry, failed or not, so the record of eager failures never outgrows a pair.
    """
    excinfo = call_info.excinfo
    pair = data.get("pair") if call_info.when == "call" else None  # twins are compared on their call phase
    failed = report.failed and excinfo is not None
    if data["mode"] == Mode.PYNATIVE_MODE.name:
        if pair is not None and failed:
            state.eager_failures[pair] = type(excinfo.value).__name__
        return
    eager_error = state.eager_failures.pop(pair, None) if pair is not None else None
    if data["mode"] != Mode.GRAPH_MODE.name or not failed or not is_compile_error(excinfo.value):
        return
    if eager_error == type(excinfo.value).__name__:
        return
    om_dir = state.ms.om_dir(item.nodeid) if state.ms is not None else None
    rewrite_report(report, excinfo.value, om_dir)


def rewrite_report(report: Any, exc: BaseException, om_dir: Optional[Path]) -> None:
    longrepr = report.longrepr
    if not isinstance(longrepr, ExceptionRepr):
        return
    header = explain(exc, om_dir)
    entries = longrepr.reprtraceback.reprentries
    longrepr.reprtraceback.reprentries = [ReprEntryNative([line + "\n" for line in header]), *entries]
    if longrepr.reprcrash is not None:
        longrepr.reprcrash.message = header[0][len("msgraph: "):]
