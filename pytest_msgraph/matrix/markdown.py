"""The compliance matrix as markdown (a CI job summary, a pull-request comment) and as JSON (pure).

Every field is escaped: a ``|`` or a newline in a test id or a reason cannot shift or
split a row, since reports may come from untrusted CI jobs or forks.
"""
from __future__ import annotations

import json
from typing import Any, Optional

from .merge import OUTCOME_RANK, SHOWN


def cell_text(cell: Optional[dict[str, Any]]) -> str:
    if cell is None:
        return "-"
    text = SHOWN.get(cell["outcome"], str(cell["outcome"]))
    if cell["checks"]:
        text += f" ({', '.join(cell['checks'])})"
    if cell.get("values_part"):
        text += " VALUES PART"
    if cell.get("values_moved"):
        text += " VALUES MOVED"
    if cell.get("regressed"):
        text += " REGRESSED" + (f" (moved from {_md(', '.join(cell['moved_from']))})" if cell.get("moved_from") else "")
    return text


def totals_text(totals: dict[str, Any]) -> str:
    ranked = sorted(totals.items(), key=lambda kv: -OUTCOME_RANK.get(kv[0], 0))
    return ", ".join(f"{n} {SHOWN.get(outcome, outcome)}" for outcome, n in ranked)


def environment_text(column: dict[str, Any]) -> str:
    def one(e: dict[str, Any]) -> str:
        lacking = f", {column['device']} unavailable on this runner" if e.get("device_available") is False else ""
        return f"mindspore {e.get('mindspore')}, python {e.get('python')}, {e.get('platform')}{lacking}"

    return "; ".join(one(e) for e in column["environments"])


def _md(text: str) -> str:
    """Text for one markdown table cell or list line: a '|' would end the cell, a newline the row."""
    return " ".join(str(text).replace("\\", "\\\\").replace("|", "\\|").splitlines())


def _code(text: str) -> str:
    body = _md(text)
    return f"`` {body} ``" if "`" in body else f"`{body}`"


def _table(matrix: dict[str, Any], notes: list[str]) -> list[str]:
    keys = [c["key"] for c in matrix["columns"]]
    if not keys:
        return ["No test ran in these reports."]
    lines = ["| test | " + " | ".join(map(_md, keys)) + " |", "|---" * (len(keys) + 1) + "|"]
    for row in matrix["rows"]:
        cells = []
        for key in keys:
            cell = row["cells"].get(key)
            text = _md(cell_text(cell))
            if cell is not None and cell.get("reason"):
                notes.append(f"{row['test']} on {key}: {cell['reason']}")
                text += f" [{len(notes)}]"
            cells.append(text)
        lines.append(f"| {_code(row['test'])} | " + " | ".join(cells) + " |")
    lines.append("| **total** | " + " | ".join(_md(totals_text(matrix["totals"][k])) for k in keys) + " |")
    return lines


def _moved(regression: dict[str, Any]) -> str:
    """A regression in another column than the test's baseline verdict: where it passed then."""
    moved = regression.get("moved_from")
    if moved is None:
        return ""
    return f" (passed in the baseline on {', '.join(moved)})" if moved else " (a column it had no verdict in)"


def _listed(title: str, entries: list[str]) -> list[str]:
    return ["", title, ""] + [f"- {entry}" for entry in entries] if entries else []


