"""The float ops of the C backend on hand-built graphs (make_models.py: one model per opset), per model:
  1. onnxq run on the float model against ONNX Runtime (onnxruntime-node, ort_check.js) on the
     same input: |onnxq - ort| <= ATOL + RTOL * |ort| per element (the kernels compute in double
     or with libm's float functions where ORT uses its own vectorized approximations);
  2. onnxq quantize --format qop (the graph onnxq compile lowers) run by onnxq run, against the
     emitted C of onnxq compile --target native (built with cc -std=c99 -Wall -Wextra -Wpedantic
     -Werror): the same bytes (the same kernels on the same ISA).
usage: run.py ONNXQ SOURCE_ROOT         (exit 77: skipped, no node / onnxruntime-node)"""
import os
import shutil
import subprocess
import sys
import tempfile

import numpy as np

ATOL, RTOL = 1e-5, 1e-5
onnxq, root = sys.argv[1], sys.argv[2]
ort_js = os.path.join(root, "tests", "backends", "ort_check.js")
if not shutil.which("node") or not os.path.isdir(os.path.join(root, "node_modules",
                                                             "onnxruntime-node")):
    print("skip: node or onnxruntime-node missing")
    sys.exit(77)
tmp = tempfile.mkdtemp(prefix="oq_cops_")
fails = 0
passes = 0


def sh(cmd, **kw):
    r = subprocess.run(cmd, capture_output=True, text=True, **kw)
    if r.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)}: exit {r.returncode}\n{r.stderr[-2000:]}")
    return r


def outputs_of(model):
    import onnx
    return [o.name for o in onnx.load(model).graph.output]


def check(what, ok, detail=""):
    global fails, passes
    if ok:
        passes += 1
        print(f"ok   {what}")
    else:
        fails += 1
        print(f"FAIL {what}: {detail}")


try:
    m = os.path.join(tmp, "m")
    sh(["/usr/bin/python3", os.path.join(root, "tests", "c_ops", "make_models.py"), m])
    x = os.path.join(m, "x.npy")
    strict = "-std=c99 -Wall -Wextra -Wpedantic -Werror -O2"
    for f in sorted(os.listdir(m)):
        if not f.endswith(".onnx"):
            continue
        name, model = f[:-5], os.path.join(m, f)
        outs = outputs_of(model)
        w = os.path.join(tmp, name)
        try:
            sh([onnxq, "run", model, "--input", "x=" + x, "--output", w + "_run"])
            os.makedirs(w + "_ort", exist_ok=True)
            sh(["node", ort_js, model, w + "_ort", x])
            worst = []
            for i, o in enumerate(outs):
                a = np.load(os.path.join(w + "_run", o + ".npy"))
                b = np.load(os.path.join(w + "_ort", f"out_{i}.npy")).astype(np.float32)
                if a.shape != b.shape:
                    worst.append(f"{o}: shape {a.shape} vs ORT {b.shape}")
                    continue
                bad = np.abs(a - b) > ATOL + RTOL * np.abs(b)
                if bad.any():
                    k = np.argmax(bad)
                    worst.append(f"{o}[{k}]: {a.flat[k]!r} vs ORT {b.flat[k]!r}")
            check(f"{name}: onnxq run == ONNX Runtime (atol {ATOL}, rtol {RTOL}), "
                  f"{len(outs)} outputs", not worst, "; ".join(worst[:4]))
            q = w + "_q.onnx"
            sh([onnxq, "quantize", model, "--calib", os.path.join(m, "calib"), "--format", "qop",
                "-o", q])
            sh([onnxq, "run", q, "--input", "x=" + x, "--output", w + "_qrun"])
            c = w + "_c"
            sh([onnxq, "compile", model, "--calib", os.path.join(m, "calib"), "--emit-c", c,
                "--name", "net", "--target", "native"])
            rt = sorted(os.path.relpath(os.path.join(d, e), c)
                        for d, _, fs in os.walk(os.path.join(c, "onnxq_rt"))
                        for e in fs if e.endswith(".c"))
            sh(["sh", "-c", f"cc {strict} -o net_main net.c net_weights.c net_main.c "
                f"{' '.join(rt)} -lpthread -lm"], cwd=c)
            res = [os.path.join(c, o + ".npy") for o in outs]
            sh([os.path.join(c, "net_main"), x] + res)
            diff = []
            for o, r in zip(outs, res):
                a = np.load(os.path.join(w + "_qrun", o + ".npy"))
                b = np.load(r).reshape(a.shape)
                if a.tobytes() != b.tobytes():
                    k = np.argmax(a.view(np.uint32) != b.view(np.uint32))
                    diff.append(f"{o}[{k}]: C {b.flat[k]!r} vs onnxq run {a.flat[k]!r}")
            check(f"{name}: emitted C == onnxq run on the compiled graph, bit for bit",
                  not diff, "; ".join(diff[:4]))
        except RuntimeError as e:
            check(f"{name}", False, str(e))
finally:
    shutil.rmtree(tmp, ignore_errors=True)
print(f"{passes} passed, {fails} failed")
sys.exit(1 if fails else 0)
