"""Which tests run on which device: ``@pytest.mark.ms_device`` and MindSpore's platform marks."""
from __future__ import annotations

import sys
from typing import Optional

from .device import DEVICES

# MindSpore's own test marks (tests/mark_utils.py) -> (device, sys.platform prefix or None).
PLATFORM_MARKS = {
    "platform_ascend": ("Ascend", None),
    "platform_ascend910b": ("Ascend", None),
    "platform_ascend310p": ("Ascend", None),
    "platform_gpu": ("GPU", None),
    "cpu_linux": ("CPU", "linux"),
    "cpu_windows": ("CPU", "win32"),
    "cpu_macos": ("CPU", "darwin"),
}
# The older marks many MindSpore tests (and mindformers, akg, ...) still carry. The
# architecture in the name picked a pool of CI machines; only the device matters here.
LEGACY_PLATFORM_MARKS = {
    "platform_x86_cpu": ("CPU", None),
    "platform_arm_cpu": ("CPU", None),
    "platform_x86_gpu_training": ("GPU", None),
    "platform_x86_gpu_inference": ("GPU", None),
    "platform_arm_ascend_training": ("Ascend", None),
    "platform_x86_ascend_training": ("Ascend", None),
    "platform_arm_ascend910b_training": ("Ascend", None),
    "platform_x86_ascend910b_training": ("Ascend", None),
    "platform_arm_ascend_inference": ("Ascend", None),
    "platform_x86_ascend_inference": ("Ascend", None),
    "platform_arm_ascend310_inference": ("Ascend", None),
    "platform_x86_ascend310_inference": ("Ascend", None),
}
ALL_PLATFORM_MARKS = {**PLATFORM_MARKS, **LEGACY_PLATFORM_MARKS}
# Card-count marks of MindSpore's tests: registered so --strict-markers accepts them; no effect.
CARD_MARKS = ("env_onecard", "env_single", "env_multicard", "onecard", "allcards")


# Every platform-mark skip reason starts so: the summary counts them by it.
PLATFORM_SKIP_PREFIX = "msgraph: MindSpore platform marks"


def canonical_devices(names: tuple) -> list[str]:
    """The marker's device names in canonical spelling; ValueError naming the bad ones."""
    lookup = {d.lower(): d for d in DEVICES}
    bad = [n for n in names if not isinstance(n, str) or n.lower() not in lookup]
    if bad or not names:
        raise ValueError(
            f"@pytest.mark.ms_device got {', '.join(map(repr, bad)) or 'no device'}; "
            f"valid devices: {', '.join(DEVICES)} (any case), e.g. @pytest.mark.ms_device(\"Ascend\", \"GPU\")"
        )
    return [lookup[n.lower()] for n in names]


def skip_reason(item, device: str, platform_marks: bool, platform: str = sys.platform) -> Optional[str]:
    """Why ``item`` does not run on ``device`` here, or None when it does."""
    for marker in item.iter_markers("ms_device"):
        allowed = canonical_devices(marker.args)
        if device not in allowed:
            return f"msgraph: runs only on {', '.join(allowed)} (@pytest.mark.ms_device); this session uses {device}"
    if platform_marks:
        marks = [name for name in ALL_PLATFORM_MARKS if item.get_closest_marker(name) is not None]
        if marks and not any(
            ALL_PLATFORM_MARKS[m][0] == device
            and platform.startswith(ALL_PLATFORM_MARKS[m][1] or "")
            for m in marks
        ):
            return (f"{PLATFORM_SKIP_PREFIX} {', '.join(marks)} exclude {device} on {platform} "
                    "(ms_platform_marks = false runs them)")
    return None
