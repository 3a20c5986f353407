#!/usr/bin/env python3
"""Golden data for jrnn's seq2seq models and decoding (SPEC 1.3, 1.4), with PyTorch as the oracle.

Writes test/golden/seq2seq/NNN-desc.safetensors (a complete model file, exactly as jrnn_torch.export writes it) and
NNN-desc.expected.json (greedy and beam-search results for a few source sentences). See test/golden/seq2seq/README.md.

    /usr/bin/python3 test/python/make_seq2seq_golden.py [--out DIR]

Deterministic: the same torch version writes the same bytes. Needs torch and numpy.

The models come from python/jrnn_torch/model.py. Before anything is written, every model is checked against
`Reference` below, an independent float64 numpy transcription of SPEC 1.3 (cells written out, no torch modules), on
every decoding step the expected results contain. Decoding runs in float64 on the float32-rounded weights the file
holds; sentences whose decisions come within MARGIN of a tie (where float32 could decide the other way) are
redrawn.
"""

import argparse
import itertools
import json
import math
import os
import random
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "python"))
from jrnn_torch import decode  # noqa: E402
from jrnn_torch.export import export, load  # noqa: E402
from jrnn_torch.model import ATTENTIONS, BRIDGES, CELLS, Seq2Seq, make_config  # noqa: E402

SEED = 20250214
N_MODELS = 48
MARGIN = 2e-4                 # min gap between a decision's winner and the runner-up (log-prob units)
EXACT = 1e-10                 # torch modules vs the numpy reference, float64
MAX_PARAMS = 9000             # floats per model: keeps the folder small
BEAMS = (1, 3, 5)
PENALTIES = (0.0, 0.6, 1.0)

AXES = {
    "enc_cell": list(CELLS),
    "dec_cell": list(CELLS),
    "attention": list(ATTENTIONS),
    "bridge": list(BRIDGES),
    "input_feeding": [False, True],
    "bidirectional": [False, True],
    "enc_layers": [1, 2],
    "dec_layers": [1, 2],
}


# ---------------------------------------------------------------------------------------------------------------
# The selection: a pairwise covering design (every value of every axis meets every value of every other axis),
# built greedily from random candidates, then filled up to N_MODELS with the (encoder, decoder, attention) triples
# not seen yet.

def valid_combo(c):
    return c["bridge"] != "linear_tanh" or c["enc_layers"] == c["dec_layers"]


def pairs_of(c):
    names = list(AXES)
    return {(a, c[a], b, c[b]) for a, b in itertools.combinations(names, 2)}


def design(rng):
    names = list(AXES)
    todo = set()
    for a, b in itertools.combinations(names, 2):
        for va in AXES[a]:
            for vb in AXES[b]:
                todo.add((a, va, b, vb))
    # every pair can be held by a valid combination: linear_tanh meets 1 and 2 layers on each side
    chosen = []
    while todo:
        best, gain = None, -1
        for _ in range(300):
            c = {n: rng.choice(AXES[n]) for n in names}
            if not valid_combo(c):
                continue
            g = len(pairs_of(c) & todo)
            if g > gain:
                best, gain = c, g
        chosen.append(best)
        todo -= pairs_of(best)
    triples = {(c["enc_cell"], c["dec_cell"], c["attention"]) for c in chosen}
    while len(chosen) < N_MODELS:
        best, gain = None, -math.inf
        for _ in range(300):
            c = {n: rng.choice(AXES[n]) for n in names}
            if not valid_combo(c):
                continue
            g = ((c["enc_cell"], c["dec_cell"], c["attention"]) not in triples) * 10 + rng.random() \
                - 3 * sum(1 for x in chosen if x["attention"] == c["attention"])
            if g > gain:
                best, gain = c, g
        chosen.append(best)
        triples.add((best["enc_cell"], best["dec_cell"], best["attention"]))
    return chosen


