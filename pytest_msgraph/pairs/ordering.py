"""Keep the two variants of each mode pair together, PYNATIVE_MODE first, in one process.

mode_parity compares a GRAPH_MODE variant with its PYNATIVE_MODE variant. When that one
ran just before, in the same process, a mismatch fails the GRAPH_MODE test itself;
otherwise the comparison waits until both have ended. So after every other plugin has
shuffled (pytest-randomly), filtered (``-k``, ``--lf``, a sharding plugin) or reordered
(``--ff``, ``--nf``) the items, each pair is put back side by side (completion.py decides
which variants run). Two orders are kept as they are: pytest's order for a mode
parameter of a wider scope than the function (it groups a module-scoped fixture's
setups by it), and the whole suite's order under ``ms_restore_context = false`` (each
test then starts from the context the one before left).
"""
from __future__ import annotations

from typing import Any, Optional

import pytest

from .completion import PairNotes, complete_pairs
from .identity import known_variant, variant_of
from .variants import VARIANT_ORDER


def _scope_wider_than_function(item: Any) -> bool:
    """The mode parameter was given a wider scope (``parametrize(..., scope="module")``)."""
    scope = getattr(item.callspec, "_arg2scope", {}).get(known_variant(item).argument)  # pytest's private map
    return scope is not None and getattr(scope, "value", scope) != "function"


def pair_adjacent(items: list) -> list:
    """``items`` with each pair's variants together at the first one's place, PYNATIVE_MODE first."""
    groups: dict[str, list[Any]] = {}
    for item in items:
        variant = variant_of(item)
        if variant is not None and not _scope_wider_than_function(item):
            groups.setdefault(variant.pair, []).append(item)
    ordered: list[Any] = []
    placed: set[str] = set()
    for item in items:
        variant = variant_of(item)
        key = variant.pair if variant is not None else None
        if key not in groups:
            ordered.append(item)
        elif key not in placed:
            placed.add(key)
            ordered.extend(sorted(groups[key], key=lambda i: VARIANT_ORDER.index(known_variant(i).mode)))
    return ordered


class VariantPairing:
    """Registered in pytest_configure, after the cache plugins: its wrapper is outermost and runs last."""

    def __init__(self, complete: bool, reorder: bool) -> None:
        self.complete = complete  # only while mode_parity is on: which variants run is decided for the comparison
        self.reorder = reorder  # False under ms_restore_context = false: the suite's order is its state's order
        # Every variant collected, before --lf drops items from a module's collection (it does so
        # at collection, without deselecting them) and before -k or -m deselect them.
        self.collected: list = []
        self.notes = PairNotes()

    def note_collected(self, nodes: Optional[list]) -> None:
        if nodes:
            self.collected.extend(node for node in nodes
                                  if isinstance(node, pytest.Item) and variant_of(node) is not None)

    @pytest.hookimpl(wrapper=True, tryfirst=True)
    def pytest_collection_modifyitems(self, config: pytest.Config, items: list):
        result = yield
        if self.complete:
            restored, dropped, self.notes = complete_pairs(items, self.collected, config)
            if restored:
                _undeselect(config, restored)
            if dropped:
                config.hook.pytest_deselected(items=dropped)
        if self.reorder:
            items[:] = pair_adjacent(items)
        return result


def _undeselect(config: pytest.Config, restored: list) -> None:
    """The terminal's "N deselected" must count only what really does not run."""
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    deselected = getattr(reporter, "stats", {}).get("deselected")
    if deselected:
        back = set(map(id, restored))
        deselected[:] = [item for item in deselected if id(item) not in back]
