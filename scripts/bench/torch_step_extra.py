"""PyTorch step-time anchors for models that ../shared/bench/pytorch/bench_step.py does not cover.

Models:
  wrn16_4   Wide-ResNet 16-4 (CIFAR), batch 128, 3x32x32, ~2.75M params; pre-activation blocks
            exactly like the Swift `WideResNet` (Sources/NN/Models/WideResNet.swift):
              a = relu(bn1(x)); h = conv1(a) (3x3, stride); y = conv2(relu(bn2(h))) (3x3)
              y += shortcut(a)  (1x1 strided conv, no BN)  when the shape changes, else  y += x
            stem conv3x3(3->16), three stages of (16-4)/6 = 2 blocks with 64/128/256 channels
            (strides 1, 2, 2), then BN-ReLU, global average pool, linear 256->10.
  mobilenetv2  torchvision's MobileNetV2 (width 1, ~2.24M params, no dropout) with the stem and the
            second stage at stride 1 for 32x32 inputs, exactly like Sources/NN/Models/MobileNetV2.swift.

The measurement is bench_step.py's own `image_bench` (SGD lr 0.01, momentum 0.9, weight decay 5e-4,
fixed random batch, train mode, warm-up then median; forward-only under no_grad), run through
common.measure_quietly, so the numbers are comparable with bench_step.py's.

With --infer it measures eval-mode inference instead (model.eval() + torch.no_grad(), batch 128, one
warm-up, median of max(3, reps) forwards) for any image model: smallcnn, resnet20, resnet18_cifar
(common.py's, as bench_step.py builds them), wrn16_4, mobilenetv2; result key "infer_eval".

Run:  python3 scripts/bench/torch_step_extra.py [--models wrn16_4] [--threads 2] [--reps 5]
      [--pytorch-dir ../shared/bench/pytorch] [--infer]
Output: results_step_extra.json (results_infer.json with --infer) in $ANCHOR_OUT (else next to
common.py when writable, else cwd).
"""

import argparse
import os
import sys


def find_pytorch_dir(explicit):
    here = os.path.dirname(os.path.abspath(__file__))
    candidates = [explicit] if explicit else [
        os.path.join(os.getcwd(), "..", "shared", "bench", "pytorch"),
        os.path.join(os.getcwd(), "shared", "bench", "pytorch"),
        os.path.join(here, "..", "..", "..", "shared", "bench", "pytorch"),
        os.path.join(here, "..", "..", "shared", "bench", "pytorch"),
    ]
    for c in candidates:
        if c and os.path.isfile(os.path.join(c, "common.py")):
            return os.path.abspath(c)
    sys.exit("torch_step_extra.py: cannot find common.py of the PyTorch anchors; looked in:\n  "
             + "\n  ".join(os.path.abspath(c) for c in candidates if c)
             + "\npass --pytorch-dir DIR")


ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
ap.add_argument("--models", default="wrn16_4", help="comma list; known: wrn16_4, mobilenetv2")
ap.add_argument("--threads", type=int, default=2)
ap.add_argument("--reps", type=int, default=5, help="timed steps (forward-only uses max(3, reps // 2))")
ap.add_argument("--warmup", type=int, default=2)
ap.add_argument("--pytorch-dir", default=None, help="directory holding common.py and bench_step.py")
ap.add_argument("--infer", action="store_true", help="measure eval-mode inference (eval + no_grad) instead")
args = ap.parse_args()
sys.path.insert(0, find_pytorch_dir(args.pytorch_dir))

import torch  # noqa: E402
import torch.nn as nn  # noqa: E402
import torch.nn.functional as F  # noqa: E402

from bench_step import image_bench  # noqa: E402  (same timing code as the other anchors)
from common import (SmallCNN, count_params, env_info, fmt_ms, measure_quietly, resnet18_cifar,  # noqa: E402
                    resnet20, save_json, setup_torch, time_fn)


