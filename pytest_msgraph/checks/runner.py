"""Runs the registered checks around one test and applies their policies.

A check that raises never takes the test run down with it: the exception becomes
a finding of that check, and the check sits out the rest of the test.
"""
from __future__ import annotations

import traceback
from typing import Iterable

from .findings import ERROR, OFF, Finding, TestRun
from .frame import Check, CheckRegistry


class CheckRunner:
    def __init__(self, registry: CheckRegistry, policies: dict[str, str]) -> None:
        self.registry = registry
        self.policies = policies
        # Checks switched off for the whole session, with the reason (e.g. missing internals).
        self.inactive: dict[str, str] = {}

    def enabled(self) -> list[Check]:
        return [c for c in self.registry if self.policies[c.name] != OFF and c.name not in self.inactive]

    def for_test(self, allowed: Iterable[str]) -> list[Check]:
        skip = set(allowed)
        return [c for c in self.enabled() if c.name not in skip]

    def start_session(self, session) -> None:
        """Open each enabled check on the plugin's MindSpore session (mindspore_side.session)."""
        for check in self.enabled():
            try:
                check.open_session(session)
            except Exception as exc:  # one broken check must not stop the session
                self.inactive[check.name] = f"{type(exc).__name__}: {exc}"

    def notify(self, checks: list[Check], method: str, run: TestRun) -> None:
        """Call ``method`` on each check; a crash becomes that check's finding."""
        for check in list(checks):
            handle = run.for_check(check.name, self.policies[check.name], check.unit)
            try:
                getattr(check, method)(handle)
            except Exception as exc:
                checks.remove(check)
                where = traceback.extract_tb(exc.__traceback__)[-1]
                handle.emit(
                    f"check {check.name!r} crashed in {getattr(exc, 'msgraph_event', method)} "
                    f"({type(exc).__name__}: {exc}, "
                    f"at {where.filename}:{where.lineno}); this is a failure of the check, not "
                    f"of the test. Turn it off with --ms-check {check.name}=off while it is fixed.",
                    crashed=True,
                )


    def compare(self, records_of) -> list[Finding]:
        """Each enabled check's cross-test comparison; a crash becomes that check's finding."""
        found: list[Finding] = []
        for check in self.enabled():
            records = records_of(check.name)
            if not records:
                continue
            severity = self.policies[check.name]

            def emit(message, *, nodeid, mode=None, cell=None, _check=check.name, _severity=severity, _records=records,
                     **details):
                device = next((r.get("device") for r in _records if r.get("device")), None)
                found.append(Finding(_check, _severity, nodeid, mode, device, message, cell, details))

            try:
                check.compare(records, emit)
            except Exception as exc:
                where = traceback.extract_tb(exc.__traceback__)[-1]
                found.append(Finding(check.name, severity, "(session)", None, None,
                                     f"check {check.name!r} crashed in compare ({type(exc).__name__}: {exc}, at "
                                     f"{where.filename}:{where.lineno}); this is a failure of the check, not of any "
                                     "test.", None, {"crashed": True}))
        return found


def failure_message(findings: list[Finding]) -> str:
    """The failure text of findings that fail a test: policy error, or warnings a filter made errors."""
    # The first line is what pytest's short summary shows: make it the first finding.
    lines = [f"[{f.check}] {f.message}" for f in findings]
    errors = sum(f.severity == ERROR for f in findings)
    raised = len(findings) - errors
    parts = [f"{errors} finding(s) with policy 'error'"] if errors else []
    if raised:
        parts.append(f"{raised} warn-policy finding(s) turned into errors by a warning filter "
                     "(-W error::pytest_msgraph.MsGraphWarning or filterwarnings)")
    lines.append(
        f"(msgraph: {', '.join(parts)}; change a check's policy with --ms-check NAME=warn|off, or turn it off "
        "for one test with @pytest.mark.ms_allow(\"NAME\"))"
    )
    return "\n".join(lines)
