#!/usr/bin/python3
"""Measures onnxq's cross-layer equalization (--equalize / --equalize-relu6) and bias correction
(--bias-correct) against plain post-training quantization and against PyTorch 1.13 FX PTQ (with and
without torch.ao.quantization._equalize.equalize), per-tensor and per-channel weights, and writes a
markdown fragment (default bench/ptq/RESULTS.md) plus one JSON line on stdout.

Models (all inputs and references are the bench's own, nothing is downloaded):
  mobilenet_v2          bench/models/mobilenet_v2.onnx (make.py: torchvision, seed 0, random weights,
                        BN statistics re-estimated on the 32 vision calibration images; Relu6)
  mobilenet_v2_relu     the same network with every ReLU6 replaced by ReLU (the paper's variant),
                        BN re-estimated the same way; made here with torch into WORK/
  mobilenet_v2_spread   mobilenet_v2_relu with the known per-tensor failure mode put in: output
                        channel c of every depthwise conv is scaled by g_c = 10^U(-2, 1) (its BN gamma
                        and beta) and input channel c of the following 1x1 projection by 1/g_c, so the
                        float function is unchanged (ReLU commutes) but the depthwise weight ranges
                        spread over three decades, as in pretrained MobileNetV2 (Nagel et al., fig. 2)
  mobilenet_v2_spread_relu6  the same spread applied to mobilenet_v2 (Relu6 kept): a different
                        float network (Relu6 clips the widened channels), with its own fp32 reference
  fashion_cnn           examples/fashion_cnn.onnx (trained; BN kept in the graph, folded by onnxq)
SQNR: int8 logits against the PyTorch fp32 logits, on the 100 fixed vision test inputs
(bench/models/data/vision_test, quantized models run in ONNX Runtime via bench/ort/ort_run.js) or the
first 100 Fashion-MNIST test images (onnxq interpreter); Fashion top-1 on all 10,000 test images
(onnxq eval). Calibration: bench/models/data/vision_calib (32) and examples/calib (256).

Usage: /usr/bin/python3 bench/ptq/ptq.py [--onnxq build-o/cli/onnxq] [--out bench/ptq/RESULTS.md]
       [--work bench/ptq/work] [--models mobilenet_v2,mobilenet_v2_spread_relu6,mobilenet_v2_relu,
       mobilenet_v2_spread,fashion_cnn]
       [--observers minmax,mse] [--no-torch]
Needs bench/models/mobilenet_v2.onnx + data/ (/usr/bin/python3 bench/models/make.py --only mobilenet_v2)."""
import argparse
import copy
import glob
import json
import os
import re
import subprocess
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
MODELS = os.path.join(ROOT, "bench", "models")
DATA = os.path.join(MODELS, "data")
EX = os.path.join(ROOT, "examples")
sys.path.insert(0, MODELS)
sys.path.insert(0, os.path.join(ROOT, "bench", "torch"))

VISION = ("mobilenet_v2", "mobilenet_v2_spread_relu6", "mobilenet_v2_relu", "mobilenet_v2_spread")
RELU6 = ("mobilenet_v2", "mobilenet_v2_spread_relu6")
METHODS = [("none", []), ("CLE", ["--equalize"]), ("BC", ["--bias-correct"]),
           ("CLE + BC", ["--equalize", "--bias-correct"])]
RELU6_METHODS = [("CLE across Relu6 (Relu6 -> Relu)", ["--equalize-relu6"]),
                 ("CLE across Relu6 + BC", ["--equalize-relu6", "--bias-correct"])]
GRAN = [("per-tensor", ["--per-tensor"]), ("per-channel", [])]


def log(msg):
    print(f"ptq: {msg}", file=sys.stderr, flush=True)


def sh(cmd, timeout=1800):
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    return r.returncode, r.stdout, r.stderr


def sqnr(ref, test):
    ref = ref.astype(np.float64)
    noise = float(((ref - test) ** 2).sum())
    return float("inf") if noise == 0 else 10 * np.log10(float((ref ** 2).sum()) / noise)


def load_dir(d):
    files = sorted(glob.glob(os.path.join(d, "sample_*.npy")))
    if not files:
        raise SystemExit(f"ptq: no samples in {d} (run /usr/bin/python3 bench/models/make.py --only mobilenet_v2)")
    return np.concatenate([np.load(f) for f in files]).astype(np.float32)


# ------------------------------------------------------------------------------------------- models

