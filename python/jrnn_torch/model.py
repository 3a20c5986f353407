"""Seq2seq reference modules, SPEC 1.3 word for word, with state_dict names equal to the tensor names in the spec.

Two ways in:
- `Seq2Seq.forward(src, src_lengths, tgt_in)`: teacher forcing for training, batched and padded (time-major
  `src[S, B]`, `tgt_in[T, B]` starting with BOS); padded source positions are masked out of the attention softmax.
- `Seq2Seq.encode(src_ids)` / `Seq2Seq.decode_step(...)`: one sentence at a time for decoding
  (see decode.py, which wraps them into the model-agnostic step function the strategies consume).
"""

import torch
from torch import nn

FORMAT = "jrnn.seq2seq.v1"
CELLS = ("rnn_tanh", "rnn_relu", "lstm", "gru")
ATTENTIONS = ("bahdanau", "luong_dot", "luong_general", "luong_concat", "none")
BRIDGES = ("zeros", "linear_tanh")


def make_config(src_vocab_size, tgt_vocab_size, encoder, decoder, pad_id=0, bos_id=1, eos_id=2):
    """The SPEC 1.3 JSON as a dict (without vocabularies); fills defaults and checks the combination."""
    enc = dict(cell="lstm", embed_dim=32, hidden_size=64, num_layers=1, bidirectional=False)
    enc.update(encoder)
    dec = dict(cell="lstm", embed_dim=32, hidden_size=64, num_layers=1, attention="bahdanau", attention_dim=64,
               input_feeding=False, bridge="zeros")
    dec.update(decoder)
    config = {"format": FORMAT, "src_vocab_size": src_vocab_size, "tgt_vocab_size": tgt_vocab_size,
              "pad_id": pad_id, "bos_id": bos_id, "eos_id": eos_id, "encoder": enc, "decoder": dec}
    check_config(config)
    return config


def check_config(config):
    enc, dec = config["encoder"], config["decoder"]
    if config.get("format") != FORMAT:
        raise ValueError(f"format must be {FORMAT!r}, got {config.get('format')!r}")
    for side in (enc, dec):
        if side["cell"] not in CELLS:
            raise ValueError(f"cell must be one of {CELLS}, got {side['cell']!r}")
    if dec["attention"] not in ATTENTIONS:
        raise ValueError(f"attention must be one of {ATTENTIONS}, got {dec['attention']!r}")
    if dec["bridge"] not in BRIDGES:
        raise ValueError(f"bridge must be one of {BRIDGES}, got {dec['bridge']!r}")
    if dec["bridge"] == "linear_tanh" and enc["num_layers"] != dec["num_layers"]:
        raise ValueError(f"bridge linear_tanh needs equal layer counts, got encoder {enc['num_layers']} "
                         f"and decoder {dec['num_layers']}")
    enc_out = (2 if enc["bidirectional"] else 1) * enc["hidden_size"]
    if dec["attention"] == "luong_dot" and dec["hidden_size"] != enc_out:
        raise ValueError(f"luong_dot needs decoder hidden_size = D*He = {enc_out}, got {dec['hidden_size']}")
    ids = (config["pad_id"], config["bos_id"], config["eos_id"])
    if len(set(ids)) != 3 or not all(0 <= i < config["tgt_vocab_size"] for i in ids):
        raise ValueError(f"pad/bos/eos ids must be distinct and < tgt_vocab_size, got {ids}")


def make_rnn(cell, input_size, hidden_size, num_layers, bidirectional=False):
    common = dict(input_size=input_size, hidden_size=hidden_size, num_layers=num_layers, bidirectional=bidirectional)
    if cell == "lstm":
        return nn.LSTM(**common)
    if cell == "gru":
        return nn.GRU(**common)
    return nn.RNN(nonlinearity="tanh" if cell == "rnn_tanh" else "relu", **common)


# ---------------------------------------------------------------------------------------------------------------
# Attention: only the score differs between kinds. Shapes: q[B, Hd], keys[S, B, K], valid[S, B] (bool).

class Attention(nn.Module):
    def precompute(self, keys):
        """Anything that depends on the encoder outputs only (computed once per sentence)."""
        return keys

    def score(self, q, keys, pre):
        raise NotImplementedError

    def forward(self, q, keys, pre, valid):
        """-> (context[B, K], weights[B, S])"""
        e = self.score(q, keys, pre)                                   # [S, B]
        e = e.masked_fill(~valid, float("-inf"))
        alpha = torch.softmax(e, dim=0)
        context = (alpha.unsqueeze(2) * keys).sum(0)
        return context, alpha.transpose(0, 1)


class Bahdanau(Attention):
    """e_j = v . tanh(W_q q + W_k h_j)"""

    def __init__(self, hd, k, a):
        super().__init__()
        self.query = nn.Linear(hd, a, bias=False)
        self.key = nn.Linear(k, a, bias=False)
        self.v = nn.Linear(a, 1, bias=False)

    def precompute(self, keys):
        return self.key(keys)                                          # [S, B, A]

    def score(self, q, keys, pre):
        return self.v(torch.tanh(self.query(q).unsqueeze(0) + pre)).squeeze(2)


