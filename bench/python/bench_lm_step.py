#!/usr/bin/env python3
"""The PyTorch side of LmStepBench: one step of a character-level language model (Embedding 65x32 -> LSTM 128 ->
Linear 128->65 -> softmax, batch 1), as a user writes the loop, on the weights jrnn loads.

    PYTHONPATH=python /usr/bin/python3 bench/python/bench_lm_step.py --make target/bench/lm.safetensors
    LD_PRELOAD=target/openblas/org/bytedeco/openblas/linux-x86_64/libopenblas.so.0 \
      PYTHONPATH=python /usr/bin/python3 bench/python/bench_lm_step.py --model target/bench/lm.safetensors

--make writes the model (seeded) with jrnn_torch.export_model. Timing: 1 thread (torch and OpenBLAS), medians of
rounds of 1000 steps each, microseconds per step. Preloading bytedeco's OpenBLAS (the BLAS jrnn uses) matters:
Debian's PyTorch otherwise calls the reference libblas.so.3 (see bench_torch.py).
"""

import argparse
import ctypes
import os
import statistics
import sys
import time

import torch
from torch import nn

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "python"))
from jrnn_torch.sequence import export_model, load_model  # noqa: E402

V, E, H = 65, 32, 128


def make(path):
    g = torch.Generator().manual_seed(11)
    emb, rnn, fc = nn.Embedding(V, E), nn.LSTM(E, H), nn.Linear(H, V)
    with torch.no_grad():
        for m in (emb, rnn, fc):
            for p in m.parameters():
                p.copy_(torch.empty_like(p).uniform_(-0.3, 0.3, generator=g))
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    export_model(path, rnn, embedding=emb, heads=[fc], readout="all_steps", output="softmax")


def bench(path, rounds, steps):
    torch.set_num_threads(1)
    torch.set_num_interop_threads(1)
    for name in ("openblas_set_num_threads", "goto_set_num_threads"):
        try:
            getattr(ctypes.CDLL(None), name)(1)
            break
        except AttributeError:
            pass
    m = load_model(path)
    emb, rnn, fc = m.embedding, m.rnn, m.head[0]
    ids = torch.randint(0, V, (steps,), generator=torch.Generator().manual_seed(3))
    times = []
    with torch.no_grad():
        for r in range(rounds + 3):  # 3 warm-up rounds
            state = None
            t0 = time.perf_counter()
            for i in range(steps):
                x = emb(ids[i:i + 1]).unsqueeze(0)           # [1,1,E]
                out, state = rnn(x, state)
                p = torch.softmax(fc(out[0]), dim=-1)        # [1,V]
            dt = (time.perf_counter() - t0) / steps * 1e6
            if r >= 3:
                times.append(dt)
    print(f"pytorch {torch.__version__} lm step b1 1 thread: median {statistics.median(times):.2f} us/step "
          f"(rounds {rounds} x {steps} steps; min {min(times):.2f}, max {max(times):.2f}); "
          f"LD_PRELOAD={os.environ.get('LD_PRELOAD', '')}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--make")
    ap.add_argument("--model")
    ap.add_argument("--rounds", type=int, default=15)
    ap.add_argument("--steps", type=int, default=1000)
    a = ap.parse_args()
    if a.make:
        make(a.make)
    if a.model:
        bench(a.model, a.rounds, a.steps)


if __name__ == "__main__":
    main()
