#!/usr/bin/python3
"""PyTorch 1.13 baselines for the bench (one thread): the Fashion CNN in fp32 and with FX graph-mode
post-training static quantization (prepare_fx/convert_fx, get_default_qconfig_mapping(engine)) for
engines onednn and qnnpack, calibrated on examples/calib/ (the 256 samples onnxq uses); the MLP in fp32
and with quantize_dynamic (Linear, qint8). Reports top-1 on the 10,000 test images, SQNR of the int8
logits against fp32 on the first 100 test images, batch-1 latency, and exports the int8 CNN to ONNX
in QDQ form (torch.onnx.export, opset 13, dynamic batch): bench/models/fashion_cnn_torch_qdq.onnx (onednn:
per-channel weights) and fashion_cnn_torch_qdq_qnnpack.onnx (per-tensor weights), then checks that ONNX
Runtime loads them and measures their top-1 there (bench/ort/ort_eval_fashion.js). Prints one JSON line.
Needs bench/models/fashion_cnn.pt and fashion_mlp.pt (bench/models/make.py --quick).
Usage: /usr/bin/python3 bench/torch/torch_quant.py [--runs N] [--no-export] [--examples]
       [--engines onednn,qnnpack]     (--examples also copies the QDQ exports into examples/)"""
import argparse
import copy
import glob
import json
import os
import sys
import time
import shutil
import subprocess
import traceback

import numpy as np
import torch
from torch import nn

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
MODELS = os.path.join(ROOT, "bench", "models")
sys.path.insert(0, MODELS)
import fashion  # noqa: E402
import nets  # noqa: E402

REF_COUNT = 100


def log(msg):
    """Progress on stderr (stdout carries the JSON line)."""
    print(f"torch_quant: {msg}", file=sys.stderr, flush=True)


def load_calib(calib_dir):
    """Loads the calibration samples (sorted sample_*.npy, each float32 [1,1,28,28]) as one tensor."""
    files = sorted(glob.glob(os.path.join(calib_dir, "sample_*.npy")))
    if not files:
        raise SystemExit(f"torch_quant: no sample_*.npy in {calib_dir} (run bench/models/make.py --examples)")
    return torch.from_numpy(np.concatenate([np.load(f) for f in files]).astype(np.float32))


def logits(net, x, batch=1000):
    """Runs `net` on x (numpy [N,1,28,28]) in batches; returns float32 numpy logits [N,10]."""
    outs = []
    with torch.no_grad():
        for i in range(0, len(x), batch):
            outs.append(net(torch.from_numpy(x[i:i + batch])).float().numpy())
    return np.concatenate(outs)


def top1(out, labels):
    """Top-1 accuracy in percent."""
    return round(100.0 * float((out.argmax(1) == labels).mean()), 2)


def sqnr(ref, test):
    """SQNR in dB of `test` against `ref`: 10 log10(sum ref^2 / sum (ref - test)^2); None when equal
    (infinite SQNR; JSON has no infinity)."""
    noise = float(((ref.astype(np.float64) - test) ** 2).sum())
    return None if noise == 0 else round(10 * np.log10(float((ref.astype(np.float64) ** 2).sum()) / noise), 2)


def latency_ms(net, x, runs, warmup=5):
    """Median batch-1 latency (ms) of `net` on the tensor x after `warmup` runs."""
    times = []
    with torch.no_grad():
        for _ in range(warmup):
            net(x)
        for _ in range(runs):
            t0 = time.perf_counter()
            net(x)
            times.append((time.perf_counter() - t0) * 1e3)
    return round(float(np.median(times)), 4)


class QuietStderr:
    """Silences file descriptor 2 inside a with-block (qnnpack's dynamic Linear logs one warning per call)."""

    def __enter__(self):
        sys.stderr.flush()
        self.saved = os.dup(2)
        null = os.open(os.devnull, os.O_WRONLY)
        os.dup2(null, 2)
        os.close(null)

    def __exit__(self, *exc):
        os.dup2(self.saved, 2)
        os.close(self.saved)


