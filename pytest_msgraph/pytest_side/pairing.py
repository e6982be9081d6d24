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

from typing import Any, Optional

import pytest

from .adoption import adopted_argument, function_nodeid
from .markers import MODE_PARAM, VARIANT_ORDER, variant_mode

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
    # One part per parametrize call (pytest's private _idlist); splitting the id on "-" is the fallback.
    parts = getattr(item.callspec, "_idlist", None)
    return list(parts) if parts is not None else item.callspec.id.split("-")


def _named(item: Any, parts: list[str], drop: Optional[int]) -> str:
    rest = [part for i, part in enumerate(parts) if i != drop]
    return function_nodeid(item) + (f"[{'-'.join(rest)}]" if rest else "")


def _mode_argument(item: Any) -> str:
    return MODE_PARAM if MODE_PARAM in item.callspec.params else str(adopted_argument(item))


def name_pairs(items: list) -> None:
    """Name each pair after what its two variants' ids share: the part where they differ is the mode's."""
    groups: dict[tuple, list] = {}
    for item in items:
        if variant_mode(item) is None:
            continue
        argument = _mode_argument(item)
        indices = getattr(item.callspec, "indices", None) or {k: repr(v) for k, v in item.callspec.params.items()}
        others = tuple(sorted((k, str(v)) for k, v in indices.items() if k != argument))
        groups.setdefault((function_nodeid(item), others), []).append(item)
    for members in groups.values():
        parts = [_id_parts(item) for item in members]
        if len(members) < 2 or len({len(p) for p in parts}) != 1:
            continue  # pair_key falls back to the mode's spelling
        differing = [i for i in range(len(parts[0])) if len({p[i] for p in parts}) > 1]
        if len(differing) == 1:
            for item, item_parts in zip(members, parts):
                item.stash[PAIR_NAME] = _named(item, item_parts, differing[0])


def restore_twins(items: list, collected: list) -> list:
    """Add back each collected variant left out while its twin is selected; return the ones added."""
    selected = {key for key in map(pair_key, items) if key is not None}
    present = set(map(id, items))
    restored = [item for item in collected if id(item) not in present and pair_key(item) in selected]
    items.extend(restored)
    return restored


def pair_adjacent(items: list) -> list:
    """``items`` with each pair's variants together at the first one's place, PYNATIVE_MODE first."""
    groups: dict[str, list[Any]] = {}
    for item in items:
        key = pair_key(item)
        if key is not None:
            groups.setdefault(key, []).append(item)
    ordered: list[Any] = []
    placed: set[str] = set()
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
        if nodes:
            self.collected.extend(node for node in nodes
                                  if isinstance(node, pytest.Item) and variant_mode(node) is not None)

    @pytest.hookimpl(wrapper=True, tryfirst=True)
    def pytest_collection_modifyitems(self, config: pytest.Config, items: list):
        result = yield
        name_pairs(self.collected)
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
