#!/usr/bin/env python3
"""Golden data for jrnn's ONNX importer (test/java/io/jrnn/OnnxGoldenTest.java), written to test/golden/onnx/.

Each case is a folder as ONNX's backend test data lays it out: model.onnx, input_<k>.pb and output_<k>.pb
(TensorProto files named after the graph's inputs and outputs).

  backend-*  ONNX's own LSTM/GRU/RNN node cases, made by the case generators of the installed onnx package
             (onnx.backend.test.case.node: seeded numpy, expected outputs from ONNX's numpy reference helpers).
  torch-*    torch.onnx.export of every cell x bidirectional x layers x head, expected outputs from PyTorch.
  keras-*    graphs built with onnx.helper the way tf2onnx writes Keras layers (batch-major layout=1, reset-before
             GRU, LSTM peepholes), expected outputs from ONNX's numpy reference helpers.

Run with the system Python (Debian's python3-torch 1.13 and python3-onnx 1.12):
    /usr/bin/python3 test/python/make_onnx_golden.py
"""
import os
import shutil
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'golden', 'onnx')


def save(name, model, inputs, outputs):
    """inputs/outputs: lists of (name, array)."""
    d = os.path.join(OUT, name)
    os.makedirs(d, exist_ok=True)
    onnx.save(model, os.path.join(d, 'model.onnx'))
    for k, (n, a) in enumerate(inputs):
        with open(os.path.join(d, f'input_{k}.pb'), 'wb') as f:
            f.write(numpy_helper.from_array(np.asarray(a), n).SerializeToString())
    for k, (n, a) in enumerate(outputs):
        with open(os.path.join(d, f'output_{k}.pb'), 'wb') as f:
            f.write(numpy_helper.from_array(np.asarray(a), n).SerializeToString())


def backend_cases():
    import importlib
    import onnx.backend.test.case.node as node_cases
    # Importing a case module runs its seeded generators, which hand each case to expect() (the package's
    # collect_testcases imports every op's module, and some of those no longer run with today's numpy).
    cases = []
    for op in ('LSTM', 'GRU', 'RNN'):
        node_cases._NodeTestCases.clear()
        node_cases._TargetOpType = op
        importlib.import_module('onnx.backend.test.case.node.' + op.lower())
        cases += [(op, c) for c in node_cases._NodeTestCases]
    seen = set()
    for op, c in cases:
        if c.name in seen or c.model.graph.node[0].op_type != op:
            continue
        seen.add(c.name)
        inputs, outputs = c.data_sets[0]
        g = c.model.graph
        save('backend-' + c.name[len('test_'):], c.model,
             [(vi.name, a) for vi, a in zip(g.input, inputs)],
             [(vi.name, a) for vi, a in zip(g.output, outputs)])
        print('backend', c.name)


def torch_cases():
    import torch
    torch.manual_seed(20261202)
    V, E, H, C = 11, 5, 6, 4
    cells = {'lstm': torch.nn.LSTM, 'gru': torch.nn.GRU, 'rnn': torch.nn.RNN}

    class Net(torch.nn.Module):
        def __init__(self, cell, bidir, layers, head):
            super().__init__()
            self.head = head
            extra = {'nonlinearity': 'relu'} if cell == 'rnn' and bidir and layers == 2 else {}
            self.emb = torch.nn.Embedding(V, E) if head != 'none' else None
            self.rnn = cells[cell](E, H, num_layers=layers, bidirectional=bidir, batch_first=(head == 'lm'), **extra)
            d = 2 if bidir else 1
            self.fc = torch.nn.Linear(d * H, C) if head != 'none' else None

        def forward(self, x):
            if self.head == 'none':
                y, h = self.rnn(x)
                return (y,) + (tuple(h) if isinstance(h, tuple) else (h,))
            y, _ = self.rnn(self.emb(x))
            if self.head == 'classify':          # time-major, last step -> softmax over classes
                return torch.softmax(self.fc(y[-1]), dim=-1)
            return torch.log_softmax(self.fc(y), dim=-1)   # 'lm': batch-first, every step

    for cell in cells:
        for bidir in (False, True):
            for layers in (1, 2):
                for head in ('none', 'classify', 'lm'):
                    net = Net(cell, bidir, layers, head).eval()
                    T, B = 4, 3
                    if head == 'none':
                        x = torch.randn(T, B, E)
                    elif head == 'classify':
                        x = torch.randint(0, V, (T, B))
                    else:
                        x = torch.randint(0, V, (B, T))
                    with torch.no_grad():
                        ys = net(x)
                    ys = ys if isinstance(ys, tuple) else (ys,)
                    out_names = ['y', 'h', 'c'][:len(ys)] if head == 'none' else ['probs' if head == 'classify'
                                                                                  else 'logp']
                    name = f'torch-{cell}-{"bi" if bidir else "uni"}-l{layers}-{head}'
                    d = os.path.join(OUT, name)
                    os.makedirs(d, exist_ok=True)
                    axes = {'x': {0: 'd0', 1: 'd1'}}
                    torch.onnx.export(net, (x,), os.path.join(d, 'model.onnx'), input_names=['x'],
                                      output_names=out_names, dynamic_axes=axes, opset_version=13)
                    model = onnx.load(os.path.join(d, 'model.onnx'))
                    save(name, model, [('x', x.numpy())], [(n, y.numpy()) for n, y in zip(out_names, ys)])
                    print('torch', name)


