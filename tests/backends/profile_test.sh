#!/usr/bin/env bash
# onnxq compile --profile on the Fashion CNN (examples/): the emitted C builds with gcc and clang
# (-std=c99 -Wall -Wextra -Wpedantic -Werror), NAME_main --profile prints one row per kernel call
# (as many as compile reports) and the totals by category, whose shares add up to 100%, and
# the profiled program's outputs equal those of the program compiled without --profile, byte
# for byte; without --profile the emitted C holds no profile code.
# usage: profile_test.sh ONNXQ SRCROOT
set -euo pipefail
oq=$1 root=$2
t=$(mktemp -d)
trap 'rm -rf "$t"' EXIT
fail() { echo "profile_test: $*"; for f in "$t"/out "$t"/err; do [ -f "$f" ] && cat "$f"; done; exit 1; }
ex=$root/examples
"$oq" compile "$ex/fashion_cnn.onnx" --calib "$ex/calib" --calib-limit 32 --emit-c "$t/p" --name fc \
  --profile >"$t/out" 2>"$t/err" || fail "compile --profile"
calls=$(sed -n 's/^wrote .*: \([0-9]*\) kernel calls.*/\1/p' "$t/out")
[ -n "$calls" ] || fail "no kernel call count"
"$oq" compile "$ex/fashion_cnn.onnx" --calib "$ex/calib" --calib-limit 32 --emit-c "$t/n" --name fc \
  >/dev/null 2>&1 || fail "compile"
! grep -q "prof" "$t/n/fc.c" "$t/n/fc.h" || fail "profile code without --profile"
for d in p n; do
  src=$(cd "$t/$d" && find onnxq_rt -name '*.c' | sort | tr '\n' ' ')
  for cc in gcc clang; do
    command -v $cc >/dev/null || continue
    (cd "$t/$d" && $cc -std=c99 -Wall -Wextra -Wpedantic -Werror -O2 -o main_$cc fc.c fc_weights.c \
      fc_main.c $src -lpthread -lm) >"$t/err" 2>&1 || fail "$d: $cc build"
  done
done
/usr/bin/python3 -c "import numpy as np; np.save('$t/x.npy', np.concatenate([np.load(f)[None] for f in sorted(__import__('glob').glob('$ex/calib/*.npy'))[:4]]))"
"$t/n/main_gcc" "$t/x.npy" "$t/yn.npy" 2>/dev/null || fail "run"
"$t/p/main_gcc" "$t/x.npy" "$t/yp.npy" --repeat 3 --profile 2>"$t/err" >"$t/out" || fail "run --profile"
cmp -s "$t/yn.npy" "$t/yp.npy" || fail "the profiled program's outputs differ"
grep -q "^profile: 12 run(s), int8 kernels on " "$t/err" || fail "no profile header (4 samples x 3 repeats)"
rows=$(awk '/ms +% +GMAC/ { on = 1; next } /^by category:/ { on = 0 } on' "$t/err" | wc -l)
[ "$rows" -eq "$calls" ] || fail "$rows profile rows, compile reported $calls kernel calls"
awk '/^by category:/ { on = 1; next } /total of the kernel calls/ { on = 0 } on { sub("%", "", $2); s += $2; n++ }
     END { exit !(n >= 3 && s > 99.5 && s < 100.5) }' "$t/err" || fail "category shares do not add up to 100%"
grep -q "int8 GEMM/conv" "$t/err" || fail "no GEMM/conv category"
"$t/n/main_gcc" "$t/x.npy" "$t/yn.npy" --profile 2>/dev/null && fail "--profile accepted without the profile build"
echo "profile_test: ok ($calls kernel calls)"
