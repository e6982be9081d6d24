"""``pytest --ms-lint``: one graph_syntax lint item per collected Python file (like pytest-flake8).

The item reads the file's source; it imports and runs nothing. Its findings go
through the check frame like every other check's: policy, ms_allow (module-level
``pytestmark``), summary and JSON report, with ``path``, ``line``, ``cell`` and ``rule``.
The plugin hands the items what they need of the session (the check's policy, and
how a test's findings are published) through ``LINT_SESSION``, so this folder knows
nothing of the pytest side's state.
"""
from __future__ import annotations

import dataclasses
from typing import Any, Callable

import pytest

from ..checks.findings import OFF, Finding, TestRun
from .project import Project
from .rules import UnreadableSource, lint_file

CHECK = "graph_syntax"


@dataclasses.dataclass(frozen=True)
class LintSession:
    policy: Callable[[], str]  # graph_syntax's policy for this session
    publish: Callable[[pytest.Item, TestRun], list[Finding]]  # a test's findings out; returns those that fail it


LINT_SESSION = pytest.StashKey[LintSession]()
PROJECT = pytest.StashKey[Project]()  # the files the items read, each parsed once per session


class LintFailure(Exception):
    """The file has graph_syntax findings under policy error (or raised by a warning filter)."""


class LintFile(pytest.File):
    def collect(self):
        yield LintItem.from_parent(self, name="msgraph-lint")


class LintItem(pytest.Item):
    msgraph_lint = True  # the MindSpore lifecycle (mode, seed, context) does not apply

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.add_marker("msgraph_lint")

    def runtest(self) -> None:
        session = self.config.stash[LINT_SESSION]
        policy = session.policy()
        if policy == OFF:
            pytest.skip("msgraph: graph_syntax is off (--ms-check graph_syntax=off)")
        run = TestRun(self.nodeid, None, None, self)
        lint = run.for_check(CHECK, policy, "files")
        lint.count()
        project = self.config.stash.setdefault(PROJECT, Project())
        for finding in lint_file(self.path, project):
            lint.emit(f"{finding.rule} {finding.message}", fix=finding.fix, cell=finding.cell, path=finding.path,
                      line=finding.line, col=finding.col, rule=finding.rule)
        failing = session.publish(self, run)  # policy error, or warnings a filter made errors: all shown
        if failing:
            raise LintFailure(failing)

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
