"""The pytest side of a run: options, session state, what happens around each test, markers,
the wiring of mode pairs (``pairs/``), late failures, fixtures' support and the warning category.

It may import every other folder; none imports it (only ``plugin.py`` above it).
"""
