"""Mode pairs: the two variants of one test, one per MindSpore mode, and everything about them.

``identity`` (the ``Variant`` each item carries, made once at collection), ``variants``
(both_modes and ``--ms-both-modes=all`` split a test), ``adoption`` (a test that
parametrizes its own mode is a pair too), ``ordering`` (the two variants side by side,
PYNATIVE_MODE first), ``completion`` and ``selection`` (which variants run when a plugin
or the user left one out), ``idle_variants`` (a GRAPH_MODE variant skipped when its
eager variant provably made no mode-dependent call) and ``xdist_scheduling`` (a pair
on one worker). It sits below ``pytest_side``, which wires it into the run.
"""
