#!/usr/bin/env bash
# End to end on the bundled Fashion-MNIST CNN (examples/): quantize (QDQ and QOperator), check
# int8 top-1 on the 10,000 test images against fp32 (within 1.0 point), compile to C, build the
# emitted code warning-free with gcc and clang (-std=c99 -Wall -Wextra -Wpedantic -Werror), under
# ASan+UBSan, for Cortex-M4 (compile only) and aarch64 (run under qemu), and check every build's
# outputs equal the interpreter's on the lowered int8 graph, byte for byte, for each x86 ISA the
# machine has. Optional section 6: ResNet-18 / MobileNetV2 (when bench/models has them).
# usage: tests/e2e/run.sh BUILD_DIR
set -euo pipefail
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
node "$root/scripts/fashion-npy.js" "$tmp/test" >/dev/null
node "$root/scripts/fashion-npy.js" "$tmp/small" --limit 200 >/dev/null

# 1. quantize + accuracy in the interpreter
check "quantize QDQ" "$onnxq" quantize "$model" --calib "$root/examples/calib" -o "$tmp/q.onnx"
check "quantize QOperator" "$onnxq" quantize "$model" --calib "$root/examples/calib" --format qop -o "$tmp/qop.onnx"
acc() { "$onnxq" eval "$1" --data "$tmp/test/images.npy" --labels "$tmp/test/labels.npy" | sed -n 's/^top-1: \([0-9.]*\)%.*/\1/p'; }
fp=$(acc "$model"); q=$(acc "$tmp/q.onnx")
qop=$("$onnxq" eval "$tmp/qop.onnx" --data "$tmp/test/images.npy" --labels "$tmp/test/labels.npy" --limit 1000 | sed -n 's/^top-1: \([0-9.]*\)%.*/\1/p')
echo "     top-1 fp32 $fp%, int8 QDQ $q% (10,000 images); int8 QOperator $qop% (first 1,000)"
awk -v a="$fp" -v b="$q" 'BEGIN { exit !(a - b <= 1.0 && a > 80) }' && ok "int8 (QDQ) within 1.0 point of fp32" || bad "int8 (QDQ) top-1 $q% vs fp32 $fp%"

# 2. compile to C; build with gcc and clang, strict
check "compile to C" "$onnxq" compile "$model" --calib "$root/examples/calib" --emit-c "$tmp/c" --name fashion --debug-dump
rtsrc=$(cd "$tmp/c" && find onnxq_rt -name '*.c' | sort | tr '\n' ' ')
strict="-std=c99 -Wall -Wextra -Wpedantic -Werror -O2"
for cc in gcc clang; do
  if command -v $cc >/dev/null; then
    check "emitted C builds with $cc $strict" sh -c "cd '$tmp/c' && $cc $strict -o fashion_main_$cc fashion.c fashion_weights.c fashion_main.c $rtsrc -lpthread -lm"
  fi
done
check "emitted C builds with its Makefile" make -s -C "$tmp/c"
check "emitted C under ASan+UBSan" sh -c "cd '$tmp/c' && gcc -std=c99 -O1 -g -fsanitize=address,undefined -fno-sanitize-recover=all -o fashion_asan fashion.c fashion_weights.c fashion_main.c $rtsrc -lpthread -lm && ./fashion_asan '$tmp/small/images.npy' '$tmp/asan_out.npy'"

