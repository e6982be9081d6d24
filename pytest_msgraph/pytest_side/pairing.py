"""Keep the two variants of each mode pair together, PYNATIVE_MODE first, in one process.

mode_parity compares a GRAPH_MODE variant with its PYNATIVE_MODE twin. When the twin
ran just before, in the same process, a mismatch fails the GRAPH_MODE test itself;
otherwise the comparison waits until both have ended. So after every other plugin has
shuffled (pytest-randomly), filtered (``-k``, ``--lf``, a sharding plugin) or reordered
(``--ff``, ``--nf``) the items, each pair is put back side by side (twins.py decides
which variants run). Two orders are kept as they are: pytest's order for a mode
parameter of a wider scope than the function (it groups a module-scoped fixture's
setups by it), and the whole suite's order under ``ms_restore_context = false`` (each
test then starts from the context the one before left).
"""
from __future__ import annotations

from typing import Any, Optional

import pytest

from .adoption import function_nodeid
from .twins import TwinNotes, complete_pairs
from .variants import VARIANT_ORDER, mode_argument, variant_mode

PAIR_NAME = pytest.StashKey[str]()


def pair_key(item: pytest.Item) -> Optional[str]:
    """The name both variants of a pair share (the test id without the mode's part); None if unpaired.

    ``t.py::test_f[GRAPH_MODE-3]`` -> ``t.py::test_f[3]``; ``t.py::test_loss[0-mean]`` -> ``t.py::test_loss[mean]``.
    """
    mode = variant_mode(item)
    if mode is None:
        return None
    name = item.stash.get(PAIR_NAME, None)
    if name is None:  # no twin was collected: drop the part that reads as the mode
        parts = _id_parts(item)
        spelled = {mode.name, str(int(mode))}
        drop = next((i for i, part in enumerate(parts) if part in spelled), None)
        name = item.stash[PAIR_NAME] = _named(item, parts, drop)
    return name


def _id_parts(item: Any) -> list[str]:  # a pytest.Function: only parametrized items are variants
    # pytest joins the ids of every argument with "-", several arguments of one parametrize too.
    return str(item.callspec.id).split("-")


def _named(item: Any, parts: list[str], drop: Optional[int]) -> str:
    rest = [part for i, part in enumerate(parts) if i != drop]
    return function_nodeid(item) + (f"[{'-'.join(rest)}]" if rest else "")


def name_pairs(items: list) -> None:
    """Name each pair after what its two variants' ids share: the part where they differ is the mode's."""
    groups: dict[tuple, list] = {}
    for item in items:
        if variant_mode(item) is None:
            continue
        argument = mode_argument(item)
        # Twins take the very same values for every other argument (pytest hands both the same objects).
        others = repr(sorted((k, repr(v)) for k, v in item.callspec.params.items() if k != argument))
        groups.setdefault((function_nodeid(item), others), []).append(item)
    for members in groups.values():
        parts = [_id_parts(item) for item in members]
        if len(members) != 2 or len(parts[0]) != len(parts[1]):
            continue  # pair_key falls back to the mode's spelling
        differing = [i for i in range(len(parts[0])) if parts[0][i] != parts[1][i]]
        if len(differing) == 1:
            for item, item_parts in zip(members, parts):
                item.stash[PAIR_NAME] = _named(item, item_parts, differing[0])


def _scope_wider_than_function(item: Any) -> bool:
    """The mode parameter was given a wider scope (``parametrize(..., scope="module")``)."""
    scope = getattr(item.callspec, "_arg2scope", {}).get(mode_argument(item))  # pytest's private map
    return scope is not None and getattr(scope, "value", scope) != "function"


def pair_adjacent(items: list) -> list:
    """``items`` with each pair's variants together at the first one's place, PYNATIVE_MODE first."""
    groups: dict[str, list[Any]] = {}
    for item in items:
        key = pair_key(item)
        if key is not None and not _scope_wider_than_function(item):
            groups.setdefault(key, []).append(item)
    ordered: list[Any] = []
    placed: set[str] = set()
    for item in items:
        key = pair_key(item)
        if key not in groups:
            ordered.append(item)
        elif key not in placed:
            placed.add(key)
            ordered.extend(sorted(groups[key], key=lambda i: VARIANT_ORDER.index(variant_mode(i))))
    return ordered


class VariantPairing:
    """Registered in pytest_configure, after the cache plugins: its wrapper is outermost and runs last."""

    def __init__(self, complete: bool, reorder: bool) -> None:
        self.complete = complete  # only while mode_parity is on: which twins run is decided for the comparison
        self.reorder = reorder  # False under ms_restore_context = false: the suite's order is its state's order
        # Every variant collected, before --lf drops items from a module's collection (it does so
        # at collection, without deselecting them) and before -k or -m deselect them.
        self.collected: list = []
        self.notes = TwinNotes()

    def note_collected(self, nodes: Optional[list]) -> None:
        if nodes:
            self.collected.extend(node for node in nodes
                                  if isinstance(node, pytest.Item) and variant_mode(node) is not None)

    @pytest.hookimpl(wrapper=True, tryfirst=True)
    def pytest_collection_modifyitems(self, config: pytest.Config, items: list):
        result = yield
        name_pairs(self.collected)
        if self.complete:
            restored, dropped, self.notes = complete_pairs(items, self.collected, config, pair_key)
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
