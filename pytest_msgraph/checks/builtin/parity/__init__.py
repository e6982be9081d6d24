"""The mode_parity family: GRAPH_MODE against PYNATIVE_MODE, one module per concern.

``mode_parity`` (the check), ``records`` (what a variant records of a call), ``pairs``
(two sides compared, each difference worded by its cause and its wrong side),
``outcomes`` (the verdict when one variant raises and its twin passes), ``rerun`` (is
the eager side repeatable), ``localise`` (the innermost sub-cell where the modes part,
after a mismatch), ``arithmetic`` (values encoded and compared with dtype tolerances).
``pairs``, ``outcomes`` and ``arithmetic`` are pure.
"""
