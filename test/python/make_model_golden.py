#!/usr/bin/env python3
"""Golden data for io.jrnn.SequenceModel (jrnn.model.v1, docs/MODEL-FORMAT.md) and the samplers, with PyTorch as
the oracle.

Writes test/golden/model/:
  <case>.safetensors   a model file made by jrnn_torch.export_model from plain torch.nn modules (as a user's
                       model holds them), whose tensors also carry the case: `case.x` (F32 features) or `case.ids`
                       (I64), `case.lengths` (I64), and the expected outputs computed in float64 (stored as F32):
                       `case.expected` (with the lengths) and `case.expected_full` (every sequence T steps long).
                       SequenceModel.load rejects unknown tensors, so the test strips `case.*` first.
  generate.safetensors a small character-level LSTM language model plus, per sampler, the prompt, the uniform
                       numbers PyTorch drew (`gen.<name>.uniforms`, F64) and the ids it sampled (`gen.<name>.ids`).

    PYTHONPATH=python /usr/bin/python3 test/python/make_model_golden.py [--out DIR]

Deterministic: the same torch version writes the same bytes. Needs only torch.
"""

import argparse
import json
import math
import os
import sys

import torch
from torch import nn

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "python"))
from jrnn_torch.safetensors_io import read_safetensors, write_safetensors  # noqa: E402
from jrnn_torch.sequence import CONFIG_KEY, SequenceModel, export_model  # noqa: E402

SEED = 20261201


def rnn_module(cell, **kw):
    if cell == "lstm":
        return nn.LSTM(**kw)
    if cell == "gru":
        return nn.GRU(**kw)
    return nn.RNN(nonlinearity="tanh" if cell == "rnn_tanh" else "relu", **kw)


# name, cell, vocab (None: float input of size I), E or I, hidden, layers, bidirectional, batch_first, proj,
# readout, heads [(out, activation)], output, T, B, lengths
CASES = [
    ("lm_lstm_all", "lstm", 11, 6, 8, 1, False, False, 0, "all_steps", [(11, "none")], "log_softmax", 5, 3, [5, 2, 4]),
    ("tagger_gru_bi_bf", "gru", 9, 5, 7, 2, True, True, 0, "all_steps", [(4, "none")], "softmax", 6, 3, [3, 6, 1]),
    ("classifier_lstm_bi_final", "lstm", None, 4, 6, 2, True, False, 0, "final_state", [(5, "relu"), (3, "none")],
     "softmax", 7, 4, [7, 3, 1, 5]),
    ("forecaster_gru_bf_last", "gru", None, 1, 8, 2, False, True, 0, "last", [(1, "none")], "none", 9, 3, [9, 4, 6]),
    ("rnn_tanh_last_bi", "rnn_tanh", None, 3, 5, 1, True, False, 0, "last", [(6, "tanh"), (2, "none")], "none", 5, 2,
     [2, 5]),
    ("gru_mean_sigmoid", "gru", 13, 4, 6, 1, False, False, 0, "mean", [(3, "sigmoid")], "none", 6, 3, [6, 1, 4]),
    ("lstm_proj_bi_mean_bf", "lstm", None, 3, 7, 2, True, True, 4, "mean", [], "none", 5, 2, [5, 3]),
    ("rnn_relu_all_bf_nohead", "rnn_relu", None, 3, 4, 2, False, True, 0, "all_steps", [], "none", 4, 2, [4, 2]),
    ("lstm_final_uni_logsoftmax", "lstm", 7, 3, 5, 3, False, False, 0, "final_state", [(7, "none")], "log_softmax", 4,
     2, [4, 3]),
    ("rnn_tanh_all_twoheads", "rnn_tanh", 10, 4, 6, 1, False, False, 0, "all_steps", [(5, "relu"), (10, "none")],
     "softmax", 5, 2, [5, 5]),
]


