"""What each graph_syntax rule says: the diagnosis, measured on MindSpore 2.10, and the fix apart (pure).

The fix is kept apart so that the summary prints it once per rule, not once per finding.
"""
from __future__ import annotations

DIAGNOSES = {
    "MSG001": "try/except in graph code: GRAPH_MODE rejects the statement at compile time "
              "(RuntimeError: Unsupported statement 'Try').",
    "MSG002": "{name}() on a per-call value in graph code: GRAPH_MODE cannot compile numpy/scipy. It runs "
              "through the Python fallback under the default LAX syntax (outside the graph, no gradient) "
              "and is a compile error under STRICT.",
    "MSG003": "{name}() in graph code: in GRAPH_MODE numpy's and Python's random draw once, at compile time, "
              "and the graph reuses those numbers on every call (PYNATIVE_MODE draws anew).",
    "MSG004": "{name} in graph code: threads and processes do not exist in a graph; in GRAPH_MODE the "
              "body runs once, at compile time.",
    "MSG005": ".asnumpy() in graph code: GRAPH_MODE rejects it under STRICT syntax; under LAX it runs "
              "through the Python fallback and cuts the gradient.",
    "MSG006": "{name}'s first parameter is {first!r}, not 'self': PYNATIVE_MODE runs it, GRAPH_MODE fails under "
              "both syntax levels with a misleading 'TypeError: {error}'.",
    "MSG007": "{name}(...) builds a {what} inside graph code. {effect}",
    "MSG008": "{name} is not in mindspore.nn{version}{removed}: it raises AttributeError in both modes, wherever it "
              "is used (in __init__ the cell cannot even be built).",
    "MSG009": "{name}({args}) with a positional axis returns a (values, indices) tuple in PYNATIVE_MODE but only "
              "the values Tensor in GRAPH_MODE: code written for one mode breaks in the other.",
    "MSG010": "{what}: {effect}",
    "MSG011": "{name}(...) with a tuple, a list or separate sizes: GRAPH_MODE cannot compile it "
              "(RuntimeError \"The method 'GetShapeVector()' doesn't implement\", or a TypeError on the "
              "number of arguments); PYNATIVE_MODE runs it.",
    "MSG012": "an assignment expression ({target} := ...) in graph code: GRAPH_MODE rejects it at compile time "
              "(RuntimeError: Unsupported expression 'NamedExpr', under both syntax levels); PYNATIVE_MODE runs it.",
}
FIXES = {
    "MSG001": "Check the condition with ops before the call, or handle the error outside construct.",
    "MSG002": "Use mindspore.ops or Tensor methods on tensors; numpy is harmless on shapes and constants.",
    "MSG003": "Use MindSpore's random ops (ops.standard_normal, ops.uniform, nn.Dropout).",
    "MSG004": "Keep concurrency outside the network.",
    "MSG005": "Keep the computation in Tensor ops.",
    "MSG006": "Name it self.",
    "MSG007": "Build it in __init__ and call it in construct (the seed guide: no custom types in graph code).",
    "MSG008": "Use the name your MindSpore has (for nn.ResizeBilinear: ops.interpolate(x, size, "
              "mode='bilinear')).",
    "MSG009": "Name the axis (x.max(axis=k) for x.max(k)) for the values alike in both modes, or use ops.max(x, k) "
              "for values and indices.",
    "MSG010": "Work on a copy (y = x.copy(), or y = x * 1) and leave the input as the caller gave it.",
    "MSG011": "Use x.broadcast_to(shape) (or x.expand(Tensor(shape))).",
    "MSG012": "Assign on a line of its own first (y = x * 2), then use the name.",
}
# A user exception raised in graph code is not "a class built in graph code" as MSG007 means it.
EXCEPTION_FIX = ("Raise one of Python's standard exceptions (ValueError, TypeError, RuntimeError) in graph code, "
                 "or check before the call.")
RULES = {rule: f"{text} {FIXES[rule]}" for rule, text in DIAGNOSES.items()}
# MSG006: what GRAPH_MODE says, as measured on MindSpore 2.10 (both syntax levels).
MSG006_ERRORS = {
    "construct": "The parameters number of the function is 2, but the number of provided arguments is 1",
    "bprop": "The number of parameter of this primal function is 1, but the number of parameters of bprop is 2",
}
# MSG007's effect, as measured on MindSpore 2.10 for each kind of class.
BUILT_EFFECTS = {
    "random": "It starts from new random weights on every PYNATIVE_MODE call and from one draw at compile time in "
              "GRAPH_MODE, so the two modes compute different things, and its parameters are never trained "
              "(not in trainable_params()); built from a tensor (the seed's nn.Dense(x)) it is a TypeError in "
              "GRAPH_MODE.",
    "Cell": "Its parameters are never trained (not in trainable_params()), and any random initialisation is drawn "
            "anew on every PYNATIVE_MODE call but once at compile time in GRAPH_MODE.",
    "class": "Under the default LAX syntax GRAPH_MODE runs it through the Python fallback (outside the graph); under "
             "STRICT it fails when given a tensor ('the inputs should be constant').",
    "exception": "GRAPH_MODE rejects it at compile time under both syntax levels ('Unsupported exception type: "
                 "{name}': graph code raises only Python's standard exceptions); PYNATIVE_MODE raises it.",
}
# MSG010: writing into a construct input, as measured on MindSpore 2.7.2 to 2.10 (a Tensor input, LAX). The
# augmented write reaches the caller in GRAPH_MODE from 2.8 on; 2.7.2 works on a copy in both modes.
INPUT_WRITES = {
    "item": "PYNATIVE_MODE changes the caller's tensor (or list), GRAPH_MODE works on a copy and leaves it "
            "unchanged, so the caller sees different data after the call in the two modes.",
    "item_augmented": "on a tensor, PYNATIVE_MODE changes the caller's tensor and GRAPH_MODE leaves it unchanged; on a "
                      "list of tensors, both change what the caller's list shows (GRAPH_MODE from MindSpore 2.8; 2.7 "
                      "leaves it alone), but GRAPH_MODE writes the tensor it held in place while PYNATIVE_MODE puts a "
                      "new tensor in the list: the caller sees different data after the call.",
    "augmented": "GRAPH_MODE writes the result back into the caller's tensor (MindSpore 2.8 and later; 2.7 leaves "
                 "it unchanged), PYNATIVE_MODE rebinds the name and leaves the caller's tensor unchanged, so the "
                 "caller sees different data after the call.",
}
