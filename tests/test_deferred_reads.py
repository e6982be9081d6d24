"""DeferredReads, on a stand-in Tensor class: when the checks' kept reads run, and when they must not."""
import types

import pytest

from pytest_msgraph.mindspore_side.probes import deferred_reads
from pytest_msgraph.mindspore_side.probes.deferred_reads import DEFERRED, DeferredReads


class Owner:
    def __init__(self):
        self.failed = []

    def probe_failed(self, event, exc):
        self.failed.append((event, exc))


TENSOR = """
class Tensor:
    def __init__(self, value, error=None):
        self.value, self.error = value, error

    def asnumpy(self):
        if self.error:
            raise self.error
        return list(self.value) if isinstance(self.value, list) else self.value  # a new array at each read

    def _item(self):
        return self.value

    def __float__(self):  # as MindSpore's: float() reads through _item
        return float(self._item())
"""


def _tensor_class(ms_dir):
    """A stand-in Tensor whose methods live in ``ms_dir/common/tensor.py``, as MindSpore's do."""
    path = ms_dir / "common" / "tensor.py"
    path.parent.mkdir(parents=True)
    path.write_text(TENSOR)
    namespace = {"__name__": "mindspore.common.tensor"}
    exec(compile(TENSOR, str(path), "exec"), namespace)
    return namespace["Tensor"]


@pytest.fixture
def setup(tmp_path):
    cls = _tensor_class(tmp_path / "mindspore")
    return cls, DeferredReads(cls, str(tmp_path / "mindspore")), Owner()


def test_kept_reads_run_after_the_tests_own_read_in_order(setup):
    cls, reads, owner = setup
    order = []
    reads.later(owner, lambda: order.append("first"))
    reads.later(owner, lambda: order.append(("second", len(reads))))
    assert order == [] and len(reads) == 2
    assert cls(3).asnumpy() == 3
    assert order == ["first", ("second", 0)]
    reads.later(owner, lambda: order.append("third"))
    assert float(cls(2.5)) == 2.5  # float() reads through the Tensor's own _item: still the test's read
    assert order[-1] == "third" and owner.failed == []


def test_a_read_made_inside_mindspore_or_the_plugin_runs_nothing(setup, tmp_path):
    cls, reads, owner = setup
    ran = []
    reads.later(owner, lambda: ran.append(1))
    inside = {}
    exec(compile("def read(t):\n    return t.asnumpy()\n", str(tmp_path / "mindspore" / "ops.py"), "exec"), inside)
    inside["read"](cls(1))  # MindSpore's own code reading (a compile, an optimizer)
    assert ran == []
    own = {}
    exec(compile("def read(t):\n    return t.asnumpy()\n", deferred_reads.__file__, "exec"), own)
    own["read"](cls(1))
    assert ran == []
    cls(1).asnumpy()
    assert ran == [1]


def test_the_tests_own_error_reaches_it_and_nothing_is_read_then(setup):
    cls, reads, owner = setup
    ran = []
    reads.later(owner, lambda: ran.append(1))
    with pytest.raises(RuntimeError, match="deferred kernel error"):
        cls(0, RuntimeError("deferred kernel error")).asnumpy()
    assert ran == [] and len(reads) == 1  # kept for the test's end


def test_a_failing_read_is_its_owners_failure_and_the_others_still_run(setup):
    cls, reads, owner = setup
    other, ran = Owner(), []
    reads.later(owner, lambda: 1 / 0)
    reads.later(other, lambda: ran.append(1))
    assert cls(5).asnumpy() == 5  # the test's read is never the one that fails
    assert ran == [1] and other.failed == []
    [(event, exc)] = owner.failed
    assert event == DEFERRED and isinstance(exc, ZeroDivisionError)


def test_too_much_pending_is_read_at_once(setup, monkeypatch):
    cls, reads, owner = setup
    ran = []
    monkeypatch.setattr(deferred_reads, "MAX_PENDING", 3)
    for i in range(3):
        reads.later(owner, lambda i=i: ran.append(i))
    assert ran == [0, 1, 2] and len(reads) == 0
    # A callback's bytes are counted when the next comes (its tensors' ops are dispatched by then): the big one
    # stays pending alone, and goes with the one after it.
    big = types.SimpleNamespace(nbytes=deferred_reads.MAX_BYTES)
    reads.later(owner, lambda: ran.append("big"), [big])
    assert ran[-1] == 2 and len(reads) == 1
    reads.later(owner, lambda: ran.append("after"))
    assert ran[-2:] == ["big", "after"] and len(reads) == 0


def test_a_callback_that_keeps_more_is_read_in_the_same_flush(setup):
    cls, reads, owner = setup
    ran = []
    reads.later(owner, lambda: reads.later(owner, lambda: ran.append("kept by a read")))
    reads.flush()
    assert ran == ["kept by a read"] and len(reads) == 0


def test_a_kept_tensor_the_test_reads_is_taken_from_the_tests_read(setup):
    """One read, not two: the callback gets the very array the test's asnumpy returned, for that tensor only; any
    other tensor, or a read outside the test's, is read anew."""
    cls, reads, owner = setup
    out, other = cls([1.0]), cls([2.0])
    got = []
    reads.later(owner, lambda: got.extend([reads.array_of(out), reads.array_of(other)]), [out, other])
    mine = out.asnumpy()
    assert got[0] is mine and got[1] == [2.0]
    assert reads.array_of(out) == [1.0] and reads.array_of(out) is not mine  # the test's read is over
    reads.later(owner, lambda: got.append(reads.array_of(out)))
    assert float(cls(4.0)) == 4.0  # _item gives a scalar, not the array: nothing to take
    assert got[2] == [1.0] and got[2] is not mine and owner.failed == []


def test_a_callbacks_own_read_does_not_take_the_tests_array_from_the_next_callback(setup):
    cls, reads, owner = setup
    out, other = cls([1.0]), cls([2.0])
    got = []

    def reads_another():
        reads.later(owner, lambda: None)  # something pending while it reads: its read goes through the watch
        got.append(other.asnumpy())

    reads.later(owner, reads_another)
    reads.later(owner, lambda: got.append(reads.array_of(out)))
    mine = out.asnumpy()
    assert got[0] == [2.0] and got[1] is mine and owner.failed == []
