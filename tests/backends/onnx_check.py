#!/usr/bin/python3
# Second consumer of onnxq's written models: the ONNX reference checker (onnx.checker with
# full_check, i.e. strict shape inference too). One line per model: "ok PATH", "skip PATH: why"
# (opset newer than this onnx package knows) or "FAIL PATH: message". Exit 0 unless usage or
# import errors. usage: /usr/bin/python3 onnx_check.py MODEL... | --list FILE (one path a line)
import sys

import onnx
import onnx.defs


def main(paths):
    newest = onnx.defs.onnx_opset_version()
    for p in paths:
        try:
            m = onnx.load(p)
            v = max((o.version for o in m.opset_import if o.domain in ("", "ai.onnx")), default=0)
            if v > newest:
                print(f"skip {p}: opset {v} is newer than onnx {onnx.__version__} ({newest})")
                continue
            onnx.checker.check_model(m, full_check=True)
            print(f"ok {p}")
        except Exception as e:  # noqa: BLE001 -- report every failure, keep going
            msg = " ".join(str(e).split())[:300]
            print(f"FAIL {p}: {msg}")
    return 0


if __name__ == "__main__":
    if len(sys.argv) < 2:
        print("usage: onnx_check.py MODEL...", file=sys.stderr)
        sys.exit(2)
    args = sys.argv[1:]
    if args[0] == "--list":
        with open(args[1]) as f:
            args = [line.rstrip("\n") for line in f if line.strip()]
    sys.exit(main(args))
