#!/usr/bin/env python3
"""Golden data for jrnn's recurrent layers (SPEC 1.1), with PyTorch as the oracle.

Writes test/golden/rnn/*.safetensors: one small case per file, each with the layer's state_dict under "rnn.",
the inputs, and the outputs computed in float64 (stored as F32). See test/golden/rnn/README.md.

    /usr/bin/python3 test/python/make_rnn_golden.py [--out DIR]

Deterministic: the same torch version writes the same bytes. Needs only torch (no numpy, no safetensors package):
the file writer is python/jrnn_torch/safetensors_io.py.

Two variants are not in PyTorch: the LSTM with a sigmoid candidate and the GRU with the reset gate applied before the
matmul. They come from `reference_forward` below, a plain float64 loop over layers, directions, sequences and steps.
Before writing anything, the script checks that `reference_forward` in its standard mode (tanh candidate, reset
after) equals torch.nn.RNN/LSTM/GRU to 1e-12 on every case's exact configuration and weights.
"""

import argparse
import math
import os
import random
import sys

import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "python"))
from jrnn_torch.safetensors_io import write_safetensors  # noqa: E402  (the shared writer)

SEED = 20240611
CELLS = ["rnn_tanh", "rnn_relu", "lstm", "lstm_sigmoid", "gru", "gru_before"]
SIZES = [1, 3, 5, 7, 17, 33]          # input_size and hidden_size values
SEQ_LENS = [1, 2, 5, 9]
BATCHES = [1, 2, 3, 4, 5]
LENGTH_MODES = ["none", "unsorted", "zero_and_full"]
CASES_PER_CELL = 14
MAX_CASE_BYTES = 48 * 1024            # keeps the folder well under 2 MB
EXACT = 1e-12                         # reference vs torch, float64


# ---------------------------------------------------------------------------------------------------------------
# The reference: float64, one sequence and one step at a time, packed-sequence semantics written out.

def _gates(sd, name, layer, suffix, dtype):
    key = f"{name}_l{layer}{suffix}"
    return sd[key].to(dtype) if key in sd else None


def _cell_step(kind, x, h, c, w, lstm_candidate, gru_reset):
    """One step of one sequence: x[I], h[Hout], c[H] (LSTM) -> (h', c')."""
    w_ih, w_hh, b_ih, b_hh, w_hr = w
    gi = w_ih @ x + (b_ih if b_ih is not None else 0.0)
    if kind in ("rnn_tanh", "rnn_relu"):
        pre = gi + w_hh @ h + (b_hh if b_hh is not None else 0.0)
        return (torch.tanh(pre) if kind == "rnn_tanh" else torch.relu(pre)), None
    if kind == "lstm":
        gates = gi + w_hh @ h + (b_hh if b_hh is not None else 0.0)
        i, f, g, o = gates.chunk(4)
        i, f, o = torch.sigmoid(i), torch.sigmoid(f), torch.sigmoid(o)
        g = torch.tanh(g) if lstm_candidate == "tanh" else torch.sigmoid(g)
        c_new = f * c + i * g
        h_new = o * torch.tanh(c_new)
        if w_hr is not None:
            h_new = w_hr @ h_new
        return h_new, c_new
    if kind == "gru":
        hidden = h.shape[0]
        xr, xz, xn = gi.chunk(3)
        w_hr_, w_hz, w_hn = w_hh.chunk(3)
        if b_hh is None:
            b_hr = b_hz = b_hn = torch.zeros(hidden, dtype=h.dtype)
        else:
            b_hr, b_hz, b_hn = b_hh.chunk(3)
        r = torch.sigmoid(xr + w_hr_ @ h + b_hr)
        z = torch.sigmoid(xz + w_hz @ h + b_hz)
        if gru_reset == "after":
            n = torch.tanh(xn + r * (w_hn @ h + b_hn))
        else:
            n = torch.tanh(xn + w_hn @ (r * h) + b_hn)
        return (1 - z) * n + z * h, None
    raise ValueError(kind)


