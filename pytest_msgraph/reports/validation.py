"""Reading ``--ms-report`` files (and matrix baselines) for the matrix tool, validated by their JSON Schema.

Reports may come from untrusted CI jobs or forks: every report is validated against the
schema the package publishes (``reports/schemas/report.schema.json``; a matrix given as a
baseline against ``matrix.schema.json``) before anything goes into HTML or markdown. A
file that does not fit gets one line that names the field, what it holds and what was
expected.
"""
from __future__ import annotations

import functools
import json
from importlib import resources
from pathlib import Path
from typing import Any

from .json_report import READABLE_VERSIONS

SCHEMAS = ("report", "matrix")


class ReportError(Exception):
    """A file that cannot be merged; the message names it and says why."""


@functools.lru_cache(maxsize=None)
def schema(name: str) -> dict[str, Any]:
    """The published JSON Schema ``name`` (``report`` or ``matrix``)."""
    text = resources.files("pytest_msgraph.reports").joinpath("schemas", f"{name}.schema.json").read_text("utf-8")
    loaded: dict[str, Any] = json.loads(text)
    return loaded


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
    kind = "matrix" if "rows" in data and "columns" in data else "report"
    if data.get("version") not in READABLE_VERSIONS:
        raise ReportError(
            f"{path} is a {kind} of version {json.dumps(data.get('version'))}; this tool reads versions "
            f"{' and '.join(map(str, READABLE_VERSIONS))}, whose rows are named differently: write it again with this "
            "pytest-msgraph release"
        )
    check(path, data, kind)
    return data


def check(path: str, data: Any, kind: str) -> None:
    """ReportError naming the first field of ``data`` that does not fit the ``kind`` schema."""
    import jsonschema

    validator = jsonschema.Draft202012Validator(schema(kind))
    error = jsonschema.exceptions.best_match(validator.iter_errors(data))
    if error is not None:
        raise ReportError(f"{path}: {_describe(error)}")


def _where(parts: Any) -> str:
    text = ""
    for part in parts:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "the top level"


def _describe(error: Any) -> str:
    """``tests[0].outcome is 1, expected one of: passed, ...``: the field, its value, what was expected."""
    where = _where(error.absolute_path)
    expected = error.schema.get("description") if isinstance(error.schema, dict) else None
    if error.validator == "required":
        missing = next(name for name in error.validator_value if name not in error.instance)
        return f"{where}.{missing} is missing" if error.absolute_path else f"{missing} is missing"
    shown = json.dumps(error.instance)
    shown = shown if len(shown) <= 60 else shown[:57] + "..."
    return f"{where} is {shown}, expected {expected or error.message}"
