#!/usr/bin/env bash
# onnxq report and mixed precision from the command line, on the bundled Fashion-MNIST CNN:
# the text table lists the 4 layers, the JSON parses with the same figures, the HTML is written
# (atomically: a refused output leaves no file); --target-sqnr reaches a target full int8
# misses and the written model meets it when re-measured by `onnxq run`; an unreachable
# --max-accuracy-drop exits 1; the mixed graph compiles to C and the emitted program's outputs
# equal the interpreter's on the same lowered graph, byte for byte.
# usage: cli_test.sh ONNXQ SOURCE_ROOT    (exit 77 = skipped)
set -euo pipefail
onnxq=$1
root=$2
py=/usr/bin/python3
model=$root/examples/fashion_cnn.onnx
[ -f "$model" ] && [ -x "$py" ] || exit 77
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0
ok() { echo "ok   $*"; }
bad() { echo "FAIL $*"; fail=1; }

# 1. report: text, JSON, HTML
"$onnxq" report "$model" --calib "$root/examples/calib" --calib-limit 32 \
  --eval "$root/examples/test100_input.npy" --labels "$root/examples/test100_labels.npy" \
  -o "$tmp/r.html" --json "$tmp/r.json" >"$tmp/r.txt" 2>"$tmp/r.err" || { bad "report exits 0"; cat "$tmp/r.err"; }
n=$(grep -cE '^/(conv[123]/Conv|fc/Gemm)' "$tmp/r.txt" || true)
[ "$n" = 4 ] && ok "text table lists 4 layers" || bad "text table lists $n layers"
"$py" - "$tmp/r.json" <<'EOF' && ok "JSON: 4 layers, finite figures, 128-bin histograms summing to samples x elements" || bad "JSON figures"
import json, math, sys
r = json.load(open(sys.argv[1]))
assert r["samples"] == 32 and r["eval_samples"] == 100, r
L = r["layers"]
assert [l["name"] for l in L] == ["/conv1/Conv", "/conv2/Conv", "/conv3/Conv", "/fc/Gemm"], L
numel = {"/conv1/Conv": 16 * 28 * 28, "/conv2/Conv": 32 * 14 * 14, "/conv3/Conv": 64 * 7 * 7, "/fc/Gemm": 10}
for l in L:
    for k in ("weight_sqnr_min", "weight_sqnr_mean", "act_sqnr", "cum_sqnr", "sens_sqnr", "sens_acc"):
        assert isinstance(l[k], (int, float)) and math.isfinite(l[k]), (l["name"], k, l[k])
    assert l["weight_sqnr_min"] <= l["weight_sqnr_mean"] + 1e-6
    assert len(l["hist"]) == 128 and abs(sum(l["hist"]) - 32 * numel[l["name"]]) < 0.5, l["name"]
assert abs(L[3]["cum_sqnr"] - r["model_sqnr"]) < 1e-3
EOF
grep -q '<svg' "$tmp/r.html" && ok "HTML has inline SVG" || bad "HTML has no SVG"
if "$onnxq" report "$model" --calib "$root/examples/calib" --calib-limit 2 -o "$model" >/dev/null 2>&1; then
  bad "report refuses to overwrite the input model"
else ok "report refuses to overwrite the input model"; fi

# 2. mixed precision: a target full int8 misses
"$onnxq" quantize "$model" --calib "$root/examples/calib" --calib-limit 64 --target-sqnr 42 \
  -o "$tmp/m.onnx" >"$tmp/m.txt" 2>"$tmp/m.err" || { bad "quantize --target-sqnr 42 exits 0"; cat "$tmp/m.err"; }
full=$(sed -n 's/^mixed precision: full int8: output SQNR \([-0-9.]*\) dB.*/\1/p' "$tmp/m.txt")
got=$(sed -n 's/^mixed precision: result: output SQNR \([-0-9.]*\) dB.*/\1/p' "$tmp/m.txt")
nf=$(sed -n 's/^mixed precision: \([0-9]*\) of 4 layers left in float.*/\1/p' "$tmp/m.txt")
"$py" -c "import sys; f, g, n = float('$full'), float('$got'), int('$nf'); sys.exit(not (f < 42 <= g and 1 <= n < 4))" \
  && ok "mixed precision: full int8 $full dB < 42 <= $got dB with $nf of 4 layers float" \
  || { bad "mixed precision figures"; cat "$tmp/m.txt"; }