def reference_forward(kind, sd, cfg, x, lengths, h0, c0, lstm_candidate="tanh", gru_reset="after"):
    """x[T,B,I], lengths[B] (ints), h0[L*D,B,Hout], c0[L*D,B,H] or None -> output[T,B,D*Hout], hn, cn (or None)."""
    dt = torch.float64
    T, B, _ = x.shape
    L, D, H, P = cfg["num_layers"], 2 if cfg["bidirectional"] else 1, cfg["hidden_size"], cfg["proj_size"]
    hout = P if P > 0 else H
    base = "lstm" if kind.startswith("lstm") else ("gru" if kind.startswith("gru") else kind)
    h0 = torch.zeros(L * D, B, hout, dtype=dt) if h0 is None else h0.to(dt)
    if base == "lstm":
        c0 = torch.zeros(L * D, B, H, dtype=dt) if c0 is None else c0.to(dt)
    hn = torch.zeros(L * D, B, hout, dtype=dt)
    cn = torch.zeros(L * D, B, H, dtype=dt) if base == "lstm" else None
    layer_in = x.to(dt)
    for layer in range(L):
        layer_out = torch.zeros(T, B, D * hout, dtype=dt)
        for d in range(D):
            suffix = "_reverse" if d == 1 else ""
            w = tuple(_gates(sd, n, layer, suffix, dt) for n in ("weight_ih", "weight_hh", "bias_ih", "bias_hh", "weight_hr"))
            idx = layer * D + d
            for b in range(B):
                n = int(lengths[b])
                h = h0[idx, b].clone()
                c = c0[idx, b].clone() if base == "lstm" else None
                steps = range(n) if d == 0 else range(n - 1, -1, -1)
                for t in steps:
                    h, c = _cell_step(base, layer_in[t, b], h, c, w, lstm_candidate, gru_reset)
                    layer_out[t, b, d * hout:(d + 1) * hout] = h
                hn[idx, b] = h
                if base == "lstm":
                    cn[idx, b] = c
        layer_in = layer_out
    return layer_in, hn, cn


# ---------------------------------------------------------------------------------------------------------------
# The oracle: torch.nn.RNN / LSTM / GRU in float64, packed sequences for lengths.

def make_module(kind, cfg):
    common = dict(input_size=cfg["input_size"], hidden_size=cfg["hidden_size"], num_layers=cfg["num_layers"],
                  bidirectional=cfg["bidirectional"], bias=cfg["bias"])
    if kind.startswith("rnn"):
        return torch.nn.RNN(nonlinearity="tanh" if kind == "rnn_tanh" else "relu", **common)
    if kind.startswith("lstm"):
        return torch.nn.LSTM(proj_size=cfg["proj_size"], **common)
    return torch.nn.GRU(**common)


def torch_forward(module, is_lstm, x, lengths, h0, c0, has_lengths):
    """The standard variants via torch itself; h0 None = torch's own zero state. Length-0 sequences (which
    pack_padded_sequence rejects) are left out of the torch call and filled in as the spec says: zero outputs, final
    state = initial state."""
    T, B, _ = x.shape
    with torch.no_grad():
        if not has_lengths:
            if h0 is None:
                out, hc = module(x)
            else:
                out, hc = module(x, (h0, c0) if is_lstm else h0)
            return (out, hc[0], hc[1]) if is_lstm else (out, hc, None)

        d = 2 if module.bidirectional else 1
        hout = module.proj_size if is_lstm and module.proj_size > 0 else module.hidden_size
        if h0 is None:
            h0 = torch.zeros(module.num_layers * d, B, hout, dtype=x.dtype)
            c0 = torch.zeros(module.num_layers * d, B, module.hidden_size, dtype=x.dtype) if is_lstm else None
        out = torch.zeros(T, B, d * hout, dtype=x.dtype)
        hn, cn = h0.clone(), (c0.clone() if is_lstm else None)
        nz = [b for b in range(B) if lengths[b] > 0]
        if nz:
            sel = torch.tensor(nz, dtype=torch.int64)
            packed = torch.nn.utils.rnn.pack_padded_sequence(
                x[:, sel], torch.tensor([lengths[b] for b in nz], dtype=torch.int64), enforce_sorted=False)
            out_p, hc = module(packed, (h0[:, sel], c0[:, sel]) if is_lstm else h0[:, sel])
            out[:, sel], _ = torch.nn.utils.rnn.pad_packed_sequence(out_p, total_length=T)
            if is_lstm:
                hn[:, sel], cn[:, sel] = hc
            else:
                hn[:, sel] = hc
        return out, hn, cn


# ---------------------------------------------------------------------------------------------------------------
# The selection of cases: per cell, every value of every axis at least once (a balanced random design), with a size
# cap repaired by swapping values between cases of the same cell; plus a few hand-picked edge cases.

