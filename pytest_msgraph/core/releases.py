"""The MindSpore releases the plugin is tested on, and what to say about any other one.

Pure: the installed release is read from the package metadata (``core.environment``),
so the header can speak before MindSpore is imported. Where each internal lives per
release is ``mindspore_side/internals.py``; this module only knows the range.
"""
from __future__ import annotations

import re
from typing import Optional

# Each release README's table lists, run by tox (ms27 ... ms210) and the oldest and newest by .ci/run.
TESTED = ("2.7.2", "2.8.0", "2.9.0", "2.10.0")
OLDEST, NEWEST = TESTED[0], TESTED[-1]
# pyproject's lower bound: the oldest tested release.
LOWER_BOUND = OLDEST


def parse(version: str) -> Optional[tuple[int, ...]]:
    """'2.7.2' -> (2, 7, 2); '2.10.0rc1' -> (2, 10, 0); None for what is not a version ('not installed')."""
    match = re.match(r"(\d+)\.(\d+)(?:\.(\d+))?", version)
    if match is None:
        return None
    return tuple(int(part or 0) for part in match.groups())


_OLDEST, _NEWEST = parse(OLDEST) or (), parse(NEWEST) or ()  # both parse: TESTED holds versions


def is_older(version: str) -> bool:
    parsed = parse(version)
    return parsed is not None and parsed < _OLDEST


def is_newer(version: str) -> bool:
    parsed = parse(version)
    return parsed is not None and parsed > _NEWEST


def tested_range() -> str:
    return f"{OLDEST} to {NEWEST}"


def status_line(version: str) -> Optional[str]:
    """One line for the start of a run when ``version`` is outside the tested range, else None."""
    if is_older(version):
        return (f"msgraph: mindspore {version} is older than the oldest tested release ({OLDEST}; tested "
                f"{tested_range()}): checks whose MindSpore internals are missing say so as inactive; "
                f"upgrade to mindspore>={LOWER_BOUND} for every check")
    if is_newer(version):
        return (f"msgraph: mindspore {version} is newer than the newest tested release ({NEWEST}; tested "
                f"{tested_range()}): the checks run; one whose MindSpore internals moved says so as inactive")
    return None


def untested_note(version: str) -> str:
    """' (newer than the newest tested, 2.10.0)' beside a version outside the range, else ''."""
    if is_older(version):
        return f" (older than the oldest tested, {OLDEST})"
    if is_newer(version):
        return f" (newer than the newest tested, {NEWEST})"
    return ""


def upgrade_advice(version: str) -> str:
    """What to do about a missing internal, said by the release it is missing on."""
    if is_older(version):
        return f"upgrade to mindspore>={LOWER_BOUND}"
    if is_newer(version):
        return f"newer than the newest tested ({NEWEST}): pin mindspore<={NEWEST} until the plugin supports it"
    return f"tested on MindSpore {tested_range()}"