class WideBasicBlock(nn.Module):
    """Pre-activation wide block; the 1x1 shortcut reads relu(bn1(x)) when the shape changes."""

    def __init__(self, c_in: int, c_out: int, stride: int):
        super().__init__()
        self.bn1 = nn.BatchNorm2d(c_in)
        self.conv1 = nn.Conv2d(c_in, c_out, 3, stride, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(c_out)
        self.conv2 = nn.Conv2d(c_out, c_out, 3, 1, 1, bias=False)
        self.shortcut = None
        if stride != 1 or c_in != c_out:
            self.shortcut = nn.Conv2d(c_in, c_out, 1, stride, 0, bias=False)

    def forward(self, x):
        a = F.relu(self.bn1(x))
        y = self.conv2(F.relu(self.bn2(self.conv1(a))))
        return y + (self.shortcut(a) if self.shortcut is not None else x)


class WideResNet(nn.Module):
    """WRN-depth-k for CIFAR (no dropout): 16 / 16k / 32k / 64k channels."""

    def __init__(self, depth: int = 16, k: int = 4, num_classes: int = 10):
        super().__init__()
        assert (depth - 4) % 6 == 0, "depth must be 6n + 4"
        n = (depth - 4) // 6
        widths = [16, 16 * k, 32 * k, 64 * k]
        self.conv1 = nn.Conv2d(3, widths[0], 3, 1, 1, bias=False)
        blocks = []
        for stage in range(3):
            for j in range(n):
                c_in = widths[stage] if j == 0 else widths[stage + 1]
                stride = 2 if (j == 0 and stage > 0) else 1
                blocks.append(WideBasicBlock(c_in, widths[stage + 1], stride))
        self.blocks = nn.Sequential(*blocks)
        self.bn1 = nn.BatchNorm2d(widths[3])
        self.fc = nn.Linear(widths[3], num_classes)

    def forward(self, x):
        x = self.blocks(self.conv1(x))
        x = F.relu(self.bn1(x))
        return self.fc(torch.flatten(F.adaptive_avg_pool2d(x, 1), 1))


class InvertedResidual(nn.Module):
    """torchvision's MobileNetV2 block: [1x1 expand-BN-ReLU6] -> 3x3 depthwise(stride)-BN-ReLU6 -> 1x1-BN,
    plus the identity when stride == 1 and c_in == c_out (as Sources/NN/Models/MobileNetV2.swift)."""

    def __init__(self, c_in: int, c_out: int, stride: int, t: int):
        super().__init__()
        hidden = c_in * t
        layers = []
        if t != 1:
            layers += [nn.Conv2d(c_in, hidden, 1, bias=False), nn.BatchNorm2d(hidden), nn.ReLU6()]
        layers += [nn.Conv2d(hidden, hidden, 3, stride, 1, groups=hidden, bias=False), nn.BatchNorm2d(hidden), nn.ReLU6(),
                   nn.Conv2d(hidden, c_out, 1, bias=False), nn.BatchNorm2d(c_out)]
        self.conv = nn.Sequential(*layers)
        self.residual = stride == 1 and c_in == c_out

    def forward(self, x):
        y = self.conv(x)
        return x + y if self.residual else y


class MobileNetV2Cifar(nn.Module):
    """torchvision's MobileNetV2 (width 1, no dropout) with the stem and stage 2 at stride 1 for 32x32 inputs."""

    STAGES = [(1, 16, 1, 1), (6, 24, 2, 1), (6, 32, 3, 2), (6, 64, 4, 2), (6, 96, 3, 1), (6, 160, 3, 2), (6, 320, 1, 1)]

    def __init__(self, num_classes: int = 10):
        super().__init__()
        feats = [nn.Sequential(nn.Conv2d(3, 32, 3, 1, 1, bias=False), nn.BatchNorm2d(32), nn.ReLU6())]
        c = 32
        for t, out, n, s in self.STAGES:
            for j in range(n):
                feats.append(InvertedResidual(c, out, s if j == 0 else 1, t))
                c = out
        feats.append(nn.Sequential(nn.Conv2d(c, 1280, 1, bias=False), nn.BatchNorm2d(1280), nn.ReLU6()))
        self.features = nn.Sequential(*feats)
        self.classifier = nn.Linear(1280, num_classes)

    def forward(self, x):
        x = self.features(x)
        return self.classifier(torch.flatten(F.adaptive_avg_pool2d(x, 1), 1))


MODELS = {
    "wrn16_4": lambda: image_bench("wrn16_4", WideResNet(16, 4), (3, 32, 32), 128,
                                   args.warmup, args.reps),
    "mobilenetv2": lambda: image_bench("mobilenetv2", MobileNetV2Cifar(10), (3, 32, 32), 128,
                                       args.warmup, args.reps),
}


def infer_bench(name, model, x_shape, batch):
    """Eval-mode inference: BatchNorm uses its running statistics, no autograd graph."""
    x = torch.randn(batch, *x_shape)
    model.eval()

    def infer():
        with torch.no_grad():
            model(x)

    r = time_fn(infer, warmup=1, reps=max(3, args.reps))
    return {"name": name, "batch": batch, "input": list(x_shape), "params": count_params(model),
            "infer_eval": r}


INFER_MODELS = {
    "smallcnn": lambda: infer_bench("smallcnn", SmallCNN(), (1, 28, 28), 128),
    "resnet20": lambda: infer_bench("resnet20", resnet20(), (3, 32, 32), 128),
    "resnet18_cifar": lambda: infer_bench("resnet18_cifar", resnet18_cifar(), (3, 32, 32), 128),
    "wrn16_4": lambda: infer_bench("wrn16_4", WideResNet(16, 4), (3, 32, 32), 128),
    "mobilenetv2": lambda: infer_bench("mobilenetv2", MobileNetV2Cifar(10), (3, 32, 32), 128),
}


def main_infer():
    sel = [m for m in args.models.split(",") if m]
    unknown = [m for m in sel if m not in INFER_MODELS]
    if unknown:
        sys.exit(f"torch_step_extra.py --infer: unknown model(s) {unknown}; known: {sorted(INFER_MODELS)}")
    setup_torch(args.threads)
    env = env_info()
    results = [measure_quietly(INFER_MODELS[m]) for m in sel]
    for r in results:
        f = r["infer_eval"]
        print(f"{r['name']:18s} {r['params']:9d} eval inference {fmt_ms(f['median_s'])} "
              f"[{f['min_s'] * 1e3:.1f}-{f['max_s'] * 1e3:.1f}] other {r['foreign_cores']:.2f}")
    print("saved", save_json("results_infer.json", {"env": env, "threads": args.threads, "results": results}))


def main():
    if args.infer:
        return main_infer()
    sel = [m for m in args.models.split(",") if m]
    unknown = [m for m in sel if m not in MODELS]
    if unknown:
        sys.exit(f"torch_step_extra.py: unknown model(s) {unknown}; known: {sorted(MODELS)}")
    setup_torch(args.threads)
    env = env_info()
    results = [measure_quietly(MODELS[m]) for m in sel]
    print(f"torch {torch.__version__}, threads {torch.get_num_threads()}; median [min-max] over reps after warm-up")
    for r in results:
        s, f = r["step"], r["fwd_nograd"]
        print(f"{r['name']:18s} {r['params']:9d} {fmt_ms(s['median_s'])} "
              f"{s['min_s'] * 1e3:8.1f} {s['max_s'] * 1e3:8.1f} {f['median_s'] * 1e3:8.2f} "
              f"{r['gflop_per_step']:8.2f} other {r['foreign_cores']:.2f}")
    payload = {"env": env, "threads": args.threads, "results": results}
    print("saved", save_json("results_step_extra.json", payload))


if __name__ == "__main__":
    main()
