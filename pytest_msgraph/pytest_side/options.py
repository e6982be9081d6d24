"""Command-line options and ini keys: declared, read and validated in one place."""
from __future__ import annotations

import argparse
import dataclasses
import math
import os
import re
from pathlib import Path
from typing import Any, Callable, Optional

import pytest

from ..checks.frame import parse_policy_entries
from ..core.modes import ALL_MODES, Mode, parse_mode_list
from ..mindspore_side.device import DEVICES
from ..reports.json_report import check_report_path
from .values_options import values_skip

JIT_LEVELS = ("O0", "O1", "O2")
DEFAULT_SEED = 0
SUMMARY_MAX = 5
BOTH_MODES_SCOPES = ("marked", "all")
UNAVAILABLE_ACTIONS = ("error", "skip")
ANNOTATIONS = ("auto", "github", "off")  # auto: github when GITHUB_ACTIONS=true
_DIGITS = re.compile(r"[0-9]+")

# (option, ini key, help). The ini key is the option's name with '_' for '-'.
_OPTIONS = (
    ("--ms-device", "ms_device", "MindSpore backend for this run: CPU, GPU or Ascend (any case)."),
    ("--ms-device-unavailable", "ms_device_unavailable",
     "What to do when --ms-device is not usable here: error (default) or skip every test."),
    ("--ms-modes", "ms_modes",
     "Comma-separated modes whose variants run (GRAPH_MODE,PYNATIVE_MODE); the others are skipped."),
    ("--ms-both-modes", "ms_both_modes",
     "Which tests run in both modes: marked (default, @pytest.mark.both_modes) or all."),
    ("--ms-seed", "ms_seed", f"Seed for random, numpy and MindSpore before every test (default {DEFAULT_SEED})."),
    ("--ms-report", "ms_report", "Write a JSON report of tests and findings to this path."),
    ("--ms-repro", "ms_repro", "Write a standalone repro (repro.py, data.npz) of each mode_parity difference found "
     "in one sub-cell into this folder, one subfolder per test, run once to verify it."),
    ("--ms-device-id", "ms_device_id",
     "Card to use: a number, or auto to give each xdist worker its own card (no-op on CPU)."),
    ("--ms-jit-level", "ms_jit_level", "Graph compile level for the GRAPH_MODE variants: O0, O1 or O2."),
)


@dataclasses.dataclass(frozen=True)
class Settings:
    device: Optional[str]
    device_unavailable: str
    modes: tuple[Any, ...]
    both_modes: str
    seed: int
    report_path: Optional[str]  # absolute: the option against the invocation folder, the ini key against rootdir
    repro_dir: Optional[str]  # absolute, as report_path
    values_skip: Optional[tuple[str, ...]]  # with a report and --ms-values on: ms_values_skip's patterns; else None
    device_id: Optional[str]  # "3", "auto", or None
    jit_level: Optional[str]
    platform_marks: bool
    restore_context: bool  # put the context back after each test (ini ms_restore_context)
    check_policies: dict[str, Any]
    summary_max: int  # lines of findings per check in the summary
    annotations: str  # "github" or "off", auto resolved from the environment
    recompile_threshold: int  # compiles in one test that make a recompile finding
    # True when any ms option or ini key was given: MindSpore is then loaded at session start.
    explicit: bool


def add_options(parser: pytest.Parser) -> None:
    group = parser.getgroup("msgraph", "MindSpore graph-mode compliance (pytest-msgraph)")
    for option, ini, help_text in _OPTIONS:
        group.addoption(option, dest=ini, default=None, help=help_text)
        parser.addini(ini, help_text, default=None)
    group.addoption("--ms-check", dest="ms_checks", action="append", default=[], metavar="NAME=POLICY",
                    help="Policy for one check: error, warn or off (repeatable).")
    parser.addini("ms_checks", "Check policies, one NAME=POLICY per line.", type="linelist", default=[])
    group.addoption("--ms-parity-rtol", dest="ms_parity_rtol", type=_non_negative_float, default=None,
                    help="mode_parity: relative tolerance for float outputs (default: by dtype).")
    group.addoption("--ms-parity-atol", dest="ms_parity_atol", type=_non_negative_float, default=None,
                    help="mode_parity: absolute tolerance for float outputs (default: by dtype).")
    group.addoption("--ms-parity-max-bytes", dest="ms_parity_max_bytes", type=_count("a byte count", 1048576),
                    default=1 << 20,
                    help="mode_parity: output bytes kept exactly per test; beyond, summaries are compared (1 MiB).")
    group.addoption("--ms-summary-max", dest="ms_summary_max", type=_count("a number of lines", 5), default=None,
                    help=f"Lines of findings shown per check in the msgraph summary (default {SUMMARY_MAX}; 0: "
                         "counts only; the report has all).")
    parser.addini("ms_summary_max", f"Lines of findings shown per check in the summary (default {SUMMARY_MAX}).",
                  default=None)
    group.addoption("--ms-annotations", dest="ms_annotations", default=None,
                    help="Findings as CI annotations: auto (default: github when GITHUB_ACTIONS=true), github or off.")
    parser.addini("ms_annotations", "Findings as CI annotations: auto, github or off (default auto).", default=None)
    group.addoption("--ms-recompile-threshold", dest="ms_recompile_threshold", type=_positive_int, default=None,
                    help="recompile: compiles of one cell, jit function or group in one test that make a finding (3).")
    parser.addini("ms_recompile_threshold", "recompile: compiles in one test that make a finding (default 3).",
                  default=None)
    group.addoption("--ms-lint", dest="ms_lint", action="store_true", default=False,
                    help="Add a graph_syntax lint item per collected Python file (reads source, runs nothing).")
    parser.addini("ms_restore_context",
                  "Put MindSpore's context back after each test (false: a test's set_context holds for the next).",
                  type="bool", default=True)
    parser.addini("ms_platform_marks",
                  "Honour MindSpore's platform marks (platform_gpu, cpu_linux, ...) as device marks.",
                  type="bool", default=True)


