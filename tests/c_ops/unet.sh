#!/usr/bin/env bash
# A small U-Net (Conv, ConvTranspose, bilinear and nearest Resize, Concat skips) exported by
# torch.onnx at opsets 11, 13 and 17 (make_unet.py; the models are built here, not committed):
# each export is quantized, compiled to C (--target native), built with cc -std=c99 -Wall -Wextra
# -Wpedantic -Werror, run on the calibration samples and compared byte for byte with onnxq run
# on the lowered graph (onnxq quantize --format qop); its quantized QDQ model must load and run
# in ONNX Runtime when onnxruntime-node is present.
# usage: unet.sh ONNXQ SOURCE_ROOT        (exit 77 = skipped: no /usr/bin/python3 with torch)
set -uo pipefail
onnxq=$1
root=$2
/usr/bin/python3 -c 'import onnx, numpy, torch' 2>/dev/null || exit 77
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
/usr/bin/python3 "$root/tests/c_ops/make_unet.py" "$tmp" 11 13 17 >/dev/null 2>&1 ||
  { echo "FAIL make_unet.py"; exit 1; }
pass=0 fail=0
ok() { pass=$((pass + 1)); echo "ok   $*"; }
bad() { fail=$((fail + 1)); echo "FAIL $*"; }
run() { local what=$1; shift; if "$@" >"$tmp/log" 2>&1; then return 0; fi; bad "$what"; tail -5 "$tmp/log"; return 1; }
strict="-std=c99 -Wall -Wextra -Wpedantic -Werror -O2"
ort=$root/tests/backends/ort_check.js
for op in 11 13 17; do
  m=$tmp/unet_op$op.onnx c=$tmp/c$op
  run "opset $op: quantize (QOperator)" "$onnxq" quantize "$m" --calib "$tmp/calib" --format qop -o "$tmp/q$op.onnx" || continue
  run "opset $op: compile" "$onnxq" compile "$m" --calib "$tmp/calib" --emit-c "$c" --name unet --target native || continue
  grep -q "Resize\|ConvTranspose" "$c/unet.c" || bad "opset $op: no Resize / ConvTranspose in the emitted code"
  rt=$(cd "$c" && find onnxq_rt -name '*.c' | sort | tr '\n' ' ')
  run "opset $op: build" sh -c "cd '$c' && cc $strict -o unet_main unet.c unet_weights.c unet_main.c $rt -lpthread -lm" || continue
  same=0
  for i in 0 1 2 3 4 5 6 7; do     # the model takes one sample: one run of each per sample
    run "opset $op: emitted program" "$c/unet_main" "$tmp/calib/x$i.npy" "$tmp/c$op.$i.npy" || continue 2
    run "opset $op: onnxq run" "$onnxq" run "$tmp/q$op.onnx" --input "x=$tmp/calib/x$i.npy" \
      --output "$tmp/r$op.$i" || continue 2
    cmp -s <(tail -c 2048 "$tmp/c$op.$i.npy") <(tail -c 2048 "$tmp/r$op.$i/y.npy") && same=$((same + 1))
  done
  if [ "$same" = 8 ]; then
    ok "opset $op: emitted C == onnxq run, bit for bit (8 samples)"
  else
    bad "opset $op: emitted C differs from onnxq run on $((8 - same)) of 8 samples"
  fi
  if command -v node >/dev/null && [ -d "$root/node_modules/onnxruntime-node" ]; then
    run "opset $op: quantize (QDQ)" "$onnxq" quantize "$m" --calib "$tmp/calib" -o "$tmp/qdq$op.onnx" || continue
    mkdir -p "$tmp/ort$op"
    run "opset $op: the QDQ model runs in ONNX Runtime" node "$ort" "$tmp/qdq$op.onnx" "$tmp/ort$op" "$tmp/calib/x0.npy" &&
      ok "opset $op: the QDQ model runs in ONNX Runtime"
  fi
done
echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
