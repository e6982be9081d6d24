"""@pytest.mark.both_modes, --ms-modes, --ms-both-modes, ms_mode, seeding, MS_JIT."""
import pytest
from conftest import TRY_CELL_SOURCE

from pytest_msgraph.core.modes import Mode, parse_mode, parse_mode_list


def test_marked_test_becomes_one_item_per_mode_with_mode_first_in_the_id(pytester, run_pytest, net_source):
    pytester.makepyfile(net_source + '''
@pytest.mark.both_modes
@pytest.mark.parametrize("n", [1, 3])
def test_f(n):
    assert Net()(ones(n, 3)).shape == (n, 2)
''')
    run = run_pytest("-v")
    assert run.outcomes() == {
        "test_marked_test_becomes_one_item_per_mode_with_mode_first_in_the_id.py::test_f[GRAPH_MODE-1]": "passed",
        "test_marked_test_becomes_one_item_per_mode_with_mode_first_in_the_id.py::test_f[GRAPH_MODE-3]": "passed",
        "test_marked_test_becomes_one_item_per_mode_with_mode_first_in_the_id.py::test_f[PYNATIVE_MODE-1]": "passed",
        "test_marked_test_becomes_one_item_per_mode_with_mode_first_in_the_id.py::test_f[PYNATIVE_MODE-3]": "passed",
    }
    modes = {t["nodeid"].split("[")[1].split("-")[0]: t["mode"] for t in run.report["tests"]}
    assert modes == {"GRAPH_MODE": "GRAPH_MODE", "PYNATIVE_MODE": "PYNATIVE_MODE"}


def test_mode_is_active_in_fixtures_test_and_teardown_and_ms_mode_matches(pytester, run_pytest):
    pytester.makepyfile('''
import pytest
import mindspore as ms

seen = []

@pytest.fixture
def cell_fixture(ms_mode):
    seen.append(("setup", ms.get_context("mode"), int(ms_mode)))
    yield
    seen.append(("teardown", ms.get_context("mode"), int(ms_mode)))

class TestInClass:
    @pytest.mark.both_modes
    def test_f(self, cell_fixture, ms_mode):
        assert ms.get_context("mode") == ms_mode
        assert str(ms_mode) in ("GRAPH_MODE", "PYNATIVE_MODE")

def test_check_seen():
    assert seen == [("setup", 1, 1), ("teardown", 1, 1), ("setup", 0, 0), ("teardown", 0, 0)]
    assert ms.get_context("mode") == ms.PYNATIVE_MODE
''')
    run = run_pytest()
    assert run.ret == 0, run.stdout()
    assert sorted(run.outcomes().values()) == ["passed"] * 3


def test_k_selecting_one_mode_runs_that_variant_alone_and_says_so(pytester, run_pytest, net_source):
    pytester.makepyfile(net_source + '''
@pytest.mark.both_modes
def test_f():
    pass


def test_other():
    pass
''')
    run = run_pytest("-k", "GRAPH_MODE")
    assert [t["nodeid"].rsplit("::")[-1] for t in run.report["tests"]] == ["test_f[GRAPH_MODE]"]
    assert "2 deselected" in run.stdout()  # test_other and the twin: the user's selection wins
    assert "mode pairs: 1 variant ran without their twin" in run.stdout()


def test_ms_modes_skips_other_variants_with_the_reason(pytester, run_pytest, net_source):
    pytester.makepyfile(net_source + '''
@pytest.mark.both_modes
def test_f():
    pass
''')
    run = run_pytest("--ms-modes=pynative", "-rs")
    assert sorted(run.outcomes().values()) == ["passed", "skipped"]
    run.result.stdout.fnmatch_lines(["*GRAPH_MODE not selected (--ms-modes=PYNATIVE_MODE)*"])


def test_ms_modes_rejects_unknown_mode(pytester, usage_error):
    pytester.makepyfile("def test_f(): pass")
    usage_error("--ms-modes=graph,eager", message="unknown mode 'eager'; valid modes: GRAPH_MODE, PYNATIVE_MODE")


