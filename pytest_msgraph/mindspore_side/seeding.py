"""Seed every random source a MindSpore test may read, so both modes see the same data.

pytest-randomly (on by default once installed) reseeds ``random`` and numpy before
each test's setup, call and teardown, with a seed derived from the test id: the two
variants of a mode pair would start from different states. It calls every function
registered under the entry point ``pytest_randomly.random_seeder`` after its own
seeding; ``reseed_after_randomly`` is ours, and puts the plugin's seed back while a
MindSpore test runs. Randomly keeps its shuffling and seeds every other test.
"""
from __future__ import annotations

import sys
from typing import Any, Optional

# (mindspore module, seed) while a MindSpore test runs in this process; randomly's hook
# gets only its own seed, so this is the one piece of module state the plugin keeps.
_active: Optional[tuple[Any, int]] = None


def seed_everything(ms: Any, seed: int) -> None:
    import random

    import numpy

    random.seed(seed)
    numpy.random.seed(seed)
    ms.set_seed(seed)
    torch = sys.modules.get("torch")  # seeded when a test uses it (torch_parity), never imported here
    if torch is not None:
        torch.manual_seed(seed)


def begin(ms: Any, seed: int) -> None:
    """Seed now, and again whenever pytest-randomly reseeds, until ``end``."""
    global _active
    _active = (ms, seed)
    seed_everything(ms, seed)


def end() -> None:
    global _active
    _active = None


def reseed_after_randomly(randomly_seed: int) -> None:
    """Entry point ``pytest_randomly.random_seeder``: keep the plugin's seed for MindSpore tests."""
    if _active is not None:
        seed_everything(*_active)
