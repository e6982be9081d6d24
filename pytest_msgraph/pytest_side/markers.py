"""The plugin's markers: declared, validated at collection, and read by the other modules."""
from __future__ import annotations

import os
import unittest
import warnings
from typing import Optional

import pytest

from ..checks.frame import CheckRegistry
from ..core.modes import Mode
from ..mindspore_side.device_marks import ALL_PLATFORM_MARKS, CARD_MARKS, canonical_devices
from . import adoption as mode_adoption
from .options import Settings
from .warning import MsGraphWarning

# The private argument through which both_modes parametrizes a test.
MODE_PARAM = "_msgraph_mode"
VARIANT_ORDER = (Mode.PYNATIVE_MODE, Mode.GRAPH_MODE)

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


def _collection_error(metafunc: pytest.Metafunc, message: str) -> None:
    pytest.fail(f"{metafunc.definition.nodeid}: {message}", pytrace=False)


def _parametrized_names(metafunc: pytest.Metafunc) -> set[str]:
    names: set[str] = set()
    for marker in metafunc.definition.iter_markers("parametrize"):
        argnames = marker.args[0] if marker.args else marker.kwargs.get("argnames", "")
        if isinstance(argnames, str):
            argnames = argnames.split(",")
        names.update(name.strip() for name in argnames)
    return names


def validate_device_marks(metafunc: pytest.Metafunc) -> None:
    for marker in metafunc.definition.iter_markers("ms_device"):
        problem = None
        try:
            canonical_devices(marker.args)
        except ValueError as exc:
            problem = str(exc)
        if problem is not None:  # raised outside the except block: pytest would print both errors, chained
            _collection_error(metafunc, problem)


def validate_tolerance(metafunc: pytest.Metafunc) -> None:
    for marker in metafunc.definition.iter_markers("ms_tolerance"):
        values = marker.kwargs
        if marker.args or not values or set(values) - {"rtol", "atol"} or not all(
            isinstance(v, (int, float)) and not isinstance(v, bool) and v >= 0 for v in values.values()
        ):
            _collection_error(
                metafunc,
                f"@pytest.mark.ms_tolerance takes rtol= and/or atol= as numbers >= 0, got "
                f"args={marker.args!r} kwargs={values!r}; example: @pytest.mark.ms_tolerance(rtol=1e-3, atol=1e-5)",
            )


def validate_max_compiles(metafunc: pytest.Metafunc) -> None:
    for marker in metafunc.definition.iter_markers("ms_max_compiles"):
        if marker.kwargs or len(marker.args) != 1 or not _is_count(marker.args[0]):
            _collection_error(
                metafunc,
                f"@pytest.mark.ms_max_compiles takes one whole number >= 0, got args={marker.args!r} "
                f"kwargs={marker.kwargs!r}; example: @pytest.mark.ms_max_compiles(2)",
            )


