"""Findings on a real model zoo installed as a dependency (issue 39): mindyolo 0.5.0 in site-packages, outside the
project's rootdir. Its YOLOv3 loss compares `ops.maximum(r, 1 / r).max(2)` with a float: the positional axis gives a
(values, indices) tuple in PYNATIVE_MODE, which cannot be compared, and the values in GRAPH_MODE. The verdict names
the line inside mindyolo (the innermost frame outside MindSpore, pytest and the plugin, wherever it lives), not the
test's call. The look-alike: mindyolo's CIoU (`bbox_iou`) from a test, the same in both modes, is no finding.
Truth by a plain script per mode."""
import json
import subprocess
import sys

from conftest import skip_without

CASES = '''
import numpy as np
import mindspore as ms
from mindspore import nn
from mindyolo.models.losses.iou_loss import bbox_iou
from mindyolo.models.losses.yolov3_loss import YOLOv3Loss

HYP = dict(box=0.05, obj=1.0, cls=0.5, anchor_t=4.0, label_smoothing=0.0, fl_gamma=0.0, cls_pw=1.0, obj_pw=1.0,
           anchors=[[10, 13, 16, 30, 33, 23], [30, 61, 62, 45, 59, 119], [116, 90, 156, 198, 373, 326]],
           stride=[8, 16, 32], nc=4)


def yolo_loss():
    rng = np.random.default_rng(0)
    preds = tuple(ms.Tensor(rng.standard_normal((2, 3, 64 // s, 64 // s, 9)).astype(np.float32))
                  for s in HYP["stride"])
    targets = np.zeros((2, 3, 6), np.float32)
    for b in range(2):
        for k in range(3):
            targets[b, k] = [b, k, 0.5, 0.5, 0.2, 0.3]
    images = ms.Tensor(rng.standard_normal((2, 3, 64, 64)).astype(np.float32))
    loss, items = YOLOv3Loss(**HYP)(preds, ms.Tensor(targets), images)
    return float(loss.asnumpy())


class CIoU(nn.Cell):
    def construct(self, a, b):
        return bbox_iou(a, b, CIoU=True)


def ciou():
    boxes = np.array([[0.5, 0.5, 0.2, 0.3], [0.4, 0.6, 0.3, 0.2]], np.float32)
    return CIoU()(ms.Tensor(boxes), ms.Tensor(boxes[::-1].copy())).asnumpy().round(5).tolist()
'''

TRUTH = CASES + '''
import json, sys, traceback
ms.set_context(mode=getattr(ms, sys.argv[1]))
said = {}
for case in (yolo_loss, ciou):
    try:
        said[case.__name__] = {"value": case()}
    except Exception as error:
        frame = [f for f in traceback.extract_tb(error.__traceback__) if "mindyolo" in f.filename][-1]
        said[case.__name__] = {"error": type(error).__name__, "at": [frame.filename, frame.lineno]}
print(json.dumps(said))
'''

SUITE = CASES + '''
import pytest


@pytest.mark.both_modes
def test_yolov3_loss():
    yolo_loss()


@pytest.mark.both_modes
def test_ciou_lookalike():
    ciou()
'''


def _truth(tmp_path, mode):
    script = tmp_path / "truth.py"
    script.write_text(TRUTH)
    done = subprocess.run([sys.executable, str(script), mode], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_a_positional_axis_inside_an_installed_model_zoo_is_placed_at_its_line(pytester, run_pytest, tmp_path):
    skip_without("mindyolo", "mindyolo is a test dependency: pip install -e '.[test]'")
    graph, eager = _truth(tmp_path, "GRAPH_MODE"), _truth(tmp_path, "PYNATIVE_MODE")
    assert "value" in graph["yolo_loss"] and eager["yolo_loss"]["error"] == "TypeError", (graph, eager)
    assert graph["ciou"] == eager["ciou"], (graph, eager)
    path, line = eager["yolo_loss"]["at"]
    assert path.endswith("mindyolo/models/losses/yolov3_loss.py"), path
    pytester.makepyfile(test_zoo=SUITE)
    run = run_pytest()
    outcomes = {nodeid.split("::")[1]: outcome for nodeid, outcome in run.outcomes().items()}
    assert outcomes == {"test_yolov3_loss[PYNATIVE_MODE]": "failed", "test_yolov3_loss[GRAPH_MODE]": "passed",
                        "test_ciou_lookalike[PYNATIVE_MODE]": "passed", "test_ciou_lookalike[GRAPH_MODE]": "passed"}
    [verdict] = run.findings("mode_parity")
    assert verdict["nodeid"].endswith("test_yolov3_loss[PYNATIVE_MODE]"), verdict["message"]
    assert (verdict["path"], verdict["line"]) == (path, line), verdict
    assert verdict["rule"] == "MSG009" and "x.max(axis=k) for x.max(k)" in verdict["fix"], verdict
    assert f"yolov3_loss.py:{line} (`j = ops.maximum(r, 1 / r).max(2) < self.hyp_anchor_t" in verdict["message"]
