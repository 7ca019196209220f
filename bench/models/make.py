#!/usr/bin/python3
"""Makes the bench models (never downloaded): trains the Fashion-MNIST CNN and MLP (deterministic
seeds, a few CPU minutes) and exports them to ONNX opset 13 with BatchNormalization kept; exports
torchvision ResNet-18/50, MobileNetV2, MobileNetV3-Small, ShuffleNetV2 x1.0, SqueezeNet1.1 with random
init (seed 0; BatchNorm statistics re-estimated on the calibration images); and (`vision_data`) their
fixed inputs: Fashion-MNIST images resized to 3x224x224 with ImageNet normalization, 32 calibration
samples (training set) in data/vision_calib/, 100 test inputs in data/vision_test/, and each vision
model's PyTorch fp32 logits on those (data/<model>.fp32_ref.npy). `--examples` also writes the
committed artefacts under examples/ (see examples/README.md).
Usage: /usr/bin/python3 bench/models/make.py [--quick] [--only NAME]... [--examples] [--out DIR]"""
import argparse
import json
import os
import shutil
import sys
import time

import numpy as np
import torch
from torch import nn

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)
import fashion  # noqa: E402
import nets  # noqa: E402

OPSET = 13
FASHION = ["fashion_cnn", "fashion_mlp"]
VISION = ["resnet18", "resnet50", "mobilenet_v2", "mobilenet_v3_small", "shufflenet_v2_x1_0",
          "squeezenet1_1"]
CALIB_COUNT = 256
REF_COUNT = 100
VISION_CALIB = 32
IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)
TRAIN = {  # epochs, batch size, learning rate (Adam), per network
    "fashion_cnn": (3, 64, 2e-3),
    "fashion_mlp": (5, 64, 1e-3),
}


def log(msg):
    """Progress on stderr (stdout carries the JSON summary)."""
    print(f"make.py: {msg}", file=sys.stderr, flush=True)


def seed_all(seed):
    """Seeds every generator training touches, and asks torch for deterministic kernels."""
    torch.manual_seed(seed)
    np.random.seed(seed)
    torch.use_deterministic_algorithms(True)


def evaluate(net, x, y, batch=1000):
    """Top-1 accuracy (percent) of `net` on normalized inputs x [N,1,28,28] and labels y."""
    net.eval()
    correct = 0
    with torch.no_grad():
        for i in range(0, len(x), batch):
            out = net(torch.from_numpy(x[i:i + batch]))
            correct += int((out.argmax(1).numpy() == y[i:i + batch]).sum())
    return 100.0 * correct / len(x)


