"""A fixture of a wider scope is made again in each variant's own mode: no variant passes on the other's work.

A module- or class-scoped fixture (``setup_module`` and ``setup_class`` are such fixtures too)
is set up once, by the first test that asks for it, in that test's mode. Without more, the
GRAPH_MODE variant of a pair reuses what its PYNATIVE_MODE variant's setup computed eagerly: a
network that cannot compile passes in GRAPH_MODE, and the outcome depends on which tests were
selected. So the mode each wider fixture did its MindSpore work in is noted when it is set up,
and before an item's own setup, a fixture it uses whose work was done in another mode is torn
down (``FixtureDef.finish``), so that pytest makes it again, now, in the item's mode.

Only fixtures that did mode-dependent work (``work.py``) are made again; where that cannot be
heard (no probes on this release), every wider fixture made in another mode is, in doubt. The
graphs a fixture compiled count for the items that use it in its own mode: a GRAPH_MODE variant
whose network was compiled by its fixture did compile something.
"""
from __future__ import annotations

import dataclasses
import types
from typing import Any, Callable, Optional

import pytest

from ..core.modes import Mode
from .work import Work

WIDER = ("class", "module", "package", "session")


@dataclasses.dataclass
class _Made:
    mode: Mode
    busy: bool  # did mode-dependent work, or could not be heard
    graphs: int


class FixtureModes:
    """Registered in pytest_configure; ``session()`` is the MindSpore session, or None before there is one."""

    def __init__(self, session: Callable[[], Any]) -> None:
        self._session = session
        self._made: dict[int, _Made] = {}  # id(FixtureDef) -> the mode it was made in

    @pytest.hookimpl(wrapper=True)
    def pytest_fixture_setup(self, fixturedef: Any, request: Any):
        """Note the mode a wider fixture did its MindSpore work in, and whether it did any."""
        session = self._session()
        if session is None or getattr(fixturedef, "scope", "function") not in WIDER:
            return (yield)
        mode = session.current_mode()
        work = Work(session).start()
        try:
            return (yield)
        finally:
            work.stop()
            self._made[id(fixturedef)] = _Made(mode, busy=not work.heard or work.calls > 0, graphs=work.graphs)

    def remake_for(self, item: Any, mode: Mode) -> list[str]:
        """Tear down each wider fixture the item uses whose MindSpore work was done in another mode; their names."""
        remade = []
        for fixturedef in _wider_fixtures(item):
            made = self._made.get(id(fixturedef))
            if made is None or not made.busy or made.mode is mode or fixturedef.cached_result is None:
                continue
            fixturedef.finish(types.SimpleNamespace(node=item))  # finish reads the request's node, for its message
            del self._made[id(fixturedef)]
            remade.append(fixturedef.argname)
        return remade

    def graphs_for(self, item: Any, mode: Mode) -> int:
        """Graphs compiled by the wider fixtures the item uses, made in its mode: work done for it."""
        return sum(made.graphs for made in map(self._made.get, map(id, _wider_fixtures(item)))
                   if made is not None and made.mode is mode)


def _wider_fixtures(item: Any) -> list[Any]:
    info = getattr(item, "_fixtureinfo", None)  # pytest's private record of the item's fixtures
    definitions: Optional[dict] = getattr(info, "name2fixturedefs", None)
    if definitions is None:
        return []
    return [fixturedef for defs in definitions.values() for fixturedef in defs[-1:]
            if getattr(fixturedef, "scope", "function") in WIDER]
