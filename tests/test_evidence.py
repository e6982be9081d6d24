"""Issue 39: each "which side", "where" and "why" of a mode difference rests on an experiment the plugin ran, and
the finding says which. The cases are in tests/data/evidence_suite.py, each beside a look-alike that must give no
finding; the truth of the two training cases is measured by that file run as a plain script in each mode."""
import json
import subprocess
import sys
from pathlib import Path
from typing import Optional

import pytest
from conftest import skip_without

SUITE = Path(__file__).parent / "data" / "evidence_suite.py"


def _truth(mode, case):
    done = subprocess.run([sys.executable, str(SUITE), mode, case], capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1].replace("'", '"'))


def test_the_truth_without_the_plugin():
    # The switch: only the eager side obeys it and goes NaN, in mid and what lies before it; the head stays finite.
    assert set(_truth("GRAPH_MODE", "switch").values()) == {0}
    eager = _truth("PYNATIVE_MODE", "switch")
    assert eager["head.weight"] == 0 and eager["mid.dense.weight"] > 0 and eager["stem.weight"] > 0
    # The loss: the write made on a copy changes nothing (still parts); without the noise the modes agree.
    graph, pynative = _truth("GRAPH_MODE", "loss"), _truth("PYNATIVE_MODE", "loss")
    assert graph[0] != pynative[0] and graph[1] == graph[0] and pynative[1] == pynative[0]
    assert graph[2] == pynative[2]
    # The numpy draw in the dropout case, without the Dropout: frozen in GRAPH_MODE (the second grad call repeats
    # the first), drawn anew eagerly.
    assert _truth("GRAPH_MODE", "dropout") == [1] and _truth("PYNATIVE_MODE", "dropout") == [0]
    # The Dropout beside a Python fallback: with the numpy draw the modes' second grads part; without it, they agree
    # (each mode's Dropout draws the same masks from one seed here).
    graph, pynative = _truth("GRAPH_MODE", "unread"), _truth("PYNATIVE_MODE", "unread")
    assert graph[0][1] != pynative[0][1] and graph[1] == pynative[1]


@pytest.fixture(scope="module")
def evidence(tmp_path_factory):
    """One run of the suite with the plugin, as a user runs it (a fresh interpreter)."""
    where = tmp_path_factory.mktemp("evidence")
    (where / "test_evidence_suite.py").write_text(SUITE.read_text())
    report = where / "r.json"
    result = subprocess.run([sys.executable, "-m", "pytest", "-p", "no:randomly", "-p", "no:cacheprovider",
                             "-p", "no:xdist", f"--ms-report={report}", "test_evidence_suite.py"], cwd=where,
                            capture_output=True, text=True)
    data = json.loads(report.read_text())
    found: dict = {}
    for finding in data["findings"]:
        found.setdefault(finding["nodeid"].split("::")[1], []).append(finding)
    return result, data, found


def _parity(found, name):
    return [f for f in found.get(name, []) if f["check"] == "mode_parity"]


def test_a_frozen_switch_convicts_graph_mode_even_where_the_eager_side_goes_non_finite(evidence):
    _, data, found = evidence
    findings = _parity(found, "test_switch[GRAPH_MODE-switched]")
    assert findings and not _parity(found, "test_switch[PYNATIVE_MODE-switched]")
    step = next(f for f in findings if f.get("step"))
    assert "The GRAPH_MODE side is the wrong one: stale_attribute saw `Mid.on`" in step["message"]
    # Where the eager NaN starts: found by replaying the step with every sub-cell's gradients recorded.
    assert step["nonfinite_from"] == "mid" and step["nonfinite_start"]["phase"] == "backward", step["message"]
    call = next(f for f in findings if f.get("call"))
    assert "The modes part at 'network._backbone.mid' (Mid, construct at" in call["message"]
    assert "cell_wrapper.py" not in call["message"] and "No sub-cell" not in call["message"]


def test_a_numpy_draw_not_an_eager_write_is_the_cause(evidence):
    _, _, found = evidence
    [finding] = _parity(found, "test_write_and_noise[GRAPH_MODE-noise]")
    assert "The GRAPH_MODE side is the wrong one: re-run eagerly from another numpy and Python random state" \
        in finding["message"]
    assert finding["evidence"] == "host_random", finding["message"]
    assert not _parity(found, "test_write_and_noise[PYNATIVE_MODE-noise]")


@pytest.mark.parametrize("test, place", [
    ("test_cell_list[GRAPH_MODE-noise]", "'body.0.blocks.1.jitter' (Jitter"),
    ("test_keyword[GRAPH_MODE-noise]", "'jitter' (Jitter"),
    ("test_deep_flag[GRAPH_MODE]", "The modes part at 'body.1.gate' (Gate"),
])
def test_the_place_is_where_the_calls_really_part(evidence, test, place):
    _, _, found = evidence
    [finding] = _parity(found, test)
    assert place in finding["message"], finding["message"]
    assert finding["message"].count("The modes part") == 1 and "No sub-cell" not in finding["message"]


