"""Mode variants: ``both_modes`` splits a test into one item per mode; adopted tests already are.

Both kinds are a *mode pair*: each variant starts in its mode from the same seed, is
skipped with the reason when ``--ms-modes`` leaves its mode out or ``MS_JIT=0`` would
run a GRAPH_MODE variant eagerly, and mode_parity compares the two.
"""
from __future__ import annotations

import os
import unittest
import warnings
from typing import Any, Optional

import pytest

from ..core.modes import Mode
from . import adoption
from .markers import MisusedMarkers
from .options import Settings
from .warning import MsGraphWarning

# The private argument through which both_modes parametrizes a test.
MODE_PARAM = "_msgraph_mode"
VARIANT_ORDER = (Mode.PYNATIVE_MODE, Mode.GRAPH_MODE)


def generate_mode_variants(metafunc: pytest.Metafunc, settings: Settings, misused: MisusedMarkers) -> None:
    """Split a both_modes test (or every test, with --ms-both-modes=all) into one item per mode."""
    definition = metafunc.definition
    marker = definition.get_closest_marker("both_modes")
    if marker is not None and (marker.args or marker.kwargs):
        return  # said by markers.problems
    if marker is None and settings.both_modes != "all":
        return
    # Names only: the values are pytest's to read (a generator must reach it whole).
    if adoption.mode_candidates(definition.iter_markers("parametrize"), metafunc.function):
        if marker is not None:
            misused.note(definition, "the test parametrizes 'mode' itself and also carries "
                         "@pytest.mark.both_modes, which would run every mode twice; remove "
                         "@pytest.mark.both_modes (a parametrize over the two modes is already a mode pair), or "
                         "remove the 'mode' parametrization and the set_context(mode=...) call and read the "
                         "mode from the ms_mode fixture.")
        return  # --ms-both-modes=all leaves tests that choose their modes alone
    # PYNATIVE_MODE first: when the GRAPH_MODE variant ends, its eager counterpart has run in the
    # same process, so mode_parity can compare at once and fail the GRAPH_MODE variant.
    params = [pytest.param(mode, id=mode.name, marks=skip_marks(mode, settings)) for mode in VARIANT_ORDER]
    metafunc.fixturenames.append(MODE_PARAM)
    metafunc.parametrize(MODE_PARAM, params)


def skip_marks(mode: Mode, settings: Settings) -> list:
    if mode not in settings.modes:
        chosen = ",".join(m.name for m in settings.modes)
        return [pytest.mark.skip(reason=f"msgraph: {mode.name} not selected (--ms-modes={chosen})")]
    if mode is Mode.GRAPH_MODE and os.environ.get("MS_JIT") == "0":
        return [pytest.mark.skip(
            reason="msgraph: MS_JIT=0 is set, so MindSpore would run this GRAPH_MODE variant eagerly "
            "and prove nothing about graph mode; unset MS_JIT to run it"
        )]
    return []


def adopt(items: list[Any], settings: Settings) -> None:
    """One function's items, as pytest built them: a parametrize over the two modes becomes a pair."""
    argument = adoption.adopt(items)
    if argument is None:
        return
    for item in items:
        for mark in skip_marks(Mode(item.callspec.params[argument]), settings):
            item.add_marker(mark)


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
    argument = adoption.adopted_argument(item)
    return None if argument is None else Mode(callspec.params[argument])


def mode_argument(item: Any) -> str:
    """The argument that holds a variant's mode."""
    return MODE_PARAM if MODE_PARAM in item.callspec.params else str(adoption.adopted_argument(item))