def relu_mobilenet_v2(calib):
    """torchvision MobileNetV2, seed 0 (the weights of make.py's model), ReLU6 -> ReLU, BN statistics
    re-estimated on calib exactly as make.vision_net does."""
    import torch
    import torchvision
    from torch import nn
    torch.manual_seed(0)
    net = torchvision.models.mobilenet_v2(weights=None).eval()

    def swap(m):
        for k, c in m.named_children():
            if isinstance(c, nn.ReLU6):
                setattr(m, k, nn.ReLU(inplace=False))
            else:
                swap(c)
    swap(net)
    bns = [m for m in net.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm)]
    for m in bns:
        m.reset_running_stats()
        m.momentum = None
        m.train()
    with torch.no_grad():
        for i in range(0, len(calib), 8):
            net(torch.from_numpy(calib[i:i + 8]))
    return net.eval()


def spread_depthwise(net, seed=0):
    """Scales depthwise output channel c (BN gamma, beta) by g_c = 10^U(-2,1) and the projection's input
    channel c by 1/g_c: the same float function (ReLU between), three decades of weight ranges."""
    import torch
    from torchvision.models.mobilenetv2 import InvertedResidual
    net = copy.deepcopy(net)
    rng = np.random.default_rng(seed)
    with torch.no_grad():
        for m in net.modules():
            if isinstance(m, InvertedResidual):
                bn, proj = m.conv[-3][1], m.conv[-2]
                g = torch.from_numpy(10.0 ** rng.uniform(-2, 1, bn.num_features)).float()
                bn.weight.mul_(g)
                bn.bias.mul_(g)
                proj.weight.div_(g.view(1, -1, 1, 1))
    return net


def torch_logits(net, x, batch=10):
    import torch
    with torch.no_grad():
        return np.concatenate([net(torch.from_numpy(x[i:i + batch])).float().numpy()
                               for i in range(0, len(x), batch)])


def make_vision(work, calib, test, names):
    """{name: (onnx path, fp32 reference logits, torch net or None)}."""
    import make
    out = {}
    if "mobilenet_v2" in names:
        path = os.path.join(MODELS, "mobilenet_v2.onnx")
        ref = os.path.join(DATA, "mobilenet_v2.fp32_ref.npy")
        if not (os.path.exists(path) and os.path.exists(ref)):
            raise SystemExit("ptq: run /usr/bin/python3 bench/models/make.py --only mobilenet_v2 first")
        out["mobilenet_v2"] = (path, np.load(ref), make.vision_net("mobilenet_v2", calib))
    if "mobilenet_v2_spread_relu6" in names:
        net = spread_depthwise(make.vision_net("mobilenet_v2", calib))
        path = os.path.join(work, "mobilenet_v2_spread_relu6.onnx")
        make.export(net, path, dynamic_batch=False, keep_bn=False, shape=(1, 3, 224, 224))
        out["mobilenet_v2_spread_relu6"] = (path, torch_logits(net, test), net)
    if "mobilenet_v2_relu" in names or "mobilenet_v2_spread" in names:
        relu = relu_mobilenet_v2(calib)
        for name, net in (("mobilenet_v2_relu", relu), ("mobilenet_v2_spread", spread_depthwise(relu))):
            if name not in names:
                continue
            path = os.path.join(work, f"{name}.onnx")
            make.export(net, path, dynamic_batch=False, keep_bn=False, shape=(1, 3, 224, 224))
            out[name] = (path, torch_logits(net, test), net)
            log(f"{name}: exported {path}")
    return out


# ------------------------------------------------------------------------------------------- onnxq

def onnxq_quantize(onnxq, model, calib, out, flags):
    rc, o, e = sh([onnxq, "quantize", model, "--calib", calib, "-o", out] + flags)
    if rc:
        raise RuntimeError(f"onnxq quantize {' '.join(flags)}: {(e or o).strip()}")
    return e.count("warning")


def ort_logits(model, work, tag):
    d = os.path.join(work, tag + "_out")
    rc, o, e = sh(["node", os.path.join(ROOT, "bench/ort/ort_run.js"), model, "--input-dir",
                   os.path.join(DATA, "vision_test"), "--output", d])
    if rc:
        raise RuntimeError(f"ort_run {model}: {(e or o).strip()}")
    return np.load(os.path.join(d, "logits.npy"))


