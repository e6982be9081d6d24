"""Adopting MindSpore-style suites unedited: parametrize('mode', ...) tests become mode pairs (issue 10)."""
import json
import subprocess
import sys

import pytest

from pytest_msgraph.pairs.identity import variant_of

# Written the way MindSpore's own tests, mindcv and mindocr write them.
MS_STYLE = '''
import numpy as np
import pytest
import mindspore as ms
from mindspore import context, nn, Tensor


class Noisy(nn.Cell):
    def construct(self, x):
        return x + ms.Tensor(np.random.randn(*x.shape).astype(np.float32))


@pytest.mark.parametrize("mode", [0, 1])
@pytest.mark.parametrize("n", [1, 2])
def test_dense(mode, n):
    ms.set_context(mode=mode)
    out = nn.Dense(3, 2)(Tensor(np.random.randn(n, 3).astype(np.float32)))
    assert out.shape == (n, 2)


@pytest.mark.parametrize("mode", [context.GRAPH_MODE, context.PYNATIVE_MODE])
def test_frozen_numpy(mode):
    context.set_context(mode=mode, device_target="CPU")
    net, x = Noisy(), Tensor(np.zeros(4, np.float32))
    net(x)
    net(x)


@pytest.mark.parametrize("run_mode", [ms.GRAPH_MODE, ms.PYNATIVE_MODE])
def test_leaks_another_key(run_mode):
    ms.set_context(mode=run_mode, max_call_depth=2000)
    nn.Dense(3, 2)(Tensor(np.ones((1, 3), np.float32)))


@pytest.mark.parametrize("mode", ["train", "eval"])
def test_string_modes(mode):
    pass


@pytest.mark.parametrize("mode", [ms.GRAPH_MODE])
def test_a_single_mode(mode):
    ms.set_context(mode=mode)


@pytest.mark.parametrize("mode", [0, 1])
def test_never_sets_the_context(mode):
    assert ms.get_context("mode") == mode  # runs as labelled: the variant starts in its mode


@pytest.mark.parametrize("mode", [pytest.param(0, marks=pytest.mark.skip(reason="not on this runner")), 1])
def test_graph_variant_skipped(mode):
    ms.set_context(mode=mode)
'''

FROZEN_GRAPH = "test_ms_style.py::test_frozen_numpy[0]"


@pytest.fixture
def ms_style(pytester, run_pytest):
    pytester.makepyfile(test_ms_style=MS_STYLE)
    return run_pytest()


def test_adopted_pairs_run_in_their_modes_and_mode_parity_finds_frozen_numpy(ms_style):
    outcomes = ms_style.outcomes()
    assert outcomes[FROZEN_GRAPH] == "failed"
    assert [f["nodeid"] for f in ms_style.findings("mode_parity")] == [FROZEN_GRAPH]
    assert outcomes["test_ms_style.py::test_never_sets_the_context[0]"] == "passed"
    tests = {t["nodeid"]: t for t in ms_style.report["tests"]}
    # The closest parametrize comes first in the id: test_dense[n-mode].
    assert tests["test_ms_style.py::test_dense[1-0]"]["mode"] == "GRAPH_MODE"
    assert tests["test_ms_style.py::test_dense[1-1]"]["mode"] == "PYNATIVE_MODE"
    assert tests["test_ms_style.py::test_dense[1-0]"]["pair"] == "test_ms_style.py::test_dense[1]"
    skipped = tests["test_ms_style.py::test_graph_variant_skipped[0]"]
    assert skipped["outcome"] == "skipped" and skipped["mode"] == "GRAPH_MODE"


def test_the_mode_switch_itself_is_no_context_leak_other_keys_still_are(ms_style):
    leaks = {f["nodeid"]: f["keys"] for f in ms_style.findings("context_leak")}
    assert leaks == {
        "test_ms_style.py::test_leaks_another_key[0]": ["max_call_depth"],
        "test_ms_style.py::test_leaks_another_key[1]": ["max_call_depth"],
        "test_ms_style.py::test_a_single_mode[0]": ["mode"],  # not a pair: its switch is a leak
    }


