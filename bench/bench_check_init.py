"""Time torch_parity.check_init on mindcv's resnet18 against a PyTorch build of the same shapes.

The PyTorch side mirrors every leaf layer of the MindSpore network (Conv2d, BatchNorm2d,
Dense) under the same attribute path, each built with PyTorch's own defaults (and the
convolutions re-initialised as torchvision's ResNet does), so
check_init pairs all 62 parameters and 40 BatchNorm buffers by name and compares
their distributions: 11.7 million values per side. The goal is under 1 s.

Usage: python bench/bench_check_init.py [--runs 5]
"""
from __future__ import annotations

import statistics
import time

from bench_both_modes import runs_from_command_line


def torch_mirror(ms_net, torch):
    """A torch.nn.Module whose leaf layers have the MindSpore cell's paths and shapes, PyTorch's defaults."""
    root = torch.nn.Module()
    for path, cell in ms_net.cells_and_names():
        kind = type(cell).__name__
        if kind == "Conv2d":
            layer = torch.nn.Conv2d(cell.in_channels, cell.out_channels, cell.kernel_size, cell.stride,
                                    bias=cell.has_bias)
            # torchvision's ResNet re-initialises its convolutions so, as mindcv's does.
            torch.nn.init.kaiming_normal_(layer.weight, mode="fan_out", nonlinearity="relu")
        elif kind == "BatchNorm2d":
            layer = torch.nn.BatchNorm2d(cell.num_features)
        elif kind == "Dense":
            layer = torch.nn.Linear(cell.in_channels, cell.out_channels, bias=cell.has_bias)
        else:
            continue
        owner = root
        *parents, leaf = path.split(".")
        for name in parents:
            if not hasattr(owner, name):
                owner.add_module(name, torch.nn.Module())
            owner = getattr(owner, name)
        owner.add_module(leaf, layer)
    return root


def main() -> None:
    runs = runs_from_command_line(__doc__)
    import mindcv
    import torch

    from pytest_msgraph.porting.init_parity import check_init

    ms_net = mindcv.create_model("resnet18", num_classes=1000)
    torch_net = torch_mirror(ms_net, torch)
    seconds = []
    for _ in range(runs):
        start = time.perf_counter()
        result = check_init(ms_net, torch_net)
        seconds.append(time.perf_counter() - start)
    values = sum(entry["ms_stats"] is not None for entry in result.compared)
    print(f"check_init on resnet18: {len(result.compared)} pairs compared ({values} tensors), "
          f"{len(result.problems)} unpaired, {len(result.mismatches)} differing")
    for entry in result.mismatches[:5]:
        print(f"  {entry['ms']}: {entry['why']}")
    print(f"  median of {runs} runs: {statistics.median(seconds):.3f} s (goal: under 1 s)")


if __name__ == "__main__":
    main()