def choose_sizes(c, rng):
    D = 2 if c["bidirectional"] else 1
    for _ in range(10000):
        s = dict(src_vocab=rng.randint(7, 40), tgt_vocab=rng.randint(7, 40), enc_embed=rng.randint(3, 16),
                 dec_embed=rng.randint(3, 16), enc_hidden=rng.randint(3, 24), dec_hidden=rng.randint(3, 24),
                 attention_dim=rng.randint(3, 16))
        if c["attention"] == "luong_dot":
            s["enc_hidden"] = rng.randint(3, 12 if D == 2 else 24)
            s["dec_hidden"] = D * s["enc_hidden"]
        cfg = model_config(c, s)
        n = sum(p.numel() for p in Seq2Seq(cfg).parameters())
        if n <= MAX_PARAMS:
            return s, cfg
    raise RuntimeError("no sizes fit")


def model_config(c, s):
    return make_config(
        s["src_vocab"], s["tgt_vocab"],
        encoder=dict(cell=c["enc_cell"], embed_dim=s["enc_embed"], hidden_size=s["enc_hidden"],
                     num_layers=c["enc_layers"], bidirectional=c["bidirectional"]),
        decoder=dict(cell=c["dec_cell"], embed_dim=s["dec_embed"], hidden_size=s["dec_hidden"],
                     num_layers=c["dec_layers"], attention=c["attention"], attention_dim=s["attention_dim"],
                     input_feeding=c["input_feeding"], bridge=c["bridge"]))


# ---------------------------------------------------------------------------------------------------------------
# Weights: wide enough that attention is not uniform and the next token is not a coin toss; the EOS bias is then
# calibrated so that most greedy outputs end within a few steps but not at step 1.

def init_weights(model, gen):
    with torch.no_grad():
        for name, p in model.named_parameters():
            relu = ("rnn" in name and model.config["encoder" if name.startswith("encoder") else "decoder"]["cell"]
                    == "rnn_relu")
            if "embedding" in name:
                bound = 2.0
            elif name.startswith("decoder.attention") or name.startswith("decoder.bridge.weight"):
                bound = 2.0 / math.sqrt(p.shape[1])
            elif name.startswith("decoder.out.weight"):
                bound = 3.0 / math.sqrt(p.shape[1])
            elif "bias" in name:
                bound = 0.5
            else:
                bound = (1.0 if relu else 1.6) / math.sqrt(p.shape[1])
            p.copy_((torch.rand(p.shape, generator=gen, dtype=torch.float64) * 2 - 1) * bound)
        # what the file holds is float32: decode with exactly those values
        for p in model.parameters():
            p.copy_(p.float().double())


def calibrate_eos(model, sentences, rng):
    """Random decoders settle into a loop: their greedy output is either EOS at once or never EOS. So the EOS row of
    the output layer gets a push along the direction in which the output layer's input drifts after the first steps
    (w_eos += gamma * d / |d|^2, d = mean feature of steps 3-8 minus that of step 1) and a bias; (gamma, bias) are
    chosen on the model's own greedy paths. With EOS masked, greedy follows the same path until EOS would win,
    so one masked run per sentence tells the length any (gamma, bias) gives."""
    cfg = model.config
    eos = cfg["eos_id"]
    feats = []
    hook = model.decoder.out.register_forward_hook(lambda m, inp, out: feats.append(inp[0][0].detach().clone()))
    paths = []
    try:
        for src in sentences:
            feats.clear()
            st = decode.Seq2SeqStepper(model, src)
            state, prev, rows = st.start(), cfg["bos_id"], []
            for _ in range(14):
                logp, _, state = st.step(state, [prev])
                row = logp[0].copy()
                row[[cfg["pad_id"], cfg["bos_id"], eos]] = -np.inf
                tok = int(np.argmax(row))
                rows.append((row[tok] - logp[0][eos]))          # what EOS must gain to win (logit units)
                prev = tok
            paths.append((torch.stack(feats).numpy(), np.array(rows)))
    finally:
        hook.remove()
    first = np.stack([p[0][0] for p in paths]).mean(0)
    later = np.concatenate([p[0][2:8] for p in paths]).mean(0)
    d = later - first
    d = d / max(float(d @ d), 1e-9)
    best, best_cost = (0.0, 0.0), None
    for gamma in (0.0, 1.0, 2.0, 4.0, 8.0):
        for bias in np.arange(-8.0, 8.01, 0.25):
            cost = 0.0
            for feat, need in paths:
                gain = gamma * (feat @ d) + bias             # the change of the EOS logit at each step
                wins = np.nonzero(gain > need)[0]
                n = int(wins[0]) if wins.size else None
                cost += 3 if n is None else (4 if n == 0 else (1 if n == 1 else (0.5 if n > 9 else 0)))
            cost += 0.01 * gamma + rng.random() * 1e-6
            if best_cost is None or cost < best_cost:
                best, best_cost = (gamma, bias), cost
    gamma, bias = best
    with torch.no_grad():
        w, b = model.decoder.out.weight, model.decoder.out.bias
        w[eos] = (w[eos] + gamma * torch.from_numpy(d)).float().double()
        b[eos] = (b[eos] + bias).float().double()
    return best


