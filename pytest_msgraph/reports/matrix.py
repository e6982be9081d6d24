"""Merge ``--ms-report`` files from several runs into one compliance matrix.

    python -m pytest_msgraph.matrix cpu.json gpu.json ascend.json --format markdown --out matrix.md
    python -m pytest_msgraph.matrix reports/*.json --baseline last-release.json

A row per test (its parameters kept, its mode taken out), a column per device, mode
and jit level, each cell the outcome plus the checks that flagged it, totals per
column. ``--baseline`` (an older report or matrix JSON) marks cells that passed then
and fail now, and makes the exit status 1 when there is any.
"""
from __future__ import annotations

import argparse
import html
import json
import sys
from pathlib import Path
from typing import Any, Callable, Optional

from .validation import SCHEMA_VERSION, ReportError, load_report
from ..core.signatures import split_nodeid

__all__ = ["ReportError", "build_matrix", "load_report", "mark_regressions", "to_html", "to_markdown"]

DEVICE_ORDER = {"CPU": 0, "GPU": 1, "Ascend": 2}
# When runs overlap in a cell, the most telling outcome wins; "skipped" means "not run here".
OUTCOME_RANK = {"error": 7, "failed": 6, "interrupted": 5, "xpassed": 4, "passed": 3, "xfailed": 2, "skipped": 1,
                "not run": 0}
FAILING = ("failed", "error")
NOT_RAN = ("skipped", "not run")


def column_of(report: dict[str, Any], test: dict[str, Any]) -> dict[str, Any]:
    device = test.get("device") or report.get("device") or "unknown"
    mode = test.get("mode") or "unknown"
    level = report.get("jit_level") if mode == "GRAPH_MODE" else None  # it only shapes compiled graphs
    label = f"{device} {mode}" + (f" {level}" if level else "")
    return {"key": label, "device": device, "mode": mode, "jit_level": level}


def build_matrix(reports: list[dict[str, Any]], names: Optional[list[str]] = None) -> dict[str, Any]:
    """The matrix of ``reports`` (``names``: where each came from, for the duplicates it lists)."""
    names = names or [f"report {i + 1}" for i in range(len(reports))]
    columns: dict[str, dict[str, Any]] = {}
    rows: dict[str, dict[str, dict[str, Any]]] = {}
    # (row, column) -> the reports that hold that test: two shards that both ran it, say.
    sources: dict[tuple[str, str], list[tuple[int, str]]] = {}
    for index, (report, name) in enumerate(zip(reports, names)):
        # Per-test findings by nodeid; cross-test ones (a test function in one mode) by (function, mode).
        flagged: dict[Any, set[Any]] = {}
        for finding in report.get("findings", ()):
            nodeid = finding.get("nodeid")
            key = nodeid if "[" in nodeid or finding.get("mode") is None else (nodeid, finding["mode"])
            flagged.setdefault(key, set()).add(finding.get("check"))
        environment = {"mindspore": report.get("mindspore"), **report.get("environment", {})}
        for test in report["tests"]:
            if test.get("mode") is None:
                continue  # a graph_syntax lint item: it reads source, the same on every device
            column = column_of(report, test)
            entry = columns.setdefault(column["key"], {**column, "environments": []})
            if environment not in entry["environments"]:
                entry["environments"].append(environment)
            # A mode pair (both_modes, or an adopted parametrize('mode', [0, 1])) is one row.
            base, variant = split_nodeid(test["nodeid"], column["mode"])
            row = test.get("pair") or base + (f"[{variant}]" if variant else "")
            checks = flagged.get(test["nodeid"], set()) | flagged.get((base, column["mode"]), set())
            cell = {"outcome": test["outcome"], "checks": sorted(checks)}
            if test["outcome"] not in NOT_RAN:  # a variant --ms-modes skipped in one report ran in another
                sources.setdefault((row, column["key"]), []).append((index, f"{name}: {test['nodeid']}"))
            old = rows.setdefault(row, {}).get(column["key"])
            if old is None or OUTCOME_RANK.get(cell["outcome"], 0) > OUTCOME_RANK.get(old["outcome"], 0):
                rows[row][column["key"]] = cell
            elif old["outcome"] == cell["outcome"]:
                old["checks"] = sorted(set(old["checks"]) | set(cell["checks"]))
    ordered = sorted(columns.values(), key=lambda c: (DEVICE_ORDER.get(c["device"], 9), c["device"], c["mode"],
                                                      c["jit_level"] or ""))
    totals: dict[str, dict[str, int]] = {c["key"]: {} for c in ordered}
    for cells in rows.values():
        for key, cell in cells.items():
            totals[key][cell["outcome"]] = totals[key].get(cell["outcome"], 0) + 1
    duplicates = [{"test": row, "column": key, "in": [where for _, where in found]}
                  for (row, key), found in sorted(sources.items()) if len({index for index, _ in found}) > 1]
    return {
        "version": SCHEMA_VERSION,
        "columns": ordered,
        "rows": [{"test": row, "cells": rows[row]} for row in sorted(rows)],
        "totals": totals,
        "regressions": [],
        "duplicates": duplicates,
    }


