"""Facts about the run's environment, read without importing MindSpore."""
from __future__ import annotations

import platform
import sys
from importlib import metadata

from .version import __version__


def mindspore_version() -> str:
    try:
        return metadata.version("mindspore")
    except metadata.PackageNotFoundError:
        return "not installed"


def plugin_version() -> str:
    return __version__


def python_version() -> str:
    return platform.python_version()


def platform_name() -> str:
    return f"{sys.platform}-{platform.machine()}"
