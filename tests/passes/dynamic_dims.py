#!/usr/bin/env python3
"""Symbolic input dims stay symbolic: a text-line recogniser's graph (conv stem, then the width
becomes the sequence through Shape/Gather/Unsqueeze/Concat/Reshape, as torch.onnx exports
`x.permute(3, 0, 1, 2).reshape(w, b, c * h)`; a Linear head with LogSoftmax), input
[batch, 1, 32, width] with both dims symbolic, written at opsets 11, 13 and 17 with onnx.helper.

For each opset: calibration samples of three widths -> `onnxq quantize` (info line: calibrated
at 3 input shapes); the QDQ model keeps dim 3 symbolic; ONNX Runtime (onnxruntime-node, default
optimizations) runs it at widths 40, 64 and 200 (two of them in no calibration sample) with an
output SQNR vs ORT fp32 of at least 25 dB and within 1 dB of `onnxq run` of the same file;
`--input-shape x=?,1,32,?` (and names) give the same bytes; `compile` builds C for the first
sample's shape. Bad input: a sample of another rank is an error naming the file.
usage: dynamic_dims.py ONNXQ SRCROOT
"""
import os, subprocess, sys, tempfile
import numpy as np
import onnx
from onnx import helper as h, TensorProto as TP, numpy_helper as nh

ONNXQ, ROOT = sys.argv[1], sys.argv[2]
ORT_RUN = os.path.join(ROOT, 'bench', 'ort', 'ort_run.js')
rng = np.random.default_rng(7)


def model(opset):
    W = lambda *s: rng.standard_normal(s).astype(np.float32) * (2.0 / np.prod(s[1:])) ** 0.5
    inits = [nh.from_array(W(8, 1, 3, 3), 'w1'), nh.from_array(np.full(8, 0.1, np.float32), 'b1'),
             nh.from_array(W(16, 8, 3, 3), 'w2'), nh.from_array(np.zeros(16, np.float32), 'b2'),
             nh.from_array(W(128, 12) * 3, 'fcw'), nh.from_array(np.zeros(12, np.float32), 'fcb')]
    for i in range(4):
        inits.append(nh.from_array(np.array(i, np.int64), 'c%d' % i))
    nodes = [
        h.make_node('Conv', ['x', 'w1', 'b1'], ['a1'], pads=[1, 1, 1, 1], kernel_shape=[3, 3]),
        h.make_node('Relu', ['a1'], ['r1']),
        h.make_node('MaxPool', ['r1'], ['p1'], kernel_shape=[2, 2], strides=[2, 2]),
        h.make_node('Conv', ['p1', 'w2', 'b2'], ['a2'], pads=[1, 1, 1, 1], kernel_shape=[3, 3]),
        h.make_node('Relu', ['a2'], ['r2']),
        h.make_node('MaxPool', ['r2'], ['p2'], kernel_shape=[2, 2], strides=[2, 2]),
        h.make_node('Shape', ['p2'], ['sh']),
        h.make_node('Transpose', ['p2'], ['tr'], perm=[3, 0, 1, 2])]
    for i in range(4):
        nodes.append(h.make_node('Gather', ['sh', 'c%d' % i], ['g%d' % i], axis=0))
    nodes.append(h.make_node('Mul', ['g1', 'g2'], ['ch']))
    for src, dst in (('g3', 'u0'), ('g0', 'u1'), ('ch', 'u2')):
        if opset >= 13:
            if 'ax' not in [t.name for t in inits]:
                inits.append(nh.from_array(np.array([0], np.int64), 'ax'))
            nodes.append(h.make_node('Unsqueeze', [src, 'ax'], [dst]))
        else:
            nodes.append(h.make_node('Unsqueeze', [src], [dst], axes=[0]))
    nodes += [h.make_node('Concat', ['u0', 'u1', 'u2'], ['tgt'], axis=0),
              h.make_node('Reshape', ['tr', 'tgt'], ['seq']),
              h.make_node('MatMul', ['seq', 'fcw'], ['mm']),
              h.make_node('Add', ['mm', 'fcb'], ['lg']),
              h.make_node('LogSoftmax', ['lg'], ['y'], axis=2 if opset < 13 else -1)]
    g = h.make_graph(nodes, 'line', [h.make_tensor_value_info('x', TP.FLOAT, ['batch', 1, 32, 'width'])],
                     [h.make_tensor_value_info('y', TP.FLOAT, ['steps', 'batch', 12])], inits)
    m = h.make_model(g, opset_imports=[h.make_opsetid('', opset)])
    m.ir_version = 7
    onnx.checker.check_model(m)
    return m


def run(*a, **k):
    return subprocess.run(list(a), capture_output=True, text=True, **k)


