"""Hooks on every sub-cell of a replay (``nonfinite``'s), taken off after with the cells' hook slots as they were.

Registering a hook turns a cell's empty hook slots (None) into dicts and sets its
``_cell_backward_hook``; a handle's ``remove()`` takes the hook out of the dict but leaves
the rest (measured on 2.7.2 and 2.10). The very objects are put back, so that a replay
leaves no trace on the test's cells. One trace is left on 2.7.2: registering a hook makes
the next GRAPH_MODE call of an already compiled grad compile again (measured). The eager
side's replays run here, where nothing compiled is reused; ``backward``, which runs on the
graph side, catches gradients with ``ops.HookBackward`` instead.
"""
from __future__ import annotations

from typing import Callable, Optional


def hook_every_cell(cells: list, forward: Optional[Callable[..., None]] = None,
                    backward: Optional[Callable[..., None]] = None) -> Callable[[], None]:
    """``forward`` and ``backward`` (either may be None) on every sub-cell of ``cells``; returns what takes them off."""
    subs = list({id(sub): sub for root in cells for _, sub in root.cells_and_names()}.values())
    slots = [(sub, {k: v for k, v in vars(sub).items() if "hook" in k}) for sub in subs]
    handles = []
    for sub in subs:
        if forward is not None:
            handles.append(sub.register_forward_hook(forward))
        if backward is not None:
            handles.append(sub.register_backward_hook(backward))

    def remove() -> None:
        for handle in handles:
            handle.remove()
        for sub, before in slots:
            vars(sub).update(before)

    return remove
