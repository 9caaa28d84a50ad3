"""Golden values for BatchNorm2d and BatchNorm1d (PyTorch reference; run by hand: python3 scripts/golden/batchnorm.py).

Writes Tests/NNTests/Fixtures/batchnorm2d.json and batchnorm1d.json. Each holds:
  x1, x2        two training batches (float32 values)
  weight, bias  gamma and beta (random, so the affine part is exercised)
  r             the upstream gradient: L = sum(y1 * r)
  y1            training-mode output for x1 (batch statistics)
  running_mean, running_var, num_batches_tracked   buffers after forwards on x1 then x2
  dx, dweight, dbias   gradients of L = sum(y1 * r) (train-mode backward through the batch statistics)
  y_eval        evaluation-mode output for x1 with the running statistics after the two forwards
The reference runs in float64 on the float32 inputs, so it is the exact answer up to float64 rounding;
the Swift test measures only our float32 error against it.
"""
import torch

from common import write_fixture


def make(name, module_cls, shape, seed):
    torch.manual_seed(seed)
    c = shape[1]
    # float32 inputs with a non-zero mean and non-unit scale per channel.
    x1 = (torch.randn(shape) * 1.7 + 0.6).float()
    x2 = (torch.randn(shape) * 0.8 - 0.3).float()
    weight = (torch.rand(c) + 0.5).float()
    bias = torch.randn(c).float()
    r = torch.randn(shape).float()

    bn = module_cls(c, eps=1e-5, momentum=0.1).double()
    with torch.no_grad():
        bn.weight.copy_(weight.double())
        bn.bias.copy_(bias.double())
    bn.train()
    xin = x1.double().requires_grad_(True)
    y1 = bn(xin)
    bn(x2.double())  # second forward: only its running-statistics update matters
    (y1 * r.double()).sum().backward()
    bn.eval()
    with torch.no_grad():
        y_eval = bn(x1.double())

    write_fixture(name, {"eps": 1e-5, "momentum": 0.1, "seed": seed}, {
        "x1": x1, "x2": x2, "weight": weight, "bias": bias, "r": r,
        "y1": y1, "running_mean": bn.running_mean, "running_var": bn.running_var,
        "num_batches_tracked": bn.num_batches_tracked.double().reshape([]),
        "dx": xin.grad, "dweight": bn.weight.grad, "dbias": bn.bias.grad,
        "y_eval": y_eval,
    })


if __name__ == "__main__":
    make("batchnorm2d", torch.nn.BatchNorm2d, [4, 3, 5, 6], seed=20)
    make("batchnorm1d", torch.nn.BatchNorm1d, [8, 5], seed=21)