def train(name, train_x, train_y):
    """Trains network `name` from seed 0 with Adam + cosine schedule; returns it in eval mode."""
    seed_all(0)
    net = nets.FASHION_NETS[name]()
    epochs, bs, lr = TRAIN[name]
    steps = epochs * (len(train_x) // bs)
    opt = torch.optim.Adam(net.parameters(), lr=lr)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=lr, total_steps=steps)
    loss_fn = nn.CrossEntropyLoss()
    gen = torch.Generator().manual_seed(0)
    xt, yt = torch.from_numpy(train_x), torch.from_numpy(train_y)
    for epoch in range(epochs):
        net.train()
        perm = torch.randperm(len(xt), generator=gen)
        t0, total = time.time(), 0.0
        for s in range(len(xt) // bs):
            idx = perm[s * bs:(s + 1) * bs]
            opt.zero_grad()
            loss = loss_fn(net(xt[idx]), yt[idx])
            loss.backward()
            opt.step()
            sched.step()
            total += float(loss)
        log(f"{name} epoch {epoch + 1}/{epochs} loss {total / (len(xt) // bs):.4f} "
            f"({time.time() - t0:.0f}s)")
    return net.eval()


def export(net, path, dynamic_batch, keep_bn, shape):
    """Exports `net` (eval mode) to ONNX opset 13 at `path`, input 'input', output 'logits'.
    keep_bn: TrainingMode.PRESERVE on an eval model skips torch's eval peephole (which folds
    BatchNormalization into Conv) while BN is still exported in inference mode; constant folding off."""
    net.eval()
    kwargs = dict(opset_version=OPSET, input_names=["input"], output_names=["logits"])
    if dynamic_batch:
        kwargs["dynamic_axes"] = {"input": {0: "batch"}, "logits": {0: "batch"}}
    if keep_bn:
        kwargs["training"] = torch.onnx.TrainingMode.PRESERVE
        kwargs["do_constant_folding"] = False
    tmp = path + ".tmp"
    with torch.no_grad():
        torch.onnx.export(net, torch.zeros(shape), tmp, **kwargs)
    os.replace(tmp, path)


def check_onnx(path):
    """Runs the ONNX checker on `path`; returns a dict op type -> count and the file size."""
    import onnx
    model = onnx.load(path)
    onnx.checker.check_model(model)
    ops = {}
    for node in model.graph.node:
        ops[node.op_type] = ops.get(node.op_type, 0) + 1
        if node.op_type == "BatchNormalization":
            for a in node.attribute:
                if a.name == "training_mode" and a.i != 0:
                    raise RuntimeError(f"{path}: BatchNormalization exported in training mode")
    return {"ops": ops, "bytes": os.path.getsize(path)}


def save_npy(path, arr):
    """Writes one array as .npy (atomic: temporary file, then rename)."""
    tmp = path + ".tmp.npy"
    np.save(tmp, arr)
    os.replace(tmp, path)


def make_fashion(names, out, examples, results):
    """Trains and exports the Fashion-MNIST networks in `names`; writes examples/ artefacts if asked."""
    tr_img, tr_lab = fashion.load("train")
    train_x = fashion.normalize(tr_img)
    test_x, test_y = fashion.load_test_set()
    rng = np.random.default_rng(0)
    calib_idx = np.sort(rng.choice(len(train_x), CALIB_COUNT, replace=False))
    for name in names:
        t0 = time.time()
        net = train(name, train_x, tr_lab)
        acc = evaluate(net, test_x, test_y)
        torch.save(net.state_dict(), os.path.join(out, f"{name}.pt"))
        path = os.path.join(out, f"{name}.onnx")
        export(net, path, dynamic_batch=True, keep_bn=True, shape=(1, 1, 28, 28))
        info = check_onnx(path)
        if name == "fashion_cnn" and info["ops"].get("BatchNormalization", 0) != 3:
            log(f"WARNING: {path} has {info['ops'].get('BatchNormalization', 0)} BatchNormalization nodes, expected 3")
        with torch.no_grad():
            ref = net(torch.from_numpy(test_x[:REF_COUNT])).numpy().astype(np.float32)
        results[name] = dict(info, fp32_top1=acc, seconds=round(time.time() - t0, 1),
                             torch=torch.__version__)
        log(f"{name}: fp32 top-1 {acc:.2f}% -> {path} ({info['bytes']} bytes) {info['ops']}")
        if examples:
            ex = os.path.join(ROOT, "examples")
            shutil.copyfile(path, os.path.join(ex, f"{name}.onnx"))
            save_npy(os.path.join(ex, f"{name}.fp32_ref.npy"), ref)
    if examples:
        ex = os.path.join(ROOT, "examples")
        calib = os.path.join(ex, "calib")
        os.makedirs(calib, exist_ok=True)
        for old in os.listdir(calib):
            if old.endswith(".npy"):
                os.remove(os.path.join(calib, old))
        for k, i in enumerate(calib_idx):
            save_npy(os.path.join(calib, f"sample_{k:03d}.npy"), train_x[i:i + 1].copy())
        save_npy(os.path.join(ex, "calib_labels.npy"), tr_lab[calib_idx].astype(np.int64))
        save_npy(os.path.join(ex, "calib_indices.npy"), calib_idx.astype(np.int64))
        save_npy(os.path.join(ex, "test100_input.npy"), test_x[:REF_COUNT].copy())
        save_npy(os.path.join(ex, "test100_labels.npy"), test_y[:REF_COUNT].astype(np.int64))
        log(f"examples: {CALIB_COUNT} calibration samples (train indices {calib_idx[:4].tolist()}...)")


def vision_arrays():
    """The fixed vision inputs, float32 [N,3,224,224]: (32 calibration samples from the training set, the
    same rng draw as examples/calib; the first 100 test images)."""
    tr_img, _ = fashion.load("train")
    te_img, _ = fashion.load("test")
    calib_idx = np.sort(np.random.default_rng(0).choice(len(tr_img), CALIB_COUNT, replace=False))[:VISION_CALIB]
    return vision_inputs(tr_img[calib_idx]), vision_inputs(te_img[:REF_COUNT])


def vision_net(name, calib=None):
    """torchvision model `name` with random initialization (torch.manual_seed(0)), eval mode. With
    `calib` ([N,3,224,224]), the BatchNorm running statistics are re-estimated on it (cumulative average
    over batches of 8, BN layers alone in train mode): a random net's activations otherwise vanish or
    explode with depth (MobileNetV2's logits are ~1e-9 without it), which says nothing about quantization."""
    import torchvision
    torch.manual_seed(0)
    net = getattr(torchvision.models, name)(weights=None).eval()
    if calib is not None:
        bns = [m for m in net.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm)]
        for m in bns:
            m.reset_running_stats()
            m.momentum = None
            m.train()
        with torch.no_grad():
            for i in range(0, len(calib), 8):
                net(torch.from_numpy(calib[i:i + 8]))
        net.eval()
    return net