def ort(mdl, x, out):
    r = run('node', ORT_RUN, mdl, '--input', x, '--output', out)
    if r.returncode:
        raise SystemExit('ORT failed on %s: %s' % (mdl, r.stderr))
    return np.load(os.path.join(out, 'y.npy')).astype(np.float64)


def sqnr(r, x):
    return 10 * np.log10((r ** 2).sum() / max(((r - x) ** 2).sum(), 1e-30))


def main():
    fails = []
    with tempfile.TemporaryDirectory() as t:
        cal = os.path.join(t, 'calib'); os.mkdir(cal)
        for i in range(12):   # text-like: positive strokes on a dark line
            w = (48, 96, 128)[i % 3]
            np.save(os.path.join(cal, 's%02d.npy' % i), np.abs(rng.standard_normal((1, 1, 32, w))).astype(np.float32))
        tests = []
        for w in (40, 64, 200):
            p = os.path.join(t, 'w%d.npy' % w)
            np.save(p, np.abs(rng.standard_normal((1, 1, 32, w))).astype(np.float32))
            tests.append((w, p))
        for opset in (11, 13, 17):
            f = os.path.join(t, 'line%d.onnx' % opset)
            onnx.save(model(opset), f)
            q = os.path.join(t, 'q%d.onnx' % opset)
            r = run(ONNXQ, 'quantize', f, '--calib', cal, '-o', q)
            if r.returncode or 'calibrated at 3 input shapes' not in r.stdout + r.stderr:
                fails.append('opset %d: quantize: %s%s' % (opset, r.stdout, r.stderr)); continue
            dims = onnx.load(q).graph.input[0].type.tensor_type.shape.dim
            if dims[3].HasField('dim_value'):
                fails.append('opset %d: written input dim 3 is fixed to %d' % (opset, dims[3].dim_value))
            for w, p in tests:
                ref = ort(f, p, os.path.join(t, 'f%d_%d' % (opset, w)))
                by_ort = ort(q, p, os.path.join(t, 'o%d_%d' % (opset, w)))
                od = os.path.join(t, 'r%d_%d' % (opset, w))
                rr = run(ONNXQ, 'run', q, '--input', p, '--output', od)
                if rr.returncode:
                    fails.append('opset %d width %d: onnxq run: %s' % (opset, w, rr.stderr)); continue
                ours = np.load(os.path.join(od, 'y.npy')).astype(np.float64)
                if ref.shape != (w // 4, 1, 12) or by_ort.shape != ref.shape or ours.shape != ref.shape:
                    fails.append('opset %d width %d: shapes %s %s %s' % (opset, w, ref.shape, by_ort.shape, ours.shape)); continue
                a, b = sqnr(ref, by_ort), sqnr(ref, ours)
                print('opset %d width %3d: output SQNR vs fp32: ONNX Runtime %.2f dB, onnxq run %.2f dB' % (opset, w, a, b))
                if a < 25 or abs(a - b) > 1:
                    fails.append('opset %d width %d: SQNR ORT %.2f onnxq %.2f' % (opset, w, a, b))
        f13, q13 = os.path.join(t, 'line13.onnx'), os.path.join(t, 'q13.onnx')
        for spec in ('x=?,1,32,?', 'x=batch,1,32,width'):
            q2 = os.path.join(t, 'q2.onnx')
            r = run(ONNXQ, 'quantize', f13, '--calib', cal, '--input-shape', spec, '-o', q2)
            if r.returncode or open(q2, 'rb').read() != open(q13, 'rb').read():
                fails.append('--input-shape %s: differs from the default (%s)' % (spec, r.stderr))
        r = run(ONNXQ, 'compile', f13, '--calib', cal, '--emit-c', os.path.join(t, 'c'))
        if r.returncode or not os.path.exists(os.path.join(t, 'c', 'model.c')):
            fails.append('compile: %s' % r.stderr)
        elif '[1,1,32,48]' not in r.stdout + r.stderr:
            fails.append('compile does not name the shape it compiles for: %s' % (r.stdout + r.stderr))
        np.save(os.path.join(cal, 'zz_bad.npy'), np.zeros((32, 7), np.float32))
        r = run(ONNXQ, 'quantize', f13, '--calib', cal, '-o', os.path.join(t, 'bad.onnx'))
        if r.returncode != 1 or 'zz_bad.npy' not in r.stderr or os.path.exists(os.path.join(t, 'bad.onnx')):
            fails.append('a sample of another rank: rc %d, %s' % (r.returncode, r.stderr))
    for f in fails:
        print('FAIL', f)
    print('dynamic dims: %s' % ('ok' if not fails else '%d failures' % len(fails)))
    return 1 if fails else 0


if __name__ == '__main__':
    sys.exit(main())
