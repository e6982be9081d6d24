"""What a check has of a test's run: its own handle (``run.for_check``), and the facts the checks share as data.

The order in which the checks are registered changes no verdict.

mode_parity names what stale_attribute and input_mutation saw as the cause of a difference. It reads their
published facts (checks/facts.py), never their messages, and the facts exist as soon as a check learns them,
so the same suite run with the built-in checks registered in reverse gives the same findings, word for word.
"""

import pytest

from pytest_msgraph.checks.facts import FrozenAttribute, InputWrite
from pytest_msgraph.checks.findings import CheckRun, TestRun

SUITE = '''
import numpy as np
import pytest
import mindspore as ms
from mindspore import nn, ops, Tensor


class Gated(nn.Cell):
    def __init__(self):
        super().__init__()
        self.boost = False

    def construct(self, x):
        return x * 3 if self.boost else x


class ClampsLabel(nn.Cell):
    def construct(self, logits, label):
        clamped = ops.cast(label, ms.int32)  # eagerly, the caller's own tensor
        clamped[1] = 7
        return logits.mean() + ops.cast(label, ms.float32).max()


@pytest.mark.both_modes
def test_flag_flipped_after_the_first_call():
    gate, x = Gated(), Tensor(np.ones(3, np.float32))
    gate(x)
    gate.boost = True
    gate(x)


@pytest.mark.both_modes
def test_clamps_label():
    ClampsLabel()(Tensor(np.ones(2, np.float32)), Tensor(np.array([3, 0], np.int32)))
'''

# The built-in checks in the opposite order: mode_parity then reports before stale_attribute, and after input_mutation.
REVERSED = '''
import pytest


@pytest.hookimpl(trylast=True)
def pytest_msgraph_register_checks(registry, config):
    checks = list(registry)
    registry._checks.clear()
    for check in reversed(checks):
        registry.add(check)
'''


def _verdicts(run):
    return run.outcomes(), sorted((f["nodeid"], f["check"], f["message"]) for f in run.findings())


def test_reversing_the_registration_order_changes_no_verdict(pytester, run_pytest):
    pytester.makepyfile(test_suite=SUITE)
    forward = run_pytest()
    pytester.makeconftest(REVERSED)
    backward = run_pytest()
    assert _verdicts(forward) == _verdicts(backward)
    parity = {f["nodeid"].split("::")[1]: f["message"] for f in backward.findings("mode_parity")}
    assert "The GRAPH_MODE side is the wrong one: stale_attribute saw `Gated.boost` changed False → True after " \
           "GRAPH_MODE compiled the graph" in parity["test_flag_flipped_after_the_first_call[GRAPH_MODE]"]
    write = SUITE.lstrip("\n").splitlines().index("        clamped[1] = 7") + 1
    assert "PYNATIVE_MODE wrote into a tensor its caller passed (ClampsLabel wrote into its argument 1 ('label') at " \
           f"test_suite.py:{write}; see input_mutation)" in parity["test_clamps_label[PYNATIVE_MODE]"]


def test_a_run_hands_out_the_facts_of_one_kind_in_the_order_they_were_published():
    run = TestRun("t.py::test_f", "GRAPH_MODE", "CPU")
    frozen = FrozenAttribute("Gate", "on", "body.1", False, True)
    write = InputWrite("Loss", 1, "label", "PYNATIVE_MODE")
    later = FrozenAttribute("Net", "scale", "", 1.0, 2.0)
    for fact in (frozen, write, later):
        run.publish(fact)
    assert run.facts_of(FrozenAttribute) == [frozen, later]
    assert run.facts_of(InputWrite) == [write]
    assert frozen.words() == "`Gate.on` (at 'body.1') changed False → True"
    assert later.words() == "`Net.scale` changed 1.0 → 2.0"
    assert write.words() == "Loss wrote into its argument 1 ('label')"


def test_no_built_in_check_reads_a_findings_message_or_its_check_name():
    """A Finding's words are for people: a check that needs what another found reads its published fact."""
    import ast
    from pathlib import Path

    import pytest_msgraph

    builtin = Path(pytest_msgraph.__file__).parent / "checks" / "builtin"
    readers = []
    for path in sorted(builtin.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Attribute) and node.attr in ("message", "findings"):
                readers.append(f"{path.relative_to(builtin)}:{node.lineno} .{node.attr}")
    assert readers == []


def test_a_checks_handle_emits_counts_and_records_for_that_check_and_reads_the_run_as_it_is_now():
    run = TestRun("t.py::test_f", "GRAPH_MODE", "CPU")
    alpha, beta = run.for_check("alpha", "warn", "cells"), run.for_check("beta", "error")
    assert isinstance(alpha, CheckRun) and isinstance(alpha, TestRun)
    alpha.emit("first", cell="net.bn")
    run.mode = "PYNATIVE_MODE"  # the plugin sets the mode the test ran in after the call
    second = beta.emit("second")
    alpha.emit("third")  # beta's handle, used in between, changes nothing for alpha's
    assert [(f.check, f.severity, f.mode) for f in run.findings] == [
        ("alpha", "warn", "GRAPH_MODE"), ("beta", "error", "PYNATIVE_MODE"), ("alpha", "warn", "PYNATIVE_MODE")]
    assert second is run.findings[1]
    alpha.count()
    beta.count(2, unit="calls")
    alpha.record({"k": 1})
    assert run.examined == {"alpha": {"cells": 1}, "beta": {"calls": 2}}
    assert run.records == {"alpha": [{"k": 1}]}
    alpha.raised = {"type": "ValueError"}  # written through to the run
    assert run.raised == {"type": "ValueError"}


def test_a_plain_run_has_no_check_to_emit_for():
    with pytest.raises(RuntimeError, match=r"run.for_check\(check, severity\)"):
        TestRun("t.py::test_f", "GRAPH_MODE", "CPU").emit("whose?")
