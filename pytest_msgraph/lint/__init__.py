"""graph_syntax, the static lint: its rules (pure), the command line, and the ``--ms-lint`` pytest items.

``python -m pytest_msgraph.lint PATH...`` runs it from a shell (``cli``); ``rules``
reads a file's source and imports nothing (``visitor`` applies the rules,
``messages`` words them, ``per_call`` and ``nn_classes`` keep them precise); ``items`` makes one pytest item per file.
"""
from .cli import main
from .messages import RULES
from .rules import LintFinding, UnreadableSource, lint_file, lint_source

__all__ = ["RULES", "LintFinding", "UnreadableSource", "lint_file", "lint_source", "main"]
