"""What a check reports: one Finding per problem, gathered per test in a TestRun."""
from __future__ import annotations

import contextlib
import dataclasses
from typing import Any, Callable, ContextManager, Optional

from ..core.plain import to_plain

ERROR = "error"
WARN = "warn"
OFF = "off"
POLICIES = (ERROR, WARN, OFF)


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
        self.examined: dict[str, dict[str, int]] = {}
        # Per check, JSON-serialisable data compared across tests at the end of the session.
        self.records: dict[str, list[Any]] = {}
        # Set by the plugin for the checks: the call phase's compiles, and the context keys the test left changed.
        self.compile_events: Optional[list[dict[str, Any]]] = None
        self.fixture_graphs = 0  # graphs a fixture (ms_gradcheck) ran for the test, in no budget
        self.context_changes: dict[str, tuple[Any, Any]] = {}
        # Set by the plugin when the call raised: what, where in the user's code, and a known cause (plain data).
        self.raised: Optional[dict[str, Any]] = None
        # Set by the plugin: a context whose compiles are the plugin's own (mode_parity localising), in no budget.
        self.compiles_hidden: Callable[[], ContextManager[Any]] = contextlib.nullcontext
        self._check_name = ""
        self._severity = WARN
        self._unit = "items"

    def bind(self, check_name: str, severity: str, unit: str = "items") -> "TestRun":
        """Select the check whose findings and counts the following calls record."""
        self._check_name = check_name
        self._severity = severity
        self._unit = unit
        return self

    @property
    def binding(self) -> tuple[str, str, str]:
        """(check, severity, unit) the following calls record for: what ``bind`` set."""
        return self._check_name, self._severity, self._unit

    def emit(self, message: str, *, cell: Optional[str] = None, **details: Any) -> Finding:
        """Record a finding for the bound check (``details`` become plain JSON data)."""
        finding = Finding(
            check=self._check_name,
            severity=self._severity,
            nodeid=self.nodeid,
            mode=self.mode,
            device=self.device,
            message=message,
            cell=cell,
            details=to_plain(details),
        )
        self.findings.append(finding)
        return finding

    def record(self, payload: dict[str, Any], check: Optional[str] = None) -> None:
        """Keep ``payload`` (as plain JSON data) for the check's ``compare`` at the end of the session."""
        self.records.setdefault(check or self._check_name, []).append(to_plain(payload))

    def count(self, n: int = 1, unit: Optional[str] = None, check: Optional[str] = None) -> None:
        """Say that the bound check (or ``check``) examined ``n`` more things (default: the check's unit)."""
        per_unit = self.examined.setdefault(check or self._check_name, {})
        key = unit or self._unit
        per_unit[key] = per_unit.get(key, 0) + n
