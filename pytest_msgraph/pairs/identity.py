"""One identity per variant of a mode pair, made once at collection and kept in the item's stash.

A *mode pair* is the two items of one test that differ only in the MindSpore mode they
run in; each item is a *variant*. Everything that asks "is this item a variant, of which
pair, in which mode?" (the lifecycle, the header, ordering, completion, the idle rule,
the reports) reads the one ``Variant`` made here, never the item's callspec again.

All the variants of a test function come from one ``pytest_pycollect_makeitem`` call,
so a function's items are identified together, before any plugin filters them: that is
where a pair's name can be read from what its two variants' ids share.
"""
from __future__ import annotations

import dataclasses
from typing import Any, Optional

import pytest

from ..core.modes import Mode

# The private argument through which both_modes (or --ms-both-modes=all) parametrizes a test.
MODE_PARAM = "_msgraph_mode"

# Who made the pair: the both_modes marker, --ms-both-modes=all, or the user's own parametrize.
MARKED = "both_modes"
OPTION = "ms-both-modes=all"
ADOPTED = "parametrize"


@dataclasses.dataclass(frozen=True)
class Variant:
    """What the plugin knows of one variant: its mode, its pair's name, the argument and who made it."""

    mode: Mode
    pair: str  # the name both variants share: the test id without the mode's part
    argument: str  # the test argument that holds the mode (MODE_PARAM unless adopted)
    origin: str  # MARKED, OPTION or ADOPTED

    @property
    def adopted(self) -> bool:
        return self.origin == ADOPTED


VARIANT_KEY = pytest.StashKey[Variant]()


def variant_of(node: Any) -> Optional[Variant]:
    """The item's identity as a variant; None for a test that is not one (and for any other node)."""
    stash = getattr(node, "stash", None)
    return None if stash is None else stash.get(VARIANT_KEY, None)


def known_variant(item: Any) -> Variant:
    """The identity of an item already known to be a variant (collected as one, or idle-watched as one)."""
    found = variant_of(item)
    if found is None:
        raise LookupError(f"{item.nodeid} is not a variant of a mode pair")
    return found


def function_nodeid(item: Any) -> str:
    """``t.py::C::test_f[0-a]`` -> ``t.py::C::test_f`` (from the parent: xdist's loadgroup suffixes node ids)."""
    original = getattr(item, "originalname", item.name)
    parent = getattr(item, "parent", None)
    if parent is None or not parent.nodeid:
        return item.nodeid[: len(item.nodeid) - len(item.name)] + original
    return f"{parent.nodeid}::{original}"


def id_parts(callspec_id: str) -> list[str]:
    # pytest joins the ids of every argument with "-", several arguments of one parametrize too.
    return str(callspec_id).split("-")


def pair_name(function: str, parts: list[str], mode_part: Optional[int]) -> str:
    """The function's node id with every id but the mode's: ``t.py::f[GRAPH_MODE-3]`` -> ``t.py::f[3]``."""
    rest = [part for i, part in enumerate(parts) if i != mode_part]
    return function + (f"[{'-'.join(rest)}]" if rest else "")


def identify(items: list[Any], adopted_argument: Optional[str]) -> list[Any]:
    """Stash a Variant on each of one function's items that is one; return those items."""
    found: list[tuple[Any, Mode, str, str]] = []
    for item in items:
        params = getattr(getattr(item, "callspec", None), "params", None)
        if not params:
            continue
        if MODE_PARAM in params:
            origin = MARKED if item.get_closest_marker("both_modes") is not None else OPTION
            found.append((item, params[MODE_PARAM], MODE_PARAM, origin))
        elif adopted_argument is not None and adopted_argument in params:
            found.append((item, Mode(params[adopted_argument]), adopted_argument, ADOPTED))
    names = _pair_names([(item, mode, argument) for item, mode, argument, _ in found])
    for item, mode, argument, origin in found:
        item.stash[VARIANT_KEY] = Variant(mode, names[id(item)], argument, origin)
    return [item for item, *_ in found]


def _pair_names(variants: list[tuple[Any, Mode, str]]) -> dict[int, str]:
    """{id(item): its pair's name}: where two variants' ids differ in one part, that part is the mode's."""
    groups: dict[str, list[tuple[Any, Mode]]] = {}
    for item, mode, argument in variants:
        # The two variants take the very same values for every other argument (pytest hands both the same objects).
        others = repr(sorted((k, repr(v)) for k, v in item.callspec.params.items() if k != argument))
        groups.setdefault(others, []).append((item, mode))
    names: dict[int, str] = {}
    for members in groups.values():
        parts = [id_parts(item.callspec.id) for item, _ in members]
        differing = [i for i in range(len(parts[0])) if parts[0][i] != parts[1][i]] \
            if len(members) == 2 and len(parts[0]) == len(parts[1]) else []
        for (item, mode), item_parts in zip(members, parts):
            # Without a single differing part (no other variant collected), the part that reads as the mode.
            drop = differing[0] if len(differing) == 1 else \
                next((i for i, part in enumerate(item_parts) if part in (mode.name, str(int(mode)))), None)
            names[id(item)] = pair_name(function_nodeid(item), item_parts, drop)
    return names
