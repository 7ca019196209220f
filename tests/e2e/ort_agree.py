#!/usr/bin/env python3
"""The QDQ model onnxq writes means the same in ONNX Runtime as in onnxq's interpreter.

For each model: quantize to QDQ on CALIB, run the QDQ model with `onnxq run` and with ONNX Runtime
(onnxruntime-node, one thread, default optimizations 'all', which applies ORT's QDQ fusions) on
INPUTS, and measure both outputs' SQNR against ONNX Runtime fp32 on the float model. Fails when the
two SQNRs differ by more than 1 dB (or a run fails).
usage: ort_agree.py ONNXQ MODEL CALIB INPUT_DIR [--limit N] [--calib-limit N]
"""
import argparse, glob, os, subprocess, sys, tempfile
import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
ORT_RUN = os.path.join(ROOT, 'bench', 'ort', 'ort_run.js')


def ort(model, indir, outdir, level='all'):
    subprocess.run(['node', ORT_RUN, model, '--input-dir', indir, '--output', outdir, '--opt', level],
                   check=True, stdout=subprocess.DEVNULL)
    return np.load(sorted(glob.glob(outdir + '/*.npy'))[0]).astype(np.float64)


def sqnr(ref, x):
    return 10 * np.log10((ref ** 2).sum() / max(((ref - x) ** 2).sum(), 1e-30))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('onnxq'); ap.add_argument('model'); ap.add_argument('calib'); ap.add_argument('inputs')
    ap.add_argument('--limit', type=int, default=8); ap.add_argument('--calib-limit', type=int, default=0)
    a = ap.parse_args()
    with tempfile.TemporaryDirectory() as t:
        ind = os.path.join(t, 'in'); os.mkdir(ind)
        for f in sorted(glob.glob(a.inputs + '/*.npy'))[:a.limit]:
            os.symlink(os.path.abspath(f), os.path.join(ind, os.path.basename(f)))
        files = sorted(glob.glob(ind + '/*.npy'))
        q = os.path.join(t, 'q.onnx')
        cmd = [a.onnxq, 'quantize', a.model, '--calib', a.calib, '-o', q, '--check-samples', '0']
        if a.calib_limit:
            cmd += ['--calib-limit', str(a.calib_limit)]
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
        ref = ort(a.model, ind, os.path.join(t, 'fp'))
        ours = []
        for i, f in enumerate(files):
            od = os.path.join(t, 'oq%d' % i)
            subprocess.run([a.onnxq, 'run', q, '--input', f, '--output', od], check=True,
                           stdout=subprocess.DEVNULL)
            ours.append(np.load(sorted(glob.glob(od + '/*.npy'))[0]).astype(np.float64))
        ours = np.concatenate([o.reshape(1, -1) for o in ours]).reshape(ref.shape)
        by_ort = ort(q, ind, os.path.join(t, 'qo'))
        s_oq, s_ort = sqnr(ref, ours), sqnr(ref, by_ort)
        name = os.path.basename(a.model)
        print('%s: output SQNR vs fp32 over %d inputs: onnxq run %.2f dB, ONNX Runtime %.2f dB (gap %.2f dB)'
              % (name, len(files), s_oq, s_ort, abs(s_oq - s_ort)))
        return 0 if abs(s_oq - s_ort) <= 1.0 else 1


if __name__ == '__main__':
    sys.exit(main())
