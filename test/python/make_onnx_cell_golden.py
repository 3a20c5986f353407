#!/usr/bin/env python3
"""Golden data for jrnn's ONNX-style recurrent options (RecurrentOptions, LSTM peepholes), ONNX as the oracle.

Writes test/golden/onnx/*.safetensors, one case per file: the layer's weights already converted to jrnn's PyTorch
layout under "rnn." (LSTM gates i,o,f,c -> i,f,g,o; GRU z,r,h -> r,z,n; B split into bias_ih / bias_hh; peepholes
i,o,f -> i,f,o as weight_p_l0), the time-major input "x", optional "lengths", "h0", "c0", the expected "y"
[T,B,D*H], "hn" [D,B,H], "cn" (LSTM) and, for ONNX's own backend cases, "onnx_y" / "onnx_hn" as ONNX's test
helpers computed them. The metadata holds the cell and options: cell (lstm, gru, rnn), reset (gru: before, after),
direction (forward, reverse, bidirectional), clip ("0" = none), input_forget, activations / alphas / betas
(comma-separated, ONNX names; empty = defaults).

    /usr/bin/python3 test/python/make_onnx_cell_golden.py [--out DIR]

Two sources:
  * every LSTM, GRU and RNN backend case of the installed onnx package (onnx/backend/test/case/node/{lstm,gru,rnn}.py):
    their export functions run with `expect` captured, so the inputs and outputs are exactly ONNX's; plus one GRU
    linear_before_reset=1 case through ONNX's GRU_Helper (no backend case has one);
  * random cases (odd sizes, lengths, initial states, bidirectional, reverse, clip, input_forget, peepholes, every
    activation function) from `reference` below: float64 numpy written from the ONNX operator spec, with clip placed
    as ONNX Runtime's CPU kernels place it (every gate's input after biases and peepholes; the LSTM cell state is
    not clipped) and input_forget as ORT computes it (f = 1 - i).
Before writing anything, `reference` is checked against ONNX's helpers on every backend case (1e-6: the helpers
compute in float32) — the helpers support no clip, input_forget, reverse or activation other than the defaults.

Deterministic (fixed seeds). Needs numpy, onnx (Debian python3-onnx 1.12) and torch (for the shared writer).
"""

import argparse
import os
import sys

import numpy as np
import onnx
import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "python"))
from jrnn_torch.safetensors_io import write_safetensors  # noqa: E402

import onnx.backend.test.case.node.gru as onnx_gru  # noqa: E402
import onnx.backend.test.case.node.lstm as onnx_lstm  # noqa: E402
import onnx.backend.test.case.node.rnn as onnx_rnn  # noqa: E402

SEED = 20261202
HELPER_TOL = 1e-6

# ---------------------------------------------------------------------------------------------------------------
# The reference: float64, from the ONNX operator spec (LSTM-14, GRU-14, RNN-14).

ACTIVATIONS = {
    "Sigmoid": lambda x, a, b: 1.0 / (1.0 + np.exp(-x)),
    "Tanh": lambda x, a, b: np.tanh(x),
    "Relu": lambda x, a, b: np.maximum(x, 0.0),
    "HardSigmoid": lambda x, a, b: np.minimum(np.maximum(a * x + b, 0.0), 1.0),
    "Elu": lambda x, a, b: np.where(x >= 0, x, a * np.expm1(np.minimum(x, 0.0))),
    "Softsign": lambda x, a, b: x / (1.0 + np.abs(x)),
    "Softplus": lambda x, a, b: np.logaddexp(0.0, x),
    "Affine": lambda x, a, b: a * x + b,
    "LeakyRelu": lambda x, a, b: np.where(x >= 0, x, a * x),
    "ThresholdedRelu": lambda x, a, b: np.where(x > a, x, 0.0),
    "ScaledTanh": lambda x, a, b: a * np.tanh(b * x),
}
# ONNX operator defaults, as RecurrentOptions.Fn's factories take them (ScaledTanh has none: always given).
DEFAULT_ALPHA_BETA = {"HardSigmoid": (0.2, 0.5), "Elu": (1.0, 0.0), "LeakyRelu": (0.01, 0.0),
                      "ThresholdedRelu": (1.0, 0.0), "Affine": (1.0, 0.0)}
PER_DIRECTION = {"lstm": 3, "gru": 2, "rnn": 1}
DEFAULT_ACTS = {"lstm": ["Sigmoid", "Tanh", "Tanh"], "gru": ["Sigmoid", "Tanh"], "rnn": ["Tanh"]}
GATES = {"lstm": 4, "gru": 3, "rnn": 1}