AXES = {
    "num_layers": [1, 2, 3],
    "bidirectional": [False, True],
    "lengths_mode": LENGTH_MODES,
    "batch": BATCHES,
    "input_size": SIZES,
    "hidden_size": SIZES,
    "seq_len": SEQ_LENS,
    "has_h0": [False, True],
    "proj": [False, True],            # LSTM only
}


def gate_count(kind):
    return 4 if kind.startswith("lstm") else (3 if kind.startswith("gru") else 1)


def case_floats(kind, c):
    """Number of float32 values a case stores (weights, inputs, outputs)."""
    L, D, I, H, T, B = c["num_layers"], 2 if c["bidirectional"] else 1, c["input_size"], c["hidden_size"], c["seq_len"], c["batch"]
    P = c["proj_size"]
    hout = P if P > 0 else H
    g = gate_count(kind) * H
    n = 0
    for layer in range(L):
        fan_in = I if layer == 0 else D * hout
        n += D * (g * fan_in + g * hout + 2 * g + (P * H if P > 0 else 0))
    n += T * B * I + T * B * D * hout * 1 + 2 * L * D * B * hout
    if kind.startswith("lstm"):
        n += 2 * L * D * B * H
    return n


def case_ok(kind, c):
    if c["proj"] and c["hidden_size"] < 2:
        return False
    if c["lengths_mode"] == "zero_and_full" and c["batch"] < 2:
        return False
    return case_floats(kind, resolve_proj(c)) * 4 <= MAX_CASE_BYTES


