"""Making variants: ``both_modes`` splits a test into one item per mode; adopted tests already are.

Both kinds are a *mode pair*: each variant starts in its mode from the same seed, is
skipped with the reason when ``--ms-modes`` leaves its mode out or ``MS_JIT=0`` would
run a GRAPH_MODE variant eagerly, and mode_parity compares the two. Each variant's
identity is stashed once, here, when its function's items are made (identity.py).
"""
from __future__ import annotations

import os
from typing import Any, Callable, Collection

import pytest

from ..core.modes import Mode
from . import adoption
from .identity import MODE_PARAM, identify, variant_of

VARIANT_ORDER = (Mode.PYNATIVE_MODE, Mode.GRAPH_MODE)


def generate_mode_variants(metafunc: pytest.Metafunc, modes: Collection[Mode], both_modes: str,
                           misused: Callable[[Any, str], None]) -> None:
    """Split a both_modes test (or every test, with --ms-both-modes=all) into one item per mode.

    ``modes`` are the modes selected (--ms-modes), ``both_modes`` the option's value, and
    ``misused(definition, text)`` notes a misused marker for the module's collection error."""
    definition = metafunc.definition
    marker = definition.get_closest_marker("both_modes")
    if marker is not None and (marker.args or marker.kwargs):
        return  # said by markers.problems
    if marker is None and both_modes != "all":
        return
    # Names only: the values are pytest's to read (a generator must reach it whole).
    if adoption.mode_candidates(definition.iter_markers("parametrize"), metafunc.function):
        if marker is not None:
            misused(definition, "the test parametrizes 'mode' itself and also carries "
                    "@pytest.mark.both_modes, which would run every mode twice; remove "
                    "@pytest.mark.both_modes (a parametrize over the two modes is already a mode pair), or "
                    "remove the 'mode' parametrization and the set_context(mode=...) call and read the "
                    "mode from the ms_mode fixture.")
        return  # --ms-both-modes=all leaves tests that choose their modes alone
    # PYNATIVE_MODE first: when the GRAPH_MODE variant ends, its eager counterpart has run in the
    # same process, so mode_parity can compare at once and fail the GRAPH_MODE variant.
    params = [pytest.param(mode, id=mode.name, marks=skip_marks(mode, modes)) for mode in VARIANT_ORDER]
    metafunc.fixturenames.append(MODE_PARAM)
    metafunc.parametrize(MODE_PARAM, params)


def skip_marks(mode: Mode, modes: Collection[Mode]) -> list:
    if mode not in modes:
        chosen = ",".join(m.name for m in modes)
        return [pytest.mark.skip(reason=f"msgraph: {mode.name} not selected (--ms-modes={chosen})")]
    if mode is Mode.GRAPH_MODE and os.environ.get("MS_JIT") == "0":
        return [pytest.mark.skip(
            reason="msgraph: MS_JIT=0 is set, so MindSpore would run this GRAPH_MODE variant eagerly "
            "and prove nothing about graph mode; unset MS_JIT to run it"
        )]
    return []


def made(items: list[Any], modes: Collection[Mode]) -> None:
    """One function's items, as pytest built them: identify its variants (a parametrize over the two
    modes becomes a pair too) and skip an adopted variant whose mode is not selected."""
    for item in identify(items, adoption.adopt(items)):
        variant = variant_of(item)
        if variant is not None and variant.adopted:
            for mark in skip_marks(variant.mode, modes):
                item.add_marker(mark)
