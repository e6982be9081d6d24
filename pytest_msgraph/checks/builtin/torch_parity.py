"""Check ``torch_parity``: a migrated Cell computes what its PyTorch original computes.

It runs only where a test asks for it, through the ``torch_parity`` fixture
(``pytest_msgraph.torch_parity``); this class gives it a name, a policy (error by
default: the test fails) and a line in the summary.
"""
from __future__ import annotations

from ..frame import Check


class TorchParityCheck(Check):
    name = "torch_parity"
    description = "a migrated Cell differs from its PyTorch original (outputs, gradients, BatchNorm statistics)"
    default_policy = "error"
    unit = "cells compared"
