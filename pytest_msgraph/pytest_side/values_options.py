"""The options of the values a report records (issue 42): ``--ms-values`` and ``ms_values_skip``.

With ``--ms-report``, each variant of a mode pair records a fingerprint of what it computed
(``core.fingerprints``): its top-level Cell calls' outputs and its parameters after its
last training step, for the matrix to compare across devices and releases. ``--ms-values
off`` records none; ``ms_values_skip`` (glob patterns over the names the report gives
them, ``call 2 Net output``, ``param head.weight``) and ``@pytest.mark.ms_no_values`` leave
some out. They are resolved once, at configure, into ``Settings.values_skip``, which the
MindSpore session carries to ``mode_parity``.
"""
from __future__ import annotations

from typing import Optional

import pytest

VALUES = ("on", "off")


def add_values_options(parser: pytest.Parser) -> None:
    help_text = "With --ms-report, record a fingerprint of each mode pair's values: on (default) or off."
    parser.getgroup("msgraph").addoption("--ms-values", dest="ms_values", default=None, help=help_text)
    parser.addini("ms_values", help_text, default=None)
    parser.addini("ms_values_skip", "Values not to record in the report, one glob pattern per line "
                  "(call 2 Net output, param *.moving_mean).", type="linelist", default=[])


def values_setting(config: pytest.Config) -> str:
    """``on`` or ``off``; a UsageError naming a bad value."""
    raw = config.getoption("ms_values") or config.getini("ms_values") or "on"
    if str(raw).lower() not in VALUES:
        raise pytest.UsageError(f"msgraph: --ms-values / ms_values {raw!r} is not valid; valid choices: on, off.")
    return str(raw).lower()


def values_skip(config: pytest.Config, reported: bool) -> Optional[tuple[str, ...]]:
    """``ms_values_skip``'s patterns when values are recorded (a report is written and ``--ms-values`` is not
    off), else None: the one place that decides it."""
    return tuple(config.getini("ms_values_skip")) if values_setting(config) == "on" and reported else None
