"""``python -m pytest_msgraph.lint``: the graph_syntax lint for an editor, pre-commit or CI.

    python -m pytest_msgraph.lint models/ tests/test_net.py

prints ``file:line:col: RULE message`` per finding and exits 1 when it finds
something, 2 when a file cannot be read or parsed (it is never counted as clean).
``# msgraph: ignore[MSG003]`` (or a bare ``# msgraph: ignore``) on a line
silences it there.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any, Iterable, Iterator, Optional

from .rules import UnreadableSource, lint_file


def _python_files(paths: Iterable[str]) -> Iterator[Path]:
    """Typed files as given; in typed folders, regular *.py files outside hidden folders.

    Only the walk skips hidden folders (.git, .venv, .tox): a path the user typed is
    linted even when it has a dot in it (../src, a checkout under .work/).
    """
    for name in paths:
        path = Path(name)
        if not path.is_dir():
            yield path
            continue
        for found in sorted(path.rglob("*.py")):
            below = found.relative_to(path).parts
            if not any(part.startswith(".") for part in below[:-1]) and found.is_file():
                yield found


def main(argv: Optional[list[Any]] = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m pytest_msgraph.lint", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("paths", nargs="+", metavar="PATH", help="Python files or folders")
    parser.add_argument("--exit-zero", action="store_true",
                        help="exit 0 even when something is found (a file that cannot be parsed still exits 2)")
    args = parser.parse_args(argv)
    missing = [p for p in args.paths if not Path(p).exists()]
    if missing:
        print(f"msgraph lint: no such file or folder: {', '.join(missing)}", file=sys.stderr)
        return 2
    found, unreadable = [], []
    for path in _python_files(args.paths):
        try:
            found.extend(lint_file(path))
        except UnreadableSource as exc:
            unreadable.append(str(exc))
    for finding in found:
        print(finding)
    for problem in unreadable:
        print(f"msgraph lint: {problem}", file=sys.stderr)
    return 2 if unreadable else (1 if found and not args.exit_zero else 0)
