"""The two MindSpore execution modes, named without importing MindSpore."""
from __future__ import annotations

import enum


class Mode(enum.IntEnum):
    """An execution mode. Values equal MindSpore's constants (``ms.GRAPH_MODE == 0``)."""

    GRAPH_MODE = 0
    PYNATIVE_MODE = 1

    def __str__(self) -> str:
        return self.name


ALL_MODES = (Mode.GRAPH_MODE, Mode.PYNATIVE_MODE)

# Context values MindSpore keeps as numbers, said by the names users write (ms.GRAPH_MODE, ms.STRICT).
_CONTEXT_NAMES = {"mode": {int(m): m.name for m in Mode}, "jit_syntax_level": {0: "STRICT", 1: "COMPATIBLE", 2: "LAX"}}


def context_value(key: str, value: object) -> str:
    """A context value as a user writes it: ``mode`` 0 is GRAPH_MODE, ``jit_syntax_level`` 2 is LAX."""
    names = _CONTEXT_NAMES.get(key, {})
    if isinstance(value, int) and not isinstance(value, bool) and value in names:
        return names[value]
    return repr(value)

# Short spellings users type on the command line.
_ALIASES = {
    "graph": Mode.GRAPH_MODE,
    "graph_mode": Mode.GRAPH_MODE,
    "pynative": Mode.PYNATIVE_MODE,
    "pynative_mode": Mode.PYNATIVE_MODE,
}


def parse_mode(text: str) -> Mode:
    """``"graph"``, ``"GRAPH_MODE"``, ``"0"`` -> Mode.GRAPH_MODE; ValueError otherwise."""
    key = text.strip().lower()
    if key in _ALIASES:
        return _ALIASES[key]
    if key in ("0", "1"):
        return Mode(int(key))
    raise ValueError(
        f"unknown mode {text.strip()!r}; valid modes: GRAPH_MODE, PYNATIVE_MODE "
        "(also graph, pynative)"
    )


def parse_mode_list(text: str) -> tuple[Mode, ...]:
    """A comma-separated list of modes, in the order of ALL_MODES, without repeats."""
    parts = [p for p in text.split(",") if p.strip()]
    if not parts:
        raise ValueError("no mode given; valid modes: GRAPH_MODE, PYNATIVE_MODE")
    chosen = {parse_mode(p) for p in parts}
    return tuple(m for m in ALL_MODES if m in chosen)
