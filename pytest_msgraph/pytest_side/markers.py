"""The plugin's markers: declared, validated at collection, and read by the other modules."""
from __future__ import annotations

import sys
import warnings
from typing import Any, Iterator, Optional

import pytest

from ..checks.frame import CheckRegistry
from ..mindspore_side.device_marks import ALL_PLATFORM_MARKS, CARD_MARKS, canonical_devices
from .warning import MsGraphWarning

MARKERS = (
    "both_modes: run the test once in GRAPH_MODE and once in PYNATIVE_MODE (pytest-msgraph).",
    "ms_allow(*checks): turn the named pytest-msgraph checks off for this test.",
    "ms_device(*devices): run this test only on these devices (CPU, GPU, Ascend); skip it elsewhere.",
    "ms_tolerance(rtol=None, atol=None): mode_parity tolerances for this test's float outputs.",
    "ms_no_values: leave this test's values out of the report's fingerprints (pytest-msgraph, issue 42).",
    "ms_max_compiles(n): fail the test when its call phase compiles more than n graphs (pytest-msgraph).",
    "msgraph_lint: a graph_syntax lint item added by --ms-lint (select with -m msgraph_lint).",
    *(f"{name}: MindSpore platform mark; pytest-msgraph skips the test on other devices."
      for name in ALL_PLATFORM_MARKS),
    *(f"{name}: MindSpore card-count mark (no effect under pytest-msgraph)." for name in CARD_MARKS),
)


def register(config: pytest.Config) -> None:
    for line in MARKERS:
        config.addinivalue_line("markers", line)


BOTH_MODES_ARGUMENTS = ("@pytest.mark.both_modes takes no arguments; choose modes for the run with "
                        "--ms-modes=GRAPH_MODE,PYNATIVE_MODE, or skip one mode inside the test using the ms_mode "
                        "fixture.")


class MisusedMarkers:
    """Every misused marker of a module (or class), said together in its one collection error.

    pytest parametrizes a module's functions while it collects the module, so a problem is
    noted there (``note``) and the collector's report fails at the end (``fail_collector``),
    listing them all: a user fixes every one in one round, not one per run.
    """

    def __init__(self) -> None:
        self._by_collector: dict[str, list[str]] = {}

    def note(self, node: Any, message: str) -> None:
        parent = getattr(node, "parent", None)
        key = parent.nodeid if parent is not None else node.nodeid
        self._by_collector.setdefault(key, []).append(f"{node.nodeid}: {message}")

    def fail_collector(self, report: Any, registry: CheckRegistry) -> None:
        """Fail a module's (or class's) report with every misused marker in it, its classes' included."""
        if report.outcome == "failed":
            return
        for child in report.result or []:
            if isinstance(child, pytest.Class):  # not collected yet: their methods' markers, read now
                for method in _methods(child):
                    for problem in problems(method, registry):
                        self.note(method, problem)
        inside = [key for key in self._by_collector if key == report.nodeid or key.startswith(report.nodeid + "::")]
        found = [said for key in inside for said in self._by_collector.pop(key)]
        if found:
            report.outcome, report.longrepr, report.result = "failed", "\n".join(found), []


class _Method:
    """A class's test method before pytest collects it: its node id and its markers, as the item will have them."""

    def __init__(self, cls: Any, name: str, function: Any) -> None:
        self.nodeid, self.parent = f"{cls.nodeid}::{name}", cls
        self._marks = [*getattr(function, "pytestmark", []), *cls.iter_markers()]

    def iter_markers(self, name: Optional[str] = None) -> Iterator[Any]:
        return (mark for mark in self._marks if name is None or mark.name == name)


def _methods(cls: Any) -> Iterator[_Method]:
    """The test methods pytest will collect on the class, inherited ones included (a mixin's too)."""
    found: dict[str, Any] = {}
    for klass in reversed(getattr(getattr(cls, "obj", object), "__mro__", ())):  # a subclass's own wins
        found.update((name, function) for name, function in vars(klass).items()
                     if name.startswith("test") and callable(function))
    for name, function in found.items():
        yield _Method(cls, name, function)


def _device_problem(marker: Any) -> Optional[str]:
    try:
        canonical_devices(marker.args)
    except ValueError as exc:
        return str(exc)
    return None