def mark_regressions(matrix: dict[str, Any], baseline: dict[str, Any]) -> list[dict[str, Any]]:
    """Cells that passed in ``baseline`` and fail now; each gets ``"regressed": true``."""
    before = {(r["test"], key): cell["outcome"] for r in baseline["rows"] for key, cell in r["cells"].items()}
    found = []
    for row in matrix["rows"]:
        for key, cell in row["cells"].items():
            if before.get((row["test"], key)) == "passed" and cell["outcome"] in FAILING:
                cell["regressed"] = True
                found.append({"test": row["test"], "column": key, "outcome": cell["outcome"]})
    matrix["regressions"] = found
    return found


def _cell_text(cell: Optional[dict[str, Any]]) -> str:
    if cell is None:
        return "-"
    text = str(cell["outcome"])
    if cell["checks"]:
        text += f" ({', '.join(cell['checks'])})"
    if cell.get("regressed"):
        text += " REGRESSED"
    return text


def _totals_text(totals: dict[str, Any]) -> str:
    ranked = sorted(totals.items(), key=lambda kv: -OUTCOME_RANK.get(kv[0], 0))
    return ", ".join(f"{n} {outcome}" for outcome, n in ranked)


def _where(column: dict[str, Any]) -> str:
    envs = "; ".join(
        f"mindspore {e.get('mindspore')}, python {e.get('python')}, {e.get('platform')}" for e in column["environments"]
    )
    return f"{column['key']}: {envs}"


def _md(text: str) -> str:
    """Text for one markdown table cell or list line: a '|' would end the cell, a newline the row."""
    return " ".join(text.replace("\\", "\\\\").replace("|", "\\|").splitlines())


def _md_code(text: str) -> str:
    body = _md(text)
    return f"`` {body} ``" if "`" in body else f"`{body}`"


def to_markdown(matrix: dict[str, Any]) -> str:
    keys = [c["key"] for c in matrix["columns"]]
    lines = ["| test | " + " | ".join(map(_md, keys)) + " |", "|---" * (len(keys) + 1) + "|"]
    for row in matrix["rows"]:
        cells = [_md(_cell_text(row["cells"].get(key))) for key in keys]
        lines.append(f"| {_md_code(row['test'])} | " + " | ".join(cells) + " |")
    lines.append("| **total** | " + " | ".join(_md(_totals_text(matrix["totals"][k])) for k in keys) + " |")
    lines += ["", "Where each column ran:", ""] + [f"- {_md(_where(c))}" for c in matrix["columns"]]
    if matrix.get("duplicates"):
        lines += ["", f"**{len(matrix['duplicates'])} test(s) appear in two reports of the same column** "
                  "(two shards ran them, or one report was given twice):", ""]
        lines += [f"- {_md_code(d['test'])} on {_md(d['column'])}: {_md('; '.join(d['in']))}" for d in matrix["duplicates"]]
    if matrix["regressions"]:
        lines += ["", f"**{len(matrix['regressions'])} regression(s)** against the baseline:", ""]
        lines += [f"- {_md_code(r['test'])} on {_md(r['column'])}: {r['outcome']}" for r in matrix["regressions"]]
    return "\n".join(lines) + "\n"


