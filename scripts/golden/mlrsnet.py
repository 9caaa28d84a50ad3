"""Golden values for the MLR-SNet meta-learner (Sources/LearnedSchedule/MLRSNetCell.swift) from PyTorch.

Builds the reference code's meta-learner as a PyTorch module with its state-dict keys
(layer1.fc_i2h.0.weight [P,1], layer1.fc_i2h.2.weight [4H,P], layer1.fc_h2h.0.weight [P,H],
layer1.fc_h2h.2.weight [4H,P], their biases, layer3.weight [1,H], layer3.bias [1]), H = 50, P = H // 2 = 25,
with seeded weights (PyTorch's default init, then every weight and bias scaled by 2 so that the gates work
away from their linear range and the ReLU units switch on and off as the loss changes).

For both gate layouts of the reference code,
  meta-test:  z = i2h(L) + h2h(h), chunks (i, f, g, o), c' = σ(f)c + σ(i)tanh(g), h' = σ(o)tanh(c')
  meta-train: chunks (i, f, o, g), forget gate σ(z_f − 1)
and p = σ(layer3·h' + b), it runs a sequence of T = 20 losses from the zero state and records p_t, h_t, c_t, and
∂p/∂θ at step GRAD_STEP (with the incoming state detached: a constant, as in MLR-SNet).

Weights are drawn in float32 and saved as they are; everything else is computed in float64 from those float32
values, so the fixture holds the exact answer (up to the final float32 rounding, ~6e-8 relative) and the Swift
test measures only its own float32 arithmetic.

Writes into Tests/LearnedScheduleTests/Fixtures/:
  mlrsnet_reference_h50.safetensors  the weights, ONLY the reference keys, NO metadata: what
                                     scripts/convert_reference_checkpoint.py makes of a reference .pth
  mlrsnet_golden.safetensors         losses [T]; <layout>.p [T], <layout>.h [T,H], <layout>.c [T,H],
                                     <layout>.grad.<key> (same shape as the parameter); metadata: grad_step,
                                     hidden_size, weights_content_sha256 (the artifact content hash of the
                                     weights, computed here independently of the Swift code)

Run: python3 scripts/golden/mlrsnet.py   (torch + safetensors; not run in CI)
"""
import hashlib
import os
import struct

import torch
from safetensors.torch import save_file

H = 50
P = H // 2
T = 20
GRAD_STEP = 12
FIXTURES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "Tests", "LearnedScheduleTests", "Fixtures")


class Layer1(torch.nn.Module):
    """The reference's recurrent cell: two ReLU branches summed into the 4H gate pre-activations."""

    def __init__(self):
        super().__init__()
        self.fc_i2h = torch.nn.Sequential(torch.nn.Linear(1, P), torch.nn.ReLU(), torch.nn.Linear(P, 4 * H))
        self.fc_h2h = torch.nn.Sequential(torch.nn.Linear(H, P), torch.nn.ReLU(), torch.nn.Linear(P, 4 * H))

    def forward(self, loss, h, c, layout):
        z = self.fc_i2h(loss) + self.fc_h2h(h)
        if layout == "meta-test":
            zi, zf, zg, zo = z.split(H, dim=1)
            shift = 0.0
        else:
            zi, zf, zo, zg = z.split(H, dim=1)
            shift = -1.0
        c_new = torch.sigmoid(zf + shift) * c + torch.sigmoid(zi) * torch.tanh(zg)
        h_new = torch.sigmoid(zo) * torch.tanh(c_new)
        return h_new, c_new


class MetaLearner(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.layer1 = Layer1()
        self.layer3 = torch.nn.Linear(H, 1)

    def forward(self, loss, h, c, layout):
        h_new, c_new = self.layer1(loss, h, c, layout)
        return torch.sigmoid(self.layer3(h_new)), h_new, c_new


def content_sha256(tensors):
    """The artifact content hash as documented in MLRSNetArtifact.contentSHA256."""
    digest = hashlib.sha256()
    for name in sorted(tensors, key=lambda n: n.encode()):
        t = tensors[name].detach().to(torch.float32).contiguous()
        shape = list(t.shape)
        digest.update(name.encode() + b"\0" + struct.pack("<Q", len(shape)) + struct.pack(f"<{len(shape)}Q", *shape))
        digest.update(t.numpy().astype("<f4").tobytes())
    return digest.hexdigest()


def main():
    torch.manual_seed(20240611)
    net32 = MetaLearner()
    with torch.no_grad():
        for p in net32.parameters():
            p.mul_(2.0)
    weights = {k: v.detach().clone().contiguous() for k, v in net32.state_dict().items()}

    net = MetaLearner().double()
    net.load_state_dict({k: v.double() for k, v in weights.items()})

    # A loss curve that falls from ≈2.4 to ≈0.3 with some noise (float32 values, so Swift feeds the same numbers).
    t = torch.arange(T, dtype=torch.float64)
    losses = (2.1 * torch.exp(-t / 6) + 0.25 + 0.15 * torch.sin(1.7 * t)).to(torch.float32)

    golden = {"losses": losses}
    for layout in ("meta-test", "meta-train"):
        h = torch.zeros(1, H, dtype=torch.float64)
        c = torch.zeros(1, H, dtype=torch.float64)
        ps, hs, cs = [], [], []
        for step in range(T):
            x = losses[step].double().view(1, 1)
            h_in, c_in = h.detach(), c.detach()
            if step == GRAD_STEP:
                net.zero_grad()
                p, h, c = net(x, h_in, c_in, layout)
                p.sum().backward()
                for name, param in net.named_parameters():
                    golden[f"{layout}.grad.{name}"] = param.grad.detach().clone()
            else:
                with torch.no_grad():
                    p, h, c = net(x, h_in, c_in, layout)
            ps.append(p.detach().reshape(()))
            hs.append(h.detach().reshape(H))
            cs.append(c.detach().reshape(H))
        golden[f"{layout}.p"] = torch.stack(ps)
        golden[f"{layout}.h"] = torch.stack(hs)
        golden[f"{layout}.c"] = torch.stack(cs)
        print(layout, "p_t:", " ".join(f"{float(v):.5f}" for v in golden[f"{layout}.p"]))

    os.makedirs(FIXTURES, exist_ok=True)
    weights_path = os.path.join(FIXTURES, "mlrsnet_reference_h50.safetensors")
    save_file(weights, weights_path)  # no metadata: a converted reference checkpoint
    golden_path = os.path.join(FIXTURES, "mlrsnet_golden.safetensors")
    save_file({k: v.to(torch.float32).contiguous() for k, v in golden.items()}, golden_path,
              metadata={"grad_step": str(GRAD_STEP), "hidden_size": str(H),
                        "weights_content_sha256": content_sha256(weights)})
    print("wrote", os.path.normpath(weights_path))
    print("wrote", os.path.normpath(golden_path))


if __name__ == "__main__":
    main()