def _tolerance_problem(marker: Any) -> Optional[str]:
    values = marker.kwargs
    if marker.args or not values or set(values) - {"rtol", "atol"} or not all(
        isinstance(v, (int, float)) and not isinstance(v, bool) and v >= 0 for v in values.values()
    ):
        return (f"@pytest.mark.ms_tolerance takes rtol= and/or atol= as numbers >= 0, got args={marker.args!r} "
                f"kwargs={values!r}; example: @pytest.mark.ms_tolerance(rtol=1e-3, atol=1e-5)")
    return None


def _max_compiles_problem(marker: Any) -> Optional[str]:
    if marker.kwargs or len(marker.args) != 1 or not _is_count(marker.args[0]):
        return (f"@pytest.mark.ms_max_compiles takes one whole number >= 0, got args={marker.args!r} "
                f"kwargs={marker.kwargs!r}; example: @pytest.mark.ms_max_compiles(2)")
    return None


def _is_count(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _allow_problem(marker: Any, registry: CheckRegistry) -> Optional[str]:
    known = ", ".join(registry.names())
    if marker.kwargs or not marker.args or not all(isinstance(a, str) for a in marker.args):
        return ("@pytest.mark.ms_allow takes check names as strings, e.g. "
                f"@pytest.mark.ms_allow(\"double_forward\"); known checks: {known}.")
    unknown = [name for name in marker.args if name not in registry]
    if unknown:
        return f"@pytest.mark.ms_allow names unknown check(s) {', '.join(map(repr, unknown))}; known checks: {known}."
    return None


def problems(node: Any, registry: CheckRegistry) -> Iterator[str]:
    """What is wrong with the plugin's markers on a test (a function definition or a unittest method)."""
    for marker in node.iter_markers("both_modes"):
        if marker.args or marker.kwargs:
            yield BOTH_MODES_ARGUMENTS
    for marker in node.iter_markers("ms_device"):
        yield from filter(None, [_device_problem(marker)])
    for marker in node.iter_markers("ms_tolerance"):
        yield from filter(None, [_tolerance_problem(marker)])
    for marker in node.iter_markers("ms_max_compiles"):
        yield from filter(None, [_max_compiles_problem(marker)])
    for marker in node.iter_markers("ms_allow"):
        yield from filter(None, [_allow_problem(marker, registry)])


def validate(node: Any, registry: CheckRegistry, misused: MisusedMarkers) -> None:
    """Note each misused marker of a test; its module's collection error names them all."""
    for problem in problems(node, registry):
        misused.note(node, problem)


def validate_unittest(report: Any, registry: CheckRegistry, misused: MisusedMarkers) -> None:
    """A unittest.TestCase's methods, validated like any test: misused markers fail the class's collection."""
    for item in report.result or []:
        if type(item).__name__ == "TestCaseFunction":
            for problem in problems(item, registry):
                misused.note(item, problem)


def max_compiles(item: pytest.Item) -> Optional[int]:
    marker = item.get_closest_marker("ms_max_compiles")
    return None if marker is None else marker.args[0]


def allowed_checks(item: pytest.Item) -> set[str]:
    names: set[str] = set()
    for marker in item.iter_markers("ms_allow"):
        names.update(marker.args)
    return names


def check_unittest_class(collector: pytest.Collector, obj: object, both_modes: str) -> None:
    """A unittest.TestCase cannot be parametrized, so both_modes cannot split it: say so, never run it silently once."""
    unittest = sys.modules.get("unittest")  # not imported at start-up: a module that defines a TestCase imported it
    if unittest is None or not (isinstance(obj, type) and issubclass(obj, unittest.TestCase)):
        return
    where = f"{collector.nodeid}::{obj.__name__}"
    advice = ("write it as a pytest test function or plain class (both_modes splits those), or parametrize "
              "the mode inside the TestCase with self.subTest and ms.set_context(mode=...)")
    own_marks = getattr(obj, "pytestmark", None) or []
    if collector.get_closest_marker("both_modes") or any(getattr(m, "name", None) == "both_modes" for m in own_marks):
        pytest.fail(f"{where}: @pytest.mark.both_modes cannot split a unittest.TestCase class (pytest does not "
                    f"parametrize unittest tests); it would run once, in PYNATIVE_MODE only. To fix: {advice}.",
                    pytrace=False)
    if both_modes == "all":
        warnings.warn_explicit(
            MsGraphWarning(f"msgraph: {where} is a unittest.TestCase: --ms-both-modes=all cannot split it, so it "
                           f"runs once, in the session's mode. To run it in both modes: {advice}."),
            MsGraphWarning, filename=str(collector.path), lineno=0)
