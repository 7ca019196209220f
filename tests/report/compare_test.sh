#!/bin/sh
# onnxq report --compare, end to end on the bundled Fashion CNN:
# 1. against onnxq's own QDQ output (same calibration): every layer matched by name with the
#    same scale, zero point, weight SQNR and output SQNR, and the same cumulative / model SQNR;
# 2. the same model with every node renamed: matched by order of the op, same figures;
# 3. PyTorch's QDQ export (examples/fashion_cnn_torch_qdq.onnx): all 4 layers matched, its own
#    scales, finite figures, its top-1 on the 100 test images;
# 4. refusals: a float model (not QDQ), a model with other inputs, another network (the MLP:
#    no layer matches), a missing file: exit 1 or 2
#    with the file named, and no report written.
# Usage: compare_test.sh ONNXQ SRCROOT (exit 77 = skipped: no python3 with onnx)
set -eu
oq=$1 root=$2
py=/usr/bin/python3
if ! "$py" -c 'import onnx' 2>/dev/null; then
    if [ "${ONNXQ_REQUIRE_CHECKS:-}" = 1 ] || [ "${CI:-}" = true ]; then
        echo "compare_test: python3 with onnx is required (ONNXQ_REQUIRE_CHECKS / CI)"; exit 1
    fi
    echo "compare_test: skipped: /usr/bin/python3 has no onnx module"; exit 77
fi
t=$(mktemp -d)
trap 'rm -rf "$t"' EXIT
ex=$root/examples
cal="--calib $ex/calib --calib-limit 16"
"$oq" quantize "$ex/fashion_cnn.onnx" $cal -o "$t/self.onnx" 2>/dev/null >/dev/null
"$py" - "$t/self.onnx" "$t/renamed.onnx" "$t/otherin.onnx" <<'PY'
import sys, onnx
m = onnx.load(sys.argv[1])
for i, n in enumerate(m.graph.node):
    n.name = "node%d" % (1000 - i)
onnx.save(m, sys.argv[2])
old = m.graph.input[0].name
m.graph.input[0].name = "image"
for n in m.graph.node:
    for k, x in enumerate(n.input):
        if x == old:
            n.input[k] = "image"
onnx.save(m, sys.argv[3])
PY
"$oq" report "$ex/fashion_cnn.onnx" $cal --compare "$t/self.onnx" --json "$t/self.json" \
    > "$t/self.txt" 2>/dev/null
"$oq" report "$ex/fashion_cnn.onnx" $cal --compare "$t/renamed.onnx" --json "$t/renamed.json" \
    >/dev/null 2>&1
"$oq" report "$ex/fashion_cnn.onnx" $cal --compare "$ex/fashion_cnn_torch_qdq.onnx" \
    --eval "$ex/test100_input.npy" --labels "$ex/test100_labels.npy" --json "$t/torch.json" \
    > "$t/torch.txt" 2>/dev/null
grep -q "compared with .*self.onnx (4 of 4 layers matched)" "$t/self.txt" \
    || { echo "compare_test: text table"; cat "$t/self.txt"; exit 1; }
"$py" - "$t" <<'PY'
import json, math, sys
t = sys.argv[1]
def load(n): return json.load(open("%s/%s.json" % (t, n)))
def close(a, b, tol): return a is not None and b is not None and abs(a - b) <= tol
fail = []
for kind, how in (("self", "name"), ("renamed", "order")):
    r = load(kind)
    if r["compare_matched"] != 4: fail.append("%s: %d matched" % (kind, r["compare_matched"]))
    if not close(r["compare_model_sqnr"], r["model_sqnr"], 1e-3):
        fail.append("%s: model SQNR %s vs %s" % (kind, r["compare_model_sqnr"], r["model_sqnr"]))
    for L in r["layers"]:
        c = L["compare"]
        if c["matched_by"] != how: fail.append("%s %s: matched by %r" % (kind, L["name"], c["matched_by"]))
        if c["scale"] != L["scale"] or c["zero_point"] != L["zero_point"]:
            fail.append("%s %s: qparams %s/%s vs %s/%s" % (kind, L["name"], c["scale"], c["zero_point"], L["scale"], L["zero_point"]))
        for k in ("weight_sqnr_min", "weight_sqnr_mean", "w_scale_min", "w_scale_max", "out_sqnr"):
            if c[k] != L[k]: fail.append("%s %s: %s %s vs %s" % (kind, L["name"], k, c[k], L[k]))
        if not close(c["cum_sqnr"], L["cum_sqnr"], 1e-3):
            fail.append("%s %s: cum %s vs %s" % (kind, L["name"], c["cum_sqnr"], L["cum_sqnr"]))
r = load("torch")
if r["compare_matched"] != 4: fail.append("torch: %d matched" % r["compare_matched"])
if r["compare_acc"] is None or not 50 <= r["compare_acc"] <= 100: fail.append("torch top-1 %s" % r["compare_acc"])
if r["compare_model_sqnr"] is None or not 10 < r["compare_model_sqnr"] < 60: fail.append("torch model SQNR %s" % r["compare_model_sqnr"])
differ = 0
for L in r["layers"]:
    c = L["compare"]
    for k in ("scale", "weight_sqnr_min", "out_sqnr", "cum_sqnr"):
        if c[k] is None or not math.isfinite(c[k]): fail.append("torch %s: %s = %s" % (L["name"], k, c[k]))
    differ += c["scale"] != L["scale"]
if differ == 0: fail.append("torch: every scale equals onnxq's (the other model was not read)")
if fail:
    print("compare_test:\n  " + "\n  ".join(fail)); sys.exit(1)
PY
# refusals
check() { # check WANT_RC NEEDLE ARGS...
    want=$1 needle=$2
    shift 2
    rc=0
    "$oq" report "$ex/fashion_cnn.onnx" $cal "$@" -o "$t/bad.html" >/dev/null 2>"$t/err" || rc=$?
    if [ "$rc" != "$want" ] || ! grep -q -- "$needle" "$t/err" || [ -e "$t/bad.html" ]; then
        echo "compare_test: $* gave rc $rc (want $want), stderr:"; cat "$t/err"; exit 1
    fi
}
check 2 "fashion_cnn.onnx: not a QDQ model" --compare "$ex/fashion_cnn.onnx"
check 2 "otherin.onnx: its graph inputs and outputs" --compare "$t/otherin.onnx"
"$oq" quantize "$ex/fashion_mlp.onnx" $cal -o "$t/mlp.onnx" >/dev/null 2>&1
check 1 "mlp.onnx: none of the 4 layers" --compare "$t/mlp.onnx"
check 1 "$t/missing.onnx" --compare "$t/missing.onnx"
echo "compare_test: ok"