def quantize_static_fx(net, engine, calib):
    """FX post-training static quantization of `net` for `engine`, calibrated on `calib`."""
    from torch.ao.quantization import get_default_qconfig_mapping
    from torch.ao.quantization.quantize_fx import convert_fx, prepare_fx
    torch.backends.quantized.engine = engine
    qmap = get_default_qconfig_mapping(engine)
    prepared = prepare_fx(copy.deepcopy(net).eval(), qmap, (calib[:1],))
    with torch.no_grad():
        for i in range(len(calib)):  # one sample at a time, as onnxq calibrates
            prepared(calib[i:i + 1])
    return convert_fx(prepared)


def export_qdq(qnet, path, shape=(1, 1, 28, 28), dynamic=True, evaluate=True):
    """Exports a converted (int8) model to ONNX opset 13 (QDQ form); returns a dict of what happened
    (with evaluate: the Fashion-MNIST top-1 of the export in ONNX Runtime)."""
    import onnx
    info = {"path": os.path.relpath(path, ROOT)}
    try:
        tmp = path + ".tmp"
        with torch.no_grad():
            torch.onnx.export(qnet, torch.zeros(shape), tmp, opset_version=13,
                              input_names=["input"], output_names=["logits"],
                              dynamic_axes={"input": {0: "batch"}, "logits": {0: "batch"}} if dynamic else None)
        os.replace(tmp, path)
        model = onnx.load(path)
        onnx.checker.check_model(model)
        ops = {}
        for n in model.graph.node:
            ops[n.op_type] = ops.get(n.op_type, 0) + 1
        info.update(ok=True, bytes=os.path.getsize(path), ops=ops)
        if evaluate:
            info["ort"] = ort_eval(path)
    except Exception as e:  # report, do not fail the whole baseline run
        info.update(ok=False, error=f"{type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''}")
        log("QDQ export failed:\n" + traceback.format_exc())
    return info


def ort_eval(path):
    """Runs bench/ort/ort_eval_fashion.js on `path`: ONNX Runtime's result dict, or {'error': ...}."""
    script = os.path.join(ROOT, "bench", "ort", "ort_eval_fashion.js")
    try:
        r = subprocess.run(["node", script, path], capture_output=True, text=True, timeout=600)
    except (OSError, subprocess.TimeoutExpired) as e:
        return {"loads": False, "error": str(e)}
    if r.returncode != 0:
        return {"loads": False, "error": r.stderr.strip()[-300:]}
    out = json.loads(r.stdout.strip().splitlines()[-1])
    return {"loads": True, "top1": out["top1"], "version": out.get("version")}


def quantize_static_eager(name, net, engine, calib):
    """Eager-mode PTQ with torchvision.models.quantization's version of `name` (for nets FX cannot
    trace, e.g. ShuffleNetV2's channel_shuffle in torch 1.13), carrying `net`'s weights and BN stats."""
    import torchvision.models.quantization as tvq
    torch.backends.quantized.engine = engine
    qnet = getattr(tvq, name)(weights=None, quantize=False)
    qnet.load_state_dict(net.state_dict())
    qnet.eval()
    qnet.fuse_model(is_qat=False)
    qnet.qconfig = torch.ao.quantization.get_default_qconfig(engine)
    torch.ao.quantization.prepare(qnet, inplace=True)
    with torch.no_grad():
        for i in range(len(calib)):
            qnet(calib[i:i + 1])
    return torch.ao.quantization.convert(qnet)


