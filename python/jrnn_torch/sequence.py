"""Whole sequence models as io.jrnn.SequenceModel runs them (format jrnn.model.v1, docs/MODEL-FORMAT.md):
optional Embedding -> recurrent stack -> readout -> Linear + activation layers -> optional softmax / log-softmax.

`export_model(path, rnn, ...)` writes the modules of *your* model (any attribute names) to one .safetensors file
under the format's canonical tensor names, with the config in the metadata key `jrnn.config`.
`SequenceModel` is the PyTorch reference of the format (used by the golden tests); `load_model(path)` reads a file
back into one.
"""

import json

import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from .safetensors_io import read_safetensors, write_safetensors

FORMAT = "jrnn.model.v1"
CONFIG_KEY = "jrnn.config"
READOUTS = ("all_steps", "last", "final_state", "mean")
ACTIVATIONS = ("none", "tanh", "relu", "sigmoid")
OUTPUTS = ("none", "softmax", "log_softmax")


def _cell(rnn):
    if isinstance(rnn, nn.LSTM):
        return "lstm"
    if isinstance(rnn, nn.GRU):
        return "gru"
    if isinstance(rnn, nn.RNN):
        return "rnn_tanh" if rnn.nonlinearity == "tanh" else "rnn_relu"
    raise TypeError(f"rnn must be torch.nn.RNN, LSTM or GRU, got {type(rnn).__name__}")


def model_config(rnn, embedding=None, heads=(), readout="all_steps", output="none", tokens=None):
    """The jrnn.config dict for these modules. heads: Linear modules or (Linear, activation) pairs."""
    if readout not in READOUTS:
        raise ValueError(f"readout must be one of {READOUTS}, got {readout!r}")
    if output not in OUTPUTS:
        raise ValueError(f"output must be one of {OUTPUTS}, got {output!r}")
    cfg = {"format": FORMAT}
    if embedding is not None:
        cfg["embedding"] = {"num_embeddings": embedding.num_embeddings, "embedding_dim": embedding.embedding_dim}
    cfg["rnn"] = {"cell": _cell(rnn), "input_size": rnn.input_size, "hidden_size": rnn.hidden_size,
                  "num_layers": rnn.num_layers, "bidirectional": rnn.bidirectional, "bias": rnn.bias,
                  "batch_first": rnn.batch_first}
    if getattr(rnn, "proj_size", 0):
        cfg["rnn"]["proj_size"] = rnn.proj_size
    cfg["readout"] = readout
    cfg["head"] = []
    for h in heads:
        lin, act = (h, "none") if isinstance(h, nn.Linear) else h
        if act not in ACTIVATIONS:
            raise ValueError(f"activation must be one of {ACTIVATIONS}, got {act!r}")
        cfg["head"].append({"in_features": lin.in_features, "out_features": lin.out_features,
                            "bias": lin.bias is not None, "activation": act})
    cfg["output"] = output
    if tokens is not None:
        if embedding is None or len(tokens) != embedding.num_embeddings:
            raise ValueError("tokens need an embedding with one row per token")
        cfg["tokens"] = list(tokens)
    return cfg


def export_model(path, rnn, embedding=None, heads=(), readout="all_steps", output="none", tokens=None):
    """Writes the modules to `path` (no `safetensors` package needed): embedding.weight, rnn.* (PyTorch's own
    names), head.<i>.weight / head.<i>.bias, all float32, and the config. Dropout is ignored (inference)."""
    cfg = model_config(rnn, embedding, heads, readout, output, tokens)
    tensors = []
    if embedding is not None:
        tensors.append(("embedding.weight", embedding.weight))
    for name, t in rnn.state_dict().items():
        tensors.append(("rnn." + name, t))
    for i, h in enumerate(heads):
        lin = h if isinstance(h, nn.Linear) else h[0]
        tensors.append((f"head.{i}.weight", lin.weight))
        if lin.bias is not None:
            tensors.append((f"head.{i}.bias", lin.bias))
    save([(n, t.detach().to(torch.float32)) for n, t in tensors], path,
         {CONFIG_KEY: json.dumps(cfg, ensure_ascii=False, separators=(", ", ": "))})
    return cfg