def keras_cases():
    from onnx.backend.test.case.node.lstm import LSTM_Helper
    from onnx.backend.test.case.node.gru import GRU_Helper
    rng = np.random.RandomState(7)
    f32 = lambda *s: (rng.randn(*s) * 0.5).astype(np.float32)

    def model(nodes, inputs, outputs, inits):
        g = helper.make_graph(nodes, 'keras_style', inputs, outputs, initializer=inits)
        m = helper.make_model(g, producer_name='keras-style', opset_imports=[helper.make_opsetid('', 14)])
        onnx.checker.check_model(m)
        return m

    # LSTM, layout=1 (batch-major, as tf2onnx writes Keras layers), peepholes, initial state, then a Dense + softmax.
    B, T, I, H, C = 3, 5, 4, 6, 3
    x = f32(B, T, I)
    W, R, Bb, P = f32(1, 4 * H, I), f32(1, 4 * H, H), f32(1, 8 * H), f32(1, 3 * H)
    h0, c0 = f32(B, 1, H), f32(B, 1, H)
    Wd, bd = f32(H, C), f32(C)
    # the helpers take layout 0 with one direction (their layout=1 path cannot squeeze [B, 1, H] states):
    # time-major in, [T, 1, B, H] out, transposed here to layout 1's [B, T, 1, H]
    ref = LSTM_Helper(X=x.transpose(1, 0, 2), W=W, R=R, B=Bb, P=P, initial_h=h0.transpose(1, 0, 2),
                      initial_c=c0.transpose(1, 0, 2))
    y, yh = ref.step()
    y = y.astype(np.float32).transpose(2, 0, 1, 3)           # [B, T, 1, H]
    last = y[:, -1, 0, :]
    logits = last @ Wd + bd
    e = np.exp(logits - logits.max(-1, keepdims=True))
    probs = (e / e.sum(-1, keepdims=True)).astype(np.float32)
    nodes = [helper.make_node('LSTM', ['x', 'W', 'R', 'B', '', 'h0', 'c0', 'P'], ['Y', 'Y_h'], hidden_size=H, layout=1),
             helper.make_node('Squeeze', ['Y_h', 'ax1'], ['last']),
             helper.make_node('MatMul', ['last', 'Wd'], ['mm']),
             helper.make_node('Add', ['mm', 'bd'], ['logits']),
             helper.make_node('Softmax', ['logits'], ['probs'], axis=-1)]
    inits = [numpy_helper.from_array(a, n) for n, a in
             [('W', W), ('R', R), ('B', Bb), ('P', P), ('Wd', Wd), ('bd', bd), ('ax1', np.array([1], np.int64))]]
    vi = lambda n, s: helper.make_tensor_value_info(n, TensorProto.FLOAT, s)
    m = model(nodes, [vi('x', [None, None, I]), vi('h0', [None, 1, H]), vi('c0', [None, 1, H])],
              [vi('Y', [None, None, 1, H]), vi('probs', [None, C])], inits)
    save('keras-lstm-peephole-layout1', m, [('x', x), ('h0', h0), ('c0', c0)], [('Y', y), ('probs', probs)])

    # GRU, layout=1, linear_before_reset=0 (Keras reset_after=False, ONNX's default), with a bias.
    Wg, Rg, Bg = f32(1, 3 * H, I), f32(1, 3 * H, H), f32(1, 6 * H)
    ref = GRU_Helper(X=x.transpose(1, 0, 2), W=Wg, R=Rg, B=Bg)
    y, yh = ref.step()
    y, yh = y.transpose(2, 0, 1, 3), yh.transpose(1, 0, 2)   # layout 1: [B, T, 1, H], [B, 1, H]
    nodes = [helper.make_node('GRU', ['x', 'W', 'R', 'B'], ['Y', 'Y_h'], hidden_size=H, layout=1)]
    inits = [numpy_helper.from_array(a, n) for n, a in [('W', Wg), ('R', Rg), ('B', Bg)]]
    m = model(nodes, [vi('x', [None, None, I])], [vi('Y', [None, None, 1, H]), vi('Y_h', [None, 1, H])], inits)
    save('keras-gru-reset-before-layout1', m, [('x', x)], [('Y', y.astype(np.float32)), ('Y_h', yh.astype(np.float32))])
    print('keras cases')


if __name__ == '__main__':
    which = sys.argv[1:] or ['backend', 'torch', 'keras']
    for prefix in which:
        for d in os.listdir(OUT) if os.path.isdir(OUT) else []:
            if d.startswith(prefix + '-'):
                shutil.rmtree(os.path.join(OUT, d))
    if 'backend' in which:
        backend_cases()
    if 'torch' in which:
        torch_cases()
    if 'keras' in which:
        keras_cases()