def test_branches_of_two_dtypes_are_named_with_the_fix(evidence):
    _, _, found = evidence
    [finding] = _parity(found, "test_branches[GRAPH_MODE-join]")
    lines = SUITE.read_text().splitlines()
    first = lines.index("            y = x.astype(ms.int32)") + 1
    assert finding["line"] == first and finding["rule"] == "type-join"
    assert "the two branches of an if give different dtypes (Int32 and Float32" in finding["message"]
    assert "Return one dtype from both branches" in finding["fix"]


def test_mindspores_random_ops_in_a_grad_make_no_verdict_of_unrepeatable_eager_runs(evidence):
    """A Dropout in a grad redraws at every eager re-run: the re-runs cannot blame PYNATIVE_MODE (the numpy draw
    frozen into GRAPH_MODE is the truth), nor convict GRAPH_MODE. The grad's compiled graph says it holds Dropout:
    nothing decides, GRAPH_MODE is failed, and the finding says why."""
    _, data, found = evidence
    [finding] = _parity(found, "test_dropout_grad[GRAPH_MODE-noise]")
    assert not _parity(found, "test_dropout_grad[PYNATIVE_MODE-noise]")
    assert "the call's graph holds MindSpore random ops (Dropout" in finding["message"], finding["message"]
    assert "not deterministic" not in finding["message"] and not finding.get("evidence"), finding


def test_unrepeatable_eager_runs_convict_nothing_where_the_graph_could_not_be_read(evidence):
    """Fail closed: a Python fallback keeps MindIR from exporting the grad's graph, so whether it holds random ops is
    unknown. Its Dropout makes the eager re-runs differ, which once blamed PYNATIVE_MODE ("not deterministic"), while
    the truth is GRAPH_MODE's frozen numpy draw. Nothing decides: GRAPH_MODE is failed, and the finding says why."""
    _, _, found = evidence
    [finding] = _parity(found, "test_unread_dropout_grad[GRAPH_MODE-noise]")
    assert not _parity(found, "test_unread_dropout_grad[PYNATIVE_MODE-noise]")
    assert "its GRAPH_MODE graph could not be read" in finding["message"], finding["message"]
    assert "not deterministic here" not in finding["message"] and not finding.get("evidence"), finding
    assert "take the Python fallback out of construct" in finding["fix"], finding


def test_look_alikes_give_nothing(evidence):
    result, data, found = evidence
    assert not [name for name in found if "lookalike" in name], found.keys()
    outcomes = {t["nodeid"].split("::")[1]: t["outcome"] for t in data["tests"]}
    assert all(outcome == "passed" for name, outcome in outcomes.items() if "lookalike" in name), outcomes


def test_the_order_of_evidence():
    from pytest_msgraph.checks.builtin.parity.evidence import judged

    finite = {"kind": "values"}
    eager_nan = {"kind": "values", "nonfinite": {"side": "PYNATIVE_MODE", "graph": 0, "pynative": 3}}
    stale = {"stale": ["`Mid.on` changed False → True"]}
    written = {"written": ["Loss wrote into its argument 1 ('label')"]}
    assert judged(eager_nan, {}, stale)[:2] == ("GRAPH_MODE", "frozen_attribute")  # outranks the NaN side
    assert judged(eager_nan, {}, {})[:2] == ("PYNATIVE_MODE", "nonfinite")
    assert judged(finite, {"eager_repeatable": False}, stale)[:2] == ("PYNATIVE_MODE", "unrepeatable")
    # Unrepeatable proves nothing where the graph could not be read (random ops may be in it): it falls through.
    unread = {"eager_repeatable": False, "graph_unread": True}
    assert judged(finite, unread, {}) == ("GRAPH_MODE", "", "")
    assert judged(finite, unread, stale)[:2] == ("GRAPH_MODE", "frozen_attribute")
    assert judged(eager_nan, unread, {})[:2] == ("PYNATIVE_MODE", "nonfinite")
    assert judged(finite, {"host_random": True}, written)[:2] == ("GRAPH_MODE", "host_random")
    # A write is a cause only when an experiment shows it: without one, nothing decides.
    assert judged(finite, {}, written) == ("GRAPH_MODE", "", "")
    assert judged(finite, {"eager_on_graph_inputs": False}, written) == ("GRAPH_MODE", "", "")
    assert judged(finite, {"eager_on_graph_inputs": True}, written)[:2] == ("PYNATIVE_MODE", "eager_write")
    assert judged(finite, {"graph_on_eager_writes": True}, written)[:2] == ("PYNATIVE_MODE", "eager_write")
    # The float32 reference decides only by a clear margin.
    far = {"float32_reference": {"GRAPH_MODE": 0.004, "PYNATIVE_MODE": 11.5}}
    close = {"float32_reference": {"GRAPH_MODE": 0.004, "PYNATIVE_MODE": 0.006}}
    assert judged(finite, far, {})[:2] == ("PYNATIVE_MODE", "float32_reference")
    assert judged(finite, close, {}) == ("GRAPH_MODE", "", "")