def reference(cell, X, W, R, B=None, lengths=None, h0=None, c0=None, P=None, direction="forward", clip=0.0,
              input_forget=False, acts=None, lbr=0):
    """X[T,B,I] (time-major), W[D,G*H,I], R[D,G*H,H], B[D,2*G*H], lengths[B], h0/c0[D,B,H], P[D,3H] in ONNX's
    layouts and gate orders. acts: list of (name, alpha, beta) in ONNX order (None: defaults).
    Returns Y[T,D,B,H], Y_h[D,B,H], Y_c[D,B,H] (float64)."""
    X = np.asarray(X, np.float64)
    T, Bn, _ = X.shape
    D = W.shape[0]
    H = R.shape[2]
    G = GATES[cell]
    per = PER_DIRECTION[cell]
    if acts is None:
        acts = [(n, 0.0, 0.0) for n in DEFAULT_ACTS[cell]] * D
    assert len(acts) == per * D
    lengths = np.full(Bn, T) if lengths is None else np.asarray(lengths)
    Y = np.zeros((T, D, Bn, H))
    Yh = np.zeros((D, Bn, H))
    Yc = np.zeros((D, Bn, H))

    def clipped(x):
        return np.clip(x, -clip, clip) if clip > 0 else x

    for d in range(D):
        w = np.asarray(W[d], np.float64)
        r = np.asarray(R[d], np.float64)
        b = np.zeros(2 * G * H) if B is None else np.asarray(B[d], np.float64)
        wb, rb = b[:G * H], b[G * H:]
        p = np.zeros(3 * H) if P is None else np.asarray(P[d], np.float64)
        fa = [(ACTIVATIONS[n], a, bb) for (n, a, bb) in acts[d * per:(d + 1) * per]]

        def act(k, x):
            fn, a, bb = fa[k]
            return fn(x, a, bb)

        backwards = direction == "reverse" or (direction == "bidirectional" and d == 1)
        for n in range(Bn):
            L = int(lengths[n])
            h = np.zeros(H) if h0 is None else np.asarray(h0[d, n], np.float64)
            c = np.zeros(H) if c0 is None else np.asarray(c0[d, n], np.float64)
            steps = range(L - 1, -1, -1) if backwards else range(L)
            for t in steps:
                x = X[t, n]
                if cell == "lstm":
                    gx = w @ x + wb
                    gh = r @ h + rb
                    gi, go, gf, gc = [gx[k * H:(k + 1) * H] + gh[k * H:(k + 1) * H] for k in range(4)]
                    pi, po, pf = p[:H], p[H:2 * H], p[2 * H:]
                    i = act(0, clipped(gi + pi * c))
                    f = 1.0 - i if input_forget else act(0, clipped(gf + pf * c))
                    g = act(1, clipped(gc))
                    c = f * c + i * g
                    o = act(0, clipped(go + po * c))
                    h = o * act(2, c)
                elif cell == "gru":
                    xz, xr, xh = [w[k * H:(k + 1) * H] @ x + wb[k * H:(k + 1) * H] for k in range(3)]
                    rz_, rr_, rh_ = [r[k * H:(k + 1) * H] for k in range(3)]
                    rbz, rbr, rbh = [rb[k * H:(k + 1) * H] for k in range(3)]
                    z = act(0, clipped(xz + rz_ @ h + rbz))
                    rg = act(0, clipped(xr + rr_ @ h + rbr))
                    if lbr:
                        hh = act(1, clipped(xh + rg * (rh_ @ h + rbh)))
                    else:
                        hh = act(1, clipped(xh + rh_ @ (rg * h) + rbh))
                    h = (1.0 - z) * hh + z * h
                else:
                    h = act(0, clipped(w @ x + wb + r @ h + rb))
                Y[t, d, n] = h
            Yh[d, n] = h
            Yc[d, n] = c
    return Y, Yh, Yc


# ---------------------------------------------------------------------------------------------------------------
# ONNX layouts -> jrnn's (PyTorch's).

def reorder(a, order, H):
    """Gate blocks of H rows (axis 0) in the given order."""
    return np.concatenate([a[k * H:(k + 1) * H] for k in order], axis=0)


