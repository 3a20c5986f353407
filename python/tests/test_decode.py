"""Decoding on synthetic scores (no model), the model's two paths against each other, and the export round trip.

    cd python && /usr/bin/python3 -m unittest discover -s tests -v
"""

import json
import math
import os
import random
import sys
import tempfile
import unittest

import numpy as np
import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from jrnn_torch import decode  # noqa: E402
from jrnn_torch.export import export, load  # noqa: E402
from jrnn_torch.model import ATTENTIONS, CELLS, Seq2Seq, make_config  # noqa: E402
from jrnn_torch.safetensors_io import read_safetensors, write_safetensors  # noqa: E402

PAD, BOS, EOS = 0, 1, 2
NEG = -1e9


def table(rows):
    """prefix -> log-probs from a dict {prefix tuple: {token: logp}}; unlisted tokens get NEG. Vocabulary 6."""
    def fn(prefix):
        out = np.full(6, NEG)
        for tok, lp in rows.get(prefix, {}).items():
            out[tok] = lp
        return out
    return decode.PrefixStepper(fn)


def random_stepper(seed, vocab=7, src_len=4):
    rng = np.random.default_rng(seed)
    cache = {}

    def logits(prefix):
        if prefix not in cache:
            x = rng.normal(size=vocab) * 2
            x[EOS] += 0.4 * len(prefix) - 1
            cache[prefix] = x - (x.max() + math.log(np.exp(x - x.max()).sum()))
        return cache[prefix]

    def attention(prefix):
        a = np.arange(1, src_len + 1, dtype=float) + len(prefix)
        return a / a.sum()
    return decode.PrefixStepper(logits, attention_fn=attention)


class GreedyTest(unittest.TestCase):
    def test_argmax_until_eos(self):
        st = table({(): {3: -0.5, 4: -1.0}, (3,): {4: -0.2, EOS: -2.0}, (3, 4): {EOS: -0.1, 5: -3.0}})
        t = decode.greedy(st, None, 10)
        self.assertEqual(t.tokens, [3, 4])
        self.assertAlmostEqual(t.log_prob, -0.5 - 0.2 - 0.1)
        self.assertTrue(t.ended)
        self.assertIsNone(t.attention)

    def test_ties_take_the_lowest_id_and_pad_bos_never_win(self):
        st = decode.PrefixStepper(lambda p: np.array([0.0, 0.0, -5.0, -1.0, -1.0, -3.0]) if len(p) < 2
                                  else np.array([0.0, 0.0, -0.1, -1.0, -1.0, -3.0]))
        t = decode.greedy(st, None, 10)
        self.assertEqual(t.tokens, [3, 3])
        self.assertAlmostEqual(t.log_prob, -1.0 - 1.0 - 0.1)

    def test_max_len_cuts(self):
        st = decode.PrefixStepper(lambda p: np.log(np.array([1e-9, 1e-9, 0.1, 0.6, 0.3, 1e-9])),
                                  attention_fn=lambda p: [1.0])
        t = decode.greedy(st, None, 3)
        self.assertEqual(t.tokens, [3, 3, 3])
        self.assertFalse(t.ended)
        self.assertEqual(len(t.attention), 3)


