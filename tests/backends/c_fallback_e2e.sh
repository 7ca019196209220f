#!/usr/bin/env bash
# End to end for the C backend's float fallback and custom ops, in the style of
# tests/e2e/run.sh (which can call it: bash tests/backends/c_fallback_e2e.sh BUILD_DIR).
#  - ShuffleNet v2 (Transpose/Slice of the channel shuffle stay float) and MobileNetV3-small
#    (no float node: HardSwish/HardSigmoid are lookup tables, the SE gate a QLinearMul), when
#    bench/models has them: compile to C, list the float nodes (none for MobileNetV3), and equal
#    `onnxq run` on --format int bit for bit with the same ONNXQ_ISA on both sides (the fp32
#    kernels are chosen per ISA, the int8 ones are exact on every ISA);
#  - the Fashion CNN with float islands (--exclude conv2 and the classifier) on 200 images;
#  - tests/backends/data/custom_op.onnx (two com.example ops): calibrate with the plugin .so,
#    compile, build with the user's implementation (make CUSTOM_SRCS=...), equal `onnxq run
#    --custom-op-lib`; skipped while the IR or `onnxq run` do not keep custom ops yet.
# usage: tests/backends/c_fallback_e2e.sh BUILD_DIR
set -uo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
build=${1:-$root/build-test}
onnxq=$build/cli/onnxq
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0 fail=0
ok() { pass=$((pass + 1)); echo "ok   $*"; }
bad() { fail=$((fail + 1)); echo "FAIL $*"; }
check() { local what=$1; shift; if "$@" >"$tmp/log" 2>&1; then ok "$what"; else bad "$what"; tail -20 "$tmp/log"; fi; }
model=$root/examples/fashion_cnn.onnx
vis=$root/bench/models/data
strict="-std=c99 -Wall -Wextra -Wpedantic -Werror -O2"
same_tail() { cmp -s <(tail -c "$3" "$1") <(tail -c "$3" "$2"); }
node "$root/scripts/fashion-npy.js" "$tmp/small" --limit 200 >/dev/null