def test_both_modes_all_splits_unmarked_tests_from_option_and_ini(pytester, run_pytest, net_source):
    pytester.makepyfile(net_source + '''
def test_plain():
    Net()(ones(1, 3))

@pytest.mark.parametrize("mode", [ms.GRAPH_MODE])
def test_chooses_its_own_mode(mode):
    ms.set_context(mode=mode)
''')
    run = run_pytest("--ms-both-modes=all")
    assert sorted(t["nodeid"].split("::")[1] for t in run.report["tests"]) == [
        "test_chooses_its_own_mode[0]", "test_plain[GRAPH_MODE]", "test_plain[PYNATIVE_MODE]",
    ]
    pytester.makeini("[pytest]\nms_both_modes = all\n")
    run = run_pytest()
    assert len(run.report["tests"]) == 3



# Each eager variant here either makes its MindSpore call where a call-phase watch does not see it, or
# fails or skips before its first call: each GRAPH_MODE twin must run, and fail to compile.
HIDDEN_CALL_TESTS = TRY_CELL_SOURCE + '''
@pytest.fixture
def doubled():
    return TryNet()(ones(2, 3))

def test_called_in_a_fixture(doubled):
    assert doubled.shape == (2, 3)

class Square(nn.Cell):
    def construct(self, x):
        try:
            y = x * x
        except ValueError:
            y = x
        return y

def test_only_gradcheck(ms_gradcheck):
    assert ms_gradcheck(Square(), np.random.randn(2, 3)).ok

def test_eager_variant_skips_itself():
    if ms.get_context("mode") == ms.PYNATIVE_MODE:
        pytest.skip("graph only")
    TryNet()(ones(2, 3))

def test_eager_variant_fails_before_its_first_call():
    assert ms.get_context("mode") == ms.GRAPH_MODE, "eager fails first"
    TryNet()(ones(2, 3))

@pytest.fixture(scope="module")
def shared_out():
    return TryNet()(ones(2, 3))

def test_module_fixture_first_user(shared_out):
    assert shared_out.shape == (2, 3)

def test_module_fixture_later_user(shared_out):
    assert shared_out.shape == (2, 3)

def test_truly_idle():
    assert ops.add(ones(1, 3), ones(1, 3)).shape == (1, 3)
'''


def test_both_modes_all_never_turns_a_graph_failure_into_a_skip(pytester, run_pytest, net_source):
    """The whole eager variant is watched (fixtures, the plugin's own fixtures) and only a passing one proves idleness."""
    pytester.makepyfile(test_hidden=net_source + HIDDEN_CALL_TESTS)
    run = run_pytest("--ms-both-modes=all", "-rs")
    outcomes = {nodeid.split("::")[1]: outcome for nodeid, outcome in run.outcomes().items()}
    graph = {name[:-len("[GRAPH_MODE]")]: o for name, o in outcomes.items() if name.endswith("[GRAPH_MODE]")}
    assert graph == {"test_called_in_a_fixture": "error", "test_only_gradcheck": "failed",
                     "test_eager_variant_skips_itself": "failed",
                     "test_eager_variant_fails_before_its_first_call": "failed",
                     # Made eagerly by the first user, then again in GRAPH_MODE for the GRAPH_MODE variants (where it
                     # fails to compile, as each does alone): not idle, never passed on the eager variant's work.
                     "test_module_fixture_first_user": "error", "test_module_fixture_later_user": "error",
                     "test_truly_idle": "skipped"}, run.stdout()
    assert run.report["idle_twins"] == ["test_hidden.py::test_truly_idle[GRAPH_MODE]"]
    assert "1 GRAPH_MODE twin skipped: their PYNATIVE_MODE variant made no MindSpore call" in run.stdout()
    assert "Unsupported statement 'Try'" in run.stdout()
    parallel = run_pytest("--ms-both-modes=all", "-n", "2")  # twins share a worker: the same verdicts
    assert parallel.outcomes() == run.outcomes() and parallel.ret == run.ret
    assert parallel.report["idle_twins"] == run.report["idle_twins"]

    # The same tests marked both_modes end with the same outcomes, but for the one proved idle.
    marked = HIDDEN_CALL_TESTS.replace("\ndef test_", "\n@pytest.mark.both_modes\ndef test_")
    pytester.makepyfile(test_hidden=net_source + marked)
    both = run_pytest("-rs")
    expected = dict(run.outcomes(), **{"test_hidden.py::test_truly_idle[GRAPH_MODE]": "passed"})
    assert both.outcomes() == expected


