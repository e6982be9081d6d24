"""Failing a test after it reported: what an end-of-session comparison found.

When the two variants of a mode pair ran in different processes (xdist) or the
GRAPH_MODE variant's twin ran later, mode_parity compares them only at the end of
the session, on the controller. A test that reported ``passed`` and then fails that
comparison must read ``failed`` everywhere a user looks: the terminal's counts and
short summary, the JSON report, the matrix built from it, ``--lf``'s cache, and the
JUnit XML (``reports.junit`` rewrites it once pytest has written it).
"""
from __future__ import annotations

from typing import Any

import pytest

from ..core.nodeids import plain_nodeid
from ..reports.results import Results


def fail_tests(config: pytest.Config, results: Results, findings: list[dict[str, Any]]) -> int:
    """Turn each passed test named by an error finding into a failure; return how many."""
    messages: dict[str, list[str]] = {}
    for finding in findings:
        if finding.get("severity") == "error":
            messages.setdefault(finding["nodeid"], []).append(f"[{finding['check']}] {finding['message']}")
    failed = 0
    for nodeid, lines in sorted(messages.items()):
        if not results.fail_late(nodeid, lines[0]):
            continue  # not a test that passed: a test function across items, or it failed already
        failed += 1
        text = "\n".join(lines + [
            "(msgraph: found at the end of the session, comparing this test with its twin of the other mode, "
            "which ran in another process or later; the test had reported passed)"
        ])
        _fail_in_terminal(config, nodeid, text)
        _fail_in_lastfailed(config, nodeid)
        results.late_failures[nodeid] = text  # for the JUnit XML, written after this
    return failed


def _fail_in_terminal(config: pytest.Config, nodeid: str, text: str) -> None:
    # The terminal counts and the short summary are printed after sessionfinish from the
    # reports it keeps: move this test's call report from "passed" to "failed".
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    if reporter is None:
        return
    passed = reporter.stats.get("passed", [])
    for report in passed:
        if plain_nodeid(getattr(report, "nodeid", "")) == nodeid and report.when == "call":
            passed.remove(report)
            report.outcome = "failed"
            report.longrepr = text
            reporter.stats.setdefault("failed", []).append(report)
            if hasattr(reporter, "_set_main_color"):  # the colour of the final line follows the stats
                reporter._set_main_color()
            return


def _fail_in_lastfailed(config: pytest.Config, nodeid: str) -> None:
    plugin = config.pluginmanager.get_plugin("lfplugin")
    lastfailed = getattr(plugin, "lastfailed", None)
    if isinstance(lastfailed, dict):
        lastfailed[nodeid] = True
