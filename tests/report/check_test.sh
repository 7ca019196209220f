#!/bin/sh
# The output-SQNR check after quantization (lib/check.c), through `onnxq quantize` and `compile`
# on the bundled Fashion CNN:
# - default: one INFO line with the SQNR on 8 calibration samples, no warning, > 30 dB;
# - --calib-limit 32: measured on held-out samples (the 8 past the 32);
# - a crippling override (scale 0.5 on conv1's output): a warning below 20 dB naming /conv1/Conv
#   and the report command, and the model is still written (a warning, not an error);
# - --check-samples 0: no check; --check-samples -1: usage error (exit 2).
# Usage: check_test.sh ONNXQ SRCROOT
set -eu
oq=$1 root=$2
t=$(mktemp -d)
trap 'rm -rf "$t"' EXIT
ex=$root/examples
fail() { echo "check_test: $*"; for f in "$t"/out "$t"/err; do [ -f "$f" ] && cat "$f"; done; exit 1; }
"$oq" quantize "$ex/fashion_cnn.onnx" --calib "$ex/calib" -o "$t/a.onnx" >"$t/out" 2>"$t/err"
db=$(sed -n 's/^output SQNR \([0-9.-]*\) dB against fp32 on 8 calibration samples$/\1/p' "$t/out" "$t/err")
[ -n "$db" ] || fail "no SQNR line"
awk -v d="$db" 'BEGIN { exit !(d > 30) }' || fail "SQNR $db dB, want > 30"
! grep -q "SQNR is" "$t/err" || fail "warned on a good model"
"$oq" quantize "$ex/fashion_cnn.onnx" --calib "$ex/calib" --calib-limit 32 -o "$t/b.onnx" \
    >"$t/out" 2>"$t/err"
grep -q "^output SQNR [0-9.]* dB against fp32 on 8 held-out calibration samples$" "$t/out" "$t/err" \
    || fail "no held-out measurement with --calib-limit 32"
"$oq" compile "$ex/fashion_cnn.onnx" --calib "$ex/calib" --override /relu1/Relu_output_0=0.5:0 \
    --emit-c "$t/c" >"$t/out" 2>"$t/err"
[ -f "$t/c/model.c" ] || fail "compile with a warning wrote no C"
grep -q "fashion_cnn.onnx: the int8 model's output SQNR is 1[0-9].[0-9] dB against the float model (below 20 dB" "$t/err" \
    || fail "no low-SQNR warning"
grep -q "it loses most at '/conv1/Conv'" "$t/err" || fail "warning does not name /conv1/Conv"
grep -q "onnxq report MODEL --calib DATA" "$t/err" || fail "warning does not name onnxq report"
"$oq" quantize "$ex/fashion_cnn.onnx" --calib "$ex/calib" --check-samples 0 -o "$t/c.onnx" \
    >"$t/out" 2>"$t/err"
! grep -q "output SQNR" "$t/out" "$t/err" || fail "--check-samples 0 still measured"
cmp -s "$t/a.onnx" "$t/c.onnx" || fail "the check changed the written model"
rc=0
"$oq" quantize "$ex/fashion_cnn.onnx" --calib "$ex/calib" --check-samples -1 -o "$t/d.onnx" \
    >"$t/out" 2>"$t/err" || rc=$?
[ "$rc" = 2 ] && [ ! -e "$t/d.onnx" ] || fail "--check-samples -1: rc $rc, want 2"
echo "check_test: ok"
