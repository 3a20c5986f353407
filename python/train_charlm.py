#!/usr/bin/env python3
"""Trains the character-level language model that `jrnn-cli generate` ships: the course notes' first network, an
LSTM with the output layer o = c + V h, y = softmax(o) (Embedding 32 -> LSTM 160 -> Linear -> softmax), exported
with jrnn_torch.export_model to java/io/jrnn/cli/charlm.safetensors (format jrnn.model.v1).

The text: perldiag.pod, the explanations of Perl's diagnostics, as Debian's perl-modules-5.36 package ships it at
/usr/share/perl/5.36.0/pod/perldiag.pod. Perl's documentation is licensed "GPL-1+ or Artistic" (Debian's
copyright file for perl), which allows modified and derived works; the model is trained on it and ships none of
its text. POD command lines (=item, =head2, ...) are kept: the model learns them too.

    LD_PRELOAD=target/openblas/org/bytedeco/openblas/linux-x86_64/libopenblas.so.0 OPENBLAS_NUM_THREADS=1 \
      PYTHONPATH=python /usr/bin/python3 python/train_charlm.py [--text FILE] [--steps N] [--out FILE]

Seeded and single-threaded: about 2.5 minutes on one core with OpenBLAS preloaded (held-out loss 1.44 nats per character) (Debian's PyTorch otherwise calls
the reference libblas.so.3, many times slower); prints the held-out loss.
"""

import argparse
import math
import os
import sys
import time

import torch
from torch import nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from jrnn_torch.sequence import export_model  # noqa: E402

TEXT = "/usr/share/perl/5.36.0/pod/perldiag.pod"
E, H, SEQ, BATCH = 32, 160, 96, 32


class CharLM(nn.Module):
    def __init__(self, vocab):
        super().__init__()
        self.emb = nn.Embedding(vocab, E)
        self.lstm = nn.LSTM(E, H)
        self.out = nn.Linear(H, vocab)   # o = c + V h

    def forward(self, x):                # x[T,B] -> logits [T,B,V]
        return self.out(self.lstm(self.emb(x))[0])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--text", default=TEXT)
    ap.add_argument("--steps", type=int, default=3000)
    ap.add_argument("--out", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "java", "io",
                                                  "jrnn", "cli", "charlm.safetensors"))
    a = ap.parse_args()
    torch.manual_seed(1234)
    torch.set_num_threads(1)
    with open(a.text, encoding="utf-8") as f:
        text = f.read()
    chars = sorted(set(text))
    index = {c: i for i, c in enumerate(chars)}
    data = torch.tensor([index[c] for c in text], dtype=torch.long)
    split = int(len(data) * 0.95)
    train, held = data[:split], data[split:]
    model = CharLM(len(chars))
    opt = torch.optim.Adam(model.parameters(), lr=4e-3)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, a.steps)
    loss_fn = nn.CrossEntropyLoss()
    g = torch.Generator().manual_seed(99)
    t0 = time.time()
    for step in range(a.steps):
        starts = torch.randint(0, len(train) - SEQ - 1, (BATCH,), generator=g)
        x = torch.stack([train[s:s + SEQ] for s in starts], dim=1)          # [T,B]
        y = torch.stack([train[s + 1:s + SEQ + 1] for s in starts], dim=1)
        loss = loss_fn(model(x).reshape(-1, len(chars)), y.reshape(-1))
        opt.zero_grad()
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        sched.step()
        if step % 250 == 0:
            print(f"step {step} loss {loss.item():.3f} ({time.time() - t0:.0f} s)", flush=True)
    model.eval()
    with torch.no_grad():
        x = held[:-1].unsqueeze(1)
        held_loss = loss_fn(model(x).reshape(-1, len(chars)), held[1:]).item()
    print(f"held-out loss {held_loss:.3f} nats/char ({held_loss / math.log(2):.2f} bits), vocabulary {len(chars)}, "
          f"{sum(p.numel() for p in model.parameters())} parameters, {time.time() - t0:.0f} s")
    export_model(a.out, model.lstm, embedding=model.emb, heads=[model.out], readout="all_steps", output="softmax",
                 tokens=chars)
    print("wrote", a.out)


if __name__ == "__main__":
    main()
