"""Reading ``--ms-report`` files (and matrix baselines) for the matrix tool, types checked.

Reports may come from untrusted CI jobs or forks: every field the matrix shows is
checked for its type, and outcomes against the report's own list, before anything
goes into HTML or markdown.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from .results import OUTCOMES

SCHEMA_VERSION = 1


class ReportError(Exception):
    """A file that cannot be merged; the message names it and says why."""


def load_report(path: str) -> dict[str, Any]:
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise ReportError(f"cannot read {path}: {exc.strerror or exc}") from None
    except RecursionError:
        raise ReportError(f"{path} is nested too deeply to be a pytest-msgraph report") from None
    except ValueError as exc:
        raise ReportError(f"{path} is not JSON ({exc})") from None
    if not isinstance(data, dict):
        raise ReportError(f"{path} is not a pytest-msgraph report (no JSON object at top level)")
    if "rows" in data and "columns" in data:
        _check_matrix(path, data)
        return data  # a matrix, accepted as a baseline
    if data.get("version") != SCHEMA_VERSION:
        raise ReportError(
            f"{path} has report schema version {data.get('version')!r}; this tool merges version {SCHEMA_VERSION} "
            "(write the reports with the same pytest-msgraph release)"
        )
    _check_report(path, data)
    return data


def _expect(path: str, where: str, value: Any, kinds: tuple[Any, ...], what: str) -> None:
    if not isinstance(value, kinds) or isinstance(value, bool) and bool not in kinds:
        raise ReportError(f"{path}: {where} is {json.dumps(value)[:60]}, expected {what}")


def _check_outcome(path: str, where: str, value: Any) -> None:
    if value not in OUTCOMES:
        raise ReportError(f"{path}: {where} is {json.dumps(value)[:60]}, expected one of: {', '.join(OUTCOMES)}")


def _check_report(path: str, data: dict[str, Any]) -> None:
    """Types as well as keys: a report from an untrusted CI job goes into HTML and markdown."""
    text, optional_text = (str,), (str, type(None))
    for key in ("device", "jit_level", "mindspore"):
        _expect(path, key, data.get(key), optional_text, "a string or null")
    _expect(path, "environment", data.get("environment", {}), (dict,), "an object")
    for key, value in data.get("environment", {}).items():
        _expect(path, f"environment.{key}", value, optional_text, "a string or null")
    _expect(path, "tests", data.get("tests"), (list,), "a list of tests")
    for i, test in enumerate(data["tests"]):
        _expect(path, f"tests[{i}]", test, (dict,), "an object")
        _expect(path, f"tests[{i}].nodeid", test.get("nodeid"), text, "a string")
        _check_outcome(path, f"tests[{i}].outcome", test.get("outcome"))
        for key in ("mode", "device", "pair"):
            _expect(path, f"tests[{i}].{key}", test.get(key), optional_text, "a string or null")
    _expect(path, "findings", data.get("findings", []), (list,), "a list of findings")
    for i, finding in enumerate(data.get("findings", [])):
        _expect(path, f"findings[{i}]", finding, (dict,), "an object")
        for key in ("nodeid", "check"):
            _expect(path, f"findings[{i}].{key}", finding.get(key), text, "a string")
        _expect(path, f"findings[{i}].mode", finding.get("mode"), optional_text, "a string or null")


def _check_matrix(path: str, data: dict[str, Any]) -> None:
    _expect(path, "rows", data["rows"], (list,), "a list of rows")
    for i, row in enumerate(data["rows"]):
        _expect(path, f"rows[{i}]", row, (dict,), "an object")
        _expect(path, f"rows[{i}].test", row.get("test"), (str,), "a string")
        _expect(path, f"rows[{i}].cells", row.get("cells"), (dict,), "an object")
        for key, cell in row["cells"].items():
            _expect(path, f"rows[{i}].cells[{key!r}]", cell, (dict,), "an object")
            _check_outcome(path, f"rows[{i}].cells[{key!r}].outcome", cell.get("outcome"))
