#!/usr/bin/env python3
"""Trains the sequence classifier that `jrnn-cli classify` ships: which class of Perl diagnostic a message is
(F fatal, W warning, S severe warning, P panic), from its text. A character bidirectional GRU read out by its final
state, as classifiers do (Embedding 24 -> bi-GRU 64 -> final_state -> Linear 128->32 + ReLU -> Linear 32->4 ->
softmax), exported with jrnn_torch.export_model to java/io/jrnn/cli/perldiag-class.safetensors (jrnn.model.v1,
with the classes as `labels`).

The data: the `=item` messages of perldiag.pod and the class letter that opens their explanation, as Debian's
perl-modules-5.36 package ships it at /usr/share/perl/5.36.0/pod/perldiag.pod (Perl's documentation is licensed
"GPL-1+ or Artistic", Debian's copyright file for perl, which allows derived works). Classes A, X and D (a few
dozen messages) are left out. Every 5th message is held out.

    LD_PRELOAD=target/openblas/org/bytedeco/openblas/linux-x86_64/libopenblas.so.0 OPENBLAS_NUM_THREADS=1 \\
      PYTHONPATH=python /usr/bin/python3 python/train_perldiag_classifier.py

Seeded and single-threaded (about 30 s); prints the held-out accuracy: 0.738, where always answering F scores
0.624.
"""

import argparse
import os
import sys
import time

import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from jrnn_torch.sequence import export_model  # noqa: E402

TEXT = "/usr/share/perl/5.36.0/pod/perldiag.pod"
CLASSES = ["F", "W", "S", "P"]
LABELS = ["F fatal error", "W warning", "S severe warning", "P internal error (panic)"]


def messages(path):
    """(message, class letter) pairs: consecutive =item lines share the explanation that follows them."""
    pairs, pending = [], []
    with open(path, encoding="utf-8") as f:
        paragraphs = f.read().split("\n\n")
    for p in paragraphs:
        p = p.strip()
        if p.startswith("=item "):
            pending.append(p[len("=item "):].replace("\n", " "))
        elif p.startswith("=") or not p:
            continue
        else:
            if pending and p.startswith("(") and len(p) > 1:
                for m in pending:
                    pairs.append((m, p[1]))
            pending = []
    return [(m, c) for m, c in pairs if c in CLASSES]


class Classifier(nn.Module):
    def __init__(self, vocab):
        super().__init__()
        self.emb = nn.Embedding(vocab, 24)
        self.gru = nn.GRU(24, 64, bidirectional=True)
        self.fc1, self.fc2 = nn.Linear(128, 32), nn.Linear(32, len(CLASSES))

    def forward(self, x, lengths):  # x[T,B]
        _, hn = self.gru(pack_padded_sequence(self.emb(x), lengths, enforce_sorted=False))
        return self.fc2(torch.relu(self.fc1(torch.cat([hn[0], hn[1]], dim=-1))))


def batch(items, index):
    T = max(len(m) for m, _ in items)
    x = torch.zeros(T, len(items), dtype=torch.long)
    for b, (m, _) in enumerate(items):
        x[:len(m), b] = torch.tensor([index[ch] for ch in m])
    return x, torch.tensor([len(m) for m, _ in items]), torch.tensor([CLASSES.index(c) for _, c in items])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--text", default=TEXT)
    ap.add_argument("--epochs", type=int, default=30)
    ap.add_argument("--out", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "java", "io",
                                                  "jrnn", "cli", "perldiag-class.safetensors"))
    a = ap.parse_args()
    torch.manual_seed(7)
    torch.set_num_threads(1)
    data = messages(a.text)
    chars = sorted(set("".join(m for m, _ in data)))
    index = {c: i for i, c in enumerate(chars)}
    held = data[::5]
    train = [d for i, d in enumerate(data) if i % 5]
    model = Classifier(len(chars))
    opt = torch.optim.Adam(model.parameters(), lr=3e-3)
    loss_fn = nn.CrossEntropyLoss()
    g = torch.Generator().manual_seed(3)
    t0 = time.time()
    for epoch in range(a.epochs):
        order = torch.randperm(len(train), generator=g).tolist()
        for i in range(0, len(order), 32):
            x, lengths, y = batch([train[j] for j in order[i:i + 32]], index)
            loss = loss_fn(model(x, lengths), y)
            opt.zero_grad()
            loss.backward()
            opt.step()
    model.eval()
    with torch.no_grad():
        x, lengths, y = batch(held, index)
        acc = (model(x, lengths).argmax(-1) == y).float().mean().item()
    counts = {c: sum(1 for _, k in data if k == c) for c in CLASSES}
    print(f"{len(train)} training and {len(held)} held-out messages {counts}; held-out accuracy {acc:.3f} "
          f"(always F: {sum(1 for _, k in held if k == 'F') / len(held):.3f}); {time.time() - t0:.0f} s")
    export_model(a.out, model.gru, embedding=model.emb, heads=[(model.fc1, "relu"), model.fc2],
                 readout="final_state", output="softmax", tokens=chars, labels=LABELS)
    print("wrote", a.out)


if __name__ == "__main__":
    main()
