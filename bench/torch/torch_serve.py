#!/usr/bin/python3
"""Latency server for bench/run (PyTorch 1.13, one thread): builds one Fashion model (fashion_cnn or
fashion_mlp from bench/models/*.pt) in fp32 or int8 (CNN: FX static PTQ, engine --engine, calibrated on
examples/calib; MLP: quantize_dynamic), prints {"ready": true}, then for each line "N" on stdin runs
it N times on one test image (batch 1) and prints {"times_ms": [...]}. Exits at end of input.
Usage: /usr/bin/python3 bench/torch/torch_serve.py MODEL fp32|int8 [--engine onednn]"""
import argparse
import json
import os
import sys
import time

import torch
from torch import nn

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import torch_quant as tq  # noqa: E402


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("model", choices=["fashion_cnn", "fashion_mlp"])
    ap.add_argument("kind", choices=["fp32", "int8"])
    ap.add_argument("--engine", default="onednn")
    args = ap.parse_args()
    torch.set_num_threads(1)
    torch.manual_seed(0)
    net = tq.nets.load_trained(args.model, os.path.join(tq.MODELS, args.model + ".pt")).eval()
    if args.kind == "int8":
        torch.backends.quantized.engine = args.engine
        if args.model == "fashion_cnn":
            net = tq.quantize_static_fx(net, args.engine, tq.load_calib(os.path.join(tq.ROOT, "examples", "calib")))
        else:
            net = torch.ao.quantization.quantize_dynamic(net, {nn.Linear}, dtype=torch.qint8)
    x = torch.from_numpy(tq.fashion.load_test_set()[0][:1])
    print(json.dumps({"ready": True}), flush=True)
    with torch.no_grad():
        for line in sys.stdin:
            try:
                n = int(line)
            except ValueError:
                continue
            times = []
            for _ in range(n):
                t0 = time.perf_counter()
                net(x)
                times.append((time.perf_counter() - t0) * 1e3)
            print(json.dumps({"times_ms": times}), flush=True)


if __name__ == "__main__":
    main()
