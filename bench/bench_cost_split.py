"""The plugin's cost on bench_cost.py's suites, split into two parts that can each be measured
where the runs barely move (issue 40).

On a 2-core machine one run of a 12-test training suite moves by 5-10% from the next, so a
median of 7 whole-run pairs (``bench_cost.py``) does not decide a 2% goal. The cost has two
parts, and each is measured here in a setting that does decide:

1. Once per session, and per test's frame: start-up (the plugin's import and configure), the
   variants' setup, seeding and reports, the end of the session and the exit. Measured on 12
   tests whose body is one tiny op, MindSpore's usual way (``parametrize('mode')`` +
   ``set_context``, ``-p no:msgraph``) against ``both_modes`` with the plugin on: whole
   processes, pairs alternated, where one run moves by about 0.02 s.
2. Per training step: the checks' handlers and reads. Measured in one process with the plugin
   on: the same both_modes test, 15 steps in one of bench_cost.py's styles, run with every
   check at its default against every check turned off by ``ms_allow``, the two alternated
   (order swapped each round) so that the machine's drift hits both. The difference per test
   is what the checks cost it; the probes' wrappers (a few microseconds per Cell call) are
   paid on both sides and left out.

The whole suite's ratio is then 1 + (part 1 + 6 pairs x part 2) / the suite's time with the
plugin off, with an interval from each part's (the median's order-statistics interval at
97.5%, so that both hold together at 95% or more), and says whether it decides the goal.

Usage: python bench/bench_cost_split.py [--rounds 10] [--styles train_step,functional,eval]
"""
from __future__ import annotations

import argparse
import statistics
import tempfile
from pathlib import Path

from bench_both_modes import CASES, NETWORK, junit_times
from bench_cost import BASELINE, GOAL, STYLES, STYLES_SOURCE, compiled_like_an_install, measured
from decide import decided, median_interval

import pytest_msgraph.checks.builtin as builtin
from pytest_msgraph.checks.frame import Check

EVERY_CHECK = sorted(obj.name for obj in vars(builtin).values()
                     if isinstance(obj, type) and issubclass(obj, Check) and getattr(obj, "name", ""))
LEVEL = 0.975  # each part's interval: both together hold at 95% or more

TINY = '''
import numpy as np
import pytest
import mindspore as ms

ms.set_context(runtime_num_threads=1)
'''
TINY_OFF = TINY + '''

@pytest.mark.parametrize("mode", [ms.GRAPH_MODE, ms.PYNATIVE_MODE])
@pytest.mark.parametrize("case", range({cases}))
def test_tiny(mode, case):
    ms.set_context(mode=mode)
    assert ms.ops.ones((2,), ms.float32).asnumpy().sum() == 2
'''
TINY_ON = TINY + '''

@pytest.mark.both_modes
@pytest.mark.parametrize("case", range({cases}))
def test_tiny(case):
    assert ms.ops.ones((2,), ms.float32).asnumpy().sum() == 2
'''

IN_PROCESS = NETWORK + STYLES_SOURCE + '''

EVERY_CHECK_OFF = pytest.mark.ms_allow(*{checks})
# Each round: checks on and off, the order swapped every other round; first a round that warms MindSpore up
# (its first PYNATIVE_MODE test takes twice as long), not counted.
ROUNDS = [pytest.param(-1, id="warm-up")] + [
    pytest.param(r, id=f"{{side}}-{{r}}", marks=[EVERY_CHECK_OFF] if side == "off" else [])
    for r in range({rounds}) for side in (("on", "off") if r % 2 == 0 else ("off", "on"))]


@pytest.mark.both_modes
@pytest.mark.parametrize("round_", ROUNDS)
def test_steps(round_):
    assert all(np.isfinite({run}({steps}, 0.01)))
'''


def interval(values: list[float]) -> tuple[float, float]:
    found = median_interval(values, LEVEL)
    if found is None:
        raise SystemExit(f"{len(values)} rounds give no {LEVEL:.1%} interval: use --rounds 8 or more")
    return found[0], found[1]


def milliseconds(values: list[float]) -> str:
    low, high = interval(values)
    return f"{statistics.median(values) * 1e3:+.1f} ms ({LEVEL:.1%} interval {low * 1e3:+.1f} to {high * 1e3:+.1f})"


