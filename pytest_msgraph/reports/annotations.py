"""Findings as GitHub Actions annotations: ``::error file=...,line=...,title=...::message`` (pure).

Printed when ``GITHUB_ACTIONS=true`` (or ``--ms-annotations=github``), one line per
finding, at the finding's own location: the line a lint rule or a probe named (``at
t.py:12``), else the test's definition. A finding made in both variants of a mode pair
is one annotation whose title names both modes. GitHub shows at most 10 annotations of
each kind per step: the rest are counted in one plain line.

The kind tells the outcome's truth: a finding of a test that xfailed (the bug an example
demonstrates, found as expected) is a ``::notice``, never an ``::error`` on a green run; a
test that passed though marked ``xfail(strict=True)`` (``XPASS(strict)``, a failure) is an
``::error`` even with no finding. Paths are relative to ``GITHUB_WORKSPACE`` when it is set
(GitHub resolves them from the repository's root, and a project may sit in a subfolder of
it), else to the rootdir.
"""
from __future__ import annotations

import os
import re
from typing import Any, Optional

from ..checks.findings import ERROR
from .results import Results
from .terminal_text import named_tests, one_line, shape_of

LIMIT = 10  # per kind (error, warning) per step: what GitHub shows
_AT = re.compile(r"\bat ((?:[\w.-]+/)*[\w.-]+\.py):(\d+)")


def _data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _property(text: str) -> str:
    return _data(text).replace(":", "%3A").replace(",", "%2C")


def _inside(path: str, rootdir: str, base: str) -> Optional[str]:
    """``path`` (absolute, or relative to ``base``) relative to the rootdir; None when outside it."""
    full = path if os.path.isabs(path) else os.path.join(base, path)
    relative = os.path.relpath(full, rootdir)
    return None if relative.startswith("..") else relative.replace(os.sep, "/")


def location(finding: dict[str, Any], results: Results, rootdir: str, cwd: str) -> tuple[str, int]:
    """Where a finding points: its own file and line when it names one in the project, else its test's."""
    if str(finding.get("path", "")).endswith(".py") and finding.get("line"):
        path = _inside(str(finding["path"]), rootdir, cwd)
        if path:
            return path, int(finding["line"])
    match = _AT.search(finding.get("message", ""))
    if match:
        path = _inside(match.group(1), rootdir, cwd)
        if path:
            return path, int(match.group(2))
    nodeid = finding["nodeid"]
    test = results.location_of(nodeid)
    if test is not None:
        return test
    return nodeid.split("::")[0], 1


def _kind(finding: dict[str, Any], outcome: Optional[str]) -> str:
    if outcome == "xfailed":
        return "notice"  # expected: the test is marked xfail, and the run stays green
    return "error" if finding["severity"] == ERROR else "warning"


def _strict_xpasses(results: Results) -> list[dict[str, Any]]:
    """A test marked xfail(strict=True) that passed, said as a finding of its own (pytest fails it)."""
    return [{"nodeid": nodeid, "check": "xfail strict", "mode": test["mode"], "severity": ERROR,
             "message": f"{test['reason']}: the test passed though marked xfail(strict=True); what it demonstrates "
                        "no longer happens (fixed, or no longer found): remove the mark or find why"}
            for nodeid, test in sorted(results.tests.items())
            if test["outcome"] == "failed" and str(test["reason"] or "").startswith("[XPASS(strict)]")]


def _for_github(path: str, rootdir: str, workspace: Optional[str]) -> str:
    """``path`` (from the rootdir) from ``workspace``, the repository's root, when the rootdir is inside it."""
    if not workspace:
        return path
    relative = os.path.relpath(os.path.join(rootdir, path), workspace)
    return path if relative.startswith("..") else relative.replace(os.sep, "/")


def github_lines(results: Results, rootdir: str, cwd: str, workspace: Optional[str] = None) -> list[str]:
    tests = results.tests
    # One annotation per place and text: both variants of a pair, or the items of one test
    # function that trip over the same line, are one annotation whose title names them.
    merged: dict[tuple[Any, ...], dict[str, Any]] = {}
    for finding in results.sorted_findings() + _strict_xpasses(results):
        nodeid = finding["nodeid"]
        kind = _kind(finding, (tests.get(nodeid) or {}).get("outcome"))
        where = location(finding, results, rootdir, cwd)
        key = (kind, where, finding["check"], shape_of(finding["message"]))
        entry = merged.setdefault(key, {"finding": finding, "where": where, "tests": {}})
        test = (tests.get(nodeid) or {}).get("pair") or nodeid
        entry["tests"].setdefault(test, {}).setdefault(finding.get("mode") or "", nodeid)
    lines: list[str] = []
    for kind in ("error", "warning", "notice"):
        entries = [entry for key, entry in merged.items() if key[0] == kind]
        for entry in entries[:LIMIT]:
            finding, (path, line) = entry["finding"], entry["where"]
            expected = " (expected: the test is marked xfail)" if kind == "notice" else ""
            lines.append(f"::{kind} file={_property(_for_github(path, rootdir, workspace))},line={line},"
                         f"title={_property(named_tests(entry['tests']))}::"
                         + _data(f"[{finding['check']}] {one_line(finding['message'])}{expected}"))
        if len(entries) > LIMIT:
            lines.append(f"msgraph: {len(entries) - LIMIT} more {kind} annotation(s) left out (GitHub shows {LIMIT} of "
                         "each kind per step); the msgraph summary and --ms-report have every finding")
    return lines


def lines_for(results: Results, annotations: str, rootdir: Any, cwd: Optional[str] = None,
              workspace: Optional[str] = None) -> list[str]:
    """The annotation lines for ``--ms-annotations`` (``github`` or ``off``)."""
    if annotations != "github":
        return []
    return github_lines(results, str(rootdir), cwd or os.getcwd(),
                        workspace if workspace is not None else os.environ.get("GITHUB_WORKSPACE"))