# ---------------------------------------------------------------------------------------------------------------
# The independent reference: SPEC 1.3 in numpy, float64, one sentence, one step at a time.

def _sig(x):
    return 1.0 / (1.0 + np.exp(-x))


def _cell(kind, sd, prefix, layer, suffix, x, h, c):
    w_ih, w_hh = sd[f"{prefix}weight_ih_l{layer}{suffix}"], sd[f"{prefix}weight_hh_l{layer}{suffix}"]
    b_ih, b_hh = sd[f"{prefix}bias_ih_l{layer}{suffix}"], sd[f"{prefix}bias_hh_l{layer}{suffix}"]
    gi, gh = w_ih @ x + b_ih, w_hh @ h + b_hh
    if kind == "rnn_tanh":
        return np.tanh(gi + gh), None
    if kind == "rnn_relu":
        return np.maximum(gi + gh, 0.0), None
    if kind == "lstm":
        i, f, g, o = np.split(gi + gh, 4)
        c = _sig(f) * c + _sig(i) * np.tanh(g)
        return _sig(o) * np.tanh(c), c
    xr, xz, xn = np.split(gi, 3)
    hr, hz, hn = np.split(gh, 3)
    r, z = _sig(xr + hr), _sig(xz + hz)
    n = np.tanh(xn + r * hn)
    return (1 - z) * n + z * h, None


