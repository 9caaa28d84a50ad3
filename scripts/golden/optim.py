"""Golden trajectories for the Optim target (run by hand: python3 scripts/golden/optim.py).

Two parameters (a [3, 4] weight and a [4] bias) start from fixed values and receive a fixed
sequence of 5 gradients, with a different learning rate at every step. For each optimiser
configuration we run torch.optim (single-tensor CPU code path, foreach=False) and record the
parameters after every step. Writes Tests/OptimTests/Fixtures/optim.json.

All hyperparameters and learning rates are rounded to float32 before torch sees them, because the
Swift optimisers take Float hyperparameters: both sides then run the same algorithm on the same
numbers, and the test measures only rounding-order differences (see OptimGoldenTests.swift).

Also records torch.nn.utils.clip_grad_norm_ on the step-0 gradients (clipping and not clipping).
"""
import json
import os

import torch

from common import tensor_entry

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "Tests", "OptimTests", "Fixtures")
STEPS = 5


def f32(x: float) -> float:
    return torch.tensor(x, dtype=torch.float32).item()


CASES = {
    # name: (kind, hyperparameters)
    "sgd_plain_wd": ("sgd", dict(momentum=0.0, dampening=0.0, nesterov=0.0, weight_decay=5e-4)),
    "sgd_momentum": ("sgd", dict(momentum=0.9, dampening=0.0, nesterov=0.0, weight_decay=5e-4)),
    "sgd_nesterov": ("sgd", dict(momentum=0.9, dampening=0.0, nesterov=1.0, weight_decay=5e-4)),
    "sgd_dampening": ("sgd", dict(momentum=0.9, dampening=0.1, nesterov=0.0, weight_decay=5e-4)),
    "adam_beta1_0": ("adam", dict(beta1=0.0, beta2=0.999, eps=1e-8, weight_decay=0.0)),
    "adam": ("adam", dict(beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=0.0)),
    "adam_l2": ("adam", dict(beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=1e-2)),
    "adamw": ("adamw", dict(beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=1e-2)),
}


def make_optimizer(kind, h, params):
    h = {k: f32(v) for k, v in h.items()}
    if kind == "sgd":
        return torch.optim.SGD(params, lr=0.1, momentum=h["momentum"], dampening=h["dampening"],
                               nesterov=bool(h["nesterov"]), weight_decay=h["weight_decay"], foreach=False)
    cls = torch.optim.Adam if kind == "adam" else torch.optim.AdamW
    return cls(params, lr=0.1, betas=(h["beta1"], h["beta2"]), eps=h["eps"],
               weight_decay=h["weight_decay"], foreach=False)


def main():
    g = torch.Generator().manual_seed(20240611)
    w0 = torch.randn(3, 4, generator=g, dtype=torch.float32)
    b0 = torch.randn(4, generator=g, dtype=torch.float32) * 0.5
    # Gradients of varying scale per step (one step much smaller, one larger).
    scales = torch.tensor([1.0, 0.5, 2.0, 0.01, 1.5])
    gw = torch.randn(STEPS, 3, 4, generator=g) * scales.view(-1, 1, 1)
    gb = torch.randn(STEPS, 4, generator=g) * scales.view(-1, 1)
    lrs = torch.tensor([f32(x) for x in [0.1, 0.05, 0.2, 0.01, 0.3]], dtype=torch.float32)

    tensors = {"w0": w0, "b0": b0, "grad_w": gw, "grad_b": gb, "lrs": lrs}
    config = {}
    for name, (kind, h) in CASES.items():
        for k, v in h.items():
            config[f"{name}.{k}"] = f32(v)
        w = torch.nn.Parameter(w0.clone())
        b = torch.nn.Parameter(b0.clone())
        opt = make_optimizer(kind, h, [w, b])
        ws, bs = [], []
        for t in range(STEPS):
            for group in opt.param_groups:
                group["lr"] = lrs[t].item()
            w.grad = gw[t].clone()
            b.grad = gb[t].clone()
            opt.step()
            ws.append(w.detach().clone())
            bs.append(b.detach().clone())
        tensors[f"{name}.w"] = torch.stack(ws)
        tensors[f"{name}.b"] = torch.stack(bs)

    # clip_grad_norm_ on the first gradients: once clipping (max 1.0), once not (max 100).
    for tag, max_norm in [("clip", 1.0), ("noclip", 100.0)]:
        w = torch.nn.Parameter(w0.clone())
        b = torch.nn.Parameter(b0.clone())
        w.grad = gw[0].clone()
        b.grad = gb[0].clone()
        norm = torch.nn.utils.clip_grad_norm_([w, b], max_norm, foreach=False)
        config[f"{tag}.max_norm"] = max_norm
        tensors[f"{tag}.norm"] = norm.reshape(1)
        tensors[f"{tag}.grad_w"] = w.grad
        tensors[f"{tag}.grad_b"] = b.grad

    os.makedirs(OUT, exist_ok=True)
    obj = {"config": config}
    obj.update({k: tensor_entry(v) for k, v in tensors.items()})
    path = os.path.join(OUT, "optim.json")
    with open(path, "w") as f:
        json.dump(obj, f, separators=(",", ":"))
    print("wrote", os.path.normpath(path))


if __name__ == "__main__":
    main()
