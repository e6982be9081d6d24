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
