"""Golden values for the 2-layer LSTM (Sources/NN/Layers/LSTM.swift) from torch.nn.LSTM.

torch.nn.LSTM(input_size=5, hidden_size=4, num_layers=2), sequence-first, T=3, B=2, with a nonzero
initial state (h0, c0). Loss L = sum(out * r). Writes lstm_2layer.json with the inputs (x, h0, c0, r),
every parameter, and the reference out, h_n, c_n, dx and all weight/bias gradients.

All inputs and parameters are drawn in float32 (so Swift loads them exactly); the reference is then
computed in float64 from those values, so the fixture holds the exact answer up to ~1e-16 and the
Swift test measures only its own float32 rounding.

Run: python3 scripts/golden/lstm.py
"""
import torch

from common import write_fixture

T, B, I, H, L = 3, 2, 5, 4, 2

torch.manual_seed(20240611)
lstm = torch.nn.LSTM(input_size=I, hidden_size=H, num_layers=L)  # float32 PyTorch init, uniform ±1/sqrt(H)
x = torch.randn(T, B, I)
h0 = 0.5 * torch.randn(L, B, H)
c0 = 0.5 * torch.randn(L, B, H)
r = torch.randn(T, B, H)

ref = lstm.double()
x64 = x.double().requires_grad_(True)
out, (hn, cn) = ref(x64, (h0.double(), c0.double()))
loss = (out * r.double()).sum()
loss.backward()

tensors = {"x": x, "h0": h0, "c0": c0, "r": r}
for name, p in ref.named_parameters():
    tensors[name] = p.detach()
tensors.update({"out": out, "h_n": hn, "c_n": cn, "dx": x64.grad})
for name, p in ref.named_parameters():
    tensors["grad." + name] = p.grad

write_fixture("lstm_2layer", {"T": T, "B": B, "input_size": I, "hidden_size": H, "num_layers": L}, tensors)
