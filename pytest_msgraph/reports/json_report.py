"""The ``--ms-report`` JSON file: one document for the whole run, written atomically."""
from __future__ import annotations

import datetime
import json
import os
import tempfile
from pathlib import Path
from typing import Any, Optional

from ..core.environment import mindspore_version, platform_name, plugin_version, python_version
from ..core.files import replace_atomically
from ..core.plain import to_plain
from .results import Results

# 2: generator, plugin_version, started, finished, collection_errors and each test's reason;
# "not run" also for selected tests the run never reached; strict JSON (no NaN).
REPORT_VERSION = 3
READABLE_VERSIONS = (2, 3)  # version 2 has no values: its columns are said as not compared by value
GENERATOR = "pytest-msgraph"
_SNIFF_BYTES = 64 << 20  # an existing file larger than this is no report of ours


def _header(started: str, device: Optional[str], seed: int, device_id: Optional[int],
            jit_level: Optional[str]) -> dict[str, Any]:
    return {
        "version": REPORT_VERSION,
        "generator": GENERATOR,
        "plugin_version": plugin_version(),
        "started": started,
        "finished": None,
        "mindspore": mindspore_version(),
        "device": device,
        "device_id": device_id,
        "jit_level": jit_level,
        "seed": seed,
        "environment": {"python": python_version(), "platform": platform_name(),
                        "mindspore": mindspore_version(), "device": device},
    }


def now() -> str:
    """The time now, as the report writes it: ISO 8601, UTC, to the second."""
    return datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def placeholder_report(started: str, device: Optional[str], seed: int, jit_level: Optional[str]) -> dict[str, Any]:
    """What the report says while the run goes on: if the process is killed, no older report looks current."""
    return {**_header(started, device, seed, None, jit_level), "tests": [], "collection_errors": [], "findings": [],
            "examined": {}, "crashed_workers": [], "platform_skipped": 0, "idle_twins": [],
            "complete": False,
            "interrupted": "the run has not finished: it is under way, or it was killed before it could write "
                           "its report (pytest-timeout's thread method, an out-of-memory kill)"}


def build_report(results: Results, device: Optional[str], seed: int, device_id: Optional[int] = None,
                 jit_level: Optional[str] = None, started: Optional[str] = None,
                 device_available: Optional[bool] = None) -> dict[str, Any]:
    tests = results.sorted_tests()
    if device is None:
        device = next((t["device"] for t in tests if t["device"]), None)
    return {
        **_header(started or now(), device, seed, device_id, jit_level),
        # false: --ms-device named a backend this runner lacks, and every test was skipped for it.
        "device_available": device_available,
        "finished": now(),
        "tests": tests,
        "collection_errors": list(results.collection_errors),
        "findings": results.sorted_findings(),
        "examined": {check: dict(sorted(units.items())) for check, units in sorted(results.examined.items())},
        "crashed_workers": list(results.crashed_workers),
        "platform_skipped": len(results.platform_skipped),
        # --ms-both-modes=all: GRAPH_MODE twins skipped because their PYNATIVE_MODE variant made no MindSpore call.
        "idle_twins": sorted(results.idle_twins),
        # False when a test did not run to an outcome, or something failed to collect.
        "complete": results.complete,
        "interrupted": results.incomplete,
    }


def is_our_report(path: Path) -> bool:
    """Whether an existing file is a report this plugin wrote (the only kind it replaces)."""
    try:
        if path.stat().st_size > _SNIFF_BYTES:
            return False
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError, RecursionError):
        return False
    if not isinstance(data, dict):
        return False
    # Reports of version 1 carried no generator: recognised by their own fields.
    return data.get("generator") == GENERATOR or {"version", "tests", "findings", "examined"} <= set(data)


def _nearest_existing(path: Path) -> Path:
    while not path.exists() and path != path.parent:
        path = path.parent
    return path


def check_report_path(path: Path) -> None:
    """ValueError saying why a report cannot be written at ``path`` (checked before any test runs)."""
    target = Path(os.path.realpath(path))
    if target.is_dir():
        raise ValueError(f"{path} is a folder; give a file path such as {path / 'msgraph-report.json'}")
    if target.exists():
        if not target.is_file():
            if not os.access(target, os.W_OK):
                raise ValueError(f"{path} is not a regular file and cannot be written")
            return  # a device or a pipe (/dev/null): written through, never replaced
        if not is_our_report(target):
            raise ValueError(f"{path} exists and is not a pytest-msgraph report, so it is left as it is "
                             "(only an earlier report is replaced); give the report a new path, such as "
                             "msgraph-report.json")
    folder = _nearest_existing(target.parent)
    if not folder.is_dir():
        raise ValueError(f"{folder} is a file, so {path} cannot be created under it")
    try:  # the only sure test of a folder (/proc, /sys, read-only mounts say yes to os.access)
        fd, probe = tempfile.mkstemp(prefix=".msgraph-probe.", dir=folder)
    except OSError as exc:
        raise ValueError(f"cannot create files in {folder} ({exc.strerror or exc})") from None
    os.close(fd)
    os.unlink(probe)


def write_report(path: str, document: dict[str, Any]) -> Path:
    """Write to a temporary file beside ``path``, then rename: readers never see half a file.

    A path that is not a regular file (``/dev/null``, a pipe) is written through instead,
    never replaced; a symbolic link keeps pointing where it did.
    """
    # RFC 8259 only: to_plain made non-finite floats null, and allow_nan=False proves it.
    text = json.dumps(to_plain(document), indent=2, sort_keys=False, allow_nan=False) + "\n"
    target = Path(os.path.realpath(Path(path).expanduser()))
    if target.exists() and not target.is_file():
        with open(target, "w", encoding="utf-8") as handle:
            handle.write(text)
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    replace_atomically(target, lambda tmp: Path(tmp).write_text(text, encoding="utf-8"))
    return target
