"""The peer quantizers in bench/run: which recipes, in which environment, quantize (cached), evaluate.

Imported by bench/run (Debian's /usr/bin/python3, standard library only). The peers themselves run
in the virtual environments that bench/setup makes under bench/.venv/ (core, inc, quark); one that
is missing or failed gives n/a with its reason. Quantized models are cached in bench/out/peers/
(git-ignored) under a key of the model's bytes, the calibration files, the recipe, quantize.py and
the pinned requirements, so a rerun of the same inputs reuses them (and their measured quantization
wall time); bench/run --fresh-peers quantizes again."""
import glob
import hashlib
import json
import os
import shutil
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
VENV = os.path.join(ROOT, "bench", ".venv")
CACHE = os.path.join(ROOT, "bench", "out", "peers")

# (recipe of quantize.py, environment, quantizer label, models it applies to (None: all))
RECIPES = [
    ("ort-minmax", "core", "ORT quantize_static QDQ per-channel, MinMax (s8 act.)", None),
    ("ort-minmax-u8", "core", "ORT quantize_static QDQ per-channel, MinMax, u8 act.", None),
    ("ort-entropy", "core", "ORT quantize_static QDQ per-channel, Entropy", None),
    ("ort-percentile", "core", "ORT quantize_static QDQ per-channel, Percentile", None),
    ("ort-distribution", "core", "ORT quantize_static QDQ per-channel, Distribution", None),
    ("ort-dynamic", "core", "ORT quantize_dynamic per-channel", ("fashion_mlp",)),
    ("nncf", "core", "NNCF quantize (default preset)", None),
    ("inc", "inc", "INC 2.6 PTQ static (default: QOperator)", None),
    ("quark-a8w8", "quark", "Quark A8W8", None),
    ("quark-a8w8-cle", "quark", "Quark A8W8 + CLE", None),
    ("quark-a8w8-adaround", "quark", "Quark A8W8 + AdaRound", ("fashion_cnn", "fashion_mlp")),
]
# why a recipe does not run on the models its entry leaves out (n/a cells; none for ort-dynamic, which
# is for weight-dominated models only)
SKIPPED = {
    "quark-a8w8-adaround": "not run on the vision models: Quark's AdaRound (1000 iterations per layer, CPU) took "
                           "~15 min for the 4 layers of the Fashion CNN on this 2-core machine; 20 to 50 layers "
                           "do not fit in one bench run",
}
RUNTIMES = [("ort", "ONNX Runtime {ort} (Python)"), ("openvino", "OpenVINO {openvino} CPU")]


# what a reader must know to read a recipe's row
NOTES = {
    "ort-distribution": "ORT's Distribution calibrator is the one it requires for float8 quantization (it fits the "
                        "tensor's spread, not an int8 range); measured here with int8 as asked",
    "inc": "INC's default ONNX format is QOperator (QLinearConv, QLinearMatMul, com.microsoft ops)",
}


def python(env):
    return os.path.join(VENV, env, "bin", "python")


def available(env):
    """(True, None) or (False, reason)."""
    failed = os.path.join(VENV, env + ".failed")
    if os.path.exists(failed):
        return False, "bench/setup could not install it: " + open(failed).read().strip()
    if not os.access(python(env), os.X_OK) or not os.path.exists(os.path.join(VENV, env, ".installed")):
        return False, f"bench/.venv/{env} missing (run bench/setup)"
    return True, None


def versions(sh):
    """Versions of the peer packages, {name: version} (from the environments' metadata)."""
    out = {}
    code = ("import importlib.metadata as m, json\nd={}\n"
            "for p in ('onnxruntime','openvino','nncf','onnx','neural-compressor','amd-quark','torch'):\n"
            "  try: d[p]=m.version(p)\n  except Exception: pass\nprint(json.dumps(d))")
    for env in ("core", "inc", "quark"):
        if available(env)[0]:
            rc, o, _, _ = sh([python(env), "-c", code], timeout=120)
            if rc == 0:
                try:
                    out[env] = json.loads(o.strip().splitlines()[-1])
                except (ValueError, IndexError):
                    pass
    return out


def _key(model, calib, recipe, env):
    h = hashlib.sha256()
    h.update(open(model, "rb").read())
    for f in sorted(glob.glob(os.path.join(calib, "*.npy"))):
        h.update(os.path.basename(f).encode())
        h.update(open(f, "rb").read())
    h.update(recipe.encode())
    h.update(open(os.path.join(HERE, "quantize.py"), "rb").read())
    req = os.path.join(HERE, f"requirements-{env}.txt")
    if os.path.exists(req):
        h.update(open(req, "rb").read())
    return h.hexdigest()[:16]


