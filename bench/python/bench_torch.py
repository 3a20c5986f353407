#!/usr/bin/env python3
"""The PyTorch side of jrnn's benchmark: the PERF.md cases on the same weights and inputs jrnn and ONNX Runtime
use (the safetensors files RunAll writes), at each thread count, median ms per forward.

Run by io.jrnn.bench.RunAll when /usr/bin/python3 can import torch; standalone:
    python3 bench/python/bench_torch.py --work target/bench --cases lstm-b1,gru-b64 --threads 1,2 --out t.json

"threads" means torch.set_num_threads(t) and, when OpenBLAS is the BLAS (RunAll preloads bytedeco's copy, the one
jrnn uses, because Debian's PyTorch otherwise calls the reference libblas.so.3, ~30x slower), OpenBLAS's own pool
set to t as well. Median of single calls after a warm-up.

For each case it also compares the final hidden state with jrnn's (target/bench/check/<case>.safetensors, when
RunAll wrote it) and reports the largest difference, so the three engines are known to compute the same thing.

With --quant-cases (LSTM and GRU cases) it also times PyTorch's int8 dynamic quantization of the same layers,
torch.ao.quantization.quantize_dynamic(..., dtype=torch.qint8) with its default qconfig, on the first quantized
engine of --quant-engines this build supports (fbgemm, then onednn / x86, then qnnpack), and reports the engine and
how far the quantized outputs (output, h_n, c_n) land from the float32 module's.
"""

import argparse
import json
import os
import statistics
import struct
import sys
import time

import numpy as np
import torch

BEAM = 5                 # Seq2SeqBench.BEAM
LENGTH_PENALTY = 0.6     # Seq2SeqBench.LENGTH_PENALTY
BLAS_THREADS = None      # set in main: OpenBLAS's thread setter when it is the BLAS


def read_safetensors(path):
    """name -> float32 numpy array, and the metadata dict (F32 tensors only: all the bench writes)."""
    with open(path, "rb") as f:
        raw = f.read()
    (n,) = struct.unpack_from("<Q", raw, 0)
    header = json.loads(raw[8:8 + n].decode("utf-8"))
    meta = header.pop("__metadata__", {}) or {}
    data = memoryview(raw)[8 + n:]
    out = {}
    for name, info in header.items():
        if info["dtype"] != "F32":
            raise ValueError(f"{path}: {name} is {info['dtype']}, expected F32")
        begin, end = info["data_offsets"]
        out[name] = np.frombuffer(data[begin:end], dtype="<f4").reshape(info["shape"]).copy()
    return out, meta


def build(cell, tensors):
    w_ih = tensors["rnn.weight_ih_l0"]
    gates = {"RNN": 1, "LSTM": 4, "GRU": 3}[cell]
    hidden, inp = w_ih.shape[0] // gates, w_ih.shape[1]
    module = getattr(torch.nn, cell)(inp, hidden)  # RNN: tanh, PyTorch's default
    state = {k[len("rnn."):]: torch.from_numpy(v) for k, v in tensors.items() if k.startswith("rnn.")}
    module.load_state_dict(state, strict=True)
    return module.eval()


def blas_threads_setter():
    """PyTorch here calls sgemm through the system's libblas.so.3; RunAll may preload OpenBLAS in its place
    (LD_PRELOAD), whose own thread pool must then follow torch.set_num_threads. Returns a setter, or None."""
    maps = open("/proc/self/maps").read()
    if "libopenblas" not in maps:
        return None
    import ctypes
    lib = ctypes.CDLL("libopenblas.so.0")
    return lib.openblas_set_num_threads


def blas_name():
    maps = open("/proc/self/maps").read()
    if "libopenblas" in maps:
        return "OpenBLAS (libopenblas.so.0 preloaded over the system libblas.so.3)"
    if "libmkl" in maps:
        return "MKL"
    return "the system libblas.so.3 (" + ("reference BLAS" if "/blas/libblas.so" in maps else "unknown") + ")"


def set_threads(t):
    torch.set_num_threads(t)
    if BLAS_THREADS is not None:
        BLAS_THREADS(t)


def median_ms(fn, warmup_s, measure_s, min_runs):
    """Median wall time of fn() in ms after warming up; runs until both measure_s and min_runs are reached."""
    end = time.perf_counter() + warmup_s
    fn()
    while time.perf_counter() < end:
        fn()
    times = []
    end = time.perf_counter() + measure_s
    while len(times) < min_runs or time.perf_counter() < end:
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1e3)
    return statistics.median(times), len(times)


