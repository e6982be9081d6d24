"""The graph_syntax corpus (issue 32): constructs a careful engineer writes, each linted and run on MindSpore.

Every correct construct gives no finding and computes the same in both modes, leaving the caller's data as it
was; every wrong one gives exactly one finding, and one subprocess shows on MindSpore that it is wrong: the
modes differ (the caller's data, fresh draws, a compile error, the output's type), or, for a removed name,
it fails in both. All cases run in one subprocess (one file per case: GRAPH_MODE reads the source).
"""
import json
import textwrap

import pytest

from pytest_msgraph.lint.rules import lint_source

HEADER = """import random
import numpy as np
import mindspore as ms
from mindspore import nn, ops, Tensor
from mindspore.ops import constexpr


"""
X = "x23()"


def net(body, params="x", before=""):
    """A module whose Net.construct has ``body`` (and returns x), after the classes and helpers in ``before``."""
    return textwrap.dedent(before) + f"class Net(nn.Cell):\n    def construct(self, {params}):\n" + \
        textwrap.indent(textwrap.dedent(body), " " * 8) + "\n        return x * 1\n"


PAIR = """
class Net(nn.Cell):
    def __init__(self):
        super().__init__()
        self.pair = Pair()

    def construct(self, x, residual):
        {body}
        return x * 1


class Pair(nn.Cell):
    def construct(self, x):
        return x * 2, x * 3
"""
TRY_HELPER = """
def safe_scale(x):
    try:
        return x * 2
    except ValueError:
        return x
"""
BASE = """
class Base(nn.Cell):
    def scaled(self, x):
        try:
            return x * 2
        except ValueError:
            return x
"""

