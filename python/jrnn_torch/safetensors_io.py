"""safetensors, written and read by hand (the `safetensors` package is not needed).

The format: u64 little-endian header length N, N bytes of JSON header, then the raw little-endian tensor data.
The header maps each tensor name to {"dtype", "shape", "data_offsets": [begin, end]} (offsets relative to the
data section) and may hold "__metadata__", a map of string to string. The header is padded with spaces to a
multiple of 8 bytes so the data section stays aligned.
"""

import json
import struct

import torch

# dtype name in the file <-> (torch dtype, struct code, bytes per element)
_DTYPES = {
    "F64": (torch.float64, "d", 8),
    "F32": (torch.float32, "f", 4),
    "I64": (torch.int64, "q", 8),
    "I32": (torch.int32, "i", 4),
    "F16": (torch.float16, "e", 2),
    "BF16": (torch.bfloat16, "h", 2),  # packed through its int16 bit pattern
}
_BY_TORCH = {v[0]: k for k, v in _DTYPES.items()}


def write_safetensors(path, tensors, metadata):
    """Writes tensors (a list of (name, tensor) pairs, or a dict, in that order) and metadata (str -> str).
    Deterministic: the same tensors and metadata give the same bytes."""
    if isinstance(tensors, dict):
        tensors = list(tensors.items())
    for key, value in metadata.items():
        if not isinstance(key, str) or not isinstance(value, str):
            raise TypeError(f"metadata must map str to str, got {key!r}: {type(value).__name__}")
    header = {"__metadata__": metadata}
    blobs = []
    offset = 0
    for name, t in tensors:
        if name == "__metadata__" or name in header:
            raise ValueError(f"duplicate or reserved tensor name {name!r}")
        t = t.detach().contiguous()
        if t.dtype not in _BY_TORCH:
            raise TypeError(f"{name}: {t.dtype}")
        dtype = _BY_TORCH[t.dtype]
        code = _DTYPES[dtype][1]
        flat = t.reshape(-1)
        values = (flat.view(torch.int16) if t.dtype == torch.bfloat16 else flat).tolist()
        blob = struct.pack("<" + code * len(values), *values)
        header[name] = {"dtype": dtype, "shape": list(t.shape), "data_offsets": [offset, offset + len(blob)]}
        blobs.append(blob)
        offset += len(blob)
    text = json.dumps(header, separators=(",", ":")).encode("utf-8")
    text += b" " * ((-len(text)) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for blob in blobs:
            f.write(blob)


def read_safetensors(path):
    """Returns (tensors, metadata): an ordered dict name -> tensor (in file order of data offsets) and the
    metadata dict (empty when the file has none)."""
    with open(path, "rb") as f:
        raw = f.read()
    if len(raw) < 8:
        raise ValueError(f"{path}: too short for a safetensors file ({len(raw)} bytes)")
    (n,) = struct.unpack_from("<Q", raw, 0)
    if 8 + n > len(raw):
        raise ValueError(f"{path}: header length {n} exceeds the file size {len(raw)}")
    header = json.loads(raw[8:8 + n].decode("utf-8"))
    metadata = header.pop("__metadata__", {}) or {}
    data = raw[8 + n:]
    tensors = {}
    for name, info in sorted(header.items(), key=lambda kv: kv[1]["data_offsets"][0]):
        torch_dtype, code, size = _DTYPES[info["dtype"]]
        begin, end = info["data_offsets"]
        count = 1
        for d in info["shape"]:
            count *= d
        if end - begin != count * size or end > len(data):
            raise ValueError(f"{path}: {name} has offsets {begin}..{end} for shape {info['shape']} {info['dtype']}")
        values = struct.unpack_from("<" + code * count, data, begin)
        if torch_dtype == torch.bfloat16:
            tensors[name] = torch.tensor(values, dtype=torch.int16).view(torch.bfloat16).reshape(info["shape"])
        else:
            tensors[name] = torch.tensor(values, dtype=torch_dtype).reshape(info["shape"])
    return tensors, metadata