def to_html(matrix: dict[str, Any]) -> str:
    keys = [c["key"] for c in matrix["columns"]]
    esc = html.escape
    head = "".join(f"<th>{esc(k)}</th>" for k in keys)
    body = []
    for row in matrix["rows"]:
        tds = []
        for key in keys:
            cell = row["cells"].get(key)
            # Outcomes were checked against OUTCOMES on load; escaped all the same, like every field.
            css = "none" if cell is None else ("regressed " if cell.get("regressed") else "") + cell["outcome"]
            tds.append(f'<td class="{esc(css.replace("not run", "not-run"))}">{esc(_cell_text(cell))}</td>')
        body.append(f"<tr><td><code>{esc(row['test'])}</code></td>{''.join(tds)}</tr>")
    totals = "".join(f"<td>{esc(_totals_text(matrix['totals'][k]))}</td>" for k in keys)
    where = "".join(f"<li>{esc(_where(c))}</li>" for c in matrix["columns"])
    twice = "".join(f"<li><code>{esc(d['test'])}</code> on {esc(d['column'])}: {esc('; '.join(d['in']))}</li>"
                    for d in matrix.get("duplicates", ()))
    if twice:
        where += f"</ul><p>Tests that appear in two reports of the same column:</p><ul>{twice}"
    style = ("td.passed{background:#dfd}td.failed,td.error{background:#fdd}td.skipped{color:#888}"
             "td.regressed{outline:2px solid #c00}table{border-collapse:collapse}"
             "td,th{border:1px solid #ccc;padding:2px 6px}")
    return (f"<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>pytest-msgraph matrix</title>"
            f"<style>{style}</style></head><body><table><tr><th>test</th>{head}</tr>{''.join(body)}"
            f"<tr><th>total</th>{totals}</tr></table><p>Where each column ran:</p><ul>{where}</ul></body></html>\n")


def to_json(matrix: dict[str, Any]) -> str:
    return json.dumps(matrix, indent=2) + "\n"


FORMATS: dict[str, Callable[[dict[str, Any]], str]] = {"markdown": to_markdown, "html": to_html, "json": to_json}


def main(argv: Optional[list[Any]] = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m pytest_msgraph.matrix", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("reports", nargs="+", metavar="REPORT.json", help="reports written with --ms-report")
    parser.add_argument("--format", choices=sorted(FORMATS), default="markdown")
    parser.add_argument("--out", metavar="PATH", help="write here instead of standard output")
    parser.add_argument("--baseline", metavar="OLD.json", help="an older report or matrix: flag cells that regressed")
    args = parser.parse_args(argv)
    try:
        reports = [load_report(path) for path in args.reports]
        matrices = [r for r in reports if "rows" in r]
        if matrices:
            raise ReportError(f"{len(matrices)} of the inputs is a matrix, not a report; pass it as --baseline")
        matrix = build_matrix(reports, args.reports)
        regressions = []
        if args.baseline:
            baseline = load_report(args.baseline)
            regressions = mark_regressions(matrix, baseline if "rows" in baseline else build_matrix([baseline]))
    except ReportError as exc:
        print(f"msgraph matrix: {exc}. Nothing was merged.", file=sys.stderr)
        return 2
    text = FORMATS[args.format](matrix)
    if args.out:
        try:
            Path(args.out).write_text(text, encoding="utf-8")
        except OSError as exc:  # a folder, a missing folder, a full disk
            print(f"msgraph matrix: cannot write {args.out}: {exc.strerror or exc}. Nothing was written.",
                  file=sys.stderr)
            return 2
    else:
        sys.stdout.write(text)
    if regressions:
        print(f"msgraph matrix: {len(regressions)} cell(s) passed in the baseline and fail now.", file=sys.stderr)
        return 1
    return 0
