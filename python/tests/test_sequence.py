"""jrnn.model.v1 on the PyTorch side: export_model from plain modules, read back into the reference SequenceModel,
gives what the modules give; save() writes a state_dict without the safetensors package.

    cd python && /usr/bin/python3 -m unittest tests.test_sequence -v
"""

import json
import os
import sys
import tempfile
import unittest

import torch
from torch import nn

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from jrnn_torch import export_model, load_model, save  # noqa: E402
from jrnn_torch.safetensors_io import read_safetensors  # noqa: E402


class ExportTest(unittest.TestCase):
    def test_round_trip_matches_the_modules(self):
        torch.manual_seed(0)
        emb, rnn, fc1, fc2 = nn.Embedding(9, 4), nn.GRU(4, 5, num_layers=2, batch_first=True), nn.Linear(5, 6), nn.Linear(6, 9)
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "m.safetensors")
            cfg = export_model(path, rnn, embedding=emb, heads=[(fc1, "relu"), fc2], readout="all_steps",
                               output="log_softmax")
            self.assertEqual(cfg["rnn"]["batch_first"], True)
            model = load_model(path)
            ids = torch.randint(0, 9, (2, 7))
            with torch.no_grad():
                want = torch.log_softmax(fc2(torch.relu(fc1(rnn(emb(ids))[0]))), dim=-1)
                got = model(ids)
            self.assertTrue(torch.allclose(want, got, atol=1e-6))
            _, meta = read_safetensors(path)
            self.assertEqual(json.loads(meta["jrnn.config"])["format"], "jrnn.model.v1")

    def test_save_without_the_safetensors_package(self):
        sd = {"a": torch.randn(2, 3), "b": torch.randn(4).to(torch.bfloat16), "c": torch.randn(3).half(),
              "n": torch.tensor([1, 2], dtype=torch.long)}
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "w.safetensors")
            save(sd, path, {"k": "v"})
            back, meta = read_safetensors(path)
            self.assertEqual(meta, {"k": "v"})
            for k, v in sd.items():
                self.assertEqual(back[k].dtype, v.dtype)
                self.assertTrue(torch.equal(back[k], v), k)

    def test_rejects_unknown_choices(self):
        with self.assertRaises(ValueError):
            export_model(os.devnull, nn.LSTM(2, 3), readout="first")
        with self.assertRaises(TypeError):
            export_model(os.devnull, nn.Linear(2, 3))


if __name__ == "__main__":
    unittest.main()
