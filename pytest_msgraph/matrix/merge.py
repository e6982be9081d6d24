"""Merge ``--ms-report`` files from several runs into one compliance matrix (pure data).

A row per test (its parameters kept, its mode taken out), a column per device, mode and
jit level, each cell the outcome, the checks that flagged it and, for a failure, the
one-line reason; totals per column. Beside the table: collection errors, reports that
are incomplete, tests found in two reports of one column, and, against a baseline
(``baseline``), the regressions, the baseline rows that match nothing and the
columns not compared. Rendering is in ``markdown`` and ``html``; the command
in ``cli``.
"""
from __future__ import annotations

from typing import Any, Optional

from ..core.signatures import split_nodeid
from ..reports.json_report import REPORT_VERSION

DEVICE_ORDER = {"CPU": 0, "GPU": 1, "Ascend": 2}
# When runs overlap in a cell, the most telling outcome wins; "skipped" means "not run here", and
# "unavailable" that the runner lacked the device (--ms-device-unavailable=skip): no verdict at all.
OUTCOME_RANK = {"error": 8, "failed": 7, "interrupted": 6, "xpassed": 5, "passed": 4, "xfailed": 3, "skipped": 2,
                "unavailable": 1, "not run": 0}
FAILING = ("failed", "error")
NOT_RAN = ("skipped", "unavailable", "not run")
SHOWN = {"unavailable": "not run (device unavailable)"}  # outcomes said otherwise than their name


def column_of(report: dict[str, Any], test: dict[str, Any], by_release: bool = False) -> dict[str, Any]:
    """The test's column: device, mode, jit level, and the MindSpore release when the reports merged hold several."""
    device = test.get("device") or report.get("device") or "unknown"
    mode = test.get("mode") or "unknown"
    level = report.get("jit_level") if mode == "GRAPH_MODE" else None  # it only shapes compiled graphs
    release = report.get("mindspore") if by_release else None
    label = f"{device} {mode}" + (f" {level}" if level else "") + (f" (MindSpore {release})" if release else "")
    return {"key": label, "device": device, "mode": mode, "jit_level": level, "release": release}


def _flagged(report: dict[str, Any]) -> dict[Any, set[Any]]:
    """Per-test findings by nodeid; cross-test ones (a test function in one mode) by (function, mode)."""
    flagged: dict[Any, set[Any]] = {}
    for finding in report.get("findings", ()):
        nodeid = finding.get("nodeid")
        key = nodeid if "[" in nodeid or finding.get("mode") is None else (nodeid, finding["mode"])
        flagged.setdefault(key, set()).add(finding.get("check"))
    return flagged


def _incompleteness(report: dict[str, Any], name: str) -> Optional[dict[str, Any]]:
    if report.get("complete", True):
        return None
    outcomes = [t["outcome"] for t in report["tests"]]
    return {"report": name, "interrupted": report.get("interrupted"),
            "not_run": outcomes.count("not run"), "interrupted_tests": outcomes.count("interrupted"),
            "collection_errors": len(report.get("collection_errors", ()))}


def build_matrix(reports: list[dict[str, Any]], names: Optional[list[str]] = None) -> dict[str, Any]:
    """The matrix of ``reports`` (``names``: where each came from, for what it lists beside the table)."""
    names = names or [f"report {i + 1}" for i in range(len(reports))]
    columns: dict[str, dict[str, Any]] = {}
    rows: dict[str, dict[str, dict[str, Any]]] = {}
    # (row, column) -> the reports that ran that test: two shards that both ran it, say.
    sources: dict[tuple[str, str], list[tuple[int, str]]] = {}
    errors, incomplete = [], []
    by_release = len({report.get("mindspore") for report in reports}) > 1  # a column per release then
    for index, (report, name) in enumerate(zip(reports, names)):
        flagged = _flagged(report)
        errors += [{"report": name, **error} for error in report.get("collection_errors", ())]
        incomplete += [entry for entry in [_incompleteness(report, name)] if entry]
        environment = {"mindspore": report.get("mindspore"), **report.get("environment", {})}
        unavailable = report.get("device_available") is False
        if unavailable:
            environment["device_available"] = False
        for test in report["tests"]:
            if test.get("mode") is None:
                continue  # a lint item (it reads source, the same everywhere), or a test never reached
            column = column_of(report, test, by_release)
            entry = columns.setdefault(column["key"], {**column, "environments": []})
            if environment not in entry["environments"]:
                entry["environments"].append(environment)
            # A mode pair (both_modes, or an adopted parametrize('mode', [0, 1])) is one row.
            base, variant = split_nodeid(test["nodeid"], column["mode"])
            row = test.get("pair") or base + (f"[{variant}]" if variant else "")
            checks = flagged.get(test["nodeid"], set()) | flagged.get((base, column["mode"]), set())
            outcome = "unavailable" if unavailable and test["outcome"] == "skipped" else test["outcome"]
            cell: dict[str, Any] = {"outcome": outcome, "checks": sorted(checks)}
            if test["outcome"] in FAILING and test.get("reason"):
                cell["reason"] = test["reason"]
            if test.get("values"):  # what it computed (report version 3), compared by matrix/values
                cell["values"] = test["values"]
            if test["outcome"] not in NOT_RAN:  # a variant --ms-modes skipped in one report ran in another
                sources.setdefault((row, column["key"]), []).append((index, f"{name}: {test['nodeid']}"))
            old = rows.setdefault(row, {}).get(column["key"])
            if old is None or OUTCOME_RANK.get(cell["outcome"], 0) > OUTCOME_RANK.get(old["outcome"], 0):
                rows[row][column["key"]] = cell
            elif old["outcome"] == cell["outcome"]:
                old["checks"] = sorted(set(old["checks"]) | set(cell["checks"]))
    ordered = sorted(columns.values(), key=lambda c: (DEVICE_ORDER.get(c["device"], 9), c["device"], c["mode"],
                                                      c["jit_level"] or "", _release_order(c["release"])))
    totals: dict[str, dict[str, int]] = {c["key"]: {} for c in ordered}
    for cells in rows.values():
        for key, cell in cells.items():
            totals[key][cell["outcome"]] = totals[key].get(cell["outcome"], 0) + 1
    duplicates = [{"test": row, "column": key, "in": [where for _, where in found]}
                  for (row, key), found in sorted(sources.items()) if len({index for index, _ in found}) > 1]
    return {
        "version": REPORT_VERSION,
        "columns": ordered,
        "rows": [{"test": row, "cells": rows[row]} for row in sorted(rows)],
        "totals": totals,
        "regressions": [],
        "duplicates": duplicates,
        "collection_errors": errors,
        "incomplete": incomplete,
        "unmatched_baseline": [],
        "not_compared": [],
        "value_differences": [],
        "values_not_compared": [],
        "tests_not_compared_by_value": [],
        "value_regressions": [],
    }


def _release_order(release: Optional[str]) -> tuple[int, ...]:
    """Releases oldest first (2.7.2 before 2.10.0): the leftmost column is the one the others are compared with."""
    return tuple(int(part) if part.isdigit() else 0 for part in (release or "").split("."))

