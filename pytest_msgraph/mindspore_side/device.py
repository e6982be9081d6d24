"""Which backends this MindSpore install can use, and choosing one for the session."""
from __future__ import annotations

import importlib
from typing import Any, Optional

from . import internals

# The backends, in MindSpore's spelling.
DEVICES = ("CPU", "GPU", "Ascend")



class DeviceUnavailable(Exception):
    """The requested backend cannot run with this MindSpore install."""


def available_devices(ms: Any) -> list[str]:
    """The backends the installed MindSpore package supports, probed without initialising any.

    MSContext.is_pkg_support_device answers from what ``import mindspore`` already loaded;
    the public ``device_context.*.is_available()`` probes say the same but print
    warnings and library-load errors to stderr, which users should not have to read.
    """
    try:
        context = internals.resolve("device_support").MSContext.get_instance()
        return [name for name in DEVICES if context.is_pkg_support_device(name)]
    except internals.ProbeUnavailable:
        found = []
        for name in DEVICES:
            try:
                module = importlib.import_module(f"mindspore.device_context.{name.lower()}")
                if module.is_available():
                    found.append(name)
            except Exception:  # a probe that cannot even run means "not available"
                continue
        return found


def ensure_available(ms: Any, device: str) -> None:
    """DeviceUnavailable, naming the usable backends, unless ``device`` is one of them."""
    usable = available_devices(ms)
    if device not in usable:
        raise DeviceUnavailable(
            f"--ms-device={device} is not available with this MindSpore "
            f"{getattr(ms, '__version__', '?')} install; available: {', '.join(usable) or 'none'}"
        )


def card_count(ms: Any, device: str) -> int:
    """How many cards of ``device`` this host has (1 when MindSpore cannot say)."""
    try:
        return int(importlib.import_module(f"mindspore.device_context.{device.lower()}").device_count())
    except Exception:  # no count for this backend here: one card
        return 1


def select_device(ms: Any, device: str, device_id: Optional[int] = None) -> None:
    """Make ``device`` the session's backend; DeviceUnavailable says why not.

    Must run before any kernel: MindSpore refuses to change the device once its
    runtime is initialised.
    """
    ensure_available(ms, device)
    if current_device(ms) == device and device_id is None:
        return  # set_device after an op ran raises even for the same target
    setter = getattr(ms, "set_device", None)
    if setter is not None:
        setter(device, device_id)
    else:
        ms.set_context(device_target=device, **({} if device_id is None else {"device_id": device_id}))


def current_device(ms: Any) -> str:
    getter = getattr(ms, "get_current_device", None)
    if getter is not None:
        try:
            target = getter()
            return target.device_target if hasattr(target, "device_target") else target[0]
        except Exception:  # older or newer return types: fall back to the context
            pass
    return ms.get_context("device_target")
