#!/usr/bin/env python3
"""Golden data for jrnn's ONNX importer (test/java/io/jrnn/OnnxModelGoldenTest.java), written to test/golden/onnx-model/.

Each case is a folder as ONNX's backend test data lays it out: model.onnx, input_<k>.pb and output_<k>.pb
(TensorProto files named after the graph's inputs and outputs).

  backend-*  ONNX's own LSTM/GRU/RNN node cases, made by the case generators of the installed onnx package
             (onnx.backend.test.case.node: seeded numpy, expected outputs from ONNX's numpy reference helpers).
  torch-*    torch.onnx.export of every cell x bidirectional x layers x head, expected outputs from PyTorch.
  feature-*  the ONNX-only attributes (reverse, clip, input_forget, activations with alpha/beta, peepholes,
             sequence_lens, layout 1) on LSTM/GRU/RNN nodes built with onnx.helper, expected outputs from
             onnx_reference() below, an implementation of the operator definitions checked against ONNX's numpy
             helpers on the cases those cover.
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

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'golden', 'onnx-model')


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


# ---- ONNX's recurrent operators, from their definitions (float64) ----
ACT = {
    'sigmoid': (0, 0, lambda x, a, b: 1 / (1 + np.exp(-x))),
    'tanh': (0, 0, lambda x, a, b: np.tanh(x)),
    'relu': (0, 0, lambda x, a, b: np.maximum(x, 0)),
    'hardsigmoid': (1, 1, lambda x, a, b: np.clip(a * x + b, 0, 1)),
    'elu': (1, 0, lambda x, a, b: np.where(x >= 0, x, a * (np.exp(x) - 1))),
    'softsign': (0, 0, lambda x, a, b: x / (1 + np.abs(x))),
    'softplus': (0, 0, lambda x, a, b: np.log1p(np.exp(x))),
    'affine': (1, 1, lambda x, a, b: a * x + b),
    'leakyrelu': (1, 0, lambda x, a, b: np.where(x >= 0, x, a * x)),
    'thresholdedrelu': (1, 0, lambda x, a, b: np.where(x > a, x, 0)),
    'scaledtanh': (1, 1, lambda x, a, b: a * np.tanh(b * x)),
}


def onnx_reference(op, X, W, R, B=None, seq=None, h0=None, c0=None, P=None, direction='forward', layout=0,
                   clip=None, input_forget=0, acts=None, linear_before_reset=0):
    """Y, Y_h[, Y_c] as the ONNX operator defines them. acts: list of (name, alpha, beta) for all directions."""
    X = X.astype(np.float64)
    if layout == 1:
        X = X.transpose(1, 0, 2)
        h0 = None if h0 is None else h0.transpose(1, 0, 2)
        c0 = None if c0 is None else c0.transpose(1, 0, 2)
    T, Bn, _ = X.shape
    D, H = W.shape[0], R.shape[2]
    G = {'LSTM': 4, 'GRU': 3, 'RNN': 1}[op]
    per = {'LSTM': 3, 'GRU': 2, 'RNN': 1}[op]
    if acts is None:
        acts = [('sigmoid', 0, 0), ('tanh', 0, 0), ('tanh', 0, 0)][:per] if op != 'RNN' else [('tanh', 0, 0)]
        acts = acts * D
    fns = [(lambda x, f=ACT[n][2], a=a, b=b: f(x, a, b)) for n, a, b in acts]
    B = np.zeros((D, 2 * G * H)) if B is None else B.astype(np.float64)
    seq = np.full(Bn, T) if seq is None else seq
    h0 = np.zeros((D, Bn, H)) if h0 is None else h0.astype(np.float64)
    c0 = np.zeros((D, Bn, H)) if c0 is None else c0.astype(np.float64)
    P = np.zeros((D, 3 * H)) if P is None else P.astype(np.float64)
    cl = (lambda v: np.clip(v, -clip, clip)) if clip else (lambda v: v)
    Y = np.zeros((T, D, Bn, H))
    Yh, Yc = np.zeros((D, Bn, H)), np.zeros((D, Bn, H))
    for d in range(D):
        rev = direction == 'reverse' or d == 1
        f, g, h = (fns[d * per:(d + 1) * per] + [None, None])[:3]
        w, r = W[d].astype(np.float64), R[d].astype(np.float64)
        wb, rb = B[d, :G * H], B[d, G * H:]
        pi, po, pf = P[d, :H], P[d, H:2 * H], P[d, 2 * H:]
        for b in range(Bn):
            ht, ct = h0[d, b].copy(), c0[d, b].copy()
            steps = range(seq[b] - 1, -1, -1) if rev else range(seq[b])
            for t in steps:
                x = X[t, b]
                if op == 'LSTM':
                    gx = w @ x + wb
                    gh = r @ ht + rb
                    s = [gx[k * H:(k + 1) * H] + gh[k * H:(k + 1) * H] for k in range(4)]  # i, o, f, c
                    i = f(cl(s[0] + pi * ct))
                    fg = 1 - i if input_forget else f(cl(s[2] + pf * ct))
                    cc = g(cl(s[3]))
                    ct = fg * ct + i * cc
                    o = f(cl(s[1] + po * ct))
                    ht = o * h(ct)
                elif op == 'GRU':
                    gx = w @ x + wb
                    z = f(cl(gx[:H] + r[:H] @ ht + rb[:H]))
                    rr = f(cl(gx[H:2 * H] + r[H:2 * H] @ ht + rb[H:2 * H]))
                    if linear_before_reset:
                        n = g(cl(gx[2 * H:] + rr * (r[2 * H:] @ ht + rb[2 * H:])))
                    else:
                        n = g(cl(gx[2 * H:] + r[2 * H:] @ (rr * ht) + rb[2 * H:]))
                    ht = (1 - z) * n + z * ht
                else:
                    ht = f(cl(w @ x + wb + r @ ht + rb))
                Y[t, d, b] = ht
            Yh[d, b], Yc[d, b] = ht, ct
    if layout == 1:
        Y, Yh, Yc = Y.transpose(2, 0, 1, 3), Yh.transpose(1, 0, 2), Yc.transpose(1, 0, 2)
    out = [Y.astype(np.float32), Yh.astype(np.float32)]
    return out + [Yc.astype(np.float32)] if op == 'LSTM' else out


def check_reference():
    """onnx_reference agrees with ONNX's own numpy helpers where they apply (forward, default activations)."""
    from onnx.backend.test.case.node.lstm import LSTM_Helper
    from onnx.backend.test.case.node.gru import GRU_Helper
    from onnx.backend.test.case.node.rnn import RNN_Helper
    rng = np.random.RandomState(3)
    T, Bn, I, H = 4, 2, 3, 5
    X = rng.randn(T, Bn, I).astype(np.float32)
    for op, G, helper_cls in (('LSTM', 4, LSTM_Helper), ('GRU', 3, GRU_Helper), ('RNN', 1, RNN_Helper)):
        W, R = rng.randn(1, G * H, I).astype(np.float32), rng.randn(1, G * H, H).astype(np.float32)
        B = rng.randn(1, 2 * G * H).astype(np.float32)
        kw = dict(X=X, W=W, R=R, B=B)
        extra = {}
        if op == 'LSTM':
            kw['P'] = extra['P'] = rng.randn(1, 3 * H).astype(np.float32)
        if op == 'GRU':
            kw['linear_before_reset'] = extra['linear_before_reset'] = 1
        want = helper_cls(**kw).step()
        got = onnx_reference(op, X, W, R, B, **extra)
        for a, b in zip(want, got):
            assert np.allclose(np.asarray(a).reshape(b.shape), b, atol=1e-5), op