def onnxq_vision(onnxq, name, path, ref, work, methods, observers):
    """{(method, granularity, observer): {sqnr, agree}} plus the fp32 effect of each CLE flag set."""
    res = {}
    calib = os.path.join(DATA, "vision_calib")
    for mname, mflags in methods:
        for gname, gflags in GRAN:
            for obs in observers:
                tag = re.sub(r"[^a-z0-9]+", "_", f"{name} {mname} {gname} {obs}".lower())
                out = os.path.join(work, tag + ".onnx")
                t0 = time.time()
                onnxq_quantize(onnxq, path, calib, out, mflags + gflags + ["--observer", obs])
                secs = time.time() - t0
                lg = ort_logits(out, work, tag)
                res[(mname, gname, obs)] = {"sqnr": sqnr(ref, lg), "agree": 100.0 * float(
                    (lg.argmax(1) == ref.argmax(1)).mean()), "quantize_s": round(secs, 1)}
                log(f"{name} {mname} {gname} {obs}: {res[(mname, gname, obs)]}")
    fp32 = {}
    for mname, mflags in methods:       # the float graph after the passes (--op-types Flatten: nothing quantized)
        cle = [f for f in mflags if f.startswith("--equalize")]
        if not cle or " ".join(cle) in fp32:
            continue
        tag = re.sub(r"[^a-z0-9]+", "_", f"{name} fp32 {' '.join(cle)}")
        out = os.path.join(work, tag + ".onnx")
        onnxq_quantize(onnxq, path, calib, out, cle + ["--op-types", "Flatten"])
        fp32[" ".join(cle)] = sqnr(ref, ort_logits(out, work, tag))
    return res, fp32


def onnxq_fashion(onnxq, work, methods, observers, fm):
    res = {}
    model, calib = os.path.join(EX, "fashion_cnn.onnx"), os.path.join(EX, "calib")
    ref = np.load(os.path.join(EX, "fashion_cnn.fp32_ref.npy"))
    for mname, mflags in methods:
        for gname, gflags in GRAN:
            for obs in observers:
                tag = re.sub(r"[^a-z0-9]+", "_", f"fashion {mname} {gname} {obs}".lower())
                out = os.path.join(work, tag + ".onnx")
                onnxq_quantize(onnxq, model, calib, out, mflags + gflags + ["--observer", obs])
                d = os.path.join(work, tag + "_t100")
                rc, o, e = sh([onnxq, "run", out, "--input", "input=" + os.path.join(EX, "test100_input.npy"),
                               "--output", d])
                if rc:
                    raise RuntimeError(f"onnxq run {out}: {e.strip()}")
                rc, o, e = sh([onnxq, "eval", out, "--data", os.path.join(fm, "images.npy"), "--labels",
                               os.path.join(fm, "labels.npy")])
                m = re.search(r"top-1:\s*([\d.]+)%", o + e)
                res[(mname, gname, obs)] = {"sqnr": sqnr(ref, np.load(os.path.join(d, "logits.npy"))),
                                            "top1": float(m.group(1)) if rc == 0 and m else None}
                log(f"fashion {mname} {gname} {obs}: {res[(mname, gname, obs)]}")
    rc, o, e = sh([onnxq, "eval", model, "--data", os.path.join(fm, "images.npy"), "--labels",
                   os.path.join(fm, "labels.npy")])
    m = re.search(r"top-1:\s*([\d.]+)%", o + e)
    return res, float(m.group(1)) if m else None


# ------------------------------------------------------------------------------------------- PyTorch

def torch_cle_mobilenet_v2(net):
    """Conv+BN folded (fuse_modules, eval), then torch.ao.quantization._equalize.equalize over the
    pairs it supports: Conv2d/Linear -> Conv2d/Linear whose second layer is not depthwise (torch 1.13
    reads input ranges along weight axis 1, which is 1 wide for a depthwise conv)."""
    from torch.ao.quantization import fuse_modules
    from torch.ao.quantization._equalize import equalize
    from torchvision.models.mobilenetv2 import InvertedResidual
    from torchvision.ops.misc import Conv2dNormActivation
    net = copy.deepcopy(net).eval()
    groups = []
    for name, m in net.named_modules():
        if isinstance(m, Conv2dNormActivation):
            groups.append([f"{name}.0", f"{name}.1"])
        elif isinstance(m, InvertedResidual):
            groups.append([f"{name}.conv.{len(m.conv) - 2}", f"{name}.conv.{len(m.conv) - 1}"])
    net = fuse_modules(net, groups)
    mods = dict(net.named_modules())

    def dw(n):
        return getattr(mods[n], "groups", 1) > 1
    pairs, prev = [], "features.0.0"
    blocks = [(n, m) for n, m in net.named_modules() if isinstance(m, InvertedResidual)]
    for name, b in blocks:
        convs = [f"{name}.conv.{i}.0" for i in range(len(b.conv) - 2)] + [f"{name}.conv.{len(b.conv) - 2}"]
        if prev and not b.use_res_connect and not dw(convs[0]):
            pairs.append([prev, convs[0]])
        pairs += [[a, c] for a, c in zip(convs, convs[1:]) if not dw(c)]
        prev = None if b.use_res_connect else convs[-1]
    if prev:
        pairs.append([prev, "features.18.0"])
    pairs.append(["features.18.0", "classifier.1"])
    equalize(net, pairs, threshold=1e-4, inplace=True)
    return net, len(pairs)