def save(state_dict, path, metadata=None):
    """Saves a state_dict (or a list of (name, tensor) pairs) as safetensors, like safetensors.torch.save_file but
    without that package: F32, F64, F16, BF16, I64, I32 tensors; metadata maps str to str."""
    write_safetensors(path, state_dict, dict(metadata or {}))


class SequenceModel(nn.Module):
    """The PyTorch reference of jrnn.model.v1. forward(x or ids, lengths) returns what io.jrnn.SequenceModel's
    forward returns."""

    def __init__(self, config):
        super().__init__()
        self.config = config
        r = config["rnn"]
        e = config.get("embedding")
        self.embedding = nn.Embedding(e["num_embeddings"], e["embedding_dim"]) if e else None
        kw = dict(input_size=r["input_size"], hidden_size=r["hidden_size"], num_layers=r.get("num_layers", 1),
                  bidirectional=r.get("bidirectional", False), bias=r.get("bias", True),
                  batch_first=r.get("batch_first", False))
        cell = r["cell"]
        if cell == "lstm":
            self.rnn = nn.LSTM(proj_size=r.get("proj_size", 0), **kw)
        elif cell == "gru":
            self.rnn = nn.GRU(**kw)
        else:
            self.rnn = nn.RNN(nonlinearity="tanh" if cell == "rnn_tanh" else "relu", **kw)
        self.head = nn.ModuleList(nn.Linear(h["in_features"], h["out_features"], bias=h.get("bias", True))
                                  for h in config.get("head", []))
        self.activations = [h.get("activation", "none") for h in config.get("head", [])]
        self.readout = config["readout"]
        self.output = config.get("output", "none")

    def forward(self, x, lengths=None):
        bf = self.rnn.batch_first
        if self.embedding is not None:
            x = self.embedding(x)
        T = x.shape[1] if bf else x.shape[0]
        B = x.shape[0] if bf else x.shape[1]
        if lengths is None:
            lengths = torch.full((B,), T, dtype=torch.long)
        packed = pack_padded_sequence(x, lengths, batch_first=bf, enforce_sorted=False)
        out, state = self.rnn(packed)
        y, _ = pad_packed_sequence(out, batch_first=bf, total_length=T)   # zeros at padded steps
        hn = state[0] if isinstance(state, tuple) else state
        if self.readout == "all_steps":
            f = y
        else:
            ytm = y.transpose(0, 1) if bf else y                             # [T,B,F]
            if self.readout == "last":
                f = ytm[lengths - 1, torch.arange(B)]
            elif self.readout == "mean":
                f = ytm.sum(0) / lengths.to(ytm.dtype).unsqueeze(1)
            else:  # final_state: the top layer's h_n, fwd || bwd
                D = 2 if self.rnn.bidirectional else 1
                f = torch.cat([hn[(self.rnn.num_layers - 1) * D + d] for d in range(D)], dim=-1)
        for lin, act in zip(self.head, self.activations):
            f = lin(f)
            if act == "tanh":
                f = torch.tanh(f)
            elif act == "relu":
                f = torch.relu(f)
            elif act == "sigmoid":
                f = torch.sigmoid(f)
        if self.output == "softmax":
            f = torch.softmax(f, dim=-1)
        elif self.output == "log_softmax":
            f = torch.log_softmax(f, dim=-1)
        return f


def load_model(path):
    """Reads a jrnn.model.v1 file into a SequenceModel (eval mode)."""
    tensors, metadata = read_safetensors(path)
    model = SequenceModel(json.loads(metadata[CONFIG_KEY]))
    model.load_state_dict(tensors, strict=True)
    return model.eval()
