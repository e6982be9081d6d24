"""Issue 41, building a sub-cell alone: how each Cell was constructed is recorded as it is made (only when asked),
and written back as Python that builds the same cell again, in a fresh process, with what it could not write named.
"""
import json
import subprocess
import sys

MODELS = '''
import mindspore as ms
from mindspore import nn


class Block(nn.Cell):
    def __init__(self, width, act=None, dims=(2, 3), cfg=None, dtype=ms.float32, scale=None):
        super().__init__()
        self.dense = nn.Dense(width, width * dims[0])
        self.act = act if act is not None else nn.Identity()

    def construct(self, x):
        return self.act(self.dense(x))


class Stack(nn.Cell):
    def __init__(self, blocks):
        super().__init__()
        self.blocks = nn.CellList(blocks)

    def construct(self, x):
        for block in self.blocks:
            x = block(x)
        return x
'''

RECORD = '''
import json, sys
import numpy as np
import mindspore as ms
from mindspore import nn
from pytest_msgraph.mindspore_side.constructions import Constructions, source

untouched = nn.Cell.__dict__["__new__"]
constructions = Constructions(nn.Cell)
constructions.record()
import models

cells = {
    "user": models.Block(4, act=nn.ReLU(), dims=(2,), cfg={"a": 1, "b": [0.5, float("inf")]}, dtype=ms.float16),
    "nested": models.Stack([models.Block(4), models.Block(8, dims=[1, 1])]),
    "lstm": nn.LSTM(512, 32, num_layers=2, bidirectional=True),
    "unwritable": models.Block(4, scale=ms.Tensor(np.ones(2, np.float32)), act=lambda x: x),
}
out = {name: {**vars(source(ms, constructions, cell)),
              "params": [[p.name, list(p.shape)] for p in cell.get_parameters()]} for name, cell in cells.items()}
constructions.stop()
out["restored"] = nn.Cell.__dict__["__new__"] is untouched
out["after_stop"] = constructions.of(nn.Dense(2, 2)) is None
print(json.dumps(out))
'''

REBUILD = '''
import json, sys
{imports}
cell = {expression}
print(json.dumps([[p.name, list(p.shape)] for p in cell.get_parameters()]))
'''


def _run(script, where):
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=where,
                          env={"PYTHONPATH": str(where), "PATH": ""}, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_a_recorded_construction_builds_the_same_cell_in_a_fresh_process(tmp_path):
    (tmp_path / "models.py").write_text(MODELS)
    recorded = _run(RECORD, tmp_path)
    assert recorded["restored"] and recorded["after_stop"]  # stop() puts MindSpore's own __new__ back
    assert recorded["lstm"]["expression"] == "nn.LSTM(512, 32, num_layers=2, bidirectional=True)"
    assert recorded["user"]["expression"] == ("models.Block(4, act=nn.ReLU(), dims=(2,), cfg={'a': 1, 'b': "
                                              "[0.5, float('inf')]}, dtype=ms.float16)")
    assert recorded["nested"]["expression"] == "models.Stack([models.Block(4), models.Block(8, dims=[1, 1])])"
    for name in ("user", "nested", "lstm"):
        assert recorded[name]["unwritten"] == [], recorded[name]
        rebuilt = _run(REBUILD.format(imports="\n".join(recorded[name]["imports"]),
                                      expression=recorded[name]["expression"]), tmp_path)
        assert rebuilt == recorded[name]["params"], name
    # What cannot be written is named, with its type, and written as None: the rest is still written.
    unwritable = recorded["unwritable"]
    assert unwritable["expression"] == "models.Block(4, scale=None, act=None)"
    assert unwritable["unwritten"] == ["models.Block argument 'scale': a Tensor",
                                       "models.Block argument 'act': a function"]
