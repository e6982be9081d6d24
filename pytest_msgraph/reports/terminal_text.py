"""Text that fits a terminal and a CI log: lines of at most 160 characters (pure).

The terminal shows the short form; the JSON report keeps every finding's whole text.
"""
from __future__ import annotations

import re
import textwrap

WIDTH = 160
MODES = ("GRAPH_MODE", "PYNATIVE_MODE")
_MODES = re.compile(r"\b(GRAPH_MODE|PYNATIVE_MODE)\b")
_NUMBERS = re.compile(r"\d+(\.\d+)?(e[-+]?\d+)?")


def one_line(text: str) -> str:
    return " ".join(str(text).split())


def fit(text: str, width: int = WIDTH) -> str:
    """``text`` on one line of at most ``width`` characters (its indentation kept), cut with an ellipsis."""
    text = str(text)
    indent = text[: len(text) - len(text.lstrip(" "))]
    line = indent + one_line(text)
    return line if len(line) <= width else line[: width - 1].rstrip() + "…"


def wrapped(text: str, indent: str = "", lines: int = 2, width: int = WIDTH) -> list[str]:
    """``text`` in at most ``lines`` lines of ``width``, each starting with ``indent``; the last cut if need be."""
    parts = textwrap.wrap(one_line(text), width=width, initial_indent=indent, subsequent_indent=indent,
                          break_on_hyphens=False)
    if len(parts) > lines:
        parts = parts[: lines - 1] + [fit(" ".join(parts[lines - 1:]), width)]
    return parts


def listed(head: str, entries: list[str], width: int = WIDTH) -> str:
    """``head`` then as many ``entries`` as fit on one line, and how many more."""
    shown: list[str] = []
    for i, entry in enumerate(entries):
        more = len(entries) - i - 1
        candidate = head + ", ".join(shown + [entry]) + (f", and {more} more" if more else "")
        if len(candidate) > width and shown:
            return head + ", ".join(shown) + f", and {len(entries) - len(shown)} more"
        shown.append(entry)
    return fit(head + ", ".join(shown), width)


def shape_of(text: str) -> str:
    """What two findings share when they differ only in a mode or a number (a line, a count, a time)."""
    return _NUMBERS.sub("#", _MODES.sub("<mode>", text))


def plural(n: int, word: str, many: str = "") -> str:
    return f"{n} {word if n == 1 else (many or word + 's')}"


def named_tests(tests: dict[str, dict[str, str]]) -> str:
    """The first of ``tests`` ({test or pair name: {mode: node id}}) as found, and how many more.

    A pair found in both modes is its name and both modes; in one mode, the variant's own
    node id (with the mode when the id does not say it, as an adopted ``[0-mean]`` does not).
    """
    first, modes = next(iter(tests.items()))
    named = [m for m in MODES if m in modes]
    if len(named) == 2:
        first = f"{first} ({named[0]} and {named[1]})"
    elif modes:
        mode, nodeid = next(iter(modes.items()))
        first = nodeid if mode in nodeid or mode not in MODES else f"{nodeid} ({mode})"
    more = len(tests) - 1
    return first + (f" and {plural(more, 'more test')}" if more else "")
