"""What the user's own selection keeps: ``-k``, ``-m``, ``--deselect`` and the node ids typed.

The plugin never runs a test the user left out. To tell a variant the user left out from
one that ``--lf`` or a sharding plugin dropped, the user's selection is applied again
to that variant, with pytest's own functions (the same expressions, the same rules) and
without their side effect on the terminal's "deselected" count.
"""
from __future__ import annotations

import types
from pathlib import Path
from typing import Any, Callable

import pytest


class _Quiet:
    """The parts of a config pytest's deselection functions read, with deselection reported nowhere."""

    def __init__(self, config: pytest.Config) -> None:
        self._config = config
        self.option = config.option
        self.hook = types.SimpleNamespace(pytest_deselected=lambda items: None)

    def __getattr__(self, name: str) -> Any:  # getini, getoption, _iter_registered_markers
        return getattr(self._config, name)


def _pytest_filters() -> list[Callable[[list[Any], Any], None]]:
    """pytest's own -k, -m and --deselect filters (private functions of ``_pytest.main`` and ``_pytest.mark``)."""
    try:
        from _pytest.main import pytest_collection_modifyitems as deselect_by_prefix
        from _pytest.mark import deselect_by_keyword, deselect_by_mark
    except ImportError:  # another pytest: selected_by_user refuses rather than guess
        return []
    return [deselect_by_keyword, deselect_by_mark, lambda items, config: deselect_by_prefix(items, config)]


def _typed_ids(config: pytest.Config) -> list[tuple[Path, list[str]]]:
    """(path, names) of each test path typed on the command line (``a.py::TestC::test_f[x]``)."""
    typed = []
    base = config.invocation_params.dir
    for arg in config.args:
        path, *names = str(arg).split("::")
        resolved = (base / path).resolve()
        if resolved.exists():
            typed.append((resolved, names))
    return typed


def _matches(item: Any, path: Path, names: list[str]) -> bool:
    item_path = Path(str(item.path)).resolve()
    if not names:
        return item_path == path or path in item_path.parents
    if item_path != path:
        return False
    own = item.nodeid.split("::")[1:]
    if len(own) < len(names) or own[: len(names) - 1] != names[:-1]:
        return False
    last = own[len(names) - 1]
    return last == names[-1] or (len(own) == len(names) and last.split("[")[0] == names[-1])


def selected_by_user(config: pytest.Config, items: list[Any]) -> list[Any]:
    """The items the user's ``-k``, ``-m``, ``--deselect`` and typed node ids keep."""
    typed = _typed_ids(config)
    kept = [item for item in items if not typed or any(_matches(item, path, names) for path, names in typed)]
    if not _pytest_filters() and (config.option.keyword or config.option.markexpr or config.getoption("deselect")):
        # Neither running the other variant (the user may have left it out) nor running one variant uncompared
        # (a pass where nothing was compared) is right: say so, and how to go on.
        raise pytest.UsageError(
            f"msgraph: pytest {pytest.__version__} has no _pytest.mark.deselect_by_keyword, deselect_by_mark or "
            "_pytest.main's --deselect filter where the plugin reads them, so it cannot tell whether -k, -m or "
            "--deselect leave out a variant that --lf or a sharding plugin dropped. Run without -k/-m/--deselect, "
            "or with --ms-check mode_parity=off (nothing is then compared, so no pair needs completing).")
    quiet = _Quiet(config)
    for apply in _pytest_filters():
        apply(kept, quiet)
    return kept