ORDER = {"lstm": [0, 2, 3, 1],   # ONNX i,o,f,c -> jrnn i,f,g,o
         "gru": [1, 0, 2],       # ONNX z,r,h -> jrnn r,z,n
         "rnn": [0]}


def to_jrnn(cell, W, R, B, P):
    """The state dict of a one-layer jrnn layer from ONNX W, R, B, P (direction 1 = PyTorch's _reverse)."""
    D, GH, _ = W.shape
    G = GATES[cell]
    H = GH // G
    sd = {}
    for d in range(D):
        sfx = "_l0" + ("_reverse" if d == 1 else "")
        sd["rnn.weight_ih" + sfx] = reorder(W[d], ORDER[cell], H)
        sd["rnn.weight_hh" + sfx] = reorder(R[d], ORDER[cell], H)
        if B is not None:
            sd["rnn.bias_ih" + sfx] = reorder(B[d][:GH], ORDER[cell], H)
            sd["rnn.bias_hh" + sfx] = reorder(B[d][GH:], ORDER[cell], H)
        if P is not None:
            sd["rnn.weight_p" + sfx] = reorder(P[d], [0, 2, 1], H)  # ONNX i,o,f -> jrnn i,f,o
    return sd


def jrnn_y(Y):
    """ONNX Y[T,D,B,H] -> jrnn output[T,B,D*H]."""
    T, D, Bn, H = Y.shape
    return np.transpose(Y, (0, 2, 1, 3)).reshape(T, Bn, D * H)


def f32(a):
    return torch.from_numpy(np.ascontiguousarray(np.asarray(a, np.float32)))


def write_case(out, name, cell, reset, direction, X, W, R, B, P, lengths, h0, c0, clip, input_forget, acts, expected,
               onnx_outputs=None):
    Y, Yh, Yc = expected
    tensors = {k: f32(v) for k, v in to_jrnn(cell, W, R, B, P).items()}
    tensors["x"] = f32(X)
    if lengths is not None:
        tensors["lengths"] = torch.tensor(np.asarray(lengths, np.int32))
    if h0 is not None:
        tensors["h0"] = f32(h0)
    if c0 is not None:
        tensors["c0"] = f32(c0)
    tensors["y"] = f32(jrnn_y(Y))
    tensors["hn"] = f32(Yh)
    if cell == "lstm":
        tensors["cn"] = f32(Yc)
    for k, v in (onnx_outputs or {}).items():
        tensors[k] = f32(v)
    meta = {"cell": cell, "reset": reset, "direction": direction, "clip": repr(float(clip)),
            "input_forget": "1" if input_forget else "0",
            "activations": ",".join(a[0] for a in acts) if acts else "",
            "alphas": ",".join(repr(float(a[1])) for a in acts) if acts else "",
            "betas": ",".join(repr(float(a[2])) for a in acts) if acts else ""}
    write_safetensors(os.path.join(out, name + ".safetensors"), tensors, meta)


# ---------------------------------------------------------------------------------------------------------------
# ONNX's backend cases, captured.

def backend_cases():
    """(name, cell, node attributes, inputs by name, outputs by name) of every LSTM/GRU/RNN backend case."""
    captured = []

    def capture(node, inputs, outputs, name, **kwargs):
        attrs = {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}
        ins = dict(zip(node.input, inputs))
        outs = dict(zip([o for o in node.output if o], outputs))
        captured.append((name, node.op_type.lower(), attrs, ins, outs))

    for mod, cls in ((onnx_lstm, onnx_lstm.LSTM), (onnx_gru, onnx_gru.GRU), (onnx_rnn, onnx_rnn.RNN)):
        mod.expect = capture
        for fn in sorted(k for k in vars(cls) if k.startswith("export")):
            np.random.seed(0)
            getattr(cls, fn)()
    return captured