class Reference:
    def __init__(self, sd, cfg, src):
        self.sd = {k: v.double().numpy() for k, v in sd.items()}
        self.cfg = cfg
        enc, dec = cfg["encoder"], cfg["decoder"]
        sd = self.sd
        D = 2 if enc["bidirectional"] else 1
        x = [sd["encoder.embedding.weight"][i] for i in src]
        finals = []                                             # per layer: [h_fwd ; h_bwd]
        for layer in range(enc["num_layers"]):
            outs = [[None] * D for _ in x]
            last = []
            for d in range(D):
                h = np.zeros(enc["hidden_size"])
                c = np.zeros(enc["hidden_size"])
                steps = range(len(x)) if d == 0 else range(len(x) - 1, -1, -1)
                for t in steps:
                    h, c = _cell(enc["cell"], sd, "encoder.rnn.", layer, "_reverse" if d else "", x[t], h, c)
                    outs[t][d] = h
                last.append(h)
            finals.append(np.concatenate(last))
            x = [np.concatenate(o) for o in outs]
        self.keys = np.stack(x)                                 # [S, D*He]
        L, Hd = dec["num_layers"], dec["hidden_size"]
        if dec["bridge"] == "linear_tanh":
            self.h = [np.tanh(sd["decoder.bridge.weight"] @ finals[l] + sd["decoder.bridge.bias"]) for l in range(L)]
        else:
            self.h = [np.zeros(Hd) for _ in range(L)]
        self.c = [np.zeros(Hd) for _ in range(L)]
        self.feed = np.zeros(Hd)

    def _attend(self, q):
        sd, kind = self.sd, self.cfg["decoder"]["attention"]
        if kind == "bahdanau":
            e = np.array([sd["decoder.attention.v.weight"][0] @ np.tanh(sd["decoder.attention.query.weight"] @ q
                                                                        + sd["decoder.attention.key.weight"] @ k)
                          for k in self.keys])
        elif kind == "luong_dot":
            e = self.keys @ q
        elif kind == "luong_general":
            e = np.array([q @ (sd["decoder.attention.W.weight"] @ k) for k in self.keys])
        else:
            e = np.array([sd["decoder.attention.v.weight"][0] @ np.tanh(sd["decoder.attention.W.weight"]
                                                                        @ np.concatenate([q, k]))
                          for k in self.keys])
        a = np.exp(e - e.max())
        a /= a.sum()
        return a @ self.keys, a

    def _rnn(self, x):
        dec = self.cfg["decoder"]
        for layer in range(dec["num_layers"]):
            self.h[layer], c = _cell(dec["cell"], self.sd, "decoder.rnn.", layer, "", x, self.h[layer], self.c[layer])
            if c is not None:
                self.c[layer] = c
            x = self.h[layer]
        return x

    def step(self, y_prev):
        """-> (log_probs[V], attention[S] or None)"""
        sd, dec = self.sd, self.cfg["decoder"]
        emb = sd["decoder.embedding.weight"][y_prev]
        kind, alpha = dec["attention"], None
        if kind == "bahdanau":
            ctx, alpha = self._attend(self.h[-1])
            s = self._rnn(np.concatenate([emb, ctx]))
            feat = np.concatenate([s, ctx])
        elif kind == "none":
            feat = self._rnn(emb)
        else:
            s = self._rnn(np.concatenate([emb, self.feed]) if dec["input_feeding"] else emb)
            ctx, alpha = self._attend(s)
            feat = np.tanh(sd["decoder.combine.weight"] @ np.concatenate([ctx, s]))
            self.feed = feat
        logits = sd["decoder.out.weight"] @ feat + sd["decoder.out.bias"]
        m = logits.max()
        return logits - (m + math.log(np.exp(logits - m).sum())), alpha


def check_against_reference(model, src, hypotheses):
    """Every step of every hypothesis (token lists, EOS excluded): torch stepper == numpy reference."""
    cfg, sd = model.config, model.state_dict()
    worst = 0.0
    for tokens in hypotheses:
        ref = Reference(sd, cfg, src)
        st = decode.Seq2SeqStepper(model, src)
        state = st.start()
        prev = cfg["bos_id"]
        for tok in list(tokens) + [None]:
            r_logp, r_att = ref.step(prev)
            t_logp, t_att, state = st.step(state, [prev])
            worst = max(worst, np.abs(r_logp - t_logp[0]).max())
            if r_att is not None:
                worst = max(worst, np.abs(r_att - t_att[0]).max())
            else:
                assert t_att is None
            if tok is None:
                break
            prev = tok
    assert worst <= EXACT, f"torch modules differ from the numpy reference by {worst}"
    return worst


# ---------------------------------------------------------------------------------------------------------------

def r8(x):
    return float(f"{x:.9g}")


def translation_json(t):
    return {"tokens": t.tokens, "log_prob": t.log_prob,
            "attention": None if t.attention is None else [[r8(a) for a in row] for row in t.attention]}


def run_case(model, src, max_len, runs):
    """-> (case dict, smallest decision margin, hypotheses decoded)"""
    margins = []
    g = decode.greedy(model, src, max_len, margins=margins)
    case = {"src": src, "max_len": max_len, "greedy": translation_json(g), "beam": []}
    hyps = [g.tokens]
    for beam, lp in runs:
        res = decode.beam_search(model, src, beam, max_len, lp, margins=margins)
        if beam == 1:
            # one hypothesis: the beam is greedy, whatever the length penalty
            assert len(res) == 1 and res[0].tokens == g.tokens and res[0].log_prob == g.log_prob \
                and res[0].attention == g.attention, f"beam 1 differs from greedy on {src}"
        assert abs(res[0].log_prob - sum_logprobs(model, src, res[0])) < 1e-9
        case["beam"].append({"beam": beam, "length_penalty": lp, "results": [translation_json(t) for t in res]})
        hyps += [t.tokens for t in res]
    return case, min(margins) if margins else math.inf, hyps


