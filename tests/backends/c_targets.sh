#!/usr/bin/env bash
# onnxq compile --target on the Fashion CNN (examples/): each target's runtime copy carries the
# kernels of its ISAs only. Checked always: scalar sources include no intrinsics header, x86
# targets no arm_neon.h and aarch64 targets no immintrin.h, and the objects of the avx2 and
# avxvnni targets hold no zmm (AVX-512) instruction. With --run (tests/e2e/run.sh): every target
# builds with gcc and clang (-std=c99 -Wall -Wextra -Wpedantic -Werror) and its outputs equal
# `onnxq run` on the lowered int8 graph byte for byte under each ONNXQ_ISA (x86 targets natively,
# aarch64 targets cross-built and run under qemu when the tools are there).
# usage: c_targets.sh BUILD_DIR [--run]
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
onnxq=$1/cli/onnxq
run=${2:-}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0 fail=0
ok() { pass=$((pass + 1)); echo "ok   $*"; }
bad() { fail=$((fail + 1)); echo "FAIL $*"; }
model=$root/examples/fashion_cnn.onnx
x86="auto native x86-64 scalar avx2 avxvnni avx512 avx512vnni amx"
arm="aarch64 neon neondot i8mm"
strict="-std=c99 -Wall -Wextra -Wpedantic -Werror -O2"

for t in $x86 $arm; do
  if ! "$onnxq" compile "$model" --calib "$root/examples/calib" --emit-c "$tmp/$t" --name fashion \
       --target "$t" >"$tmp/log" 2>&1; then
    bad "compile --target $t"; cat "$tmp/log"; continue
  fi
  hdrs=$(grep -rhoE '#include <(immintrin|arm_neon)\.h>' "$tmp/$t" | sort -u | tr '\n' ' ' || true)
  case $t in
    scalar) want="" ;;
    auto) want="#include <arm_neon.h> #include <immintrin.h> " ;;
    aarch64|neon*|i8mm) want="#include <arm_neon.h> " ;;
    *) want="#include <immintrin.h> " ;;
  esac
  [ "$hdrs" = "$want" ] && ok "--target $t: intrinsics headers '${want% }'" ||
    bad "--target $t: intrinsics headers '$hdrs', want '$want'"
done
grep -q '#define OQ_WITH_AVX2 0' "$tmp/scalar/onnxq_rt/target.h" && ok "--target scalar: target.h builds no AVX2" || bad "--target scalar: target.h"

if command -v objdump >/dev/null; then
  for t in avx2 avxvnni; do
    src=$(cd "$tmp/$t" && find onnxq_rt -name '*.c' | sort | tr '\n' ' ')
    (cd "$tmp/$t" && mkdir -p obj && cd obj && cc -O2 -c $(for s in $src; do echo "../$s"; done))
    n=$(objdump -d "$tmp/$t"/obj/*.o | grep -c zmm || true)
    [ "$n" = 0 ] && ok "--target $t: no AVX-512 instruction in the objects" ||
      bad "--target $t: $n instructions use zmm registers"
  done
fi

if [ "$run" = --run ]; then
  node "$root/scripts/fashion-npy.js" "$tmp/small" --limit 100 >/dev/null
  "$onnxq" quantize "$model" --calib "$root/examples/calib" --format qop -o "$tmp/qop.onnx" >/dev/null 2>&1
  "$onnxq" run "$tmp/qop.onnx" --input "$tmp/small/images.npy" --output "$tmp/interp" >/dev/null
  ref=$(ls "$tmp/interp"/*.npy | head -1)
  same() { [ -f "$1" ] && cmp -s <(tail -c 4000 "$1") <(tail -c 4000 "$ref"); }  # 100 x 10 float32
  for t in $x86; do
    src=$(cd "$tmp/$t" && find onnxq_rt -name '*.c' | sort | tr '\n' ' ')
    for cc in gcc clang; do
      command -v $cc >/dev/null || continue
      if ! (cd "$tmp/$t" && $cc $strict -o main_$cc fashion.c fashion_weights.c fashion_main.c $src -lpthread -lm) >"$tmp/log" 2>&1; then
        bad "--target $t builds with $cc"; tail -5 "$tmp/log"; continue
      fi
      for isa in scalar avx2 avxvnni avx512 avx512vnni amx; do
        ONNXQ_ISA=$isa "$tmp/$t/main_$cc" "$tmp/small/images.npy" "$tmp/$t/out.npy" >/dev/null 2>&1 || true
        same "$tmp/$t/out.npy" && ok "--target $t ($cc, ONNXQ_ISA=$isa) == interpreter" ||
          bad "--target $t ($cc, ONNXQ_ISA=$isa) differs from the interpreter"
        rm -f "$tmp/$t/out.npy"
      done
    done
  done
  if command -v aarch64-linux-gnu-gcc >/dev/null && command -v qemu-aarch64 >/dev/null; then
    for t in auto $arm; do
      src=$(cd "$tmp/$t" && find onnxq_rt -name '*.c' | sort | tr '\n' ' ')
      if ! (cd "$tmp/$t" && aarch64-linux-gnu-gcc $strict -static -o main_a64 fashion.c fashion_weights.c fashion_main.c $src -lpthread -lm) >"$tmp/log" 2>&1; then
        bad "--target $t builds for aarch64"; tail -5 "$tmp/log"; continue
      fi
      for isa in neon neondot i8mm; do
        ONNXQ_ISA=$isa qemu-aarch64 -cpu max "$tmp/$t/main_a64" "$tmp/small/images.npy" "$tmp/$t/out.npy" >/dev/null 2>&1 || true
        same "$tmp/$t/out.npy" && ok "--target $t (aarch64 qemu, ONNXQ_ISA=$isa) == interpreter" ||
          bad "--target $t (aarch64 qemu, ONNXQ_ISA=$isa) differs from the interpreter"
        rm -f "$tmp/$t/out.npy"
      done
    done
  else
    echo "skip aarch64 targets: cross compiler or qemu-aarch64 missing"
  fi
fi
echo "c_targets: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
