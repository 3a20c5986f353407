"""Greedy and beam-search decoding, SPEC 1.4.

The strategies are model-agnostic: they consume a *stepper*, anything with
    bos_id, eos_id, banned (ids never generated: pad and bos)
    start()                    -> state of a batch of one empty hypothesis
    step(state, tokens)        -> (log_probs[n][V] float64, attention[n][S] or None, new state), tokens[n] the
                                  previous token of each of the n hypotheses in the batch `state`
    select(state, rows)        -> the sub-batch `rows` (a list of ints, repeats allowed), in that order
`Seq2SeqStepper` adapts a `model.Seq2Seq` and one source sentence; `PrefixStepper` adapts a plain function of the
generated prefix (synthetic scores for tests, no model).

`greedy(model, src_ids, max_len)` and `beam_search(model, src_ids, beam, max_len, length_penalty)` accept a
Seq2Seq or a stepper (then src_ids is ignored).
"""

from dataclasses import dataclass
from typing import List, Optional

import numpy as np
import torch

NEG_INF = float("-inf")


@dataclass
class Translation:
    tokens: List[int]                       # generated tokens, no BOS, no EOS
    log_prob: float                         # sum of the log-probs of every generated token, EOS included
    attention: Optional[List[List[float]]]  # [steps][srcLen], steps include the EOS step; None without attention
    ended: bool = True                      # False when cut by max_len
    score: float = 0.0                      # log_prob / ((5 + len) / 6) ** alpha (beam search only)

    @property
    def length(self):
        """The length the GNMT penalty uses: generated tokens, EOS included when the hypothesis ended in EOS."""
        return len(self.tokens) + (1 if self.ended else 0)


class Seq2SeqStepper:
    """One source sentence through a model.Seq2Seq (eval mode, no grad, in the model's dtype)."""

    def __init__(self, model, src_ids):
        cfg = model.config
        self.model = model
        self.bos_id, self.eos_id = cfg["bos_id"], cfg["eos_id"]
        self.banned = (cfg["pad_id"], cfg["bos_id"])
        self.has_attention = cfg["decoder"]["attention"] != "none"
        with torch.no_grad():
            self.memory, self._initial = model.encode(list(src_ids))

    def start(self):
        return self._initial

    def step(self, state, tokens):
        with torch.no_grad():
            logp, state, alpha = self.model.decode_step(self.memory, state, torch.tensor(tokens, dtype=torch.int64))
        attn = alpha.double().numpy() if alpha is not None else None
        return logp.double().numpy(), attn, state

    def select(self, state, rows):
        return state.select(torch.tensor(rows, dtype=torch.int64))


class PrefixStepper:
    """Scores from a function of the generated prefix: fn(prefix: tuple of ints) -> log_probs[V] (and, when
    attention_fn is given, attention_fn(prefix) -> weights[S])."""

    def __init__(self, fn, bos_id=1, eos_id=2, pad_id=0, attention_fn=None):
        self.fn, self.attention_fn = fn, attention_fn
        self.bos_id, self.eos_id, self.banned = bos_id, eos_id, (pad_id, bos_id)

    def start(self):
        return [()]

    def step(self, state, tokens):
        prefixes = [p if p == () and t == self.bos_id else p + (t,) for p, t in zip(state, tokens)]
        logp = np.array([self.fn(p) for p in prefixes], dtype=np.float64)
        attn = np.array([self.attention_fn(p) for p in prefixes], dtype=np.float64) if self.attention_fn else None
        return logp, attn, prefixes

    def select(self, state, rows):
        return [state[r] for r in rows]


def _stepper(model, src_ids):
    return model if hasattr(model, "step") and hasattr(model, "select") else Seq2SeqStepper(model, src_ids)


def _masked(logp, banned):
    """pad and bos can never be generated; every other log-prob stays as the full-vocabulary log-softmax made it."""
    logp = np.array(logp, dtype=np.float64, copy=True)
    logp[..., list(banned)] = NEG_INF
    return logp


