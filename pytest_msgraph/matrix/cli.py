"""``python -m pytest_msgraph.matrix``: merge reports into a compliance matrix, compare with a baseline.

    python -m pytest_msgraph.matrix cpu.json gpu.json ascend.json --format markdown --out matrix.md
    python -m pytest_msgraph.matrix reports/*.json --baseline last-release.json
    python -m pytest_msgraph.matrix ms27.json ms210.json --values-tolerance Float16=1e-2,1e-3
    python -m pytest_msgraph.matrix reports/*.json --baseline last-release.json --values

A row per test (its parameters kept, its mode taken out), a column per device, mode
and jit level, each cell the outcome plus the checks that flagged it, totals per
column. ``--baseline`` (an older report or matrix JSON) marks cells that passed then
and fail now, in the columns both have (device, mode, jit level); the others are named
as not compared. Where reports hold values (``--ms-report``, version 3), the tests whose
values part between columns of one mode are listed, with the first value that parts and by
how much; ``--values`` with ``--baseline`` fails on values that moved from the baseline's.
Exit status: 0; 1 when ``--baseline`` finds a regression (or, with ``--values``, moved
values), ``--fail-on-values`` finds values that part, or a report is incomplete; 2 when an
input cannot be used, or the baseline is refused: incomplete, no tests, or no column or row
in common, so that nothing could be compared.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any, Callable, Optional

from ..reports.validation import ReportError, load_report
from .baseline import baseline_refusal, comparison_refusal, mark_regressions
from .html import to_html
from .markdown import to_json, to_markdown
from .merge import build_matrix
from .values import compare_baseline, compare_columns

FORMATS: dict[str, Callable[[dict[str, Any]], str]] = {"markdown": to_markdown, "html": to_html, "json": to_json}


class BaselineRefused(ReportError):
    """A baseline that could compare nothing: the command refuses rather than pass."""


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m pytest_msgraph.matrix", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("reports", nargs="+", metavar="REPORT.json", help="reports written with --ms-report")
    parser.add_argument("--format", choices=sorted(FORMATS), default="markdown")
    parser.add_argument("--out", metavar="PATH", help="write here instead of standard output")
    parser.add_argument("--baseline", metavar="OLD.json", help="an older report or matrix: flag cells that regressed")
    parser.add_argument("--values", action="store_true",
                        help="with --baseline: fail (exit 1) on each test whose values moved from the baseline's")
    parser.add_argument("--fail-on-values", action="store_true",
                        help="fail (exit 1) when a test's values part between columns of one mode")
    parser.add_argument("--values-tolerance", action="append", default=[], metavar="DTYPE=RTOL,ATOL",
                        type=_tolerance, help="tolerance for values of a dtype (Float16=1e-2,1e-3), repeatable; "
                        "defaults: Float32 1e-4,1e-5, Float16 1e-2,1e-3, BFloat16 5e-2,1e-2, integers exact")
    return parser


def _tolerance(text: str) -> tuple[str, tuple[float, float]]:
    dtype, _, numbers = text.partition("=")
    try:
        rtol, atol = (float(n) for n in numbers.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not DTYPE=RTOL,ATOL (Float16=1e-2,1e-3)") from None
    if not dtype or rtol < 0 or atol < 0:
        raise argparse.ArgumentTypeError(f"{text!r} is not DTYPE=RTOL,ATOL with non-negative numbers")
    return dtype, (rtol, atol)


def _merge(args: argparse.Namespace) -> dict[str, Any]:
    reports = [load_report(path) for path in args.reports]
    matrices = [path for path, r in zip(args.reports, reports) if "rows" in r]
    if matrices:
        raise ReportError(f"{', '.join(matrices)} is a matrix, not a report; pass it as --baseline")
    matrix = build_matrix(reports, args.reports)
    tolerances = dict(args.values_tolerance)
    compare_columns(matrix, tolerances)
    if args.values and not args.baseline:
        raise ReportError("--values compares with a baseline: give --baseline OLD.json too")
    if args.baseline:
        baseline = load_report(args.baseline)
        refusal = baseline_refusal(baseline, args.baseline)
        baseline = baseline if "rows" in baseline else build_matrix([baseline], [args.baseline])
        mark_regressions(matrix, baseline)
        refusal = refusal or comparison_refusal(matrix, baseline, args.baseline)
        if args.values and not refusal and not compare_baseline(matrix, baseline, tolerances):
            refusal = (f"--values: no test has values in the same column of these reports and of the baseline "
                       f"{args.baseline} (reports of version 3, written with --ms-report and --ms-values on): "
                       "nothing could be compared by value")
        if refusal:
            raise BaselineRefused(refusal)
    return matrix


def main(argv: Optional[list[Any]] = None) -> int:
    args = _parser().parse_args(argv)
    try:
        matrix = _merge(args)
    except BaselineRefused as exc:
        print(f"msgraph matrix: baseline refused: {exc}. Nothing was compared (exit 2).", file=sys.stderr)
        return 2
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
    return _verdict(args, matrix)


def _verdict(args: argparse.Namespace, matrix: dict[str, Any]) -> int:
    status = 0
    if matrix["value_differences"] and args.fail_on_values:
        print(f"msgraph matrix: {len(matrix['value_differences'])} test(s) compute other values in one column than "
              "in another (listed in the output).", file=sys.stderr)
        status = 1
    if not args.baseline:
        return status
    if matrix["unmatched_baseline"]:
        print(f"msgraph matrix: {len(matrix['unmatched_baseline'])} baseline row(s) match no row of these reports "
              "(listed in the output).", file=sys.stderr)
    if matrix["not_compared"]:
        print("msgraph matrix: not compared with the baseline: " + "; ".join(
            f"{entry['column']} ({entry['why']})" for entry in matrix["not_compared"]) + ".", file=sys.stderr)
    if matrix["incomplete"]:
        names = ", ".join(entry["report"] for entry in matrix["incomplete"])
        print(f"msgraph matrix: {names} is incomplete: a baseline comparison needs every selected test's outcome.",
              file=sys.stderr)
        status = 1
    if matrix["regressions"]:
        moved = sum(r.get("moved_from") is not None for r in matrix["regressions"])
        elsewhere = f" ({moved} of them in another column than in the baseline)" if moved else ""
        print(f"msgraph matrix: {len(matrix['regressions'])} cell(s) passed in the baseline and fail now{elsewhere}.",
              file=sys.stderr)
        status = 1
    if args.values and matrix["value_regressions"]:
        print(f"msgraph matrix: {len(matrix['value_regressions'])} cell(s) compute other values than in the baseline "
              "(listed in the output).", file=sys.stderr)
        status = 1
    return status
