"""The ``--ms-report`` JSON file: one document for the whole run, written atomically."""
from __future__ import annotations

import json
import os
import tempfile
import warnings
from pathlib import Path
from typing import Any, Optional

from .environment import mindspore_version, platform_name, python_version
from .results import Results
from .warning import MsGraphWarning

SCHEMA_VERSION = 1


def build_report(results: Results, device: Optional[str], seed: int, device_id: Optional[int] = None,
                 jit_level: Optional[str] = None) -> dict[str, Any]:
    tests = results.sorted_tests()
    if device is None:
        device = next((t["device"] for t in tests if t["device"]), None)
    return {
        "version": SCHEMA_VERSION,
        "mindspore": mindspore_version(),
        "device": device,
        "device_id": device_id,
        "jit_level": jit_level,
        "seed": seed,
        "environment": {"python": python_version(), "platform": platform_name(),
                        "mindspore": mindspore_version(), "device": device},
        "tests": tests,
        "findings": results.sorted_findings(),
        "examined": {check: dict(sorted(units.items())) for check, units in sorted(results.examined.items())},
        "crashed_workers": list(results.crashed_workers),
    }


def _jsonable(value: Any) -> Any:
    """Drop what JSON cannot hold, saying so, instead of losing the whole report."""
    try:
        json.dumps(value)
        return value
    except (TypeError, ValueError):
        pass
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    warnings.warn(MsGraphWarning(f"msgraph: report value {value!r} is not JSON-serialisable; written as text"))
    return repr(value)


def write_report(path: str, document: dict[str, Any]) -> Path:
    """Write to a temporary file beside ``path``, then rename: readers never see half a file."""
    target = Path(path).expanduser().resolve()
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(_jsonable(document), handle, indent=2, sort_keys=False)
            handle.write("\n")
        os.replace(tmp, target)
    except BaseException:
        os.unlink(tmp)
        raise
    return target
