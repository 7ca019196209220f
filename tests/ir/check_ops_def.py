#!/usr/bin/python3
# ir/ops.def's opset column against the ONNX schemas of the installed onnx package: for every
# default-domain row ONNX(v) / ONNX_IN(v, vin), v is the since_version of the op's first schema,
# and at vin the schema gains the inputs that were attributes before (more inputs than the
# schema in force at vin - 1). Rows of other domains (MSFT: com.microsoft) are not in the onnx
# package, nor are versions newer than the package's opset (listed as not checked). Exits 77
# (meson SKIP) without onnx, unless ONNXQ_REQUIRE_CHECKS=1 or CI=true.
# usage: /usr/bin/python3 check_ops_def.py PATH/ir/ops.def
import os
import re
import sys

try:
    import onnx.defs as defs
except ImportError as e:
    required = os.environ.get("ONNXQ_REQUIRE_CHECKS") == "1" or os.environ.get("CI") == "true"
    print(f"check_ops_def: python3 has no onnx ({e})")
    sys.exit(1 if required else 77)


def schema(op, version):
    try:
        return defs.get_schema(op, version, "")
    except Exception:
        return None


def main(path):
    rows = 0
    bad = []
    unchecked = []
    newest = defs.onnx_opset_version()
    row = re.compile(r'^OQ_OP\((\w+), "(\w+)",.*, (\w+)\((\d+)(?:, (\d+))?\)\)$')
    for line in open(path):
        if not line.startswith("OQ_OP("):
            continue
        m = row.match(line.strip())
        if not m:
            bad.append(f"row not understood: {line.strip()}")
            continue
        op, kind, v = m.group(2), m.group(3), int(m.group(4))
        if kind not in ("ONNX", "ONNX_IN"):
            continue                   # another domain (MSFT: com.microsoft)
        rows += 1
        if v > newest:
            unchecked.append(f"{op} {v}")
            continue
        first = schema(op, v)
        if first is None or first.since_version != v or schema(op, v - 1) is not None:
            got = first.since_version if first else "none"
            bad.append(f"{op}: opset column says introduced in {v}, onnx says {got}")
            continue
        if kind == "ONNX_IN":
            vin = int(m.group(5))
            if vin > newest:
                unchecked.append(f"{op} inputs {vin}")
                continue
            new, old = schema(op, vin), schema(op, vin - 1)
            if new is None or new.since_version != vin or old is None or \
                    len(old.inputs) >= len(new.inputs):
                bad.append(f"{op}: opset column says attribute operands are inputs from {vin}, "
                           "but the onnx schemas do not gain inputs there")
    for b in bad:
        print("FAIL", b)
    if unchecked:
        print(f"not checked (newer than opset {newest}): {', '.join(unchecked)}")
    print(f"{rows} default-domain rows checked against onnx opset {newest}, {len(bad)} wrong")
    return 1 if bad or rows == 0 else 0


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: check_ops_def.py PATH/ir/ops.def")
    sys.exit(main(sys.argv[1]))
