"""The graph_syntax lint's time over a folder (mindcv's installed tree by default): CPU seconds, best of N.

    python bench/bench_lint.py --runs 5 [FOLDER]

CPU time, not wall time: on a machine shared with other jobs the wall clock moves by more
than the lint costs. Every .py file under the folder is linted, as ``python -m
pytest_msgraph.lint`` does, with one project (each file parsed once) for the whole run.
"""
import argparse
import importlib.util
import inspect
import time
from pathlib import Path

from pytest_msgraph.lint.rules import lint_file


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("folder", nargs="?", help="default: mindcv's installed package")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    folder = args.folder or list(importlib.util.find_spec("mindcv").submodule_search_locations)[0]
    files = sorted(Path(folder).rglob("*.py"))
    shared = "project" in inspect.signature(lint_file).parameters  # older versions lint each file alone
    best, found = float("inf"), 0
    for _ in range(args.runs):
        start = time.process_time()
        if shared:
            from pytest_msgraph.lint.project import Project

            project = Project()
            found = sum(len(lint_file(path, project)) for path in files)
        else:
            found = sum(len(lint_file(path)) for path in files)
        best = min(best, time.process_time() - start)
    print(f"{len(files)} files, {found} findings: {best:.3f} s CPU (best of {args.runs})")


if __name__ == "__main__":
    main()
