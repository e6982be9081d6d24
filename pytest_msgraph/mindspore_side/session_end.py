"""Let the user's Cells go while MindSpore is still alive, so that a run ends without tracebacks.

At exit Python empties the modules still alive one by one, in an order that depends on what was
imported (measured: a small suite ends clean until its test file imports mindcv). A Cell held by a
MindSpore module emptied after ``mindspore.nn.cell`` is freed then, and ``Cell.__del__`` finds its
module's ``Cell`` gone: "Exception ignored in: <function Cell.__del__>",
four lines per Cell. Measured on 2.10.0: ``mindspore.graph.api`` memoises every jit-compiled
function in a module-level ``functools.lru_cache`` (4096 entries); the ``forward`` that
``value_and_grad`` wraps closes over the net, so each net a GRAPH_MODE training step compiled lives
until then (249 such tracebacks for mindcv's resnet18 and mobilenet_v2 trained in both modes).
2.7.2, 2.8.0 and 2.9.0 keep no such cache and end clean.

Every module-level memo cache of MindSpore's is cleared rather than the one name measured, so a
release that adds one is covered too: a memo only repeats work once cleared. The test suite runs a
training suite on each tested release and fails on any such line (tests/test_session_end.py).
"""
from __future__ import annotations

import functools
import sys

_MEMO = functools._lru_cache_wrapper


def _memo_caches() -> list:
    caches: list = []
    for name, module in list(sys.modules.items()):
        if module is None or not (name == "mindspore" or name.startswith("mindspore.")):
            continue
        # type(), not isinstance: 3.1 ms against 10.6 ms over 2.10's ~2100 modules at a session's end (measured);
        # the type cannot be subclassed, so nothing is missed.
        caches.extend(value for value in list(getattr(module, "__dict__", {}).values()) if type(value) is _MEMO)
    return caches


def release_user_objects() -> int:
    """Clear MindSpore's memo caches; return how many caches were cleared.

    Does nothing, and imports nothing, in a process that never imported MindSpore.
    """
    if "mindspore" not in sys.modules:
        return 0
    caches = _memo_caches()
    for cache in caches:
        cache.cache_clear()
    # The nets those caches kept go now, by reference count, Cell.__del__ still working. No gc.collect():
    # with MindSpore's objects alive a full collection costs about 0.1 s per process, and it freed
    # nothing more here (measured on 2.10: mindcv's resnet18 and mobilenet_v2 trained in both modes,
    # 0 Cells alive at exit with and without it; tests/test_session_end.py counts them).
    return len(caches)
