"""Helpers for the golden-fixture scripts (run by hand with PyTorch installed; not run in CI).

Each script builds a tiny PyTorch computation with fixed inputs and writes a JSON fixture into
Tests/NNTests/Fixtures/: {"config": {...}, "<name>": {"shape": [...], "data": [...]}, ...}.
The Swift tests load the same inputs and parameters, run our forward/backward, and compare.
"""
import json
import os

import torch

FIXTURES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "Tests", "NNTests", "Fixtures")


def tensor_entry(t: torch.Tensor) -> dict:
    t = t.detach().to(torch.float32).contiguous()
    return {"shape": list(t.shape), "data": [float(v) for v in t.reshape(-1).tolist()]}


def write_fixture(name: str, config: dict, tensors: dict) -> None:
    os.makedirs(FIXTURES, exist_ok=True)
    obj = {"config": config}
    obj.update({k: tensor_entry(v) for k, v in tensors.items()})
    path = os.path.join(FIXTURES, name + ".json")
    with open(path, "w") as f:
        json.dump(obj, f, separators=(",", ":"))
    print("wrote", os.path.normpath(path))
