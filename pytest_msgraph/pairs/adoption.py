"""Adopting MindSpore-style suites: a test parametrized over the two modes is a mode pair.

MindSpore's own tests, mindcv, mindocr and most MindSpore projects write::

    @pytest.mark.parametrize("mode", [ms.GRAPH_MODE, ms.PYNATIVE_MODE])
    def test_loss(mode, reduction):
        ms.set_context(mode=mode)

The rule: a test argument is the test's *mode argument* when its parametrized values
are exactly MindSpore's two modes (two parameters for each setting of the other
arguments, the ints 0 and 1, however they are spelled: ``ms.GRAPH_MODE``,
``context.PYNATIVE_MODE``, ``0``) and either it is named ``mode`` or the test body
passes it to ``set_context(mode=...)``. Its two variants are
then a mode pair, exactly like ``both_modes`` variants: each starts in its mode, from
the same seed, and mode_parity compares them. Any other ``mode`` argument (strings, a
single mode, values that are not modes, an indirect parametrization) is left alone.

The values are read from what pytest built (each item's callspec), after pytest read
the parametrize marks: the marks' own arguments are never touched, so a generator,
``zip`` or ``map`` given to ``parametrize`` reaches pytest whole.
"""
from __future__ import annotations

import ast
import functools
import inspect
import textwrap
from typing import Any, Iterable, Optional

MODE_VALUES = {0, 1}  # GRAPH_MODE, PYNATIVE_MODE


def argnames(marker: Any) -> list[str]:
    """A parametrize mark's argument names; [] for names pytest itself will reject."""
    names = marker.args[0] if marker.args else marker.kwargs.get("argnames", "")
    if isinstance(names, str):
        return [name.strip() for name in names.split(",") if name.strip()]
    if isinstance(names, (list, tuple)) and all(isinstance(name, str) for name in names):
        return list(names)
    return []  # pytest reports the malformed mark in its own words


def direct_argnames(markers: Iterable[Any]) -> list[str]:
    """The names parametrized directly (not through a fixture, ``indirect=``), reading only names."""
    found = []
    for marker in markers:
        indirect = marker.kwargs.get("indirect", False)
        for name in argnames(marker):
            if indirect is True or (isinstance(indirect, (list, tuple)) and name in indirect):
                continue
            found.append(name)
    return found


def is_mode_pair(values: list[Any]) -> bool:
    """One argument's values for one setting of the others: exactly two parameters, the ints 0 and 1."""
    return (
        len(values) == 2
        and all(isinstance(v, int) and not isinstance(v, bool) for v in values)
        and set(values) == MODE_VALUES
    )


@functools.lru_cache(maxsize=256)
def context_mode_names(function: Any) -> frozenset:
    """Names the function passes as ``set_context(mode=NAME)`` (any ``*.set_context``)."""
    try:
        tree = ast.parse(textwrap.dedent(inspect.getsource(function)))
    except (OSError, TypeError, SyntaxError):
        return frozenset()
    names = set()
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        called = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
        if called != "set_context":
            continue
        for keyword in node.keywords:
            if keyword.arg == "mode" and isinstance(keyword.value, ast.Name):
                names.add(keyword.value.id)
    return frozenset(names)


def mode_candidates(markers: Iterable[Any], function: Any) -> list[str]:
    """Arguments that could be the mode: parametrized directly, named ``mode`` or passed to set_context."""
    passed = context_mode_names(function)
    return [name for name in direct_argnames(markers) if name == "mode" or name in passed]


def find_mode_argument(items: list[Any], candidates: list[str]) -> Optional[str]:
    """The function's mode argument, from its items' callspecs, under the rule above."""
    adopted = []
    for name in candidates:
        # For each setting of the other arguments, the values this one takes.
        groups: dict[str, list[Any]] = {}
        for item in items:
            params = getattr(getattr(item, "callspec", None), "params", {})
            if name not in params:
                return None
            others = repr(sorted((k, repr(v)) for k, v in params.items() if k != name))
            groups.setdefault(others, []).append(params[name])
        if all(is_mode_pair(values) for values in groups.values()):
            adopted.append(name)
    return "mode" if "mode" in adopted else next(iter(adopted), None)


def adopt(items: list[Any]) -> Optional[str]:
    """The mode argument of one function's items, if they have one (identity.py makes them variants)."""
    if not items:
        return None
    first = items[0]
    candidates = mode_candidates(first.iter_markers("parametrize"), getattr(first, "function", None))
    return find_mode_argument(items, candidates) if candidates else None