def torch_vision(name, net, ref, calib, test, engines, cle):
    import torch
    import torch_quant
    res = {}
    variants = [("none", net)]
    if cle:
        eq, npairs = torch_cle_mobilenet_v2(net)
        variants.append(("CLE", eq))
        res["cle_pairs"] = npairs
        res["cle_fp32_sqnr"] = sqnr(ref, torch_logits(eq, test))
    tc = torch.from_numpy(calib)
    for vname, v in variants:
        for engine in engines:
            q = torch_quant.quantize_static_fx(v, engine, tc)
            lg = torch_logits(q, test)
            res[(vname, engine)] = {"sqnr": sqnr(ref, lg), "agree": 100.0 * float((lg.argmax(1) == ref.argmax(1)).mean())}
            log(f"torch {name} {vname} {engine}: {res[(vname, engine)]}")
    return res


def torch_fashion(engines):
    import fashion
    import nets
    import torch
    import torch_quant
    from torch.ao.quantization import fuse_modules
    from torch.ao.quantization._equalize import equalize
    test_x, test_y = fashion.load_test_set()
    calib = torch_quant.load_calib(os.path.join(EX, "calib"))
    cnn = nets.load_trained("fashion_cnn", os.path.join(MODELS, "fashion_cnn.pt"))
    ref = np.load(os.path.join(EX, "fashion_cnn.fp32_ref.npy"))
    eq = fuse_modules(copy.deepcopy(cnn).eval(), [["conv1", "bn1"], ["conv2", "bn2"], ["conv3", "bn3"]])
    equalize(eq, [["conv1", "conv2"], ["conv2", "conv3"]], threshold=1e-4, inplace=True)
    res = {"cle_fp32_sqnr": sqnr(ref, torch_quant.logits(eq, test_x[:100]))}
    for vname, v in (("none", cnn), ("CLE", eq)):
        for engine in engines:
            q = torch_quant.quantize_static_fx(v, engine, calib)
            out = torch_quant.logits(q, test_x)
            res[(vname, engine)] = {"sqnr": sqnr(ref, out[:100]), "top1": torch_quant.top1(out, test_y)}
            log(f"torch fashion {vname} {engine}: {res[(vname, engine)]}")
    return res


# ------------------------------------------------------------------------------------------- report

def f2(x):
    if x is None:
        return "n/a"
    return "inf" if x == float("inf") else f"{x:.2f}"


ENGINE = {"per-tensor": "qnnpack", "per-channel": "onednn"}


