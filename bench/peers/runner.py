"""Runs one ONNX model (float or quantized by any tool) in ONNX Runtime or OpenVINO, one thread, batch 1.

Runs inside bench/.venv/core (onnxruntime and openvino from PyPI, pinned by bench/setup).

  runner.py eval RUNTIME MODEL --inputs X.npy [--ref REF.npy] [--images I.npy --labels L.npy]
      Runs every sample of X.npy (axis 0, one at a time) and, if given, every image of I.npy; prints
      {"sqnr_db": ..., "top1": ..., "isa": ...}. SQNR = 10 log10(sum ref^2 / sum (ref - out)^2) over
      all outputs (null when bit-identical), top-1 in percent.
  runner.py serve RUNTIME MODEL --input X.npy
      Latency server for bench/run: prints {"ready": true, "isa": ...}, then for each line "N" on stdin
      runs the first sample of X.npy N times and prints {"times_ms": [...]}; exits at end of input.

RUNTIME: ort (intra-op and inter-op threads 1, sequential, all graph optimizations) or openvino
(CPU plugin, INFERENCE_NUM_THREADS 1, NUM_STREAMS 1, LATENCY hint). "isa" is what OpenVINO's
runtime model reports for its convolution/matmul primitives (e.g. brgconv_avx512_core_vnni_I8), so
the table can say which ISA and precision OpenVINO used."""
import argparse
import collections
import json
import math
import sys
import time

import numpy as np


class Ort:
    def __init__(self, model):
        import onnxruntime as ort
        so = ort.SessionOptions()
        so.intra_op_num_threads = 1
        so.inter_op_num_threads = 1
        so.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        self.s = ort.InferenceSession(model, so, providers=["CPUExecutionProvider"])
        self.name = self.s.get_inputs()[0].name
        self.isa = None

    def __call__(self, x):
        return self.s.run(None, {self.name: x})[0]


class OpenVino:
    def __init__(self, model):
        import openvino as ov
        core = ov.Core()
        cfg = {"INFERENCE_NUM_THREADS": 1, "NUM_STREAMS": 1, "PERFORMANCE_HINT": "LATENCY"}
        self.c = core.compile_model(core.read_model(model), "CPU", cfg)
        self.req = self.c.create_infer_request()
        kinds = collections.Counter()
        for op in self.c.get_runtime_model().get_ops():
            rt = {k: v.astype(str) for k, v in op.get_rt_info().items()}
            layer = rt.get("layerType", "")
            if layer in ("Convolution", "FullyConnected", "MatMul", "GroupConvolution"):
                prim, prec = rt.get("primitiveType", "?"), rt.get("runtimePrecision", "?")
                kinds[f"{prim}/{prec}"] += 1
        self.isa = ", ".join(f"{k} x{n}" for k, n in kinds.most_common(3)) or None

    def __call__(self, x):
        self.req.infer({0: x})
        return self.req.get_output_tensor(0).data.copy()


def first_reason(e):
    """The useful part of a runtime's error: OpenVINO's list of unconverted ops, else the first line."""
    lines = [l.strip() for l in str(e).splitlines() if l.strip()]
    ops = [l[3:].split(" with a message")[0] for l in lines if l.startswith("-- ")]
    if ops:
        return "cannot convert " + ", ".join(ops)
    pick = next((l for l in lines if not l.startswith("Exception from")), lines[0] if lines else "")
    return f"{type(e).__name__}: {pick[:300]}"


def load(runtime, model):
    return (Ort if runtime == "ort" else OpenVino)(model)


def evaluate(run, a):
    res = {"isa": run.isa}
    x = np.load(a.inputs).astype(np.float32)
    out = np.concatenate([run(x[i:i + 1]) for i in range(x.shape[0])]).astype(np.float64)
    if a.ref:
        ref = np.load(a.ref).astype(np.float64).reshape(out.shape)
        noise = float(np.sum((ref - out) ** 2))
        res["sqnr_db"] = None if noise == 0 else 10 * math.log10(float(np.sum(ref ** 2)) / noise)
    if a.images:
        imgs, labels = np.load(a.images).astype(np.float32), np.load(a.labels).reshape(-1)
        n = min(len(imgs), len(labels))
        hits = sum(int(np.argmax(run(imgs[i:i + 1]))) == int(labels[i]) for i in range(n))
        res["top1"], res["images"] = 100.0 * hits / n, n
    return res


def serve(run, a):
    x = np.load(a.input).astype(np.float32)[:1]
    run(x)
    print(json.dumps({"ready": True, "isa": run.isa}), flush=True)
    for line in sys.stdin:
        try:
            n = int(line)
        except ValueError:
            continue
        times = []
        for _ in range(n):
            t0 = time.perf_counter()
            run(x)
            times.append((time.perf_counter() - t0) * 1e3)
        print(json.dumps({"times_ms": times}), flush=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("cmd", choices=["eval", "serve"])
    ap.add_argument("runtime", choices=["ort", "openvino"])
    ap.add_argument("model")
    ap.add_argument("--inputs")
    ap.add_argument("--input")
    ap.add_argument("--ref")
    ap.add_argument("--images")
    ap.add_argument("--labels")
    a = ap.parse_args()
    try:
        run = load(a.runtime, a.model)
    except Exception as e:  # a runtime refusing a model is a result (n/a), said in its own words
        print(json.dumps({"error": first_reason(e)}), flush=True)
        return 1
    if a.cmd == "eval":
        print(json.dumps(evaluate(run, a)), flush=True)
    else:
        serve(run, a)
    return 0


if __name__ == "__main__":
    sys.exit(main())
