"""The warning category of the plugin's findings under policy ``warn``, and how they are raised."""
from __future__ import annotations

import warnings
from typing import Any

import pytest

from ..checks.findings import Finding


class MsGraphWarning(pytest.PytestWarning):
    """A pytest-msgraph finding reported as a warning (filter with ``-W``)."""


def pointer(finding: Finding) -> str:
    """A warn finding's warning text: one short line that points to the msgraph section.

    The finding is printed once in the terminal, in that section (with its fix). Its
    warning only says where to look, in words that do not depend on the test, so that
    pytest's warnings summary folds a check's warnings of one file into one entry. A
    warning filter that makes it an error fails what it names with the whole text.
    """
    return f"[{finding.check}] a finding: what and the fix are in the msgraph section (all of it in --ms-report)"


def warn_at(message: str, path: Any, lineno: int = 0) -> bool:
    """Warn at the user's file and line; True when a warning filter turned it into an error.

    Under ``-W error::pytest_msgraph.MsGraphWarning`` or ``filterwarnings = error`` the
    warning raises. The caller then makes it the error of what it names (a test's failure,
    a module's collection error), never an exception through pytest's hooks.
    """
    try:
        warnings.warn_explicit(MsGraphWarning(message), MsGraphWarning, filename=str(path), lineno=lineno)
    except Warning:
        return True
    return False
