"""The MindSpore side of a run: the session (import, device, seeding, context guard), the probes
that turn MindSpore's calls into events, devices and their marks, compiled-graph inspection and
compile-error text.

MindSpore itself is imported only inside functions, when a test session needs it. This folder
imports only ``core``.
"""