def _non_negative_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not (value >= 0 and math.isfinite(value)):
        raise argparse.ArgumentTypeError(f"{text!r} is not a tolerance; give a finite number >= 0 such as 1e-5")
    return value


def _is_whole(text: str) -> bool:
    """ASCII digits only: str.isdigit() also accepts '²', which int() then refuses."""
    return bool(_DIGITS.fullmatch(text.strip()))


def _positive_int(text: str) -> int:
    if not _is_whole(text) or int(text) < 2:
        raise argparse.ArgumentTypeError(f"{text!r} is not a compile count; give a whole number >= 2 such as 3")
    return int(text)


def _count(what: str, example: int) -> Callable[[str], int]:
    """An option's type: a whole number >= 0, with an error that says what it counts."""
    def parse(text: str) -> int:
        if not _is_whole(text):
            raise argparse.ArgumentTypeError(f"{text!r} is not {what}; give a whole number >= 0 such as {example}")
        return int(text)
    return parse


def _option_name(key: str) -> str:
    return "--" + key.replace("_", "-")


def _raw(config: pytest.Config, key: str) -> Optional[str]:
    """The option's value, else the ini value, else None."""
    value = getattr(config.option, key, None)
    if value is not None:
        if not str(value).strip():
            raise pytest.UsageError(f"msgraph: {_option_name(key)} was given an empty value; give one (see pytest "
                                    "--help, section msgraph) or leave the option out.")
        return str(value).strip()
    value = config.getini(key)
    if value in (None, ""):
        return None
    return str(value).strip()


def _given_path(config: pytest.Config, key: str) -> Optional[tuple[str, Path]]:
    """(as given, absolute) for a path option or ini key: the option against the invocation folder, the ini key
    against rootdir (ini paths are the project's: as pytest resolves them)."""
    base = config.invocation_params.dir if getattr(config.option, key, None) is not None else config.rootpath
    text = _raw(config, key)
    return None if text is None else (text, base / Path(text).expanduser())


def _repro_dir(config: pytest.Config) -> Optional[str]:
    """The folder repro scripts go to; made when the first is written. A file there is a usage error now."""
    text, path = _given_path(config, "ms_repro") or ("", None)
    if path is not None and path.exists() and not path.is_dir():
        raise pytest.UsageError(f"msgraph: --ms-repro / ms_repro {text!r}: {path} is a file; give a folder (made if "
                                "missing), or leave the option out.")
    return None if path is None else str(path)


def _report_path(config: pytest.Config) -> Optional[str]:
    """The report's absolute path, checked now so that a bad one fails before any test runs."""
    given = _given_path(config, "ms_report")
    if given is None:
        return None
    text, path = given
    try:
        check_report_path(path)
    except ValueError as exc:
        raise pytest.UsageError(f"msgraph: --ms-report / ms_report {text!r}: {exc}.") from None
    return str(path)


def _annotations(config: pytest.Config) -> str:
    """github or off: --ms-annotations, else ini ms_annotations, else auto (github on GitHub Actions)."""
    value = config.getoption("ms_annotations") or str(config.getini("ms_annotations") or "").strip() or "auto"
    choice = _choice(value, ANNOTATIONS, "--ms-annotations / ms_annotations")
    if choice == "auto":
        return "github" if os.environ.get("GITHUB_ACTIONS") == "true" else "off"
    return choice