def greedy(model, src_ids, max_len, margins=None):
    """Arg-max each step (ties -> lowest id) until EOS or max_len tokens. `margins`, when a list, receives the gap
    between the best and the second-best token of every step (golden data avoids near-ties with it)."""
    st = _stepper(model, src_ids)
    state, prev = st.start(), st.bos_id
    tokens, attention, total, ended = [], [], 0.0, False
    has_attention = getattr(st, "has_attention", True)
    while len(tokens) < max_len:
        logp, attn, state = st.step(state, [prev])
        row = _masked(logp[0], st.banned)
        tok = int(np.argmax(row))                                     # first maximum = lowest id
        if margins is not None:
            rest = np.delete(row, tok)
            margins.append(row[tok] - (rest.max() if rest.size else NEG_INF))
        total += float(row[tok])
        has_attention = attn is not None
        if has_attention:
            attention.append([float(a) for a in attn[0]])
        if tok == st.eos_id:
            ended = True
            break
        tokens.append(tok)
        prev = tok
    return Translation(tokens, total, attention if has_attention else None, ended, total)


def length_normalised(score, length, alpha):
    """GNMT length penalty: score / ((5 + len) / 6) ** alpha; alpha 0 gives the raw score."""
    if alpha == 0:
        return score
    return score / (((5.0 + length) / 6.0) ** alpha)


def beam_search(model, src_ids, beam, max_len, length_penalty=0.0, margins=None):
    """Beam search with a beam that shrinks as hypotheses finish (SPEC 1.4). Returns every finished hypothesis
    (normally `beam` of them), best first by length-normalised score, a stable sort. `margins`, when a list,
    receives the gap between the last kept and the first dropped candidate of every step, and the gaps between
    consecutive normalised scores of the result."""
    if beam < 1 or max_len < 0:
        raise ValueError(f"beam must be >= 1 and max_len >= 0, got {beam} and {max_len}")
    st = _stepper(model, src_ids)
    # a hypothesis: (tokens, score, attention rows or None)
    live = [((), 0.0, ())]
    state = st.start()
    finished = []                                                   # Translation, in the order they finished
    has_attention = getattr(st, "has_attention", True)
    for _ in range(max_len):
        if len(finished) == beam or not live:
            break
        prev = [h[0][-1] if h[0] else st.bos_id for h in live]
        logp, attn, state = st.step(state, prev)
        has_attention = attn is not None
        logp = _masked(logp, st.banned)
        scores = np.array([h[1] for h in live], dtype=np.float64)
        totals = (scores[:, None] + logp).reshape(-1)                 # flat index = live * V + token
        order = np.argsort(-totals, kind="stable")                    # ties: lower live index, then lower token
        want = beam - len(finished)
        kept = [int(j) for j in order[:want] if totals[j] != NEG_INF]
        if margins is not None and len(order) > len(kept) and kept and totals[order[len(kept)]] != NEG_INF:
            margins.append(totals[kept[-1]] - totals[order[len(kept)]])
        vocab = logp.shape[1]
        new_live, rows = [], []
        for j in kept:
            i, tok = divmod(j, vocab)
            tokens, _, att = live[i]
            att = att + (tuple(float(a) for a in attn[i]),) if has_attention else ()
            if tok == st.eos_id:
                finished.append(Translation(list(tokens), float(totals[j]),
                                            [list(r) for r in att] if has_attention else None, True))
            else:
                new_live.append((tokens + (tok,), float(totals[j]), att))
                rows.append(i)
        live = new_live
        if live:
            state = st.select(state, rows)
    for tokens, score, att in live:                                  # cut by max_len (or max_len == 0)
        finished.append(Translation(list(tokens), score, [list(r) for r in att] if has_attention else None, False))
    for t in finished:
        t.score = length_normalised(t.log_prob, t.length, length_penalty)
    finished = sorted(finished, key=lambda t: -t.score)              # Python's sort is stable
    if margins is not None:
        margins.extend(a.score - b.score for a, b in zip(finished, finished[1:]))
    return finished
