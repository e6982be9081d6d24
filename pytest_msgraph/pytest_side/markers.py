"""The plugin's markers: declared, validated at collection, and read by the other modules."""
from __future__ import annotations

from typing import Any, Iterator, Optional

import pytest

from ..checks.frame import CheckRegistry
from ..mindspore_side.device_marks import ALL_PLATFORM_MARKS, CARD_MARKS, canonical_devices

MARKERS = (
    "both_modes: run the test once in GRAPH_MODE and once in PYNATIVE_MODE (pytest-msgraph).",
    "ms_allow(*checks): turn the named pytest-msgraph checks off for this test.",
    "ms_device(*devices): run this test only on these devices (CPU, GPU, Ascend); skip it elsewhere.",
    "ms_tolerance(rtol=None, atol=None): mode_parity tolerances for this test's float outputs.",
    "ms_max_compiles(n): fail the test when its call phase compiles more than n graphs (pytest-msgraph).",
    "msgraph_lint: a graph_syntax lint item added by --ms-lint (select with -m msgraph_lint).",
    *(f"{name}: MindSpore platform mark; pytest-msgraph skips the test on other devices."
      for name in ALL_PLATFORM_MARKS),
    *(f"{name}: MindSpore card-count mark (no effect under pytest-msgraph)." for name in CARD_MARKS),
)


def register(config: pytest.Config) -> None:
    for line in MARKERS:
        config.addinivalue_line("markers", line)


def collection_error(node: Any, message: str) -> None:
    pytest.fail(f"{node.nodeid}: {message}", pytrace=False)


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
    for marker in node.iter_markers("ms_device"):
        yield from filter(None, [_device_problem(marker)])
    for marker in node.iter_markers("ms_tolerance"):
        yield from filter(None, [_tolerance_problem(marker)])
    for marker in node.iter_markers("ms_max_compiles"):
        yield from filter(None, [_max_compiles_problem(marker)])
    for marker in node.iter_markers("ms_allow"):
        yield from filter(None, [_allow_problem(marker, registry)])


def validate(node: Any, registry: CheckRegistry) -> None:
    """A misused marker is a collection error that names it (raised outside any except block: no chain)."""
    first = next(problems(node, registry), None)
    if first is not None:
        collection_error(node, first)


def validate_unittest(report: Any, registry: CheckRegistry) -> None:
    """A unittest.TestCase's methods, validated like any test: a misused marker fails the class's collection."""
    collector_items = report.result or []
    for item in collector_items:
        if type(item).__name__ != "TestCaseFunction":
            continue
        problem = next(problems(item, registry), None)
        if problem is not None:
            report.outcome, report.longrepr, report.result = "failed", f"{item.nodeid}: {problem}", []
            return


def max_compiles(item: pytest.Item) -> Optional[int]:
    marker = item.get_closest_marker("ms_max_compiles")
    return None if marker is None else marker.args[0]


def allowed_checks(item: pytest.Item) -> set[str]:
    names: set[str] = set()
    for marker in item.iter_markers("ms_allow"):
        names.update(marker.args)
    return names
