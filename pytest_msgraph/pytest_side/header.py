"""What the plugin says at the top of a run: the header line, and a line once collection is done."""
from __future__ import annotations

import pytest

from ..core.environment import mindspore_version
from ..core.releases import status_line
from ..pairs.identity import variant_of
from ..reports.terminal_text import plural
from .state import PluginState


def header(state: PluginState) -> list[str]:
    s = state.settings
    device = state.device or "MindSpore's default"  # not chosen; MindSpore is not imported yet to ask
    if state.ms is not None and state.ms.device_id is not None:
        device += f":{state.ms.device_id}"
    elif s.device_id is not None:
        device += f" (device id {s.device_id})"
    if state.device_skip_reason is not None:
        device += " (unavailable on this runner: every test skipped)"
    jit = f", jit level {s.jit_level}" if s.jit_level else ""
    version = mindspore_version()
    first = (f"msgraph: mindspore {version}, device {device}, "
             f"modes {','.join(m.name for m in s.modes)} (both_modes: {s.both_modes}){jit}, seed {s.seed}")
    # Outside the tested releases: said once, read from the package metadata (MindSpore is not imported yet).
    untested = status_line(version)
    return [first] if untested is None else [first, untested]


def after_collection(items: list[pytest.Item], state: PluginState) -> list[str]:
    """The mode pairs collected (and how many were adopted), and the tests an unavailable device skips."""
    lines = []
    variants = [v for v in map(variant_of, items) if v is not None]
    pairs = {variant.pair: variant.adopted for variant in variants}
    if pairs:
        adopted = sum(pairs.values())
        adopted_items = sum(variant.adopted for variant in variants)
        taken = f"; adopted {adopted_items} parametrized tests as {plural(adopted, 'pair')}" if adopted else ""
        lines.append(f"msgraph: {plural(len(pairs), 'mode pair')}{taken}")
    if state.device_skip_reason is not None and items:
        lines.append(f"msgraph: {state.device} unavailable on this runner: {plural(len(items), 'test')} skipped "
                     "(--ms-device-unavailable=skip)")
    return lines
