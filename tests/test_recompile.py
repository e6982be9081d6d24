"""recompile: every compile watched, each recompile explained, ms_max_compiles (issue 11)."""
import re

import pytest

from pytest_msgraph.checks.builtin.compile_arithmetic import recompiled_groups, signature_change, with_causes

SUITE = open(__file__.replace("test_recompile.py", "data/recompile_suite.py")).read()


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    """One run of the suite, shared: each test below reads a different part of it."""
    import json
    import subprocess
    import sys

    root = tmp_path_factory.mktemp("recompile")
    (root / "test_rc.py").write_text(SUITE)
    done = subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-p", "no:randomly",
                           "--ms-report=r.json", "-rA"], cwd=root, capture_output=True, text=True)
    report = json.loads((root / "r.json").read_text())
    return done, report


def _causes(report):
    return {f["nodeid"].split("::")[1]: f["cause"] for f in report["findings"] if f["check"] == "recompile"}


def test_each_trap_is_named_with_its_cause(run):
    _, report = run
    assert _causes(report) == {
        "test_python_float_lr[GRAPH_MODE]": "scalar_value",
        "test_new_shapes[GRAPH_MODE]": "shape",
        "test_new_cell_per_step[GRAPH_MODE]": "new_instance",
        "test_grad_in_loop[GRAPH_MODE]": "new_function",
        "test_jit_int_arg[PYNATIVE_MODE]": "scalar_value",  # @ms.jit compiles per int value in PYNATIVE too
        # The twin compiled those graphs first (the jit cache is process-wide); they count all the same.
        "test_jit_int_arg[GRAPH_MODE]": "scalar_value",
        "test_max_compiles[GRAPH_MODE]": "scalar_value",
        "test_jit_closure_per_step[GRAPH_MODE]": "new_instance",
        "test_jit_closure_per_step[PYNATIVE_MODE]": "new_instance",
        "test_dtypes_change[GRAPH_MODE]": "dtype",
        "test_dtypes_change[PYNATIVE_MODE]": "dtype",
        "test_argument_count_changes[GRAPH_MODE]": "arguments",
        "test_argument_count_changes[PYNATIVE_MODE]": "arguments",
    }


def _message(report, test):
    [finding] = [f for f in report["findings"] if f["check"] == "recompile" and f["nodeid"].endswith(test)]
    return finding["message"]


def test_causes_are_worded_for_what_was_compiled(run):
    _, report = run
    closure = _message(report, "test_jit_closure_per_step[GRAPH_MODE]")
    assert "jit function is built anew" in closure and "apply ms.jit once" in closure
    assert "identical cells" not in closure
    assert "identical cells are built anew" in _message(report, "test_new_cell_per_step[GRAPH_MODE]")
    dtypes = _message(report, "test_dtypes_change[GRAPH_MODE]")
    assert "((2, 4) Float32,); ((2, 4) Float16,); ((2, 4) Float64,)" in dtypes
    counts = _message(report, "test_argument_count_changes[GRAPH_MODE]")
    assert "number of arguments changed" in counts and "tuple or list" not in counts


def test_findings_carry_the_json_fields(run):
    _, report = run
    [finding] = [f for f in report["findings"]
                 if f["check"] == "recompile" and f["nodeid"].endswith("test_python_float_lr[GRAPH_MODE]")]
    assert finding["cell"] == "Scale" and finding["compiles"] == 4 and finding["seconds"] > 0
    assert finding["location"].startswith("test_rc.py:")
    assert len(finding["signatures"]) == 3
    assert finding["signatures"][0][1] == {"type": "float", "value": 0.1}
    assert "Fix: pass a Tensor, or ms.mutable(value)" in finding["message"]


def test_look_alikes_are_not_findings(run):
    _, report = run
    flagged = set(_causes(report))
    for clean in ("test_tensor_lr", "test_mutable_lr", "test_set_inputs", "test_grad_built_once", "test_two_shapes",
                  "test_train_one_step", "test_built_differently", "test_three_lambdas"):
        assert not any(name.startswith(clean) for name in flagged), clean


def test_per_test_compiles_and_the_summary(run):
    done, report = run
    tests = {t["nodeid"].split("::")[1]: t for t in report["tests"]}
    assert tests["test_train_one_step[GRAPH_MODE]"]["compiles"] == 1
    assert tests["test_new_shapes[GRAPH_MODE]"]["compiles"] == 4
    assert tests["test_set_inputs[GRAPH_MODE]"]["compiles"] == 1
    assert tests["test_new_shapes[GRAPH_MODE]"]["compile_seconds"] > 0
    assert re.search(r"^compiles: \d+ graphs in [0-9.]+ s; slowest [0-9.]+ s \S+ in \S+::", done.stdout, re.M)


def test_ms_max_compiles_fails_the_test_whatever_the_policy(run):
    done, report = run
    outcomes = {t["nodeid"].split("::")[1]: t["outcome"] for t in report["tests"]}
    assert outcomes["test_max_compiles[GRAPH_MODE]"] == "failed"
    assert outcomes["test_max_compiles[PYNATIVE_MODE]"] == "passed"
    assert "the test's calls needed 3 graphs, more than the 1 allowed by @pytest.mark.ms_max_compiles(1)" in done.stdout
    assert "Scale (cell) at test_rc.py:" in done.stdout and ": first compile, " in done.stdout