def to_markdown(matrix: dict[str, Any]) -> str:
    notes: list[str] = []
    lines = _table(matrix, notes)
    lines += ["", "Why each failure failed:", ""] + [f"{i}. {_md(n)}" for i, n in enumerate(notes, 1)] if notes else []
    if matrix["columns"]:
        lines += ["", "Where each column ran:", ""] + [f"- {_md(c['key'])}: {_md(environment_text(c))}"
                                                     for c in matrix["columns"]]
    lines += _listed(f"**{len(matrix['collection_errors'])} collection error(s)** (their tests are in no column):",
                     [f"{_code(e['nodeid'])} in {_md(e['report'])}: {_md(e['reason'])}"
                      for e in matrix["collection_errors"]])
    lines += _listed(f"**{len(matrix['incomplete'])} incomplete report(s)**: the matrix does not hold every selected "
                     "test's outcome:", [_md(_incomplete_text(entry)) for entry in matrix["incomplete"]])
    lines += _listed(f"**{len(matrix['duplicates'])} test(s) appear in two reports of the same column** (two shards "
                     "ran them, or one report was given twice):",
                     [f"{_code(d['test'])} on {_md(d['column'])}: {_md('; '.join(d['in']))}"
                      for d in matrix["duplicates"]])
    lines += _listed(f"**{len(matrix['regressions'])} regression(s)** against the baseline:",
                     [f"{_code(r['test'])} on {_md(r['column'])}: {r['outcome']}" + _moved(r)
                      for r in matrix["regressions"]])
    lines += _listed(f"**{len(matrix.get('value_differences', []))} test(s) whose values part between columns** "
                     "(the first value that parts, against the row's first column with values in that mode):",
                     [value_text(d) for d in matrix.get("value_differences", [])])
    lines += _listed(f"**{len(matrix.get('value_regressions', []))} test(s) whose values moved from the baseline's:**",
                     [value_text(d) for d in matrix.get("value_regressions", [])])
    lines += _listed(f"**{len(matrix.get('values_not_compared', []))} column(s) not compared by value:**",
                     [f"{_md(c['column'])}: {_md(c['why'])}" for c in matrix.get("values_not_compared", [])])
    lines += _listed(f"**{len(matrix.get('tests_not_compared_by_value', []))} test(s) ran in columns compared by "
                     "value but hold no values of their own there:**", unvalued_texts(matrix))
    lines += _listed(f"**{len(matrix['unmatched_baseline'])} baseline row(s) match no row of this matrix:**",
                     [_code(test) for test in matrix["unmatched_baseline"]])
    lines += _listed(f"**{len(matrix['not_compared'])} column(s) not compared with the baseline:**",
                     [f"{_md(c['column'])}: {_md(c['why'])}" for c in matrix["not_compared"]])
    return "\n".join(lines) + "\n"


def value_text(difference: dict[str, Any]) -> str:
    """One line of where a test's values part: the test, the columns, the value, by how much."""
    against = f" against {_md(difference['against'])}" if difference.get("against") else " against the baseline"
    return (f"{_code(difference['test'])} on {_md(difference['column'])}{against}: first at "
            f"{_code(difference['at'])}: {_md(difference['text'])}")


NAMED_MAX = 10  # tests without values listed by name; the JSON lists every one


def unvalued_texts(matrix: dict[str, Any]) -> list[str]:
    """The tests not compared by value, the first ``NAMED_MAX`` by name, then how many more."""
    rows = matrix.get("tests_not_compared_by_value", [])
    texts = [f"{_code(r['test'])} ({r['mode']}): {_md(r['why'])}" for r in rows[:NAMED_MAX]]
    more = len(rows) - NAMED_MAX
    return texts + ([f"and {more} more (the matrix JSON lists them all)"] if more > 0 else [])


def _incomplete_text(entry: dict[str, Any]) -> str:
    parts = [f"{entry['not_run']} test(s) not run"] if entry["not_run"] else []
    parts += [f"{entry['interrupted_tests']} interrupted"] if entry["interrupted_tests"] else []
    parts += [f"{entry['collection_errors']} collection error(s)"] if entry["collection_errors"] else []
    why = f" ({entry['interrupted']})" if entry["interrupted"] else ""
    return f"{entry['report']}: " + (", ".join(parts) or "incomplete") + why


def to_json(matrix: dict[str, Any]) -> str:
    return json.dumps(matrix, indent=2, allow_nan=False) + "\n"