def test_other_mode_values_are_not_pairs(ms_style):
    tests = {t["nodeid"]: t for t in ms_style.report["tests"]}
    for nodeid in ("test_ms_style.py::test_string_modes[train]", "test_ms_style.py::test_a_single_mode[0]"):
        assert tests[nodeid]["pair"] is None


def test_the_matrix_has_one_row_per_test_with_both_mode_columns(pytester, ms_style):
    done = subprocess.run([sys.executable, "-m", "pytest_msgraph.matrix", "msgraph-report.json", "--format", "json"],
                          cwd=pytester.path, capture_output=True, text=True)
    rows = {row["test"]: row["cells"] for row in json.loads(done.stdout)["rows"]}
    for test in ("test_ms_style.py::test_dense[1]", "test_ms_style.py::test_dense[2]",
                 "test_ms_style.py::test_frozen_numpy", "test_ms_style.py::test_leaks_another_key"):
        assert set(rows[test]) == {"CPU GRAPH_MODE", "CPU PYNATIVE_MODE"}, rows[test]
    assert rows["test_ms_style.py::test_frozen_numpy"]["CPU GRAPH_MODE"]["outcome"] == "failed"
    assert "test_ms_style.py::test_dense[1-0]" not in rows


def test_xdist_gives_the_serial_result(pytester, run_pytest, ms_style):
    parallel = run_pytest("-n", "2")
    assert parallel.timeless_report() == ms_style.timeless_report()


def test_outcomes_match_a_run_without_the_plugin_on_a_clean_suite(pytester, run_pytest):
    # Without the tests whose outcome hangs on context leaked by the test before (the plugin
    # restores the context after each test; without it a GRAPH_MODE leak changes the next test).
    clean = MS_STYLE.replace("net(x)\n    net(x)", "x").split("@pytest.mark.parametrize(\"mode\", [ms.GRAPH_MODE])")[0]
    pytester.makepyfile(test_ms_style=clean)
    on = run_pytest()
    off = pytester.runpytest_subprocess("-p", "no:msgraph", "-p", "no:randomly", "-p", "no:cacheprovider", "-rA")
    for outcome in ("passed", "failed"):
        listed_off = {line.split()[1] for line in off.stdout.lines if line.startswith(outcome.upper() + " ")}
        assert {n for n, o in on.outcomes().items() if o == outcome} == listed_off
    assert len(on.outcomes()) == 10


def test_a_large_mode_parametrized_suite_keeps_a_short_summary(pytester, run_pytest):
    pytester.makepyfile(test_many='''
import pytest
import mindspore as ms


@pytest.mark.parametrize("mode", [ms.GRAPH_MODE, ms.PYNATIVE_MODE])
@pytest.mark.parametrize("case", range(70))
def test_case(mode, case):
    ms.set_context(mode=mode, max_call_depth=2000 + case)
''')
    run = run_pytest()
    assert run.ret == 0 and len(run.outcomes()) == 140
    summary = run.stdout().split("= msgraph =")[-1].split("short test summary")[0].splitlines()
    assert len(summary) < 12, "\n".join(summary)
    assert "mode pairs: 70; adopted 140 parametrized tests as 70 pairs" in summary
    # The 140 leaks differ only in a number: one line names both modes of the first pair and counts the rest.
    [leaks] = [line for line in summary if line.startswith("  WARN")]
    assert leaks.startswith("  WARN test_many.py::test_case[0] (GRAPH_MODE and PYNATIVE_MODE) and 69 more tests:")
    assert len(run.findings("context_leak")) == 140  # the JSON keeps every one


