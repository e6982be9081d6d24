"""Checks: the frame (``Check``, the registry, the runner, findings) and, in ``builtin``, the checks
that ship with the plugin, each with its pure arithmetic beside it.

The frame imports only ``core``; the built-in checks may also use ``mindspore_side``'s probes.
"""
from .findings import ERROR, OFF, WARN, Finding, TestRun
from .frame import Check, CheckRegistry

__all__ = ["Check", "CheckRegistry", "ERROR", "Finding", "OFF", "TestRun", "WARN"]