# (id, the one rule it breaks or None, how MindSpore shows it, the arguments, the module source)
WRONG = [
    ("item-write", "MSG010", "caller", X, net("x[0] = 5.0")),
    ("augmented-add", "MSG010", "caller_since_2_8", X, net("x += 1")),
    ("augmented-mul", "MSG010", "caller_since_2_8", X, net("x *= 2")),
    ("augmented-second-input", "MSG010", "caller_since_2_8", "x23(), x23()", net("bias += 1\nx = x + bias", "x, bias")),
    ("slice-write", "MSG010", "caller", X, net("x[:, 0] = 0.0")),
    ("write-after-rebind-on-one-branch", "MSG010", "caller", X,
     net("if x.shape[0] > 5:\n    x = x * 1\nx[0] = 5.0")),
    ("write-in-else-branch", "MSG010", "caller", X, net("if x.shape[0] > 5:\n    y = 1\nelse:\n    x[1] = 5.0")),
    ("write-through-an-alias", "MSG010", "caller", X, net("y = x\ny[0] = 5.0")),
    ("write-through-a-swapped-alias", "MSG010", "caller", X, net("a, b = x * 1, x\nb[0] = 5.0")),
    ("write-through-an-element-of-callers-list", "MSG010", "caller", "[x23(), x23()]",
     net("first = x[0]\nfirst[0] = 5.0\nx = first")),
    ("write-through-a-row-of-callers-tensor", "MSG010", "caller", X, net("row = x[0]\nrow[0] = 5.0")),
    ("augmented-through-an-alias", "MSG010", "caller_since_2_8", X, net("y = x\ny += 1")),
    ("write-after-a-loop-on-another-name", "MSG010", "caller", X,
     net("for i in range(2):\n    y = x * i\nx[0] = 5.0")),
    ("augmented-item-write", "MSG010", "caller", X, net("x[0] += 1")),
    ("write-before-rebind-in-a-loop", "MSG010", "caller", X,
     net("for i in range(2):\n    x[i] = 0.0\n    x = x * 1")),
    ("write-into-callers-list", "MSG010", "caller", "[x23(), x23()]",
     net("for i in range(len(x)):\n    x[i] = x[i] * 2\nx = x[0] + x[1]")),
    ("augmented-into-callers-list", "MSG010", "caller", "[x23(), x23()]", net("x[0] += 1\nx = x[0] + x[1]")),
    ("np-random", "MSG003", "draws", X, net("x = x + np.random.rand()")),
    ("python-random-droppath", "MSG003", "draws", X, net("if random.random() < 0.5:\n    x = x * 0")),
    ("python-random-uniform", "MSG003", "draws", X, net("x = x * random.uniform(0, 1)")),
    ("python-random-imported-name", "MSG003", "draws", X,
     net("x = x * gauss(0, 1)", before="from random import gauss\n\n\n")),
    ("np-random-in-a-helper", "MSG003", "draws", X,
     net("x = noisy(x)", before="def noisy(x):\n    return x + np.random.rand()\n\n\n")),
    ("try-in-construct", "MSG001", "graph_fails", X,
     net("try:\n    x = x * 2\nexcept ValueError:\n    pass")),
    ("try-in-a-helper", "MSG001", "graph_fails", X, net("x = safe_scale(x)", before=TRY_HELPER)),
    ("try-two-calls-deep", "MSG001", "graph_fails", X,
     net("x = outer(x)", before=TRY_HELPER + "\n\ndef outer(x):\n    return safe_scale(x) + 1\n\n\n")),
    ("try-in-a-base-class-method", "MSG001", "graph_fails", X,
     net("x = self.scaled(x)", before=BASE + "\n\n").replace("class Net(nn.Cell)", "class Net(Base)")),
    ("dense-built-in-construct", "MSG007", "draws", X, net("x = nn.Dense(3, 3)(x)")),
    ("user-exception", "MSG007", "errors_differ", X,
     net("if x.shape[0] > 1:\n    raise Mine('too big')", before="class Mine(Exception):\n    pass\n\n\n")),
    ("max-positional-axis", "MSG009", "output_type", X, "class Net(nn.Cell):\n    def construct(self, x):\n"
     "        return x.max(1)\n"),
    ("min-positional-axis", "MSG009", "output_type", X, "class Net(nn.Cell):\n    def construct(self, x):\n"
     "        return x.min(0)\n"),
    ("expand-tuple", "MSG011", "graph_fails", "ones13()", net("x = x.expand((2, 3))")),
    ("expand-sizes", "MSG011", "graph_fails", "ones13()", net("x = x.expand(2, 3)")),
    ("walrus-in-condition", "MSG012", "graph_fails", X, net("if (y := x * 2).sum() > 0:\n    x = y")),
    ("walrus-in-list", "MSG012", "graph_fails", X, net("outs = [(y := x + 1), y * 2]\nx = outs[1]")),
    ("construct-first-param-not-self", "MSG006", "graph_fails", X,
     "class Net(nn.Cell):\n    def construct(s, x):\n        return x * 2\n"),
    ("asnumpy", "MSG005", "strict_fails", X, net("x = Tensor(x.asnumpy()) * 2")),
    ("removed-class-in-init", "MSG008", "both_fail", X,
     "class Net(nn.Cell):\n    def __init__(self):\n        super().__init__()\n        self.up = nn.ResizeBilinear()\n"
     "\n    def construct(self, x):\n        return x * 2\n"),
]
CORRECT = [
    ("lstm-style-unpack-then-augmented", None, "same", "x23(), x23()",
     PAIR.format(body="x, _ = self.pair(x)\n        x += residual")),
    ("tuple-rebind-then-slice-write", None, "same", "x23(), 3", net("x, y = x * 1, n\nx[:, 0] = 0.0", "x, n")),
    ("annotated-copy-then-write", None, "same", X, net("x: Tensor = x.copy()\nx[0] = 1.0")),
    ("rebind-then-write", None, "same", X, net("x = x * 1\nx[0] = 5.0")),
    ("copy-then-write", None, "same", X, net("y = x.copy()\ny[0] = 5.0\nx = x + y")),
    ("rebind-on-both-branches", None, "same", X,
     net("if x.shape[0] > 5:\n    x = x * 1\nelse:\n    x = x + 0\nx[0] = 5.0")),
    ("starred-rebind", None, "same", "[x23(), x23(), x23()]", net("*x, y = x\nx = x[0] + y")),
    ("alias-rebound", None, "same", X, net("y = x\ny = y + 1\ny[0] = 5.0\nx = x + y")),
    ("augmented-on-a-row", None, "same", X, net("row = x[0]\nrow += 1\nx = x + row")),
    ("element-rebound-then-written", None, "same", "[x23(), x23()]",
     net("first = x[0]\nfirst = first * 1\nfirst[0] = 5.0\nx = first")),
    ("list-slice-written", None, "same", "[x23(), x23(), x23()]",
     net("rest = x[1:]\nrest[0] = rest[1] * 2\nx = rest[0]")),
    ("int-argument-augmented", None, "same", "x23(), 2", net("step += 1\nx = x * step", "x, step: int")),
    ("int-default-augmented", None, "same", X, net("step += 1\nx = x * step", "x, step=1")),
    ("plain-add", None, "same", X, net("x = x + 1")),
    ("list-copied-then-written", None, "same", "[x23(), x23()]",
     net("x = list(x)\nx[0] = x[0] * 2\nx = x[0] + x[1]")),
    ("local-list-written", None, "same", X, net("outs = [x, x]\nouts[0] = x * 2\nx = outs[0] + outs[1]")),
    ("numpy-on-shapes", None, "same", X, net("x = x + Tensor(np.arange(x.shape[1]).astype(np.float32))")),
    ("numpy-zeros-of-shape", None, "same", X, net("b, c = x.shape\nx = x + Tensor(np.zeros((b, c), np.float32))")),
    ("numpy-sqrt-of-a-dimension", None, "same", X, net("x = x * np.sqrt(x.shape[0])")),
    ("softmax-built-in-construct", None, "same", X, net("x = nn.Softmax()(x)")),
    ("max-named-axis", None, "same", X, net("x = x.max(axis=1)")),
    ("max-no-axis", None, "same", X, net("x = x + x.max()")),
    ("ops-max", None, "same", X, net("x = ops.max(x, 1)[0]")),
    ("broadcast-to", None, "same", "ones13()", net("x = x.broadcast_to((2, 3))")),
    ("standard-exception", None, "same", X, net("if x.shape[0] > 5:\n    raise ValueError('too big')")),
    ("helper-without-try", None, "same", X,
     net("x = double(x)", before="def double(x):\n    return x * 2\n\n\n")),
    ("constexpr-helper-with-try", None, "same", X,
     net("x = x * width(x.shape[1])",
         before="@constexpr\ndef width(n):\n    try:\n        return n * 2\n    except ValueError:\n"
                "        return n\n\n\n")),
    ("python-random-in-init", None, "same", X,
     "class Net(nn.Cell):\n    def __init__(self):\n        super().__init__()\n        self.p = random.random()\n"
     "\n    def construct(self, x):\n        return x * self.p\n"),
    ("numpy-random-in-init", None, "same", X,
     "class Net(nn.Cell):\n    def __init__(self):\n        super().__init__()\n"
     "        self.w = ms.Parameter(Tensor(np.random.rand(3).astype(np.float32)))\n"
     "\n    def construct(self, x):\n        return x * self.w\n"),
    ("removed-class-under-a-version-test", None, "same", X,
     "class Net(nn.Cell):\n    def __init__(self):\n        super().__init__()\n"
     "        self.up = ops.ResizeBilinearV2() if hasattr(ops, 'ResizeBilinearV2') else nn.ResizeBilinear()\n"
     "\n    def construct(self, x):\n        return x * 2\n"),
    ("for-target-rebinds", None, "same", X, net("for x in (x * 1, x * 2):\n    pass\nx[0] = 5.0")),
    ("return-before-the-write", None, "same", X,
     net("if x.shape[0] > 5:\n    return x * 3\nelse:\n    x = x * 1\nx[0] = 5.0")),
    ("walrus-in-init", None, "same", X,
     "class Net(nn.Cell):\n    def __init__(self, sizes=(3, 3)):\n        super().__init__()\n"
     "        if (n := len(sizes)) > 1:\n            self.n = n\n"
     "\n    def construct(self, x):\n        return x * self.n\n"),
    ("walrus-in-a-plain-function", None, "same", X,
     net("x = x * 2", before="def first_big(values):\n    return [v for v in values if (w := v * 2) > 3]\n\n\n")),
    ("helper-method-of-the-class", None, "same", X,
     "class Net(nn.Cell):\n    def construct(self, x):\n        return self.double(x)\n\n"
     "    def double(self, x):\n        return x * 2\n"),
]
CASES = WRONG + CORRECT


