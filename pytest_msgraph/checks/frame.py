"""The check frame: the Check base class, the registry, and per-check policies."""
from __future__ import annotations

from typing import Any, Callable, Iterable, Iterator, Mapping

from .findings import ERROR, OFF, POLICIES, WARN, TestRun


class Check:
    """Base class for a msgraph check.

    Subclass it, set ``name``, ``description`` and ``default_policy``, override the
    methods you need, and register an instance from the
    ``pytest_msgraph_register_checks`` hook. Methods are called only while the
    check's policy for the test is not ``off``.
    """

    name: str = ""
    description: str = ""
    default_policy: str = WARN
    # What one count() means, for the summary line "examined 12 <unit>".
    unit: str = "items"

    def session_started(self, mindspore: Any) -> None:
        """MindSpore has been imported for this session (module passed in)."""

    def open_session(self, session: Any) -> None:
        """How the plugin starts a check: ``session`` is its MindSpore session (``session.ms`` the module,
        ``session.probes()`` the probe hub). Calls ``session_started(session.ms)``; a check built on the probes
        takes the hub here."""
        self.session_started(session.ms)

    def test_started(self, run: TestRun) -> None:
        """The test's call phase is about to start."""

    def test_finished(self, run: TestRun) -> None:
        """The test's call phase ended (passed or not)."""

    def test_torn_down(self, run: TestRun) -> None:
        """The test's fixtures were torn down and the context restored."""

    def compare(self, records: list[Any], emit: Callable[..., None]) -> None:
        """End of session, where every test's ``run.record(...)`` payloads meet.

        Runs once, on the xdist controller or the only process, without MindSpore.
        ``records`` carry the payloads plus ``nodeid`` and ``mode``, sorted by nodeid.
        Report with ``emit(message, nodeid=..., mode=None, cell=None, **details)``.
        """


class CheckRegistry:
    """The checks known to this session, in registration order."""

    def __init__(self) -> None:
        self._checks: dict[str, Check] = {}

    def add(self, check: Check) -> None:
        if not check.name or not check.name.replace("_", "").isalnum():
            raise ValueError(f"a check needs a name of letters, digits and '_', got {check.name!r}")
        if check.default_policy not in POLICIES:
            raise ValueError(
                f"check {check.name!r} has default_policy {check.default_policy!r}; "
                f"valid: {', '.join(POLICIES)}"
            )
        if check.name in self._checks:
            raise ValueError(f"a check named {check.name!r} is registered twice")
        self._checks[check.name] = check

    def __iter__(self) -> Iterator[Check]:
        return iter(self._checks.values())

    def __contains__(self, name: str) -> bool:
        return name in self._checks

    def names(self) -> list[str]:
        return list(self._checks)


def parse_policy_entries(entries: Iterable[str], source: str) -> dict[str, str]:
    """``["double_forward=off", ...]`` -> ``{"double_forward": "off"}``; ValueError naming the bad entry."""
    result: dict[str, str] = {}
    for raw in entries:
        for entry in raw.split(","):
            entry = entry.strip()
            if not entry:
                continue
            name, sep, policy = entry.partition("=")
            name, policy = name.strip(), policy.strip().lower()
            if not sep or not name or policy not in POLICIES:
                raise ValueError(
                    f"{source}: {entry!r} is not NAME=POLICY; POLICY is one of "
                    f"{', '.join(POLICIES)} (example: double_forward=warn)"
                )
            result[name] = policy
    return result


def resolve_policies(registry: CheckRegistry, *layers: Mapping[str, str]) -> dict[str, str]:
    """Each check's policy: its default, overridden by each layer in turn (ini, then CLI)."""
    policies = {check.name: check.default_policy for check in registry}
    for layer in layers:
        unknown = sorted(set(layer) - set(policies))
        if unknown:
            known = ", ".join(registry.names()) or "(none registered)"
            raise ValueError(
                f"unknown check {', '.join(map(repr, unknown))}; known checks: {known}"
            )
        policies.update(layer)
    return policies


__all__ = ["Check", "CheckRegistry", "ERROR", "WARN", "OFF", "parse_policy_entries", "resolve_policies"]