def sum_logprobs(model, src, t):
    """Re-scores a result token by token (the logProb rule: every generated token, EOS included when it ended)."""
    st = decode.Seq2SeqStepper(model, src)
    state, prev, total = st.start(), model.config["bos_id"], 0.0
    for tok in t.tokens + ([model.config["eos_id"]] if t.ended else []):
        logp, _, state = st.step(state, [prev])
        total += float(logp[0][tok])
        prev = tok
    return total


def describe(c, s):
    d = "bi" if c["bidirectional"] else "uni"
    feed = "-if" if c["input_feeding"] else ""
    return (f"{c['enc_cell']}-{c['dec_cell']}-{c['attention']}-{d}-L{c['enc_layers']}{c['dec_layers']}-"
            f"{c['bridge']}{feed}")


def vocabularies(index, s):
    """Every fourth model carries vocabularies (one a word list, one with non-ASCII characters) to exercise parsing."""
    if index % 4 != 1:
        return None, None, None
    specials = ["<pad>", "<s>", "</s>"]
    if index % 8 == 1:
        chars = "abcdefghijklmnopqrstuvwxyzäöü한국어日本語é"
        src = specials + [chars[i % len(chars)] + ("" if i < len(chars) else str(i)) for i in range(s["src_vocab"] - 3)]
        tgt = specials + [f"t{i}" for i in range(s["tgt_vocab"] - 3)]
        return src, tgt, "char"
    src = specials + [f"w{i}" for i in range(s["src_vocab"] - 3)]
    tgt = specials + [f"v{i}" for i in range(s["tgt_vocab"] - 3)]
    return src, tgt, "word"


def build_model(index, c, rng, gen):
    s, cfg = choose_sizes(c, rng)
    torch.manual_seed(rng.randrange(2 ** 31))
    model = Seq2Seq(cfg).double().eval()
    init_weights(model, gen)
    n_cases = rng.randint(3, 5)
    lengths = [1, 12] + [rng.randint(1, 12) for _ in range(n_cases - 2)]
    rng.shuffle(lengths)
    sentences = [[rng.randrange(3, s["src_vocab"]) for _ in range(n)] for n in lengths]
    calibrate_eos(model, sentences, rng)

    cases, checked = [], 0.0
    for k, n in enumerate(lengths):
        # beam runs of this case: each beam size with a length penalty that rotates over the cases
        runs = [(b, PENALTIES[(k + j) % len(PENALTIES)]) for j, b in enumerate(BEAMS)]
        for attempt in range(40):
            src = sentences[k] if attempt == 0 else [rng.randrange(3, s["src_vocab"]) for _ in range(n)]
            g = decode.greedy(model, src, 30)
            # max_len: mostly roomy; every third case cuts greedy short (and so the beams, mostly)
            if k % 3 == 2 and len(g.tokens) >= 1:
                max_len = max(1, len(g.tokens) - rng.randint(0, 2))
            else:
                max_len = rng.choice([8, 12, 16, 20])
            case, margin, hyps = run_case(model, src, max_len, runs)
            if margin >= MARGIN:
                break
        else:
            raise RuntimeError(f"model {index}: no sentence of length {n} without a near-tie")
        checked = max(checked, check_against_reference(model, src, hyps))
        case["min_margin"] = r8(margin)
        cases.append(case)
    return model, s, cases, checked


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    here = os.path.dirname(os.path.abspath(__file__))
    ap.add_argument("--out", default=os.path.normpath(os.path.join(here, "..", "golden", "seq2seq")))
    ap.add_argument("--models", type=int, default=N_MODELS, help="build only the first N (a quick look)")
    args = ap.parse_args()

    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(True)
    rng = random.Random(SEED)
    gen = torch.Generator().manual_seed(SEED)
    combos = design(rng)

    built = []
    worst = 0.0
    for index, c in enumerate(combos[:args.models]):
        model, s, cases, checked = build_model(index, c, rng, gen)
        worst = max(worst, checked)
        built.append((index, c, s, model, cases))
        print(f"{index:03d} {describe(c, s)}: {len(cases)} cases, reference diff {checked:.1e}", flush=True)

    os.makedirs(args.out, exist_ok=True)
    for name in os.listdir(args.out):
        if name.endswith(".safetensors") or name.endswith(".expected.json"):
            os.remove(os.path.join(args.out, name))
    total = 0
    stats = {"greedy_ended": 0, "greedy": 0, "cut": 0, "beam_results": 0, "beam_cut": 0, "empty": 0}
    for index, c, s, model, cases in built:
        base = f"{index:03d}-{describe(c, s)}"
        src_tokens, tgt_tokens, tokenizer = vocabularies(index, s)
        path = os.path.join(args.out, base + ".safetensors")
        export(model, path, src_tokens, tgt_tokens, tokenizer)
        reread, _ = load(path, torch.float64)                   # the file holds exactly the decoded weights
        for k, v in model.state_dict().items():
            assert torch.equal(reread.state_dict()[k], v), k
        expected = {"description": describe_long(c, s), "cases": cases}
        with open(os.path.join(args.out, base + ".expected.json"), "w", encoding="utf-8") as f:
            json.dump(expected, f, separators=(",", ":"))
            f.write("\n")
        total += os.path.getsize(path) + os.path.getsize(os.path.join(args.out, base + ".expected.json"))
        for case in cases:
            stats["greedy"] += 1
            stats["greedy_ended"] += len(case["greedy"]["tokens"]) < case["max_len"] or \
                len(case["greedy"]["attention"] or case["greedy"]["tokens"]) > len(case["greedy"]["tokens"])
            for run in case["beam"]:
                for r in run["results"]:
                    stats["beam_results"] += 1
                    stats["beam_cut"] += len(r["tokens"]) == case["max_len"]
                    stats["empty"] += len(r["tokens"]) == 0
    print(f"wrote {len(built)} models to {args.out}: {total / 1024:.0f} KiB; torch vs reference max diff {worst:.1e}")
    print(f"{stats['greedy']} cases; beam results: {stats['beam_results']}, cut by max_len: {stats['beam_cut']}, "
          f"empty: {stats['empty']}")
    print_coverage(built)