def test_both_modes_all_skips_the_graph_twin_of_a_test_that_made_no_mindspore_call(pytester, run_pytest,
                                                                                     net_source):
    """Plain Python and eager ops run alike in both modes; a Cell, an ms.jit function or a grad does not."""
    pytester.makepyfile(net_source + '''
def test_plain_python():
    assert sorted([3, 1, 2]) == [1, 2, 3]

def test_eager_ops_only():
    assert ops.add(ones(1, 3), ones(1, 3)).shape == (1, 3)

def test_a_cell():
    Net()(ones(1, 3))

@ms.jit
def doubled(x):
    return x * 2

def test_a_jit_function():
    doubled(ones(1, 3))

def squares(x):
    return (x * x).sum()

def test_a_grad():
    ms.grad(squares)(ones(1, 3))

@pytest.mark.both_modes
def test_marked_runs_both_anyway():
    pass

def test_fails_without_mindspore():
    assert False
''')
    run = run_pytest("--ms-both-modes=all", "-rs")
    outcomes = {nodeid.split("::")[1]: outcome for nodeid, outcome in run.outcomes().items()}
    skipped = {name for name, outcome in outcomes.items() if outcome == "skipped"}
    assert skipped == {"test_plain_python[GRAPH_MODE]", "test_eager_ops_only[GRAPH_MODE]"}
    # A failed eager variant proves nothing about idleness: its twin runs.
    assert outcomes["test_fails_without_mindspore[PYNATIVE_MODE]"] == "failed"
    assert outcomes["test_fails_without_mindspore[GRAPH_MODE]"] == "failed"
    assert run.report["idle_twins"] == sorted(
        f"{run.report['tests'][0]['nodeid'].split('::')[0]}::{name}" for name in skipped)
    assert "2 GRAPH_MODE twins skipped: their PYNATIVE_MODE variant made no MindSpore call" in run.stdout()
    assert all(outcomes[f"{name}[{mode}]"] == "passed" for mode in ("GRAPH_MODE", "PYNATIVE_MODE")
               for name in ("test_a_cell", "test_a_jit_function", "test_a_grad", "test_marked_runs_both_anyway"))
    said = [line for line in run.stdout().splitlines() if line.startswith("SKIPPED")
            and "msgraph: its PYNATIVE_MODE twin made no Cell, ms.jit or grad call" in line]
    assert len(said) == 2


def test_both_modes_with_arguments_is_a_collection_error(pytester, run_pytest):
    pytester.makepyfile('''
import pytest
@pytest.mark.both_modes("GRAPH_MODE")
def test_f():
    pass
''')
    run = run_pytest(report=False)
    assert run.ret == 2
    run.result.stdout.fnmatch_lines(["*@pytest.mark.both_modes takes no arguments*--ms-modes*"])
    assert "Traceback" not in run.stdout()


def test_both_modes_on_a_test_that_parametrizes_mode_is_a_collection_error(pytester, run_pytest):
    pytester.makepyfile('''
import pytest
@pytest.mark.both_modes
@pytest.mark.parametrize("mode", [0, 1])
def test_f(mode):
    pass
''')
    run = run_pytest(report=False)
    assert run.ret == 2
    run.result.stdout.fnmatch_lines(["*parametrizes 'mode' itself and also carries @pytest.mark.both_modes*"])