def _is_count(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def max_compiles(item: pytest.Item) -> Optional[int]:
    marker = item.get_closest_marker("ms_max_compiles")
    return None if marker is None else marker.args[0]


def validate_allow(metafunc: pytest.Metafunc, registry: CheckRegistry) -> None:
    for marker in metafunc.definition.iter_markers("ms_allow"):
        if marker.kwargs or not marker.args or not all(isinstance(a, str) for a in marker.args):
            _collection_error(
                metafunc,
                "@pytest.mark.ms_allow takes check names as strings, e.g. "
                f"@pytest.mark.ms_allow(\"double_forward\"); known checks: {', '.join(registry.names())}.",
            )
        unknown = [name for name in marker.args if name not in registry]
        if unknown:
            _collection_error(
                metafunc,
                f"@pytest.mark.ms_allow names unknown check(s) {', '.join(map(repr, unknown))}; "
                f"known checks: {', '.join(registry.names())}.",
            )


def generate_mode_variants(metafunc: pytest.Metafunc, settings: Settings) -> None:
    """Split a both_modes test (or every test, with --ms-both-modes=all) into one item per mode."""
    marker = metafunc.definition.get_closest_marker("both_modes")
    if marker is not None and (marker.args or marker.kwargs):
        _collection_error(
            metafunc,
            "@pytest.mark.both_modes takes no arguments; choose modes for the run with "
            "--ms-modes=GRAPH_MODE,PYNATIVE_MODE, or skip one mode inside the test using the ms_mode fixture.",
        )
    adopted = mode_adoption.adopt(metafunc)  # parametrize('mode', [0, 1]) is a mode pair already
    if marker is None and settings.both_modes != "all":
        return
    if adopted is not None or "mode" in _parametrized_names(metafunc):
        if marker is not None:
            _collection_error(
                metafunc,
                "the test parametrizes 'mode' itself and also carries @pytest.mark.both_modes, "
                "which would run every mode twice; remove @pytest.mark.both_modes (a parametrize over "
                "the two modes is already a mode pair), or remove the 'mode' parametrization and the "
                "set_context(mode=...) call and read the mode from the ms_mode fixture.",
            )
        return  # --ms-both-modes=all leaves tests that choose their modes alone
    # PYNATIVE_MODE first: when the GRAPH_MODE variant ends, its eager counterpart has run in the
    # same process (serial runs), so mode_parity can compare at once and fail the GRAPH_MODE variant.
    params = [pytest.param(mode, id=mode.name, marks=_skip_marks(mode, settings)) for mode in VARIANT_ORDER]
    metafunc.fixturenames.append(MODE_PARAM)
    metafunc.parametrize(MODE_PARAM, params)


def _skip_marks(mode: Mode, settings: Settings) -> list:
    if mode not in settings.modes:
        chosen = ",".join(m.name for m in settings.modes)
        return [pytest.mark.skip(reason=f"msgraph: {mode.name} not selected (--ms-modes={chosen})")]
    if mode is Mode.GRAPH_MODE and os.environ.get("MS_JIT") == "0":
        return [pytest.mark.skip(
            reason="msgraph: MS_JIT=0 is set, so MindSpore would run this GRAPH_MODE variant eagerly "
            "and prove nothing about graph mode; unset MS_JIT to run it"
        )]
    return []


def check_unittest_class(collector: pytest.Collector, obj: object, settings: Settings) -> None:
    """A unittest.TestCase cannot be parametrized, so both_modes cannot split it: say so, never run it silently once."""
    if not (isinstance(obj, type) and issubclass(obj, unittest.TestCase)):
        return
    where = f"{collector.nodeid}::{obj.__name__}"
    advice = ("write it as a pytest test function or plain class (both_modes splits those), or parametrize "
              "the mode inside the TestCase with self.subTest and ms.set_context(mode=...)")
    own_marks = getattr(obj, "pytestmark", None) or []
    if collector.get_closest_marker("both_modes") or any(getattr(m, "name", None) == "both_modes" for m in own_marks):
        pytest.fail(f"{where}: @pytest.mark.both_modes cannot split a unittest.TestCase class (pytest does not "
                    f"parametrize unittest tests); it would run once, in PYNATIVE_MODE only. To fix: {advice}.",
                    pytrace=False)
    if settings.both_modes == "all":
        warnings.warn_explicit(
            MsGraphWarning(f"msgraph: {where} is a unittest.TestCase: --ms-both-modes=all cannot split it, so it "
                           f"runs once, in the session's mode. To run it in both modes: {advice}."),
            MsGraphWarning, filename=str(collector.path), lineno=0)


def variant_mode(item: pytest.Item) -> Optional[Mode]:
    """The mode a variant of a mode pair runs in (both_modes, or an adopted mode argument); else None."""
    callspec = getattr(item, "callspec", None)
    if callspec is None:
        return None
    mode = callspec.params.get(MODE_PARAM)
    if mode is not None:
        return mode
    argument = mode_adoption.adopted_argument(item)
    return None if argument is None else Mode(callspec.params[argument])


def allowed_checks(item: pytest.Item) -> set[str]:
    names: set[str] = set()
    for marker in item.iter_markers("ms_allow"):
        names.update(marker.args)
    return names