def describe_long(c, s):
    return (f"encoder {c['enc_cell']} L={c['enc_layers']} {'bidirectional' if c['bidirectional'] else 'unidirectional'}"
            f" E={s['enc_embed']} H={s['enc_hidden']}; decoder {c['dec_cell']} L={c['dec_layers']} E={s['dec_embed']} "
            f"H={s['dec_hidden']}; attention {c['attention']} A={s['attention_dim']}; bridge {c['bridge']}; "
            f"input_feeding {str(c['input_feeding']).lower()}; Vs={s['src_vocab']} Vt={s['tgt_vocab']}")


def print_coverage(built):
    """Rows: every value of every axis; columns: the attention kinds; cells: how many models."""
    cols = list(ATTENTIONS)
    print("| axis = value | " + " | ".join(cols) + " | all |")
    print("|---|" + "---|" * (len(cols) + 1))
    for axis, values in AXES.items():
        for v in values:
            counts = [sum(1 for _, c, _, _, _ in built if c[axis] == v and c["attention"] == a) for a in cols]
            print(f"| {axis} = {str(v).lower()} | " + " | ".join(map(str, counts)) + f" | {sum(counts)} |")
    # and the pairwise check itself
    missing = []
    for a, b in itertools.combinations(AXES, 2):
        for va in AXES[a]:
            for vb in AXES[b]:
                if not any(c[a] == va and c[b] == vb for _, c, _, _, _ in built):
                    missing.append((a, va, b, vb))
    print(f"pairs of axis values not covered: {missing if missing else 'none'}")
    cells = {(c["enc_cell"], c["dec_cell"]) for _, c, _, _, _ in built}
    triples = {(c["enc_cell"], c["dec_cell"], c["attention"]) for _, c, _, _, _ in built}
    print(f"encoder x decoder cells: {len(cells)}/16; encoder x decoder x attention: {len(triples)}/80")


if __name__ == "__main__":
    sys.exit(main())