def bench_case(work, name, threads, args):
    tensors, meta = read_safetensors(os.path.join(work, "cases", name + ".safetensors"))
    module = build(meta["cell"], tensors)
    x = torch.from_numpy(tensors["x"])
    rows = []
    diff = None
    check_file = os.path.join(work, "check", name + ".safetensors")
    with torch.inference_mode():
        if os.path.exists(check_file):
            expected, _ = read_safetensors(check_file)
            _, state = module(x)
            hn = state[0] if isinstance(state, tuple) else state
            diff = float(np.max(np.abs(hn.numpy() - expected["hn"])))
            if not np.isfinite(diff):
                diff = "nan"  # strict JSON has no NaN; RunAll reads a string as a mismatch
        for t in threads:
            set_threads(t)
            ms, runs = median_ms(lambda: module(x), args.warmup, args.measure, args.min_runs)
            rows.append({"case": name, "threads": t, "median_ms": ms, "runs": runs,
                         "max_abs_diff_vs_jrnn": diff})
            print(f"  torch {name} threads={t}: {ms:.3f} ms (median of {runs})", flush=True)
    return rows


def pick_quant_engine(order):
    """The first engine of `order` this build lists and that runs a quantized LSTM; (engine, [tried: reason])."""
    supported = torch.backends.quantized.supported_engines
    tried = []
    for engine in order:
        if engine not in supported:
            tried.append(f"{engine}: not in this build")
            continue
        try:
            torch.backends.quantized.engine = engine
            q = quantize(torch.nn.LSTM(8, 8).eval())
            with torch.inference_mode():
                q(torch.zeros(2, 1, 8))
            return engine, tried
        except Exception as e:  # noqa: BLE001 -- any failure means: try the next engine
            tried.append(f"{engine}: {type(e).__name__}: {e}")
    return None, tried


def quantize(module):
    """torch.ao.quantization.quantize_dynamic of one nn.LSTM/nn.GRU (it swaps submodules, never the root: wrap the
    layer and take the swapped child back out)."""
    wrapper = torch.nn.Sequential(module)
    return torch.ao.quantization.quantize_dynamic(wrapper, {torch.nn.LSTM, torch.nn.GRU}, dtype=torch.qint8)[0]


def outputs(module, x):
    """output, h_n (and c_n) as one flat float64 array."""
    y, state = module(x)
    parts = [y] + (list(state) if isinstance(state, tuple) else [state])
    return np.concatenate([p.detach().numpy().astype(np.float64).ravel() for p in parts])


