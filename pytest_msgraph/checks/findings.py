"""What a check reports: one Finding per problem, gathered per test in a TestRun."""
from __future__ import annotations

import contextlib
import dataclasses
from typing import Any, Callable, ContextManager, Optional, TypeVar

from ..core.plain import to_plain

ERROR = "error"
WARN = "warn"
OFF = "off"
POLICIES = (ERROR, WARN, OFF)
FactT = TypeVar("FactT")


@dataclasses.dataclass
class Finding:
    """One problem a check found in one test.

    ``severity`` is the check's policy for that test (``error`` or ``warn``);
    ``details`` holds check-specific, JSON-serialisable data. A ``fix`` detail is the
    advice, apart: the message ends with it (the JSON has the whole text), and the
    summary prints it once per check rather than once per finding.
    """

    check: str
    severity: str
    nodeid: str
    mode: Optional[str]
    device: Optional[str]
    message: str
    cell: Optional[str] = None
    details: dict[str, Any] = dataclasses.field(default_factory=dict)

    def __post_init__(self) -> None:
        fix = self.details.get("fix")
        if not fix:
            self.details.pop("fix", None)
        elif not self.message.endswith(fix):
            self.message = f"{self.message} {fix}"

    def to_dict(self) -> dict[str, Any]:
        data = dataclasses.asdict(self)
        extra = data.pop("details")
        if data["cell"] is None:
            del data["cell"]
        # Details go flat into the JSON record, but never overwrite the frame's own keys.
        for key, value in extra.items():
            data.setdefault(key, value)
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "Finding":
        own = {f.name for f in dataclasses.fields(cls)} - {"details"}
        details = {k: v for k, v in data.items() if k not in own}
        return cls(data["check"], data["severity"], data["nodeid"], data.get("mode"), data.get("device"),
                   data["message"], data.get("cell"), details)


def split_fix(finding: dict[str, Any]) -> tuple[str, Optional[str]]:
    """A finding's text apart from its fix: (what was found, the fix or None)."""
    message, fix = finding["message"], finding.get("fix")
    if fix and message.endswith(fix):
        return message[: -len(fix)].rstrip(), fix
    return message, None


class TestRun:
    """The per-test handle a check receives: who is running, and where findings go."""

    __test__ = False  # not a pytest test class, despite the name

    def __init__(self, nodeid: str, mode: Optional[str], device: Optional[str], item: Any = None):
        self.nodeid = nodeid
        self.mode = mode
        self.device = device
        self.item = item
        # The name both variants of a mode pair share (the test id without the mode); None if not a variant.
        self.pair: Optional[str] = None
        # The mode a variant is labelled with (its id); ``mode`` is the one it ran in, once its call ended.
        self.variant: Optional[str] = None
        self.findings: list[Finding] = []
        # What the checks learned for each other (checks/facts.py), in the order they learned it.
        self.facts: list[Any] = []
        self.examined: dict[str, dict[str, int]] = {}
        # Per check, JSON-serialisable data compared across tests at the end of the session.
        self.records: dict[str, list[Any]] = {}
        self.values: Optional[dict[str, Any]] = None  # fingerprints of what it computed, for the report (issue 42)
        # Set by the plugin for the checks: the call phase's compiles, and the context keys the test left changed.
        self.compile_events: Optional[list[dict[str, Any]]] = None
        self.fixture_graphs = 0  # graphs a fixture (ms_gradcheck) ran for the test, in no budget
        self.context_changes: dict[str, tuple[Any, Any]] = {}
        # Set by the plugin when the call raised: what, where in the user's code, and a known cause (plain data).
        self.raised: Optional[dict[str, Any]] = None
        # Set by the plugin: a context whose compiles are the plugin's own (mode_parity localising), in no budget.
        self.compiles_hidden: Callable[[], ContextManager[Any]] = contextlib.nullcontext

    # (check, severity, unit) a handle emits, counts and records for; a plain run is bound to no check.
    binding: Optional[tuple[str, str, str]] = None

    def for_check(self, check: str, severity: str, unit: str = "items") -> "CheckRun":
        """This run as one check sees it: what the handle emits, counts and records is that check's."""
        return CheckRun(self, check, severity, unit)

    def _bound(self) -> tuple[str, str, str]:
        if self.binding is None:
            raise RuntimeError("a finding needs its check: emit through run.for_check(check, severity)")
        return self.binding

    def emit(self, message: str, *, cell: Optional[str] = None, **details: Any) -> Finding:
        """Record a finding for this handle's check (``details`` become plain JSON data)."""
        check, severity, _ = self._bound()
        finding = Finding(check=check, severity=severity, nodeid=self.nodeid, mode=self.mode, device=self.device,
                          message=message, cell=cell, details=to_plain(details))
        self.findings.append(finding)
        return finding

    def publish(self, fact: Any) -> None:
        """Share what a check learned with the other checks of this test (a dataclass of checks/facts.py)."""
        self.facts.append(fact)

    def facts_of(self, kind: type[FactT]) -> list[FactT]:
        """The facts of one kind published so far in this test."""
        return [fact for fact in self.facts if isinstance(fact, kind)]

    def record(self, payload: dict[str, Any], check: Optional[str] = None) -> None:
        """Keep ``payload`` (as plain JSON data) for the check's ``compare`` at the end of the session."""
        self.records.setdefault(check or self._bound()[0], []).append(to_plain(payload))

    def count(self, n: int = 1, unit: Optional[str] = None, check: Optional[str] = None) -> None:
        """Say that this handle's check (or ``check``) examined ``n`` more things (default: the check's unit)."""
        name, _, own_unit = (check, "", "items") if check else self._bound()
        per_unit = self.examined.setdefault(name, {})
        key = unit or own_unit
        per_unit[key] = per_unit.get(key, 0) + n


class CheckRun(TestRun):
    """One check's handle on a test's run (``TestRun.for_check``): its findings, counts and records are that
    check's, bound once, so no emitter has a cursor to set or reset. Everything else (the node id, the mode,
    the findings, the facts) is the run's own, read and written through."""

    __test__ = False
    _run: TestRun

    def __init__(self, run: TestRun, check: str, severity: str, unit: str) -> None:  # the state is all the run's
        object.__setattr__(self, "_run", run)
        object.__setattr__(self, "binding", (check, severity, unit))

    def __getattr__(self, name: str) -> Any:
        return getattr(object.__getattribute__(self, "_run"), name)

    def __setattr__(self, name: str, value: Any) -> None:
        setattr(self._run, name, value)

    def for_check(self, check: str, severity: str, unit: str = "items") -> "CheckRun":
        return self._run.for_check(check, severity, unit)
