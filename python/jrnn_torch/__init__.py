"""PyTorch side of jrnn: reference seq2seq modules (SPEC 1.3), decoding (SPEC 1.4) and export to one
.safetensors file that io.jrnn.Seq2Seq.load reads."""

from .sequence import SequenceModel, export_model, load_model, save  # noqa: E402,F401  (jrnn.model.v1)