def test_both_variants_start_from_the_same_random_state(pytester, run_pytest):
    pytester.makepyfile('''
import random
import numpy as np
import pytest
import mindspore as ms
from mindspore import ops

@pytest.mark.both_modes
def test_draw(ms_mode, record_property):
    values = (random.random(), float(np.random.rand()), float(ops.uniform((1,), ms.Tensor(0.0), ms.Tensor(1.0)).asnumpy()[0]))
    record_property("values", repr(values))
''')
    pytester.runpytest_subprocess("-p", "no:cacheprovider", "--junitxml=j.xml", "--ms-seed=7")
    xml = (pytester.path / "j.xml").read_text()
    import re
    values = re.findall(r'name="values" value="([^"]+)"', xml)
    assert len(values) == 2 and values[0] == values[1], values
    pytester.runpytest_subprocess("-p", "no:cacheprovider", "--junitxml=k.xml", "--ms-seed=8")
    other = re.findall(r'name="values" value="([^"]+)"', (pytester.path / "k.xml").read_text())
    assert other[0] != values[0]


def test_seed_is_shown_in_the_header_and_validated(pytester, run_pytest, usage_error):
    pytester.makepyfile("import mindspore\ndef test_f(): pass")
    run = run_pytest("--ms-seed=123")
    run.result.stdout.fnmatch_lines(["msgraph: mindspore *, modes GRAPH_MODE,PYNATIVE_MODE (both_modes: marked), seed 123"])
    assert run.report["seed"] == 123
    usage_error("--ms-seed=abc", message="--ms-seed / ms_seed 'abc' is not valid")


def test_ms_jit_0_skips_graph_variants_with_the_reason(pytester, run_pytest, monkeypatch):
    monkeypatch.setenv("MS_JIT", "0")
    pytester.makepyfile('''
import pytest
import mindspore

@pytest.mark.both_modes
def test_f():
    pass
''')
    run = run_pytest("-rs")
    assert run.outcomes() == {
        "test_ms_jit_0_skips_graph_variants_with_the_reason.py::test_f[GRAPH_MODE]": "skipped",
        "test_ms_jit_0_skips_graph_variants_with_the_reason.py::test_f[PYNATIVE_MODE]": "passed",
    }
    run.result.stdout.fnmatch_lines(["*MS_JIT=0 is set*GRAPH_MODE variant eagerly*"])


def test_bad_both_modes_scope_is_a_usage_error(pytester, usage_error):
    pytester.makepyfile("def test_f(): pass")
    usage_error("--ms-both-modes=some",
                message="--ms-both-modes / ms_both_modes 'some' is not valid; valid choices: marked, all.")


def test_ms_allow_without_check_names_is_a_collection_error(pytester, run_pytest):
    pytester.makepyfile('''
import pytest
@pytest.mark.ms_allow
def test_f():
    pass
''')
    run = run_pytest(report=False)
    assert run.ret == 2
    run.result.stdout.fnmatch_lines(["*@pytest.mark.ms_allow takes check names as strings*known checks: double_forward, bn_update_count, dynamic_shape, stale_attribute, mode_parity, compiled_hooks, graph_syntax, context_leak*"])


