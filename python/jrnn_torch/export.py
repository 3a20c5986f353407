"""Export a model.Seq2Seq to the one-file format io.jrnn.Seq2Seq.load reads (SPEC 1.3): the state_dict as F32
tensors under their PyTorch names, and the JSON config under the metadata key `jrnn.config`."""

import json

import torch

from .model import Seq2Seq, check_config
from .safetensors_io import read_safetensors, write_safetensors

CONFIG_KEY = "jrnn.config"


def config_json(model, src_tokens=None, tgt_tokens=None, tokenizer=None):
    cfg = dict(model.config)
    for key in ("src_tokens", "tgt_tokens", "tokenizer"):
        cfg.pop(key, None)
    if src_tokens is not None:
        if len(src_tokens) != cfg["src_vocab_size"]:
            raise ValueError(f"src_tokens has {len(src_tokens)} entries, src_vocab_size is {cfg['src_vocab_size']}")
        cfg["src_tokens"] = list(src_tokens)
    if tgt_tokens is not None:
        if len(tgt_tokens) != cfg["tgt_vocab_size"]:
            raise ValueError(f"tgt_tokens has {len(tgt_tokens)} entries, tgt_vocab_size is {cfg['tgt_vocab_size']}")
        cfg["tgt_tokens"] = list(tgt_tokens)
    if tokenizer is not None:
        if tokenizer not in ("char", "word"):
            raise ValueError(f"tokenizer must be 'char' or 'word', got {tokenizer!r}")
        cfg["tokenizer"] = tokenizer
    return json.dumps(cfg, ensure_ascii=False, separators=(", ", ": "))


def export(model, path, src_tokens=None, tgt_tokens=None, tokenizer=None):
    """Writes `path`; tensors in state_dict order, stored as float32."""
    metadata = {"format": "pt", CONFIG_KEY: config_json(model, src_tokens, tgt_tokens, tokenizer)}
    tensors = [(name, t.detach().to(torch.float32)) for name, t in model.state_dict().items()]
    write_safetensors(path, tensors, metadata)


def load(path, dtype=torch.float32):
    """Reads an exported file back into a Seq2Seq (eval mode). Returns (model, config dict with vocabularies)."""
    tensors, metadata = read_safetensors(path)
    config = json.loads(metadata[CONFIG_KEY])
    check_config(config)
    model = Seq2Seq({k: v for k, v in config.items() if k not in ("src_tokens", "tgt_tokens", "tokenizer")})
    model.load_state_dict(tensors, strict=True)
    return model.to(dtype).eval(), config
