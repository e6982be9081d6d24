"""Where non-finite values start (issue 39) keeps, for a repro, the inputs and weights of the candidate places only:
a place is found when a replay shows one an earlier replay showed, so the first replay keeps nothing and a later one
keeps the places seen before, never every sub-cell of the network (review of issue 41: memory)."""
import json
import subprocess
import sys

LOCATE = '''
import contextlib, json, types
import numpy as np
import mindspore as ms
from mindspore import nn, ops
from pytest_msgraph.checks.builtin.parity import nonfinite

ms.set_context(mode=ms.PYNATIVE_MODE)


class Root(nn.Cell):
    """sqrt at 0: a finite forward, and a NaN input gradient made in this cell's backward."""
    def construct(self, y):
        return ops.sqrt(ops.square(y) * 0.0).sum()


class Net(nn.Cell):
    def __init__(self):
        super().__init__()
        self.a, self.b, self.c, self.root = nn.Dense(4, 4), nn.Dense(4, 4), nn.Dense(4, 4), Root()

    def construct(self, x):
        return self.root(self.c(self.b(self.a(x))))


net = Net()
trained = list(net.trainable_params())
before = [p.asnumpy().copy() for p in trained]
copies = []
real = nonfinite._copied
nonfinite._copied = lambda value: copies.append(1) or real(value)
grad = ms.grad(net, grad_position=None, weights=trained)
x = ms.Tensor(np.ones((2, 4), np.float32))
subject = []
probes = types.SimpleNamespace(paused=contextlib.nullcontext)
found = nonfinite.locate(ms, probes, [net], lambda: grad(x), trained, before, trained, subject)
print(json.dumps({"phase": found["phase"], "path": found["path"], "runs": found["runs"], "copies": len(copies),
                  "subject": type(subject[0]).__name__ if subject else None,
                  "weights": sorted(subject[3]) if subject else None}))
'''


def test_a_replay_keeps_the_candidate_places_values_only(tmp_path):
    script = tmp_path / "locate.py"  # a file: the place is worded with its cell's source line
    script.write_text(LOCATE)
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    found = json.loads(done.stdout.strip().splitlines()[-1])
    assert (found["phase"], found["path"], found["runs"]) == ("backward", "root", 2), found
    assert found["subject"] == "Root" and found["weights"] == [], found  # the repro's subject is still whole
    # Root's input, output and output gradient in the second replay: a handful of copies. Keeping every sub-cell's
    # values in every replay (5 cells x 2 replays) made about fifty.
    assert found["copies"] <= 8, found