def vision_baselines(names, engines, runs, export, res):
    """FX PTQ of the torchvision models (made as make.py makes them) on data/vision_calib/: SQNR of the
    int8 logits against data/<name>.fp32_ref.npy on data/vision_test/, latency, QDQ export + ORT load."""
    import make
    data = os.path.join(MODELS, "data")

    def load_dir(sub):
        files = sorted(glob.glob(os.path.join(data, sub, "sample_*.npy")))
        if not files:
            raise SystemExit(f"torch_quant: no samples in {data}/{sub} (run make.py --only vision_data)")
        return np.concatenate([np.load(f) for f in files]).astype(np.float32)

    calib_np, test = load_dir("vision_calib"), load_dir("vision_test")
    calib = torch.from_numpy(calib_np)
    x1 = torch.from_numpy(test[:1])
    for name in names:
        ref_path = os.path.join(data, f"{name}.fp32_ref.npy")
        if not os.path.exists(ref_path):
            log(f"{name}: no {ref_path}, skipped (run make.py --only {name})")
            continue
        ref = np.load(ref_path)
        net = make.vision_net(name, calib_np)
        out = logits(net, test, batch=10)
        r = {"fp32": {"latency_ms": latency_ms(net, x1, runs, warmup=2), "sqnr_db_vs_ref": sqnr(ref, out),
                      "bit_exact_vs_ref": bool((out == ref).all())}}
        for engine in engines:
            t0 = time.time()
            try:
                try:
                    q, mode = quantize_static_fx(net, engine, calib), "fx"
                except torch.fx.proxy.TraceError:
                    log(f"{name}: FX cannot trace it; eager mode with torchvision.models.quantization")
                    q, mode = quantize_static_eager(name, net, engine, calib), "eager"
                qo = logits(q, test, batch=10)
                r[f"int8_fx_{engine}"] = {"mode": mode, "sqnr_db": sqnr(ref, qo), "top1_agree": round(
                    100.0 * float((qo.argmax(1) == ref.argmax(1)).mean()), 1),
                    "latency_ms": latency_ms(q, x1, runs, warmup=2), "seconds": round(time.time() - t0, 1)}
                if export and engine == "onednn":
                    path = os.path.join(MODELS, f"{name}_torch_qdq.onnx")
                    info = export_qdq(q, path, shape=(1, 3, 224, 224), dynamic=False, evaluate=False)
                    if info.get("ok"):
                        info["ort"] = ort_load(path)
                    r["qdq_export_onednn"] = info
            except Exception as e:  # report per model and engine, keep going
                r[f"int8_fx_{engine}"] = {"error": f"{type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''}"}
                log(f"{name} {engine} failed:\n" + traceback.format_exc())
            log(f"{name} {engine}: {r.get(f'int8_fx_{engine}')}")
        res[name] = r


def ort_load(path):
    """Checks that ONNX Runtime loads and runs `path` (bench/ort/ort_latency.js, 3 runs)."""
    script = os.path.join(ROOT, "bench", "ort", "ort_latency.js")
    try:
        r = subprocess.run(["node", script, path, "--runs", "3", "--warmup", "1"],
                           capture_output=True, text=True, timeout=600)
    except (OSError, subprocess.TimeoutExpired) as e:
        return {"loads": False, "error": str(e)}
    if r.returncode != 0:
        return {"loads": False, "error": r.stderr.strip()[-300:]}
    return {"loads": True, "median_ms": json.loads(r.stdout.strip().splitlines()[-1])["median_ms"]}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=50, help="timed runs for latency (default 50)")
    ap.add_argument("--engines", default="onednn,qnnpack")
    ap.add_argument("--calib", default=os.path.join(ROOT, "examples", "calib"))
    ap.add_argument("--no-export", action="store_true", help="skip the ONNX QDQ export")
    ap.add_argument("--examples", action="store_true", help="copy the QDQ exports into examples/")
    ap.add_argument("--vision", action="store_true", help="also the torchvision models (make.py full run first)")
    ap.add_argument("--only", action="append", metavar="MODEL",
                    help="with --vision: only this torchvision model (repeatable)")
    ap.add_argument("--vision-runs", type=int, default=20, help="timed runs per vision model (default 20)")
    ap.add_argument("--no-fashion", action="store_true", help="skip the Fashion-MNIST models")
    args = ap.parse_args()
    torch.set_num_threads(1)
    torch.manual_seed(0)

    res = {"tool": "pytorch", "version": torch.__version__, "threads": 1}
    if not args.no_fashion:
        fashion_baselines(args, res)
    if args.vision:
        import make
        vision_baselines(args.only or make.VISION, args.engines.split(","), args.vision_runs,
                         not args.no_export, res)
    print(json.dumps(res))


