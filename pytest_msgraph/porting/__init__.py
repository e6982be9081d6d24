"""Porting from PyTorch: copying weights (``torch_bridge``), the API differences that explain a
mismatch (``torch_hints``), and the ``torch_parity`` fixture's comparison.

torch is never imported at module level: only where a test uses it.
"""