def once_per_session(root: Path, rounds: int) -> list[float]:
    """Part 1: on minus off, seconds, per alternated pair of whole runs of the 12 tiny tests."""
    (root / "test_tiny_off.py").write_text(TINY_OFF.format(cases=len(CASES)))
    (root / "test_tiny_on.py").write_text(TINY_ON.format(cases=len(CASES)))
    sides = {"off": ["-p", "no:msgraph", "test_tiny_off.py"], "on": ["test_tiny_on.py"]}
    differences = []
    for i in range(rounds):
        order = ["off", "on"] if i % 2 == 0 else ["on", "off"]
        got = {name: measured(sides[name], root)["wall"] for name in order}
        differences.append(got["on"] - got["off"])
    return differences


def per_test(root: Path, style: str, rounds: int, steps: int) -> dict[str, list[float]]:
    """Part 2: per round, the seconds each variant of one test took with every check on, minus with every one
    off, in one process: {"GRAPH_MODE": [...], "PYNATIVE_MODE": [...], "both": [...]}."""
    name = f"test_steps_{style}.py"
    (root / name).write_text(IN_PROCESS.format(checks=EVERY_CHECK, rounds=rounds, run=STYLES[style], steps=steps))
    times = {}
    for test, seconds in junit_times(["-p", "no:randomly", name], root).items():
        mode, side, round_ = test.rstrip("]").split("[")[1].rsplit("-", 2)  # test_steps[GRAPH_MODE-on-3]
        times[(mode, side, round_)] = seconds
    found: dict[str, list[float]] = {mode: [times[(mode, "on", str(r))] - times[(mode, "off", str(r))]
                                            for r in range(rounds)] for mode in ("GRAPH_MODE", "PYNATIVE_MODE")}
    found["both"] = [graph + eager for graph, eager in zip(found["GRAPH_MODE"], found["PYNATIVE_MODE"])]
    return found


def suite_off(root: Path, style: str, steps: int, runs: int = 3) -> float:
    """The 12-test suite's wall time with the plugin off (median of ``runs``): the ratio's denominator."""
    lrs = [0.01 * (i + 1) for i in range(len(CASES))]
    (root / f"test_baseline_{style}.py").write_text(BASELINE.format(lrs=lrs, steps=steps, run=STYLES[style]))
    return statistics.median(measured(["-p", "no:msgraph", f"test_baseline_{style}.py"], root)["wall"]
                             for _ in range(runs))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--steps", type=int, default=15)
    parser.add_argument("--styles", default=",".join(STYLES), help="comma-separated: " + ", ".join(STYLES))
    options = parser.parse_args()
    styles = options.styles.split(",")
    unknown = sorted(set(styles) - set(STYLES))
    if unknown:
        parser.error(f"--styles: unknown {', '.join(unknown)}; the styles are {', '.join(STYLES)}")
    compiled_like_an_install()
    pairs = len(CASES)  # the suite's 12 tests are 6 mode pairs
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        fixed = once_per_session(root, options.rounds)
        low_f, high_f = interval(fixed)
        print(f"1. once per session and per test's frame ({2 * pairs} tiny tests, {options.rounds} alternated pairs "
              f"of whole runs): on minus off, median {statistics.median(fixed):+.3f} s "
              f"({LEVEL:.1%} interval {low_f:+.3f} to {high_f:+.3f} s)")
        for number, style in enumerate(styles, 2):
            by_mode = per_test(root, style, options.rounds, options.steps)
            steps = by_mode["both"]
            low_s, high_s = interval(steps)
            off = suite_off(root, style, options.steps)
            ratio = 1 + (statistics.median(fixed) + pairs * statistics.median(steps)) / off
            low, high = 1 + (low_f + pairs * low_s) / off, 1 + (high_f + pairs * high_s) / off
            said = decided(low, high, GOAL) or "not decided"
            print(f"{number}. {style} ({STYLES[style]}, {options.steps} steps, both variants): every check on minus "
                  f"every check off, in one process, {options.rounds} rounds: median "
                  f"{milliseconds(steps)} per test pair; per variant: " + "; ".join(
                      f"{mode} {milliseconds(by_mode[mode])}" for mode in ("GRAPH_MODE", "PYNATIVE_MODE")))
            print(f"   the 12-test suite ({off:.2f} s with the plugin off): ratio on/off {ratio:.3f} "
                  f"({low:.3f}-{high:.3f}); issue 40's goal <= {GOAL:g}: {said}", flush=True)


if __name__ == "__main__":
    main()
