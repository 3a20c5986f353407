#!/usr/bin/env python3
"""Trains the small per-device sensor anomaly model of the jrnn-flink example job (flink/): LSTM(3 -> 128) ->
Linear 32 + ReLU -> Linear 1 + sigmoid at every step, i.e. the probability that the device's current reading is
part of an anomaly given everything it sent so far. Exported with jrnn_torch.export_model to
flink/src/main/resources/io/jrnn/flink/example/sensor-anomaly.safetensors (format jrnn.model.v1).

The data is the synthetic process io.jrnn.flink.example.SensorReadings generates in the job, written out here the
same way (one integer hash per draw, so the two agree to float rounding): each device has its own frequency, phase
and level; three channels (a temperature-like sine, a vibration-like cosine, a pressure-like level, each noisy); in
blocks of 16 steps, 8% of the blocks hold an anomaly of 3 to 6 steps of one of three kinds (a temperature jump, an
amplified inverted vibration, a pressure burst).

    PYTHONPATH=python /usr/bin/python3 python/train_sensor_anomaly.py [--steps N] [--out FILE]

Seeded and single-threaded (about a minute on one core); prints the held-out accuracy and the mean score on
anomalous and normal steps.
"""

import argparse
import math
import os
import sys

import torch
from torch import nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from jrnn_torch.sequence import export_model  # noqa: E402

MASK = (1 << 64) - 1
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "flink", "src", "main", "resources", "io", "jrnn",
                   "flink", "example", "sensor-anomaly.safetensors")
BLOCK, P_ANOMALY = 16, 0.08


def mix(z):
    """splitmix64's finalizer (the same as SensorReadings.mix)."""
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9 & MASK
    z = (z ^ (z >> 27)) * 0x94D049BB133111EB & MASK
    return z ^ (z >> 31)


def u(device, t, salt):
    """A uniform draw in [0, 1) fixed by (device, t, salt)."""
    z = mix((device * 0x9E3779B97F4A7C15 + t * 0xD1B54A32D192ED03 + salt * 0x8CB92BA72F3D8DD7) & MASK)
    return (z >> 11) / float(1 << 53)


def reading(device, t):
    """(features[3], label) of device at step t: the process SensorReadings.reading implements."""
    freq = 0.02 + 0.08 * u(device, 0, 1)
    phase = 2 * math.pi * u(device, 0, 2)
    level = 2 * u(device, 0, 3) - 1
    a = 2 * math.pi * freq * t + phase
    x0 = math.sin(a) + 0.2 * (u(device, t, 11) - 0.5)
    x1 = 0.5 * math.cos(a) + 0.2 * (u(device, t, 12) - 0.5)
    x2 = level + 0.1 * (u(device, t, 13) - 0.5)
    block = t // BLOCK
    label = 0
    if u(device, block, 4) < P_ANOMALY:
        start = 4 + int(u(device, block, 5) * 6)
        length = 3 + int(u(device, block, 6) * 4)
        if start <= t % BLOCK < start + length:
            label = 1
            kind = int(u(device, block, 7) * 3)
            if kind == 0:
                x0 += 1.5
            elif kind == 1:
                x1 *= -3.0
            else:
                x2 += 4.0 * (u(device, t, 14) - 0.5)
    return (x0, x1, x2), label


def batch(devices, t0, T):
    """x[T, B, 3], y[T, B]: the readings of these devices at steps t0 .. t0+T-1."""
    x = torch.empty(T, len(devices), 3)
    y = torch.empty(T, len(devices))
    for b, d in enumerate(devices):
        for t in range(T):
            f, label = reading(d, t0 + t)
            x[t, b] = torch.tensor(f)
            y[t, b] = label
    return x, y


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.rnn = nn.LSTM(3, 128)
        self.l1 = nn.Linear(128, 32)
        self.l2 = nn.Linear(32, 1)

    def forward(self, x):
        y, _ = self.rnn(x)
        return torch.sigmoid(self.l2(torch.relu(self.l1(y)))).squeeze(-1)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--steps", type=int, default=600)
    ap.add_argument("--out", default=OUT)
    args = ap.parse_args()
    torch.manual_seed(7)
    torch.set_num_threads(1)
    net = Net()
    opt = torch.optim.Adam(net.parameters(), lr=3e-3)
    loss_fn = nn.BCELoss()
    g = torch.Generator().manual_seed(11)
    # a pool of training sequences made once (devices 0..3999; the job scores any device id)
    pool_x, pool_y = batch(list(range(4000)), 0, 64)
    for step in range(args.steps):
        idx = torch.randint(0, pool_x.shape[1], (64,), generator=g)
        x, y = pool_x[:, idx], pool_y[:, idx]
        opt.zero_grad()
        loss = loss_fn(net(x), y)
        loss.backward()
        opt.step()
        if step % 100 == 0:
            print(f"step {step} loss {loss.item():.4f}", flush=True)
    with torch.no_grad():  # held out: other devices, later steps
        x, y = batch(list(range(100000, 100500)), 1000, 64)
        p = net(x)
        acc = ((p > 0.5).float() == y).float().mean().item()
        print(f"held-out accuracy {acc:.4f}; mean score on anomalous steps {p[y == 1].mean().item():.3f}, "
              f"on normal steps {p[y == 0].mean().item():.3f} ({int(y.sum().item())} anomalous of {y.numel()})")
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    export_model(args.out, net.rnn, heads=[(net.l1, "relu"), (net.l2, "sigmoid")], readout="all_steps",
                 labels=["anomaly"])
    print("wrote", os.path.abspath(args.out))


if __name__ == "__main__":
    main()