def test_every_misused_marker_of_a_module_is_said_in_one_collection_error(pytester, run_pytest):
    pytester.makepyfile(test_marks='''
import unittest
import pytest

@pytest.mark.ms_allow
def test_a():
    pass

@pytest.mark.both_modes("GRAPH_MODE")
def test_b():
    pass

@pytest.mark.ms_max_compiles(-1)
@pytest.mark.ms_tolerance(rtol="tight")
def test_c():
    pass

class TestGroup:
    @pytest.mark.ms_allow("no_such_check")
    def test_d(self):
        pass

class TestCase(unittest.TestCase):
    @pytest.mark.ms_device("TPU")
    def test_e(self):
        pass

class Checks:  # a mixin: pytest collects its methods on each class that inherits them
    @pytest.mark.ms_tolerance(atol=-1)
    def test_g(self):
        pass

class TestWithChecks(Checks):
    pass

def test_fine():
    assert True
''')
    run = run_pytest(report=False)
    assert run.ret == 2
    out = run.stdout()
    errors = [line for line in out.splitlines() if line.startswith("ERROR ")]
    # One collection error for the module, its classes (unittest's too) included, listing every one.
    assert len(errors) == 1, out
    for said in ("test_marks.py::test_a: @pytest.mark.ms_allow takes check names",
                 "test_marks.py::test_b: @pytest.mark.both_modes takes no arguments",
                 "test_marks.py::test_c: @pytest.mark.ms_tolerance", "test_marks.py::test_c: @pytest.mark.ms_max_compiles",
                 "test_marks.py::TestGroup::test_d: @pytest.mark.ms_allow names unknown check(s) 'no_such_check'",
                 "test_marks.py::TestCase::test_e: ",
                 "test_marks.py::TestWithChecks::test_g: @pytest.mark.ms_tolerance"):
        assert said in out, said
    assert "test_fine" not in out.split("short test summary")[0].split("ERRORS")[1]
    assert "Traceback" not in out


def test_both_modes_all_finds_what_marked_finds_when_a_fixture_calls_the_net(pytester, run_pytest, net_source):
    """Watching setup for idleness must not make a fixture's forward look like the test's own (double_forward)."""
    suite = net_source + '''
NET = Net()
X = ones(2, 3)

@pytest.fixture
def warmed():
    return NET(X)

def test_grad_after_a_fixture_forward(warmed):
    ms.grad(lambda x: NET(x).sum())(X)
'''
    pytester.makepyfile(test_f=suite)
    under_all = run_pytest("--ms-both-modes=all")
    pytester.makepyfile(test_f=suite.replace("\ndef test_", "\n@pytest.mark.both_modes\ndef test_"))
    marked = run_pytest()
    assert [f["nodeid"] for f in under_all.findings("double_forward")] == \
        [f["nodeid"] for f in marked.findings("double_forward")]
    assert under_all.outcomes() == marked.outcomes()


def test_unittest_class_under_both_modes_is_a_collection_error(pytester, run_pytest):
    pytester.makepyfile(test_case='''
import unittest
import pytest


@pytest.mark.both_modes
class TestNet(unittest.TestCase):
    def test_x(self):
        pass
''')
    run = run_pytest()
    assert run.ret == 2
    assert "@pytest.mark.both_modes cannot split a unittest.TestCase class" in run.stdout()
    assert "Traceback" not in run.stdout()


def test_unittest_class_under_both_modes_all_is_warned_and_still_runs(pytester, run_pytest):
    pytester.makepyfile(test_case='''
import unittest


class TestNet(unittest.TestCase):
    def test_x(self):
        pass


def test_fn():
    pass
''')
    run = run_pytest("--ms-both-modes=all")
    assert run.ret == 0
    assert "TestNet is a unittest.TestCase: --ms-both-modes=all cannot split it" in run.stdout()
    assert set(run.outcomes()) == {"test_case.py::TestNet::test_x", "test_case.py::test_fn[PYNATIVE_MODE]",
                                   "test_case.py::test_fn[GRAPH_MODE]"}


def test_one_selected_mode_counts_no_skipped_variant_in_the_other(pytester, run_pytest, net_source):
    pytester.makepyfile(net_source + "\n@pytest.mark.both_modes\ndef test_a():\n    pass\n")
    run = run_pytest("--ms-modes=GRAPH_MODE")
    assert ": 1 test in GRAPH_MODE, 1 skipped" in run.stdout()
    assert "in PYNATIVE_MODE" not in run.stdout()


# --- core.modes, pure -----------------------------------------------------------------------------


@pytest.mark.parametrize("text, mode", [
    ("GRAPH_MODE", Mode.GRAPH_MODE), ("graph", Mode.GRAPH_MODE), (" Pynative ", Mode.PYNATIVE_MODE),
    ("0", Mode.GRAPH_MODE), ("1", Mode.PYNATIVE_MODE),
])
def test_parse_mode(text, mode):
    assert parse_mode(text) is mode


