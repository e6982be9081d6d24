"""``pytest --ms-lint``: one graph_syntax lint item per collected Python file (like pytest-flake8).

The item reads the file's source; it imports and runs nothing. Its findings go
through the check frame like every other check's: policy, ms_allow (module-level
``pytestmark``), summary and JSON report, with ``path``, ``line``, ``cell`` and ``rule``.
"""
from __future__ import annotations

import pytest

from . import lifecycle
from .findings import ERROR, OFF, TestRun
from .lint import UnreadableSource, lint_file

CHECK = "graph_syntax"


class LintFailure(Exception):
    """The file has graph_syntax findings under policy error."""


class LintFile(pytest.File):
    def collect(self):
        yield LintItem.from_parent(self, name="msgraph-lint")


class LintItem(pytest.Item):
    msgraph_lint = True  # the MindSpore lifecycle (mode, seed, context) does not apply

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.add_marker("msgraph_lint")

    def runtest(self) -> None:
        from .state import STATE_KEY

        state = self.config.stash[STATE_KEY]
        policy = state.runner.policies[CHECK]
        if policy == OFF:
            pytest.skip("msgraph: graph_syntax is off (--ms-check graph_syntax=off)")
        run = TestRun(self.nodeid, None, None, self).bind(CHECK, policy, "files")
        run.count()
        for finding in lint_file(self.path):
            run.emit(f"{finding.rule} {finding.message}", cell=finding.cell, path=finding.path,
                     line=finding.line, col=finding.col, rule=finding.rule)
        ist = lifecycle.ItemState(run, [], {})
        self.stash[lifecycle.ITEM_KEY] = ist
        new = lifecycle.publish(state, ist)
        if any(f.severity == ERROR for f in new):
            raise LintFailure(new)

    def repr_failure(self, excinfo, style=None):
        if isinstance(excinfo.value, UnreadableSource):
            return f"msgraph graph_syntax: {excinfo.value}"
        if isinstance(excinfo.value, LintFailure):
            return "\n".join(f"{f.details['path']}:{f.details['line']}:{f.details['col']}: {f.message}"
                             for f in excinfo.value.args[0])
        return super().repr_failure(excinfo, style)

    def reportinfo(self):
        return self.path, None, f"msgraph graph_syntax lint: {self.path.name}"


def collect_file(file_path, parent):
    if file_path.suffix == ".py" and file_path.is_file():  # a FIFO named *.py would hang the read
        return LintFile.from_parent(parent, path=file_path)
    return None
