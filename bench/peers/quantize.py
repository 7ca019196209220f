"""Quantizes one float ONNX model with one peer quantizer's documented recipe; prints one JSON line.

Runs inside the peer's virtual environment made by bench/setup (bench/.venv/<env>/bin/python):
  core:  ONNX Runtime quantize_static / quantize_dynamic, NNCF
  inc:   Intel Neural Compressor 2.x post-training static quantization (its ONNX Runtime adaptor)
  quark: AMD Quark for ONNX
Every recipe reads the SAME calibration samples as onnxq: the .npy files of --calib in name order,
each one batch of the model's first input.

Usage: quantize.py RECIPE MODEL --calib DIR --out OUT.onnx
Prints {"ok": true, "seconds": wall time of the quantizer call, "versions": {...}, "notes": [...]}
or {"ok": false, "error": "..."}; exit status 0 either way unless the usage is wrong (2)."""
import argparse
import glob
import json
import os
import sys
import tempfile
import time
import traceback

import numpy as np


def samples(calib):
    files = sorted(glob.glob(os.path.join(calib, "*.npy")))
    if not files:
        raise SystemExit(f"quantize.py: no .npy in {calib}")
    return [np.load(f).astype(np.float32) for f in files]


def input_name(model):
    import onnx
    m = onnx.load(model, load_external_data=False)
    inits = {i.name for i in m.graph.initializer}
    return [i.name for i in m.graph.input if i.name not in inits][0]


def ort_reader(name, data):
    from onnxruntime.quantization import CalibrationDataReader

    class Reader(CalibrationDataReader):
        def __init__(self):
            self.it = iter([{name: x} for x in data])

        def get_next(self):
            return next(self.it, None)

        def rewind(self):
            self.it = iter([{name: x} for x in data])

    return Reader()


# ---------------------------------------------------------------------------------------------
# ONNX Runtime (onnxruntime.quantization): quant_pre_process, then quantize_static in QDQ format with
# per-channel weights and ORT's default types (int8 activations and weights), one calibrator each.

def ort_pre(model, work, notes):
    from onnxruntime.quantization.shape_inference import quant_pre_process
    pre = os.path.join(work, "pre.onnx")
    try:
        quant_pre_process(model, pre)
        return pre
    except Exception as e:  # documented as optional; the quantizer still runs on the original model
        notes.append(f"quant_pre_process failed ({type(e).__name__}: {str(e)[:120]}); quantized the model as is")
        return model


def ort_static(calibrator, activation="s8"):
    def run(model, data, out, work, notes):
        from onnxruntime.quantization import CalibrationMethod, QuantFormat, QuantType, quantize_static
        t = time.perf_counter()  # the recipe's pre-processing counts in its wall time
        pre = ort_pre(model, work, notes)
        quantize_static(pre, out, ort_reader(input_name(model), data), quant_format=QuantFormat.QDQ,
                        per_channel=True,
                        activation_type=QuantType.QUInt8 if activation == "u8" else QuantType.QInt8,
                        weight_type=QuantType.QInt8,
                        calibrate_method=getattr(CalibrationMethod, calibrator))
        return time.perf_counter() - t
    return run


def ort_dynamic(model, data, out, work, notes):
    from onnxruntime.quantization import QuantType, quantize_dynamic
    t = time.perf_counter()
    pre = ort_pre(model, work, notes)
    quantize_dynamic(pre, out, per_channel=True, weight_type=QuantType.QInt8)
    return time.perf_counter() - t


# ---------------------------------------------------------------------------------------------
# NNCF: nncf.quantize on the ONNX model (default preset: symmetric activations, per-channel
# weights, fast bias correction), subset_size = every calibration sample.

def nncf_quantize(model, data, out, work, notes):
    import nncf
    import onnx
    m = onnx.load(model)
    name = input_name(model)
    t = time.perf_counter()
    q = nncf.quantize(m, nncf.Dataset(data, lambda x: {name: x}), subset_size=len(data))
    secs = time.perf_counter() - t
    onnx.save(q, out)
    return secs


# ---------------------------------------------------------------------------------------------
# Intel Neural Compressor 2.x: quantization.fit with PostTrainingQuantConfig(approach="static"),
# no evaluation function (one quantization, no accuracy-driven tuning), every sample calibrated.

def inc_static(model, data, out, work, notes):
    from neural_compressor import PostTrainingQuantConfig, quantization

    class Loader:
        batch_size = 1

        def __iter__(self):
            for x in data:
                yield x, 0

    conf = PostTrainingQuantConfig(approach="static", calibration_sampling_size=[len(data)])
    t = time.perf_counter()
    q = quantization.fit(model, conf, calib_dataloader=Loader())
    secs = time.perf_counter() - t
    if q is None:
        raise RuntimeError("quantization.fit returned no model")
    q.save(out)
    return secs


# ---------------------------------------------------------------------------------------------
# AMD Quark for ONNX: ModelQuantizer with its documented QConfig presets.

def quark(preset, algos=()):
    def run(model, data, out, work, notes):
        import quark.onnx as qo
        from quark.onnx.quantization.config import custom_config as cc
        base = getattr(cc, preset)
        algo = list(base.algo_config or [])
        for a in algos:
            algo.append(getattr(qo, a)())
        cfg = qo.QConfig(global_config=base.global_config, algo_config=algo, **(base.extra_options or {}))
        t = time.perf_counter()
        qo.ModelQuantizer(cfg).quantize_model(model, out, ort_reader(input_name(model), data))
        return time.perf_counter() - t
    return run


RECIPES = {
    "ort-minmax": ort_static("MinMax"),
    "ort-minmax-u8": ort_static("MinMax", "u8"),
    "ort-entropy": ort_static("Entropy"),
    "ort-percentile": ort_static("Percentile"),
    "ort-distribution": ort_static("Distribution"),
    "ort-dynamic": ort_dynamic,
    "nncf": nncf_quantize,
    "inc": inc_static,
    "quark-a8w8": quark("A8W8_QCONFIG"),
    "quark-a8w8-cle": quark("A8W8_QCONFIG", ["CLEConfig"]),
    "quark-a8w8-adaround": quark("A8W8_ADAROUND_QCONFIG"),
}


def versions():
    v = {}
    for mod in ("onnxruntime", "onnx", "nncf", "openvino", "neural_compressor", "quark", "torch", "numpy"):
        if mod in sys.modules:
            v[mod] = getattr(sys.modules[mod], "__version__", "?")
    try:
        from importlib.metadata import version
        if "quark" in v:
            v["quark"] = version("amd-quark")
    except Exception:
        pass
    return v


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("recipe", choices=sorted(RECIPES))
    ap.add_argument("model")
    ap.add_argument("--calib", required=True)
    ap.add_argument("--out", required=True)
    a = ap.parse_args()
    data = samples(a.calib)
    notes = []
    with tempfile.TemporaryDirectory(prefix="peerq-") as work:
        try:
            secs = RECIPES[a.recipe](a.model, data, a.out, work, notes)
            res = {"ok": os.path.exists(a.out), "seconds": secs, "samples": len(data), "notes": notes}
            if not res["ok"]:
                res["error"] = "the quantizer wrote no model"
        except BaseException as e:  # noqa: B902 (a peer's failure is a result, not a crash)
            tb = traceback.format_exc().strip().splitlines()
            res = {"ok": False, "error": f"{type(e).__name__}: {str(e).strip()[:300]}",
                   "where": tb[-3:-1] if len(tb) > 2 else tb}
    res["versions"] = versions()
    sys.stdout.flush()
    print(json.dumps(res), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
