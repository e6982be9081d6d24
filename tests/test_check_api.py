"""The check API as docs/writing-a-check.md teaches it: the page's example runs as written, every event
fires, a check that crashes is said to have crashed (the run fails under policy error), and a check's numpy data
reaches the report as plain JSON, serially and under xdist."""
import re
from pathlib import Path

PAGE = Path(__file__).parent.parent / "docs" / "writing-a-check.md"


def _examples():
    """{name: code} of the page's blocks marked ``<!-- check-example: NAME -->``."""
    text = PAGE.read_text(encoding="utf-8")
    return {name: code for name, code in
            re.findall(r"<!-- check-example: (\S+) -->\n```[a-z]*\n(.*?)```", text, re.S)}


def test_the_pages_example_runs_as_written(pytester):
    examples = _examples()
    assert set(examples) == {"conftest.py", "test_dtypes.py", "summary"}
    for name in ("conftest.py", "test_dtypes.py"):
        (pytester.path / name).write_text(examples[name])
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-p", "no:randomly")
    result.assert_outcomes(passed=4)
    result.stdout.fnmatch_lines([line.rstrip() for line in examples["summary"].splitlines()], consecutive=True)
    strict = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-p", "no:randomly",
                                           "--ms-check", "no_float64=error")
    strict.assert_outcomes(passed=2, failed=2)


EVENTS = '''
from pytest_msgraph import EventCheck


class Heard(EventCheck):
    name = "heard"
    default_policy = "warn"

    def reset(self):
        self.heard = []

    def cell_called(self, cell, args, output, error):
        self.heard.append(f"cell {type(cell).__name__} {tuple(output.shape)}")

    def grad_called(self, call):
        self.heard.append(f"grad {call.api} {call.mode}")

    def gradients_computed(self, call, gradients):
        self.heard.append("gradients " + ",".join(name for name, _ in gradients))

    def compiled(self, event):
        self.heard.append(f"compiled {event['kind']} {event['what']}")

    def report(self, run):
        run.count()
        run.emit("; ".join(sorted(set(self.heard))))


class Broken(EventCheck):
    name = "broken"
    default_policy = "warn"

    def cell_called(self, cell, args, output, error):
        raise KeyError("oops")


class BrokenOnCompile(EventCheck):
    name = "broken_compile"
    default_policy = "warn"

    def compiled(self, event):
        raise ValueError("bad graph")


def pytest_msgraph_register_checks(registry, config):
    registry.add(Heard())
    registry.add(Broken())
    registry.add(BrokenOnCompile())
'''

TESTS = '''
import numpy as np
import pytest
import mindspore as ms
from mindspore import nn


@pytest.mark.both_modes
def test_net():
    net = nn.Dense(3, 2)
    net(ms.Tensor(np.ones((1, 3), np.float32)))
    ms.grad(net, grad_position=0)(ms.Tensor(np.zeros((1, 3), np.float32)))
'''


def test_every_event_reaches_a_check_and_a_crash_is_said_to_be_one(pytester, run_pytest):
    pytester.makeconftest(EVENTS)
    pytester.makepyfile(test_events=TESTS)
    run = run_pytest("--ms-modes=GRAPH_MODE")
    assert run.ret == 0  # a crash under warn keeps the test's outcome
    [heard] = run.findings("heard")
    assert "cell Dense (1, 2)" in heard["message"]
    assert "grad grad GRAPH_MODE" in heard["message"]
    assert "compiled cell Dense" in heard["message"] and "compiled grad grad of Dense" in heard["message"]
    [crash] = run.findings("broken")
    assert crash["crashed"] is True
    assert "check 'broken' crashed in cell_called (KeyError: 'oops', at " in crash["message"]
    assert re.search(r"^  CRASH \(warn\) test_events.py::test_net\[GRAPH_MODE\]: check 'broken' crashed in cell_called",
                     run.stdout(), re.M)
    # A crash in an event heard after the test is named by that event, not by test_finished.
    [compile_crash] = run.findings("broken_compile")
    assert "check 'broken_compile' crashed in compiled (ValueError: bad graph" in compile_crash["message"]
    failing = run_pytest("--ms-modes=GRAPH_MODE", "--ms-check", "broken=error")
    assert failing.ret == 1 and failing.outcomes()["test_events.py::test_net[GRAPH_MODE]"] == "failed"


def test_pynative_gradients_are_heard_by_name(pytester, run_pytest):
    pytester.makeconftest(EVENTS)
    pytester.makepyfile(test_events=TESTS)
    run = run_pytest("--ms-modes=PYNATIVE_MODE", "--ms-check", "broken=off")
    [heard] = run.findings("heard")
    assert "gradients input 0" in heard["message"]


CUSTOM_CHECK = '''
import numpy as np
from pytest_msgraph import Check


class NumpyCheck(Check):
    name = "numpy_payloads"
    default_policy = "warn"

    def test_finished(self, run):
        run.record({"value": np.float64(1.5), "shape": np.array([2, 3])})
        run.emit("numpy details", score=np.float32(0.25), where=np.arange(2), flag=np.bool_(True))

    def compare(self, records, emit):
        emit(f"saw {[r['value'] for r in records]}", nodeid=records[0]["nodeid"])


def pytest_msgraph_register_checks(registry, config):
    registry.add(NumpyCheck())
'''


def test_custom_check_numpy_data_is_plain_json_serial_and_under_xdist(pytester, run_pytest, net_source):
    pytester.makeconftest(CUSTOM_CHECK)
    pytester.makepyfile(net_source + "\ndef test_a():\n    pass\n\n\ndef test_b():\n    pass\n")
    serial, parallel = run_pytest(), run_pytest("-n", "2")
    assert serial.ret == parallel.ret == 0, parallel.stdout()
    assert "INTERNALERROR" not in parallel.stdout() + parallel.stderr()
    for run in (serial, parallel):
        assert sorted(run.outcomes().values()) == ["passed", "passed"]
    details = [(f["message"], f.get("score"), f.get("where"), f.get("flag")) for f in serial.findings("numpy_payloads")]
    assert ("numpy details", 0.25, [0, 1], True) in details
    assert ("saw [1.5, 1.5]", None, None, None) in details
    assert serial.findings("numpy_payloads") == parallel.findings("numpy_payloads")


def test_to_plain_makes_numpy_and_containers_json_data():
    import enum
    import json

    import numpy as np

    from pytest_msgraph.core.plain import to_plain

    class Color(enum.IntEnum):
        RED = 1

    value = {"f": np.float32(0.5), "a": np.arange(3), "t": (np.int64(2), {1: np.bool_(True)}), "e": Color.RED,
             "s": {2, 1}, 3: None}
    plain = to_plain(value)
    assert plain == {"f": 0.5, "a": [0, 1, 2], "t": [2, {"1": True}], "e": 1, "s": [1, 2], "3": None}
    assert json.dumps(plain) and type(plain["e"]) is int
    assert to_plain(object()).startswith("<object object")