def run_backend(out):
    count = 0
    for name, cell, attrs, ins, outs in backend_cases():
        layout = attrs.get("layout", 0)
        X = ins["X"]
        if layout == 1:
            X = np.swapaxes(X, 0, 1)
        W, R = ins["W"], ins["R"]
        B, P = ins.get("B"), ins.get("P")
        h0, c0 = ins.get("initial_h"), ins.get("initial_c")
        lengths = ins.get("sequence_lens")
        if layout == 1:
            h0 = None if h0 is None else np.swapaxes(h0, 0, 1)
            c0 = None if c0 is None else np.swapaxes(c0, 0, 1)
        lbr = attrs.get("linear_before_reset", 0)
        assert "activations" not in attrs and "clip" not in attrs and attrs.get("direction", b"forward") == b"forward"
        expected = reference(cell, X, W, R, B, lengths, h0, c0, P, lbr=lbr)
        onnx_outputs = {}
        if "Y" in outs:
            Y = outs["Y"] if layout == 0 else np.transpose(outs["Y"], (1, 2, 0, 3))  # [B,T,D,H] -> [T,D,B,H]
            err = np.max(np.abs(Y - expected[0]))
            assert err < HELPER_TOL, f"{name}: reference vs ONNX helper Y {err}"
            onnx_outputs["onnx_y"] = jrnn_y(Y)
        if "Y_h" in outs:
            Yh = outs["Y_h"] if layout == 0 else np.swapaxes(outs["Y_h"], 0, 1)
            err = np.max(np.abs(Yh - expected[1]))
            assert err < HELPER_TOL, f"{name}: reference vs ONNX helper Y_h {err}"
            onnx_outputs["onnx_hn"] = Yh
        assert onnx_outputs, name
        reset = "after" if lbr else "before"
        write_case(out, name, cell, reset if cell == "gru" else "", "forward", X, W, R, B, P, lengths, h0, c0, 0.0,
                   False, None, expected, onnx_outputs)
        count += 1
    # linear_before_reset=1 through ONNX's GRU helper (no backend case has it)
    rng = np.random.RandomState(SEED)
    X = rng.randn(4, 3, 5).astype(np.float32)
    W = (0.5 * rng.randn(1, 3 * 7, 5)).astype(np.float32)
    R = (0.5 * rng.randn(1, 3 * 7, 7)).astype(np.float32)
    B = (0.5 * rng.randn(1, 6 * 7)).astype(np.float32)
    Y, Yh = onnx_gru.GRU_Helper(X=X, W=W, R=R, B=B, linear_before_reset=1).step()
    expected = reference("gru", X, W, R, B, lbr=1)
    assert np.max(np.abs(Y - expected[0])) < HELPER_TOL and np.max(np.abs(Yh - expected[1])) < HELPER_TOL
    write_case(out, "test_gru_helper_linear_before_reset", "gru", "after", "forward", X, W, R, B, None, None, None,
               None, 0.0, False, None, expected, {"onnx_y": jrnn_y(Y), "onnx_hn": Yh})
    return count + 1


# ---------------------------------------------------------------------------------------------------------------
# Random cases for what ONNX's helpers do not cover.

KINDS = list(ACTIVATIONS)


def random_acts(rng, cell, D):
    acts = []
    for _ in range(PER_DIRECTION[cell] * D):
        n = KINDS[rng.randint(len(KINDS))]
        if n == "ScaledTanh":
            a, b = float(np.float32(rng.uniform(0.5, 2.0))), float(np.float32(rng.uniform(0.3, 1.5)))
        elif n in DEFAULT_ALPHA_BETA and rng.rand() < 0.5:
            a, b = DEFAULT_ALPHA_BETA[n]
        elif n in ("HardSigmoid", "Affine"):
            a, b = float(np.float32(rng.uniform(0.1, 1.0))), float(np.float32(rng.uniform(-0.5, 0.5)))
        elif n in ("Elu", "LeakyRelu", "ThresholdedRelu"):
            a, b = float(np.float32(rng.uniform(0.05, 1.5))), 0.0
        else:
            a, b = 0.0, 0.0
        acts.append((n, a, b))
    return acts


def conditioned(args, expected, trials=3, limit=1e-6):
    """True when perturbing every input and weight by its float32 rounding (relative 2^-24, random signs) moves no
    output by more than `limit` (a tenth of the tests' 1e-5)."""
    cell, X, W, R, B, lengths, h0, c0, P, direction, clip, input_forget, acts, lbr = args
    prng = np.random.RandomState(7)

    def jiggle(a):
        if a is None:
            return None
        a = np.asarray(a, np.float64)
        return a * (1.0 + 2.0 ** -24 * prng.choice([-1.0, 1.0], a.shape))

    for _ in range(trials):
        got = reference(cell, jiggle(X), jiggle(W), jiggle(R), jiggle(B), lengths, jiggle(h0), jiggle(c0), jiggle(P),
                        direction=direction, clip=clip, input_forget=input_forget, acts=acts, lbr=lbr)
        if max(np.max(np.abs(g - e)) for g, e in zip(got, expected)) > limit:
            return False
    return True


