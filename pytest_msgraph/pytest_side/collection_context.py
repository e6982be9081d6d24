"""Context changes made while test modules are imported: kept, and reported once.

MindSpore suites often configure the context at import time (MindSpore's own
``tests/st/utils/test_utils.py`` sets ``jit_syntax_level=STRICT``). Without the plugin
that setting holds for every later test, so it must with the plugin too: the
per-test isolation restores the context to what it was *after collection*, never
before it, whatever options were given. Each collector (a module, or a folder whose
conftest.py is imported) that changed the context is named once, as a
``context_leak`` finding with the keys it changed.
"""
from __future__ import annotations

import sys
from typing import Any, Optional

import pytest

from ..checks.findings import OFF, Finding
from ..core.modes import context_value
from .warning import pointer, warn_at

CHECK = "context_leak"


class CollectionContextWatcher:
    """Snapshots the context around each collector's collect(), once MindSpore is imported."""

    def __init__(self, state: Any) -> None:
        self.state = state
        self._guard: Any = None
        # Findings not yet put on a report (each process sends them on its first report).
        self.pending: list[dict] = []

    def _snapshot(self) -> Optional[dict]:
        if "mindspore" not in sys.modules:
            return None  # nothing to compare with: the module that imports it sets its first state
        if self._guard is None:
            if self.state.ms is not None:
                self._guard = self.state.ms.guard
            else:
                from ..mindspore_side.context_guard import ContextGuard

                self._guard = ContextGuard(sys.modules["mindspore"])
        return self._guard.snapshot()

    def before(self, collector: pytest.Collector) -> Optional[dict]:
        if self.state.runner.policies.get(CHECK) == OFF:
            return None
        return self._snapshot()

    def after(self, collector: pytest.Collector, before: Optional[dict], report: Any) -> None:
        if before is None:
            return
        now = self._snapshot()
        if now is None:
            return
        changed = sorted(key for key in before if now.get(key) != before[key])
        if not changed:
            return
        what = f"module {collector.nodeid}" if isinstance(collector, pytest.Module) else (
            f"collecting {collector.nodeid or '.'} (its conftest.py)")
        shown = ", ".join(f"{key}={context_value(key, now[key])} (was {context_value(key, before[key])})"
                          for key in changed)
        message = (f"{what} changed the MindSpore context while it was imported: {shown}. It stays in force "
                   "for every later test, as it would without the plugin; msgraph restores each test to it.")
        fix = "To fix: set it in a fixture, or in conftest.py for the whole session on purpose."
        finding = Finding(CHECK, self.state.runner.policies[CHECK], collector.nodeid or ".", None,
                          self.state.device, message, details={"keys": changed, "at": "collection", "fix": fix})
        self.pending.append(finding.to_dict())
        if warn_at(pointer(finding), collector.path):
            # A warning filter made it an error: the collection error of what it names, like an import error.
            report.outcome, report.result = "failed", []
            report.longrepr = f"MsGraphWarning: [{CHECK}] {finding.message}"

    def take_pending(self) -> list[dict]:
        pending, self.pending = self.pending, []
        return pending
