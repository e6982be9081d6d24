"""Where a test's values part between columns of the matrix, and from a baseline (issue 42; pure data).

Each cell of a test that ran with ``--ms-report`` holds the fingerprints of what it computed
(``core.fingerprints``): its top-level Cell calls' outputs and its parameters after its last
step. Within one mode, every column of a row is compared with the first column that has
values (the leftmost: CPU, the oldest release): the first value, in the order the test made
them, whose fingerprints part beyond the dtype's tolerance is where they part. A call whose
GRAPH_MODE graph holds MindSpore random ops (flagged ``random`` in that variant's values) is
left out in every column of its row: their streams are not the same from one process to the
next, even from one seed (measured on 2.10 CPU), let alone across releases. A column
whose cells hold no values (a version 2 report, ``--ms-values off``) is named as not compared
by value. A difference is not a failure of the matrix unless asked (``--fail-on-values``);
against a baseline, ``--values`` fails on each test whose values moved.
"""
from __future__ import annotations

from typing import Any, Optional

from ..core.fingerprints import parted
from .merge import NOT_RAN

Tolerances = Optional[dict[str, tuple[float, float]]]


def first_parting(mine: dict[str, Any], theirs: dict[str, Any], tolerances: Tolerances,
                  random: frozenset[str] = frozenset()) -> Optional[dict[str, Any]]:
    """{"at", "text", ...} of the first value (in ``theirs``'s order) whose fingerprints part, or None; ``random``:
    the values not compared (calls with MindSpore random ops)."""
    mine = {key: value for key, value in mine.items() if key not in random}
    theirs = {key: value for key, value in theirs.items() if key not in random}
    for key, then in theirs.items():
        now = mine.get(key)
        if now is None:
            return {"at": key, "why": "missing", "text": "recorded on one side only (the test made other calls)"}
        found = parted(now, then, tolerances)
        if found is not None:
            return {"at": key, **found}
    extra = [key for key in mine if key not in theirs]
    if extra:
        return {"at": extra[0], "why": "missing", "text": "recorded on one side only (the test made other calls)"}
    return None


def random_keys(*rows: dict[str, Any]) -> frozenset[str]:
    """The values some variant of these rows flagged as made with MindSpore random ops."""
    return frozenset(key for row in rows for cell in row["cells"].values()
                     for key, value in (cell.get("values") or {}).items() if value.get("random"))


def _with_values(cell: Optional[dict[str, Any]]) -> bool:
    return cell is not None and cell["outcome"] not in NOT_RAN and bool(cell.get("values"))


def compare_columns(matrix: dict[str, Any], tolerances: Tolerances = None) -> None:
    """Fills ``value_differences`` (one per test and column that parts from the row's first column with values, in
    the same mode) and ``values_not_compared`` (columns with results but no values)."""
    columns = matrix["columns"]
    found = []
    for row in matrix["rows"]:
        random = random_keys(row)
        for mode in dict.fromkeys(c["mode"] for c in columns):
            keys = [c["key"] for c in columns if c["mode"] == mode and _with_values(row["cells"].get(c["key"]))]
            for key in keys[1:]:
                parting = first_parting(row["cells"][key]["values"], row["cells"][keys[0]]["values"], tolerances,
                                        random)
                if parting is not None:
                    row["cells"][key]["values_part"] = True
                    found.append({"test": row["test"], "column": key, "against": keys[0], **parting})
    ran = {key for row in matrix["rows"] for key, cell in row["cells"].items() if cell["outcome"] not in NOT_RAN}
    valued = {key for row in matrix["rows"] for key, cell in row["cells"].items() if _with_values(cell)}
    matrix["value_differences"] = found
    matrix["values_not_compared"] = [{"column": c["key"], "why": "its reports hold no values (a version 2 report, "
                                      "or --ms-values off)"} for c in columns if c["key"] in ran - valued]
    matrix["tests_not_compared_by_value"] = _rows_without_values(matrix, valued)


NO_VALUES = "no values recorded (not a mode pair, marked ms_no_values, or every value skipped)"


def _rows_without_values(matrix: dict[str, Any], valued: set[str]) -> list[dict[str, Any]]:
    """Each test and mode that ran in two or more columns holding values, yet lacks values in some of them: a whole
    column is named in ``values_not_compared``, a test here, so that no row passes for compared when it was not."""
    found = []
    for row in matrix["rows"]:
        for mode in dict.fromkeys(c["mode"] for c in matrix["columns"]):
            ran = [c["key"] for c in matrix["columns"] if c["mode"] == mode and c["key"] in valued
                   and row["cells"].get(c["key"], {"outcome": NOT_RAN[0]})["outcome"] not in NOT_RAN]
            lacking = [key for key in ran if not _with_values(row["cells"][key])]
            if len(ran) >= 2 and lacking:
                why = NO_VALUES if len(lacking) == len(ran) else f"no values in {', '.join(lacking)}"
                found.append({"test": row["test"], "mode": mode, "why": why})
    return found


def compare_baseline(matrix: dict[str, Any], baseline: dict[str, Any], tolerances: Tolerances = None) -> int:
    """Fills ``value_regressions``: each test and column whose values moved from the baseline's. Returns how many
    cells had values on both sides (0: nothing could be compared by value)."""
    before = {(row["test"], key): cell for row in baseline["rows"] for key, cell in row["cells"].items()}
    then_rows = {row["test"]: row for row in baseline["rows"]}
    found, compared = [], 0
    for row in matrix["rows"]:
        random = random_keys(row, then_rows.get(row["test"], {"cells": {}}))
        for key, cell in row["cells"].items():
            then = before.get((row["test"], key))
            if not (_with_values(cell) and _with_values(then)):
                continue
            compared += 1
            parting = first_parting(cell["values"], then["values"], tolerances, random)  # type: ignore[index]
            if parting is not None:
                cell["values_moved"] = True
                found.append({"test": row["test"], "column": key, **parting})
    matrix["value_regressions"] = found
    return compared