def test_max_compiles_holds_with_the_check_off_and_bad_arguments_are_collection_errors(pytester, run_pytest):
    pytester.makepyfile(test_bad='''
import re

import pytest


@pytest.mark.ms_max_compiles("two")
def test_f():
    pass
''')
    run = run_pytest()
    assert run.ret == 2 and "@pytest.mark.ms_max_compiles takes one whole number >= 0" in run.stdout()
    pytester.makepyfile(test_bad=SUITE)
    off = run_pytest("--ms-check", "recompile=off", "-k", "max_compiles")
    assert off.outcomes()["test_bad.py::test_max_compiles[GRAPH_MODE]"] == "failed"


BUDGETS = '''
import numpy as np
import pytest
import mindspore as ms
from mindspore import Tensor


@ms.jit
def double(x):
    return x * 2


@ms.jit
def triple(x):
    return x * 3


def test_warms_the_cache():
    double(Tensor(np.ones(3, np.float32)))


@pytest.mark.ms_max_compiles(1)
def test_needs_two_graphs():
    x = Tensor(np.ones(3, np.float32))
    double(x)
    triple(x)
'''


@pytest.mark.parametrize("order", ["file order", "-k", "randomly seeds 3 and 4"])
def test_a_compile_budget_does_not_depend_on_the_order_tests_run_in(pytester, run_pytest, order):
    pytester.makepyfile(test_budgets=BUDGETS)
    if order == "file order":
        runs = [run_pytest()]
    elif order == "-k":
        runs = [run_pytest("-k", "needs_two")]
    else:
        runs = [run_pytest(f"--randomly-seed={seed}", randomly=True) for seed in (3, 4)]
    for run in runs:
        assert run.outcomes()["test_budgets.py::test_needs_two_graphs"] == "failed"
        assert "the test's calls needed 2 graphs, more than the 1 allowed" in run.stdout()


def test_threshold_option_and_ini(pytester, run_pytest, usage_error):
    pytester.makepyfile(test_rc=SUITE)
    run = run_pytest("--ms-recompile-threshold=5", "-k", "new_shapes or float_lr")
    assert run.findings("recompile") == []
    pytester.makeini("[pytest]\nms_recompile_threshold = 2\n")
    two = run_pytest("-k", "two_shapes")
    assert [f["cause"] for f in two.findings("recompile")] == ["shape"]
    usage_error("--ms-recompile-threshold=1", message="'1' is not a compile count")


def test_xdist_gives_the_serial_compile_report(pytester, run_pytest):
    pytester.makepyfile(test_rc=SUITE)
    serial, parallel = run_pytest("-k", "shapes or cell_per_step"), run_pytest("-n", "2", "-k", "shapes or cell_per_step")

    def shape(report):
        return ([(t["nodeid"], t["compiles"]) for t in report["tests"]],
                sorted((f["nodeid"], f["cause"], f["compiles"]) for f in report["findings"] if f["check"] == "recompile"))

    assert shape(serial.report) == shape(parallel.report)


@pytest.mark.parametrize("before, after, kind", [
    ([{"type": "float", "value": 0.1}], [{"type": "float", "value": 0.2}], "scalar_value"),
    ([{"shape": [2, 4], "dtype": "Float32"}], [{"shape": [3, 4], "dtype": "Float32"}], "shape"),
    ([{"shape": [2, 4], "dtype": "Float32"}], [{"shape": [2, 4], "dtype": "Float16"}], "dtype"),
    ([[{"shape": [2], "dtype": "Float32"}]], [[{"shape": [2], "dtype": "Float32"}] * 2], "structure"),
    ([{"shape": [2, 4], "dtype": "Float32"}], [{"shape": [2, 4], "dtype": "Float32"}], None),
])
def test_signature_change(before, after, kind):
    assert signature_change(before, after) == kind


def test_groups_and_causes_from_events():
    def event(instance, sig, kind="cell", group="g"):
        return {"kind": kind, "what": "Net", "group": group, "instance": instance, "signature": sig,
                "seconds": 0.1, "location": "t.py:1"}

    same = [{"shape": [2], "dtype": "Float32"}]
    new_cells = [event(i, same) for i in range(3)]
    assert [e["cause"] for e in with_causes(new_cells)] == ["first compile", "new_instance", "new_instance"]
    assert recompiled_groups(new_cells, 3)[0]["cause"] == "new_instance"
    assert recompiled_groups(new_cells[:2], 3) == []  # two compiles: on purpose
    grads = [event(i, same, kind="grad") for i in range(3)]
    assert recompiled_groups(grads, 3)[0]["cause"] == "new_function"
    apart = [event(i, same, group=f"g{i}") for i in range(3)]  # built differently: three groups
    assert recompiled_groups(apart, 3) == []
    counts = [event(0, same * n) for n in (1, 2, 3)]
    assert [e["cause"] for e in with_causes(counts)][1:] == ["arguments", "arguments"]
