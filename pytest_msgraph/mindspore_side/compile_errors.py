"""Put MindSpore's own message first when a GRAPH_MODE compile fails.

A compile failure surfaces as a long Python traceback through MindSpore's
internals, with the one line that matters ("Unsupported statement 'Try'.")
at the very bottom, followed by C++ stacks. These functions read MindSpore's
message; ``pytest_side.compile_failures`` puts the short header they make before
the traceback.
"""
from __future__ import annotations

import os
import re
import sys
from pathlib import Path
from typing import Optional

_MARKERS = ("The Traceback of Net Construct Code", "analyze_fail.ir", "More details please refer to syntax support")


def is_compile_error(exc: BaseException) -> bool:
    text = str(exc)
    return any(marker in text for marker in _MARKERS)


def headline(exc: BaseException) -> str:
    """MindSpore's message: the lines before its first dashed separator."""
    lines = []
    for line in str(exc).splitlines():
        if line.startswith("-----"):
            break
        if line.strip() and not line.startswith("More details please refer"):
            lines.append(line.strip())
    return " ".join(lines) or type(exc).__name__


# MindSpore writes "# In file f.py:12" (a syntax error) or "# 0 In file f.py:16, 15~28" (MindSpore 2.10,
# a failed type inference: numbered from the outermost call to the innermost).
_IN_FILE = re.compile(r"^# (?:\d+ )?In file (.+)$")


def construct_locations(exc: BaseException, limit: int = 3, internal: str = "") -> list[str]:
    """The user-code lines MindSpore names under 'The Traceback of Net Construct Code', innermost last.

    Lines in files under ``internal`` (MindSpore's own package) are left out.
    """
    found = []
    lines = str(exc).splitlines()
    for i, line in enumerate(lines):
        match = _IN_FILE.match(line)
        if match is None or (internal and match.group(1).startswith(internal)):
            continue
        code = lines[i + 1].strip() if i + 1 < len(lines) else ""
        found.append(f"{match.group(1)}: {code}")
    return found[-limit:]


def _mindspore_dir() -> str:
    module = sys.modules.get("mindspore")
    return os.path.dirname(os.path.abspath(module.__file__)) if module is not None and module.__file__ else ""


def explain(exc: BaseException, om_dir: Optional[Path]) -> list[str]:
    lines = [f"msgraph: GRAPH_MODE compile failed: {type(exc).__name__}: {headline(exc)}"]
    for location in construct_locations(exc, internal=_mindspore_dir()):
        lines.append(f"  at {location}")
    if om_dir is not None and (om_dir / "analyze_fail.ir").exists():
        lines.append(f"  compiler report: {om_dir / 'analyze_fail.ir'}")
    lines.append("  graph mode compiles construct once, with a subset of Python: "
                 "rewrite that construct with supported syntax")
    return lines
