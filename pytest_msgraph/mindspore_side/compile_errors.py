"""Put MindSpore's own message first when a GRAPH_MODE compile fails.

A compile failure surfaces as a long Python traceback through MindSpore's
internals, with the one line that matters ("Unsupported statement 'Try'.")
at the very bottom, followed by C++ stacks. These functions read MindSpore's
message; ``pytest_side.compile_failures`` puts the short header they make before
the traceback.
"""
from __future__ import annotations

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


def construct_locations(exc: BaseException, limit: int = 3) -> list[str]:
    """The user-code lines MindSpore names under 'The Traceback of Net Construct Code'."""
    found = []
    lines = str(exc).splitlines()
    for i, line in enumerate(lines):
        if line.startswith("# In file "):
            code = lines[i + 1].strip() if i + 1 < len(lines) else ""
            found.append(f"{line[len('# In file '):]}: {code}")
    return found[-limit:]


def explain(exc: BaseException, om_dir: Optional[Path]) -> list[str]:
    lines = [f"msgraph: GRAPH_MODE compile failed: {type(exc).__name__}: {headline(exc)}"]
    for location in construct_locations(exc):
        lines.append(f"  at {location}")
    if om_dir is not None and (om_dir / "analyze_fail.ir").exists():
        lines.append(f"  compiler report: {om_dir / 'analyze_fail.ir'}")
    lines.append("  graph mode compiles construct once, with a subset of Python: "
                 "rewrite that construct with supported syntax")
    return lines
