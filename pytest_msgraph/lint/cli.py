"""``python -m pytest_msgraph.lint``: the graph_syntax lint for an editor, pre-commit or CI.

    python -m pytest_msgraph.lint models/ tests/test_net.py

prints ``file:line:col: RULE message`` per finding and exits 1 when it finds
something, 2 when a file cannot be read or parsed (it is never counted as clean).
``# msgraph: ignore[MSG003]`` (or a bare ``# msgraph: ignore``) on a line
silences it there.
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path
from typing import Any, Iterable, Iterator, Optional

from .project import Project
from .rules import LintFinding, UnreadableSource, lint_file


def _is_venv(folder: Path) -> bool:
    """A virtual environment (venv, virtualenv, conda) or an installed-packages folder: never the user's code."""
    return (folder / "pyvenv.cfg").is_file() or (folder / "conda-meta").is_dir() or folder.name == "site-packages"


def _git_listed(folder: Path) -> Optional[list[Path]]:
    """The *.py files git tracks or would track under ``folder`` (what .gitignore ignores left out);
    None when ``folder`` is not in a git work tree, git is not installed, or the typed folder is
    itself ignored (an installed package in .venv/: the user asked for it)."""
    def git(*args: str) -> Optional[subprocess.CompletedProcess[bytes]]:
        try:
            return subprocess.run(["git", "-C", str(folder), *args], capture_output=True, timeout=60)
        except (OSError, subprocess.SubprocessError):
            return None

    ignored = git("check-ignore", "-q", ".")
    if ignored is None or ignored.returncode == 0:
        return None
    done = git("ls-files", "-z", "--cached", "--others", "--exclude-standard", "--", "*.py")
    if done is None or done.returncode != 0:
        return None
    return sorted(folder / name for name in os.fsdecode(done.stdout).split("\0") if name)


def _walked(folder: Path) -> Iterator[Path]:
    for root, dirs, files in os.walk(folder):
        here = Path(root)
        dirs[:] = sorted(d for d in dirs if not d.startswith(".") and not _is_venv(here / d))
        yield from (here / f for f in sorted(files) if f.endswith(".py"))


def _in_folder(path: Path, folder: Path, venvs: dict[Path, bool]) -> bool:
    """Not under a hidden folder or a virtual environment below ``folder``."""
    for parent in path.relative_to(folder).parents:
        if parent == Path("."):
            continue
        if parent.name.startswith("."):
            return False
        where = folder / parent
        if where not in venvs:
            venvs[where] = _is_venv(where)
        if venvs[where]:
            return False
    return True


def _python_files(paths: Iterable[str]) -> Iterator[Path]:
    """Typed files as given; in typed folders, regular *.py files that are the user's code.

    A folder's walk skips hidden folders (.git, .tox), virtual environments (with or
    without a dot: venv/, env/, a conda prefix) and, in a git work tree, what git
    ignores (build/, generated code). A path the user typed is linted even when it has
    a dot in it (../src, a checkout under .work/) or is ignored.
    """
    for name in paths:
        path = Path(name)
        if not path.is_dir():
            yield path
            continue
        listed = _git_listed(path)
        venvs: dict[Path, bool] = {}
        found = _walked(path) if listed is None else (p for p in listed if _in_folder(p, path, venvs))
        yield from (p for p in found if p.is_file())


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
    found: dict[tuple[str, int, int, str], LintFinding] = {}  # a helper two files call is said once
    unreadable = []
    project = Project()  # each file parsed once, however many files import it
    for path in _python_files(args.paths):
        try:
            for finding in lint_file(path, project):
                found.setdefault((finding.path, finding.line, finding.col, finding.rule), finding)
        except UnreadableSource as exc:
            unreadable.append(str(exc))
    for finding in found.values():
        print(finding)
    for problem in unreadable:
        print(f"msgraph lint: {problem}", file=sys.stderr)
    return 2 if unreadable else (1 if found and not args.exit_zero else 0)
