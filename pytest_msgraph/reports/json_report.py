"""The ``--ms-report`` JSON file: one document for the whole run, written atomically."""
from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any, Optional

from ..core.environment import mindspore_version, platform_name, python_version
from ..core.plain import to_plain
from .results import Results

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
        "platform_skipped": len(results.platform_skipped),
        # False when the run was cut short: tests that had started then read "interrupted".
        "complete": results.incomplete is None,
        "interrupted": results.incomplete,
    }


def _creation_mode() -> int:
    """The mode a new file gets here (0644 under umask 022): mkstemp alone would give 0600."""
    mask = os.umask(0)
    os.umask(mask)
    return 0o666 & ~mask


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
    text = json.dumps(to_plain(document), indent=2, sort_keys=False) + "\n"
    target = Path(os.path.realpath(Path(path).expanduser()))
    if target.exists() and not target.is_file():
        with open(target, "w", encoding="utf-8") as handle:
            handle.write(text)
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.chmod(tmp, _creation_mode())
        os.replace(tmp, target)
    except BaseException:
        os.unlink(tmp)
        raise
    return target
