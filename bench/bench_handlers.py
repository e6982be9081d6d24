"""The checks' own time per top-level call, without MindSpore's waits in it (issue 40).

A handler timed by the wall clock holds a wait that is not the plugin's: MindSpore returns from a
GRAPH_MODE call, and from each PyNative op, before the work is done, and the first value read in any
handler waits for it. That wait spins, so the thread's CPU time holds it too (11.9 ms of CPU per eager
call of the small CNN, for one read: docs/performance.md). Here every probe event first waits for
MindSpore (``ms.runtime.synchronize()``, outside the timing), then each check's handler is timed in the
interpreter thread's CPU time (``time.thread_time``). What is left is the checks' Python and their reads
of values already computed: the figure that tells a cut, where a whole run's ratio moves by more than
the cut between two nights. Reads kept for later (``probes/deferred_reads``) run in the test's own read,
not in an event, and are not counted.

Usage: python bench/bench_handlers.py [--style eval] [--tests 6] [--steps 15] [--runs 3]
"""
from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from bench_both_modes import NETWORK
from bench_cost import STYLES, STYLES_SOURCE, compiled_like_an_install

SUITE = NETWORK + STYLES_SOURCE + '''

@pytest.mark.both_modes
@pytest.mark.parametrize("case", range({tests}))
def test_style(case):
    assert all(np.isfinite({run}({steps}, 0.01)))
'''

# Loaded by the suite's process: the hub's dispatch, timed per mode, event and check after MindSpore's wait.
TIMING_CONFTEST = '''
import atexit, json, time
import mindspore as ms
from pytest_msgraph.mindspore_side.probes import hub

SPENT, EVENTS = {}, {}


def emit(self, event, *args):
    ms.runtime.synchronize()  # MindSpore's work first: what follows is the handlers' own
    mode = self.mode()
    EVENTS[mode, event] = EVENTS.get((mode, event), 0) + 1
    for listener in list(self.listeners):
        handler = getattr(listener, event, None)
        if handler is None:
            continue
        start = time.thread_time()
        try:
            handler(*args)
        except Exception as exc:
            listener.probe_failed(event, exc)
        key = (mode, type(listener).name)
        SPENT[key] = SPENT.get(key, 0.0) + time.thread_time() - start


hub.Probes.emit = emit
atexit.register(lambda: open("handlers.json", "w").write(json.dumps(
    {"spent": [[*key, seconds] for key, seconds in SPENT.items()],
     "events": [[*key, count] for key, count in EVENTS.items()]})))
'''


def one_run(root: Path) -> dict:
    """{mode: (microseconds per top-level call, {check: microseconds per call})} for one process."""
    (root / "handlers.json").unlink(missing_ok=True)  # never the figures of the run before
    done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:randomly", "-p", "no:cacheprovider",
                           "test_style.py"], cwd=root, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"the suite failed:\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}")
    data = json.loads((root / "handlers.json").read_text())
    calls = {mode: count for mode, event, count in data["events"] if event == "forward_finished"}
    found: dict = {}
    for mode, check, seconds in data["spent"]:
        per_check = found.setdefault(mode, {})
        per_check[check] = seconds / calls[mode] * 1e6
    return {mode: (sum(per_check.values()), per_check) for mode, per_check in found.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--style", default="eval", choices=sorted(STYLES))
    parser.add_argument("--tests", type=int, default=6)
    parser.add_argument("--steps", type=int, default=15)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    compiled_like_an_install()
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        (root / "test_style.py").write_text(SUITE.format(tests=args.tests, run=STYLES[args.style],
                                                           steps=args.steps))
        (root / "conftest.py").write_text(TIMING_CONFTEST)
        runs = [one_run(root) for _ in range(args.runs)]
    print(f"{args.style}: {args.tests} tests per mode, every check at its default; the handlers' CPU time per "
          f"top-level Cell call (every event's), after MindSpore's work, {args.runs} runs")
    for mode in sorted(runs[0]):
        totals = [run[mode][0] for run in runs]
        print(f"  {mode}: {', '.join(f'{t:.0f}' for t in totals)} us (median {statistics.median(totals):.0f})")
        checks = sorted(runs[0][mode][1], key=lambda c: -runs[0][mode][1][c])
        print("    " + ", ".join(f"{c} {statistics.median(r[mode][1].get(c, 0.0) for r in runs):.0f}"
                                 for c in checks))


if __name__ == "__main__":
    main()