@pytest.mark.parametrize("case_id, rule, kind, args, source", CASES, ids=[c[0] for c in CASES])
def test_each_construct_gives_its_finding_or_none(case_id, rule, kind, args, source):
    found = [f.rule for f in lint_source(HEADER + source, f"case_{case_id}.py")]
    assert found == ([rule] if rule else []), found


def test_the_corpus_is_large_enough():
    assert len(WRONG) >= 30 and len(CORRECT) >= 30
    assert len({c[0] for c in CASES}) == len(CASES)


# What each failing case raises, (GRAPH_MODE, PYNATIVE_MODE), as the start of "Type: message"; None: it runs.
# Measured on MindSpore 2.7.2 and 2.10.0 (the same text on both). Anything else raised fails the case.
_TRY = ("RuntimeError: Unsupported statement 'Try'", None)
_WALRUS = ("RuntimeError: Unsupported expression 'NamedExpr'", None)
RAISES = {
    "try-in-construct": _TRY, "try-in-a-helper": _TRY, "try-two-calls-deep": _TRY, "try-in-a-base-class-method": _TRY,
    "user-exception": ("RuntimeError: Unsupported exception type: Mine", "Mine: too big"),
    "expand-tuple": ("RuntimeError: The method 'GetShapeVector()' doesn't implement", None),
    "expand-sizes": ("TypeError: The parameters number of the function is 2, but the number of provided arguments "
                     "is 3", None),
    "walrus-in-condition": _WALRUS, "walrus-in-list": _WALRUS,
    "construct-first-param-not-self": ("TypeError: The parameters number of the function is 2, but the number of "
                                       "provided arguments is 1", None),
    "asnumpy": ("AttributeError: In JIT strict mode, cannot get attributes asnumpy", None),
    "removed-class-in-init": ("AttributeError: module 'mindspore.nn' has no attribute 'ResizeBilinear'",) * 2,
}