class LuongDot(Attention):
    """e_j = q . h_j"""

    def score(self, q, keys, pre):
        return (q.unsqueeze(0) * keys).sum(2)


class LuongGeneral(Attention):
    """e_j = q . (W_a h_j)"""

    def __init__(self, hd, k):
        super().__init__()
        self.W = nn.Linear(k, hd, bias=False)

    def precompute(self, keys):
        return self.W(keys)                                            # [S, B, Hd]

    def score(self, q, keys, pre):
        return (q.unsqueeze(0) * pre).sum(2)


class LuongConcat(Attention):
    """e_j = v . tanh(W_a [q; h_j])"""

    def __init__(self, hd, k, a):
        super().__init__()
        self.hd = hd
        self.W = nn.Linear(hd + k, a, bias=False)
        self.v = nn.Linear(a, 1, bias=False)

    def precompute(self, keys):
        return keys @ self.W.weight[:, self.hd:].t()                    # the h_j half: [S, B, A]

    def score(self, q, keys, pre):
        wq = q @ self.W.weight[:, :self.hd].t()                         # the q half: [B, A]
        return self.v(torch.tanh(wq.unsqueeze(0) + pre)).squeeze(2)


def make_attention(kind, hd, k, a):
    if kind == "bahdanau":
        return Bahdanau(hd, k, a)
    if kind == "luong_dot":
        return LuongDot()
    if kind == "luong_general":
        return LuongGeneral(hd, k)
    if kind == "luong_concat":
        return LuongConcat(hd, k, a)
    return None


# ---------------------------------------------------------------------------------------------------------------

class Encoder(nn.Module):
    def __init__(self, config):
        super().__init__()
        enc = config["encoder"]
        self.embedding = nn.Embedding(config["src_vocab_size"], enc["embed_dim"])
        self.rnn = make_rnn(enc["cell"], enc["embed_dim"], enc["hidden_size"], enc["num_layers"], enc["bidirectional"])
        self.is_lstm = enc["cell"] == "lstm"

    def forward(self, src, lengths):
        """src[S, B] ids, lengths[B] (list or tensor) -> outputs[S, B, D*He] (0 past each length), hn[L*D, B, He]"""
        x = self.embedding(src)
        lengths = torch.as_tensor(lengths, dtype=torch.int64)
        if bool((lengths == src.shape[0]).all()):
            out, hc = self.rnn(x)
        else:
            packed = nn.utils.rnn.pack_padded_sequence(x, lengths, enforce_sorted=False)
            out, hc = self.rnn(packed)
            out, _ = nn.utils.rnn.pad_packed_sequence(out, total_length=src.shape[0])
        return out, (hc[0] if self.is_lstm else hc)


class DecoderState:
    """Per-batch decoder state: h[L, B, Hd], c (LSTM) or None, feed = h~_{t-1}[B, Hd] (input feeding) or None."""

    def __init__(self, h, c, feed):
        self.h, self.c, self.feed = h, c, feed

    def select(self, index):
        """Rows `index` (a LongTensor) of every batch: reorders hypotheses in beam search."""
        pick = lambda t, dim: None if t is None else t.index_select(dim, index)  # noqa: E731
        return DecoderState(pick(self.h, 1), pick(self.c, 1), pick(self.feed, 0))