def feature_cases():
    check_reference()
    rng = np.random.RandomState(11)
    f32 = lambda *s: (rng.randn(*s) * 0.6).astype(np.float32)
    vi = lambda n, t, s: helper.make_tensor_value_info(n, t, s)

    def case(name, op, T, Bn, I, H, D, node_attrs, ref_kw, peep=False, init=False, seq=None, layout=0):
        G = {'LSTM': 4, 'GRU': 3, 'RNN': 1}[op]
        W, R, B = f32(D, G * H, I), f32(D, G * H, H), f32(D, 2 * G * H)
        X = f32(Bn, T, I) if layout == 1 else f32(T, Bn, I)
        sshape = [Bn, D, H] if layout == 1 else [D, Bn, H]
        h0 = f32(*sshape) if init else None
        c0 = f32(*sshape) if init and op == 'LSTM' else None
        P = f32(D, 3 * H) if peep else None
        names = ['X', 'W', 'R', 'B', 'sequence_lens' if seq is not None else '', 'initial_h' if init else '']
        if op == 'LSTM':
            names += ['initial_c' if init else '', 'P' if peep else '']
        while names[-1] == '':
            names.pop()
        outs = ['Y', 'Y_h'] + (['Y_c'] if op == 'LSTM' else [])
        node = helper.make_node(op, names, outs, hidden_size=H, layout=layout, **node_attrs)
        inits = [numpy_helper.from_array(a, n) for n, a in [('W', W), ('R', R), ('B', B)] + ([('P', P)] if peep else [])]
        ins = [('X', X)] + ([('sequence_lens', np.array(seq, np.int32))] if seq is not None else []) \
            + ([('initial_h', h0)] if init else []) + ([('initial_c', c0)] if init and op == 'LSTM' else [])
        ys = onnx_reference(op, X, W, R, B, seq=None if seq is None else np.array(seq), h0=h0, c0=c0, P=P,
                            layout=layout, **ref_kw)
        g = helper.make_graph([node], name, [vi(n, TensorProto.INT32 if n == 'sequence_lens' else TensorProto.FLOAT,
                                                 list(a.shape)) for n, a in ins],
                              [vi(n, TensorProto.FLOAT, list(y.shape)) for n, y in zip(outs, ys)], initializer=inits)
        m = helper.make_model(g, producer_name='jrnn-golden', opset_imports=[helper.make_opsetid('', 14)])
        onnx.checker.check_model(m)
        save('feature-' + name, m, ins, list(zip(outs, ys)))
        print('feature', name)

    def acts_attrs(acts):
        names = [n for n, _, _ in acts]
        alphas = [a for n, a, _ in acts if ACT[n.lower()][0]]
        betas = [b for n, _, b in acts if ACT[n.lower()][1]]
        at = {'activations': names}
        if alphas:
            at['activation_alpha'] = alphas
        if betas:
            at['activation_beta'] = betas
        return at, [(n.lower(), a, b) for n, a, b in acts]

    case('lstm-reverse-clip-seqlens', 'LSTM', 5, 3, 4, 6, 1, dict(direction='reverse', clip=0.7),
         dict(direction='reverse', clip=0.7), seq=[5, 2, 0], init=True)
    at, ref = acts_attrs([('HardSigmoid', 0.3, 0.4), ('Elu', 0.8, 0), ('Softsign', 0, 0),
                          ('Sigmoid', 0, 0), ('ScaledTanh', 1.3, 0.7), ('Tanh', 0, 0)])
    case('lstm-bi-inputforget-activations-peepholes', 'LSTM', 4, 2, 3, 5, 2,
         dict(direction='bidirectional', input_forget=1, **at),
         dict(direction='bidirectional', input_forget=1, acts=ref), peep=True, init=True)
    case('lstm-bi-peepholes-seqlens-layout1', 'LSTM', 4, 3, 3, 5, 2, dict(direction='bidirectional'),
         dict(direction='bidirectional'), peep=True, init=True, seq=[4, 1, 3], layout=1)
    at, ref = acts_attrs([('Sigmoid', 0, 0), ('LeakyRelu', 0.2, 0), ('HardSigmoid', 0.25, 0.45), ('Softplus', 0, 0)])
    case('gru-bi-lbr1-clip-activations-layout1', 'GRU', 4, 3, 3, 5, 2,
         dict(direction='bidirectional', linear_before_reset=1, clip=1.1, **at),
         dict(direction='bidirectional', linear_before_reset=1, clip=1.1, acts=ref), seq=[4, 3, 1], layout=1)
    case('gru-reverse-reset-before', 'GRU', 5, 2, 4, 6, 1, dict(direction='reverse'), dict(direction='reverse'),
         init=True)
    at, ref = acts_attrs([('Relu', 0, 0), ('ThresholdedRelu', 0.1, 0)])
    case('rnn-bi-relu-thresholdedrelu-clip', 'RNN', 4, 2, 3, 5, 2, dict(direction='bidirectional', clip=2.0, **at),
         dict(direction='bidirectional', clip=2.0, acts=ref), seq=[2, 4])
    at, ref = acts_attrs([('Affine', 0.5, 0.1)])
    case('rnn-reverse-affine', 'RNN', 4, 2, 3, 5, 1, dict(direction='reverse', **at),
         dict(direction='reverse', acts=ref), init=True)


if __name__ == '__main__':
    which = sys.argv[1:] or ['backend', 'torch', 'feature', 'keras']
    for prefix in which:
        for d in os.listdir(OUT) if os.path.isdir(OUT) else []:
            if d.startswith(prefix + '-'):
                shutil.rmtree(os.path.join(OUT, d))
    if 'backend' in which:
        backend_cases()
    if 'torch' in which:
        torch_cases()
    if 'feature' in which:
        feature_cases()
    if 'keras' in which:
        keras_cases()
