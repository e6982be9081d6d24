"""Under pytest-xdist, both variants of a mode pair run on one worker, whatever ``--dist`` says.

mode_parity compares a GRAPH_MODE variant with its PYNATIVE_MODE variant at once only
when that one ran just before in the same process; on another worker the comparison
waits for the end of the session, and a strict xfail or an xfailed variant then reads
otherwise than in a serial run. ``loadscope``, ``loadfile`` and ``each`` keep a test
function's items together already. For ``load``, ``worksteal`` and ``loadgroup`` this
hands xdist a scheduler that distributes *units* instead of single tests, with xdist's
own load balancing between them:

- a test in a user's ``xdist_group`` (``--dist loadgroup``) goes with its group, and so do
  the other items of its test function (a pair is never split across groups);
- a ``both_modes`` variant goes with the other variant of its pair: the node id without the
  ``GRAPH_MODE`` or ``PYNATIVE_MODE`` part of its id, which is the pair's name (identity.py);
- an other parametrized test goes with its test function's items: the controller sees
  only node ids, and an adopted mode argument's ids are the user's (``0``, ``graph``);
- a test that is not parametrized is a unit of its own.

This is the one place that reads a pair from a node id rather than from the item's
``Variant``: the scheduler runs on the controller, which never collects items (xdist
hands it the workers' node ids only). A unit is always a whole pair or more.
"""
from __future__ import annotations

from typing import Any, Optional

import pytest

from ..core.nodeids import plain_nodeid, xdist_group
from .identity import id_parts, pair_name

MODE_IDS = ("PYNATIVE_MODE", "GRAPH_MODE")
SPLITTING = ("load", "worksteal", "loadgroup")


def function_of(nodeid: str) -> str:
    return plain_nodeid(nodeid).split("[", 1)[0]


def pair_unit(nodeid: str) -> str:
    """The unit a test is scheduled in when no group holds it (see the module docstring)."""
    base = plain_nodeid(nodeid)
    function, bracket, params = base.partition("[")
    if not bracket:
        return base
    parts = id_parts(params[:-1])
    mode_part = next((parts.index(mode) for mode in MODE_IDS if mode in parts), None)
    return function if mode_part is None else pair_name(function, parts, mode_part)


def units(collection: list[str]) -> dict[str, str]:
    """{node id: the unit it is scheduled in} for the whole collection."""
    groups: dict[str, str] = {}
    for nodeid in collection:
        group = xdist_group(nodeid)
        if group is not None:
            groups.setdefault(function_of(nodeid), group)
    return {nodeid: groups.get(function_of(nodeid)) or pair_unit(nodeid) for nodeid in collection}


def make_scheduler(config: pytest.Config, log: Any) -> Optional[Any]:
    """The scheduler for ``--dist load``, ``worksteal`` and ``loadgroup``; None leaves xdist's choice."""
    if config.getvalue("dist") not in SPLITTING:
        return None
    from xdist.scheduler import LoadScopeScheduling

    class PairScheduling(LoadScopeScheduling):
        """xdist's loadscope distribution over the units above."""

        _units: dict[str, str] = {}

        def schedule(self) -> None:
            if self.collection is None and self.collection_is_completed:
                collection: list[str] = next(iter(self.registered_collections.values()), [])
                self._units = units(list(collection))
            super().schedule()

        def _split_scope(self, nodeid: str) -> str:
            return self._units.get(nodeid) or pair_unit(nodeid)

        def remove_node(self, node: Any) -> Optional[str]:
            """A crashed worker's test is reported once (it ran); the rest of its units go back to the queue.

            (xdist's loadscope puts the crashing test back too, and it crashes worker after worker.)
            """
            workload = self.assigned_work.pop(node)
            pending = [(unit, nodeid) for unit, tests in workload.items() for nodeid, done in tests.items()
                       if not done]
            if not pending:
                return None
            unit, crashed = pending[0]
            workload[unit][crashed] = True
            self.workqueue.update((u, tests) for u, tests in workload.items() if not all(tests.values()))
            for other in self.assigned_work:
                self._reschedule(other)
            return crashed

        def mark_test_pending(self, item: str) -> None:
            """Run a test again (pytest-rerunfailures after a crash)."""
            self.workqueue.setdefault(self._split_scope(item), {})[item] = False
            for other in self.assigned_work:
                self._reschedule(other)

    return PairScheduling(config, log)