class Decoder(nn.Module):
    def __init__(self, config):
        super().__init__()
        enc, dec = config["encoder"], config["decoder"]
        k = (2 if enc["bidirectional"] else 1) * enc["hidden_size"]
        hd, ed, a = dec["hidden_size"], dec["embed_dim"], dec.get("attention_dim", 0)
        self.kind = dec["attention"]
        self.luong = self.kind.startswith("luong")
        self.input_feeding = bool(dec["input_feeding"]) and self.luong
        self.is_lstm = dec["cell"] == "lstm"
        self.num_layers, self.hidden_size = dec["num_layers"], hd
        self.enc_layers, self.enc_dirs = enc["num_layers"], 2 if enc["bidirectional"] else 1

        self.embedding = nn.Embedding(config["tgt_vocab_size"], ed)
        rnn_in = ed + (k if self.kind == "bahdanau" else 0) + (hd if self.input_feeding else 0)
        self.rnn = make_rnn(dec["cell"], rnn_in, hd, dec["num_layers"])
        if dec["bridge"] == "linear_tanh":
            self.bridge = nn.Linear(k, hd)
        else:
            self.bridge = None
        self.attention = make_attention(self.kind, hd, k, a)
        if self.luong:
            self.combine = nn.Linear(k + hd, hd, bias=False)
        self.out = nn.Linear(hd + k if self.kind == "bahdanau" else hd, config["tgt_vocab_size"])

    def init_state(self, enc_hn, batch):
        """enc_hn[Le*D, B, He] -> the decoder's initial state (SPEC: bridge)."""
        ref = enc_hn
        if self.bridge is None:
            h = ref.new_zeros(self.num_layers, batch, self.hidden_size)
        else:
            per_layer = enc_hn.view(self.enc_layers, self.enc_dirs, batch, -1)            # [L, D, B, He]
            cat = per_layer.permute(0, 2, 1, 3).reshape(self.enc_layers, batch, -1)     # [L, B, D*He]: fwd ; bwd
            h = torch.tanh(self.bridge(cat))
        c = torch.zeros_like(h) if self.is_lstm else None
        feed = ref.new_zeros(batch, self.hidden_size) if self.input_feeding else None
        return DecoderState(h, c, feed)

    def _rnn(self, x, state):
        """x[T, B, in] -> (outputs[T, B, Hd], h, c)"""
        if self.is_lstm:
            out, (h, c) = self.rnn(x, (state.h, state.c))
            return out, h, c
        out, h = self.rnn(x, state.h)
        return out, h, None

    def step(self, y_prev, state, keys, pre, valid):
        """One step for a batch: y_prev[B] ids -> (logits[B, Vt], new state, attention weights[B, S] or None)."""
        emb = self.embedding(y_prev)
        alpha = None
        if self.kind == "bahdanau":
            q = state.h[-1]                                                 # s_{t-1}
            c_t, alpha = self.attention(q, keys, pre, valid)
            out, h, c = self._rnn(torch.cat([emb, c_t], 1).unsqueeze(0), state)
            s_t = out[0]
            logits = self.out(torch.cat([s_t, c_t], 1))
            return logits, DecoderState(h, c, None), alpha
        rnn_in = torch.cat([emb, state.feed], 1) if self.input_feeding else emb
        out, h, c = self._rnn(rnn_in.unsqueeze(0), state)
        s_t = out[0]
        if self.kind == "none":
            return self.out(s_t), DecoderState(h, c, None), None
        c_t, alpha = self.attention(s_t, keys, pre, valid)
        h_tilde = torch.tanh(self.combine(torch.cat([c_t, s_t], 1)))       # context first
        return self.out(h_tilde), DecoderState(h, c, h_tilde if self.input_feeding else None), alpha

    def forward(self, tgt_in, state, keys, valid):
        """Teacher forcing: tgt_in[T, B] -> logits[T, B, Vt]."""
        pre = self.attention.precompute(keys) if self.attention is not None else None
        if self.kind == "none" or (self.luong and not self.input_feeding):
            # the RNN does not depend on the attention: run it over all steps at once
            out, _, _ = self._rnn(self.embedding(tgt_in), state)
            if self.kind == "none":
                return self.out(out)
            T, B, hd = out.shape
            flat_q = out.reshape(T * B, hd)
            keys_rep = keys.repeat(1, T, 1)                                 # [S, T*B, K], batch index t*B + b
            pre_rep = pre.repeat(1, T, 1)
            valid_rep = valid.repeat(1, T)
            c_t, _ = self.attention(flat_q, keys_rep, pre_rep, valid_rep)
            h_tilde = torch.tanh(self.combine(torch.cat([c_t, flat_q], 1)))
            return self.out(h_tilde).view(T, B, -1)
        logits = []
        for t in range(tgt_in.shape[0]):
            step_logits, state, _ = self.step(tgt_in[t], state, keys, pre, valid)
            logits.append(step_logits)
        return torch.stack(logits)


class Seq2Seq(nn.Module):
    def __init__(self, config):
        super().__init__()
        check_config(config)
        self.config = config
        self.encoder = Encoder(config)
        self.decoder = Decoder(config)

    def forward(self, src, src_lengths, tgt_in):
        """src[S, B], src_lengths[B], tgt_in[T, B] (BOS first) -> logits[T, B, Vt] for the next tokens."""
        keys, hn = self.encoder(src, src_lengths)
        lengths = torch.as_tensor(src_lengths, dtype=torch.int64)
        valid = torch.arange(src.shape[0]).unsqueeze(1) < lengths.unsqueeze(0)      # [S, B]
        state = self.decoder.init_state(hn, src.shape[1])
        return self.decoder(tgt_in, state, keys, valid)

    # ---- one sentence (decoding) --------------------------------------------------------------------------------

    def encode(self, src_ids):
        """src_ids (list of ints, length >= 1) -> memory (keys[S,1,K], precomputed keys, valid[S,1]) and state."""
        src = torch.tensor(src_ids, dtype=torch.int64).unsqueeze(1)
        keys, hn = self.encoder(src, [len(src_ids)])
        valid = torch.ones(len(src_ids), 1, dtype=torch.bool)
        pre = self.decoder.attention.precompute(keys) if self.decoder.attention is not None else None
        return (keys, pre, valid), self.decoder.init_state(hn, 1)

    def decode_step(self, memory, state, y_prev):
        """Batch of n hypotheses of one sentence: y_prev[n] -> (log_probs[n, Vt], state, attention[n, S] or None)."""
        keys, pre, valid = memory
        n = y_prev.shape[0]
        if keys.shape[1] != n:
            keys = keys.expand(-1, n, -1)
            pre = pre.expand(-1, n, -1) if pre is not None else None
            valid = valid.expand(-1, n)
        logits, state, alpha = self.decoder.step(y_prev, state, keys, pre, valid)
        return torch.log_softmax(logits, dim=1), state, alpha