def test_every_failing_case_says_what_mindspore_raises():
    failing = {case_id for case_id, _, kind, _, _ in CASES
               if kind in ("graph_fails", "strict_fails", "errors_differ", "both_fail")}
    assert failing == set(RAISES)


RUNTIME = '''
import importlib
import json
import random

import numpy as np
import pytest
import mindspore as ms
from mindspore import Tensor

SPEC = json.loads(open("corpus.json").read())
RAISES = json.loads(open("raises.json").read())
GRAPH, PYNATIVE = ms.GRAPH_MODE, ms.PYNATIVE_MODE


def x23():
    return Tensor(np.arange(6, dtype=np.float32).reshape(2, 3))


def ones13():
    return Tensor(np.ones((1, 3), np.float32))


def values(data):
    if isinstance(data, (list, tuple)):
        return [values(d) for d in data]
    return data.asnumpy().copy() if hasattr(data, "asnumpy") else data


def same(a, b):
    a, b = values(a), values(b)
    if isinstance(a, list) or isinstance(b, list):
        return isinstance(a, list) and isinstance(b, list) and len(a) == len(b) and all(map(same, a, b))
    return np.array_equal(np.asarray(a), np.asarray(b))


def run(case, mode, times=1):
    ms.set_context(mode=mode)
    module = importlib.import_module(f"case_{case}")
    args = eval(f"[{SPEC[case]['args']}]")  # the positional arguments
    kept = values(args)
    random.seed(0)
    np.random.seed(0)  # a cell that draws in __init__ draws alike in both modes
    network = module.Net()
    outs = [network(*args) for _ in range(times)]
    return kept, args, outs


def caller_changes(case, mode):
    """(the arguments' values changed, a tensor the caller passed changed in place): a list's slot may be
    rebound while the tensor it held stays, or the tensor be written while the list shows it."""
    ms.set_context(mode=mode)
    args = eval(f"[{SPEC[case]['args']}]")
    held = [a for arg in args for a in (arg if isinstance(arg, list) else [arg])]
    kept, kept_held = values(args), values(held)
    importlib.import_module(f"case_{case}").Net()(*args)
    return not same(kept, args), not same(kept_held, held)


def error(case, mode):
    """What running the case raised, as "Type: first line", or None: compared with what MindSpore is known to raise."""
    try:
        run(case, mode)
    except Exception as exc:
        return f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"
    return None


def raises_as_measured(case):
    """Each mode raises what MindSpore raises for the case (RAISES), or nothing where nothing is expected:
    a typo in the case or the harness raises something else, and fails it."""
    for mode, expected in zip((GRAPH, PYNATIVE), RAISES[case]):
        got = error(case, mode)
        assert (got is None) if expected is None else (got is not None and got.startswith(expected)), \
            (case, mode, expected, got)
    return True


@pytest.mark.parametrize("case", sorted(SPEC))
def test_case(case):
    kind = SPEC[case]["kind"]
    if kind == "caller_since_2_8":
        # x += 1 on an input reaches the caller in GRAPH_MODE from MindSpore 2.8 on (the message says so);
        # 2.7.2 works on a copy in both modes.
        kind = "caller" if tuple(int(p) for p in ms.__version__.split(".")[:2]) >= (2, 8) else "same"
    if kind == "caller":
        changed = {mode: caller_changes(case, mode) for mode in (GRAPH, PYNATIVE)}
        assert changed[GRAPH] != changed[PYNATIVE], changed
    elif kind in ("errors_differ", "graph_fails", "both_fail"):
        assert raises_as_measured(case)
    elif kind == "draws":
        graph, eager = run(case, GRAPH, 4)[2], run(case, PYNATIVE, 4)[2]  # seeded: the draws are known
        assert all(same(graph[0], g) for g in graph) and not all(same(eager[0], e) for e in eager)
    elif kind == "strict_fails":
        ms.set_context(jit_syntax_level=ms.STRICT)
        try:
            assert raises_as_measured(case)
        finally:
            ms.set_context(jit_syntax_level=ms.LAX)
    elif kind == "output_type":
        graph, eager = run(case, GRAPH)[2][0], run(case, PYNATIVE)[2][0]
        assert type(graph) is not type(eager), (type(graph), type(eager))
    else:  # same: equal outputs, the caller's data untouched, in both modes
        (kept_g, args_g, graph), (kept_e, args_e, eager) = run(case, GRAPH), run(case, PYNATIVE)
        assert same(graph, eager) and same(kept_g, args_g) and same(kept_e, args_e)
'''


def test_each_wrong_construct_is_wrong_on_mindspore_and_each_correct_one_is_not(pytester):
    spec = {case_id: {"kind": kind, "args": args} for case_id, _, kind, args, _ in CASES}
    pytester.makefile(".json", corpus=json.dumps(spec), raises=json.dumps(RAISES))
    pytester.makepyfile(**{f"case_{case_id}": HEADER + source for case_id, _, _, _, source in CASES})
    pytester.makepyfile(test_runtime=RUNTIME)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-p", "no:randomly", "-p", "no:msgraph",
                                           "test_runtime.py", "-q")
    result.assert_outcomes(passed=len(CASES))
