"""A check that is off costs nothing: with every check that listens to Cell and grad calls off, MindSpore's own
``Cell.__call__`` runs, unwrapped (issue 33). Its look-alike: one such check on, and the probe is there."""
import pytest_msgraph.checks.builtin as builtin
from pytest_msgraph.checks.builtin import probed

LISTENING = sorted(obj.name for obj in vars(builtin).values()
                   if isinstance(obj, type) and issubclass(obj, probed.ProbedCheck) and obj is not probed.ProbedCheck
                   and getattr(obj, "name", None))

SUITE = '''
import numpy as np
import pytest
import mindspore as ms
from mindspore import nn


@pytest.mark.both_modes
def test_calls():
    out = nn.Dense(3, 2)(ms.Tensor(np.ones((1, 3), np.float32)))
    print("Cell.__call__ from", nn.Cell.__call__.__module__)
    out.asnumpy()
    origin = lambda method: getattr(method, "__module__", None) or "mindspore (C++)"
    print("Tensor reads and writes from", origin(ms.Tensor.asnumpy), origin(ms.Tensor.__setitem__))
    print("Cell.__new__ from", getattr(nn.Cell.__new__, "__module__", None))
'''


def test_no_probe_is_installed_when_every_listening_check_is_off(pytester, run_pytest):
    assert {"double_forward", "bn_update_count", "mode_parity", "input_mutation"} <= set(LISTENING)
    pytester.makepyfile(test_calls=SUITE)
    off = [arg for name in LISTENING for arg in ("--ms-check", f"{name}=off")]
    quiet = run_pytest("-s", *off)
    assert quiet.ret == 0, quiet.stdout()
    assert quiet.stdout().count("Cell.__call__ from mindspore.nn.cell") == 2, quiet.stdout()
    # The kept reads' watch on Tensor reads and in-place writes (probes/deferred_reads) is not installed either.
    reads_and_writes = [line for line in quiet.stdout().splitlines() if line.startswith("Tensor reads and writes")]
    assert len(reads_and_writes) == 2 and "pytest_msgraph" not in "".join(reads_and_writes), reads_and_writes
    one_on = run_pytest("-s", *off[:-1], f"{LISTENING[-1]}=warn")
    assert one_on.ret == 0, one_on.stdout()
    assert "Cell.__call__ from pytest_msgraph.mindspore_side.probes" in one_on.stdout()


def test_the_read_watch_comes_with_the_first_kept_value(pytester, run_pytest):
    """mode_parity keeps an eager call's outputs to read later: the watch on Tensor reads and writes is installed
    then (and stays for the process), not before."""
    pytester.makepyfile(test_calls=SUITE)
    off = [arg for name in LISTENING if name != "mode_parity" for arg in ("--ms-check", f"{name}=off")]
    run = run_pytest("-s", "-p", "no:randomly", *off)
    assert run.ret == 0, run.stdout()
    lines = [line for line in run.stdout().splitlines() if line.startswith("Tensor reads and writes from")]
    watched = "Tensor reads and writes from pytest_msgraph.mindspore_side.probes.deferred_reads " \
              "pytest_msgraph.mindspore_side.probes.deferred_reads"
    assert lines == [watched, watched], lines  # the eager variant runs first, and keeps its call's outputs


def test_constructions_are_recorded_only_with_ms_repro(pytester, run_pytest):
    """--ms-repro's recording of each Cell's constructor arguments (a wrapper on Cell.__new__) costs nothing
    without the option: Cell.__new__ is MindSpore's own; with it, the wrapper is there."""
    pytester.makepyfile(test_calls=SUITE)
    without = run_pytest("-s", "-p", "no:randomly")
    assert without.ret == 0 and without.stdout().count("Cell.__new__ from mindspore.nn.cell") == 2, without.stdout()
    given = run_pytest("-s", "-p", "no:randomly", "--ms-repro=repros")
    assert given.ret == 0, given.stdout()
    assert given.stdout().count("Cell.__new__ from pytest_msgraph.mindspore_side.constructions") == 2, given.stdout()
