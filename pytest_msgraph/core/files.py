"""Replacing a file so that a reader never sees half of it (pure: the standard library only)."""
from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Callable


def creation_mode() -> int:
    """The mode a new file gets here (0644 under umask 022): mkstemp alone would give 0600."""
    mask = os.umask(0)
    os.umask(mask)
    return 0o666 & ~mask


def replace_atomically(target: Path, write: Callable[[str], object]) -> None:
    """``write(path)`` a temporary file beside ``target``, then rename it over ``target`` in one step.

    The new file gets the mode a newly created one would (not mkstemp's 0600): a CI job that
    reads the report as another user still can.
    """
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
    os.close(fd)
    try:
        write(tmp)
        os.chmod(tmp, creation_mode())
        os.replace(tmp, target)
    except BaseException:
        os.unlink(tmp)
        raise
