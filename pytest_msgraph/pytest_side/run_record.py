"""What a run leaves behind: every outcome recorded, the JSON report written at the start and the end.

Registered as a plugin object (its hooks get no config): it records every report on
the process that reports (the xdist controller, or the only process), the collection
errors, the tests selected, why a run ended early, and it writes the ``--ms-report``
file twice: a ``"complete": false`` placeholder when the session starts (a run killed
by pytest-timeout's thread method or the OOM killer leaves no older report looking
current), and the whole report when it ends. The JUnit XML of late failures is
rewritten after pytest wrote it.
"""
from __future__ import annotations

import os
import re
from typing import Any

import pytest

from ..core.nodeids import plain_nodeid
from ..reports import junit
from ..reports.json_report import build_report, now, placeholder_report, write_report
from .state import PluginState

_EXCEPTION_LINE = re.compile(r"^[\w.]+(Error|Exception|Exit|Interrupt)\b")


class RunRecord:
    def __init__(self, state: PluginState) -> None:
        self.state = state
        self.started = now()

    @property
    def _records(self) -> bool:
        return not self.state.is_worker  # under xdist the controller receives every worker's reports

    def pytest_sessionstart(self, session: pytest.Session) -> None:
        path = self.state.settings.report_path
        if path and self._records:
            settings = self.state.settings
            self._write(path, placeholder_report(self.started, settings.device, settings.seed, settings.jit_level))

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        if self._records:
            self.state.results.add_report(report)

    def pytest_collectreport(self, report: pytest.CollectReport) -> None:
        if self._records and report.failed:
            self.state.results.add_collection_error(report.nodeid, report)

    def pytest_collection_finish(self, session: pytest.Session) -> None:
        if self._records and not self.state.is_controller:
            self.state.results.selected = [plain_nodeid(item.nodeid) for item in session.items]

    @pytest.hookimpl(optionalhook=True)
    def pytest_xdist_node_collection_finished(self, node: Any, ids: list) -> None:
        if self.state.results.selected is None:  # every worker collected the same
            self.state.results.selected = [plain_nodeid(nodeid) for nodeid in ids]

    def pytest_keyboard_interrupt(self, excinfo: Any) -> None:
        # Ctrl-C, a KeyboardInterrupt raised by a test, or pytest.exit(): the test that was
        # running reported no outcome, and the JSON must not call it passed.
        self._incomplete(f"{excinfo.typename}: {excinfo.value}")

    def pytest_internalerror(self, excrepr: Any, excinfo: Any) -> None:
        self._incomplete(f"internal error: {excinfo.typename}: {excinfo.value}" if excinfo else "internal error")

    def _incomplete(self, reason: str) -> None:
        # An xdist worker's internal error arrives as its whole traceback: its last line says what.
        lines = [line.strip() for line in reason.splitlines() if line.strip()] or [reason]
        errors = [line for line in lines if _EXCEPTION_LINE.match(line)]
        text = lines[0] if len(lines) == 1 else f"{lines[0].split(':')[0]}: {(errors or lines)[-1]}"
        if self.state.results.incomplete is None:
            self.state.results.incomplete = text.rstrip(": ")[:300]

    @pytest.hookimpl(tryfirst=True)  # before the last-failed cache is written: late failures go into it
    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        if not self._records:
            return  # the controller compares and reports for the whole run
        state = self.state
        stopped = getattr(session, "shouldfail", False) or getattr(session, "shouldstop", False)
        if stopped and state.results.incomplete is None:  # -x, --maxfail: the tests left are "not run"
            state.results.incomplete = f"{stopped} (-x/--maxfail)" if "stopping after" in str(stopped) else str(stopped)
        if (state.compare_across_tests() or state.results.session_errors) and session.exitstatus == 0:
            session.exitstatus = pytest.ExitCode.TESTS_FAILED
        path = state.settings.report_path
        if path:
            self._write(path, build_report(state.results, state.device, state.settings.seed, state.device_id,
                                           state.settings.jit_level, self.started, state.device_available))

    def _write(self, path: str, document: dict[str, Any]) -> None:
        try:
            write_report(path, document)
        except OSError as exc:  # checked at start; a full disk or a vanished folder can still stop it
            self.state.report_error = f"msgraph: could not write the report to {path}: {exc.strerror or exc}"


class JunitRewriter:
    """A separate plugin object, so that its sessionfinish runs last: after the junitxml plugin's."""

    def __init__(self, state: PluginState) -> None:
        self.state = state

    @pytest.hookimpl(trylast=True)
    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        path = getattr(session.config.option, "xmlpath", None)
        if not path or self.state.is_worker or not os.path.exists(path):
            return
        results = self.state.results
        across = results.cross_test_findings_by_test()
        warnings = {nodeid: [f for f in findings if f["severity"] != "error"]
                    for nodeid, findings in results.findings_by_test(across).items()}
        warnings = {nodeid: found for nodeid, found in warnings.items() if found}
        if results.late_failures or warnings or across:
            junit.annotate(path, results.late_failures, warnings, across)