AGREEING = '''
import numpy as np
import pytest
import mindspore as ms
from mindspore import nn, ops, Tensor

import mindcv


@pytest.mark.both_modes
@pytest.mark.parametrize("name", ["resnet18", "mobilenet_v3_small_100"])
def test_zoo_in_eval(name):
    net = mindcv.create_model(name, num_classes=10)
    net.set_train(False)
    x = Tensor(np.random.RandomState(0).randn(2, 3, 64, 64).astype(np.float32))
    net(x)
    net(x)


@pytest.mark.both_modes
def test_bn_and_dropout_in_eval():
    net = nn.SequentialCell([nn.Dense(4, 4), nn.BatchNorm1d(4), nn.Dropout(p=0.5)])
    net.set_train(False)
    x = Tensor(np.ones((3, 4), np.float32))
    net(x)
    net(x)


class Draws(nn.Cell):
    def construct(self, x):
        return x + ops.standard_normal(x.shape)


@pytest.mark.both_modes
def test_ops_random_draws_after_the_same_seed():
    net = Draws()
    net(Tensor(np.ones((3, 4), np.float32)))
    net(Tensor(np.ones((3, 4), np.float32)))
'''


def test_where_the_modes_agree_there_is_no_finding(pytester, run_pytest):
    skip_without("mindcv", "mindcv is a test dependency: pip install -e '.[test]'")
    pytester.makepyfile(test_agreeing=AGREEING)
    run = run_pytest()
    assert run.findings() == [], [f["message"] for f in run.findings()]
    assert set(run.outcomes().values()) == {"passed"} and len(run.outcomes()) == 8


CRNN = '''
import numpy as np
import pytest
import mindspore as ms
from mindspore import nn


''' + (Path(__file__).parent / "data" / "crnn.py").read_text() + '''

@pytest.mark.both_modes
@pytest.mark.parametrize("attempt", range(10))
def test_crnn_float16_step(attempt):
    net = ms.amp.auto_mixed_precision(Crnn(), "O2")
    step = nn.TrainOneStepCell(nn.WithLossCell(net, nn.MSELoss()), nn.SGD(net.trainable_params(), 0.01))
    x = ms.Tensor(np.random.RandomState(0).randn(4, 1, 8, 32).astype(np.float32))
    step(x, ms.Tensor(np.zeros((4, 32, 11), np.float32)))
'''


def _place(step: dict) -> Optional[str]:
    """The one place a step finding names: where non-finite values start, else where the backward parts."""
    start = step.get("nonfinite_start") or {}
    return start["path"] if start.get("phase") else (step.get("diverges_at") or {}).get("path")


def test_a_float16_step_that_parts_is_placed_at_its_lstm_ten_times_in_a_row(pytester, run_pytest):
    """MindSpore 2.10's CPU float16 LSTM is not deterministic eagerly: from one run to the next its backward is
    finite but wrong (3.3e-5 from float32 against GRAPH_MODE's 3.6e-7), non-finite, or right. Ten pairs of the same
    step: each fails its eager variant, and names the LSTM ('neck'), found by two eager replays of the step that part
    there (its output gradients agree, its input gradients do not) or by where non-finite values start. When no
    replay reproduces the twin's fault (the eager LSTM right four times in a row: about 1 in 30 measured), the
    finding says no place was found: never another place."""
    pytester.makepyfile(test_crnn=CRNN)
    run = run_pytest()  # --ms-repro's scripts for this network: test_repro_script.py
    steps = [f for f in run.findings("mode_parity") if f.get("step")]
    assert sorted(f["nodeid"] for f in steps) == [f"test_crnn.py::test_crnn_float16_step[PYNATIVE_MODE-{i}]"
                                                  for i in range(10)], [f["message"] for f in steps]
    # A GRAPH_MODE variant fails only where nothing decides (the step's loss, the eager LSTM forward's garbage in the
    # twin, is not reproduced by any replay: about 1 pair in 40 measured), and the finding says so.
    graph_failed = {nodeid for nodeid, outcome in run.outcomes().items()
                    if "GRAPH_MODE" in nodeid and outcome != "passed"}
    assert all("Nothing the plugin saw or ran decides" in f["message"] for f in run.findings("mode_parity")
               if f["nodeid"] in graph_failed) and len(graph_failed) <= 2, [f["message"] for f in run.findings()]
    places = [_place(step) for step in steps]
    assert set(places) <= {"neck", None} and places.count("neck") >= 8, [f["message"] for f in steps]
    for step in steps:
        assert step["evidence"] in ("unrepeatable", "float32_reference", "nonfinite"), step["message"]
        if _place(step) is None:
            assert "no sub-cell" in step["message"].lower() or "not found" in step["message"], step["message"]
        elif not (step.get("nonfinite_start") or {}).get("phase"):
            assert "The eager backward of 'neck' (LSTM, construct at MindSpore's mindspore.nn.layer.rnns.LSTM) is " \
                   "not deterministic" in step["message"], step["message"]


