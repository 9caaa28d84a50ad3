"""Golden fixtures for Conv2d and the pooling layers (PyTorch reference, CPU, float32).

For each case: fixed random input x, parameters, a fixed random r, the output y = f(x) and the
gradients of L = sum(y * r) with respect to the input (dx) and the parameters (dw, db).
Run from anywhere:  python3 scripts/golden/conv2d.py
"""
import os
import sys

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import write_fixture  # noqa: E402


def conv_case(name, gen, n, c_in, c_out, h, w, k, stride, padding, groups, bias):
    x = torch.randn(n, c_in, h, w, generator=gen).requires_grad_()
    weight = (torch.randn(c_out, c_in // groups, k, k, generator=gen) * 0.5).requires_grad_()
    b = (torch.randn(c_out, generator=gen) * 0.5).requires_grad_() if bias else None
    y = F.conv2d(x, weight, b, stride=stride, padding=padding, groups=groups)
    r = torch.randn(y.shape, generator=gen)
    (y * r).sum().backward()
    tensors = {"x": x, "weight": weight, "y": y, "r": r, "dx": x.grad, "dw": weight.grad}
    if bias:
        tensors.update({"bias": b, "db": b.grad})
    config = {"in_channels": c_in, "out_channels": c_out, "kernel": k, "stride": stride,
              "padding": padding, "groups": groups, "bias": int(bias)}
    write_fixture(name, config, tensors)


def pool_case(name, gen):
    # Multiples of 1/4 in [-2, 2]: plenty of ties, so first-max tie-breaking is compared too.
    x = (torch.randint(-8, 9, (2, 2, 6, 5), generator=gen).float() / 4).requires_grad_()
    tensors = {"x": x}
    ops = {
        "max": lambda t: F.max_pool2d(t, kernel_size=3, stride=2, padding=1),
        "avg": lambda t: F.avg_pool2d(t, kernel_size=3, stride=2, padding=1),   # count_include_pad=True
        "gap": lambda t: F.adaptive_avg_pool2d(t, 1).flatten(1),
    }
    for key, op in ops.items():
        x.grad = None
        y = op(x)
        r = torch.randn(y.shape, generator=gen)
        (y * r).sum().backward()
        tensors.update({f"y_{key}": y, f"r_{key}": r, f"dx_{key}": x.grad.clone()})
    write_fixture(name, {"kernel": 3, "stride": 2, "padding": 1}, tensors)


def main():
    torch.set_num_threads(1)
    gen = torch.Generator().manual_seed(20240611)
    # 3×3, padding 1, stride 2, dense, non-square input.
    conv_case("conv2d_3x3_s2", gen, n=2, c_in=2, c_out=3, h=5, w=6, k=3, stride=2, padding=1, groups=1, bias=True)
    # Depthwise: groups == in == out.
    conv_case("conv2d_depthwise", gen, n=2, c_in=3, c_out=3, h=5, w=4, k=3, stride=1, padding=1, groups=3, bias=True)
    # Grouped 1×1 without bias (the pointwise fast path).
    conv_case("conv2d_grouped_1x1", gen, n=2, c_in=4, c_out=6, h=3, w=3, k=1, stride=1, padding=0, groups=2, bias=False)
    pool_case("pool2d", gen)


if __name__ == "__main__":
    main()
