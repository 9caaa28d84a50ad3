"""Reference parameter counts and state-dict names for the CIFAR-sized ShuffleNetV2 and DenseNet-BC models.

Builds torchvision's own models and adapts them to 32x32 inputs exactly as Sources/NN/Models/ does:
ShuffleNetV2: stem conv at stride 1, max-pool removed (same parameters); DenseNet: torchvision's 7x7 conv0 +
norm0/relu0/pool0 replaced by a bias-free 3x3 conv (the DenseNet paper's CIFAR stem). Prints, per config,
the parameter count, the first/last names and the logits shape for a [2, 3, 32, 32] input.

Needs torch and torchvision (pip install torch torchvision --index-url https://download.pytorch.org/whl/cpu).
Usage: python3 scripts/golden/cifar_architectures_reference.py
"""
import torch
import torch.nn as nn
import torchvision.models as M


def shufflenet(width, classes=10):
    f = {0.5: M.shufflenet_v2_x0_5, 1.0: M.shufflenet_v2_x1_0, 1.5: M.shufflenet_v2_x1_5, 2.0: M.shufflenet_v2_x2_0}[width]
    m = f(num_classes=classes)
    m.conv1[0].stride = (1, 1)
    m.maxpool = nn.Identity()
    return m


def densenet_bc(depth, k, classes=10, blocks=None):
    n = (depth - 4) // 6
    m = M.DenseNet(growth_rate=k, block_config=blocks or (n, n, n), num_init_features=2 * k, bn_size=4, num_classes=classes)
    m.features.conv0 = nn.Conv2d(3, 2 * k, kernel_size=3, stride=1, padding=1, bias=False)
    for name in ["norm0", "relu0", "pool0"]:
        setattr(m.features, name, nn.Identity())
    return m


def report(label, m):
    names = [n for n, _ in m.named_parameters()]
    count = sum(p.numel() for p in m.parameters())
    m.eval()
    with torch.no_grad():
        shape = tuple(m(torch.zeros(2, 3, 32, 32)).shape)
    print(f"{label}: {count} parameters, {len(names)} tensors, first {names[0]}, last {names[-1]}, logits {shape}")


if __name__ == "__main__":
    for w in [0.5, 1.0, 1.5, 2.0]:
        report(f"ShuffleNetV2 {w}x (10 classes)", shufflenet(w))
    report("ShuffleNetV2 1.0x (100 classes)", shufflenet(1.0, classes=100))
    report("DenseNet-BC-100-12 (10 classes)", densenet_bc(100, 12))
    report("DenseNet-BC-40-12 (10 classes)", densenet_bc(40, 12))
    report("DenseNet-BC-190-40 (10 classes)", densenet_bc(190, 40))
    report("DenseNet-BC-100-12 (100 classes)", densenet_bc(100, 12, classes=100))

    # Fixture for Tests/NNTests/ArchitectureTests.swift: ordered parameter names and shapes, and the BN buffers
    # (running_mean, running_var, num_batches_tracked) of two small configurations.
    import json, os, sys
    if "--fixture" in sys.argv:
        out = {}
        for label, m in [("shufflenetv2-0.5", shufflenet(0.5)), ("densenet-40-12", densenet_bc(40, 12))]:
            out[label] = {
                "parameters": [[n, list(p.shape)] for n, p in m.named_parameters()],
                "buffers": [n for n, _ in m.named_buffers()],
            }
        path = os.path.join(os.path.dirname(__file__), "../../Tests/NNTests/Fixtures/cifar_architectures_state_dict.json")
        with open(path, "w") as f:
            json.dump(out, f, separators=(",", ":"))
        print("wrote", os.path.normpath(path))
