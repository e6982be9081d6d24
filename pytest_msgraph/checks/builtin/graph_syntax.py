"""Check ``graph_syntax``: the static lint, as a check of the frame (policy, summary, report).

The work happens in lint items (``pytest --ms-lint``, see lint_items) and in
``python -m pytest_msgraph.lint``; this class only declares the check.
"""
from ..frame import Check


class GraphSyntaxCheck(Check):
    name = "graph_syntax"
    description = "graph code that GRAPH_MODE rejects or silently changes (static lint, --ms-lint)"
    default_policy = "warn"
    unit = "files"