def table(name, res, methods, observers, tres, metric, mlabel):
    head = ["method", "weights"] + [f"onnxq SQNR dB ({o})" for o in observers] + \
           [f"onnxq {mlabel} ({observers[0]})", "PyTorch FX SQNR dB", f"PyTorch {mlabel}"]
    rows = []
    for mname, _ in methods:
        for gname, _ in GRAN:
            r = [res[(mname, gname, o)] for o in observers]
            t = tres.get((mname, ENGINE[gname])) if tres else None
            rows.append([mname, gname] + [f2(x["sqnr"]) for x in r] + [f2(r[0][metric])] +
                        ([f2(t["sqnr"]), f2(t[metric])] if t else ["—", "—"]))
    out = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    out += ["| " + " | ".join(r) + " |" for r in rows]
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--onnxq", default=os.path.join(ROOT, "build-o", "cli", "onnxq"))
    ap.add_argument("--out", default=os.path.join(HERE, "RESULTS.md"))
    ap.add_argument("--work", default=os.path.join(HERE, "work"))
    ap.add_argument("--models", default=",".join(VISION) + ",fashion_cnn")
    ap.add_argument("--observers", default="minmax,mse")
    ap.add_argument("--no-torch", action="store_true")
    a = ap.parse_args()
    os.makedirs(a.work, exist_ok=True)
    names = a.models.split(",")
    observers = a.observers.split(",")
    import torch
    torch.set_num_threads(1)
    engines = ["qnnpack", "onednn"]
    sections = os.path.join(a.work, "sections")
    os.makedirs(sections, exist_ok=True)
    cmd = (f"/usr/bin/python3 bench/ptq/ptq.py --models {{}} --observers {a.observers}"
           f"{' --no-torch' if a.no_torch else ''}")

    def section(name, lines, secs):
        """Writes WORK/sections/NAME.md (kept across runs: RESULTS.md is assembled from all of them)."""
        with open(os.path.join(sections, name + ".md"), "w") as f:
            f.write("\n".join(lines + ["", f"`{cmd.format(name)}`: {secs:.0f} s on this machine "
                                         f"({time.strftime('%Y-%m-%d %H:%M')} UTC).", ""]) + "\n")

    allres = {}
    vis = [n for n in names if n in VISION]
    if vis:
        calib_np, test_np = load_dir(os.path.join(DATA, "vision_calib")), load_dir(os.path.join(DATA, "vision_test"))
        models = make_vision(a.work, calib_np, test_np, vis)
        for name in vis:
            t0 = time.time()
            path, ref, net = models[name]
            methods = METHODS + (RELU6_METHODS if name in RELU6 else [])
            res, fp32 = onnxq_vision(a.onnxq, name, path, ref, a.work, methods, observers)
            tres = None if a.no_torch else torch_vision(name, net, ref, calib_np, test_np, engines,
                                                        cle=name not in RELU6)
            allres[name] = {"onnxq": {" / ".join(k): v for k, v in res.items()}, "fp32_after_cle": fp32,
                            "torch": {(" / ".join(k) if isinstance(k, tuple) else k): v
                                      for k, v in (tres or {}).items()}}
            md = [f"### {name}", ""] + table(name, res, methods, observers, tres, "agree", "top-1 agree %")
            notes = [f"fp32 SQNR of onnxq's float graph after `{k}` vs the original float model: {f2(v)} dB"
                     for k, v in fp32.items()]
            if tres and "cle_fp32_sqnr" in tres:
                notes.append(f"PyTorch CLE: {tres['cle_pairs']} pairs, fp32 SQNR after it "
                             f"{f2(tres['cle_fp32_sqnr'])} dB")
            section(name, md + [""] + [f"- {n}" for n in notes], time.time() - t0)
    if "fashion_cnn" in names:
        t0 = time.time()
        fm = os.path.join(a.work, "fm")
        if not os.path.exists(os.path.join(fm, "labels.npy")):
            rc, o, e = sh(["node", os.path.join(ROOT, "scripts", "fashion-npy.js"), fm])
            if rc:
                raise SystemExit(f"ptq: fashion-npy.js: {e}")
        res, fp32_top1 = onnxq_fashion(a.onnxq, a.work, METHODS, observers, fm)
        tres = None if a.no_torch else torch_fashion(engines)
        allres["fashion_cnn"] = {"onnxq": {" / ".join(k): v for k, v in res.items()}, "fp32_top1": fp32_top1,
                                 "torch": {(" / ".join(k) if isinstance(k, tuple) else k): v
                                           for k, v in (tres or {}).items()}}
        md = ["### fashion_cnn (examples/, trained)", ""]
        md += table("fashion_cnn", res, METHODS, observers, tres, "top1", "top-1 %")
        md += ["", f"- fp32 top-1 (onnxq interpreter): {f2(fp32_top1)} %" +
               (f"; PyTorch CLE fp32 SQNR {f2(tres['cle_fp32_sqnr'])} dB (pairs conv1-conv2, conv2-conv3; "
                "torch's equalize cannot pair conv3 with the Linear after Flatten)" if tres else "")]
        section("fashion_cnn", md, time.time() - t0)
    head = os.path.join(HERE, "HEADER.md")
    out = [open(head).read().rstrip("\n"), ""] if os.path.exists(head) else []
    for name in list(VISION) + ["fashion_cnn"]:
        p = os.path.join(sections, name + ".md")
        if os.path.exists(p):
            out.append(open(p).read())
    with open(a.out, "w") as f:
        f.write("\n".join(out))
    print(json.dumps(allres, default=str))


if __name__ == "__main__":
    main()
