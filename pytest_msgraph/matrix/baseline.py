"""Compare a matrix with a baseline, and refuse a baseline that proves nothing (pure data).

A cell is compared where both sides have a verdict for the same test in the same column; and a
test is compared as a whole: one that passed in the baseline and fails now in a column where the
baseline had no verdict for it (its row moved: a fixture raised before the test's body set the
mode, so the failure is filed under the session's mode) is a regression too, shown as moved.
A column is its device, its mode and, for GRAPH_MODE, the jit level the run set: the same suite
run with ``--ms-jit-level=O1`` against a baseline without it, on another device, or against a
baseline whose device was unavailable (every cell "not run") shares no column with it. A
comparison that could compare nothing would exit 0 on any regression; it is refused instead.
"""
from __future__ import annotations

from typing import Any, Optional

from .merge import FAILING, NOT_RAN


def baseline_refusal(baseline: dict[str, Any], name: str) -> Optional[str]:
    """Why ``baseline`` (a report or a matrix, as loaded) cannot be a baseline, or None."""
    if "rows" not in baseline and not baseline.get("complete", True):
        why = baseline.get("interrupted") or "the run that wrote it did not finish"
        return (f"the baseline {name} is incomplete (complete: false: {why}); a comparison against it would "
                "pass on what it does not hold. Use the report of a run that finished")
    if baseline.get("incomplete"):
        names = ", ".join(entry["report"] for entry in baseline["incomplete"])
        return (f"the baseline {name} was merged from incomplete report(s) ({names}); a comparison against it "
                "would pass on what it does not hold. Merge it again from reports of runs that finished")
    return None


def _verdict_columns(matrix: dict[str, Any]) -> set[str]:
    """Columns where at least one test ran (a device unavailable on that runner leaves none)."""
    return {key for row in matrix["rows"] for key, cell in row["cells"].items() if cell["outcome"] not in NOT_RAN}


def not_compared(matrix: dict[str, Any], baseline: dict[str, Any]) -> list[dict[str, str]]:
    """Columns of either side that have no counterpart with results on the other, each with why."""
    now_keys = [c["key"] for c in matrix["columns"]]
    then_keys = [c["key"] for c in baseline["columns"]]
    ran_now, ran_then = _verdict_columns(matrix), _verdict_columns(baseline)
    found = []
    for key in now_keys:
        if key not in then_keys:
            found.append({"column": key, "why": "not in the baseline"})
        elif key not in ran_then:
            found.append({"column": key, "why": "no test ran there in the baseline (device unavailable, or all "
                                                "skipped)"})
        elif key not in ran_now:
            found.append({"column": key, "why": "no test ran there in these reports (device unavailable, or all "
                                                "skipped)"})
    found += [{"column": key, "why": "in the baseline only"} for key in then_keys if key not in now_keys]
    return found


def mark_regressions(matrix: dict[str, Any], baseline: dict[str, Any]) -> list[dict[str, Any]]:
    """Cells that passed in ``baseline`` and fail now (each gets ``"regressed": true``).

    Also fills ``unmatched_baseline`` (the baseline's rows that match no row now),
    ``not_compared`` (columns without a counterpart) and ``compared`` (how many cells had a
    verdict on both sides): the command refuses a comparison where that is 0.
    """
    before = {(r["test"], key): cell["outcome"] for r in baseline["rows"] for key, cell in r["cells"].items()}
    found, compared = [], 0
    for row in matrix["rows"]:
        for key, cell in row["cells"].items():
            then = before.get((row["test"], key))
            if then is None or then in NOT_RAN or cell["outcome"] in NOT_RAN:
                continue  # a verdict on one side only proves nothing
            compared += 1
            if then == "passed" and cell["outcome"] in FAILING:
                cell["regressed"] = True
                found.append({"test": row["test"], "column": key, "outcome": cell["outcome"]})
    found += _moved_regressions(matrix, baseline, before)
    compared += sum(1 for r in found if r.get("moved_from") is not None)
    current = {row["test"] for row in matrix["rows"]}
    matrix["unmatched_baseline"] = sorted(row["test"] for row in baseline["rows"] if row["test"] not in current)
    matrix["not_compared"] = not_compared(matrix, baseline)
    matrix["compared"] = compared
    matrix["regressions"] = found
    return found


def _moved_regressions(matrix: dict[str, Any], baseline: dict[str, Any],
                       before: dict[tuple[str, str], str]) -> list[dict[str, Any]]:
    """Tests that passed in the baseline and fail now in a column where the baseline had no verdict for them.

    The column it fails in now must be one both sides ran tests in: a column the baseline lacks
    (another jit level, another device) is said as not compared, and a failure there is not a
    regression of this comparison.
    """
    shared = _verdict_columns(matrix) & _verdict_columns(baseline)
    passed_then = {row["test"]: {key for key, cell in row["cells"].items() if cell["outcome"] == "passed"}
                   for row in baseline["rows"]}
    found = []
    for row in matrix["rows"]:
        passed = passed_then.get(row["test"])
        if not passed:
            continue
        for key, cell in row["cells"].items():
            then = before.get((row["test"], key))
            if key not in shared or cell["outcome"] not in FAILING or (then is not None and then not in NOT_RAN):
                continue
            moved = sorted(k for k in passed if row["cells"].get(k, {}).get("outcome", "not run") in NOT_RAN)
            cell["regressed"] = True
            cell["moved_from"] = moved
            found.append({"test": row["test"], "column": key, "outcome": cell["outcome"], "moved_from": moved})
    return found


def comparison_refusal(matrix: dict[str, Any], baseline: dict[str, Any], name: str) -> Optional[str]:
    """Why the comparison ``mark_regressions`` made proves nothing, or None."""
    if not baseline["rows"]:
        return f"the baseline {name} has no tests: a comparison against it would pass on anything"
    shared = _verdict_columns(matrix) & _verdict_columns(baseline)
    if not shared:
        now = ", ".join(sorted(_verdict_columns(matrix))) or "none: no test ran"
        then = ", ".join(sorted(_verdict_columns(baseline))) or "none: no test ran"
        return (f"no column of these reports has a column in the baseline {name} (now: {now}; baseline: {then}); a "
                "column is the device, the mode and, for GRAPH_MODE, the jit level: nothing could be compared")
    if len(matrix["unmatched_baseline"]) == len(baseline["rows"]):
        return (f"no row of the baseline {name} matches a row of these reports (its {len(baseline['rows'])} rows "
                "name other tests): it would prove nothing")
    if not matrix["compared"]:
        return (f"no test has a verdict in the same column of these reports and of the baseline {name}: "
                "nothing could be compared")
    return None