class BeamTest(unittest.TestCase):
    def test_finds_what_greedy_misses(self):
        st = table({(): {3: -0.4, 4: -0.6},
                    (3,): {5: -1.5, EOS: -1.6}, (4,): {EOS: -0.1, 5: -2.0},
                    (3, 5): {EOS: -0.1}, (4, 5): {EOS: -0.1}})
        self.assertEqual(decode.greedy(st, None, 5).tokens, [3, 5])             # -2.0
        best = decode.beam_search(st, None, 2, 5)
        self.assertEqual([t.tokens for t in best], [[4], [3, 5]])                # -0.7, then -1.9 - 0.1
        self.assertAlmostEqual(best[0].log_prob, -0.7)
        self.assertAlmostEqual(best[1].log_prob, -2.0)

    def test_beam_shrinks_as_hypotheses_finish(self):
        # step 1 keeps EOS (finished) and 3; step 2 may keep only 2 - 1 = 1 candidate
        st = table({(): {EOS: -0.1, 3: -0.2, 4: -0.3},
                    (3,): {4: -0.5, 5: -0.6, EOS: -2.0}, (3, 4): {EOS: -0.1}, (3, 5): {EOS: -0.1}})
        calls = []
        inner = st.step
        st.step = lambda state, tokens: (calls.append(len(tokens)), inner(state, tokens))[1]
        best = decode.beam_search(st, None, 2, 5)
        self.assertEqual([t.tokens for t in best], [[], [3, 4]])
        self.assertEqual(calls, [1, 1, 1])                                       # never more live than K - finished

    def test_rank_ties_lower_live_index_then_lower_token(self):
        st = table({(): {3: -1.0, 4: -1.0, 5: -1.0},
                    (3,): {EOS: -1.0, 4: -1.0}, (4,): {EOS: -1.0, 3: -1.0}, (5,): {EOS: -0.5}})
        # step 1 ranks 3, 4 (ties: lower token) and drops 5; step 2: all totals -2: (3,EOS), (3,4) from live 0 win
        best = decode.beam_search(st, None, 2, 2)
        self.assertEqual([t.tokens for t in best], [[3], [3, 4]])
        self.assertEqual([t.ended for t in best], [True, False])

    def test_length_penalty_and_stable_order(self):
        st = table({(): {EOS: -1.2, 3: -0.1}, (3,): {EOS: -0.1, 4: -0.2}, (3, 4): {EOS: -0.1},
                    (3, 4, 4): {EOS: -0.1}})
        raw = decode.beam_search(st, None, 3, 6, 0.0)
        self.assertEqual([t.log_prob for t in raw], sorted((t.log_prob for t in raw), reverse=True))
        for alpha in (0.0, 0.6, 1.0, 2.0):
            res = decode.beam_search(st, None, 3, 6, alpha)
            for t in res:
                self.assertAlmostEqual(t.score, t.log_prob / ((5 + t.length) / 6) ** alpha)
            self.assertEqual([t.score for t in res], sorted((t.score for t in res), reverse=True))
        # len counts EOS: [] ended has length 1
        self.assertEqual(decode.beam_search(st, None, 3, 6)[-1].length, 1)

    def test_equal_scores_keep_finished_order(self):
        st = table({(): {3: -1.0, 4: -1.0}, (3,): {EOS: -1.0}, (4,): {EOS: -1.0}})
        self.assertEqual([t.tokens for t in decode.beam_search(st, None, 2, 4, 1.0)], [[3], [4]])

    def test_max_len_finishes_live_in_order(self):
        st = decode.PrefixStepper(lambda p: np.log(np.array([1e-9, 1e-9, 0.05, 0.5, 0.3, 0.15])),
                                  attention_fn=lambda p: [0.25, 0.75])
        res = decode.beam_search(st, None, 3, 2)
        self.assertEqual(len(res), 3)
        self.assertTrue(all(not t.ended and len(t.tokens) == 2 for t in res))
        self.assertEqual([t.tokens for t in res], [[3, 3], [3, 4], [4, 3]])
        self.assertEqual(len(res[0].attention), 2)
        self.assertEqual(decode.beam_search(st, None, 3, 0)[0].tokens, [])

    def test_beam_one_is_greedy_and_invariants(self):
        for seed in range(200):
            st = random_stepper(seed)
            g = decode.greedy(st, None, 8)
            for alpha in (0.0, 0.6, 1.0):
                (b,) = decode.beam_search(st, None, 1, 8, alpha)
                self.assertEqual((b.tokens, b.attention), (g.tokens, g.attention))
                self.assertAlmostEqual(b.log_prob, g.log_prob, places=12)
            for k in (2, 3, 5):
                res = decode.beam_search(st, None, k, 8, 0.6)
                self.assertEqual(len(res), k)
                self.assertEqual([t.score for t in res], sorted((t.score for t in res), reverse=True))
                for t in res:
                    self.assertNotIn(EOS, t.tokens)
                    self.assertFalse({PAD, BOS} & set(t.tokens))
                    self.assertEqual(len(t.attention), t.length)
                    # logProb = sum of every generated token's log-prob, EOS included
                    prefix, total = (), 0.0
                    for tok in t.tokens + ([EOS] if t.ended else []):
                        total += st.fn(prefix)[tok]
                        prefix += (tok,)
                    self.assertAlmostEqual(t.log_prob, total, places=10)


# ---------------------------------------------------------------------------------------------------------------

def small_config(enc_cell, dec_cell, attention, bidirectional, bridge, input_feeding, layers=(2, 2)):
    he = 4
    hd = he * (2 if bidirectional else 1) if attention == "luong_dot" else 5
    return make_config(11, 9, encoder=dict(cell=enc_cell, embed_dim=3, hidden_size=he, num_layers=layers[0],
                                           bidirectional=bidirectional),
                       decoder=dict(cell=dec_cell, embed_dim=4, hidden_size=hd, num_layers=layers[1],
                                    attention=attention, attention_dim=6, input_feeding=input_feeding, bridge=bridge))


