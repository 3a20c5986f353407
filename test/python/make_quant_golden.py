#!/usr/bin/env python3
"""PyTorch's own dynamic quantization on jrnn's recurrent golden cases: the accuracy jrnn's INT8 must not fall behind.

For every standard LSTM (tanh candidate, no projection) and GRU (reset after) case in test/golden/rnn/, loads the
float32 module, quantizes it with torch.ao.quantization.quantize_dynamic (int8 weights; Debian's torch 1.13 runs it
on the qnnpack engine), runs the case's inputs and writes the largest |quantized - float32 PyTorch| over output, h_n
(and c_n) to test/golden/quant/pytorch_dynamic.json. PrecisionTest compares jrnn's INT8 against it.

    /usr/bin/python3 test/python/make_quant_golden.py

The float32 reference is the golden file's own output (PyTorch float64, stored as F32).
"""

import glob
import json
import os
import sys

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.join(HERE, "..", "..")
sys.path.insert(0, os.path.join(ROOT, "python"))
sys.path.insert(0, HERE)
from jrnn_torch.safetensors_io import read_safetensors  # noqa: E402
from make_rnn_golden import make_module, torch_forward  # noqa: E402


def main():
    torch.backends.quantized.engine = "qnnpack" if "qnnpack" in torch.backends.quantized.supported_engines else \
        torch.backends.quantized.supported_engines[-1]
    out = {"engine": torch.backends.quantized.engine, "torch": torch.__version__, "cases": {}}
    for path in sorted(glob.glob(os.path.join(ROOT, "test", "golden", "rnn", "*.safetensors"))):
        t, m = read_safetensors(path)
        cell = m["cell"]
        if cell == "lstm":
            if m.get("lstm_candidate") != "tanh" or int(m["proj_size"]) != 0:
                continue
        elif cell == "gru":
            if m.get("gru_reset") != "after":
                continue
        else:
            continue
        is_lstm = cell == "lstm"
        cfg = dict(input_size=int(m["input_size"]), hidden_size=int(m["hidden_size"]), num_layers=int(m["num_layers"]),
                   bidirectional=m["bidirectional"] == "true", bias="rnn.bias_ih_l0" in t, proj_size=0)
        if not cfg["bias"]:
            out["cases"][os.path.basename(path)] = {"error": "torch's dynamic quantized modules need bias=True"}
            continue
        module = make_module("lstm" if is_lstm else "gru", cfg)
        module.load_state_dict({k[4:]: v.float() for k, v in t.items() if k.startswith("rnn.")})
        module.eval()
        # quantize_dynamic swaps submodules, never the root: wrap the layer, take the swapped child back out
        wrapper = torch.nn.Module()
        wrapper.rnn = module
        q = torch.ao.quantization.quantize_dynamic(wrapper, {torch.nn.LSTM, torch.nn.GRU}, dtype=torch.qint8).rnn
        assert type(q).__module__.startswith("torch.ao.nn.quantized.dynamic") or "quantized" in type(q).__module__, type(q)
        has_h0 = m["has_h0"] == "true"
        has_len = m["has_lengths"] == "true"
        lengths = t["lengths"].tolist() if has_len else None
        h0 = t["h0"].float() if has_h0 else None
        c0 = t["c0"].float() if has_h0 and is_lstm else None
        try:
            y, hn, cn = torch_forward(q, is_lstm, t["x"].float(), lengths, h0, c0, has_len)
        except Exception as e:  # an option the quantized module does not take: recorded, not hidden
            out["cases"][os.path.basename(path)] = {"error": f"{type(e).__name__}: {e}"}
            continue
        err = max((y - t["output"].float()).abs().max().item(), (hn - t["hn"].float()).abs().max().item())
        if is_lstm:
            err = max(err, (cn - t["cn"].float()).abs().max().item())
        out["cases"][os.path.basename(path)] = {"max_abs_err": err}
    dest = os.path.join(ROOT, "test", "golden", "quant", "pytorch_dynamic.json")
    with open(dest, "w") as f:
        json.dump(out, f, indent=1, sort_keys=True)
        f.write("\n")
    errs = [c["max_abs_err"] for c in out["cases"].values() if "max_abs_err" in c]
    print(f"{len(errs)} cases ({len(out['cases']) - len(errs)} not runnable) on {out['engine']}: "
          f"max {max(errs):.4g}, mean {sum(errs) / len(errs):.4g} -> {dest}")


if __name__ == "__main__":
    main()
