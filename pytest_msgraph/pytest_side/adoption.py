"""Adopting MindSpore-style suites: a test parametrized over the two modes is a mode pair.

MindSpore's own tests, mindcv, mindocr and most MindSpore projects write::

    @pytest.mark.parametrize("mode", [ms.GRAPH_MODE, ms.PYNATIVE_MODE])
    def test_loss(mode, reduction):
        ms.set_context(mode=mode)

The rule: a test argument is the test's *mode argument* when its parametrized values
are exactly MindSpore's two modes (the ints 0 and 1, however they are spelled:
``ms.GRAPH_MODE``, ``context.PYNATIVE_MODE``, ``0``) and either it is named ``mode``
or the test body passes it to ``set_context(mode=...)``. Its two variants are then a
mode pair, exactly like ``both_modes`` variants: each starts in its mode, from the
same seed, and mode_parity compares them. Any other ``mode`` argument (strings, a
single mode, values that are not modes, an indirect parametrization) is left alone.
"""
from __future__ import annotations

import ast
import functools
import inspect
import textwrap
from typing import Any, Optional

import pytest

MODE_VALUES = {0, 1}  # GRAPH_MODE, PYNATIVE_MODE

# {test function's nodeid: its mode argument}, filled at collection on every process.
ADOPTED_KEY = pytest.StashKey[dict]()


def _argnames(marker: Any) -> tuple[list[str], bool]:
    argnames = marker.args[0] if marker.args else marker.kwargs.get("argnames", "")
    if isinstance(argnames, str):
        argnames = [name.strip() for name in argnames.split(",") if name.strip()]
    return list(argnames), len(argnames) > 1


def _is_param(value: Any) -> bool:
    """What pytest.param() returns (a named tuple pytest does not export)."""
    return all(hasattr(value, name) for name in ("values", "marks", "id"))


def _argvalues(marker: Any, several: bool) -> list:
    values = marker.args[1] if len(marker.args) > 1 else marker.kwargs.get("argvalues", [])
    # pytest.param(...) holds a tuple of values, even for one argument.
    return [(v.values if several else v.values[0]) if _is_param(v) else v for v in values]


def parametrized_values(markers: list) -> dict[str, list]:
    """{argument: its values} over direct (not indirect) parametrize markers."""
    found: dict[str, list] = {}
    for marker in markers:
        names, several = _argnames(marker)
        indirect = marker.kwargs.get("indirect", False)
        for position, name in enumerate(names):
            if indirect is True or (isinstance(indirect, (list, tuple)) and name in indirect):
                continue
            values = _argvalues(marker, several)
            found[name] = [value[position] if several else value for value in values]
    return found


def is_mode_pair(values: list) -> bool:
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


def mode_argument(markers: list, function: Any) -> Optional[str]:
    """The test's mode argument under the rule above, or None."""
    candidates = {name: values for name, values in parametrized_values(markers).items() if is_mode_pair(values)}
    if not candidates:
        return None
    if "mode" in candidates:
        return "mode"
    passed = context_mode_names(function)
    return next((name for name in candidates if name in passed), None)


def adopt(metafunc: pytest.Metafunc) -> Optional[str]:
    """Register the test's mode argument (if it has one) so that its items become a mode pair."""
    argument = mode_argument(list(metafunc.definition.iter_markers("parametrize")), metafunc.function)
    if argument is not None:
        metafunc.config.stash.setdefault(ADOPTED_KEY, {})[metafunc.definition.nodeid] = argument
    return argument


def function_nodeid(item: pytest.Item) -> str:
    """``t.py::C::test_f[0-a]`` -> ``t.py::C::test_f``."""
    name, original = item.name, getattr(item, "originalname", item.name)
    return item.nodeid[: len(item.nodeid) - len(name)] + original


def adopted_argument(item: pytest.Item) -> Optional[str]:
    adopted = item.config.stash.get(ADOPTED_KEY, None)
    if not adopted or getattr(item, "callspec", None) is None:
        return None
    return adopted.get(function_nodeid(item))