class ModelTest(unittest.TestCase):
    def test_teacher_forcing_equals_step_by_step_with_padding(self):
        rng = random.Random(3)
        for i, attention in enumerate(ATTENTIONS):
            for input_feeding in (False, True):
                cfg = small_config(CELLS[i % 4], CELLS[(i + 1 + input_feeding) % 4], attention, i % 2 == 0,
                                   "linear_tanh" if input_feeding else "zeros", input_feeding)
                torch.manual_seed(i)
                model = Seq2Seq(cfg).double().eval()
                lengths = [5, 2, 4]
                srcs = [[rng.randrange(3, 11) for _ in range(n)] for n in lengths]
                tgts = [[BOS] + [rng.randrange(3, 9) for _ in range(4)] for _ in lengths]
                src = torch.zeros(5, 3, dtype=torch.int64)
                for b, s in enumerate(srcs):
                    src[:len(s), b] = torch.tensor(s)
                with torch.no_grad():
                    batched = model(src, lengths, torch.tensor(tgts).t())
                for b in range(3):
                    st = decode.Seq2SeqStepper(model, srcs[b])
                    state = st.start()
                    for t, tok in enumerate(tgts[b]):
                        logp, att, state = st.step(state, [tok])
                        want = torch.log_softmax(batched[t, b], 0).numpy()
                        np.testing.assert_allclose(logp[0], want, atol=1e-12, err_msg=f"{attention} {b} {t}")
                        self.assertEqual(att is None, attention == "none")

    def test_state_dict_names_are_the_spec_names(self):
        cfg = small_config("lstm", "gru", "luong_concat", True, "linear_tanh", True)
        shapes = {k: list(v.shape) for k, v in Seq2Seq(cfg).state_dict().items()}
        self.assertEqual(shapes["decoder.attention.W.weight"], [6, 5 + 8])
        self.assertEqual(shapes["decoder.attention.v.weight"], [1, 6])
        self.assertEqual(shapes["decoder.combine.weight"], [5, 8 + 5])
        self.assertEqual(shapes["decoder.bridge.weight"], [5, 8])
        self.assertEqual(shapes["decoder.out.weight"], [9, 5])
        self.assertEqual(shapes["decoder.rnn.weight_ih_l0"], [15, 4 + 5])      # input feeding
        self.assertIn("encoder.rnn.weight_hh_l1_reverse", shapes)
        cfg = small_config("gru", "rnn_relu", "bahdanau", False, "zeros", True, (1, 2))
        shapes = {k: list(v.shape) for k, v in Seq2Seq(cfg).state_dict().items()}
        self.assertEqual(shapes["decoder.attention.query.weight"], [6, 5])
        self.assertEqual(shapes["decoder.attention.key.weight"], [6, 4])
        self.assertEqual(shapes["decoder.rnn.weight_ih_l0"], [5, 4 + 4])      # [emb; c], feeding ignored
        self.assertEqual(shapes["decoder.out.weight"], [9, 5 + 4])
        self.assertNotIn("decoder.bridge.weight", shapes)
        self.assertNotIn("decoder.combine.weight", shapes)

    def test_bad_configs(self):
        with self.assertRaises(ValueError):
            small_config("lstm", "lstm", "bahdanau", False, "linear_tanh", False, (1, 2))
        with self.assertRaises(ValueError):
            make_config(5, 5, encoder=dict(hidden_size=4), decoder=dict(hidden_size=5, attention="luong_dot"))


class ExportTest(unittest.TestCase):
    def test_round_trip(self):
        cfg = small_config("gru", "lstm", "luong_general", True, "linear_tanh", True)
        torch.manual_seed(0)
        model = Seq2Seq(cfg).eval()
        src_tokens = ["<pad>", "<s>", "</s>"] + list("abcdefg") + ["년"]
        tgt_tokens = ["<pad>", "<s>", "</s>"] + [str(i) for i in range(6)]
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "m.safetensors")
            export(model, path, src_tokens, tgt_tokens, "char")
            tensors, metadata = read_safetensors(path)
            self.assertEqual(list(tensors), list(model.state_dict()))
            self.assertTrue(all(t.dtype == torch.float32 for t in tensors.values()))
            config = json.loads(metadata["jrnn.config"])
            self.assertEqual(config["format"], "jrnn.seq2seq.v1")
            self.assertEqual(config["src_tokens"][-1], "년")
            self.assertEqual(config["tokenizer"], "char")
            self.assertEqual(config["decoder"]["attention"], "luong_general")
            reread, _ = load(path)
            for src in ([3, 4, 5], [9]):
                a = decode.beam_search(model, src, 3, 6, 0.6)
                b = decode.beam_search(reread, src, 3, 6, 0.6)
                self.assertEqual([t.tokens for t in a], [t.tokens for t in b])
                self.assertEqual([t.log_prob for t in a], [t.log_prob for t in b])
            with open(path, "rb") as f:
                raw = f.read()
            self.assertEqual(int.from_bytes(raw[:8], "little") % 8, 0)
            with self.assertRaises(ValueError):
                export(model, path, src_tokens[:-1], tgt_tokens)

    def test_safetensors_dtypes(self):
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "t.safetensors")
            tensors = {"a": torch.arange(6, dtype=torch.float32).reshape(2, 3),
                       "b": torch.tensor([1, -2], dtype=torch.int64),
                       "c": torch.tensor([0.1], dtype=torch.float64), "d": torch.tensor([7], dtype=torch.int32)}
            write_safetensors(path, tensors, {"k": "v"})
            back, meta = read_safetensors(path)
            self.assertEqual(meta, {"k": "v"})
            for k, v in tensors.items():
                self.assertTrue(torch.equal(back[k], v), k)


if __name__ == "__main__":
    unittest.main()