def bench_quant_case(work, name, threads, args):
    tensors, meta = read_safetensors(os.path.join(work, "cases", name + ".safetensors"))
    if meta["cell"] not in ("LSTM", "GRU"):
        raise ValueError(f"{name}: quantize_dynamic covers LSTM and GRU, not {meta['cell']}")
    module = build(meta["cell"], tensors)
    q = quantize(build(meta["cell"], tensors))
    x = torch.from_numpy(tensors["x"])
    rows = []
    with torch.inference_mode():
        d = np.abs(outputs(q, x) - outputs(module, x))
        mean, worst = float(np.mean(d)), float(np.max(d))
        if not (np.isfinite(mean) and np.isfinite(worst)):
            mean, worst = "nan", "nan"  # strict JSON has no NaN; RunAll reads a string as a mismatch
        for t in threads:
            set_threads(t)
            ms, runs = median_ms(lambda: q(x), args.warmup, args.measure, args.min_runs)
            rows.append({"case": name, "threads": t, "median_ms": ms, "runs": runs,
                         "mean_abs_diff_vs_fp32": mean, "max_abs_diff_vs_fp32": worst})
            print(f"  torch int8 ({torch.backends.quantized.engine}) {name} threads={t}: {ms:.3f} ms "
                  f"(median of {runs}; vs float32 mean |diff| {mean}, max {worst})", flush=True)
    return rows


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--work", default="target/bench", help="RunAll's work folder (cases/, check/)")
    p.add_argument("--cases", default="rnn-b1,lstm-b1,gru-b1,rnn-b64,lstm-b64,gru-b64")
    p.add_argument("--threads", default="1,2")
    p.add_argument("--warmup", type=float, default=1.0, help="seconds of warm-up per case and thread count")
    p.add_argument("--measure", type=float, default=3.0, help="seconds of measurement (at least --min-runs calls)")
    p.add_argument("--min-runs", type=int, default=10)
    p.add_argument("--seq2seq", help="a jrnn seq2seq .safetensors model to time (needs python/jrnn_torch)")
    p.add_argument("--sentences", help="the source sentences for --seq2seq (written by Seq2SeqBench)")
    p.add_argument("--quant-cases", default="",
                   help="LSTM/GRU cases to time quantized with quantize_dynamic (qint8), e.g. lstm-b1,gru-b64")
    p.add_argument("--quant-engines", default="fbgemm,onednn,x86,qnnpack",
                   help="quantized engines to try, in order of preference")
    p.add_argument("--out", help="JSON results file (default: stdout)")
    args = p.parse_args()

    torch.set_num_interop_threads(1)
    global BLAS_THREADS
    BLAS_THREADS = blas_threads_setter()
    threads = [int(t) for t in args.threads.split(",")]
    result = {"torch_version": torch.__version__, "numpy_version": np.__version__,
              "python": sys.version.split()[0], "blas": blas_name(),
              "results": []}
    for name in filter(None, args.cases.split(",")):
        result["results"] += bench_case(args.work, name, threads, args)
    if args.quant_cases:
        engine, tried = pick_quant_engine(args.quant_engines.split(","))
        quant = {"supported_engines": list(torch.backends.quantized.supported_engines), "engine": engine,
                 "not_used": tried, "qconfig": "default qconfig, dtype=torch.qint8", "results": []}
        if engine is None:
            quant["skipped"] = "no quantized engine of " + args.quant_engines + " runs here (" + "; ".join(tried) + ")"
        else:
            for name in filter(None, args.quant_cases.split(",")):
                quant["results"] += bench_quant_case(args.work, name, threads, args)
        result["quantized"] = quant
    if args.seq2seq:
        result["seq2seq"] = bench_seq2seq(args.seq2seq, args.sentences, threads, args)

    text = json.dumps(result, indent=2)
    if args.out:
        with open(args.out, "w") as f:
            f.write(text + "\n")
    else:
        print(text)


def bench_seq2seq(model_path, sentences_path, threads, args):
    """Greedy and beam-5 time per sentence of the demo model, with the project's PyTorch reference modules and
    decoding (python/jrnn_torch), on the sentences Seq2SeqBench decodes (one per line: max_len<TAB>ids)."""
    root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "python")
    sys.path.insert(0, os.path.normpath(root))
    try:
        from jrnn_torch import decode, export
    except ImportError as e:
        return {"skipped": f"python/jrnn_torch cannot be imported ({e})"}
    model, config = export.load(model_path)
    sentences, expected = [], []
    with open(sentences_path, encoding="utf-8") as f:
        for line in f:
            if line.strip():
                parts = line.rstrip("\n").split("\t")
                sentences.append(([int(i) for i in parts[1].split()], int(parts[0])))
                expected.append(parts[2] if len(parts) > 2 else None)
    # the same check as Seq2SeqBench: the demo model translates every held-out date right
    tgt = config.get("tgt_tokens")
    wrong = 0
    if tgt:
        with torch.inference_mode():
            for (src, n), want in zip(sentences, expected):
                got = "".join(tgt[t] for t in decode.greedy(model, src, n).tokens)
                wrong += want is not None and got != want
    kinds = (("greedy", lambda s, n: decode.greedy(model, s, n)),
             ("beam5", lambda s, n: decode.beam_search(model, s, BEAM, n, LENGTH_PENALTY)))
    rows = []
    with torch.inference_mode():
        for t in threads:
            set_threads(t)
            for kind, fn in kinds:
                ms, runs = median_ms(lambda: [fn(s, n) for s, n in sentences], args.warmup, args.measure, 3)
                per = ms / len(sentences)
                rows.append({"decoding": kind, "threads": t, "ms_per_sentence": per, "runs": runs})
                print(f"  torch seq2seq {kind} threads={t}: {per:.3f} ms/sentence", flush=True)
    return {"results": rows, "wrong_translations": wrong}


if __name__ == "__main__":
    main()
