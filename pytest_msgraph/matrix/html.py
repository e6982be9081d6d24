"""The compliance matrix as a page: totals at the top, failures first with their reason, then every test.

Rendered from a jinja2 template with autoescaping on: reports may come from untrusted CI
jobs or forks, and every field they hold goes into the page escaped.
"""
from __future__ import annotations

from typing import Any

from .markdown import cell_text, environment_text, totals_text, unvalued_texts, value_text
from .merge import FAILING, OUTCOME_RANK, SHOWN

MEANINGS = (
    ("passed", "ran and passed"),
    ("failed", "ran and failed (a check's conviction included)"),
    ("error", "setup or teardown failed"),
    ("xfailed", "failed as expected"),
    ("xpassed", "passed though expected to fail"),
    ("skipped", "not run here (a mark, --ms-modes)"),
    ("unavailable", "not run: the runner lacked the device (--ms-device-unavailable=skip), so no verdict"),
    ("interrupted", "started, then the run was cut short"),
    ("not run", "selected, never reached (-x, --maxfail, Ctrl-C)"),
)


# (css class, what a cell says, what it means) for each outcome.
LEGEND = tuple((outcome.replace(" ", "-"), SHOWN.get(outcome, outcome), meaning) for outcome, meaning in MEANINGS)


def _css(cell: Any) -> str:
    if cell is None:
        return "none"
    return str(cell["outcome"]).replace(" ", "-") + (" regressed" if cell.get("regressed") else "")


def _plain(text: str) -> str:
    """Markdown's code quoting off, for a page that escapes the text itself."""
    return text.replace("`` ", "").replace(" ``", "").replace("`", "")


def _incomplete(entry: dict[str, Any]) -> str:
    why = f" ({entry['interrupted']})" if entry["interrupted"] else ""
    return (f"{entry['report']}: {entry['not_run']} not run, {entry['interrupted_tests']} interrupted, "
            f"{entry['collection_errors']} collection error(s){why}")


def page_data(matrix: dict[str, Any]) -> dict[str, Any]:
    """What the template shows, in the order it shows it."""
    columns = [{"key": c["key"], "where": environment_text(c)} for c in matrix["columns"]]
    keys = [c["key"] for c in matrix["columns"]]
    rows = [{"test": row["test"],
             "cells": [{"css": _css(row["cells"].get(k)), "text": cell_text(row["cells"].get(k)),
                        "reason": (row["cells"].get(k) or {}).get("reason")} for k in keys]}
            for row in matrix["rows"]]
    failures = sorted(({"test": row["test"], "column": key, "outcome": cell["outcome"], "text": cell_text(cell),
                        "reason": cell.get("reason"), "regressed": cell.get("regressed", False)}
                       for row in matrix["rows"] for key, cell in row["cells"].items() if cell["outcome"] in FAILING),
                      key=lambda f: (not f["regressed"], -OUTCOME_RANK[f["outcome"]], f["test"], f["column"]))
    sections = [
        ("Collection errors (their tests are in no column)",
         [f"{e['nodeid']} in {e['report']}: {e['reason']}" for e in matrix["collection_errors"]]),
        ("Incomplete reports", [_incomplete(e) for e in matrix["incomplete"]]),
        ("Tests found in two reports of one column", [f"{d['test']} on {d['column']}: {'; '.join(d['in'])}"
                                                      for d in matrix["duplicates"]]),
        ("Tests whose values part between columns (the first value that parts, against the row's first column with "
         "values in that mode)", [_plain(value_text(d)) for d in matrix.get("value_differences", [])]),
        ("Tests whose values moved from the baseline's", [_plain(value_text(d))
                                                           for d in matrix.get("value_regressions", [])]),
        ("Columns not compared by value", [f"{c['column']}: {c['why']}"
                                           for c in matrix.get("values_not_compared", [])]),
        ("Tests that ran in columns compared by value but hold no values of their own there",
         [_plain(text) for text in unvalued_texts(matrix)]),
        ("Baseline rows that match no row", list(matrix["unmatched_baseline"])),
        ("Columns not compared with the baseline", [f"{c['column']}: {c['why']}"
                                                    for c in matrix["not_compared"]]),
    ]
    return {"title": "pytest-msgraph compliance matrix", "legend": LEGEND, "columns": columns,
            "totals": {k: totals_text(matrix["totals"][k]) for k in keys}, "failures": failures, "rows": rows,
            "sections": [{"title": title, "entries": entries} for title, entries in sections if entries]}


def to_html(matrix: dict[str, Any]) -> str:
    import jinja2

    environment = jinja2.Environment(loader=jinja2.PackageLoader("pytest_msgraph.matrix", "templates"),
                                     autoescape=True, trim_blocks=True, lstrip_blocks=True)
    return environment.get_template("matrix.html.j2").render(**page_data(matrix))
