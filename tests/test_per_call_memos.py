"""What the checks work out once per test rather than at every top-level call (issue 40): the memo must
give what working it out at each call gives. Pure logic, with stand-in tensors and cells."""
from pytest_msgraph.checks.builtin import dynamic_shape
from pytest_msgraph.checks.builtin.dynamic_shape import ShapeLog
from pytest_msgraph.checks.builtin.parity import records
from pytest_msgraph.checks.builtin.parity.records import CellFacts
from pytest_msgraph.checks.findings import TestRun


class FakeTensor:
    """Told a tensor by its type, as core/tensors.is_tensor tells one: asnumpy and dtype on the class."""

    def __init__(self, shape, dtype="Float32"):
        self._shape, self._dtype = tuple(shape), dtype

    @property
    def shape(self):
        return self._shape

    @property
    def dtype(self):
        return self._dtype

    def asnumpy(self):
        raise AssertionError("a signature never reads values")


CALLS = [((FakeTensor((4, 3)),), FakeTensor((4, 2)))] * 20 + [
    ((FakeTensor((4, 3)),), FakeTensor((3, 2))),  # a new output shape for the same inputs
    ((FakeTensor((4, 3), "Float16"),), FakeTensor((4, 2), "Float16")),  # another dtype: another group
    ((FakeTensor((4, 3)), 2), (FakeTensor((4, 2)), FakeTensor((1,)))),  # a Python value: kept by value
    ((FakeTensor((4, 3)), 3), (FakeTensor((4, 2)), FakeTensor((1,)))),
]


def _records(log_calls, config="cfg"):
    run = TestRun("t.py::test_loop", "GRAPH_MODE", "CPU")
    log = ShapeLog()
    for inputs, output in log_calls:
        log.record(run, "Net", inputs, output, config)
    return run.records["dynamic_shape"]


def test_the_shape_memo_records_what_working_each_call_out_records(monkeypatch):
    memoised = _records(CALLS)
    monkeypatch.setattr(dynamic_shape, "_quick", lambda values: None)  # every call worked out anew
    assert memoised == _records(CALLS)
    assert [r["call"] for r in memoised][-4:] == [20, 0, 0, 0]  # the new shape, and three groups of their own
    assert {r["inputs"]["args"][1]["value"] for r in memoised if len(r["inputs"]["args"]) == 2} == {2, 3}


def test_the_shape_memo_keeps_cells_built_otherwise_apart():
    assert _records(CALLS[:1], config="a")[0]["inputs"]["cell"] == "a"
    assert _records(CALLS[:1], config="b")[0]["inputs"]["cell"] == "b"


class Parameter:
    pass


class Cell:
    def __init__(self, n):
        self.params = [Parameter() for _ in range(n)]

    def cells_and_names(self):
        return [("", self)]

    def get_parameters(self):
        return iter(self.params)

    def construct(self, x):
        return x


def test_cell_facts_are_worked_out_once_per_cell(monkeypatch):
    worked = []
    monkeypatch.setattr(records, "semantics", lambda cell: worked.append(cell) or [])
    facts = CellFacts()
    cell = Cell(2)
    first = facts.of(cell)
    assert facts.of(cell) is not None and worked == [cell]
    assert [ref() for ref in first[1]] == cell.params


def test_a_cell_made_where_another_was_is_worked_out_anew(monkeypatch):
    monkeypatch.setattr(records, "semantics", lambda cell: [])
    facts = CellFacts()
    old, new = Cell(1), Cell(3)
    facts.of(old)
    facts._known[id(new)] = facts._known.pop(id(old))  # as when new is made at the address old had
    assert [ref() for ref in facts.of(new)[1]] == new.params
