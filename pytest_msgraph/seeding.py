"""Seed every random source a MindSpore test may read, so both modes see the same data."""
from __future__ import annotations

import random
from typing import Any


def seed_everything(ms: Any, seed: int) -> None:
    import numpy

    random.seed(seed)
    numpy.random.seed(seed)
    ms.set_seed(seed)