def test_a_backward_start_that_needs_the_networks_state_does_not_reproduce_alone_and_says_so(tmp_path):
    """--ms-repro on the switch: the eager NaN starts in mid's backward (sqrt at 0, turned on by a switch flipped
    after the cell was built). Built alone from its construction the switch is off again: the backward script is
    written and run, finds both modes finite, and the finding says it does not reproduce, and why."""
    (tmp_path / "test_evidence_suite.py").write_text(SUITE.read_text())
    report = tmp_path / "r.json"
    done = subprocess.run([sys.executable, "-m", "pytest", "-p", "no:randomly", "-p", "no:cacheprovider", "-p",
                           "no:xdist", f"--ms-report={report}", "--ms-repro=repros", "-k", "test_switch and switched",
                           "test_evidence_suite.py"], cwd=tmp_path, capture_output=True, text=True)
    findings = json.loads(report.read_text())["findings"]
    [step] = [f for f in findings if f["check"] == "mode_parity" and f.get("step")]
    assert step["nonfinite_from"] == "mid", step["message"]
    repro = step["repro"]
    assert repro["reproduced"] is False and repro["status"] == 0, repro
    assert "its backward is not non-finite in one mode only (GRAPH_MODE: non-finite gradients in 0 of 10 runs" \
        in step["message"], step["message"]
    script = Path(repro["path"])
    assert "cell = test_evidence_suite.Mid()" in script.read_text() and "sens" in script.read_text()
    assert f"    repro (does not reproduce alone): {script}" in done.stdout.splitlines(), done.stdout


def test_replays_that_all_stay_finite_are_said_as_such_not_as_a_moving_place():
    from pytest_msgraph.checks.builtin.parity.pairs import _started

    said = _started({"phase": None, "runs": 3, "seen": [None, None, None]}, "PYNATIVE_MODE")
    assert "stayed finite each time" in said and "moves from run to run" not in said
    moving = _started({"phase": None, "runs": 3, "seen": [None, {"phase": "backward", "path": "neck", "cell": "LSTM"},
                                                         {"phase": "backward", "path": "head", "cell": "Dense"}]},
                      "PYNATIVE_MODE")
    assert "moves from run to run" in moving and "backward of 'neck' (LSTM)" in moving


def test_replays_that_went_non_finite_in_no_sub_cell_say_so_not_that_they_stayed_finite():
    from pytest_msgraph.checks.builtin.parity.pairs import _started

    said = _started({"phase": None, "runs": 3, "seen": [{"unplaced": True}, None, {"unplaced": True}]},
                    "PYNATIVE_MODE")
    assert "went non-finite in 2, but in no sub-cell call's" in said and "stayed finite" not in said, said
    moving = _started({"phase": None, "runs": 2, "seen": [{"unplaced": True}, {"phase": "backward", "path": "",
                                                                                "cell": "Loss"}]}, "PYNATIVE_MODE")
    assert "no sub-cell call (non-finite); backward of Loss's own code (Loss)" in moving, moving


def test_a_host_draw_needs_two_agreeing_runs_from_the_other_random_state():
    # rerun's verdicts on the eager re-runs, with values standing for their outputs (equal means alike).
    from pytest_msgraph.checks.builtin.parity.rerun import fourth_decides, verdicts
    same = lambda a, b: a == b  # noqa: E731
    drawn = {"eager_repeatable": True, "host_random": True}
    assert verdicts([1, 1, 2, 2], same) == drawn  # repeats, and the other state gives other values twice
    # Agree, agree, part, part from each other: a kernel that is not deterministic, not a draw.
    assert verdicts([1, 1, 2, 3], same) == {"eager_repeatable": True, "host_random": False}
    assert verdicts([1, 1, 2], same)["host_random"] is False  # one run from the other state proves nothing
    assert verdicts([1, 2, 3, 3], same) == {"eager_repeatable": False, "host_random": False}
    assert verdicts([1, 1, 1, 1], same) == {"eager_repeatable": True, "host_random": False}
    # The fourth run is made only where it can decide.
    assert fourth_decides([1, 1, 2], same)
    assert not fourth_decides([1, 1, 1], same) and not fourth_decides([1, 2, 3], same)
