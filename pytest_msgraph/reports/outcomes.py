"""A test's outcome and its one-line reason, from pytest's phase reports (pure).

The outcomes a test can have in the JSON report:

- ``passed``, ``failed``, ``error`` (setup or teardown failed), ``skipped``, ``xfailed``,
  ``xpassed``, as pytest counts them; a failing subtest (``self.subTest``, the ``subtests``
  fixture) fails its test, whatever the parent's own report says;
- ``interrupted``: the test started and the run was cut short (Ctrl-C, a
  ``KeyboardInterrupt`` raised in a test, also on an xdist worker, ``pytest.exit``, an
  internal error) before it reported an outcome;
- ``not run``: it was selected and never reported an outcome in this run: the run
  stopped first (``-x``, ``--maxfail``, Ctrl-C), or it started and reported nothing
  (``--setup-only``).
"""
from __future__ import annotations

from typing import Any, Optional

OUTCOMES = ("passed", "failed", "error", "skipped", "xfailed", "xpassed", "interrupted", "not run")
_REASON_LENGTH = 300


def phase_outcome(when: str, outcome: str, wasxfail: bool) -> Optional[str]:
    """The test outcome a phase report implies; None when the phase says nothing new."""
    if outcome == "failed":
        # xdist reports a test whose worker crashed with when="???": a failure, as pytest counts it.
        return "error" if when in ("setup", "teardown") else "failed"
    if outcome == "skipped":
        return "xfailed" if wasxfail else "skipped"
    if outcome == "passed" and when == "call":
        return "xpassed" if wasxfail else "passed"
    return None  # a passed setup or teardown, or a "rerun" attempt that another will replace


def is_subtest(report: Any) -> bool:
    """A report of one subtest (pytest's SubtestReport): it says nothing of its parent's own outcome."""
    return hasattr(report, "context") and type(report).__name__ == "SubtestReport"


def first_line(text: str) -> str:
    """The first line that says something, shortened to fit one line of a report."""
    for line in str(text).splitlines():
        line = line.strip()
        if line and not set(line) <= set("_=-"):
            return line if len(line) <= _REASON_LENGTH else line[: _REASON_LENGTH - 3] + "..."
    return ""


def skip_reason_of(report: Any) -> Optional[str]:
    """Why a test was skipped or is expected to fail, in one line; None when no reason was given."""
    wasxfail = getattr(report, "wasxfail", None)
    if wasxfail is not None:
        return first_line(wasxfail) or None
    longrepr = getattr(report, "longrepr", None)
    text = longrepr[2] if isinstance(longrepr, tuple) and len(longrepr) == 3 else str(longrepr or "")
    line = first_line(text)
    return (line[len("Skipped: "):] if line.startswith("Skipped: ") else line) or None


def reason_of(report: Any) -> Optional[str]:
    """Why a failed or errored phase failed, in one line: the crash line pytest shows, or the text."""
    longrepr = getattr(report, "longrepr", None)
    if longrepr is None:
        return None
    crash = getattr(longrepr, "reprcrash", None)
    message = getattr(crash, "message", None) if crash is not None else None
    line = first_line(message) if message else _exception_line(str(longrepr))
    if is_subtest(report):
        line = f"subtest {_subtest_name(report)} failed: {line}"
    return line or None


def _exception_line(text: str) -> str:
    """The exception pytest printed last (its ``E   `` lines), else the text's first line."""
    raised = [line[1:].strip() for line in text.splitlines() if line.startswith("E ")]
    return first_line(raised[-1]) if raised else first_line(text)


def _subtest_name(report: Any) -> str:
    context = report.context
    params = ", ".join(f"{k}={v}" for k, v in (getattr(context, "kwargs", None) or {}).items())
    msg = getattr(context, "msg", None)
    return f"[{msg}]" + (f" ({params})" if params else "") if msg else f"({params})"
