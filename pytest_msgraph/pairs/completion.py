"""Which variants of a mode pair run when some plugin or the user left one of them out.

- The user's own selection wins: a variant that ``-k``, ``-m``, ``--deselect`` or the node
  ids typed leave out does not run, and the variant that runs alone is not compared.
- ``--lf`` reruns the other variant of a failed one: a parity failure needs both.
- A sharding plugin (pytest-split, pytest-shard, pytest-test-groups) keeps each pair
  whole in exactly one shard: the shard that holds the pair's first variant (in
  collection order, the same in every shard) runs both, and a shard that holds only a
  second variant leaves it to that shard.
"""
from __future__ import annotations

import dataclasses
from typing import Any, Optional

import pytest

from .identity import known_variant
from .selection import selected_by_user

# (option dest, what it is) of the sharding plugins this knows: a run with one of them set is a shard.
SHARDING_OPTIONS = (("splits", "pytest-split"), ("num_shards", "pytest-shard"),
                    ("test_group_count", "pytest-test-groups"))


@dataclasses.dataclass
class PairNotes:
    """What happened to pairs in this process, for one line each in the summary."""

    # (The names are the report's keys: the session notes travel to the controller as this dict.)
    alone: list[str] = dataclasses.field(default_factory=list)  # variants that run without the other variant
    lf_twins: list[str] = dataclasses.field(default_factory=list)  # variants --lf runs again for a failed one
    shard: Optional[str] = None  # the sharding plugin in use
    moved: int = 0  # lone variants left to the shard that holds their first variant
    pulled: int = 0  # variants pulled into this shard

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


def sharding_plugin(config: pytest.Config) -> Optional[str]:
    for dest, name in SHARDING_OPTIONS:
        try:
            if config.getoption(dest):
                return name
        except ValueError:  # that plugin is not installed
            continue
    return None


def complete_pairs(items: list[Any], collected: list[Any], config: pytest.Config) -> tuple:
    """Apply the rules above to ``items`` in place (``collected``: every variant); return (restored, dropped, notes)."""
    notes = PairNotes(shard=sharding_plugin(config))
    pairs: dict[str, list[Any]] = {}
    for item in collected:
        pairs.setdefault(known_variant(item).pair, []).append(item)
    present = {id(item) for item in items}
    incomplete = {key: members for key, members in pairs.items()
                  if 0 < sum(id(m) in present for m in members) < len(members)}
    if not incomplete:
        return [], [], notes
    missing = [m for members in incomplete.values() for m in members if id(m) not in present]
    wanted = {id(m) for m in selected_by_user(config, missing)}
    last_failed = bool(config.getoption("lf", False))
    restored, dropped = [], []
    for members in incomplete.values():
        chosen = [m for m in members if id(m) in present or id(m) in wanted]
        if len(chosen) < len(members) or not chosen:
            notes.alone += [m.nodeid for m in members if id(m) in present]
            continue
        if notes.shard is not None:
            first = chosen[0]
            if id(first) in present:
                notes.pulled += 1
                restored += [m for m in chosen if id(m) not in present]
            else:
                notes.moved += 1
                dropped += [m for m in chosen if id(m) in present]
        elif last_failed:
            back = [m for m in chosen if id(m) not in present]
            notes.lf_twins += [m.nodeid for m in back]
            restored += back
        else:  # another plugin left it out: respected like the user's choice
            notes.alone += [m.nodeid for m in members if id(m) in present]
    items.extend(restored)
    gone = {id(m) for m in dropped}
    items[:] = [item for item in items if id(item) not in gone]
    return restored, dropped, notes