def test_mode_values_match_mindspore_constants_and_print_by_name():
    import subprocess
    import sys

    # MindSpore's own constants, read in a fresh process (it does not survive a second import in this one).
    done = subprocess.run([sys.executable, "-c", "import mindspore as ms; print(ms.GRAPH_MODE, ms.PYNATIVE_MODE)"],
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split()[-2:] == [str(int(Mode.GRAPH_MODE)), str(int(Mode.PYNATIVE_MODE))]
    assert str(Mode.GRAPH_MODE) == "GRAPH_MODE" and str(Mode.PYNATIVE_MODE) == "PYNATIVE_MODE"


def test_parse_mode_list_orders_and_deduplicates():
    assert parse_mode_list("pynative,graph,GRAPH_MODE") == (Mode.GRAPH_MODE, Mode.PYNATIVE_MODE)
    with pytest.raises(ValueError, match="unknown mode 'eager'"):
        parse_mode_list("graph,eager")
    with pytest.raises(ValueError, match="no mode given"):
        parse_mode_list(" , ")


# What the idle rule counts as mode-dependent work besides Cell calls, jit and grads, each proved on MindSpore by its
# GRAPH_MODE variant, and look-alikes that stay idle. Measured on 2.10 without the plugin: set_inputs with a dynamic
# shape that construct's signature cannot take raises TypeError in GRAPH_MODE at once and runs in PYNATIVE_MODE.
IDLE_RULE = '''
import numpy as np
import pytest
import mindspore as ms
from mindspore import nn, ops


class TwoInputs(nn.Cell):
    def construct(self, x, y):
        return x + y


def test_set_inputs_only():
    TwoInputs().set_inputs(ms.Tensor(shape=[None, 3], dtype=ms.float32))


def test_model_predict():
    net = nn.Dense(3, 2)
    assert ms.train.Model(net).predict(ms.Tensor(np.ones((2, 3), np.float32))).shape == (2, 2)


def test_a_cell_method():
    assert len(nn.Dense(3, 2).trainable_params()) == 2


def test_ops_outside_any_cell():
    assert ops.add(ms.Tensor(np.ones(3, np.float32)), 1).shape == (3,)


def test_numpy_only():
    assert np.ones(3).sum() == 3


def test_a_cell_built_and_never_used():
    net = nn.Dense(3, 2)
    assert net.in_channels == 3  # an attribute read is no call
'''


def test_idle_means_proved_idle_set_inputs_and_model_methods_count(pytester, run_pytest):
    pytester.makepyfile(test_idle_rule=IDLE_RULE)
    run = run_pytest("--ms-both-modes=all")
    outcomes = {nodeid.split("::")[1]: outcome for nodeid, outcome in run.outcomes().items()}
    assert outcomes == {
        # Work on a Cell or a Model: the GRAPH_MODE variant runs (and set_inputs fails there, as without the plugin).
        "test_set_inputs_only[PYNATIVE_MODE]": "passed", "test_set_inputs_only[GRAPH_MODE]": "failed",
        "test_model_predict[PYNATIVE_MODE]": "passed", "test_model_predict[GRAPH_MODE]": "passed",
        "test_a_cell_method[PYNATIVE_MODE]": "passed", "test_a_cell_method[GRAPH_MODE]": "passed",
        # Look-alikes: nothing whose behaviour depends on the mode was touched.
        "test_ops_outside_any_cell[PYNATIVE_MODE]": "passed", "test_ops_outside_any_cell[GRAPH_MODE]": "skipped",
        "test_numpy_only[PYNATIVE_MODE]": "passed", "test_numpy_only[GRAPH_MODE]": "skipped",
        "test_a_cell_built_and_never_used[PYNATIVE_MODE]": "passed",
        "test_a_cell_built_and_never_used[GRAPH_MODE]": "skipped",
    }, run.stdout()[-3000:]
    assert "TypeError" in run.stdout()
    parallel = run_pytest("--ms-both-modes=all", "-n", "2")
    assert parallel.outcomes() == run.outcomes()