def resolve_proj(c):
    c = dict(c)
    c["proj_size"] = max(1, c["hidden_size"] // 2) if c["proj"] and c["hidden_size"] >= 2 else 0
    return c


def design(kind, rng, n):
    axes = {k: v for k, v in AXES.items() if k != "proj" or kind.startswith("lstm")}
    cols = {}
    for name, values in axes.items():
        col = [values[i % len(values)] for i in range(n)]
        rng.shuffle(col)
        cols[name] = col
    if "proj" not in cols:
        cols["proj"] = [False] * n
    cases = [{k: cols[k][i] for k in cols} for i in range(n)]
    if kind.startswith("lstm"):
        # LSTMP with 2 layers, bidirectional: pin it on case 0 (swap values in, keeping each column a permutation)
        for name, want in (("num_layers", 2), ("bidirectional", True), ("proj", True)):
            j = next(j for j in range(n) if cases[j][name] == want)
            cases[0][name], cases[j][name] = cases[j][name], cases[0][name]
    # repair: swap one axis value between two cases of this cell until every case is valid (0 stays pinned for LSTM)
    movable = ["hidden_size", "input_size", "num_layers", "bidirectional", "batch", "seq_len", "lengths_mode", "proj"]
    pinned = {"num_layers", "bidirectional", "proj"} if kind.startswith("lstm") else set()
    for _ in range(200000):
        bad = [i for i in range(n) if not case_ok(kind, cases[i])]
        if not bad:
            return [resolve_proj(c) for c in cases]
        i = rng.choice(bad)
        j = rng.randrange(n)
        name = rng.choice(movable)
        if i == j or ((i == 0 or j == 0) and name in pinned):
            continue
        before = sum(not case_ok(kind, cases[k]) for k in (i, j))
        cases[i][name], cases[j][name] = cases[j][name], cases[i][name]
        after = sum(not case_ok(kind, cases[k]) for k in (i, j))
        if after > before or (after == before and rng.random() < 0.5):
            cases[i][name], cases[j][name] = cases[j][name], cases[i][name]
    raise RuntimeError(f"could not repair the design for {kind}")


def extra_cases():
    """Edge cases the balanced design may miss."""
    base = dict(num_layers=1, bidirectional=False, batch=2, input_size=3, hidden_size=5, seq_len=5,
                has_h0=True, proj=False, proj_size=0, bias=True)
    out = []
    # a single sequence of length 0: returns its initial state, output all zero
    for kind in ("lstm", "gru_before", "rnn_relu"):
        out.append((kind, dict(base, batch=1, bidirectional=True, lengths_mode="explicit", lengths=[0]),
                    "single sequence of length 0: output 0, final state = h0"))
    # every length 0
    out.append(("gru", dict(base, batch=3, num_layers=2, lengths_mode="explicit", lengths=[0, 0, 0]),
                "every length 0"))
    # T = 1 with lengths {0, 1}, bidirectional, two layers
    for kind in ("lstm_sigmoid", "rnn_tanh"):
        out.append((kind, dict(base, seq_len=1, batch=3, num_layers=2, bidirectional=True, lengths_mode="explicit",
                               lengths=[1, 0, 1]), "T = 1, lengths 1, 0, 1"))
    # every length T, passed explicitly (same as no lengths)
    out.append(("gru", dict(base, seq_len=9, batch=4, bidirectional=True, lengths_mode="explicit",
                            lengths=[9, 9, 9, 9]), "every length T, given explicitly"))
    # one length T, the rest shorter, sorted (the order pack_padded_sequence(enforce_sorted=True) wants)
    out.append(("lstm", dict(base, seq_len=9, batch=3, num_layers=2, bidirectional=True, has_h0=False,
                             lengths_mode="explicit", lengths=[9, 4, 1]), "sorted lengths"))
    # bias=False, one per cell
    for k, kind in enumerate(CELLS):
        c = dict(base, bias=False, num_layers=1 + k % 2, bidirectional=k % 3 == 0, lengths_mode="unsorted",
                 batch=3, input_size=SIZES[(k + 1) % 5], hidden_size=SIZES[(k + 2) % 5])
        if kind.startswith("lstm"):
            c["proj"], c["proj_size"] = True, 2
            c["hidden_size"] = 7
        out.append((kind, c, None))
    return out


# ---------------------------------------------------------------------------------------------------------------

def init_weights(module, kind, gen):
    """Uniform, wider than PyTorch's default ±1/sqrt(H): ±1.7/sqrt(fan_in) per matrix (±1.2 for relu, which
    must not blow up over 9 steps), biases ±0.5; drives the gates into saturation now and then, not always."""
    scale = 1.2 if kind == "rnn_relu" else 1.7
    with torch.no_grad():
        for name, p in module.named_parameters():
            bound = 0.5 if name.startswith("bias") else scale / math.sqrt(p.shape[1])
            p.copy_((torch.rand(p.shape, generator=gen, dtype=torch.float64) * 2 - 1) * bound)


def make_lengths(mode, T, B, rng, explicit=None):
    if mode == "none":
        return [T] * B
    if mode == "explicit":
        return list(explicit)
    if mode == "unsorted":
        lens = [rng.randint(1, T) for _ in range(B)]
        if B >= 2 and T >= 2:
            while sorted(lens, reverse=True) == lens:       # make sure the order is not descending
                lens = [rng.randint(1, T) for _ in range(B)]
        return lens
    # zero_and_full: some 0, some T, the rest anywhere in [0, T], in random order
    lens = [0, T] + [rng.randint(0, T) for _ in range(B - 2)]
    rng.shuffle(lens)
    return lens


def build_case(kind, c, description, rng, gen):
    cfg = dict(c)
    cfg.setdefault("bias", True)
    T, B, I, H, L = cfg["seq_len"], cfg["batch"], cfg["input_size"], cfg["hidden_size"], cfg["num_layers"]
    D = 2 if cfg["bidirectional"] else 1
    P = cfg["proj_size"] if kind.startswith("lstm") else 0
    cfg["proj_size"] = P
    hout = P if P > 0 else H
    is_lstm = kind.startswith("lstm")
    has_lengths = cfg["lengths_mode"] != "none"
    lengths = make_lengths(cfg["lengths_mode"], T, B, rng, cfg.get("lengths"))

    torch.manual_seed(rng.randrange(2 ** 31))        # module construction draws from the global generator
    module = make_module(kind, cfg).double()
    init_weights(module, kind, gen)
    module.eval()
    sd = {k: v.detach().clone() for k, v in module.state_dict().items()}

    # inputs: N(0,1); positions t >= len hold values too (they must be ignored)
    x = torch.randn(T, B, I, generator=gen, dtype=torch.float64)
    # the float32 values are what the library sees, so the oracle runs on exactly those values
    x = x.float().double()
    sd = {k: v.float().double() for k, v in sd.items()}
    with torch.no_grad():
        for k, v in module.state_dict().items():
            v.copy_(sd[k])
    if cfg["has_h0"]:
        h0 = (torch.randn(L * D, B, hout, generator=gen, dtype=torch.float64) * 0.8).float().double()
        c0 = (torch.randn(L * D, B, H, generator=gen, dtype=torch.float64) * 0.8).float().double() if is_lstm else None
    else:
        h0 = torch.zeros(L * D, B, hout, dtype=torch.float64)
        c0 = torch.zeros(L * D, B, H, dtype=torch.float64) if is_lstm else None

    # 1. the reference in standard mode must equal torch on this exact configuration
    t_h0, t_c0 = (h0, c0) if cfg["has_h0"] else (None, None)
    t_out, t_hn, t_cn = torch_forward(module, is_lstm, x, lengths, t_h0, t_c0, has_lengths)
    r_out, r_hn, r_cn = reference_forward(kind, sd, cfg, x, lengths, h0, c0)
    err = max((t_out - r_out).abs().max().item(), (t_hn - r_hn).abs().max().item(),
              (t_cn - r_cn).abs().max().item() if is_lstm else 0.0)
    assert err <= EXACT, f"{description}: reference (standard mode) differs from torch by {err}"
    # when lengths are all T, packing must not matter: check torch against itself without lengths
    if has_lengths and all(n == T for n in lengths):
        u_out, u_hn, _ = torch_forward(module, is_lstm, x, lengths, t_h0, t_c0, False)
        assert (u_out - t_out).abs().max().item() <= EXACT and (u_hn - t_hn).abs().max().item() <= EXACT

    # 2. the expected outputs: torch for the standard cells, the (verified) reference for the two variants
    if kind == "lstm_sigmoid":
        out, hn, cn = reference_forward(kind, sd, cfg, x, lengths, h0, c0, lstm_candidate="sigmoid")
    elif kind == "gru_before":
        out, hn, cn = reference_forward(kind, sd, cfg, x, lengths, h0, c0, gru_reset="before")
    else:
        out, hn, cn = t_out, t_hn, t_cn
    if kind in ("lstm_sigmoid", "gru_before") and any(lengths):
        diff = (out - t_out).abs().max().item()     # the variant must really be another function
        assert diff > 1e-3, f"{description}: variant equals the standard cell ({diff})"
    for b in range(B):          # packed semantics, checked once more on what gets written
        assert lengths[b] == T or out[lengths[b]:, b].abs().max().item() == 0.0
        if lengths[b] == 0:
            assert torch.equal(hn[:, b], h0[:, b])

    tensors = [(f"rnn.{k}", v.float()) for k, v in sd.items()]
    tensors.append(("x", x.float()))
    tensors.append(("lengths", torch.tensor(lengths, dtype=torch.int64)))
    if cfg["has_h0"]:
        tensors.append(("h0", h0.float()))
        if is_lstm:
            tensors.append(("c0", c0.float()))
    tensors.append(("output", out.float()))
    tensors.append(("hn", hn.float()))
    if is_lstm:
        tensors.append(("cn", cn.float()))

    cell = "lstm" if is_lstm else ("gru" if kind.startswith("gru") else kind)
    meta = {
        "cell": cell,
        "lstm_candidate": "sigmoid" if kind == "lstm_sigmoid" else "tanh",
        "gru_reset": "before" if kind == "gru_before" else "after",
        "num_layers": str(L),
        "bidirectional": str(cfg["bidirectional"]).lower(),
        "proj_size": str(P),
        "input_size": str(I),
        "hidden_size": str(H),
        "batch": str(B),
        "seq_len": str(T),
        "bias": str(cfg["bias"]).lower(),
        "has_lengths": str(has_lengths).lower(),
        "has_h0": str(cfg["has_h0"]).lower(),
        "max_abs_output": f"{out.abs().max().item():.4g}",
        "description": description,     # replaced by the caller with the human-readable one
    }
    return tensors, meta, out.abs().max().item()


def describe(kind, c, lengths):
    parts = [kind, f"L={c['num_layers']}", "bidirectional" if c["bidirectional"] else "unidirectional",
             f"I={c['input_size']}", f"H={c['hidden_size']}"]
    if c.get("proj_size", 0):
        parts.append(f"proj={c['proj_size']}")
    parts += [f"T={c['seq_len']}", f"B={c['batch']}", lengths, "h0" if c["has_h0"] else "no h0"]
    if not c.get("bias", True):
        parts.append("bias=False")
    return ", ".join(parts)


def lengths_text(c, lengths, has_lengths):
    if not has_lengths:
        return "no lengths"
    T = c["seq_len"]
    tags = [tag for tag, on in (("has 0", 0 in lengths), ("has T", T in lengths),
                                ("unsorted", lengths != sorted(lengths, reverse=True))) if on]
    return f"lengths {lengths}" + (f" ({', '.join(tags)})" if tags else "")


def file_name(index, kind, c):
    d = "bi" if c["bidirectional"] else "uni"
    p = f"P{c['proj_size']}" if c.get("proj_size", 0) else ""
    lm = {"none": "nolen", "unsorted": "len", "zero_and_full": "len0T", "explicit": "lenx"}[c["lengths_mode"]]
    nb = "" if c.get("bias", True) else "-nobias"
    return (f"{index:03d}-{kind}-L{c['num_layers']}{d}-I{c['input_size']}H{c['hidden_size']}{p}"
            f"-T{c['seq_len']}B{c['batch']}-{lm}{'-h0' if c['has_h0'] else ''}{nb}.safetensors")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    here = os.path.dirname(os.path.abspath(__file__))
    ap.add_argument("--out", default=os.path.normpath(os.path.join(here, "..", "golden", "rnn")))
    args = ap.parse_args()

    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(True)
    rng = random.Random(SEED)
    gen = torch.Generator().manual_seed(SEED)

    plan = []
    for kind in CELLS:
        for c in design(kind, rng, CASES_PER_CELL):
            c["bias"] = True
            plan.append((kind, c, None))
    plan += extra_cases()

    # build everything first (all assertions run before a single file is written)
    built = []
    for index, (kind, c, note) in enumerate(plan):
        if not kind.startswith("lstm"):
            c["proj_size"] = 0
        tensors, meta, peak = build_case(kind, c, file_name(index, kind, c), rng, gen)
        meta["description"] = describe(kind, c, lengths_text(c, next(v for n, v in tensors if n == "lengths").tolist(),
                                                             meta["has_lengths"] == "true")) + (f"; {note}" if note else "")
        built.append((file_name(index, kind, c), tensors, meta, peak))

    os.makedirs(args.out, exist_ok=True)
    for name in os.listdir(args.out):
        if name.endswith(".safetensors"):
            os.remove(os.path.join(args.out, name))
    total = 0
    for name, tensors, meta, peak in built:
        path = os.path.join(args.out, name)
        write_safetensors(path, tensors, meta)
        total += os.path.getsize(path)
    peak = max(b[3] for b in built)
    print(f"wrote {len(built)} cases to {args.out}: {total / 1024:.0f} KiB, largest |output| {peak:.3g}")
    print_coverage(built)


def print_coverage(built):
    """How often each value of each axis appears per cell (a markdown table)."""
    def kind_of(m):
        if m["cell"] == "lstm":
            return "lstm_sigmoid" if m["lstm_candidate"] == "sigmoid" else "lstm"
        if m["cell"] == "gru":
            return "gru_before" if m["gru_reset"] == "before" else "gru"
        return m["cell"]

    def lengths_has(pred):
        def get(m, tensors):
            if m["has_lengths"] == "false":
                return "-"
            lens = next(v for n, v in tensors if n == "lengths").tolist()
            return str(pred(lens, int(m["seq_len"]))).lower()
        return get

    axes = [("num_layers", lambda m, t: m["num_layers"]), ("bidirectional", lambda m, t: m["bidirectional"]),
            ("proj_size>0", lambda m, t: str(int(m["proj_size"]) > 0).lower()),
            ("has_lengths", lambda m, t: m["has_lengths"]),
            ("lengths include 0", lengths_has(lambda lens, T: 0 in lens)),
            ("lengths include T", lengths_has(lambda lens, T: T in lens)),
            ("lengths unsorted", lengths_has(lambda lens, T: lens != sorted(lens, reverse=True))),
            ("batch", lambda m, t: m["batch"]),
            ("input_size", lambda m, t: m["input_size"]), ("hidden_size", lambda m, t: m["hidden_size"]),
            ("seq_len", lambda m, t: m["seq_len"]), ("has_h0", lambda m, t: m["has_h0"]),
            ("bias", lambda m, t: m["bias"])]
    print("| axis = value | " + " | ".join(CELLS) + " |")
    print("|---|" + "---|" * len(CELLS))
    print("| cases | " + " | ".join(str(sum(kind_of(m) == k for _, _, m, _ in built)) for k in CELLS) + " |")
    for axis, get in axes:
        values = sorted({get(m, t) for _, t, m, _ in built}, key=lambda v: (len(v), v))
        for v in values:
            counts = [sum(1 for _, t, m, _ in built if kind_of(m) == k and get(m, t) == v) for k in CELLS]
            if v != "-":
                print(f"| {axis} = {v} | " + " | ".join(str(n) for n in counts) + " |")


if __name__ == "__main__":
    sys.exit(main())