def fashion_baselines(args, res):
    """The Fashion CNN (fp32, FX PTQ per engine, QDQ exports) and MLP (fp32, dynamic) into `res`."""
    test_x, test_y = fashion.load_test_set()
    calib = load_calib(args.calib)
    x1 = torch.from_numpy(test_x[:1])
    res.update(calib_samples=len(calib), test_images=len(test_x))

    cnn = nets.load_trained("fashion_cnn", os.path.join(MODELS, "fashion_cnn.pt"))
    ref = logits(cnn, test_x)
    res["fashion_cnn"] = {"fp32": {"top1": top1(ref, test_y), "latency_ms": latency_ms(cnn, x1, args.runs)}}
    log(f"fashion_cnn fp32 top-1 {res['fashion_cnn']['fp32']['top1']}%")
    qnets = {}
    for engine in args.engines.split(","):
        t0 = time.time()
        q = quantize_static_fx(cnn, engine, calib)
        out = logits(q, test_x)
        res["fashion_cnn"][f"int8_fx_{engine}"] = {
            "top1": top1(out, test_y), "sqnr_db": sqnr(ref[:REF_COUNT], out[:REF_COUNT]),
            "latency_ms": latency_ms(q, x1, args.runs), "seconds": round(time.time() - t0, 1)}
        qnets[engine] = q
        log(f"fashion_cnn int8 FX {engine}: {res['fashion_cnn'][f'int8_fx_{engine}']}")

    for engine, suffix in (("onednn", ""), ("qnnpack", "_qnnpack")):
        if args.no_export or engine not in qnets:
            continue
        torch.backends.quantized.engine = engine
        path = os.path.join(MODELS, f"fashion_cnn_torch_qdq{suffix}.onnx")
        info = dict(export_qdq(qnets[engine], path), engine=engine)
        res["fashion_cnn"][f"qdq_export_{engine}"] = info
        log(f"QDQ export {engine}: {info}")
        if args.examples and info.get("ok"):
            if info["bytes"] >= 1 << 20:
                log(f"not copying {path} into examples/: {info['bytes']} bytes >= 1 MiB")
            else:
                shutil.copyfile(path, os.path.join(ROOT, "examples", os.path.basename(path)))

    mlp = nets.load_trained("fashion_mlp", os.path.join(MODELS, "fashion_mlp.pt"))
    ref = logits(mlp, test_x)
    res["fashion_mlp"] = {"fp32": {"top1": top1(ref, test_y), "latency_ms": latency_ms(mlp, x1, args.runs)}}
    for engine in args.engines.split(","):
        torch.backends.quantized.engine = engine
        q = torch.ao.quantization.quantize_dynamic(copy.deepcopy(mlp), {nn.Linear}, dtype=torch.qint8)
        with QuietStderr():
            out = logits(q, test_x)
            lat = latency_ms(q, x1, args.runs)
        res["fashion_mlp"][f"int8_dynamic_{engine}"] = {
            "top1": top1(out, test_y), "sqnr_db": sqnr(ref[:REF_COUNT], out[:REF_COUNT]), "latency_ms": lat}
        log(f"fashion_mlp int8 dynamic {engine}: {res['fashion_mlp'][f'int8_dynamic_{engine}']}")


if __name__ == "__main__":
    main()
