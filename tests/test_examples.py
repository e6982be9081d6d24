"""The shipped examples run green and still prove each detection (strict xfails); README's sample is what they print.

One run of README's first command, as a user runs it after ``pip install .`` (no PyTorch, no pytest-randomly),
serves both: the findings of every example, and every line of README's sample output, in order. The examples
that need PyTorch run once more, alone, with it (``test_the_torch_examples_with_torch``).
"""
import importlib.util
import shutil
from pathlib import Path
from typing import Callable

import pytest
from conftest import Run
from test_readme_sample import first_command_arguments, sample_lines_printed

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
TORCH_EXAMPLES = ("test_torch_parity.py", "test_porting_init_and_bprop.py")


def _copied_examples(pytester) -> None:
    shutil.copytree(EXAMPLES, pytester.path / "examples", ignore=shutil.ignore_patterns("__pycache__", "ci"))


def _without_examples_prefix(run: Run) -> tuple[dict, Callable]:
    """Outcomes and findings keyed as if the run had started in examples/ (``test_x.py::test_f``)."""
    outcomes = {nodeid.removeprefix("examples/"): outcome for nodeid, outcome in run.outcomes().items()}

    def findings(check):
        return [{**f, "nodeid": f["nodeid"].removeprefix("examples/")} for f in run.findings(check)]

    return outcomes, findings