# re-measure the written model on the same 64 samples with onnxq run
mkdir -p "$tmp/in"
"$py" - "$root/examples/calib" "$tmp/in/x.npy" <<'EOF'
import numpy as np, os, sys
files = sorted(f for f in os.listdir(sys.argv[1]) if f.endswith(".npy"))[:64]
np.save(sys.argv[2], np.concatenate([np.load(os.path.join(sys.argv[1], f)) for f in files]))
EOF
"$onnxq" run "$model" --input "$tmp/in/x.npy" --input-shape input=64,1,28,28 --output "$tmp/f" >/dev/null 2>&1 &&
"$onnxq" run "$tmp/m.onnx" --input "$tmp/in/x.npy" --input-shape input=64,1,28,28 --output "$tmp/q" >/dev/null 2>&1 ||
  bad "onnxq run on the float and the mixed model"
"$py" - "$tmp/f/logits.npy" "$tmp/q/logits.npy" "$got" <<'EOF' && ok "written mixed model re-measured: SQNR within 0.01 dB of the printed figure" || bad "re-measured SQNR of the written model"
import numpy as np, sys
f, q = np.load(sys.argv[1]).astype(np.float64), np.load(sys.argv[2]).astype(np.float64)
db = 10 * np.log10((f * f).sum() / ((f - q) ** 2).sum())
print("     re-measured %.3f dB" % db)
sys.exit(not (abs(db - float(sys.argv[3])) < 0.01 and db >= 42))
EOF

# 3. an unreachable accuracy target is an error (exit 1)
set +e
"$onnxq" quantize "$model" --calib "$root/examples/calib" --calib-limit 8 --max-accuracy-drop -1 \
  --eval "$root/examples/test100_input.npy" --labels "$root/examples/test100_labels.npy" \
  -o "$tmp/u.onnx" >/dev/null 2>"$tmp/u.err"
rc=$?
set -e
[ $rc = 1 ] && grep -q "even with all 4 quantized layers left in float" "$tmp/u.err" && [ ! -e "$tmp/u.onnx" ] \
  && ok "unreachable target: exit 1, clear message, no output" || { bad "unreachable target (rc $rc)"; cat "$tmp/u.err"; }

# 4. the mixed graph (float islands) compiles to C and matches the interpreter bit for bit
if command -v cc >/dev/null; then
  "$onnxq" compile "$model" --calib "$root/examples/calib" --calib-limit 64 --target-sqnr 42 \
    --emit-c "$tmp/c" --name fashion >/dev/null 2>"$tmp/c.err" || { bad "compile --target-sqnr 42"; cat "$tmp/c.err"; }
  "$onnxq" quantize "$model" --calib "$root/examples/calib" --calib-limit 64 --target-sqnr 42 \
    --format int -o "$tmp/int.onnx" >/dev/null 2>&1 || bad "quantize --format int --target-sqnr 42"
  if [ -f "$tmp/c/Makefile" ] && make -s -C "$tmp/c" >"$tmp/make.log" 2>&1; then
    "$tmp/c/fashion_main" "$tmp/in/x.npy" "$tmp/c_out.npy" >/dev/null 2>&1 || bad "emitted program runs"
    "$onnxq" run "$tmp/int.onnx" --input "$tmp/in/x.npy" --output "$tmp/i" >/dev/null 2>&1 || bad "onnxq run --format int model"
    cmp -s <(tail -c 2560 "$tmp/c_out.npy") <(tail -c 2560 "$tmp/i/logits.npy") \
      && ok "emitted C of the mixed graph == interpreter, bit for bit (64 x 10 logits)" \
      || bad "emitted C of the mixed graph differs from the interpreter"
  else
    bad "emitted C of the mixed graph builds"; cat "$tmp/c.err" "$tmp/make.log" 2>/dev/null | tail -20
  fi
fi
exit $fail
