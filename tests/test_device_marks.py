"""@pytest.mark.ms_device, MindSpore's platform marks, --ms-device-id, --ms-jit-level."""

SUITE = '''
import pytest
import mindspore as ms

@pytest.mark.ms_device("Ascend", "gpu")
def test_accelerators_only():
    pass

@pytest.mark.ms_device("cpu")
def test_cpu_only():
    pass

@pytest.mark.platform_gpu
@pytest.mark.level0
def test_mindspore_style_gpu():
    pass

@pytest.mark.platform_ascend910b
@pytest.mark.cpu_linux
def test_mindspore_style_ascend_or_linux_cpu():
    pass

@pytest.mark.cpu_windows
def test_mindspore_style_windows():
    pass
'''


def test_device_marks_skip_other_devices_with_the_reason(pytester, run_pytest):
    pytester.makepyfile(test_marks=SUITE)
    run = run_pytest("-rs", "-W", "ignore::pytest.PytestUnknownMarkWarning")
    assert run.outcomes() == {
        "test_marks.py::test_accelerators_only": "skipped",
        "test_marks.py::test_cpu_only": "passed",
        "test_marks.py::test_mindspore_style_gpu": "skipped",
        "test_marks.py::test_mindspore_style_ascend_or_linux_cpu": "passed",
        "test_marks.py::test_mindspore_style_windows": "skipped",
    }
    run.result.stdout.fnmatch_lines([
        "SKIPPED [[]1[]] test_marks.py:4: msgraph: runs only on Ascend, GPU (@pytest.mark.ms_device); this session uses CPU",
        "SKIPPED [[]1[]] test_marks.py:12: msgraph: MindSpore platform marks platform_gpu exclude CPU on linux*",
        "SKIPPED [[]1[]] test_marks.py:22: msgraph: MindSpore platform marks cpu_windows exclude CPU on linux*",
    ])
    assert "2 tests skipped by MindSpore platform marks (device CPU); ms_platform_marks = false runs them" \
        in run.stdout()
    assert run.report["platform_skipped"] == 2


LEGACY = '''
import pytest
import mindspore as ms


@pytest.mark.platform_x86_gpu_training
@pytest.mark.env_onecard
def test_gpu_training_only():
    pass


@pytest.mark.platform_arm_ascend910b_training
@pytest.mark.platform_x86_ascend_training
@pytest.mark.env_single
def test_ascend_only():
    pass


@pytest.mark.platform_x86_cpu
@pytest.mark.platform_x86_gpu_training
def test_cpu_or_gpu():
    pass
'''


def test_legacy_platform_marks_are_mapped_too(pytester, run_pytest):
    pytester.makepyfile(test_legacy=LEGACY)
    run = run_pytest("--strict-markers")  # the legacy and card marks are registered
    assert run.outcomes() == {
        "test_legacy.py::test_gpu_training_only": "skipped",
        "test_legacy.py::test_ascend_only": "skipped",
        "test_legacy.py::test_cpu_or_gpu": "passed",
    }


def test_platform_mark_mapping_can_be_turned_off(pytester, run_pytest):
    pytester.makepyfile(test_marks=SUITE)
    pytester.makeini("[pytest]\nms_platform_marks = false\n")
    run = run_pytest("-W", "ignore::pytest.PytestUnknownMarkWarning")
    skipped = sorted(k for k, v in run.outcomes().items() if v == "skipped")
    assert skipped == ["test_marks.py::test_accelerators_only"]


def test_bad_device_in_the_mark_is_a_collection_error(pytester, run_pytest):
    pytester.makepyfile('''
import pytest
@pytest.mark.ms_device("TPU", "GPU")
def test_f():
    pass
''')
    run = run_pytest(report=False)
    assert run.ret == 2
    run.result.stdout.fnmatch_lines(["*@pytest.mark.ms_device got 'TPU'; valid devices: CPU, GPU, Ascend*"])


def test_bad_ms_device_mark_is_reported_once(pytester, run_pytest):
    pytester.makepyfile('''
import pytest


@pytest.mark.ms_device("TPU")
def test_a():
    pass
''')
    run = run_pytest()
    assert run.ret == 2
    assert "During handling of the above exception" not in run.stdout()
    shown = [line for line in run.stdout().splitlines() if "got 'TPU'" in line and not line.startswith("ERROR ")]
    assert len(shown) == 1  # the error section holds it once (the short summary line aside): no chained copy


def test_bad_platform_marks_ini_names_the_key(pytester, usage_error):
    pytester.makeini("[pytest]\nms_platform_marks = maybe\n")
    pytester.makepyfile("def test_a():\n    pass\n")
    usage_error(message="ms_platform_marks")


def test_device_id_is_a_no_op_on_cpu_and_is_validated(pytester, run_pytest, usage_error):
    pytester.makepyfile("import mindspore\ndef test_f(): pass")
    run = run_pytest("--ms-device-id=auto")
    assert run.ret == 0
    assert run.report["device_id"] is None
    run.result.stdout.fnmatch_lines(["msgraph: *device CPU (device id auto)*"])
    usage_error("--ms-device-id=first",
                message="--ms-device-id / ms_device_id 'first' is not valid; give a card number (0, 1, ...) or auto.")


def test_jit_level_applies_to_the_session_and_is_recorded(pytester, run_pytest, usage_error):
    pytester.makepyfile('''
import pytest
import mindspore as ms

@pytest.mark.both_modes
def test_level():
    assert ms.get_context("jit_level") == "O1"
''')
    run = run_pytest("--ms-jit-level=o1")
    assert run.ret == 0, run.stdout()
    assert run.report["jit_level"] == "O1"
    run.result.stdout.fnmatch_lines(["msgraph: *, jit level O1, seed 0"])
    usage_error("--ms-jit-level=O3", message="'O3' is not valid; valid choices: O0, O1, O2.")