def _summary_max(config: pytest.Config) -> int:
    """--ms-summary-max, else ini ms_summary_max, else SUMMARY_MAX (it changes what is shown, never an outcome)."""
    value = config.getoption("ms_summary_max")
    if value is not None:
        return int(value)
    text = str(config.getini("ms_summary_max") or "").strip()
    if not text:
        return SUMMARY_MAX
    if not _is_whole(text):
        raise pytest.UsageError(
            f"msgraph: ini key ms_summary_max {text!r} is not a number of lines; give a whole number >= 0 such as 5.")
    return int(text)


def _recompile_threshold(config: pytest.Config) -> int:
    """The option, else the ini key, else 3; put back on the option, where the check reads it."""
    value = config.getoption("ms_recompile_threshold")
    if value is None:
        text = str(config.getini("ms_recompile_threshold") or "").strip()
        try:
            value = _positive_int(text) if text else 3
        except argparse.ArgumentTypeError as exc:
            raise pytest.UsageError(f"msgraph: ini key ms_recompile_threshold: {exc}.") from None
    config.option.ms_recompile_threshold = value
    return int(value)


def _ini_bool(config: pytest.Config, key: str) -> bool:
    try:
        return bool(config.getini(key))
    except (ValueError, pytest.UsageError) as exc:  # pytest 8 raises the first, 9 the second
        raise pytest.UsageError(
            f"msgraph: ini key {key}: {exc}; valid values: true or false (also yes/no, 1/0)."
        ) from None


def _choice(value: str, choices: tuple[str, ...], what: str) -> str:
    for choice in choices:
        if value.lower() == choice.lower():
            return choice
    raise pytest.UsageError(
        f"msgraph: {what} {value!r} is not valid; valid choices: {', '.join(choices)}."
    )


def read_settings(config: pytest.Config) -> Settings:
    """Validate every ms option and ini key; any bad value is a UsageError naming it."""
    raw = {ini: _raw(config, ini) for _, ini, _ in _OPTIONS}
    device = raw["ms_device"]
    if device is not None:
        device = _choice(device, DEVICES, "--ms-device / ms_device")
    unavailable = _choice(raw["ms_device_unavailable"] or "error", UNAVAILABLE_ACTIONS,
                          "--ms-device-unavailable / ms_device_unavailable")
    both = _choice(raw["ms_both_modes"] or "marked", BOTH_MODES_SCOPES, "--ms-both-modes / ms_both_modes")
    modes: tuple[Mode, ...] = ALL_MODES
    if raw["ms_modes"] is not None:
        try:
            modes = parse_mode_list(raw["ms_modes"])
        except ValueError as exc:
            raise pytest.UsageError(f"msgraph: --ms-modes / ms_modes: {exc}.") from None
    device_id = raw["ms_device_id"]
    if device_id is not None and device_id != "auto" and not _is_whole(device_id):
        raise pytest.UsageError(
            f"msgraph: --ms-device-id / ms_device_id {device_id!r} is not valid; "
            "give a card number (0, 1, ...) or auto."
        )
    jit_level = raw["ms_jit_level"]
    if jit_level is not None:
        jit_level = _choice(jit_level, JIT_LEVELS, "--ms-jit-level / ms_jit_level")
    seed = DEFAULT_SEED
    if raw["ms_seed"] is not None:
        try:
            seed = int(raw["ms_seed"])
        except ValueError:
            raise pytest.UsageError(
                f"msgraph: --ms-seed / ms_seed {raw['ms_seed']!r} is not valid; give a whole number such as 0 or 1234."
            ) from None
        if not 0 <= seed < 2**32:
            raise pytest.UsageError(f"msgraph: --ms-seed {seed} is out of range; valid seeds are 0 to {2**32 - 1}.")
    if any(not str(entry).strip() for entry in config.option.ms_checks):
        raise pytest.UsageError("msgraph: --ms-check was given an empty value; give NAME=POLICY such as "
                                "double_forward=warn (POLICY is one of error, warn, off), or leave the option out.")
    try:
        ini_policies = parse_policy_entries(config.getini("ms_checks"), "ms_checks")
        cli_policies = parse_policy_entries(config.option.ms_checks, "--ms-check")
    except ValueError as exc:
        raise pytest.UsageError(f"msgraph: {exc}.") from None
    explicit = any(v is not None for v in raw.values()) or bool(ini_policies or cli_policies)
    return Settings(
        device=device,
        device_unavailable=unavailable,
        modes=modes,
        both_modes=both,
        seed=seed,
        report_path=_report_path(config),
        repro_dir=_repro_dir(config),
        values_skip=values_skip(config, raw["ms_report"] is not None),
        device_id=device_id,
        jit_level=jit_level,
        platform_marks=_ini_bool(config, "ms_platform_marks"),
        restore_context=_ini_bool(config, "ms_restore_context"),
        check_policies={"ini": ini_policies, "cli": cli_policies},
        summary_max=_summary_max(config),
        annotations=_annotations(config),
        recompile_threshold=_recompile_threshold(config),
        explicit=explicit,
    )