# 3. bit-exact against the interpreter on the lowered int8 graph, every ISA this machine has
"$onnxq" run "$tmp/qop.onnx" --input "$tmp/small/images.npy" --output "$tmp/interp" >/dev/null
ref=$(ls "$tmp/interp"/*.npy | head -1)
same_data() { cmp -s <(tail -c 8000 "$1") <(tail -c 8000 "$2"); }  # 200 x 10 float32
for isa in scalar avx2 avxvnni avx512vnni amx; do
  ONNXQ_ISA=$isa "$tmp/c/fashion_main_gcc" "$tmp/small/images.npy" "$tmp/out_$isa.npy" 2>/dev/null
  if same_data "$tmp/out_$isa.npy" "$ref"; then ok "emitted C == interpreter, bit for bit (ONNXQ_ISA=$isa)"
  else bad "emitted C differs from the interpreter (ONNXQ_ISA=$isa)"; fi
done
same_data "$tmp/asan_out.npy" "$ref" && ok "ASan build == interpreter" || bad "ASan build differs"
node "$root/scripts/fashion-npy.js" "$tmp/k1" --limit 1000 >/dev/null
line=$("$tmp/c/fashion_main_gcc" "$tmp/k1/images.npy" "$tmp/out_k1.npy" --labels "$tmp/k1/labels.npy" 2>/dev/null)
c_acc=$(echo "$line" | sed -n 's/^top-1: \([0-9.]*\)%.*/\1/p')
[ "$c_acc" = "$qop" ] && ok "emitted C top-1 $c_acc% == interpreter's $qop% (first 1,000)" || bad "emitted C top-1 $c_acc% vs interpreter $qop%"
line=$("$tmp/c/fashion_main_gcc" "$tmp/test/images.npy" "$tmp/out_all.npy" --labels "$tmp/test/labels.npy" 2>/dev/null)
c_all=$(echo "$line" | sed -n 's/^top-1: \([0-9.]*\)%.*/\1/p')
awk -v a="$fp" -v b="$c_all" 'BEGIN { exit !(a - b <= 1.0) }' && ok "emitted C top-1 $c_all% within 1.0 point of fp32 $fp% (10,000 images)" || bad "emitted C top-1 $c_all% vs fp32 $fp%"

# 3b. pre-quantized QDQ models (PyTorch's export: Cast around Q/DQ, int32 bias zero points from
# ConstantOfShape) compile with their own scales, without --calib, bit-exact with the interpreter
for pq in fashion_cnn_torch_qdq fashion_cnn_torch_qdq_qnnpack; do
  pm=$root/examples/$pq.onnx
  check "$pq: compile without --calib" "$onnxq" compile "$pm" --emit-c "$tmp/$pq" --name pq
  check "$pq: emitted C builds" sh -c "cd '$tmp/$pq' && gcc $strict -o pq_main pq.c pq_weights.c pq_main.c $(cd "$tmp/$pq" 2>/dev/null && find onnxq_rt -name '*.c' | sort | tr '\n' ' ') -lpthread -lm"
  check "$pq: quantize --format int without --calib" "$onnxq" quantize "$pm" --format int -o "$tmp/$pq.int.onnx"
  "$onnxq" run "$tmp/$pq.int.onnx" --input "$tmp/small/images.npy" --output "$tmp/${pq}_interp" >/dev/null 2>&1
  "$tmp/$pq/pq_main" "$tmp/small/images.npy" "$tmp/${pq}_c.npy" >/dev/null 2>&1
  pref=$(ls "$tmp/${pq}_interp"/*.npy 2>/dev/null | head -1)
  if [ -n "$pref" ] && same_data "$tmp/${pq}_c.npy" "$pref"; then ok "$pq: emitted C == interpreter, bit for bit"
  else bad "$pq: emitted C differs from the interpreter on its own scales"; fi
  pqa=$("$onnxq" eval "$pm" --data "$tmp/k1/images.npy" --labels "$tmp/k1/labels.npy" | sed -n 's/^top-1: \([0-9.]*\)%.*/\1/p')
  pca=$("$tmp/$pq/pq_main" "$tmp/k1/images.npy" "$tmp/${pq}_k1.npy" --labels "$tmp/k1/labels.npy" 2>/dev/null | sed -n 's/^top-1: \([0-9.]*\)%.*/\1/p')
  awk -v a="$pqa" -v b="$pca" 'BEGIN { d = a - b; if (d < 0) d = -d; exit !(a > 80 && d <= 0.5) }' \
    && ok "$pq: emitted C top-1 $pca% within 0.5 point of the QDQ model's $pqa% (first 1,000)" \
    || bad "$pq: emitted C top-1 $pca% vs the QDQ model's $pqa%"
done

# 4. bare metal: Cortex-M4, scalar target, compile only
if command -v arm-none-eabi-gcc >/dev/null; then
  "$onnxq" compile "$model" --calib "$root/examples/calib" --emit-c "$tmp/m4" --name fashion --target scalar >/dev/null
  m4src=$(cd "$tmp/m4" && find onnxq_rt -name '*.c' | sort | tr '\n' ' ')
  check "emitted C compiles for Cortex-M4 (-ffreestanding)" sh -c "cd '$tmp/m4' && arm-none-eabi-gcc -mcpu=cortex-m4 -mthumb -mfloat-abi=hard -mfpu=fpv4-sp-d16 -ffreestanding -std=c99 -Wall -Wextra -Wpedantic -Werror -O2 -c fashion.c fashion_weights.c $m4src && arm-none-eabi-size *.o | tail -n +1 >size.txt"
  [ -f "$tmp/m4/size.txt" ] && awk 'NR>1 {t+=$1; d+=$2; b+=$3} END {printf "     Cortex-M4: text %d bytes, data %d, bss %d\n", t, d, b}' "$tmp/m4/size.txt"
else
  echo "skip Cortex-M4 check: arm-none-eabi-gcc missing (scripts/setup installs it)"
fi

# 5. aarch64 under qemu: same outputs as the interpreter
if command -v aarch64-linux-gnu-gcc >/dev/null && command -v qemu-aarch64 >/dev/null; then
  check "emitted C builds for aarch64" sh -c "cd '$tmp/c' && aarch64-linux-gnu-gcc $strict -static -o fashion_a64 fashion.c fashion_weights.c fashion_main.c $rtsrc -lpthread -lm"
  for cpu in max cortex-a53; do
    qemu-aarch64 -cpu $cpu "$tmp/c/fashion_a64" "$tmp/small/images.npy" "$tmp/out_a64_$cpu.npy" 2>/dev/null || true
    same_data "$tmp/out_a64_$cpu.npy" "$ref" && ok "aarch64 (qemu -cpu $cpu) == interpreter" || bad "aarch64 (qemu -cpu $cpu) differs"
  done
else
  echo "skip aarch64 check: cross compiler or qemu-aarch64 missing"
fi

# 5b. every --target: builds with gcc and clang, equals the interpreter under each ISA (aarch64
#     targets under qemu), carries only its ISAs' kernels
check "--target values (tests/backends/c_targets.sh --run)" bash "$root/tests/backends/c_targets.sh" "$build" --run

# 6a. accuracy tools: report (text, JSON, HTML), mixed precision to a target full int8 misses,
#     that mixed graph compiled to C, and CLE / bias correction through the CLI
check "report (text, JSON, HTML)" "$onnxq" report "$model" --calib "$root/examples/calib" --calib-limit 32 -o "$tmp/r.html" --json "$tmp/r.json"
[ "$(grep -o '<svg class="oq-chart' "$tmp/r.html" 2>/dev/null | wc -l)" -eq 5 ] && ok "report HTML has 5 charts (SQNR bars + 4 layer histograms)" || bad "report HTML chart count"
check "mixed precision reaches 42 dB" sh -c "'$onnxq' quantize '$model' --calib '$root/examples/calib' --target-sqnr 42 -o '$tmp/mx.onnx' | grep -q 'result: output SQNR 4[2-9]'"
check "mixed-precision graph compiles to C and builds" sh -c "'$onnxq' compile '$model' --calib '$root/examples/calib' --target-sqnr 42 --emit-c '$tmp/cmx' --name fashion >/dev/null && make -s -C '$tmp/cmx'"
check "quantize --equalize --bias-correct" "$onnxq" quantize "$model" --calib "$root/examples/calib" --equalize --bias-correct -o "$tmp/eqbc.onnx"

# 6b. float fallback in the emitted C (ShuffleNet / MobileNetV3-small when bench/models has them,
#     Fashion float islands) and custom ops through the CLI: emitted C == interpreter per ISA
check "C float fallback + custom ops (tests/backends/c_fallback_e2e.sh)" bash "$root/tests/backends/c_fallback_e2e.sh" "$build"

# 6c. the README's operator table is what the binary says
check "README op table == onnxq ops --markdown" bash -c "diff <('$onnxq' ops --markdown) <(sed -n '/^| op | interpreter/,/^\$/p' '$root/README.md' | sed '/^\$/d')"

# 6d. the QDQ model quantize writes means the same in ONNX Runtime (default optimizations, its QDQ
#     fusions on) as in `onnxq run`: output SQNR vs fp32 within 1 dB (bench models when present)
check "QDQ in ONNX Runtime == onnxq run within 1 dB (fashion_cnn)" /usr/bin/python3 "$root/tests/e2e/ort_agree.py" "$onnxq" "$model" "$root/examples/calib" "$root/examples/calib" --limit 16 --calib-limit 128
for m in resnet18 mobilenet_v2 squeezenet1_1 shufflenet_v2_x1_0 mobilenet_v3_small; do
  [ -f "$root/bench/models/$m.onnx" ] && [ -d "$root/bench/models/data/vision_test" ] || continue
  check "QDQ in ONNX Runtime == onnxq run within 1 dB ($m)" /usr/bin/python3 "$root/tests/e2e/ort_agree.py" "$onnxq" "$root/bench/models/$m.onnx" "$root/bench/models/data/vision_calib" "$root/bench/models/data/vision_test" --limit 4 --calib-limit 16
done

# 6. optional: torchvision ResNet-18 / MobileNetV2 / SqueezeNet 1.1 (bench/setup makes them):
#    compile to C (QLinearAdd / QLinearGlobalAveragePool / QLinearConcat, com.microsoft), build, and
#    check every ISA's output equals `onnxq run` of `quantize --format int` byte for byte; and
#    that ONNX Runtime runs the --format int model within one quantization step of ours.
vis=$root/bench/models/data
for m in resnet18 mobilenet_v2 squeezenet1_1; do
  [ -f "$root/bench/models/$m.onnx" ] && [ -d "$vis/vision_calib" ] && [ -d "$vis/vision_test" ] || { echo "skip $m (bench/models/$m.onnx or its data missing)"; continue; }
  check "$m: compile to C" "$onnxq" compile "$root/bench/models/$m.onnx" --calib "$vis/vision_calib" --calib-limit 16 --emit-c "$tmp/$m" --name net
  check "$m: quantize --format int" "$onnxq" quantize "$root/bench/models/$m.onnx" --calib "$vis/vision_calib" --calib-limit 16 --format int -o "$tmp/${m}_int.onnx"
  vsrc=$(cd "$tmp/$m" && find onnxq_rt -name '*.c' | sort | tr '\n' ' ')
  check "$m: emitted C builds (gcc $strict)" sh -c "cd '$tmp/$m' && gcc $strict -o net_main net.c net_weights.c net_main.c $vsrc -lpthread -lm"
  mkdir -p "$tmp/${m}_in"
  for k in 000 001; do
    cp "$vis/vision_test/sample_$k.npy" "$tmp/${m}_in/"
    "$onnxq" run "$tmp/${m}_int.onnx" --input "$vis/vision_test/sample_$k.npy" --output "$tmp/${m}_ref$k" >/dev/null 2>&1 || true
    r=$(ls "$tmp/${m}_ref$k"/*.npy 2>/dev/null | head -1)
    for isa in scalar avx2 avxvnni avx512vnni; do
      ONNXQ_ISA=$isa "$tmp/$m/net_main" "$vis/vision_test/sample_$k.npy" "$tmp/${m}_$isa$k.npy" >/dev/null 2>&1 || true
      if [ -n "$r" ] && [ -f "$tmp/${m}_$isa$k.npy" ] && cmp -s <(tail -c 4000 "$tmp/${m}_$isa$k.npy") <(tail -c 4000 "$r"); then
        ok "$m: emitted C == interpreter on --format int, bit for bit (sample $k, ONNXQ_ISA=$isa)"
      else bad "$m: emitted C differs from the interpreter (sample $k, ONNXQ_ISA=$isa)"; fi
    done
  done
  # NEON: the same program cross-built for aarch64 under qemu (sample 000; i8mm/dotprod/neon)
  if command -v aarch64-linux-gnu-gcc >/dev/null && command -v qemu-aarch64 >/dev/null; then
    check "$m: emitted C builds for aarch64" sh -c "cd '$tmp/$m' && aarch64-linux-gnu-gcc $strict -static -o net_a64 net.c net_weights.c net_main.c $vsrc -lpthread -lm"
    r=$(ls "$tmp/${m}_ref000"/*.npy 2>/dev/null | head -1)
    for isa in i8mm neondot neon; do
      ONNXQ_ISA=$isa qemu-aarch64 -cpu max "$tmp/$m/net_a64" "$vis/vision_test/sample_000.npy" "$tmp/${m}_a64_$isa.npy" >/dev/null 2>&1 || true
      if [ -n "$r" ] && [ -f "$tmp/${m}_a64_$isa.npy" ] && cmp -s <(tail -c 4000 "$tmp/${m}_a64_$isa.npy") <(tail -c 4000 "$r"); then
        ok "$m: aarch64 (qemu, ONNXQ_ISA=$isa) == interpreter, bit for bit"
      else bad "$m: aarch64 (qemu, ONNXQ_ISA=$isa) differs from the interpreter"; fi
    done
  fi
  if node "$root/bench/ort/ort_run.js" "$tmp/${m}_int.onnx" --input-dir "$tmp/${m}_in" --output "$tmp/${m}_ort" >/dev/null 2>&1 &&
     /usr/bin/python3 - "$tmp/${m}_ort/logits.npy" "$tmp/${m}_ref000"/*.npy "$tmp/${m}_ref001"/*.npy <<'PY'
import sys, numpy as np
o = np.load(sys.argv[1]).reshape(2, -1)
us = np.concatenate([np.load(f).reshape(1, -1) for f in sys.argv[2:]])
step = np.diff(np.unique(us)).min()
d = np.abs(o - us) / step
print("     ORT vs onnxq: %.1f%% equal, %.1f%% within 1 step, max %.1f steps" % (100 * (d < 0.5).mean(), 100 * (d <= 1.001).mean(), d.max()))
sys.exit(0 if (d <= 1.001).mean() >= 0.9 else 1)
PY
  then ok "$m: ONNX Runtime runs --format int, >= 90% of outputs within 1 step of ours"
  else bad "$m: ONNX Runtime run of --format int failed or differs"; fi
done

echo "e2e: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