def vision_inputs(images):
    """uint8 [N,28,28] -> float32 [N,3,224,224]: bilinear resize, gray to RGB, ImageNet normalization."""
    x = torch.from_numpy(images.astype(np.float32) / np.float32(255.0)).unsqueeze(1)
    x = nn.functional.interpolate(x, size=(224, 224), mode="bilinear", align_corners=False).repeat(1, 3, 1, 1)
    mean = torch.tensor(IMAGENET_MEAN, dtype=torch.float32).view(1, 3, 1, 1)
    std = torch.tensor(IMAGENET_STD, dtype=torch.float32).view(1, 3, 1, 1)
    return ((x - mean) / std).contiguous().numpy()


def make_vision_data(out, arrays, results):
    """Writes data/vision_calib/sample_NNN.npy (32) and data/vision_test/sample_NNN.npy (100), each
    float32 [1,3,224,224] (see vision_arrays)."""
    for sub, x in zip(("vision_calib", "vision_test"), arrays):
        d = os.path.join(out, "data", sub)
        os.makedirs(d, exist_ok=True)
        for old in os.listdir(d):
            if old.endswith(".npy"):
                os.remove(os.path.join(d, old))
        for k in range(len(x)):
            save_npy(os.path.join(d, f"sample_{k:03d}.npy"), x[k:k + 1].copy())
        results[sub] = {"dir": os.path.relpath(d, ROOT), "count": len(x), "shape": [1, 3, 224, 224]}
        log(f"{sub}: {len(x)} samples in {d}")


def make_vision(names, out, arrays, keep_bn, results):
    """Exports the torchvision models in `names` (random init, BN statistics from the calibration
    samples), batch 1, 3x224x224, and writes their PyTorch fp32 logits on the 100 test inputs as
    data/<name>.fp32_ref.npy [100,1000]."""
    calib, test = arrays
    os.makedirs(os.path.join(out, "data"), exist_ok=True)
    for name in names:
        t0 = time.time()
        net = vision_net(name, calib)
        path = os.path.join(out, f"{name}.onnx")
        export(net, path, dynamic_batch=False, keep_bn=keep_bn, shape=(1, 3, 224, 224))
        info = check_onnx(path)
        with torch.no_grad():
            ref = np.concatenate([net(torch.from_numpy(test[i:i + 10])).numpy() for i in range(0, len(test), 10)])
        save_npy(os.path.join(out, "data", f"{name}.fp32_ref.npy"), ref.astype(np.float32))
        results[name] = dict(info, seconds=round(time.time() - t0, 1), torch=torch.__version__,
                             logit_std=round(float(ref.std()), 4))
        log(f"{name} -> {path} ({info['bytes']} bytes) {info['ops']}")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--only", action="append", choices=FASHION + VISION + ["vision_data"], metavar="NAME",
                    help="make only this (repeatable): " + ", ".join(FASHION + VISION + ["vision_data"]))
    ap.add_argument("--quick", action="store_true", help="Fashion CNN + MLP only")
    ap.add_argument("--examples", action="store_true",
                    help="also write examples/ (fashion .onnx copies, calib/, fp32 references)")
    ap.add_argument("--keep-bn", action="store_true",
                    help="keep BatchNormalization in the torchvision exports too (default: torch folds it)")
    ap.add_argument("--out", default=HERE, help="output directory (default bench/models)")
    ap.add_argument("--threads", type=int, default=1, help="torch threads (default 1)")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    names = args.only or (FASHION if args.quick else FASHION + ["vision_data"] + VISION)
    os.makedirs(args.out, exist_ok=True)
    results = {}
    fash = [n for n in names if n in FASHION]
    if args.examples and fash != FASHION:
        ap.error("--examples needs both fashion_cnn and fashion_mlp")
    if fash:
        make_fashion(fash, args.out, args.examples, results)
    vis = [n for n in names if n in VISION]
    if vis or "vision_data" in names:
        arrays = vision_arrays()
        if "vision_data" in names:
            make_vision_data(args.out, arrays, results)
        if vis:
            make_vision(vis, args.out, arrays, args.keep_bn, results)
    print(json.dumps({"models": results}))


if __name__ == "__main__":
    main()