def quantize(sh, json_line, key, model, calib, recipe, env, fresh=False, timeout=1500):
    """Quantizes model with one recipe (cached); returns {ok, path, seconds, bytes, cached} or {ok False, error}."""
    d = os.path.join(CACHE, key)
    os.makedirs(d, exist_ok=True)
    out, meta = os.path.join(d, recipe + ".onnx"), os.path.join(d, recipe + ".json")
    k = _key(model, calib, recipe, env)
    if not fresh and os.path.exists(meta):
        try:
            m = json.load(open(meta))
            if m.get("key") == k and (not m.get("ok") or os.path.exists(out)):
                m["cached"] = True
                return m
        except ValueError:
            pass
    ok, reason = available(env)
    if not ok:
        return {"ok": False, "error": reason, "skipped": True}
    if os.path.exists(out):
        os.remove(out)
    scratch = tempfile.mkdtemp(prefix=f"{recipe}-", dir=d)  # INC and Quark write files into their cwd
    rc, o, e, secs = sh([python(env), os.path.join(HERE, "quantize.py"), recipe, os.path.abspath(model), "--calib",
                         os.path.abspath(calib), "--out", out], timeout=timeout, cwd=scratch)
    shutil.rmtree(scratch, ignore_errors=True)
    j = json_line(o)
    if rc == 124:
        j = {"ok": False, "error": f"did not finish within the bench's {timeout} s budget"}
    elif not j and rc < 0:
        j = {"ok": False, "error": f"stopped by signal {-rc} after {secs:.0f} s"}
    elif not j:
        tail = [l for l in (e + "\n" + o).splitlines() if l.strip()]
        errs = [l for l in tail if "Error" in l or "error:" in l]
        j = {"ok": False, "error": ((errs or tail)[-1][:300] if tail else f"exit status {rc}")}
    j["key"] = k
    if j.get("ok"):
        j["path"], j["bytes"] = out, os.path.getsize(out)
    json.dump(j, open(meta, "w"))
    j["cached"] = False
    return j


def evaluate(sh, json_line, runtime, model, inputs, ref, images=None, labels=None):
    cmd = [python("core"), os.path.join(HERE, "runner.py"), "eval", runtime, model, "--inputs", inputs, "--ref", ref]
    if images:
        cmd += ["--images", images, "--labels", labels]
    rc, o, e, _ = sh(cmd, timeout=1800)
    j = json_line(o)
    if not j:
        tail = [l for l in (e + "\n" + o).splitlines() if l.strip()]
        j = {"error": tail[-1][:300] if tail else f"exit status {rc}"}
    return j


def server_cmd(runtime, model, sample):
    return [python("core"), os.path.join(HERE, "runner.py"), "serve", runtime, model, "--input", sample]


def _sh(cmd, timeout=900, cwd=None):
    import subprocess
    import time
    t0 = time.perf_counter()
    try:
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, cwd=cwd)
        return p.returncode, p.stdout, p.stderr, time.perf_counter() - t0
    except subprocess.TimeoutExpired:
        return 124, "", f"timed out after {timeout} s", time.perf_counter() - t0


def _json_line(out):
    for line in reversed(out.splitlines()):
        if line.strip().startswith("{"):
            try:
                return json.loads(line)
            except ValueError:
                pass
    return None


def models():
    """(key, model, calib) of every bench model present: the Fashion models, then bench/models' vision ones."""
    ex, bm = os.path.join(ROOT, "examples"), os.path.join(ROOT, "bench", "models")
    out = [(k, os.path.join(ex, k + ".onnx"), os.path.join(ex, "calib")) for k in ("fashion_cnn", "fashion_mlp")]
    for k in ("resnet18", "mobilenet_v2", "squeezenet1_1", "mobilenet_v3_small", "shufflenet_v2_x1_0", "resnet50"):
        if os.path.exists(os.path.join(bm, k + ".onnx")):
            out.append((k, os.path.join(bm, k + ".onnx"), os.path.join(bm, "data", "vision_calib")))
    return out


def main():
    """python3 bench/peers/harness.py [--env core,inc,quark] [--recipe R,...] [--model M,...] [--fresh] [--timeout S]:
    fills the cache ahead of bench/run (one JSON line per quantization)."""
    import argparse
    ap = argparse.ArgumentParser(description=main.__doc__)
    ap.add_argument("--env")
    ap.add_argument("--recipe")
    ap.add_argument("--model")
    ap.add_argument("--fresh", action="store_true")
    ap.add_argument("--timeout", type=int, default=1200)
    a = ap.parse_args()
    pick = lambda v, s: s is None or v in s.split(",")  # noqa: E731
    for key, model, calib in models():
        if not pick(key, a.model):
            continue
        for recipe, env, label, only in RECIPES:
            if (only and key not in only) or not pick(env, a.env) or not pick(recipe, a.recipe):
                continue
            j = quantize(_sh, _json_line, key, model, calib, recipe, env, fresh=a.fresh, timeout=a.timeout)
            print(json.dumps({"model": key, "recipe": recipe, "ok": j.get("ok"), "seconds": j.get("seconds"),
                              "cached": j.get("cached"), "error": j.get("error")}), flush=True)


if __name__ == "__main__":
    main()