for m in shufflenet_v2_x1_0 mobilenet_v3_small; do
  [ -f "$root/bench/models/$m.onnx" ] && [ -d "$vis/vision_test" ] || { echo "skip $m (bench/models/$m.onnx or its data missing)"; continue; }
  if [ "$m" = mobilenet_v3_small ]; then   # HardSwish, HardSigmoid and the SE gate are int8
    check "$m: compile to C, no node left in float" sh -c "'$onnxq' compile '$root/bench/models/$m.onnx' --calib '$vis/vision_calib' --calib-limit 16 --emit-c '$tmp/$m' --name net >'$tmp/${m}_float.txt' 2>&1 && grep -q ' 0 node(s) in float' '$tmp/${m}_float.txt' && ! grep -q 'runs in float: ' '$tmp/${m}_float.txt'"
  else
    check "$m: compile to C, float nodes listed" sh -c "'$onnxq' compile '$root/bench/models/$m.onnx' --calib '$vis/vision_calib' --calib-limit 16 --emit-c '$tmp/$m' --name net 2>'$tmp/${m}_float.txt' && grep -q 'runs in float: ' '$tmp/${m}_float.txt'"
  fi
  echo "     $m: $(grep -c 'runs in float: ' "$tmp/${m}_float.txt") node(s) in float"
  check "$m: quantize --format int" "$onnxq" quantize "$root/bench/models/$m.onnx" --calib "$vis/vision_calib" --calib-limit 16 --format int -o "$tmp/${m}_int.onnx"
  vsrc=$(cd "$tmp/$m" && find onnxq_rt -name '*.c' | sort | tr '\n' ' ')
  check "$m: emitted C builds (gcc $strict)" sh -c "cd '$tmp/$m' && gcc $strict -o net_main net.c net_weights.c net_main.c $vsrc -lpthread -lm"
  for isa in scalar avx2 avx512vnni; do
    ONNXQ_ISA=$isa "$onnxq" run "$tmp/${m}_int.onnx" --input "$vis/vision_test/sample_000.npy" --output "$tmp/${m}_ref_$isa" >/dev/null 2>&1 || true
    r=$(ls "$tmp/${m}_ref_$isa"/*.npy 2>/dev/null | head -1)
    ONNXQ_ISA=$isa "$tmp/$m/net_main" "$vis/vision_test/sample_000.npy" "$tmp/${m}_c_$isa.npy" >/dev/null 2>&1 || true
    if [ -n "$r" ] && [ -f "$tmp/${m}_c_$isa.npy" ] && same_tail "$tmp/${m}_c_$isa.npy" "$r" 4000; then
      ok "$m: emitted C with float fallback == interpreter, bit for bit (ONNXQ_ISA=$isa)"
    else bad "$m: emitted C differs from the interpreter (ONNXQ_ISA=$isa)"; fi
  done
done

check "Fashion CNN with float islands compiles to C" sh -c "'$onnxq' compile '$model' --calib '$root/examples/calib' --exclude /conv2/Conv,/fc/Gemm --emit-c '$tmp/cfl' --name fashion 2>'$tmp/cfl.txt' && grep -q \"'/conv2/Conv' (Conv): runs in float: excluded\" '$tmp/cfl.txt' && make -s -C '$tmp/cfl'"
check "quantize --format int with the same islands" "$onnxq" quantize "$model" --calib "$root/examples/calib" --exclude /conv2/Conv,/fc/Gemm --format int -o "$tmp/fl_int.onnx"
for isa in scalar avx512vnni; do
  ONNXQ_ISA=$isa "$onnxq" run "$tmp/fl_int.onnx" --input "$tmp/small/images.npy" --output "$tmp/fl_ref_$isa" >/dev/null 2>&1 || true
  ONNXQ_ISA=$isa "$tmp/cfl/fashion_main" "$tmp/small/images.npy" "$tmp/fl_c_$isa.npy" >/dev/null 2>&1 || true
  same_tail "$tmp/fl_c_$isa.npy" "$tmp/fl_ref_$isa/logits.npy" 8000 && ok "float islands: emitted C == interpreter on 200 images (ONNXQ_ISA=$isa)" || bad "float islands: emitted C differs (ONNXQ_ISA=$isa)"
done

# custom ops through the CLI
data=$root/tests/backends/data
cc -shared -fPIC -O2 -I"$root/runtime/interp" -o "$tmp/custom_ops.so" "$data/custom_ops.c"
/usr/bin/python3 - "$tmp" <<'PY'
import sys, os, numpy as np
t = sys.argv[1]; r = np.random.default_rng(1); os.makedirs(t + "/ccal")
for i in range(8):
    np.save("%s/ccal/s%d.npy" % (t, i), (r.standard_normal((1, 3, 8, 8)) * 2).astype(np.float32))
np.save(t + "/cx.npy", (r.standard_normal((1, 3, 8, 8)) * 2).astype(np.float32))
PY
if ! "$onnxq" compile "$data/custom_op.onnx" --calib "$tmp/ccal" --custom-op-lib "$tmp/custom_ops.so" --emit-c "$tmp/cm" --name cm >"$tmp/cm.txt" 2>&1; then
  if grep -q "unsupported op 'Swish2'" "$tmp/cm.txt"; then echo "skip custom ops: the IR does not keep custom ops through the passes yet"
  else bad "custom op model compiles to C"; tail -5 "$tmp/cm.txt"; fi
else
  ok "custom op model compiles to C ($(grep -c 'custom op, calls cm_custom_' "$tmp/cm.txt") custom calls)"
  cp "$data/custom_user.c" "$tmp/cm/"
  check "custom op model builds with the user's functions (make CUSTOM_SRCS=...)" make -s -C "$tmp/cm" CUSTOM_SRCS=custom_user.c CFLAGS="-O2 -std=c99 -Wall -Wextra -Werror -I. -Ionnxq_rt -I$data"
  check "custom op model: quantize --format int" "$onnxq" quantize "$data/custom_op.onnx" --calib "$tmp/ccal" --custom-op-lib "$tmp/custom_ops.so" --format int -o "$tmp/cm_int.onnx"
  if "$onnxq" run "$tmp/cm_int.onnx" --custom-op-lib "$tmp/custom_ops.so" --input "$tmp/cx.npy" --output "$tmp/cm_ref" >/dev/null 2>&1; then
    "$tmp/cm/cm_main" "$tmp/cx.npy" "$tmp/cm_c.npy" >/dev/null 2>&1
    same_tail "$tmp/cm_c.npy" "$tmp/cm_ref/y.npy" 512 && ok "custom op model: emitted C == interpreter with the plugin, bit for bit" || bad "custom op model: emitted C differs from the interpreter"
  else echo "skip custom op comparison: onnxq run has no --custom-op-lib yet"; fi
fi
echo "c_fallback_e2e: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
