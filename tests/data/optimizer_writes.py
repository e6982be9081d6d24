"""Does any of MindSpore's own optimizers write into the gradients it is given? (tests/test_input_mutation.py)

Run as ``python optimizer_writes.py GRAPH_MODE|PYNATIVE_MODE``; prints JSON: the optimizers
checked, those whose call changed a gradient's values, and those that could not be built
or run here (with why). input_mutation does not fingerprint these optimizers' inputs: a
read of the gradients there would wait for the backward before the optimizer's ops could
be queued.
"""
import inspect
import json
import sys

import numpy as np
import mindspore as ms
from mindspore import nn

ms.set_seed(0)
np.random.seed(0)
mode = {"GRAPH_MODE": ms.GRAPH_MODE, "PYNATIVE_MODE": ms.PYNATIVE_MODE}[sys.argv[1]]
ms.set_context(mode=mode)
ARGS = {"Momentum": dict(momentum=0.9), "AdaFactor": dict(relative_step=False, scale_parameter=False, warmup_init=False)}


def build(name, cls, params):
    if name in ("LARS", "OptTFTWrapper"):  # wrappers of another optimizer
        return cls(nn.SGD(params, learning_rate=0.01))
    return cls(params, learning_rate=0.01, **ARGS.get(name, {}))
result = {"checked": [], "written": [], "not_built": {}}
for name in sorted(dir(nn)):
    cls = getattr(nn, name)
    if not (inspect.isclass(cls) and issubclass(cls, nn.Optimizer) and cls is not nn.Optimizer):
        continue
    if not cls.construct.__module__.startswith("mindspore."):
        continue
    net = nn.Dense(4, 3)
    loss_fn = nn.MSELoss()
    x = ms.Tensor(np.random.randn(8, 4).astype(np.float32))
    y = ms.Tensor(np.random.randn(8, 3).astype(np.float32))
    try:
        opt = build(name, cls, net.trainable_params())

        def forward(a, b):
            return loss_fn(net(a), b)

        grad_fn = ms.value_and_grad(forward, None, opt.parameters)
        _, grads = grad_fn(x, y)
        before = [g.asnumpy().copy() for g in grads]
        opt(grads)
        after = [g.asnumpy() for g in grads]
    except Exception as exc:
        result["not_built"][name] = f"{type(exc).__name__}: {str(exc).splitlines()[0][:100]}"
        continue
    result["checked"].append(name)
    if any(not np.array_equal(b, a) for b, a in zip(before, after)):
        result["written"].append(name)
print(json.dumps(result))