def make_case(out_dir, case, g):
    (name, cell, vocab, in_size, hidden, layers, bidi, bf, proj, readout, heads, output, T, B, lengths) = case
    kw = dict(input_size=in_size, hidden_size=hidden, num_layers=layers, bidirectional=bidi, batch_first=bf)
    if proj:
        kw["proj_size"] = proj
    rnn = rnn_module(cell, **kw)
    emb = nn.Embedding(vocab, in_size) if vocab else None
    width = (2 if bidi else 1) * (proj or hidden)
    lins = []
    for out, act in heads:
        lins.append((nn.Linear(width, out), act))
        width = out
    # Larger-than-default weights so that the nonlinearities are exercised away from 0.
    with torch.no_grad():
        for m in [rnn, emb] + [l for l, _ in lins]:
            if m is None:
                continue
            for p in m.parameters():
                p.copy_(torch.empty_like(p).uniform_(-0.8, 0.8, generator=g))
    path = os.path.join(out_dir, name + ".safetensors")
    cfg = export_model(path, rnn, embedding=emb, heads=lins, readout=readout, output=output)

    ref = SequenceModel(cfg)
    tensors, metadata = read_safetensors(path)
    ref.load_state_dict(tensors, strict=True)
    ref = ref.double().eval()
    shape = (B, T) if bf else (T, B)
    if vocab:
        inp = torch.randint(0, vocab, shape, generator=g)
    else:
        inp = torch.empty(shape + (in_size,), dtype=torch.float64).uniform_(-1.5, 1.5, generator=g)
    lens = torch.tensor(lengths, dtype=torch.long)
    with torch.no_grad():
        expected = ref(inp, lens)
        expected_full = ref(inp, None)
    extra = [("case.ids", inp.long())] if vocab else [("case.x", inp.float())]
    extra += [("case.lengths", lens), ("case.expected", expected.float()), ("case.expected_full", expected_full.float())]
    write_safetensors(path, list(tensors.items()) + extra, metadata)
    return name


# ---- generation ----------------------------------------------------------------------------------------------

def sample(logits, u, temperature, k, p):
    """io.jrnn.decode.Sampler's documented procedure, in float64, given the uniform u."""
    z = [float(v) / temperature for v in logits]
    mx = max(z)
    w = [math.exp(v - mx) for v in z]
    n = len(w)
    total = 0.0
    for v in w:
        total += v
    kept = [True] * n
    if (k and k < n) or p < 1:
        order = sorted(range(n), key=lambda i: (-w[i], i))
        kept = [False] * n
        count = min(k, n) if k else n
        run, target = 0.0, p * total
        for r in range(count):
            kept[order[r]] = True
            run += w[order[r]]
            if p < 1 and run >= target:
                break
    s_all = 0.0
    for i in range(n):
        if kept[i]:
            s_all += w[i]
    threshold, s, last = u * s_all, 0.0, -1
    for i in range(n):
        if not kept[i] or w[i] == 0:
            continue
        s += w[i]
        last = i
        if s > threshold:
            return i
    return last


SAMPLERS = [  # name, temperature, top-k (0 = none), top-p (1 = none); greedy draws nothing
    ("greedy", None, 0, 1.0),
    ("temperature", 0.8, 0, 1.0),
    ("topk", 1.0, 4, 1.0),
    ("topp", 1.3, 0, 0.85),
]


def make_generate(out_dir, g):
    V, E, H, max_new = 12, 6, 16, 24
    emb, rnn, fc = nn.Embedding(V, E), nn.LSTM(E, H), nn.Linear(H, V)
    with torch.no_grad():
        for m in (emb, rnn, fc):
            for p in m.parameters():
                p.copy_(torch.empty_like(p).uniform_(-1.0, 1.0, generator=g))
    path = os.path.join(out_dir, "generate.safetensors")
    cfg = export_model(path, rnn, embedding=emb, heads=[fc], readout="all_steps", output="softmax",
                       tokens=list("abcdefghijk.")[:V])
    tensors, metadata = read_safetensors(path)
    ref = SequenceModel(cfg)
    ref.load_state_dict(tensors, strict=True)
    ref.eval()  # float32, as a user runs it
    prompt = [3, 7, 1]
    extra = [("gen.prompt", torch.tensor(prompt, dtype=torch.long))]
    for name, temp, k, p in SAMPLERS:
        # rounded to float32 (exactly representable in the F32 file), used as float64 by both sides
        uniforms = torch.rand(max_new, dtype=torch.float64, generator=g).float().double()
        ids, state, used = [], None, 0
        with torch.no_grad():
            x = emb(torch.tensor(prompt).unsqueeze(1))                      # [T,1,E]
            out, state = rnn(x)
            logits = fc(out[-1, 0])
            for i in range(max_new):
                if temp is None:
                    nxt = int(torch.argmax(logits))                          # first maximum: the lowest id
                else:
                    nxt = sample(logits.tolist(), float(uniforms[used]), temp, k, p)
                    used += 1
                ids.append(nxt)
                out, state = rnn(emb(torch.tensor([[nxt]])), state)
                logits = fc(out[-1, 0])
        extra.append((f"gen.{name}.uniforms", (uniforms[:used] if used else torch.zeros(0, dtype=torch.float64)).float()))
        extra.append((f"gen.{name}.ids", torch.tensor(ids, dtype=torch.long)))
    write_safetensors(path, list(tensors.items()) + extra, metadata)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "golden", "model"))
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    torch.manual_seed(SEED)
    g = torch.Generator().manual_seed(SEED)
    for case in CASES:
        print("wrote", make_case(args.out, case, g))
    make_generate(args.out, g)
    print("wrote generate")


if __name__ == "__main__":
    main()