@pytest.mark.parametrize("source, expected", [
    ('@pytest.mark.parametrize("mode", [0, 1])\ndef test_f(mode): pass', "mode"),
    ('@pytest.mark.parametrize("m", [1, 0])\ndef test_f(m):\n    ms.set_context(mode=m)', "m"),
    ('@pytest.mark.parametrize("m", [1, 0])\ndef test_f(m): pass', None),  # not named mode, not passed on
    ('@pytest.mark.parametrize("mode", ["graph", "pynative"])\ndef test_f(mode): pass', None),
    ('@pytest.mark.parametrize("mode", [0])\ndef test_f(mode): pass', None),
    ('@pytest.mark.parametrize("mode", [0, 1, 1])\ndef test_f(mode): pass', None),  # three parameters
    ('@pytest.mark.parametrize("mode", [True, False])\ndef test_f(mode): pass', None),
    ('@pytest.mark.parametrize("mode,n", [(0, 1), (1, 1)])\ndef test_f(mode, n): pass', "mode"),
    ('@pytest.fixture\ndef mode(request):\n    return request.param\n\n'
     '@pytest.mark.parametrize("mode", [0, 1], indirect=True)\ndef test_f(mode): pass', None),
    ('@pytest.mark.parametrize("mode", [pytest.param(0, marks=pytest.mark.skip), 1])\ndef test_f(mode): pass', "mode"),
    # What pytest built decides, so iterators work (and reach pytest whole):
    ('@pytest.mark.parametrize("mode", (m for m in (0, 1)))\ndef test_f(mode): pass', "mode"),
    ('@pytest.mark.parametrize("mode,n", zip([0, 1], [5, 5]))\ndef test_f(mode, n): pass', "mode"),
    ('@pytest.mark.parametrize("mode,n", itertools.product([0, 1], [5]))\ndef test_f(mode, n): pass', "mode"),
])
@pytest.mark.filterwarnings("ignore:Passing a non-Collection iterable")  # pytest 9 deprecates them; still ours to keep
def test_the_adoption_rule(pytester, source, expected):
    items = pytester.getitems("import itertools\nimport pytest\n" + source + "\n")
    variants = [variant_of(item) for item in items]
    assert items and {v.argument if v is not None and v.adopted else None for v in variants} == {expected}


def test_an_error_mindspore_defers_to_the_first_read_is_the_tests_not_a_check_crash(pytester, run_pytest):
    # Found by bench/bench_adoption.py: SoftMarginLoss has no CPU kernel in MindSpore 2.10, and
    # PyNative raises only when the output is first read, which the checks used to do first.
    pytester.makepyfile(test_kernel='''
import numpy as np
import pytest
import mindspore as ms
from mindspore import nn, Tensor


@pytest.mark.parametrize("mode", [ms.GRAPH_MODE, ms.PYNATIVE_MODE])
def test_soft_margin(mode):
    ms.set_context(mode=mode)
    ones = Tensor(np.ones((2, 3), np.float32))
    assert nn.SoftMarginLoss()(ones, ones).shape == ()
''')
    run = run_pytest()
    if set(run.outcomes().values()) == {"passed"}:
        pytest.skip("this MindSpore has a CPU kernel for SoftMarginLoss: nothing deferred to test")
    assert not [f for f in run.findings() if f.get("crashed")], run.findings()
    assert "The kernel SoftMarginLoss unregistered" in run.stdout()


ADOPTED = '''
import pytest
import mindspore as ms


@pytest.mark.parametrize("mode", [ms.GRAPH_MODE, ms.PYNATIVE_MODE])
def test_adopted(mode):
    ms.set_context(mode=mode)
    assert mode == ms.PYNATIVE_MODE
'''


def test_adopted_pairs_honour_ms_modes(pytester, run_pytest):
    pytester.makepyfile(test_adopted=ADOPTED)
    run = run_pytest("--ms-modes=PYNATIVE_MODE", "-rs")
    assert run.ret == 0
    assert run.outcomes() == {"test_adopted.py::test_adopted[0]": "skipped", "test_adopted.py::test_adopted[1]": "passed"}
    assert "GRAPH_MODE not selected (--ms-modes=PYNATIVE_MODE)" in run.stdout()


def test_adopted_pairs_skip_the_graph_variant_under_ms_jit_0(pytester, run_pytest, monkeypatch):
    pytester.makepyfile(test_adopted=ADOPTED.replace("assert mode == ms.PYNATIVE_MODE", "pass"))
    monkeypatch.setenv("MS_JIT", "0")
    run = run_pytest("-rs")
    assert run.outcomes()["test_adopted.py::test_adopted[0]"] == "skipped"
    assert "MS_JIT=0 is set" in run.stdout()
    assert "in GRAPH_MODE" not in run.stdout().split("= msgraph =")[-1]
