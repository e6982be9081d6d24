"""lint.failure_causes: which known difference between the modes explains an error one mode raised (pure)."""
from pathlib import Path

from pytest_msgraph.lint.failure_causes import known_cause, rule_places

SOURCE = '''
import mindspore as ms
from mindspore import nn


class Loss(nn.Cell):
    def construct(self, r, x):
        a = r.max(2) < 4.0
        b = r.max(axis=2) < 4.0
        if x.transpose().is_contiguous():
            return a
        w, _, = x.shape
        return b
'''


def _file(tmp_path):
    path = tmp_path / "loss.py"
    path.write_text(SOURCE.lstrip())
    return str(path), SOURCE.lstrip().splitlines()


def test_the_lint_rule_on_the_failing_line_is_the_cause(tmp_path):
    path, lines = _file(tmp_path)
    line = lines.index("        a = r.max(2) < 4.0") + 1
    found = known_cause("TypeError: '<' not supported between instances of 'tuple' and 'float'", path, line)
    assert found["rule"] == "MSG009" and "positional axis" in found["cause"] and "axis=k" in found["fix"]
    # The look-alike a line below: a named axis is a Tensor in both modes, no cause.
    assert known_cause("TypeError: something else", path, line + 1) is None


def test_what_the_line_shows_and_what_the_error_says(tmp_path):
    path, lines = _file(tmp_path)
    contiguous = lines.index("        if x.transpose().is_contiguous():") + 1
    assert known_cause("AssertionError: x", path, contiguous)["rule"] == "is_contiguous"
    unpack = lines.index("        w, _, = x.shape") + 1
    assert known_cause("ValueError: too many values to unpack (expected 2)", path, unpack)["rule"] == "unpack"
    assert known_cause("ValueError: too many values to unpack (expected 2)", None, None)["rule"] == "unpack"


def test_graph_only_compile_messages():
    cases = {"RuntimeError: Unsupported statement 'Try'.": "MSG001",
             "TypeError: Parse Lambda Function Fail. Node type must be Lambda": "lambda",
             "RuntimeError: Unsupported exception type: MyError.": "MSG007",
             "RuntimeError: The method 'GetShapeVector()' doesn't implement": "MSG011",
             "RuntimeError: Unsupported expression 'NamedExpr'.": "MSG012"}
    for error, rule in cases.items():
        assert known_cause(error, None, None)["rule"] == rule, error
    assert known_cause("RuntimeError: For 'MatMul', the shapes do not match", None, None) is None


def test_the_rejected_statement_is_found_in_the_file_of_the_call(tmp_path):
    path, lines = _file(tmp_path)
    assert rule_places(path, "MSG009") == [(str(Path(path).resolve()), lines.index("        a = r.max(2) < 4.0") + 1)]
    assert rule_places(str(tmp_path / "missing.py"), "MSG001") == [] and rule_places(None, "MSG001") == []
