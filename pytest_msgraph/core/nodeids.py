"""Node ids as the user wrote the tests (pure).

pytest-xdist's ``--dist loadgroup`` appends ``@group`` to the node id of a test in an
``xdist_group``; the reports, the summary and the JSON use the id without it, so that a
run under loadgroup reads like a serial run, test by test.
"""
from __future__ import annotations


def plain_nodeid(nodeid: str) -> str:
    """``t.py::test_f[x]@gpu`` -> ``t.py::test_f[x]``; other node ids unchanged."""
    head, sep, last = nodeid.rpartition("::")
    if sep and "@" in last and last.rfind("@") > last.rfind("]"):
        return f"{head}::{last[: last.rfind('@')]}"
    return nodeid


def xdist_group(nodeid: str) -> str | None:
    """The ``xdist_group`` loadgroup appended to a node id, or None."""
    plain = plain_nodeid(nodeid)
    return nodeid[len(plain) + 1:] if plain != nodeid else None