def test_examples_pass_and_every_graph_mode_bug_is_caught(pytester, monkeypatch):
    _copied_examples(pytester)
    absent = pytester.path / "no-torch" / "torch"  # a user's venv after `pip install .`: the torch examples skip
    absent.mkdir(parents=True)
    (absent / "__init__.py").write_text('raise ModuleNotFoundError("No module named \'torch\'", name="torch")\n')
    monkeypatch.setenv("PYTHONPATH", str(absent.parent))
    result = pytester.runpytest_subprocess(*first_command_arguments(), "-p", "no:randomly")
    run = Run(result, pytester.path / "msgraph-report.json")
    assert run.ret == 0, run.stdout()
    sample_lines_printed(result.outlines)  # on every tested release: measured alike on 2.7.2 and 2.10.0
    assert ": inactive (" not in run.stdout()  # every check ran, on every tested MindSpore (tox ms27 ... ms210)
    outcomes, findings = _without_examples_prefix(run)
    xfailed = sorted(k for k, v in outcomes.items() if v == "xfailed")
    assert "test_graph_limits.py::test_try_except_in_construct[GRAPH_MODE]" in xfailed
    assert "test_graph_limits.py::test_numpy_random_in_construct_draws_fresh_noise[GRAPH_MODE]" in xfailed
    assert outcomes["test_graph_limits.py::test_try_except_in_construct[PYNATIVE_MODE]"] == "passed"
    assert "test_graph_limits.py::test_walrus_in_construct[GRAPH_MODE]" in xfailed
    assert {outcomes[f"test_graph_limits.py::test_walrus_{name}[{mode}]"]
            for name, mode in (("in_construct", "PYNATIVE_MODE"), ("assigned_on_its_own_line", "GRAPH_MODE"),
                               ("assigned_on_its_own_line", "PYNATIVE_MODE"))} == {"passed"}
    assert outcomes["test_graph_limits.py::test_mindspore_random_op_draws_fresh_noise[GRAPH_MODE]"] == "passed"
    [leak] = findings("context_leak")
    assert leak["nodeid"] == "test_training_step.py::test_mindspore_style_mode_switch_leaks_context"
    # Recompiles: each trap fails its ms_max_compiles and is named with its cause; the fixes compile once.
    causes = {f["nodeid"]: f["cause"] for f in findings("recompile")}
    assert causes == {
        "test_recompiles.py::test_python_float_each_step[GRAPH_MODE]": "scalar_value",
        "test_recompiles.py::test_grad_function_built_in_the_loop[GRAPH_MODE]": "new_function",
        "test_recompiles.py::test_new_cell_each_step[GRAPH_MODE]": "new_instance",
        "test_recompiles.py::test_jit_function_with_a_python_int[PYNATIVE_MODE]": "scalar_value",
        "test_recompiles.py::test_jit_function_with_a_python_int[GRAPH_MODE]": "scalar_value",
    }
    assert all(outcomes[nodeid] == "xfailed" for nodeid in causes)
    for fixed in ("test_tensor_scale_each_step", "test_grad_function_built_once"):
        assert outcomes[f"test_recompiles.py::{fixed}[GRAPH_MODE]"] == "passed"
    # The seed's mixed precision: the float16-everything step and to_float with amp_level are caught.
    kinds = {(f["nodeid"], f["kind"]) for f in findings("mixed_precision")}
    for mode in ("GRAPH_MODE", "PYNATIVE_MODE"):
        assert (f"test_mixed_precision.py::test_everything_in_float16[{mode}]", "batchnorm") in kinds
        assert outcomes[f"test_mixed_precision.py::test_the_guides_recipe_batchnorm_and_loss_in_float32[{mode}]"] \
            == "passed"
    assert ("test_mixed_precision.py::test_custom_to_float_with_model_amp_level", "amp_level") in kinds
    # The seed's MySampler: flagged without set_grad, clean with it and with its bprop.
    assert outcomes["test_set_grad.py::test_sampler_forward_then_grad_without_set_grad"] == "xfailed"
    assert outcomes["test_set_grad.py::test_sampler_forward_then_grad_with_set_grad"] == "passed"
    assert outcomes["test_set_grad.py::test_sampler_custom_bprop_routes_the_gradient_back"] == "passed"
    assert {f["nodeid"] for f in findings("double_forward")} == {
        "test_set_grad.py::test_sampler_forward_then_grad_without_set_grad",
        "test_batchnorm_steps.py::test_loss_then_separate_grad[PYNATIVE_MODE]",
    }
    assert {f["nodeid"] for f in findings("bn_update_count")} == {
        "test_batchnorm_steps.py::test_loss_then_separate_grad[GRAPH_MODE]",
        "test_batchnorm_steps.py::test_loss_then_separate_grad[PYNATIVE_MODE]",
        "test_batchnorm_steps.py::test_set_grad_then_separate_grad[GRAPH_MODE]",
    }
    # The seed's dynamic-shape section: masked_select and the branch example are flagged
    # (across seeds in both modes, and from the GRAPH_MODE graph); the masked fixes are not.
    dynamic = findings("dynamic_shape")
    cross = {(f["nodeid"], f["mode"]) for f in dynamic if f.get("variants")}
    assert cross == {
        ("test_dynamic_shapes.py::test_box_select_with_masked_select", "GRAPH_MODE"),
        ("test_dynamic_shapes.py::test_box_select_with_masked_select", "PYNATIVE_MODE"),
        ("test_dynamic_shapes.py::test_branches_of_different_shapes", "GRAPH_MODE"),
        ("test_dynamic_shapes.py::test_branches_of_different_shapes", "PYNATIVE_MODE"),
    }
    graph_ops = {f["nodeid"]: [o["op"] for o in f["ops"]] for f in dynamic if f.get("ops")}
    assert graph_ops["test_dynamic_shapes.py::test_box_select_with_masked_select[GRAPH_MODE-1]"] == ["MaskedSelect"]
    assert graph_ops["test_dynamic_shapes.py::test_branches_of_different_shapes[GRAPH_MODE-1]"][0] == "MaskedSelect"
    for seed in (1, 2, 3):
        assert outcomes[f"test_dynamic_shapes.py::test_box_select_with_masked_select[GRAPH_MODE-{seed}]"] == "xfailed"
        assert outcomes[f"test_dynamic_shapes.py::test_box_select_with_a_mask[GRAPH_MODE-{seed}]"] == "passed"
        assert outcomes[f"test_dynamic_shapes.py::test_class_loss_sort_and_threshold[GRAPH_MODE-{seed}]"] == "passed"
        assert outcomes[f"test_dynamic_shapes.py::test_branches_with_a_mask[GRAPH_MODE-{seed}]"] == "passed"
    # mode_parity: the seed's MySampler in GRAPH_MODE repeats its compile-time draw; the
    # seed's Network computes the same in both modes, in train and eval mode; the try/except
    # that fails to compile gets the pair verdict with its cause.
    assert {f["nodeid"] for f in findings("mode_parity")} == {
        "test_graph_limits.py::test_try_except_in_construct[GRAPH_MODE]",
        "test_graph_limits.py::test_walrus_in_construct[GRAPH_MODE]",
        "test_where_modes_part.py::test_positional_max_axis[PYNATIVE_MODE]",
        "test_where_modes_part.py::test_frozen_jitter_three_levels_down[GRAPH_MODE]",
        "test_mode_parity.py::test_sampler_picks_fresh_positions_each_call[GRAPH_MODE]",
        "test_graph_limits.py::test_numpy_random_in_construct_draws_fresh_noise[GRAPH_MODE]",
        "test_training_parity.py::test_finetune_freezes_the_body_with_a_python_flag[GRAPH_MODE]",
        "test_hooks_and_branches.py::test_feature_capture_hook[GRAPH_MODE]",
        "test_hooks_and_branches.py::test_branches_of_two_dtypes[GRAPH_MODE]"}
    # A feature-capture hook's Python never runs in GRAPH_MODE, and branches of two dtypes do not compile: each named
    # as the cause, beside its fix.
    assert {f["nodeid"] for f in findings("compiled_hooks")} == {
        "test_hooks_and_branches.py::test_feature_capture_hook[GRAPH_MODE]"}
    verdicts = {f["nodeid"]: f for f in findings("mode_parity")}
    assert verdicts["test_hooks_and_branches.py::test_feature_capture_hook[GRAPH_MODE]"]["rule"] == "compiled_hooks"
    assert verdicts["test_hooks_and_branches.py::test_branches_of_two_dtypes[GRAPH_MODE]"]["rule"] == "type-join"
    for fixed in ("test_features_returned_from_construct", "test_branches_of_one_dtype"):
        assert {outcomes[f"test_hooks_and_branches.py::{fixed}[{mode}]"] for mode in ("GRAPH_MODE", "PYNATIVE_MODE")} \
            == {"passed"}
    # Training parity: the fine-tune flag frozen in the graph, and the label written in place, beside their fixes.
    assert {f["nodeid"] for f in findings("stale_attribute")} == {
        "test_training_parity.py::test_finetune_freezes_the_body_with_a_python_flag[GRAPH_MODE]"}
    assert {f["nodeid"] for f in findings("input_mutation")} == {
        "test_training_parity.py::test_loss_writes_into_the_callers_label[PYNATIVE_MODE]"}
    for fixed in ("test_finetune_passes_the_freeze_as_an_input", "test_loss_copies_before_writing"):
        assert {outcomes[f"test_training_parity.py::{fixed}[{mode}]"] for mode in ("GRAPH_MODE", "PYNATIVE_MODE")} \
            == {"passed"}
    assert outcomes["test_mode_parity.py::test_network_computes_the_same_in_both_modes[GRAPH_MODE-train]"] == "passed"
    # Where the modes part: the one-sided failure carries its cause, the divergence its layer; the fix passes.
    parity = {f["nodeid"]: f["message"] for f in findings("mode_parity")}
    assert "Cause: r.max(2) with a positional axis" in parity["test_where_modes_part.py::test_positional_max_axis[PYNATIVE_MODE]"]
    assert "The modes part first in 'neck.encoder.jitter' (Jitter" in \
        parity["test_where_modes_part.py::test_frozen_jitter_three_levels_down[GRAPH_MODE]"]
    assert {outcomes[f"test_where_modes_part.py::test_named_max_axis[{mode}]"] for mode in ("GRAPH_MODE", "PYNATIVE_MODE")} \
        == {"passed"}
    # graph_syntax: the numpy and try/except cells are flagged where they are written.
    lint = {(f["path"].split("/")[-1], f["cell"], f["rule"]) for f in findings("graph_syntax")}
    assert lint == {
        ("test_graph_limits.py", "ClampWithFallback", "MSG001"),
        ("test_graph_limits.py", "FirstPositive", "MSG012"),
        ("test_graph_limits.py", "NoisyCell", "MSG003"),
        ("test_mode_parity.py", "MySampler", "MSG003"),
        ("test_set_grad.py", "MySampler", "MSG002"),
        ("test_set_grad.py", "MySampler", "MSG003"),
        ("test_set_grad.py", "MySampler", "MSG005"),
        ("test_where_modes_part.py", "AnchorLoss", "MSG009"),
        ("test_where_modes_part.py", "Jitter", "MSG003"),
    }
    # Porting beyond outputs: the bprop that forgot its factor 2 is convicted by finite
    # differences in both modes, the guide's sampler bprop passes; the embedding's default
    # init is named against PyTorch, the guide's re-initialisation passes.
    assert {f["nodeid"] for f in findings("gradcheck")} == {
        "test_porting_init_and_bprop.py::test_a_bprop_that_forgot_a_factor_two[GRAPH_MODE]",
        "test_porting_init_and_bprop.py::test_a_bprop_that_forgot_a_factor_two[PYNATIVE_MODE]"}
    for mode in ("GRAPH_MODE", "PYNATIVE_MODE"):
        prefix = "test_porting_init_and_bprop.py::"
        assert outcomes[f"{prefix}test_a_bprop_that_forgot_a_factor_two[{mode}]"] == "xfailed"
        assert outcomes[f"{prefix}test_the_guides_sampler_bprop_matches_finite_differences[{mode}]"] == "passed"


