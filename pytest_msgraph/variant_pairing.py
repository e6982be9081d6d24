"""Keep the two variants of each mode pair together, PYNATIVE_MODE first, in one process.

mode_parity compares a GRAPH_MODE variant with its PYNATIVE_MODE twin. When the twin
ran just before, in the same process, a mismatch fails the GRAPH_MODE test itself;
otherwise the comparison waits for the end of the session. So after every other
plugin has shuffled (pytest-randomly), filtered (``-k``, ``--lf``) or reordered
(``--ff``, ``--nf``) the items, each pair is put back side by side, and a twin that a
selection left out is run again: a GRAPH_MODE test that failed last time must not
pass under ``--lf`` because nothing was there to compare it with.
"""
from __future__ import annotations

from typing import Optional

import pytest

from .markers import VARIANT_ORDER, variant_mode
from .shape_signatures import split_nodeid


def pair_key(item: pytest.Item) -> Optional[tuple[str, str]]:
    """(test function, other parameters) shared by the two variants; None for an unpaired item."""
    mode = variant_mode(item)
    return None if mode is None else split_nodeid(item.nodeid, mode.name)


def restore_twins(items: list, collected: list) -> list:
    """Add back each collected variant left out while its twin is selected; return the ones added."""
    selected = {key for key in map(pair_key, items) if key is not None}
    present = set(map(id, items))
    restored = [item for item in collected if id(item) not in present and pair_key(item) in selected]
    items.extend(restored)
    return restored


def pair_adjacent(items: list) -> list:
    """``items`` with each pair's variants together at the first one's place, PYNATIVE_MODE first."""
    groups: dict[tuple[str, str], list] = {}
    for item in items:
        key = pair_key(item)
        if key is not None:
            groups.setdefault(key, []).append(item)
    ordered, placed = [], set()
    for item in items:
        key = pair_key(item)
        if key is None:
            ordered.append(item)
        elif key not in placed:
            placed.add(key)
            ordered.extend(sorted(groups[key], key=lambda i: VARIANT_ORDER.index(variant_mode(i))))
    return ordered


class VariantPairing:
    """Registered in pytest_configure, after the cache plugins: its wrapper is outermost and runs last."""

    def __init__(self, restore: bool) -> None:
        self.restore = restore  # only while mode_parity is on: the twin runs for the comparison
        # Every variant collected, before --lf drops items from a module's collection (it does so
        # at collection, without deselecting them) and before -k or -m deselect them.
        self.collected: list = []

    def note_collected(self, nodes: Optional[list]) -> None:
        if self.restore and nodes:
            self.collected.extend(node for node in nodes if isinstance(node, pytest.Item) and pair_key(node))

    @pytest.hookimpl(wrapper=True, tryfirst=True)
    def pytest_collection_modifyitems(self, config: pytest.Config, items: list):
        result = yield
        if self.restore:
            restored = restore_twins(items, self.collected)
            if restored:
                _undeselect(config, restored)
        items[:] = pair_adjacent(items)
        return result


def _undeselect(config: pytest.Config, restored: list) -> None:
    """The terminal's "N deselected" must count only what really does not run."""
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    deselected = getattr(reporter, "stats", {}).get("deselected")
    if deselected:
        back = set(map(id, restored))
        deselected[:] = [item for item in deselected if id(item) not in back]