def run_random(out):
    rng = np.random.RandomState(SEED + 1)
    specs = []
    for cell, reset in (("lstm", ""), ("gru", "before"), ("gru", "after"), ("rnn", "")):
        specs += [
            (cell, reset, "reverse", dict()),
            (cell, reset, "reverse", dict(clip=True)),
            (cell, reset, "forward", dict(clip=True)),
            (cell, reset, "bidirectional", dict(clip=True, acts=True)),
            (cell, reset, "forward", dict(acts=True)),
            (cell, reset, "reverse", dict(acts=True)),
            (cell, reset, "bidirectional", dict(acts=True)),
        ]
    specs += [
        ("lstm", "", "forward", dict(peep=True)),
        ("lstm", "", "bidirectional", dict(peep=True)),
        ("lstm", "", "reverse", dict(peep=True, clip=True)),
        ("lstm", "", "forward", dict(input_forget=True)),
        ("lstm", "", "bidirectional", dict(input_forget=True, peep=True)),
        ("lstm", "", "reverse", dict(input_forget=True, clip=True, acts=True, peep=True)),
        ("lstm", "", "forward", dict(input_forget=True, clip=True, acts=True, peep=True)),
    ]
    sizes = [1, 3, 5, 17, 33]
    for idx, (cell, reset, direction, opt) in enumerate(specs):
        I = sizes[rng.randint(4)]
        H = sizes[rng.randint(5)]
        T = [1, 3, 6][rng.randint(3)]
        Bn = [1, 2, 3, 5][rng.randint(4)]
        D = 2 if direction == "bidirectional" else 1
        G = GATES[cell]
        scale = 1.0 / np.sqrt(H)
        X = rng.randn(T, Bn, I).astype(np.float32)
        W = (scale * rng.randn(D, G * H, I)).astype(np.float32)
        R = (scale * rng.randn(D, G * H, H)).astype(np.float32)
        B = (0.5 * rng.randn(D, 2 * G * H)).astype(np.float32) if rng.rand() < 0.8 else None
        P = (0.5 * rng.randn(D, 3 * H)).astype(np.float32) if opt.get("peep") else None
        lengths = rng.randint(1, T + 1, Bn).astype(np.int32) if rng.rand() < 0.6 else None
        h0 = (0.5 * rng.randn(D, Bn, H)).astype(np.float32) if rng.rand() < 0.5 else None
        c0 = (0.5 * rng.randn(D, Bn, H)).astype(np.float32) if cell == "lstm" and rng.rand() < 0.5 else None
        clip = float(np.float32(rng.uniform(0.3, 2.0))) if opt.get("clip") else 0.0
        input_forget = bool(opt.get("input_forget"))
        # Unbounded functions as gates can make the state grow, or amplify float32 rounding, without bound: draw the
        # functions again until every output stays within 20 and the case is well conditioned in float32 (see
        # conditioned), so that a float32 implementation can meet 1e-5 at all.
        lbr = 1 if reset == "after" else 0
        for attempt in range(100):
            acts = random_acts(rng, cell, D) if opt.get("acts") else None
            args = (cell, X, W, R, B, lengths, h0, c0, P, direction, clip, input_forget, acts, lbr)
            expected = reference(*args[:9], direction=direction, clip=clip, input_forget=input_forget, acts=acts,
                                 lbr=lbr)
            if all(np.all(np.abs(e) <= 20.0) for e in expected) and conditioned(args, expected):
                break
        else:
            raise RuntimeError(f"case {idx}: no bounded, well-conditioned draw")
        tags = [k for k in ("peep", "clip", "input_forget", "acts") if opt.get(k)]
        name = f"{idx:03d}-{cell}{'_' + reset if reset else ''}-{direction}-{'+'.join(tags) or 'plain'}-I{I}H{H}T{T}B{Bn}"
        write_case(out, name, cell, reset, direction, X, W, R, B, P, lengths, h0, c0, clip, input_forget, acts,
                   expected)
    return len(specs)


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default=os.path.join(here, "..", "golden", "onnx"))
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    for f in os.listdir(args.out):
        if f.endswith(".safetensors"):
            os.remove(os.path.join(args.out, f))
    with np.errstate(over="ignore"):  # exp overflowing to inf inside a saturated sigmoid is exact enough
        n = run_backend(args.out)
        m = run_random(args.out)
    print(f"wrote {n} ONNX backend cases and {m} random cases to {os.path.normpath(args.out)}")


if __name__ == "__main__":
    main()
