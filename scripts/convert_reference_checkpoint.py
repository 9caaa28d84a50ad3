"""Convert a reference MLR-SNet PyTorch checkpoint (a state dict saved with torch.save, e.g. the reference
repository's "mlr_snet 1.pth", "mlr_snet 100.pth", "mlr_snet 200.pth") to a safetensors file that the Swift
`LearnedSchedule` library loads as a converted reference checkpoint:

    let artifact = try MLRSNetArtifact.read(path, options: .referenceCheckpoint(architecture: .referenceMetaTest))

The output holds exactly the reference state-dict keys, as float32, and no metadata:
    layer1.fc_i2h.0.weight [P, 1]   layer1.fc_i2h.0.bias [P]   layer1.fc_i2h.2.weight [4H, P]  layer1.fc_i2h.2.bias [4H]
    layer1.fc_h2h.0.weight [P, H]   layer1.fc_h2h.0.bias [P]   layer1.fc_h2h.2.weight [4H, P]  layer1.fc_h2h.2.bias [4H]
    layer3.weight [1, H]            layer3.bias [1]
(the reference uses H = 50, P = H // 2 = 25). The gate layout is NOT recorded in the file: the shipped checkpoints
only make sense with the meta-test layout (chunks i, f, g, o; no forget shift), which is the Swift loader's
default; pass the layout explicitly when loading anything else.

Usage: python3 scripts/convert_reference_checkpoint.py "mlr_snet 1.pth" mlr_snet_1.safetensors
Needs torch and safetensors. Not run in CI.
"""
import argparse
import hashlib
import sys

import torch
from safetensors.torch import save_file

KEYS = [
    "layer1.fc_i2h.0.weight", "layer1.fc_i2h.0.bias", "layer1.fc_i2h.2.weight", "layer1.fc_i2h.2.bias",
    "layer1.fc_h2h.0.weight", "layer1.fc_h2h.0.bias", "layer1.fc_h2h.2.weight", "layer1.fc_h2h.2.bias",
    "layer3.weight", "layer3.bias",
]


def load_state_dict(path):
    obj = torch.load(path, map_location="cpu", weights_only=True)
    if isinstance(obj, dict) and "state_dict" in obj and isinstance(obj["state_dict"], dict):
        obj = obj["state_dict"]
    if not isinstance(obj, dict):
        sys.exit(f"{path}: expected a state dict, found {type(obj).__name__}")
    # Strip a DataParallel "module." prefix if present.
    return {(k[len("module."):] if k.startswith("module.") else k): v for k, v in obj.items()}


def check_shapes(sd):
    missing = [k for k in KEYS if k not in sd]
    if missing:
        sys.exit(f"missing keys: {missing} (found {sorted(sd)})")
    extra = sorted(k for k in sd if k not in KEYS)
    if extra:
        sys.exit(f"unexpected keys (a multi-layer MLR-SNet is not supported): {extra}")
    out_w = sd["layer3.weight"]
    if out_w.dim() != 2 or out_w.shape[0] != 1:
        sys.exit(f"layer3.weight has shape {list(out_w.shape)}, expected [1, H]")
    h = out_w.shape[1]
    p = sd["layer1.fc_i2h.0.weight"].shape[0]
    expected = {
        "layer1.fc_i2h.0.weight": [p, 1], "layer1.fc_i2h.0.bias": [p],
        "layer1.fc_i2h.2.weight": [4 * h, p], "layer1.fc_i2h.2.bias": [4 * h],
        "layer1.fc_h2h.0.weight": [p, h], "layer1.fc_h2h.0.bias": [p],
        "layer1.fc_h2h.2.weight": [4 * h, p], "layer1.fc_h2h.2.bias": [4 * h],
        "layer3.weight": [1, h], "layer3.bias": [1],
    }
    for k, shape in expected.items():
        if list(sd[k].shape) != shape:
            sys.exit(f"{k} has shape {list(sd[k].shape)}, expected {shape} (H = {h}, P = {p})")
        if not torch.isfinite(sd[k]).all():
            sys.exit(f"{k} has non-finite values")
    return h, p


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("input", help="reference .pth state dict")
    ap.add_argument("output", help="output .safetensors")
    args = ap.parse_args()

    sd = load_state_dict(args.input)
    h, p = check_shapes(sd)
    tensors = {k: sd[k].detach().to(torch.float32).contiguous() for k in KEYS}
    save_file(tensors, args.output)  # no metadata: the Swift loader needs explicit options for this file
    with open(args.output, "rb") as f:
        digest = hashlib.sha256(f.read()).hexdigest()
    with torch.no_grad():
        b = float(tensors["layer3.bias"][0])
    print(f"wrote {args.output}: H = {h}, P = {p}, layer3.bias = {b:.4f}, file sha256 {digest}")


if __name__ == "__main__":
    main()