def test_the_torch_examples_with_torch(pytester):
    """The examples that compare with PyTorch, where it is installed (the test extra has it; CI installs it)."""
    if importlib.util.find_spec("torch") is None:
        pytest.skip("PyTorch is not installed: pip install 'pytest-msgraph[torch]'")
    _copied_examples(pytester)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-p", "no:randomly", "--ms-report=report.json",
                                           *(f"examples/{name}" for name in TORCH_EXAMPLES))
    run = Run(result, pytester.path / "report.json")
    assert run.ret == 0, run.stdout()
    outcomes, findings = _without_examples_prefix(run)
    # The seed's unit test against PyTorch: the default pad_mode is caught with its hint, the fix passes.
    for mode in ("GRAPH_MODE", "PYNATIVE_MODE"):
        assert outcomes[f"test_torch_parity.py::test_seed_my_cell_with_the_default_pad_mode[{mode}]"] == "xfailed"
        assert outcomes[f"test_torch_parity.py::test_seed_my_cell_with_pad_mode_pad[{mode}]"] == "passed"
        assert outcomes[f"test_torch_parity.py::test_small_cnn_port_with_gradients[{mode}]"] == "passed"
    assert any("use pad_mode='pad', padding=0" in f["message"] for f in findings("torch_parity"))
    init = [f for f in findings("torch_parity") if "embedding" in f["nodeid"]]
    assert [f["nodeid"] for f in init] == [
        "test_porting_init_and_bprop.py::test_an_embedding_port_keeps_mindspores_default_init"]
    assert outcomes["test_porting_init_and_bprop.py::test_an_embedding_port_reinitialised_as_the_guide_does"] \
        == "passed"
